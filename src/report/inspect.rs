//! The `inspect` view: what was understood from a series file.
//!
//! JSON fields: `schema_version`, `source`, `frequency`,
//! `frequency_inferred_from` (`periods` when their spelling says it, as
//! `2024-01`; `dates` when read from `YYYY-MM-DD` dates by the rules of
//! [`crate::data::infer`]; `option` for `--frequency`), `frequency_rule` (the
//! reason in words), `response`, `first`, `last`, `n_periods`, `n_obs`,
//! `n_missing`, `missing_periods`, `total`, `covariates`, `observations`
//! (array of `periods`, `count` or `value`, `exposure`, `line`), `notes`.
//! Periods are strings in their frequency's spelling (`2024-01`,
//! `2024-W05`), also when the file wrote them as dates.

use serde::Serialize;

use super::SCHEMA_VERSION;
use super::format::{count, counted_s, period_set, sig3, table};
use crate::data::{Frequency, FrequencySource, Period, Response, Series};

/// One observation as `inspect` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct ObservationView {
    /// The periods it covers, in the file's format.
    pub periods: Vec<Period>,
    /// The count (for a `count` series).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<f64>,
    /// The value (for a `value` series).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Total exposure over its periods.
    pub exposure: Option<f64>,
    /// The CSV line it came from.
    pub line: u64,
}

/// What `inspect` reports.
#[derive(Debug, Clone, Serialize)]
pub struct InspectView {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// File name or embedded dataset.
    pub source: String,
    /// Frequency of the periods.
    pub frequency: Frequency,
    /// What decided the frequency.
    pub frequency_inferred_from: FrequencySource,
    /// Why, in words.
    pub frequency_rule: String,
    /// Count or value.
    pub response: Response,
    /// Earliest period.
    pub first: Period,
    /// Latest period.
    pub last: Period,
    /// Periods from first to last.
    pub n_periods: usize,
    /// Observations.
    pub n_obs: usize,
    /// Periods no observation covers.
    pub n_missing: usize,
    /// Those periods.
    pub missing_periods: Vec<Period>,
    /// Sum of the response.
    pub total: f64,
    /// Covariate columns.
    pub covariates: Vec<String>,
    /// Every observation.
    pub observations: Vec<ObservationView>,
    /// Rows that became no observation, and why.
    pub notes: Vec<String>,
}

impl InspectView {
    /// Builds the view of `series`.
    pub fn new(series: &Series) -> InspectView {
        let missing = series.missing_periods();
        let is_count = series.response == Response::Count;
        InspectView {
            schema_version: SCHEMA_VERSION,
            source: series.source.clone(),
            frequency: series.frequency,
            frequency_inferred_from: series.frequency_source,
            frequency_rule: series.frequency_rule.clone(),
            response: series.response,
            first: series.first,
            last: series.last(),
            n_periods: series.n_periods,
            n_obs: series.n_obs(),
            n_missing: missing.len(),
            missing_periods: missing,
            total: series.total(),
            covariates: series.covariate_names.clone(),
            observations: series
                .observations
                .iter()
                .map(|o| ObservationView {
                    periods: o.periods.iter().map(|&t| series.period(t)).collect(),
                    count: is_count.then_some(o.y),
                    value: (!is_count).then_some(o.y),
                    exposure: o.exposure,
                    line: o.line,
                })
                .collect(),
            notes: series.notes.clone(),
        }
    }
}

/// Rows of the observation table shown before eliding the middle.
const TABLE_HEAD: usize = 40;
const TABLE_TAIL: usize = 5;

/// The table for people.
pub fn inspect_table(series: &Series) -> String {
    let missing = series.missing_periods();
    let mut out = format!(
        "{}: {} series, {} to {} ({}), {}, {}, total {}\n",
        series.source,
        series.frequency,
        series.first,
        series.last(),
        counted_s(series.n_periods, "period"),
        counted_s(series.n_obs(), "observation"),
        counted_s(missing.len(), "missing period"),
        count(series.total())
    );
    match series.frequency_source {
        FrequencySource::Dates if series.frequency != Frequency::Daily => {
            out += &format!(
                "read as {}: {} (--frequency day|week|month|quarter|year overrides)\n",
                series.frequency, series.frequency_rule
            );
        }
        FrequencySource::Option => out += &format!("read as {}: {}\n", series.frequency, series.frequency_rule),
        FrequencySource::Dates | FrequencySource::Periods => {}
    }
    if !missing.is_empty() {
        let shown: Vec<String> = missing.iter().take(12).map(Period::to_string).collect();
        let more = if missing.len() > 12 {
            format!(" and {} more", missing.len() - 12)
        } else {
            String::new()
        };
        out += &format!(
            "missing (not zero, left out of the likelihood): {}{more}\n",
            shown.join(", ")
        );
    }
    if !series.covariate_names.is_empty() {
        out += &format!("covariates: {}\n", series.covariate_names.join(", "));
    }
    let response = if series.response == Response::Count {
        "count"
    } else {
        "value"
    };
    let mut header = vec!["periods", response];
    if series.has_exposure() {
        header.push("exposure");
    }
    header.push("line");
    let row = |o: &crate::data::Observation| {
        let mut r = vec![period_set(series, &o.periods), count(o.y)];
        if let Some(e) = o.exposure {
            r.push(sig3(e));
        }
        r.push(o.line.to_string());
        r
    };
    let n = series.observations.len();
    let mut rows: Vec<Vec<String>> = Vec::new();
    if n <= TABLE_HEAD + TABLE_TAIL {
        rows.extend(series.observations.iter().map(row));
    } else {
        rows.extend(series.observations[..TABLE_HEAD].iter().map(row));
        let mut gap = vec![format!("... {} more", n - TABLE_HEAD - TABLE_TAIL), String::new()];
        gap.resize(header.len(), String::new());
        rows.push(gap);
        rows.extend(series.observations[n - TABLE_TAIL..].iter().map(row));
    }
    out += "\n";
    out += &table(&header, &rows);
    for note in &series.notes {
        out += &format!("note: {note}\n");
    }
    out
}
