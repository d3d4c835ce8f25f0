//! Whole commands as a user runs them (reading the file, computing, writing
//! the output, here to /dev/null) beside the library calls they wrap, so
//! that the ratio of the two comes from one run (issue 19): `inspect` and
//! `detect --method pelt` on a 10^6-row series, and `detect --family
//! poisson` over a long file of 10,000 series of 120 months.

use std::hint::black_box;
use std::process::{Command, Stdio};
use std::time::Duration;

use countshift::changepoint::cost::{PoissonCost, SegmentCost};
use countshift::changepoint::multiple::{Penalty, Search, detect_multiple};
use countshift::changepoint::segment::pelt;
use countshift::data::read_series_path;
use countshift::inference::Level;
use countshift::model::{Family, ModelSpec, Term};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};

#[path = "../tests/common/scale_inputs.rs"]
mod scale_inputs;

/// Runs `countshift args`, its output discarded.
fn countshift(args: &[&str]) {
    let status = Command::new(env!("CARGO_BIN_EXE_countshift"))
        .args(args)
        .stdout(Stdio::null())
        .status()
        .expect("the binary runs");
    assert!(status.success(), "{args:?}");
}

fn million_rows(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("series.csv");
    std::fs::write(&path, scale_inputs::level_series(1_000_000)).expect("written");
    let path = path.to_string_lossy().into_owned();
    let series = read_series_path(&path).expect("valid");
    let counts: Vec<f64> = series.observations().iter().map(|o| o.y()).collect();
    let exposure = series.observation_exposures();
    let poisson = ModelSpec {
        family: Family::Poisson,
        terms: vec![Term::Intercept],
        use_offset: true,
    };

    let mut group = c.benchmark_group("million_rows");
    group.sample_size(10);
    group.bench_function("inspect (command)", |b| {
        b.iter(|| countshift(&["inspect", "--data", &path]))
    });
    group.bench_function("read_series_path (library)", |b| {
        b.iter(|| read_series_path(black_box(&path)).expect("valid"))
    });
    group.bench_function("detect --method pelt --family poisson (command)", |b| {
        b.iter(|| {
            countshift(&[
                "detect", "--data", &path, "--method", "pelt", "--family", "poisson", "--format", "json",
            ])
        })
    });
    group.bench_function("detect --method pelt (command, auto family)", |b| {
        b.iter(|| countshift(&["detect", "--data", &path, "--method", "pelt", "--format", "json"]))
    });
    group.bench_function("pelt search (library)", |b| {
        b.iter(|| {
            let cost = PoissonCost::new(black_box(&counts), exposure.as_deref());
            let penalty = 3.0 * (counts.len() as f64).ln() * cost.penalty_scale();
            pelt(&cost, penalty, 2).expect("a segmentation")
        })
    });
    group.bench_function("detect_multiple, pelt (library: search, intervals)", |b| {
        b.iter(|| {
            detect_multiple(
                black_box(&series),
                &poisson,
                Search::Pelt(Penalty::Mbic),
                2,
                Level::default(),
            )
            .expect("breaks")
        })
    });
    group.finish();
}

fn many_series(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("many.csv");
    std::fs::write(&path, scale_inputs::many_poisson(10_000, 120)).expect("written");
    let path = path.to_string_lossy().into_owned();
    let mut group = c.benchmark_group("many_series");
    // About 20 s a run: ten runs, one after another.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1));
    group.bench_function(
        "detect --family poisson over 10,000 series x 120 months (command)",
        |b| b.iter(|| countshift(&["detect", "--data", &path, "--family", "poisson", "--format", "json"])),
    );
    group.finish();
}

criterion_group!(benches, million_rows, many_series);
criterion_main!(benches);
