//! Periods: one step of a series' time index, in one of five frequencies.
//!
//! A [`Period`] is a frequency and an ordinal (months since year 0, days since
//! 1970-01-01, the integer itself, ...), so that consecutive periods differ by
//! one and the index of a period within a series is a subtraction.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// How often a series is observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// `YYYY-MM-DD`.
    Daily,
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
    /// Periods per year, where a year means something (used by `season`).
    pub fn periods_per_year(self) -> Option<usize> {
        match self {
            Frequency::Monthly => Some(12),
            Frequency::Quarterly => Some(4),
            Frequency::Daily | Frequency::Yearly | Frequency::Index => None,
        }
    }

    /// The unit of one period in words, for "per month" in tables.
    pub fn unit(self) -> &'static str {
        match self {
            Frequency::Daily => "day",
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
    /// The text matches none of the five spellings.
    #[error("is not a period; write YYYY-MM, YYYY-Qn, YYYY-MM-DD, YYYY or an integer index")]
    Unrecognised,
    /// A month outside 01..12.
    #[error("has month {0}; months run from 01 to 12")]
    Month(u32),
    /// A quarter outside 1..4.
    #[error("has quarter Q{0}; quarters run from Q1 to Q4")]
    Quarter(u32),
    /// A calendar date that does not exist.
    #[error("is not a calendar date")]
    Date,
    /// Readable, but in another frequency than the one required.
    #[error("is {found}, but this series is {expected}; write it as {hint}")]
    Frequency {
        /// What the text is.
        found: Frequency,
        /// What the series is.
        expected: Frequency,
        /// The spelling to use.
        hint: &'static str,
    },
}

/// A period as written, before the file decides whether 4-digit integers are
/// years or indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RawPeriod {
    Dated(Period),
    Integer { value: i64, four_digit_year: bool },
}

impl RawPeriod {
    /// Reads one period; a plain integer stays undecided.
    pub(crate) fn parse(text: &str) -> Result<RawPeriod, PeriodError> {
        let s = text.trim();
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
                let value = s.parse::<i64>().map_err(|_| PeriodError::Unrecognised)?;
                let four_digit_year = s.len() == 4 && b[0] != b'0';
                Ok(RawPeriod::Integer { value, four_digit_year })
            }
        }
    }

    pub(crate) fn frequency_if_dated(self) -> Option<Frequency> {
        match self {
            RawPeriod::Dated(p) => Some(p.frequency),
            RawPeriod::Integer { .. } => None,
        }
    }

    /// Settles an integer as a year or an index.
    pub(crate) fn resolve(self, integers_are_years: bool) -> Period {
        match self {
            RawPeriod::Dated(p) => p,
            RawPeriod::Integer { value, .. } => Period {
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

    /// Position `i` of an integer-indexed series.
    pub fn index(i: i64) -> Period {
        Period {
            frequency: Frequency::Index,
            ordinal: i,
        }
    }

    /// The day `date`.
    pub fn from_date(date: NaiveDate) -> Period {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("1970-01-01 is a date");
        Period {
            frequency: Frequency::Daily,
            ordinal: (date - epoch).num_days(),
        }
    }

    /// The period of `frequency` that contains `date` (an index has none).
    pub fn containing(date: NaiveDate, frequency: Frequency) -> Option<Period> {
        let (y, m) = (date.year(), date.month());
        match frequency {
            Frequency::Daily => Some(Period::from_date(date)),
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
        let year = matches!(
            raw,
            RawPeriod::Integer {
                four_digit_year: true,
                ..
            }
        );
        Ok(raw.resolve(year))
    }

    /// Reads `text` as a period of `frequency`.
    ///
    /// # Errors
    /// [`PeriodError`] when the text is no period, or one of another frequency.
    pub fn parse_in(text: &str, frequency: Frequency) -> Result<Period, PeriodError> {
        let raw = RawPeriod::parse(text)?;
        let period = match raw {
            RawPeriod::Dated(p) => p,
            RawPeriod::Integer { .. } => raw.resolve(frequency == Frequency::Yearly),
        };
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

    /// The period `k` steps later (earlier when `k < 0`).
    pub fn offset(self, k: i64) -> Period {
        Period {
            frequency: self.frequency,
            ordinal: self.ordinal + k,
        }
    }

    /// Steps from `earlier` to `self`.
    pub fn steps_since(self, earlier: Period) -> i64 {
        self.ordinal - earlier.ordinal
    }

    /// Position within the year (0-based month or quarter), for seasonal terms.
    pub fn season_index(self) -> Option<usize> {
        let per_year = self.frequency.periods_per_year()? as i64;
        Some(self.ordinal.rem_euclid(per_year) as usize)
    }

    fn date(self) -> Option<NaiveDate> {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
        epoch.checked_add_signed(chrono::Duration::try_days(self.ordinal)?)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = self.ordinal;
        match self.frequency {
            Frequency::Monthly => write!(f, "{:04}-{:02}", o.div_euclid(12), o.rem_euclid(12) + 1),
            Frequency::Quarterly => write!(f, "{:04}-Q{}", o.div_euclid(4), o.rem_euclid(4) + 1),
            Frequency::Yearly | Frequency::Index => write!(f, "{o}"),
            Frequency::Daily => match self.date() {
                Some(d) => write!(f, "{}", d.format("%Y-%m-%d")),
                None => write!(f, "day {o}"),
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
    fn four_digit_integers_wait_for_the_file_to_decide() {
        assert_eq!(
            p("2024"),
            Ok(RawPeriod::Integer {
                value: 2024,
                four_digit_year: true
            })
        );
        assert_eq!(
            p("12"),
            Ok(RawPeriod::Integer {
                value: 12,
                four_digit_year: false
            })
        );
    }
}
