//! Several breaks at unknown dates, for intercept-only models on one
//! observation per period: the exact optimal segmentation for 0..K breaks
//! with selection by BIC or MBIC, or PELT with a penalty; per segment the
//! level with an interval.
//!
//! Criteria, on the `-2 l` scale, for `m` breaks and segment lengths `n_i`:
//! - BIC: `-2 l + k log n`, `k = (m + 1) p + m (+ 1 for the Gaussian common
//!   variance)`: every segment parameter and every break date counts, as in
//!   strucchange.
//! - MBIC (Zhang and Siegmund 2007): `-2 l + 3 m log n + sum_i log(n_i / n)`.
//!
//! PELT penalties per break: `bic` = `(p + 1) log n`, `mbic` = `3 log n`
//! (the R changepoint package's MBIC value), or a number; for the Gaussian
//! mean cost (residual sums of squares) the named penalties are multiplied
//! by the noise variance estimated from first differences.

use rayon::prelude::*;
use serde::Serialize;
use statrs::distribution::ContinuousCDF;

use super::cost::{GaussianMeanCost, NegbinCost, PoissonCost, SegmentCost};
use super::known::{exact_rate_ratio_counts, rate_ratio_interval};
use super::segment::{Segmentation, SegmentationPath, pelt};
use crate::data::{Period, Series};
use crate::error::Result;
use crate::error::SpecError;
use crate::inference::root::brent_near;
use crate::inference::{Interval, IntervalMethod, Level};
use crate::model::{Family, Fit, ModelSpec, Term, fit};

/// How many breaks, and how to find them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Search {
    /// Exact optimum for 0..=K breaks, choose by a criterion.
    Dp {
        /// Largest number of breaks.
        max_breaks: usize,
        /// Criterion.
        select: Criterion,
    },
    /// PELT with a penalty per break.
    Pelt(Penalty),
}

/// Model-selection criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// Bayesian information criterion.
    Bic,
    /// Modified BIC of Zhang and Siegmund.
    Mbic,
    /// A number of breaks chosen elsewhere (by the sequential tests of
    /// [`super::number_tests`]); the most the search allows when larger.
    Count(usize),
}

/// PELT penalty.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Penalty {
    /// `(p + 1) log n`.
    Bic,
    /// `3 log n`.
    Mbic,
    /// A number on the cost scale.
    Value(f64),
}

/// One row of the 0..K table.
#[derive(Debug, Clone, Serialize)]
pub struct CandidateCount {
    /// Number of breaks.
    pub breaks: usize,
    /// Their dates.
    pub dates: Vec<Period>,
    /// Their positions: the index of the observation each opens.
    #[serde(skip)]
    pub positions: Vec<usize>,
    /// Summed segment costs.
    pub cost: f64,
    /// Log-likelihood.
    pub loglik: f64,
    /// Parameters counted by BIC.
    pub n_params: usize,
    /// BIC.
    pub bic: f64,
    /// MBIC.
    pub mbic: f64,
}

/// One segment of the chosen segmentation.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentSummary {
    /// Total count (or value) of the segment.
    pub total: f64,
    /// Total exposure (periods when there is none).
    pub exposure: f64,
    /// First period.
    pub start: Period,
    /// Last period.
    pub end: Period,
    /// Observations.
    pub n: usize,
    /// Rate (per period, per unit exposure with an offset) or mean, with interval.
    pub level: Interval,
}

/// The outcome.
#[derive(Debug, Clone)]
pub struct MultipleBreaks {
    /// The segment cost used.
    pub cost_name: &'static str,
    /// Rows for 0..K breaks (DP only).
    pub table: Vec<CandidateCount>,
    /// The chosen break dates.
    pub breaks: Vec<Period>,
    /// Their positions: the index of the observation each opens.
    pub positions: Vec<usize>,
    /// The chosen segments.
    pub segments: Vec<SegmentSummary>,
    /// The penalty PELT used, on the cost scale.
    pub penalty: Option<f64>,
    /// NB theta of the chosen segmentation, re-estimated with it.
    pub theta: Option<f64>,
    /// Per break: exact conditional interval for the ratio of the adjacent
    /// segment rates (Poisson only).
    pub rate_ratios: Vec<Option<Interval>>,
    /// NB: the Bartlett factor that scaled each rate ratio's cut-off.
    pub ratio_factors: Vec<Option<f64>>,
}

/// Finds several breaks.
///
/// # Errors
/// [`SpecError::SeveralBreaksNeedLevelModel`] for models other than intercept-only on one observation per
/// period, or a series too short for the segments asked.
pub fn detect_multiple(
    series: &Series,
    model: &ModelSpec,
    search: Search,
    min_segment: usize,
    level: Level,
) -> Result<MultipleBreaks> {
    if model.terms != [Term::Intercept] || !series.is_simple() {
        return Err(SpecError::SeveralBreaksNeedLevelModel.into());
    }
    let y: Vec<f64> = series.observations.iter().map(|o| o.y).collect();
    let n = y.len();
    let exposure: Option<Vec<f64>> = (model.use_offset && model.family.log_link())
        .then(|| series.observation_exposures())
        .flatten();
    let null_theta = match model.family {
        Family::Negbin => fit(model, series)?.theta,
        _ => None,
    };
    let cost: Box<dyn SegmentCost> = match model.family {
        Family::Poisson => Box::new(PoissonCost::new(&y, exposure.as_deref())),
        Family::Gaussian => Box::new(GaussianMeanCost::new(&y)),
        Family::Negbin => Box::new(NegbinCost::new(&y, exposure.as_deref(), null_theta.unwrap_or(1.0))),
    };
    let gaussian = model.family == Family::Gaussian;
    if gaussian && cost.cost(0, n) <= 0.0 {
        return Err(SpecError::ConstantGaussian {
            series: series.source.clone(),
        }
        .into());
    }
    let nf = n as f64;
    let date_of = |i: usize| series.period(series.observations[i].periods[0]);
    // NB: theta moves with the segmentation (see `negbin_alternation`).
    let refit = |breaks: &[usize]| -> Result<Fit> {
        let mut spec = model.clone();
        spec.terms.extend(breaks.iter().map(|&i| Term::Step(date_of(i))));
        fit(&spec, series)
    };
    let nb_cost = |theta: f64| NegbinCost::new(&y, exposure.as_deref(), theta);
    let loglik = |s: &Segmentation| {
        if gaussian {
            -nf / 2.0 * ((2.0 * std::f64::consts::PI * s.cost.max(f64::MIN_POSITIVE) / nf).ln() + 1.0)
        } else {
            -(s.cost + cost.constant()) / 2.0
        }
    };
    let pps = cost.params_per_segment();
    // Every segment parameter, every break date, and the dispersion (the
    // Gaussian common variance, NB theta).
    let row = |s: &Segmentation, ll: f64| {
        let m = s.breaks.len();
        let n_params = (m + 1) * pps + m + usize::from(model.family != Family::Poisson);
        let bounds = s.bounds(n);
        let lengths: f64 = bounds.windows(2).map(|w| ((w[1] - w[0]) as f64 / nf).ln()).sum();
        CandidateCount {
            breaks: m,
            dates: s.breaks.iter().map(|&i| date_of(i)).collect(),
            positions: s.breaks.clone(),
            cost: s.cost,
            loglik: ll,
            n_params,
            bic: -2.0 * ll + n_params as f64 * nf.ln(),
            mbic: -2.0 * ll + 3.0 * m as f64 * nf.ln() + lengths,
        }
    };
    let (chosen, table, penalty, nb_fit) = match search {
        Search::Dp { max_breaks, select } => {
            let (segs, fits) = match null_theta {
                Some(theta0) => {
                    // Every count starts its alternation at the null theta:
                    // one path there serves them all.
                    let start = SegmentationPath::new(&nb_cost(theta0), max_breaks, min_segment)?;
                    let mut segs = Vec::new();
                    let mut fits = Vec::new();
                    for m in 0..=max_breaks {
                        let (s, f) = negbin_alternation(
                            |c| {
                                let path = if c.theta() == theta0 {
                                    &start
                                } else {
                                    &SegmentationPath::new(c, max_breaks, min_segment)?
                                };
                                Ok(path.partition(m).expect("m is at most max_breaks"))
                            },
                            nb_cost,
                            refit,
                            theta0,
                        )?;
                        segs.push(s);
                        fits.push(Some(f));
                    }
                    (segs, fits)
                }
                None => {
                    let segs = SegmentationPath::new(cost.as_ref(), max_breaks, min_segment)?.partitions();
                    let fits = vec![None; segs.len()];
                    (segs, fits)
                }
            };
            let table: Vec<CandidateCount> = segs
                .iter()
                .zip(&fits)
                .map(|(s, f)| row(s, f.as_ref().map_or_else(|| loglik(s), |f| f.loglik)))
                .collect();
            let score = |r: &CandidateCount| if select == Criterion::Bic { r.bic } else { r.mbic };
            let best = match select {
                Criterion::Count(m) => m.min(table.len() - 1),
                _ => (0..table.len())
                    .min_by(|&a, &b| score(&table[a]).total_cmp(&score(&table[b])))
                    .expect("K >= 0"),
            };
            (segs[best].clone(), table, None, fits[best].clone())
        }
        Search::Pelt(p) => {
            let value = match p {
                Penalty::Bic => (pps + 1) as f64 * nf.ln() * cost.penalty_scale(),
                Penalty::Mbic => 3.0 * nf.ln() * cost.penalty_scale(),
                Penalty::Value(v) => v,
            };
            match null_theta {
                Some(theta0) => {
                    let (s, f) = negbin_alternation(|c| pelt(c, value, min_segment), nb_cost, refit, theta0)?;
                    (s, Vec::new(), Some(value), Some(f))
                }
                None => (pelt(cost.as_ref(), value, min_segment)?, Vec::new(), Some(value), None),
            }
        }
    };
    let bounds = chosen.bounds(n);
    let rss_pooled = chosen.cost / (n - bounds.len() + 1).max(1) as f64;
    let segments: Vec<SegmentSummary> = bounds
        .par_windows(2)
        .map(|w| -> Result<SegmentSummary> {
            let (a, b) = (w[0], w[1]);
            let count: f64 = y[a..b].iter().sum();
            let e: f64 = exposure.as_ref().map_or((b - a) as f64, |e| e[a..b].iter().sum());
            let level_interval = match model.family {
                Family::Poisson => garwood(count, e, level),
                Family::Negbin => {
                    let f = nb_fit.as_ref().expect("NB searches end with a refit");
                    let c = f.design_row(series.observations[a].periods[0]);
                    f.profile_interval_of(&c, level, f.bound_of(&c), None)?.map(f64::exp)
                }
                Family::Gaussian => {
                    let mean = count / (b - a) as f64;
                    let half = level.z() * (rss_pooled / (b - a) as f64).sqrt();
                    Interval {
                        estimate: Some(mean),
                        low: Some(mean - half),
                        high: Some(mean + half),
                        level: level.value(),
                        method: IntervalMethod::Wald,
                    }
                }
            };
            Ok(SegmentSummary {
                total: count,
                exposure: e,
                start: series.period(series.observations[a].periods[0]),
                end: series.period(series.observations[b - 1].periods[0]),
                n: b - a,
                level: level_interval,
            })
        })
        .collect::<Result<_>>()?;
    let mut ratio_factors = Vec::new();
    let rate_ratios = match &nb_fit {
        // The step coefficients follow the intercept, one per break.
        Some(f) => (0..chosen.breaks.len())
            .map(|j| {
                rate_ratio_interval(f, 1 + j, level).map(|(i, factor)| {
                    ratio_factors.push(factor.map(|b| b.estimate));
                    Some(i)
                })
            })
            .collect::<Result<Vec<_>>>()?,
        // Thousands of root searches after a PELT search: in parallel (each
        // depends on its two segments only).
        None => segments
            .par_windows(2)
            .map(|w: &[SegmentSummary]| {
                (model.family == Family::Poisson)
                    .then(|| exact_rate_ratio_counts(w[0].total, w[0].exposure, w[1].total, w[1].exposure, level))
                    .flatten()
            })
            .collect(),
    };
    Ok(MultipleBreaks {
        rate_ratios,
        ratio_factors,
        cost_name: cost.name(),
        table,
        breaks: chosen
            .breaks
            .iter()
            .map(|&i| series.period(series.observations[i].periods[0]))
            .collect(),
        positions: chosen.breaks.clone(),
        segments,
        penalty,
        theta: nb_fit.as_ref().and_then(|f| f.theta),
    })
}

/// NB segmentation with theta estimated: the best segmentation at fixed
/// theta (`find`, exact for that theta), then theta and the segment rates
/// refitted to it, alternated until the segmentation repeats. Each half-step
/// maximises the likelihood over its own parameters, so the log-likelihood
/// never falls; what is reported (log-likelihood, theta, intervals) comes
/// from the final refit, not from the fixed-theta cost.
fn negbin_alternation(
    find: impl Fn(&NegbinCost) -> Result<Segmentation>,
    cost_at: impl Fn(f64) -> NegbinCost,
    refit: impl Fn(&[usize]) -> Result<Fit>,
    theta0: f64,
) -> Result<(Segmentation, Fit)> {
    let mut theta = theta0;
    let mut previous: Option<(Segmentation, Fit)> = None;
    for _ in 0..MAX_ALTERNATIONS {
        let s = find(&cost_at(theta))?;
        if let Some((p, f)) = previous.take() {
            if p.breaks == s.breaks {
                return Ok((p, f));
            }
            // A new segmentation must not lower the likelihood; if rounding
            // says it does, keep the old one.
            let f_new = refit(&s.breaks)?;
            if f_new.loglik < f.loglik - 1e-9 * (1.0 + f.loglik.abs()) {
                return Ok((p, f));
            }
            theta = f_new.theta.unwrap_or(theta);
            previous = Some((s, f_new));
        } else {
            let f = refit(&s.breaks)?;
            theta = f.theta.unwrap_or(theta);
            previous = Some((s, f));
        }
    }
    Ok(previous.expect("at least one alternation"))
}

/// Alternations of segmentation and theta before the last one is kept.
const MAX_ALTERNATIONS: usize = 50;

/// Exact (Garwood) interval for a Poisson rate `count / exposure`.
///
/// Past `WILSON_HILFERTY_DF` (200,000) degrees of freedom the chi-square quantiles
/// come from the Wilson–Hilferty cube-root normal limit: statrs inverts the
/// gamma distribution by a search whose cost grows with the df (a count of
/// 2^53 took minutes), while the limit's relative error there is below 1e-8
/// (checked against the exact quantile in the tests).
pub fn garwood(count: f64, exposure: f64, level: Level) -> Interval {
    let alpha = 1.0 - level.value();
    let q = |df: f64, p: f64| {
        if df > WILSON_HILFERTY_DF {
            wilson_hilferty(df, p)
        } else {
            chi_square_quantile(df, p)
        }
    };
    let low = if count > 0.0 {
        q(2.0 * count, alpha / 2.0) / (2.0 * exposure)
    } else {
        0.0
    };
    let high = q(2.0 * count + 2.0, 1.0 - alpha / 2.0) / (2.0 * exposure);
    Interval {
        estimate: Some(count / exposure),
        low: Some(low),
        high: high.is_finite().then_some(high),
        level: level.value(),
        method: IntervalMethod::ExactPoisson,
    }
}

/// The chi-square `p` quantile with `df` degrees of freedom: the root of
/// the regularised lower incomplete gamma function, bracketed around the
/// Wilson–Hilferty value, which is within a few per cent of it from
/// `df = 2` up. (statrs' `inverse_cdf` brackets from 1 by doubling, which
/// costs thousands of segments' intervals several times as many
/// evaluations.)
fn chi_square_quantile(df: f64, p: f64) -> f64 {
    let cdf = |x: f64| {
        if x > 0.0 {
            statrs::function::gamma::gamma_lr(df / 2.0, x / 2.0)
        } else {
            0.0
        }
    };
    let guess = wilson_hilferty(df, p).max(f64::MIN_POSITIVE);
    // The approximation's relative error falls with df roughly as 1/df.
    brent_near(|x| cdf(x) - p, guess, 0.1 * guess / df, (0.0, f64::MAX), 1e-14 * guess).unwrap_or(f64::NAN)
}

/// Degrees of freedom past which [`garwood`] takes the Wilson–Hilferty limit.
const WILSON_HILFERTY_DF: f64 = 2e5;

/// The Wilson–Hilferty approximation of the chi-square `p` quantile with
/// `df` degrees of freedom: `df (1 - 2/(9 df) + z_p sqrt(2/(9 df)))^3`.
fn wilson_hilferty(df: f64, p: f64) -> f64 {
    let z = statrs::distribution::Normal::standard().inverse_cdf(p);
    let c = 2.0 / (9.0 * df);
    df * (1.0 - c + z * c.sqrt()).powi(3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::distribution::ChiSquared;

    #[test]
    #[allow(clippy::excessive_precision)]
    fn chi_square_quantile_matches_r_qchisq() {
        // R 4.2: sprintf("%.17g", qchisq(c(0.001, 0.025, 0.5, 0.975, 0.999), df)),
        // as printed.
        let r: [(f64, [f64; 5]); 5] = [
            (
                3.0,
                [
                    0.024297585815692732,
                    0.21579528262389788,
                    2.3659738843753377,
                    9.3484036044961449,
                    16.266236196238129,
                ],
            ),
            (
                8.0,
                [
                    0.85710482725684578,
                    2.1797307472526497,
                    7.3441214977017921,
                    17.534546139484647,
                    26.124481558376139,
                ],
            ),
            (
                50.0,
                [
                    24.673905271877263,
                    32.357363695658655,
                    49.334936733976846,
                    71.420195187506408,
                    86.660815190403127,
                ],
            ),
            (
                1001.0,
                [
                    868.4100116208657,
                    915.21333122044132,
                    1000.3334123243324,
                    1090.574735898763,
                    1144.9861668100878,
                ],
            ),
            (
                1.5e5,
                [
                    148313.10813948259,
                    148928.37907366268,
                    149999.33333386009,
                    151075.40953446625,
                    151698.29122009731,
                ],
            ),
        ];
        for (df, quantiles) in r {
            for (p, want) in [0.001, 0.025, 0.5, 0.975, 0.999].into_iter().zip(quantiles) {
                let got = chi_square_quantile(df, p);
                assert!(((got - want) / want).abs() < 1e-12, "df {df}, p {p}: {got} vs R {want}");
            }
        }
        // Two degrees of freedom in closed form, far into both tails.
        for p in [1e-10_f64, 1e-4, 0.5, 0.999] {
            let exact = -2.0 * (-p).ln_1p();
            let got = chi_square_quantile(2.0, p);
            assert!(((got - exact) / exact).abs() < 1e-12, "p {p}: {got} vs {exact}");
        }
    }

    #[test]
    fn wilson_hilferty_matches_the_exact_quantile_where_garwood_switches_to_it() {
        for df in [2e5, 1e6, 4e6] {
            let exact = ChiSquared::new(df).unwrap();
            for p in [0.005, 0.025, 0.5, 0.975, 0.995] {
                let (a, b) = (exact.inverse_cdf(p), wilson_hilferty(df, p));
                assert!(((a - b) / a).abs() < 1e-8, "df {df}, p {p}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn a_count_of_2_to_the_53_gets_its_interval_at_once() {
        let started = std::time::Instant::now();
        let i = garwood(9_007_199_254_740_992.0, 1.0, Level::default());
        assert!(started.elapsed().as_secs_f64() < 0.1);
        let (low, high) = (i.low.unwrap(), i.high.unwrap());
        // +- 1.96 sqrt(count), to the digits an f64 holds.
        let half = 1.959_963_984_540_054 * 9_007_199_254_740_992.0f64.sqrt();
        assert!((9_007_199_254_740_992.0 - low - half).abs() < 2.0, "{low}");
        assert!((high - 9_007_199_254_740_992.0 - half).abs() < 3.0, "{high}");
    }
}
