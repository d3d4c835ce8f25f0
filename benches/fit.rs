//! Fitting Poisson and NB2 trend-and-step models (3 coefficients) at
//! n = 240, 10^4, 10^6. The data are drawn by the library with a fixed seed: the
//! same spec drawn with the same seed.

use std::hint::black_box;

use countshift::data::{Observation, Period, Series};
use countshift::model::{Family, ModelSpec, Term, fit};
use countshift::simulate::{SimulationSpec, draw, period_means};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The series `countshift simulate --start 1 --periods n --terms trend,step@{n/2}
/// --coef 1,0.5/n,0.7 [--family negbin --theta 5] --seed 42` writes.
pub fn series(n: usize, family: Family) -> Series {
    let mut template = Series::template(Period::index(1), n);
    let terms = vec![
        Term::Intercept,
        Term::Trend,
        Term::Step(Period::index(1 + n as i64 / 2)),
    ];
    let spec = SimulationSpec {
        family,
        terms,
        coefficients: vec![1.0, 0.5 / n as f64, 0.7],
        theta: Some(5.0),
        sigma: None,
        use_offset: false,
    };
    let means = period_means(&spec, &template).expect("valid spec");
    let counts = draw(&spec, &means, &mut ChaCha8Rng::seed_from_u64(42)).expect("valid means");
    template.observations = counts
        .into_iter()
        .enumerate()
        .map(|(t, y)| Observation {
            periods: vec![t],
            y,
            exposure: None,
            line: t as u64 + 2,
        })
        .collect();
    template
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
