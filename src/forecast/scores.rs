//! Scores of a predictive distribution at an observed value. The predictive
//! distribution of a count is the mixture, over coefficient draws, of the
//! family's distribution at each drawn mean (and theta).
//!
//! - Log score: `-log p(y)` (smaller is better).
//! - Ranked probability score for counts: `sum_k (F(k) - 1{y <= k})^2`, the
//!   discrete CRPS (Czado, Gneiting and Held 2009), summed until the
//!   predictive tail mass falls below 1e-7, or 20,000 counts past the
//!   outcome: for an explosive forecast whose mass reaches beyond that, the
//!   score is a lower bound. For the Gaussian:
//!   the CRPS of the normal with the mixture's mean and variance.

use statrs::distribution::{Continuous, ContinuousCDF, Normal};

use crate::model::Family;

/// Draws used for scoring (the first of the forecast's draws).
pub const SCORING_DRAWS: usize = 500;
/// The RPS sum stops past the outcome once the predictive tail mass is below
/// this (the rest adds less than this times the remaining tail length).
const TAIL: f64 = 1e-7;
/// ... or this many counts past the outcome, for extremely heavy tails.
const MAX_STEPS_PAST: f64 = 20_000.0;

/// `-log` of the predictive probability (density for the Gaussian) of `y`.
pub fn log_score(family: Family, y: f64, means: &[f64], dispersion: &[f64]) -> f64 {
    let d = means.len().min(SCORING_DRAWS);
    let p: f64 = (0..d)
        .map(|i| {
            family
                .loglik(y, means[i], 1.0, dispersion_phi(family, dispersion[i]))
                .exp()
        })
        .sum::<f64>()
        / d as f64;
    -p.ln()
}

fn dispersion_phi(family: Family, dispersion: f64) -> f64 {
    match family {
        Family::Gaussian => dispersion * dispersion,
        _ => dispersion,
    }
}

/// Ranked probability score (count families) or CRPS (Gaussian) of `y`.
pub fn rps(family: Family, y: f64, means: &[f64], dispersion: &[f64]) -> f64 {
    let d = means.len().min(SCORING_DRAWS);
    if family == Family::Gaussian {
        let mean = means[..d].iter().sum::<f64>() / d as f64;
        let var_means = means[..d].iter().map(|m| (m - mean).powi(2)).sum::<f64>() / d as f64;
        let var = var_means + dispersion[..d].iter().map(|s| s * s).sum::<f64>() / d as f64;
        let sd = var.sqrt();
        let z = (y - mean) / sd;
        let n = Normal::standard();
        return sd * (z * (2.0 * n.cdf(z) - 1.0) + 2.0 * n.pdf(z) - 1.0 / std::f64::consts::PI.sqrt());
    }
    // Per draw: pmf(0), then pmf(k+1) = pmf(k) (k + r) c / (k + 1) for NB
    // (c = m / (r + m)), or pmf(k) m / (k + 1) for Poisson.
    let mut pmf: Vec<f64> = (0..d)
        .map(|i| family.loglik(0.0, means[i], 1.0, dispersion[i]).exp())
        .collect();
    let negbin = family == Family::Negbin;
    let size: Vec<f64> = (0..d).map(|i| if negbin { dispersion[i] } else { 0.0 }).collect();
    let ratio: Vec<f64> = (0..d)
        .map(|i| {
            if negbin {
                means[i] / (dispersion[i] + means[i])
            } else {
                means[i]
            }
        })
        .collect();
    let mut cdf = 0.0;
    let mut score = 0.0;
    let mut k = 0.0;
    loop {
        cdf += pmf.iter().sum::<f64>() / d as f64;
        let step = cdf - if y <= k { 1.0 } else { 0.0 };
        score += step * step;
        if k >= y && (cdf >= 1.0 - TAIL || k > y + MAX_STEPS_PAST) {
            break;
        }
        let inv = 1.0 / (k + 1.0);
        if negbin {
            for ((p, r), c) in pmf.iter_mut().zip(&size).zip(&ratio) {
                *p *= (k + r) * c * inv;
            }
        } else {
            for (p, c) in pmf.iter_mut().zip(&ratio) {
                *p *= c * inv;
            }
        }
        k += 1.0;
    }
    score
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rps_of_a_poisson_forecast_matches_the_direct_sum() {
        let mu: f64 = 2.0;
        let pmf = |k: u32| (-mu).exp() * mu.powi(k as i32) / (1..=k).map(f64::from).product::<f64>();
        for y in [0.0, 1.0, 4.0] {
            let direct: f64 = (0..60)
                .map(|k| {
                    let f: f64 = (0..=k).map(pmf).sum();
                    (f - if y <= f64::from(k) { 1.0 } else { 0.0 }).powi(2)
                })
                .sum();
            assert!(
                (rps(Family::Poisson, y, &[mu], &[1.0]) - direct).abs() < 1e-12,
                "y = {y}"
            );
        }
    }

    #[test]
    fn a_point_mass_at_the_outcome_scores_zero() {
        assert_eq!(log_score(Family::Poisson, 0.0, &[0.0], &[1.0]), 0.0);
        assert_eq!(rps(Family::Poisson, 0.0, &[0.0], &[1.0]), 0.0);
        // A point mass elsewhere: the count is impossible, and RPS counts the steps between.
        assert_eq!(log_score(Family::Poisson, 2.0, &[0.0], &[1.0]), f64::INFINITY);
        assert_eq!(rps(Family::Poisson, 2.0, &[0.0], &[1.0]), 2.0);
    }

    #[test]
    fn the_log_score_of_a_poisson_is_minus_its_log_pmf() {
        let want = -(Family::Poisson.loglik(3.0, 2.5, 1.0, 1.0));
        assert!((log_score(Family::Poisson, 3.0, &[2.5, 2.5], &[1.0, 1.0]) - want).abs() < 1e-12);
    }
}
