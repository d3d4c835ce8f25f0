//! Event logs to series files (DESIGN §1.2).
//!
//! The reference format is the public "Massive Missile Attacks on Ukraine" log:
//! one row per reported weapon label per attack wave, with a start time, a model
//! label and a number launched. Rows are selected by model label, summed by
//! period, and every row is accounted for: used, not selected, or skipped with
//! a reason.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use chrono::NaiveDate;
use regex::Regex;
use serde::Serialize;

use super::period::{Frequency, Period};
use super::read::{is_missing_marker, parse_count};
use crate::error::SpecError;
use crate::error::{Error, InputError, Location, Result};

/// Which model labels a selection takes.
#[derive(Debug, Clone)]
pub enum ModelSelector {
    /// Labels matching a regular expression (unanchored, as `grep`).
    Regex(Regex),
    /// Exactly these labels.
    Names(Vec<String>),
}

impl ModelSelector {
    pub(crate) fn matches(&self, label: &str) -> bool {
        match self {
            ModelSelector::Regex(re) => re.is_match(label),
            ModelSelector::Names(names) => names.iter().any(|n| n == label),
        }
    }
}

/// A model catalogue: label → category (e.g. `missiles_and_uavs.csv`).
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    /// Category of each catalogued label.
    pub category: HashMap<String, String>,
}

impl Catalogue {
    /// Reads a catalogue CSV with `model` and `category` columns.
    ///
    /// # Errors
    /// [`Error::Input`] when the columns are missing or the CSV is malformed.
    pub fn from_csv(bytes: &[u8], source: &str) -> Result<Catalogue> {
        let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(bytes);
        let header = reader.headers().map_err(|e| csv_failure(source, &e))?.clone();
        let model = column(&header, "model", source)?;
        let category = column(&header, "category", source)?;
        let mut out = HashMap::new();
        for record in reader.records() {
            let record = record.map_err(|e| csv_failure(source, &e))?;
            out.insert(record[model].to_owned(), record[category].to_owned());
        }
        Ok(Catalogue { category: out })
    }
}

/// Rows that form the exposure: model labels selected directly, or labels whose
/// catalogue category matches.
#[derive(Debug, Clone)]
pub struct ExposureSelector {
    /// Labels taken by name or pattern.
    pub models: Option<ModelSelector>,
    /// Categories taken by pattern, looked up in `catalogue`.
    pub category: Option<Regex>,
    /// The catalogue for `category`.
    pub catalogue: Catalogue,
}

impl ExposureSelector {
    pub(crate) fn matches(&self, label: &str) -> bool {
        self.models.as_ref().is_some_and(|m| m.matches(label))
            || self
                .category
                .as_ref()
                .is_some_and(|re| self.catalogue.category.get(label).is_some_and(|c| re.is_match(c)))
    }
}

/// What to aggregate, and how.
#[derive(Debug, Clone)]
pub struct AggregateSpec {
    /// The rows to count.
    pub select: ModelSelector,
    /// Column with the model label (`model`).
    pub model_column: String,
    /// Column with the count (`launched`).
    pub count_column: String,
    /// Column with the time (`time_start`); its date decides the period.
    pub time_column: String,
    /// Output frequency (daily, weekly, monthly, quarterly or yearly); weeks
    /// are ISO weeks, Monday to Sunday, so a log's 2024-12-30 counts in 2025-W01.
    pub frequency: Frequency,
    /// First period to write; default the first period of the log.
    pub from: Option<Period>,
    /// Last period to write; default the last period of the log.
    pub to: Option<Period>,
    /// Optional exposure selection.
    pub exposure: Option<ExposureSelector>,
}

/// The aggregated series and the account of every row.
#[derive(Debug, Clone, Serialize)]
pub struct Aggregation {
    /// Output frequency.
    pub frequency: Frequency,
    /// One entry per period from `from` to `to`: period, count, exposure.
    pub periods: Vec<Period>,
    /// Summed counts of the selected rows (0 where none).
    pub counts: Vec<f64>,
    /// Summed counts of the exposure rows, when asked.
    pub exposure: Option<Vec<f64>>,
    /// How each row was used.
    pub account: RowAccount,
}

/// How every row of the log was used.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RowAccount {
    /// Data rows read.
    pub read: usize,
    /// Rows counted in the series.
    pub used: usize,
    /// Rows counted in the exposure (possibly also in the series).
    pub used_in_exposure: usize,
    /// Rows whose label neither selection takes.
    pub not_selected: usize,
    /// Selected rows left out, by reason.
    pub skipped: BTreeMap<String, usize>,
    /// Labels of the log absent from the catalogue, with their row counts
    /// (only when an exposure category is used).
    pub uncatalogued: BTreeMap<String, usize>,
    /// Periods written whose total misses a selected row that has a date
    /// but no readable count: those totals are lower bounds.
    pub lower_bounds: BTreeSet<Period>,
    /// Periods left out of the file: every selected row there has a date but
    /// no readable count, so the total is unknown (a missing period), not 0.
    pub unknown: BTreeSet<Period>,
    /// Distinct labels counted in the series.
    pub labels_used: BTreeMap<String, usize>,
}

impl Aggregation {
    /// The series file: `period,count[,exposure]`.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(if self.exposure.is_some() {
            "period,count,exposure\n"
        } else {
            "period,count\n"
        });
        for (i, p) in self.periods.iter().enumerate() {
            if self.account.unknown.contains(p) {
                continue;
            }
            let _ = write!(out, "{p},{}", self.counts[i]);
            if let Some(e) = &self.exposure {
                let _ = write!(out, ",{}", e[i]);
            }
            out.push('\n');
        }
        out
    }
}

pub(super) fn csv_failure(source: &str, e: &csv::Error) -> Error {
    let line = e.position().map(|p| p.line());
    let msg = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "the text is not valid UTF-8; save the file as UTF-8".to_owned(),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("the row has {len} fields but the header has {expected_len}; make every row as long as the header")
        }
        _ => format!("{e}; fix the CSV syntax"),
    };
    Error::Input(InputError::new(
        Location {
            line,
            ..Location::file(source)
        },
        msg,
    ))
}

pub(super) fn column(header: &csv::StringRecord, name: &str, source: &str) -> Result<usize> {
    // Two columns of one name would leave which one counts to chance.
    if header.iter().filter(|h| *h == name).count() > 1 {
        return Err(Error::Input(InputError::new(
            Location::line(source, 1),
            format!("the column `{name}` appears twice; rename or remove one"),
        )));
    }
    header.iter().position(|h| h == name).ok_or_else(|| {
        let have: Vec<&str> = header.iter().collect();
        Error::Input(InputError::new(
            Location::line(source, 1),
            format!("there is no column `{name}`; the columns are {}", have.join(", ")),
        ))
    })
}

/// The date an event-log time belongs to: `YYYY-MM-DD`, optionally followed
/// by a time of day `H:MM` or `HH:MM`.
pub(super) fn event_date(text: &str) -> Option<NaiveDate> {
    let mut parts = text.split_whitespace();
    let date_text = parts.next()?;
    if date_text.len() != 10 {
        return None;
    }
    let date = NaiveDate::parse_from_str(date_text, "%Y-%m-%d").ok()?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(date),
        (Some(time), None) => {
            let (h, m) = time.split_once(':')?;
            let ok = (1..=2).contains(&h.len())
                && m.len() == 2
                && h.parse::<u32>().is_ok_and(|h| h < 24)
                && m.parse::<u32>().is_ok_and(|m| m < 60);
            ok.then_some(date)
        }
        _ => None,
    }
}

/// Sums the selected rows of an event log by period.
///
/// # Errors
/// [`Error::Input`] for a malformed log, missing columns, a selection that
/// matches no label (with the closest labels), or an exposure of zero.
pub fn aggregate(bytes: &[u8], source: &str, spec: &AggregateSpec) -> Result<Aggregation> {
    if spec.frequency == Frequency::Index {
        return Err(SpecError::EventLogNeedsDates.into());
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let header = reader.headers().map_err(|e| csv_failure(source, &e))?.clone();
    if header.is_empty() {
        return Err(Error::Input(InputError::new(
            Location::file(source),
            "the file is empty; give an event log with a header",
        )));
    }
    let model_col = column(&header, &spec.model_column, source)?;
    let count_col = column(&header, &spec.count_column, source)?;
    let time_col = column(&header, &spec.time_column, source)?;

    struct Event {
        period: Period,
        count: f64,
        in_series: bool,
        in_exposure: bool,
    }
    let mut account = RowAccount::default();
    let mut events = Vec::new();
    let mut labels: BTreeMap<String, usize> = BTreeMap::new();
    let (mut log_first, mut log_last): (Option<Period>, Option<Period>) = (None, None);
    // Periods with a selected series row whose count is unreadable.
    let mut unread = BTreeSet::new();
    let skip = |account: &mut RowAccount, reason: &str| *account.skipped.entry(reason.to_owned()).or_default() += 1;
    for record in reader.records() {
        let record = record.map_err(|e| csv_failure(source, &e))?;
        account.read += 1;
        let label = record[model_col].trim();
        *labels.entry(label.to_owned()).or_default() += 1;
        let date = event_date(&record[time_col]);
        if let Some(p) = date.and_then(|d| Period::containing(d, spec.frequency)) {
            log_first = Some(log_first.map_or(p, |f| f.min(p)));
            log_last = Some(log_last.map_or(p, |l| l.max(p)));
        }
        let in_series = spec.select.matches(label);
        let in_exposure = spec.exposure.as_ref().is_some_and(|e| e.matches(label));
        if let Some(e) = &spec.exposure
            && e.category.is_some()
            && !e.catalogue.category.contains_key(label)
        {
            *account.uncatalogued.entry(label.to_owned()).or_default() += 1;
        }
        if !in_series && !in_exposure {
            account.not_selected += 1;
            continue;
        }
        let Some(date) = date else {
            skip(&mut account, &format!("unparseable `{}`", spec.time_column));
            continue;
        };
        let period = Period::containing(date, spec.frequency).expect("dated frequency");
        let outside = spec.from.is_some_and(|f| period < f) || spec.to.is_some_and(|t| period > t);
        let count_text = record[count_col].trim();
        let count = match parse_count(count_text) {
            Ok(c) => c,
            Err(_) => {
                let reason = if count_text.is_empty() {
                    format!("blank `{}` (unknown, not zero)", spec.count_column)
                } else if is_missing_marker(count_text) {
                    format!("`{}` written {count_text} (unknown, not zero)", spec.count_column)
                } else {
                    format!("`{}` not a non-negative whole number", spec.count_column)
                };
                skip(&mut account, &reason);
                if !outside {
                    account.lower_bounds.insert(period);
                    if in_series {
                        unread.insert(period);
                    }
                }
                continue;
            }
        };
        if outside {
            skip(&mut account, "outside --from/--to");
            continue;
        }
        if in_series {
            account.used += 1;
            *account.labels_used.entry(label.to_owned()).or_default() += 1;
        }
        if in_exposure {
            account.used_in_exposure += 1;
        }
        events.push(Event {
            period,
            count,
            in_series,
            in_exposure,
        });
    }
    if account.read == 0 {
        return Err(Error::Input(InputError::new(
            Location::file(source),
            "the log has a header but no rows",
        )));
    }
    check_selector_matches(&spec.select, &labels, "--model", source)?;
    if let Some(ModelSelector::Names(_)) | Some(ModelSelector::Regex(_)) =
        spec.exposure.as_ref().and_then(|e| e.models.as_ref())
    {
        let models = spec.exposure.as_ref().and_then(|e| e.models.as_ref()).expect("checked");
        check_selector_matches(models, &labels, "--exposure-model", source)?;
    }

    let (Some(first), Some(last)) = (spec.from.or(log_first), spec.to.or(log_last)) else {
        return Err(Error::Input(InputError::new(
            Location::file(source),
            format!(
                "no row has a readable `{}`; times look like 2024-07-01 or 2024-07-01 18:00",
                spec.time_column
            ),
        )));
    };
    let periods = period_range(first, last)?;
    let n = periods.len();
    let mut counts = vec![0.0; n];
    let mut exposure = spec.exposure.as_ref().map(|_| vec![0.0; n]);
    let mut counted = BTreeSet::new();
    for e in &events {
        let i = e.period.steps_since(first) as usize;
        if e.in_series {
            counts[i] += e.count;
            counted.insert(e.period);
        }
        if let (true, Some(ex)) = (e.in_exposure, exposure.as_mut()) {
            ex[i] += e.count;
        }
    }
    if let Some(ex) = &exposure {
        check_exposure(ex, &periods, source)?;
    }
    account.unknown = unread.difference(&counted).copied().collect();
    account.lower_bounds.retain(|p| !account.unknown.contains(p));
    Ok(Aggregation {
        frequency: spec.frequency,
        periods,
        counts,
        exposure,
        account,
    })
}

/// Every period from `first` to `last`; backwards is an error.
pub(super) fn period_range(first: Period, last: Period) -> Result<Vec<Period>> {
    if last < first {
        return Err(SpecError::RangeBackwards {
            from: first.to_string(),
            to: last.to_string(),
        }
        .into());
    }
    let n = last.steps_since(first) as usize + 1;
    Ok((0..n).map(|i| first.offset(i as i64)).collect())
}

/// An exposure of zero in some period (no exposure row there) is an error.
pub(super) fn check_exposure(exposure: &[f64], periods: &[Period], source: &str) -> Result<()> {
    match exposure.iter().position(|&v| v <= 0.0) {
        Some(i) => Err(Error::Input(InputError::new(
            Location::file(source),
            format!(
                "no row matches the exposure selection in {}, so its exposure would be 0; widen the exposure selection or narrow --from/--to",
                periods[i]
            ),
        ))),
        None => Ok(()),
    }
}

/// A selection that takes no label of the log is an error listing the
/// closest labels.
fn check_selector_matches(
    sel: &ModelSelector,
    labels: &BTreeMap<String, usize>,
    option: &str,
    source: &str,
) -> Result<()> {
    let closest = |wanted: &str| -> String {
        let mut scored: Vec<(f64, &String)> = labels
            .keys()
            .map(|l| {
                (
                    strsim::normalized_levenshtein(&wanted.to_lowercase(), &l.to_lowercase()),
                    l,
                )
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        scored
            .iter()
            .take(5)
            .map(|(_, l)| format!("`{l}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let fail = |msg: String| Err(Error::Input(InputError::new(Location::file(source), msg)));
    match sel {
        ModelSelector::Regex(re) if !labels.keys().any(|l| re.is_match(l)) => fail(format!(
            "{option}-regex `{}` matches no model label; the closest labels are {}",
            re.as_str(),
            closest(re.as_str())
        )),
        ModelSelector::Names(names) => match names.iter().find(|n| !labels.contains_key(*n)) {
            Some(n) => fail(format!(
                "{option} `{n}` is not a model label of this log; the closest labels are {}",
                closest(n)
            )),
            None => Ok(()),
        },
        ModelSelector::Regex(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "time_start,model,launched\n\
        2024-02-15 3:30,Iskander-M/KN-23,4.0\n\
        2024-02-20,KN-23,2.0\n\
        2024-02-27,Iskander-M/KN-23,\n\
        2024-04-01 18:00 ,Shahed-136/131,10.0\n\
        garbage,KN-23,1.0\n";

    fn spec(select: ModelSelector) -> AggregateSpec {
        AggregateSpec {
            select,
            model_column: "model".into(),
            count_column: "launched".into(),
            time_column: "time_start".into(),
            frequency: Frequency::Monthly,
            from: None,
            to: None,
            exposure: None,
        }
    }

    #[test]
    fn sums_by_period_and_accounts_for_every_row() {
        let agg = aggregate(
            LOG.as_bytes(),
            "log.csv",
            &spec(ModelSelector::Regex(Regex::new("KN-23").unwrap())),
        )
        .unwrap();
        assert_eq!(agg.counts, vec![6.0, 0.0, 0.0]);
        assert_eq!(agg.periods[0].to_string(), "2024-02");
        let a = &agg.account;
        assert_eq!((a.read, a.used, a.not_selected), (5, 2, 1));
        assert_eq!(a.skipped.values().sum::<usize>(), 2);
        // The blank count of 2024-02-27 makes February's 6 a lower bound.
        let lower: Vec<String> = a.lower_bounds.iter().map(|p| p.to_string()).collect();
        assert_eq!(lower, ["2024-02"]);
    }

    #[test]
    fn weeks_are_iso_weeks_and_a_week_of_na_counts_only_is_missing() {
        let log = "time_start,model,launched\n\
            2024-12-29 23:00,KN-23,1\n\
            2024-12-30 01:00,KN-23,2\n\
            2025-01-12,KN-23,NA\n\
            2025-01-13,KN-23,3\n";
        let mut weekly = spec(ModelSelector::Names(vec!["KN-23".into()]));
        weekly.frequency = Frequency::Weekly;
        let agg = aggregate(log.as_bytes(), "log.csv", &weekly).unwrap();
        assert_eq!(agg.to_csv(), "period,count\n2024-W52,1\n2025-W01,2\n2025-W03,3\n");
        // Its only row has no count: the week's total is unknown, not 0.
        let unknown: Vec<String> = agg.account.unknown.iter().map(|p| p.to_string()).collect();
        assert_eq!(unknown, ["2025-W02"]);
        assert!(agg.account.lower_bounds.is_empty());
        assert_eq!(
            agg.account.skipped.keys().collect::<Vec<_>>(),
            ["`launched` written NA (unknown, not zero)"]
        );
    }

    #[test]
    fn unknown_names_list_the_closest_labels() {
        let err = aggregate(
            LOG.as_bytes(),
            "log.csv",
            &spec(ModelSelector::Names(vec!["KN23".into()])),
        )
        .unwrap_err();
        assert!(err.to_string().contains("closest labels are `KN-23`"), "{err}");
    }

    #[test]
    fn event_times_tolerate_the_logs_quirks() {
        assert!(event_date("2023-05-16 3:30").is_some());
        assert!(event_date("2025-03-06 21:00 ").is_some());
        assert!(event_date("2024-05-16").is_some());
        assert!(event_date("2024-05-16 25:00").is_none());
        assert!(event_date("16/05/2024").is_none());
    }
}
