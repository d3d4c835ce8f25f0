//! Paired comparison of two forecasters' scores over rolling origins: the
//! Diebold–Mariano test with the Harvey–Leybourne–Newbold small-sample
//! correction.
//!
//! Per origin `o` the loss differential `S_o` is the sum over its horizon
//! steps of `score_a - score_b` (the same targets for both), `n_o` forecasts.
//! The mean difference per forecast is `d = sum S_o / N`, `N = sum n_o`.
//! Forecasts from origins less than `h` apart share target periods, so the
//! `S_o` are correlated up to lag `h - 1`: the variance of `sum S_o` is the
//! HAC estimate `sum_{|l| <= h - 1} sum_o e_o e_{o+l}` with `e_o = S_o - n_o
//! d` and uniform weights (Diebold and Mariano 1995), or Bartlett weights
//! (Newey–West) when the uniform ones give a variance that is not positive.
//! The statistic `sum S_o / sqrt(var)` is multiplied by the HLN factor
//! `sqrt((T + 1 - 2h + h (h - 1) / T) / T)` for `T` origins and referred to
//! Student's t with `T - 1` degrees of freedom (Harvey, Leybourne and
//! Newbold 1997), two-sided.
//!
//! Identical scores give a difference of 0 and a p-value of 1: a tie. An
//! infinite difference (one forecaster called an outcome impossible) has a
//! p-value of 0, two infinite ones none.
//!
//! # References
//! Diebold, F. X. and Mariano, R. S. (1995). Comparing predictive accuracy.
//! *JBES* 13, 253–263. Harvey, D., Leybourne, S. and Newbold, P. (1997).
//! Testing the equality of prediction mean squared errors. *IJF* 13,
//! 281–291.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// The test of one pair.
#[derive(Debug, Clone, Serialize)]
pub struct PairedTest {
    /// Mean score of `a` minus mean score of `b`, per forecast.
    pub mean_difference: f64,
    /// Its standard error (HAC, HLN-corrected); 0 when the differences do
    /// not vary (`null` in JSON when a score is infinite).
    pub std_error: f64,
    /// `mean_difference / std_error` (`null` in JSON when infinite).
    pub statistic: f64,
    /// Degrees of freedom of the t reference (origins - 1).
    pub df: f64,
    /// Two-sided p-value (`null` with fewer than 2 origins).
    pub p_value: Option<f64>,
    /// The HAC weights used: `uniform` or `bartlett`.
    pub weights: &'static str,
}

/// Tests equal mean scores from per-origin sums of score differences
/// `(S_o, n_o)` in origin order, at horizon `h`.
pub fn diebold_mariano(sums: &[(f64, usize)], h: usize) -> PairedTest {
    let t = sums.len();
    let total: f64 = sums.iter().map(|s| s.0).sum();
    let count: usize = sums.iter().map(|s| s.1).sum();
    if !total.is_finite() {
        // An infinite score (an outcome the forecast called impossible):
        // worse without doubt, unless both are infinite.
        return PairedTest {
            mean_difference: total,
            std_error: f64::NAN,
            statistic: total,
            df: t as f64 - 1.0,
            p_value: (!total.is_nan()).then_some(0.0),
            weights: "uniform",
        };
    }
    let d = if count > 0 { total / count as f64 } else { 0.0 };
    let e: Vec<f64> = sums.iter().map(|&(s, n)| s - n as f64 * d).collect();
    let lag = h.saturating_sub(1).min(t.saturating_sub(1));
    let gamma = |l: usize| -> f64 { (l..t).map(|o| e[o] * e[o - l]).sum() };
    let uniform = gamma(0) + 2.0 * (1..=lag).map(gamma).sum::<f64>();
    let (var, weights) = if uniform > 0.0 || lag == 0 {
        (uniform, "uniform")
    } else {
        let bartlett = gamma(0)
            + 2.0
                * (1..=lag)
                    .map(|l| (1.0 - l as f64 / (lag as f64 + 1.0)) * gamma(l))
                    .sum::<f64>();
        (bartlett, "bartlett")
    };
    let tf = t as f64;
    let hf = h as f64;
    let hln = ((tf + 1.0 - 2.0 * hf + hf * (hf - 1.0) / tf) / tf).max(0.0).sqrt();
    let df = tf - 1.0;
    // Differences too small to be more than rounding are no differences.
    let scale: f64 = sums.iter().map(|s| s.0.abs()).sum::<f64>();
    let (statistic, std_error) = if total.abs() <= 1e-12 * scale.max(f64::MIN_POSITIVE) || total == 0.0 {
        (
            0.0,
            if var > 0.0 && hln > 0.0 {
                var.sqrt() / (count as f64 * hln)
            } else {
                0.0
            },
        )
    } else if var > 0.0 && hln > 0.0 {
        let se = var.sqrt() / (count as f64 * hln);
        (d / se, se)
    } else {
        (d.signum() * f64::INFINITY, 0.0)
    };
    let p_value = (t >= 2).then(|| {
        if statistic == 0.0 {
            1.0
        } else if statistic.is_infinite() {
            0.0
        } else {
            StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |dist| 2.0 * dist.sf(statistic.abs()))
        }
    });
    PairedTest {
        mean_difference: d,
        std_error,
        statistic,
        df,
        p_value,
        weights,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_step_differences_give_the_paired_t_test() {
        // h = 1: no lag, HLN factor sqrt((T - 1) / T): the statistic is the
        // one-sample t statistic of the differences.
        let d = [1.2, -0.4, 2.5, 0.3, 1.1, -0.2, 0.9, 1.7];
        let sums: Vec<(f64, usize)> = d.iter().map(|&x| (x, 1)).collect();
        let test = diebold_mariano(&sums, 1);
        let n = d.len() as f64;
        let mean = d.iter().sum::<f64>() / n;
        let sd = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let t = mean / (sd / n.sqrt());
        assert!((test.statistic - t).abs() < 1e-12, "{} vs {t}", test.statistic);
        assert_eq!(test.df, n - 1.0);
        // scipy.stats.ttest_1samp(d, 0): t = 2.58738, p = 0.03608.
        assert!((t - 2.587_383_835_630_46).abs() < 1e-12);
        let p = test.p_value.unwrap();
        assert!((p - 0.036_082_026_557_456).abs() < 1e-9, "{p}");
    }

    #[test]
    fn identical_scores_tie_and_constant_differences_do_not() {
        let tie = diebold_mariano(&[(0.0, 2), (0.0, 2), (0.0, 2)], 2);
        assert_eq!((tie.mean_difference, tie.p_value), (0.0, Some(1.0)));
        let always = diebold_mariano(&[(2.0, 2), (2.0, 2), (2.0, 2)], 2);
        assert_eq!(always.p_value, Some(0.0));
        assert!(diebold_mariano(&[(1.0, 1)], 1).p_value.is_none());
    }
}
