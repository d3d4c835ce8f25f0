//! The one sampler: a value of a family with a given mean, and its one
//! failure.

use rand::Rng;
use rand_distr::{Distribution, Gamma, Poisson, StandardNormal};
use serde::Serialize;

use super::Family;

/// A value that cannot be drawn: its mean is not a finite non-negative
/// rate (a count family) or not finite (Gaussian), as when a trend is
/// extrapolated until it overflows. Every sampler of countshift (simulate,
/// the bootstraps, the forecasts) draws through [`Family::draw`] and gives
/// this one error.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("the model's mean {mean:.3e} is beyond what can be drawn (it overflowed)")]
pub struct Undrawable {
    /// The mean.
    pub mean: f64,
}

/// The dispersion parameter of a family, per period: none (Poisson), NB2's
/// theta (variance `mu + mu^2 / theta`), or the Gaussian variance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dispersion {
    /// Poisson: the mean fixes the variance.
    None,
    /// NB2's theta.
    Theta(f64),
    /// The Gaussian variance `sigma^2`.
    Variance(f64),
}

impl Dispersion {
    /// `family`'s dispersion from its number: theta (NB), the standard
    /// deviation (Gaussian, squared here), nothing (Poisson).
    pub fn of(family: Family, value: f64) -> Dispersion {
        match family {
            Family::Poisson => Dispersion::None,
            Family::Negbin => Dispersion::Theta(value),
            Family::Gaussian => Dispersion::Variance(value * value),
        }
    }
}

impl Family {
    /// One value with mean `m` for an observation over `k` periods:
    /// Poisson; NB2 with [`Dispersion::Theta`], the theta of one period
    /// (size `k theta` in all, as the likelihood takes it), drawn as a
    /// Poisson with a Gamma(`k theta`, `1 / (k theta)`) multiplier; Gaussian
    /// with [`Dispersion::Variance`], the variance of one period (`k sigma^2`
    /// in all). The one sampler of simulate, every bootstrap and the
    /// forecasts, so that they agree on what a draw is and on its failure.
    ///
    /// # Errors
    /// [`Undrawable`] for a mean no value can be drawn from, or a
    /// dispersion that is not positive and finite or not the family's.
    pub fn draw<R: Rng + ?Sized>(self, m: f64, k: f64, dispersion: Dispersion, rng: &mut R) -> Result<f64, Undrawable> {
        let undrawable = Undrawable { mean: m };
        match (self, dispersion) {
            (Family::Poisson, _) => poisson(m, rng).ok_or(undrawable),
            (Family::Negbin, Dispersion::Theta(theta)) => {
                let r = k * theta;
                let mix = Gamma::new(r, 1.0 / r).map_err(|_| undrawable)?.sample(rng);
                poisson(m * mix, rng).ok_or(undrawable)
            }
            (Family::Gaussian, Dispersion::Variance(v)) => {
                let sd = v.sqrt();
                if !(m.is_finite() && sd.is_finite() && sd > 0.0) {
                    return Err(undrawable);
                }
                let e: f64 = StandardNormal.sample(rng);
                Ok(m + sd * k.sqrt() * e)
            }
            // A dispersion of another family: nothing to draw with.
            _ => Err(undrawable),
        }
    }

    /// [`Family::draw`] for each mean, over `sizes` periods.
    ///
    /// # Errors
    /// As [`Family::draw`], at the first mean that cannot be drawn.
    pub fn draw_all<R: Rng + ?Sized>(
        self,
        means: &[f64],
        sizes: &[f64],
        dispersion: Dispersion,
        rng: &mut R,
    ) -> Result<Vec<f64>, Undrawable> {
        means
            .iter()
            .zip(sizes)
            .map(|(&m, &k)| self.draw(m, k, dispersion, rng))
            .collect()
    }
}

/// A Poisson draw; `None` for a mean that is negative or not finite.
fn poisson<R: Rng + ?Sized>(m: f64, rng: &mut R) -> Option<f64> {
    if m == 0.0 {
        return Some(0.0);
    }
    if !(m.is_finite() && m > 0.0) {
        return None;
    }
    Poisson::new(m).ok().map(|d| d.sample(rng))
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn a_draw_takes_its_familys_dispersion_and_no_other() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        assert!(Family::Negbin.draw(5.0, 1.0, Dispersion::Theta(2.0), &mut rng).is_ok());
        assert!(
            Family::Gaussian
                .draw(5.0, 1.0, Dispersion::Variance(4.0), &mut rng)
                .is_ok()
        );
        let wrong = Undrawable { mean: 5.0 };
        assert_eq!(
            Family::Negbin.draw(5.0, 1.0, Dispersion::Variance(4.0), &mut rng),
            Err(wrong)
        );
        assert_eq!(
            Family::Gaussian.draw(5.0, 1.0, Dispersion::Theta(2.0), &mut rng),
            Err(wrong)
        );
        // A Gaussian draw over k periods has variance k sigma^2.
        let draws: Vec<f64> = (0..20_000)
            .map(|_| {
                Family::Gaussian
                    .draw(0.0, 4.0, Dispersion::Variance(2.25), &mut rng)
                    .unwrap()
            })
            .collect();
        let var = draws.iter().map(|d| d * d).sum::<f64>() / draws.len() as f64;
        assert!((var / 9.0 - 1.0).abs() < 0.05, "{var}");
        assert_eq!(Dispersion::of(Family::Gaussian, 1.5), Dispersion::Variance(2.25));
    }
}
