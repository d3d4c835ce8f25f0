//! How many breaks: the sequential tests of `l` against `l + 1` breaks in
//! the level (Bai and Perron 1998), for the count likelihoods.
//!
//! Statistic `sup-LR(l + 1 | l)`: with the best `l`-break segmentation
//! fixed, the largest likelihood-ratio gain from one more break inside one
//! of its segments (each new piece at least `min_segment` long). For a
//! Poisson series and `l = 0` it is the single-break sup-LR of `detect
//! --max-breaks 1`; not for NB, whose single-break scan re-estimates theta
//! at every date while these tests hold it.
//! Poisson and NB gains are differences of segment costs (`-2 l` scale);
//! the Gaussian mean model has a common variance, so its statistic is
//! `n log(RSS_l / RSS_l+1)`.
//!
//! p-value: a parametric bootstrap under the fitted `l`-break model
//! (replicate `b` of test `l` draws from ChaCha8 stream `(STREAM + l, b)` of
//! the seed, so results do not depend on the thread count); every replicate
//! re-estimates its `l` breaks by the exact programme before the statistic
//! is computed, so the p-value allows for the breaks being estimated.
//! `p = (1 + #{T* >= T}) / (B + 1)`. NB holds theta at the `l`-break
//! model's estimate, in the data and in every replicate (the replicates do
//! not re-estimate it).
//!
//! UDmax (Bai and Perron 1998): `max over l = 1..K of LR(l | 0) / l`, the
//! best `l`-break fit against none with each break's share of the gain, by
//! the same bootstrap under the no-break model. It guards the sequence's
//! first step: two breaks that cancel (a rise, then a return) can leave no
//! single break clear while the pair is.
//!
//! The number chosen (Bai and Perron 2003's strategy): 0 when UDmax does
//! not reject at `1 - level`; else the first `l >= 1` whose test of `l`
//! against `l + 1` does not reject, or the largest number tested when every
//! test rejects. The
//! guarantee is asymptotic: under `K` true breaks the chance of choosing
//! more than `K` tends to at most `1 - level` (Bai and Perron's
//! consistency argument); the bootstrap makes the size of each test close
//! to nominal in finite samples but the sequence's error is not exact.
//!
//! # References
//! Bai, J. and Perron, P. (1998). Estimating and testing linear models with
//! multiple structural changes. Econometrica 66, 47-78.
//!
//! Bai, J. and Perron, P. (2003). Computation and analysis of multiple
//! structural change models. Journal of Applied Econometrics 18, 1-22.

use rayon::prelude::*;
use serde::Serialize;

use super::cost::{GaussianMeanCost, NegbinCost, PoissonCost, SegmentCost};
use super::multiple::MultipleBreaks;
use super::segment::{Segmentation, SegmentationPath};
use crate::data::Series;
use crate::error::{Result, SpecError};
use crate::inference::Level;
use crate::model::family::Dispersion;
use crate::model::{Family, ModelSpec, Term, fit};
use crate::simulate::stream_rng;

/// The first random stream of the tests (test `l` uses `STREAM + l`): apart
/// from the single-break bootstrap's streams.
const STREAM: u64 = 1 << 20;

/// The stream of the UDmax test.
const UDMAX_STREAM: u64 = STREAM - 1;

/// One test of `breaks_null` against `breaks_alt = breaks_null + 1` breaks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NumberTest {
    /// Breaks under the null.
    pub breaks_null: usize,
    /// Breaks under the alternative.
    pub breaks_alt: usize,
    /// `sup-LR(l + 1 | l)`.
    pub statistic: f64,
    /// Bootstrap p-value.
    pub p_value: f64,
    /// Replicates drawn.
    pub replicates: usize,
    /// Replicates whose statistic reached the observed one (a replicate
    /// that could not be drawn counts here).
    pub exceedances: usize,
}

/// Bai and Perron's UDmax test of no break against up to `max_breaks`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UdMax {
    /// The most breaks of the alternative.
    pub max_breaks: usize,
    /// `max over l of LR(l | 0) / l`.
    pub statistic: f64,
    /// Bootstrap p-value.
    pub p_value: f64,
    /// Replicates drawn.
    pub replicates: usize,
    /// Replicates whose statistic reached the observed one.
    pub exceedances: usize,
}

/// The tests and the number they choose.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NumberTests {
    /// The test of no break against up to the most breaks searched.
    pub udmax: Option<UdMax>,
    /// One per `l` from 0 while the `l + 1`-break model can be fitted.
    pub tests: Vec<NumberTest>,
    /// 0 when UDmax does not reject at `alpha`; else the first `l >= 1`
    /// whose test does not reject (the most tested when all do).
    pub chosen: usize,
    /// `1 - level`.
    pub alpha: f64,
}

/// What the tests need besides the series.
#[derive(Debug, Clone, Copy)]
pub struct NumberTestSpec {
    /// Fewest observations in a segment.
    pub min_segment: usize,
    /// Bootstrap replicates per test.
    pub replicates: usize,
    /// Seed.
    pub seed: u64,
    /// Level of each test.
    pub level: Level,
}

/// The segment model of one family, for drawing and costing a series.
enum Segments {
    Poisson,
    Negbin(f64),
    Gaussian,
}

impl Segments {
    fn cost<'a>(&self, y: &'a [f64], exposure: Option<&'a [f64]>) -> Box<dyn SegmentCost + 'a> {
        match *self {
            Segments::Poisson => Box::new(PoissonCost::new(y, exposure)),
            Segments::Negbin(theta) => Box::new(NegbinCost::new(y, exposure, theta)),
            Segments::Gaussian => Box::new(GaussianMeanCost::new(y)),
        }
    }

    /// The likelihood-ratio statistic from the costs of the null and of the
    /// alternative (`n` observations).
    fn lr(&self, null: f64, alt: f64, n: usize) -> f64 {
        match self {
            Segments::Gaussian => n as f64 * (null.max(f64::MIN_POSITIVE) / alt.max(f64::MIN_POSITIVE)).ln(),
            _ => null - alt,
        }
    }
}

/// `sup-LR(l + 1 | l)` of `cost` given the `l` breaks `breaks`; `None` when
/// no segment is long enough for another break.
fn insertion_lr(cost: &dyn SegmentCost, segments: &Segments, breaks: &[usize], h: usize) -> Option<f64> {
    let n = cost.len();
    let bounds = segment_bounds(breaks, n);
    let null: f64 = bounds.windows(2).map(|w| cost.cost(w[0], w[1])).sum();
    let best_gain = bounds
        .windows(2)
        .filter(|w| w[1] - w[0] >= 2 * h)
        .map(|w| {
            let whole = cost.cost(w[0], w[1]);
            (w[0] + h..=w[1] - h)
                .map(|s| whole - cost.cost(w[0], s) - cost.cost(s, w[1]))
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .reduce(f64::max)?;
    Some(segments.lr(null, null - best_gain.max(0.0), n))
}

/// The sequential tests for the level-only `model` on `series`, given the
/// search's best segmentation for each number of breaks (`found.table`).
///
/// # Errors
/// [`SpecError::SeveralBreaksNeedLevelModel`] as [`super::multiple::detect_multiple`];
/// a fit of a null model that fails.
pub fn number_tests(
    series: &Series,
    model: &ModelSpec,
    found: &MultipleBreaks,
    spec: NumberTestSpec,
) -> Result<NumberTests> {
    if model.terms != [Term::Intercept] || !series.is_simple() {
        return Err(SpecError::SeveralBreaksNeedLevelModel.into());
    }
    let y: Vec<f64> = series.observations().iter().map(|o| o.y()).collect();
    let n = y.len();
    let exposure: Option<Vec<f64>> = (model.use_offset && model.family.log_link())
        .then(|| series.observation_exposures())
        .flatten();
    let alpha = 1.0 - spec.level.value();
    let h = spec.min_segment;
    let sizes = vec![1.0; n];
    let mut tests = Vec::new();
    // The largest count tested is the table's last: its `l + 1` row is the
    // most breaks the search allowed.
    for row in found.table.iter().take(found.table.len().saturating_sub(1)) {
        let l = row.breaks;
        let (segments, means, dispersion) = null_model(series, model, &y, exposure.as_deref(), &row.positions)?;
        // The data's statistic by the replicates' own steps (for NB the
        // search's breaks came with theta re-estimated; here it is held).
        let statistic = {
            let cost = segments.cost(&y, exposure.as_deref());
            best_breaks(cost.as_ref(), l, h).map(|breaks| insertion_lr(cost.as_ref(), &segments, &breaks, h))?
        };
        let Some(statistic) = statistic else {
            break;
        };
        let reaches = |s: f64| s >= statistic - 1e-9 * statistic.abs().max(1.0);
        let replicate = |b: usize| -> Result<bool> {
            let mut rng = stream_rng(spec.seed, STREAM + l as u64, b);
            let Ok(y_b) = model.family.draw_all(&means, &sizes, dispersion, &mut rng) else {
                return Ok(true);
            };
            let cost = segments.cost(&y_b, exposure.as_deref());
            let breaks_b = best_breaks(cost.as_ref(), l, h)?;
            Ok(insertion_lr(cost.as_ref(), &segments, &breaks_b, h).is_none_or(reaches))
        };
        let exceedances = (0..spec.replicates)
            .into_par_iter()
            .map(replicate)
            .collect::<Result<Vec<bool>>>()?
            .into_iter()
            .filter(|&e| e)
            .count();
        tests.push(NumberTest {
            breaks_null: l,
            breaks_alt: l + 1,
            statistic,
            p_value: (1 + exceedances) as f64 / (spec.replicates + 1) as f64,
            replicates: spec.replicates,
            exceedances,
        });
    }
    let max_breaks = found.table.len().saturating_sub(1);
    let udmax = (max_breaks > 0)
        .then(|| udmax_test(series, model, &y, exposure.as_deref(), max_breaks, spec))
        .transpose()?;
    let chosen = if udmax.is_some_and(|u| u.p_value > alpha) {
        0
    } else {
        tests
            .iter()
            .filter(|t| t.breaks_null >= 1)
            .find(|t| t.p_value > alpha)
            .map_or(tests.len(), |t| t.breaks_null)
    };
    Ok(NumberTests {
        udmax,
        tests,
        chosen,
        alpha,
    })
}

/// `max over l = 1..K of LR(l | 0) / l` for `cost`; `None` when no break fits.
fn udmax_statistic(cost: &dyn SegmentCost, segments: &Segments, max_breaks: usize, h: usize) -> Result<Option<f64>> {
    let n = cost.len();
    let null = cost.cost(0, n);
    let parts = SegmentationPath::new(cost, max_breaks, h)?.partitions();
    Ok((1..parts.len())
        .map(|l| segments.lr(null, parts[l].cost, n) / l as f64)
        .reduce(f64::max))
}

/// The UDmax test by parametric bootstrap under the no-break model (NB
/// with theta held at its estimate, as the sequential tests hold theirs).
fn udmax_test(
    series: &Series,
    model: &ModelSpec,
    y: &[f64],
    exposure: Option<&[f64]>,
    max_breaks: usize,
    spec: NumberTestSpec,
) -> Result<UdMax> {
    let h = spec.min_segment;
    let (segments, means, dispersion) = null_model(series, model, y, exposure, &[])?;
    let statistic = udmax_statistic(segments.cost(y, exposure).as_ref(), &segments, max_breaks, h)?.unwrap_or(0.0);
    let sizes = vec![1.0; y.len()];
    let reaches = |s: f64| s >= statistic - 1e-9 * statistic.abs().max(1.0);
    let exceedances = (0..spec.replicates)
        .into_par_iter()
        .map(|b| -> Result<bool> {
            let mut rng = stream_rng(spec.seed, UDMAX_STREAM, b);
            let Ok(y_b) = model.family.draw_all(&means, &sizes, dispersion, &mut rng) else {
                return Ok(true);
            };
            let cost = segments.cost(&y_b, exposure);
            Ok(udmax_statistic(cost.as_ref(), &segments, max_breaks, h)?.is_none_or(reaches))
        })
        .collect::<Result<Vec<bool>>>()?
        .into_iter()
        .filter(|&e| e)
        .count();
    Ok(UdMax {
        max_breaks,
        statistic,
        p_value: (1 + exceedances) as f64 / (spec.replicates + 1) as f64,
        replicates: spec.replicates,
        exceedances,
    })
}

/// `0`, the breaks, and `n`: the ends of every segment.
fn segment_bounds(breaks: &[usize], n: usize) -> Vec<usize> {
    Segmentation {
        breaks: breaks.to_vec(),
        cost: 0.0,
    }
    .bounds(n)
}

/// The best segmentation of `cost` with exactly `l` breaks.
fn best_breaks(cost: &dyn SegmentCost, l: usize, h: usize) -> Result<Vec<usize>> {
    if l == 0 {
        return Ok(Vec::new());
    }
    Ok(SegmentationPath::new(cost, l, h)?
        .partition(l)
        .expect("l is the path's most breaks")
        .breaks)
}

/// The fitted model with `breaks`: its segment model (NB with the theta
/// fitted with the breaks), the observation means and the dispersion to
/// draw from.
fn null_model(
    series: &Series,
    model: &ModelSpec,
    y: &[f64],
    exposure: Option<&[f64]>,
    breaks: &[usize],
) -> Result<(Segments, Vec<f64>, Dispersion)> {
    let n = y.len();
    let bounds = segment_bounds(breaks, n);
    let size = |a: usize, b: usize| exposure.map_or((b - a) as f64, |e| e[a..b].iter().sum());
    let mut means = vec![0.0; n];
    for w in bounds.windows(2) {
        let (a, b) = (w[0], w[1]);
        let rate = y[a..b].iter().sum::<f64>() / size(a, b);
        for i in a..b {
            means[i] = rate * exposure.map_or(1.0, |e| e[i]);
        }
    }
    Ok(match model.family {
        Family::Poisson => (Segments::Poisson, means, Dispersion::None),
        Family::Gaussian => {
            let rss: f64 = y.iter().zip(&means).map(|(v, m)| (v - m) * (v - m)).sum();
            (Segments::Gaussian, means, Dispersion::Variance(rss / n as f64))
        }
        Family::Negbin => {
            let mut spec = model.clone();
            let obs = series.observations();
            spec.terms
                .extend(breaks.iter().map(|&i| Term::Step(series.period(obs[i].periods()[0]))));
            let f = fit(&spec, series)?;
            let theta = f.theta.unwrap_or(f64::INFINITY);
            (Segments::Negbin(theta), f.fitted.to_vec(), Dispersion::Theta(theta))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changepoint::multiple::{Criterion, Search, detect_multiple};
    use crate::changepoint::single::{BreakKind, DetectSpec, detect_single};
    use crate::data::Period;

    fn series(counts: &[f64]) -> Series {
        Series::from_counts(Period::month(2020, 1), counts, None).unwrap()
    }

    fn poisson() -> ModelSpec {
        ModelSpec {
            family: Family::Poisson,
            terms: vec![Term::Intercept],
            use_offset: true,
        }
    }

    fn run(s: &Series, max_breaks: usize, seed: u64) -> NumberTests {
        let found = detect_multiple(
            s,
            &poisson(),
            Search::Dp {
                max_breaks,
                select: Criterion::Bic,
            },
            5,
            Level::default(),
        )
        .unwrap();
        let spec = NumberTestSpec {
            min_segment: 5,
            replicates: 99,
            seed,
            level: Level::default(),
        };
        number_tests(s, &poisson(), &found, spec).unwrap()
    }

    fn two_steps() -> Series {
        let counts: Vec<f64> = (0..60)
            .map(|t| [3.0, 5.0, 2.0, 4.0][t % 4] + if (20..40).contains(&t) { 12.0 } else { 0.0 })
            .collect();
        series(&counts)
    }

    #[test]
    fn the_first_statistic_is_the_single_break_sup_lr() {
        let s = two_steps();
        let tests = run(&s, 2, 1);
        let single = detect_single(
            &s,
            &DetectSpec {
                model: poisson(),
                min_segment: 5,
                bootstrap: 0,
                seed: 1,
                level: Level::default(),
                prior: Default::default(),
                kind: BreakKind::Level,
            },
        )
        .unwrap();
        assert!((tests.tests[0].statistic - single.sup_lr).abs() < 1e-9 * single.sup_lr);
    }

    #[test]
    fn udmax_is_the_best_per_break_gain_over_no_break_and_gates_the_sequence() {
        let s = two_steps();
        let found = detect_multiple(
            &s,
            &poisson(),
            Search::Dp {
                max_breaks: 3,
                select: Criterion::Bic,
            },
            5,
            Level::default(),
        )
        .unwrap();
        let tests = run(&s, 3, 7);
        let u = tests.udmax.unwrap();
        // -2 l differences of the search's own table, each divided by l.
        let want = (1..=3)
            .map(|l| 2.0 * (found.table[l].loglik - found.table[0].loglik) / l as f64)
            .fold(f64::NEG_INFINITY, f64::max);
        assert!((u.statistic - want).abs() < 1e-9 * want, "{} vs {want}", u.statistic);
        assert_eq!((u.max_breaks, u.replicates), (3, 99));
        assert!(u.p_value <= 0.01);
        // A flat series: UDmax does not reject and nothing is chosen.
        let flat = series(&(0..60).map(|t| [3.0, 5.0, 2.0, 4.0][t % 4]).collect::<Vec<_>>());
        let none = run(&flat, 2, 7);
        assert!(none.udmax.unwrap().p_value > 0.05, "{none:?}");
        assert_eq!(none.chosen, 0);
    }

    #[test]
    fn two_clear_steps_are_counted_and_the_answer_is_reproducible() {
        let s = two_steps();
        let tests = run(&s, 3, 7);
        assert_eq!(tests.tests.len(), 3);
        assert!(
            tests.tests[0].p_value <= 0.01 && tests.tests[1].p_value <= 0.01,
            "{tests:?}"
        );
        assert!(tests.tests[2].p_value > 0.05, "{tests:?}");
        assert_eq!(tests.chosen, 2);
        assert_eq!(run(&s, 3, 7), tests);
        // p-values are on the Monte Carlo grid.
        for t in &tests.tests {
            assert_eq!(t.p_value, (1 + t.exceedances) as f64 / 100.0);
        }
    }

    #[test]
    fn a_flat_series_is_chosen_flat() {
        let counts: Vec<f64> = (0..60).map(|t| [3.0, 5.0, 2.0, 4.0, 6.0][t % 5]).collect();
        let tests = run(&series(&counts), 2, 3);
        assert!(tests.tests[0].p_value > 0.05, "{tests:?}");
        assert_eq!(tests.chosen, 0);
    }
}
