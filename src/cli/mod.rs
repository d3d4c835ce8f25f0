//! Command-line arguments (clap) and their translation into library calls.

mod aggregate;
mod datasets;
mod detect;
mod errors;
mod forecast;
mod inspect;
mod limits;
mod model;
mod report;
mod simulate;
mod test;

use std::io::Write;

use clap::{Args, Parser, Subcommand, ValueEnum};
use countshift::data::{DEFAULT_DATASET, Frequency, ReadOptions, Series, load_dataset_with, read_series_path_with};

/// A usage problem found after parsing (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Trend and change-point models for count time series.
///
/// With no subcommand, countshift reports on the embedded default data
/// (KN-23 launches in 2024 as reported).
#[derive(Debug, Parser)]
#[command(name = "countshift", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show what was understood from a series file.
    Inspect(inspect::InspectArgs),
    /// Turn an event log into a series file.
    Aggregate(Box<aggregate::AggregateArgs>),
    /// List the embedded datasets.
    Datasets(datasets::DatasetsArgs),
    /// Fit a trend model (Poisson, negative binomial, Gaussian).
    Fit(Box<model::FitArgs>),
    /// Test for a step in the rate at a known date.
    Test(Box<test::TestArgs>),
    /// Find breaks at unknown dates (one with p-value, or several by DP / PELT).
    Detect(Box<detect::DetectArgs>),
    /// Forecast with prediction intervals.
    Forecast(Box<forecast::ForecastArgs>),
    /// Compare models by rolling-origin forecasts.
    Backtest(Box<forecast::BacktestArgs>),
    /// Draw a series from a model spec (seeded).
    Simulate(Box<simulate::SimulateArgs>),
    /// Every question in order, in text, and with --out an HTML report with plots.
    Report(Box<report::ReportArgs>),
}

/// A frequency on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FrequencyArg {
    /// Days (`YYYY-MM-DD`).
    Day,
    /// ISO weeks, Monday to Sunday (`YYYY-Www`).
    Week,
    /// Months (`YYYY-MM`).
    Month,
    /// Quarters (`YYYY-Qn`).
    Quarter,
    /// Years (`YYYY`).
    Year,
}

impl From<FrequencyArg> for Frequency {
    fn from(f: FrequencyArg) -> Frequency {
        match f {
            FrequencyArg::Day => Frequency::Daily,
            FrequencyArg::Week => Frequency::Weekly,
            FrequencyArg::Month => Frequency::Monthly,
            FrequencyArg::Quarter => Frequency::Quarterly,
            FrequencyArg::Year => Frequency::Yearly,
        }
    }
}

/// The reading options of `--frequency`.
fn read_options(frequency: Option<FrequencyArg>) -> ReadOptions {
    ReadOptions {
        frequency: frequency.map(Frequency::from),
        count: None,
    }
}

/// Where the series comes from.
#[derive(Debug, Clone, Default, Args)]
pub struct DataArgs {
    /// Series CSV file (`-` for standard input); the embedded default when absent.
    #[arg(long, value_name = "FILE", conflicts_with = "dataset")]
    data: Option<String>,
    /// An embedded dataset (see `countshift datasets`).
    #[arg(long, value_name = "NAME")]
    dataset: Option<String>,
    /// Read the file's dates (YYYY-MM-DD) as days, ISO weeks, months, quarters
    /// or years, each date standing for the period that holds it (default:
    /// inferred from the dates; `inspect` says how).
    #[arg(long, value_enum, value_name = "UNIT")]
    frequency: Option<FrequencyArg>,
}

impl DataArgs {
    fn load(&self) -> anyhow::Result<Series> {
        let options = read_options(self.frequency);
        Ok(match (&self.data, &self.dataset) {
            (Some(path), _) => read_series_path_with(path, &options)?,
            (None, Some(name)) => load_dataset_with(name, &options)?,
            (None, None) => load_dataset_with(DEFAULT_DATASET, &options)?,
        })
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text for people.
    Table,
    /// One JSON object for programs.
    Json,
    /// CSV rows.
    Csv,
}

/// Writes `text` to standard output.
fn emit(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Pretty JSON of a view, with a final newline.
fn json<T: serde::Serialize>(view: &T) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(view)? + "\n")
}

/// Runs one invocation.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    use errors::{Command as Kind, explained};
    let kind = match &cli.command {
        None | Some(Command::Forecast(_) | Command::Backtest(_) | Command::Report(_)) => Kind::Forecasting,
        Some(Command::Simulate(_)) => Kind::Simulate,
        Some(_) => Kind::Other,
    };
    run_command(cli).map_err(|e| explained(e, kind))
}

fn run_command(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => report::main_job(),
        Some(Command::Inspect(args)) => inspect::run(&args),
        Some(Command::Aggregate(args)) => aggregate::run(&args),
        Some(Command::Datasets(args)) => datasets::run(&args),
        Some(Command::Fit(args)) => model::run_fit(&args),
        Some(Command::Test(args)) => test::run(&args),
        Some(Command::Simulate(args)) => simulate::run(&args),
        Some(Command::Detect(args)) => detect::run(&args),
        Some(Command::Forecast(args)) => forecast::run_forecast(&args),
        Some(Command::Backtest(args)) => forecast::run_backtest(&args),
        Some(Command::Report(args)) => report::run(&args),
    }
}

/// Text echoed to the terminal made safe to print: control characters
/// (terminal escape sequences among them) are written as `\xNN` or
/// `\u{NNNN}`, line breaks too unless `multiline`; a quoted value (between
/// backticks) longer than [`ECHO_MAX`] characters is cut, so a 100 MB cell
/// gives a line that fits on a screen.
pub fn terminal_safe(text: &str, multiline: bool) -> String {
    let mut out = String::with_capacity(text.len().min(4 * ECHO_MAX));
    let mut quoted = 0usize;
    let mut inside = false;
    for c in text.chars() {
        if c == '`' {
            inside = !inside;
            quoted = 0;
        } else if inside {
            quoted += 1;
            if quoted > ECHO_MAX {
                if quoted == ECHO_MAX + 1 {
                    out.push('…');
                }
                continue;
            }
        }
        match c {
            '\n' if multiline => out.push('\n'),
            c if c.is_control() && (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Longest quoted value echoed in full.
pub const ECHO_MAX: usize = 60;
