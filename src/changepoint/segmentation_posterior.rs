//! The exact posterior over segmentations of a Poisson series with exposure,
//! or of a Gaussian series with a mean and a variance per segment (Fearnhead
//! 2006): conjugate priors on each segment's parameters, a stated prior on
//! the breaks, and forward and backward recursions over the observations,
//! with no sampling.
//!
//! The Gaussian model: `y_i ~ N(mu, sigma^2)` with `(mu, sigma^2)` its
//! segment's, a priori `sigma^2 ~ InvGamma(shape, scale)` and `mu | sigma^2
//! ~ N(mean, sigma^2 / kappa)`, independently per segment
//! ([`NormalPrior::scaled_to`] states the default). The level's posterior
//! given a segment is Student's t.
//!
//! The model: observation `i` has count `y_i ~ Poisson(lambda e_i)` with
//! `lambda` the rate of its segment and `e_i` its exposure (1 without).
//! - **Rates.** Each segment's rate is Gamma(`shape`, `rate`) a priori,
//!   independently (proper, so that the number of breaks has a posterior).
//!   [`RatePrior::scaled_to`] centres it on the series' pooled rate.
//! - **Breaks.** The number of breaks K is uniform on `0..=max_breaks`, and
//!   given K every placement of the K breaks between observations with
//!   segments of at least `min_segment` observations (the search's own
//!   minimum) is equally likely. A break falls between two observations, so a run row
//!   (a total over several periods) is never split: breaks inside runs are
//!   excluded.
//!
//! The recursions cost `O(max_breaks · n²)` segment terms, each in closed
//! form (the log-gamma values of whole totals tabulated), and so does the
//! segment probabilities' pass behind the mean rate; each is computed in
//! parallel over positions. No term is dropped: the posterior is exact at
//! every n it runs on.
//!
//! # References
//! Fearnhead, P. (2006). Exact and efficient Bayesian inference for multiple
//! changepoint problems. *Statistics and Computing* 16, 203–213.

use rayon::prelude::*;
use statrs::function::beta::beta_reg;
use statrs::function::gamma::{gamma_lr, ln_gamma};

use crate::inference::root::brent;

use crate::error::{Result, SpecError};

/// The Gamma prior of every segment's rate (per unit exposure).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatePrior {
    /// Shape, > 0.
    pub shape: f64,
    /// Rate, > 0 (a proper prior).
    pub rate: f64,
}

impl RatePrior {
    /// Gamma(`shape`, `shape / pooled rate`): mean the series' pooled rate
    /// (total count over total exposure, at least 0.5 counts' worth),
    /// coefficient of variation `1 / sqrt(shape)`. Scaling by the pooled
    /// rate makes the posterior free of the exposure's unit.
    pub fn scaled_to(counts: &[f64], exposure: &[f64], shape: f64) -> RatePrior {
        let pooled = counts.iter().sum::<f64>().max(0.5) / exposure.iter().sum::<f64>();
        RatePrior {
            shape,
            rate: shape / pooled,
        }
    }
}

/// The exact posterior.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentationPosterior {
    /// P(K = k | data) for k = 0..=max_breaks (after capping at n - 1).
    pub number: Vec<f64>,
    /// P(a break before observation j | data) for j = 1..n; the first
    /// entry is for observation 1.
    pub break_probability: Vec<f64>,
    /// Posterior mean rate of each observation's segment, per unit exposure.
    pub mean_rate: Vec<f64>,
    /// The 95% equal-tailed posterior band of that rate: lower ends (empty
    /// past [`BAND_MAX_OBS`] observations).
    pub rate_low: Vec<f64>,
    /// Upper ends.
    pub rate_high: Vec<f64>,
}

/// The posterior probability the rate band may leave out (see
/// [`segmentation_posterior`]).
const BAND_NEGLIGIBLE: f64 = 1e-10;

/// Series longer than this get no rate band: each observation's band is a
/// quantile of a mixture over every segment that may hold it, which costs
/// about n^3 incomplete-gamma evaluations (1.9 s at n = 120, 6 s at 480).
pub const BAND_MAX_OBS: usize = 60;

/// `ln(exp(a) + exp(b))` without overflow.
fn log_add(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}

/// The normal-inverse-gamma prior of every Gaussian segment's mean and
/// variance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NormalPrior {
    /// Prior mean of the level.
    pub mean: f64,
    /// Observations' worth of the level's prior: `mu | sigma^2 ~ N(mean,
    /// sigma^2 / kappa)`.
    pub kappa: f64,
    /// Inverse-gamma shape of the variance.
    pub shape: f64,
    /// Inverse-gamma scale of the variance.
    pub scale: f64,
}

impl NormalPrior {
    /// Centred on the series: `mean` the series' mean; the variance
    /// InvGamma(1, s2) with `s2` the noise variance from first differences
    /// (`sum (y_i - y_{i-1})^2 / (2 (n - 1))`, which level shifts barely
    /// move); `kappa = s2 / v` with `v` the series' variance, so that the
    /// level's prior spread is about the series' own (at most 1). Scaled so
    /// that the posterior is free of the values' unit.
    pub fn scaled_to(values: &[f64]) -> NormalPrior {
        let n = values.len().max(1) as f64;
        let mean = values.iter().sum::<f64>() / n;
        let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        let noise = values.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum::<f64>() / (2.0 * (n - 1.0).max(1.0));
        // A constant stretch has no noise: the scale must stay positive.
        let tiny = f64::MIN_POSITIVE.sqrt() * (1.0 + mean.abs());
        let noise = noise.max(tiny);
        NormalPrior {
            mean,
            kappa: if variance > 0.0 {
                (noise / variance).min(1.0)
            } else {
                1.0
            },
            shape: 1.0,
            scale: noise,
        }
    }
}

/// The posterior of one segment's level (the rate per unit exposure, or
/// the Gaussian mean), given the segment.
#[derive(Debug, Clone, Copy)]
enum LevelPosterior {
    Gamma { shape: f64, rate: f64 },
    StudentT { location: f64, scale: f64, dof: f64 },
}

impl LevelPosterior {
    fn mean(&self) -> f64 {
        match *self {
            LevelPosterior::Gamma { shape, rate } => shape / rate,
            LevelPosterior::StudentT { location, .. } => location,
        }
    }

    fn cdf(&self, x: f64) -> f64 {
        match *self {
            LevelPosterior::Gamma { shape, rate } => {
                if x > 0.0 {
                    gamma_lr(shape, rate * x)
                } else {
                    0.0
                }
            }
            LevelPosterior::StudentT { location, scale, dof } => {
                let z = (x - location) / scale;
                // P(T <= z) from the regularised incomplete beta.
                let tail = 0.5 * beta_reg(dof / 2.0, 0.5, dof / (dof + z * z));
                if z < 0.0 { tail } else { 1.0 - tail }
            }
        }
    }

    /// A range holding its 0.025 and 0.975 quantiles: six standard
    /// deviations either side of the mean (for t with `dof` >= 3, 6 sd is
    /// past the 0.975 quantile).
    fn bracket(&self) -> (f64, f64) {
        match *self {
            LevelPosterior::Gamma { shape, rate } => {
                let (mean, sd) = (shape / rate, shape.sqrt() / rate);
                ((mean - 6.0 * sd).max(0.0), mean + 6.0 * sd + 1.0 / rate)
            }
            LevelPosterior::StudentT { location, scale, dof } => {
                let sd = scale * (dof / (dof - 2.0).max(0.5)).sqrt();
                (location - 6.0 * sd, location + 6.0 * sd)
            }
        }
    }
}

/// What the recursions need of a segment model with a conjugate prior:
/// the closed-form log marginal likelihood of observations `s..t` as one
/// segment (up to a factor every segmentation shares), and the level's
/// posterior given that segment.
trait Conjugate: Sync {
    fn log_marginal(&self, s: usize, t: usize) -> f64;
    fn level(&self, s: usize, t: usize) -> LevelPosterior;
}

/// `0, x_0, x_0 + x_1, ...`.
fn prefix(v: impl Iterator<Item = f64>) -> Vec<f64> {
    std::iter::once(0.0)
        .chain(v.scan(0.0, |s, x| {
            *s += x;
            Some(*s)
        }))
        .collect()
}

/// Poisson segments with a Gamma prior, without the factor
/// `prod e_i^y_i / y_i!` that every segmentation shares.
struct PoissonSegments {
    y: Vec<f64>,
    e: Vec<f64>,
    prior: RatePrior,
    constant: f64,
    /// `ln Gamma(shape + y)` for every whole total `y` up to the series'
    /// (when it is at most `LN_GAMMA_TABLE_MAX`): the recursions take it
    /// n^2 times.
    ln_gamma_shape: Vec<f64>,
}

/// Starts per block of the segment pass (each block holds one difference
/// array of n + 1).
const START_BLOCK: usize = 256;

/// The largest series total whose log-gamma values are tabulated (32 MB).
const LN_GAMMA_TABLE_MAX: f64 = 4e6;

impl PoissonSegments {
    fn new(counts: &[f64], exposure: &[f64], prior: RatePrior) -> PoissonSegments {
        let y = prefix(counts.iter().copied());
        let total = y[y.len() - 1];
        let ln_gamma_shape = if total <= LN_GAMMA_TABLE_MAX {
            (0..=total as usize).map(|k| ln_gamma(prior.shape + k as f64)).collect()
        } else {
            Vec::new()
        };
        PoissonSegments {
            y,
            e: prefix(exposure.iter().copied()),
            prior,
            constant: prior.shape * prior.rate.ln() - ln_gamma(prior.shape),
            ln_gamma_shape,
        }
    }

    /// Count and exposure of observations `s..t`.
    fn totals(&self, s: usize, t: usize) -> (f64, f64) {
        (self.y[t] - self.y[s], self.e[t] - self.e[s])
    }
}

impl Conjugate for PoissonSegments {
    fn log_marginal(&self, s: usize, t: usize) -> f64 {
        let (y, e) = self.totals(s, t);
        let a = self.prior.shape + y;
        // Totals of whole counts are whole (below 2^53, exactly).
        let lg = self
            .ln_gamma_shape
            .get(y as usize)
            .copied()
            .unwrap_or_else(|| ln_gamma(a));
        self.constant + lg - a * (self.prior.rate + e).ln()
    }

    fn level(&self, s: usize, t: usize) -> LevelPosterior {
        let (y, e) = self.totals(s, t);
        LevelPosterior::Gamma {
            shape: self.prior.shape + y,
            rate: self.prior.rate + e,
        }
    }
}

/// Gaussian segments with a normal-inverse-gamma prior, without the factor
/// `(2 pi)^(-n/2)` that every segmentation shares. Sums about the prior
/// mean keep the squares small.
struct GaussianSegments {
    sum: Vec<f64>,
    squares: Vec<f64>,
    prior: NormalPrior,
    constant: f64,
}

impl GaussianSegments {
    fn new(values: &[f64], prior: NormalPrior) -> GaussianSegments {
        let centred = values.iter().map(|v| v - prior.mean);
        GaussianSegments {
            sum: prefix(centred.clone()),
            squares: prefix(centred.map(|d| d * d)),
            prior,
            constant: prior.shape * prior.scale.ln() - ln_gamma(prior.shape) + 0.5 * prior.kappa.ln(),
        }
    }

    /// `(n, kappa_n, shape_n, scale_n, mean_n)` of the segment `s..t`.
    fn update(&self, s: usize, t: usize) -> (f64, f64, f64, f64, f64) {
        let m = (t - s) as f64;
        let (sum, squares) = (self.sum[t] - self.sum[s], self.squares[t] - self.squares[s]);
        let NormalPrior {
            mean,
            kappa,
            shape,
            scale,
        } = self.prior;
        let kappa_n = kappa + m;
        // sum (y - ybar)^2 + kappa m (ybar - mean)^2 / kappa_n, with d = y - mean.
        let within = (squares - sum * sum / m).max(0.0);
        let scale_n = scale + 0.5 * (within + kappa * sum * sum / (m * kappa_n));
        (m, kappa_n, shape + m / 2.0, scale_n, mean + sum / kappa_n)
    }
}

impl Conjugate for GaussianSegments {
    fn log_marginal(&self, s: usize, t: usize) -> f64 {
        let (_, kappa_n, shape_n, scale_n, _) = self.update(s, t);
        self.constant - 0.5 * kappa_n.ln() + ln_gamma(shape_n) - shape_n * scale_n.ln()
    }

    fn level(&self, s: usize, t: usize) -> LevelPosterior {
        let (_, kappa_n, shape_n, scale_n, mean_n) = self.update(s, t);
        LevelPosterior::StudentT {
            location: mean_n,
            scale: (scale_n / (shape_n * kappa_n)).sqrt(),
            dof: 2.0 * shape_n,
        }
    }
}

/// `ln sum exp(v)` over `values` in one pass: the running maximum rescales
/// the sum only when it rises, so each term costs one `exp`.
fn log_sum(values: impl Iterator<Item = f64>) -> f64 {
    let (mut top, mut sum) = (f64::NEG_INFINITY, 0.0);
    for v in values {
        if v == f64::NEG_INFINITY {
            continue;
        }
        if v <= top {
            sum += (v - top).exp();
        } else {
            sum = sum * (top - v).exp() + 1.0;
            top = v;
        }
    }
    if sum == 0.0 { f64::NEG_INFINITY } else { top + sum.ln() }
}

/// The exact posterior over segmentations of `counts` with `exposure`
/// (1 per observation when `None`), at most `max_breaks` breaks and
/// segments of at least `min_segment` observations (as the search's).
///
/// # Errors
/// [`SpecError::PosteriorNeedsCounts`] when a count is negative or not whole,
/// an exposure is not positive, or the prior is improper.
pub fn segmentation_posterior(
    counts: &[f64],
    exposure: Option<&[f64]>,
    max_breaks: usize,
    min_segment: usize,
    prior: RatePrior,
) -> Result<SegmentationPosterior> {
    let n = counts.len();
    let ones = vec![1.0; n];
    let exposure = exposure.unwrap_or(&ones);
    let valid = n > 0
        && exposure.len() == n
        && counts.iter().all(|&y| y >= 0.0 && y.fract() == 0.0)
        && exposure.iter().all(|&e| e > 0.0 && e.is_finite())
        && prior.shape > 0.0
        && prior.rate > 0.0
        && prior.shape.is_finite()
        && prior.rate.is_finite();
    if !valid {
        return Err(SpecError::PosteriorNeedsCounts.into());
    }
    posterior_of(
        &PoissonSegments::new(counts, exposure, prior),
        n,
        max_breaks,
        min_segment,
    )
}

/// The exact posterior over segmentations of Gaussian `values`, each
/// segment with its own mean and variance under `prior`, at most
/// `max_breaks` breaks and segments of at least `min_segment` observations.
///
/// # Errors
/// [`SpecError::PosteriorNeedsValues`] when a value is not finite or the
/// prior is improper.
pub fn gaussian_segmentation_posterior(
    values: &[f64],
    max_breaks: usize,
    min_segment: usize,
    prior: NormalPrior,
) -> Result<SegmentationPosterior> {
    let positive = |v: f64| v > 0.0 && v.is_finite();
    let valid = !values.is_empty()
        && values.iter().all(|v| v.is_finite())
        && prior.mean.is_finite()
        && positive(prior.kappa)
        && positive(prior.shape)
        && positive(prior.scale);
    if !valid {
        return Err(SpecError::PosteriorNeedsValues.into());
    }
    posterior_of(
        &GaussianSegments::new(values, prior),
        values.len(),
        max_breaks,
        min_segment,
    )
}

/// The recursions over `n` observations of segments `seg`.
// The recursions read as the sums they are: index loops over break counts
// and positions.
#[allow(clippy::needless_range_loop)]
fn posterior_of(
    seg: &impl Conjugate,
    n: usize,
    max_breaks: usize,
    min_segment: usize,
) -> Result<SegmentationPosterior> {
    let max_breaks = max_breaks.min(n - 1);
    let neg = f64::NEG_INFINITY;
    let h = min_segment.max(1);
    // A segment shorter than `min_segment` has prior weight 0.
    let marg = |s: usize, t: usize| if t - s >= h { seg.log_marginal(s, t) } else { neg };
    // forward[k][t]: ln of the sum over segmentations of 0..t into k + 1
    // segments of the product of their marginals; backward[k][s]: of s..n.
    // Each row depends on the previous one only: its entries in parallel.
    let mut forward = vec![vec![neg; n + 1]; max_breaks + 1];
    let mut backward = vec![vec![neg; n + 1]; max_breaks + 1];
    for t in 1..=n {
        forward[0][t] = marg(0, t);
        backward[0][n - t] = marg(n - t, n);
    }
    for k in 1..=max_breaks {
        // Segments of at least h: the last one starts at s in k h..=t - h.
        let previous = &forward[k - 1];
        forward[k] = (0..=n)
            .into_par_iter()
            .map(|t| {
                let last = t.saturating_sub(h);
                log_sum((k * h..=last).map(|s| previous[s] + marg(s, t)))
            })
            .collect();
        let previous = &backward[k - 1];
        backward[k] = (0..=n)
            .into_par_iter()
            .map(|s| {
                let last = n.saturating_sub(k * h);
                log_sum((s + h..=last).map(|t| marg(s, t) + previous[t]))
            })
            .collect();
    }
    // The prior weight of one segmentation with k breaks: 1 / (K_max + 1)
    // for the number, one over the number of placements for the placement:
    // C(n - (k + 1) h + k, k) with segments of at least h observations
    // (C(n - 1, k) for h = 1); none when k + 1 segments cannot fit.
    let ln_choose =
        |m: usize, k: usize| ln_gamma(m as f64 + 1.0) - ln_gamma(k as f64 + 1.0) - ln_gamma((m - k) as f64 + 1.0);
    let weight: Vec<f64> = (0..=max_breaks)
        .map(|k| match n.checked_sub((k + 1) * h) {
            Some(spare) => -ln_choose(spare + k, k),
            None => neg,
        })
        .collect();
    let joint: Vec<f64> = (0..=max_breaks).map(|k| weight[k] + forward[k][n]).collect();
    let evidence = joint.iter().fold(neg, |acc, &v| log_add(acc, v));
    let number: Vec<f64> = joint.iter().map(|&v| (v - evidence).exp()).collect();

    // A break before observation j with i breaks before it and m after:
    // k = i + m + 1 breaks in all.
    let break_probability: Vec<f64> = (1..n)
        .map(|j| {
            let mut total = neg;
            for i in 0..max_breaks {
                for m in 0..(max_breaks - i) {
                    let k = i + m + 1;
                    total = log_add(total, weight[k] + forward[i][j] + backward[m][j]);
                }
            }
            (total - evidence).exp().min(1.0)
        })
        .collect();

    // Segment s..t has posterior probability
    //   M(s, t) sum_{i, m} w[i + m] A_i(s) C_m(t) / evidence
    // with i breaks before it (A_0(s) = [s = 0], A_i(s) = forward[i - 1][s])
    // and m after (C_0(t) = [t = n], C_m(t) = backward[m - 1][t]). The sum
    // over i is taken once per start: D_s[m] = ln sum_i w[i + m] A_i(s).
    let before = |i: usize, s: usize| match i {
        0 => {
            if s == 0 {
                0.0
            } else {
                neg
            }
        }
        _ => forward[i - 1][s],
    };
    let after = |m: usize, t: usize| match m {
        0 => {
            if t == n {
                0.0
            } else {
                neg
            }
        }
        _ => backward[m - 1][t],
    };
    let probability = |s: usize, t: usize, d: &[f64]| -> f64 {
        let around = log_sum(d.iter().enumerate().map(|(m, &dm)| dm + after(m, t)));
        (around + marg(s, t) - evidence).exp()
    };
    let row_weights = |s: usize| -> Vec<f64> {
        (0..=max_breaks)
            .map(|m| log_sum((0..=max_breaks - m).map(|i| weight[i + m] + before(i, s))))
            .collect()
    };
    // The mean rate sums p a / b over the segments holding each
    // observation: a difference array, O(1) per segment. Blocks of starts
    // in parallel, added in block order, so the sums do not depend on the
    // thread count.
    let starts: Vec<usize> = (0..n).collect();
    let blocks: Vec<Vec<f64>> = starts
        .par_chunks(START_BLOCK)
        .map(|block| {
            let mut diff = vec![0.0; n + 1];
            for &s in block {
                let d = row_weights(s);
                if d.iter().all(|&v| v == neg) {
                    continue;
                }
                for t in (s + h)..=n {
                    let p = probability(s, t, &d);
                    if p > 0.0 {
                        let level = seg.level(s, t).mean();
                        diff[s] += p * level;
                        diff[t] -= p * level;
                    }
                }
            }
            diff
        })
        .collect();
    let mut mean_diff = vec![0.0; n + 1];
    for block in &blocks {
        mean_diff.iter_mut().zip(block).for_each(|(a, b)| *a += b);
    }
    let mean_rate: Vec<f64> = mean_diff[..n]
        .iter()
        .scan(0.0, |run, d| {
            *run += d;
            Some(*run)
        })
        .collect();
    let (rate_low, rate_high) = if n <= BAND_MAX_OBS {
        let mut segments: Vec<(usize, usize, f64)> = (0..n)
            .flat_map(|s| {
                let d = row_weights(s);
                ((s + h)..=n)
                    .map(|t| (s, t, probability(s, t, &d)))
                    .filter(|x| x.2 > 0.0)
                    .collect::<Vec<_>>()
            })
            .collect();
        rate_band(seg, &mut segments, n)
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(SegmentationPosterior {
        number,
        break_probability,
        mean_rate,
        rate_low,
        rate_high,
    })
}

/// The 95% band of each observation's rate: quantiles of its mixture of
/// the Gamma posteriors of the `segments` (start, end, probability) that
/// may hold it. The least probable segments, BAND_NEGLIGIBLE of the
/// posterior in all, are left out, so each observation's mixture loses at
/// most that much probability.
fn rate_band(seg: &impl Conjugate, segments: &mut [(usize, usize, f64)], n: usize) -> (Vec<f64>, Vec<f64>) {
    segments.sort_by(|x, y| y.2.total_cmp(&x.2));
    let mut kept = segments.len();
    let mut tail = 0.0;
    while kept > 1 && tail + segments[kept - 1].2 <= BAND_NEGLIGIBLE {
        tail += segments[kept - 1].2;
        kept -= 1;
    }
    let mut parts: Vec<Vec<(LevelPosterior, f64)>> = vec![Vec::new(); n];
    for &(s, t, p) in &segments[..kept] {
        let level = seg.level(s, t);
        for part in &mut parts[s..t] {
            part.push((level, p));
        }
    }
    parts
        .iter()
        .map(|part| {
            let mass: f64 = part.iter().map(|&(_, p)| p).sum();
            let cdf = |x: f64| part.iter().map(|&(l, p)| p * l.cdf(x)).sum::<f64>() / mass;
            // The mixture's quantile lies among its parts' quantiles.
            let (lo, hi) = part
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (l, _)| {
                    let (a, b) = l.bracket();
                    (lo.min(a), hi.max(b))
                });
            let tolerance = 1e-10 * lo.abs().max(hi.abs());
            let quantile = |p: f64| brent(|x| cdf(x) - p, lo, hi, tolerance).unwrap_or(f64::NAN);
            (quantile(0.025), quantile(0.975))
        })
        .unzip()
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::distribution::{ContinuousCDF, Gamma};

    /// Every segmentation of `counts` with at most `max_breaks` breaks,
    /// enumerated: the posterior by its definition.
    fn brute_force(seg: &impl Conjugate, n: usize, max_breaks: usize, min_segment: usize) -> SegmentationPosterior {
        let mut by_number = vec![0.0; max_breaks + 1];
        let mut breaks = vec![0.0; n - 1];
        let mut mean = vec![0.0; n];
        let mut placements: Vec<Vec<usize>> = vec![Vec::new()];
        let mut all = Vec::new();
        while let Some(p) = placements.pop() {
            all.push(p.clone());
            if p.len() < max_breaks {
                for j in p.last().map_or(1, |&l| l + 1)..n {
                    let mut q = p.clone();
                    q.push(j);
                    placements.push(q);
                }
            }
        }
        let bounds_of =
            |p: &[usize]| -> Vec<usize> { std::iter::once(0).chain(p.iter().copied()).chain([n]).collect() };
        // The allowed placements, counted for the uniform prior given K.
        all.retain(|p| bounds_of(p).windows(2).all(|w| w[1] - w[0] >= min_segment));
        let mut placements_with = vec![0usize; max_breaks + 1];
        for p in &all {
            placements_with[p.len()] += 1;
        }
        let logs: Vec<f64> = all
            .iter()
            .map(|p| {
                -(placements_with[p.len()] as f64).ln()
                    + bounds_of(p)
                        .windows(2)
                        .map(|w| seg.log_marginal(w[0], w[1]))
                        .sum::<f64>()
            })
            .collect();
        let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let z: f64 = logs.iter().map(|l| (l - top).exp()).sum();
        for (p, l) in all.iter().zip(&logs) {
            let w = (l - top).exp() / z;
            by_number[p.len()] += w;
            for &j in p {
                breaks[j - 1] += w;
            }
            let bounds: Vec<usize> = std::iter::once(0).chain(p.iter().copied()).chain([n]).collect();
            for b in bounds.windows(2) {
                let level = seg.level(b[0], b[1]).mean();
                for m in &mut mean[b[0]..b[1]] {
                    *m += w * level;
                }
            }
        }
        SegmentationPosterior {
            number: by_number,
            break_probability: breaks,
            mean_rate: mean,
            rate_low: Vec::new(),
            rate_high: Vec::new(),
        }
    }

    #[test]
    fn the_recursions_equal_the_enumeration_of_every_segmentation() {
        let counts = [
            3.0, 1.0, 4.0, 2.0, 0.0, 3.0, 9.0, 12.0, 8.0, 10.0, 11.0, 7.0, 2.0, 1.0, 3.0, 0.0, 2.0, 14.0, 15.0, 9.0,
        ];
        let exposure: Vec<f64> = (0..20).map(|i| 1.0 + 0.1 * (i % 4) as f64).collect();
        for (max_breaks, min_segment) in [(0, 1), (1, 1), (3, 1), (3, 3), (3, 6)] {
            let prior = RatePrior::scaled_to(&counts, &exposure, 1.0);
            let got = segmentation_posterior(&counts, Some(&exposure), max_breaks, min_segment, prior).unwrap();
            let want = brute_force(
                &PoissonSegments::new(&counts, &exposure, prior),
                20,
                max_breaks,
                min_segment,
            );
            let close = |a: &[f64], b: &[f64], what: &str| {
                assert_eq!(a.len(), b.len(), "{what}");
                for (x, y) in a.iter().zip(b) {
                    assert!((x - y).abs() < 1e-10, "{what} at K <= {max_breaks}: {x} vs {y}");
                }
            };
            close(&got.number, &want.number, "P(K = k)");
            close(&got.break_probability, &want.break_probability, "break probability");
            close(&got.mean_rate, &want.mean_rate, "mean rate");
            assert!((got.number.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            for i in 0..20 {
                assert!(got.rate_low[i] < got.mean_rate[i] && got.mean_rate[i] < got.rate_high[i]);
            }
        }
    }

    #[test]
    fn one_segment_has_the_gamma_posterior_and_its_quantiles() {
        let counts = [4.0, 6.0, 5.0];
        let prior = RatePrior { shape: 2.0, rate: 0.5 };
        let got = segmentation_posterior(&counts, None, 0, 1, prior).unwrap();
        let g = Gamma::new(17.0, 3.5).unwrap();
        assert_eq!(got.number, vec![1.0]);
        assert!((got.mean_rate[1] - 17.0 / 3.5).abs() < 1e-12);
        assert!((got.rate_low[0] - g.inverse_cdf(0.025)).abs() < 1e-9);
        assert!((got.rate_high[2] - g.inverse_cdf(0.975)).abs() < 1e-9);
    }

    #[test]
    fn the_gaussian_recursions_equal_the_enumeration_and_one_segment_is_student_t() {
        let values: Vec<f64> = (0..20)
            .map(|i| [0.4, -0.3, 0.9, 0.1][i % 4] + if (7..13).contains(&i) { 3.0 } else { 0.0 })
            .collect();
        let prior = NormalPrior::scaled_to(&values);
        for (max_breaks, min_segment) in [(0, 2), (2, 2), (3, 4)] {
            let got = gaussian_segmentation_posterior(&values, max_breaks, min_segment, prior).unwrap();
            let want = brute_force(&GaussianSegments::new(&values, prior), 20, max_breaks, min_segment);
            for (a, b) in got
                .number
                .iter()
                .chain(&got.break_probability)
                .chain(&got.mean_rate)
                .zip(want.number.iter().chain(&want.break_probability).chain(&want.mean_rate))
            {
                assert!((a - b).abs() < 1e-10, "K <= {max_breaks}: {a} vs {b}");
            }
        }
        // One segment: the level's posterior is Student's t, whose
        // quantiles the band must give.
        let prior = NormalPrior {
            mean: 1.0,
            kappa: 0.5,
            shape: 2.0,
            scale: 3.0,
        };
        let x = [2.0, 4.0, 3.0, 5.0];
        let got = gaussian_segmentation_posterior(&x, 0, 1, prior).unwrap();
        let (kappa_n, shape_n) = (4.5, 4.0);
        let mean_n = (0.5 * 1.0 + 14.0) / kappa_n;
        let scale_n = 3.0 + 0.5 * (5.0 + 0.5 * 4.0 * (3.5 - 1.0_f64).powi(2) / kappa_n);
        let t = statrs::distribution::StudentsT::new(mean_n, (scale_n / (shape_n * kappa_n)).sqrt(), 2.0 * shape_n)
            .unwrap();
        assert!((got.mean_rate[0] - mean_n).abs() < 1e-12);
        assert!(
            (got.rate_low[2] - t.inverse_cdf(0.025)).abs() < 1e-8,
            "{} vs {}",
            got.rate_low[2],
            t.inverse_cdf(0.025)
        );
        assert!((got.rate_high[3] - t.inverse_cdf(0.975)).abs() < 1e-8);
        let bad = NormalPrior { kappa: 0.0, ..prior };
        assert!(gaussian_segmentation_posterior(&x, 1, 1, bad).is_err());
        assert!(gaussian_segmentation_posterior(&[1.0, f64::NAN], 1, 1, prior).is_err());
    }

    #[test]
    fn bad_counts_exposure_or_prior_are_refused() {
        let ok = RatePrior { shape: 1.0, rate: 1.0 };
        assert!(segmentation_posterior(&[1.0, 2.5], None, 1, 1, ok).is_err());
        assert!(segmentation_posterior(&[1.0, 2.0], Some(&[1.0, 0.0]), 1, 1, ok).is_err());
        assert!(segmentation_posterior(&[1.0, 2.0], None, 1, 1, RatePrior { shape: 1.0, rate: 0.0 }).is_err());
        assert!(segmentation_posterior(&[], None, 1, 1, ok).is_err());
    }
}
