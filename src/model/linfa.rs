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

use linfa::dataset::DatasetBase;
use linfa::traits::{Fit as LinfaFit, PredictInplace};
use ndarray::{Array1, ArrayBase, Data, Ix1, Ix2};

use super::Family;
use super::fit::{Fit, fit_matrix};
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
        let fit = fit_matrix(
            self.family,
            dataset.records.view(),
            dataset.targets.view(),
            self.offset.as_ref().map(Array1::view),
            self.intercept,
        )?;
        Ok(GlmModel {
            intercept: self.intercept,
            fit,
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
            y[i] = self.fit.spec.family.link().mean(eta);
        }
    }

    fn default_target(&self, x: &ArrayBase<D, Ix2>) -> Array1<f64> {
        Array1::zeros(x.nrows())
    }
}
