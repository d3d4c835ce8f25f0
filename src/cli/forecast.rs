//! `countshift forecast` and `countshift backtest`.

use std::io::IsTerminal;

use clap::{Args, ValueEnum};
use countshift::data::{Period, Series};
use countshift::forecast::backtest::{
    BacktestSpec, DEFAULT_MODELS, ModelChoice, add_step_at_best_date, backtest, default_baselines, default_origin_from,
};
use countshift::forecast::baseline::Baseline;
use countshift::forecast::{ForecastSpec, FutureExposure, forecast};
use countshift::inference::Level;
use countshift::model::fit;
use countshift::report::forecast::{BacktestView, ForecastView};

use super::many::{ManyArgs, emit_many, many_view, outcomes, series_seed};
use super::model::ModelArgs;
use super::{DataArgs, Format, Loaded, UsageError, emit, emit_json_as, limits};

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
    #[arg(long, default_value_t = countshift::forecast::DEFAULT_HORIZON, value_parser = limits::horizon())]
    horizon: usize,
    /// Simulation draws.
    #[arg(long, default_value_t = countshift::forecast::DEFAULT_DRAWS, value_parser = limits::draws())]
    draws: usize,
    /// Random seed.
    #[arg(long, default_value_t = 1, value_parser = limits::seed(), allow_hyphen_values = true)]
    seed: u64,
    /// Add a step at the break that `detect` finds.
    #[arg(long, value_enum, default_value_t = Breaks::None)]
    breaks: Breaks,
    /// Future exposure: a CSV with `period,exposure` for every future period
    /// (default: the mean of the last 12 observed periods).
    #[arg(long, value_name = "FILE")]
    exposure_future: Option<String>,
    #[command(flatten)]
    many: ManyArgs,
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
        let period = Period::parse_in(record.get(0).unwrap_or(""), series.frequency())
            .map_err(|e| UsageError(format!("{name}, line {line}: the period {e}")))?;
        let k = period.steps_since(series.last()) - 1;
        let value: f64 = record
            .get(1)
            .unwrap_or("")
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v > 0.0)
            .ok_or_else(|| UsageError(format!("{name}, line {line}: the exposure must be a positive number")))?;
        if !(0..horizon as i64).contains(&k) {
            return Err(UsageError(format!(
                "{name}, line {line}: {period} is not one of the {horizon} forecast periods ({} to {}); give exposure for those periods only",
                series.last().offset(1),
                series.last().offset(horizon as i64)
            ))
            .into());
        }
        if values[k as usize].replace(value).is_some() {
            return Err(UsageError(format!(
                "{name}, line {line}: {period} is given twice; give each future period once"
            ))
            .into());
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
    limits::check_drawn_values(args.draws, args.horizon).map_err(UsageError)?;
    match args.data.load_any()? {
        Loaded::One { series, key } => {
            let (view, series) = (
                forecast_view(&series, args, series_seed(args.seed, key.as_deref()))?,
                series,
            );
            match args.format {
                Format::Table => emit(&view.table(&series)),
                Format::Json | Format::Jsonl => emit_json_as(args.format, &view),
                Format::Csv => emit(&view.csv()),
            }
        }
        Loaded::Many(members) => {
            if args.exposure_future.is_some() {
                return Err(UsageError(
                    "--exposure-future gives one series' future; over many series, forecast each with --key NAME"
                        .into(),
                )
                .into());
            }
            let results = outcomes(&members, args.seed, |s, seed| forecast_view(s, args, seed))?;
            emit_many(
                &many_view("forecast", &members, results, &args.many, Vec::new()),
                args.format,
            )
        }
    }
}

/// One series' forecast, seeded `seed`.
fn forecast_view(series: &Series, args: &ForecastArgs, seed: u64) -> anyhow::Result<ForecastView> {
    let mut spec = args.model.spec_or(series, "trend")?;
    let level = args.model.level();
    if let Breaks::Auto = args.breaks {
        add_step_at_best_date(&mut spec, series)?;
    }
    let fitted = fit(&spec, series)?;
    let exposure = match &args.exposure_future {
        Some(_) if !(series.has_exposure() && fitted.offset_used()) => {
            return Err(UsageError(
                "--exposure-future is given, but the model has no exposure offset (the series has no exposure column, or --no-offset); drop it".into(),
            )
            .into());
        }
        Some(path) => FutureExposure::Values(future_exposure(path, series, args.horizon)?),
        None => FutureExposure::LastYearMean,
    };
    let f = forecast(
        &fitted,
        series,
        &ForecastSpec {
            horizon: args.horizon,
            draws: args.draws,
            seed,
            level,
            exposure,
            parameter_uncertainty: true,
        },
    )?;
    Ok(ForecastView::new(&f, &fitted, seed, level.value()))
}

#[derive(Debug, Args)]
pub struct BacktestArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Models to compare, `family:terms` separated by commas (terms joined by `+`;
    /// `step@auto` places a step where `detect` finds one in each training window).
    #[arg(long, default_value = DEFAULT_MODELS)]
    models: String,
    /// First forecast origin (default: the period two thirds of the way
    /// through, or later so that at most the last 120 periods are forecast).
    #[arg(long, value_name = "PERIOD")]
    origin_from: Option<String>,
    /// Naive baselines scored beside the models: `auto` (last, mean6, and
    /// seasonal when the frequency has a season and two seasons precede the
    /// first origin), `none`, or a list of `last`, `meanK` (the mean of the
    /// last K), `seasonal`.
    #[arg(long, default_value = "auto", value_name = "LIST")]
    baselines: String,
    /// Periods ahead.
    #[arg(long, default_value_t = countshift::forecast::backtest::DEFAULT_HORIZON, value_parser = limits::horizon())]
    horizon: usize,
    /// Draws per forecast: the parameter draws whose predictive mixture
    /// gives the log score and RPS (all of them), and the simulated counts
    /// of the intervals. Their Monte Carlo standard errors shrink as
    /// 1/sqrt(draws).
    #[arg(long, default_value_t = countshift::forecast::backtest::DEFAULT_DRAWS, value_parser = limits::draws())]
    draws: usize,
    /// Level of the paired comparison: models are tied for best unless the
    /// test rejects equal mean RPS at 1 - level.
    #[arg(long, default_value = "0.95", value_parser = limits::level(), allow_hyphen_values = true)]
    level: Level,
    /// Random seed.
    #[arg(long, default_value_t = 1, value_parser = limits::seed(), allow_hyphen_values = true)]
    seed: u64,
    /// Do not use log(exposure) as an offset.
    #[arg(long)]
    no_offset: bool,
    #[command(flatten)]
    many: ManyArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub fn run_backtest(args: &BacktestArgs) -> anyhow::Result<()> {
    limits::check_drawn_values(args.draws, args.horizon).map_err(UsageError)?;
    let names: Vec<&str> = args
        .models
        .split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .collect();
    if let Some((i, name)) = names.iter().enumerate().find(|(i, m)| names[..*i].contains(m)) {
        return Err(UsageError(format!(
            "--models lists `{name}` twice (entries {} and {}); list each model once",
            names.iter().position(|m| m == name).unwrap_or(0) + 1,
            i + 1
        ))
        .into());
    }
    let models = names
        .into_iter()
        .map(ModelChoice::parse)
        .collect::<Result<Vec<_>, _>>()?;
    let one = |series: &Series, seed: u64, progress: bool| -> anyhow::Result<BacktestView> {
        let origin_from = match &args.origin_from {
            Some(text) => Period::parse_in(text, series.frequency())
                .map_err(|e| UsageError(format!("--origin-from `{text}` {e}")))?,
            None => default_origin_from(series),
        };
        let baselines = match args.baselines.trim() {
            "auto" => default_baselines(series, origin_from),
            "none" | "" => Vec::new(),
            list => list.split(',').map(Baseline::parse).collect::<Result<Vec<_>, _>>()?,
        };
        let spec = BacktestSpec {
            models: models.clone(),
            baselines,
            origin_from,
            horizon: args.horizon,
            draws: args.draws,
            seed,
            use_offset: !args.no_offset,
            level: args.level,
        };
        let result = if progress {
            let origins = series
                .index_of(origin_from)
                .map_or(0, |o| series.n_periods().saturating_sub(o));
            let bar = BacktestProgress::new(origins, "the backtest");
            let result = backtest(series, &spec, &|| bar.tick());
            bar.finish();
            result
        } else {
            backtest(series, &spec, &|| {})
        };
        Ok(BacktestView::new(&result?, args.horizon))
    };
    match args.data.load_any()? {
        Loaded::One { series, key } => {
            let view = one(&series, series_seed(args.seed, key.as_deref()), true)?;
            match args.format {
                Format::Table => emit(&view.table()),
                Format::Json | Format::Jsonl => emit_json_as(args.format, &view),
                Format::Csv => emit(&view.csv()),
            }
        }
        Loaded::Many(members) => {
            let results = outcomes(&members, args.seed, |s, seed| one(s, seed, false))?;
            emit_many(
                &many_view("backtest", &members, results, &args.many, Vec::new()),
                args.format,
            )
        }
    }
}

/// A backtest's progress on stderr: a bar on a terminal; elsewhere (a
/// script, a pipe) one line early on when the whole is expected to take over
/// 10 s, so that a long run does not look like a hang. The prediction is the
/// time between the first and the second wave of finished origins (as many
/// as there are threads), so that work done before the backtest (the
/// report's other steps) does not count.
pub(crate) struct BacktestProgress {
    bar: Option<indicatif::ProgressBar>,
    origins: usize,
    what: &'static str,
    first_wave: std::sync::OnceLock<std::time::Instant>,
    done: std::sync::atomic::AtomicUsize,
}

impl BacktestProgress {
    pub(crate) fn new(origins: usize, what: &'static str) -> BacktestProgress {
        let bar = (std::io::stderr().is_terminal() && origins > 0).then(|| {
            let bar = indicatif::ProgressBar::new(origins as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template("backtest {bar:40} {pos}/{len} origins")
                    .expect("valid template"),
            );
            bar
        });
        BacktestProgress {
            bar,
            origins,
            what,
            first_wave: std::sync::OnceLock::new(),
            done: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// One origin finished.
    pub(crate) fn tick(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
            return;
        }
        let wave = rayon::current_num_threads().max(1);
        let done = self.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if done == wave {
            self.first_wave.get_or_init(std::time::Instant::now);
        } else if done == 2 * wave
            && let Some(first) = self.first_wave.get()
        {
            let expected = first.elapsed().as_secs_f64() * self.origins as f64 / wave as f64;
            if expected > 10.0 {
                eprintln!(
                    "countshift: {} ({} origins) should take about {expected:.0} s",
                    self.what, self.origins
                );
            }
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
