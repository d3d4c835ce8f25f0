//! Calibration of the one-break search on data like the Air Force log's
//! series (ignored: it takes many minutes). docs/calibration.md publishes the
//! figures and the exact commands; in short:
//!
//! `RAYON_NUM_THREADS=2 cargo test --release --test calibration_real NAME -- --ignored --nocapture --test-threads=1`
//!
//! with NAME one of `negbin_trend_n44`, `negbin_trend_n120`, `real_series`,
//! `auto_pipeline`. Environment:
//! - `COUNTSHIFT_CALIBRATION_REAL_REPS`: series in every cell of the n = 44,
//!   real-series and auto tables (default: each cell's number in the
//!   published run, [`PUBLISHED`]; 0 for the cells not run);
//! - `COUNTSHIFT_CALIBRATION_REAL_REPS_120`: the same for the n = 120 cells;
//! - `COUNTSHIFT_CALIBRATION_REAL_FIRST`: index of the first series (default
//!   0), to extend a cell by series not yet run;
//! - `COUNTSHIFT_CALIBRATION_REAL_CELLS`: a comma-separated list of cell ids
//!   (the first column of the tables) to run only those. Each cell has its
//!   own fixed seed and each series its own stream, so a cell's figures do
//!   not depend on which other cells run, nor on the number of threads; with
//!   fewer series a cell's series are the first ones of the full run.
//!
//! Every cell: a break at the middle (0-based period n/2 is the first of the
//! new regime), `min_segment` = floor(0.15 n), 199 bootstrap replicates for
//! the sup-LR p-value, level 95%. Recorded per series: whether the 5% test
//! rejects, and whether each 95% date set (`set`, the union reported;
//! `set_lr`, test inversion; `set_posterior`, highest posterior) holds the
//! true date, with its size. With rate ratio 1 there is no true date and
//! only the size is judged.
//!
//! Verdict (DESIGN §8): a size passes when it is within 2.5 Monte Carlo
//! standard errors of 0.05, a coverage when it is not below 0.95 by more than
//! 2; the standard error is that of a binomial share at the nominal value,
//! sqrt(p0 (1 - p0) / R). Tables also show the estimate's own standard error.

use countshift::changepoint::single::{BreakKind, DetectSpec, GammaPrior, best_date, detect_single};
use countshift::data::{Period, Series};
use countshift::inference::Level;
use countshift::inference::overdispersion::choose_family;
use countshift::model::{Family, ModelSpec, Term, fit};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, Poisson};
use rayon::prelude::*;
use std::io::Write;
use std::time::Instant;

const BOOTSTRAP: usize = 199;

fn series_of(y: &[f64]) -> Series {
    Series::from_counts(Period::index(1), y, None).expect("drawn counts are counts")
}

/// One count from mean `mu`: Poisson, or NB2 with dispersion `theta`
/// (a Poisson whose mean is Gamma(theta, mu / theta)).
fn draw_one(mu: f64, theta: Option<f64>, rng: &mut ChaCha8Rng) -> f64 {
    let mut m = mu;
    if let Some(th) = theta {
        m *= Gamma::new(th, 1.0 / th).unwrap().sample(rng);
    }
    if m > 0.0 {
        Poisson::new(m).unwrap().sample(rng)
    } else {
        0.0
    }
}

/// How the family of the search is set.
#[derive(Clone, Copy, Debug, PartialEq)]
enum FamilyRule {
    Fixed(Family),
    /// As `detect --family auto`: Dean's test in the Poisson fit with the
    /// step at the Poisson best date.
    Auto,
}

struct CellSpec {
    id: String,
    /// What the data are.
    data: String,
    /// Means of the observations (the break, if any, included).
    mu: Vec<f64>,
    /// NB dispersion of the data; `None` for Poisson.
    theta: Option<f64>,
    /// 0-based index of the first period of the new regime; `None` without a break.
    break_at: Option<usize>,
    /// Common terms of the model searched.
    terms: Vec<Term>,
    rule: FamilyRule,
    seed: u64,
}

#[derive(Default, Clone, Copy)]
struct Outcome {
    failed: bool,
    reject: bool,
    negbin: bool,
    in_set: bool,
    set: usize,
    in_lr: bool,
    lr: usize,
    in_post: bool,
    post: usize,
}

fn run_one(spec: &CellSpec, r: usize) -> Outcome {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    rng.set_stream(r as u64);
    let y: Vec<f64> = spec.mu.iter().map(|&m| draw_one(m, spec.theta, &mut rng)).collect();
    let series = series_of(&y);
    let n = y.len();
    let detect = |family| DetectSpec {
        model: ModelSpec {
            family,
            terms: spec.terms.clone(),
            use_offset: false,
        },
        min_segment: (0.15 * n as f64) as usize,
        bootstrap: BOOTSTRAP,
        seed: spec.seed.wrapping_mul(1_000_003).wrapping_add(r as u64),
        level: Level::default(),
        prior: GammaPrior::default(),
        kind: BreakKind::Level,
    };
    let family = match spec.rule {
        FamilyRule::Fixed(f) => Some(f),
        FamilyRule::Auto => (|| {
            let poisson = detect(Family::Poisson);
            let at = best_date(&series, &poisson).ok()?;
            let mut full = poisson.model.clone();
            full.terms.push(Term::Step(at));
            let choice = choose_family(&fit(&full, &series).ok()?);
            Some(choice.map_or(Family::Poisson, |c| c.chosen))
        })(),
    };
    let Some(family) = family else {
        return Outcome {
            failed: true,
            ..Outcome::default()
        };
    };
    let Ok(found) = detect_single(&series, &detect(family)) else {
        return Outcome {
            failed: true,
            negbin: family == Family::Negbin,
            ..Outcome::default()
        };
    };
    let truth = spec.break_at.map(|k| Period::index(1 + k as i64));
    let holds = |set: &[usize]| truth.is_some_and(|d| set.iter().any(|&i| found.dates[i] == d));
    Outcome {
        failed: false,
        reject: found.bootstrap_test.expect("bootstrap p-value").p_value <= 0.05,
        negbin: family == Family::Negbin,
        in_set: holds(&found.set),
        set: found.set.len(),
        in_lr: holds(&found.set_lr),
        lr: found.set_lr.len(),
        in_post: holds(&found.set_posterior),
        post: found.set_posterior.len(),
    }
}

fn se(p: f64, k: f64) -> f64 {
    (p * (1.0 - p) / k).sqrt()
}

/// "0.953 ± 0.015" (the estimate's own Monte Carlo standard error).
fn share(p: f64, k: f64) -> String {
    format!("{p:.3} ± {:.3}", se(p, k))
}

/// Size: within 2.5 s.e. (at 0.05) of 0.05.
fn size_verdict(p: f64, k: f64) -> &'static str {
    if (p - 0.05).abs() <= 2.5 * se(0.05, k) {
        "pass"
    } else {
        "FAIL"
    }
}

/// Coverage: not below 0.95 by more than 2 s.e. (at 0.95).
fn cover_verdict(p: f64, k: f64) -> &'static str {
    if p >= 0.95 - 2.0 * se(0.95, k) { "pass" } else { "FAIL" }
}

fn header(auto: bool) {
    let fam = if auto { " | NB chosen" } else { "" };
    println!(
        "| cell | data | model | series{fam} | rejects at 5% | size verdict | set covers | set verdict | mean set | set_lr covers | mean set_lr | set_posterior covers | mean set_posterior | failed | seconds |"
    );
    let cols = 15 + usize::from(auto);
    println!("|{}", " --- |".repeat(cols));
}

/// Runs one cell; `auto_table`: the table has the "NB chosen" column
/// (a fixed-family row shows `-` there).
fn run_cell(spec: &CellSpec, reps: usize, auto_table: bool) {
    let start = Instant::now();
    let first = reps_env("COUNTSHIFT_CALIBRATION_REAL_FIRST").unwrap_or(0);
    let all: Vec<Outcome> = (first..first + reps)
        .into_par_iter()
        .map(|r| {
            let t = Instant::now();
            let o = run_one(spec, r);
            // One line per series on stderr, so that an interrupted run
            // keeps its series and runs of several ranges can be pooled.
            eprintln!(
                "trace {} {r} failed={} reject={} negbin={} in_set={} set={} in_lr={} lr={} in_post={} post={} secs={:.2}",
                spec.id,
                u8::from(o.failed),
                u8::from(o.reject),
                u8::from(o.negbin),
                u8::from(o.in_set),
                o.set,
                u8::from(o.in_lr),
                o.lr,
                u8::from(o.in_post),
                o.post,
                t.elapsed().as_secs_f64()
            );
            o
        })
        .collect();
    let secs = start.elapsed().as_secs_f64();
    let failed = all.iter().filter(|o| o.failed).count();
    let ok: Vec<&Outcome> = all.iter().filter(|o| !o.failed).collect();
    let k = ok.len() as f64;
    let frac = |f: &dyn Fn(&Outcome) -> bool| ok.iter().filter(|o| f(o)).count() as f64 / k;
    let mean = |f: &dyn Fn(&Outcome) -> usize| ok.iter().map(|o| f(o) as f64).sum::<f64>() / k;
    let reject = frac(&|o| o.reject);
    let model = format!(
        "{} ({})",
        match spec.rule {
            FamilyRule::Fixed(f) => f.name().to_string(),
            FamilyRule::Auto => "auto".into(),
        },
        spec.terms.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" + ")
    );
    let nb = match (spec.rule, auto_table) {
        (FamilyRule::Auto, _) => format!(" | {:.3}", frac(&|o| o.negbin)),
        (_, true) => " | -".to_string(),
        (_, false) => String::new(),
    };
    let (size_v, cover, cover_v, mset, lr, mlr, post, mpost) = if spec.break_at.is_none() {
        let dash = || "-".to_string();
        (
            size_verdict(reject, k).to_string(),
            dash(),
            dash(),
            format!("{:.1}", mean(&|o| o.set)),
            dash(),
            format!("{:.1}", mean(&|o| o.lr)),
            dash(),
            format!("{:.1}", mean(&|o| o.post)),
        )
    } else {
        let c = frac(&|o| o.in_set);
        (
            "-".to_string(),
            share(c, k),
            cover_verdict(c, k).to_string(),
            format!("{:.1}", mean(&|o| o.set)),
            share(frac(&|o| o.in_lr), k),
            format!("{:.1}", mean(&|o| o.lr)),
            share(frac(&|o| o.in_post), k),
            format!("{:.1}", mean(&|o| o.post)),
        )
    };
    println!(
        "| {} | {} | {model} | {}{nb} | {} | {size_v} | {cover} | {cover_v} | {mset} | {lr} | {mlr} | {post} | {mpost} | {failed} | {secs:.0} |",
        spec.id,
        spec.data,
        ok.len(),
        share(reject, k),
    );
    std::io::stdout().flush().ok();
}

fn reps_env(var: &str) -> Option<usize> {
    std::env::var(var).ok().and_then(|v| v.parse().ok())
}

fn wanted(id: &str) -> bool {
    match std::env::var("COUNTSHIFT_CALIBRATION_REAL_CELLS") {
        Ok(list) if !list.trim().is_empty() => list.split(',').any(|c| c.trim() == id),
        _ => true,
    }
}

/// Means with a common trend: 10 events per period at the start, a log-linear
/// rise of 0.02·44/n per period (0.88 over the series, a factor 2.4), and
/// the rate ratio from period n/2 on.
fn trend_means(n: usize, ratio: f64) -> Vec<f64> {
    let slope = 0.02 * 44.0 / n as f64;
    (0..n)
        .map(|t| 10.0 * (slope * t as f64).exp() * if t >= n / 2 { ratio } else { 1.0 })
        .collect()
}

fn trend_cell(id: &str, n: usize, theta: Option<f64>, ratio: f64, rule: FamilyRule, seed: u64) -> CellSpec {
    let disp = theta.map_or("poisson".to_string(), |t| format!("NB theta {t}"));
    CellSpec {
        id: id.into(),
        data: format!("{disp}, trend, n = {n}, ratio {ratio}"),
        mu: trend_means(n, ratio),
        theta,
        break_at: (ratio != 1.0).then_some(n / 2),
        terms: vec![Term::Intercept, Term::Trend],
        rule,
        seed,
    }
}

/// Series per cell of the published run (docs/calibration.md): the default
/// when the environment sets none; a cell absent here was not run for lack
/// of time and prints as "not run".
const PUBLISHED: &[(&str, usize)] = &[
    ("a44-t0.5-r1", 200),
    ("a44-t0.5-r2", 200),
    ("a44-t0.5-r5", 200),
    ("a44-t0.5-r15", 200),
    ("a44-t1-r1", 200),
    ("a44-t1-r2", 200),
    ("a44-t1-r5", 200),
    ("a44-t1-r15", 200),
    ("a44-t3-r1", 200),
    ("a44-t3-r2", 200),
    ("a44-t3-r5", 200),
    ("a44-t3-r15", 200),
    ("a120-t0.5-r1", 200),
    ("a120-t0.5-r2", 200),
    ("a120-t0.5-r5", 200),
    ("a120-t0.5-r15", 200),
    ("a120-t1-r1", 200),
    ("a120-t1-r2", 200),
    ("a120-t1-r5", 200),
    ("a120-t1-r15", 200),
    ("a120-t3-r1", 200),
    ("a120-t3-r2", 200),
    ("a120-t3-r5", 200),
    ("a120-t3-r15", 200),
    ("real-kalibr-negbin", 200),
    ("real-shahed-negbin", 200),
    ("real-kalibr-auto", 200),
    ("auto-pois-r1", 200),
    ("auto-pois-r2", 200),
    ("auto-pois-r5", 200),
    ("auto-t1-r1", 200),
    ("auto-t1-r2", 200),
    ("auto-t1-r5", 200),
    ("auto-t10-r1", 200),
    ("auto-t10-r2", 200),
];

fn published(id: &str) -> usize {
    PUBLISHED.iter().find(|(c, _)| *c == id).map_or(0, |&(_, k)| k)
}

/// Runs the cells, each with the series of `var` when it is set, else its
/// published number.
fn run_table(cells: Vec<CellSpec>, var: &str) {
    let auto = cells.iter().any(|c| c.rule == FamilyRule::Auto);
    let start = Instant::now();
    println!(
        "threads: {}, bootstrap {BOOTSTRAP}, series per cell: {}",
        rayon::current_num_threads(),
        reps_env(var).map_or("as published".to_string(), |k| k.to_string())
    );
    header(auto);
    for c in cells.iter().filter(|c| wanted(&c.id)) {
        let reps = reps_env(var).unwrap_or_else(|| published(&c.id));
        if reps == 0 {
            println!("| {} | {} | not run |", c.id, c.data);
        } else {
            run_cell(c, reps, auto);
        }
    }
    println!("table time: {:.0} s", start.elapsed().as_secs_f64());
}

fn negbin_trend_cells(n: usize, prefix: &str, base_seed: u64) -> Vec<CellSpec> {
    let mut cells = Vec::new();
    for (i, theta) in [0.5, 1.0, 3.0].into_iter().enumerate() {
        for (j, ratio) in [1.0, 2.0, 5.0, 15.0].into_iter().enumerate() {
            cells.push(trend_cell(
                &format!("{prefix}-t{theta}-r{ratio}"),
                n,
                Some(theta),
                ratio,
                FamilyRule::Fixed(Family::Negbin),
                base_seed + 10 * i as u64 + j as u64,
            ));
        }
    }
    cells
}

#[test]
#[ignore = "tens of minutes of simulation; run with --ignored"]
fn negbin_trend_n44() {
    run_table(
        negbin_trend_cells(44, "a44", 44_000),
        "COUNTSHIFT_CALIBRATION_REAL_REPS",
    );
}

#[test]
#[ignore = "tens of minutes of simulation; run with --ignored"]
fn negbin_trend_n120() {
    run_table(
        negbin_trend_cells(120, "a120", 120_000),
        "COUNTSHIFT_CALIBRATION_REAL_REPS_120",
    );
}

/// Counts of a real series in tests/reference/data/real (`period,count`).
fn real_counts(name: &str) -> Vec<f64> {
    let path = format!("{}/tests/reference/data/real/{name}.csv", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .expect("real series")
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().trim().parse().unwrap())
        .collect()
}

/// NB intercept + step fitted at the NB best date of the real series; the
/// cell simulates from that fit (its means and theta) with the true date at
/// the fitted one.
fn real_cell(name: &str, rule: FamilyRule, seed: u64) -> CellSpec {
    let y = real_counts(name);
    let series = series_of(&y);
    let model = ModelSpec {
        family: Family::Negbin,
        terms: vec![Term::Intercept],
        use_offset: false,
    };
    let spec = DetectSpec {
        model: model.clone(),
        min_segment: (0.15 * y.len() as f64) as usize,
        bootstrap: 0,
        seed: 0,
        level: Level::default(),
        prior: GammaPrior::default(),
        kind: BreakKind::Level,
    };
    let at = best_date(&series, &spec).expect("best date");
    let mut with_step = model;
    with_step.terms.push(Term::Step(at));
    let fitted = fit(&with_step, &series).expect("fit");
    let theta = fitted.theta().expect("NB theta");
    let k = series.index_of(at).unwrap();
    let ratio = fitted.beta()[1].exp();
    let id = match rule {
        FamilyRule::Auto => format!("real-{name}-auto"),
        FamilyRule::Fixed(f) => format!("real-{name}-{}", f.name()),
    };
    CellSpec {
        id,
        data: format!(
            "fit to {name}.csv: NB theta {theta:.3}, n = {}, level {:.2}, ratio {ratio:.3} from period {}",
            y.len(),
            fitted.beta()[0].exp(),
            k + 1
        ),
        mu: fitted.fitted().to_vec(),
        theta: Some(theta),
        break_at: Some(k),
        terms: vec![Term::Intercept],
        rule,
        seed,
    }
}

#[test]
#[ignore = "minutes of simulation; run with --ignored"]
fn real_series() {
    run_table(
        vec![
            real_cell("kalibr", FamilyRule::Fixed(Family::Negbin), 7_001),
            real_cell("shahed", FamilyRule::Fixed(Family::Negbin), 7_002),
            real_cell("kalibr", FamilyRule::Auto, 7_003),
        ],
        "COUNTSHIFT_CALIBRATION_REAL_REPS",
    );
}

#[test]
#[ignore = "tens of minutes of simulation; run with --ignored"]
fn auto_pipeline() {
    let mut cells = Vec::new();
    for (j, ratio) in [1.0, 2.0, 5.0].into_iter().enumerate() {
        cells.push(trend_cell(
            &format!("auto-pois-r{ratio}"),
            44,
            None,
            ratio,
            FamilyRule::Auto,
            9_000 + j as u64,
        ));
    }
    for (j, ratio) in [1.0, 2.0, 5.0].into_iter().enumerate() {
        cells.push(trend_cell(
            &format!("auto-t1-r{ratio}"),
            44,
            Some(1.0),
            ratio,
            FamilyRule::Auto,
            9_100 + j as u64,
        ));
    }
    for (j, ratio) in [1.0, 2.0].into_iter().enumerate() {
        cells.push(trend_cell(
            &format!("auto-t10-r{ratio}"),
            44,
            Some(10.0),
            ratio,
            FamilyRule::Auto,
            9_200 + j as u64,
        ));
    }
    run_table(cells, "COUNTSHIFT_CALIBRATION_REAL_REPS");
}
