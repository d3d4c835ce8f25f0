//! Which frequency a file of dates is in (DESIGN §8 Data).
//!
//! R, spreadsheets and pandas write monthly data as dates: the first of each
//! month (`2024-01-01`) or, after pandas' month-end resampling, the last
//! (`2024-01-31`). A file whose periods are all dates (`YYYY-MM-DD`) is read
//! at the coarsest frequency its dates fit, years before quarters before
//! months before weeks before days:
//!
//! - **years, quarters, months**: every date is the first day of a year
//!   (quarter, month), or every date is the last day of one. A run row may
//!   also cover whole periods: with first days, a run's end may be the last
//!   day of its last period (`2024-01-01..2024-06-30` is 2024-01..2024-06);
//!   with last days, a run's start may be the first day of its first.
//!   Quarters win over months only when every date is on a quarter's edge,
//!   years over quarters only when every date is on a year's edge.
//! - **weeks**: every date falls on one weekday, so that dates are 7 days
//!   apart or a multiple of it; a run may also start on a Monday and end on
//!   a Sunday (whole ISO weeks). Each date stands for the ISO week, Monday
//!   to Sunday, that holds it.
//! - **days** otherwise.
//!
//! Gaps are allowed at every frequency (a missing month is missing, as ever).
//! A file of one row is read as a day: one date cannot show a frequency.
//! `--frequency` ([`super::read::ReadOptions`]) overrides the inference: each
//! date then stands for the period of that frequency that holds it.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::period::{Frequency, Period};

/// Where a series' frequency came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FrequencySource {
    /// The spelling of the periods: `2024-01` is a month, `2024-W05` an ISO
    /// week, `2024-Q1` a quarter, `2024` a year, `17` an index.
    Periods,
    /// Dates (`YYYY-MM-DD`), by the rules of this module.
    Dates,
    /// `--frequency`.
    Option,
}

/// How a date is used in its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The one date of a `period` row.
    Period,
    /// The first date of a run.
    Start,
    /// The last date of a run.
    End,
}

/// Flags over every date of one role, for one frequency.
#[derive(Debug, Clone, Copy)]
struct Edges {
    all_first: bool,
    all_last: bool,
    all_edge: bool,
}

impl Default for Edges {
    fn default() -> Edges {
        Edges {
            all_first: true,
            all_last: true,
            all_edge: true,
        }
    }
}

/// The coarse frequencies, coarsest first.
const COARSE: [Frequency; 3] = [Frequency::Yearly, Frequency::Quarterly, Frequency::Monthly];

/// What the dates of a file show, gathered in one pass.
#[derive(Debug, Default)]
pub(crate) struct DateEvidence {
    rows: usize,
    /// `edges[frequency][role]`, frequencies as [`COARSE`].
    edges: [[Edges; 3]; 3],
    /// Bit `d` set when some date of the role falls on weekday `d` (0 = Monday).
    weekdays: [u8; 3],
    runs: bool,
}

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

impl DateEvidence {
    /// Counts one row; its dates follow by [`DateEvidence::add`].
    pub(crate) fn add_row(&mut self, is_run: bool) {
        self.rows += 1;
        self.runs |= is_run;
    }

    /// Adds one date in its role.
    pub(crate) fn add(&mut self, role: Role, date: NaiveDate) {
        let r = role as usize;
        for (k, &frequency) in COARSE.iter().enumerate() {
            let period = Period::containing(date, frequency);
            let first = period.and_then(Period::first_day) == Some(date);
            let last = period.and_then(Period::last_day) == Some(date);
            let e = &mut self.edges[k][r];
            e.all_first &= first;
            e.all_last &= last;
            e.all_edge &= first || last;
        }
        self.weekdays[r] |= 1 << date.weekday().num_days_from_monday();
    }

    /// The frequency the dates fit, and the rule that says so in words.
    pub(crate) fn infer(&self) -> (Frequency, String) {
        if self.rows < 2 {
            return (
                Frequency::Daily,
                "the file has one row, and one date cannot show a frequency, so it is read as a day; give --frequency to read it as a week, month, quarter or year".into(),
            );
        }
        let (p, s, e) = (Role::Period as usize, Role::Start as usize, Role::End as usize);
        let dated_rows = self.weekdays[p] != 0;
        for (k, &frequency) in COARSE.iter().enumerate() {
            let edges = &self.edges[k];
            let unit = frequency.unit();
            if !dated_rows && edges[s].all_first && edges[e].all_last {
                return (
                    frequency,
                    format!("every run covers whole {unit}s, from the first day of one to the last day of one"),
                );
            }
            if edges[p].all_first && edges[s].all_first && edges[e].all_edge {
                let runs = if self.runs {
                    format!(" (a run may end on the last day of its last {unit})")
                } else {
                    String::new()
                };
                return (frequency, format!("every date is the first day of a {unit}{runs}"));
            }
            if edges[p].all_last && edges[s].all_edge && edges[e].all_last {
                let runs = if self.runs {
                    format!(" (a run may start on the first day of its first {unit})")
                } else {
                    String::new()
                };
                return (frequency, format!("every date is the last day of a {unit}{runs}"));
            }
        }
        const MONDAY: u8 = 1;
        const SUNDAY: u8 = 1 << 6;
        let [period, start, end] = self.weekdays;
        let within = |mask: u8, allowed: u8| mask & !allowed == 0;
        let holds = "each date stands for the ISO week, Monday to Sunday, that holds it";
        // Every date on one weekday (a label of its week).
        if let Some(d) = (0..7).find(|&d| within(period | start | end, 1 << d)) {
            return (
                Frequency::Weekly,
                format!(
                    "every date is a {}, 7 days apart or a multiple of it; {holds}",
                    WEEKDAYS[d]
                ),
            );
        }
        if period == 0 && within(start, MONDAY) && within(end, SUNDAY) {
            return (
                Frequency::Weekly,
                "every run covers whole ISO weeks, from a Monday to a Sunday".into(),
            );
        }
        // Mondays with runs that end on a Sunday, or Sundays with runs that
        // start on a Monday: whole weeks, as with first and last days of months.
        if within(period | start, MONDAY) && within(end, MONDAY | SUNDAY) {
            return (
                Frequency::Weekly,
                format!("every date is a Monday (a run may end on a Sunday, covering whole weeks); {holds}"),
            );
        }
        if within(period | end, SUNDAY) && within(start, MONDAY | SUNDAY) {
            return (
                Frequency::Weekly,
                format!("every date is a Sunday (a run may start on a Monday, covering whole weeks); {holds}"),
            );
        }
        (
            Frequency::Daily,
            "the dates are not all on the first (or all on the last) days of months, quarters or years, nor all on one weekday, so they are days".into(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infer(rows: &[(&str, Option<&str>)]) -> Frequency {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let mut ev = DateEvidence::default();
        for (a, b) in rows {
            ev.add_row(b.is_some());
            match b {
                None => ev.add(Role::Period, d(a)),
                Some(b) => {
                    ev.add(Role::Start, d(a));
                    ev.add(Role::End, d(b));
                }
            }
        }
        ev.infer().0
    }

    #[test]
    fn the_coarsest_frequency_whose_edges_every_date_is_on_wins() {
        use Frequency::*;
        let p = |s| (s, None);
        assert_eq!(infer(&[p("2024-01-01"), p("2024-03-01")]), Monthly);
        assert_eq!(infer(&[p("2024-01-31"), p("2024-02-29")]), Monthly);
        assert_eq!(infer(&[p("2024-01-01"), p("2024-07-01")]), Quarterly);
        assert_eq!(infer(&[p("2024-01-01"), p("2026-01-01")]), Yearly);
        assert_eq!(infer(&[p("2024-12-31"), p("2026-12-31")]), Yearly);
        assert_eq!(infer(&[p("2024-03-31"), p("2024-12-31")]), Quarterly);
        // First and last days mixed: neither convention holds.
        assert_eq!(infer(&[p("2024-01-01"), p("2024-02-29")]), Daily);
        // 2024-01-01 and 2024-04-01 are both Mondays, but quarters come first.
        assert_eq!(infer(&[p("2024-01-01"), p("2024-04-01")]), Quarterly);
        assert_eq!(infer(&[p("2024-01-02"), p("2024-01-16"), p("2024-03-05")]), Weekly);
        assert_eq!(infer(&[p("2024-01-02"), p("2024-01-17")]), Daily);
        assert_eq!(infer(&[p("2024-01-01")]), Daily);
    }

    #[test]
    fn runs_follow_the_same_rules() {
        use Frequency::*;
        let r = |a, b| (a, Some(b));
        assert_eq!(
            infer(&[r("2024-01-01", "2024-06-30"), r("2024-07-01", "2024-07-31")]),
            Monthly
        );
        // Labels: first days throughout, the run's end names its last month.
        assert_eq!(infer(&[r("2024-01-01", "2024-06-01"), ("2024-07-01", None)]), Monthly);
        assert_eq!(infer(&[r("2024-01-31", "2024-06-30"), ("2024-07-31", None)]), Monthly);
        assert_eq!(
            infer(&[r("2024-01-01", "2024-06-30"), r("2024-07-01", "2024-12-31")]),
            Quarterly
        );
        assert_eq!(
            infer(&[r("2024-01-01", "2024-01-14"), r("2024-01-15", "2024-01-21")]),
            Weekly
        );
        assert_eq!(
            infer(&[r("2024-01-01", "2024-01-10"), r("2024-01-15", "2024-01-21")]),
            Daily
        );
        assert_eq!(infer(&[r("2024-01-03", "2024-01-10"), ("2024-01-17", None)]), Weekly);
        assert_eq!(infer(&[r("2024-01-01", "2024-01-14"), ("2024-01-15", None)]), Weekly);
        assert_eq!(infer(&[r("2024-01-03", "2024-01-14"), ("2024-01-17", None)]), Daily);
        // A first-day label with a run ending mid-month: days.
        assert_eq!(infer(&[r("2024-01-01", "2024-06-15"), ("2024-07-01", None)]), Daily);
    }
}
