//! Rolling-origin evaluation: for every origin `o` from `origin_from` on,
//! each model is fitted to the observations before `o`, forecasts the next
//! `horizon` periods (with the realised exposure of those periods, so that
//! models are compared on the counts, not on guessing exposure), and is
//! scored against what happened. `step@auto` places a step at the date that
//! `detect` finds in the training window.
//!
//! Point forecasts: MAE uses the predictive median, RMSE the mean.

use rayon::prelude::*;
use serde::Serialize;

use super::scores::{log_score, rps};
use super::{Forecast, ForecastSpec, FutureExposure, forecast};
use crate::changepoint::single::{DetectSpec, GammaPrior, best_date};
use crate::data::{Period, Series};
use crate::error::{Error, Result};
use crate::inference::Level;
use crate::model::{Family, ModelSpec, Term, fit, parse_terms};

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
    /// [`Error::Spec`] for an unknown family.
    pub fn parse(text: &str) -> Result<ModelChoice> {
        let (family, terms) = text.split_once(':').unwrap_or((text, ""));
        let family = match family.trim() {
            "poisson" => Family::Poisson,
            "negbin" => Family::Negbin,
            "gaussian" => Family::Gaussian,
            other => {
                return Err(Error::Spec(format!(
                    "model `{text}`: unknown family `{other}`; write poisson:TERMS, negbin:TERMS or gaussian:TERMS"
                )));
            }
        };
        Ok(ModelChoice {
            label: text.trim().to_owned(),
            family,
            terms: terms.trim().to_owned(),
        })
    }
}

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct BacktestSpec {
    /// The models.
    pub models: Vec<ModelChoice>,
    /// First forecast origin (first period forecast).
    pub origin_from: Period,
    /// Periods ahead.
    pub horizon: usize,
    /// Draws per forecast.
    pub draws: usize,
    /// Seed.
    pub seed: u64,
    /// Use `log(exposure)` as offset when the series has exposure.
    pub use_offset: bool,
}

/// Scores of one model, over all origins at one horizon step (or all steps).
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
}

/// The result.
#[derive(Debug, Clone, Serialize)]
pub struct Backtest {
    /// Forecast origins.
    pub origins: Vec<Period>,
    /// Per model and step, then per model over all steps.
    pub rows: Vec<ScoreRow>,
    /// Models from best to worst by mean RPS over all steps.
    pub ranking: Vec<String>,
    /// Models left out because their forecast overflowed at some origin
    /// (a trend too steep to simulate), with the reason.
    pub dropped: Vec<Dropped>,
}

/// A model the backtest could not score at every origin.
#[derive(Debug, Clone, Serialize)]
pub struct Dropped {
    /// The model's label.
    pub model: String,
    /// Where and why its forecast failed.
    pub reason: String,
}

/// The scored forecasts of one origin, and the models (index, reason)
/// whose forecast overflowed there.
type OriginScores = (Vec<Scored>, Vec<(usize, String)>);

/// One scored forecast.
struct Scored {
    model: usize,
    step: usize,
    y: f64,
    forecast_median: f64,
    forecast_mean: f64,
    log_score: f64,
    rps: f64,
    intervals: [(f64, f64); 3],
}

/// The observations of `series` before period index `o`.
fn training(series: &Series, o: usize) -> Series {
    let mut s = series.clone();
    s.observations.retain(|ob| ob.periods.iter().all(|&t| t < o));
    s.n_periods = o;
    if let Some(e) = &s.period_exposure {
        s.period_exposure = Some(e.iter().take(o).copied().collect());
    }
    s.covariates = s
        .covariates
        .slice_axis(ndarray::Axis(0), ndarray::Slice::from(0..o))
        .to_owned();
    s
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
    };
    spec.terms.push(Term::Step(best_date(series, &detect)?));
    Ok(())
}

/// Runs the backtest; `progress` is called once per finished origin.
///
/// # Errors
/// [`Error::Spec`] for run rows, an origin outside the series, or a model
/// that cannot be fitted on some training window (named).
pub fn backtest(series: &Series, spec: &BacktestSpec, progress: &(dyn Fn() + Sync)) -> Result<Backtest> {
    if !series.is_simple() {
        return Err(Error::Spec(
            "backtests compare forecasts with single-period observations; the series has run rows".into(),
        ));
    }
    if spec.models.is_empty() || spec.horizon == 0 {
        return Err(Error::Spec(
            "give at least one model (--models) and a horizon of at least 1".into(),
        ));
    }
    let first = series.index_of(spec.origin_from).filter(|&o| o >= 2).ok_or_else(|| {
        Error::Spec(format!(
            "--origin-from {} must lie inside the series ({} to {}) with at least two periods before it",
            spec.origin_from,
            series.first,
            series.last()
        ))
    })?;
    let n = series.n_periods;
    let actual: Vec<Option<f64>> = {
        let mut a = vec![None; n];
        for o in &series.observations {
            a[o.periods[0]] = Some(o.y);
        }
        a
    };
    let origins: Vec<usize> = (first..n).collect();
    let scored: Vec<OriginScores> = origins
        .par_iter()
        .map(|&o| {
            let train = training(series, o);
            let h = spec.horizon.min(n - o);
            let exposure = series
                .period_exposure
                .as_ref()
                .map(|e| (o..o + h).map(|t| e[t]).collect::<Vec<f64>>());
            let mut out = Vec::new();
            let mut overflowed = Vec::new();
            for (m, choice) in spec.models.iter().enumerate() {
                let fail =
                    |e: Error| Error::Spec(format!("model `{}` at origin {}: {e}", choice.label, series.period(o)));
                let model = model_spec(choice, &train, spec.use_offset).map_err(fail)?;
                let fitted = fit(&model, &train).map_err(fail)?;
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
                    Err(Error::Numerical(reason)) => {
                        overflowed.push((m, format!("at origin {}: {reason}", series.period(o))));
                        continue;
                    }
                    Err(e) => return Err(fail(e)),
                };
                for (k, row) in f.rows.iter().enumerate() {
                    let Some(y) = actual[o + k] else { continue };
                    let p = &row.predictive;
                    out.push(Scored {
                        model: m,
                        step: k + 1,
                        y,
                        forecast_median: p.median,
                        forecast_mean: p.mean,
                        log_score: log_score(f.family, y, &f.draw_means[k], &f.draw_dispersion),
                        rps: rps(f.family, y, &f.draw_means[k], &f.draw_dispersion),
                        intervals: [
                            (p.lower_50, p.upper_50),
                            (p.lower_80, p.upper_80),
                            (p.lower_95, p.upper_95),
                        ],
                    });
                }
            }
            progress();
            Ok((out, overflowed))
        })
        .collect::<Result<Vec<_>>>()?;
    // A model whose forecast overflowed at any origin is left out entirely,
    // so that the others are compared on the same origins.
    let mut dropped: Vec<(usize, String)> = Vec::new();
    for (m, reason) in scored.iter().flat_map(|(_, o)| o) {
        if !dropped.iter().any(|(d, _)| d == m) {
            dropped.push((*m, reason.clone()));
        }
    }
    dropped.sort_by_key(|(m, _)| *m);
    if dropped.len() == spec.models.len() {
        let (m, reason) = &dropped[0];
        return Err(Error::Numerical(format!(
            "every model's forecast failed; model `{}` {reason}",
            spec.models[*m].label
        )));
    }
    let kept: Vec<usize> = (0..spec.models.len())
        .filter(|m| !dropped.iter().any(|(d, _)| d == m))
        .collect();
    let all: Vec<&Scored> = scored
        .iter()
        .flat_map(|(s, _)| s)
        .filter(|s| kept.contains(&s.model))
        .collect();
    let summarise = |model: usize, step: Option<usize>| -> ScoreRow {
        let items: Vec<&&Scored> = all
            .iter()
            .filter(|s| s.model == model && step.is_none_or(|k| s.step == k))
            .collect();
        let k = items.len().max(1) as f64;
        let mean = |f: &dyn Fn(&Scored) -> f64| items.iter().map(|s| f(s)).sum::<f64>() / k;
        let cover = |i: usize| mean(&|s| f64::from(u8::from(s.intervals[i].0 <= s.y && s.y <= s.intervals[i].1)));
        let width = |i: usize| mean(&|s| s.intervals[i].1 - s.intervals[i].0);
        ScoreRow {
            model: spec.models[model].label.clone(),
            step,
            n: items.len(),
            mae: mean(&|s| (s.y - s.forecast_median).abs()),
            rmse: mean(&|s| (s.y - s.forecast_mean).powi(2)).sqrt(),
            log_score: mean(&|s| s.log_score),
            rps: mean(&|s| s.rps),
            coverage_50: cover(0),
            coverage_80: cover(1),
            coverage_95: cover(2),
            width_50: width(0),
            width_80: width(1),
            width_95: width(2),
        }
    };
    let mut rows = Vec::new();
    for &m in &kept {
        // Steps that no origin reaches (the series ends first) have no row.
        rows.extend(
            (1..=spec.horizon)
                .map(|step| summarise(m, Some(step)))
                .filter(|row| row.n > 0),
        );
    }
    let mut overall: Vec<ScoreRow> = kept.iter().map(|&m| summarise(m, None)).collect();
    overall.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    let ranking = overall.iter().map(|r| r.model.clone()).collect();
    rows.extend(overall);
    Ok(Backtest {
        origins: origins.iter().map(|&o| series.period(o)).collect(),
        rows,
        ranking,
        dropped: dropped
            .into_iter()
            .map(|(m, reason)| Dropped {
                model: spec.models[m].label.clone(),
                reason,
            })
            .collect(),
    })
}
