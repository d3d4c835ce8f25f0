//! Parameter draws for predictive simulation: how a forecast carries the
//! uncertainty of the fitted coefficients and of NB theta.
//!
//! - Coefficients (every family): `beta + L z` with `z` standard normal and
//!   `L L'` the model-based covariance on the coefficient space the data
//!   identify (zero along directions in which an estimate lies at infinity).
//! - NB theta, [`ParameterDraws::Laplace`] (the default): `log theta` is
//!   drawn from the Laplace approximation of its marginal posterior,
//!   `l(beta_theta, theta) - log det I(theta) / 2 + log pi(theta)`, with
//!   `beta_theta` the coefficients that maximise the likelihood at that theta
//!   (the profile likelihood), `I(theta)` their information (the Cox-Reid
//!   adjustment, which the Laplace approximation of the integral over the
//!   coefficients yields) and `pi` flat in the over-dispersion `1 / theta`
//!   (density `1 / theta` on `log theta`): proper at the Poisson limit,
//!   where the likelihood cannot tell large theta apart (a flat prior on
//!   `log theta` would be improper there), and it offsets the downward
//!   small-sample bias of the estimated over-dispersion. Of the priors
//!   tried (flat on `log theta`, a Jeffreys-shaped one flat on `log
//!   theta` below the mean count and on `1 / theta` above it, and this
//!   one), this one covered best in the calibration study, most at 24
//!   periods with theta 0.5 (docs/backtest.md). The density is tabulated on a
//!   grid in `log theta` (steps of a quarter of the Wald standard error,
//!   out to 12 log-likelihood units below the top); a draw picks a cell by
//!   its mass with one uniform number, takes `log theta` uniform in the
//!   cell, and the coefficients from the normal approximation at that
//!   cell's theta (`beta_theta`, `I(theta)^-1`). Small theta, which makes
//!   heavy-tailed forecasts, gets the weight the likelihood gives it, not
//!   that of a symmetric normal on `log theta` whose standard error can be
//!   as large as theta itself.
//!   Theta at its cap (the counts show no over-dispersion, and the fit
//!   reduces to the Poisson model) is held there.
//! - [`ParameterDraws::Wald`]: theta log-normal with the Wald standard error
//!   of `log theta`, coefficients at the estimate's covariance (what
//!   countshift did before; kept for the calibration study).
//! - [`ParameterDraws::Estimate`]: no parameter uncertainty (the plug-in).
//!
//! The calibration study `tests/calibration_forecast.rs` measures the
//! coverage of each (docs/backtest.md).
//!
//! Random numbers: a draw takes its uniform for theta from one stream and its
//! normals for the coefficients from another, by draw index, so that models
//! forecast from the same seed share them (common random numbers).

use nalgebra::{DMatrix, DVector};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::error::Result;
use crate::inference::{CovarianceKind, identified_basis, root_of};
use crate::model::fit::{DistinctCounts, THETA_MAX, THETA_MIN};
use crate::model::{Family, Fit};

/// How a forecast draws the parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ParameterDraws {
    /// The estimates, no parameter uncertainty (count noise only).
    Estimate,
    /// Coefficients normal at the estimate's covariance; NB theta
    /// log-normal with its Wald standard error.
    Wald,
    /// Coefficients normal; NB theta from the Laplace approximation of its
    /// marginal posterior (the adjusted profile likelihood) under a prior
    /// flat in `1 / theta`, and the coefficients at that theta.
    #[default]
    Laplace,
}

/// Log-density units below the top at which the theta grid stops.
const GRID_DROP: f64 = 12.0;
/// Grid points on each side before the steps start doubling.
const GRID_FINE_STEPS: usize = 48;

/// One cell of the theta grid.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    /// `log theta` range of the cell.
    lo: f64,
    hi: f64,
    /// Coefficients maximising the likelihood at the cell's theta.
    beta: DVector<f64>,
    /// A root of their covariance at that theta.
    root: DMatrix<f64>,
}

/// Draws parameters for one fit.
#[derive(Debug, Clone)]
pub(crate) enum Sampler {
    /// Coefficients `beta + root z`; a fixed dispersion, or (NB, Wald) a
    /// log-normal theta with standard deviation `theta_sd` on the log scale.
    Normal {
        beta: DVector<f64>,
        root: DMatrix<f64>,
        dispersion: f64,
        theta_sd: f64,
    },
    /// NB theta from a tabulated density; coefficients per cell.
    Grid {
        cells: Vec<Cell>,
        /// Cumulative cell masses, the last 1.
        cumulative: Vec<f64>,
    },
}

impl Sampler {
    /// The sampler of `kind` for `fit`.
    ///
    /// # Errors
    /// As [`Fit::covariance`].
    pub(crate) fn new(fit: &Fit, kind: ParameterDraws) -> Result<Sampler> {
        let beta = DVector::from_column_slice(&fit.beta);
        let p = beta.len();
        let dispersion = match fit.spec.family {
            Family::Negbin => fit.theta.unwrap_or(1.0),
            Family::Gaussian => fit.sigma2.map_or(1.0, f64::sqrt),
            Family::Poisson => 1.0,
        };
        if kind == ParameterDraws::Estimate {
            return Ok(Sampler::Normal {
                beta,
                root: DMatrix::zeros(p, p),
                dispersion,
                theta_sd: 0.0,
            });
        }
        let root = root_of(&fit.covariance_matrix(CovarianceKind::Model)?);
        let theta_sd = wald_log_theta_sd(fit).unwrap_or(0.0);
        let at_cap = fit.theta.is_some_and(|t| t >= THETA_MAX);
        if fit.spec.family != Family::Negbin || kind == ParameterDraws::Wald || at_cap {
            // Theta at its cap (no over-dispersion: the fit reduces to the
            // Poisson model and says so) is held there; its standard error
            // is meaningless.
            return Ok(Sampler::Normal {
                beta,
                root,
                dispersion,
                theta_sd,
            });
        }
        Ok(theta_grid(fit))
    }

    /// Normals a draw needs for the coefficients.
    pub(crate) fn normals(&self) -> usize {
        match self {
            Sampler::Normal { root, .. } => root.ncols(),
            Sampler::Grid { cells, .. } => cells[0].root.ncols(),
        }
    }

    /// The normal distribution of the linear predictor `x' beta` given the
    /// draw's cell (its theta): mean and variance, per cell.
    pub(crate) fn linear_predictor(&self, x: &DVector<f64>) -> Vec<(f64, f64)> {
        let of = |beta: &DVector<f64>, root: &DMatrix<f64>| (x.dot(beta), (root.transpose() * x).norm_squared());
        match self {
            Sampler::Normal { beta, root, .. } => vec![of(beta, root)],
            Sampler::Grid { cells, .. } => cells.iter().map(|c| of(&c.beta, &c.root)).collect(),
        }
    }

    /// The coefficients, the dispersion (theta, or sigma for the
    /// Gaussian) and the cell of one draw, from a uniform `u` (for theta)
    /// and standard normals `z` (at least [`Sampler::normals`]).
    pub(crate) fn draw(&self, u: f64, z: &[f64]) -> (DVector<f64>, f64, usize) {
        match self {
            Sampler::Normal {
                beta,
                root,
                dispersion,
                theta_sd,
            } => {
                let z = DVector::from_column_slice(&z[..root.ncols()]);
                let b = beta + root * z;
                let d = if *theta_sd > 0.0 {
                    let e = Normal::standard().inverse_cdf(u.clamp(1e-12, 1.0 - 1e-12));
                    (dispersion * (theta_sd * e).exp()).clamp(THETA_MIN, THETA_MAX)
                } else {
                    *dispersion
                };
                (b, d, 0)
            }
            Sampler::Grid { cells, cumulative } => {
                let j = cumulative.partition_point(|&c| c < u).min(cells.len() - 1);
                let below = if j == 0 { 0.0 } else { cumulative[j - 1] };
                let within = ((u - below) / (cumulative[j] - below)).clamp(0.0, 1.0);
                let cell = &cells[j];
                let theta = (cell.lo + within * (cell.hi - cell.lo))
                    .exp()
                    .clamp(THETA_MIN, THETA_MAX);
                let z = DVector::from_column_slice(&z[..cell.root.ncols()]);
                (&cell.beta + &cell.root * z, theta, j)
            }
        }
    }
}

/// Standard deviation of `log theta` from theta's Wald standard error, for
/// theta below its cap.
fn wald_log_theta_sd(fit: &Fit) -> Option<f64> {
    fit.theta
        .filter(|&t| t < THETA_MAX)
        .zip(fit.theta_std_error())
        .map(|(t, se)| se / t)
        .filter(|s| s.is_finite() && *s > 0.0)
}

/// The NB likelihood at fixed theta, maximised over the identified
/// coefficients.
struct FixedTheta<'a> {
    fit: &'a Fit,
    /// Orthonormal basis of the identified coefficient space.
    basis: DMatrix<f64>,
    /// The observations' distinct counts, for the log-gamma terms.
    distinct: DistinctCounts,
}

/// The fit at one theta.
struct AtTheta {
    beta: DVector<f64>,
    /// `l(beta_theta, theta) - log det I / 2` (before the prior).
    adjusted: f64,
    /// A root of `I^-1` on the identified space, as `p x r`.
    root: DMatrix<f64>,
}

impl FixedTheta<'_> {
    /// Log-likelihood, score and information (on the basis) at `beta`;
    /// `constants` holds each observation's log-gamma terms at `theta`
    /// ([`Family::loglik_constant`]), which every `beta` shares.
    fn evaluate(&self, beta: &DVector<f64>, theta: f64, constants: &[f64]) -> (f64, DVector<f64>, DMatrix<f64>) {
        let problem = &self.fit.problem;
        let family = problem.family;
        let p = beta.len();
        let mut g = vec![0.0; p];
        let mut ll = 0.0;
        let mut score = DVector::zeros(p);
        let mut info = DMatrix::zeros(p, p);
        for (o, &constant) in problem.obs.iter().zip(constants) {
            let m = problem.mean_and_gradient(o, beta.as_slice(), &mut g);
            ll += family.loglik_given(o.y, m, o.k, theta, constant);
            let v = family.variance(m, o.k, theta);
            if v <= 0.0 || !v.is_finite() {
                continue;
            }
            let r = (o.y - m) / v;
            for a in 0..p {
                score[a] += r * g[a];
                for b in 0..p {
                    info[(a, b)] += g[a] * g[b] / v;
                }
            }
        }
        let q = &self.basis;
        (ll, q.transpose() * score, q.transpose() * info * q)
    }

    /// Fisher scoring at `theta` from `start`, on the identified space.
    fn at(&self, theta: f64, start: &DVector<f64>) -> Option<AtTheta> {
        let q = &self.basis;
        let problem = &self.fit.problem;
        let constants = self
            .distinct
            .per_observation(|y, k| problem.family.loglik_constant(y, k, theta));
        let mut beta = start.clone();
        let (mut ll, mut score, mut info) = self.evaluate(&beta, theta, &constants);
        for _ in 0..100 {
            let chol = info.clone().cholesky()?;
            let step = chol.solve(&score);
            let decrement = score.dot(&step);
            if !decrement.is_finite() {
                return None;
            }
            if decrement < 1e-16 * (1.0 + ll.abs()) {
                // The last step is tiny and squares the remaining error.
                beta += q * &step;
                (ll, _, info) = self.evaluate(&beta, theta, &constants);
                break;
            }
            let mut scale = 1.0;
            let mut moved = false;
            for _ in 0..30 {
                let candidate = &beta + q * &step * scale;
                let (l, s, i) = self.evaluate(&candidate, theta, &constants);
                if l.is_finite() && l >= ll - 1e-12 * (1.0 + ll.abs()) {
                    (beta, ll, score, info) = (candidate, l, s, i);
                    moved = true;
                    break;
                }
                scale *= 0.5;
            }
            if !moved {
                break;
            }
        }
        let chol = info.cholesky()?;
        let log_det: f64 = 2.0 * chol.l().diagonal().iter().map(|d| d.ln()).sum::<f64>();
        // I = L L', so I^-1 = L^-T L^-1 and a root of it is L^-T.
        let l_inv_t = chol.l().try_inverse()?.transpose();
        let adjusted = ll - 0.5 * log_det;
        adjusted.is_finite().then(|| AtTheta {
            beta,
            adjusted,
            root: q * l_inv_t,
        })
    }
}

/// The tabulated Laplace density of `log theta` with the coefficients per
/// cell. Falls back to the Wald draws if the likelihood cannot be evaluated
/// at the estimate.
fn theta_grid(fit: &Fit) -> Sampler {
    let fallback = || {
        let beta = DVector::from_column_slice(&fit.beta);
        let root = fit
            .covariance_matrix(CovarianceKind::Model)
            .map(|v| root_of(&v))
            .unwrap_or_else(|_| DMatrix::zeros(beta.len(), beta.len()));
        Sampler::Normal {
            beta,
            root,
            dispersion: fit.theta.unwrap_or(1.0),
            theta_sd: wald_log_theta_sd(fit).unwrap_or(0.0),
        }
    };
    let p = fit.beta.len();
    let basis = if fit.directions.is_empty() {
        DMatrix::identity(p, p)
    } else {
        identified_basis(p, &fit.directions)
    };
    if basis.ncols() == 0 {
        return fallback();
    }
    let problem = FixedTheta {
        fit,
        basis,
        distinct: DistinctCounts::new(&fit.problem.obs),
    };
    let theta_hat = fit.theta.unwrap_or(1.0).clamp(THETA_MIN, THETA_MAX);
    let (lowest, highest) = (THETA_MIN.ln(), THETA_MAX.ln());
    let centre = theta_hat.ln();
    let step = wald_log_theta_sd(fit).map_or(0.25, |s| (s / 4.0).clamp(0.005, 0.25));
    // Flat in 1 / theta: density exp(-u) in u = log theta.
    let log_prior = |u: f64| -u;
    let start = DVector::from_column_slice(&fit.beta);
    let Some(first) = problem.at(theta_hat, &start) else {
        return fallback();
    };
    let mut points: Vec<(f64, f64, AtTheta)> = vec![(centre, first.adjusted + log_prior(centre), first)];
    let mut top = points[0].1;
    for direction in [-1.0, 1.0] {
        let mut u = centre;
        let mut beta = start.clone();
        let mut delta = step;
        for k in 0.. {
            if k >= GRID_FINE_STEPS {
                delta *= 2.0;
            }
            let next = u + direction * delta;
            let next = next.clamp(lowest, highest);
            if next == u {
                break;
            }
            u = next;
            let Some(at) = problem.at(u.exp(), &beta) else {
                break;
            };
            let density = at.adjusted + log_prior(u);
            beta = at.beta.clone();
            top = top.max(density);
            points.push((u, density, at));
            if density < top - GRID_DROP {
                break;
            }
        }
    }
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let k = points.len();
    // Cell edges: midpoints between grid points; the end cells reach as far
    // beyond their point as their inner half (within theta's range).
    let u: Vec<f64> = points.iter().map(|q| q.0).collect();
    let end_half = |a: usize, b: usize| if k > 1 { (u[a] - u[b]).abs() / 2.0 } else { step / 2.0 };
    let mut bounds = vec![(u[0] - end_half(1.min(k - 1), 0)).max(lowest)];
    bounds.extend(u.windows(2).map(|w| (w[0] + w[1]) / 2.0));
    bounds.push((u[k - 1] + end_half(k - 1, k.saturating_sub(2))).min(highest));
    let masses: Vec<f64> = points
        .iter()
        .enumerate()
        .map(|(i, (_, density, _))| (density - top).exp() * (bounds[i + 1] - bounds[i]))
        .collect();
    let total: f64 = masses.iter().sum();
    if !(total.is_finite() && total > 0.0) {
        return fallback();
    }
    let mut running = 0.0;
    let mut cumulative: Vec<f64> = masses
        .iter()
        .map(|m| {
            running += m / total;
            running
        })
        .collect();
    *cumulative.last_mut().expect("a point") = 1.0;
    let cells = points
        .into_iter()
        .enumerate()
        .map(|(i, (_, _, at))| Cell {
            lo: bounds[i],
            hi: bounds[i + 1],
            beta: at.beta,
            root: at.root,
        })
        .collect();
    Sampler::Grid { cells, cumulative }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Observation, Period, Series};
    use crate::model::{ModelSpec, Term, fit};

    fn negbin_fit(counts: &[f64]) -> Fit {
        let mut series = Series::template(Period::month(2020, 1), counts.len());
        series.observations = counts
            .iter()
            .enumerate()
            .map(|(t, &y)| Observation {
                periods: crate::data::series::Periods::one(t),
                y,
                exposure: None,
                line: t as u64 + 2,
            })
            .collect();
        let spec = ModelSpec {
            family: Family::Negbin,
            terms: vec![Term::Intercept, Term::Trend],
            use_offset: false,
        };
        fit(&spec, &series).unwrap()
    }

    #[test]
    fn the_grid_at_the_estimate_reproduces_the_fit() {
        let f = negbin_fit(&[
            3.0, 9.0, 0.0, 14.0, 6.0, 2.0, 25.0, 8.0, 11.0, 1.0, 17.0, 30.0, 5.0, 12.0,
        ]);
        let p = FixedTheta {
            fit: &f,
            basis: DMatrix::identity(2, 2),
            distinct: DistinctCounts::new(&f.problem.obs),
        };
        let at = p
            .at(f.theta.unwrap(), &DVector::from_column_slice(&[0.0, 0.0]))
            .unwrap();
        for (a, b) in at.beta.iter().zip(&f.beta) {
            assert!((a - b).abs() < 1e-7, "{a} vs {b}");
        }
        // Its root is a root of the fit's model covariance.
        let v = f.covariance_matrix(CovarianceKind::Model).unwrap();
        let w = &at.root * at.root.transpose();
        assert!((v - w).amax() < 1e-9);
    }

    #[test]
    fn theta_draws_follow_the_tabulated_density_and_stay_in_range() {
        let f = negbin_fit(&[
            3.0, 9.0, 0.0, 14.0, 6.0, 2.0, 25.0, 8.0, 11.0, 1.0, 17.0, 30.0, 5.0, 12.0,
        ]);
        let s = Sampler::new(&f, ParameterDraws::Laplace).unwrap();
        let Sampler::Grid { cells, cumulative } = &s else {
            panic!("NB draws theta from a grid");
        };
        assert!(cumulative.windows(2).all(|w| w[0] <= w[1]));
        assert!(cells.windows(2).all(|w| w[0].hi == w[1].lo));
        let z = [0.0; 2];
        let thetas: Vec<f64> = (1..1000).map(|i| s.draw(f64::from(i) / 1000.0, &z).1).collect();
        assert!(thetas.windows(2).all(|w| w[0] <= w[1]), "monotone in the uniform");
        // The median draw lies near the estimate (within a Wald sd of log theta).
        let sd = wald_log_theta_sd(&f).unwrap();
        assert!(
            (thetas[499].ln() - f.theta.unwrap().ln()).abs() < sd,
            "{} vs {:?}",
            thetas[499],
            f.theta
        );
    }
}
