//! The JSON form of an interval: `estimate`, `ci_low`, `ci_high`, `ci_method`,
//! `level`; an unbounded end is `null` and `ci_open` names it (`"low"`,
//! `"high"` or `"both"`); an estimate at infinity is `null` with
//! `estimate_bound` `"+infinity"` or `"-infinity"` (a rate of 0 is a number),
//! or `"not_identified"` when the data say nothing about it (both ends open).

use serde::Serialize;

use super::format::sig_together;
use crate::inference::{Interval, IntervalMethod};

/// An interval as JSON.
#[derive(Debug, Clone, Serialize)]
pub struct IntervalView {
    /// Point estimate, `null` at infinity.
    pub estimate: Option<f64>,
    /// Which infinity the estimate lies at, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimate_bound: Option<&'static str>,
    /// Lower end, `null` when unbounded.
    pub ci_low: Option<f64>,
    /// Upper end, `null` when unbounded.
    pub ci_high: Option<f64>,
    /// Which end is open, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci_open: Option<&'static str>,
    /// How the interval was computed.
    pub ci_method: IntervalMethod,
    /// Confidence level.
    pub level: f64,
}

impl IntervalView {
    /// From an interval; `rate_scale` says that an unbounded low end of a
    /// positive quantity is 0, not open (for `exp` of a coefficient).
    pub fn new(i: &Interval, rate_scale: bool) -> IntervalView {
        let zero_floor = |v: Option<f64>| if rate_scale { Some(v.unwrap_or(0.0)) } else { v };
        let low = zero_floor(i.low.filter(|v| v.is_finite()));
        let high = i.high.filter(|v| v.is_finite());
        let estimate = i.estimate.filter(|v| v.is_finite());
        let ci_open = match (low, high) {
            (None, None) => Some("both"),
            (None, Some(_)) => Some("low"),
            (Some(_), None) => Some("high"),
            _ => None,
        };
        // An estimate at infinity: on the rate scale a lower bound of 0 is reached.
        let (estimate, estimate_bound) = match estimate {
            Some(v) => (Some(v), None),
            None if i.low.is_none() && i.high.is_none() => (None, Some("not_identified")),
            None if rate_scale && i.low.is_none() => (Some(0.0), None),
            None if i.low.is_none() => (None, Some("-infinity")),
            None => (None, Some("+infinity")),
        };
        IntervalView {
            estimate,
            estimate_bound,
            ci_low: low,
            ci_high: high,
            ci_open,
            ci_method: i.method,
            level: i.level,
        }
    }

    /// The estimate as a number, infinite when it lies at infinity; `None`
    /// when it is not identified. For CSV, where `Inf` is a number.
    pub fn estimate_or_infinity(&self) -> Option<f64> {
        match (self.estimate, self.estimate_bound) {
            (Some(v), _) => Some(v),
            (None, Some("+infinity")) => Some(f64::INFINITY),
            (None, Some("-infinity")) => Some(f64::NEG_INFINITY),
            (None, _) => None,
        }
    }

    /// The ends as numbers, an open end infinite. For CSV.
    pub fn ends_or_infinity(&self) -> (f64, f64) {
        (
            self.ci_low.unwrap_or(f64::NEG_INFINITY),
            self.ci_high.unwrap_or(f64::INFINITY),
        )
    }

    /// `9.25 [4.75, 20.8]`, with `-inf` and `inf` for open ends.
    ///
    /// Three significant figures, or more, the same for the finite numbers,
    /// until those that differ print differently ([`sig_together`]).
    pub fn text(&self) -> String {
        let finite: Vec<f64> = [self.estimate, self.ci_low, self.ci_high]
            .into_iter()
            .flatten()
            .collect();
        let mut texts = sig_together(&finite).into_iter();
        let mut shown = |v: Option<f64>, otherwise: &str| match v {
            Some(_) => texts.next().unwrap_or_default(),
            None => otherwise.to_owned(),
        };
        let otherwise = match self.estimate_bound {
            Some("+infinity") => "∞",
            Some("-infinity") => "-∞",
            _ => "not identified",
        };
        let est = shown(self.estimate, otherwise);
        let low = shown(self.ci_low, "-∞");
        let high = shown(self.ci_high, "∞");
        format!("{est} [{low}, {high}]")
    }
}
