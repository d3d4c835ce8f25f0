//! The `fit` view.
//!
//! JSON fields: `schema_version`, `family`, `terms`, `offset`, `n_obs`,
//! `n_missing`, `loglik`, `deviance`, `aic`, `bic`, `pearson_dispersion`,
//! `converged`, `iterations`, `vcov`, `level`, `coefficients` (array of
//! `term`, `estimate`, `estimate_bound`, `std_error`, `statistic`, `p_value`,
//! `ci_low`, `ci_high`, `ci_open`, `ci_method`, and for log-link families
//! `rate_ratio` {`estimate`, `ci_low`, `ci_high`, ...}), `theta` and
//! `theta_std_error` (negbin; `null` with a note at theta's cap of 1e8,
//! where the NB has reduced to the Poisson), `sigma2` (gaussian, maximum likelihood),
//! `overdispersion` {`statistic`, `p_value`, `method`} (poisson: Dean's
//! score test), `family_choice` (with `--family auto`: `chosen`, `test`,
//! `df_residual`, `tested_in`, `reason`), `notes`.

use serde::Serialize;

use super::SCHEMA_VERSION;
use super::format::{counted_s, csv_cell, csv_number, csv_table, percent_together, sig3, table};
use super::interval::IntervalView;
use crate::data::Series;
use crate::error::Result;
use crate::inference::overdispersion::{FamilyChoice, OverdispersionTest};
use crate::inference::{CovarianceKind, Level, normal_p_value};
use crate::model::fit::THETA_MAX;
use crate::model::{Family, Fit};

/// One coefficient row.
#[derive(Debug, Clone, Serialize)]
pub struct CoefficientView {
    /// Term name.
    pub term: String,
    /// Estimate and interval on the coefficient scale.
    #[serde(flatten)]
    pub interval: IntervalView,
    /// Standard error (`null` at infinity).
    pub std_error: Option<f64>,
    /// z statistic.
    pub statistic: Option<f64>,
    /// Two-sided normal p-value.
    pub p_value: Option<f64>,
    /// `exp` of the coefficient and interval, for log-link families.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_ratio: Option<IntervalView>,
}

/// What `fit` reports.
#[derive(Debug, Clone, Serialize)]
pub struct FitView {
    /// Always 1.
    pub schema_version: u32,
    /// Family name.
    pub family: &'static str,
    /// Terms.
    pub terms: Vec<String>,
    /// Whether `log(exposure)` was the offset.
    pub offset: bool,
    /// Observations used.
    pub n_obs: usize,
    /// Missing periods.
    pub n_missing: usize,
    /// Maximised log-likelihood.
    pub loglik: f64,
    /// Deviance.
    pub deviance: f64,
    /// AIC (every estimated parameter counted).
    pub aic: f64,
    /// BIC.
    pub bic: f64,
    /// Pearson chi-square / residual df (`null` without residual df).
    pub pearson_dispersion: Option<f64>,
    /// Converged to tolerance.
    pub converged: bool,
    /// Fisher-scoring iterations.
    pub iterations: usize,
    /// Covariance used for standard errors.
    pub vcov: CovarianceKind,
    /// Confidence level.
    pub level: f64,
    /// Coefficients.
    pub coefficients: Vec<CoefficientView>,
    /// NB2 theta.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theta: Option<f64>,
    /// Its standard error (negbin): `null` at theta's cap of 1e8, where the
    /// log-likelihood is flat in theta (a note says so).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theta_std_error: Option<Option<f64>>,
    /// Gaussian variance (ML).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigma2: Option<f64>,
    /// Poisson: the over-dispersion test.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdispersion: Option<OverdispersionTest>,
    /// With `--family auto`: which family and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_choice: Option<FamilyChoice>,
    /// Notes.
    pub notes: Vec<String>,
}

/// The lines on over-dispersion and the family choice, each with `indent`.
pub(crate) fn dispersion_lines(
    test: Option<&OverdispersionTest>,
    choice: Option<&FamilyChoice>,
    indent: &str,
) -> String {
    let mut out = String::new();
    if let Some(c) = choice {
        out += &format!("{indent}family auto: {}\n", c.reason);
    }
    if let Some(t) = test {
        // With a choice, its reason already cites the test.
        if choice.is_none() {
            out += &format!(
                "{indent}over-dispersion: Dean's score test z = {}, {} (one-sided)\n",
                sig3(t.statistic),
                p_phrase(t.p_value)
            );
        }
        if t.rejects() {
            let advice = if choice.is_some() {
                "too few residual degrees of freedom to estimate the negative binomial's theta"
            } else {
                "use --family negbin or auto"
            };
            out += &format!(
                "{indent}warning: the counts vary more than a Poisson model allows ({}), so its intervals and p-values are too optimistic; {advice}\n",
                p_phrase(t.p_value)
            );
        }
    }
    out
}

impl FitView {
    /// The coefficient table as CSV: a row per coefficient.
    pub fn csv(&self) -> String {
        let rows: Vec<Vec<String>> = self
            .coefficients
            .iter()
            .map(|c| {
                let (low, high) = c.interval.ends_or_infinity();
                vec![
                    c.term.clone(),
                    csv_cell(c.interval.estimate_or_infinity()),
                    csv_cell(c.std_error),
                    csv_cell(c.statistic),
                    csv_cell(c.p_value),
                    csv_number(low),
                    csv_number(high),
                ]
            })
            .collect();
        csv_table(
            &[
                "term",
                "estimate",
                "std_error",
                "statistic",
                "p_value",
                "ci_low",
                "ci_high",
            ],
            &rows,
        )
    }
}

impl FitView {
    /// Builds the view from the fit and its intervals
    /// ([`Fit::coefficient_intervals`]).
    ///
    /// # Errors
    /// Failure of a profile refit or of the covariance.
    pub fn new(fit: &Fit, level: Level, vcov: CovarianceKind, wald: bool) -> Result<FitView> {
        let se = fit.std_errors(vcov)?;
        let log_link = fit.spec.family.log_link();
        let intervals = fit.coefficient_intervals(level, vcov, wald)?;
        let mut coefficients = Vec::new();
        for (j, (&se_j, interval)) in se.iter().zip(intervals).enumerate() {
            let statistic = se_j.filter(|s| *s > 0.0).map(|s| fit.beta[j] / s);
            coefficients.push(CoefficientView {
                term: fit.names[j].clone(),
                interval: IntervalView::new(&interval, false),
                std_error: se_j,
                statistic,
                p_value: statistic.map(normal_p_value),
                rate_ratio: log_link.then(|| IntervalView::new(&interval.map(f64::exp), true)),
            });
        }
        let dispersion = fit.pearson_dispersion();
        let mut notes = fit.notes.clone();
        if let (Some(theta), None) = (fit.theta, fit.theta_std_error()) {
            notes.push(if theta >= THETA_MAX {
                "theta's standard error is not reported (null): at the cap of 1e8 the log-likelihood is flat in theta".into()
            } else {
                "theta's standard error is not reported (null): the log-likelihood is not curved in theta at the estimate".into()
            });
        }
        Ok(FitView {
            schema_version: SCHEMA_VERSION,
            family: fit.spec.family.name(),
            terms: fit.spec.terms.iter().map(ToString::to_string).collect(),
            offset: fit.offset_used(),
            n_obs: fit.n_obs,
            n_missing: fit.n_missing,
            loglik: fit.loglik,
            deviance: fit.deviance(),
            aic: fit.aic(),
            bic: fit.bic(),
            pearson_dispersion: dispersion.is_finite().then_some(dispersion),
            converged: fit.converged,
            iterations: fit.iterations,
            vcov,
            level: level.value(),
            coefficients,
            theta: fit.theta,
            theta_std_error: fit.theta.map(|_| fit.theta_std_error()),
            sigma2: fit.sigma2,
            overdispersion: fit.overdispersion_test(),
            family_choice: None,
            notes,
        })
    }

    /// The table for people, with a one-line verdict.
    pub fn table(&self, series: &Series) -> String {
        let unit = series.frequency.unit();
        let mut out = format!(
            "{} model on {}: {} ({}), terms {}{}\n\n",
            self.family,
            series.source,
            counted_s(self.n_obs, "observation"),
            counted_s(self.n_missing, "missing period"),
            self.terms.join(", "),
            if self.offset { ", offset log(exposure)" } else { "" }
        );
        let pct = format!("{:.0}%", self.level * 100.0);
        let method = self.coefficients.first().map_or("", |c| match c.interval.ci_method {
            crate::inference::IntervalMethod::Profile => "profile",
            _ => "Wald",
        });
        let ci_header = format!("estimate [{pct} CI, {method}]");
        let mut header = vec!["term", ci_header.as_str(), "std.error", "z", "p-value"];
        let log_link = self.coefficients.iter().any(|c| c.rate_ratio.is_some());
        if log_link {
            header.push("rate ratio");
        }
        let rows: Vec<Vec<String>> = self
            .coefficients
            .iter()
            .map(|c| {
                let mut r = vec![
                    c.term.clone(),
                    c.interval.text(),
                    c.std_error.map_or("-".into(), sig3),
                    c.statistic.map_or("-".into(), sig3),
                    c.p_value.map_or("-".into(), p_text),
                ];
                if let Some(rr) = &c.rate_ratio {
                    r.push(if c.term == "intercept" { "-".into() } else { rr.text() });
                }
                r
            })
            .collect();
        out += &table(&header, &rows);
        out += &format!(
            "\nlog-likelihood {}, deviance {}, AIC {}, BIC {}",
            sig3(self.loglik),
            sig3(self.deviance),
            sig3(self.aic),
            sig3(self.bic)
        );
        if let Some(d) = self.pearson_dispersion {
            out += &format!(", Pearson dispersion {}", sig3(d));
        }
        out += &format!(
            "; {} in {}\n",
            if self.converged { "converged" } else { "NOT converged" },
            counted_s(self.iterations, "iteration")
        );
        if let Some(t) = self.theta {
            out += &format!(
                "theta {} (se {}), variance mu + mu^2/theta\n",
                sig3(t),
                self.theta_std_error.flatten().map_or("-".into(), sig3)
            );
        }
        if let Some(s2) = self.sigma2 {
            out += &format!("residual variance {} (maximum likelihood)\n", sig3(s2));
        }
        out += &dispersion_lines(self.overdispersion.as_ref(), self.family_choice.as_ref(), "");
        for note in &self.notes {
            out += &format!("note: {note}\n");
        }
        out += &format!("verdict: {}\n", self.verdict(unit));
        out
    }

    fn verdict(&self, unit: &str) -> String {
        let log_link = self.family != Family::Gaussian.name();
        let find = |prefix: &str| self.coefficients.iter().find(|c| c.term.starts_with(prefix));
        let significant = |c: &CoefficientView| match (c.interval.ci_low, c.interval.ci_high) {
            (Some(l), Some(h)) => l > 0.0 || h < 0.0,
            (Some(l), None) => l > 0.0,
            (None, Some(h)) => h < 0.0,
            (None, None) => false,
        };
        if let Some(step) = find("step@") {
            let at = step.term.trim_start_matches("step@");
            let size = if log_link {
                format!(
                    "by a factor {}",
                    step.rate_ratio.as_ref().map_or("?".into(), IntervalView::text)
                )
            } else {
                format!("by {}", step.interval.text())
            };
            return if significant(step) {
                format!(
                    "the level changed from {at} on, {size}; its {:.0}% interval excludes {} (no change)",
                    self.level * 100.0,
                    if log_link { 1 } else { 0 }
                )
            } else {
                format!(
                    "no clear change at {at}: {size}, and the interval includes {} (no change)",
                    if log_link { 1 } else { 0 }
                )
            };
        }
        if let Some(trend) = find("trend") {
            let change = if log_link {
                let i = &trend.interval;
                let values: Vec<f64> = [i.estimate, i.ci_low, i.ci_high]
                    .into_iter()
                    .flatten()
                    .map(|v| (v.exp() - 1.0) * 100.0)
                    .collect();
                let mut texts = percent_together(&values).into_iter();
                let mut pct = |v: Option<f64>, otherwise: &str| {
                    v.map_or(otherwise.to_owned(), |_| texts.next().unwrap_or_default())
                };
                let est = pct(
                    i.estimate,
                    match i.estimate_bound {
                        Some("-infinity") => "-100%",
                        Some("+infinity") => "∞",
                        _ => "not identified",
                    },
                );
                let low = pct(i.ci_low, "-100%");
                let high = pct(i.ci_high, "∞");
                format!("{est} per {unit} [{low}, {high}]")
            } else {
                format!("{} per {unit}", trend.interval.text())
            };
            let word = if significant(trend) {
                "a clear trend"
            } else {
                "no clear trend"
            };
            return format!("{word}: {change}");
        }
        "a constant level; add terms (trend, step@PERIOD) to look for change".into()
    }
}

/// `p = 0.012` or `p < 1e-16`.
pub fn p_phrase(p: f64) -> String {
    let text = p_text(p);
    if text.starts_with('<') {
        format!("p {}", text.replacen('<', "< ", 1))
    } else {
        format!("p = {text}")
    }
}

/// A p-value for tables: `<1e-16` below double precision, else 3 figures.
pub fn p_text(p: f64) -> String {
    if p < 1e-16 {
        "<1e-16".into()
    } else if p < 0.001 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}
