//! An event log to many series at once (DESIGN §8): one series per model
//! label or per catalogue category, in the long format, with row filters
//! on any column, a rule for rows whose label names several weapons, and
//! the partial first and last periods flagged. Every row is accounted for.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use regex::Regex;
use serde::Serialize;

use super::aggregate::{AggregateSpec, Catalogue, check_exposure, column, csv_failure, event_date, period_range};
use super::period::Period;
use super::read::parse_count;
use crate::error::{Error, InputError, Location, Result, SpecError};

/// What a series is.
#[derive(Debug, Clone)]
pub enum GroupBy {
    /// One series per weapon label.
    Model,
    /// One series per catalogue category of the weapon.
    Category(Catalogue),
    /// Every selected weapon in one series of this key.
    One(String),
}

/// How a row whose label names several weapons (`X-101/X-555 and Kalibr`:
/// labels joined by ` and `) counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Combined {
    /// Its whole count in the series of every weapon it names (so counted
    /// more than once; the account says how often).
    Whole,
    /// Left out.
    Skip,
    /// Split by its `launched_details` (`{'X-101/X-555': 50, 'Kalibr':
    /// 12}`); a row without them is left out.
    #[default]
    Split,
}

/// A row filter: `COLUMN=VALUE` (equal after trimming) or `COLUMN~REGEX`.
#[derive(Debug, Clone)]
pub struct RowFilter {
    /// The column.
    pub column: String,
    /// What its cell must be.
    pub test: CellTest,
}

/// What a cell must be.
#[derive(Debug, Clone)]
pub enum CellTest {
    /// Exactly this text.
    Equals(String),
    /// Matching this expression (unanchored).
    Matches(Regex),
}

impl RowFilter {
    /// Parses `COLUMN=VALUE` or `COLUMN~REGEX`; `None` when it is neither.
    pub fn parse(text: &str) -> Option<std::result::Result<RowFilter, regex::Error>> {
        let at = text.find(['=', '~'])?;
        let (column, rest) = text.split_at(at);
        let value = &rest[1..];
        if column.is_empty() {
            return None;
        }
        Some(match rest.as_bytes()[0] {
            b'=' => Ok(RowFilter {
                column: column.to_owned(),
                test: CellTest::Equals(value.to_owned()),
            }),
            _ => Regex::new(value).map(|re| RowFilter {
                column: column.to_owned(),
                test: CellTest::Matches(re),
            }),
        })
    }

    fn passes(&self, cell: &str) -> bool {
        match &self.test {
            CellTest::Equals(v) => cell.trim() == v,
            CellTest::Matches(re) => re.is_match(cell),
        }
    }
}

/// What to aggregate into many series.
#[derive(Debug, Clone)]
pub struct GroupSpec {
    /// Columns, frequency, range and exposure as for one series; its
    /// selection takes the weapon labels that form series.
    pub base: AggregateSpec,
    /// Series by model or by category.
    pub by: GroupBy,
    /// Only the weapons of catalogue categories matching this.
    pub category: Option<(Regex, Catalogue)>,
    /// Rows must pass every filter.
    pub filters: Vec<RowFilter>,
    /// How combined labels count.
    pub combined: Combined,
    /// Drop a first or last period the log covers only in part.
    pub complete_periods: bool,
}

/// The series, on one index.
#[derive(Debug, Clone, Serialize)]
pub struct Groups {
    /// The periods written.
    pub periods: Vec<Period>,
    /// Per series (by key): its counts per period.
    pub series: BTreeMap<String, Vec<f64>>,
    /// The shared exposure per period, when asked.
    pub exposure: Option<Vec<f64>>,
    /// How every row was used.
    pub account: GroupAccount,
}

/// How every row of the log was used.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GroupAccount {
    /// Data rows read.
    pub read: usize,
    /// Rows a `--where` filter left out.
    pub filtered: usize,
    /// Rows whose weapons form no selected series (and not in the exposure).
    pub not_selected: usize,
    /// Rows counted, per series: rows and total.
    pub per_series: BTreeMap<String, (usize, f64)>,
    /// Rows with a combined label, by what was done.
    pub combined: BTreeMap<String, usize>,
    /// Launches counted in more than one series (`--combined whole`).
    pub counted_twice: f64,
    /// Rows left out, by reason.
    pub skipped: BTreeMap<String, usize>,
    /// Periods the log covers only in part (its first and last days).
    pub partial: BTreeSet<Period>,
    /// Whether they were dropped.
    pub partial_dropped: bool,
}

/// `{'A': 12, 'B': 3}` as (label, count) pairs.
fn parse_details(text: &str) -> Option<Vec<(String, f64)>> {
    let inner = text.trim().strip_prefix('{')?.strip_suffix('}')?;
    inner
        .split(',')
        .map(|part| {
            let (label, count) = part.split_once(':')?;
            let label = label.trim().trim_matches(['\'', '"']).to_owned();
            let count = parse_count(count.trim()).ok()?;
            Some((label, count))
        })
        .collect()
}

/// Aggregates an event log into one series per model or category.
///
/// # Errors
/// [`Error::Input`] for a malformed log, a missing column (the filters'
/// included), or a log with no rows or no readable time.
pub fn aggregate_groups(bytes: &[u8], source: &str, spec: &GroupSpec) -> Result<Groups> {
    let base = &spec.base;
    if base.frequency == super::Frequency::Index {
        return Err(SpecError::EventLogNeedsDates.into());
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let header = reader.headers().map_err(|e| csv_failure(source, &e))?.clone();
    let model_col = column(&header, &base.model_column, source)?;
    let count_col = column(&header, &base.count_column, source)?;
    let time_col = column(&header, &base.time_column, source)?;
    let details_col = header.iter().position(|h| h == "launched_details");
    let filters: Vec<(usize, &RowFilter)> = spec
        .filters
        .iter()
        .map(|f| Ok((column(&header, &f.column, source)?, f)))
        .collect::<Result<_>>()?;
    let category_of = |label: &str| -> Option<String> {
        match &spec.by {
            GroupBy::Model => Some(label.to_owned()),
            GroupBy::Category(c) => c.category.get(label).cloned(),
            GroupBy::One(key) => Some(key.clone()),
        }
    };
    let selected = |label: &str| {
        base.select.matches(label)
            && spec
                .category
                .as_ref()
                .is_none_or(|(re, c)| c.category.get(label).is_some_and(|k| re.is_match(k)))
    };
    let mut account = GroupAccount::default();
    let skip = |account: &mut GroupAccount, reason: String| *account.skipped.entry(reason).or_default() += 1;
    // (key, period) -> count; exposure by period.
    let mut sums: HashMap<(String, Period), f64> = HashMap::new();
    let mut exposure: BTreeMap<Period, f64> = BTreeMap::new();
    let (mut first_day, mut last_day) = (None, None);
    for record in reader.records() {
        let record = record.map_err(|e| csv_failure(source, &e))?;
        account.read += 1;
        let Some(date) = event_date(&record[time_col]) else {
            skip(&mut account, format!("unparseable `{}`", base.time_column));
            continue;
        };
        first_day = Some(first_day.map_or(date, |d: chrono::NaiveDate| d.min(date)));
        last_day = Some(last_day.map_or(date, |d: chrono::NaiveDate| d.max(date)));
        if !filters.iter().all(|(i, f)| f.passes(&record[*i])) {
            account.filtered += 1;
            continue;
        }
        let period = Period::containing(date, base.frequency).expect("dated frequency");
        if base.from.is_some_and(|f| period < f) || base.to.is_some_and(|t| period > t) {
            skip(&mut account, "outside the period range".into());
            continue;
        }
        let label = record[model_col].trim();
        let Ok(count) = parse_count(record[count_col].trim()) else {
            skip(
                &mut account,
                format!("`{}` not a count (unknown, not zero)", base.count_column),
            );
            continue;
        };
        if base.exposure.as_ref().is_some_and(|e| e.matches(label)) {
            *exposure.entry(period).or_default() += count;
        }
        let weapons: Vec<&str> = label.split(" and ").map(str::trim).collect();
        let parts: Vec<(String, f64)> = if weapons.len() == 1 {
            vec![(label.to_owned(), count)]
        } else {
            match spec.combined {
                Combined::Skip => {
                    *account.combined.entry("skipped".into()).or_default() += 1;
                    continue;
                }
                Combined::Whole => {
                    *account
                        .combined
                        .entry("counted whole for each weapon".into())
                        .or_default() += 1;
                    weapons.iter().map(|w| ((*w).to_owned(), count)).collect()
                }
                Combined::Split => match details_col.and_then(|i| parse_details(&record[i])) {
                    Some(split) if (split.iter().map(|p| p.1).sum::<f64>() - count).abs() < 0.5 => {
                        *account.combined.entry("split by launched_details".into()).or_default() += 1;
                        split
                    }
                    // Without a split, a row whose weapons all fall in one
                    // series (two cruise missiles by category) counts whole
                    // there: no split is needed.
                    _ => {
                        let keys: BTreeSet<Option<String>> = weapons
                            .iter()
                            .map(|w| selected(w).then(|| category_of(w)).flatten())
                            .collect();
                        match keys.into_iter().collect::<Vec<_>>()[..] {
                            [Some(_)] => {
                                *account
                                    .combined
                                    .entry("counted whole: every weapon it names is in one series".into())
                                    .or_default() += 1;
                                vec![(weapons[0].to_owned(), count)]
                            }
                            _ => {
                                *account
                                    .combined
                                    .entry("skipped: launched_details give no split that adds up".into())
                                    .or_default() += 1;
                                continue;
                            }
                        }
                    }
                },
            }
        };
        // Per series this row counts in: a whole combined row once in each
        // (not once per weapon when two weapons share a series).
        let mut row_keys: BTreeMap<String, f64> = BTreeMap::new();
        for (weapon, n) in parts {
            if !selected(&weapon) {
                continue;
            }
            let Some(key) = category_of(&weapon) else {
                skip(&mut account, format!("`{weapon}` is not in the catalogue"));
                continue;
            };
            let v = row_keys.entry(key).or_default();
            *v = if spec.combined == Combined::Whole && weapons.len() > 1 {
                n
            } else {
                *v + n
            };
        }
        if row_keys.is_empty() {
            account.not_selected += 1;
        } else if weapons.len() > 1 && spec.combined == Combined::Whole {
            account.counted_twice += count * (row_keys.len() - 1) as f64;
        }
        for (key, n) in row_keys {
            *sums.entry((key.clone(), period)).or_default() += n;
            let e = account.per_series.entry(key).or_default();
            e.0 += 1;
            e.1 += n;
        }
    }
    let (Some(first_day), Some(last_day)) = (first_day, last_day) else {
        return Err(Error::Input(InputError::new(
            Location::file(source),
            format!(
                "no row has a readable `{}`; times look like 2024-07-01 or 2024-07-01 18:00",
                base.time_column
            ),
        )));
    };
    let frequency = base.frequency;
    let log_first = Period::containing(first_day, frequency).expect("dated frequency");
    let log_last = Period::containing(last_day, frequency).expect("dated frequency");
    if log_first.first_day() != Some(first_day) {
        account.partial.insert(log_first);
    }
    if log_last.last_day() != Some(last_day) {
        account.partial.insert(log_last);
    }
    let mut first = base.from.unwrap_or(log_first);
    let mut last = base.to.unwrap_or(log_last);
    if spec.complete_periods {
        account.partial_dropped = true;
        if account.partial.contains(&first) {
            first = first.offset(1);
        }
        if account.partial.contains(&last) {
            last = last.offset(-1);
        }
    }
    let periods = period_range(first, last)?;
    let n = periods.len();
    let mut series: BTreeMap<String, Vec<f64>> = account.per_series.keys().map(|k| (k.clone(), vec![0.0; n])).collect();
    for ((key, p), v) in sums {
        if (first..=last).contains(&p) {
            series.get_mut(&key).expect("every key has a series")[p.steps_since(first) as usize] += v;
        }
    }
    let exposure = base.exposure.as_ref().map(|_| {
        periods
            .iter()
            .map(|p| exposure.get(p).copied().unwrap_or(0.0))
            .collect::<Vec<f64>>()
    });
    if let Some(ex) = &exposure {
        check_exposure(ex, &periods, source)?;
    }
    Ok(Groups {
        periods,
        series,
        exposure,
        account,
    })
}

impl Groups {
    /// The long series file, `series,period,count[,exposure]`, or with
    /// `long` false the one series' file, `period,count[,exposure]`.
    pub fn to_csv(&self, long: bool) -> String {
        let mut out = String::from(if long { "series," } else { "" });
        out += if self.exposure.is_some() {
            "period,count,exposure\n"
        } else {
            "period,count\n"
        };
        for (key, counts) in &self.series {
            let key = if long { csv_field(key) + "," } else { String::new() };
            for (i, p) in self.periods.iter().enumerate() {
                let _ = write!(out, "{key}{p},{}", counts[i]);
                if let Some(e) = &self.exposure {
                    let _ = write!(out, ",{}", e[i]);
                }
                out.push('\n');
            }
        }
        out
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Frequency, ModelSelector};

    const LOG: &str = "time_start,model,launched,launched_details,source\n\
        2024-01-03,KN-23,2,,kpszsu\n\
        2024-01-20,Kalibr,5,,kpszsu\n\
        2024-02-10,KN-23 and Kalibr,7,\"{'KN-23': 3, 'Kalibr': 4}\",kpszsu\n\
        2024-02-11,KN-23 and Kalibr,9,,PvKPivden\n\
        2024-03-15,Kalibr,1,,kpszsu\n";

    fn spec(combined: Combined) -> GroupSpec {
        GroupSpec {
            base: AggregateSpec {
                select: ModelSelector::Regex(Regex::new("").unwrap()),
                model_column: "model".into(),
                count_column: "launched".into(),
                time_column: "time_start".into(),
                frequency: Frequency::Monthly,
                from: None,
                to: None,
                exposure: None,
            },
            by: GroupBy::Model,
            category: None,
            filters: Vec::new(),
            combined,
            complete_periods: false,
        }
    }

    #[test]
    fn combined_rows_split_by_their_details_and_the_rest_are_accounted_for() {
        let g = aggregate_groups(LOG.as_bytes(), "log.csv", &spec(Combined::Split)).unwrap();
        assert_eq!(g.series["KN-23"], [2.0, 3.0, 0.0]);
        assert_eq!(g.series["Kalibr"], [5.0, 4.0, 1.0]);
        assert_eq!(g.account.combined.values().sum::<usize>(), 2);
        let whole = aggregate_groups(LOG.as_bytes(), "log.csv", &spec(Combined::Whole)).unwrap();
        assert_eq!(whole.series["KN-23"], [2.0, 16.0, 0.0]);
        assert_eq!(whole.account.counted_twice, 16.0);
    }

    #[test]
    fn filters_and_partial_periods() {
        let mut s = spec(Combined::Skip);
        s.filters.push(RowFilter::parse("source~kpszsu").unwrap().unwrap());
        s.complete_periods = true;
        let g = aggregate_groups(LOG.as_bytes(), "log.csv", &s).unwrap();
        assert_eq!(g.account.filtered, 1);
        // The log runs 2024-01-03 to 2024-03-15: both ends are partial.
        assert_eq!(g.periods.len(), 1);
        assert_eq!(g.series["Kalibr"], [0.0]);
    }

    #[test]
    fn a_combined_row_within_one_category_counts_whole_there() {
        let mut s = spec(Combined::Split);
        let mut catalogue = Catalogue::default();
        for (m, c) in [("KN-23", "ballistic"), ("Kalibr", "cruise"), ("X-101", "cruise")] {
            catalogue.category.insert(m.into(), c.into());
        }
        s.by = GroupBy::Category(catalogue);
        let log = "time_start,model,launched\n2024-01-03,Kalibr and X-101,6\n2024-01-04,KN-23 and Kalibr,5\n";
        let g = aggregate_groups(log.as_bytes(), "log.csv", &s).unwrap();
        assert_eq!(g.series["cruise"], [6.0]);
        assert!(!g.series.contains_key("ballistic"));
        assert_eq!(g.account.combined.values().sum::<usize>(), 2);
    }
}
