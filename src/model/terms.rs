//! Model terms and the design they build on a series.
//!
//! `t` is the period index, 0 at the series' first period. Terms:
//! `intercept`; `trend` = t; `step@P` = 1 from period P on (P is the first
//! period of the new regime); `slope@P` = periods since P, 0 before;
//! `season` = dummies `season_2..season_S` (the first season is the
//! baseline); `season:K` = Fourier pairs `sin_k, cos_k` at 2 pi k s / S for
//! k = 1..K, s the 0-based position in the year; covariate columns by name.
//!
//! Weekly data have 52 or 53 ISO weeks a year, so no fixed position in it:
//! `season:K` then takes the pairs at 2 pi k u, u the fraction of the calendar
//! year at the middle of the week ([`Period::year_fraction`]), K at most 26;
//! week 53 sits between week 52 and the next week 1, with no coefficient of
//! its own. `season` (one dummy per week) is refused for weekly data: 52
//! dummies would each rest on a few years, and week 53 on one in five or six.

use ndarray::{Array1, Array2};
use serde::Serialize;

use crate::data::{Period, Series};
use crate::error::{Result, SpecError};

/// One term of a model.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(into = "String")]
pub enum Term {
    /// The constant.
    Intercept,
    /// The period index t.
    Trend,
    /// 1 from the period on.
    Step(Period),
    /// Periods since the period, 0 before.
    Slope(Period),
    /// One dummy per season but the first.
    Season,
    /// K Fourier pairs.
    Fourier(usize),
    /// A covariate column.
    Covariate(String),
}

impl From<Term> for String {
    fn from(t: Term) -> String {
        t.to_string()
    }
}

impl std::fmt::Display for Term {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Term::Intercept => f.write_str("intercept"),
            Term::Trend => f.write_str("trend"),
            Term::Step(p) => write!(f, "step@{p}"),
            Term::Slope(p) => write!(f, "slope@{p}"),
            Term::Season => f.write_str("season"),
            Term::Fourier(k) => write!(f, "season:{k}"),
            Term::Covariate(name) => f.write_str(name),
        }
    }
}

/// Parses a term list such as `trend,step@2024-07,x`. The intercept is
/// implied unless `-intercept` is given; an empty list is the intercept alone.
///
/// # Errors
/// [`SpecError`] for an unknown term, a malformed period or covariate name.
pub fn parse_terms(text: &str, series: &Series) -> Result<Vec<Term>> {
    let mut intercept = true;
    let mut terms = Vec::new();
    for raw in text.split([',', '+']).map(str::trim).filter(|s| !s.is_empty()) {
        let term = match raw {
            "-intercept" | "-1" => {
                intercept = false;
                continue;
            }
            "intercept" | "1" => continue,
            "trend" => Term::Trend,
            "season" => Term::Season,
            _ => {
                if let Some(p) = raw.strip_prefix("step@") {
                    Term::Step(term_period(raw, p, series)?)
                } else if let Some(p) = raw.strip_prefix("slope@") {
                    Term::Slope(term_period(raw, p, series)?)
                } else if let Some(k) = raw.strip_prefix("season:") {
                    let k = k
                        .parse::<usize>()
                        .ok()
                        .filter(|&k| k >= 1)
                        .ok_or_else(|| SpecError::FourierCount { term: raw.to_owned() })?;
                    Term::Fourier(k)
                } else if series.covariate_names.iter().any(|c| c == raw) {
                    Term::Covariate(raw.to_owned())
                } else {
                    return Err(SpecError::UnknownTerm {
                        term: raw.to_owned(),
                        covariates: series.covariate_names.clone(),
                    }
                    .into());
                }
            }
        };
        if terms.contains(&term) {
            return Err(SpecError::TermTwice { term: raw.to_owned() }.into());
        }
        terms.push(term);
    }
    if intercept {
        terms.insert(0, Term::Intercept);
    }
    if terms.is_empty() {
        return Err(SpecError::NoTerms.into());
    }
    Ok(terms)
}

fn term_period(raw: &str, text: &str, series: &Series) -> Result<Period> {
    Period::parse_in(text, series.frequency).map_err(|e| {
        SpecError::TermPeriod {
            term: raw.to_owned(),
            text: text.to_owned(),
            why: e.to_string(),
        }
        .into()
    })
}

/// The design of a model on a series: one row per period of the index (plus
/// any future periods asked for), one column per coefficient.
#[derive(Debug, Clone)]
pub struct Design {
    /// Coefficient names, in column order.
    pub names: Vec<String>,
    /// Per-period rows (`n_periods` × `p`).
    pub x: Array2<f64>,
}

impl Design {
    /// Builds the columns of `terms` for periods `0..n_rows` of `series`
    /// (`n_rows` may exceed the series to forecast).
    ///
    /// # Errors
    /// [`SpecError`] when a term cannot be built (season on data without a
    /// year, a step outside the series, a covariate asked beyond the data).
    pub fn build(terms: &[Term], series: &Series, n_rows: usize) -> Result<Design> {
        let mut names = Vec::new();
        let mut columns: Vec<Array1<f64>> = Vec::new();
        let t = |i: usize| i as f64;
        let idx = |raw: &Term, p: &Period| -> Result<f64> {
            let k = p.steps_since(series.first);
            if k <= 0 || k >= series.n_periods as i64 {
                return Err(SpecError::ChangeOutside {
                    term: raw.to_string(),
                    first: series.first.to_string(),
                    last: series.last().to_string(),
                }
                .into());
            }
            Ok(k as f64)
        };
        for term in terms {
            match term {
                Term::Intercept => {
                    names.push("intercept".into());
                    columns.push(Array1::ones(n_rows));
                }
                Term::Trend => {
                    names.push("trend".into());
                    columns.push(Array1::from_shape_fn(n_rows, t));
                }
                Term::Step(p) => {
                    let k = idx(term, p)?;
                    names.push(term.to_string());
                    columns.push(Array1::from_shape_fn(n_rows, |i| if t(i) >= k { 1.0 } else { 0.0 }));
                }
                Term::Slope(p) => {
                    let k = idx(term, p)?;
                    names.push(term.to_string());
                    columns.push(Array1::from_shape_fn(n_rows, |i| (t(i) - k).max(0.0)));
                }
                Term::Fourier(k) if series.frequency == crate::data::Frequency::Weekly => {
                    const MAX_WEEKLY_PAIRS: usize = 26;
                    if *k > MAX_WEEKLY_PAIRS {
                        return Err(SpecError::TooManyFourierPairs {
                            term: term.to_string(),
                            pairs: *k,
                            seasons: "weekly data".into(),
                            max: MAX_WEEKLY_PAIRS,
                        }
                        .into());
                    }
                    let fraction = |i: usize| {
                        series.period(i).year_fraction().ok_or_else(|| {
                            SpecError::WeekBeyondCalendar {
                                term: term.to_string(),
                                week: series.period(i).to_string(),
                            }
                            .into()
                        })
                    };
                    let u = (0..n_rows).map(fraction).collect::<Result<Vec<f64>>>()?;
                    for h in 1..=*k {
                        let w = |i: usize| 2.0 * std::f64::consts::PI * h as f64 * u[i];
                        names.push(format!("sin_{h}"));
                        columns.push(Array1::from_shape_fn(n_rows, |i| w(i).sin()));
                        names.push(format!("cos_{h}"));
                        columns.push(Array1::from_shape_fn(n_rows, |i| w(i).cos()));
                    }
                }
                Term::Season if series.frequency == crate::data::Frequency::Weekly => {
                    return Err(SpecError::SeasonOnWeeks.into());
                }
                Term::Season | Term::Fourier(_) => {
                    let per_year = series.frequency.periods_per_year().ok_or_else(|| SpecError::NoSeason {
                        term: term.to_string(),
                        frequency: series.frequency.to_string(),
                    })?;
                    let season = |i: usize| series.period(i).season_index().expect("sub-annual frequency");
                    if let Term::Fourier(k) = term {
                        if 2 * k > per_year {
                            return Err(SpecError::TooManyFourierPairs {
                                term: term.to_string(),
                                pairs: *k,
                                seasons: format!("{per_year} seasons"),
                                max: per_year / 2,
                            }
                            .into());
                        }
                        for h in 1..=*k {
                            let w = |i: usize| 2.0 * std::f64::consts::PI * (h * season(i)) as f64 / per_year as f64;
                            names.push(format!("sin_{h}"));
                            columns.push(Array1::from_shape_fn(n_rows, |i| w(i).sin()));
                            names.push(format!("cos_{h}"));
                            columns.push(Array1::from_shape_fn(n_rows, |i| w(i).cos()));
                        }
                    } else {
                        for s in 1..per_year {
                            names.push(format!("season_{}", s + 1));
                            columns.push(Array1::from_shape_fn(
                                n_rows,
                                |i| if season(i) == s { 1.0 } else { 0.0 },
                            ));
                        }
                    }
                }
                Term::Covariate(name) => {
                    let k = series.covariate_names.iter().position(|c| c == name).ok_or_else(|| {
                        SpecError::NoSuchCovariate {
                            name: name.clone(),
                            have: series.covariate_names.clone(),
                        }
                    })?;
                    let col = series.covariates.column(k);
                    names.push(name.clone());
                    columns.push(Array1::from_shape_fn(n_rows, |i| {
                        if i < series.n_periods { col[i] } else { f64::NAN }
                    }));
                }
            }
        }
        let p = columns.len();
        let mut x = Array2::zeros((n_rows, p));
        for (j, c) in columns.into_iter().enumerate() {
            x.column_mut(j).assign(&c);
        }
        Ok(Design { names, x })
    }
}
