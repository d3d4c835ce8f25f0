//! The link: how the linear predictor gives the mean.

use serde::Serialize;

/// How the linear predictor `eta` gives the mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Link {
    /// `mean = exp(eta)`: coefficients are log rate ratios.
    Log,
    /// `mean = eta`.
    Identity,
}

impl Link {
    /// The mean at linear predictor `eta`.
    #[inline]
    pub fn mean(self, eta: f64) -> f64 {
        match self {
            Link::Log => eta.exp(),
            Link::Identity => eta,
        }
    }

    /// The mean and its derivative in `eta`, at `eta`.
    #[inline]
    pub fn mean_and_slope(self, eta: f64) -> (f64, f64) {
        match self {
            Link::Log => {
                let mu = eta.exp();
                (mu, mu)
            }
            Link::Identity => (eta, 1.0),
        }
    }
}
