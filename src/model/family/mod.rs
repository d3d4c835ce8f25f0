//! Families: a link, a variance function, a log-likelihood and a deviance, for
//! an observation that is a total over `k` periods with mean `m` (the sum of
//! the per-period means).
//!
//! Aggregated observations:
//! - Poisson: a sum of independent Poisson counts is Poisson with mean `m`
//!   (exact).
//! - Negative binomial (NB2, variance `mu + mu^2/theta` per period, as
//!   `MASS::glm.nb`): a total over `k` periods is taken as NB2 with mean `m`
//!   and size `k * theta`. This is exact when the per-period means are equal
//!   (a sum of `k` iid NB(`mu`, `theta`) is NB(`k mu`, `k theta`)) and matches
//!   the mean, with a close variance, when they differ.
//! - Gaussian: a total over `k` periods is normal with mean `m` and variance
//!   `k sigma^2` (exact for independent periods), i.e. weighted least squares.
//!
//! The family's parts: its [`Link`] (`link.rs`), its [`Dispersion`] and the
//! one sampler every draw of countshift goes through (`draw.rs`), and here
//! the log-likelihood, variance and deviance.

mod draw;
mod link;

pub use draw::{Dispersion, Undrawable};
pub use link::Link;
use serde::{Deserialize, Serialize};
use statrs::function::gamma::ln_gamma;

/// `ln(y!)`, i.e. `ln_gamma(y + 1)`: from a table for the small whole
/// counts that fill most series (the same values, computed once), from
/// `ln_gamma` otherwise. A 10^6-row series spends 45 ms in `ln_gamma`
/// alone without it.
pub(crate) fn ln_factorial(y: f64) -> f64 {
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    const SIZE: usize = 4096;
    if y >= 0.0 && y < SIZE as f64 && y.fract() == 0.0 {
        TABLE.get_or_init(|| (0..SIZE).map(|k| ln_gamma(k as f64 + 1.0)).collect())[y as usize]
    } else {
        ln_gamma(y + 1.0)
    }
}

/// The distribution of the counts, with its link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Family {
    /// Poisson, log link.
    Poisson,
    /// Negative binomial NB2 (theta estimated by maximum likelihood), log link.
    Negbin,
    /// Gaussian, identity link, variance by maximum likelihood.
    Gaussian,
}

impl Family {
    /// The link of the family.
    pub fn link(self) -> Link {
        match self {
            Family::Poisson | Family::Negbin => Link::Log,
            Family::Gaussian => Link::Identity,
        }
    }

    /// True for the log-link families, whose coefficients are log rate ratios.
    pub fn log_link(self) -> bool {
        self.link() == Link::Log
    }

    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Family::Poisson => "poisson",
            Family::Negbin => "negbin",
            Family::Gaussian => "gaussian",
        }
    }

    /// Variance of an observation with mean `m` over `k` periods, given the
    /// dispersion parameter (`theta` for NB; ignored by Poisson; for the
    /// Gaussian the variance up to the factor `sigma^2`).
    pub fn variance(self, m: f64, k: f64, theta: f64) -> f64 {
        match self {
            Family::Poisson => m,
            Family::Negbin => m + m * m / (k * theta),
            Family::Gaussian => k,
        }
    }

    /// Log-likelihood of one observation. `phi` is `theta` (NB) or `sigma^2`
    /// (Gaussian). A zero mean with a zero count contributes 0.
    pub fn loglik(self, y: f64, m: f64, k: f64, phi: f64) -> f64 {
        match self {
            Family::Poisson => {
                if m <= 0.0 {
                    if y == 0.0 { 0.0 } else { f64::NEG_INFINITY }
                } else {
                    y * m.ln() - m - ln_factorial(y)
                }
            }
            Family::Negbin => {
                let r = k * phi;
                if m <= 0.0 {
                    return if y == 0.0 { 0.0 } else { f64::NEG_INFINITY };
                }
                let log_p = if y > 0.0 { y * (m / (r + m)).ln() } else { 0.0 };
                ln_gamma(y + r) - ln_gamma(r) - ln_factorial(y) + r * (r / (r + m)).ln() + log_p
            }
            Family::Gaussian => {
                let v = k * phi;
                -0.5 * (2.0 * std::f64::consts::PI * v).ln() - (y - m) * (y - m) / (2.0 * v)
            }
        }
    }

    /// The terms of [`Family::loglik`] free of the mean: the log-gamma
    /// functions, the costly part, which many means at one `(y, k, phi)`
    /// share.
    pub(crate) fn loglik_constant(self, y: f64, k: f64, phi: f64) -> f64 {
        let r = k * phi;
        match self {
            Family::Poisson => ln_factorial(y),
            Family::Negbin => ln_gamma(y + r) - ln_gamma(r) - ln_factorial(y),
            Family::Gaussian => 0.0,
        }
    }

    /// [`Family::loglik`] given its [`Family::loglik_constant`]: bit for bit
    /// the same value (the same operations in the same order).
    pub(crate) fn loglik_given(self, y: f64, m: f64, k: f64, phi: f64, constant: f64) -> f64 {
        match self {
            Family::Poisson if m > 0.0 => y * m.ln() - m - constant,
            Family::Negbin if m > 0.0 => {
                let r = k * phi;
                let log_p = if y > 0.0 { y * (m / (r + m)).ln() } else { 0.0 };
                constant + r * (r / (r + m)).ln() + log_p
            }
            _ => self.loglik(y, m, k, phi),
        }
    }

    /// [`Family::loglik`] at many means for one `(y, k, phi)`, the
    /// log-gamma terms computed once.
    pub(crate) fn loglik_at_means(self, y: f64, k: f64, phi: f64) -> impl Fn(f64) -> f64 {
        let constant = self.loglik_constant(y, k, phi);
        move |m: f64| self.loglik_given(y, m, k, phi, constant)
    }

    /// The part of the log-likelihood that varies with the mean, dispersion
    /// held fixed (for comparing Fisher-scoring steps cheaply). The Gaussian
    /// kernel is taken at unit variance.
    pub(crate) fn kernel(self, y: f64, m: f64, k: f64, theta: f64) -> f64 {
        let y_log_m = |m: f64| if y > 0.0 { y * m.ln() } else { 0.0 };
        match self {
            Family::Poisson | Family::Negbin if m <= 0.0 => {
                if y == 0.0 {
                    0.0
                } else {
                    f64::NEG_INFINITY
                }
            }
            Family::Poisson => y_log_m(m) - m,
            Family::Negbin => {
                let r = k * theta;
                y_log_m(m) - (y + r) * (r + m).ln()
            }
            Family::Gaussian => -(y - m) * (y - m) / (2.0 * k),
        }
    }

    /// As [`Family::kernel`], given `ln m` (for log-link families).
    pub(crate) fn kernel_with_log(self, y: f64, m: f64, log_m: f64, k: f64, theta: f64) -> f64 {
        let y_log_m = if y > 0.0 { y * log_m } else { 0.0 };
        match self {
            Family::Poisson | Family::Negbin if m <= 0.0 => {
                if y == 0.0 {
                    0.0
                } else {
                    f64::NEG_INFINITY
                }
            }
            Family::Poisson => y_log_m - m,
            Family::Negbin => {
                let r = k * theta;
                y_log_m - (y + r) * (r + m).ln()
            }
            Family::Gaussian => self.kernel(y, m, k, theta),
        }
    }

    /// Unit deviance of one observation (twice the log-likelihood gap to the
    /// saturated model; for the Gaussian the weighted squared residual).
    pub fn deviance(self, y: f64, m: f64, k: f64, theta: f64) -> f64 {
        let ylogy = |a: f64, b: f64| if a > 0.0 { a * (a / b).ln() } else { 0.0 };
        match self {
            Family::Poisson => 2.0 * (ylogy(y, m) - (y - m)),
            Family::Negbin => {
                let r = k * theta;
                2.0 * (ylogy(y, m) - (y + r) * ((y + r) / (m + r)).ln())
            }
            Family::Gaussian => (y - m) * (y - m) / k,
        }
    }
}

/// The trigamma function psi'(x) for x > 0: recurrence up to x >= 10, then the
/// asymptotic series (absolute error below 1e-13). statrs has digamma only.
pub(crate) fn trigamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 10.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let z = 1.0 / (x * x);
    // 1/x + 1/(2x^2) + sum B_2n / x^(2n+1)
    let series = 1.0 / x
        + z / 2.0
        + z / x * (1.0 / 6.0 - z * (1.0 / 30.0 - z * (1.0 / 42.0 - z * (1.0 / 30.0 - z * 5.0 / 66.0))));
    acc + series
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_factorial_is_ln_gamma_of_y_plus_one_bit_for_bit() {
        for y in [0.0, 1.0, 2.0, 10.0, 4095.0, 4096.0, 1e7, 2.5, 0.5] {
            assert_eq!(ln_factorial(y).to_bits(), ln_gamma(y + 1.0).to_bits(), "{y}");
        }
    }

    #[test]
    fn trigamma_matches_known_values() {
        // psi'(1) = pi^2/6, psi'(1/2) = pi^2/2.
        let pi2 = std::f64::consts::PI.powi(2);
        assert!((trigamma(1.0) - pi2 / 6.0).abs() < 1e-13);
        assert!((trigamma(0.5) - pi2 / 2.0).abs() < 1e-12);
        assert!((trigamma(100.0) - 0.010_050_166_663_333_571).abs() < 1e-15);
    }

    #[test]
    fn negbin_sums_of_equal_means_are_negbin_with_k_theta() {
        // NB(2 mu, 2 theta) at y equals the convolution of two NB(mu, theta).
        let (mu, theta) = (1.7, 0.8);
        let pmf = |y: f64, m: f64, r: f64| Family::Negbin.loglik(y, m, 1.0, r).exp();
        let conv: f64 = (0..=5)
            .map(|j| pmf(j as f64, mu, theta) * pmf(5.0 - j as f64, mu, theta))
            .sum();
        assert!((conv - Family::Negbin.loglik(5.0, 2.0 * mu, 2.0, theta).exp()).abs() < 1e-14);
    }

    #[test]
    fn zero_mean_with_zero_count_is_certain() {
        assert_eq!(Family::Poisson.loglik(0.0, 0.0, 1.0, 1.0), 0.0);
        assert_eq!(Family::Poisson.loglik(1.0, 0.0, 1.0, 1.0), f64::NEG_INFINITY);
    }
}
