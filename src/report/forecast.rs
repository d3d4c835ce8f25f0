//! The `forecast` and `backtest` views.
//!
//! `forecast` JSON: `schema_version`, `family`, `terms`, `horizon`, `draws`,
//! `seed`, `mean_ci_level`, `exposure_note`, `forecasts` (array of `period`,
//! `exposure`, `mean`, `mean_ci_low`, `mean_ci_high`, `median`, `lower_50`,
//! `upper_50`, `lower_80`, `upper_80`, `lower_95`, `upper_95`), `total` (the
//! same fields but `period`). `mean_ci_*` is the confidence interval of the
//! mean; `lower_*`/`upper_*` are prediction intervals for the counts.
//!
//! `backtest` JSON: `schema_version`, `horizon`, `draws` (per forecast: the
//! parameter draws whose mixture is scored, and the simulated counts of the
//! intervals), `seed`, `origins`, `ranking` (models and baselines, best
//! first by mean RPS), `rows`, `dropped` (`model`, `reason`), `baselines`
//! (`model`, `description`), `comparisons`, `comparison_method`, `level`,
//! `best`, `tied`, `undercovering`, `forecast_model`.
//! - `rows`: per forecaster and horizon step, then per forecaster over all
//!   steps with `step` null: `model`, `step`, `n`, `mae`, `rmse`,
//!   `log_score`, `rps`, `coverage_50/80/95`, `width_50/80/95`, `kind`
//!   (`model` or `baseline`), `log_score_mc_std_error` and
//!   `rps_mc_std_error` (the Monte Carlo standard error of the mean score:
//!   how much it would move with another seed; 0 for a baseline, whose
//!   predictive is exact; `log_score_mc_std_error` is null when the log
//!   score is infinite), `wis` (mean weighted interval score), and
//!   `pit_histogram` (10 shares, the non-randomised PIT histogram).
//! - `comparisons`: every pair in ranking order, on the RPS and then on the
//!   log score, the paired test of equal mean scores over origins: `score`
//!   (`rps` or `log_score`), `model_a`, `model_b`, `mean_difference` (a
//!   minus b, per forecast), `std_error`, `statistic` (null when infinite),
//!   `df`, `p_value` (two-sided; null with one origin), `weights` (`uniform`
//!   or `bartlett` HAC weights). `comparison_method` says how.
//! - `undercovering`: forecasters whose 95% intervals cover significantly
//!   less than 95% (the same test on per-origin sums of `hit - 0.95`); they
//!   are not candidates for best.
//! - `best`: the leader (the candidate of lowest mean RPS) when the tests
//!   find every other candidate worse on the RPS or the log score at `1 -
//!   level`, else null; `tied`: the leader first, then every candidate worse
//!   than it on neither score at that level.
//! - `forecast_model`: {`model`, `reason`}, the model a forecast from this
//!   comparison uses (the simplest model among those tied, baselines aside;
//!   `report` forecasts with it), or null.

use serde::Serialize;

use super::SCHEMA_VERSION;
use super::format::{count, counted_s, csv_number, csv_table, sig_together, sig3, table};
use crate::data::{Period, Series};
use crate::forecast::backtest::{Backtest, BaselineInfo, ChosenModel, Comparison, Dropped, ScoreRow};
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
    /// The forecasts as CSV: a row per period ahead, then the total.
    pub fn csv(&self) -> String {
        let fields = |label: String, p: &crate::forecast::Predictive| {
            vec![
                label,
                csv_number(p.mean),
                csv_number(p.mean_ci_low),
                csv_number(p.mean_ci_high),
                csv_number(p.median),
                csv_number(p.lower_50),
                csv_number(p.upper_50),
                csv_number(p.lower_80),
                csv_number(p.upper_80),
                csv_number(p.lower_95),
                csv_number(p.upper_95),
            ]
        };
        let rows: Vec<Vec<String>> = self
            .forecasts
            .iter()
            .map(|r| fields(r.period.to_string(), &r.predictive))
            .chain(std::iter::once(fields("total".into(), &self.total)))
            .collect();
        csv_table(
            &[
                "period",
                "mean",
                "mean_ci_low",
                "mean_ci_high",
                "median",
                "lower_50",
                "upper_50",
                "lower_80",
                "upper_80",
                "lower_95",
                "upper_95",
            ],
            &rows,
        )
    }
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
    /// Draws per forecast.
    pub draws: usize,
    /// Seed.
    pub seed: u64,
    /// Forecast origins.
    pub origins: Vec<Period>,
    /// Best to worst by mean RPS (models and baselines).
    pub ranking: Vec<String>,
    /// Scores.
    pub rows: Vec<ScoreRow>,
    /// Models left out, with the reason.
    pub dropped: Vec<Dropped>,
    /// The naive baselines.
    pub baselines: Vec<BaselineInfo>,
    /// Paired tests of every pair.
    pub comparisons: Vec<Comparison>,
    /// How the pairs were tested.
    pub comparison_method: String,
    /// Level of the comparison.
    pub level: f64,
    /// The leader, when no other forecaster is tied with it.
    pub best: Option<String>,
    /// Forecasters tied for best (the leader first).
    pub tied: Vec<String>,
    /// Forecasters whose 95% intervals undercover: not candidates.
    pub undercovering: Vec<String>,
    /// The model the forecast uses.
    pub forecast_model: Option<ChosenModel>,
}

/// A score with its Monte Carlo standard error in parentheses (0 for an
/// exact score).
fn with_error(value: f64, se: Option<f64>) -> String {
    match se {
        Some(e) => format!("{} ({})", sig3(value), sig3(e)),
        None if value.is_finite() => format!("{} (n/a)", sig3(value)),
        None => sig3(value),
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl BacktestView {
    /// The scores as CSV: a row per forecaster and step (the JSON row's
    /// fields), the PIT histogram as `pit_1..pit_10`.
    pub fn csv(&self) -> String {
        let mut header: Vec<String> = [
            "model",
            "step",
            "n",
            "mae",
            "rmse",
            "log_score",
            "rps",
            "coverage_50",
            "coverage_80",
            "coverage_95",
            "width_50",
            "width_80",
            "width_95",
            "kind",
            "log_score_mc_std_error",
            "rps_mc_std_error",
            "wis",
        ]
        .map(String::from)
        .to_vec();
        header.extend((1..=10).map(|j| format!("pit_{j}")));
        let opt = |v: Option<f64>| v.map_or(String::new(), |x| x.to_string());
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                let mut record = vec![
                    r.model.clone(),
                    r.step.map_or(String::new(), |s| s.to_string()),
                    r.n.to_string(),
                    r.mae.to_string(),
                    r.rmse.to_string(),
                    r.log_score.to_string(),
                    r.rps.to_string(),
                    r.coverage_50.to_string(),
                    r.coverage_80.to_string(),
                    r.coverage_95.to_string(),
                    r.width_50.to_string(),
                    r.width_80.to_string(),
                    r.width_95.to_string(),
                    r.kind.to_owned(),
                    opt(r.log_score_mc_std_error),
                    r.rps_mc_std_error.to_string(),
                    r.wis.to_string(),
                ];
                record.extend(r.pit_histogram.iter().map(ToString::to_string));
                record
            })
            .collect();
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        csv_table(&header, &rows)
    }
}

impl BacktestView {
    /// Builds the view.
    pub fn new(b: &Backtest, horizon: usize) -> BacktestView {
        BacktestView {
            schema_version: SCHEMA_VERSION,
            horizon,
            draws: b.draws,
            seed: b.seed,
            origins: b.origins.clone(),
            ranking: b.ranking.clone(),
            rows: b.rows.clone(),
            dropped: b.dropped.clone(),
            baselines: b.baselines.clone(),
            comparisons: b.comparisons.clone(),
            comparison_method: b.comparison_method.clone(),
            level: b.level,
            best: b.best.clone(),
            tied: b.tied.clone(),
            undercovering: b.undercovering.clone(),
            forecast_model: b.forecast_model.clone(),
        }
    }

    /// The ranking table over all steps, RPS per step, the paired
    /// comparison with the leader, PIT histograms, and the verdict.
    pub fn table(&self) -> String {
        let mut out = format!(
            "rolling-origin backtest: {} ({}..{}), horizon {}, {} draws per forecast (seed {})

",
            counted_s(self.origins.len(), "origin"),
            self.origins.first().map_or("-".into(), |p| p.to_string()),
            self.origins.last().map_or("-".into(), |p| p.to_string()),
            self.horizon,
            self.draws,
            self.seed
        );
        let overall: Vec<&ScoreRow> = self
            .ranking
            .iter()
            .filter_map(|m| self.rows.iter().find(|r| r.step.is_none() && &r.model == m))
            .collect();
        let rows: Vec<Vec<String>> = overall
            .iter()
            .enumerate()
            .map(|(i, r)| {
                vec![
                    format!("{}. {}", i + 1, r.model),
                    r.n.to_string(),
                    with_error(r.rps, Some(r.rps_mc_std_error)),
                    with_error(r.log_score, r.log_score_mc_std_error),
                    sig3(r.wis),
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
                "RPS (MC s.e.)",
                "log score (MC s.e.)",
                "WIS",
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
        let percent = format!("{}%", ((1.0 - self.level) * 1000.0).round() / 10.0);
        if let Some(leader) = self.tied.first().filter(|_| self.ranking.len() > 1) {
            let df = self.comparisons.first().map_or(0.0, |c| c.test.df);
            out += &format!(
                "\npaired comparison with {leader} (mean score difference per forecast; Diebold-Mariano, HAC lag {}, Harvey-Leybourne-Newbold correction, t with {df} df):\n",
                self.horizon.saturating_sub(1)
            );
            // The test of `m` against the leader on `score`, as m minus leader.
            let against = |m: &str, score: &str| -> Option<(f64, f64, Option<f64>)> {
                self.comparisons.iter().find_map(|c| {
                    if c.score != score {
                        None
                    } else if &c.model_a == leader && c.model_b == m {
                        Some((-c.test.mean_difference, c.test.std_error, c.test.p_value))
                    } else if c.model_a == m && &c.model_b == leader {
                        Some((c.test.mean_difference, c.test.std_error, c.test.p_value))
                    } else {
                        None
                    }
                })
            };
            let cell = |t: Option<(f64, f64, Option<f64>)>| -> [String; 2] {
                match t {
                    Some((d, se, p)) => [
                        format!("{}{} ({})", if d >= 0.0 { "+" } else { "" }, sig3(d), sig3(se)),
                        p.map_or("n/a".into(), sig3),
                    ],
                    None => ["-".into(), "-".into()],
                }
            };
            let rows: Vec<Vec<String>> = self
                .ranking
                .iter()
                .filter(|m| *m != leader)
                .map(|m| {
                    let [rd, rp] = cell(against(m, "rps"));
                    let [ld, lp] = cell(against(m, "log_score"));
                    let status = if self.undercovering.contains(m) {
                        "95% PI covers too little".to_owned()
                    } else if self.tied.contains(m) {
                        "tied".to_owned()
                    } else {
                        format!("worse at {percent}")
                    };
                    vec![m.clone(), rd, rp, ld, lp, status]
                })
                .collect();
            out += &table(
                &[
                    "model",
                    "RPS worse by (s.e.)",
                    "p-value",
                    "log score worse by (s.e.)",
                    "p-value",
                    "",
                ],
                &rows,
            );
        }
        out += "\nPIT histogram (% of forecasts in each tenth; 10 each when calibrated):\n";
        let pit_rows: Vec<Vec<String>> = overall
            .iter()
            .map(|r| {
                let mut row = vec![r.model.clone()];
                row.extend(r.pit_histogram.iter().map(|p| format!("{:.0}", p * 100.0)));
                row
            })
            .collect();
        let mut pit_header = vec!["model".to_owned()];
        pit_header.extend((0..10).map(|j| format!("{}", (j + 1) * 10)));
        let pit_refs: Vec<&str> = pit_header.iter().map(String::as_str).collect();
        out += &table(&pit_refs, &pit_rows);
        if !self.baselines.is_empty() {
            out += "\nbaselines:\n";
            for b in &self.baselines {
                out += &format!("  {}: {}\n", b.model, b.description);
            }
        }
        for d in &self.dropped {
            out += &format!("left out: {} ({})\n", d.model, d.reason);
        }
        if !self.undercovering.is_empty() {
            out += &format!(
                "not candidates for best: the 95% intervals of {} cover significantly less than 95%\n",
                and_list(&self.undercovering)
            );
        }
        let uses = self
            .forecast_model
            .as_ref()
            .map_or(String::new(), |m| format!("; the forecast uses {}", m.model));
        match (&self.best, self.tied.as_slice()) {
            (Some(best), _) => {
                out += &format!(
                    "verdict: {best} forecasts best (lowest mean RPS among the candidates, and neither score worse for it by the paired tests at the {percent} level){uses}\n"
                );
            }
            (None, [_, _, ..]) => {
                out += &format!(
                    "verdict: no single model forecasts best: {} are tied for best (neither score worse at the {percent} level){uses}\n",
                    and_list(&self.tied)
                );
            }
            _ => {}
        }
        if let Some(m) = &self.forecast_model {
            out += &format!("forecast model {}: {}\n", m.model, m.reason);
        }
        out
    }
}
