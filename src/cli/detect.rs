//! `countshift detect`: breaks at unknown dates.

use clap::{Args, ValueEnum};
use countshift::changepoint::multiple::{Criterion, Penalty, Search, detect_multiple};
use countshift::changepoint::single::{DetectSpec, GammaPrior, detect_single};
use countshift::report::detect::DetectView;

use super::model::ModelArgs;
use super::{DataArgs, Format, UsageError, emit, json};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Method {
    /// Exact dynamic programme for 0..K breaks (one break: the full scan with p-value).
    Dp,
    /// PELT with a penalty per break.
    Pelt,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Select {
    Bic,
    Mbic,
}

#[derive(Debug, Args)]
pub struct DetectArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    model: ModelArgs,
    /// Fewest observations in a segment (default: 15% of the observations, at least 2; for PELT, 2).
    #[arg(long, value_name = "N")]
    min_segment: Option<usize>,
    /// Largest number of breaks (1: one break with p-value, date set and posterior).
    #[arg(long, default_value_t = 1, value_name = "K")]
    max_breaks: usize,
    /// Search method for several breaks.
    #[arg(long, value_enum, default_value_t = Method::Dp)]
    method: Method,
    /// PELT penalty per break: bic, mbic or a number.
    #[arg(long, default_value = "mbic")]
    penalty: String,
    /// Criterion choosing the number of breaks (dp).
    #[arg(long, value_enum, default_value_t = Select::Bic)]
    select: Select,
    /// Bootstrap replicates for the p-value and the date set (0: asymptotic only).
    #[arg(long, default_value_t = 999)]
    bootstrap: usize,
    /// Random seed of the bootstrap.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Gamma prior shape on segment rates (closed-form posterior).
    #[arg(long, default_value_t = 0.5)]
    prior_shape: f64,
    /// Gamma prior rate on segment rates (0: the improper limit).
    #[arg(long, default_value_t = 0.0)]
    prior_rate: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub fn run(args: &DetectArgs) -> anyhow::Result<()> {
    let series = args.data.load()?;
    let model = args.model.spec_or(&series, "")?;
    let level = args.model.level()?;
    let n = if series.is_simple() {
        series.n_obs()
    } else {
        series.n_periods
    };
    // PELT is for long series with many breaks: a 15% trimming would forbid
    // them, and its pruning waits a minimum segment, so it would be quadratic.
    let min_segment = args.min_segment.unwrap_or_else(|| match args.method {
        Method::Pelt => 2,
        Method::Dp => ((0.15 * n as f64).floor() as usize).max(2),
    });
    if min_segment == 0 {
        return Err(UsageError("--min-segment must be at least 1".into()).into());
    }
    if !(args.prior_shape > 0.0 && args.prior_rate >= 0.0) {
        return Err(UsageError("--prior-shape must be positive and --prior-rate non-negative".into()).into());
    }
    let view = match (args.method, args.max_breaks) {
        (_, 0) => return Err(UsageError("--max-breaks must be at least 1".into()).into()),
        (Method::Dp, 1) => {
            let spec = DetectSpec {
                model,
                min_segment,
                bootstrap: args.bootstrap,
                seed: args.seed,
                level,
                prior: GammaPrior {
                    shape: args.prior_shape,
                    rate: args.prior_rate,
                },
            };
            let result = detect_single(&series, &spec)?;
            DetectView::single(&result, min_segment, args.bootstrap, args.seed)
        }
        (method, k) => {
            let search = match method {
                Method::Dp => Search::Dp {
                    max_breaks: k,
                    select: match args.select {
                        Select::Bic => Criterion::Bic,
                        Select::Mbic => Criterion::Mbic,
                    },
                },
                Method::Pelt => Search::Pelt(match args.penalty.as_str() {
                    "bic" => Penalty::Bic,
                    "mbic" => Penalty::Mbic,
                    v => Penalty::Value(
                        v.parse::<f64>()
                            .ok()
                            .filter(|v| v.is_finite() && *v >= 0.0)
                            .ok_or_else(|| {
                                UsageError(format!("--penalty `{v}` is not bic, mbic or a non-negative number"))
                            })?,
                    ),
                }),
            };
            let result = detect_multiple(&series, &model, search, min_segment, level)?;
            let (name, selected) = match (method, args.select) {
                (Method::Pelt, _) => ("pelt", None),
                (Method::Dp, Select::Bic) => ("dp", Some("bic")),
                (Method::Dp, Select::Mbic) => ("dp", Some("mbic")),
            };
            DetectView::multiple(
                &result,
                model.family.name(),
                model.use_offset && series.has_exposure(),
                name,
                selected,
                min_segment,
            )
        }
    };
    match args.format {
        Format::Json => emit(&json(&view)?),
        Format::Table | Format::Csv => emit(&view.table(&series)),
    }
}
