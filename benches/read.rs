//! Reading a series file: 10^6 monthly rows with exposure (DESIGN: under 1 s);
//! a long file of 10,000 series of 120 months (issue 19), and the q-values
//! and Holm values across 10,000 p-values.

use std::fmt::Write;
use std::hint::black_box;

use countshift::data::{Layout, ReadOptions, read_series, read_series_file};
use countshift::inference::multiplicity::{FdrMethod, holm, q_values};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// `n` rows indexed 1..=n (10^6 months would run past year 9999).
fn series_csv(n: usize) -> String {
    let mut out = String::from("period,count,exposure\n");
    for i in 0..n {
        let _ = writeln!(out, "{},{},{}", i + 1, (i * 7919) % 23, 100 + (i * 104_729) % 50);
    }
    out
}

fn read(c: &mut Criterion) {
    let mut group = c.benchmark_group("read");
    group.sample_size(10);
    for n in [10_000usize, 1_000_000] {
        let csv = series_csv(n);
        group.bench_with_input(BenchmarkId::new("series_csv", n), &csv, |b, csv| {
            b.iter(|| read_series(black_box(csv.as_bytes()), "bench.csv").expect("valid"))
        });
    }
    let mut long = String::from("series,period,count\n");
    for s in 0..10_000usize {
        for t in 0..120usize {
            let _ = writeln!(
                long,
                "s{s},{}-{:02},{}",
                2010 + t / 12,
                t % 12 + 1,
                (s * 31 + t * 7919) % 23
            );
        }
    }
    group.bench_function("long_csv/10000x120", |b| {
        b.iter(|| {
            read_series_file(
                black_box(long.as_bytes()),
                "bench.csv",
                &ReadOptions::default(),
                &Layout::Auto,
            )
            .expect("valid")
        })
    });
    let p: Vec<Option<f64>> = (0..10_000)
        .map(|i| Some(((i * 7919) % 10_007) as f64 / 10_007.0))
        .collect();
    group.bench_function("q_and_holm/10000", |b| {
        b.iter(|| (q_values(black_box(&p), FdrMethod::Bh), holm(black_box(&p))))
    });
    group.finish();
}

criterion_group!(benches, read);
criterion_main!(benches);
