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
//! - for an intercept-only NB model without exposure, one period per
//!   observation: each segment's mean is its sample mean whatever theta, so
//!   only theta is searched at each date (Newton in `log theta`, started at
//!   the previous date's), on the distinct counts, whose gamma-function sums
//!   every date shares;
//! - a refit per date, for everything else (NB, common terms, run rows):
//!   Fisher scoring (and theta's Newton steps) warm-started from the fit at
//!   the previous date, whose coefficients and theta are close.

use std::sync::Arc;

use ndarray::{Array2, Axis, concatenate};

use super::cost::{GaussianMeanCost, PoissonCost, SegmentCost};
use crate::data::{Period, Series};
use crate::error::Result;
use crate::model::family::trigamma;
use crate::model::fit::{CountGroups, ObsData, Problem, RawFit, THETA_MAX, fit_problem};
use crate::model::{Family, ModelSpec, Term};
use statrs::function::gamma::{digamma, ln_gamma};

/// How the profile is computed.
pub(crate) enum Scan {
    /// Intercept-only Poisson, one period per observation.
    ClosedPoisson {
        /// Exposure of every observation.
        exposure: Option<Vec<f64>>,
    },
    /// Intercept-only Gaussian, one period per observation.
    ClosedGaussian,
    /// Intercept-only NB without exposure, one period per observation.
    ClosedNegbin,
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
            Family::Negbin if intercept_only && !(model.use_offset && series.has_exposure()) => Scan::ClosedNegbin,
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
            Scan::ClosedNegbin => Ok(negbin_profile(y, positions, constants)),
            Scan::Refit(refit) => refit.profile(y),
        }
    }
}

/// The NB profile of the intercept-only model with a step at each position
/// (and the null), theta re-estimated at each: with segment sample means
/// `mu_s` over `n_s` observations totalling `Y_s`,
/// `l(theta) = sum_g c_g A(y_g, theta) + sum_s [Y_s ln mu_s - (n_s theta + Y_s) ln(1 + mu_s / theta)] - sum ln y_i!`,
/// `A(y, r) = ln G(y + r) - ln G(r) - y ln r` summed over the distinct counts.
fn negbin_profile(y: &[f64], positions: &[usize], constants: bool) -> (Vec<f64>, f64) {
    let n = y.len();
    let groups = CountGroups::from_pairs(y.iter().map(|&v| (v, 1.0)));
    let mut prefix = Vec::with_capacity(n + 1);
    prefix.push(0.0);
    for &v in y {
        prefix.push(prefix.last().copied().unwrap_or(0.0) + v);
    }
    let constant = if constants {
        -y.iter().map(|&v| ln_gamma(v + 1.0)).sum::<f64>()
    } else {
        0.0
    };
    let segments = |cut: Option<usize>| -> Vec<(f64, f64)> {
        let bounds: Vec<usize> = std::iter::once(0).chain(cut).chain([n]).collect();
        bounds
            .windows(2)
            .map(|w| ((w[1] - w[0]) as f64, prefix[w[1]] - prefix[w[0]]))
            .collect()
    };
    let loglik = |theta: f64, segs: &[(f64, f64)]| -> f64 {
        let gamma = groups.rising_sums(
            theta,
            |j, r| [(j / r).ln_1p(), 0.0],
            |v, r| [ln_gamma(v + r) - ln_gamma(r) - v * r.ln(), 0.0],
            |_| [1.0, 0.0],
        )[0];
        let means: f64 = segs
            .iter()
            .filter(|&&(_, total)| total > 0.0)
            .map(|&(k, total)| {
                let mu = total / k;
                total * mu.ln() - (k * theta + total) * (mu / theta).ln_1p()
            })
            .sum();
        gamma + means
    };
    // Newton in u = ln theta on l'(theta) = sum psi(y + theta) - psi(theta)
    // - sum_s n_s ln(1 + mu_s / theta), with a line search on l.
    let maximise = |start: f64, segs: &[(f64, f64)]| -> (f64, f64) {
        if segs.iter().all(|s| s.1 <= 0.0) {
            return (THETA_MAX, 0.0);
        }
        let mut u = start.ln();
        let mut current = loglik(start, segs);
        for _ in 0..100 {
            let theta = u.exp();
            let [d1, d2] = groups.rising_sums(
                theta,
                |j, r| [1.0 / (r + j), -1.0 / ((r + j) * (r + j))],
                |v, r| [digamma(v + r) - digamma(r), trigamma(v + r) - trigamma(r)],
                |_| [1.0, 1.0],
            );
            let (mut l1, mut l2) = (d1, d2);
            for &(k, total) in segs {
                let mu = total / k;
                l1 -= k * (mu / theta).ln_1p();
                l2 += k * mu / (theta * (theta + mu));
            }
            let g = l1 * theta;
            let h = l2 * theta * theta + l1 * theta;
            let mut step = if h < 0.0 { -g / h } else { g.signum() };
            step = step.clamp(-3.0, 3.0);
            let mut moved = false;
            for _ in 0..40 {
                let candidate = (u + step).min(THETA_MAX.ln());
                let value = loglik(candidate.exp(), segs);
                if value.is_finite() && value >= current - 1e-14 * (1.0 + current.abs()) {
                    moved = candidate != u;
                    u = candidate;
                    current = value;
                    break;
                }
                step *= 0.5;
            }
            if !moved || step.abs() < 1e-12 || u >= THETA_MAX.ln() {
                break;
            }
        }
        (u.exp().min(THETA_MAX), current)
    };
    let total = prefix[n];
    let spread: f64 = y.iter().map(|&v| (v * n as f64 / total - 1.0).powi(2)).sum();
    let start = if total > 0.0 && spread > 0.0 {
        (n as f64 / spread).clamp(1e-3, THETA_MAX)
    } else {
        1.0
    };
    let (theta_null, null) = maximise(start, &segments(None));
    let mut theta = theta_null;
    let profile = positions
        .iter()
        .map(|&i| {
            let (t, l) = maximise(theta.min(1e6), &segments(Some(i)));
            theta = t;
            l + constant
        })
        .collect();
    (profile, null + constant)
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
