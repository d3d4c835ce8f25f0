//! Fitting Poisson and NB2 trend-and-step models (3 coefficients) at
//! n = 240, 10^4, 10^6, on the series `countshift simulate` writes for the
//! same spec and seed.

use std::hint::black_box;

mod common;

use countshift::data::{Period, Series};
use countshift::model::{Family, ModelSpec, Term, fit};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// The series `countshift simulate --start 1 --periods n --terms trend,step@{n/2}
/// --coef 1,0.5/n,0.7 [--family negbin --theta 5] --seed 42` writes.
fn series(n: usize, family: Family) -> Series {
    let terms = vec![
        Term::Intercept,
        Term::Trend,
        Term::Step(Period::index(1 + n as i64 / 2)),
    ];
    common::simulated(Period::index(1), n, family, terms, vec![1.0, 0.5 / n as f64, 0.7], 42)
}

fn fits(c: &mut Criterion) {
    let mut group = c.benchmark_group("fit");
    group.sample_size(10);
    for family in [Family::Poisson, Family::Negbin] {
        for n in [240usize, 10_000, 1_000_000] {
            let data = series(n, family);
            let spec = ModelSpec {
                family,
                terms: vec![
                    Term::Intercept,
                    Term::Trend,
                    Term::Step(Period::index(1 + n as i64 / 2)),
                ],
                use_offset: false,
            };
            group.bench_with_input(BenchmarkId::new(family.name(), n), &data, |b, data| {
                b.iter(|| fit(black_box(&spec), black_box(data)).expect("fits"))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, fits);
criterion_main!(benches);
