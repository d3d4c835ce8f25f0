//! Options shared by the model commands, and `countshift fit`.

use clap::{Args, ValueEnum};
use countshift::data::Series;
use countshift::inference::{CovarianceKind, Level};
use countshift::model::{Family, ModelSpec, fit, parse_terms};
use countshift::report::fit::FitView;

use super::{DataArgs, Format, emit, json};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FamilyArg {
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
    /// Distribution of the counts.
    #[arg(long, value_enum, default_value_t = FamilyArg::Poisson)]
    pub family: FamilyArg,
    /// Terms, comma-separated: trend, step@PERIOD, slope@PERIOD, season, season:K,
    /// covariate names; the intercept is implied unless `-intercept`
    /// (default: `trend` for fit and simulate, none for test and detect).
    #[arg(long, allow_hyphen_values = true)]
    pub terms: Option<String>,
    /// Do not use log(exposure) as an offset even if the data have exposure.
    #[arg(long)]
    pub no_offset: bool,
    /// Confidence level.
    #[arg(long, default_value_t = 0.95)]
    pub level: f64,
}

impl ModelArgs {
    /// The model, with `default_terms` when `--terms` is absent.
    pub fn spec_or(&self, series: &Series, default_terms: &str) -> anyhow::Result<ModelSpec> {
        let family = match self.family {
            FamilyArg::Poisson => Family::Poisson,
            FamilyArg::Negbin => Family::Negbin,
            FamilyArg::Gaussian => Family::Gaussian,
        };
        Ok(ModelSpec {
            family,
            terms: parse_terms(self.terms.as_deref().unwrap_or(default_terms), series)?,
            use_offset: !self.no_offset,
        })
    }

    pub fn level(&self) -> anyhow::Result<Level> {
        Ok(Level::new(self.level)?)
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
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub fn run_fit(args: &FitArgs) -> anyhow::Result<()> {
    let series = args.data.load()?;
    let spec = args.model.spec_or(&series, "trend")?;
    let fitted = fit(&spec, &series)?;
    let vcov = match args.vcov {
        VcovArg::Model => CovarianceKind::Model,
        VcovArg::Robust => CovarianceKind::Robust,
        VcovArg::Hac => CovarianceKind::Hac,
    };
    let view = FitView::new(&fitted, args.model.level()?, vcov, args.wald)?;
    match args.format {
        Format::Table => emit(&view.table(&series)),
        Format::Json => emit(&json(&view)?),
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([
                "term",
                "estimate",
                "std_error",
                "statistic",
                "p_value",
                "ci_low",
                "ci_high",
            ])?;
            let cell = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
            for c in &view.coefficients {
                w.write_record([
                    c.term.clone(),
                    cell(c.interval.estimate),
                    cell(c.std_error),
                    cell(c.statistic),
                    cell(c.p_value),
                    cell(c.interval.ci_low),
                    cell(c.interval.ci_high),
                ])?;
            }
            emit(&String::from_utf8(w.into_inner()?)?)
        }
    }
}
