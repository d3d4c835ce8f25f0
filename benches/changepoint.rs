//! Change points: single-break scan with 999 bootstrap replicates (Poisson,
//! and negative binomial at n = 240), exact DP
//! with K = 5, and PELT (Poisson with exposure, Gaussian) up to 10^6 points
//! with a change every 1,000 points, and the several-breaks inference (the
//! sequential tests with 199 replicates and every break's date set) for
//! K = 4 at n = 480, and the exact posterior over segmentations (K = 4) up
//! to n = 10^4.
//! Inputs are simulated outside the timed closures with fixed seeds.

use std::hint::black_box;

use countshift::changepoint::break_dates::{BreakDateSpec, break_dates};
use countshift::changepoint::cost::{GaussianMeanCost, PoissonCost};
use countshift::changepoint::multiple::{Criterion as Select, Search, detect_multiple};
use countshift::changepoint::number_tests::{NumberTestSpec, number_tests};
use countshift::changepoint::segment::{optimal_segmentations, pelt};
use countshift::changepoint::segmentation_posterior::{RatePrior, segmentation_posterior};
use countshift::changepoint::single::{BreakKind, DetectSpec, GammaPrior, detect_single};
use countshift::data::{Period, Series};
use countshift::inference::Level;
use countshift::model::{Family, ModelSpec, Term};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, Normal, Poisson};

/// How the level changes along a series.
#[derive(Clone, Copy)]
enum Changes {
    /// Five equal segments (the DP and single-break benches).
    Five,
    /// A change every `n` positions: the regime in which PELT runs in linear
    /// time (its work grows with the squared segment length).
    Every(usize),
}

fn level(t: usize, n: usize, changes: Changes) -> usize {
    match changes {
        Changes::Five => t * 5 / n,
        Changes::Every(k) => (t / k) % 5,
    }
}

/// Poisson counts with exposure at rates 0.05 x (1, 2, 1, 3, 1.5).
fn poisson_series(n: usize, changes: Changes, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let exposure: Vec<f64> = (0..n).map(|_| rng.random_range(50.0..150.0)).collect();
    let counts = exposure
        .iter()
        .enumerate()
        .map(|(t, e)| {
            Poisson::new(0.05 * e * [1.0, 2.0, 1.0, 3.0, 1.5][level(t, n, changes)])
                .unwrap()
                .sample(&mut rng)
        })
        .collect();
    (counts, exposure)
}

fn gaussian_series(n: usize, changes: Changes, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let noise = Normal::new(0.0, 1.0).unwrap();
    (0..n)
        .map(|t| [0.0, 2.0, -1.0, 1.5, 0.5][level(t, n, changes)] + noise.sample(&mut rng))
        .collect()
}

fn as_series(counts: &[f64], exposure: Option<&[f64]>) -> Series {
    Series::from_counts(Period::index(1), counts, exposure).expect("drawn counts are counts")
}

/// One break, intercept only, 999 replicates, the default 15% minimum segment.
fn one_break_spec(family: Family, use_offset: bool, n: usize) -> DetectSpec {
    DetectSpec {
        model: ModelSpec {
            family,
            terms: vec![Term::Intercept],
            use_offset,
        },
        min_segment: (n as f64 * 0.15) as usize,
        bootstrap: 999,
        seed: 1,
        level: Level::default(),
        prior: GammaPrior::default(),
        kind: BreakKind::Level,
    }
}

fn single_break(c: &mut Criterion) {
    let mut group = c.benchmark_group("detect_single_b999");
    group.sample_size(10);
    for n in [120usize, 240, 1200] {
        let (y, e) = poisson_series(n, Changes::Five, 1);
        let series = as_series(&y, Some(&e));
        let spec = one_break_spec(Family::Poisson, true, n);
        group.bench_with_input(BenchmarkId::from_parameter(n), &series, |b, s| {
            b.iter(|| detect_single(black_box(s), &spec).unwrap())
        });
    }
    // Negative binomial (theta 5, no exposure): theta is re-estimated in
    // every replicate.
    let n = 240;
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mix = Gamma::new(5.0, 0.2).unwrap();
    let counts: Vec<f64> = (0..n)
        .map(|t| {
            let mean = [5.0, 10.0, 5.0, 15.0, 7.5][level(t, n, Changes::Five)] * mix.sample(&mut rng);
            Poisson::new(mean).unwrap().sample(&mut rng)
        })
        .collect();
    let series = as_series(&counts, None);
    let spec = one_break_spec(Family::Negbin, false, n);
    group.bench_with_input(BenchmarkId::new("negbin", n), &series, |b, s| {
        b.iter(|| detect_single(black_box(s), &spec).unwrap())
    });
    // Issue 16's goal: a common trend, 999 replicates; Poisson at n = 500
    // and NB on the 44 months of the real drone series.
    let (y, e) = poisson_series(500, Changes::Five, 2);
    let series = as_series(&y, Some(&e));
    let spec = DetectSpec {
        model: ModelSpec {
            terms: vec![Term::Intercept, Term::Trend],
            ..one_break_spec(Family::Poisson, true, 500).model
        },
        ..one_break_spec(Family::Poisson, true, 500)
    };
    group.bench_with_input(BenchmarkId::new("poisson_trend", 500), &series, |b, s| {
        b.iter(|| detect_single(black_box(s), &spec).unwrap())
    });
    let drones = countshift::data::read_series_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/data/real/shahed.csv"
    ))
    .unwrap();
    let spec = DetectSpec {
        model: ModelSpec {
            terms: vec![Term::Intercept, Term::Trend],
            ..one_break_spec(Family::Negbin, false, 44).model
        },
        ..one_break_spec(Family::Negbin, false, 44)
    };
    group.bench_with_input(BenchmarkId::new("negbin_trend_drones", 44), &drones, |b, s| {
        b.iter(|| detect_single(black_box(s), &spec).unwrap())
    });
    group.finish();
}

fn dynamic_programme(c: &mut Criterion) {
    let mut group = c.benchmark_group("dp_k5");
    group.sample_size(10);
    for n in [500usize, 2000, 10_000] {
        let v = gaussian_series(n, Changes::Five, 2);
        let cost = GaussianMeanCost::new(&v);
        let h = (n / 20).max(2);
        group.bench_with_input(BenchmarkId::new("gaussian", n), &cost, |b, cost| {
            b.iter(|| optimal_segmentations(black_box(cost), 5, h).unwrap())
        });
    }
    group.finish();
}

fn pelt_scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("pelt");
    group.sample_size(10);
    for every in [100usize, 1000] {
        for n in [10_000usize, 100_000, 1_000_000] {
            let (y, e) = poisson_series(n, Changes::Every(every), 3);
            let cost = PoissonCost::new(&y, Some(&e));
            let penalty = 3.0 * (n as f64).ln();
            group.bench_with_input(
                BenchmarkId::new(format!("poisson_exposure_every{every}"), n),
                &cost,
                |b, cost| b.iter(|| pelt(black_box(cost), penalty, 2).unwrap()),
            );
            let v = gaussian_series(n, Changes::Every(every), 4);
            let cost = GaussianMeanCost::new(&v);
            group.bench_with_input(
                BenchmarkId::new(format!("gaussian_every{every}"), n),
                &cost,
                |b, cost| b.iter(|| pelt(black_box(cost), penalty, 2).unwrap()),
            );
        }
    }
    group.finish();
}

/// Issue 20's speed target: a level-only Poisson series of 480 periods
/// with four breaks, searched for up to 4; the sequential tests (199
/// replicates each) and the date set and ratio interval of every break,
/// as `detect --max-breaks 4 --bootstrap 199 --family poisson` runs them.
fn several_breaks_inference(c: &mut Criterion) {
    let mut group = c.benchmark_group("several_breaks_n480_k4");
    group.sample_size(10);
    let n = 480;
    let (y, e) = poisson_series(n, Changes::Five, 5);
    let series = as_series(&y, Some(&e));
    let model = ModelSpec {
        family: Family::Poisson,
        terms: vec![Term::Intercept],
        use_offset: true,
    };
    let (h, level) = ((n as f64 * 0.15) as usize, Level::default());
    let search = Search::Dp {
        max_breaks: 4,
        select: Select::Bic,
    };
    group.bench_function("search + sequential tests + date sets (199 replicates)", |b| {
        b.iter(|| {
            let found = detect_multiple(&series, &model, search, h, level).unwrap();
            let tests = NumberTestSpec {
                min_segment: h,
                replicates: 199,
                seed: 1,
                level,
            };
            let chosen = number_tests(&series, &model, &found, tests).unwrap();
            let dates = BreakDateSpec {
                min_segment: h,
                replicates: 199,
                seed: 1,
                level,
                prior: GammaPrior::default(),
            };
            black_box((chosen, break_dates(&series, &model, &found, dates).unwrap()))
        })
    });
    group.finish();
}

/// Issue 20's target: the posterior at n = 10^4 in under 5 s (K = 4, the
/// default 15% minimum segment).
fn exact_posterior(c: &mut Criterion) {
    let mut group = c.benchmark_group("segmentation_posterior_k4");
    group.sample_size(10);
    for n in [2000usize, 10_000] {
        let (y, e) = poisson_series(n, Changes::Five, 6);
        let prior = RatePrior::scaled_to(&y, &e, 1.0);
        let h = (n as f64 * 0.15) as usize;
        group.bench_with_input(BenchmarkId::new("poisson_exposure", n), &(y, e), |b, (y, e)| {
            b.iter(|| segmentation_posterior(black_box(y), Some(e), 4, h, prior).unwrap())
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    exact_posterior,
    single_break,
    dynamic_programme,
    pelt_scaling,
    several_breaks_inference
);
criterion_main!(benches);
