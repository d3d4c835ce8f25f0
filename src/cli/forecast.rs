//! `countshift forecast` and `countshift backtest`.

use std::io::IsTerminal;

use clap::{Args, ValueEnum};
use countshift::data::{Period, Series};
use countshift::forecast::backtest::{BacktestSpec, DEFAULT_MODELS, ModelChoice, add_step_at_best_date, backtest};
use countshift::forecast::{ForecastSpec, FutureExposure, forecast};
use countshift::model::fit;
use countshift::report::forecast::{BacktestView, ForecastView};
use countshift::report::format::csv_number;

use super::model::ModelArgs;
use super::{DataArgs, Format, UsageError, emit, json};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Breaks {
    /// The model as given.
    None,
    /// Add a step at the break `detect` finds.
    Auto,
}

#[derive(Debug, Args)]
pub struct ForecastArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    model: ModelArgs,
    /// Periods ahead.
    #[arg(long, default_value_t = 12)]
    horizon: usize,
    /// Simulation draws.
    #[arg(long, default_value_t = 10_000)]
    draws: usize,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Add a step at the break that `detect` finds.
    #[arg(long, value_enum, default_value_t = Breaks::None)]
    breaks: Breaks,
    /// Future exposure: a CSV with `period,exposure` for every future period
    /// (default: the mean of the last 12 observed periods).
    #[arg(long, value_name = "FILE")]
    exposure_future: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

fn future_exposure(path: &str, series: &Series, horizon: usize) -> anyhow::Result<Vec<f64>> {
    let (bytes, name) = countshift::data::read::read_input(path)?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes.as_slice());
    let mut values = vec![None; horizon];
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| UsageError(format!("{name}: {e}")))?;
        let line = i + 2;
        let period = Period::parse_in(record.get(0).unwrap_or(""), series.frequency)
            .map_err(|e| UsageError(format!("{name}, line {line}: the period {e}")))?;
        let k = period.steps_since(series.last()) - 1;
        let value: f64 = record
            .get(1)
            .unwrap_or("")
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v > 0.0)
            .ok_or_else(|| UsageError(format!("{name}, line {line}: the exposure must be a positive number")))?;
        if (0..horizon as i64).contains(&k) {
            values[k as usize] = Some(value);
        }
    }
    values
        .iter()
        .enumerate()
        .map(|(k, v)| {
            v.ok_or_else(|| {
                UsageError(format!(
                    "{name} gives no exposure for {}; give one for every future period",
                    series.last().offset(k as i64 + 1)
                ))
                .into()
            })
        })
        .collect()
}

pub fn run_forecast(args: &ForecastArgs) -> anyhow::Result<()> {
    let series = args.data.load()?;
    let mut spec = args.model.spec_or(&series, "trend")?;
    let level = args.model.level()?;
    if let Breaks::Auto = args.breaks {
        add_step_at_best_date(&mut spec, &series)?;
    }
    let fitted = fit(&spec, &series)?;
    let exposure = match &args.exposure_future {
        Some(path) => FutureExposure::Values(future_exposure(path, &series, args.horizon)?),
        None => FutureExposure::LastYearMean,
    };
    let f = forecast(
        &fitted,
        &series,
        &ForecastSpec {
            horizon: args.horizon,
            draws: args.draws,
            seed: args.seed,
            level,
            exposure,
            parameter_uncertainty: true,
        },
    )?;
    let view = ForecastView::new(&f, &fitted, args.seed, level.value());
    match args.format {
        Format::Table => emit(&view.table(&series)),
        Format::Json => emit(&json(&view)?),
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([
                "period",
                "mean",
                "mean_ci_low",
                "mean_ci_high",
                "median",
                "lower_50",
                "upper_50",
                "lower_80",
                "upper_80",
                "lower_95",
                "upper_95",
            ])?;
            let fields = |label: String, p: &countshift::forecast::Predictive| {
                [
                    label,
                    csv_number(p.mean),
                    csv_number(p.mean_ci_low),
                    csv_number(p.mean_ci_high),
                    csv_number(p.median),
                    csv_number(p.lower_50),
                    csv_number(p.upper_50),
                    csv_number(p.lower_80),
                    csv_number(p.upper_80),
                    csv_number(p.lower_95),
                    csv_number(p.upper_95),
                ]
            };
            for r in &view.forecasts {
                w.write_record(fields(r.period.to_string(), &r.predictive))?;
            }
            w.write_record(fields("total".into(), &view.total))?;
            emit(&String::from_utf8(w.into_inner()?)?)
        }
    }
}

#[derive(Debug, Args)]
pub struct BacktestArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Models to compare, `family:terms` separated by commas (terms joined by `+`;
    /// `step@auto` places a step where `detect` finds one in each training window).
    #[arg(long, default_value = DEFAULT_MODELS)]
    models: String,
    /// First forecast origin (default: the period two thirds of the way through).
    #[arg(long, value_name = "PERIOD")]
    origin_from: Option<String>,
    /// Periods ahead.
    #[arg(long, default_value_t = 6)]
    horizon: usize,
    /// Simulation draws per forecast.
    #[arg(long, default_value_t = 2000)]
    draws: usize,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Do not use log(exposure) as an offset.
    #[arg(long)]
    no_offset: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub fn run_backtest(args: &BacktestArgs) -> anyhow::Result<()> {
    let series = args.data.load()?;
    let models = args
        .models
        .split(',')
        .filter(|m| !m.trim().is_empty())
        .map(ModelChoice::parse)
        .collect::<Result<Vec<_>, _>>()?;
    let origin_from = match &args.origin_from {
        Some(text) => {
            Period::parse_in(text, series.frequency).map_err(|e| UsageError(format!("--origin-from `{text}` {e}")))?
        }
        None => series.period(series.n_periods * 2 / 3),
    };
    let spec = BacktestSpec {
        models,
        origin_from,
        horizon: args.horizon,
        draws: args.draws,
        seed: args.seed,
        use_offset: !args.no_offset,
    };
    let origins = series
        .index_of(origin_from)
        .map_or(0, |o| series.n_periods.saturating_sub(o));
    let bar = (std::io::stderr().is_terminal() && origins > 0).then(|| {
        let bar = indicatif::ProgressBar::new(origins as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("backtest {bar:40} {pos}/{len} origins").expect("valid template"),
        );
        bar
    });
    let tick = || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let result = backtest(&series, &spec, &tick);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let view = BacktestView::new(&result?, args.horizon);
    match args.format {
        Format::Table => emit(&view.table()),
        Format::Json => emit(&json(&view)?),
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            for r in &view.rows {
                w.serialize(r)?;
            }
            emit(&String::from_utf8(w.into_inner()?)?)
        }
    }
}
