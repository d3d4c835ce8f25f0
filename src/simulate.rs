//! Drawing series from a model: the data-generating side of the same
//! [`Family`] and [`Term`]s that fitting uses, for calibration studies,
//! bootstraps and tests. Seeded with ChaCha8, so a seed gives the same series
//! on every platform.

use rand::Rng;

use crate::data::Series;
use crate::error::SpecError;
use crate::error::{Error, Result};
use crate::model::{Design, Dispersion, Family, Term};

/// What to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulationSpec {
    /// The distribution.
    pub family: Family,
    /// The terms (intercept included when wanted).
    pub terms: Vec<Term>,
    /// One coefficient per design column, in design order.
    pub coefficients: Vec<f64>,
    /// NB2 theta (negbin only).
    pub theta: Option<f64>,
    /// Gaussian standard deviation (gaussian only).
    pub sigma: Option<f64>,
    /// Use `log(exposure)` of the template as offset.
    pub use_offset: bool,
}

/// Per-period means of `spec` on the periods of `template`.
///
/// # Errors
/// [`SpecError::CoefficientCount`] when the coefficients do not match the design.
pub fn period_means(spec: &SimulationSpec, template: &Series) -> Result<Vec<f64>> {
    let design = Design::build(&spec.terms, template, template.n_periods)?;
    if design.names.len() != spec.coefficients.len() {
        return Err(SpecError::CoefficientCount {
            names: design.names.clone(),
            given: spec.coefficients.len(),
        }
        .into());
    }
    let offset = |t: usize| match (&template.period_exposure, spec.use_offset && spec.family.log_link()) {
        (Some(e), true) if e[t].is_finite() => e[t].ln(),
        _ => 0.0,
    };
    Ok((0..template.n_periods)
        .map(|t| {
            let eta: f64 = design
                .x
                .row(t)
                .iter()
                .zip(&spec.coefficients)
                .map(|(x, b)| x * b)
                .sum::<f64>()
                + offset(t);
            spec.family.link().mean(eta)
        })
        .collect())
}

/// Draws one value for each mean ([`Family::draw`], one period each).
///
/// # Errors
/// [`SpecError`] for a missing or invalid theta or sigma;
/// [`Error::Undrawable`] for a mean that cannot be drawn.
pub fn draw<R: Rng + ?Sized>(spec: &SimulationSpec, means: &[f64], rng: &mut R) -> Result<Vec<f64>> {
    let dispersion = match spec.family {
        Family::Poisson => Dispersion::None,
        Family::Negbin => Dispersion::Theta(
            spec.theta
                .filter(|t| *t > 0.0 && t.is_finite())
                .ok_or_else(|| Error::from(SpecError::ThetaNotPositive))?,
        ),
        Family::Gaussian => Dispersion::of(
            Family::Gaussian,
            spec.sigma
                .filter(|s| *s > 0.0 && s.is_finite())
                .ok_or_else(|| Error::from(SpecError::SigmaNotPositive))?,
        ),
    };
    Ok(spec.family.draw_all(means, &vec![1.0; means.len()], dispersion, rng)?)
}

/// The generator of replicate `index` of stream `stream`: ChaCha8 seeded with
/// `seed`, so that replicates do not depend on thread scheduling.
pub(crate) fn stream_rng(seed: u64, stream: u64, index: usize) -> rand_chacha::ChaCha8Rng {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream.wrapping_mul(1 << 32).wrapping_add(index as u64));
    rng
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_counts_and_means_are_right() {
        let spec = SimulationSpec {
            family: Family::Negbin,
            terms: vec![Term::Intercept],
            coefficients: vec![2.0],
            theta: Some(3.0),
            sigma: None,
            use_offset: false,
        };
        let means = vec![2f64.exp(); 20_000];
        let a = draw(&spec, &means, &mut ChaCha8Rng::seed_from_u64(7)).unwrap();
        let b = draw(&spec, &means, &mut ChaCha8Rng::seed_from_u64(7)).unwrap();
        assert_eq!(a, b);
        let n = a.len() as f64;
        let mean = a.iter().sum::<f64>() / n;
        let var = a.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let mu = 2f64.exp();
        // NB2 variance mu + mu^2/theta = 25.6; sampling error of the mean ~0.036.
        assert!((mean - mu).abs() < 0.15, "{mean}");
        assert!((var / (mu + mu * mu / 3.0) - 1.0).abs() < 0.08, "{var}");
    }
}
