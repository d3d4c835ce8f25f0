//! Forecasting 12 periods ahead with 10^4 simulation draws (coefficient
//! draws mixed with count draws), for Poisson and NB2 trend models fitted to
//! 120 periods. The fit is made outside the timed closure. And the default
//! backtest of `kn23_monthly` (4 models, 3 baselines, 12 origins, horizon 6,
//! 2,000 draws), whose NB models' heavy-tailed predictives make the RPS sums
//! most of its time.

use std::hint::black_box;

mod common;

use countshift::data::{Period, Series, load_dataset};
use countshift::forecast::backtest::{BacktestSpec, DEFAULT_MODELS, ModelChoice, backtest, default_baselines};
use countshift::forecast::{ForecastSpec, FutureExposure, forecast};
use countshift::inference::Level;
use countshift::model::{Family, ModelSpec, Term, fit};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// 120 months drawn from `log mu = log 10 + 0.01 t` (NB with theta 5).
fn series(family: Family) -> Series {
    let terms = vec![Term::Intercept, Term::Trend];
    common::simulated(Period::month(2015, 1), 120, family, terms, vec![10f64.ln(), 0.01], 5)
}

fn forecasts(c: &mut Criterion) {
    let mut group = c.benchmark_group("forecast_h12");
    group.sample_size(20);
    for family in [Family::Poisson, Family::Negbin] {
        let data = series(family);
        let model = ModelSpec {
            family,
            terms: vec![Term::Intercept, Term::Trend],
            use_offset: false,
        };
        let fitted = fit(&model, &data).expect("fits");
        let spec = ForecastSpec {
            horizon: 12,
            draws: 10_000,
            seed: 1,
            level: Level::default(),
            exposure: FutureExposure::LastYearMean,
            parameter_uncertainty: true,
        };
        group.bench_with_input(BenchmarkId::new(family.name(), "draws10000"), &fitted, |b, f| {
            b.iter(|| forecast(black_box(f), &data, &spec).expect("forecasts"))
        });
    }
    group.finish();
}

fn backtests(c: &mut Criterion) {
    let mut group = c.benchmark_group("backtest_kn23_monthly");
    group.sample_size(10);
    let data = load_dataset("kn23_monthly").expect("embedded");
    let origin_from = data.period(data.n_periods() * 2 / 3);
    let spec = BacktestSpec {
        models: DEFAULT_MODELS
            .split(',')
            .map(ModelChoice::parse)
            .collect::<Result<_, _>>()
            .expect("default models"),
        baselines: default_baselines(&data, origin_from),
        origin_from,
        horizon: 6,
        draws: 2000,
        seed: 1,
        use_offset: true,
        level: Level::default(),
    };
    group.bench_with_input(BenchmarkId::new("default", "draws2000"), &spec, |b, s| {
        b.iter(|| backtest(black_box(&data), s, &|| {}).expect("backtests"))
    });
    group.finish();
}

criterion_group!(benches, forecasts, backtests);
criterion_main!(benches);
