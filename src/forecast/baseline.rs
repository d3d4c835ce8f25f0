//! Naive baselines as predictive distributions, so that a backtest gives
//! them a log score and an RPS like any model.
//!
//! Each baseline forecasts a count NB2 with mean `r e_t`: `e_t` the period's
//! exposure (1 without an offset) and `r` a naive rate from the data before
//! the origin:
//! - `naive:last`: the last observed count over its exposure;
//! - `naive:meanK`: the total of the last K observed counts over their
//!   exposure (K = 6 by default; `--baselines mean12` for another K);
//! - `naive:seasonal`: the count of the latest observed period of the same
//!   season (the same month for monthly data, the same quarter for
//!   quarterly), for series whose frequency has a season and with at least
//!   two seasons before the first origin.
//!
//! A zero reference count counts as 0.5, so that a count after zeros stays
//! possible (a finite log score). Theta is estimated, per horizon step `h`,
//! by maximum likelihood from the training window's own `h`-step naive
//! errors (the counts against the rule applied `h` periods before them, at
//! fixed means), so the spread is the rule's past spread at that step; with
//! fewer than 3 such errors, or none over-dispersed, it is Poisson. The
//! predictive is one exact distribution, with no Monte Carlo error.

use statrs::distribution::{DiscreteCDF, NegativeBinomial, Poisson};

use crate::error::SpecError;
use crate::error::{Error, Result};
use crate::model::fit::{CountGroups, ObsData, THETA_MAX, ThetaProfile, moment_start};

/// A naive baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Baseline {
    /// The last observed value.
    Last,
    /// The mean of the last K observed values.
    Mean(usize),
    /// The value of the latest period of the same season.
    Seasonal,
}

/// The mean of the last this many values, unless told otherwise.
pub const DEFAULT_MEAN_PERIODS: usize = 6;

impl Baseline {
    /// Its label in backtest output: `naive:last`, `naive:mean6`, `naive:seasonal`.
    pub fn label(self) -> String {
        match self {
            Baseline::Last => "naive:last".into(),
            Baseline::Mean(k) => format!("naive:mean{k}"),
            Baseline::Seasonal => "naive:seasonal".into(),
        }
    }

    /// What it forecasts, in one sentence.
    pub fn description(self, season: Option<usize>) -> String {
        let what = match self {
            Baseline::Last => "the last observed count".to_owned(),
            Baseline::Mean(k) => format!("the mean of the last {k} observed counts"),
            Baseline::Seasonal => format!(
                "the count of the latest period of the same season ({} periods a year)",
                season.unwrap_or(0)
            ),
        };
        format!(
            "NB with mean {what} (per unit exposure when the models have an offset; a zero counts as 0.5) and theta fitted to the training window's errors of the same rule at each horizon step"
        )
    }

    /// Parses `last`, `meanK` (`mean` alone is K = 6) or `seasonal`.
    ///
    /// # Errors
    /// [`SpecError::UnknownBaseline`] for anything else.
    pub fn parse(text: &str) -> Result<Baseline> {
        let t = text.trim().trim_start_matches("naive:");
        match t {
            "last" => Ok(Baseline::Last),
            "seasonal" => Ok(Baseline::Seasonal),
            "mean" => Ok(Baseline::Mean(DEFAULT_MEAN_PERIODS)),
            _ => t
                .strip_prefix("mean")
                .and_then(|k| k.parse::<usize>().ok())
                .filter(|&k| k >= 1)
                .map(Baseline::Mean)
                .ok_or_else(|| Error::from(SpecError::UnknownBaseline { text: text.to_owned() })),
        }
    }
}

/// The counts and exposures a baseline reads: per period index, `None` when
/// missing.
pub(crate) struct History<'a> {
    /// Observed count per period.
    pub counts: &'a [Option<f64>],
    /// Exposure per period (1 without an offset).
    pub exposure: &'a [f64],
    /// Periods per season, if the series has one.
    pub season: Option<usize>,
}

/// A zero reference count counts as this.
const ZERO_COUNT: f64 = 0.5;

impl History<'_> {
    /// The naive mean of period `target` by `rule` from the data before
    /// period index `origin`; `None` when the rule has nothing to go on.
    pub(crate) fn mean(&self, rule: Baseline, origin: usize, target: usize) -> Option<f64> {
        let observed = (0..origin).rev().filter_map(|t| self.counts[t].map(|y| (t, y)));
        let (count, exposure) = match rule {
            Baseline::Last => {
                let (t, y) = observed.take(1).next()?;
                (y, self.exposure[t])
            }
            Baseline::Mean(k) => {
                let recent: Vec<(usize, f64)> = observed.take(k).collect();
                if recent.is_empty() {
                    return None;
                }
                (
                    recent.iter().map(|r| r.1).sum(),
                    recent.iter().map(|r| self.exposure[r.0]).sum(),
                )
            }
            Baseline::Seasonal => {
                let s = self.season?;
                let (t, y) = observed
                    .filter(|(t, _)| (target - t).is_multiple_of(s))
                    .take(1)
                    .next()?;
                (y, self.exposure[t])
            }
        };
        Some(count.max(ZERO_COUNT) / exposure * self.exposure[target])
    }

    /// Theta of the `step`-step errors of `rule` over the periods before
    /// `origin` (THETA_MAX, the Poisson, with fewer than 3 of them).
    pub(crate) fn theta(&self, rule: Baseline, origin: usize, step: usize) -> f64 {
        let pairs: Vec<(f64, f64)> = (step..origin)
            .filter_map(|t| {
                let y = self.counts[t]?;
                let m = self.mean(rule, t + 1 - step, t)?;
                Some((y, m))
            })
            .collect();
        if pairs.len() < 3 {
            return THETA_MAX;
        }
        theta_at_fixed_means(&pairs)
    }
}

/// The NB2 theta maximising `sum log p(y | m, theta)` over `(y, m)` pairs:
/// the model's own search in theta at fixed means
/// ([`ThetaProfile::maximise`]: the gamma-function terms once per distinct
/// count, Newton in `log theta`), from the moment estimate.
pub(crate) fn theta_at_fixed_means(pairs: &[(f64, f64)]) -> f64 {
    // A count above 0 with mean 0 is impossible at every theta.
    if pairs.iter().any(|&(y, m)| m <= 0.0 && y > 0.0) {
        return THETA_MAX;
    }
    let (obs, means): (Vec<ObsData>, Vec<f64>) = pairs
        .iter()
        .filter(|&&(_, m)| m > 0.0)
        .map(|&(y, m)| {
            (
                ObsData {
                    periods: Vec::new().into(),
                    y,
                    k: 1.0,
                },
                m,
            )
        })
        .unzip();
    let groups = CountGroups::new(&obs);
    let spread: f64 = obs.iter().zip(&means).map(|(o, m)| (o.y / m - 1.0).powi(2)).sum();
    ThetaProfile::new(&groups, &obs, &means).maximise(moment_start(obs.len() as f64 / spread))
}

/// Type-1 quantiles (the smallest count whose CDF reaches `q`) of NB2 with
/// mean `m` and `theta` (Poisson at the cap), for increasing `qs`.
pub(crate) fn quantiles(m: f64, theta: f64, qs: &[f64]) -> Vec<f64> {
    let cdf: Box<dyn Fn(u64) -> f64> = if theta >= THETA_MAX || m <= 0.0 {
        match Poisson::new(m.max(1e-300)) {
            Ok(p) => Box::new(move |k| p.cdf(k)),
            Err(_) => Box::new(|_| 1.0),
        }
    } else {
        match NegativeBinomial::new(theta, theta / (theta + m)) {
            Ok(d) => Box::new(move |k| d.cdf(k)),
            Err(_) => Box::new(|_| 1.0),
        }
    };
    // Galloping, then bisection: a huge mean costs its logarithm.
    let mut from = 0u64;
    qs.iter()
        .map(|&q| {
            if cdf(from) < q {
                let (mut lo, mut hi, mut step) = (from, from + 1, 1u64);
                while cdf(hi) < q && step < 1 << 50 {
                    lo = hi;
                    step *= 2;
                    hi = from + step;
                }
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if cdf(mid) >= q { hi = mid } else { lo = mid }
                }
                from = hi;
            }
            from as f64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Family;

    #[test]
    fn labels_parse_back() {
        for b in [
            Baseline::Last,
            Baseline::Mean(6),
            Baseline::Mean(12),
            Baseline::Seasonal,
        ] {
            assert_eq!(Baseline::parse(&b.label()).unwrap(), b);
        }
        assert!(Baseline::parse("mean0").is_err());
        assert!(Baseline::parse("drift").is_err());
    }

    #[test]
    fn naive_means_follow_their_rules() {
        let counts = [Some(4.0), Some(0.0), None, Some(10.0), Some(6.0)];
        let exposure = [1.0, 1.0, 1.0, 2.0, 1.0];
        let h = History {
            counts: &counts,
            exposure: &exposure,
            season: Some(2),
        };
        assert_eq!(h.mean(Baseline::Last, 5, 5 - 1), Some(6.0));
        // Before index 2 the last count is the zero, which counts as 0.5.
        assert_eq!(h.mean(Baseline::Last, 2, 2), Some(0.5));
        // Mean of the last 2 observed: (10 + 6) / (2 + 1) per unit, times exposure 2.
        assert_eq!(h.mean(Baseline::Mean(2), 5, 3), Some(16.0 / 3.0 * 2.0));
        // Season of 2: index 4 looks back to index 2 (missing), then 0.
        assert_eq!(h.mean(Baseline::Seasonal, 3, 4), Some(4.0));
        assert_eq!(h.mean(Baseline::Last, 0, 0), None);
    }

    #[test]
    fn theta_at_fixed_means_matches_a_fine_search_and_quantiles_invert_the_cdf() {
        let pairs: Vec<(f64, f64)> = [
            (3.0, 8.0),
            (15.0, 6.0),
            (0.0, 7.0),
            (22.0, 9.0),
            (5.0, 5.0),
            (9.0, 12.0),
        ]
        .to_vec();
        let theta = theta_at_fixed_means(&pairs);
        let ll = |t: f64| {
            pairs
                .iter()
                .map(|&(y, m)| Family::Negbin.loglik(y, m, 1.0, t))
                .sum::<f64>()
        };
        for t in [theta * 0.99, theta * 1.01] {
            assert!(ll(t) < ll(theta), "{t} beats {theta}");
        }
        // Equal counts and means: no over-dispersion.
        assert_eq!(theta_at_fixed_means(&[(5.0, 5.0), (7.0, 7.0), (6.0, 6.0)]), THETA_MAX);
        let d = NegativeBinomial::new(theta, theta / (theta + 20.0)).unwrap();
        let q = quantiles(20.0, theta, &[0.025, 0.5, 0.975]);
        for (k, p) in q.iter().zip([0.025, 0.5, 0.975]) {
            assert!(
                d.cdf(*k as u64) >= p && (*k == 0.0 || d.cdf(*k as u64 - 1) < p),
                "{k} {p}"
            );
        }
    }
}
