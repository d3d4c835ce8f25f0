//! The `forecast` and `backtest` views.
//!
//! `forecast` JSON: `schema_version`, `family`, `terms`, `horizon`, `draws`,
//! `seed`, `mean_ci_level`, `exposure_note`, `forecasts` (array of `period`,
//! `exposure`, `mean`, `mean_ci_low`, `mean_ci_high`, `median`, `lower_50`,
//! `upper_50`, `lower_80`, `upper_80`, `lower_95`, `upper_95`), `total` (the
//! same fields but `period`). `mean_ci_*` is the confidence interval of the
//! mean; `lower_*`/`upper_*` are prediction intervals for the counts.
//!
//! `backtest` JSON: `schema_version`, `horizon`, `origins`, `ranking`, `rows`, `dropped`
//! (per model and horizon step, then per model over all steps with `step`
//! null: `model`, `step`, `n`, `mae`, `rmse`, `log_score`, `rps`,
//! `coverage_50/80/95`, `width_50/80/95`).

use serde::Serialize;

use super::SCHEMA_VERSION;
use super::format::{count, counted_s, sig_together, sig3, table};
use crate::data::{Period, Series};
use crate::forecast::backtest::{Backtest, Dropped, ScoreRow};
use crate::forecast::{Forecast, ForecastRow, Predictive};
use crate::model::Fit;

/// What `forecast` reports.
#[derive(Debug, Clone, Serialize)]
pub struct ForecastView {
    /// Always 1.
    pub schema_version: u32,
    /// Family.
    pub family: &'static str,
    /// Terms of the model.
    pub terms: Vec<String>,
    /// Periods ahead.
    pub horizon: usize,
    /// Draws.
    pub draws: usize,
    /// Seed.
    pub seed: u64,
    /// Level of `mean_ci_*`.
    pub mean_ci_level: f64,
    /// How the future exposure was set, when there is an offset.
    pub exposure_note: Option<String>,
    /// Per period.
    pub forecasts: Vec<ForecastRow>,
    /// Over the horizon.
    pub total: Predictive,
}

impl ForecastView {
    /// Builds the view.
    pub fn new(f: &Forecast, fit: &Fit, seed: u64, level: f64) -> ForecastView {
        ForecastView {
            schema_version: SCHEMA_VERSION,
            family: fit.spec.family.name(),
            terms: fit.spec.terms.iter().map(ToString::to_string).collect(),
            horizon: f.rows.len(),
            draws: f.draws,
            seed,
            mean_ci_level: level,
            exposure_note: f.exposure_note.clone(),
            forecasts: f.rows.clone(),
            total: f.total,
        }
    }

    /// The table for people.
    pub fn table(&self, series: &Series) -> String {
        let unit = series.frequency.unit();
        let first = self.forecasts.first().map(|r| r.period);
        let last = self.forecasts.last().map(|r| r.period);
        let mut out = format!(
            "{} model ({}) on {}: forecast {}..{} ({}, seed {})\n",
            self.family,
            self.terms.join(", "),
            series.source,
            first.map_or("-".into(), |p| p.to_string()),
            last.map_or("-".into(), |p| p.to_string()),
            counted_s(self.draws, "draw"),
            self.seed
        );
        if let Some(note) = &self.exposure_note {
            out += &format!("{note}\n");
        }
        let ci = format!("mean [{:.0}% CI]", self.mean_ci_level * 100.0);
        let row = |label: String, p: &Predictive| {
            vec![
                label,
                match &sig_together(&[p.mean, p.mean_ci_low, p.mean_ci_high])[..] {
                    [mean, low, high] => format!("{mean} [{low}, {high}]"),
                    _ => String::new(),
                },
                count(p.median),
                format!("[{}, {}]", count(p.lower_50), count(p.upper_50)),
                format!("[{}, {}]", count(p.lower_80), count(p.upper_80)),
                format!("[{}, {}]", count(p.lower_95), count(p.upper_95)),
            ]
        };
        let mut rows: Vec<Vec<String>> = self
            .forecasts
            .iter()
            .map(|r| row(r.period.to_string(), &r.predictive))
            .collect();
        rows.push(row(format!("total {}", self.forecasts.len()), &self.total));
        out += "\n";
        out += &table(&[unit, &ci, "median", "50% PI", "80% PI", "95% PI"], &rows);
        out += &format!(
            "verdict: expect about {} over the next {} (95% prediction interval {} to {})\n",
            count(self.total.median),
            counted_s(self.forecasts.len(), unit),
            count(self.total.lower_95),
            count(self.total.upper_95)
        );
        out
    }
}

/// What `backtest` reports.
#[derive(Debug, Clone, Serialize)]
pub struct BacktestView {
    /// Always 1.
    pub schema_version: u32,
    /// Periods ahead.
    pub horizon: usize,
    /// Forecast origins.
    pub origins: Vec<Period>,
    /// Best to worst by mean RPS.
    pub ranking: Vec<String>,
    /// Scores.
    pub rows: Vec<ScoreRow>,
    /// Models left out, with the reason.
    pub dropped: Vec<Dropped>,
}

impl BacktestView {
    /// Builds the view.
    pub fn new(b: &Backtest, horizon: usize) -> BacktestView {
        BacktestView {
            schema_version: SCHEMA_VERSION,
            horizon,
            origins: b.origins.clone(),
            ranking: b.ranking.clone(),
            rows: b.rows.clone(),
            dropped: b.dropped.clone(),
        }
    }

    /// The ranking table over all steps, then RPS per step.
    pub fn table(&self) -> String {
        let mut out = format!(
            "rolling-origin backtest: {} ({}..{}), horizon {}\n\n",
            counted_s(self.origins.len(), "origin"),
            self.origins.first().map_or("-".into(), |p| p.to_string()),
            self.origins.last().map_or("-".into(), |p| p.to_string()),
            self.horizon
        );
        let overall: Vec<&ScoreRow> = self.rows.iter().filter(|r| r.step.is_none()).collect();
        let rows: Vec<Vec<String>> = overall
            .iter()
            .enumerate()
            .map(|(i, r)| {
                vec![
                    format!("{}. {}", i + 1, r.model),
                    r.n.to_string(),
                    sig3(r.rps),
                    sig3(r.log_score),
                    sig3(r.mae),
                    sig3(r.rmse),
                    format!(
                        "{:.0}/{:.0}/{:.0}%",
                        r.coverage_50 * 100.0,
                        r.coverage_80 * 100.0,
                        r.coverage_95 * 100.0
                    ),
                    sig3(r.width_95),
                ]
            })
            .collect();
        out += &table(
            &[
                "model (best first)",
                "n",
                "RPS",
                "log score",
                "MAE",
                "RMSE",
                "cover 50/80/95",
                "width 95",
            ],
            &rows,
        );
        out += "\nRPS by horizon step:\n";
        // Steps that no origin reached have no scores, so no column.
        let last_step = self.rows.iter().filter_map(|r| r.step).max().unwrap_or(0);
        let mut header = vec!["model".to_owned()];
        header.extend((1..=last_step).map(|k| format!("h{k}")));
        let per_step: Vec<Vec<String>> = self
            .ranking
            .iter()
            .map(|m| {
                let mut r = vec![m.clone()];
                r.extend(
                    self.rows
                        .iter()
                        .filter(|x| &x.model == m && x.step.is_some())
                        .map(|x| sig3(x.rps)),
                );
                r
            })
            .collect();
        let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
        out += &table(&header_refs, &per_step);
        for d in &self.dropped {
            out += &format!("left out: {} ({})\n", d.model, d.reason);
        }
        if let Some(best) = self.ranking.first() {
            out += &format!("verdict: {best} forecasts best (lowest mean ranked probability score)\n");
        }
        out
    }
}
