//! Reading a series file: 10^6 monthly rows with exposure (DESIGN: under 1 s).

use std::fmt::Write;
use std::hint::black_box;

use countshift::data::read_series;
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
    group.finish();
}

criterion_group!(benches, read);
criterion_main!(benches);
