//! Options shared by the model commands, and `countshift fit`.

use clap::{Args, ValueEnum};
use countshift::data::Series;
use countshift::inference::overdispersion::{FamilyChoice, auto_family};
use countshift::inference::{CovarianceKind, Level};
use countshift::model::{Family, ModelSpec, Term, fit, parse_terms};
use countshift::report::fit::FitView;

use super::many::{ManyArgs, emit_many, many_view, outcomes};
use super::{DataArgs, Format, Loaded, emit, emit_json_as, limits};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FamilyArg {
    /// NB when Dean's over-dispersion test rejects Poisson at 1% in the
    /// command's fullest model with at least 10 residual df, else Poisson
    /// (Gaussian for a `value` series).
    Auto,
    Poisson,
    Negbin,
    Gaussian,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum VcovArg {
    Model,
    Robust,
    Hac,
}

/// The model: family, terms, offset, level.
#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// Distribution of the counts [default: auto; poisson for simulate].
    #[arg(long, value_enum)]
    pub family: Option<FamilyArg>,
    /// Terms, comma-separated: trend, step@PERIOD, slope@PERIOD, season, season:K,
    /// covariate names; the intercept is implied unless `-intercept`
    /// (default: `trend` for fit and simulate, none for test and detect).
    #[arg(long, allow_hyphen_values = true)]
    pub terms: Option<String>,
    /// Do not use log(exposure) as an offset even if the data have exposure.
    #[arg(long)]
    pub no_offset: bool,
    /// Confidence level.
    #[arg(long, default_value = "0.95", value_parser = limits::level(), allow_hyphen_values = true)]
    pub level: Level,
}

impl ModelArgs {
    /// The model, with `default_terms` when `--terms` is absent; `auto`
    /// chooses in the model itself (see [`ModelArgs::resolve`]).
    pub fn spec_or(&self, series: &Series, default_terms: &str) -> anyhow::Result<ModelSpec> {
        Ok(self.resolve(series, default_terms, &[])?.0)
    }

    /// The model with its family resolved. For `auto` (the default) the
    /// over-dispersion test runs in the Poisson fit of the model plus
    /// `fullest` (the step, the breaks a command adds), since an
    /// unmodelled break looks like over-dispersion; the choice and its
    /// reason are returned.
    pub fn resolve(
        &self,
        series: &Series,
        default_terms: &str,
        fullest: &[Term],
    ) -> anyhow::Result<(ModelSpec, Option<FamilyChoice>)> {
        let terms = parse_terms(self.terms.as_deref().unwrap_or(default_terms), series)?;
        let fixed = |family| ModelSpec {
            family,
            terms: terms.clone(),
            use_offset: !self.no_offset,
        };
        Ok(match self.family.unwrap_or(FamilyArg::Auto) {
            FamilyArg::Poisson => (fixed(Family::Poisson), None),
            FamilyArg::Negbin => (fixed(Family::Negbin), None),
            FamilyArg::Gaussian => (fixed(Family::Gaussian), None),
            FamilyArg::Auto => auto_family(&fixed(Family::Poisson), series, fullest)?,
        })
    }

    /// Whether the family is `auto` (given or by default).
    pub fn is_auto(&self) -> bool {
        self.family.is_none_or(|f| f == FamilyArg::Auto)
    }

    pub fn level(&self) -> Level {
        self.level
    }
}

#[derive(Debug, Args)]
pub struct FitArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    model: ModelArgs,
    /// Standard errors: model-based, sandwich (HC0) or Newey-West HAC.
    #[arg(long, value_enum, default_value_t = VcovArg::Model)]
    vcov: VcovArg,
    /// Wald intervals instead of profile likelihood.
    #[arg(long)]
    wald: bool,
    #[command(flatten)]
    many: ManyArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub fn run_fit(args: &FitArgs) -> anyhow::Result<()> {
    match args.data.load_any()? {
        Loaded::One { series, .. } => {
            let view = fit_view(&series, args)?;
            match args.format {
                Format::Table => emit(&view.table(&series)),
                Format::Json | Format::Jsonl => emit_json_as(args.format, &view),
                Format::Csv => emit(&view.csv()),
            }
        }
        Loaded::Many(members) => {
            let results = outcomes(&members, 0, |s, _| fit_view(s, args))?;
            emit_many(
                &many_view("fit", &members, results, &args.many, Vec::new()),
                args.format,
            )
        }
    }
}

fn fit_view(series: &Series, args: &FitArgs) -> anyhow::Result<FitView> {
    let (spec, choice) = args.model.resolve(series, "trend", &[])?;
    let fitted = fit(&spec, series)?;
    let vcov = match args.vcov {
        VcovArg::Model => CovarianceKind::Model,
        VcovArg::Robust => CovarianceKind::Robust,
        VcovArg::Hac => CovarianceKind::Hac,
    };
    Ok(FitView {
        family_choice: choice,
        ..FitView::new(&fitted, args.model.level(), vcov, args.wald)?
    })
}
