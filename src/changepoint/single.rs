//! One break at an unknown date.
//!
//! For every admissible date `tau` (the first period of the new regime, with at
//! least `min_segment` observations on each side) the profile log-likelihood
//! `l(tau)` of the model plus `step@tau` (or, by [`BreakKind`], the hinge
//! `slope@tau`, or both); the sup-LR statistic
//! `2 (max l(tau) - l_0)`; its p-value by parametric bootstrap under the fitted
//! null (replicate `b` draws from ChaCha8 seeded with `seed`, stream `b`, so
//! results do not depend on the number of threads) and, labelled as such, the
//! asymptotic approximation; a confidence set for the date by inverting the
//! likelihood ratio; and the posterior over dates under a uniform prior.
//!
//! Confidence set, by inverting a test of each date: `tau` is kept when
//! the bootstrap p-value of `D(tau) = 2 (l(tau_hat) - l(tau))`, the share of
//! replicates from the model fitted with the break at `tau` (stream `1 + tau`
//! of the seed; at most [`SET_REPLICATES`] per date) whose statistic is at
//! least `D(tau)`, exceeds `1 - level`. Each replicate first draws the
//! coefficients from their asymptotic normal distribution at `tau`, then the
//! data: how sharply a break is located depends on the jump size, and a
//! plug-in jump makes the set too small. The statistic is discrete (often
//! exactly 0), so p-values, not quantiles, keep the coverage at or above the
//! level. Dates are tested in order of `D`, stopping once `D` exceeds twice
//! the best date's 95% bootstrap quantile plus 10; each date's replicates
//! are drawn until its decision is certain. With no bootstrap, the cut-off
//! is the chi-square(2) quantile.
//!
//! The reported set is that set joined with the highest-posterior set at
//! the level. The test inversion trusts the step model: on the drone series,
//! whose rate ramps over August and September 2024, its replicates put the
//! break at one month almost every time (quantile 0 at the best date), so it
//! kept 2024-09 alone while the posterior gave 2024-08 a third. The union
//! covers at least as often as either set and never leaves out a date the
//! data do not tell apart from the best.
//!
//! Asymptotic p-value: the sup-LR of one parameter with trimming
//! `pi0 = min_segment / n` has Andrews' (1993) limit; its tail is approximated
//! by `sqrt(c) exp(-c/2) / sqrt(2 pi) [log((1-pi0)^2/pi0^2) (1 - 1/c) + 4/c]`
//! (James, James and Siegmund 1987), which reproduces Andrews' 5% and 1%
//! critical values 8.85 and 12.35 at `pi0 = 0.15`.
//!
//! The profile at each date re-estimates every nuisance parameter (common
//! terms, NB theta, the Gaussian variance; see `changepoint::scan`), in the data
//! and in every bootstrap replicate alike, so the LR at a date is that of
//! `test --at` the date.
//!
//! A gap of missing periods: every date from the period after the last
//! observation before the gap to the first after it splits the observations
//! alike, so the data cannot tell them apart; the candidate is that range
//! (`dates_from[i]..=dates[i]`), the profile, posterior and date set list
//! it once, and `--min-segment` counts observations. The prior is uniform
//! over periods, so a range of `w` periods has prior weight `w`: a long gap
//! draws posterior mass in proportion to its length, as in an exact
//! posterior over every period.
//!
//! Posterior: for an intercept-only Poisson model (with exposure) in closed
//! form, with independent Gamma(`shape`, `rate`) priors on the two segment
//! rates (default shape 0.5, rate 0: Jeffreys-type; the improper constant is
//! the same for every date and cancels); otherwise proportional to
//! `exp(l(tau))` (a profile-likelihood approximation, labelled).
//!
//! # References
//! - Andrews, D. W. K. (1993). Tests for parameter instability and structural
//!   change with unknown change point. *Econometrica* 61, 821–856.
//! - James, B., James, K. L. and Siegmund, D. (1987). Tests for a change-point.
//!   *Biometrika* 74, 71–83.

use ndarray::{Array1, Array2};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::Serialize;
use statrs::function::gamma::ln_gamma;

use super::cost::PoissonCost;
pub use super::kind::BreakKind;
use super::known::rate_ratio_interval;
use super::scan::Scan;
use super::sliding::Near;
use crate::data::{Period, Series};
use crate::error::{Result, SpecError};
use crate::inference::{Alternative, CovarianceKind, Interval, Level, TestMethod, TestResult, root_of};
use crate::model::fit::fit_matrix;
use crate::model::{Family, Fit, ModelSpec, fit};
use crate::simulate::stream_rng;

/// Bootstrap replicates of the sup-LR p-value and the date set, unless told
/// otherwise (`detect`, `report`).
pub const DEFAULT_BOOTSTRAP: usize = 999;

/// Gamma prior on a segment rate (shape, rate); rate 0 is the improper limit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GammaPrior {
    /// Shape, > 0.
    pub shape: f64,
    /// Rate, >= 0.
    pub rate: f64,
}

impl Default for GammaPrior {
    fn default() -> GammaPrior {
        GammaPrior { shape: 0.5, rate: 0.0 }
    }
}

impl GammaPrior {
    /// The prior with `shape` and `rate`.
    ///
    /// # Errors
    /// [`SpecError::Prior`] unless the shape is positive and finite and the
    /// rate finite and at least 0.
    pub fn new(shape: f64, rate: f64) -> Result<GammaPrior> {
        let prior = GammaPrior { shape, rate };
        prior.check()?;
        Ok(prior)
    }

    /// Its rule, checked where a search starts (the fields are public).
    fn check(&self) -> Result<()> {
        let GammaPrior { shape, rate } = *self;
        if shape.is_finite() && shape > 0.0 && rate.is_finite() && rate >= 0.0 {
            Ok(())
        } else {
            Err(SpecError::Prior { shape, rate }.into())
        }
    }
}

/// What to search.
#[derive(Debug, Clone)]
pub struct DetectSpec {
    /// The model without the break (family, common terms, offset).
    pub model: ModelSpec,
    /// Fewest observations on each side of a break.
    pub min_segment: usize,
    /// Bootstrap replicates (0 for none).
    pub bootstrap: usize,
    /// Seed of the bootstrap.
    pub seed: u64,
    /// Confidence level of the date set and the intervals.
    pub level: Level,
    /// Prior on segment rates for the closed-form posterior.
    pub prior: GammaPrior,
    /// What changes at the break.
    pub kind: BreakKind,
}

/// How to run the Monte Carlo work of a search (not what it estimates).
#[derive(Default)]
pub struct RunOptions<'a> {
    /// Sequential p-value (Besag and Clifford 1991): stop the bootstrap
    /// once this many replicates reach the observed statistic.
    pub sequential: Option<usize>,
    /// Told, before the bootstrap starts, how long it is expected to take.
    pub notice: Option<&'a (dyn Fn(std::time::Duration) + Sync)>,
    /// Date the break by the chi-square(2) inversion instead of the
    /// bootstrap one (a first pass over many series, before the ones
    /// flagged at the false discovery rate get theirs).
    pub skip_set_bootstrap: bool,
    /// Leave out the sup-LR bootstrap (the date set alone is wanted: a
    /// break of several, dated between its neighbours).
    pub skip_p_value_bootstrap: bool,
}

/// The result of the search.
#[derive(Debug, Clone)]
pub struct SingleBreak {
    /// Candidate dates (first periods of the new regime): the first period
    /// of the observation that opens the new regime.
    pub dates: Vec<Period>,
    /// Per candidate, the earliest first period with the same fit: after a
    /// gap of missing periods every date from the period after the previous
    /// observation to `dates[i]` splits the observations alike, so the
    /// candidate is the range `dates_from[i]..=dates[i]`.
    pub dates_from: Vec<Period>,
    /// Profile log-likelihood at each date.
    pub profile: Vec<f64>,
    /// Log-likelihood of the model without a break.
    pub null_loglik: f64,
    /// Index into `dates` of the maximum.
    pub best: usize,
    /// `2 (max l - l_0)`.
    pub sup_lr: f64,
    /// The sup-LR test by parametric bootstrap (`(1 + #{sup* >= sup}) / (B +
    /// 1)`, or sequential), when B > 0.
    pub bootstrap_test: Option<TestResult>,
    /// The sup-LR test against its asymptotic limit (one changing
    /// parameter only).
    pub asymptotic_test: Option<TestResult>,
    /// Indices into `dates` of the confidence set: the union of `set_lr`
    /// and `set_posterior`.
    pub set: Vec<usize>,
    /// The set by inverting the LR test of each date.
    pub set_lr: Vec<usize>,
    /// The smallest set of dates holding `level` of the posterior.
    pub set_posterior: Vec<usize>,
    /// The bootstrap cut-off at the best date (the set uses each date's own).
    pub set_cutoff: f64,
    /// How the cut-off was found.
    pub set_method: &'static str,
    /// The date set's replicates that could not be drawn (a mean
    /// overflowed): left out of the cut-off, and counted as reaching a
    /// date's statistic (the date is kept).
    pub set_undrawable: usize,
    /// Posterior probability of each date.
    pub posterior: Vec<f64>,
    /// How the posterior was computed.
    pub posterior_method: &'static str,
    /// The model with the step at the best date.
    pub fit_at_best: Fit,
    /// Per-period level before the break (rate for log link, mean for Gaussian).
    pub rate_before: Interval,
    /// ... after it.
    pub rate_after: Interval,
    /// Ratio after / before of the level jump (log-link families, a level
    /// break), profile interval at the best date.
    pub rate_ratio: Option<Interval>,
    /// What changed at the break.
    pub kind: BreakKind,
    /// A slope change: the factor by which the rate's growth per period
    /// changes, `exp` of the hinge coefficient (log-link families), profile
    /// interval at the best date.
    pub slope_ratio: Option<Interval>,
}

fn with_break(model: &ModelSpec, kind: BreakKind, at: Period) -> ModelSpec {
    let mut spec = model.clone();
    spec.terms.extend(kind.terms(at));
    spec
}

/// Draws responses with the given observation means from the family of
/// `fit` ([`Family::draw`]); `None` when a mean cannot be drawn.
pub(crate) fn draw_like(fit: &Fit, means: &[f64], sizes: &[f64], rng: &mut ChaCha8Rng) -> Option<Vec<f64>> {
    fit.spec.family.draw_all(means, sizes, fit.dispersion(), rng).ok()
}

/// Asymptotic tail probability of the sup-LR of one parameter with trimming
/// `pi0` (see the module docs).
pub fn sup_lr_asymptotic_p(statistic: f64, pi0: f64) -> f64 {
    if statistic <= 0.0 {
        return 1.0;
    }
    let c = statistic;
    let log_term = ((1.0 - pi0).powi(2) / (pi0 * pi0)).ln();
    let p = c.sqrt() * (-c / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt() * (log_term * (1.0 - 1.0 / c) + 4.0 / c);
    p.clamp(0.0, 1.0)
}

/// The candidate dates and how to scan them.
struct Prepared {
    scan: Scan,
    dates_from: Vec<Period>,
    positions: Vec<usize>,
    dates: Vec<Period>,
    y: Vec<f64>,
    sizes: Vec<f64>,
    closed: bool,
    n: usize,
    h: usize,
}

fn prepare(series: &Series, spec: &DetectSpec) -> Result<Prepared> {
    spec.prior.check()?;
    // One observation per period: candidates are observations; with run rows,
    // every period (a break may fall inside a run, whose mean then sums both regimes).
    let simple = series.is_simple();
    let (n, unit) = if simple {
        (series.n_obs(), "observations")
    } else {
        (series.n_periods, "periods")
    };
    let h = spec.min_segment.max(1);
    if n < 2 * h {
        return Err(SpecError::NoRoomForOneBreak {
            series: series.source.clone(),
            n,
            unit,
            min_segment: h,
        }
        .into());
    }
    let positions: Vec<usize> = (h..=n - h).collect();
    let dates: Vec<Period> = if simple {
        positions
            .iter()
            .map(|&i| series.period(series.observations[i].periods[0]))
            .collect()
    } else {
        positions.iter().map(|&t| series.period(t)).collect()
    };
    if spec.model.family == Family::Gaussian && series.observations.windows(2).all(|w| w[0].y == w[1].y) {
        return Err(SpecError::ConstantGaussian {
            series: series.source.clone(),
        }
        .into());
    }
    let dates_from: Vec<Period> = if simple {
        positions
            .iter()
            .map(|&i| series.period(series.observations[i - 1].periods[0] + 1))
            .collect()
    } else {
        dates.clone()
    };
    let y: Vec<f64> = series.observations.iter().map(|o| o.y).collect();
    let sizes: Vec<f64> = series.observations.iter().map(|o| o.periods.len() as f64).collect();
    let scan = Scan::new(series, &spec.model, &dates, spec.kind)?;
    let closed = scan.is_closed();
    Ok(Prepared {
        scan,
        dates_from,
        positions,
        dates,
        y,
        sizes,
        closed,
        n,
        h,
    })
}

/// The earliest date whose profile log-likelihood is within rounding
/// (1e-9 relative) of the maximum. Dates inside a run of zero counts tie
/// exactly in theory, and a strict maximum would let rounding noise of
/// 1e-13 pick among them, so the answer could change with the order of a sum.
fn best_index(profile: &[f64]) -> usize {
    let top = profile.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let tolerance = 1e-9 * (1.0 + top.abs());
    profile.iter().position(|&l| l >= top - tolerance).unwrap_or(0)
}

/// The date of the profile-likelihood maximum only (no p-value, set or
/// intervals): what `step@auto` needs.
///
/// # Errors
/// As [`detect_single`].
pub fn best_date(series: &Series, spec: &DetectSpec) -> Result<Period> {
    let p = prepare(series, spec)?;
    let profile = p.scan.near_top(&p.y, &p.positions)?;
    Ok(p.dates[best_index(&profile)])
}

/// Searches for one break.
///
/// # Errors
/// [`SpecError`] when the series is too short for two segments of
/// `min_segment`, or the model already has a step; fitting errors otherwise.
pub fn detect_single(series: &Series, spec: &DetectSpec) -> Result<SingleBreak> {
    detect_single_with(series, spec, &RunOptions::default())
}

/// As [`detect_single`], with run options.
///
/// The sequential p-value is `h / L` when the `h`-th exceedance comes at
/// replicate `L <= B`, else `(1 + k) / (B + 1)`. Replicates are computed
/// in parallel in blocks but counted in index order, each from its own
/// random stream, so `L` and the p-value do not depend on the threads.
///
/// # Errors
/// As [`detect_single`].
pub fn detect_single_with(series: &Series, spec: &DetectSpec, options: &RunOptions) -> Result<SingleBreak> {
    let Prepared {
        scan,
        dates_from,
        positions,
        dates,
        y,
        sizes,
        closed,
        n,
        h,
    } = prepare(series, spec)?;
    let started = std::time::Instant::now();
    let (profile, null_loglik) = scan.profile(&y, &positions, true)?;
    let per_scan = started.elapsed();
    let best = best_index(&profile);
    let sup_of = |profile: &[f64], null: f64| 2.0 * (profile.iter().copied().fold(f64::NEG_INFINITY, f64::max) - null);
    let sup_lr = sup_of(&profile, null_loglik).max(0.0);

    let null_fit = fit(&spec.model, series)?;
    let fit_at_best = fit(&with_break(&spec.model, spec.kind, dates[best]), series)?;
    let b_count = spec.bootstrap;
    if let (Some(notice), true) = (options.notice, b_count > 0) {
        // The data's scan timed; the p-value takes B scans, the date set up
        // to 199 per date tested (a handful), shared over the threads.
        let scans = if options.skip_p_value_bootstrap { 0 } else { b_count } + 5 * b_count.min(SET_REPLICATES);
        notice(per_scan * scans as u32 / rayon::current_num_threads().max(1) as u32);
    }
    let bootstrap_test = (b_count > 0 && !options.skip_p_value_bootstrap)
        .then(|| {
            sup_lr_bootstrap(
                &scan,
                &positions,
                &sizes,
                &null_fit,
                sup_lr,
                (spec.seed, b_count, options.sequential),
            )
        })
        .transpose()?;
    // Andrews' limit is that of a level shift in one parameter; a slope
    // change's sup-LR has another limit, so only its bootstrap is given.
    let one_parameter = spec.kind == BreakKind::Level && (spec.model.family != Family::Gaussian || closed);
    let trimming = h as f64 / n as f64;
    let asymptotic_test = one_parameter.then(|| TestResult {
        statistic: sup_lr,
        p_value: sup_lr_asymptotic_p(sup_lr, trimming),
        df: 1.0,
        alternative: Alternative::TwoSided,
        method: TestMethod::SupLrLimit { trimming },
    });

    // The prior is uniform over periods: a candidate range after a gap
    // holds one date per period in it, so it weighs their number.
    let log_width: Vec<f64> = dates
        .iter()
        .zip(&dates_from)
        .map(|(d, f)| ((d.steps_since(*f) + 1) as f64).ln())
        .collect();
    let weighted = |logs: &[f64]| -> Vec<f64> { logs.iter().zip(&log_width).map(|(l, w)| l + w).collect() };
    let (posterior, posterior_method) = match &scan {
        Scan::ClosedPoisson { exposure } => {
            let c = PoissonCost::relative(&y, exposure.as_deref());
            let log_marginal = |a: usize, b: usize| {
                let (yy, e) = c.totals(a, b);
                let GammaPrior { shape, rate } = spec.prior;
                ln_gamma(shape + yy) - (shape + yy) * (rate + e).ln()
            };
            let logs: Vec<f64> = positions
                .iter()
                .map(|&i| log_marginal(0, i) + log_marginal(i, n))
                .collect();
            (
                normalise(&weighted(&logs)),
                "exact: uniform prior on the date, independent Gamma priors on the two rates",
            )
        }
        _ => (
            normalise(&weighted(&profile)),
            "profile-likelihood approximation: uniform prior on the date, posterior proportional to exp(profile log-likelihood)",
        ),
    };

    // Date set by test inversion: date i is in the set when its statistic
    // D(i) = 2 (l(best) - l(i)) is within the `level` quantile of the same
    // statistic in a parametric bootstrap from the model with the break at i.
    let top = profile[best];
    let gap: Vec<f64> = profile.iter().map(|l| 2.0 * (top - l)).collect();
    // Each date's test draws at most SET_REPLICATES series: its p-value
    // (1 + k) / (B + 1) is valid for any B, and the set's cost is one scan
    // per replicate per date tested.
    let set_b = b_count.min(SET_REPLICATES);
    let (set_lr, set_cutoff, set_method, set_undrawable) = if b_count > 0 && !options.skip_set_bootstrap {
        let (set, cutoff, undrawable) = date_set_by_bootstrap(
            series,
            spec,
            &Replicated {
                scan: &scan,
                positions: &positions,
                sizes: &sizes,
                dates: &dates,
                null_fit: &null_fit,
            },
            &gap,
            best,
            set_b,
        )?;
        (
            set,
            cutoff,
            "test inversion (a date is kept when the bootstrap p-value of its likelihood ratio against the best date, under the model with the break at that date, exceeds 1 - level), joined with the highest-posterior set",
            undrawable,
        )
    } else {
        let chi2_2 = -2.0 * (1.0 - spec.level.value()).ln();
        let set = (0..profile.len()).filter(|&i| gap[i] <= chi2_2 + 1e-9).collect();
        (
            set,
            chi2_2,
            if b_count > 0 {
                "likelihood-ratio inversion, chi-square(2) cut-off (the bootstrap set is computed for the series flagged at the false discovery rate), joined with the highest-posterior set"
            } else {
                "likelihood-ratio inversion, chi-square(2) cut-off (no bootstrap), joined with the highest-posterior set"
            },
            0,
        )
    };
    // The highest-posterior set at the level, and the reported set: the
    // union. The test inversion assumes the step model; when the data move
    // between regimes more gradually than a step (a ramp over two months),
    // its replicates locate the break more sharply than the data do and it
    // can exclude a date holding a third of the posterior. The union never
    // excludes such a date, and covers at least as often as either set.
    let set_posterior = highest_posterior_set(&posterior, spec.level.value());
    let mut set: Vec<usize> = set_lr.iter().chain(&set_posterior).copied().collect();
    set.sort_unstable();
    set.dedup();

    let at = series.index_of(dates[best]).expect("candidate dates lie in the series");
    // The fit whose profile likelihood gives the intervals, and its design
    // rows before and after the break.
    let totals_fit;
    let (interval_fit, row_before, row_after) = match &scan {
        Scan::ClosedPoisson { exposure } => {
            totals_fit = segment_totals_fit(&y, exposure.as_deref(), positions[best])?;
            (&totals_fit, vec![1.0, 0.0], vec![1.0, 1.0])
        }
        _ => (&fit_at_best, fit_at_best.design_row(at - 1), fit_at_best.design_row(at)),
    };
    let level = spec.level;
    let log_link = interval_fit.spec.family.log_link();
    let rate_of = |c: &[f64]| -> Result<Interval> {
        let i = interval_fit.profile_interval_of(c, level, interval_fit.bound_of(c), None)?;
        Ok(if log_link { i.map(f64::exp) } else { i })
    };
    let rate_before = rate_of(&row_before)?;
    let rate_after = rate_of(&row_after)?;
    // The break's coefficients come last: the step, then the hinge.
    let last = interval_fit.beta.len() - 1;
    let ratio_at = |j: usize| -> Result<Option<Interval>> {
        log_link
            .then(|| Ok(rate_ratio_interval(interval_fit, j, level)?.0))
            .transpose()
    };
    let (rate_ratio, slope_ratio) = match spec.kind {
        BreakKind::Level => (ratio_at(last)?, None),
        BreakKind::Slope => (None, ratio_at(last)?),
        BreakKind::Both => (ratio_at(last - 1)?, ratio_at(last)?),
    };
    Ok(SingleBreak {
        dates,
        dates_from,
        profile,
        null_loglik,
        best,
        sup_lr,
        bootstrap_test,
        asymptotic_test,
        set,
        set_lr,
        set_posterior,
        set_cutoff,
        set_method,
        set_undrawable,
        posterior,
        posterior_method,
        fit_at_best,
        rate_before,
        rate_after,
        rate_ratio,
        kind: spec.kind,
        slope_ratio,
    })
}

/// What a bootstrap of the scan replicates: the scan over its positions
/// (the observations' sizes), the candidate dates and the null fit.
struct Replicated<'a> {
    scan: &'a Scan,
    positions: &'a [usize],
    sizes: &'a [f64],
    dates: &'a [Period],
    null_fit: &'a Fit,
}

/// The date set by test inversion: date `i` is kept when the bootstrap
/// p-value of its distance `gap[i]` from the best date, over `set_b`
/// replicates drawn from the model with the break at `i` (its coefficients
/// drawn from their sampling distribution), exceeds `1 - level`. Returns
/// the set, the best date's cut-off and the replicates that could not be
/// drawn.
fn date_set_by_bootstrap(
    series: &Series,
    spec: &DetectSpec,
    r: &Replicated,
    gap: &[f64],
    best: usize,
    set_b: usize,
) -> Result<(Vec<usize>, f64, usize)> {
    let Replicated {
        scan,
        positions,
        sizes,
        dates,
        null_fit,
    } = *r;
    // Replicate b of date i: the fit with the break at i, its
    // coefficients drawn from their sampling distribution (so that the
    // set allows for the uncertain jump size), then the data.
    let sizes = &sizes;
    // It returns the fit's parameters too, where each replicate's walk starts.
    let drawer = |i: usize| -> Result<_> {
        let at_i = fit(&with_break(&spec.model, spec.kind, dates[i]), series)?;
        let root = root_of(&at_i.covariance_matrix(CovarianceKind::Model)?);
        let start = (at_i.beta.clone(), at_i.theta);
        Ok((start, move |b: usize| -> Option<Vec<f64>> {
            let p = at_i.beta.len();
            let mut rng = stream_rng(spec.seed, 1 + i as u64, b);
            let z = nalgebra::DVector::from_iterator(p, (0..p).map(|_| StandardNormal.sample(&mut rng)));
            let beta: Vec<f64> = (nalgebra::DVector::from_column_slice(&at_i.beta) + &root * z)
                .iter()
                .copied()
                .collect();
            let means = at_i.means_at(&beta);
            draw_like(&at_i, &means, sizes, &mut rng)
        }))
    };
    fn near<'a>(null_fit: &'a Fit, start: &'a (Vec<f64>, Option<f64>)) -> Near<'a> {
        Near {
            null: (&null_fit.beta, null_fit.theta),
            step: Some((&start.0, start.1)),
        }
    }
    let alpha = 1.0 - spec.level.value();
    // The best date's statistics in full: its 95% quantile is the cut-off
    // reported and drawn in the profile plot.
    // Replicates that cannot be drawn are counted; the cut-off is the
    // quantile of the others, and in a date's test they count as
    // reaching its statistic (keeping the date: the conservative choice).
    let set_undrawable = std::sync::atomic::AtomicUsize::new(0);
    let undrawn = || {
        set_undrawable.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    };
    let cutoff = {
        let (start, draw) = drawer(best)?;
        let mut stats = (0..set_b)
            .into_par_iter()
            .map(|b| match draw(b) {
                Some(y) => scan
                    .top_from(&y, positions, best, near(null_fit, &start))
                    .map(|([at_best, top], _)| Some(2.0 * (top - at_best))),
                None => {
                    undrawn();
                    Ok(None)
                }
            })
            .collect::<Result<Vec<Option<f64>>>>()?
            .into_iter()
            .flatten()
            .collect::<Vec<f64>>();
        stats.sort_by(f64::total_cmp);
        let m = stats.len();
        if m == 0 {
            return Err(crate::model::Undrawable { mean: f64::INFINITY }.into());
        }
        stats[((spec.level.value() * m as f64).ceil() as usize).clamp(1, m) - 1]
    };
    // Date i is kept when at least `keep_at` of its `set_b` replicates
    // reach D(i) (p-value (1 + k) / (set_b + 1) > 1 - level). Replicates
    // are drawn in blocks, in index order, until that is decided either
    // way: the same set as drawing all of them, for a fraction of the
    // cost, since a date well inside the set is decided after a few
    // dozen and each such replicate's walk stops at the first date
    // past D(i).
    let keep_at = (0..=set_b)
        .find(|&k| (1 + k) as f64 / (set_b + 1) as f64 > alpha)
        .unwrap_or(set_b + 1);
    let block = 8 * rayon::current_num_threads().max(1);
    let kept = |i: usize| -> Result<bool> {
        let (start, draw) = drawer(i)?;
        let (mut drawn, mut reached) = (0, 0);
        while reached < keep_at && reached + (set_b - drawn) >= keep_at {
            let end = (drawn + block).min(set_b);
            let hits = (drawn..end)
                .into_par_iter()
                .map(|b| match draw(b) {
                    Some(y) => scan.exceeds(&y, positions, i, gap[i] - 1e-9, near(null_fit, &start)),
                    None => {
                        undrawn();
                        Ok(true)
                    }
                })
                .collect::<Result<Vec<bool>>>()?;
            reached += hits.iter().filter(|&&h| h).count();
            drawn = end;
        }
        Ok(reached >= keep_at)
    };
    // Dates in order of D; stop once D is far above the best date's cut-off.
    let mut order: Vec<usize> = (0..gap.len()).collect();
    order.sort_by(|&a, &b| gap[a].total_cmp(&gap[b]).then(a.cmp(&b)));
    let mut set = Vec::new();
    for i in order {
        if gap[i] > 2.0 * cutoff + 10.0 {
            break;
        }
        if i == best || kept(i)? {
            set.push(i);
        }
    }
    set.sort_unstable();
    Ok((set, cutoff, set_undrawable.into_inner()))
}

/// The sup-LR test by parametric bootstrap under `null_fit`: `b_count`
/// replicates from seed `seed` (stream 0), each scanned from the
/// parameters it was drawn from; with `sequential` the Besag-Clifford stop
/// after `h` exceedances. A replicate that cannot be drawn counts as an
/// exceedance and is reported.
fn sup_lr_bootstrap(
    scan: &Scan,
    positions: &[usize],
    sizes: &[f64],
    null_fit: &Fit,
    sup_lr: f64,
    (seed, b_count, sequential): (u64, usize, Option<usize>),
) -> Result<TestResult> {
    let means = null_fit.fitted.clone();
    // A replicate that cannot be drawn (`None`) counts as reaching the
    // observed statistic: the conservative choice.
    let replicate = |b: usize| -> Result<Option<f64>> {
        let Some(y_b) = draw_like(null_fit, &means, sizes, &mut stream_rng(seed, 0, b)) else {
            return Ok(None);
        };
        let near = Near {
            null: (&null_fit.beta, null_fit.theta),
            step: None,
        };
        scan.top_from(&y_b, positions, 0, near)
            .map(|([_, top], null)| Some(2.0 * (top - null)))
    };
    let reaches = |s: f64| s >= sup_lr - 1e-9 * sup_lr.abs().max(1.0);
    let block = 8 * rayon::current_num_threads().max(1);
    let (mut drawn, mut exceed, mut undrawable) = (0, 0, 0);
    let mut stopped = false;
    while drawn < b_count && !stopped {
        let end = (drawn + block).min(b_count);
        let sups = (drawn..end)
            .into_par_iter()
            .map(replicate)
            .collect::<Result<Vec<Option<f64>>>>()?;
        for s in sups {
            drawn += 1;
            undrawable += usize::from(s.is_none());
            exceed += usize::from(s.is_none_or(reaches));
            if sequential.is_some_and(|h| exceed >= h) {
                stopped = true;
                break;
            }
        }
    }
    let (p_value, method) = match sequential {
        Some(h) if stopped => (
            exceed as f64 / drawn as f64,
            TestMethod::SequentialBootstrap {
                h,
                budget: b_count,
                replicates: drawn,
                exceedances: exceed,
                undrawable,
            },
        ),
        Some(h) => (
            (1 + exceed) as f64 / (b_count + 1) as f64,
            TestMethod::SequentialBootstrap {
                h,
                budget: b_count,
                replicates: drawn,
                exceedances: exceed,
                undrawable,
            },
        ),
        None => (
            (1 + exceed) as f64 / (b_count + 1) as f64,
            TestMethod::Bootstrap {
                replicates: drawn,
                exceedances: exceed,
                undrawable,
            },
        ),
    };
    Ok(TestResult {
        statistic: sup_lr,
        p_value,
        df: 1.0,
        alternative: Alternative::TwoSided,
        method,
    })
}

/// The Poisson two-rate fit on the segment totals either side of `split`:
/// the totals are sufficient, so its profile likelihood ratios for the two
/// rates and their ratio are those of the full fit, at O(1) instead of
/// O(n) per evaluation (the intervals at n = 10^6 took minutes).
fn segment_totals_fit(y: &[f64], exposure: Option<&[f64]>, split: usize) -> Result<Fit> {
    let totals = |range: std::ops::Range<usize>| {
        let e = exposure.map_or(range.len() as f64, |e| e[range.clone()].iter().sum());
        (y[range].iter().sum::<f64>(), e)
    };
    let (y_before, e_before) = totals(0..split);
    let (y_after, e_after) = totals(split..y.len());
    let step = Array2::from_shape_vec((2, 1), vec![0.0, 1.0]).expect("two rows of one column");
    let offset = Array1::from(vec![e_before.ln(), e_after.ln()]);
    fit_matrix(
        Family::Poisson,
        step.view(),
        Array1::from(vec![y_before, y_after]).view(),
        Some(offset.view()),
        true,
    )
}

/// Replicates per date of the date set's test inversion.
pub const SET_REPLICATES: usize = 199;

/// The fewest dates, taken in order of probability, whose posterior mass
/// reaches `level` (indices, ascending).
fn highest_posterior_set(posterior: &[f64], level: f64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..posterior.len()).collect();
    order.sort_by(|&a, &b| posterior[b].total_cmp(&posterior[a]).then(a.cmp(&b)));
    let mut mass = 0.0;
    let mut set = Vec::new();
    for i in order {
        if mass >= level - 1e-12 {
            break;
        }
        mass += posterior[i];
        set.push(i);
    }
    set.sort_unstable();
    set
}

/// Probabilities proportional to `exp(logs)`; an infinite top value shares
/// the mass among the dates that reach it, and all `-inf` gives a uniform.
fn normalise(logs: &[f64]) -> Vec<f64> {
    let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = if top.is_finite() {
        logs.iter().map(|l| (l - top).exp()).collect()
    } else {
        logs.iter().map(|&l| if l == top { 1.0 } else { 0.0 }).collect()
    };
    let total: f64 = w.iter().sum();
    w.iter().map(|v| v / total).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_asymptotic_tail_reproduces_andrews_critical_values() {
        assert!((sup_lr_asymptotic_p(8.85, 0.15) - 0.05).abs() < 0.002);
        assert!((sup_lr_asymptotic_p(12.35, 0.15) - 0.01).abs() < 0.0005);
    }

    /// One sampler, one failure: a mean that overflowed is the same typed
    /// error from simulate and the forecast, and the bootstrap's draw gives
    /// no series (a replicate it counts as an exceedance), never a count.
    #[test]
    fn an_overflowing_mean_is_one_typed_error_everywhere() {
        use crate::data::read_series;
        use crate::forecast::{ForecastSpec, FutureExposure, forecast};
        use crate::model::{ModelSpec, Term, Undrawable};
        use crate::simulate::{SimulationSpec, draw};
        use rand::SeedableRng;

        let overflowed = Undrawable { mean: f64::INFINITY };
        for family in [Family::Poisson, Family::Negbin, Family::Gaussian] {
            let mut rng = ChaCha8Rng::seed_from_u64(1);
            assert_eq!(
                family.draw(f64::INFINITY, 1.0, crate::model::Dispersion::of(family, 2.0), &mut rng),
                Err(overflowed)
            );
            let spec = SimulationSpec {
                family,
                terms: vec![Term::Intercept],
                coefficients: vec![0.0],
                theta: Some(2.0),
                sigma: Some(2.0),
                use_offset: false,
            };
            match draw(&spec, &[1.0, f64::INFINITY], &mut rng) {
                Err(crate::Error::Undrawable(e)) => assert_eq!(e, overflowed),
                other => panic!("{family:?}: simulate gave {other:?}"),
            }
        }
        // A steep trend forecast far ahead overflows.
        let csv: String = std::iter::once("period,count\n".to_owned())
            .chain((1..=12).map(|t| format!("{t},{}\n", 1u64 << t)))
            .collect();
        let series = read_series(csv.as_bytes(), "steep.csv").unwrap();
        let spec = ModelSpec {
            family: Family::Poisson,
            terms: vec![Term::Intercept, Term::Trend],
            use_offset: false,
        };
        let steep = fit(&spec, &series).unwrap();
        let far = ForecastSpec {
            horizon: 2000,
            draws: 10,
            seed: 1,
            level: Level::new(0.95).unwrap(),
            exposure: FutureExposure::LastYearMean,
            parameter_uncertainty: true,
        };
        match forecast(&steep, &series, &far) {
            Err(crate::Error::Undrawable(e)) => assert!(e.mean > 1e18, "{e:?}"),
            other => panic!("forecast gave {other:?}"),
        }
        // The bootstrap's draw: no series, where it used to put a zero count.
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(draw_like(&steep, &[3.0, f64::INFINITY], &[1.0, 1.0], &mut rng), None);
        assert!(draw_like(&steep, &[3.0, 4.0], &[1.0, 1.0], &mut rng).is_some());
    }
}
