//! `countshift test --at P`, and the main job built on it.

use clap::Args;
use countshift::changepoint::step_test;
use countshift::data::{DEFAULT_DATASET, Period, Series, dataset};
use countshift::model::Term;
use countshift::report::test::TestView;

use super::many::{ManyArgs, emit_many, many_view, outcomes};
use super::model::ModelArgs;
use super::{DataArgs, Format, Loaded, UsageError, emit, emit_json_as};

#[derive(Debug, Args)]
pub struct TestArgs {
    #[command(flatten)]
    data: DataArgs,
    /// First period of the new regime (default: the dataset's known date).
    #[arg(long, value_name = "PERIOD")]
    at: Option<String>,
    #[command(flatten)]
    model: ModelArgs,
    /// Also let the slope change at the date (the LR test then has 2 df).
    #[arg(long)]
    slope: bool,
    /// Require the exact conditional (binomial) test and interval, which exist
    /// for the two-rate model (no other terms); it is shown whenever it exists.
    #[arg(long)]
    exact: bool,
    #[command(flatten)]
    many: ManyArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// The embedded dataset's known date, when the data are embedded.
pub fn known_date(data: &DataArgs) -> Option<&'static str> {
    if data.data.is_some() {
        return None;
    }
    dataset(data.dataset.as_deref().unwrap_or(DEFAULT_DATASET))
        .ok()?
        .known_break
}

fn view(series: &Series, model: &ModelArgs, at: &str, slope: bool, exact: bool) -> anyhow::Result<TestView> {
    let at = Period::parse_in(at, series.frequency()).map_err(|e| UsageError(format!("--at `{at}` {e}")))?;
    let fullest: Vec<Term> = std::iter::once(Term::Step(at))
        .chain(slope.then_some(Term::Slope(at)))
        .collect();
    let (spec, choice) = model.resolve(series, "", &fullest)?;
    let result = step_test(series, &spec, at, model.level(), slope)?;
    if exact && result.exact_p_values.is_none() {
        return Err(UsageError(
            "--exact needs the two-rate Poisson model: --family poisson, no --terms, no --slope, and no observation spanning the date".into(),
        )
        .into());
    }
    Ok(TestView {
        family_choice: choice,
        ..TestView::new(&result, series)
    })
}

pub fn run(args: &TestArgs) -> anyhow::Result<()> {
    let loaded = args.data.load_any()?;
    let at = args
        .at
        .as_deref()
        .or_else(|| known_date(&args.data))
        .ok_or_else(|| UsageError("say where the new regime starts with --at PERIOD (e.g. --at 2024-07)".into()))?;
    let one = |series: &Series| view(series, &args.model, at, args.slope, args.exact);
    match loaded {
        Loaded::One { series, .. } => {
            let v = one(&series)?;
            match args.format {
                Format::Json | Format::Jsonl => emit_json_as(args.format, &v),
                Format::Table => emit(&v.table()),
                Format::Csv => emit(&v.csv()),
            }
        }
        Loaded::Many(members) => {
            let results = outcomes(&members, 0, |s, _| one(s))?;
            emit_many(
                &many_view("test", &members, results, &args.many, Vec::new()),
                args.format,
            )
        }
    }
}
