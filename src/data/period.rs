//! Periods: one step of a series' time index, in one of six frequencies.
//!
//! A [`Period`] is a frequency and an ordinal (months since year 0, days since
//! 1970-01-01, ISO weeks since the week of 1970-01-01, the integer itself,
//! ...), so that consecutive periods differ by one and the index of a period
//! within a series is a subtraction.
//!
//! Weeks are ISO 8601 weeks, Monday to Sunday, written `YYYY-Www` with the
//! ISO week-numbering year: week 1 is the week that holds the year's first
//! Thursday, so 2024-12-30 is in 2025-W01 and 2021-01-03 in 2020-W53. A year
//! has 52 weeks, or 53 when it starts on a Thursday (or is a leap year that
//! starts on a Wednesday): 2015, 2020, 2026, 2032, ...
//!
//! # Seasons of weekly data
//! Weeks do not tile a year, so weekly data have no fixed "position in the
//! year" to hang one dummy per season on ([`Frequency::periods_per_year`] is
//! `None`). Seasonal terms of weekly data use the fraction of the calendar
//! year at the middle of the week ([`Period::year_fraction`], the Thursday at
//! noon): a 53-week year just has one more week near the turn of the year,
//! and no week is dropped or merged. A seasonal baseline looks
//! [`Frequency::seasonal_lag`] = 52 weeks back, which is always the week whose
//! middle lies 364 days earlier: the same time of year within 3 days, also
//! for week 53 (2020-W53 looks back to 2020-W01, the week of 2019-12-31).

use std::fmt;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// The largest integer period index, either way (10^12).
pub const MAX_INDEX: i64 = 1_000_000_000_000;

/// How often a series is observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// `YYYY-MM-DD`.
    Daily,
    /// `YYYY-Www`: ISO 8601 weeks, Monday to Sunday.
    Weekly,
    /// `YYYY-MM`.
    Monthly,
    /// `YYYY-Qn`.
    Quarterly,
    /// `YYYY`.
    Yearly,
    /// A plain integer index.
    Index,
}

impl Frequency {
    /// Periods per year, where every year has the same number of periods at
    /// the same positions (used by the dummies of `season`): 12 months, 4
    /// quarters. `None` for weeks, which number 52 or 53 a year (see the
    /// module docs), and for days, years and an index.
    pub fn periods_per_year(self) -> Option<usize> {
        match self {
            Frequency::Monthly => Some(12),
            Frequency::Quarterly => Some(4),
            Frequency::Daily | Frequency::Weekly | Frequency::Yearly | Frequency::Index => None,
        }
    }

    /// How many periods back the same time of the previous year lies, for a
    /// seasonal baseline (seasonal naive forecast): 12 months, 4 quarters,
    /// 52 weeks. For weeks, 52 weeks back is always the week whose middle is
    /// 364 days earlier, so within 3 days of the same date a year before,
    /// in 53-week years too; `None` when the data have no season.
    pub fn seasonal_lag(self) -> Option<usize> {
        match self {
            Frequency::Monthly => Some(12),
            Frequency::Quarterly => Some(4),
            Frequency::Weekly => Some(52),
            Frequency::Daily | Frequency::Yearly | Frequency::Index => None,
        }
    }

    /// The unit of one period in words, for "per month" in tables.
    pub fn unit(self) -> &'static str {
        match self {
            Frequency::Daily => "day",
            Frequency::Weekly => "week",
            Frequency::Monthly => "month",
            Frequency::Quarterly => "quarter",
            Frequency::Yearly => "year",
            Frequency::Index => "period",
        }
    }

    /// The accepted spelling, for error messages.
    pub fn format_hint(self) -> &'static str {
        match self {
            Frequency::Daily => "YYYY-MM-DD",
            Frequency::Weekly => "YYYY-Www",
            Frequency::Monthly => "YYYY-MM",
            Frequency::Quarterly => "YYYY-Qn",
            Frequency::Yearly => "YYYY",
            Frequency::Index => "an integer",
        }
    }
}

impl fmt::Display for Frequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
            Frequency::Yearly => "yearly",
            Frequency::Index => "index",
        })
    }
}

/// One period of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    frequency: Frequency,
    ordinal: i64,
}

/// Why a period string was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PeriodError {
    /// The text matches none of the six spellings.
    #[error("is not a period; write YYYY-MM, YYYY-Qn, YYYY-Www, YYYY-MM-DD, YYYY or an integer index")]
    Unrecognised,
    /// An integer index beyond [`MAX_INDEX`] either way.
    #[error("is beyond the integer periods countshift reads, -1000000000000 to 1000000000000")]
    IndexRange,
    /// A month outside 01..12.
    #[error("has month {0}; months run from 01 to 12")]
    Month(u32),
    /// A quarter outside 1..4.
    #[error("has quarter Q{0}; quarters run from Q1 to Q4")]
    Quarter(u32),
    /// An ISO week outside 1..53.
    #[error("has week {0}; ISO weeks run from W01 to W52, or W53 in long years")]
    Week(u32),
    /// Week 53 of a year that has 52 ISO weeks.
    #[error("has week 53, but {year} has 52 ISO weeks; the week after {year}-W52 is {next}-W01", next = year + 1)]
    NoWeek53 {
        /// The ISO week-numbering year.
        year: i32,
    },
    /// A calendar date that does not exist.
    #[error("is not a calendar date")]
    Date,
    /// Readable, but in another frequency than the one required (a date
    /// that is not the first or last day of a month, quarter or year).
    #[error("is {found}, but this series is {expected}; write it as {hint}{}", boundary_hint(*expected))]
    Frequency {
        /// What the text is.
        found: Frequency,
        /// What the series is.
        expected: Frequency,
        /// The spelling to use.
        hint: &'static str,
    },
}

/// What a date may be instead of the spelling of a coarser frequency.
fn boundary_hint(expected: Frequency) -> &'static str {
    match expected {
        Frequency::Monthly => " (or as the first or last day of the month)",
        Frequency::Quarterly => " (or as the first or last day of the quarter)",
        Frequency::Yearly => " (or as 1 January or 31 December)",
        Frequency::Daily | Frequency::Weekly | Frequency::Index => "",
    }
}

/// A period as written, before the file decides whether 4-digit integers are
/// years or indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RawPeriod {
    Dated(Period),
    /// A plain integer: a year when every period of the file is one from
    /// 1000 to 9999, else an index. (16 bytes: the tag sits in the spare
    /// values of a dated period's frequency, so a 10^6-row file's rows stay small.)
    Integer(i64),
}

impl RawPeriod {
    /// Reads one period; a plain integer stays undecided.
    pub(crate) fn parse(text: &str) -> Result<RawPeriod, PeriodError> {
        let s = super::trim_cell(text);
        let b = s.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().map_err(|_| PeriodError::Unrecognised);
        match b.len() {
            10 if digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10) => {
                let (y, m, d) = (num(0..4)? as i32, num(5..7)?, num(8..10)?);
                if !(1..=12).contains(&m) {
                    return Err(PeriodError::Month(m));
                }
                let date = NaiveDate::from_ymd_opt(y, m, d).ok_or(PeriodError::Date)?;
                Ok(RawPeriod::Dated(Period::from_date(date)))
            }
            7 if digits(0..4) && b[4] == b'-' && digits(5..7) => {
                let (y, m) = (num(0..4)?, num(5..7)?);
                if !(1..=12).contains(&m) {
                    return Err(PeriodError::Month(m));
                }
                Ok(RawPeriod::Dated(Period::month(y as i32, m)))
            }
            8 if digits(0..4) && b[4] == b'-' && (b[5] == b'W' || b[5] == b'w') && digits(6..8) => {
                let (y, w) = (num(0..4)? as i32, num(6..8)?);
                if !(1..=53).contains(&w) {
                    return Err(PeriodError::Week(w));
                }
                Period::week(y, w)
                    .map(RawPeriod::Dated)
                    .ok_or(PeriodError::NoWeek53 { year: y })
            }
            7 if digits(0..4) && b[4] == b'-' && (b[5] == b'Q' || b[5] == b'q') && digits(6..7) => {
                let (y, q) = (num(0..4)?, num(6..7)?);
                if !(1..=4).contains(&q) {
                    return Err(PeriodError::Quarter(q));
                }
                Ok(RawPeriod::Dated(Period::quarter(y as i32, q)))
            }
            _ => {
                let body = s.strip_prefix('-').unwrap_or(s);
                if body.is_empty() || !body.bytes().all(|c| c.is_ascii_digit()) {
                    return Err(PeriodError::Unrecognised);
                }
                // Bounded so that spans and offsets of any two periods, and
                // a forecast's horizon past them, stay far inside an i64.
                let value = s
                    .parse::<i64>()
                    .ok()
                    .filter(|v| v.unsigned_abs() <= MAX_INDEX.unsigned_abs())
                    .ok_or(PeriodError::IndexRange)?;
                Ok(RawPeriod::Integer(value))
            }
        }
    }

    /// Whether it is an integer that can be a year (four digits, no
    /// leading zero).
    pub(crate) fn could_be_year(self) -> bool {
        matches!(self, RawPeriod::Integer(v) if (1000..=9999).contains(&v))
    }

    pub(crate) fn frequency_if_dated(self) -> Option<Frequency> {
        match self {
            RawPeriod::Dated(p) => Some(p.frequency),
            RawPeriod::Integer(_) => None,
        }
    }

    /// The day of a period written as a date (`YYYY-MM-DD`).
    pub(crate) fn date(self) -> Option<NaiveDate> {
        match self {
            RawPeriod::Dated(p) if p.frequency == Frequency::Daily => p.first_day(),
            _ => None,
        }
    }

    /// Settles an integer as a year or an index.
    pub(crate) fn resolve(self, integers_are_years: bool) -> Period {
        match self {
            RawPeriod::Dated(p) => p,
            RawPeriod::Integer(value) => Period {
                frequency: if integers_are_years {
                    Frequency::Yearly
                } else {
                    Frequency::Index
                },
                ordinal: value,
            },
        }
    }
}

impl Period {
    /// The month `m` (1..=12) of year `y`.
    pub fn month(y: i32, m: u32) -> Period {
        Period {
            frequency: Frequency::Monthly,
            ordinal: i64::from(y) * 12 + i64::from(m) - 1,
        }
    }

    /// The quarter `q` (1..=4) of year `y`.
    pub fn quarter(y: i32, q: u32) -> Period {
        Period {
            frequency: Frequency::Quarterly,
            ordinal: i64::from(y) * 4 + i64::from(q) - 1,
        }
    }

    /// The year `y`.
    pub fn year(y: i32) -> Period {
        Period {
            frequency: Frequency::Yearly,
            ordinal: i64::from(y),
        }
    }

    /// ISO week `w` (1..=53) of the ISO week-numbering year `y`; `None` when
    /// the year has no such week (week 53 of a 52-week year).
    pub fn week(y: i32, w: u32) -> Option<Period> {
        let monday = NaiveDate::from_isoywd_opt(y, w, Weekday::Mon)?;
        Some(Period {
            frequency: Frequency::Weekly,
            ordinal: (monday - week_epoch()).num_days().div_euclid(7),
        })
    }

    /// Number of ISO weeks (52 or 53) of the ISO week-numbering year `y`.
    pub fn weeks_in_iso_year(y: i32) -> u32 {
        // 28 December is always in the year's last week.
        NaiveDate::from_ymd_opt(y, 12, 28).map_or(52, |d| d.iso_week().week())
    }

    /// Position `i` of an integer-indexed series.
    pub fn index(i: i64) -> Period {
        Period {
            frequency: Frequency::Index,
            ordinal: i,
        }
    }

    /// The day `date`.
    pub fn from_date(date: NaiveDate) -> Period {
        Period {
            frequency: Frequency::Daily,
            ordinal: (date - day_epoch()).num_days(),
        }
    }

    /// The period of `frequency` that contains `date` (an index has none):
    /// for weeks, the ISO week (Monday to Sunday) of the date.
    pub fn containing(date: NaiveDate, frequency: Frequency) -> Option<Period> {
        let (y, m) = (date.year(), date.month());
        match frequency {
            Frequency::Daily => Some(Period::from_date(date)),
            Frequency::Weekly => {
                let iso = date.iso_week();
                Period::week(iso.year(), iso.week())
            }
            Frequency::Monthly => Some(Period::month(y, m)),
            Frequency::Quarterly => Some(Period::quarter(y, (m - 1) / 3 + 1)),
            Frequency::Yearly => Some(Period::year(y)),
            Frequency::Index => None,
        }
    }

    /// Reads a period of any frequency; a plain four-digit number is a year,
    /// any other integer an index.
    ///
    /// # Errors
    /// [`PeriodError`] when the text is no period.
    pub fn parse(text: &str) -> Result<Period, PeriodError> {
        let raw = RawPeriod::parse(text)?;
        Ok(raw.resolve(raw.could_be_year()))
    }

    /// Reads `text` as a period of `frequency`. A date (`YYYY-MM-DD`) is also
    /// read as the period of a coarser frequency that it starts or ends (as
    /// files of first- or last-of-month dates are read), and as the ISO week
    /// that holds it.
    ///
    /// # Errors
    /// [`PeriodError`] when the text is no period, or one of another frequency.
    pub fn parse_in(text: &str, frequency: Frequency) -> Result<Period, PeriodError> {
        let raw = RawPeriod::parse(text)?;
        let period = match raw {
            RawPeriod::Dated(p) => p,
            RawPeriod::Integer { .. } => raw.resolve(frequency == Frequency::Yearly),
        };
        if let Some(date) = raw.date()
            && let Some(coarse) = Period::containing(date, frequency).filter(|_| frequency != Frequency::Daily)
            && (frequency == Frequency::Weekly || coarse.first_day() == Some(date) || coarse.last_day() == Some(date))
        {
            return Ok(coarse);
        }
        if period.frequency == frequency {
            Ok(period)
        } else {
            Err(PeriodError::Frequency {
                found: period.frequency,
                expected: frequency,
                hint: frequency.format_hint(),
            })
        }
    }

    /// The frequency of this period.
    pub fn frequency(self) -> Frequency {
        self.frequency
    }

    /// The ordinal: consecutive periods differ by one.
    pub fn ordinal(self) -> i64 {
        self.ordinal
    }

    /// The period `k` steps later (earlier when `k < 0`). The reader keeps
    /// periods within ±10^12 of the epoch, where this is exact; beyond
    /// (a period built at the `i64` extremes) it saturates rather than wraps.
    pub fn offset(self, k: i64) -> Period {
        Period {
            frequency: self.frequency,
            ordinal: self.ordinal.saturating_add(k),
        }
    }

    /// Steps from `earlier` to `self`; saturates as [`Period::offset`].
    pub fn steps_since(self, earlier: Period) -> i64 {
        self.ordinal.saturating_sub(earlier.ordinal)
    }

    /// Position within the year (0-based month or quarter), for seasonal terms.
    pub fn season_index(self) -> Option<usize> {
        let per_year = self.frequency.periods_per_year()? as i64;
        Some(self.ordinal.rem_euclid(per_year) as usize)
    }

    /// The fraction of the calendar year, in `(0, 1)`, at the middle of a
    /// week (its Thursday at noon), for the Fourier terms of weekly data: the
    /// ISO year is the Thursday's calendar year, so week 1 sits just after 0
    /// and week 53, when there is one, just before 1. `None` for other
    /// frequencies and for weeks beyond the calendar.
    pub fn year_fraction(self) -> Option<f64> {
        if self.frequency != Frequency::Weekly {
            return None;
        }
        let thursday = self.first_day()?.checked_add_days(chrono::Days::new(3))?;
        let year = thursday.year();
        let days = if NaiveDate::from_ymd_opt(year, 2, 29).is_some() {
            366.0
        } else {
            365.0
        };
        Some((f64::from(thursday.ordinal()) - 0.5) / days)
    }

    /// The first day of the period (`None` for an index, or beyond the calendar).
    pub fn first_day(self) -> Option<NaiveDate> {
        let o = self.ordinal;
        match self.frequency {
            Frequency::Daily => day_epoch().checked_add_signed(chrono::Duration::try_days(o)?),
            Frequency::Weekly => week_epoch().checked_add_signed(chrono::Duration::try_days(o.checked_mul(7)?)?),
            Frequency::Monthly => {
                NaiveDate::from_ymd_opt(i32::try_from(o.div_euclid(12)).ok()?, o.rem_euclid(12) as u32 + 1, 1)
            }
            Frequency::Quarterly => {
                NaiveDate::from_ymd_opt(i32::try_from(o.div_euclid(4)).ok()?, 3 * o.rem_euclid(4) as u32 + 1, 1)
            }
            Frequency::Yearly => NaiveDate::from_ymd_opt(i32::try_from(o).ok()?, 1, 1),
            Frequency::Index => None,
        }
    }

    /// The last day of the period (`None` for an index, or beyond the calendar).
    pub fn last_day(self) -> Option<NaiveDate> {
        match self.frequency {
            Frequency::Index => None,
            Frequency::Daily => self.first_day(),
            _ => Period {
                frequency: self.frequency,
                ordinal: self.ordinal.checked_add(1)?,
            }
            .first_day()?
            .pred_opt(),
        }
    }
}

/// Day 0 of daily ordinals.
fn day_epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("1970-01-01 is a date")
}

/// The Monday of week 0 of weekly ordinals: 1969-12-29, the Monday of 1970-W01.
fn week_epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1969, 12, 29).expect("1969-12-29 is a date")
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = self.ordinal;
        match self.frequency {
            Frequency::Monthly => write!(f, "{:04}-{:02}", o.div_euclid(12), o.rem_euclid(12) + 1),
            Frequency::Quarterly => write!(f, "{:04}-Q{}", o.div_euclid(4), o.rem_euclid(4) + 1),
            Frequency::Yearly | Frequency::Index => write!(f, "{o}"),
            Frequency::Daily => match self.first_day() {
                Some(d) => write!(f, "{}", d.format("%Y-%m-%d")),
                None => write!(f, "day {o}"),
            },
            Frequency::Weekly => match self.first_day() {
                Some(d) => {
                    let iso = d.iso_week();
                    write!(f, "{:04}-W{:02}", iso.year(), iso.week())
                }
                None => write!(f, "week {o}"),
            },
        }
    }
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<RawPeriod, PeriodError> {
        RawPeriod::parse(s)
    }

    #[test]
    fn reads_each_spelling_and_writes_it_back() {
        for (text, freq) in [
            ("2024-07", Frequency::Monthly),
            ("2024-Q3", Frequency::Quarterly),
            ("2024-02-29", Frequency::Daily),
            ("2024-W05", Frequency::Weekly),
            ("1899", Frequency::Yearly),
            ("17", Frequency::Index),
        ] {
            let period = Period::parse_in(text, freq).unwrap();
            assert_eq!(period.to_string(), text);
        }
    }

    #[test]
    fn consecutive_periods_differ_by_one() {
        assert_eq!(Period::month(2024, 1).steps_since(Period::month(2023, 12)), 1);
        assert_eq!(Period::quarter(2024, 1).steps_since(Period::quarter(2023, 4)), 1);
        let d = Period::parse_in("2024-03-01", Frequency::Daily).unwrap();
        assert_eq!(d.offset(-1).to_string(), "2024-02-29");
    }

    #[test]
    fn rejects_malformed_periods() {
        assert_eq!(p("2024-13"), Err(PeriodError::Month(13)));
        assert_eq!(p("2024-00"), Err(PeriodError::Month(0)));
        assert_eq!(p("2024-1"), Err(PeriodError::Unrecognised));
        assert_eq!(p("24-01"), Err(PeriodError::Unrecognised));
        assert_eq!(p("2024-Q5"), Err(PeriodError::Quarter(5)));
        assert_eq!(p("2024-02-30"), Err(PeriodError::Date));
        assert_eq!(p(""), Err(PeriodError::Unrecognised));
        assert_eq!(p("July"), Err(PeriodError::Unrecognised));
    }

    #[test]
    fn iso_weeks_round_trip_and_know_their_53_week_years() {
        for text in [
            "2020-W53", "2026-W53", "2015-W53", "2024-W01", "2025-W52", "1970-W01", "1969-W52",
        ] {
            let week = Period::parse_in(text, Frequency::Weekly).unwrap();
            assert_eq!(week.to_string(), text);
            assert_eq!(Period::parse(text).unwrap(), week);
        }
        let long: Vec<i32> = (2010..=2035).filter(|&y| Period::weeks_in_iso_year(y) == 53).collect();
        assert_eq!(long, [2015, 2020, 2026, 2032]);
        assert_eq!(p("2021-W53"), Err(PeriodError::NoWeek53 { year: 2021 }));
        assert_eq!(p("2021-W00"), Err(PeriodError::Week(0)));
        assert_eq!(p("2021-W54"), Err(PeriodError::Week(54)));
        assert_eq!(p("2021-W5"), Err(PeriodError::Unrecognised));
        let w53 = Period::parse("2020-W53").unwrap();
        assert_eq!(w53.offset(1).to_string(), "2021-W01");
        assert_eq!(w53.offset(-52).to_string(), "2020-W01");
        assert_eq!(
            Period::parse("2027-W01")
                .unwrap()
                .steps_since(Period::parse("2026-W52").unwrap()),
            2
        );
    }

    #[test]
    fn a_date_belongs_to_the_iso_week_of_its_iso_year() {
        let week = |y, m, d| {
            Period::containing(NaiveDate::from_ymd_opt(y, m, d).unwrap(), Frequency::Weekly)
                .unwrap()
                .to_string()
        };
        assert_eq!(week(2024, 12, 29), "2024-W52");
        assert_eq!(week(2024, 12, 30), "2025-W01");
        assert_eq!(week(2021, 1, 3), "2020-W53");
        assert_eq!(week(2021, 1, 4), "2021-W01");
        assert_eq!(week(1969, 12, 28), "1969-W52");
        let w = Period::parse("2025-W01").unwrap();
        assert_eq!(w.first_day(), NaiveDate::from_ymd_opt(2024, 12, 30));
        assert_eq!(w.last_day(), NaiveDate::from_ymd_opt(2025, 1, 5));
    }

    #[test]
    fn first_and_last_days_of_every_frequency() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(Period::month(2024, 2).last_day(), d(2024, 2, 29));
        assert_eq!(Period::month(2023, 12).last_day(), d(2023, 12, 31));
        assert_eq!(Period::quarter(2024, 2).first_day(), d(2024, 4, 1));
        assert_eq!(Period::quarter(2024, 4).last_day(), d(2024, 12, 31));
        assert_eq!(Period::year(2024).last_day(), d(2024, 12, 31));
        assert_eq!(Period::index(3).first_day(), None);
        let far = |frequency| Period {
            frequency,
            ordinal: i64::MAX,
        };
        for f in [
            Frequency::Daily,
            Frequency::Weekly,
            Frequency::Monthly,
            Frequency::Yearly,
        ] {
            assert_eq!((far(f).first_day(), far(f).last_day()), (None, None));
        }
        assert_eq!(far(Frequency::Weekly).to_string(), format!("week {}", i64::MAX));
    }

    #[test]
    fn dates_read_as_the_coarser_period_they_start_or_end() {
        let month = |t| Period::parse_in(t, Frequency::Monthly).map(|p| p.to_string());
        assert_eq!(month("2024-07-01").as_deref(), Ok("2024-07"));
        assert_eq!(month("2024-02-29").as_deref(), Ok("2024-02"));
        assert!(month("2024-07-15").is_err());
        let quarter = Period::parse_in("2024-06-30", Frequency::Quarterly).unwrap();
        assert_eq!(quarter.to_string(), "2024-Q2");
        assert!(Period::parse_in("2024-05-31", Frequency::Quarterly).is_err());
        assert_eq!(
            Period::parse_in("2024-01-01", Frequency::Yearly).unwrap().to_string(),
            "2024"
        );
        // Any day of a week names it.
        let week = Period::parse_in("2024-12-31", Frequency::Weekly).unwrap();
        assert_eq!(week.to_string(), "2025-W01");
        assert_eq!(
            Period::parse_in("2024-07-15", Frequency::Daily).unwrap().to_string(),
            "2024-07-15"
        );
    }

    #[test]
    fn weekly_year_fractions_follow_the_calendar_across_53_week_years() {
        let weeks: Vec<Period> = (0..400).map(|k| Period::parse("2018-W01").unwrap().offset(k)).collect();
        let u: Vec<f64> = weeks.iter().map(|w| w.year_fraction().unwrap()).collect();
        assert!(u.iter().all(|&u| 0.0 < u && u < 1.0));
        for (i, pair) in u.windows(2).enumerate() {
            // One week is 7/365 of a year; a new year wraps from near 1 to near 0.
            let step = (pair[1] - pair[0]).rem_euclid(1.0);
            assert!((step - 7.0 / 365.25).abs() < 0.002, "{} -> {}", weeks[i], weeks[i + 1]);
        }
        let w53 = Period::parse("2020-W53").unwrap().year_fraction().unwrap();
        assert!((w53 - (365.5 / 366.0)).abs() < 1e-12, "Thursday 2020-12-31");
        // A seasonal baseline 52 weeks back lands within 3 days of a year earlier.
        let lag = Frequency::Weekly.seasonal_lag().unwrap() as i64;
        for w in &weeks[52..] {
            let (now, then) = (w.first_day().unwrap(), w.offset(-lag).first_day().unwrap());
            let year_before = now
                .with_year(now.year() - 1)
                .unwrap_or(now - chrono::Duration::days(365));
            assert!((then - year_before).num_days().abs() <= 3, "{w}");
        }
        assert_eq!(Period::month(2024, 1).year_fraction(), None);
    }

    #[test]
    fn four_digit_integers_wait_for_the_file_to_decide() {
        assert_eq!(p("2024"), Ok(RawPeriod::Integer(2024)));
        assert!(p("2024").unwrap().could_be_year());
        assert_eq!(p("12"), Ok(RawPeriod::Integer(12)));
        assert!(!p("12").unwrap().could_be_year());
        // A negative four-character integer is an index, not a year.
        assert!(!p("-123").unwrap().could_be_year());
    }

    #[test]
    fn arithmetic_at_the_extremes_saturates_instead_of_wrapping() {
        let top = Period::index(i64::MAX);
        let bottom = Period::index(i64::MIN);
        assert_eq!(top.offset(1), top);
        assert_eq!(bottom.offset(-1), bottom);
        assert_eq!(top.steps_since(bottom), i64::MAX);
        assert_eq!(bottom.steps_since(top), i64::MIN);
        assert_eq!(Period::index(5).steps_since(Period::index(-3)), 8);
    }
}
