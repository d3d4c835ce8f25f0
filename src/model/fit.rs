//! Maximum likelihood on observations that are totals over sets of periods.
//!
//! Model: per period `t`, `mu_t = exp(x_t' beta + offset_t)` (log link) or
//! `mu_t = x_t' beta` (identity); an observation over periods `P_i` has mean
//! `M_i = sum_{t in P_i} mu_t`. Fisher scoring on this general likelihood:
//! score `sum_i (y_i - M_i) g_i / V_i` and expected information
//! `sum_i g_i g_i' / V_i` with `g_i = dM_i/dbeta` and `V_i` the family's
//! variance of the observation (for single-period rows this is the textbook
//! GLM IRLS). Step-halving keeps every step uphill; convergence is declared
//! when the Newton decrement `score' I^-1 score` falls below `1e-16 (1 + |l|)`.
//! NB theta is updated by Newton steps in `log theta` between beta steps, as
//! `MASS::glm.nb` alternates.

use std::sync::Arc;

use nalgebra::{DMatrix, DVector};
use ndarray::{Array1, Array2};
use serde::Serialize;

use statrs::function::gamma::{digamma, ln_gamma};

use super::family::{Family, trigamma};
use super::terms::{Design, Term};
use crate::data::{Period, Response, Series};
use crate::error::{Result, SpecError};

/// What to estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelSpec {
    /// The distribution.
    pub family: Family,
    /// The terms, intercept included when wanted.
    pub terms: Vec<Term>,
    /// Use `log(exposure)` as offset when the series has exposure.
    pub use_offset: bool,
}

/// One observation as the fitter sees it.
#[derive(Debug, Clone)]
pub(crate) struct ObsData {
    pub periods: crate::data::series::Periods,
    pub y: f64,
    pub k: f64,
}

/// The numeric problem: design, offset and observations.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub family: Family,
    pub x: Array2<f64>,
    pub offset: Array1<f64>,
    pub obs: Arc<Vec<ObsData>>,
}

/// Where a coefficient's maximum likelihood estimate lies at infinity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// The likelihood increases without limit as the coefficient goes to +inf.
    PlusInfinity,
    /// ... to -inf.
    MinusInfinity,
}

/// A fitted model. Derived quantities (standard errors, intervals, AIC, ...)
/// are methods; see also [`crate::inference`].
#[derive(Debug, Clone)]
pub struct Fit {
    /// The spec that was fitted.
    pub(crate) spec: ModelSpec,
    /// Coefficient names.
    pub(crate) names: Vec<String>,
    /// Estimates (for unbounded coefficients: the last iterate, not reported).
    pub(crate) beta: Vec<f64>,
    /// Maximised log-likelihood (the supremum at a boundary).
    pub(crate) loglik: f64,
    /// NB2 dispersion.
    pub(crate) theta: Option<f64>,
    /// Gaussian variance, maximum likelihood (RSS/n).
    pub(crate) sigma2: Option<f64>,
    /// Converged to the tolerance.
    pub(crate) converged: bool,
    /// Fisher-scoring iterations (beta steps).
    pub(crate) iterations: usize,
    /// Per coefficient: `Some` when its estimate lies at infinity.
    pub(crate) bounds: Vec<Option<Bound>>,
    /// Fitted mean of each observation.
    pub(crate) fitted: Vec<f64>,
    /// Observations used.
    pub(crate) n_obs: usize,
    /// Periods of the index not observed.
    pub(crate) n_missing: usize,
    /// Notes on the fit (a boundary, a fallback).
    pub(crate) notes: Vec<String>,
    /// Directions in coefficient space along which the likelihood rises to
    /// its supremum (empty unless an estimate lies at infinity).
    pub(crate) directions: Vec<DVector<f64>>,
    /// Expected information at the estimate (theta fixed; Gaussian at unit variance).
    pub(crate) information: DMatrix<f64>,
    pub(crate) problem: Problem,
    /// The first period and the number of periods of the series fitted
    /// (`None` for a fit to a bare matrix): what its design rows index.
    pub(crate) periods: Option<(Period, usize)>,
}

/// Fits `spec` to `series`.
///
/// # Errors
/// [`SpecError`] for a model that does not suit the data (a count family
/// on real values, collinear terms, no observations),
/// [`crate::Error::Numerical`] if the fit fails in a way the data did not
/// announce.
pub fn fit(spec: &ModelSpec, series: &Series) -> Result<Fit> {
    let problem = Problem::new(spec, series)?;
    check_rank(&problem, &design_names(spec, series)?)?;
    let names = design_names(spec, series)?;
    let raw = fit_problem(&problem, None, None)?;
    let n_missing = series.missing_periods().len();
    Ok(Fit {
        periods: Some((series.first, series.n_periods)),
        ..finish(spec.clone(), names, problem, raw, n_missing)
    })
}

fn design_names(spec: &ModelSpec, series: &Series) -> Result<Vec<String>> {
    Ok(Design::build(&spec.terms, series, 0)?.names)
}

impl Problem {
    pub(crate) fn new(spec: &ModelSpec, series: &Series) -> Result<Problem> {
        if spec.family.log_link() && series.response == Response::Value {
            return Err(SpecError::CountsNeeded {
                family: spec.family.name(),
                series: series.source.clone(),
            }
            .into());
        }
        if series.observations.is_empty() {
            return Err(SpecError::NoObservations {
                series: series.source.clone(),
            }
            .into());
        }
        let design = Design::build(&spec.terms, series, series.n_periods)?;
        let offset = match (&series.period_exposure, spec.use_offset && spec.family.log_link()) {
            (Some(e), true) => e.mapv(|v| if v.is_nan() { 0.0 } else { v.ln() }),
            _ => Array1::zeros(series.n_periods),
        };
        let obs = series
            .observations
            .iter()
            .map(|o| ObsData {
                periods: o.periods.clone(),
                y: o.y,
                k: o.periods.len() as f64,
            })
            .collect();
        Ok(Problem {
            family: spec.family,
            x: design.x,
            offset,
            obs: Arc::new(obs),
        })
    }

    pub(crate) fn p(&self) -> usize {
        self.x.ncols()
    }

    /// Per-observation mean and its gradient, written into `g` (len p).
    pub(crate) fn mean_and_gradient(&self, o: &ObsData, beta: &[f64], g: &mut [f64]) -> f64 {
        g.iter_mut().for_each(|v| *v = 0.0);
        let mut m = 0.0;
        for &t in &o.periods {
            let row = self.x.row(t);
            let eta: f64 = row.iter().zip(beta).map(|(a, b)| a * b).sum::<f64>() + self.offset[t];
            let (mu, w) = self.family.link().mean_and_slope(eta);
            m += mu;
            for (gj, xj) in g.iter_mut().zip(row.iter()) {
                *gj += w * xj;
            }
        }
        m
    }

    /// As [`Problem::mean_and_gradient`], with the log of the mean: for a
    /// single period under the log link it is the linear predictor itself,
    /// which saves the logarithm that dominated refits (a scan refits
    /// n times per replicate).
    fn mean_log_and_gradient(&self, o: &ObsData, beta: &[f64], g: &mut [f64]) -> (f64, f64) {
        if let ([t], true) = (&o.periods[..], self.family.log_link()) {
            let row = self.x.row(*t);
            let eta: f64 = row.iter().zip(beta).map(|(a, b)| a * b).sum::<f64>() + self.offset[*t];
            let mu = eta.exp();
            for (gj, xj) in g.iter_mut().zip(row.iter()) {
                *gj = mu * xj;
            }
            return (mu, eta);
        }
        let m = self.mean_and_gradient(o, beta, g);
        (m, m.ln())
    }

    /// Mean of period `t` at `beta`.
    fn period_mean(&self, t: usize, beta: &[f64]) -> f64 {
        let eta: f64 = self.x.row(t).iter().zip(beta).map(|(a, b)| a * b).sum::<f64>() + self.offset[t];
        self.family.link().mean(eta)
    }

    fn mean(&self, o: &ObsData, beta: &[f64]) -> f64 {
        o.periods.iter().map(|&t| self.period_mean(t, beta)).sum()
    }

    pub(crate) fn means(&self, beta: &[f64]) -> Vec<f64> {
        self.obs.iter().map(|o| self.mean(o, beta)).collect()
    }

    /// Log-likelihood at `beta` with dispersion `phi` (theta or sigma^2).
    fn loglik(&self, beta: &[f64], phi: f64) -> f64 {
        self.obs
            .iter()
            .map(|o| self.family.loglik(o.y, self.mean(o, beta), o.k, phi))
            .sum()
    }

    /// [`Problem::loglik`] with the log-gamma terms computed once per
    /// distinct `(y, k)` of `distinct` (this problem's): bit for bit the
    /// same sum, in the same order, for a fraction of the log-gamma calls
    /// (the NB alternation evaluates it at every theta it tries).
    fn loglik_distinct(&self, beta: &[f64], phi: f64, distinct: &DistinctCounts) -> f64 {
        let constants = distinct.per_observation(|y, k| self.family.loglik_constant(y, k, phi));
        self.obs
            .iter()
            .zip(&constants)
            .map(|(o, &c)| self.family.loglik_given(o.y, self.mean(o, beta), o.k, phi, c))
            .sum()
    }

    /// Score and expected information at `beta` (theta fixed).
    fn score_information(&self, beta: &[f64], theta: f64) -> (DVector<f64>, DMatrix<f64>) {
        let (_, score, info) = self.evaluate(beta, theta);
        (score, info)
    }

    /// One pass over the observations: the log-likelihood kernel (terms that
    /// vary with beta only), the score and the expected information.
    pub(crate) fn evaluate(&self, beta: &[f64], theta: f64) -> (f64, DVector<f64>, DMatrix<f64>) {
        let p = self.p();
        let mut kernel = 0.0;
        let mut score = DVector::zeros(p);
        let mut info = DMatrix::zeros(p, p);
        let mut g = vec![0.0; p];
        for o in self.obs.iter() {
            let (m, log_m) = self.mean_log_and_gradient(o, beta, &mut g);
            kernel += self.family.kernel_with_log(o.y, m, log_m, o.k, theta);
            let v = self.family.variance(m, o.k, theta);
            if v <= 0.0 || !v.is_finite() {
                continue;
            }
            let r = (o.y - m) / v;
            for a in 0..p {
                score[a] += r * g[a];
                let ga = g[a] / v;
                for b in a..p {
                    info[(a, b)] += ga * g[b];
                }
            }
        }
        for a in 0..p {
            for b in 0..a {
                info[(a, b)] = info[(b, a)];
            }
        }
        (kernel, score, info)
    }

    /// The size of the terms the kernel sums, which sets its rounding
    /// noise. Their sum can be far smaller: with a count near 2^53 and a
    /// small theta, NB terms of 10^17 cancel to a log-likelihood of -20,
    /// known to a few units only, so that a Newton decrement of 1e-4 is
    /// noise and halving steps to find it would never end.
    fn kernel_magnitude(&self) -> f64 {
        self.obs
            .iter()
            .map(|o| match self.family {
                Family::Gaussian => o.y * o.y / o.k,
                _ => o.y * (2.0 + o.y.ln_1p()),
            })
            .sum()
    }

    /// Starting values: a constant column at the overall log-rate.
    fn initial_beta(&self) -> Vec<f64> {
        let mut beta = vec![0.0; self.p()];
        let constant = (0..self.p()).find(|&j| self.x.column(j).iter().all(|&v| v == 1.0));
        if let Some(j) = constant {
            let total_y: f64 = self.obs.iter().map(|o| o.y).sum();
            if self.family.log_link() {
                let base: f64 = self
                    .obs
                    .iter()
                    .flat_map(|o| o.periods.iter())
                    .map(|&t| self.offset[t].exp())
                    .sum();
                beta[j] = ((total_y + 0.1) / base).ln();
            } else {
                let k: f64 = self.obs.iter().map(|o| o.k).sum();
                beta[j] = total_y / k;
            }
        }
        beta
    }
}

/// The outcome of the numeric fit.
#[derive(Debug, Clone)]
pub(crate) struct RawFit {
    pub beta: Vec<f64>,
    pub loglik: f64,
    pub theta: Option<f64>,
    pub sigma2: Option<f64>,
    pub converged: bool,
    pub iterations: usize,
    pub notes: Vec<String>,
}

const MAX_ITERATIONS: usize = 200;
/// Largest theta before NB is treated as Poisson (no over-dispersion).
pub(crate) const THETA_MAX: f64 = 1e8;
/// Smallest theta the fit and the forecast draws use.
pub(crate) const THETA_MIN: f64 = 1e-3;

/// Longest step of a log-link coefficient in one scoring iteration.
const MAX_LOG_STEP: f64 = 8.0;
/// Relative rounding error of a sum of log-likelihood terms (a few machine
/// epsilons): times [`Problem::kernel_magnitude`], the noise below which a
/// change in the kernel means nothing.
const ROUNDING: f64 = 1e-15;
/// Log-likelihood rounding noise past which a fit says so.
const NOTED_NOISE: f64 = 0.01;
/// Newton decrement, relative to `1 + |l|`, below which scoring stops.
const DECREMENT_TOL: f64 = 1e-16;
/// A decrement, relative to `1 + |l|`, at which a full Newton step that
/// does not raise `l` means `l` has reached its rounding noise: with 10^5
/// or more observations it sits far above `DECREMENT_TOL`, and halving
/// steps there only spends evaluations (dozens per fit at n = 10^6).
const NOISE_DECREMENT_TOL: f64 = 1e-10;

/// Fisher scoring for beta at fixed theta, stopping when the Newton decrement
/// falls below `tol (1 + |l|)`; returns (beta, converged, iterations).
fn scoring(problem: &Problem, mut beta: Vec<f64>, theta: f64, max_iter: usize, tol: f64) -> (Vec<f64>, bool, usize) {
    let (mut ll, mut score, mut info) = problem.evaluate(&beta, theta);
    let uphill = |new: f64, old: f64| new.is_finite() && new >= old - 1e-13 * (1.0 + old.abs());
    let noise = ROUNDING * problem.kernel_magnitude();
    for iter in 1..=max_iter {
        let Some(mut step) = solve(&info, &score) else {
            return (beta, false, iter);
        };
        // Trust region on the log scale: far from the optimum (a profile refit
        // started at the wrong end) Newton steps for tiny means explode.
        let longest = step.amax();
        if problem.family.log_link() && longest > MAX_LOG_STEP {
            step *= MAX_LOG_STEP / longest;
        }
        let decrement = score.dot(&step);
        if !decrement.is_finite() {
            return (beta, false, iter);
        }
        let take = |scale: f64| -> Vec<f64> { beta.iter().zip(step.iter()).map(|(b, s)| b + scale * s).collect() };
        if decrement < tol * (1.0 + ll.abs()) {
            // The last Newton step is tiny and squares the remaining error.
            let polished = take(1.0);
            if uphill(problem.evaluate(&polished, theta).0, ll) {
                beta = polished;
            }
            return (beta, true, iter);
        }
        let mut scale = 1.0;
        let mut accepted = false;
        for _ in 0..40 {
            let candidate = take(scale);
            let (ll_new, score_new, info_new) = problem.evaluate(&candidate, theta);
            if uphill(ll_new, ll) {
                (beta, ll, score, info) = (candidate, ll_new, score_new, info_new);
                accepted = true;
                break;
            }
            if scale == 1.0 && decrement < (NOISE_DECREMENT_TOL * (1.0 + ll.abs())).max(noise) {
                return (beta, true, iter);
            }
            scale *= 0.5;
        }
        if !accepted {
            // No uphill step left: converged to rounding if the decrement is tiny.
            return (beta, decrement < 1e-8 * (1.0 + ll.abs()), iter);
        }
    }
    (beta, false, max_iter)
}

/// Solves `info * step = score` by Cholesky; a singular system (the
/// boundary) falls back to the pseudo-inverse.
fn solve(info: &DMatrix<f64>, score: &DVector<f64>) -> Option<DVector<f64>> {
    if let Some(chol) = info.clone().cholesky() {
        let step = chol.solve(score);
        if step.iter().all(|v| v.is_finite()) {
            return Some(step);
        }
    }
    let svd = info.clone().svd(true, true);
    let tol = svd.singular_values.max() * 1e-13;
    svd.solve(score, tol).ok()
}

/// Pseudo-inverse of a symmetric positive semi-definite matrix.
pub(crate) fn pseudo_inverse(m: &DMatrix<f64>) -> DMatrix<f64> {
    if let Some(chol) = m.clone().cholesky() {
        let inv = chol.inverse();
        if inv.iter().all(|v| v.is_finite()) {
            return inv;
        }
    }
    let svd = m.clone().svd(true, true);
    let tol = svd.singular_values.max() * 1e-12;
    svd.pseudo_inverse(tol)
        .unwrap_or_else(|_| DMatrix::zeros(m.nrows(), m.ncols()))
}

/// Maximum likelihood for `problem`, optionally warm-started.
pub(crate) fn fit_problem(problem: &Problem, start: Option<&[f64]>, theta_start: Option<f64>) -> Result<RawFit> {
    let beta0 = start.map_or_else(|| problem.initial_beta(), <[f64]>::to_vec);
    let mut notes = Vec::new();
    let noise = ROUNDING * problem.kernel_magnitude();
    if noise > NOTED_NOISE {
        notes.push(format!(
            "the counts are so large that the log-likelihood sums terms of {:.1e} and is known to about ±{} only: likelihood ratios, their tests and profile intervals carry that error",
            noise / ROUNDING,
            crate::numbers::sig3(noise)
        ));
    }
    match problem.family {
        Family::Poisson => {
            let (beta, converged, iterations) = scoring(problem, beta0, 1.0, MAX_ITERATIONS, DECREMENT_TOL);
            let loglik = problem.loglik(&beta, 1.0);
            Ok(RawFit {
                beta,
                loglik,
                theta: None,
                sigma2: None,
                converged,
                iterations,
                notes,
            })
        }
        Family::Gaussian => {
            let (beta, converged, iterations) = scoring(problem, beta0, 1.0, MAX_ITERATIONS, DECREMENT_TOL);
            let n = problem.obs.len() as f64;
            let means = problem.means(&beta);
            let rss: f64 = problem
                .obs
                .iter()
                .zip(&means)
                .map(|(o, m)| (o.y - m) * (o.y - m) / o.k)
                .sum();
            let sigma2 = rss / n;
            let scale: f64 = problem.obs.iter().map(|o| o.y * o.y / o.k).sum::<f64>() / n;
            if sigma2 <= 1e-24 * scale || sigma2 <= f64::MIN_POSITIVE {
                return Err(SpecError::ZeroResidualVariance.into());
            }
            let loglik = problem.loglik(&beta, sigma2);
            Ok(RawFit {
                beta,
                loglik,
                theta: None,
                sigma2: Some(sigma2),
                converged,
                iterations,
                notes,
            })
        }
        Family::Negbin => {
            let (mut beta, _, mut iterations) = match theta_start {
                Some(_) => (beta0, true, 0),
                None => {
                    let pois = Problem {
                        family: Family::Poisson,
                        ..problem.clone()
                    };
                    scoring(&pois, beta0, 1.0, MAX_ITERATIONS, DECREMENT_TOL)
                }
            };
            let groups = CountGroups::new(&problem.obs);
            let distinct = DistinctCounts::new(&problem.obs);
            let mut theta = theta_start.unwrap_or_else(|| moment_theta(problem, &beta));
            let mut ll = problem.loglik_distinct(&beta, theta, &distinct);
            let mut alternation_done = false;
            for _ in 0..100 {
                let (b, _, it) = scoring(problem, beta, theta, MAX_ITERATIONS, DECREMENT_TOL);
                beta = b;
                iterations += it;
                let theta_new = theta_ml(problem, &groups, &beta, theta);
                let ll_new = problem.loglik_distinct(&beta, theta_new, &distinct);
                // The log-likelihood is flat at the optimum, so its change alone
                // stops the alternation while theta is still ~1e-7 away; theta's
                // own change must be negligible too.
                let done = (ll_new - ll).abs() < 1e-13 * (1.0 + ll.abs()) && (theta_new - theta).abs() <= 1e-10 * theta;
                theta = theta_new;
                ll = ll_new;
                if done || theta >= THETA_MAX {
                    alternation_done = true;
                    break;
                }
            }
            // Beta at the final theta.
            let (b, c, it) = scoring(problem, beta, theta, MAX_ITERATIONS, DECREMENT_TOL);
            beta = b;
            let converged = c && alternation_done;
            iterations += it;
            ll = problem.loglik_distinct(&beta, theta, &distinct);
            if theta >= THETA_MAX {
                notes.push(format!(
                    "theta reached {THETA_MAX:e}: the counts show no over-dispersion, so the negative binomial reduces to the Poisson model"
                ));
            }
            Ok(RawFit {
                beta,
                loglik: ll,
                theta: Some(theta),
                sigma2: None,
                converged,
                iterations,
                notes,
            })
        }
    }
}

/// Fits the GLM to a design matrix `records` (one row per observation; a
/// column of ones is put first when `intercept`), counts or values
/// `targets` and an optional offset: the matrix entry point behind the
/// linfa adapter and the segment-totals fit, with the same checks as
/// [`fit`] (counts for a count family, finite offsets, full rank). Its
/// coefficients are named `intercept`, `x1`, `x2`, ...
///
/// # Errors
/// [`SpecError`] for mismatched lengths, a target that is not a count, a
/// non-finite offset or collinear columns; fitting errors otherwise.
pub fn fit_matrix(
    family: Family,
    records: ndarray::ArrayView2<f64>,
    targets: ndarray::ArrayView1<f64>,
    offset: Option<ndarray::ArrayView1<f64>>,
    intercept: bool,
) -> Result<Fit> {
    let (n, k) = records.dim();
    if n == 0 || targets.len() != n {
        return Err(SpecError::RecordsTargets {
            records: n,
            targets: targets.len(),
        }
        .into());
    }
    if let Some(bad) = targets
        .iter()
        .find(|y| !y.is_finite() || (family.log_link() && (**y < 0.0 || y.fract() != 0.0)))
    {
        return Err(SpecError::TargetNotCount {
            value: *bad,
            family: family.name(),
        }
        .into());
    }
    let offset = offset.map_or_else(|| Array1::zeros(n), |o| o.to_owned());
    if offset.len() != n || offset.iter().any(|o| !o.is_finite()) {
        return Err(SpecError::BadOffset {
            values: offset.len(),
            records: n,
        }
        .into());
    }
    let intercept_col = usize::from(intercept);
    let x = Array2::from_shape_fn((n, k + intercept_col), |(i, j)| {
        if j < intercept_col {
            1.0
        } else {
            records[[i, j - intercept_col]]
        }
    });
    let mut terms: Vec<Term> = (1..=k).map(|j| Term::Covariate(format!("x{j}"))).collect();
    if intercept {
        terms.insert(0, Term::Intercept);
    }
    let names: Vec<String> = terms.iter().map(ToString::to_string).collect();
    let obs = targets
        .iter()
        .enumerate()
        .map(|(i, &y)| ObsData {
            periods: crate::data::series::Periods::one(i),
            y,
            k: 1.0,
        })
        .collect();
    let problem = Problem {
        family,
        x,
        offset,
        obs: Arc::new(obs),
    };
    check_rank(&problem, &names)?;
    let raw = fit_problem(&problem, None, None)?;
    let spec = ModelSpec {
        family,
        terms,
        use_offset: false,
    };
    Ok(finish(spec, names, problem, raw, 0))
}

/// The starting theta of `MASS::theta.ml`: n / sum((y/mu - 1)^2).
fn moment_theta(problem: &Problem, beta: &[f64]) -> f64 {
    let means = problem.means(beta);
    let s: f64 = problem
        .obs
        .iter()
        .zip(&means)
        .map(|(o, m)| (o.y / m - 1.0).powi(2))
        .filter(|v| v.is_finite())
        .sum();
    moment_start(problem.obs.len() as f64 / s)
}

/// A moment estimate of theta made a usable start.
pub(crate) fn moment_start(theta: f64) -> f64 {
    if theta.is_finite() && theta > 0.0 {
        theta.clamp(THETA_MIN, THETA_MAX)
    } else {
        1.0
    }
}

/// Maximises the NB log-likelihood in theta at fixed beta.
fn theta_ml(problem: &Problem, groups: &CountGroups, beta: &[f64], start: f64) -> f64 {
    let means = problem.means(beta);
    ThetaProfile::new(groups, &problem.obs, &means).maximise(start)
}

/// The distinct `(y, k)` of the observations with their multiplicities: the
/// NB gamma-function terms depend on an observation only through them, and
/// counts repeat, so 10^6 observations hold a few hundred pairs.
pub(crate) struct CountGroups(Vec<(f64, f64, f64)>);

/// The distinct `(y, k)` pairs of a problem's observations, in order of
/// first appearance, and each observation's pair.
pub(crate) struct DistinctCounts {
    pairs: Vec<(f64, f64)>,
    of_obs: Vec<usize>,
}

impl DistinctCounts {
    pub(crate) fn new(obs: &[ObsData]) -> DistinctCounts {
        let mut index: std::collections::HashMap<(u64, u64), usize> = std::collections::HashMap::new();
        let mut pairs = Vec::new();
        let of_obs = obs
            .iter()
            .map(|o| {
                *index.entry((o.y.to_bits(), o.k.to_bits())).or_insert_with(|| {
                    pairs.push((o.y, o.k));
                    pairs.len() - 1
                })
            })
            .collect();
        DistinctCounts { pairs, of_obs }
    }

    /// `f(y, k)` for every observation, evaluated once per distinct pair.
    pub(crate) fn per_observation(&self, f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
        let values: Vec<f64> = self.pairs.iter().map(|&(y, k)| f(y, k)).collect();
        self.of_obs.iter().map(|&g| values[g]).collect()
    }
}

impl CountGroups {
    pub(crate) fn new(obs: &[ObsData]) -> CountGroups {
        CountGroups::from_pairs(obs.iter().map(|o| (o.y, o.k)))
    }

    /// The groups of `(y, k)` pairs.
    pub(crate) fn from_pairs(pairs: impl Iterator<Item = (f64, f64)>) -> CountGroups {
        let mut counts: std::collections::HashMap<(u64, u64), f64> = std::collections::HashMap::new();
        for (y, k) in pairs {
            *counts.entry((y.to_bits(), k.to_bits())).or_insert(0.0) += 1.0;
        }
        let mut groups: Vec<(f64, f64, f64)> = counts
            .into_iter()
            .map(|((y, k), c)| (f64::from_bits(y), f64::from_bits(k), c))
            .collect();
        // A fixed order keeps the sums, and so the fit, reproducible; by k
        // first for `rising_sums`.
        groups.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.total_cmp(&b.0)));
        CountGroups(groups)
    }

    /// `sum_g c_g w(k_g) f(y_g, k_g theta)`, where `f(y, r)` is the sum of
    /// `term(j, r)` over `j < y` for a whole `y` up to `RISING_SUM_MAX` (the
    /// exact rising-factorial sums) and `large(y, r)` otherwise. Each sum
    /// continues the previous group's of the same `k`, so the cost is the
    /// largest count per `k`, not the sum of the counts.
    pub(crate) fn rising_sums(
        &self,
        theta: f64,
        term: impl Fn(f64, f64) -> [f64; 2],
        large: impl Fn(f64, f64) -> [f64; 2],
        weight: impl Fn(f64) -> [f64; 2],
    ) -> [f64; 2] {
        let mut total = [0.0; 2];
        let (mut k_now, mut j, mut partial) = (f64::NAN, 0.0, [0.0; 2]);
        for &(y, k, c) in &self.0 {
            let r = k * theta;
            let f = if y.fract() == 0.0 && y <= RISING_SUM_MAX {
                if k != k_now {
                    (k_now, j, partial) = (k, 0.0, [0.0; 2]);
                }
                while j < y {
                    let t = term(j, r);
                    partial = [partial[0] + t[0], partial[1] + t[1]];
                    j += 1.0;
                }
                partial
            } else {
                large(y, r)
            };
            let w = weight(k);
            total = [total[0] + c * w[0] * f[0], total[1] + c * w[1] * f[1]];
        }
        total
    }
}

/// The NB log-likelihood as a function of theta at fixed means, with the
/// gamma-function terms summed once per distinct `(y, k)`: each evaluation
/// costs one log per observation instead of two `ln_gamma` calls.
pub(crate) struct ThetaProfile<'a> {
    groups: &'a CountGroups,
    obs: &'a [ObsData],
    means: &'a [f64],
    /// Whether some observation is impossible at any theta (a zero mean
    /// with a positive count).
    impossible: bool,
}

impl<'a> ThetaProfile<'a> {
    pub(crate) fn new(groups: &'a CountGroups, obs: &'a [ObsData], means: &'a [f64]) -> ThetaProfile<'a> {
        let impossible = obs.iter().zip(means).any(|(o, &m)| m <= 0.0 && o.y > 0.0);
        ThetaProfile {
            groups,
            obs,
            means,
            impossible,
        }
    }

    /// The log-likelihood up to terms free of theta (`y ln m - lnG(y + 1)`):
    /// per group `A(y, r) = lnG(y + r) - lnG(r) - y ln r`, per observation
    /// `-(r + y) ln(1 + m / r)`, with `r = k theta`. Written this way nothing
    /// cancels as theta grows (both parts go to their limits, 0 and `-m`),
    /// so the search can follow a flat likelihood to theta's cap.
    fn loglik(&self, theta: f64) -> f64 {
        if self.impossible {
            return f64::NEG_INFINITY;
        }
        let gamma_terms = self.groups.rising_sums(
            theta,
            |j, r| [(j / r).ln_1p(), 0.0],
            |y, r| [ln_gamma(y + r) - ln_gamma(r) - y * r.ln(), 0.0],
            |_| [1.0, 0.0],
        )[0];
        let mean_terms: f64 = self
            .obs
            .iter()
            .zip(self.means)
            .filter(|&(_, &m)| m > 0.0)
            .map(|(o, &m)| {
                let r = o.k * theta;
                -(r + o.y) * (m / r).ln_1p()
            })
            .sum();
        gamma_terms + mean_terms
    }

    /// The theta that maximises the log-likelihood, by Newton in log theta
    /// from `start` with step halving, at most [`THETA_MAX`].
    pub(crate) fn maximise(&self, start: f64) -> f64 {
        let mut log_theta = start.ln();
        let mut current = self.loglik(start);
        for _ in 0..100 {
            let theta = log_theta.exp();
            let (d1, d2) = self.derivatives(theta);
            // Chain rule to log theta.
            let g = d1 * theta;
            let h = d2 * theta * theta + d1 * theta;
            let mut step = if h < 0.0 { -g / h } else { g.signum() };
            step = step.clamp(-3.0, 3.0);
            let mut accepted = false;
            for _ in 0..40 {
                let cand = (log_theta + step).min(THETA_MAX.ln());
                let v = self.loglik(cand.exp());
                if v.is_finite() && v >= current - 1e-14 * (1.0 + current.abs()) {
                    accepted = (cand - log_theta).abs() > 0.0;
                    log_theta = cand;
                    current = v;
                    break;
                }
                step *= 0.5;
            }
            if !accepted || step.abs() < 1e-12 || log_theta >= THETA_MAX.ln() {
                break;
            }
        }
        log_theta.exp().min(THETA_MAX)
    }

    /// First and second derivatives of the log-likelihood in theta (the
    /// second gives theta's standard error).
    pub(crate) fn derivatives(&self, theta: f64) -> (f64, f64) {
        // digamma(y + r) - digamma(r) and trigamma(y + r) - trigamma(r), by r = k theta.
        let [mut d1, mut d2] = self.groups.rising_sums(
            theta,
            |j, r| [1.0 / (r + j), -1.0 / ((r + j) * (r + j))],
            |y, r| [digamma(y + r) - digamma(r), trigamma(y + r) - trigamma(r)],
            |k| [k, k * k],
        );
        for (o, &m) in self.obs.iter().zip(self.means) {
            let r = o.k * theta;
            d1 += o.k * ((m - o.y) / (r + m) - (m / r).ln_1p());
            d2 += o.k * o.k * (1.0 / r - 1.0 / (r + m) - (m - o.y) / ((r + m) * (r + m)));
        }
        (d1, d2)
    }
}

/// Counts up to this are summed term by term in the rising factorial.
const RISING_SUM_MAX: f64 = 200.0;

/// Assembles the fit, detecting estimates at infinity.
pub(crate) fn finish(spec: ModelSpec, names: Vec<String>, problem: Problem, raw: RawFit, n_missing: usize) -> Fit {
    let theta = raw.theta.unwrap_or(1.0);
    let beta = raw.beta;
    let mut notes = raw.notes;
    let fitted = problem.means(&beta);
    let mean_y = problem.obs.iter().map(|o| o.y).sum::<f64>() / problem.obs.len() as f64;
    let mut at_zero: Vec<bool> = problem
        .obs
        .iter()
        .zip(&fitted)
        .map(|(o, &m)| problem.family.log_link() && o.y == 0.0 && m < 1e-8 * (1.0 + mean_y))
        .collect();
    let mut bounds = vec![None; beta.len()];
    let iterations = raw.iterations;
    let kept_problem = |mask: &[bool]| {
        let kept: Vec<ObsData> = problem
            .obs
            .iter()
            .zip(mask)
            .filter(|(_, z)| !**z)
            .map(|(o, _)| o.clone())
            .collect();
        Problem {
            obs: Arc::new(kept),
            ..problem.clone()
        }
    };
    let mut information = problem.score_information(&beta, theta).1;
    let mut unbounded_directions = Vec::new();
    if at_zero.iter().any(|&z| z) {
        // Directions the other observations do not see: the null space of
        // their information. Along them the zero-fitted means go to 0.
        let info = kept_problem(&at_zero).score_information(&beta, theta).1;
        let mut directions = null_directions(&info);
        for d in directions.iter_mut() {
            // Orient d so that the zero-fitted observations' means decrease.
            let push: f64 = problem
                .obs
                .iter()
                .zip(&at_zero)
                .filter(|(_, z)| **z)
                .flat_map(|(o, _)| o.periods.iter())
                .map(|&t| problem.x.row(t).iter().zip(d.iter()).map(|(a, b)| a * b).sum::<f64>())
                .sum();
            if push > 0.0 {
                *d = -d.clone();
            }
            for (j, dj) in d.iter().enumerate() {
                if dj.abs() > 1e-6 && bounds[j].is_none() {
                    bounds[j] = Some(if *dj > 0.0 {
                        Bound::PlusInfinity
                    } else {
                        Bound::MinusInfinity
                    });
                }
            }
        }
        if directions.is_empty() {
            at_zero.iter_mut().for_each(|z| *z = false);
        } else {
            information = info;
            unbounded_directions = directions;
            let zero_obs = at_zero.iter().filter(|&&z| z).count();
            let unbounded: Vec<&str> = names
                .iter()
                .zip(&bounds)
                .filter(|(_, b)| b.is_some())
                .map(|(n, _)| n.as_str())
                .collect();
            notes.push(format!(
                "{} fitted with mean 0; the estimates of {} lie at infinity and are reported as bounds with one-sided profile intervals",
                if zero_obs == 1 {
                    "1 observation with a zero count is".to_owned()
                } else {
                    format!("{zero_obs} observations with zero counts are")
                },
                unbounded.join(", ")
            ));
        }
    }
    Fit {
        spec,
        names,
        beta,
        loglik: raw.loglik,
        theta: raw.theta,
        sigma2: raw.sigma2,
        converged: raw.converged,
        iterations,
        bounds,
        fitted,
        n_obs: problem.obs.len(),
        n_missing,
        notes,
        directions: unbounded_directions,
        information,
        problem,
        periods: None,
    }
}

impl Fit {
    /// The spec that was fitted.
    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    /// Coefficient names, in the order of [`Fit::beta`].
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Estimates (for a coefficient at infinity: the last iterate, which
    /// is not reported; see [`Fit::bounds`]).
    pub fn beta(&self) -> &[f64] {
        &self.beta
    }

    /// Maximised log-likelihood (the supremum at a boundary).
    pub fn loglik(&self) -> f64 {
        self.loglik
    }

    /// NB2 dispersion (negative binomial fits).
    pub fn theta(&self) -> Option<f64> {
        self.theta
    }

    /// Gaussian variance, maximum likelihood (RSS/n).
    pub fn sigma2(&self) -> Option<f64> {
        self.sigma2
    }

    /// Converged to the tolerance.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Fisher-scoring iterations (beta steps).
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// Per coefficient: `Some` when its estimate lies at infinity.
    pub fn bounds(&self) -> &[Option<Bound>] {
        &self.bounds
    }

    /// Fitted mean of each observation.
    pub fn fitted(&self) -> &[f64] {
        &self.fitted
    }

    /// Observations used.
    pub fn n_obs(&self) -> usize {
        self.n_obs
    }

    /// Periods of the index not observed.
    pub fn n_missing(&self) -> usize {
        self.n_missing
    }

    /// Notes on the fit (a boundary, a fallback).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The fitted dispersion: theta (NB), the variance (Gaussian), none
    /// (Poisson).
    pub fn dispersion(&self) -> super::Dispersion {
        use super::Dispersion;
        match self.spec.family {
            Family::Poisson => Dispersion::None,
            Family::Negbin => Dispersion::Theta(self.theta.unwrap_or(1.0)),
            Family::Gaussian => Dispersion::Variance(self.sigma2.unwrap_or(1.0)),
        }
    }

    /// The first period and the number of periods of the series fitted;
    /// `None` for a fit to a bare matrix ([`fit_matrix`]).
    pub fn periods(&self) -> Option<(Period, usize)> {
        self.periods
    }

    /// Whether the combination `c' beta` lies at infinity, and on which side.
    pub fn bound_of(&self, c: &[f64]) -> Option<Bound> {
        self.directions.iter().find_map(|d| {
            let s: f64 = c.iter().zip(d.iter()).map(|(a, b)| a * b).sum();
            (s.abs() > 1e-6).then_some(if s > 0.0 {
                Bound::PlusInfinity
            } else {
                Bound::MinusInfinity
            })
        })
    }
}

/// Unit null vectors of a positive semi-definite matrix, on the scale of its
/// diagonal (a coordinate with zero diagonal is a null direction itself).
fn null_directions(info: &DMatrix<f64>) -> Vec<DVector<f64>> {
    let p = info.nrows();
    let scale: Vec<f64> = (0..p).map(|j| info[(j, j)].max(0.0).sqrt()).collect();
    let mut out = Vec::new();
    let live: Vec<usize> = (0..p).filter(|&j| scale[j] > 0.0).collect();
    for j in (0..p).filter(|&j| scale[j] == 0.0) {
        let mut d = DVector::zeros(p);
        d[j] = 1.0;
        out.push(d);
    }
    if live.is_empty() {
        return out;
    }
    let m = DMatrix::from_fn(live.len(), live.len(), |a, b| {
        info[(live[a], live[b])] / (scale[live[a]] * scale[live[b]])
    });
    let eig = m.symmetric_eigen();
    for (k, &lambda) in eig.eigenvalues.iter().enumerate() {
        if lambda < 1e-9 {
            let mut d = DVector::zeros(p);
            for (a, &j) in live.iter().enumerate() {
                d[j] = eig.eigenvectors[(a, k)] / scale[j];
            }
            let norm = d.norm();
            out.push(d / norm);
        }
    }
    out
}

/// Rejects designs whose columns are linearly dependent on the observed
/// periods, naming the terms involved.
fn check_rank(problem: &Problem, names: &[String]) -> Result<()> {
    let p = problem.p();
    // Observation-level design: each observation's columns summed over its periods.
    let mut gram = DMatrix::<f64>::zeros(p, p);
    let mut g = vec![0.0; p];
    for o in problem.obs.iter() {
        g.iter_mut().for_each(|v| *v = 0.0);
        for &t in &o.periods {
            for (gj, xj) in g.iter_mut().zip(problem.x.row(t).iter()) {
                *gj += xj;
            }
        }
        for a in 0..p {
            for b in 0..p {
                gram[(a, b)] += g[a] * g[b];
            }
        }
    }
    for j in 0..p {
        if gram[(j, j)] == 0.0 {
            return Err(SpecError::TermAllZero { term: names[j].clone() }.into());
        }
    }
    for j in 1..p {
        let block = gram.view((0, 0), (j, j)).into_owned();
        let rhs = gram.view((0, j), (j, 1)).into_owned();
        let Some(chol) = block.cholesky() else { continue };
        let c = chol.solve(&rhs);
        let explained = (rhs.transpose() * &c)[(0, 0)];
        if gram[(j, j)] - explained <= 1e-10 * gram[(j, j)] {
            let with: Vec<String> = (0..j)
                .filter(|&i| c[(i, 0)].abs() > 1e-8)
                .map(|i| names[i].clone())
                .collect();
            return Err(SpecError::Collinear {
                term: names[j].clone(),
                with,
            }
            .into());
        }
    }
    Ok(())
}

impl Fit {
    /// Fitted observation means at other coefficients (same design).
    pub(crate) fn means_at(&self, beta: &[f64]) -> Vec<f64> {
        self.problem.means(beta)
    }

    /// Fitted mean of every period of the series (missing ones included),
    /// offset applied: what a plot of the fitted rate draws.
    pub fn period_means(&self) -> Vec<f64> {
        (0..self.problem.x.nrows())
            .map(|t| self.problem.period_mean(t, &self.beta))
            .collect()
    }

    /// Whether a `log(exposure)` offset entered the model.
    pub fn offset_used(&self) -> bool {
        self.problem.offset.iter().any(|&v| v != 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, Gamma, Poisson};

    /// A trend NB problem of `n` periods drawn with theta 100: weak
    /// over-dispersion, so a likelihood flat in theta.
    fn drawn_problem(n: usize, seed: u64) -> Problem {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x = Array2::from_shape_fn((n, 2), |(t, j)| if j == 0 { 1.0 } else { t as f64 / n as f64 });
        let y: Vec<f64> = (0..n)
            .map(|t| {
                let mu = 5.0 * (t as f64 / n as f64).exp() * Gamma::new(100.0, 0.01).unwrap().sample(&mut rng);
                Poisson::new(mu).unwrap().sample(&mut rng)
            })
            .collect();
        negbin_problem(x, &y)
    }

    /// An NB problem with one observation per period.
    fn negbin_problem(x: Array2<f64>, y: &[f64]) -> Problem {
        let n = y.len();
        Problem {
            family: Family::Negbin,
            x,
            offset: Array1::zeros(n),
            obs: Arc::new(
                y.iter()
                    .enumerate()
                    .map(|(t, &v)| ObsData {
                        periods: crate::data::series::Periods::one(t),
                        y: v,
                        k: 1.0,
                    })
                    .collect(),
            ),
        }
    }

    #[test]
    fn negbin_fit_stops_at_the_theta_optimum_not_short_of_it() {
        for seed in 0..200 {
            let problem = drawn_problem(48, seed);
            let cold = fit_problem(&problem, None, None).unwrap();
            // Warm starts near the optimum, as the profiles make them.
            let near = cold.theta.unwrap() * 1.01;
            let warm = fit_problem(&problem, Some(&cold.beta), Some(near)).unwrap();
            for raw in [cold, warm] {
                let theta = raw.theta.unwrap();
                if theta >= THETA_MAX {
                    continue;
                }
                let groups = CountGroups::new(&problem.obs);
                let means = problem.means(&raw.beta);
                let (d1, d2) = ThetaProfile::new(&groups, &problem.obs, &means).derivatives(theta);
                // The Newton distance to the optimum, relative to theta.
                let distance = (d1 / d2 / theta).abs();
                assert!(distance < 1e-9, "seed {seed}: theta {theta} is {distance:e} short");
            }
        }
    }
}
