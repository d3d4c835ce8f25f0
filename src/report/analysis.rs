//! The full report: the analyst's questions in order (what the data are, did
//! the rate jump at the known date, did the share, when did it change, how
//! many times, which model forecasts best, what comes next), each answered
//! by the library's
//! own commands. A question the data cannot answer is kept with the reason,
//! so the report runs to the end; a failure of countshift itself (a
//! numerical error the input did not announce) stops it, as it stops the
//! command that answers the question.

use serde::Serialize;

use super::SCHEMA_VERSION;
use super::detect::DetectView;
use super::forecast::{BacktestView, ForecastView};
use super::inspect::InspectView;
use super::interval::IntervalView;
use super::several::{SeveralSpec, several_breaks_view};
use super::test::TestView;
use crate::changepoint::multiple::{Criterion, Search, detect_multiple};
use crate::changepoint::single::{BreakKind, DEFAULT_BOOTSTRAP, DetectSpec, GammaPrior, best_date, detect_single};
use crate::changepoint::step_test;
use crate::data::{Period, Series};
use crate::error::Result;
use crate::forecast::backtest::{
    BacktestSpec, DEFAULT_MODELS, ModelChoice, backtest, default_baselines, default_origin_from,
};
use crate::forecast::{ForecastSpec, FutureExposure, forecast};
use crate::inference::Level;
use crate::inference::overdispersion::{FamilyChoice, auto_family, auto_family_segmented};
use crate::model::{Family, Fit, ModelSpec, Term, fit};

/// What the report runs.
#[derive(Debug, Clone)]
pub struct ReportSpec {
    /// The known date to test (first period of the new regime), if any.
    pub at: Option<Period>,
    /// Family of the tests and the break search; `None` is `auto` (see
    /// [`crate::inference::overdispersion`]), chosen in each step's fullest model.
    pub family: Option<Family>,
    /// Confidence level of every interval.
    pub level: Level,
    /// Bootstrap replicates of the break search.
    pub bootstrap: usize,
    /// Draws per forecast.
    pub draws: usize,
    /// Seed of the bootstrap, forecasts and backtest.
    pub seed: u64,
    /// Months (periods) ahead of the short and the long forecast.
    pub horizons: (usize, usize),
    /// Models the backtest compares.
    pub backtest_models: Vec<ModelChoice>,
}

impl Default for ReportSpec {
    /// The defaults of `countshift report`, each the default of the command
    /// that answers its question: family auto, 95%,
    /// [`DEFAULT_BOOTSTRAP`] replicates, [`crate::forecast::DEFAULT_DRAWS`]
    /// draws, seed 1, forecasts [`crate::forecast::backtest::DEFAULT_HORIZON`] and
    /// [`crate::forecast::DEFAULT_HORIZON`] periods ahead, the backtest's
    /// default models; no known date.
    fn default() -> ReportSpec {
        ReportSpec {
            at: None,
            family: None,
            level: Level::default(),
            bootstrap: DEFAULT_BOOTSTRAP,
            draws: crate::forecast::DEFAULT_DRAWS,
            seed: 1,
            horizons: (
                crate::forecast::backtest::DEFAULT_HORIZON,
                crate::forecast::DEFAULT_HORIZON,
            ),
            backtest_models: DEFAULT_MODELS
                .split(',')
                .map(ModelChoice::parse)
                .collect::<Result<_>>()
                .expect("the default models parse (a unit test checks them)"),
        }
    }
}

impl ReportSpec {
    /// The defaults with the known date `at`.
    pub fn new(at: Option<Period>) -> ReportSpec {
        ReportSpec {
            at,
            ..ReportSpec::default()
        }
    }
}

/// A step of the report: its result, or why it was not run.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Section<T> {
    /// The step ran.
    Done(T),
    /// The step could not run on these data.
    Skipped {
        /// Why, in one sentence.
        skipped: String,
    },
}

impl<T> Section<T> {
    /// The step's section: done, or skipped for a reason the data or the
    /// settings give (an error a user can fix, [`Error::is_bad_input`]).
    /// Any other error is countshift's own failure and stops the report.
    ///
    /// # Errors
    /// An internal error of the step.
    fn from_result(r: Result<T>) -> Result<Section<T>> {
        match r {
            Ok(v) => Ok(Section::Done(v)),
            Err(e) if e.is_bad_input() => Ok(Section::Skipped { skipped: e.to_string() }),
            Err(e) => Err(e),
        }
    }

    /// The result, when the step ran.
    pub fn done(&self) -> Option<&T> {
        match self {
            Section::Done(v) => Some(v),
            Section::Skipped { .. } => None,
        }
    }
}

/// The fitted mean of one period under the forecast model.
#[derive(Debug, Clone, Serialize)]
pub struct FittedPoint {
    /// The period.
    pub period: Period,
    /// Fitted mean count of the period.
    pub mean: f64,
}

/// The model the forecast uses, and why it was chosen.
#[derive(Debug, Clone, Serialize)]
pub struct ForecastModel {
    /// `family:terms`, as the backtest writes models.
    pub model: String,
    /// Why this model.
    pub reason: String,
}

/// Every step of the report. JSON: these fields, each step as its own
/// command's JSON, or `{"skipped": reason}`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Wire-format version.
    pub schema_version: u32,
    /// What was read (`inspect`).
    pub data: InspectView,
    /// The known date tested, if any.
    pub known_date: Option<Period>,
    /// Step at the known date, counts (`test`, no offset).
    pub test: Section<TestView>,
    /// Step at the known date, counts per unit exposure (`test` with offset).
    pub share_test: Section<TestView>,
    /// One break at an unknown date (`detect`).
    pub detect: Section<DetectView>,
    /// Several breaks, each dated (`detect --max-breaks 3`).
    pub breaks: Section<DetectView>,
    /// Models compared by rolling-origin forecasts (`backtest`).
    pub backtest: Section<BacktestView>,
    /// The model forecast.
    pub forecast_model: Section<ForecastModel>,
    /// Fitted mean per period under the forecast model.
    pub fitted: Vec<FittedPoint>,
    /// The short forecast (`forecast`).
    pub forecast_short: Section<ForecastView>,
    /// The long forecast (`forecast`).
    pub forecast: Section<ForecastView>,
}

/// The most breaks the report's several-breaks step searches for.
pub const REPORT_MAX_BREAKS: usize = 3;

/// `detect --max-breaks 3` as the command runs it: BIC with the sequential
/// tests beside it, the family chosen by `auto` in the Poisson search's
/// segmented model unless given.
fn several_breaks(series: &Series, spec: &ReportSpec, model: &ModelSpec, min_segment: usize) -> Result<DetectView> {
    let search = Search::Dp {
        max_breaks: REPORT_MAX_BREAKS,
        select: Criterion::Bic,
    };
    let several = SeveralSpec {
        search,
        by_tests: false,
        min_segment,
        bootstrap: spec.bootstrap,
        seed: spec.seed,
        level: spec.level,
        prior: GammaPrior::default(),
    };
    let (model, choice, found) = match spec.family {
        Some(_) => (model.clone(), None, None),
        None => {
            let poisson = ModelSpec {
                family: Family::Poisson,
                ..model.clone()
            };
            let found = detect_multiple(series, &poisson, search, min_segment, spec.level)?;
            let (chosen, choice) = auto_family_segmented(&poisson, series, &found.breaks)?;
            let found = (chosen == poisson).then_some(found);
            (chosen, choice, found)
        }
    };
    let mut view = several_breaks_view(series, &model, several, found)?;
    view.family_choice = choice;
    Ok(view)
}

/// Runs every step of the report on `series`.
///
/// # Errors
/// An internal failure of a step ([`crate::Error::is_bad_input`] false). A
/// step the data or the settings cannot run is kept as skipped, with the
/// reason.
pub fn build_report(series: &Series, spec: &ReportSpec) -> Result<Report> {
    build_report_with(series, spec, &|| {})
}

/// [`build_report`], calling `progress` once per finished backtest origin.
///
/// # Errors
/// As [`build_report`].
pub fn build_report_with(series: &Series, spec: &ReportSpec, progress: &(dyn Fn() + Sync)) -> Result<Report> {
    let volume = ModelSpec {
        family: spec.family.unwrap_or(Family::Poisson),
        terms: vec![Term::Intercept],
        use_offset: false,
    };
    let share = ModelSpec {
        use_offset: true,
        ..volume.clone()
    };
    // The family of a step: as given, or chosen by `auto` in the Poisson fit
    // of the step's fullest model (the model plus `fullest`).
    let resolve = |model: &ModelSpec, fullest: &[Term]| -> Result<(ModelSpec, Option<FamilyChoice>)> {
        match spec.family {
            Some(_) => Ok((model.clone(), None)),
            None => auto_family(model, series, fullest),
        }
    };
    let known = |model: &ModelSpec, why_not: Option<&str>| -> Result<Section<TestView>> {
        match (spec.at, why_not) {
            (_, Some(reason)) => Ok(Section::Skipped {
                skipped: reason.to_owned(),
            }),
            (None, None) => Ok(Section::Skipped {
                skipped: "no known date: give --at PERIOD to test one".into(),
            }),
            (Some(at), None) => Section::from_result((|| {
                let (model, choice) = resolve(model, &[Term::Step(at)])?;
                let t = step_test(series, &model, at, spec.level, false)?;
                // Poisson kept for want of residual df although the counts
                // are over-dispersed: the NB answer beside it.
                let negbin = match &choice {
                    Some(c) if c.chosen == Family::Poisson && c.test.rejects() => {
                        let nb = ModelSpec {
                            family: Family::Negbin,
                            ..model.clone()
                        };
                        step_test(series, &nb, at, spec.level, false)
                            .ok()
                            .map(|t| IntervalView::new(&t.rate_ratio, true))
                    }
                    _ => None,
                };
                Ok(TestView {
                    family_choice: choice,
                    negbin_rate_ratio: negbin,
                    ..TestView::new(&t, series)
                })
            })()),
        }
    };
    let test = known(&volume, None)?;
    let share_test = known(
        &share,
        (!series.has_exposure()).then_some("the series has no exposure, so there is no share to test"),
    )?;
    let n = if series.is_simple() {
        series.n_obs()
    } else {
        series.n_periods
    };
    let min_segment = ((0.15 * n as f64).floor() as usize).max(2);
    let detect_model = ModelSpec {
        use_offset: series.has_exposure(),
        ..volume.clone()
    };
    let detect_spec = |model: ModelSpec| DetectSpec {
        model,
        min_segment,
        bootstrap: spec.bootstrap,
        seed: spec.seed,
        level: spec.level,
        prior: GammaPrior::default(),
        kind: BreakKind::Level,
    };
    let detect = Section::from_result((|| {
        let poisson = ModelSpec {
            family: Family::Poisson,
            ..detect_model.clone()
        };
        let fullest = match spec.family {
            Some(_) => Vec::new(),
            None => vec![Term::Step(best_date(series, &detect_spec(poisson))?)],
        };
        let (model, choice) = resolve(&detect_model, &fullest)?;
        let d = detect_single(series, &detect_spec(model))?;
        let mut view = DetectView::single(&d, min_segment, spec.bootstrap, spec.seed);
        view.family_choice = choice;
        Ok(view)
    })())?;
    // The several-break search takes one observation per period: a series
    // with run rows says so in its own words.
    let breaks = if series.is_simple() {
        Section::from_result(several_breaks(series, spec, &detect_model, min_segment))?
    } else {
        Section::Skipped {
            skipped: "the series has run rows (totals over several periods), and several breaks are searched on one observation per period; question 3 dates one break inside runs".into(),
        }
    };
    let backtest = Section::from_result(run_backtest(series, spec, progress))?;
    // The forecast's family: the known-date test's, else the break search's.
    let family = test
        .done()
        .or(share_test.done())
        .map(|t| t.family)
        .or(detect.done().map(|d| d.family))
        .unwrap_or("poisson");
    let forecast_model = Section::from_result(choose_forecast_model(spec, family, &backtest, &detect))?;
    // The forecasts' model, or why they are skipped: a model that cannot be
    // fitted for a reason of the data skips them; an internal failure stops
    // the report.
    let fitted_model: std::result::Result<Fit, String> = match &forecast_model {
        Section::Done(m) => match ModelChoice::parse(&m.model)
            .and_then(|c| c.spec(series, true))
            .and_then(|s| fit(&s, series))
        {
            Ok(f) => Ok(f),
            Err(e) if e.is_bad_input() => Err(e.to_string()),
            Err(e) => return Err(e),
        },
        Section::Skipped { skipped } => Err(skipped.clone()),
    };
    let fitted = fitted_model
        .as_ref()
        .map(|f| {
            f.period_means()
                .into_iter()
                .enumerate()
                .map(|(t, mean)| FittedPoint {
                    period: series.period(t),
                    mean,
                })
                .collect()
        })
        .unwrap_or_default();
    let run_forecast = |horizon: usize| -> Result<Section<ForecastView>> {
        match &fitted_model {
            Ok(f) => Section::from_result(
                forecast(
                    f,
                    series,
                    &ForecastSpec {
                        horizon,
                        draws: spec.draws,
                        seed: spec.seed,
                        level: spec.level,
                        exposure: FutureExposure::LastYearMean,
                        parameter_uncertainty: true,
                    },
                )
                .map(|r| ForecastView::new(&r, f, spec.seed, spec.level.value())),
            ),
            Err(reason) => Ok(Section::Skipped {
                skipped: reason.clone(),
            }),
        }
    };
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        data: InspectView::new(series),
        known_date: spec.at,
        test,
        share_test,
        detect,
        breaks,
        backtest,
        forecast_model,
        fitted,
        forecast_short: run_forecast(spec.horizons.0)?,
        forecast: run_forecast(spec.horizons.1)?,
    })
}

/// The backtest with the default origins (the last third of the series, at
/// most its last 120 periods).
fn run_backtest(series: &Series, spec: &ReportSpec, progress: &(dyn Fn() + Sync)) -> Result<BacktestView> {
    let horizon = spec.horizons.0;
    let origin_from = default_origin_from(series);
    let b = backtest(
        series,
        &BacktestSpec {
            models: spec.backtest_models.clone(),
            baselines: default_baselines(series, origin_from),
            origin_from,
            horizon,
            draws: spec.draws.min(crate::forecast::backtest::DEFAULT_DRAWS),
            seed: spec.seed,
            use_offset: true,
            level: spec.level,
        },
        progress,
    )?;
    Ok(BacktestView::new(&b, horizon))
}

/// The backtest's forecast model (the best, or the simplest of those tied
/// for best); without a backtest, the level after the known date (or after
/// a clear detected break) carried forward.
fn choose_forecast_model(
    spec: &ReportSpec,
    family: &str,
    backtest: &Section<BacktestView>,
    detect: &Section<DetectView>,
) -> Result<ForecastModel> {
    if let Some(chosen) = backtest.done().and_then(|b| b.forecast_model.as_ref()) {
        return Ok(ForecastModel {
            model: chosen.model.clone(),
            reason: chosen.reason.clone(),
        });
    }
    let clear_break = detect
        .done()
        .filter(|d| d.p_value.is_some_and(|p| p < 1.0 - spec.level.value()))
        .and_then(|d| d.breaks.first())
        .map(|b| b.period);
    let (model, reason) = match (spec.at, clear_break) {
        (Some(at), _) => (
            format!("{family}:step@{at}"),
            format!("no backtest ran; the rate after the known date {at} is assumed to continue"),
        ),
        (None, Some(at)) => (
            format!("{family}:step@{at}"),
            format!("no backtest ran; the rate after the detected break {at} is assumed to continue"),
        ),
        (None, None) => (
            format!("{family}:"),
            "no backtest ran and no clear break: one constant rate".into(),
        ),
    };
    Ok(ForecastModel { model, reason })
}

/// One question of the report as text, with the plots that belong to it.
#[derive(Debug, Clone)]
pub struct TextSection {
    /// The question.
    pub title: String,
    /// The answer: the step's table, or why it did not run.
    pub body: String,
    /// Names of the plots (see `report::plot::plots`) shown with it.
    pub plots: &'static [&'static str],
}

impl Report {
    /// The questions in order, each answered in text.
    pub fn sections(&self, series: &Series) -> Vec<TextSection> {
        fn body<T>(s: &Section<T>, text: impl FnOnce(&T) -> String) -> String {
            match s {
                Section::Done(v) => text(v),
                Section::Skipped { skipped } => format!("not run: {skipped}\n"),
            }
        }
        let unit = series.frequency.unit();
        let d = &self.data;
        let at = self
            .known_date
            .map_or_else(|| "the known date".to_owned(), |p| p.to_string());
        let model = match &self.forecast_model {
            Section::Done(m) => format!("{} ({})", m.model, m.reason),
            Section::Skipped { skipped } => skipped.clone(),
        };
        vec![
            TextSection {
                title: format!("countshift report: {}", d.source),
                body: format!(
                    "{} {unit}s, {} to {}: total {} in {} observations, {} {unit}s missing\n",
                    d.n_periods,
                    d.first,
                    d.last,
                    super::format::count(d.total),
                    d.n_obs,
                    d.n_missing
                ),
                plots: &["series"],
            },
            TextSection {
                title: format!("1. Did the rate jump at {at}? (known date; two rates)"),
                body: body(&self.test, TestView::table),
                plots: &[],
            },
            TextSection {
                title: "2. Did the share change, not only the volume? (count per unit exposure)".into(),
                body: body(&self.share_test, TestView::table),
                plots: &[],
            },
            TextSection {
                title: "3. When did the rate change? (one break at an unknown date)".into(),
                body: body(&self.detect, |v| v.table(series)),
                plots: &["profile", "posterior"],
            },
            TextSection {
                title: format!("4. How many times did the rate change? (up to {REPORT_MAX_BREAKS} breaks, each dated)"),
                body: body(&self.breaks, |v| v.table(series)),
                plots: &["breaks", "break_probability"],
            },
            TextSection {
                title: "5. Which model forecasts best? (rolling-origin backtest)".into(),
                body: body(&self.backtest, BacktestView::table),
                plots: &["backtest"],
            },
            TextSection {
                title: "6. What comes next? (forecast with prediction intervals)".into(),
                body: body(&self.forecast, |long| {
                    let mut out = format!("model {model}\n");
                    out += &long.table(series);
                    if let Some(short) = self.forecast_short.done() {
                        let t = &short.total;
                        out += &format!(
                            "next {} {unit}s: about {} (95% prediction interval {} to {})\n",
                            short.forecasts.len(),
                            super::format::count(t.median),
                            super::format::count(t.lower_95),
                            super::format::count(t.upper_95)
                        );
                    }
                    out
                }),
                plots: &["forecast"],
            },
        ]
    }

    /// The terminal report. `color` makes questions and verdicts bold
    /// (ANSI), for terminals only.
    pub fn text(&self, series: &Series, color: bool) -> String {
        let bold = |s: &str| {
            if color {
                format!("\x1b[1m{s}\x1b[0m")
            } else {
                s.to_owned()
            }
        };
        let mut out = String::new();
        for (i, section) in self.sections(series).iter().enumerate() {
            if i > 0 {
                out += "\n";
            }
            out += &bold(&section.title);
            out += "\n";
            for line in section.body.lines() {
                if line.is_empty() {
                    out += "\n";
                } else if line.trim_start().starts_with("verdict:") {
                    out += &format!("  {}\n", bold(line));
                } else {
                    out += &format!("  {line}\n");
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_is_skipped_for_the_data_and_stops_the_report_for_a_failure_of_its_own() {
        let refused: Result<()> = Err(crate::SpecError::NoExposureToForecast.into());
        assert!(matches!(
            Section::from_result(refused),
            Ok(Section::Skipped { skipped }) if skipped.starts_with("the model was fitted with exposure")
        ));
        let failed: Result<()> = Err(crate::Error::Numerical("did not converge".into()));
        assert!(matches!(Section::from_result(failed), Err(crate::Error::Numerical(_))));
    }

    #[test]
    fn the_default_spec_parses_the_default_models() {
        let spec = ReportSpec::default();
        assert_eq!(spec.backtest_models.len(), DEFAULT_MODELS.split(',').count());
        assert_eq!(spec.horizons, (6, 12));
    }
}
