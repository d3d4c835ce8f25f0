//! Over-dispersion of a Poisson fit, and the `auto` family choice.
//!
//! Dean's (1992) adjusted score test of the Poisson model against NB2 (the
//! variance `mu + alpha mu^2`, alpha = 1/theta, tested at 0): with fitted
//! means `M_i` over `k_i` periods and leverages `h_i`,
//! `T = sum [(y_i - M_i)^2 - y_i + h_i M_i] / k_i / sqrt(2 sum M_i^2 / k_i^2)`,
//! standard normal under the Poisson model, one-sided. An observation over
//! `k` periods is NB with size `k theta` (see the design), hence the `k_i`.
//! It needs the Poisson fit only, O(n p^2), so every Poisson fit reports it.
//!
//! `auto` chooses NB when the test rejects at 1% and the model leaves at
//! least 10 residual degrees of freedom (with fewer, theta is barely
//! identified and NB intervals are unreliable), else Poisson.
//!
//! # References
//! - Dean, C. B. (1992). Testing for overdispersion in Poisson and binomial
//!   regression models. *JASA* 87, 451–457.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

use crate::data::{Response, Series};
use crate::error::Result;
use crate::model::fit::pseudo_inverse;
use crate::model::{Family, Fit, ModelSpec, Term, fit};

/// The level at which `auto` takes over-dispersion as shown.
pub const AUTO_LEVEL: f64 = 0.01;
/// Fewest residual degrees of freedom for `auto` to choose NB.
pub const AUTO_MIN_DF: usize = 10;

/// The over-dispersion test of a Poisson fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OverdispersionTest {
    /// Dean's adjusted score statistic (standard normal under Poisson).
    pub statistic: f64,
    /// One-sided p-value.
    pub p_value: f64,
    /// The method.
    pub method: &'static str,
}

impl OverdispersionTest {
    /// Whether it rejects at the `auto` level.
    pub fn rejects(&self) -> bool {
        self.p_value < AUTO_LEVEL
    }
}

impl Fit {
    /// Dean's adjusted score test for over-dispersion; `None` unless the
    /// fit is Poisson with some positive fitted mean.
    pub fn overdispersion_test(&self) -> Option<OverdispersionTest> {
        if self.spec.family != Family::Poisson {
            return None;
        }
        let problem = &self.problem;
        let inverse = pseudo_inverse(&self.information);
        let p = problem.p();
        let mut g = vec![0.0; p];
        let (mut numerator, mut variance) = (0.0, 0.0);
        for o in problem.obs.iter() {
            let m = problem.mean_and_gradient(o, &self.beta, &mut g);
            if !m.is_finite() || m <= 0.0 {
                continue;
            }
            // h_i M_i = g' I^-1 g for the Poisson hat matrix.
            let gv = nalgebra::DVector::from_column_slice(&g);
            let leverage_m = (gv.transpose() * &inverse * &gv)[(0, 0)];
            numerator += ((o.y - m).powi(2) - o.y + leverage_m) / o.k;
            variance += 2.0 * m * m / (o.k * o.k);
        }
        dean(numerator, variance)
    }
}

/// Dean's statistic from its numerator and variance; `None` without
/// variance.
fn dean(numerator: f64, variance: f64) -> Option<OverdispersionTest> {
    if variance.is_nan() || variance <= 0.0 {
        return None;
    }
    let statistic = numerator / variance.sqrt();
    Some(OverdispersionTest {
        statistic,
        p_value: Normal::standard().sf(statistic),
        method: "Dean's adjusted score test against NB2, one-sided normal reference",
    })
}

/// How `--family auto` chose.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FamilyChoice {
    /// The family chosen.
    pub chosen: Family,
    /// The over-dispersion test in the Poisson version of the fullest model.
    pub test: OverdispersionTest,
    /// Residual degrees of freedom of that model.
    pub df_residual: usize,
    /// The model the test ran in (its terms).
    pub tested_in: Vec<String>,
    /// One sentence: which and why.
    pub reason: String,
}

/// The `auto` choice from the Poisson fit of the command's fullest model.
pub fn choose_family(poisson_fit: &Fit) -> Option<FamilyChoice> {
    choice_from(
        poisson_fit.overdispersion_test()?,
        poisson_fit.df_residual(),
        poisson_fit.names.clone(),
    )
}

/// Dean's test in the Poisson model with a level per segment (the
/// intercept and a step at each of `breaks`) on a series of single-period
/// observations, in closed form. That model's fitted mean is the segment's
/// rate times the exposure, `M_i = e_i Y_j / E_j`, and since its design
/// spans the segment indicators, `h_i M_i = M_i^2 / Y_j`: no fit and no
/// n x (breaks + 1) design, which at 10^6 observations and thousands of
/// PELT breaks would not fit in memory. `None` for a series with run rows
/// or when no fitted mean is positive.
pub fn segment_overdispersion(
    series: &Series,
    use_offset: bool,
    breaks: &[crate::data::Period],
) -> Option<OverdispersionTest> {
    if !series.is_simple() || series.response != Response::Count {
        return None;
    }
    let exposure = |o: &crate::data::Observation| if use_offset { o.exposure.unwrap_or(1.0) } else { 1.0 };
    // Each observation's segment, in one sweep (observations and breaks
    // are in order of period).
    let starts: Vec<usize> = breaks.iter().filter_map(|b| series.index_of(*b)).collect();
    let mut segment = Vec::with_capacity(series.observations.len());
    let mut j = 0;
    for o in &series.observations {
        while j < starts.len() && starts[j] <= o.periods[0] {
            j += 1;
        }
        segment.push(j);
    }
    let mut totals = vec![(0.0, 0.0); breaks.len() + 1];
    for (o, &j) in series.observations.iter().zip(&segment) {
        totals[j].0 += o.y;
        totals[j].1 += exposure(o);
    }
    let (mut numerator, mut variance) = (0.0, 0.0);
    for (o, &j) in series.observations.iter().zip(&segment) {
        let (y_j, e_j) = totals[j];
        let m = exposure(o) * y_j / e_j;
        if !m.is_finite() || m <= 0.0 {
            continue;
        }
        numerator += (o.y - m).powi(2) - o.y + m * m / y_j;
        variance += 2.0 * m * m;
    }
    dean(numerator, variance)
}

/// [`auto_family`] for an intercept-only `model` with a step at each of
/// `breaks` (a several-break search), by [`segment_overdispersion`].
pub fn auto_family_segmented(
    model: &ModelSpec,
    series: &Series,
    breaks: &[crate::data::Period],
) -> Result<(ModelSpec, Option<FamilyChoice>)> {
    let steps: Vec<Term> = breaks.iter().copied().map(Term::Step).collect();
    if model.terms != [Term::Intercept] || !series.is_simple() || series.response != Response::Count {
        return auto_family(model, series, &steps);
    }
    let use_offset = model.use_offset && series.has_exposure();
    let names = std::iter::once(Term::Intercept)
        .chain(steps)
        .map(|t| t.to_string())
        .collect();
    let choice = segment_overdispersion(series, use_offset, breaks)
        .and_then(|test| choice_from(test, series.n_obs().saturating_sub(breaks.len() + 1), names));
    let family = choice.as_ref().map_or(Family::Poisson, |c| c.chosen);
    Ok((
        ModelSpec {
            family,
            ..model.clone()
        },
        choice,
    ))
}

fn choice_from(test: OverdispersionTest, df: usize, names: Vec<String>) -> Option<FamilyChoice> {
    let chosen = if test.rejects() && df >= AUTO_MIN_DF {
        Family::Negbin
    } else {
        Family::Poisson
    };
    let model = names.join(" + ");
    let p = if test.p_value < 1e-16 {
        "p < 1e-16".to_string()
    } else {
        format!("p = {:.2e}", test.p_value)
    };
    let evidence = format!(
        "Dean's over-dispersion test in the Poisson model ({model}) gives z = {:.1}, {p}",
        test.statistic
    );
    let reason = match (chosen, test.rejects()) {
        (Family::Negbin, _) => format!("negbin: {evidence}, significant at 1% with {df} residual degrees of freedom"),
        (_, true) => format!(
            "poisson, with a warning: {evidence}, significant at 1%, but only {df} residual degrees of freedom (negbin needs at least {AUTO_MIN_DF})"
        ),
        _ => format!("poisson: {evidence}, not significant at 1%"),
    };
    Some(FamilyChoice {
        chosen,
        test,
        df_residual: df,
        tested_in: names,
        reason,
    })
}

/// `model` with its family chosen by `auto`: the over-dispersion test runs
/// in the Poisson fit of `model` plus `fullest` (the step, the breaks a
/// command adds), since an unmodelled break looks like over-dispersion. A
/// `value` series stays Gaussian, with no choice to report.
///
/// # Errors
/// Fitting errors of that Poisson model.
pub fn auto_family(model: &ModelSpec, series: &Series, fullest: &[Term]) -> Result<(ModelSpec, Option<FamilyChoice>)> {
    if series.response == Response::Value {
        return Ok((
            ModelSpec {
                family: Family::Gaussian,
                ..model.clone()
            },
            None,
        ));
    }
    let mut full = ModelSpec {
        family: Family::Poisson,
        ..model.clone()
    };
    full.terms
        .extend(fullest.iter().filter(|t| !model.terms.contains(t)).cloned());
    let choice = choose_family(&fit(&full, series)?);
    let family = choice.as_ref().map_or(Family::Poisson, |c| c.chosen);
    Ok((
        ModelSpec {
            family,
            ..model.clone()
        },
        choice,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Period, read_series};

    /// The closed form equals the test of the fitted Poisson model with a
    /// step at each break: with and without exposure, across a gap of
    /// missing periods, and with a segment of zeros.
    #[test]
    fn the_segment_closed_form_equals_the_fitted_model() {
        let counts = [3, 5, 2, 9, 0, 14, 12, 20, 9, 15, 4, 0, 0, 0, 1, 7, 8, 30, 2, 6];
        let mut plain = String::from("period,count,exposure\n");
        for (t, c) in counts.iter().enumerate() {
            // A gap: periods 9 and 10 are missing.
            if t == 9 || t == 10 {
                continue;
            }
            plain += &format!("{},{c},{}\n", t + 1, 1.0 + (t % 4) as f64 * 0.7);
        }
        let series = read_series(plain.as_bytes(), "t.csv").unwrap();
        for breaks in [vec![6], vec![6, 12], vec![4, 12, 16], vec![12, 15]] {
            let breaks: Vec<Period> = breaks.iter().map(|&b| Period::index(b)).collect();
            for use_offset in [false, true] {
                let mut spec = ModelSpec {
                    family: Family::Poisson,
                    terms: vec![Term::Intercept],
                    use_offset,
                };
                spec.terms.extend(breaks.iter().copied().map(Term::Step));
                let fitted = fit(&spec, &series).unwrap().overdispersion_test().unwrap();
                let closed = segment_overdispersion(&series, use_offset, &breaks).unwrap();
                let rel = (fitted.statistic - closed.statistic).abs() / fitted.statistic.abs();
                assert!(
                    rel < 1e-6,
                    "{breaks:?} offset {use_offset}: {} vs {}",
                    fitted.statistic,
                    closed.statistic
                );
            }
        }
    }
}
