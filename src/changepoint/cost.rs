//! Segment costs: `-2 x` the maximised log-likelihood of positions `a..b`,
//! in O(1) from prefix sums, with the terms that are the same for every
//! segmentation dropped (they are returned by [`SegmentCost::constant`]).
//! One trait serves the single-break scan, the dynamic programme and PELT.

use statrs::function::gamma::ln_gamma;

use crate::model::family::ln_factorial;

/// A cost of contiguous segments of a series of `len()` positions.
pub trait SegmentCost: Sync {
    /// Number of positions.
    fn len(&self) -> usize;
    /// True when there are no positions.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// `-2 x` maximised log-likelihood of positions `a..b` (`a < b`), up to
    /// [`SegmentCost::constant`].
    fn cost(&self, a: usize, b: usize) -> f64;
    /// Free parameters of one segment.
    fn params_per_segment(&self) -> usize;
    /// What `-2 l` adds to the summed segment costs, for the whole series.
    fn constant(&self) -> f64;
    /// The scale of one unit of cost relative to `-2 l` (the noise variance
    /// for the Gaussian mean cost, whose costs are residual sums of squares);
    /// penalties such as BIC are multiplied by it.
    fn penalty_scale(&self) -> f64 {
        1.0
    }
    /// Name, for output.
    fn name(&self) -> &'static str;
    /// The cost as the minimum of a one-parameter convex loss, when it is
    /// one: PELT then prunes functionally.
    fn as_loss(&self) -> Option<&dyn SegmentLoss> {
        None
    }
}

/// A value of a segment parameter, with its logarithm kept beside it so
/// that the Poisson loss is evaluated at piece ends without a `ln` call
/// (losses without a logarithm ignore it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Knot {
    pub(crate) value: f64,
    pub(crate) ln: f64,
}

impl Knot {
    /// A knot with its logarithm, for losses that need it.
    pub(crate) fn with_ln(value: f64) -> Knot {
        Knot { value, ln: value.ln() }
    }

    /// The parameter value.
    pub fn value(&self) -> f64 {
        self.value
    }

    /// A knot whose logarithm is never read.
    pub(crate) fn plain(value: f64) -> Knot {
        Knot { value, ln: f64::NAN }
    }
}

/// A segment cost that is the minimum over one parameter of a convex loss,
/// which is what functional pruning needs.
pub trait SegmentLoss: SegmentCost {
    /// A range of the parameter that holds every segment's estimate (the
    /// range of the single positions' estimates), so that nothing outside
    /// it can make a candidate best.
    fn domain(&self) -> (Knot, Knot);
    /// The estimate of positions `a..b`, on the scale of the knots.
    fn minimiser(&self, a: usize, b: usize) -> f64;
    /// The part of `[lo, hi]` where the loss of positions `a..b` is at most
    /// `level`, or `None` when it is empty. The ends returned are `lo` and
    /// `hi` themselves where the loss there is within the level.
    fn sublevel_within(&self, a: usize, b: usize, level: f64, lo: Knot, hi: Knot) -> Option<(Knot, Knot)>;
    /// PELT with functional pruning on this loss ([`super::functional`]):
    /// the last break of the best segmentation of `0..t`, for every `t`.
    /// [`super::segment::pelt`] calls it after checking the penalty and the
    /// length; it is a method so that each loss gets its own compiled
    /// search, with the loss inlined, even when reached through `dyn
    /// SegmentLoss`.
    fn pelt_last_breaks(&self, penalty: f64, min_segment: usize) -> Vec<usize>;
}

fn prefix(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut out = vec![0.0];
    let mut acc = 0.0;
    for v in values {
        acc += v;
        out.push(acc);
    }
    out
}

/// Prefix sums carrying their rounding error (Neumaier's two-sum), so a
/// segment total stays accurate when the values span many orders of
/// magnitude: exposures of 1e9 and 1e-9 in one series lose the small ones
/// entirely in a plain running sum, and their segment totals become 0.
#[derive(Debug, Clone)]
struct CompensatedPrefix {
    sum: Vec<f64>,
    error: Vec<f64>,
}

impl CompensatedPrefix {
    fn new(values: impl Iterator<Item = f64>) -> CompensatedPrefix {
        let (mut sum, mut error) = (vec![0.0], vec![0.0]);
        let (mut acc, mut err) = (0.0f64, 0.0f64);
        for v in values {
            let next = acc + v;
            err += if acc.abs() >= v.abs() {
                (acc - next) + v
            } else {
                (v - next) + acc
            };
            acc = next;
            sum.push(acc);
            error.push(err);
        }
        CompensatedPrefix { sum, error }
    }

    /// Total of positions `a..b`.
    #[inline]
    fn total(&self, a: usize, b: usize) -> f64 {
        (self.sum[b] - self.sum[a]) + (self.error[b] - self.error[a])
    }
}

/// Poisson counts with exposure: segment rate `Y/E`, cost `-2 (Y log(Y/E) - Y)`.
///
/// Counts are whole numbers, so their plain prefix sums are exact below
/// 2^53; exposures are summed with compensation.
#[derive(Debug, Clone)]
pub struct PoissonCost {
    y: Vec<f64>,
    e: CompensatedPrefix,
    constant: f64,
    /// Lowest and highest rate of one position: every segment's rate lies
    /// between them.
    rates: (f64, f64),
}

impl PoissonCost {
    /// Counts and optional exposures (1 each when absent).
    pub fn new(counts: &[f64], exposure: Option<&[f64]>) -> PoissonCost {
        let exposure_at = |t: usize| exposure.map_or(1.0, |e| e[t]);
        let constant = -2.0
            * counts
                .iter()
                .enumerate()
                .map(|(t, &y)| if y > 0.0 { y * exposure_at(t).ln() } else { 0.0 } - ln_factorial(y))
                .sum::<f64>();
        PoissonCost {
            constant,
            ..PoissonCost::relative(counts, exposure)
        }
    }

    /// As [`PoissonCost::new`] without the constant (0), for comparing
    /// segmentations of the same data only.
    pub fn relative(counts: &[f64], exposure: Option<&[f64]>) -> PoissonCost {
        let exposure_at = |t: usize| exposure.map_or(1.0, |e| e[t]);
        let rates = counts
            .iter()
            .enumerate()
            .map(|(t, &y)| y / exposure_at(t))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| (lo.min(r), hi.max(r)));
        PoissonCost {
            y: prefix(counts.iter().copied()),
            e: CompensatedPrefix::new((0..counts.len()).map(exposure_at)),
            constant: 0.0,
            rates,
        }
    }

    /// Lowest and highest rate of one position.
    pub(crate) fn rate_range(&self) -> (f64, f64) {
        self.rates
    }

    /// Count and exposure of positions `a..b`.
    #[inline]
    pub fn totals(&self, a: usize, b: usize) -> (f64, f64) {
        (self.y[b] - self.y[a], self.e.total(a, b))
    }
}

impl SegmentCost for PoissonCost {
    fn len(&self) -> usize {
        self.y.len() - 1
    }
    #[inline]
    fn cost(&self, a: usize, b: usize) -> f64 {
        let (y, e) = self.totals(a, b);
        if y > 0.0 { -2.0 * (y * (y / e).ln() - y) } else { 0.0 }
    }
    fn params_per_segment(&self) -> usize {
        1
    }
    fn constant(&self) -> f64 {
        self.constant
    }
    fn name(&self) -> &'static str {
        "poisson"
    }
    fn as_loss(&self) -> Option<&dyn SegmentLoss> {
        Some(self)
    }
}

/// Gaussian mean with a variance common to all segments: cost = residual sum
/// of squares (the `l2` cost of ruptures, the RSS of strucchange).
#[derive(Debug, Clone)]
pub struct GaussianMeanCost {
    s1: Vec<f64>,
    s2: Vec<f64>,
    center: f64,
    noise: f64,
    /// Lowest and highest centred value: every segment's mean lies between.
    range: (f64, f64),
}

impl GaussianMeanCost {
    /// Values of the series.
    pub fn new(values: &[f64]) -> GaussianMeanCost {
        // Noise variance from first differences (robust to mean shifts):
        // MAD of the differences / (sqrt 2 x 0.6745), squared.
        let mut diffs: Vec<f64> = values.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
        diffs.sort_by(f64::total_cmp);
        let mad = if diffs.is_empty() { 0.0 } else { diffs[diffs.len() / 2] };
        let sd = mad / (std::f64::consts::SQRT_2 * 0.674_489_750_196_081_7);
        // Centred values keep the sums of squares free of the cancellation
        // that a large mean relative to the spread would cause.
        let center = values.iter().sum::<f64>() / values.len().max(1) as f64;
        GaussianMeanCost {
            s1: prefix(values.iter().map(|v| v - center)),
            s2: prefix(values.iter().map(|v| (v - center) * (v - center))),
            center,
            noise: if sd > 0.0 { sd * sd } else { 1.0 },
            range: values
                .iter()
                .map(|v| v - center)
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v))),
        }
    }

    /// Mean of positions `a..b`.
    pub fn mean(&self, a: usize, b: usize) -> f64 {
        self.center + self.centred_mean(a, b)
    }

    /// Mean of positions `a..b` less the series mean.
    #[inline]
    pub(crate) fn centred_mean(&self, a: usize, b: usize) -> f64 {
        (self.s1[b] - self.s1[a]) / (b - a) as f64
    }

    /// Lowest and highest centred value.
    pub(crate) fn centred_range(&self) -> (f64, f64) {
        self.range
    }
}

impl SegmentCost for GaussianMeanCost {
    fn len(&self) -> usize {
        self.s1.len() - 1
    }
    #[inline]
    fn cost(&self, a: usize, b: usize) -> f64 {
        let n = (b - a) as f64;
        let s = self.s1[b] - self.s1[a];
        (self.s2[b] - self.s2[a] - s * s / n).max(0.0)
    }
    fn params_per_segment(&self) -> usize {
        1
    }
    fn constant(&self) -> f64 {
        0.0
    }
    fn penalty_scale(&self) -> f64 {
        self.noise
    }
    fn name(&self) -> &'static str {
        "gaussian_mean"
    }
    fn as_loss(&self) -> Option<&dyn SegmentLoss> {
        Some(self)
    }
}

/// Gaussian mean and variance per segment: cost `n log(RSS/n)` (variance
/// floored at 1e-12 times the series variance so constant segments stay finite).
#[derive(Debug, Clone)]
pub struct GaussianMeanVarCost {
    inner: GaussianMeanCost,
    floor: f64,
}

impl GaussianMeanVarCost {
    /// Values of the series.
    pub fn new(values: &[f64]) -> GaussianMeanVarCost {
        let inner = GaussianMeanCost::new(values);
        let n = values.len().max(1);
        let total = inner.cost(0, n) / n as f64;
        GaussianMeanVarCost {
            inner,
            floor: 1e-12 * total.max(f64::MIN_POSITIVE),
        }
    }
}

impl SegmentCost for GaussianMeanVarCost {
    fn len(&self) -> usize {
        self.inner.len()
    }
    fn cost(&self, a: usize, b: usize) -> f64 {
        let n = (b - a) as f64;
        n * (self.inner.cost(a, b) / n).max(self.floor).ln()
    }
    fn params_per_segment(&self) -> usize {
        2
    }
    fn constant(&self) -> f64 {
        self.len() as f64 * ((2.0 * std::f64::consts::PI).ln() + 1.0)
    }
    fn name(&self) -> &'static str {
        "gaussian_mean_var"
    }
}

/// Negative binomial NB2 counts with a fixed theta: one rate per segment,
/// per unit exposure when there is exposure. Without exposure the segment's
/// maximum likelihood mean is `Y/n` whatever theta, O(1) from prefix sums;
/// with exposure it solves `sum theta (y_i - mu_i) / (theta + mu_i) = 0`
/// (`mu_i = e_i r`) by Newton steps in `log r`, O(segment length) each.
#[derive(Debug, Clone)]
pub struct NegbinCost {
    /// Prefix sums of the counts.
    y: Vec<f64>,
    /// Counts and exposures, when there is exposure.
    exposed: Option<(Vec<f64>, Vec<f64>)>,
    theta: f64,
    constant: f64,
}

impl NegbinCost {
    /// Counts, optional exposures and the (fixed) theta.
    pub fn new(counts: &[f64], exposure: Option<&[f64]>, theta: f64) -> NegbinCost {
        let constant = -2.0
            * counts
                .iter()
                .map(|&y| ln_gamma(y + theta) - ln_gamma(theta) - ln_factorial(y))
                .sum::<f64>();
        NegbinCost {
            y: prefix(counts.iter().copied()),
            exposed: exposure.map(|e| (counts.to_vec(), e.to_vec())),
            theta,
            constant,
        }
    }

    /// The theta the cost holds fixed.
    pub fn theta(&self) -> f64 {
        self.theta
    }

    /// `-2 x` the mean-dependent log-likelihood of counts `y` at means `mu`.
    fn kernel(&self, y: f64, mu: f64) -> f64 {
        let th = self.theta;
        let count_part = if y > 0.0 { y * (mu / (th + mu)).ln() } else { 0.0 };
        -2.0 * (th * (th / (th + mu)).ln() + count_part)
    }

    /// The segment cost with exposure: the rate by Newton in `log r`.
    fn exposed_cost(&self, y: &[f64], e: &[f64]) -> f64 {
        let th = self.theta;
        let total: f64 = y.iter().sum();
        if total <= 0.0 {
            return 0.0;
        }
        let mut u = (total / e.iter().sum::<f64>()).ln();
        for _ in 0..100 {
            let r = u.exp();
            let (mut score, mut info) = (0.0, 0.0);
            for (&yi, &ei) in y.iter().zip(e) {
                let mu = ei * r;
                score += th * (yi - mu) / (th + mu);
                info += th * mu * (th + yi) / ((th + mu) * (th + mu));
            }
            let step = score / info;
            u += step.clamp(-5.0, 5.0);
            if step.abs() < 1e-13 * (1.0 + u.abs()) {
                break;
            }
        }
        let r = u.exp();
        y.iter().zip(e).map(|(&yi, &ei)| self.kernel(yi, ei * r)).sum()
    }
}

impl SegmentCost for NegbinCost {
    fn len(&self) -> usize {
        self.y.len() - 1
    }
    fn cost(&self, a: usize, b: usize) -> f64 {
        if let Some((y, e)) = &self.exposed {
            return self.exposed_cost(&y[a..b], &e[a..b]);
        }
        let n = (b - a) as f64;
        let y = self.y[b] - self.y[a];
        let mu = y / n;
        let th = self.theta;
        let count_part = if y > 0.0 { y * (mu / (th + mu)).ln() } else { 0.0 };
        -2.0 * (th * n * (th / (th + mu)).ln() + count_part)
    }
    fn params_per_segment(&self) -> usize {
        1
    }
    fn constant(&self) -> f64 {
        self.constant
    }
    fn name(&self) -> &'static str {
        "negbin"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Family;

    #[test]
    fn poisson_cost_plus_constant_is_minus_twice_the_loglik() {
        let y = [3.0, 0.0, 5.0, 2.0];
        let e = [1.5, 2.0, 2.5, 1.0];
        let c = PoissonCost::new(&y, Some(&e));
        let rate = 10.0 / 7.0;
        let ll: f64 = y
            .iter()
            .zip(&e)
            .map(|(&y, &e)| Family::Poisson.loglik(y, rate * e, 1.0, 1.0))
            .sum();
        assert!((c.cost(0, 4) + c.constant() + 2.0 * ll).abs() < 1e-12);
    }

    #[test]
    fn negbin_cost_plus_constant_is_minus_twice_the_loglik() {
        let y = [3.0, 0.0, 5.0, 2.0, 9.0];
        let c = NegbinCost::new(&y, None, 2.5);
        let mu = 19.0 / 5.0;
        let ll: f64 = y.iter().map(|&y| Family::Negbin.loglik(y, mu, 1.0, 2.5)).sum();
        assert!((c.cost(0, 5) + c.constant() + 2.0 * ll).abs() < 1e-10);
    }

    #[test]
    fn negbin_cost_with_exposure_is_at_the_rate_maximising_the_likelihood() {
        // Regression: the NB cost ignored exposure (a share's level came out
        // as the mean count).
        let y = [3.0, 0.0, 5.0, 2.0, 9.0];
        let e = [10.0, 4.0, 20.0, 5.0, 30.0];
        let c = NegbinCost::new(&y, Some(&e), 2.5);
        let ll_at = |r: f64| -> f64 {
            y.iter()
                .zip(&e)
                .map(|(&y, &e)| Family::Negbin.loglik(y, e * r, 1.0, 2.5))
                .sum()
        };
        let cost = c.cost(0, 5) + c.constant();
        // Minus twice the log-likelihood at the best rate, which a fine
        // grid around the ratio of totals cannot beat.
        let grid_best = (1..4000)
            .map(|i| ll_at(0.05 + i as f64 * 1e-4))
            .fold(f64::NEG_INFINITY, f64::max);
        assert!(cost <= -2.0 * grid_best + 1e-9, "{cost} vs {}", -2.0 * grid_best);
        assert!(cost > -2.0 * grid_best - 1e-6);
        // Not the cost of the exposure-free model.
        assert!((NegbinCost::new(&y, None, 2.5).cost(0, 5) - c.cost(0, 5)).abs() > 1.0);
    }

    #[test]
    fn gaussian_cost_is_the_residual_sum_of_squares() {
        let v = [1.0, 2.0, 4.0, 7.0];
        let c = GaussianMeanCost::new(&v);
        assert!((c.cost(0, 4) - 21.0).abs() < 1e-12);
        assert!((c.cost(1, 3) - 2.0).abs() < 1e-12);
        assert!((c.mean(0, 4) - 3.5).abs() < 1e-12);
    }

    #[test]
    fn tiny_exposures_beside_huge_ones_keep_their_segment_totals() {
        let e = [1e9, 1.0, 1.0, 1e-9, 1e-9];
        let c = PoissonCost::new(&[0.0, 1.0, 2.0, 3.0, 4.0], Some(&e));
        assert!((c.totals(3, 5).1 / 2e-9 - 1.0).abs() < 1e-12, "{:?}", c.totals(3, 5));
        assert!((c.totals(1, 4).1 / (2.0 + 1e-9) - 1.0).abs() < 1e-15);
        assert!(c.cost(3, 5).is_finite());
    }

    #[test]
    fn gaussian_cost_at_a_large_mean_is_the_residual_sum_of_squares() {
        let v = [1e9 + 1.0, 1e9 + 2.0, 1e9 + 4.0, 1e9 + 7.0];
        let c = GaussianMeanCost::new(&v);
        assert!((c.cost(0, 4) - 21.0).abs() < 1e-6, "{}", c.cost(0, 4));
        assert!((c.cost(1, 3) - 2.0).abs() < 1e-6);
        assert!((c.mean(0, 4) - (1e9 + 3.5)).abs() < 1e-6);
    }
}
