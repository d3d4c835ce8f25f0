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
use crate::error::{Error, Result};

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
    /// Segment boundaries `[0, b1, ..., n]`.
    pub fn bounds(&self, n: usize) -> Vec<usize> {
        std::iter::once(0)
            .chain(self.breaks.iter().copied())
            .chain(std::iter::once(n))
            .collect()
    }
}

/// Checks that `n` positions can hold `segments` segments of at least `min_segment`.
fn check_room(n: usize, segments: usize, min_segment: usize) -> Result<()> {
    if min_segment == 0 {
        return Err(Error::Spec("--min-segment must be at least 1".into()));
    }
    if segments * min_segment > n {
        return Err(Error::Spec(format!(
            "{segments} segments of at least {min_segment} periods need {} periods, but the series has {n}; lower --max-breaks or --min-segment",
            segments * min_segment
        )));
    }
    Ok(())
}

/// The optimal segmentation with exactly `m` breaks, for every `m` in
/// `0..=max_breaks`, each segment at least `min_segment` long.
///
/// # Errors
/// [`Error::Spec`] when the series cannot hold `max_breaks + 1` segments.
pub fn optimal_segmentations<C: SegmentCost + ?Sized>(
    cost: &C,
    max_breaks: usize,
    min_segment: usize,
) -> Result<Vec<Segmentation>> {
    let n = cost.len();
    check_room(n, max_breaks + 1, min_segment)?;
    let h = min_segment;
    // best[t]: cost of [0, t) in m + 1 segments; back[m][t]: its last break.
    let mut best: Vec<f64> = (0..=n)
        .map(|t| if t >= h { cost.cost(0, t) } else { f64::INFINITY })
        .collect();
    let mut back: Vec<Vec<u32>> = Vec::with_capacity(max_breaks);
    let mut out = vec![Segmentation {
        breaks: Vec::new(),
        cost: best[n],
    }];
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
        let mut breaks = Vec::with_capacity(m);
        let mut t = n;
        for k in (0..m).rev() {
            t = back[k][t] as usize;
            breaks.push(t);
        }
        breaks.reverse();
        out.push(Segmentation { breaks, cost: best[n] });
    }
    Ok(out)
}

/// PELT: the segmentation minimising summed costs plus `penalty` per break,
/// each segment at least `min_segment` long.
///
/// Pruning: a candidate `s` is dropped once some `t` with
/// `F(s) + C(s, t) >= F(t)` can itself serve as a break (`min_segment`
/// positions later), which keeps the search exact under the length constraint.
///
/// # Errors
/// [`Error::Spec`] for a negative or non-finite penalty, or a series shorter
/// than one segment.
pub fn pelt<C: SegmentCost + ?Sized>(cost: &C, penalty: f64, min_segment: usize) -> Result<Segmentation> {
    if !(penalty.is_finite() && penalty >= 0.0) {
        return Err(Error::Spec(format!(
            "the penalty {penalty} must be a finite non-negative number"
        )));
    }
    let n = cost.len();
    check_room(n, 1, min_segment)?;
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
    let mut breaks = Vec::new();
    let mut t = n;
    while last[t] > 0 {
        t = last[t];
        breaks.push(t);
    }
    breaks.reverse();
    let total = segmentation_cost(cost, &breaks);
    Ok(Segmentation { breaks, cost: total })
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

    #[test]
    fn too_many_breaks_is_a_clear_error() {
        let cost = PoissonCost::new(&[1.0, 2.0, 3.0], None);
        let err = optimal_segmentations(&cost, 2, 2).unwrap_err();
        assert!(err.to_string().contains("lower --max-breaks"));
    }
}
