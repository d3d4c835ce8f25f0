//! Forecasts with prediction intervals, scores, and rolling-origin backtests.
//!
//! For each future period: the mean `exp(x' beta)` (identity for the Gaussian)
//! with its confidence interval from the delta method on the link scale (as
//! R `predict(glm, se.fit = TRUE)`), and the predictive median and 50/80/95%
//! prediction intervals from simulation. Each draw takes the parameters (see
//! [`draws`]: coefficients from their asymptotic normal distribution on the
//! space the data identify; NB theta from the Laplace approximation of its
//! marginal posterior, the coefficients at that theta), then a count from
//! the family (Poisson, NB) or a normal value: intervals carry parameter
//! uncertainty as well as count noise. Draw `d` uses ChaCha8 seeded with the
//! seed on streams numbered by `d` (one for the coefficients' normals and the
//! counts, one for theta's uniform), so results do not depend on the thread
//! count, and models forecast with the same seed share their random numbers.
//!
//! What the model assumes about the future: a trend extrapolates; a step or
//! slope term keeps its last regime for ever (no new break is foreseen);
//! exposure is taken as given (`--exposure-future`) or as the mean of the last
//! 12 observed periods' exposure, recorded in the output.

pub mod backtest;
pub mod baseline;
pub mod compare;
pub mod draws;
pub mod scores;

use nalgebra::DVector;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::Serialize;

use crate::data::{Period, Series};
use crate::error::{Error, Result, SpecError};
use crate::inference::{CovarianceKind, Level};
use crate::model::{Design, Dispersion, Family, Fit, Link, Term};
use crate::simulate::stream_rng;
pub use draws::ParameterDraws;
use draws::Sampler;

/// Exposure of the future periods.
#[derive(Debug, Clone, PartialEq)]
pub enum FutureExposure {
    /// The mean exposure of the last 12 observed periods (fewer if the series is shorter).
    LastYearMean,
    /// One value per future period.
    Values(Vec<f64>),
}

/// Simulation draws of a forecast unless told otherwise (`forecast`,
/// `report`).
pub const DEFAULT_DRAWS: usize = 10_000;
/// Periods a forecast looks ahead unless told otherwise.
pub const DEFAULT_HORIZON: usize = 12;

/// Draws times periods ahead: the simulated values a forecast holds (8
/// bytes each, so 800 MB at the bound).
pub const MAX_DRAWN_VALUES: u64 = 100_000_000;

/// What to forecast.
#[derive(Debug, Clone)]
pub struct ForecastSpec {
    /// Periods ahead.
    pub horizon: usize,
    /// Simulation draws.
    pub draws: usize,
    /// Seed.
    pub seed: u64,
    /// Level of the mean's confidence interval.
    pub level: Level,
    /// Future exposure (used when the model has an offset).
    pub exposure: FutureExposure,
    /// Draw the coefficients (and theta) too; `false` gives the plug-in
    /// intervals, count noise only, for comparison.
    pub parameter_uncertainty: bool,
}

/// Predictive summary of one quantity (one period, or the horizon total).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Predictive {
    /// Mean (plug-in `exp(x' beta)`).
    pub mean: f64,
    /// Confidence interval of the mean (delta method on the link scale).
    pub mean_ci_low: f64,
    /// Upper end of it.
    pub mean_ci_high: f64,
    /// Predictive median.
    pub median: f64,
    /// 50% prediction interval.
    pub lower_50: f64,
    /// Upper end.
    pub upper_50: f64,
    /// 80% prediction interval.
    pub lower_80: f64,
    /// Upper end.
    pub upper_80: f64,
    /// 95% prediction interval.
    pub lower_95: f64,
    /// Upper end.
    pub upper_95: f64,
}

/// One future period.
#[derive(Debug, Clone, Serialize)]
pub struct ForecastRow {
    /// The period.
    pub period: Period,
    /// Its exposure, when the model has an offset.
    pub exposure: Option<f64>,
    /// The numbers.
    #[serde(flatten)]
    pub predictive: Predictive,
}

/// A forecast.
#[derive(Debug, Clone)]
pub struct Forecast {
    /// Per future period.
    pub rows: Vec<ForecastRow>,
    /// The total over the horizon.
    pub total: Predictive,
    /// Draws used.
    pub draws: usize,
    /// How the future exposure was set.
    pub exposure_note: Option<String>,
    /// Per period, per draw: the drawn mean (for scoring the predictive mixture).
    pub(crate) draw_means: Vec<Vec<f64>>,
    /// Per draw: theta (NB) or sigma (Gaussian).
    pub(crate) draw_dispersion: Vec<f64>,
    /// Per period, per draw: mean and variance of the linear predictor
    /// given the draw's theta (the coefficients integrated out).
    pub(crate) draw_eta: Vec<Vec<(f64, f64)>>,
    /// The family.
    pub(crate) family: Family,
}

/// The `q` quantile of sorted draws, type 1 (the inverse of the empirical
/// distribution function): an observed value, so integer for counts.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let k = ((q * n as f64).ceil() as usize).clamp(1, n);
    sorted[k - 1]
}

fn summarise(draws: &mut [f64], mean: f64, ci: (f64, f64)) -> Predictive {
    draws.sort_by(f64::total_cmp);
    let q = |p: f64| quantile_sorted(draws, p);
    Predictive {
        mean,
        mean_ci_low: ci.0,
        mean_ci_high: ci.1,
        median: q(0.5),
        lower_50: q(0.25),
        upper_50: q(0.75),
        lower_80: q(0.10),
        upper_80: q(0.90),
        lower_95: q(0.025),
        upper_95: q(0.975),
    }
}

/// Forecasts `horizon` periods after the end of `series` from `fit`, with
/// the default parameter draws ([`ParameterDraws::Laplace`]).
///
/// # Errors
/// [`SpecError`] for covariate terms (their future values are unknown), a
/// horizon of 0, or future exposure of the wrong length.
pub fn forecast(fit: &Fit, series: &Series, spec: &ForecastSpec) -> Result<Forecast> {
    forecast_with(fit, series, spec, ParameterDraws::default())
}

/// [`forecast`] with the parameter draws of `parameters` (when
/// `spec.parameter_uncertainty`; otherwise the estimates), for comparing
/// schemes in calibration studies.
///
/// # Errors
/// As [`forecast`].
pub fn forecast_with(fit: &Fit, series: &Series, spec: &ForecastSpec, parameters: ParameterDraws) -> Result<Forecast> {
    if spec.horizon == 0 || spec.draws == 0 {
        return Err(SpecError::NoWork.into());
    }
    if let Some((first, n)) = fit.periods()
        && (first, n) != (series.first, series.n_periods)
    {
        let span =
            |first: crate::data::Period, n: usize| format!("{first}..{} ({n} periods)", first.offset(n as i64 - 1));
        return Err(SpecError::SeriesMismatch {
            fitted: span(first, n),
            given: span(series.first, series.n_periods),
        }
        .into());
    }
    if (spec.draws as u64).saturating_mul(spec.horizon as u64) > MAX_DRAWN_VALUES {
        return Err(SpecError::TooManyDrawnValues {
            draws: spec.draws,
            horizon: spec.horizon,
            max: MAX_DRAWN_VALUES,
        }
        .into());
    }
    if let Some(Term::Covariate(name)) = fit.spec.terms.iter().find(|t| matches!(t, Term::Covariate(_))) {
        return Err(SpecError::FutureCovariate { name: name.clone() }.into());
    }
    let n = series.n_periods;
    let h = spec.horizon;
    let design = Design::build(&fit.spec.terms, series, n + h)?;
    let family = fit.spec.family;
    let uses_offset = fit.offset_used();
    let (exposure, exposure_note) = if uses_offset {
        let values = match &spec.exposure {
            FutureExposure::Values(v) if v.len() == h => v.clone(),
            FutureExposure::Values(v) => {
                return Err(SpecError::FutureExposureLength {
                    given: v.len(),
                    horizon: h,
                }
                .into());
            }
            FutureExposure::LastYearMean => {
                let e = series
                    .period_exposure
                    .as_ref()
                    .ok_or_else(|| Error::from(SpecError::NoExposureToForecast))?;
                let recent: Vec<f64> = (0..n).rev().map(|t| e[t]).filter(|v| v.is_finite()).take(12).collect();
                let mean = recent.iter().sum::<f64>() / recent.len() as f64;
                vec![mean; h]
            }
        };
        let note = match &spec.exposure {
            FutureExposure::Values(_) => "future exposure as given".to_owned(),
            FutureExposure::LastYearMean => format!(
                "future exposure {:.6} per period: the mean of the last 12 observed periods",
                values[0]
            ),
        };
        (Some(values), Some(note))
    } else {
        (None, None)
    };
    let offset = |k: usize| exposure.as_ref().map_or(0.0, |e| e[k].ln());
    let cov = fit.covariance_matrix(CovarianceKind::Model)?;
    let beta = DVector::from_column_slice(&fit.beta);
    let rows_x: Vec<DVector<f64>> = (0..h)
        .map(|k| DVector::from_iterator(beta.len(), design.x.row(n + k).iter().copied()))
        .collect();
    let z = spec.level.z();
    let link = family.link();

    // Mean and its delta-method interval, per period and for the total.
    let mut rows = Vec::with_capacity(h);
    let mut total_mean = 0.0;
    let mut total_grad = DVector::zeros(beta.len());
    let mut plug_in = Vec::with_capacity(h);
    for (k, x) in rows_x.iter().enumerate() {
        let eta = x.dot(&beta) + offset(k);
        let se = (x.transpose() * &cov * x)[(0, 0)].max(0.0).sqrt();
        let (mean, slope) = link.mean_and_slope(eta);
        let ci = (link.mean(eta - z * se), link.mean(eta + z * se));
        total_mean += mean;
        total_grad += x * slope;
        plug_in.push((mean, ci));
    }
    let total_se = (total_grad.transpose() * &cov * &total_grad)[(0, 0)].max(0.0).sqrt();
    let total_ci = if link == Link::Log && total_mean > 0.0 {
        let s = total_se / total_mean;
        (total_mean * (-z * s).exp(), total_mean * (z * s).exp())
    } else {
        (total_mean - z * total_se, total_mean + z * total_se)
    };

    // Simulation: coefficients, dispersion, then counts.
    let sampler = Sampler::new(
        fit,
        if spec.parameter_uncertainty {
            parameters
        } else {
            ParameterDraws::Estimate
        },
    )?;
    let normals = sampler.normals();
    // Per step and cell: the normal law of the linear predictor (offset
    // in), which the log score integrates exactly.
    let cell_eta: Vec<Vec<(f64, f64)>> = rows_x
        .iter()
        .enumerate()
        .map(|(k, x)| {
            sampler
                .linear_predictor(x)
                .into_iter()
                .map(|(m, v)| (m + offset(k), v))
                .collect()
        })
        .collect();
    let sims: Vec<(Vec<f64>, Vec<f64>, f64, usize)> = (0..spec.draws)
        .into_par_iter()
        .map(|d| {
            let mut rng = stream_rng(spec.seed, 7, d);
            let zs: Vec<f64> = (0..normals).map(|_| StandardNormal.sample(&mut rng)).collect();
            let u: f64 = stream_rng(spec.seed, 8, d).random();
            let (b, dispersion, cell) = sampler.draw(u, &zs);
            let means: Vec<f64> = rows_x
                .iter()
                .enumerate()
                .map(|(k, x)| link.mean(x.dot(&b) + offset(k)))
                .collect();
            let values = family.draw_all(
                &means,
                &vec![1.0; means.len()],
                Dispersion::of(family, dispersion),
                &mut rng,
            )?;
            Ok((means, values, dispersion, cell))
        })
        .collect::<Result<_, crate::model::Undrawable>>()?;
    let mut draw_means = vec![Vec::with_capacity(spec.draws); h];
    let mut per_period = vec![Vec::with_capacity(spec.draws); h];
    let mut totals = Vec::with_capacity(spec.draws);
    let mut draw_dispersion = Vec::with_capacity(spec.draws);
    let mut draw_eta = vec![Vec::with_capacity(spec.draws); h];
    for (means, values, dispersion, cell) in sims {
        for k in 0..h {
            draw_means[k].push(means[k]);
            draw_eta[k].push(cell_eta[k][cell]);
            per_period[k].push(values[k]);
        }
        totals.push(values.iter().sum());
        draw_dispersion.push(dispersion);
    }
    for (k, draws) in per_period.iter_mut().enumerate() {
        let (mean, ci) = plug_in[k];
        rows.push(ForecastRow {
            period: series.period(n + k),
            exposure: exposure.as_ref().map(|e| e[k]),
            predictive: summarise(draws, mean, ci),
        });
    }
    let total = summarise(&mut totals, total_mean, total_ci);
    Ok(Forecast {
        rows,
        total,
        draws: spec.draws,
        exposure_note,
        draw_means,
        draw_dispersion,
        draw_eta,
        family,
    })
}
