//! The `test` view (known-date step test).
//!
//! JSON fields: `schema_version`, `at`, `family`, `offset`, `unit`,
//! `rate_ratio` (interval, profile), `rate_ratio_exact` (exact conditional,
//! for the two-rate model), `lr_statistic`, `df`, `p_value`,
//! `p_value_increase`, `p_value_method`, `exact_p_value` and `exact_p_value_increase` (exact
//! conditional binomial test, two-rate model), `slope`, `rate_before`,
//! `rate_after` (intervals, per period and
//! per unit exposure when `offset`), `n_obs`, `n_missing`, `notes`; for NB
//! `bartlett_factor` {`estimate`, `mc_std_error`, `draws`, `failed`} (the
//! test's, under the null), `lr_statistic_corrected` (`lr_statistic`, which
//! stays the raw LR, divided by the factor when it is above 1; `p_value` is
//! that statistic's) and `rate_ratio_bartlett_factor` (the interval's, at
//! the estimate); `overdispersion` (Poisson: Dean's test in the model with
//! the step) and `family_choice` (`--family auto`).
//!
//! # `rate_before` and `rate_after`
//! Each is the fitted rate per period (per unit exposure per period with an
//! offset; the mean for Gaussian) of the model with the step, at one period:
//! `rate_before` at the last period before `at`, `rate_after` at `at`, the
//! first period of the new regime, with every other term (trend, season,
//! covariates, a slope change) at that period's values: `exp(x_t' beta)` for
//! the design row `x_t` of that period, with the profile-likelihood interval
//! of that linear combination. With no other term they are the two regimes'
//! rates. With a trend or covariates they are not averages over the regimes:
//! their ratio is the rate ratio times the change of the other terms over
//! one period (the trend's rate ratio, the covariates' change between the
//! two periods), and the rate ratio alone is the step.
//!
//! # CSV
//! `test --format csv` writes one row per reported quantity, tidy (one
//! observation per row, as R's `broom::tidy` or a pandas long frame), with
//! the columns `at`, `family`, `quantity`, `unit`, `estimate`, `ci_low`,
//! `ci_high`, `level`, `ci_method`, `std_error`, `statistic`, `df`,
//! `p_value`, `p_value_increase`, `method`. A cell that does not apply to a
//! row is empty. An unbounded interval end is `-Inf` or `Inf` (R and pandas
//! read both), and so is an estimate at infinity; an estimate the data do
//! not identify is empty. The rows, in order:
//! - `rate_before`, `rate_after`: the rates of the JSON fields (below), with
//!   `unit` `per month` or `per unit exposure per month`;
//! - `rate_ratio` (`ci_method` `profile`, or `profile_bartlett` for NB), and
//!   `rate_ratio_exact` (`exact_conditional`) for the two-rate model;
//! - `lr_test`: the raw LR `statistic`, its `df` and chi-square `p_value`
//!   (with `p_value_increase`, the one-sided p for an increase, when it is
//!   the reported test);
//! - NB only: `bartlett_factor` (the test's, under the null; `estimate` and
//!   its Monte Carlo `std_error`), `lr_test_corrected` (`statistic` divided
//!   by the factor; its `p_value` is the one the table and JSON report) and
//!   `rate_ratio_bartlett_factor` (the interval's, at the estimate);
//! - `exact_test` (two-rate model): the exact conditional binomial p-values;
//! - `overdispersion` (Poisson): Dean's score test, `statistic` z and its
//!   one-sided `p_value`.
//!
//! Numbers are in shortest round-trip form, with an exponent for very small
//! or large ones ([`csv_number`](super::format::csv_number)).

use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::SCHEMA_VERSION;
use super::fit::{dispersion_lines, p_phrase};
use super::format::{at_level, counted, counted_s, csv_cell, csv_table, sig3};
use super::interval::IntervalView;
use crate::changepoint::StepTest;
use crate::changepoint::bartlett::BartlettFactor;
use crate::data::{Period, Series};
use crate::inference::IntervalMethod;
use crate::inference::overdispersion::{FamilyChoice, OverdispersionTest};

/// The columns of `test --format csv`.
const CSV_HEADER: [&str; 15] = [
    "at",
    "family",
    "quantity",
    "unit",
    "estimate",
    "ci_low",
    "ci_high",
    "level",
    "ci_method",
    "std_error",
    "statistic",
    "df",
    "p_value",
    "p_value_increase",
    "method",
];

/// One CSV row; absent cells are empty.
#[derive(Default)]
struct CsvRow {
    quantity: &'static str,
    unit: String,
    estimate: Option<f64>,
    ci_low: Option<f64>,
    ci_high: Option<f64>,
    level: Option<f64>,
    ci_method: Option<IntervalMethod>,
    std_error: Option<f64>,
    statistic: Option<f64>,
    df: Option<f64>,
    p_value: Option<f64>,
    p_value_increase: Option<f64>,
    method: String,
}

impl CsvRow {
    fn interval(quantity: &'static str, unit: &str, i: &IntervalView) -> CsvRow {
        CsvRow {
            quantity,
            unit: unit.to_owned(),
            estimate: i.estimate_or_infinity(),
            ci_low: Some(i.ends_or_infinity().0),
            ci_high: Some(i.ends_or_infinity().1),
            level: Some(i.level),
            ci_method: Some(i.ci_method),
            ..CsvRow::default()
        }
    }
}

/// The JSON name of an interval method (`profile`, `exact_conditional`, ...).
pub(crate) fn interval_method_name(m: IntervalMethod) -> String {
    serde_json::to_value(m)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// What `test` reports.
#[derive(Debug, Clone, Serialize)]
pub struct TestView {
    /// Always 1.
    pub schema_version: u32,
    /// First period of the new regime.
    pub at: Period,
    /// Family.
    pub family: &'static str,
    /// Whether rates are per unit exposure (a share).
    pub offset: bool,
    /// The period unit.
    pub unit: &'static str,
    /// Rate ratio, profile interval.
    pub rate_ratio: IntervalView,
    /// Exact conditional interval, two-rate model only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_ratio_exact: Option<IntervalView>,
    /// LR statistic.
    pub lr_statistic: f64,
    /// Its degrees of freedom.
    pub df: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// One-sided p-value for an increase.
    pub p_value_increase: f64,
    /// How both p-values were computed.
    pub p_value_method: String,
    /// NB: the test's Bartlett factor, under the null-constrained fit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bartlett_factor: Option<BartlettFactor>,
    /// NB: the LR statistic divided by the factor (when above 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lr_statistic_corrected: Option<f64>,
    /// NB: the rate-ratio interval's Bartlett factor, at the estimate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_ratio_bartlett_factor: Option<BartlettFactor>,
    /// Exact conditional (binomial) two-sided p-value, two-rate model only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exact_p_value: Option<f64>,
    /// Exact conditional one-sided p-value for an increase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exact_p_value_increase: Option<f64>,
    /// Whether the slope may change at the date too.
    pub slope: bool,
    /// Fitted rate at the last period before the break, every other term at
    /// that period's values (see the module docs).
    pub rate_before: IntervalView,
    /// Fitted rate at the first period of the new regime, likewise.
    pub rate_after: IntervalView,
    /// Observations.
    pub n_obs: usize,
    /// Missing periods.
    pub n_missing: usize,
    /// Poisson: the over-dispersion test in the model with the step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdispersion: Option<OverdispersionTest>,
    /// With `--family auto`: which family and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_choice: Option<FamilyChoice>,
    /// In the report, when `auto` kept Poisson for want of residual degrees
    /// of freedom although the counts are over-dispersed: the NB rate ratio.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negbin_rate_ratio: Option<IntervalView>,
    /// Notes from the fits.
    pub notes: Vec<String>,
}

impl TestView {
    /// Builds the view.
    pub fn new(t: &StepTest, series: &Series) -> TestView {
        TestView {
            schema_version: SCHEMA_VERSION,
            at: t.at,
            family: t.full.spec.family.name(),
            offset: t.full.offset_used(),
            unit: series.frequency.unit(),
            rate_ratio: IntervalView::new(&t.rate_ratio, true),
            rate_ratio_exact: t.rate_ratio_exact.as_ref().map(|i| IntervalView::new(i, true)),
            lr_statistic: t.lr.statistic,
            df: t.lr.df,
            p_value: t.lr.p_value,
            p_value_increase: t.p_value_increase,
            p_value_method: t.lr.method.description(),
            bartlett_factor: t.bartlett,
            lr_statistic_corrected: t.lr_corrected,
            rate_ratio_bartlett_factor: t.interval_bartlett,
            exact_p_value: t.exact_p_values.map(|p| p.0),
            exact_p_value_increase: t.exact_p_values.map(|p| p.1),
            slope: t.full.names.iter().any(|n| n.starts_with("slope@")),
            rate_before: IntervalView::new(&t.rate_before, true),
            rate_after: IntervalView::new(&t.rate_after, true),
            n_obs: t.full.n_obs,
            n_missing: t.full.n_missing,
            overdispersion: t.full.overdispersion_test(),
            family_choice: None,
            negbin_rate_ratio: None,
            notes: t.full.notes.clone(),
        }
    }

    /// Lines for people, ending in a verdict.
    pub fn table(&self) -> String {
        let pct = format!("{:.0}%", self.rate_ratio.level * 100.0);
        let what = if self.offset {
            "share (count per unit exposure)"
        } else {
            "count"
        };
        let per = if self.offset {
            format!("per unit exposure per {}", self.unit)
        } else {
            format!("per {}", self.unit)
        };
        let mut out = format!("{} model, step at {} ({what})\n", self.family, self.at);
        out += &format!("  rate before  {} {per}\n", self.rate_before.text());
        out += &format!("  rate after   {} {per}\n", self.rate_after.text());
        let method = match self.rate_ratio.ci_method {
            IntervalMethod::ProfileBartlett => "profile-likelihood interval, Bartlett-corrected by bootstrap",
            _ => "profile-likelihood interval",
        };
        out += &format!("  rate ratio   {}  ({pct} {method})\n", self.rate_ratio.text());
        if let Some(exact) = &self.rate_ratio_exact {
            out += &format!("               {}  ({pct} exact conditional interval)\n", exact.text());
        }
        match (self.bartlett_factor, self.lr_statistic_corrected) {
            (Some(b), Some(corrected)) => {
                out += &format!(
                    "  LR test      {} on {} df (raw; chi-square {})\n",
                    sig3(self.lr_statistic),
                    self.df,
                    p_phrase(ChiSquared::new(self.df).map_or(f64::NAN, |c| c.sf(self.lr_statistic)))
                );
                out += &format!(
                    "               Bartlett factor {} (Monte Carlo s.e. {}, {} under the null, {} failed){}\n",
                    sig3(b.estimate),
                    sig3(b.mc_std_error),
                    counted_s(b.draws, "draw"),
                    b.failed,
                    if b.estimate < 1.0 { "; below 1, not applied" } else { "" }
                );
                out += &format!(
                    "               corrected {}, {} (two-sided), {} (increase)\n",
                    sig3(corrected),
                    p_phrase(self.p_value),
                    p_phrase(self.p_value_increase)
                );
            }
            _ => {
                out += &format!(
                    "  LR test      {} on {} df, {} (two-sided), {} (increase)\n",
                    sig3(self.lr_statistic),
                    self.df,
                    p_phrase(self.p_value),
                    p_phrase(self.p_value_increase)
                );
            }
        }
        if let (Some(p), Some(p_inc)) = (self.exact_p_value, self.exact_p_value_increase) {
            out += &format!(
                "  exact test   {} (two-sided), {} (increase), binomial given the total\n",
                p_phrase(p),
                p_phrase(p_inc)
            );
        }
        if self.slope {
            out += "  (the slope may change at the date too; the LR test covers both)\n";
        }
        out += &dispersion_lines(self.overdispersion.as_ref(), self.family_choice.as_ref(), "  ");
        if let Some(nb) = &self.negbin_rate_ratio {
            out += &format!(
                "  negbin       rate ratio {}  (the same test under the negative binomial, for comparison; theta rests on {} residual degrees of freedom)\n",
                nb.text(),
                self.family_choice.as_ref().map_or(0, |c| c.df_residual)
            );
        }
        for note in &self.notes {
            out += &format!("  note: {note}\n");
        }
        out += &format!("  verdict: {}\n", self.verdict());
        out
    }

    /// CSV: one row per quantity (see the module docs).
    pub fn csv(&self) -> String {
        let per = if self.offset {
            format!("per unit exposure per {}", self.unit)
        } else {
            format!("per {}", self.unit)
        };
        let mut rows: Vec<CsvRow> = vec![
            CsvRow::interval("rate_before", &per, &self.rate_before),
            CsvRow::interval("rate_after", &per, &self.rate_after),
            CsvRow::interval("rate_ratio", "", &self.rate_ratio),
        ];
        if let Some(exact) = &self.rate_ratio_exact {
            rows.push(CsvRow::interval("rate_ratio_exact", "", exact));
        }
        let test = |quantity: &'static str, statistic: f64, p: f64, p_increase: Option<f64>, method: &str| CsvRow {
            quantity,
            statistic: Some(statistic),
            df: Some(self.df),
            p_value: Some(p),
            p_value_increase: p_increase,
            method: method.to_owned(),
            ..CsvRow::default()
        };
        let factor = |quantity: &'static str, b: &BartlettFactor, drawn_from: &str| CsvRow {
            quantity,
            estimate: Some(b.estimate),
            std_error: Some(b.mc_std_error),
            method: format!(
                "bootstrap Bartlett factor: mean LR of {} drawn from {drawn_from} ({} failed); std_error is its Monte Carlo standard error",
                counted(b.draws, "series", "series"),
                b.failed
            ),
            ..CsvRow::default()
        };
        match (&self.bartlett_factor, self.lr_statistic_corrected) {
            (Some(b), Some(corrected)) => {
                let raw_p = ChiSquared::new(self.df).map_or(f64::NAN, |c| c.sf(self.lr_statistic));
                rows.push(test(
                    "lr_test",
                    self.lr_statistic,
                    raw_p,
                    None,
                    "likelihood ratio, chi-square reference (raw statistic, uncorrected)",
                ));
                rows.push(factor("bartlett_factor", b, "the null-constrained fit"));
                rows.push(test(
                    "lr_test_corrected",
                    corrected,
                    self.p_value,
                    Some(self.p_value_increase),
                    &self.p_value_method,
                ));
            }
            _ => rows.push(test(
                "lr_test",
                self.lr_statistic,
                self.p_value,
                Some(self.p_value_increase),
                &self.p_value_method,
            )),
        }
        if let Some(b) = &self.rate_ratio_bartlett_factor {
            rows.push(factor(
                "rate_ratio_bartlett_factor",
                b,
                "the fit at the estimate, for the interval",
            ));
        }
        if let (Some(p), Some(p_increase)) = (self.exact_p_value, self.exact_p_value_increase) {
            rows.push(CsvRow {
                quantity: "exact_test",
                p_value: Some(p),
                p_value_increase: Some(p_increase),
                method: "exact conditional binomial test given the total".into(),
                ..CsvRow::default()
            });
        }
        if let Some(t) = &self.overdispersion {
            rows.push(CsvRow {
                quantity: "overdispersion",
                statistic: Some(t.statistic),
                p_value: Some(t.p_value),
                method: t.method.to_owned(),
                ..CsvRow::default()
            });
        }
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    self.at.to_string(),
                    self.family.to_owned(),
                    r.quantity.to_owned(),
                    r.unit.clone(),
                    csv_cell(r.estimate),
                    csv_cell(r.ci_low),
                    csv_cell(r.ci_high),
                    csv_cell(r.level),
                    r.ci_method.map(interval_method_name).unwrap_or_default(),
                    csv_cell(r.std_error),
                    csv_cell(r.statistic),
                    csv_cell(r.df),
                    csv_cell(r.p_value),
                    csv_cell(r.p_value_increase),
                    r.method.clone(),
                ]
            })
            .collect();
        csv_table(&CSV_HEADER, &cells)
    }

    fn verdict(&self) -> String {
        let subject = if self.offset { "the share" } else { "the rate" };
        let rr = self.rate_ratio.text();
        let level = self.rate_ratio.level;
        let significant = self.p_value < 1.0 - level;
        let at = at_level(level, significant);
        if significant {
            let dir = if self.rate_ratio.ci_low.is_some_and(|l| l > 1.0) {
                "jumped"
            } else {
                "changed"
            };
            format!(
                "{subject} {dir} at {} by a factor {rr} ({}{at})",
                self.at,
                p_phrase(self.p_value)
            )
        } else {
            format!(
                "no clear change in {subject} at {} (rate ratio {rr}, {}{at})",
                self.at,
                p_phrase(self.p_value)
            )
        }
    }
}
