//! The test at a known date: the model with `step@P` against the same model
//! without it (P is the first period of the new regime).
//!
//! Reports the likelihood-ratio statistic with its two-sided p-value and the
//! one-sided p-value for an increase (from the signed root
//! `r = sign(b) sqrt(LR)`, `p = 1 - Phi(r)`), the rate ratio `exp(b)` with its
//! profile-likelihood interval, the rates before and after (per period, at the
//! first period of each regime), and, when the model is two Poisson rates
//! and nothing else, the exact conditional interval: given the total `n`,
//! the count after is Binomial(`n`, `p`) with `p = E_a RR / (E_b + E_a RR)`,
//! and the Clopper–Pearson interval for `p` maps to one for `RR`.
//!
//! Negative binomial: the profile interval re-estimates theta at every
//! point, and still its chi-square cut-off is liberal when theta is poorly
//! determined (93.1% at 48 periods in the calibration study). The cut-off
//! is therefore scaled by a bootstrap Bartlett factor at the estimate, and
//! the LR statistic divided by the factor under the null (see
//! [`super::bartlett`]); both factors are reported with their Monte Carlo
//! errors, and the raw statistic stays the `lr_statistic`.

use statrs::distribution::{Binomial, ChiSquared, ContinuousCDF, Discrete, DiscreteCDF, Normal};

use statrs::function::beta::beta_reg;

use super::bartlett::{BARTLETT_SEED, BartlettFactor, FactorFor, bartlett_factor};
use crate::data::{Period, Series};
use crate::error::{Result, SpecError};
use crate::inference::root::brent_near;
use crate::inference::{Interval, IntervalMethod, Level, TestMethod, TestResult, lr_test};
use crate::model::{Bound, Family, Fit, ModelSpec, Term, fit};

/// The outcome of a known-date test.
#[derive(Debug, Clone)]
pub struct StepTest {
    /// First period of the new regime.
    pub at: Period,
    /// The model with the step.
    pub full: Fit,
    /// The model without it.
    pub reduced: Fit,
    /// Likelihood-ratio test, two-sided; for NB the p-value is that of the
    /// corrected statistic, the statistic stays the raw LR.
    pub lr: TestResult,
    /// NB: the Bartlett factor of the test, under the null-constrained fit.
    pub bartlett: Option<BartlettFactor>,
    /// NB: the LR statistic divided by `max(factor, 1)`.
    pub lr_corrected: Option<f64>,
    /// NB: the Bartlett factor of the rate-ratio interval, at the estimate.
    pub interval_bartlett: Option<BartlettFactor>,
    /// One-sided p-value for an increase.
    pub p_value_increase: f64,
    /// `exp(step)` with its profile interval.
    pub rate_ratio: Interval,
    /// Exact conditional interval, for the two-rate model.
    pub rate_ratio_exact: Option<Interval>,
    /// Exact conditional (binomial) p-values, two-sided and for an increase,
    /// for the two-rate model.
    pub exact_p_values: Option<(f64, f64)>,
    /// Rate per period at the period before `at`, profile interval.
    pub rate_before: Interval,
    /// Rate per period at `at`, profile interval.
    pub rate_after: Interval,
}

/// Tests for a step at `at` in the model `base` (which must not contain it).
///
/// # Errors
/// [`SpecError::NeedsLogLink`] when the family has no log link; fitting
/// errors otherwise (a step `at` outside the series among them).
pub fn step_test(series: &Series, base: &ModelSpec, at: Period, level: Level, slope: bool) -> Result<StepTest> {
    if !base.family.log_link() {
        return Err(SpecError::NeedsLogLink.into());
    }
    let step = Term::Step(at);
    let reduced_spec = ModelSpec {
        terms: base.terms.iter().filter(|t| **t != step).cloned().collect(),
        ..base.clone()
    };
    let reduced_spec = ModelSpec {
        terms: reduced_spec
            .terms
            .into_iter()
            .filter(|t| !slope || *t != Term::Slope(at))
            .collect(),
        ..reduced_spec
    };
    let mut full_spec = reduced_spec.clone();
    full_spec.terms.push(step.clone());
    if slope {
        full_spec.terms.push(Term::Slope(at));
    }
    let full = fit(&full_spec, series)?;
    let reduced = fit(&reduced_spec, series)?;
    let j = full
        .names
        .iter()
        .position(|n| *n == step.to_string())
        .expect("the step is a term");
    let (rate_ratio, interval_bartlett) = rate_ratio_interval(&full, j, level)?;
    // NB: the statistic is divided by its Bartlett factor under the null
    // (the model without the step, theta re-estimated); not with a slope
    // change, where the test has 2 df. A factor below 1 would make the test
    // more liberal than the chi-square reference on a Monte Carlo estimate;
    // it is reported but not applied.
    let bartlett = match (full.spec.family, slope, reduced.bounds.iter().all(Option::is_none)) {
        (Family::Negbin, false, true) => {
            let null_beta: Vec<f64> = reduced.beta.iter().copied().chain([0.0]).collect();
            bartlett_factor(
                &full.problem,
                &null_beta,
                reduced.theta.unwrap_or(1.0),
                j,
                FactorFor::Test,
                BARTLETT_SEED,
            )
        }
        _ => None,
    };
    let factor = bartlett.map(|b| b.estimate.max(1.0));
    let mut lr = lr_test(&full, &reduced);
    if let Some(factor) = factor {
        lr.p_value = ChiSquared::new(1.0)
            .expect("one degree of freedom")
            .sf(lr.statistic / factor);
        lr.method = TestMethod::BartlettChiSquare {
            factor: bartlett.map_or(factor, |b| b.estimate),
            draws: bartlett.map_or(0, |b| b.draws),
        };
    }
    let lr_corrected = factor.map(|f| lr.statistic / f);
    let direction = match full.bounds[j] {
        Some(Bound::PlusInfinity) => 1.0,
        Some(Bound::MinusInfinity) => -1.0,
        None => full.beta[j].signum(),
    };
    let signed_root = direction * (lr.statistic / factor.unwrap_or(1.0)).sqrt();
    let p_value_increase = Normal::standard().sf(signed_root);

    let at_index = series.index_of(at).expect("the step was built inside the series");
    let mut full = full;
    if let Some(note) = gap_note(series, at_index) {
        full.notes.push(note);
    }
    let row = |t: usize| -> Vec<f64> { full.design_row(t) };
    let rate_at = |t: usize| -> Result<Interval> {
        let c = row(t);
        let bound = full.bound_of(&c);
        Ok(full.profile_interval_of(&c, level, bound, None)?.map(f64::exp))
    };
    let rate_before = rate_at(at_index - 1)?;
    let rate_after = rate_at(at_index)?;
    // The conditional binomial argument holds for Poisson counts only.
    let two_rates = base.family == Family::Poisson && reduced_spec.terms == [Term::Intercept] && series.n_obs() >= 2;
    let (rate_ratio_exact, exact_p_values) = if two_rates && !slope {
        let counts = two_rate_counts(&full, at_index);
        (
            counts.and_then(|(nb, eb, na, ea)| exact_rate_ratio_counts(nb, eb, na, ea, level)),
            counts.and_then(|(nb, eb, na, ea)| exact_binomial_p_values(nb, eb, na, ea)),
        )
    } else {
        (None, None)
    };
    Ok(StepTest {
        at,
        full,
        reduced,
        lr,
        p_value_increase,
        rate_ratio,
        rate_ratio_exact,
        exact_p_values,
        rate_before,
        rate_after,
        bartlett,
        lr_corrected,
        interval_bartlett,
    })
}

/// The profile interval of the rate ratio `exp(beta_j)`; for NB its
/// chi-square cut-off is scaled by the bootstrap Bartlett factor at the
/// estimate, which is returned too.
pub(crate) fn rate_ratio_interval(full: &Fit, j: usize, level: Level) -> Result<(Interval, Option<BartlettFactor>)> {
    let bartlett = match (full.spec.family, full.bounds[j]) {
        (Family::Negbin, None) => bartlett_factor(
            &full.problem,
            &full.beta,
            full.theta.unwrap_or(1.0),
            j,
            FactorFor::Interval,
            BARTLETT_SEED,
        ),
        _ => None,
    };
    let interval = rate_ratio_interval_scaled(full, j, level, bartlett.map(|b| b.estimate))?;
    Ok((interval, bartlett))
}

/// The profile interval of `exp(beta_j)` with its chi-square cut-off
/// scaled by `factor` when there is one (a Bartlett factor found for a
/// nearby model: the other dates of a break's date set share the one at
/// the estimate, whose bootstrap would cost thousands of fits each).
pub(crate) fn rate_ratio_interval_scaled(full: &Fit, j: usize, level: Level, factor: Option<f64>) -> Result<Interval> {
    Ok(match factor {
        Some(factor) => {
            let chi2 = ChiSquared::new(1.0).expect("one degree of freedom");
            let scaled = chi2.cdf(factor * chi2.inverse_cdf(level.value()));
            let corrected = Level::new(scaled.clamp(1e-9, 1.0 - 1e-12)).expect("clamped inside (0, 1)");
            Interval {
                level: level.value(),
                method: IntervalMethod::ProfileBartlett,
                ..full.profile_interval(j, corrected)?.map(f64::exp)
            }
        }
        None => full.profile_interval(j, level)?.map(f64::exp),
    })
}

/// When `at` lies in or just after a gap of missing periods, the dates the
/// data cannot tell apart from it (they split the observations alike).
fn gap_note(series: &Series, at: usize) -> Option<String> {
    let covered = series.covered();
    let from = (0..at).rev().find(|&t| covered[t]).map_or(0, |t| t + 1);
    let to = (at..series.n_periods)
        .find(|&t| covered[t])
        .unwrap_or(series.n_periods - 1);
    (from != to).then(|| {
        format!(
            "{} falls in or right after a gap of missing periods: every date from {} to {} splits the observations alike, so this test answers for that whole range",
            series.period(at),
            series.period(from),
            series.period(to)
        )
    })
}

/// Counts and exposures before and after the break, when no observation
/// straddles it: (n_before, e_before, n_after, e_after).
fn two_rate_counts(full: &Fit, at_index: usize) -> Option<(f64, f64, f64, f64)> {
    let (mut n_before, mut n_after, mut e_before, mut e_after) = (0.0, 0.0, 0.0, 0.0);
    for o in full.problem_observations() {
        let exposure: f64 = o.periods.iter().map(|&t| full.offset_at(t).exp()).sum();
        if o.periods.iter().all(|&t| t < at_index) {
            n_before += o.y;
            e_before += exposure;
        } else if o.periods.iter().all(|&t| t >= at_index) {
            n_after += o.y;
            e_after += exposure;
        } else {
            return None;
        }
    }
    Some((n_before, e_before, n_after, e_after))
}

/// The exact conditional test of equal rates: given the total `n`, the count
/// after is Binomial(`n`, `e_after / (e_before + e_after)`). Two-sided p sums
/// the outcomes no more likely than the observed one (as R `binom.test`);
/// one-sided for an increase is `P(X >= n_after)`.
pub fn exact_binomial_p_values(n_before: f64, e_before: f64, n_after: f64, e_after: f64) -> Option<(f64, f64)> {
    let n = n_before + n_after;
    if n == 0.0 || n > u32::MAX as f64 {
        return None;
    }
    let dist = Binomial::new(e_after / (e_before + e_after), n as u64).ok()?;
    let x = n_after as u64;
    let observed = dist.pmf(x) * (1.0 + 1e-7);
    // As binom.test: the side of the mean holding x contributes its whole
    // tail; on the other side the pmf is monotone, so the outcomes no more
    // likely than x form a tail found by bisection (O(log n), not O(n)).
    let n_int = n as u64;
    let mean = n * e_after / (e_before + e_after);
    let no_more_likely = |k: u64| dist.pmf(k) <= observed;
    let two_sided = if (x as f64) < mean {
        // First k in [ceil(mean), n] with pmf(k) <= observed (pmf falls there).
        let (mut lo, mut hi) = (mean.ceil() as u64, n_int + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if no_more_likely(mid) { hi = mid } else { lo = mid + 1 }
        }
        dist.cdf(x)
            + if lo == 0 {
                1.0
            } else if lo > n_int {
                0.0
            } else {
                dist.sf(lo - 1)
            }
    } else if (x as f64) > mean {
        // Count of k in [0, floor(mean)] with pmf(k) <= observed (pmf rises there).
        let (mut lo, mut hi) = (0u64, mean.floor() as u64 + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if no_more_likely(mid) { lo = mid + 1 } else { hi = mid }
        }
        let lower = if lo == 0 { 0.0 } else { dist.cdf(lo - 1) };
        lower + if x == 0 { 1.0 } else { dist.sf(x - 1) }
    } else {
        1.0
    };
    let increase = if x == 0 { 1.0 } else { dist.sf(x - 1) };
    Some((two_sided.min(1.0), increase))
}

/// Exact conditional (Clopper–Pearson) interval for the ratio of two Poisson
/// rates, `(n_after / e_after) / (n_before / e_before)`, given the total.
pub fn exact_rate_ratio_counts(
    n_before: f64,
    e_before: f64,
    n_after: f64,
    e_after: f64,
    level: Level,
) -> Option<Interval> {
    let n = n_before + n_after;
    if n == 0.0 {
        return None;
    }
    let alpha = 1.0 - level.value();
    // The interval ends for p on the log-odds scale: exp(log-odds) is the
    // odds p / (1 - p), which scales to the rate ratio.
    let low_log_odds = if n_after == 0.0 {
        f64::NEG_INFINITY
    } else {
        beta_quantile_log_odds(n_after, n - n_after + 1.0, alpha / 2.0)?
    };
    let high_log_odds = if n_after == n {
        f64::INFINITY
    } else {
        beta_quantile_log_odds(n_after + 1.0, n - n_after, 1.0 - alpha / 2.0)?
    };
    let to_rr = |log_odds: f64| log_odds.exp() * e_before / e_after;
    let finite = |v: f64| v.is_finite().then_some(v);
    Some(Interval {
        estimate: (n_before > 0.0).then(|| n_after / n_before * e_before / e_after),
        low: finite(to_rr(low_log_odds)),
        high: finite(to_rr(high_log_odds)),
        level: level.value(),
        method: IntervalMethod::ExactConditional,
    })
}

/// The `prob` quantile of Beta(a, b) on the log-odds scale, so that tiny
/// and near-one quantiles keep their relative precision.
///
/// statrs' `inverse_cdf` (AS 109) does not terminate for parameters near
/// 10^9, which counts that size produce; bracketed root finding on the
/// regularised incomplete beta always does.
fn beta_quantile_log_odds(a: f64, b: f64, prob: f64) -> Option<f64> {
    let logistic = |z: f64| 1.0 / (1.0 + (-z).exp());
    // Above one half the upper tail, by symmetry, keeps 1 - x exact.
    let cdf = |z: f64| {
        if z <= 0.0 {
            beta_reg(a, b, logistic(z))
        } else {
            1.0 - beta_reg(b, a, logistic(-z))
        }
    };
    // The log-odds of Beta(a, b) are nearly normal, mean about
    // log(a / b) - 1/(2a) + 1/(2b) (digamma's expansion) and variance
    // 1/a + 1/b: the bracket starts around that quantile, wider for small
    // counts, where the normal is rougher.
    let sd = (1.0 / a + 1.0 / b).sqrt();
    let z = Normal::standard().inverse_cdf(prob);
    let guess = (a / b).ln() - 0.5 / a + 0.5 / b + z * sd;
    brent_near(
        |z| cdf(z) - prob,
        guess,
        sd * (0.03 + 1.0 / a.min(b)),
        (-745.0, 745.0),
        1e-12,
    )
}

impl Fit {
    /// The design row of period `t` (for rates at a period).
    pub fn design_row(&self, t: usize) -> Vec<f64> {
        self.problem.x.row(t).to_vec()
    }

    fn offset_at(&self, t: usize) -> f64 {
        self.problem.offset[t]
    }

    fn problem_observations(&self) -> impl Iterator<Item = &crate::model::fit::ObsData> {
        self.problem.obs.iter()
    }

    /// The family of the fit.
    pub fn family(&self) -> Family {
        self.spec.family
    }
}

#[cfg(test)]
mod exact_tests {
    use super::*;

    /// The two-sided p-value by summing every outcome, as binom.test does.
    fn brute(n_before: f64, e_before: f64, n_after: f64, e_after: f64) -> f64 {
        let n = (n_before + n_after) as u64;
        let dist = Binomial::new(e_after / (e_before + e_after), n).unwrap();
        let observed = dist.pmf(n_after as u64) * (1.0 + 1e-7);
        (0..=n)
            .map(|k| dist.pmf(k))
            .filter(|&p| p <= observed)
            .sum::<f64>()
            .min(1.0)
    }

    #[test]
    fn bisected_two_sided_p_equals_the_full_sum() {
        for (nb, na) in [
            (8.0, 74.0),
            (0.0, 5.0),
            (5.0, 0.0),
            (3.0, 3.0),
            (10.0, 4.0),
            (1.0, 30.0),
            (40.0, 41.0),
        ] {
            for (eb, ea) in [(1.0, 1.0), (1142.857, 1104.478), (2.0, 5.0), (7.0, 1.5)] {
                let (two, _) = exact_binomial_p_values(nb, eb, na, ea).unwrap();
                assert!((two - brute(nb, eb, na, ea)).abs() < 1e-12, "{nb} {eb} {na} {ea}");
            }
        }
    }

    #[test]
    fn a_billion_counts_take_no_time() {
        let start = std::time::Instant::now();
        let (two, up) = exact_binomial_p_values(25.0, 1.0, 1e9, 1.0).unwrap();
        assert!((0.0..=1.0).contains(&two) && (0.0..=1.0).contains(&up));
        assert!(start.elapsed().as_secs_f64() < 1.0);
    }

    /// R 4.2.2: `ci <- binom.test(x, n)$conf.int; ci / (1 - ci)`.
    #[test]
    fn exact_interval_matches_r_from_small_counts_to_a_billion() {
        let level = Level::new(0.95).unwrap();
        for (nb, na, low, high, tol) in [
            (8.0, 74.0, 4.458100015, 22.218640672, 1e-9),
            (34.0, 1e9 + 8.0, 21047495.09, 42470080.17, 1e-7),
        ] {
            let ci = exact_rate_ratio_counts(nb, 1.0, na, 1.0, level).unwrap();
            let (l, h) = (ci.low.unwrap(), ci.high.unwrap());
            assert!((l / low - 1.0).abs() < tol, "low {l} vs {low}");
            assert!((h / high - 1.0).abs() < tol, "high {h} vs {high}");
        }
    }
}

#[cfg(test)]
mod bartlett_tests {
    use super::*;
    use crate::data::read_series;

    /// 48 months of over-dispersed counts with a jump at 2022-01.
    fn series() -> Series {
        let counts = [
            3, 9, 4, 2, 7, 5, 1, 6, 11, 4, 3, 8, 5, 2, 6, 9, 3, 4, 7, 1, 5, 8, 2, 6, //
            14, 9, 21, 7, 12, 16, 5, 19, 11, 8, 25, 13, 10, 6, 17, 9, 15, 22, 8, 12, 18, 7, 11, 14,
        ];
        let mut csv = String::from("period,count\n");
        for (i, c) in counts.iter().enumerate() {
            csv += &format!("{}-{:02},{c}\n", 2020 + i / 12, i % 12 + 1);
        }
        read_series(csv.as_bytes(), "t.csv").unwrap()
    }

    fn test_with(family: Family) -> StepTest {
        let spec = ModelSpec {
            family,
            terms: vec![Term::Intercept],
            use_offset: false,
        };
        step_test(
            &series(),
            &spec,
            Period::parse("2022-01").unwrap(),
            Level::default(),
            false,
        )
        .unwrap()
    }

    #[test]
    fn the_nb_rate_ratio_interval_is_the_profile_at_the_bartlett_scaled_cut_off() {
        let t = test_with(Family::Negbin);
        assert_eq!(t.rate_ratio.method, IntervalMethod::ProfileBartlett);
        assert_eq!(t.rate_ratio.level, 0.95);
        let j = t.full.names.iter().position(|n| n == "step@2022-01").unwrap();
        let factor = t.interval_bartlett.unwrap().estimate;
        assert!(factor > 0.5 && factor < 2.0, "factor {factor}");
        let chi2 = ChiSquared::new(1.0).unwrap();
        let scaled = Level::new(chi2.cdf(factor * chi2.inverse_cdf(0.95))).unwrap();
        let direct = t.full.profile_interval(j, scaled).unwrap().map(f64::exp);
        assert_eq!((t.rate_ratio.low, t.rate_ratio.high), (direct.low, direct.high));
        // Wider than the plain profile interval exactly when the factor exceeds 1.
        let plain = t.full.profile_interval(j, Level::default()).unwrap().map(f64::exp);
        let wider = t.rate_ratio.low < plain.low && t.rate_ratio.high > plain.high;
        assert_eq!(wider, factor > 1.0);
        // The test divides its raw statistic by its own factor, drawn under
        // the null, when that factor is above 1; the raw statistic is kept.
        let test_factor = t.bartlett.unwrap();
        assert_eq!(test_factor.draws, crate::changepoint::bartlett::BARTLETT_DRAWS);
        let applied = test_factor.estimate.max(1.0);
        assert_eq!(t.lr_corrected, Some(t.lr.statistic / applied));
        assert_eq!(t.lr.p_value, chi2.sf(t.lr.statistic / applied));
        assert_eq!(t.lr.statistic, 2.0 * (t.full.loglik - t.reduced.loglik));
        // The same draws every time.
        assert_eq!(test_with(Family::Negbin).rate_ratio, t.rate_ratio);
        // The binomial argument is for Poisson counts.
        assert!(t.rate_ratio_exact.is_none());
    }

    #[test]
    fn the_poisson_rate_ratio_interval_is_the_plain_profile() {
        let t = test_with(Family::Poisson);
        assert_eq!(t.rate_ratio.method, IntervalMethod::Profile);
        assert!(t.rate_ratio_exact.is_some());
    }
}
