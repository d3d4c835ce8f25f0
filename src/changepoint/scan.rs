//! The profile log-likelihood of one break over candidate dates.
//!
//! At a date `tau` the profile is the maximised log-likelihood of the model
//! plus `step@tau` with every nuisance parameter re-estimated: the common
//! terms (trend, season, covariates), NB theta and the Gaussian variance. So
//! `detect`'s LR at a date is the LR of `test --at` that date.
//!
//! Two ways to compute it:
//! - closed form, for an intercept-only Poisson model (with exposure) or an
//!   intercept-only Gaussian model, one period per observation: segment
//!   totals are sufficient, O(1) per date;
//! - a refit per date, for everything else (NB, common terms, run rows):
//!   Fisher scoring (and theta's Newton steps) warm-started from the fit at
//!   the previous date, whose coefficients and theta are close.

use std::sync::Arc;

use ndarray::{Array2, Axis, concatenate};

use super::cost::{GaussianMeanCost, PoissonCost, SegmentCost};
use crate::data::{Period, Series};
use crate::error::Result;
use crate::model::fit::{ObsData, Problem, RawFit, fit_problem};
use crate::model::{Family, ModelSpec, Term};

/// How the profile is computed.
pub(crate) enum Scan {
    /// Intercept-only Poisson, one period per observation.
    ClosedPoisson {
        /// Exposure of every observation.
        exposure: Option<Vec<f64>>,
    },
    /// Intercept-only Gaussian, one period per observation.
    ClosedGaussian,
    /// A refit of the model with the step at every date.
    Refit(StepRefit),
}

/// The model without the break and the step column of every candidate date.
pub(crate) struct StepRefit {
    /// The model without the break, on the observed responses.
    base: Problem,
    /// Per candidate date, the index of its first period.
    starts: Vec<usize>,
}

impl Scan {
    /// The scan of `model` over `dates` of `series`; closed forms where
    /// they exist.
    ///
    /// # Errors
    /// As [`Problem::new`].
    pub(crate) fn new(series: &Series, model: &ModelSpec, dates: &[Period]) -> Result<Scan> {
        let intercept_only = model.terms == [Term::Intercept] && series.is_simple();
        Ok(match model.family {
            Family::Poisson if intercept_only => Scan::ClosedPoisson {
                exposure: model.use_offset.then(|| series.observation_exposures()).flatten(),
            },
            Family::Gaussian if intercept_only => Scan::ClosedGaussian,
            _ => Scan::Refit(StepRefit {
                base: Problem::new(model, series)?,
                starts: dates
                    .iter()
                    .map(|&d| series.index_of(d).expect("candidate dates lie in the series"))
                    .collect(),
            }),
        })
    }

    /// Whether the profile has a closed form.
    pub(crate) fn is_closed(&self) -> bool {
        !matches!(self, Scan::Refit(_))
    }

    /// Profile log-likelihoods at candidate `positions` (observation
    /// indices, for the closed forms) and the null log-likelihood, for
    /// responses `y`. Without `constants`, the closed forms leave out terms
    /// common to every date (log-likelihood differences, all the bootstrap
    /// needs, are unchanged).
    ///
    /// # Errors
    /// Fitting errors of a refit.
    pub(crate) fn profile(&self, y: &[f64], positions: &[usize], constants: bool) -> Result<(Vec<f64>, f64)> {
        let n = y.len();
        match self {
            Scan::ClosedPoisson { exposure } => {
                let c = if constants {
                    PoissonCost::new(y, exposure.as_deref())
                } else {
                    PoissonCost::relative(y, exposure.as_deref())
                };
                let to_ll = |total: f64| -(total + c.constant()) / 2.0;
                let profile = positions.iter().map(|&i| to_ll(c.cost(0, i) + c.cost(i, n))).collect();
                Ok((profile, to_ll(c.cost(0, n))))
            }
            Scan::ClosedGaussian => {
                let c = GaussianMeanCost::new(y);
                let nn = n as f64;
                let to_ll =
                    |rss: f64| -nn / 2.0 * ((2.0 * std::f64::consts::PI * rss.max(f64::MIN_POSITIVE) / nn).ln() + 1.0);
                let profile = positions.iter().map(|&i| to_ll(c.cost(0, i) + c.cost(i, n))).collect();
                Ok((profile, to_ll(c.cost(0, n))))
            }
            Scan::Refit(refit) => refit.profile(y),
        }
    }
}

impl StepRefit {
    /// The null fit and the fit with the step at every date, for responses `y`.
    fn profile(&self, y: &[f64]) -> Result<(Vec<f64>, f64)> {
        let null_problem = self.base.with_responses(y);
        let null = fit_problem(&null_problem, None, None)?;
        let n_periods = null_problem.x.nrows();
        let mut start: Option<RawFit> = None;
        let mut profile = Vec::with_capacity(self.starts.len());
        for &t0 in &self.starts {
            let step = Array2::from_shape_fn((n_periods, 1), |(t, _)| if t >= t0 { 1.0 } else { 0.0 });
            let problem = Problem {
                x: concatenate(Axis(1), &[null_problem.x.view(), step.view()]).expect("rows agree"),
                ..null_problem.clone()
            };
            // Warm start at the previous date's fit, unless it ran off to a
            // boundary (a coefficient at infinity) or did not converge; then
            // at the null fit with no jump.
            let warm = start
                .as_ref()
                .filter(|f| f.converged && f.beta.iter().all(|b| b.abs() < 30.0));
            let (beta0, theta0) = match warm {
                Some(f) => (f.beta.clone(), f.theta),
                None => (null.beta.iter().copied().chain([0.0]).collect(), null.theta),
            };
            let raw = fit_problem(&problem, Some(&beta0), theta0)?;
            profile.push(raw.loglik);
            start = Some(raw);
        }
        Ok((profile, null.loglik))
    }
}

impl Problem {
    /// The same problem with other responses.
    pub(crate) fn with_responses(&self, y: &[f64]) -> Problem {
        let obs: Vec<ObsData> = self
            .obs
            .iter()
            .zip(y)
            .map(|(o, &v)| ObsData { y: v, ..o.clone() })
            .collect();
        Problem {
            obs: Arc::new(obs),
            ..self.clone()
        }
    }
}
