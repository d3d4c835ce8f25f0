//! `countshift simulate`: draw a series from a model spec.

use clap::Args;
use countshift::data::read::MAX_COUNT;
use countshift::data::{Period, Series, load_dataset_with, read_series_path_with};
use countshift::model::{Family, parse_terms};
use countshift::report::format::csv_table;
use countshift::simulate::{SimulationSpec, draw, period_means};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::model::{FamilyArg, ModelArgs};
use super::{FrequencyArg, UsageError, emit, limits, read_options};

#[derive(Debug, Args)]
pub struct SimulateArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Coefficients in design order (`0.3,2.2`) or by name (`intercept=0.3,step@2024-07=2.2`).
    #[arg(long = "coef", value_name = "VALUES", allow_hyphen_values = true)]
    coefficients: String,
    /// NB2 dispersion theta (negbin).
    #[arg(long, value_parser = limits::positive(), allow_hyphen_values = true)]
    theta: Option<f64>,
    /// Standard deviation (gaussian).
    #[arg(long, value_parser = limits::positive(), allow_hyphen_values = true)]
    sigma: Option<f64>,
    /// First period, when no template file is given.
    #[arg(long, value_name = "PERIOD", default_value = "2020-01")]
    start: String,
    /// Number of periods, when no template file is given.
    #[arg(long, default_value_t = 48, value_parser = limits::simulated_periods())]
    periods: usize,
    /// Template series: its periods, exposure and covariates are reused.
    #[arg(long, value_name = "FILE", conflicts_with = "dataset")]
    data: Option<String>,
    /// Embedded dataset as template.
    #[arg(long, value_name = "NAME")]
    dataset: Option<String>,
    /// Read the template's dates (YYYY-MM-DD), or --start, as days, ISO weeks,
    /// months, quarters or years (default: inferred from the dates).
    #[arg(long, value_enum, value_name = "UNIT")]
    frequency: Option<FrequencyArg>,
    /// Random seed.
    #[arg(long, default_value_t = 1, value_parser = limits::seed(), allow_hyphen_values = true)]
    seed: u64,
    /// Write here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    out: Option<String>,
}

fn coefficients(text: &str, names: &[String]) -> anyhow::Result<Vec<f64>> {
    let number = |s: &str| {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| UsageError(format!("--coef: `{s}` is not a number")))
    };
    if !text.contains('=') {
        return Ok(text.split(',').map(number).collect::<Result<_, _>>()?);
    }
    let mut values = vec![None; names.len()];
    for part in text.split(',') {
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| UsageError(format!("--coef: `{part}` is not NAME=VALUE")))?;
        let j = names.iter().position(|n| n == name.trim()).ok_or_else(|| {
            UsageError(format!(
                "--coef: no coefficient `{name}`; the coefficients are {}",
                names.join(", ")
            ))
        })?;
        values[j] = Some(number(value)?);
    }
    values
        .iter()
        .zip(names)
        .map(|(v, n)| v.ok_or_else(|| UsageError(format!("--coef: give a value for `{n}`")).into()))
        .collect()
}

pub fn run(args: &SimulateArgs) -> anyhow::Result<()> {
    let template: Series = match (&args.data, &args.dataset) {
        (Some(path), _) => read_series_path_with(path, &read_options(args.frequency))?,
        (None, Some(name)) => load_dataset_with(name, &read_options(args.frequency))?,
        (None, None) => {
            let first = match args.frequency {
                Some(f) => Period::parse_in(&args.start, f.into()),
                None => Period::parse(&args.start),
            }
            .map_err(|e| UsageError(format!("--start `{}` {e}", args.start)))?;
            let template = Series::template(first, args.periods);
            // The file must read back: past year 9999 a period has no spelling.
            let last = template.last();
            if Period::parse_in(&last.to_string(), last.frequency()) != Ok(last) {
                return Err(UsageError(format!(
                    "--start {} with --periods {} runs past year 9999, which a series file cannot write; start earlier or simulate fewer periods",
                    args.start, args.periods
                ))
                .into());
            }
            template
        }
    };
    let terms = parse_terms(args.model.terms.as_deref().unwrap_or("trend"), &template)?;
    let names = countshift::model::Design::build(&terms, &template, 0)?.names;
    let spec = SimulationSpec {
        family: match args.model.family {
            None | Some(FamilyArg::Poisson) => Family::Poisson,
            Some(FamilyArg::Negbin) => Family::Negbin,
            Some(FamilyArg::Gaussian) => Family::Gaussian,
            Some(FamilyArg::Auto) => {
                return Err(UsageError(
                    "simulate draws from a model you give, so it has no --family auto; use poisson, negbin or gaussian"
                        .into(),
                )
                .into());
            }
        },
        terms,
        coefficients: coefficients(&args.coefficients, &names)?,
        theta: args.theta,
        sigma: args.sigma,
        use_offset: !args.model.no_offset,
    };
    let means = period_means(&spec, &template)?;
    let covered = template.covered();
    let periods: Vec<usize> = (0..template.n_periods()).filter(|&t| covered[t]).collect();
    let wanted: Vec<f64> = periods.iter().map(|&t| means[t]).collect();
    let values = draw(&spec, &wanted, &mut ChaCha8Rng::seed_from_u64(args.seed))?;
    if let Some(v) = values.iter().find(|v| v.abs() > MAX_COUNT) {
        return Err(UsageError(format!(
            "a simulated value is {v:e}, past 2^53, which a series file cannot hold exactly; use smaller coefficients"
        ))
        .into());
    }
    let gaussian = spec.family == Family::Gaussian;
    let mut header = vec!["period", if gaussian { "value" } else { "count" }];
    if template.has_exposure() {
        header.push("exposure");
    }
    header.extend(template.covariate_names().iter().map(String::as_str));
    let rows: Vec<Vec<String>> = periods
        .iter()
        .zip(&values)
        .map(|(&t, v)| {
            let mut row = vec![template.period(t).to_string(), v.to_string()];
            if let Some(e) = &template.period_exposure() {
                row.push(e[t].to_string());
            }
            row.extend((0..template.covariate_names().len()).map(|k| template.covariates()[[t, k]].to_string()));
            row
        })
        .collect();
    let out = csv_table(&header, &rows);
    match &args.out {
        Some(path) => countshift::report::write_file(std::path::Path::new(path), &out)?,
        None => emit(&out)?,
    }
    Ok(())
}
