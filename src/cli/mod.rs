//! Command-line arguments (clap) and their translation into library calls.

mod aggregate;
mod datasets;
mod detect;
mod errors;
mod forecast;
mod inspect;
mod limits;
mod many;
mod model;
mod report;
mod simulate;
mod test;

use std::io::Write;

use clap::{Args, Parser, Subcommand, ValueEnum};
use countshift::data::read::read_input;
use countshift::data::{
    DEFAULT_DATASET, Frequency, Keyed, Layout, ReadOptions, Series, SeriesFile, load_dataset_with, read_series_file,
};

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
    /// The column of counts, when it is not named `count`.
    #[arg(long, value_name = "COLUMN")]
    count: Option<String>,
    /// A long file of many series: the column naming each row's series
    /// (default: `series`, when the file has it).
    #[arg(long, value_name = "COLUMN", conflicts_with_all = ["wide", "columns"])]
    by: Option<String>,
    /// A wide file of many series: every column but the period and the
    /// exposure is a series.
    #[arg(long, conflicts_with = "columns")]
    wide: bool,
    /// A wide file of many series: these columns are the series (the others
    /// are covariates they share).
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    columns: Vec<String>,
    /// Run one series of a file of many as the many-series run does (its
    /// seed stream comes from --seed and the key); on a file of one series,
    /// seed it as the series of that key.
    #[arg(long, value_name = "NAME")]
    key: Option<String>,
}

/// What a command reads.
pub enum Loaded {
    /// One series, with the key it runs as (from `--key`).
    One { series: Box<Series>, key: Option<String> },
    /// Many series.
    Many(Vec<Keyed>),
}

impl DataArgs {
    fn options(&self) -> ReadOptions {
        ReadOptions {
            count: self.count.clone(),
            ..read_options(self.frequency)
        }
    }

    fn layout(&self) -> Layout {
        if let Some(key) = &self.by {
            Layout::Long { key: key.clone() }
        } else if self.wide || !self.columns.is_empty() {
            Layout::Wide {
                columns: self.columns.clone(),
            }
        } else {
            Layout::Auto
        }
    }

    /// One series: a file of many needs `--key`.
    fn load(&self) -> anyhow::Result<Series> {
        match self.load_any()? {
            Loaded::One { series, .. } => Ok(*series),
            Loaded::Many(members) => Err(UsageError(format!(
                "{} holds {} series ({}); this command reads one, so choose it with --key NAME",
                self.data.as_deref().unwrap_or_default(),
                members.len(),
                key_list(&members)
            ))
            .into()),
        }
    }

    /// One series or many; `--key` picks one of many.
    fn load_any(&self) -> anyhow::Result<Loaded> {
        let options = self.options();
        let file = match (&self.data, &self.dataset) {
            (Some(path), _) => {
                let (bytes, name) = read_input(path)?;
                read_series_file(&bytes, &name, &options, &self.layout())?
            }
            (None, Some(name)) => SeriesFile::One(Box::new(load_dataset_with(name, &options)?)),
            (None, None) => SeriesFile::One(Box::new(load_dataset_with(DEFAULT_DATASET, &options)?)),
        };
        Ok(match (file, &self.key) {
            (SeriesFile::One(series), key) => Loaded::One {
                series,
                key: key.clone(),
            },
            (SeriesFile::Many(members), None) => Loaded::Many(members),
            (SeriesFile::Many(members), Some(key)) => {
                let list = key_list(&members);
                let chosen = members.into_iter().find(|m| &m.key == key).ok_or_else(|| {
                    UsageError(format!(
                        "{} has no series `{key}`; the series are {list}",
                        self.data.as_deref().unwrap_or_default()
                    ))
                })?;
                Loaded::One {
                    series: Box::new(chosen.series),
                    key: Some(chosen.key),
                }
            }
        })
    }
}

/// The keys of `members`, the first few.
fn key_list(members: &[Keyed]) -> String {
    let mut list: Vec<&str> = members.iter().take(8).map(|m| m.key.as_str()).collect();
    if members.len() > 8 {
        list.push("...");
    }
    list.join(", ")
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
    /// One JSON object per line: one per series over many series (then
    /// the summary), the one object on one line otherwise.
    Jsonl,
}

/// Writes `text` to standard output.
fn emit(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Writes pretty JSON of `view` to standard output as it is serialised,
/// so a large result (10^6 observations, many series) is never held whole
/// as text.
fn emit_json<T: serde::Serialize>(view: &T) -> anyhow::Result<()> {
    emit_json_as(Format::Json, view)
}

/// [`emit_json`] as `format` asks: pretty, or one line for `jsonl`.
fn emit_json_as<T: serde::Serialize>(format: Format, view: &T) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match format {
        Format::Jsonl => serde_json::to_writer(&mut out, view),
        _ => serde_json::to_writer_pretty(&mut out, view),
    }
    .map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
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
