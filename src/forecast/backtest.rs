//! Rolling-origin evaluation: for every origin `o` from `origin_from` on,
//! each model is fitted to the observations before `o`, forecasts the next
//! `horizon` periods (with the realised exposure of those periods, so that
//! models are compared on the counts, not on guessing exposure), and is
//! scored against what happened. `step@auto` places a step at the date that
//! `detect` finds in the training window. Naive baselines
//! ([`super::baseline`]) are scored beside the models.
//!
//! - Point forecasts: MAE uses the predictive median, RMSE the mean.
//! - Log score and RPS: of the mixture over all `draws` parameter draws
//!   ([`super::scores`]). Every model forecasts an origin from the same seed
//!   and so the same random numbers (common random numbers), which makes
//!   the Monte Carlo noise of a difference between models smaller than that
//!   of either score.
//! - Monte Carlo standard error of a mean score: from the per-draw
//!   influences, summed over the steps of an origin (one set of parameter
//!   draws serves all its steps) and added over origins (independent draws).
//! - WIS: the weighted interval score of the median and the 50/80/95%
//!   intervals (Bracher et al. 2021), `(|y - median| / 2 + sum_k alpha_k /
//!   2 IS_alpha_k) / 3.5`.
//! - PIT: the non-randomised PIT histogram for counts (Czado, Gneiting and
//!   Held 2009) in 10 bins, each 0.1 for a calibrated forecaster.
//! - Which is best: the forecaster with the lowest mean RPS leads; each other
//!   is compared with it by the paired test of [`super::compare`] on the
//!   RPS and on the log score. Forecasters whose 95% intervals cover
//!   significantly less than 95% (the same test on per-origin sums of
//!   `hit - 0.95`) are not candidates, unless every one is: with 12
//!   origins and overlapping horizons neither score can tell the Poisson
//!   trend on `kn23_monthly` (95% intervals covering 21%, log score twice
//!   the NB models') from them. The leader is the candidate of lowest mean
//!   RPS; those worse than it on neither score at the given level are tied
//!   for best with it; `best` names the leader only when no other is tied. The forecast model is chosen the
//!   same way among the models alone (a baseline is not a model a forecast
//!   can use): the simplest (fewest estimated parameters: coefficients, NB
//!   theta or the Gaussian variance, a `step@auto` date) of the models
//!   tied with the model of lowest mean RPS.

use rayon::prelude::*;
use serde::Serialize;

use super::baseline::{Baseline, History, quantiles};
use super::compare::{PairedTest, diebold_mariano};
use super::scores::{score, score_with_predictor};
use super::{Forecast, ForecastSpec, FutureExposure, forecast};
use crate::changepoint::single::{BreakKind, DetectSpec, GammaPrior, best_date};
use crate::data::{Period, Series};
use crate::error::{Error, Result, SpecError};
use crate::inference::Level;
use crate::model::{Design, Family, ModelSpec, Term, fit, parse_terms};

/// The models a backtest compares unless told otherwise.
pub const DEFAULT_MODELS: &str = "poisson:trend,negbin:trend,poisson:trend+step@auto,negbin:trend+step@auto";

/// One model of a backtest: `family:terms`, e.g. `negbin:trend+step@auto`.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelChoice {
    /// The text as given.
    pub label: String,
    /// The family.
    pub family: Family,
    /// The terms, possibly with `step@auto`.
    pub terms: String,
}

impl ModelChoice {
    /// Parses `family:terms`.
    ///
    /// # Errors
    /// [`SpecError::UnknownModelFamily`] for an unknown family.
    pub fn parse(text: &str) -> Result<ModelChoice> {
        let (family, terms) = text.split_once(':').unwrap_or((text, ""));
        let family = match family.trim() {
            "poisson" => Family::Poisson,
            "negbin" => Family::Negbin,
            "gaussian" => Family::Gaussian,
            other => {
                return Err(SpecError::UnknownModelFamily {
                    text: text.to_owned(),
                    family: other.to_owned(),
                }
                .into());
            }
        };
        Ok(ModelChoice {
            label: text.trim().to_owned(),
            family,
            terms: terms.trim().to_owned(),
        })
    }

    fn auto_step(&self) -> bool {
        self.terms.split(['+', ',']).any(|t| t.trim() == "step@auto")
    }

    /// Estimated parameters on `series`: coefficients, NB theta or the
    /// Gaussian variance, and the date of a `step@auto`.
    ///
    /// # Errors
    /// As [`ModelChoice::spec`].
    pub fn complexity(&self, series: &Series, use_offset: bool) -> Result<usize> {
        let spec = self.spec(series, use_offset)?;
        let coefficients = Design::build(&spec.terms, series, 0)?.names.len();
        Ok(coefficients + usize::from(self.family != Family::Poisson) + usize::from(self.auto_step()))
    }
}

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct BacktestSpec {
    /// The models.
    pub models: Vec<ModelChoice>,
    /// Naive baselines scored beside them.
    pub baselines: Vec<Baseline>,
    /// First forecast origin (first period forecast).
    pub origin_from: Period,
    /// Periods ahead.
    pub horizon: usize,
    /// Draws per forecast: parameter draws whose mixture is scored, and
    /// simulated counts for the intervals.
    pub draws: usize,
    /// Seed.
    pub seed: u64,
    /// Use `log(exposure)` as offset when the series has exposure.
    pub use_offset: bool,
    /// Level of the paired comparison: a forecaster is tied for best unless
    /// the test rejects equal mean RPS at `1 - level`.
    pub level: Level,
}

/// Draws per forecast of a backtest unless told otherwise: the parameter
/// draws whose predictive mixture is scored (its Monte Carlo error goes as
/// `1 / sqrt(draws)`).
pub const DEFAULT_DRAWS: usize = 2000;
/// Periods ahead a backtest scores unless told otherwise.
pub const DEFAULT_HORIZON: usize = 6;

/// Forecast origins a backtest takes by default, at most: ten years of
/// months. More add little to the comparison (its paired tests have 119
/// degrees of freedom by then) and cost time in proportion (a 1,000-month
/// series has 334 origins in its last third).
pub const DEFAULT_MAX_ORIGINS: usize = 120;

/// The first origin a backtest takes unless told otherwise: two thirds of
/// the way through the series, or later, so that at most
/// [`DEFAULT_MAX_ORIGINS`] periods (the latest) are forecast.
pub fn default_origin_from(series: &Series) -> Period {
    let n = series.n_periods;
    series.period((n * 2 / 3).max(n.saturating_sub(DEFAULT_MAX_ORIGINS)))
}

/// The baselines a backtest adds unless told otherwise: the last value, the
/// mean of the last 6, and the seasonal naive when the frequency has a
/// season and at least two seasons precede the first origin.
pub fn default_baselines(series: &Series, origin_from: Period) -> Vec<Baseline> {
    let mut out = vec![Baseline::Last, Baseline::Mean(super::baseline::DEFAULT_MEAN_PERIODS)];
    let history = series.index_of(origin_from).unwrap_or(0);
    if series.frequency.periods_per_year().is_some_and(|s| history >= 2 * s) {
        out.push(Baseline::Seasonal);
    }
    out
}

/// Scores of one forecaster, over all origins at one horizon step (or all steps).
#[derive(Debug, Clone, Serialize)]
pub struct ScoreRow {
    /// Model label.
    pub model: String,
    /// Horizon step (1 = next period), `None` for all steps together.
    pub step: Option<usize>,
    /// Forecasts scored.
    pub n: usize,
    /// Mean absolute error of the median.
    pub mae: f64,
    /// Root mean squared error of the mean.
    pub rmse: f64,
    /// Mean log score.
    pub log_score: f64,
    /// Mean ranked probability score (CRPS for the Gaussian).
    pub rps: f64,
    /// Share of outcomes inside the 50% interval.
    pub coverage_50: f64,
    /// ... 80%.
    pub coverage_80: f64,
    /// ... 95%.
    pub coverage_95: f64,
    /// Mean width of the 50% interval.
    pub width_50: f64,
    /// ... 80%.
    pub width_80: f64,
    /// ... 95%.
    pub width_95: f64,
    /// `model` or `baseline`.
    pub kind: &'static str,
    /// Monte Carlo standard error of `log_score` (0 for a baseline; `None`
    /// when the log score is infinite).
    pub log_score_mc_std_error: Option<f64>,
    /// Monte Carlo standard error of `rps`.
    pub rps_mc_std_error: f64,
    /// Mean weighted interval score.
    pub wis: f64,
    /// Non-randomised PIT histogram: the share of forecasts in each tenth.
    pub pit_histogram: Vec<f64>,
}

/// A paired comparison of two forecasters on one score.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// `rps` or `log_score`.
    pub score: &'static str,
    /// One forecaster.
    pub model_a: String,
    /// The other.
    pub model_b: String,
    /// The test (`mean_difference` is a minus b).
    #[serde(flatten)]
    pub test: PairedTest,
}

/// A baseline and what it forecasts.
#[derive(Debug, Clone, Serialize)]
pub struct BaselineInfo {
    /// Its label, as in `rows`.
    pub model: String,
    /// What it forecasts.
    pub description: String,
}

/// The model the forecast uses, and why.
#[derive(Debug, Clone, Serialize)]
pub struct ChosenModel {
    /// `family:terms`.
    pub model: String,
    /// Why this one, in one sentence.
    pub reason: String,
}

/// The result.
#[derive(Debug, Clone, Serialize)]
pub struct Backtest {
    /// Forecast origins.
    pub origins: Vec<Period>,
    /// Per forecaster and step, then per forecaster over all steps.
    pub rows: Vec<ScoreRow>,
    /// Forecasters (models and baselines) from best to worst by mean RPS
    /// over all steps.
    pub ranking: Vec<String>,
    /// Models left out because their forecast overflowed at some origin
    /// (a trend too steep to simulate), with the reason.
    pub dropped: Vec<Dropped>,
    /// Draws per forecast.
    pub draws: usize,
    /// Seed (origin `o` forecasts from seed + o).
    pub seed: u64,
    /// The baselines scored.
    pub baselines: Vec<BaselineInfo>,
    /// Every pair's paired tests on the RPS, then on the log score, in
    /// ranking order.
    pub comparisons: Vec<Comparison>,
    /// How the pairs were compared.
    pub comparison_method: String,
    /// Level of the comparison.
    pub level: f64,
    /// The leader, when no other forecaster is tied with it.
    pub best: Option<String>,
    /// The forecasters tied for best (the leader first).
    pub tied: Vec<String>,
    /// Forecasters whose 95% intervals cover significantly less than 95%
    /// (paired-test machinery on per-origin hits): not candidates for best.
    pub undercovering: Vec<String>,
    /// The model a forecast from this comparison uses.
    pub forecast_model: Option<ChosenModel>,
}

/// A model the backtest could not score at every origin.
#[derive(Debug, Clone, Serialize)]
pub struct Dropped {
    /// The model's label.
    pub model: String,
    /// Where and why its forecast failed.
    pub reason: String,
}

/// One scored forecast.
struct Scored {
    model: usize,
    origin: usize,
    step: usize,
    y: f64,
    forecast_median: f64,
    forecast_mean: f64,
    log_score: f64,
    rps: f64,
    intervals: [(f64, f64); 3],
    pit: (f64, f64),
    /// Monte Carlo variances of this forecast's log score and RPS.
    log_var: f64,
    rps_var: f64,
}

/// Reads one score of a scored forecast.
type ScoreOf = fn(&Scored) -> f64;

/// Monte Carlo variances of one forecaster's summed scores at one origin.
struct OriginVariance {
    model: usize,
    log_var: f64,
    rps_var: f64,
}

/// What one origin gives: scored forecasts, per-forecaster variances of
/// the sums over steps, and the forecasters (index, reason) that failed.
type OriginScores = (Vec<Scored>, Vec<OriginVariance>, Vec<(usize, String)>);

/// Sample variance of per-draw influences over the draws, divided by their
/// number: the Monte Carlo variance of a mixture score.
fn mc_variance(influence: &[f64]) -> f64 {
    let d = influence.len();
    if d < 2 {
        return if d == 1 { 0.0 } else { f64::NAN };
    }
    let mean = influence.iter().sum::<f64>() / d as f64;
    influence.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / ((d - 1) * d) as f64
}

/// Weighted interval score of the median and the 50/80/95% intervals.
fn wis(y: f64, median: f64, intervals: &[(f64, f64); 3]) -> f64 {
    let interval_score = |(l, u): (f64, f64), alpha: f64| (u - l) + 2.0 / alpha * ((l - y).max(0.0) + (y - u).max(0.0));
    let sum: f64 = intervals
        .iter()
        .zip([0.5, 0.2, 0.05])
        .map(|(&i, alpha)| alpha / 2.0 * interval_score(i, alpha))
        .sum();
    (0.5 * (y - median).abs() + sum) / 3.5
}

/// The non-randomised PIT histogram in 10 bins: per forecast, `F` uniform
/// on `[F(y - 1), F(y)]`.
fn pit_histogram(pits: &[(f64, f64)]) -> Vec<f64> {
    let bins = 10;
    let share = |(a, b): (f64, f64), u: f64| {
        if u <= a {
            0.0
        } else if u >= b {
            1.0
        } else {
            (u - a) / (b - a)
        }
    };
    let n = pits.len().max(1) as f64;
    (0..bins)
        .map(|j| {
            let (lo, hi) = (j as f64 / bins as f64, (j + 1) as f64 / bins as f64);
            pits.iter().map(|&p| share(p, hi) - share(p, lo)).sum::<f64>() / n
        })
        .collect()
}

impl ModelChoice {
    /// The model for `series`, with `step@auto` placed at the break date that
    /// maximises the profile likelihood of the other terms (segments of at
    /// least 15% of the observations).
    ///
    /// # Errors
    /// Unknown terms, or a series too short to place the step.
    pub fn spec(&self, series: &Series, use_offset: bool) -> Result<ModelSpec> {
        model_spec(self, series, use_offset)
    }
}

fn model_spec(choice: &ModelChoice, train: &Series, use_offset: bool) -> Result<ModelSpec> {
    let auto = choice.terms.split(['+', ',']).any(|t| t.trim() == "step@auto");
    let fixed: Vec<&str> = choice
        .terms
        .split(['+', ','])
        .filter(|t| t.trim() != "step@auto")
        .collect();
    let mut spec = ModelSpec {
        family: choice.family,
        terms: parse_terms(&fixed.join(","), train)?,
        use_offset,
    };
    if auto {
        add_step_at_best_date(&mut spec, train)?;
    }
    Ok(spec)
}

/// Adds `step@D` to `spec`, D the break date that maximises the profile
/// likelihood of the other terms (segments of at least 15% of the
/// observations): what `step@auto` and `forecast --breaks auto` mean.
///
/// # Errors
/// A series too short for two segments; fitting errors.
pub fn add_step_at_best_date(spec: &mut ModelSpec, series: &Series) -> Result<()> {
    let detect = DetectSpec {
        model: spec.clone(),
        min_segment: ((0.15 * series.n_obs() as f64) as usize).max(2),
        bootstrap: 0,
        seed: 0,
        level: Level::default(),
        prior: GammaPrior::default(),
        kind: BreakKind::Level,
    };
    spec.terms.push(Term::Step(best_date(series, &detect)?));
    Ok(())
}

/// Runs the backtest; `progress` is called once per finished origin.
///
/// # Errors
/// [`SpecError`] for run rows, an origin outside the series, or a model
/// that cannot be fitted on some training window (named).
pub fn backtest(series: &Series, spec: &BacktestSpec, progress: &(dyn Fn() + Sync)) -> Result<Backtest> {
    if !series.is_simple() {
        return Err(SpecError::BacktestRunRows.into());
    }
    if spec.models.is_empty() {
        return Err(SpecError::NoModels.into());
    }
    if spec.horizon == 0 || spec.draws == 0 {
        return Err(SpecError::NoWork.into());
    }
    let first = series
        .index_of(spec.origin_from)
        .filter(|&o| o >= 2)
        .ok_or_else(|| SpecError::OriginOutside {
            origin: spec.origin_from.to_string(),
            first: series.first.to_string(),
            last: series.last().to_string(),
        })?;
    let season = series.frequency.periods_per_year();
    if spec.baselines.contains(&Baseline::Seasonal) && season.is_none() {
        return Err(SpecError::NoSeasonForBaseline {
            series: series.source.clone(),
        }
        .into());
    }
    let n = series.n_periods;
    let actual: Vec<Option<f64>> = {
        let mut a = vec![None; n];
        for o in &series.observations {
            a[o.periods[0]] = Some(o.y);
        }
        a
    };
    let offset = spec.use_offset && series.has_exposure();
    let exposure_all: Vec<f64> = match (&series.period_exposure, offset) {
        (Some(e), true) => e.iter().map(|&v| if v.is_finite() { v } else { 1.0 }).collect(),
        _ => vec![1.0; n],
    };
    let history = History {
        counts: &actual,
        exposure: &exposure_all,
        season,
    };
    let n_models = spec.models.len();
    let labels: Vec<String> = spec
        .models
        .iter()
        .map(|m| m.label.clone())
        .chain(spec.baselines.iter().map(|b| b.label()))
        .collect();
    let origins: Vec<usize> = (first..n).collect();
    let at = Origins {
        series,
        spec,
        actual: &actual,
        history: &history,
    };
    let scored: Vec<OriginScores> = origins
        .par_iter()
        .enumerate()
        .map(|(oi, &o)| {
            let scores = at.score(oi, o);
            progress();
            scores
        })
        .collect::<Result<Vec<_>>>()?;
    // A forecaster that failed at any origin is left out entirely, so that
    // the others are compared on the same origins.
    let mut dropped: Vec<(usize, String)> = Vec::new();
    for (m, reason) in scored.iter().flat_map(|(_, _, f)| f) {
        if !dropped.iter().any(|(d, _)| d == m) {
            dropped.push((*m, reason.clone()));
        }
    }
    dropped.sort_by_key(|(m, _)| *m);
    if (0..n_models).all(|m| dropped.iter().any(|(d, _)| *d == m)) {
        // Each failure is a forecast the data cannot support (an overflow
        // of the simulated means, no earlier count): an input problem.
        let (m, reason) = &dropped[0];
        return Err(Error::Extrapolation(format!(
            "every model's forecast failed; model `{}` {reason}",
            labels[*m]
        )));
    }
    let kept: Vec<usize> = (0..labels.len())
        .filter(|m| !dropped.iter().any(|(d, _)| d == m))
        .collect();
    let all: Vec<&Scored> = scored
        .iter()
        .flat_map(|(s, _, _)| s)
        .filter(|s| kept.contains(&s.model))
        .collect();
    let variances: Vec<&OriginVariance> = scored.iter().flat_map(|(_, v, _)| v).collect();
    let row_of = |model: usize, step: Option<usize>| summarise(&all, &variances, &labels, n_models, model, step);
    let mut rows = Vec::new();
    for &m in &kept {
        // Steps that no origin reaches (the series ends first) have no row.
        rows.extend(
            (1..=spec.horizon)
                .map(|step| row_of(m, Some(step)))
                .filter(|row| row.n > 0),
        );
    }
    let mut overall: Vec<(usize, ScoreRow)> = kept.iter().map(|&m| (m, row_of(m, None))).collect();
    overall.sort_by(|a, b| a.1.rps.total_cmp(&b.1.rps));
    let ranking: Vec<String> = overall.iter().map(|r| r.1.model.clone()).collect();
    let order: Vec<usize> = overall.iter().map(|r| r.0).collect();

    // Paired tests on each score, per origin sums over its steps.
    let sums = |a: usize, b: usize, of_score: fn(&Scored) -> f64| -> Vec<(f64, usize)> {
        (0..origins.len())
            .filter_map(|oi| {
                let of = |m: usize| all.iter().filter(move |s| s.model == m && s.origin == oi);
                let (sa, na) = of(a).fold((0.0, 0), |acc, s| (acc.0 + of_score(s), acc.1 + 1));
                let sb: f64 = of(b).map(|s| of_score(s)).sum();
                (na > 0).then_some((sa - sb, na))
            })
            .collect()
    };
    let scores: [(&'static str, ScoreOf); 2] = [("rps", |s| s.rps), ("log_score", |s| s.log_score)];
    let mut comparisons = Vec::new();
    for (name, of_score) in scores {
        for (i, &a) in order.iter().enumerate() {
            for &b in &order[i + 1..] {
                comparisons.push(Comparison {
                    score: name,
                    model_a: labels[a].clone(),
                    model_b: labels[b].clone(),
                    test: diebold_mariano(&sums(a, b, of_score), spec.horizon),
                });
            }
        }
    }
    let alpha = 1.0 - spec.level.value();
    // `m` is as good as `leader` on a score unless the test says it is worse.
    let not_worse = |leader: usize, m: usize, score: &str| {
        m == leader
            || comparisons
                .iter()
                .find(|c| {
                    c.score == score
                        && ((c.model_a == labels[leader] && c.model_b == labels[m])
                            || (c.model_a == labels[m] && c.model_b == labels[leader]))
                })
                .is_none_or(|c| {
                    let m_minus_leader = if c.model_a == labels[m] {
                        c.test.mean_difference
                    } else {
                        -c.test.mean_difference
                    };
                    !(m_minus_leader > 0.0 && c.test.p_value.is_some_and(|p| p < alpha))
                })
    };
    let tied_with = |leader: usize, among: &[usize]| -> Vec<usize> {
        among
            .iter()
            .copied()
            .filter(|&m| not_worse(leader, m, "rps") && not_worse(leader, m, "log_score"))
            .collect()
    };
    // Forecasters whose 95% intervals cover significantly less than 95%
    // of outcomes (the same test on per-origin sums of hit - 0.95) are
    // not candidates: an interval far too narrow can still have a fair RPS.
    let undercovering: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&m| {
            let hits: Vec<(f64, usize)> = (0..origins.len())
                .filter_map(|oi| {
                    let (sum, n) = all
                        .iter()
                        .filter(|s| s.model == m && s.origin == oi)
                        .fold((0.0, 0), |acc, s| {
                            let hit = f64::from(u8::from(s.intervals[2].0 <= s.y && s.y <= s.intervals[2].1));
                            (acc.0 + hit - 0.95, acc.1 + 1)
                        });
                    (n > 0).then_some((sum, n))
                })
                .collect();
            let test = diebold_mariano(&hits, spec.horizon);
            test.mean_difference < 0.0 && test.p_value.is_some_and(|p| p < alpha)
        })
        .collect();
    let eligible = |among: Vec<usize>| -> Vec<usize> {
        let calibrated: Vec<usize> = among.iter().copied().filter(|m| !undercovering.contains(m)).collect();
        if calibrated.is_empty() { among } else { calibrated }
    };
    let candidates = eligible(order.clone());
    let tied = tied_with(candidates[0], &candidates);
    let best = (tied.len() == 1).then(|| labels[tied[0]].clone());
    let models = eligible(order.iter().copied().filter(|&m| m < n_models).collect());
    let models_tied = tied_with(models[0], &models);
    let forecast_model = choose_model(
        series,
        spec,
        &labels,
        &order,
        &Choice {
            tied: &tied,
            models_tied: &models_tied,
            undercovering: &undercovering,
            kept: &kept,
        },
        alpha,
    );
    let lag = spec.horizon.saturating_sub(1);
    Ok(Backtest {
        origins: origins.iter().map(|&o| series.period(o)).collect(),
        rows: rows.into_iter().chain(overall.into_iter().map(|r| r.1)).collect(),
        ranking,
        dropped: dropped
            .into_iter()
            .map(|(m, reason)| Dropped {
                model: labels[m].clone(),
                reason,
            })
            .collect(),
        draws: spec.draws,
        seed: spec.seed,
        baselines: spec
            .baselines
            .iter()
            .map(|b| BaselineInfo {
                model: b.label(),
                description: b.description(season),
            })
            .collect(),
        comparisons,
        comparison_method: format!(
            "Diebold-Mariano on each score (RPS, log score) summed over each origin's steps, HAC variance with lag {lag} (horizon - 1; uniform weights, Bartlett if not positive), Harvey-Leybourne-Newbold correction, t with origins - 1 df, two-sided; tied for best: not worse than the leader (lowest mean RPS) on either score"
        ),
        level: spec.level.value(),
        best,
        tied: tied.iter().map(|&m| labels[m].clone()).collect(),
        undercovering: undercovering.iter().map(|&m| labels[m].clone()).collect(),
        forecast_model,
    })
}

/// The scores of forecaster `model` over every origin, at one horizon
/// step or (`None`) over all steps.
fn summarise(
    all: &[&Scored],
    variances: &[&OriginVariance],
    labels: &[String],
    n_models: usize,
    model: usize,
    step: Option<usize>,
) -> ScoreRow {
    let items: Vec<&&Scored> = all
        .iter()
        .filter(|s| s.model == model && step.is_none_or(|k| s.step == k))
        .collect();
    let k = items.len().max(1) as f64;
    let mean = |f: &dyn Fn(&Scored) -> f64| items.iter().map(|s| f(s)).sum::<f64>() / k;
    let cover = |i: usize| mean(&|s| f64::from(u8::from(s.intervals[i].0 <= s.y && s.y <= s.intervals[i].1)));
    let width = |i: usize| mean(&|s| s.intervals[i].1 - s.intervals[i].0);
    // Monte Carlo variance of the mean: per forecast for one step; per
    // origin (its steps share draws) over all steps.
    let (log_var, rps_var): (f64, f64) = match step {
        Some(_) => (
            items.iter().map(|s| s.log_var).sum(),
            items.iter().map(|s| s.rps_var).sum(),
        ),
        None => variances
            .iter()
            .filter(|v| v.model == model)
            .fold((0.0, 0.0), |acc, v| (acc.0 + v.log_var, acc.1 + v.rps_var)),
    };
    let log_score = mean(&|s| s.log_score);
    ScoreRow {
        model: labels[model].clone(),
        step,
        n: items.len(),
        mae: mean(&|s| (s.y - s.forecast_median).abs()),
        rmse: mean(&|s| (s.y - s.forecast_mean).powi(2)).sqrt(),
        log_score,
        rps: mean(&|s| s.rps),
        coverage_50: cover(0),
        coverage_80: cover(1),
        coverage_95: cover(2),
        width_50: width(0),
        width_80: width(1),
        width_95: width(2),
        kind: if model < n_models { "model" } else { "baseline" },
        log_score_mc_std_error: (log_score.is_finite() && log_var.is_finite()).then(|| log_var.sqrt() / k),
        rps_mc_std_error: rps_var.sqrt() / k,
        wis: mean(&|s| wis(s.y, s.forecast_median, &s.intervals)),
        pit_histogram: pit_histogram(&items.iter().map(|s| s.pit).collect::<Vec<_>>()),
    }
}

/// What the scoring of every origin reads.
struct Origins<'a> {
    series: &'a Series,
    spec: &'a BacktestSpec,
    /// The count of each period, `None` where missing.
    actual: &'a [Option<f64>],
    history: &'a History<'a>,
}

impl Origins<'_> {
    /// Every forecaster's scores at origin `o` (the `oi`-th): each model
    /// refitted on the data before `o` and its forecast scored against the
    /// next periods, then each naive baseline; with the forecasters that
    /// failed there and why.
    ///
    /// # Errors
    /// A model that cannot be fitted on the training window (named).
    fn score(&self, oi: usize, o: usize) -> Result<OriginScores> {
        let Origins {
            series,
            spec,
            actual,
            history,
        } = *self;
        let n = series.n_periods;
        let n_models = spec.models.len();
        let train = series.before(o);
        let h = spec.horizon.min(n - o);
        // A missing period's exposure is unknown; the period is not
        // scored, so any finite exposure serves (1, as in `exposure_all`).
        let exposure = series.period_exposure.as_ref().map(|e| {
            (o..o + h)
                .map(|t| if e[t].is_finite() { e[t] } else { 1.0 })
                .collect::<Vec<f64>>()
        });
        let mut out = Vec::new();
        let mut variances = Vec::new();
        let mut failed = Vec::new();
        for (m, choice) in spec.models.iter().enumerate() {
            let fail = |e: Error| Error::AtOrigin {
                model: choice.label.clone(),
                origin: series.period(o).to_string(),
                source: Box::new(e),
            };
            let model = model_spec(choice, &train, spec.use_offset).map_err(fail)?;
            let fitted = fit(&model, &train).map_err(fail)?;
            // The same seed for every model at an origin: common random numbers.
            let fspec = ForecastSpec {
                horizon: h,
                draws: spec.draws,
                seed: spec.seed.wrapping_add(o as u64),
                level: Level::default(),
                exposure: exposure
                    .clone()
                    .map_or(FutureExposure::LastYearMean, FutureExposure::Values),
                parameter_uncertainty: true,
            };
            let f: Forecast = match forecast(&fitted, &train, &fspec) {
                Ok(f) => f,
                Err(Error::Numerical(reason) | Error::Extrapolation(reason)) => {
                    failed.push((m, format!("at origin {}: {reason}", series.period(o))));
                    continue;
                }
                Err(Error::Undrawable(e)) => {
                    failed.push((m, format!("at origin {}: {e}", series.period(o))));
                    continue;
                }
                Err(e) => return Err(fail(e)),
            };
            let mut log_sum = vec![0.0; spec.draws];
            let mut rps_sum = vec![0.0; spec.draws];
            let mut log_finite = true;
            for (k, row) in f.rows.iter().enumerate() {
                let Some(y) = actual[o + k] else { continue };
                let p = &row.predictive;
                let s = score_with_predictor(f.family, y, &f.draw_means[k], &f.draw_dispersion, Some(&f.draw_eta[k]));
                if s.log_score_influence.is_empty() {
                    log_finite = false;
                } else {
                    log_sum
                        .iter_mut()
                        .zip(&s.log_score_influence)
                        .for_each(|(a, b)| *a += b);
                }
                rps_sum.iter_mut().zip(&s.rps_influence).for_each(|(a, b)| *a += b);
                out.push(Scored {
                    model: m,
                    origin: oi,
                    step: k + 1,
                    y,
                    forecast_median: p.median,
                    forecast_mean: p.mean,
                    log_score: s.log_score,
                    rps: s.rps,
                    intervals: [
                        (p.lower_50, p.upper_50),
                        (p.lower_80, p.upper_80),
                        (p.lower_95, p.upper_95),
                    ],
                    pit: s.pit,
                    log_var: if s.log_score_influence.is_empty() {
                        f64::NAN
                    } else {
                        mc_variance(&s.log_score_influence)
                    },
                    rps_var: mc_variance(&s.rps_influence),
                });
            }
            variances.push(OriginVariance {
                model: m,
                log_var: if log_finite { mc_variance(&log_sum) } else { f64::NAN },
                rps_var: mc_variance(&rps_sum),
            });
        }
        for (b, &baseline) in spec.baselines.iter().enumerate() {
            let m = n_models + b;
            for k in 0..h {
                let t = o + k;
                let Some(y) = actual[t] else { continue };
                let Some(mean) = history.mean(baseline, o, t) else {
                    failed.push((
                        m,
                        format!(
                            "at origin {}: no earlier count to forecast {} from",
                            series.period(o),
                            series.period(t)
                        ),
                    ));
                    break;
                };
                let theta = history.theta(baseline, o, k + 1);
                let s = score(Family::Negbin, y, &[mean], &[theta]);
                let q = quantiles(mean, theta, &[0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975]);
                out.push(Scored {
                    model: m,
                    origin: oi,
                    step: k + 1,
                    y,
                    forecast_median: q[3],
                    forecast_mean: mean,
                    log_score: s.log_score,
                    rps: s.rps,
                    intervals: [(q[2], q[4]), (q[1], q[5]), (q[0], q[6])],
                    pit: s.pit,
                    log_var: 0.0,
                    rps_var: 0.0,
                });
            }
            variances.push(OriginVariance {
                model: m,
                log_var: 0.0,
                rps_var: 0.0,
            });
        }
        Ok((out, variances, failed))
    }
}

/// The sets the forecast model is chosen from.
struct Choice<'a> {
    /// Forecasters tied for best overall.
    tied: &'a [usize],
    /// Models tied with the best model.
    models_tied: &'a [usize],
    /// Forecasters whose 95% intervals undercover.
    undercovering: &'a [usize],
    /// Forecasters scored at every origin.
    kept: &'a [usize],
}

/// The simplest of the models tied with the best model (by both scores),
/// and why.
fn choose_model(
    series: &Series,
    spec: &BacktestSpec,
    labels: &[String],
    order: &[usize],
    choice: &Choice,
    alpha: f64,
) -> Option<ChosenModel> {
    let n_models = spec.models.len();
    let percent = format!("{}%", (alpha * 1000.0).round() / 10.0);
    // Fewest parameters; among equals, the better mean RPS (the order).
    let complexity = |m: usize| spec.models[m].complexity(series, spec.use_offset).unwrap_or(usize::MAX);
    let &simplest = choice
        .models_tied
        .iter()
        .min_by_key(|&&m| (complexity(m), order.iter().position(|&o| o == m)))?;
    let names = |set: &[usize]| set.iter().map(|&m| labels[m].as_str()).collect::<Vec<_>>().join(", ");
    let models = |f: &dyn Fn(usize) -> bool| -> Vec<usize> {
        order
            .iter()
            .copied()
            .filter(|&m| m < n_models && choice.kept.contains(&m) && f(m))
            .collect()
    };
    let narrow = models(&|m| choice.undercovering.contains(&m));
    let worse = models(&|m| !choice.undercovering.contains(&m) && !choice.models_tied.contains(&m));
    let mut why_not = Vec::new();
    if !narrow.is_empty() {
        why_not.push(format!("the 95% intervals of {} cover too little", names(&narrow)));
    }
    if !worse.is_empty() {
        why_not.push(format!(
            "{} {} a worse mean RPS or log score by the paired test at the {percent} level",
            names(&worse),
            if worse.len() > 1 { "have" } else { "has" }
        ));
    }
    let why_not = if why_not.is_empty() {
        String::new()
    } else {
        format!(" ({})", why_not.join("; "))
    };
    let among = if choice.models_tied.len() == 1 {
        format!("the best model of the backtest{why_not}")
    } else {
        format!(
            "the simplest of the models tied for best ({}: neither score worse at the {percent} level), with {} estimated parameters{why_not}",
            names(choice.models_tied),
            complexity(simplest)
        )
    };
    let overall = match choice.tied {
        _ if choice.tied.contains(&simplest) => String::new(),
        [one] if *one >= n_models => {
            format!(
                "; the naive baseline {} forecasts best of all, and no model is tied with it",
                labels[*one]
            )
        }
        _ => format!(
            "; of all forecasters, {} are tied for best and this model is not",
            names(choice.tied)
        ),
    };
    Some(ChosenModel {
        model: labels[simplest].clone(),
        reason: format!("{among}{overall}"),
    })
}
