//! Running a command over every series of a file of many: in parallel,
//! each series with its own seed stream (from `--seed` and its key), its
//! own family choice, and the multiplicity across series.

use clap::{Args, ValueEnum};
use countshift::data::{Keyed, Series, key_seed};
use countshift::inference::multiplicity::FdrMethod;
use countshift::report::many::{ManyView, Multiplicity, Outcome, SeriesResult};
use rayon::prelude::*;

use super::{Format, UsageError, emit, emit_json, limits};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FdrArg {
    /// Benjamini-Hochberg: independent or positively dependent series.
    Bh,
    /// Benjamini-Yekutieli: any dependence (series sharing attack waves).
    By,
}

/// Options of a run over many series.
#[derive(Debug, Clone, Args)]
pub struct ManyArgs {
    /// False discovery rate at which series are flagged (many series).
    #[arg(long, default_value = "0.05", value_parser = limits::probability(), allow_hyphen_values = true)]
    pub fdr: f64,
    /// The q-values' procedure (many series).
    #[arg(long, value_enum, default_value_t = FdrArg::Bh)]
    pub fdr_method: FdrArg,
}

impl Default for ManyArgs {
    /// As the command line's defaults.
    fn default() -> ManyArgs {
        ManyArgs {
            fdr: 0.05,
            fdr_method: FdrArg::Bh,
        }
    }
}

impl ManyArgs {
    pub fn multiplicity(&self) -> Multiplicity {
        Multiplicity {
            fdr: self.fdr,
            method: match self.fdr_method {
                FdrArg::Bh => FdrMethod::Bh,
                FdrArg::By => FdrMethod::By,
            },
        }
    }
}

/// The seed of one series: `--seed` itself for a file of one series run
/// without `--key`, else the key's own stream.
pub fn series_seed(seed: u64, key: Option<&str>) -> u64 {
    key.map_or(seed, |k| key_seed(seed, k))
}

/// Runs `one` on every series (in parallel; each result depends on its
/// series, key and seed alone). An error a user can fix skips the series
/// with its reason; any other stops the run, naming the series.
pub fn outcomes<V: Send>(
    members: &[Keyed],
    seed: u64,
    one: impl Fn(&Series, u64) -> anyhow::Result<V> + Sync,
) -> anyhow::Result<Vec<Outcome<V>>> {
    let results: Vec<anyhow::Result<Outcome<V>>> = members
        .par_iter()
        .map(|m| match one(&m.series, key_seed(seed, &m.key)) {
            Ok(v) => Ok(Outcome::Done(v)),
            Err(e) if is_users(&e) => Ok(Outcome::Skipped(e.to_string())),
            Err(e) => Err(e.context(format!("series `{}`", m.key))),
        })
        .collect();
    results.into_iter().collect()
}

fn is_users(e: &anyhow::Error) -> bool {
    e.downcast_ref::<UsageError>().is_some()
        || e.downcast_ref::<countshift::Error>()
            .is_some_and(countshift::Error::is_bad_input)
}

/// Writes a many-series view in `format`.
pub fn emit_many<V: SeriesResult + Clone + serde::Serialize>(view: &ManyView<V>, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => emit_json(view),
        Format::Jsonl => {
            use std::io::Write;
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            for entry in &view.series {
                serde_json::to_writer(&mut out, entry).map_err(std::io::Error::from)?;
                out.write_all(b"\n")?;
            }
            serde_json::to_writer(&mut out, &serde_json::json!({ "summary": &view.summary }))
                .map_err(std::io::Error::from)?;
            out.write_all(b"\n")?;
            out.flush()?;
            Ok(())
        }
        Format::Csv => emit(&view.summary.csv()),
        Format::Table => emit(&view.summary.table(view.command)),
    }
}

/// The view of a run over `members`.
pub fn many_view<V: SeriesResult + Clone>(
    command: &'static str,
    members: &[Keyed],
    outcomes: Vec<Outcome<V>>,
    args: &ManyArgs,
    notes: Vec<String>,
) -> ManyView<V> {
    let keys: Vec<String> = members.iter().map(|m| m.key.clone()).collect();
    let sizes: Vec<usize> = members.iter().map(|m| m.series.n_obs()).collect();
    ManyView::new(command, &keys, &sizes, outcomes, args.multiplicity(), notes)
}
