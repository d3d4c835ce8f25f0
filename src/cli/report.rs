//! `countshift report`, and the main job (the report on the default data).

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use countshift::changepoint::single::DEFAULT_BOOTSTRAP;
use countshift::data::Period;
use countshift::data::{Keyed, Series};
use countshift::forecast::backtest::default_origin_from;
use countshift::inference::Level;
use countshift::model::Family;
use countshift::report::analysis::{ReportSpec, build_report, build_report_with};
use countshift::report::format::counted_s;
use countshift::report::html::write_report;

use super::many::{ManyArgs, emit_many, many_view, outcomes, series_seed};
use super::test::known_date;
use super::{DataArgs, Format, Loaded, UsageError, emit, json, limits};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportFamily {
    /// NB when Dean's test rejects Poisson at 1% in a step's fullest model with at least 10 residual df.
    Auto,
    Poisson,
    Negbin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    /// The report for people.
    Table,
    /// Every step's JSON in one object.
    Json,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Known date to test: the first period of the new regime (default: the
    /// embedded dataset's date; none for a file).
    #[arg(long, value_name = "PERIOD")]
    at: Option<String>,
    /// Family of the tests and the break search.
    #[arg(long, value_enum, default_value_t = ReportFamily::Auto)]
    family: ReportFamily,
    /// Confidence level.
    #[arg(long, default_value = "0.95", value_parser = limits::level(), allow_hyphen_values = true)]
    level: Level,
    /// Bootstrap replicates of the break search.
    #[arg(long, default_value_t = DEFAULT_BOOTSTRAP, value_parser = limits::bootstrap())]
    bootstrap: usize,
    /// Draws per forecast.
    #[arg(long, default_value_t = countshift::forecast::DEFAULT_DRAWS, value_parser = limits::draws())]
    draws: usize,
    /// Random seed.
    #[arg(long, default_value_t = 1, value_parser = limits::seed(), allow_hyphen_values = true)]
    seed: u64,
    /// Also write index.html, report.json and the SVG plots into DIR.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    #[command(flatten)]
    many: ManyArgs,
    /// Output format on standard output.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
}

/// Colour only on a terminal, and never when NO_COLOR is set (no-color.org).
fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The report's settings for `series`, with `seed`.
fn spec(args: &ReportArgs, series: &Series, seed: u64) -> anyhow::Result<ReportSpec> {
    let at = match args.at.as_deref().or_else(|| known_date(&args.data)) {
        Some(text) => {
            Some(Period::parse_in(text, series.frequency()).map_err(|e| UsageError(format!("--at `{text}` {e}")))?)
        }
        None => None,
    };
    Ok(ReportSpec {
        family: match args.family {
            ReportFamily::Auto => None,
            ReportFamily::Poisson => Some(Family::Poisson),
            ReportFamily::Negbin => Some(Family::Negbin),
        },
        level: args.level,
        bootstrap: args.bootstrap,
        draws: args.draws,
        seed,
        ..ReportSpec::new(at)
    })
}

pub fn run(args: &ReportArgs) -> anyhow::Result<()> {
    let (series, key) = match args.data.load_any()? {
        Loaded::One { series, key } => (series, key),
        Loaded::Many(members) => return run_many(args, &members),
    };
    let spec = spec(args, &series, series_seed(args.seed, key.as_deref()))?;
    // The backtest is the report's longest step.
    let origins = series
        .index_of(default_origin_from(&series))
        .map_or(0, |o| series.n_periods() - o);
    let progress = super::forecast::BacktestProgress::new(origins, "the report's backtest");
    let report = build_report_with(&series, &spec, &|| progress.tick());
    progress.finish();
    let report = report?;
    let mut out = match args.format {
        ReportFormat::Table => report.text(&series, use_color()),
        ReportFormat::Json => json(&report)?,
    };
    if let Some(dir) = &args.out {
        let written = write_report(dir, &report, &series)?;
        if args.format == ReportFormat::Table {
            let mut notes = Vec::new();
            if written.replaced > 0 {
                notes.push(format!("{} replaced", counted_s(written.replaced, "existing file")));
            }
            if !written.removed.is_empty() {
                notes.push(format!(
                    "{} of the earlier report removed",
                    counted_s(written.removed.len(), "file")
                ));
            }
            let notes = if notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", notes.join("; "))
            };
            out += &format!(
                "\nwrote {} to {}{notes}: open {}\n",
                counted_s(written.files.len(), "file"),
                dir.display(),
                written.files[0].display()
            );
        }
    }
    emit(&out)
}

/// The report on every series of a file of many: its JSON (each series'
/// report as `report --key` writes it), or the summary table. The page
/// for many series is not written yet, so `--out` is refused.
fn run_many(args: &ReportArgs, members: &[Keyed]) -> anyhow::Result<()> {
    if args.out.is_some() {
        return Err(UsageError(
            "--out writes the page of one series; over many series write the JSON (--format json) or give --key NAME for one of them".into(),
        )
        .into());
    }
    let results = outcomes(members, args.seed, |series, seed| {
        Ok(build_report(series, &spec(args, series, seed)?)?)
    })?;
    let format = match args.format {
        ReportFormat::Table => Format::Table,
        ReportFormat::Json => Format::Json,
    };
    emit_many(&many_view("report", members, results, &args.many, Vec::new()), format)
}

/// The main job: the report on the embedded default data.
pub fn main_job() -> anyhow::Result<()> {
    run(&ReportArgs {
        data: DataArgs::default(),
        at: None,
        family: ReportFamily::Auto,
        level: Level::default(),
        bootstrap: DEFAULT_BOOTSTRAP,
        draws: countshift::forecast::DEFAULT_DRAWS,
        seed: 1,
        out: None,
        many: ManyArgs::default(),
        format: ReportFormat::Table,
    })
}
