//! `countshift aggregate`.

use clap::{Args, ValueEnum};
use countshift::data::read::read_input;
use countshift::data::{
    AggregateSpec, Catalogue, Combined, ExposureSelector, Frequency, GroupBy, GroupSpec, ModelSelector, Period,
    RowFilter, aggregate, aggregate_groups,
};
use countshift::report::format::{counted, counted_s};
use regex::Regex;

use super::{FrequencyArg, UsageError, emit};

#[derive(Debug, Args)]
pub struct AggregateArgs {
    /// The event log (CSV; `-` for standard input).
    #[arg(value_name = "LOG")]
    log: String,
    /// Count rows whose model label is exactly NAME (repeatable).
    #[arg(long = "model", value_name = "NAME", conflicts_with = "model_regex")]
    models: Vec<String>,
    /// Count rows whose model label matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    model_regex: Option<String>,
    /// Column holding the count.
    #[arg(long, default_value = "launched")]
    count_column: String,
    /// Column holding the time; its date decides the period.
    #[arg(long, default_value = "time_start")]
    time_column: String,
    /// Column holding the model label.
    #[arg(long, default_value = "model")]
    model_column: String,
    /// Output frequency; weeks are ISO weeks, Monday to Sunday, written YYYY-Www.
    #[arg(long, value_enum, default_value_t = FrequencyArg::Month)]
    frequency: FrequencyArg,
    /// First period to write (default: first period of the log); a week may
    /// also be given as any date in it.
    #[arg(long, value_name = "PERIOD")]
    from: Option<String>,
    /// Last period to write (default: last period of the log).
    #[arg(long, value_name = "PERIOD")]
    to: Option<String>,
    /// Exposure: rows whose label is exactly NAME (repeatable).
    #[arg(
        long = "exposure-model",
        value_name = "NAME",
        conflicts_with = "exposure_model_regex"
    )]
    exposure_models: Vec<String>,
    /// Exposure: rows whose label matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    exposure_model_regex: Option<String>,
    /// Exposure: rows whose catalogue category matches this regular expression
    /// (needs --catalogue); combined with the exposure model selection by "or".
    #[arg(long, value_name = "REGEX", requires = "catalogue")]
    exposure_category: Option<String>,
    /// Model catalogue CSV with `model` and `category` columns.
    #[arg(long, value_name = "FILE")]
    catalogue: Option<String>,
    /// Many series in the long format: one per model label, or per
    /// catalogue category (needs --catalogue); --model/--model-regex then
    /// narrow the labels (default: every label).
    #[arg(long, value_enum, value_name = "GROUP")]
    by: Option<ByArg>,
    /// Only the weapons whose catalogue category matches this regular
    /// expression (needs --catalogue).
    #[arg(long, value_name = "REGEX", requires = "catalogue")]
    category: Option<String>,
    /// Keep only rows whose COLUMN equals VALUE (COLUMN=VALUE) or matches a
    /// regular expression (COLUMN~REGEX); repeatable, all must hold.
    #[arg(long = "where", value_name = "FILTER")]
    filters: Vec<String>,
    /// Rows naming several weapons (`A and B`): split by their
    /// launched_details, skip, or count whole in each weapon's series.
    #[arg(long, value_enum, default_value_t = CombinedArg::Split)]
    combined: CombinedArg,
    /// Drop a first or last period the log covers only in part.
    #[arg(long)]
    complete_periods: bool,
    /// Write the series here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    out: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ByArg {
    Model,
    Category,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CombinedArg {
    Split,
    Skip,
    Whole,
}

fn regex(option: &str, text: &str) -> anyhow::Result<Regex> {
    Regex::new(text).map_err(|e| UsageError(format!("{option} `{text}` is not a valid regular expression: {e}")).into())
}

fn period(option: &str, text: &str, frequency: Frequency) -> anyhow::Result<Period> {
    Period::parse_in(text, frequency).map_err(|e| UsageError(format!("{option} `{text}` {e}")).into())
}

impl AggregateArgs {
    /// Whether the rows go through the many-series path (by group, or
    /// with the options only it has).
    fn grouped(&self) -> bool {
        self.by.is_some() || !self.filters.is_empty() || self.complete_periods || self.category.is_some()
    }

    fn catalogue(&self) -> anyhow::Result<Catalogue> {
        Ok(match &self.catalogue {
            Some(path) => {
                let (bytes, name) = read_input(path)?;
                Catalogue::from_csv(&bytes, &name)?
            }
            None => Catalogue::default(),
        })
    }

    fn group_spec(&self) -> anyhow::Result<GroupSpec> {
        let by = match self.by {
            Some(ByArg::Model) => GroupBy::Model,
            Some(ByArg::Category) if self.catalogue.is_none() => {
                return Err(UsageError("--by category needs --catalogue FILE".into()).into());
            }
            Some(ByArg::Category) => GroupBy::Category(self.catalogue()?),
            None => GroupBy::One(String::new()),
        };
        let filters = self
            .filters
            .iter()
            .map(|f| match RowFilter::parse(f) {
                Some(Ok(filter)) => Ok(filter),
                Some(Err(e)) => Err(UsageError(format!(
                    "--where `{f}`: not a valid regular expression: {e}"
                ))),
                None => Err(UsageError(format!(
                    "--where `{f}` is neither COLUMN=VALUE nor COLUMN~REGEX"
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let category = match &self.category {
            Some(c) => Some((regex("--category", c)?, self.catalogue()?)),
            None => None,
        };
        Ok(GroupSpec {
            base: self.spec()?,
            by,
            category,
            filters,
            combined: match self.combined {
                CombinedArg::Split => Combined::Split,
                CombinedArg::Skip => Combined::Skip,
                CombinedArg::Whole => Combined::Whole,
            },
            complete_periods: self.complete_periods,
        })
    }

    fn spec(&self) -> anyhow::Result<AggregateSpec> {
        let frequency = Frequency::from(self.frequency);
        let select = match (&self.model_regex, self.models.is_empty()) {
            (Some(re), _) => ModelSelector::Regex(regex("--model-regex", re)?),
            (None, false) => ModelSelector::Names(self.models.clone()),
            (None, true) if self.grouped() => ModelSelector::Regex(regex("--model-regex", "")?),
            (None, true) => {
                return Err(UsageError(
                    "say which rows to count with --model NAME or --model-regex REGEX, or --by model for one series per label"
                        .into(),
                )
                .into());
            }
        };
        let exposure_models = match (&self.exposure_model_regex, self.exposure_models.is_empty()) {
            (Some(re), _) => Some(ModelSelector::Regex(regex("--exposure-model-regex", re)?)),
            (None, false) => Some(ModelSelector::Names(self.exposure_models.clone())),
            (None, true) => None,
        };
        let category = self
            .exposure_category
            .as_deref()
            .map(|c| regex("--exposure-category", c))
            .transpose()?;
        let catalogue = self.catalogue()?;
        let exposure = (exposure_models.is_some() || category.is_some()).then_some(ExposureSelector {
            models: exposure_models,
            category,
            catalogue,
        });
        Ok(AggregateSpec {
            select,
            model_column: self.model_column.clone(),
            count_column: self.count_column.clone(),
            time_column: self.time_column.clone(),
            frequency,
            from: self
                .from
                .as_deref()
                .map(|p| period("--from", p, frequency))
                .transpose()?,
            to: self.to.as_deref().map(|p| period("--to", p, frequency)).transpose()?,
            exposure,
        })
    }
}

pub fn run(args: &AggregateArgs) -> anyhow::Result<()> {
    if args.grouped() {
        return run_groups(args);
    }
    let spec = args.spec()?;
    let (bytes, name) = read_input(&args.log)?;
    let agg = aggregate(&bytes, &name, &spec)?;
    let a = &agg.account;
    let mut summary = format!(
        "{name}: read {}; counted {} in the series{}; {} not selected",
        counted_s(a.read, "row"),
        a.used,
        if spec.exposure.is_some() {
            format!(", {} in the exposure", a.used_in_exposure)
        } else {
            String::new()
        },
        a.not_selected
    );
    let skipped: usize = a.skipped.values().sum();
    summary += &format!("; skipped {skipped}");
    if skipped > 0 {
        let reasons: Vec<String> = a.skipped.iter().map(|(r, n)| format!("{n} {r}")).collect();
        summary += &format!(" ({})", reasons.join(", "));
    }
    summary.push('\n');
    if !a.lower_bounds.is_empty() {
        let periods: Vec<String> = a.lower_bounds.iter().map(|p| p.to_string()).collect();
        summary += &format!(
            "lower bounds: the {} of {} leave{} out a selected row with no readable count\n",
            if periods.len() == 1 { "total" } else { "totals" },
            periods.join(", "),
            if periods.len() == 1 { "s" } else { "" }
        );
    }
    if !a.unknown.is_empty() {
        let periods: Vec<String> = a.unknown.iter().map(|p| p.to_string()).collect();
        summary += &format!(
            "missing: {} left out, since no selected row there has a readable count (unknown, not zero): {}\n",
            counted_s(periods.len(), "period"),
            periods.join(", ")
        );
    }
    let labels: Vec<String> = a.labels_used.iter().map(|(l, n)| format!("{l} ({n})")).collect();
    summary += &format!("labels counted: {}\n", labels.join(", "));
    if !a.uncatalogued.is_empty() {
        let labels: Vec<String> = a.uncatalogued.iter().map(|(l, n)| format!("{l} ({n})")).collect();
        summary += &format!(
            "labels not in the catalogue (in the exposure only if --exposure-model selects them): {}\n",
            labels.join(", ")
        );
    }
    summary += &format!(
        "wrote {}, {}..{}, total {}\n",
        counted_s(agg.periods.len() - a.unknown.len(), "period"),
        agg.periods[0],
        agg.periods[agg.periods.len() - 1],
        agg.counts.iter().sum::<f64>()
    );
    // The account follows the write, so that "wrote" is never printed
    // before a failure.
    let csv = agg.to_csv();
    match &args.out {
        Some(path) => countshift::report::write_file(std::path::Path::new(path), &csv)?,
        None => emit(&csv)?,
    }
    eprint!("{}", super::terminal_safe(&summary, true));
    Ok(())
}

/// `aggregate --by`, or with row filters or complete periods.
fn run_groups(args: &AggregateArgs) -> anyhow::Result<()> {
    let spec = args.group_spec()?;
    let (bytes, name) = read_input(&args.log)?;
    let groups = aggregate_groups(&bytes, &name, &spec)?;
    let a = &groups.account;
    if groups.series.is_empty() {
        return Err(UsageError(format!(
            "{name}: no row is left to count after the selection and the filters; widen them"
        ))
        .into());
    }
    let skipped: usize = a.skipped.values().sum();
    let mut summary = format!(
        "{name}: read {}; {} left out by --where; {} not selected; skipped {skipped}",
        counted_s(a.read, "row"),
        a.filtered,
        a.not_selected
    );
    if skipped > 0 {
        let reasons: Vec<String> = a.skipped.iter().map(|(r, n)| format!("{n} {r}")).collect();
        summary += &format!(" ({})", reasons.join(", "));
    }
    summary.push('\n');
    if !a.combined.is_empty() {
        let how: Vec<String> = a.combined.iter().map(|(r, n)| format!("{n} {r}")).collect();
        summary += &format!("rows naming several weapons: {}", how.join(", "));
        if a.counted_twice > 0.0 {
            summary += &format!("; {} launches are counted in more than one series", a.counted_twice);
        }
        summary.push('\n');
    }
    if !a.partial.is_empty() {
        let periods: Vec<String> = a.partial.iter().map(|p| p.to_string()).collect();
        summary += &format!(
            "partial periods (the log covers only part of them): {}{}\n",
            periods.join(", "),
            if a.partial_dropped {
                "; dropped (--complete-periods)"
            } else {
                "; kept (--complete-periods drops them)"
            }
        );
    }
    let long = args.by.is_some();
    for (key, (rows, total)) in &a.per_series {
        if long {
            summary += &format!("series {key}: {} counted, total {total}\n", counted_s(*rows, "row"));
        }
    }
    summary += &format!(
        "wrote {} of {}, {}..{}\n",
        counted(groups.series.len(), "series", "series"),
        counted_s(groups.periods.len(), "period"),
        groups.periods[0],
        groups.periods[groups.periods.len() - 1],
    );
    let csv = groups.to_csv(long);
    match &args.out {
        Some(path) => countshift::report::write_file(std::path::Path::new(path), &csv)?,
        None => emit(&csv)?,
    }
    eprint!("{}", super::terminal_safe(&summary, true));
    Ok(())
}
