//! Functional pruning for PELT (FPOP): a candidate last break is dropped as
//! soon as no value of the segment parameter makes it the best, instead of
//! waiting, as PELT's inequality does, until it loses at the parameter of
//! the data. PELT keeps about one candidate per position since the last
//! break; functional pruning keeps a few dozen whatever the segment length.
//! Both are exact: the optimal partition is the same.
//!
//! For a candidate `c`, the cost of ending the last segment at `t` with
//! parameter `theta` is `F(c) + L(c, t; theta)`, where `L` is the segment's
//! loss (`-2 x` log-likelihood up to the same constants as the cost). Two
//! candidates `c < s` gain the same loss after `s`, so `c` beats `s` exactly
//! where `F(c) + L(c, s; theta) <= F(s)`: a sublevel set of a convex loss,
//! which is an interval. The parameter line is kept as a list of pieces,
//! each owned by the candidate that is best on it; inserting a candidate
//! cuts each piece to that interval, and a candidate that owns no piece is
//! gone for good.
//!
//! # References
//! - Maidstone, R., Hocking, T., Rigaill, G. and Fearnhead, P. (2017). On
//!   optimal multiple changepoint algorithms for large data. *Statistics and
//!   Computing* 27, 519–533.

use super::cost::{GaussianMeanCost, Knot, PoissonCost, SegmentCost, SegmentLoss};

/// Where a convex loss crosses `level` inside `[lo, hi]`, given which ends
/// are within the level, the minimiser `min_at` and the minimum `min`. The
/// minimum, and each root, is computed only when needed: most pieces are
/// settled by their ends and where the minimiser lies.
#[inline]
fn cut(
    inside: (bool, bool),
    (lo, hi): (Knot, Knot),
    (min_at, min, level): (f64, impl Fn() -> f64, f64),
    left_root: impl Fn() -> Knot,
    right_root: impl Fn() -> Knot,
) -> Option<(Knot, Knot)> {
    let clamp = |k: Knot| {
        if k.value <= lo.value {
            lo
        } else if k.value >= hi.value {
            hi
        } else {
            k
        }
    };
    match inside {
        (true, true) => Some((lo, hi)),
        (false, false) if !(lo.value < min_at && min_at < hi.value) || min() > level => None,
        (false, false) => Some((clamp(left_root()), clamp(right_root()))),
        (false, true) => Some((clamp(left_root()), hi)),
        (true, false) => Some((lo, clamp(right_root()))),
    }
}

/// Halley's method from `x`. `f(x)` returns the function, its first two
/// derivatives and the transcendental it computed on the way. Convergence
/// is cubic, so once a step is below 1e-6 of `x` the error left is below
/// rounding, and the iteration stops after taking it. Returns the root, the
/// last step and the transcendental at the point before that step, from
/// which the caller corrects it to the root by a Taylor term instead of a
/// further call.
fn halley(mut x: f64, f: impl Fn(f64) -> [f64; 4]) -> (f64, f64, f64) {
    let mut last = (0.0, f64::NAN);
    for _ in 0..100 {
        let [value, slope, curvature, aux] = f(x);
        let dx = 2.0 * value * slope / (2.0 * slope * slope - value * curvature);
        if dx == 0.0 || dx.is_nan() {
            return (x, 0.0, aux);
        }
        x -= dx;
        last = (dx, aux);
        if dx.abs() <= 1e-6 * x.abs() {
            break;
        }
    }
    (x, last.0, last.1)
}

/// The solutions of `r - ln r = 1 + delta` (`delta >= 0`) are written as
/// distances from 1: `r = exp(-u)` below and `r = 1 + w` above. With
/// `expm1` and `ln_1p` the equations keep their precision when `delta` is
/// tiny and the roots are close to 1.
///
/// Both roots are `r = exp(-v)` for the two real solutions `v` of
/// `v + exp(-v) - 1 = delta`, whose series in `s = sqrt(2 delta)` is
/// [`BRANCH_SERIES`] at `+s` (below 1) and `-s` (above). Up to
/// [`SERIES_DELTA_MAX`] the series alone is exact to rounding, and then
/// the equation itself gives the other half of each root without a
/// transcendental call: `exp(-v) = 1 + delta - v`.
const SERIES_DELTA_MAX: f64 = 0.1;

/// `v(s) = sum c_k s^k`, `k = 1..17`, solving `v + exp(-v) - 1 = s^2 / 2`
/// (the reversion of that series, exact rationals; it converges for
/// `|s| < sqrt(4 pi)`). At `delta = 0.1` the terms left off are below 1e-17
/// of `v`.
const BRANCH_SERIES: [f64; 17] = [
    1.0,
    1.0 / 6.0,
    1.0 / 36.0,
    1.0 / 270.0,
    1.0 / 4_320.0,
    -1.0 / 17_010.0,
    -139.0 / 5_443_200.0,
    -1.0 / 204_120.0,
    -571.0 / 2_351_462_400.0,
    281.0 / 1_515_591_000.0,
    163_879.0 / 2_172_751_257_600.0,
    5_221.0 / 354_648_294_000.0,
    5_246_819.0 / 10_168_475_885_568_000.0,
    -5_459.0 / 7_447_614_174_000.0,
    -534_703_531.0 / 1_830_325_659_402_240_000.0,
    -91_207_079.0 / 1_595_278_956_070_800_000.0,
    -4_483_131_259.0 / 2_987_091_476_144_455_680_000.0,
];

/// [`BRANCH_SERIES`] at `s`, by Estrin's scheme: pairs of terms joined by
/// `s`, pairs of pairs by `s^2`, and so on, a chain of 5 multiply-adds
/// where Horner's rule has 17 (this sits on PELT's every step).
fn branch_series(s: f64) -> f64 {
    let c = &BRANCH_SERIES;
    let (s2, s4) = (s * s, s * s * s * s);
    let (s8, s16) = (s4 * s4, s4 * s4 * s4 * s4);
    let pair = |i: usize| c[i] + c[i + 1] * s;
    let quad = |i: usize| pair(i) + pair(i + 2) * s2;
    let low = quad(0) + quad(4) * s4;
    let high = quad(8) + quad(12) * s4;
    s * (low + high * s8 + c[16] * s16)
}

/// The root below 1 as `(u, exp(-u))`. Beyond the series, Halley's method
/// starts from it (within 1e-9 up to `delta = 1`, 2e-5 up to 3) or from
/// `u = 1 + delta - exp(-1 - delta)`, and one or two steps reach rounding.
fn low_root(delta: f64) -> (f64, f64) {
    let s = (2.0 * delta).sqrt();
    if delta <= SERIES_DELTA_MAX {
        let u = branch_series(s);
        return (u, 1.0 + delta - u);
    }
    let start = if delta < 3.0 {
        branch_series(s)
    } else {
        1.0 + delta - (-1.0 - delta).exp()
    };
    // exp(-u) - 1 from expm1 near 0 and from exp beyond, so that both it
    // and exp(-u) keep their precision.
    let (u, step, e) = halley(start, |u| {
        let (m, e) = if u < 1.0 {
            let m = (-u).exp_m1();
            (m, 1.0 + m)
        } else {
            let e = (-u).exp();
            (e - 1.0, e)
        };
        [u + m - delta, -m, e, e]
    });
    // e = exp(-(u + step)), so exp(-u) = e exp(step).
    (u, e * (1.0 + step * (1.0 + step / 2.0)))
}

/// The root above 1 as `(w, ln(1 + w))`; see [`low_root`]. Beyond the
/// series, Halley's method starts from it up to `delta = 3` and from
/// `w = s + s^2/3 + s^3/36`, capped by `w <= delta + ln(1 + delta) + 1`,
/// beyond.
fn high_root(delta: f64) -> (f64, f64) {
    let s = (2.0 * delta).sqrt();
    if delta <= SERIES_DELTA_MAX {
        let v = branch_series(-s);
        return (delta - v, -v);
    }
    let start = if delta < 3.0 {
        delta - branch_series(-s)
    } else {
        (s + s * s / 3.0 + s * s * s / 36.0).min(delta + delta.ln_1p() + 1.0)
    };
    let (w, step, ln) = halley(start, |w| {
        let inv = 1.0 / (1.0 + w);
        let ln = w.ln_1p();
        [w - ln - delta, w * inv, inv * inv, ln]
    });
    // ln(1 + w + step) = ln, so ln(1 + w) = ln - q - q^2 / 2 with q = step / (1 + w + step).
    let q = step / (1.0 + w + step);
    (w, ln - q * (1.0 + q / 2.0))
}

impl SegmentLoss for PoissonCost {
    fn pelt_last_breaks(&self, penalty: f64, min_segment: usize) -> Vec<usize> {
        pelt_functional(self, penalty, min_segment)
    }

    fn domain(&self) -> (Knot, Knot) {
        let (lo, hi) = self.rate_range();
        (Knot::with_ln(lo), Knot::with_ln(hi))
    }

    #[inline]
    fn minimiser(&self, a: usize, b: usize) -> f64 {
        let (y, e) = self.totals(a, b);
        y / e
    }

    /// The loss at rate `mu` is `2 (E mu - Y ln mu)`, minimal at `Y/E`.
    #[inline]
    fn sublevel_within(&self, a: usize, b: usize, level: f64, lo: Knot, hi: Knot) -> Option<(Knot, Knot)> {
        let (y, e) = self.totals(a, b);
        let half = level / 2.0;
        let at = |k: Knot| {
            if k.value.is_infinite() || (k.value == 0.0 && y > 0.0) {
                f64::INFINITY
            } else if y > 0.0 {
                e * k.value - y * k.ln
            } else {
                e * k.value
            }
        };
        let inside = (at(lo) <= half, at(hi) <= half);
        if inside == (true, true) {
            return Some((lo, hi));
        }
        if y <= 0.0 {
            // Increasing from 0 at mu = 0: the set is [0, half / E].
            let end = || Knot::with_ln((half / e).max(0.0));
            return cut(inside, (lo, hi), (0.0, || 0.0, half), || lo, end);
        }
        let rate = y / e;
        // The logarithm only for the pieces that need the minimum or a root.
        let ln_rate = std::cell::OnceCell::new();
        let ln_rate = || *ln_rate.get_or_init(|| rate.ln());
        let min = || y - y * ln_rate();
        let delta = || ((half - min()) / y).max(0.0);
        let left = || {
            let (u, ratio) = low_root(delta());
            Knot {
                value: rate * ratio,
                ln: ln_rate() - u,
            }
        };
        let right = || {
            let (w, ln_ratio) = high_root(delta());
            Knot {
                value: rate * (1.0 + w),
                ln: ln_rate() + ln_ratio,
            }
        };
        cut(inside, (lo, hi), (rate, min, half), left, right)
    }
}

impl SegmentLoss for GaussianMeanCost {
    fn pelt_last_breaks(&self, penalty: f64, min_segment: usize) -> Vec<usize> {
        pelt_functional(self, penalty, min_segment)
    }

    fn domain(&self) -> (Knot, Knot) {
        let (lo, hi) = self.centred_range();
        (Knot::plain(lo), Knot::plain(hi))
    }

    #[inline]
    fn minimiser(&self, a: usize, b: usize) -> f64 {
        self.centred_mean(a, b)
    }

    /// The loss at mean `m` is `RSS + n (m - mean)^2`, on the centred scale.
    #[inline]
    fn sublevel_within(&self, a: usize, b: usize, level: f64, lo: Knot, hi: Knot) -> Option<(Knot, Knot)> {
        let n = (b - a) as f64;
        let mean = self.centred_mean(a, b);
        let rss = self.cost(a, b);
        let at = |k: Knot| {
            if k.value.is_infinite() {
                f64::INFINITY
            } else {
                rss + n * (k.value - mean) * (k.value - mean)
            }
        };
        let inside = (at(lo) <= level, at(hi) <= level);
        let half_width = || ((level - rss) / n).max(0.0).sqrt();
        let left = || Knot::plain(mean - half_width());
        let right = || Knot::plain(mean + half_width());
        cut(inside, (lo, hi), (mean, || rss, level), left, right)
    }
}

/// A stretch of the parameter line and the candidate that is best on it.
#[derive(Debug, Clone, Copy)]
struct Piece {
    lo: Knot,
    hi: Knot,
    owner: usize,
}

/// Appends a piece, joining it to the last one when they share an owner;
/// pieces of zero width are dropped (a candidate that only touches the
/// others at one point is never strictly best).
#[inline]
fn push_piece(pieces: &mut Vec<Piece>, lo: Knot, hi: Knot, owner: usize) {
    if lo.value >= hi.value {
        return;
    }
    match pieces.last_mut() {
        Some(last) if last.owner == owner => last.hi = hi,
        _ => pieces.push(Piece { lo, hi, owner }),
    }
}

/// PELT with functional pruning: the segmentation minimising summed costs
/// plus `penalty` per break, each segment at least `min_segment` long. The
/// caller has checked the penalty and that the series holds one segment.
///
/// A candidate `s` enters the pieces at `t = s + min_segment`, the first
/// time it may end a segment; from then on it stays eligible, so being
/// beaten everywhere by eligible candidates is final.
pub(crate) fn pelt_functional<L: SegmentLoss + ?Sized>(loss: &L, penalty: f64, min_segment: usize) -> Vec<usize> {
    let n = loss.len();
    let h = min_segment;
    let mut f = vec![f64::INFINITY; n + 1];
    let mut last = vec![0usize; n + 1];
    f[0] = -penalty;
    let (lo, hi) = loss.domain();
    let slack = 1e-9 * (hi.value - lo.value);
    let mut pieces = vec![Piece { lo, hi, owner: 0 }];
    let mut next: Vec<Piece> = Vec::new();
    for t in h..=n {
        if t >= 2 * h {
            let s = t - h;
            next.clear();
            for p in &pieces {
                match loss.sublevel_within(p.owner, s, f[s] - f[p.owner], p.lo, p.hi) {
                    None => push_piece(&mut next, p.lo, p.hi, s),
                    Some((l, r)) => {
                        push_piece(&mut next, p.lo, l, s);
                        push_piece(&mut next, l, r, p.owner);
                        push_piece(&mut next, r, p.hi, s);
                    }
                }
            }
            std::mem::swap(&mut pieces, &mut next);
        }
        // The best candidate is best at its own estimate, so only owners
        // whose estimate lies on one of their pieces (up to rounding) are
        // evaluated; all of them if rounding leaves none. Ties go to the
        // earliest candidate, as in the inequality search.
        let mut best = (f64::INFINITY, 0);
        let consider = |best: &mut (f64, usize), s: usize| {
            let v = f[s] + loss.cost(s, t);
            if v < best.0 || (v == best.0 && s < best.1) {
                *best = (v, s);
            }
        };
        for p in &pieces {
            let estimate = loss.minimiser(p.owner, t);
            if p.lo.value - slack <= estimate && estimate <= p.hi.value + slack {
                consider(&mut best, p.owner);
            }
        }
        if !best.0.is_finite() {
            pieces.iter().for_each(|p| consider(&mut best, p.owner));
        }
        let (min, at) = best;
        f[t] = min + penalty;
        last[t] = at;
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_distances_solve_their_equation() {
        // Near 1 the residual cannot resolve the distances to better than
        // rounding of r itself, so compare them, on that scale, with the
        // series u = s + s^2/6 + s^3/36, w = s + s^2/3 + s^3/36, s = sqrt(2 delta).
        assert_eq!((low_root(0.0), high_root(0.0)), ((0.0, 1.0), (0.0, 0.0)));
        // Both roots, with the transcendental each returns checked against a direct call.
        let roots = |delta: f64| {
            let ((u, ratio), (w, ln_ratio)) = (low_root(delta), high_root(delta));
            assert!(
                (ratio - (-u).exp()).abs() <= 4.0 * f64::EPSILON * ratio,
                "delta {delta}"
            );
            assert!(
                (ln_ratio - w.ln_1p()).abs() <= 4.0 * f64::EPSILON * ln_ratio,
                "delta {delta}"
            );
            (u, w)
        };
        for delta in [1e-14, 1e-11, 1e-8] {
            let (u, w) = roots(delta);
            let s = (2.0 * delta).sqrt();
            let series = |a: f64| s + a * s * s + s * s * s / 36.0;
            assert!((u - series(1.0 / 6.0)).abs() < 4.0 * f64::EPSILON, "low, delta {delta}");
            assert!(
                (w - series(1.0 / 3.0)).abs() < 4.0 * f64::EPSILON,
                "high, delta {delta}"
            );
        }
        // Either side of the switch from the series to the iteration too.
        let series_range = (0..44).map(|i| SERIES_DELTA_MAX * 0.9f64.powi(i));
        for delta in [0.100_000_1, 0.5, 1.0, 2.999, 3.0, 10.0, 1e3, 1e8]
            .into_iter()
            .chain(series_range)
        {
            let (u, w) = roots(delta);
            assert!((u + (-u).exp_m1() - delta).abs() <= 1e-13 * delta, "low, delta {delta}");
            assert!((w - w.ln_1p() - delta).abs() <= 1e-13 * delta, "high, delta {delta}");
        }
    }

    /// The sublevel set agrees with a dense grid of loss evaluations.
    #[test]
    fn poisson_sublevel_set_is_where_the_loss_is_below_the_level() {
        let counts = [3.0, 0.0, 7.0, 2.0, 5.0];
        let exposure = [1.0, 2.0, 0.5, 1.5, 1.0];
        let cost = PoissonCost::new(&counts, Some(&exposure));
        let (y, e) = cost.totals(1, 4);
        let loss = |mu: f64| 2.0 * (e * mu - y * mu.ln());
        let min = loss(y / e);
        let (lo, hi) = cost.domain();
        let (l, r) = cost.sublevel_within(1, 4, min + 3.0, lo, hi).unwrap();
        assert!((loss(l.value) - (min + 3.0)).abs() < 1e-12 * min.abs().max(1.0));
        assert!((loss(r.value) - (min + 3.0)).abs() < 1e-12 * min.abs().max(1.0));
        assert!((l.ln - l.value.ln()).abs() < 1e-14 && (r.ln - r.value.ln()).abs() < 1e-14);
        assert!(cost.sublevel_within(1, 4, min - 1e-9, lo, hi).is_none());
        // Within a piece to the right of the minimiser, only the left part stays.
        let piece = (Knot::with_ln(y / e), Knot::with_ln(10.0));
        let (pl, pr) = cost.sublevel_within(1, 4, min + 3.0, piece.0, piece.1).unwrap();
        assert_eq!(pl, piece.0);
        assert!((pr.value - r.value).abs() < 1e-12 * r.value);
    }
}
