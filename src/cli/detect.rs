//! `countshift detect`: breaks at unknown dates.

use clap::{Args, ValueEnum};
use countshift::changepoint::multiple::{Criterion, Penalty, Search, detect_multiple};
use countshift::changepoint::single::{BreakKind, DetectSpec, GammaPrior, RunOptions, best_date, detect_single_with};
use countshift::inference::Level;
use countshift::inference::overdispersion::auto_family_segmented;
use countshift::model::ModelSpec;
use countshift::report::detect::DetectView;
use countshift::report::several::{NUMBER_TESTS_MAX_OBS, SeveralSpec, several_breaks_view};

use countshift::data::{Keyed, Series};
use countshift::report::many::adjust;

use super::many::{ManyArgs, emit_many, many_view, outcomes, series_seed};
use super::model::{FamilyArg, ModelArgs};
use super::{DataArgs, Format, Loaded, UsageError, emit, emit_json_as, limits};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Method {
    /// Exact dynamic programme for 0..K breaks (one break: the full scan with p-value).
    Dp,
    /// PELT with a penalty per break.
    Pelt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Select {
    Bic,
    Mbic,
    /// The sequential bootstrap tests of l against l + 1 breaks, at --level.
    Sequential,
}

#[derive(Debug, Clone, Args)]
pub struct DetectArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    model: ModelArgs,
    /// Fewest observations in a segment (default: 15% of the observations, at least 2; for PELT, 2).
    #[arg(long, value_name = "N", value_parser = limits::min_segment())]
    min_segment: Option<usize>,
    /// What changes at the break: the level (a jump), the slope of the log
    /// rate (a continuous hinge, as R's `segmented`), or both. One break.
    #[arg(long, value_enum, default_value_t = KindArg::Level)]
    kind: KindArg,
    /// Largest number of breaks (1: one break with p-value, date set and posterior).
    #[arg(long, default_value_t = 1, value_name = "K", value_parser = limits::max_breaks())]
    max_breaks: usize,
    /// Search method for several breaks.
    #[arg(long, value_enum, default_value_t = Method::Dp)]
    method: Method,
    /// PELT penalty per break: bic, mbic or a number.
    #[arg(long, default_value = "mbic", value_parser = limits::penalty(), allow_hyphen_values = true)]
    penalty: Penalty,
    /// What chooses the number of breaks (dp): BIC, MBIC, or the sequential
    /// bootstrap tests of l against l + 1 breaks at --level.
    #[arg(long, value_enum, default_value_t = Select::Bic)]
    select: Select,
    /// Bootstrap replicates for the p-value and the date set (0: asymptotic only).
    #[arg(long, default_value_t = countshift::changepoint::single::DEFAULT_BOOTSTRAP, value_parser = limits::bootstrap())]
    bootstrap: usize,
    /// Sequential p-value (Besag and Clifford 1991): stop the bootstrap after H
    /// replicates reach the observed sup-LR (p = H / replicates drawn).
    #[arg(long, value_name = "H", value_parser = limits::exceedances())]
    sequential: Option<usize>,
    /// Random seed of the bootstrap.
    #[arg(long, default_value_t = 1, value_parser = limits::seed(), allow_hyphen_values = true)]
    seed: u64,
    /// Gamma prior shape on segment rates (closed-form posterior).
    #[arg(long, default_value_t = 0.5, value_parser = limits::positive(), allow_hyphen_values = true)]
    prior_shape: f64,
    /// Gamma prior rate on segment rates (0: the improper limit).
    #[arg(long, default_value_t = 0.0, value_parser = limits::non_negative(), allow_hyphen_values = true)]
    prior_rate: f64,
    /// Over many series: bootstrap date sets for the series flagged at the
    /// false discovery rate only (the others get the chi-square(2) set), or
    /// for all.
    #[arg(long, value_enum, default_value_t = DateSets::Flagged)]
    date_sets: DateSets,
    #[command(flatten)]
    many: ManyArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum KindArg {
    Level,
    Slope,
    Both,
}

impl From<KindArg> for BreakKind {
    fn from(k: KindArg) -> BreakKind {
        match k {
            KindArg::Level => BreakKind::Level,
            KindArg::Slope => BreakKind::Slope,
            KindArg::Both => BreakKind::Both,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DateSets {
    Flagged,
    All,
}

/// Exceedances at which the sequential bootstrap stops, over many series
/// and for one series run by its key (`--sequential` overrides).
pub const MANY_SEQUENTIAL: usize = 10;

pub fn run(args: &DetectArgs) -> anyhow::Result<()> {
    match args.data.load_any()? {
        Loaded::One { series, key } => {
            let sequential = args.sequential.or(key.is_some().then_some(MANY_SEQUENTIAL));
            let seed = series_seed(args.seed, key.as_deref());
            let view = detect_view(&series, args, seed, sequential, false)?;
            match args.format {
                Format::Json | Format::Jsonl => emit_json_as(args.format, &view),
                Format::Table => emit(&view.table(&series)),
                Format::Csv => emit(&view.csv(&series)),
            }
        }
        Loaded::Many(members) => {
            let sequential = args.sequential.or(Some(MANY_SEQUENTIAL));
            let first_pass = args.date_sets == DateSets::Flagged && args.max_breaks == 1 && args.bootstrap > 0;
            let mut results = outcomes(&members, args.seed, |s, seed| {
                detect_view(s, args, seed, sequential, first_pass)
            })?;
            let mut notes = Vec::new();
            if first_pass {
                // The flagged series' date sets by the bootstrap, as a run of
                // that series alone gives them.
                let (q, _) = adjust(&results, args.many.multiplicity());
                let flagged: Vec<usize> = (0..members.len())
                    .filter(|&i| q[i].is_some_and(|q| q <= args.many.fdr))
                    .collect();
                let flagged_members: Vec<Keyed> = flagged.iter().map(|&i| members[i].clone()).collect();
                let redone = outcomes(&flagged_members, args.seed, |s, seed| {
                    detect_view(s, args, seed, sequential, false)
                })?;
                for (i, r) in flagged.into_iter().zip(redone) {
                    results[i] = r;
                }
                notes.push(format!(
                    "bootstrap date sets were computed for the series flagged at the false discovery rate; the others have the chi-square(2) set (--date-sets all computes every one); p-values are sequential (Besag and Clifford: the bootstrap stops after {} exceedances, --sequential sets it)",
                    sequential.unwrap_or(MANY_SEQUENTIAL)
                ));
            }
            emit_many(&many_view("detect", &members, results, &args.many, notes), args.format)
        }
    }
}

/// One series' detect view, seeded `seed`.
fn detect_view(
    series: &Series,
    args: &DetectArgs,
    seed: u64,
    sequential: Option<usize>,
    skip_set_bootstrap: bool,
) -> anyhow::Result<DetectView> {
    let args = &DetectArgs {
        seed,
        sequential,
        ..args.clone()
    };
    let level = args.model.level();
    let n = if series.is_simple() {
        series.n_obs()
    } else {
        series.n_periods()
    };
    // PELT is for long series with many breaks: a 15% trimming would forbid
    // them, and its pruning waits a minimum segment, so it would be quadratic.
    let min_segment = args.min_segment.unwrap_or_else(|| match args.method {
        Method::Pelt => 2,
        Method::Dp => ((0.15 * n as f64).floor() as usize).max(2),
    });
    let search = search(args)?;
    // `auto`: the breaks a Poisson search finds go into the model in which
    // over-dispersion is tested (an unmodelled break looks like it).
    // The auto family's Poisson search, kept when Poisson is chosen.
    let mut poisson_search = None;
    let (model, choice) = if args.model.is_auto() {
        let poisson = ModelArgs {
            family: Some(FamilyArg::Poisson),
            ..args.model.clone()
        }
        .spec_or(series, "")?;
        match search {
            None => {
                let at = best_date(series, &single_spec(args, poisson.clone(), min_segment, level))?;
                args.model.resolve(series, "", &BreakKind::from(args.kind).terms(at))?
            }
            Some(search) => {
                let found = detect_multiple(series, &poisson, search, min_segment, level)?;
                let chosen = auto_family_segmented(&poisson, series, &found.breaks)?;
                if chosen.0 == poisson {
                    poisson_search = Some(found);
                }
                chosen
            }
        }
    } else {
        (args.model.spec_or(series, "")?, None)
    };
    let mut view = match search {
        None => {
            let notice = |expected: std::time::Duration| {
                if expected.as_secs_f64() > 10.0 {
                    eprintln!(
                        "countshift: the bootstrap ({} replicates, then the date set) should take about {:.0} s",
                        args.bootstrap,
                        expected.as_secs_f64()
                    );
                }
            };
            let options = RunOptions {
                sequential: args.sequential,
                notice: Some(&notice),
                skip_set_bootstrap,
                ..RunOptions::default()
            };
            let result = detect_single_with(series, &single_spec(args, model.clone(), min_segment, level), &options)?;
            DetectView::single(&result, min_segment, args.bootstrap, args.seed)
        }
        Some(search) => {
            if args.select == Select::Sequential && matches!(search, Search::Dp { .. }) {
                check_sequential_runs(series, args)?;
            }
            let spec = SeveralSpec {
                search,
                by_tests: args.select == Select::Sequential,
                min_segment,
                bootstrap: args.bootstrap,
                seed: args.seed,
                level,
                prior: prior(args),
            };
            several_breaks_view(series, &model, spec, poisson_search)?
        }
    };
    view.family_choice = choice;
    Ok(view)
}

/// `--select sequential` where the tests cannot run is a usage error.
fn check_sequential_runs(series: &Series, args: &DetectArgs) -> anyhow::Result<()> {
    let n = series.n_obs();
    if args.bootstrap == 0 {
        return Err(
            UsageError("--select sequential needs bootstrap replicates; give --bootstrap B with B > 0".into()).into(),
        );
    }
    if n > NUMBER_TESTS_MAX_OBS {
        return Err(UsageError(format!(
            "--select sequential runs on series of at most {NUMBER_TESTS_MAX_OBS} observations and this one has {n}; use --select bic or mbic"
        ))
        .into());
    }
    Ok(())
}

fn single_spec(args: &DetectArgs, model: ModelSpec, min_segment: usize, level: Level) -> DetectSpec {
    DetectSpec {
        model,
        min_segment,
        bootstrap: args.bootstrap,
        seed: args.seed,
        level,
        prior: prior(args),
        kind: args.kind.into(),
    }
}

/// The Gamma prior on segment rates that `--prior-shape` and `--prior-rate` give.
fn prior(args: &DetectArgs) -> GammaPrior {
    GammaPrior {
        shape: args.prior_shape,
        rate: args.prior_rate,
    }
}

/// The several-break search asked for; `None` for one break by the full scan.
fn search(args: &DetectArgs) -> anyhow::Result<Option<Search>> {
    if args.kind != KindArg::Level && (args.max_breaks > 1 || args.method == Method::Pelt) {
        return Err(UsageError(format!(
            "--kind {} dates one break; several breaks (--max-breaks, --method pelt) are level breaks, so drop --kind or search for one",
            BreakKind::from(args.kind).name()
        ))
        .into());
    }
    match (args.method, args.max_breaks) {
        (Method::Dp, 1) => Ok(None),
        (method, k) => Ok(Some(match method {
            Method::Dp => Search::Dp {
                max_breaks: k,
                select: match args.select {
                    Select::Bic => Criterion::Bic,
                    Select::Mbic => Criterion::Mbic,
                    // The tests need the table of every count: searched by BIC first.
                    Select::Sequential => Criterion::Bic,
                },
            },
            Method::Pelt => Search::Pelt(args.penalty),
        })),
    }
}
