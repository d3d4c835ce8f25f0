//! linfa interop: the GLM as a linfa model, so linfa users can fit it on a
//! `Dataset` of a design matrix (records) and counts (targets) and predict
//! means with `predict`, like any linfa model.
//!
//! ```
//! use countshift::model::{Family, linfa::GlmParams};
//! use linfa::prelude::*;
//! use ndarray::array;
//!
//! let x = array![[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]];
//! let y = array![1.0, 2.0, 2.0, 5.0, 6.0, 9.0];
//! let model = GlmParams::new(Family::Poisson).fit(&Dataset::new(x.clone(), y)).unwrap();
//! let means = model.predict(&x);
//! assert!(means[5] > means[0]);
//! ```

use std::sync::Arc;

use linfa::dataset::DatasetBase;
use linfa::traits::{Fit as LinfaFit, PredictInplace};
use ndarray::{Array1, Array2, ArrayBase, Data, Ix1, Ix2};

use super::fit::{Fit, ModelSpec, ObsData, Problem, finish, fit_problem};
use super::{Family, Term};
use crate::error::{Error, Result};

/// What to fit: a family, whether to add an intercept column, and an
/// optional offset (a covariate with coefficient fixed at 1, such as log
/// exposure).
#[derive(Debug, Clone, PartialEq)]
pub struct GlmParams {
    family: Family,
    intercept: bool,
    offset: Option<Array1<f64>>,
}

impl GlmParams {
    /// A GLM of `family` with an intercept.
    pub fn new(family: Family) -> GlmParams {
        GlmParams {
            family,
            intercept: true,
            offset: None,
        }
    }

    /// Whether to add an intercept column (default true).
    pub fn with_intercept(self, intercept: bool) -> GlmParams {
        GlmParams { intercept, ..self }
    }

    /// A per-record offset added to the linear predictor with coefficient 1
    /// (log exposure for a rate model). `predict` gives means at offset 0,
    /// that is per unit of exposure.
    pub fn with_offset(self, offset: Array1<f64>) -> GlmParams {
        GlmParams {
            offset: Some(offset),
            ..self
        }
    }
}

/// A fitted GLM on a plain design matrix.
#[derive(Debug, Clone)]
pub struct GlmModel {
    intercept: bool,
    /// The full fit: estimates, intervals and diagnostics as for series.
    pub fit: Fit,
}

impl GlmModel {
    /// Coefficients, the intercept first when there is one.
    pub fn coefficients(&self) -> &[f64] {
        &self.fit.beta
    }
}

impl<D: Data<Elem = f64>, T: Data<Elem = f64>> LinfaFit<ArrayBase<D, Ix2>, ArrayBase<T, Ix1>, Error> for GlmParams {
    type Object = GlmModel;

    fn fit(&self, dataset: &DatasetBase<ArrayBase<D, Ix2>, ArrayBase<T, Ix1>>) -> Result<GlmModel> {
        let (records, targets) = (&dataset.records, &dataset.targets);
        let (n, k) = records.dim();
        if n == 0 || targets.len() != n {
            return Err(Error::Spec(format!(
                "{n} records but {} targets; give one target per record",
                targets.len()
            )));
        }
        if let Some(bad) = targets
            .iter()
            .find(|y| !y.is_finite() || (self.family.log_link() && (**y < 0.0 || y.fract() != 0.0)))
        {
            return Err(Error::Spec(format!(
                "target {bad} is not a count; the {} family needs non-negative integers",
                self.family.name()
            )));
        }
        let offset = self.offset.clone().unwrap_or_else(|| Array1::zeros(n));
        if offset.len() != n || offset.iter().any(|o| !o.is_finite()) {
            return Err(Error::Spec(format!(
                "the offset has {} values for {n} records, or one is not finite; give one finite offset per record",
                offset.len()
            )));
        }
        let intercept_col = usize::from(self.intercept);
        let x = Array2::from_shape_fn((n, k + intercept_col), |(i, j)| {
            if j < intercept_col {
                1.0
            } else {
                records[[i, j - intercept_col]]
            }
        });
        let mut terms: Vec<Term> = (1..=k).map(|j| Term::Covariate(format!("x{j}"))).collect();
        if self.intercept {
            terms.insert(0, Term::Intercept);
        }
        let names = terms.iter().map(ToString::to_string).collect();
        let obs = targets
            .iter()
            .enumerate()
            .map(|(i, &y)| ObsData {
                periods: vec![i],
                y,
                k: 1.0,
            })
            .collect();
        let problem = Problem {
            family: self.family,
            x,
            offset,
            obs: Arc::new(obs),
        };
        let raw = fit_problem(&problem, None, None)?;
        let spec = ModelSpec {
            family: self.family,
            terms,
            use_offset: false,
        };
        Ok(GlmModel {
            intercept: self.intercept,
            fit: finish(spec, names, problem, raw, 0),
        })
    }
}

impl<D: Data<Elem = f64>> PredictInplace<ArrayBase<D, Ix2>, Array1<f64>> for GlmModel {
    fn predict_inplace(&self, x: &ArrayBase<D, Ix2>, y: &mut Array1<f64>) {
        let beta = &self.fit.beta;
        let shift = usize::from(self.intercept);
        for (i, row) in x.rows().into_iter().enumerate() {
            let eta: f64 = row.iter().zip(&beta[shift..]).map(|(a, b)| a * b).sum::<f64>()
                + if self.intercept { beta[0] } else { 0.0 };
            y[i] = if self.fit.spec.family.log_link() {
                eta.exp()
            } else {
                eta
            };
        }
    }

    fn default_target(&self, x: &ArrayBase<D, Ix2>) -> Array1<f64> {
        Array1::zeros(x.nrows())
    }
}
