//! Inference on a fitted model: standard errors (model-based, sandwich, HAC),
//! Wald and profile-likelihood intervals, likelihood-ratio tests.

pub mod multiplicity;
pub mod overdispersion;
pub mod profile;
pub mod root;

use nalgebra::{DMatrix, DVector};
use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

use crate::error::Result;
use crate::error::SpecError;
use crate::model::Family;
use crate::model::fit::{CountGroups, THETA_MAX, ThetaProfile};
use crate::model::fit::{Fit, pseudo_inverse};

/// A confidence level in (0, 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Level(f64);

impl Level {
    /// A level; must lie strictly between 0 and 1.
    ///
    /// # Errors
    /// [`crate::SpecError`] naming the value.
    pub fn new(level: f64) -> Result<Level> {
        if level > 0.0 && level < 1.0 {
            Ok(Level(level))
        } else {
            Err(crate::error::SpecError::Level { value: level }.into())
        }
    }

    /// The level as a number.
    pub fn value(self) -> f64 {
        self.0
    }

    /// Two-sided normal quantile, 1.96 at 0.95.
    pub fn z(self) -> f64 {
        Normal::standard().inverse_cdf(0.5 + self.0 / 2.0)
    }
}

impl Default for Level {
    fn default() -> Level {
        Level(0.95)
    }
}

/// An interval; an unbounded end is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// Point estimate (`None` when it lies at infinity).
    pub estimate: Option<f64>,
    /// Lower end.
    pub low: Option<f64>,
    /// Upper end.
    pub high: Option<f64>,
    /// Confidence level.
    pub level: f64,
    /// How it was computed.
    pub method: IntervalMethod,
}

impl Interval {
    /// The same interval through a monotone increasing map (e.g. `exp`).
    pub fn map(self, f: impl Fn(f64) -> f64) -> Interval {
        Interval {
            estimate: self.estimate.map(&f),
            low: self.low.map(&f),
            high: self.high.map(&f),
            ..self
        }
    }
}

/// Interval methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntervalMethod {
    /// Estimate ± z × standard error.
    Wald,
    /// Inverting the likelihood-ratio test (profile likelihood).
    Profile,
    /// Profile likelihood with its chi-square cut-off scaled by a bootstrap
    /// Bartlett factor.
    ProfileBartlett,
    /// Exact conditional (binomial) interval.
    ExactConditional,
    /// Exact Poisson (Garwood) interval from chi-square quantiles.
    ExactPoisson,
    /// The union, over a break's date set, of the interval with the break
    /// at each date (see [`crate::changepoint::break_dates`]).
    UnionOverDateSet,
}

/// Which covariance the standard errors use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CovarianceKind {
    /// Inverse expected information (Gaussian: times RSS/(n - p), as R `glm`).
    #[default]
    Model,
    /// Sandwich HC0 (`sandwich::vcovHC(type = "HC0")`).
    Robust,
    /// Newey–West with Bartlett weights and lag `floor(4 (n/100)^(2/9))`, no
    /// prewhitening (`sandwich::NeweyWest(lag = L, prewhite = FALSE, adjust = FALSE)`).
    Hac,
}

/// A test result: the statistic, its reference, and how the p-value was
/// found, with the quantities it rests on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TestResult {
    /// The statistic.
    pub statistic: f64,
    /// Its p-value.
    pub p_value: f64,
    /// Degrees of freedom.
    pub df: f64,
    /// The alternative the p-value is for.
    pub alternative: Alternative,
    /// How the p-value was computed.
    pub method: TestMethod,
}

/// The alternative of a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Alternative {
    /// Any change (a likelihood-ratio statistic).
    TwoSided,
    /// An increase.
    Increase,
}

/// How a p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TestMethod {
    /// The likelihood-ratio statistic against chi-square(df).
    ChiSquare,
    /// The statistic divided by a bootstrap Bartlett factor (applied when
    /// at least 1), against chi-square(df).
    BartlettChiSquare {
        /// The factor estimated (before the floor at 1).
        factor: f64,
        /// Series drawn for it.
        draws: usize,
    },
    /// Parametric bootstrap under the fitted null, `(1 + k) / (B + 1)`.
    Bootstrap {
        /// Replicates drawn (B).
        replicates: usize,
        /// Those that reached the statistic (k), the undrawable included.
        exceedances: usize,
        /// Those that could not be drawn (a mean overflowed).
        undrawable: usize,
    },
    /// Besag and Clifford's sequential bootstrap: stop after `h`
    /// exceedances (`p = h / L` at replicate `L`), else `(1 + k) / (B + 1)`.
    SequentialBootstrap {
        /// The exceedances at which it stops.
        h: usize,
        /// The most replicates it would draw (B).
        budget: usize,
        /// Replicates drawn.
        replicates: usize,
        /// Those that reached the statistic, the undrawable included.
        exceedances: usize,
        /// Those that could not be drawn.
        undrawable: usize,
    },
    /// Andrews' (1993) limit of the sup-LR statistic of one parameter, by
    /// the James-James-Siegmund (1987) tail approximation.
    SupLrLimit {
        /// The fraction trimmed at each end.
        trimming: f64,
    },
}

impl TestMethod {
    /// The method in words, as the output states it.
    pub fn description(self) -> String {
        match self {
            TestMethod::ChiSquare => "likelihood ratio, chi-square reference".into(),
            TestMethod::BartlettChiSquare { .. } => "likelihood ratio, chi-square reference for the statistic divided by a bootstrap Bartlett factor under the null (a factor below 1 is not applied)".into(),
            TestMethod::Bootstrap { replicates, .. } => format!(
                "parametric bootstrap under the fitted null, {replicates} replicate{}",
                if replicates == 1 { "" } else { "s" }
            ),
            TestMethod::SequentialBootstrap {
                h,
                budget,
                replicates,
                exceedances,
                ..
            } if exceedances >= h => format!(
                "sequential parametric bootstrap under the fitted null (Besag and Clifford 1991): stopped after {exceedances} exceedances at replicate {replicates} of {budget}, p = h / L"
            ),
            TestMethod::SequentialBootstrap { h, budget, .. } => format!(
                "sequential parametric bootstrap under the fitted null (Besag and Clifford 1991): fewer than {h} exceedances in {budget} replicates, p = (1 + k) / (B + 1)"
            ),
            TestMethod::SupLrLimit { .. } => {
                "asymptotic: Andrews (1993) sup-LR limit, James-James-Siegmund (1987) tail approximation".into()
            }
        }
    }

    /// Replicates that could not be drawn, for a bootstrap.
    pub fn undrawable(self) -> usize {
        match self {
            TestMethod::Bootstrap { undrawable, .. } | TestMethod::SequentialBootstrap { undrawable, .. } => undrawable,
            _ => 0,
        }
    }
}

/// The Newey–West lag rule used for HAC errors.
pub fn hac_lag(n: usize) -> usize {
    (4.0 * (n as f64 / 100.0).powf(2.0 / 9.0)).floor() as usize
}

impl Fit {
    /// Number of estimated parameters: coefficients, plus theta (NB) or the
    /// variance (Gaussian), as R `logLik` counts them for AIC.
    pub fn n_params(&self) -> usize {
        self.beta.len() + usize::from(self.theta.is_some() || self.sigma2.is_some())
    }

    /// Akaike information criterion, `-2 l + 2 k`.
    pub fn aic(&self) -> f64 {
        -2.0 * self.loglik + 2.0 * self.n_params() as f64
    }

    /// Bayesian information criterion, `-2 l + k log n`.
    pub fn bic(&self) -> f64 {
        -2.0 * self.loglik + self.n_params() as f64 * (self.n_obs as f64).ln()
    }

    fn phi(&self) -> f64 {
        self.theta.unwrap_or(1.0)
    }

    /// Deviance (NB at the estimated theta; Gaussian: weighted RSS).
    pub fn deviance(&self) -> f64 {
        let f = self.spec.family;
        self.problem
            .obs
            .iter()
            .zip(&self.fitted)
            .map(|(o, &m)| f.deviance(o.y, m, o.k, self.phi()))
            .sum()
    }

    /// Pearson chi-square over residual degrees of freedom.
    pub fn pearson_dispersion(&self) -> f64 {
        let f = self.spec.family;
        let chi2: f64 = self
            .problem
            .obs
            .iter()
            .zip(&self.fitted)
            .map(|(o, &m)| {
                let v = f.variance(m, o.k, self.phi());
                if v > 0.0 { (o.y - m).powi(2) / v } else { 0.0 }
            })
            .sum();
        let df = self.n_obs as f64 - self.beta.len() as f64;
        if df > 0.0 { chi2 / df } else { f64::NAN }
    }

    /// Residual degrees of freedom.
    pub fn df_residual(&self) -> usize {
        self.n_obs.saturating_sub(self.beta.len())
    }

    /// Covariance of the coefficients, as an ndarray matrix (the one matrix
    /// type of the public interface).
    ///
    /// # Errors
    /// [`SpecError::SaturatedGaussian`] when the Gaussian model has no residual degrees of freedom.
    pub fn covariance(&self, kind: CovarianceKind) -> Result<ndarray::Array2<f64>> {
        Ok(to_ndarray(&self.covariance_matrix(kind)?))
    }

    /// [`Fit::covariance`] as the nalgebra matrix the computations use.
    pub(crate) fn covariance_matrix(&self, kind: CovarianceKind) -> Result<DMatrix<f64>> {
        let bread = identified_inverse(&self.information, &self.directions);
        let scale = match self.spec.family {
            Family::Gaussian => {
                let df = self.df_residual();
                if df == 0 {
                    return Err(SpecError::SaturatedGaussian.into());
                }
                self.deviance() / df as f64
            }
            _ => 1.0,
        };
        match kind {
            CovarianceKind::Model => Ok(bread * scale),
            CovarianceKind::Robust => Ok(&bread * self.meat(0) * &bread),
            CovarianceKind::Hac => Ok(&bread * self.meat(hac_lag(self.n_obs)) * &bread),
        }
    }

    /// Per-observation score contributions `(y - M) g / V`, in time order.
    fn scores(&self) -> Vec<Vec<f64>> {
        let p = self.beta.len();
        let mut g = vec![0.0; p];
        self.problem
            .obs
            .iter()
            .map(|o| {
                let m = self.problem.mean_and_gradient(o, &self.beta, &mut g);
                let v = self.spec.family.variance(m, o.k, self.phi());
                let r = if v > 0.0 { (o.y - m) / v } else { 0.0 };
                g.iter().map(|gj| r * gj).collect()
            })
            .collect()
    }

    /// Bartlett-weighted sum of score cross-products up to `lag`.
    fn meat(&self, lag: usize) -> DMatrix<f64> {
        let s = self.scores();
        let p = self.beta.len();
        let mut meat = DMatrix::zeros(p, p);
        for l in 0..=lag.min(s.len().saturating_sub(1)) {
            let w = 1.0 - l as f64 / (lag as f64 + 1.0);
            for i in l..s.len() {
                for a in 0..p {
                    for b in 0..p {
                        meat[(a, b)] += if l == 0 {
                            s[i][a] * s[i][b]
                        } else {
                            w * (s[i][a] * s[i - l][b] + s[i - l][a] * s[i][b])
                        };
                    }
                }
            }
        }
        meat
    }

    /// Standard errors (`None` for a coefficient at infinity).
    ///
    /// # Errors
    /// As [`Fit::covariance`].
    pub fn std_errors(&self, kind: CovarianceKind) -> Result<Vec<Option<f64>>> {
        let cov = self.covariance_matrix(kind)?;
        Ok((0..self.beta.len())
            .map(|j| {
                if self.bounds[j].is_some() {
                    None
                } else {
                    Some(cov[(j, j)].max(0.0).sqrt())
                }
            })
            .collect())
    }

    /// Standard error of NB theta, as `MASS::glm.nb` (`SE.theta`); `None`
    /// when theta is at its cap of 1e8 (the NB has reduced to the Poisson):
    /// the log-likelihood is flat there, and the inverse curvature (about
    /// 1e11) is no standard error.
    pub fn theta_std_error(&self) -> Option<f64> {
        let theta = self.theta.filter(|&t| t < THETA_MAX)?;
        let groups = CountGroups::new(&self.problem.obs);
        let (_, d2) = ThetaProfile::new(&groups, &self.problem.obs, &self.fitted).derivatives(theta);
        (d2 < 0.0).then(|| (-1.0 / d2).sqrt())
    }
    /// Every coefficient's interval: profile likelihood for the model
    /// covariance unless `wald`, and Wald for robust or HAC errors. The
    /// profile intervals (each a series of refits) run in parallel.
    ///
    /// # Errors
    /// Failure of a profile refit or of the covariance.
    pub fn coefficient_intervals(&self, level: Level, kind: CovarianceKind, wald: bool) -> Result<Vec<Interval>> {
        use rayon::prelude::*;
        (0..self.beta.len())
            .into_par_iter()
            .map(|j| {
                if wald || kind != CovarianceKind::Model {
                    self.wald_interval(j, level, kind)
                } else {
                    self.profile_interval(j, level)
                }
            })
            .collect::<Vec<_>>()
            .into_iter()
            .collect()
    }

    /// Wald interval for coefficient `j`.
    ///
    /// # Errors
    /// As [`Fit::covariance`].
    pub fn wald_interval(&self, j: usize, level: Level, kind: CovarianceKind) -> Result<Interval> {
        let se = self.std_errors(kind)?[j];
        let estimate = self.bounds[j].is_none().then_some(self.beta[j]);
        let (low, high) = match (estimate, se) {
            (Some(b), Some(se)) => (Some(b - level.z() * se), Some(b + level.z() * se)),
            _ => (None, None),
        };
        Ok(Interval {
            estimate,
            low,
            high,
            level: level.value(),
            method: IntervalMethod::Wald,
        })
    }
}

/// The inverse of `info` on the coefficient space orthogonal to
/// `directions` (those along which an estimate lies at infinity, the null
/// space of `info`), zero along them: `Q (Q' info Q)^-1 Q'` with `Q` an
/// orthonormal basis of the complement. Inverting the singular `info`
/// itself (a Cholesky factor that survives rounding) gives entries of
/// 1e15 whose rounding swamps the identified part; without directions this
/// is the plain (pseudo-)inverse.
pub(crate) fn identified_inverse(info: &DMatrix<f64>, directions: &[DVector<f64>]) -> DMatrix<f64> {
    if directions.is_empty() {
        return pseudo_inverse(info);
    }
    let q = identified_basis(info.nrows(), directions);
    let inner = q.transpose() * info * &q;
    &q * pseudo_inverse(&inner) * q.transpose()
}

/// An orthonormal basis (as columns) of the complement of `directions` in
/// `p` dimensions.
pub(crate) fn identified_basis(p: usize, directions: &[DVector<f64>]) -> DMatrix<f64> {
    // Gram-Schmidt on the directions, then the unit eigenvectors of the
    // projection onto their complement.
    let mut basis: Vec<DVector<f64>> = Vec::new();
    for d in directions {
        let mut v = d.clone();
        for b in &basis {
            v -= b * b.dot(&v);
        }
        let norm = v.norm();
        if norm > 1e-8 {
            basis.push(v / norm);
        }
    }
    let mut projection = DMatrix::identity(p, p);
    for b in &basis {
        projection -= b * b.transpose();
    }
    let eig = projection.symmetric_eigen();
    let columns: Vec<DVector<f64>> = (0..p)
        .filter(|&j| eig.eigenvalues[j] > 0.5)
        .map(|j| eig.eigenvectors.column(j).into_owned())
        .collect();
    if columns.is_empty() {
        DMatrix::zeros(p, 0)
    } else {
        DMatrix::from_columns(&columns)
    }
}

/// A square root `L` of a covariance (`L L' = V`), by eigen-decomposition so
/// that singular covariances (an estimate at a boundary) work; coefficient
/// draws are `beta + L z` with `z` standard normal.
pub fn covariance_root(v: &ndarray::Array2<f64>) -> ndarray::Array2<f64> {
    let m = DMatrix::from_fn(v.nrows(), v.ncols(), |i, j| v[[i, j]]);
    to_ndarray(&root_of(&m))
}

fn to_ndarray(m: &DMatrix<f64>) -> ndarray::Array2<f64> {
    ndarray::Array2::from_shape_fn((m.nrows(), m.ncols()), |(i, j)| m[(i, j)])
}

/// [`covariance_root`] on the nalgebra matrix the computations use.
pub(crate) fn root_of(v: &DMatrix<f64>) -> DMatrix<f64> {
    let eig = v.clone().symmetric_eigen();
    let mut root = eig.eigenvectors.clone();
    for (j, &lambda) in eig.eigenvalues.iter().enumerate() {
        root.column_mut(j).scale_mut(lambda.max(0.0).sqrt());
    }
    root
}

/// Likelihood-ratio test of `reduced` nested in `full`.
pub fn lr_test(full: &Fit, reduced: &Fit) -> TestResult {
    let statistic = (2.0 * (full.loglik - reduced.loglik)).max(0.0);
    let df = (full.n_params() - reduced.n_params()) as f64;
    let p_value = ChiSquared::new(df.max(1.0))
        .map(|c| c.sf(statistic))
        .unwrap_or(f64::NAN);
    TestResult {
        statistic,
        p_value,
        df,
        alternative: Alternative::TwoSided,
        method: TestMethod::ChiSquare,
    }
}

/// Two-sided normal p-value of a z statistic.
pub fn normal_p_value(z: f64) -> f64 {
    2.0 * Normal::standard().sf(z.abs())
}
