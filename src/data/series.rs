//! A count (or real-valued) series as the models see it: a regular index of
//! periods and a list of observations, each a count over a set of periods.

use ndarray::{Array1, Array2};
use serde::Serialize;

use super::infer::FrequencySource;
use super::period::{Frequency, Period};
use crate::error::{Result, SpecError};

/// The largest count that an `f64` holds exactly (2^53).
pub const MAX_COUNT: f64 = 9_007_199_254_740_992.0;
/// The exposures countshift fits: rates and offsets stay finite within them.
pub(crate) const MIN_EXPOSURE: f64 = 1e-100;
pub(crate) const MAX_EXPOSURE: f64 = 1e100;
/// The largest magnitude of a value or covariate: squares and sums of
/// squares in the fit stay finite.
pub(crate) const MAX_MAGNITUDE: f64 = 1e100;

/// What the response column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    /// Non-negative integer counts (`count` column).
    Count,
    /// Real values (`value` column), for the Gaussian family only.
    Value,
}

/// The periods of one observation, ascending: one (the common case, held
/// without a heap allocation, so a series of 10^6 rows is not 10^6
/// allocations) or several (a run row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Periods(PeriodsRepr);

#[derive(Debug, Clone, PartialEq, Eq)]
enum PeriodsRepr {
    One([usize; 1]),
    Many(Box<[usize]>),
}

impl Periods {
    /// The single period `t`.
    pub fn one(t: usize) -> Periods {
        Periods(PeriodsRepr::One([t]))
    }
}

impl From<Vec<usize>> for Periods {
    fn from(v: Vec<usize>) -> Periods {
        match v[..] {
            [t] => Periods::one(t),
            _ => Periods(PeriodsRepr::Many(v.into_boxed_slice())),
        }
    }
}

impl<'a> IntoIterator for &'a Periods {
    type Item = &'a usize;
    type IntoIter = std::slice::Iter<'a, usize>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl std::ops::Deref for Periods {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        match &self.0 {
            PeriodsRepr::One(t) => t,
            PeriodsRepr::Many(v) => v,
        }
    }
}

/// One observation: a total over a set of periods of the index.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Indices into the series' periods (0 = `first`), ascending; several for
    /// a run row, possibly non-contiguous after nested rows were subtracted.
    pub(crate) periods: Periods,
    /// The count (integer-valued) or value.
    pub(crate) y: f64,
    /// Sum of the per-period exposures, when the file has exposure.
    pub(crate) exposure: Option<f64>,
    /// The CSV line of the row it came from.
    pub(crate) line: u64,
}

impl Observation {
    /// Indices into the series' periods (0 = the first period), ascending;
    /// several for a run row, possibly non-contiguous after nested rows were
    /// subtracted.
    pub fn periods(&self) -> &[usize] {
        &self.periods
    }

    /// The count (integer-valued) or value.
    pub fn y(&self) -> f64 {
        self.y
    }

    /// Sum of the per-period exposures, when the series has exposure.
    pub fn exposure(&self) -> Option<f64> {
        self.exposure
    }

    /// The CSV line of the row it came from (0 when built in code).
    pub fn line(&self) -> u64 {
        self.line
    }
}

/// A validated series.
#[derive(Debug, Clone)]
pub struct Series {
    /// Where it came from (file name, `<stdin>`, `embedded dataset NAME`).
    pub(crate) source: String,
    /// The frequency of every period.
    pub(crate) frequency: Frequency,
    /// Where the frequency came from: the periods' spelling, the dates (by
    /// the rules of [`super::infer`]), or `--frequency`.
    pub(crate) frequency_source: FrequencySource,
    /// Why, in words (`every date is the first day of a month`).
    pub(crate) frequency_rule: String,
    /// The earliest period.
    pub(crate) first: Period,
    /// Number of periods from `first` to the latest, inclusive.
    pub(crate) n_periods: usize,
    /// What the response is.
    pub(crate) response: Response,
    /// The observations, in order of their first period.
    pub(crate) observations: Vec<Observation>,
    /// Per-period exposure (length `n_periods`), when the file has exposure;
    /// periods that no observation covers hold NaN and are never read.
    pub(crate) period_exposure: Option<Array1<f64>>,
    /// Covariate column names, in file order.
    pub(crate) covariate_names: Vec<String>,
    /// Per-period covariates (`n_periods` × covariates); uncovered periods hold
    /// NaN and are never read.
    pub(crate) covariates: Array2<f64>,
    /// Rows that carried information but became no observation (a run whose
    /// periods are all given by nested rows and whose total agrees with theirs).
    pub(crate) notes: Vec<String>,
}

impl Series {
    /// A template of `n` periods from `first`, one empty observation each and no
    /// exposure or covariates: the index for simulating or forecasting.
    pub fn template(first: Period, n: usize) -> Series {
        Series {
            source: "template".into(),
            frequency: first.frequency(),
            frequency_source: FrequencySource::Periods,
            frequency_rule: format!("the first period {first} is {}", first.frequency()),
            first,
            n_periods: n,
            response: Response::Count,
            observations: (0..n)
                .map(|t| Observation {
                    periods: Periods::one(t),
                    y: 0.0,
                    exposure: None,
                    line: 0,
                })
                .collect(),
            period_exposure: None,
            covariate_names: Vec::new(),
            covariates: Array2::zeros((n, 0)),
            notes: Vec::new(),
        }
    }

    /// A series of one count per period from `first`, with an exposure per
    /// period when given: how a program builds a series from numbers,
    /// under the reader's rules (whole counts from 0 to 2^53, exposures
    /// within 1e-100 to 1e100), so that the series is one the reader could
    /// have produced.
    ///
    /// # Errors
    /// [`SpecError::NotACount`], [`SpecError::BadExposure`] or
    /// [`SpecError::LengthMismatch`].
    pub fn from_counts(first: Period, counts: &[f64], exposure: Option<&[f64]>) -> Result<Series> {
        if let Some((index, &value)) = counts
            .iter()
            .enumerate()
            .find(|(_, y)| !(y.is_finite() && **y >= 0.0 && y.fract() == 0.0 && **y <= MAX_COUNT))
        {
            return Err(SpecError::NotACount { index, value }.into());
        }
        if let Some(e) = exposure {
            if e.len() != counts.len() {
                return Err(SpecError::LengthMismatch {
                    counts: counts.len(),
                    exposures: e.len(),
                }
                .into());
            }
            if let Some((index, &value)) = e
                .iter()
                .enumerate()
                .find(|(_, v)| !(MIN_EXPOSURE..=MAX_EXPOSURE).contains(*v))
            {
                return Err(SpecError::BadExposure { index, value }.into());
            }
        }
        let mut series = Series::template(first, counts.len());
        series.source = "counts".into();
        series.observations = counts
            .iter()
            .enumerate()
            .map(|(t, &y)| Observation {
                periods: Periods::one(t),
                y,
                exposure: exposure.map(|e| e[t]),
                line: 0,
            })
            .collect();
        series.period_exposure = exposure.map(|e| Array1::from(e.to_vec()));
        Ok(series)
    }

    /// A series of one real value per period from `first` (the Gaussian
    /// family's data), finite within ±1e100.
    ///
    /// # Errors
    /// [`SpecError::BadValue`].
    pub fn from_values(first: Period, values: &[f64]) -> Result<Series> {
        if let Some((index, &value)) = values
            .iter()
            .enumerate()
            .find(|(_, v)| !(v.is_finite() && v.abs() <= MAX_MAGNITUDE))
        {
            return Err(SpecError::BadValue { index, value }.into());
        }
        let mut series = Series::template(first, values.len());
        series.source = "values".into();
        series.response = Response::Value;
        for (o, &y) in series.observations.iter_mut().zip(values) {
            o.y = y;
        }
        Ok(series)
    }

    /// Where it came from (file name, `<stdin>`, `embedded dataset NAME`).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The same series under another name (how outputs refer to it).
    pub fn with_source(mut self, source: impl Into<String>) -> Series {
        self.source = source.into();
        self
    }

    /// The frequency of every period.
    pub fn frequency(&self) -> Frequency {
        self.frequency
    }

    /// Where the frequency came from: the periods' spelling, the dates, or
    /// the user.
    pub fn frequency_source(&self) -> FrequencySource {
        self.frequency_source
    }

    /// Why the frequency is what it is, in words.
    pub fn frequency_rule(&self) -> &str {
        &self.frequency_rule
    }

    /// The earliest period.
    pub fn first(&self) -> Period {
        self.first
    }

    /// Number of periods from the first to the latest, inclusive.
    pub fn n_periods(&self) -> usize {
        self.n_periods
    }

    /// What the response is.
    pub fn response(&self) -> Response {
        self.response
    }

    /// The observations, in order of their first period.
    pub fn observations(&self) -> &[Observation] {
        &self.observations
    }

    /// Per-period exposure (one per period), when the series has exposure;
    /// periods that no observation covers hold NaN.
    pub fn period_exposure(&self) -> Option<&Array1<f64>> {
        self.period_exposure.as_ref()
    }

    /// Covariate column names, in file order.
    pub fn covariate_names(&self) -> &[String] {
        &self.covariate_names
    }

    /// Per-period covariates (periods × covariates); uncovered periods hold
    /// NaN.
    pub fn covariates(&self) -> &Array2<f64> {
        &self.covariates
    }

    /// Rows that carried information but became no observation.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The series up to period index `end` (exclusive): the observations
    /// that lie wholly before it, on the index cut there. A backtest's
    /// training data.
    pub fn before(&self, end: usize) -> Series {
        self.window(0, end)
    }

    /// The periods `start..end` of the index as a series of their own (its
    /// first period is `start`'s): the observations that lie wholly inside.
    /// The span between two breaks, dated on its own.
    pub fn window(&self, start: usize, end: usize) -> Series {
        let end = end.min(self.n_periods);
        let start = start.min(end);
        let mut s = self.clone();
        s.observations
            .retain(|ob| ob.periods.iter().all(|&t| (start..end).contains(&t)));
        if start > 0 {
            for ob in &mut s.observations {
                ob.periods = ob.periods.iter().map(|&t| t - start).collect::<Vec<_>>().into();
            }
        }
        s.first = self.period(start);
        s.n_periods = end - start;
        s.period_exposure = s
            .period_exposure
            .map(|e| e.iter().skip(start).take(end - start).copied().collect());
        s.covariates = s
            .covariates
            .slice_axis(ndarray::Axis(0), ndarray::Slice::from(start..end))
            .to_owned();
        s
    }

    /// The same index with only the observations `keep` accepts: the
    /// periods of the others become missing.
    pub fn retain_observations(mut self, keep: impl FnMut(&Observation) -> bool) -> Series {
        self.observations.retain(keep);
        self
    }

    /// The latest period.
    pub fn last(&self) -> Period {
        self.first.offset(self.n_periods as i64 - 1)
    }

    /// The period at index `i`.
    pub fn period(&self, i: usize) -> Period {
        self.first.offset(i as i64)
    }

    /// The index of `p`, if it lies within the series.
    pub fn index_of(&self, p: Period) -> Option<usize> {
        let k = p.steps_since(self.first);
        (p.frequency() == self.frequency && (0..self.n_periods as i64).contains(&k)).then_some(k as usize)
    }

    /// Which periods are covered by some observation.
    pub fn covered(&self) -> Vec<bool> {
        let mut covered = vec![false; self.n_periods];
        for obs in &self.observations {
            for &t in &obs.periods {
                covered[t] = true;
            }
        }
        covered
    }

    /// Periods of the index that no observation covers (missing, not zero).
    pub fn missing_periods(&self) -> Vec<Period> {
        self.covered()
            .iter()
            .enumerate()
            .filter(|(_, c)| !**c)
            .map(|(i, _)| self.period(i))
            .collect()
    }

    /// Number of observations.
    pub fn n_obs(&self) -> usize {
        self.observations.len()
    }

    /// True when every observation is a single period.
    pub fn is_simple(&self) -> bool {
        self.observations.iter().all(|o| o.periods.len() == 1)
    }

    /// Sum of the response over all observations.
    pub fn total(&self) -> f64 {
        self.observations.iter().map(|o| o.y).sum()
    }

    /// The exposure of every observation, when the series has exposure.
    pub fn observation_exposures(&self) -> Option<Vec<f64>> {
        self.observations.iter().map(|o| o.exposure).collect()
    }

    /// Has an exposure column.
    pub fn has_exposure(&self) -> bool {
        self.period_exposure.is_some()
    }
}
