//! Multiple change points: the exact optimal segmentation for each number of
//! breaks (dynamic programming, O(K n^2) time, O(K n) memory) and PELT
//! (exact for a penalised cost, near-linear when breaks are spread out).
//!
//! # References
//! - Bai, J. and Perron, P. (2003). Computation and analysis of multiple
//!   structural change models. *J. Applied Econometrics* 18, 1–22
//!   (strucchange `breakpoints`).
//! - Killick, R., Fearnhead, P. and Eckley, I. A. (2012). Optimal detection
//!   of changepoints with a linear computational cost. *JASA* 107, 1590–1598.

use serde::Serialize;

use super::cost::SegmentCost;
use crate::error::{Result, SpecError};

/// A segmentation: break positions (each the first position of a new
/// segment) and its total cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segmentation {
    /// First positions of the segments after the first, ascending.
    pub breaks: Vec<usize>,
    /// Summed segment costs.
    pub cost: f64,
}

impl Segmentation {
    /// The segmentation with these breaks, with its cost.
    pub fn from_breaks<C: SegmentCost + ?Sized>(cost: &C, breaks: Vec<usize>) -> Segmentation {
        let total = segmentation_cost(cost, &breaks);
        Segmentation { breaks, cost: total }
    }

    /// The segmentation traced back from `last[t]`, the last break of the
    /// best segmentation of `0..t` (0 for none), from `t = n`.
    pub(crate) fn from_last_breaks<C: SegmentCost + ?Sized>(cost: &C, last: &[usize]) -> Segmentation {
        let mut breaks = Vec::new();
        let mut t = last.len() - 1;
        while last[t] > 0 {
            t = last[t];
            breaks.push(t);
        }
        breaks.reverse();
        Segmentation::from_breaks(cost, breaks)
    }

    /// Segment boundaries `[0, b1, ..., n]`.
    pub fn bounds(&self, n: usize) -> Vec<usize> {
        std::iter::once(0)
            .chain(self.breaks.iter().copied())
            .chain(std::iter::once(n))
            .collect()
    }
}

/// Checks that `n` positions can hold `segments` segments of at least `min_segment`.
fn check_room(n: usize, breaks: usize, min_segment: usize) -> Result<()> {
    if min_segment == 0 {
        return Err(SpecError::MinSegmentZero.into());
    }
    // Checked: a library caller may ask for any number of breaks.
    let needed = breaks.checked_add(1).and_then(|s| s.checked_mul(min_segment));
    if needed.is_none_or(|needed| needed > n) {
        return Err(SpecError::NoRoom {
            segments: breaks as u128 + 1,
            min_segment,
            needed,
            n,
        }
        .into());
    }
    Ok(())
}

/// The exact optimal segmentations with 0, 1, ..., K breaks, each segment
/// at least `min_segment` long: one dynamic programme (Bai and Perron's),
/// whose table is kept so that the best partition for any number of breaks
/// up to K is read back without searching again.
#[derive(Debug, Clone)]
pub struct SegmentationPath {
    n: usize,
    /// `costs[m]`: the optimal cost with `m` breaks.
    costs: Vec<f64>,
    /// `back[m - 1][t]`: the last break of the best `m`-break
    /// segmentation of `0..t`.
    back: Vec<Vec<u32>>,
}

impl SegmentationPath {
    /// Runs the programme for up to `max_breaks` breaks.
    ///
    /// # Errors
    /// [`SpecError::NoRoom`] when the series cannot hold `max_breaks + 1`
    /// segments, [`SpecError::MinSegmentZero`] for a zero `min_segment`.
    pub fn new<C: SegmentCost + ?Sized>(cost: &C, max_breaks: usize, min_segment: usize) -> Result<Self> {
        let n = cost.len();
        check_room(n, max_breaks, min_segment)?;
        let h = min_segment;
        // best[t]: cost of [0, t) in m + 1 segments.
        let mut best: Vec<f64> = (0..=n)
            .map(|t| if t >= h { cost.cost(0, t) } else { f64::INFINITY })
            .collect();
        let mut costs = vec![best[n]];
        let mut back: Vec<Vec<u32>> = Vec::with_capacity(max_breaks);
        for m in 1..=max_breaks {
            let mut next = vec![f64::INFINITY; n + 1];
            let mut arg = vec![0u32; n + 1];
            for t in (m + 1) * h..=n {
                let (mut min, mut at) = (f64::INFINITY, 0);
                for (s, &prior) in best.iter().enumerate().take(t - h + 1).skip(m * h) {
                    let v = prior + cost.cost(s, t);
                    if v < min {
                        min = v;
                        at = s;
                    }
                }
                next[t] = min;
                arg[t] = at as u32;
            }
            back.push(arg);
            best = next;
            costs.push(best[n]);
        }
        Ok(SegmentationPath { n, costs, back })
    }

    /// The largest number of breaks the path holds.
    pub fn max_breaks(&self) -> usize {
        self.back.len()
    }

    /// The optimal segmentation with exactly `m` breaks (`None` past
    /// [`SegmentationPath::max_breaks`]).
    pub fn partition(&self, m: usize) -> Option<Segmentation> {
        let cost = *self.costs.get(m)?;
        let mut breaks = Vec::with_capacity(m);
        let mut t = self.n;
        for k in (0..m).rev() {
            t = self.back[k][t] as usize;
            breaks.push(t);
        }
        breaks.reverse();
        Some(Segmentation { breaks, cost })
    }

    /// Every optimal segmentation, 0 to K breaks.
    pub fn partitions(&self) -> Vec<Segmentation> {
        (0..=self.max_breaks()).filter_map(|m| self.partition(m)).collect()
    }
}

/// The optimal segmentation with exactly `m` breaks, for every `m` in
/// `0..=max_breaks`, each segment at least `min_segment` long: the whole
/// [`SegmentationPath`].
///
/// # Errors
/// As [`SegmentationPath::new`].
pub fn optimal_segmentations<C: SegmentCost + ?Sized>(
    cost: &C,
    max_breaks: usize,
    min_segment: usize,
) -> Result<Vec<Segmentation>> {
    Ok(SegmentationPath::new(cost, max_breaks, min_segment)?.partitions())
}

/// PELT: the segmentation minimising summed costs plus `penalty` per break,
/// each segment at least `min_segment` long. Costs that are the minimum of
/// a one-parameter loss (Poisson with exposure, Gaussian mean) are pruned
/// functionally (FPOP, see [`super::functional`]); the others by PELT's
/// inequality.
///
/// # Errors
/// [`SpecError::Penalty`] for a negative or non-finite penalty,
/// [`SpecError::NoRoom`] for a series shorter than one segment.
pub fn pelt<C: SegmentCost + ?Sized>(cost: &C, penalty: f64, min_segment: usize) -> Result<Segmentation> {
    if !(penalty.is_finite() && penalty >= 0.0) {
        return Err(SpecError::Penalty { value: penalty }.into());
    }
    check_room(cost.len(), 0, min_segment)?;
    // A domain of one point (a constant rate) leaves nothing to prune
    // functionally.
    Ok(match cost.as_loss() {
        Some(loss) if loss.domain().0.value() < loss.domain().1.value() => {
            Segmentation::from_last_breaks(cost, &loss.pelt_last_breaks(penalty, min_segment))
        }
        _ => pelt_inequality(cost, penalty, min_segment),
    })
}

/// PELT with the inequality pruning of Killick et al.: a candidate `s` is
/// dropped once some `t` with `F(s) + C(s, t) >= F(t)` can itself serve as a
/// break (`min_segment` positions later), which keeps the search exact under
/// the length constraint.
fn pelt_inequality<C: SegmentCost + ?Sized>(cost: &C, penalty: f64, min_segment: usize) -> Segmentation {
    let n = cost.len();
    let h = min_segment;
    let mut f = vec![f64::INFINITY; n + 1];
    let mut last = vec![0usize; n + 1];
    f[0] = -penalty;
    // Candidates, the time from which each may be pruned (if dominated), and
    // the value F(s) + C(s, t) of the current t.
    let mut candidates: Vec<(usize, Option<usize>)> = vec![(0, None)];
    let mut values: Vec<f64> = Vec::new();
    for t in h..=n {
        if t >= 2 * h {
            candidates.push((t - h, None));
        }
        values.clear();
        let (mut min, mut at) = (f64::INFINITY, 0);
        for &(s, _) in &candidates {
            let v = f[s] + cost.cost(s, t);
            values.push(v);
            if v < min {
                min = v;
                at = s;
            }
        }
        f[t] = min + penalty;
        last[t] = at;
        let ft = f[t];
        let mut k = 0;
        candidates.retain_mut(|(_, dominated)| {
            let v = values[k];
            k += 1;
            if let Some(since) = *dominated {
                return t < since + h;
            }
            if v >= ft {
                *dominated = Some(t);
            }
            true
        });
    }
    Segmentation::from_last_breaks(cost, &last)
}

/// Summed segment costs of a segmentation.
pub fn segmentation_cost<C: SegmentCost + ?Sized>(cost: &C, breaks: &[usize]) -> f64 {
    let n = cost.len();
    let bounds: Vec<usize> = std::iter::once(0)
        .chain(breaks.iter().copied())
        .chain(std::iter::once(n))
        .collect();
    bounds.windows(2).map(|w| cost.cost(w[0], w[1])).sum()
}

#[cfg(test)]
mod tests {
    use super::super::cost::{GaussianMeanCost, PoissonCost};
    use super::*;

    /// Every segmentation with `m` breaks, by brute force.
    fn brute(cost: &dyn SegmentCost, m: usize, h: usize) -> f64 {
        fn go(cost: &dyn SegmentCost, start: usize, left: usize, h: usize) -> f64 {
            let n = cost.len();
            if left == 0 {
                return if n - start >= h {
                    cost.cost(start, n)
                } else {
                    f64::INFINITY
                };
            }
            (start + h..=n.saturating_sub(h * left))
                .map(|s| cost.cost(start, s) + go(cost, s, left - 1, h))
                .fold(f64::INFINITY, f64::min)
        }
        go(cost, 0, m, h)
    }

    #[test]
    fn dynamic_programme_matches_brute_force() {
        let y: Vec<f64> = (0..23)
            .map(|i| ((i * 7919) % 13) as f64 + if i > 11 { 9.0 } else { 0.0 })
            .collect();
        let cost = PoissonCost::new(&y, None);
        let segs = optimal_segmentations(&cost, 3, 2).unwrap();
        for (m, s) in segs.iter().enumerate() {
            assert!((s.cost - brute(&cost, m, 2)).abs() < 1e-9, "m = {m}");
            assert_eq!(s.breaks.len(), m);
            assert!((segmentation_cost(&cost, &s.breaks) - s.cost).abs() < 1e-9);
        }
    }

    #[test]
    fn pelt_equals_the_penalised_optimum_of_the_dynamic_programme() {
        let v: Vec<f64> = (0..60)
            .map(|i| ((i * 104_729) % 17) as f64 / 17.0 + [0.0, 3.0, 1.0][(i / 20) as usize])
            .collect();
        let cost = GaussianMeanCost::new(&v);
        for (penalty, h) in [(0.5, 1), (2.0, 3), (8.0, 5)] {
            let segs = optimal_segmentations(&cost, 8, h).unwrap();
            let best = segs
                .iter()
                .map(|s| s.cost + penalty * s.breaks.len() as f64)
                .fold(f64::INFINITY, f64::min);
            let p = pelt(&cost, penalty, h).unwrap();
            assert!(
                (p.cost + penalty * p.breaks.len() as f64 - best).abs() < 1e-9,
                "penalty {penalty}"
            );
        }
    }

    /// Penalised optimum over every number of breaks, from the DP.
    fn penalised_optimum(cost: &dyn SegmentCost, penalty: f64, h: usize) -> f64 {
        optimal_segmentations(cost, cost.len() / h - 1, h)
            .unwrap()
            .iter()
            .map(|s| s.cost + penalty * s.breaks.len() as f64)
            .fold(f64::INFINITY, f64::min)
    }

    /// Functional pruning finds the penalised optimum of the dynamic
    /// programme, the same one inequality pruning finds, on Poisson series
    /// with exposure (runs of zeros included) and Gaussian series.
    #[test]
    fn functional_pruning_finds_the_same_optimum_as_inequality_pruning() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for case in 0..60 {
            let n = rng.random_range(5..70);
            let levels: Vec<f64> = (0..4).map(|_| rng.random_range(0.0..4.0)).collect();
            let exposure: Vec<f64> = (0..n).map(|_| rng.random_range(0.2..3.0)).collect();
            let counts: Vec<f64> = (0..n)
                .map(|t| {
                    let mu = levels[t * 4 / n] * exposure[t];
                    // A crude count with many zeros: floor of a uniform draw.
                    (rng.random_range(0.0..2.0 * mu)).floor()
                })
                .collect();
            let values: Vec<f64> = (0..n)
                .map(|t| levels[t * 4 / n] + rng.random_range(-1.0..1.0))
                .collect();
            let poisson = PoissonCost::new(&counts, Some(&exposure));
            let gaussian = GaussianMeanCost::new(&values);
            let costs: [&dyn SegmentCost; 2] = [&poisson, &gaussian];
            for cost in costs {
                for h in [1, 2, 3] {
                    for penalty in [0.0, 0.3, 2.0, 10.0] {
                        let functional = pelt(cost, penalty, h).unwrap();
                        let inequality = pelt_inequality(cost, penalty, h);
                        let score = |s: &Segmentation| s.cost + penalty * s.breaks.len() as f64;
                        let best = penalised_optimum(cost, penalty, h);
                        let tol = 1e-9 * best.abs().max(1.0);
                        let what = format!("case {case}, {}, h {h}, penalty {penalty}", cost.name());
                        assert!((score(&functional) - best).abs() < tol, "{what}");
                        assert!((score(&inequality) - best).abs() < tol, "{what}");
                        assert!(functional.breaks.windows(2).all(|w| w[1] - w[0] >= h), "{what}");
                    }
                }
            }
        }
    }

    /// On longer series, with many breaks, exposures from 1e-6 to 1e6 and a
    /// long run of zeros, both prunings give the same breaks.
    #[test]
    fn functional_and_inequality_pruning_agree_on_long_series() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let n = 4000;
        let exposure: Vec<f64> = (0..n).map(|_| 10f64.powf(rng.random_range(-6.0..6.0))).collect();
        let counts: Vec<f64> = (0..n)
            .map(|t| match t {
                1000..1400 => 0.0,
                _ => (rng.random_range(0.0f64..20.0) * [1.0, 3.0, 0.5][t / 97 % 3]).floor(),
            })
            .collect();
        let values: Vec<f64> = (0..n)
            .map(|t| [0.0, 2.0, -1.0][t / 131 % 3] + rng.random_range(-1.0..1.0))
            .collect();
        let poisson = PoissonCost::new(&counts, Some(&exposure));
        let gaussian = GaussianMeanCost::new(&values);
        let costs: [&dyn SegmentCost; 2] = [&poisson, &gaussian];
        for cost in costs {
            for (penalty, h) in [(3.0 * (n as f64).ln(), 2), (1.0, 1), (20.0, 7)] {
                let functional = pelt(cost, penalty, h).unwrap();
                let inequality = pelt_inequality(cost, penalty, h);
                assert!(functional.breaks.len() > 10, "{}", cost.name());
                assert_eq!(
                    functional.breaks,
                    inequality.breaks,
                    "{}, penalty {penalty}",
                    cost.name()
                );
                assert!((functional.cost - inequality.cost).abs() <= 1e-9 * inequality.cost.abs());
            }
        }
    }

    #[test]
    fn too_many_breaks_is_a_clear_error() {
        let cost = PoissonCost::new(&[1.0, 2.0, 3.0], None);
        let err = optimal_segmentations(&cost, 2, 2).unwrap_err();
        assert_eq!(
            err.to_string(),
            "3 segments of at least 2 observations need 6 observations, but the series has 3"
        );
    }
}
