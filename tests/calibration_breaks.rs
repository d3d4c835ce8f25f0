//! Calibration of the sequential tests of the number of breaks (issue 20,
//! step 1), on simulated series (ignored: minutes). Run with
//! `cargo test --release --test calibration_breaks -- --ignored --nocapture`;
//! `COUNTSHIFT_CALIBRATION_REPS` sets the series per cell (default 1000),
//! `COUNTSHIFT_CALIBRATION_FAMILY` (`poisson`, `negbin`) and
//! `COUNTSHIFT_CALIBRATION_N` (`120`, `480`) keep one family's or one
//! length's cells. The second test (step 2) measures the coverage of every
//! break's date set and rate-ratio interval, given the number chosen is
//! right.
//!
//! Per cell (family, n, true number of breaks K, rate ratio): K breaks at
//! equal spacing, the rate alternating between 5 and 5 x ratio per period;
//! `detect --max-breaks K + 2` (at most what fits) with segments of at least 15% of n and 99
//! replicates per test. It prints P(chosen > K), which the criterion of
//! DESIGN §8 wants at most 1 - level = 0.05 (within 2.5 Monte Carlo
//! standard errors), and P(chosen = K) (the power to find every break).

use countshift::changepoint::break_dates::{BreakDateSpec, break_dates};
use countshift::changepoint::multiple::{Criterion, Search, detect_multiple};
use countshift::changepoint::number_tests::{NumberTestSpec, number_tests};
use countshift::changepoint::single::GammaPrior;
use countshift::data::{Period, Series};
use countshift::inference::{Interval, Level};
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
                max_breaks: (k + 2).min(n / h - 1),
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

/// Series per cell: `COUNTSHIFT_CALIBRATION_REPS`, default 1000.
fn reps() -> usize {
    std::env::var("COUNTSHIFT_CALIBRATION_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

/// The families run: `COUNTSHIFT_CALIBRATION_FAMILY` (`poisson`,
/// `negbin`) keeps one; the negative binomial at theta 5 and 1.
fn families() -> Vec<(Family, Option<f64>, &'static str)> {
    let only = std::env::var("COUNTSHIFT_CALIBRATION_FAMILY").ok();
    [
        (Family::Poisson, None, "poisson"),
        (Family::Negbin, Some(5.0), "negbin theta 5"),
        (Family::Negbin, Some(1.0), "negbin theta 1"),
    ]
    .into_iter()
    .filter(|(f, _, _)| only.as_deref().is_none_or(|o| o == f.name()))
    .collect()
}

/// (n, K, rate ratio) of every cell: no break, and K = 1, 2, 4 at rate
/// ratios 2 and 4, at n = 120 and 480; `COUNTSHIFT_CALIBRATION_N` keeps one n.
fn cells(with_null: bool) -> Vec<(usize, usize, f64)> {
    let only: Option<usize> = std::env::var("COUNTSHIFT_CALIBRATION_N")
        .ok()
        .and_then(|v| v.parse().ok());
    let mut cells = Vec::new();
    for n in [120, 480] {
        if only.is_some_and(|o| o != n) {
            continue;
        }
        if with_null {
            cells.push((n, 0, 1.0));
        }
        for k in [1, 2, 4] {
            for ratio in [2.0, 4.0] {
                cells.push((n, k, ratio));
            }
        }
    }
    cells
}

#[test]
#[ignore = "minutes of simulation; run with --ignored"]
fn the_sequential_tests_hold_their_size() {
    let reps = reps();
    println!("| family | n | K | ratio | P(chosen > K) | MC s.e. | P(chosen = K) | series |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut failures = Vec::new();
    for (family, theta, label) in families() {
        for (n, k, ratio) in cells(true) {
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

/// Coverage of one cell's date sets and rate-ratio intervals, over the
/// series whose sequential tests chose the true number of breaks.
#[derive(Default)]
struct Coverage {
    /// Series with the number right, and the breaks in them.
    series: usize,
    breaks: usize,
    /// Breaks whose date set holds the true date, and the sets' summed size.
    set_covers: usize,
    set_size: usize,
    /// The same for the highest-posterior part alone.
    posterior_covers: usize,
    posterior_size: usize,
    /// Breaks whose rate-ratio interval holds the true ratio: over the set,
    /// and at the estimated date alone.
    union_covers: usize,
    fixed_covers: usize,
}

impl std::ops::AddAssign for Coverage {
    fn add_assign(&mut self, o: Coverage) {
        self.series += o.series;
        self.breaks += o.breaks;
        self.set_covers += o.set_covers;
        self.set_size += o.set_size;
        self.posterior_covers += o.posterior_covers;
        self.posterior_size += o.posterior_size;
        self.union_covers += o.union_covers;
        self.fixed_covers += o.fixed_covers;
    }
}

/// Estimated breaks are matched to the true ones in order (the counts are
/// equal); a break's true date is the first period of its true new regime.
fn coverage_cell(family: Family, theta: Option<f64>, n: usize, k: usize, ratio: f64, reps: usize) -> Coverage {
    let model = ModelSpec {
        family,
        terms: vec![Term::Intercept],
        use_offset: false,
    };
    let h = ((0.15 * n as f64).floor() as usize).max(2);
    let truth: Vec<usize> = (1..=k).map(|j| (j * n).div_ceil(k + 1)).collect();
    let true_ratio = |j: usize| if j.is_multiple_of(2) { ratio } else { 1.0 / ratio };
    let covers = |j: usize, i: Option<&Interval>| {
        i.is_some_and(|i| i.low.is_none_or(|l| l <= true_ratio(j)) && i.high.is_none_or(|u| u >= true_ratio(j)))
    };
    (0..reps)
        .into_par_iter()
        .map(|r| {
            let seed = 9_000_011 * n as u64 + 1013 * k as u64 + (ratio * 10.0) as u64 * 37 + r as u64;
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let y = draw(n, k, ratio, theta, &mut rng);
            let series = Series::from_counts(Period::index(1), &y, None).unwrap();
            let search = Search::Dp {
                max_breaks: (k + 1).min(n / h - 1),
                select: Criterion::Bic,
            };
            let found = detect_multiple(&series, &model, search, h, Level::default()).unwrap();
            let tests = NumberTestSpec {
                min_segment: h,
                replicates: 99,
                seed,
                level: Level::default(),
            };
            let mut c = Coverage::default();
            if number_tests(&series, &model, &found, tests).unwrap().chosen != k {
                return c;
            }
            let search = Search::Dp {
                max_breaks: (k + 1).min(n / h - 1),
                select: Criterion::Count(k),
            };
            let found = detect_multiple(&series, &model, search, h, Level::default()).unwrap();
            let spec = BreakDateSpec {
                min_segment: h,
                replicates: 199,
                seed,
                level: Level::default(),
                prior: GammaPrior::default(),
            };
            let dated = break_dates(&series, &model, &found, spec).unwrap();
            c.series = 1;
            for (j, d) in dated.iter().enumerate() {
                let date = Period::index(1 + truth[j] as i64);
                c.breaks += 1;
                c.set_covers += usize::from(d.set.contains(&date));
                c.set_size += d.set.len();
                c.posterior_covers += usize::from(d.set_posterior.contains(&date));
                c.posterior_size += d.set_posterior.len();
                c.union_covers += usize::from(covers(j, d.rate_ratio.as_ref()));
                c.fixed_covers += usize::from(covers(j, found.rate_ratios[j].as_ref()));
            }
            c
        })
        .reduce(Coverage::default, |mut a, b| {
            a += b;
            a
        })
}

#[test]
#[ignore = "minutes of simulation; run with --ignored"]
fn the_date_sets_and_ratio_intervals_cover() {
    let reps = reps();
    println!(
        "| family | n | K | ratio | series with K right | breaks | set covers | mean set size | posterior set covers | its mean size | ratio CI over the set covers | at the estimated date |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut failures = Vec::new();
    for (family, theta, label) in families() {
        for (n, k, ratio) in cells(false) {
            let c = coverage_cell(family, theta, n, k, ratio, reps);
            let m = c.breaks.max(1) as f64;
            let share = |x: usize| x as f64 / m;
            let se = (0.05 * 0.95 / m).sqrt();
            println!(
                "| {label} | {n} | {k} | {ratio} | {} | {} | {:.3} | {:.2} | {:.3} | {:.2} | {:.3} | {:.3} |",
                c.series,
                c.breaks,
                share(c.set_covers),
                c.set_size as f64 / m,
                share(c.posterior_covers),
                c.posterior_size as f64 / m,
                share(c.union_covers),
                share(c.fixed_covers)
            );
            // The criterion of DESIGN §8: at least 0.95 within 2.5 Monte
            // Carlo standard errors (the breaks of one series are not
            // independent: the standard error is a guide).
            for (what, x) in [("date set", c.set_covers), ("rate-ratio interval", c.union_covers)] {
                if share(x) < 0.95 - 2.5 * se {
                    failures.push(format!("{label} n {n} K {k} ratio {ratio}: {what} {:.3}", share(x)));
                }
            }
        }
    }
    assert!(failures.is_empty(), "under-coverage past the criterion: {failures:?}");
}
