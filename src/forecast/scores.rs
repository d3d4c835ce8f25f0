//! Scores of a predictive distribution at an observed value. The predictive
//! distribution of a count is the mixture, over coefficient draws, of the
//! family's distribution at each drawn mean (and theta).
//!
//! - Log score: `-log p(y)` (smaller is better); with
//!   [`score_with_predictor`] Rao-Blackwellised over the coefficients.
//! - Ranked probability score for counts: `sum_k (F(k) - 1{y <= k})^2`, the
//!   discrete CRPS (Czado, Gneiting and Held 2009). Each draw enters the sum
//!   12 sd below its mean and leaves it once past its mean with less than
//!   1e-10 of its mass left (its CDF is then 1); the sum stops above the
//!   outcome once the rest is bounded by 1e-8 of the score (`(1 - F(k))`
//!   times the mixture's mean less what has been counted). The counts
//!   between the outcome and the first draw's entry add one each, in closed
//!   form, so an outcome of 10^9 costs nothing. Once only wide draws are
//!   left (blocks of at least 16 counts at 1/50 of the narrowest sd or tail
//!   e-fold, and of the count), the sum runs in blocks: each draw's pmf at
//!   the block ends from its log-gamma form, its mass over the block as a
//!   geometric run, the score by Euler-Maclaurin (within a few 1e-6 of the
//!   direct sum). Draws whose summed runs (bulk plus 20 tail e-folds) would
//!   exceed 2·10^7 counts in all are summed over an evenly spaced subset of
//!   the (independent) draws, down to 50; wider still (Poisson means beyond
//!   about 10^9, NB sd beyond about 10^5) the score is the CRPS of the
//!   Gaussian mixture with the same component means and variances; for a
//!   Poisson-like shape that is within 1e-3 of the sum, for a skewed NB
//!   (small theta) it is an approximation. A sum past 10^8 count-steps is
//!   cut there and is then a lower bound.
//! - For the Gaussian family: the CRPS of the normal with the mixture's mean
//!   and variance.
//!
//! Every draw of the forecast enters the mixture (`--draws` of them). The
//! RPS of a mixture of `D` draws exceeds, on average, that of the
//! distribution they are drawn from by `sum_k var(F_d(k)) / D`; [`score`]
//! subtracts the unbiased estimate of that excess (as the fair CRPS of an
//! ensemble, Ferro 2014), so that the mean score does not drift with
//! `--draws`. [`rps`] is the mixture's own RPS.
//!
//! Monte Carlo error: a score of the mixture of `D` draws is a smooth
//! function of the mean of per-draw quantities (the pmf at `y` for the log
//! score, the CDF for the RPS), so its Monte Carlo variance is, to first
//! order, `var(psi_d) / D` with `psi_d` the influence of draw `d` (the
//! derivative of the score in the direction of that draw): `-(p_d(y) /
//! p(y) - 1)` for the log score and `2 sum_k (F(k) - 1{y <= k}) (F_d(k) -
//! F(k))` for the RPS. [`Scored::log_score_influence`] and
//! [`Scored::rps_influence`] hold them per draw, so that influences of the
//! same draw summed over horizon steps give the Monte Carlo error of a sum
//! of scores.
//!
//! The first-order error holds while `p_d(y)` has a moderate spread over
//! the draws; for an outcome far beyond the bulk of every draw (a Poisson
//! log score above about 10), `p(y)` rests on a few rare draws and the
//! error is understated (by half at a log score of 20 with 200 draws).
//!
//! PIT: the mixture's `F(y - 1)` and `F(y)`, from which the non-randomised
//! PIT histogram of Czado, Gneiting and Held (2009) is built (for the
//! Gaussian both are `F(y)`).

use statrs::distribution::{Continuous, ContinuousCDF, Normal};

use crate::model::Family;

/// The scores of one forecast at its outcome, with per-draw influences.
#[derive(Debug, Clone)]
pub struct Scored {
    /// Log score, `-log p(y)`.
    pub log_score: f64,
    /// RPS (CRPS for the Gaussian) of the distribution the draws come
    /// from: the mixture's RPS less its finite-draw excess (fair).
    pub rps: f64,
    /// Per draw: the influence on the log score (empty when it is infinite).
    pub log_score_influence: Vec<f64>,
    /// Per draw: the influence on the RPS.
    pub rps_influence: Vec<f64>,
    /// The mixture's `F(y - 1)` and `F(y)`.
    pub pit: (f64, f64),
}

/// Scores `y` under the mixture of the draws (`means`, `dispersion`:
/// theta for NB, sigma for the Gaussian).
pub fn score(family: Family, y: f64, means: &[f64], dispersion: &[f64]) -> Scored {
    score_with_predictor(family, y, means, dispersion, None)
}

/// [`score`], with the log score Rao-Blackwellised when `predictor` gives,
/// per draw, the normal law (mean, variance) of the linear predictor given
/// the draw's dispersion: `p(y)` is then the mean over draws of `p(y |
/// theta_d)`, the coefficients integrated out by adaptive Gauss-Hermite
/// quadrature (exact for Poisson, no Monte Carlo error; NB keeps only the
/// error of its theta draws).
pub fn score_with_predictor(
    family: Family,
    y: f64,
    means: &[f64],
    dispersion: &[f64],
    predictor: Option<&[(f64, f64)]>,
) -> Scored {
    let (log_score, log_score_influence) = match predictor {
        Some(eta) => integrated_log_score(family, y, eta, dispersion),
        None => log_score_with_influence(family, y, means, dispersion),
    };
    let (rps, excess, rps_influence, pit) = rps_with_influence(family, y, means, dispersion);
    Scored {
        log_score,
        rps: rps - excess,
        log_score_influence,
        rps_influence,
        pit,
    }
}
/// The RPS sum stops once the outcome is passed and the rest of the sum is
/// bounded by this fraction of the score.
const TAIL: f64 = 1e-8;
/// Below the outcome the sum stops at this tail mass, since each of the up
/// to 10^9 counts left would add it twice over.
const BELOW_OUTCOME_TAIL: f64 = 1e-12;
/// Each draw's pmf enters the sum this many sd below its mean (its mass
/// below is under 1e-30).
const BULK_SDS: f64 = 12.0;
/// Summed widths of the draws' bulks (counts times draws) at most: beyond,
/// a subset of the draws is summed.
const WORK_CAP: f64 = 2e7;
/// Steps times draws actually summed at most (a heavy tail runs past its
/// bulk): the sum is cut there and the score is then a lower bound.
const WORK_LIMIT: f64 = 1e8;
/// A draw leaves the sum once past its mean with less than this mass left
/// (its CDF is then taken as 1; the RPS moves by less than about twice
/// this times the draw's tail length over the number of draws).
const RETIRED_MASS: f64 = 1e-10;
/// Counts between checks for draws to retire.
const RETIRE_EVERY: u64 = 16;
/// Once the draws left are wide enough for blocks of this many counts (a
/// pmf from its log-gamma form costs about as much as 16 steps of the
/// recurrence), the sum runs in blocks: each draw's pmf at the block ends,
/// its mass over the block as a geometric run between them, and the score's
/// sums by Euler-Maclaurin (the trapezoid with its end correction).
const MIN_BLOCK: f64 = 16.0;
/// Blocks per sd (or per e-fold of a heavy tail): the trapezoid's relative
/// error on the blocks is then about 1 / (12 BLOCKS_PER_SCALE^2) (1e-6 of the RPS
/// against the direct sum in the tests).
const BLOCKS_PER_SCALE: f64 = 50.0;
/// Fewest draws an RPS sum uses; a bulk too wide for them takes the
/// Gaussian-mixture CRPS.
const MIN_SUMMED_DRAWS: usize = 50;

/// `-log` of the predictive probability (density for the Gaussian) of `y`.
pub fn log_score(family: Family, y: f64, means: &[f64], dispersion: &[f64]) -> f64 {
    log_score_with_influence(family, y, means, dispersion).0
}

fn log_score_with_influence(family: Family, y: f64, means: &[f64], dispersion: &[f64]) -> (f64, Vec<f64>) {
    let d = means.len();
    // log of the mixture probability by log-sum-exp, so an outcome far in
    // the tail scores its (large) finite value instead of underflowing.
    let logs: Vec<f64> = (0..d)
        .map(|i| family.loglik(y, means[i], 1.0, dispersion_phi(family, dispersion[i])))
        .collect();
    let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if top == f64::NEG_INFINITY {
        return (f64::INFINITY, Vec::new());
    }
    let weights: Vec<f64> = logs.iter().map(|l| (l - top).exp()).collect();
    let sum: f64 = weights.iter().sum();
    let score = -(top + (sum / d as f64).ln());
    let influence = weights.iter().map(|w| 1.0 - w * d as f64 / sum).collect();
    // A count's probability is at most 1; rounding must not make it more.
    let score = if family == Family::Gaussian {
        score
    } else {
        score.max(0.0)
    };
    (score, influence)
}

/// The log score of `y` with each draw's pmf integrated over its linear
/// predictor's normal law, and the influences.
fn integrated_log_score(family: Family, y: f64, eta: &[(f64, f64)], dispersion: &[f64]) -> (f64, Vec<f64>) {
    let d = eta.len();
    let mut last: Option<((f64, f64, f64), f64)> = None;
    let logs: Vec<f64> = eta
        .iter()
        .zip(dispersion)
        .map(|(&(m, v), &phi)| {
            let key = (m, v, phi);
            if let Some((k, l)) = last
                && k == key
            {
                return l;
            }
            let l = integrated_log_pmf(family, y, m, v, phi);
            last = Some((key, l));
            l
        })
        .collect();
    let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if top == f64::NEG_INFINITY {
        return (f64::INFINITY, Vec::new());
    }
    let weights: Vec<f64> = logs.iter().map(|l| (l - top).exp()).collect();
    let sum: f64 = weights.iter().sum();
    let score = -(top + (sum / d as f64).ln());
    let influence = weights.iter().map(|w| 1.0 - w * d as f64 / sum).collect();
    let score = if family == Family::Gaussian {
        score
    } else {
        score.max(0.0)
    };
    (score, influence)
}

/// `log E p(y | eta)` for `eta ~ N(m, v)`: closed form for the Gaussian;
/// for the log link, Gauss-Hermite quadrature of 24 points centred at the
/// mode of the integrand and scaled by its curvature (adaptive, as in
/// `lme4`), in logs so that a far outcome keeps its precision.
pub(crate) fn integrated_log_pmf(family: Family, y: f64, m: f64, v: f64, phi: f64) -> f64 {
    if family == Family::Gaussian {
        return family.loglik(y, m, 1.0, phi * phi + v);
    }
    if v <= 0.0 {
        return family.loglik(y, m.exp(), 1.0, phi);
    }
    let negbin = family == Family::Negbin;
    // h(eta) = log p(y | e^eta) - (eta - m)^2 / 2v, concave; its first and
    // second derivatives.
    let derivatives = |eta: f64| {
        let mu = eta.exp();
        let (d1, d2) = if negbin {
            let q = phi + mu;
            (y - (y + phi) * mu / q, -(y + phi) * phi * mu / (q * q))
        } else {
            (y - mu, -mu)
        };
        (d1 - (eta - m) / v, d2 - 1.0 / v)
    };
    let mut mode = m;
    for _ in 0..60 {
        let (g, h) = derivatives(mode);
        let step = (-g / h).clamp(-5.0, 5.0);
        mode += step;
        if step.abs() < 1e-10 * (1.0 + mode.abs()) {
            break;
        }
    }
    let scale = (-1.0 / derivatives(mode).1).sqrt() * std::f64::consts::SQRT_2;
    let loglik = family.loglik_at_means(y, 1.0, phi);
    let log_g =
        |eta: f64| loglik(eta.exp()) - (eta - m).powi(2) / (2.0 * v) - 0.5 * (2.0 * std::f64::consts::PI * v).ln();
    let terms: Vec<f64> = gauss_hermite()
        .iter()
        .map(|&(x, w)| w.ln() + x * x + log_g(mode + scale * x))
        .collect();
    let top = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    top + terms.iter().map(|t| (t - top).exp()).sum::<f64>().ln() + scale.ln()
}

/// Nodes and weights of 24-point Gauss-Hermite quadrature (weight
/// `exp(-x^2)`), by the Golub-Welsch eigenvalue method.
fn gauss_hermite() -> &'static [(f64, f64)] {
    static RULE: std::sync::OnceLock<Vec<(f64, f64)>> = std::sync::OnceLock::new();
    RULE.get_or_init(|| {
        let n = 24;
        let jacobi = nalgebra::DMatrix::from_fn(n, n, |i, j| {
            if i + 1 == j || j + 1 == i {
                (i.max(j) as f64 / 2.0).sqrt()
            } else {
                0.0
            }
        });
        let eig = jacobi.symmetric_eigen();
        let mut rule: Vec<(f64, f64)> = (0..n)
            .map(|k| {
                let v0 = eig.eigenvectors[(0, k)];
                (eig.eigenvalues[k], std::f64::consts::PI.sqrt() * v0 * v0)
            })
            .collect();
        rule.sort_by(|a, b| a.0.total_cmp(&b.0));
        rule
    })
}

fn dispersion_phi(family: Family, dispersion: f64) -> f64 {
    match family {
        Family::Gaussian => dispersion * dispersion,
        _ => dispersion,
    }
}

/// Ranked probability score (count families) or CRPS (Gaussian) of `y`.
pub fn rps(family: Family, y: f64, means: &[f64], dispersion: &[f64]) -> f64 {
    rps_with_influence(family, y, means, dispersion).0
}

/// The RPS of the mixture, its finite-draw excess `sum_k var_d(F_d(k)) /
/// (D - 1)` (the expected amount by which the RPS of a mixture of `D`
/// draws exceeds that of the distribution they are drawn from; its
/// unbiased estimate, as in the fair CRPS of Ferro 2014), the per-draw
/// influences, and the PIT pair `(F(y - 1), F(y))`.
fn rps_with_influence(family: Family, y: f64, means: &[f64], dispersion: &[f64]) -> (f64, f64, Vec<f64>, (f64, f64)) {
    let d = means.len();
    if family == Family::Gaussian {
        let (crps, influence, pit) = gaussian_crps(y, means, dispersion);
        return (crps, 0.0, influence, pit);
    }
    let negbin = family == Family::Negbin;
    let draws: Vec<CountDraw> = (0..d)
        .map(|i| CountDraw::new(means[i], if negbin { Some(dispersion[i]) } else { None }))
        .collect();
    // The work is about the summed lengths of the draws' runs (bulk and
    // tail); too much sums over an evenly spaced subset of the
    // (independent) draws, keeping at least MIN_SUMMED_DRAWS; more still,
    // the Gaussian mixture.
    let mean_work = draws.iter().map(CountDraw::work).sum::<f64>() / d as f64;
    let kept = ((WORK_CAP / mean_work).floor() as usize).min(d);
    if kept < MIN_SUMMED_DRAWS.min(d) {
        return gaussian_mixture_crps(&draws, y);
    }

    let stride = d.div_ceil(kept);
    // In order of entry; `order` remembers each one's place among all draws.
    let mut order: Vec<usize> = (0..d).step_by(stride).collect();
    order.sort_by(|&a, &b| draws[a].start.total_cmp(&draws[b].start));
    let used = order.len();
    let draws: Vec<&CountDraw> = order.iter().map(|&i| &draws[i]).collect();
    let inv_used = 1.0 / used as f64;
    // Per count, the unbiased variance of the draws' CDFs over their
    // number (none for a single draw: an exact distribution).
    let excess_factor = if used > 1 { 1.0 } else { 0.0 };
    let lo = draws[0].start;
    // Counts in [y, lo) have F = 0 below every draw's bulk: one each (and
    // no draw moves F there, so no influence).
    let mut score = (lo - y).max(0.0);
    // Per draw (by slot in `draws`): its CDF when it left the sum, its
    // sum_k a_k F_d(k) with a_k = F(k) - 1{y <= k} while summed, and the
    // running sum of a_k when it left (from then on its CDF is held, and
    // the rest of its sum is F_d (A_end - A_left)).
    let mut final_cdf = vec![0.0; used];
    let mut weighted = vec![0.0; used];
    let mut left_at = vec![f64::NAN; used];
    let mut running = 0.0;
    // sum_k a_k F(k), the same for the mixture.
    let mut weighted_mixture = 0.0;
    let mut active = Active::default();
    let mut entered = 0;
    // The mass of draws that have left the sum, over `used`.
    let mut spent = 0.0;
    let mut cdf = 0.0;
    let mut pit = None;
    let mut work = 0.0;
    let mixture_mean = draws.iter().map(|c| c.mean).sum::<f64>() * inv_used;
    // sum_{j <= k} (1 - F(j)), with F = 0 below `lo`.
    let mut counted = lo;
    let mut excess = 0.0;
    let excess_at = |spent: f64, own: &[f64], cdf: f64| {
        let squares: f64 = own.iter().map(|o| o * o).sum();
        excess_factor * (spent + squares * inv_used - cdf * cdf) / (used as f64 - 1.0).max(1.0)
    };
    let mut k = lo;
    loop {
        active.advance(k);
        while entered < used && draws[entered].start == k {
            let draw = draws[entered];
            active.enter(
                entered,
                draw,
                family.loglik(k, draw.mean, 1.0, draw.size.unwrap_or(1.0)).exp(),
            );
            entered += 1;
        }
        work += active.len() as f64;
        let before = cdf;
        let (mass, squares) = active.mass();
        cdf = spent + mass * inv_used;
        excess += excess_factor * (spent + squares * inv_used - cdf * cdf) / (used as f64 - 1.0).max(1.0);
        if k == y {
            pit = Some((before, cdf));
        }
        if k < y && cdf >= 1.0 - BELOW_OUTCOME_TAIL {
            break;
        }
        let step = cdf - if y <= k { 1.0 } else { 0.0 };
        score += step * step;
        running += step;
        weighted_mixture += step * cdf;
        active.weigh(step);
        if (k as u64).is_multiple_of(RETIRE_EVERY) {
            for (slot, w) in active.retire(k) {
                // Its last sliver of mass counts as spent.
                spent += inv_used;
                final_cdf[slot] = 1.0;
                weighted[slot] = w;
                left_at[slot] = running;
            }
            cdf = spent + active.mass().0 * inv_used;
        }
        // Above the outcome the rest of the sum is sum_j (1 - F(j))^2 <=
        // (1 - F(k)) sum_{j > k} (1 - F(j)), and the last sum is the
        // mixture's mean less what has been counted: stop once that bound
        // is negligible.
        counted += 1.0 - cdf;
        let beyond = (mixture_mean - counted).max(0.0);
        if (k >= y && (1.0 - cdf) * beyond <= TAIL * score.max(1e-3)) || work > WORK_LIMIT {
            break;
        }
        k += 1.0;
        if active.len() == 0 && entered == used {
            // Every draw's mass is spent: F stays where it is.
            break;
        }
        // Checked every 64 counts once blocks could be long enough.
        if entered == used
            && k >= MIN_BLOCK * BLOCKS_PER_SCALE
            && (k as u64).is_multiple_of(64)
            && active.block(k - 1.0) >= MIN_BLOCK
        {
            // Only wide draws are left, whose CDFs are smooth on the scale
            // of a count: sum in blocks.
            let em = |s: f64, u: f64, v: f64| s * (u + v) / 2.0 + (v - u) / 2.0;
            let mut a = k - 1.0;
            loop {
                let mut step = active.block(a);
                // The outcome starts a block of its own, so that the
                // indicator 1{y <= j} is constant over each block.
                if a + 1.0 < y && a + step >= y {
                    step = y - 1.0 - a;
                }
                let b = a + step;
                // Each pmf at the block's end, and its mass over the block
                // as a geometric run between the ends (exact for the
                // exponential tail, close for a power law over 1/20th).
                let pmf_b: Vec<f64> = active
                    .slot
                    .iter()
                    .map(|&i| family.loglik(b, draws[i].mean, 1.0, draws[i].size.unwrap_or(1.0)).exp())
                    .collect();
                let own_b: Vec<f64> = (0..active.len())
                    .map(|j| (active.own[j] + geometric_run(active.pmf[j], pmf_b[j], step)).min(1.0))
                    .collect();
                let mixture_b = spent + own_b.iter().sum::<f64>() * inv_used;
                let indicator = if y <= a + 1.0 { 1.0 } else { 0.0 };
                if pit.is_none() && a < y && y <= b {
                    let at_y = if step == 1.0 {
                        mixture_b
                    } else {
                        let y_pmf = |i: usize| family.loglik(y, draws[i].mean, 1.0, draws[i].size.unwrap_or(1.0)).exp();
                        spent
                            + (0..active.len())
                                .map(|j| active.own[j] + y_pmf(active.slot[j]))
                                .sum::<f64>()
                                * inv_used
                    };
                    pit = Some((cdf, at_y));
                }
                let (ga, gb) = (cdf - indicator, mixture_b - indicator);
                excess += em(
                    step,
                    excess_at(spent, &active.own, cdf),
                    excess_at(spent, &own_b, mixture_b),
                );
                score += em(step, ga * ga, gb * gb);
                running += em(step, ga, gb);
                weighted_mixture += em(step, ga * cdf, gb * mixture_b);
                counted += em(step, 1.0 - cdf, 1.0 - mixture_b);
                for ((w, own_a), own_b) in active.weighted.iter_mut().zip(&active.own).zip(&own_b) {
                    *w += em(step, ga * own_a, gb * own_b);
                }
                work += step * active.len() as f64 / BLOCKS_PER_SCALE;
                a = b;
                active.own = own_b;
                active.pmf = pmf_b;
                for (slot, w) in active.retire(f64::INFINITY) {
                    spent += inv_used;
                    final_cdf[slot] = 1.0;
                    weighted[slot] = w;
                    left_at[slot] = running;
                }
                cdf = spent + active.own.iter().sum::<f64>() * inv_used;
                let beyond = (mixture_mean - counted).max(0.0);
                let done_above = b >= y && (1.0 - cdf) * beyond <= TAIL * score.max(1e-3);
                let done_below = b + 1.0 < y && cdf >= 1.0 - BELOW_OUTCOME_TAIL;
                if done_above || done_below || active.len() == 0 || work > WORK_LIMIT {
                    break;
                }
            }
            k = a + 1.0;
            break;
        }
    }
    // Not reached: the outcome lies below the first count summed (F = 0
    // there) or beyond where the loop stopped (F where it stopped).
    let pit = pit.unwrap_or(if y < lo { (0.0, 0.0) } else { (cdf, cdf) });
    for j in 0..active.len() {
        let slot = active.slot[j];
        final_cdf[slot] = active.own[j];
        weighted[slot] = active.weighted[j];
        left_at[slot] = running;
    }
    // Every count from here to y - 1 has F = 1 with the outcome above: one
    // each; draws' CDFs, like the mixture's, stay where they are.
    let rest = (y - k).max(0.0);
    score += rest * cdf * cdf;
    excess += rest * excess_at(spent, &active.own, cdf);
    running += rest * cdf;
    weighted_mixture += rest * cdf * cdf;
    // Influence 2 sum_k a_k (F_d(k) - F(k)), scaled by d / used over the
    // draws in the sum (0 for the others) so that var / d is the Monte
    // Carlo variance of a mean over `used` draws.
    let mut influence = vec![0.0; d];
    for (slot, &i) in order.iter().enumerate() {
        let later = if left_at[slot].is_nan() {
            0.0
        } else {
            final_cdf[slot] * (running - left_at[slot])
        };
        influence[i] = 2.0 * (weighted[slot] + later - weighted_mixture) * d as f64 / used as f64;
    }
    (score, excess, influence, pit)
}

/// The draws in an RPS sum, in contiguous arrays so that the per-count
/// updates vectorise: pmf, own CDF, the recurrence's slope and intercept,
/// `sum_k a_k F_d(k)` so far, the mean, and the draw's slot.
#[derive(Default)]
struct Active {
    pmf: Vec<f64>,
    own: Vec<f64>,
    slope: Vec<f64>,
    intercept: Vec<f64>,
    weighted: Vec<f64>,
    mean: Vec<f64>,
    scale: Vec<f64>,
    slot: Vec<usize>,
}

impl Active {
    fn len(&self) -> usize {
        self.pmf.len()
    }

    fn enter(&mut self, slot: usize, draw: &CountDraw, pmf: f64) {
        // pmf(k) = pmf(k - 1) (a k + b) / k: NB a = c, b = (r - 1) c with
        // c = m / (r + m); Poisson a = 0, b = m.
        let (a, b) = match draw.size {
            Some(r) => {
                let c = draw.mean / (r + draw.mean);
                (c, (r - 1.0) * c)
            }
            None => (0.0, draw.mean),
        };
        self.pmf.push(pmf);
        self.own.push(pmf);
        self.slope.push(a);
        self.intercept.push(b);
        self.weighted.push(0.0);
        self.mean.push(draw.mean);
        self.scale.push(draw.scale);
        self.slot.push(slot);
    }

    /// Moves every pmf from count `k - 1` to `k` and adds it to its CDF.
    fn advance(&mut self, k: f64) {
        let inv_k = 1.0 / k;
        for ((p, o), (a, b)) in self
            .pmf
            .iter_mut()
            .zip(self.own.iter_mut())
            .zip(self.slope.iter().zip(&self.intercept))
        {
            *p *= (a * k + b) * inv_k;
            *o += *p;
        }
    }

    /// The summed own CDFs and their squares, in four lanes.
    fn mass(&self) -> (f64, f64) {
        let (mut lanes, mut squares) = ([0.0; 4], [0.0; 4]);
        let chunks = self.own.chunks_exact(4);
        let rest = chunks.remainder();
        for c in chunks {
            for ((l, q), v) in lanes.iter_mut().zip(squares.iter_mut()).zip(c) {
                *l += v;
                *q += v * v;
            }
        }
        (
            lanes.iter().sum::<f64>() + rest.iter().sum::<f64>(),
            squares.iter().sum::<f64>() + rest.iter().map(|v| v * v).sum::<f64>(),
        )
    }

    /// Adds `a_k F_d(k)` to every draw's weighted sum.
    fn weigh(&mut self, step: f64) {
        for (w, o) in self.weighted.iter_mut().zip(&self.own) {
            *w += step * o;
        }
    }

    /// Takes out the draws past their mean (and past `k`) whose mass left
    /// is below RETIRED_MASS: (slot, weighted sum) each.
    fn retire(&mut self, k: f64) -> Vec<(usize, f64)> {
        let mut out = Vec::new();
        let mut j = 0;
        while j < self.len() {
            if k >= self.mean[j] && 1.0 - self.own[j] < RETIRED_MASS {
                out.push((self.slot[j], self.weighted[j]));
                for v in [
                    &mut self.pmf,
                    &mut self.own,
                    &mut self.slope,
                    &mut self.intercept,
                    &mut self.weighted,
                    &mut self.mean,
                    &mut self.scale,
                ] {
                    v.swap_remove(j);
                }
                self.slot.swap_remove(j);
            } else {
                j += 1;
            }
        }
        out
    }

    /// Counts per block after count `a`: a fraction of the narrowest sd or
    /// e-fold of a tail, and (near 0 an NB pmf bends like `k^(theta - 1)`)
    /// of the count itself.
    fn block(&self, a: f64) -> f64 {
        let scale = self.scale.iter().copied().fold(f64::INFINITY, f64::min);
        (scale.min(a + 1.0) / BLOCKS_PER_SCALE).floor().max(1.0)
    }
}

/// CRPS of the normal with the mixture's mean and variance, its
/// influences, and the mixture's CDF at `y`.
fn gaussian_crps(y: f64, means: &[f64], sigmas: &[f64]) -> (f64, Vec<f64>, (f64, f64)) {
    let d = means.len() as f64;
    let mean = means.iter().sum::<f64>() / d;
    let spread: Vec<f64> = means
        .iter()
        .zip(sigmas)
        .map(|(m, s)| (m - mean).powi(2) + s * s)
        .collect();
    let var = spread.iter().sum::<f64>() / d;
    let sd = var.sqrt();
    let z = (y - mean) / sd;
    let n = Normal::standard();
    let crps = sd * (z * (2.0 * n.cdf(z) - 1.0) + 2.0 * n.pdf(z) - 1.0 / std::f64::consts::PI.sqrt());
    // dCRPS/dmean and dCRPS/dvar.
    let by_mean = -(2.0 * n.cdf(z) - 1.0);
    let by_var = (2.0 * n.pdf(z) - 1.0 / std::f64::consts::PI.sqrt()) / (2.0 * sd);
    let influence = means
        .iter()
        .zip(&spread)
        .map(|(m, s)| by_mean * (m - mean) + by_var * (s - var))
        .collect();
    let f = means.iter().zip(sigmas).map(|(m, s)| n.cdf((y - m) / s)).sum::<f64>() / d;
    (crps, influence, (f, f))
}

/// One draw of a count predictive: its mean, NB size, sd, and the count at
/// which its pmf enters the RPS sum.
struct CountDraw {
    mean: f64,
    size: Option<f64>,
    sd: f64,
    start: f64,
    /// The smaller of the sd and the far tail's e-fold length.
    scale: f64,
}

/// `sum_{j = 1..s} p_j` for a geometric run from `p_0 = a` to `p_s = b`.
fn geometric_run(a: f64, b: f64, s: f64) -> f64 {
    if a <= 0.0 || b <= 0.0 {
        return s * (a + b) / 2.0 + (b - a) / 2.0;
    }
    let rho = (b / a).powf(1.0 / s);
    if (rho - 1.0).abs() < 1e-9 {
        return s * b;
    }
    a * rho * (1.0 - rho.powf(s)) / (1.0 - rho)
}

impl CountDraw {
    /// About the counts the sum spends on this draw: from its start to 12
    /// sd above its mean, and 20 e-folds of a heavy tail.
    fn work(&self) -> f64 {
        self.mean + BULK_SDS * self.sd + 20.0 * self.scale + 10.0 - self.start
    }

    fn new(mean: f64, size: Option<f64>) -> CountDraw {
        let var = mean + size.map_or(0.0, |r| mean * mean / r);
        let sd = var.sqrt();
        // Counts over which an NB pmf falls by a factor e in the far tail.
        let tail = size.map_or(sd, |r| 1.0 / (r / mean).ln_1p());
        CountDraw {
            mean,
            size,
            sd,
            start: (mean - BULK_SDS * sd).floor().max(0.0),
            scale: sd.min(tail),
        }
    }
}

/// CRPS of the equal-weight mixture of normals with the draws' means and
/// variances: `E|X - y| - E|X - X'| / 2`, each term in closed form
/// (Grimit et al. 2006); with its influences (`A(a) - mean_b B(a, b)`,
/// centred) and the continuity-corrected CDF at `y`.
fn gaussian_mixture_crps(draws: &[CountDraw], y: f64) -> (f64, f64, Vec<f64>, (f64, f64)) {
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
    let to_outcome: Vec<f64> = draws.iter().map(|a| abs_mean(y - a.mean, a.sd)).collect();
    let between: Vec<f64> = draws
        .iter()
        .map(|a| {
            draws
                .iter()
                .map(|b| abs_mean(a.mean - b.mean, a.sd.hypot(b.sd)))
                .sum::<f64>()
                / d
        })
        .collect();
    let crps = to_outcome.iter().sum::<f64>() / d - between.iter().sum::<f64>() / (2.0 * d);
    // Leaving out each draw's pair with itself: the fair CRPS.
    let own_pairs: f64 = draws.iter().map(|a| abs_mean(0.0, a.sd * 2f64.sqrt())).sum::<f64>() / d;
    let fair_between = if d > 1.0 {
        (between.iter().sum::<f64>() - own_pairs) / (d - 1.0)
    } else {
        between.iter().sum::<f64>()
    };
    let excess = (fair_between - between.iter().sum::<f64>() / d) / 2.0;
    let raw: Vec<f64> = to_outcome.iter().zip(&between).map(|(a, b)| a - b).collect();
    let centre = raw.iter().sum::<f64>() / d;
    let cdf_at = |x: f64| {
        draws
            .iter()
            .map(|a| {
                if a.sd > 0.0 {
                    standard.cdf((x - a.mean) / a.sd)
                } else {
                    f64::from(u8::from(x >= a.mean))
                }
            })
            .sum::<f64>()
            / d
    };
    (
        crps,
        excess,
        raw.iter().map(|r| r - centre).collect(),
        (cdf_at(y - 0.5), cdf_at(y + 0.5)),
    )
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
                (rps(Family::Poisson, y, &[mu], &[1.0]) - direct).abs() < 1e-8 * direct.max(1.0),
                "y = {y}: {} vs {direct}",
                rps(Family::Poisson, y, &[mu], &[1.0])
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
            let approx = gaussian_mixture_crps(&draws, y).0;
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

    /// Means and thetas of `d` draws from a spread of parameters, seeded.
    fn spread_draws(d: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
        use rand::SeedableRng;
        use rand_distr::{Distribution, StandardNormal};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (0..d)
            .map(|_| {
                let a: f64 = StandardNormal.sample(&mut rng);
                let b: f64 = StandardNormal.sample(&mut rng);
                (20.0 * (0.4 * a).exp(), 2.0 * (0.5 * b).exp())
            })
            .unzip()
    }

    fn sd(values: &[f64]) -> f64 {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    }

    #[test]
    fn influences_give_the_monte_carlo_error_of_the_scores() {
        // 400 independent mixtures of 200 draws: the spread of their scores
        // against the standard error the influences predict. (For a
        // Poisson outcome far beyond every draw's bulk, such as 70 here,
        // p(y) rests on rare draws and the first-order error understates
        // the spread by half: module docs.)
        for (family, far) in [
            (Family::Negbin, 70.0),
            (Family::Poisson, 45.0),
            (Family::Gaussian, 35.0),
        ] {
            for y in [3.0, 21.0, far] {
                let (mut logs, mut rpss, mut log_se, mut rps_se) = (vec![], vec![], vec![], vec![]);
                for seed in 0..400 {
                    let (means, thetas) = spread_draws(200, seed);
                    let dispersion = if family == Family::Gaussian {
                        vec![4.0; 200]
                    } else {
                        thetas
                    };
                    let s = score(family, y, &means, &dispersion);
                    logs.push(s.log_score);
                    rpss.push(s.rps);
                    log_se.push(sd(&s.log_score_influence) / 200f64.sqrt());
                    rps_se.push(sd(&s.rps_influence) / 200f64.sqrt());
                }
                let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
                for (what, observed, predicted) in [
                    ("log score", sd(&logs), mean(&log_se)),
                    ("rps", sd(&rpss), mean(&rps_se)),
                ] {
                    assert!(
                        (observed / predicted - 1.0).abs() < 0.15,
                        "{family:?} y = {y} {what}: sd over seeds {observed}, predicted {predicted}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_pit_pair_is_the_mixture_cdf_below_and_at_the_outcome() {
        use statrs::distribution::{DiscreteCDF, Poisson};
        let means = [3.0, 7.5, 12.0];
        for y in [0.0, 4.0, 9.0, 60.0] {
            let cdf = |k: f64| {
                if k < 0.0 {
                    return 0.0;
                }
                means
                    .iter()
                    .map(|&m| Poisson::new(m).unwrap().cdf(k as u64))
                    .sum::<f64>()
                    / 3.0
            };
            let s = score(Family::Poisson, y, &means, &[1.0; 3]);
            assert!((s.pit.0 - cdf(y - 1.0)).abs() < 1e-9, "{y}: {:?}", s.pit);
            assert!((s.pit.1 - cdf(y)).abs() < 1e-9, "{y}: {:?}", s.pit);
        }
    }

    #[test]
    fn heavy_tailed_negbin_mixtures_match_the_direct_sum() {
        use statrs::distribution::{DiscreteCDF, NegativeBinomial};
        // Draws with small theta run far past their 12-sd bulk; each leaves
        // the sum only once its own mass is spent. The second case leaves
        // only wide draws after the first retires: block sums.
        for (means, thetas, far) in [
            (vec![4.0, 100.0, 35.0, 60.0], vec![0.1, 0.15, 2.0, 0.6], 60_000u64),
            (vec![30.0, 2000.0, 800.0], vec![5.0, 0.2, 0.5], 400_000),
        ] {
            let dists: Vec<NegativeBinomial> = means
                .iter()
                .zip(&thetas)
                .map(|(&m, &t)| NegativeBinomial::new(t, t / (t + m)).unwrap())
                .collect();
            let d = means.len() as f64;
            let f = |k: f64| {
                if k < 0.0 {
                    0.0
                } else {
                    dists.iter().map(|x| x.cdf(k as u64)).sum::<f64>() / d
                }
            };
            for y in [0.0, 7.0, 80.0, 900.0, 2500.0] {
                let direct: f64 = (0..far)
                    .map(|k| (f(k as f64) - if y <= k as f64 { 1.0 } else { 0.0 }).powi(2))
                    .sum();
                let (plain, ..) = rps_with_influence(Family::Negbin, y, &means, &thetas);
                assert!(
                    (plain / direct - 1.0).abs() < 1e-5,
                    "{means:?} y = {y}: {plain} vs {direct}"
                );
                let s = score(Family::Negbin, y, &means, &thetas);
                // Block sums carry the CDFs to about 1e-4.
                let tolerance = if far > 100_000 { 1e-3 } else { 1e-9 };
                assert!(
                    (s.pit.0 - f(y - 1.0)).abs() < tolerance && (s.pit.1 - f(y)).abs() < tolerance,
                    "{y}: {:?}",
                    s.pit
                );
            }
        }
    }

    #[test]
    fn the_fair_rps_does_not_drift_with_the_number_of_draws() {
        // Mixtures of 5 draws against one of 20,000 from the same spread:
        // the mixture's own RPS is biased up at 5, the fair one is not.
        let y = 30.0;
        let (means, thetas) = spread_draws(20_000, 99);
        let reference = score(Family::Negbin, y, &means, &thetas).rps;
        let (mut plain, mut fair) = (Vec::new(), Vec::new());
        for seed in 0..1000 {
            let (m, t) = spread_draws(5, seed);
            plain.push(rps(Family::Negbin, y, &m, &t));
            fair.push(score(Family::Negbin, y, &m, &t).rps);
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let se = sd(&fair) / 1000f64.sqrt();
        assert!(
            (mean(&fair) - reference).abs() < 3.0 * se,
            "fair {} vs {reference} (se {se})",
            mean(&fair)
        );
        assert!(
            mean(&plain) - reference > 3.0 * se,
            "plain {} vs {reference}",
            mean(&plain)
        );
    }

    #[test]
    fn the_integrated_pmf_matches_a_fine_numerical_integral() {
        for (family, y, m, v, phi) in [
            (Family::Poisson, 4.0, 2.0f64.ln(), 0.3, 1.0),
            (Family::Poisson, 70.0, 20f64.ln(), 0.05, 1.0),
            (Family::Negbin, 0.0, 30f64.ln(), 0.8, 0.4),
            (Family::Negbin, 250.0, 25f64.ln(), 0.2, 2.0),
            (Family::Gaussian, 3.0, 1.0, 0.5, 2.0),
        ] {
            let ours = integrated_log_pmf(family, y, m, v, phi);
            let want = if family == Family::Gaussian {
                // y ~ N(m, v + phi^2).
                -0.5 * (2.0 * std::f64::consts::PI * (v + 4.0)).ln() - (y - m).powi(2) / (2.0 * (v + 4.0))
            } else {
                // Trapezoid over +-12 sd on 200,001 points.
                let sd = v.sqrt();
                let n = 200_000;
                let h = 24.0 * sd / n as f64;
                let logs: Vec<f64> = (0..=n)
                    .map(|i| {
                        let eta = m - 12.0 * sd + h * i as f64;
                        family.loglik(y, eta.exp(), 1.0, phi)
                            - (eta - m).powi(2) / (2.0 * v)
                            - 0.5 * (2.0 * std::f64::consts::PI * v).ln()
                    })
                    .collect();
                let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                top + (logs.iter().map(|l| (l - top).exp()).sum::<f64>() * h).ln()
            };
            assert!((ours - want).abs() < 1e-8, "{family:?} y = {y}: {ours} vs {want}");
        }
    }
}
