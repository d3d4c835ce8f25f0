//! Calibration of the sequential tests of the number of breaks (issue 20,
//! step 1), on simulated series (ignored: minutes). Run with
//! `cargo test --release --test calibration_breaks -- --ignored --nocapture`;
//! `COUNTSHIFT_CALIBRATION_REPS` sets the series per cell (default 1000).
//!
//! Per cell (family, n, true number of breaks K, rate ratio): K breaks at
//! equal spacing, the rate alternating between 5 and 5 x ratio per period;
//! `detect --max-breaks K + 2` with segments of at least 15% of n and 99
//! replicates per test. It prints P(chosen > K), which the criterion of
//! DESIGN §8 wants at most 1 - level = 0.05 (within 2.5 Monte Carlo
//! standard errors), and P(chosen = K) (the power to find every break).

use countshift::changepoint::multiple::{Criterion, Search, detect_multiple};
use countshift::changepoint::number_tests::{NumberTestSpec, number_tests};
use countshift::data::{Period, Series};
use countshift::inference::Level;
use countshift::model::{Family, ModelSpec, Term};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, Poisson};
use rayon::prelude::*;

fn draw(n: usize, k: usize, ratio: f64, theta: Option<f64>, rng: &mut ChaCha8Rng) -> Vec<f64> {
    (0..n)
        .map(|t| {
            let segment = t * (k + 1) / n;
            let mut mu = 5.0 * if segment % 2 == 1 { ratio } else { 1.0 };
            if let Some(th) = theta {
                mu *= Gamma::new(th, 1.0 / th).unwrap().sample(rng);
            }
            if mu > 0.0 {
                Poisson::new(mu).unwrap().sample(rng)
            } else {
                0.0
            }
        })
        .collect()
}

/// (P(chosen > K), P(chosen = K)) over `reps` series.
fn cell(family: Family, theta: Option<f64>, n: usize, k: usize, ratio: f64, reps: usize) -> (f64, f64) {
    let model = ModelSpec {
        family,
        terms: vec![Term::Intercept],
        use_offset: false,
    };
    let h = ((0.15 * n as f64).floor() as usize).max(2);
    let chosen: Vec<usize> = (0..reps)
        .into_par_iter()
        .map(|r| {
            let seed = 7_000_003 * n as u64 + 1009 * k as u64 + (ratio * 10.0) as u64 * 31 + r as u64;
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let y = draw(n, k, ratio, theta, &mut rng);
            let series = Series::from_counts(Period::index(1), &y, None).unwrap();
            let search = Search::Dp {
                max_breaks: k + 2,
                select: Criterion::Bic,
            };
            let found = detect_multiple(&series, &model, search, h, Level::default()).unwrap();
            let spec = NumberTestSpec {
                min_segment: h,
                replicates: 99,
                seed,
                level: Level::default(),
            };
            number_tests(&series, &model, &found, spec).unwrap().chosen
        })
        .collect();
    let share = |f: &dyn Fn(usize) -> bool| chosen.iter().filter(|&&c| f(c)).count() as f64 / reps as f64;
    (share(&|c| c > k), share(&|c| c == k))
}

#[test]
#[ignore = "minutes of simulation; run with --ignored"]
fn the_sequential_tests_hold_their_size() {
    let reps = std::env::var("COUNTSHIFT_CALIBRATION_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    println!("| family | n | K | ratio | P(chosen > K) | MC s.e. | P(chosen = K) | series |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut failures = Vec::new();
    for (family, theta, label) in [
        (Family::Poisson, None, "poisson"),
        (Family::Negbin, Some(5.0), "negbin theta 5"),
    ] {
        for (n, k, ratio) in [(120, 0, 1.0), (120, 1, 2.0), (120, 2, 2.0), (120, 2, 4.0)] {
            let (over, exact) = cell(family, theta, n, k, ratio, reps);
            let se = (0.05 * 0.95 / reps as f64).sqrt();
            println!("| {label} | {n} | {k} | {ratio} | {over:.3} | {se:.3} | {exact:.3} | {reps} |");
            if over > 0.05 + 2.5 * se {
                failures.push(format!("{label} n {n} K {k} ratio {ratio}: {over:.3}"));
            }
        }
    }
    assert!(failures.is_empty(), "over-selection past the criterion: {failures:?}");
}
