//! Scores of a predictive distribution at an observed value. The predictive
//! distribution of a count is the mixture, over coefficient draws, of the
//! family's distribution at each drawn mean (and theta).
//!
//! - Log score: `-log p(y)` (smaller is better).
//! - Ranked probability score for counts: `sum_k (F(k) - 1{y <= k})^2`, the
//!   discrete CRPS (Czado, Gneiting and Held 2009). The sum runs over the
//!   mixture's bulk (from 12 sd below the lowest draw's mean until the tail
//!   mass is below 1e-7); the counts between the outcome and the bulk add one
//!   each, in closed form, so an outcome of 10^9 costs nothing. The sum
//!   takes at most 2·10^7 steps over the draws: a wider bulk is summed over
//!   an evenly spaced subset of the (independent) draws, down to 50. Wider
//!   still (a bulk over 4·10^5 counts: Poisson means beyond 10^9, NB sd
//!   beyond about 3·10^4) the score is the CRPS of the Gaussian mixture with
//!   the same component means and variances; for a Poisson-like shape that
//!   is within 1e-3 of the sum, for a skewed NB (small theta) it is an
//!   approximation. An explosive forecast whose tail reaches past the step
//!   budget is cut there and the score is then a lower bound.
//! - For the Gaussian family: the CRPS of the normal with the mixture's mean
//!   and variance.

use statrs::distribution::{Continuous, ContinuousCDF, Normal};

use crate::model::Family;

/// Draws used for scoring (the first of the forecast's draws).
pub const SCORING_DRAWS: usize = 500;
/// The RPS sum stops once the outcome is passed and the predictive tail mass
/// is below this (the rest adds less than this times the tail length).
const TAIL: f64 = 1e-7;
/// Below the outcome the sum stops at this tail mass, since each of the up
/// to 10^9 counts left would add it twice over.
const BELOW_OUTCOME_TAIL: f64 = 1e-12;
/// Each draw's pmf enters the sum this many sd below its mean (its mass
/// below is under 1e-30).
const BULK_SDS: f64 = 12.0;
/// Steps times draws summed at most.
const WORK_CAP: f64 = 2e7;
/// Fewest draws an RPS sum uses; a bulk too wide for them takes the
/// Gaussian-mixture CRPS.
const MIN_SUMMED_DRAWS: usize = 50;

/// `-log` of the predictive probability (density for the Gaussian) of `y`.
pub fn log_score(family: Family, y: f64, means: &[f64], dispersion: &[f64]) -> f64 {
    let d = means.len().min(SCORING_DRAWS);
    // log of the mixture probability by log-sum-exp, so an outcome far in
    // the tail scores its (large) finite value instead of underflowing.
    let logs: Vec<f64> = (0..d)
        .map(|i| family.loglik(y, means[i], 1.0, dispersion_phi(family, dispersion[i])))
        .collect();
    let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if top == f64::NEG_INFINITY {
        return f64::INFINITY;
    }
    let sum: f64 = logs.iter().map(|l| (l - top).exp()).sum();
    let score = -(top + (sum / d as f64).ln());
    // A count's probability is at most 1; rounding must not make it more.
    if family == Family::Gaussian {
        score
    } else {
        score.max(0.0)
    }
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
    let negbin = family == Family::Negbin;
    let draws: Vec<CountDraw> = (0..d)
        .map(|i| CountDraw::new(means[i], if negbin { Some(dispersion[i]) } else { None }))
        .collect();
    let lo = draws.iter().map(|c| c.start).fold(f64::INFINITY, f64::min);
    let hi = draws
        .iter()
        .map(|c| c.mean + BULK_SDS * c.sd + 10.0)
        .fold(0.0, f64::max);
    // A wide bulk sums over a subset of the (independent) draws, evenly
    // spaced, keeping at least MIN_SUMMED_DRAWS; wider still, the Gaussian
    // mixture.
    let steps = hi - lo;
    let kept = ((WORK_CAP / steps).floor() as usize).min(d);
    if kept < MIN_SUMMED_DRAWS.min(d) {
        return gaussian_mixture_crps(&draws, y);
    }
    let mut draws: Vec<CountDraw> = draws.into_iter().step_by(d.div_ceil(kept)).collect();
    // In order of entry, so that the draws in the sum are a prefix.
    draws.sort_by(|a, b| a.start.total_cmp(&b.start));
    let d = draws.len();
    let lo = draws[0].start;
    // Counts in [y, lo) have F = 0 below every draw's bulk: one each.
    let mut score = (lo - y).max(0.0);
    let max_steps = (WORK_CAP / d as f64).max(hi - lo);
    // pmf(k) = pmf(k - 1) (a k + b) / k: NB a = c, b = (r - 1) c with
    // c = m / (r + m); Poisson a = 0, b = m.
    let (slope, intercept): (Vec<f64>, Vec<f64>) = draws
        .iter()
        .map(|draw| match draw.size {
            Some(r) => {
                let c = draw.mean / (r + draw.mean);
                (c, (r - 1.0) * c)
            }
            None => (0.0, draw.mean),
        })
        .unzip();
    let mut pmf = vec![0.0; d];
    let mut active = 0;
    let mut cdf = 0.0;
    let mut k = lo;
    while k - lo <= max_steps {
        let inv_k = 1.0 / k;
        let mut mass = 0.0;
        for i in 0..active {
            pmf[i] *= (slope[i] * k + intercept[i]) * inv_k;
            mass += pmf[i];
        }
        while active < d && draws[active].start == k {
            let draw = &draws[active];
            pmf[active] = family.loglik(k, draw.mean, 1.0, draw.size.unwrap_or(1.0)).exp();
            mass += pmf[active];
            active += 1;
        }
        cdf += mass / d as f64;
        if k < y && cdf >= 1.0 - BELOW_OUTCOME_TAIL {
            break;
        }
        let step = cdf - if y <= k { 1.0 } else { 0.0 };
        score += step * step;
        if k >= y && cdf >= 1.0 - TAIL {
            break;
        }
        k += 1.0;
    }
    // Every count from here to y - 1 has F = 1 with the outcome above: one each.
    score + (y - k).max(0.0) * cdf * cdf
}

/// One draw of a count predictive: its mean, NB size, sd, and the count at
/// which its pmf enters the RPS sum.
struct CountDraw {
    mean: f64,
    size: Option<f64>,
    sd: f64,
    start: f64,
}

impl CountDraw {
    fn new(mean: f64, size: Option<f64>) -> CountDraw {
        let var = mean + size.map_or(0.0, |r| mean * mean / r);
        let sd = var.sqrt();
        CountDraw {
            mean,
            size,
            sd,
            start: (mean - BULK_SDS * sd).floor().max(0.0),
        }
    }
}

/// CRPS of the equal-weight mixture of normals with the draws' means and
/// variances: `E|X - y| - E|X - X'| / 2`, each term in closed form
/// (Grimit et al. 2006).
fn gaussian_mixture_crps(draws: &[CountDraw], y: f64) -> f64 {
    let standard = Normal::standard();
    // E|N(mu, s^2)| = s (z (2 Phi(z) - 1) + 2 phi(z)), z = mu / s.
    let abs_mean = |mu: f64, s: f64| {
        if s == 0.0 {
            return mu.abs();
        }
        let z = mu / s;
        s * (z * (2.0 * standard.cdf(z) - 1.0) + 2.0 * standard.pdf(z))
    };
    let d = draws.len() as f64;
    let to_outcome: f64 = draws.iter().map(|a| abs_mean(y - a.mean, a.sd)).sum::<f64>() / d;
    let between: f64 = draws
        .iter()
        .flat_map(|a| draws.iter().map(move |b| (a, b)))
        .map(|(a, b)| abs_mean(a.mean - b.mean, a.sd.hypot(b.sd)))
        .sum::<f64>()
        / (d * d);
    to_outcome - between / 2.0
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

    /// The RPS as the plain sum over 0..=n with statrs' CDFs.
    fn direct_rps(y: f64, means: &[f64], n: u64) -> f64 {
        use statrs::distribution::{DiscreteCDF, Poisson};
        let cdfs: Vec<Poisson> = means.iter().map(|&m| Poisson::new(m).unwrap()).collect();
        (0..=n)
            .map(|k| {
                let f = cdfs.iter().map(|p| p.cdf(k)).sum::<f64>() / means.len() as f64;
                (f - if y <= k as f64 { 1.0 } else { 0.0 }).powi(2)
            })
            .sum()
    }

    #[test]
    fn far_outcomes_and_far_apart_draws_match_the_direct_sum() {
        for (y, means) in [
            (5000.0, vec![2.0, 3.0]),
            (0.0, vec![900.0]),
            (40.0, vec![100.0, 10_000.0]),
            (12_000.0, vec![1500.0, 800.0, 10_000.0]),
        ] {
            let ours = rps(Family::Poisson, y, &means, &vec![1.0; means.len()]);
            let direct = direct_rps(y, &means, 20_000);
            assert!(
                (ours - direct).abs() < 1e-6 * direct.max(1.0),
                "{y} {means:?}: {ours} vs {direct}"
            );
        }
    }

    #[test]
    fn a_billion_outcome_or_mean_takes_no_time() {
        let start = std::time::Instant::now();
        let far = rps(Family::Poisson, 1e9, &[20.0; 500], &[1.0; 500]);
        assert!((far / (1e9 - 20.0) - 1.0).abs() < 1e-8, "{far}");
        let huge = rps(Family::Negbin, 8.0, &[1e9; 500], &[5.0; 500]);
        assert!(huge.is_finite() && huge > 0.5e9, "{huge}");
        assert!(start.elapsed().as_secs_f64() < 1.0);
    }

    #[test]
    fn the_gaussian_mixture_crps_is_close_to_the_rps_at_large_means() {
        for y in [99_000.0, 100_000.0, 101_500.0] {
            let means = [99_500.0, 100_400.0];
            let exact = rps(Family::Poisson, y, &means, &[1.0, 1.0]);
            let draws: Vec<CountDraw> = means.iter().map(|&m| CountDraw::new(m, None)).collect();
            let approx = gaussian_mixture_crps(&draws, y);
            assert!((approx / exact - 1.0).abs() < 1e-3, "{y}: {approx} vs {exact}");
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
