//! When, with intervals: a confidence set for every break date of a chosen
//! segmentation, and each break's rate ratio with an interval that allows
//! for its date being estimated.
//!
//! **Date set (local test inversion).** Break `j` is dated on the window
//! between its neighbours (the previous and the next break, or the ends of
//! the series), those held at their estimates: the window is searched for
//! one break exactly as `detect` searches a series
//! ([`super::single::detect_single_with`]), and its date set is the one
//! that search reports: a date is kept when the parametric-bootstrap
//! p-value of its likelihood ratio against the best date, under the
//! one-break model at that date, exceeds `1 - level`, joined with the
//! highest-posterior set. The set is conditional on the neighbours: their
//! own uncertainty is not propagated (each break's set is computed in the
//! same way with the others fixed, as Bai's (1997) intervals are). Every
//! window has its own random stream, derived from the seed and the break's
//! index. The break's own date is always in its set (for NB the window's
//! theta can move its best date by one period from the search's).
//!
//! **Rate ratio.** The interval at a fixed date undercovers when the date
//! was chosen to maximise the contrast. The interval reported is the union,
//! over the dates of the break's set, of the rate ratio's interval with the
//! break at that date (its neighbours held): it covers the true ratio
//! whenever the set holds the true date and the interval at that date
//! covers. Poisson: the exact conditional (binomial) interval of the two
//! segments; NB: the profile interval of the step in the model with every
//! break, refitted with this one moved (theta re-estimated), its cut-off
//! scaled by the Bartlett factor of the model at the estimated dates. The
//! estimate stays the one at the break's date.
//!
//! # References
//! Bai, J. (1997). Estimation of a change point in multiple regression
//! models. Review of Economics and Statistics 79, 551-563.

use super::known::{exact_rate_ratio_counts, rate_ratio_interval_scaled};
use super::multiple::MultipleBreaks;
use super::single::{BreakKind, DetectSpec, GammaPrior, RunOptions, detect_single_with};
use crate::data::many::key_seed;
use crate::data::{Period, Series};
use crate::error::{Result, SpecError};
use crate::inference::{Interval, IntervalMethod, Level};
use crate::model::{Family, ModelSpec, Term, fit};

/// How to date the breaks.
#[derive(Debug, Clone, Copy)]
pub struct BreakDateSpec {
    /// Fewest observations in a segment (the search's).
    pub min_segment: usize,
    /// Bootstrap replicates of each date's test (at most
    /// [`super::single::SET_REPLICATES`] are drawn).
    pub replicates: usize,
    /// Seed; each break's window derives its own stream from it.
    pub seed: u64,
    /// Confidence level of the sets and intervals.
    pub level: Level,
    /// Prior on the segment rates of the highest-posterior set.
    pub prior: GammaPrior,
}

/// One break's date set and rate-ratio interval.
#[derive(Debug, Clone)]
pub struct BreakDates {
    /// The dates in the set, ascending (the first period of each candidate
    /// new regime).
    pub set: Vec<Period>,
    /// The earliest date with the same fit as the set's first (after a gap
    /// of missing periods): the set's lower end.
    pub set_from: Period,
    /// The highest-posterior part of the set alone (the window's 95%
    /// credible set of the date under the uniform prior on it).
    pub set_posterior: Vec<Period>,
    /// The rate ratio with the union interval (log-link families).
    pub rate_ratio: Option<Interval>,
}

/// The date set and rate-ratio interval of every break of `found`.
///
/// # Errors
/// [`SpecError::SeveralBreaksNeedLevelModel`] for models other than
/// intercept-only on one observation per period; errors of the window
/// searches and fits.
pub fn break_dates(
    series: &Series,
    model: &ModelSpec,
    found: &MultipleBreaks,
    spec: BreakDateSpec,
) -> Result<Vec<BreakDates>> {
    if model.terms != [Term::Intercept] || !series.is_simple() {
        return Err(SpecError::SeveralBreaksNeedLevelModel.into());
    }
    let obs = series.observations();
    let n = obs.len();
    let mut bounds = vec![0];
    bounds.extend(&found.positions);
    bounds.push(n);
    let first_period = |i: usize| obs[i].periods()[0];
    (0..found.positions.len())
        .map(|j| {
            let (a, at, b) = (bounds[j], bounds[j + 1], bounds[j + 2]);
            let start = first_period(a);
            let window = series.window(start, first_period(b - 1) + 1);
            let window_spec = DetectSpec {
                model: model.clone(),
                min_segment: spec.min_segment,
                bootstrap: spec.replicates,
                seed: key_seed(spec.seed, &format!("\u{0}break {j}")),
                level: spec.level,
                prior: spec.prior,
                kind: BreakKind::Level,
            };
            let options = RunOptions {
                skip_p_value_bootstrap: true,
                ..RunOptions::default()
            };
            let local = detect_single_with(&window, &window_spec, &options)?;
            // Window candidate `i` opens the observation `a + h + i`.
            let h = spec.min_segment.max(1);
            let mut members: Vec<usize> = local.set.iter().map(|&i| a + h + i).collect();
            if !members.contains(&at) {
                members.push(at);
                members.sort_unstable();
            }
            let date = |i: usize| series.period(first_period(i));
            let set: Vec<Period> = members.iter().map(|&i| date(i)).collect();
            let set_posterior = local.set_posterior.iter().map(|&i| date(a + h + i)).collect();
            let set_from = series.period(first_period(members[0] - 1) + 1);
            let rate_ratio = match model.family {
                Family::Gaussian => None,
                Family::Poisson => union(
                    members
                        .iter()
                        .map(|&d| poisson_ratio(series, model, a, d, b, spec.level))
                        .collect(),
                    at_index(&members, at),
                ),
                Family::Negbin => {
                    let with_breaks = |positions: &[usize]| {
                        let mut spec = model.clone();
                        spec.terms
                            .extend(positions.iter().map(|&i| Term::Step(series.period(first_period(i)))));
                        fit(&spec, series)
                    };
                    // The Bartlett factor of the estimate's model scales
                    // the cut-off at every date of the set.
                    let factor = found.ratio_factors.get(j).copied().flatten();
                    let intervals = members
                        .iter()
                        .map(|&d| {
                            if d == at {
                                return Ok(found.rate_ratios[j]);
                            }
                            let mut moved = found.positions.clone();
                            moved[j] = d;
                            Ok(Some(rate_ratio_interval_scaled(
                                &with_breaks(&moved)?,
                                1 + j,
                                spec.level,
                                factor,
                            )?))
                        })
                        .collect::<Result<Vec<_>>>()?;
                    union(intervals, at_index(&members, at))
                }
            };
            Ok(BreakDates {
                set,
                set_from,
                set_posterior,
                rate_ratio,
            })
        })
        .collect()
}

fn at_index(members: &[usize], at: usize) -> usize {
    members
        .iter()
        .position(|&d| d == at)
        .expect("the break's date is in its set")
}

/// The exact conditional interval of the rate ratio between observations
/// `a..d` and `d..b`.
fn poisson_ratio(series: &Series, model: &ModelSpec, a: usize, d: usize, b: usize, level: Level) -> Option<Interval> {
    let obs = series.observations();
    let with_offset = model.use_offset && series.has_exposure();
    let totals = |from: usize, to: usize| {
        obs[from..to].iter().fold((0.0, 0.0), |(y, e), o| {
            (
                y + o.y(),
                e + if with_offset { o.exposure().unwrap_or(1.0) } else { 1.0 },
            )
        })
    };
    let ((y0, e0), (y1, e1)) = (totals(a, d), totals(d, b));
    exact_rate_ratio_counts(y0, e0, y1, e1, level)
}

/// The union of the intervals at each date, with the estimate of the one
/// at `best`; an unbounded end at any date leaves that end unbounded.
fn union(intervals: Vec<Option<Interval>>, best: usize) -> Option<Interval> {
    let at_best = intervals[best]?;
    let ends: Vec<&Interval> = intervals.iter().flatten().collect();
    let low = ends
        .iter()
        .map(|i| i.low)
        .try_fold(f64::INFINITY, |m, l| l.map(|l| m.min(l)));
    let high = ends
        .iter()
        .map(|i| i.high)
        .try_fold(f64::NEG_INFINITY, |m, h| h.map(|h| m.max(h)));
    Some(Interval {
        low,
        high,
        method: IntervalMethod::UnionOverDateSet,
        ..at_best
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changepoint::multiple::{Criterion, Search, detect_multiple};

    fn two_break_series() -> Series {
        // 3 per month, then 12, then 4: breaks at months 20 and 40.
        let counts: Vec<f64> = (0..60)
            .map(|t| match t {
                0..20 => [2.0, 4.0, 3.0, 3.0][t % 4],
                20..40 => [11.0, 13.0, 12.0, 12.0][t % 4],
                _ => [4.0, 3.0, 5.0, 4.0][t % 4],
            })
            .collect();
        Series::from_counts(Period::month(2020, 1), &counts, None).unwrap()
    }

    fn dated(series: &Series, model: &ModelSpec, seed: u64) -> (MultipleBreaks, Vec<BreakDates>) {
        let level = Level::default();
        let search = Search::Dp {
            max_breaks: 3,
            select: Criterion::Count(2),
        };
        let found = detect_multiple(series, model, search, 6, level).unwrap();
        let spec = BreakDateSpec {
            min_segment: 6,
            replicates: 199,
            seed,
            level,
            prior: GammaPrior::default(),
        };
        let dates = break_dates(series, model, &found, spec).unwrap();
        (found, dates)
    }

    #[test]
    fn each_set_holds_its_break_and_the_ratio_interval_widens_over_it() {
        let series = two_break_series();
        let model = ModelSpec {
            family: Family::Poisson,
            terms: vec![Term::Intercept],
            use_offset: true,
        };
        let (found, dates) = dated(&series, &model, 7);
        assert_eq!(dates.len(), 2);
        for (j, d) in dates.iter().enumerate() {
            assert!(d.set.contains(&found.breaks[j]), "{j}: {:?}", d.set);
            assert!(d.set_from <= d.set[0]);
            let union = d.rate_ratio.unwrap();
            let fixed = found.rate_ratios[j].unwrap();
            // The same estimate; at least as wide as the interval at the
            // estimated date, strictly when the set has another date.
            assert_eq!(union.estimate, fixed.estimate);
            assert!(union.low.unwrap() <= fixed.low.unwrap() && union.high.unwrap() >= fixed.high.unwrap());
            if d.set.len() > 1 {
                assert!(union.high.unwrap() - union.low.unwrap() > fixed.high.unwrap() - fixed.low.unwrap());
            }
        }
        // The jump up is sharp, the step down (12 to 4) too: each set is a
        // few months around its break, not the whole window.
        assert!(
            dates.iter().all(|d| d.set.len() <= 5),
            "{:?}",
            dates.iter().map(|d| &d.set).collect::<Vec<_>>()
        );
        // The same seed gives the same sets.
        let (_, again) = dated(&series, &model, 7);
        assert!(dates.iter().zip(&again).all(|(a, b)| a.set == b.set));
    }

    #[test]
    fn the_window_of_a_break_is_the_span_between_its_neighbours() {
        let series = two_break_series();
        let w = series.window(20, 40);
        assert_eq!(w.first(), Period::month(2021, 9));
        assert_eq!((w.n_obs(), w.n_periods()), (20, 20));
        assert_eq!(w.observations()[0].y(), 11.0);
        assert_eq!(w.observations()[0].periods(), &[0]);
    }
}
