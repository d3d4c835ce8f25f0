//! The `detect` view.
//!
//! JSON fields: `schema_version`, `family`, `offset`, `method` (`single`, `dp`
//! or `pelt`), `min_segment`, `searched_from` and `searched_to` (one break:
//! the first and last candidate dates, `--min-segment` observations in from
//! each end; a break outside them cannot be found), `breaks` (array of `period`, `ci_low`, `ci_high`
//! (ends of the date set), `set` (the periods in the set), `rate_before`,
//! `rate_after`, `rate_ratio`), `sup_lr`, `p_value`, `p_value_method`,
//! `p_value_asymptotic`, `set_method`, `set_cutoff`, `set_lr` and
//! `set_posterior` (the two sets whose union is `set`), `null_loglik`, `profile`
//! (array of `period`, `loglik`), `posterior` (array of `period`,
//! `probability`), `posterior_method`, `bootstrap`, `seed`; for several
//! breaks `table` (per number of breaks: `breaks`, `dates`, `cost`, `loglik`,
//! `n_params`, `bic`, `mbic`), `selected_by`, `penalty`, `segments` (array of
//! `start`, `end`, `n`, `level`); `overdispersion` (Poisson: Dean's test in
//! the model with the breaks found) and `family_choice` (`--family auto`).
//!
//! # `rate_before` and `rate_after`
//! For one break, each is the fitted rate per period (per unit exposure per
//! period with an offset; the mean for Gaussian) of the model with the step
//! at the best date, at one period: `rate_before` at the last period before
//! the break, `rate_after` at the break's `period`, the first period of the
//! new regime, with every other term (a common trend, season, covariates) at
//! that period's values, and the profile-likelihood interval of that linear
//! combination, as `test --at` the same date gives them. With no other term
//! they are the two segments' rates. For several breaks (a level-only
//! model) they are the levels of the segments either side of each break
//! (`segments`).
//!
//! # CSV
//! `detect --format csv` writes one row per break (none when no break is
//! found: the header alone), with the columns `period` (first period of the
//! new regime), `ci_low`, `ci_high` (ends of the date set) and `set` (every
//! date in the set, separated by spaces; it need not be contiguous), `unit`
//! of the rates (`per month`, `per unit exposure per month`), `rate_before`,
//! `rate_before_ci_low`, `rate_before_ci_high`, the same for `rate_after` and
//! `rate_ratio`, the confidence `level`, and for one break `sup_lr`,
//! `p_value` and `p_value_method`. Several breaks (dp, with bootstrap
//! replicates) have their date sets and rate ratios over them
//! ([`crate::changepoint::break_dates`]) but no sup-LR or p-value: those
//! cells are empty; PELT's breaks have no date set either. An unbounded interval end is `-Inf` or
//! `Inf`, and so is an estimate at infinity (a rate ratio after a segment
//! with no events); an estimate the data do not identify is empty.
//! Numbers are in shortest round-trip form, with an exponent for very small
//! or large ones ([`super::format::csv_number`]).

use serde::Serialize;

use super::SCHEMA_VERSION;
use super::fit::{dispersion_lines, p_phrase};
use super::format::{at_level, counted_s, csv_cell, csv_number, csv_table, sig3, table};
use super::interval::IntervalView;
use crate::changepoint::break_dates::BreakDates;
use crate::changepoint::multiple::{CandidateCount, MultipleBreaks};
use crate::changepoint::number_tests::{NumberTest, NumberTests, UdMax};
use crate::changepoint::segmentation_posterior::SegmentationPosterior;
use crate::changepoint::single::{BreakKind, SingleBreak};
use crate::data::{Period, Series};
use crate::inference::IntervalMethod;
use crate::inference::overdispersion::{FamilyChoice, OverdispersionTest};

/// One break.
#[derive(Debug, Clone, Serialize)]
pub struct BreakView {
    /// First period of the new regime.
    pub period: Period,
    /// Earliest date in the confidence set.
    pub ci_low: Option<Period>,
    /// Latest date in the confidence set.
    pub ci_high: Option<Period>,
    /// Every date in the set (it need not be contiguous).
    pub set: Vec<Period>,
    /// Fitted rate at the last period before the break (see the module docs).
    pub rate_before: IntervalView,
    /// Fitted rate at the break's period, the first of the new regime.
    pub rate_after: IntervalView,
    /// Ratio after / before of the level jump (log-link families; `null`
    /// for a slope change).
    pub rate_ratio: Option<IntervalView>,
    /// A slope change (`--kind slope|both`): the factor by which the rate's
    /// growth per period changes at the break (`exp` of the hinge
    /// coefficient); `null` for a level break.
    pub slope_ratio: Option<IntervalView>,
}

/// A (period, value) pair.
#[derive(Debug, Clone, Serialize)]
pub struct ProfilePoint {
    /// Date: the first period of the observation opening the new regime.
    pub period: Period,
    /// The candidate's range: the earliest date with the same fit (after a gap of missing periods) ...
    pub period_from: Period,
    /// ... and the latest (`period`).
    pub period_to: Period,
    /// Profile log-likelihood.
    pub loglik: f64,
}

/// A (period, probability) pair.
#[derive(Debug, Clone, Serialize)]
pub struct PosteriorPoint {
    /// Date, as in [`ProfilePoint`].
    pub period: Period,
    /// The candidate's range, as in [`ProfilePoint`].
    pub period_from: Period,
    /// Its end (`period`).
    pub period_to: Period,
    /// Posterior probability.
    pub probability: f64,
}

/// A segment.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentView {
    /// First period.
    pub start: Period,
    /// Last period.
    pub end: Period,
    /// Observations.
    pub n: usize,
    /// Level with interval.
    pub level: IntervalView,
}

/// What `detect` reports.
#[derive(Debug, Clone, Serialize)]
pub struct DetectView {
    /// Always 1.
    pub schema_version: u32,
    /// Family.
    pub family: &'static str,
    /// Offset used.
    pub offset: bool,
    /// `single`, `dp` or `pelt`.
    pub method: &'static str,
    /// What changes at a break: `level`, `slope` or `both` (`--kind`).
    pub kind: &'static str,
    /// Fewest observations per segment.
    pub min_segment: usize,
    /// One break: the earliest candidate date searched (`--min-segment`
    /// observations before it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub searched_from: Option<Period>,
    /// One break: the latest candidate date searched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub searched_to: Option<Period>,
    /// The breaks found.
    pub breaks: Vec<BreakView>,
    /// sup-LR statistic (single break).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sup_lr: Option<f64>,
    /// The p-value reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_value: Option<f64>,
    /// How it was computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_value_method: Option<String>,
    /// The asymptotic approximation, labelled by `p_value_method` when it is the one reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_value_asymptotic: Option<f64>,
    /// How the date set was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_method: Option<String>,
    /// Bootstrap replicates (of the p-value and of the date set) that could
    /// not be drawn because a mean overflowed: they count as exceedances and
    /// keep their date in the set. Absent when there were none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undrawable_replicates: Option<usize>,
    /// Its LR cut-off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_cutoff: Option<f64>,
    /// The dates kept by the LR test inversion alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_lr: Option<Vec<Period>>,
    /// The highest-posterior set alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_posterior: Option<Vec<Period>>,
    /// Log-likelihood without a break.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub null_loglik: Option<f64>,
    /// Profile log-likelihood per date.
    pub profile: Vec<ProfilePoint>,
    /// Posterior per date.
    pub posterior: Vec<PosteriorPoint>,
    /// How the posterior was computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub posterior_method: Option<&'static str>,
    /// Bootstrap replicates.
    pub bootstrap: usize,
    /// Seed.
    pub seed: u64,
    /// Rows per number of breaks (DP).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub table: Vec<CandidateCount>,
    /// Criterion that chose the number of breaks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selected_by: Option<&'static str>,
    /// PELT penalty on the cost scale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub penalty: Option<f64>,
    /// Segments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<SegmentView>,
    /// Poisson: the over-dispersion test in the model with the breaks found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdispersion: Option<OverdispersionTest>,
    /// With `--family auto`: which family and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_choice: Option<FamilyChoice>,
    /// Several breaks (DP): the sequential tests of `l` against `l + 1`
    /// breaks (`breaks_null`, `breaks_alt`, `statistic`, `p_value`,
    /// `replicates`, `exceedances`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub number_tests: Vec<NumberTest>,
    /// Bai and Perron's UDmax test of no break against up to the most
    /// searched (`max_breaks`, `statistic`, `p_value`, `replicates`,
    /// `exceedances`), which decides whether the sequence starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_tests_udmax: Option<UdMax>,
    /// How they were computed, or why they were not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_tests_method: Option<String>,
    /// The number of breaks the tests choose at the level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_chosen_by_tests: Option<usize>,
    /// Several breaks, Poisson or Gaussian: the exact posterior over
    /// segmentations (its priors in words).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segmentation_prior: Option<String>,
    /// P(K = k) under that posterior.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub number_posterior: Vec<NumberPosterior>,
    /// The posterior probability of a break at each candidate date (a
    /// range over a gap of missing periods).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub break_probability: Vec<PosteriorPoint>,
    /// The posterior mean rate of each observation (Gaussian: its mean
    /// level) with its 95% band.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub posterior_rate: Vec<PosteriorRate>,
}

/// P(K = k).
#[derive(Debug, Clone, Serialize)]
pub struct NumberPosterior {
    /// The number of breaks.
    pub breaks: usize,
    /// Its posterior probability.
    pub probability: f64,
}

/// One observation's posterior rate (per unit exposure when the model has
/// an offset), its mean and 95% equal-tailed band (null past
/// `BAND_MAX_OBS` observations).
#[derive(Debug, Clone, Serialize)]
pub struct PosteriorRate {
    /// The observation's first period.
    pub period: Period,
    /// Posterior mean.
    pub mean: f64,
    /// 2.5% quantile.
    pub low: Option<f64>,
    /// 97.5% quantile.
    pub high: Option<f64>,
}

/// Periods as runs: `2024-05..2024-07, 2024-09`; consecutive periods join.
pub fn period_list(periods: &[Period]) -> String {
    let mut runs: Vec<(Period, Period)> = Vec::new();
    for &p in periods {
        match runs.last_mut() {
            Some((_, last)) if p.steps_since(*last) == 1 => *last = p,
            _ => runs.push((p, p)),
        }
    }
    if runs.is_empty() {
        return "none".into();
    }
    runs.iter()
        .map(|(a, b)| if a == b { a.to_string() } else { format!("{a}..{b}") })
        .collect::<Vec<_>>()
        .join(", ")
}

impl DetectView {
    /// The single-break view.
    pub fn single(r: &SingleBreak, min_segment: usize, bootstrap: usize, seed: u64) -> DetectView {
        let set: Vec<Period> = r.set.iter().map(|&i| r.dates[i]).collect();
        // The bootstrap's p-value when it ran, else the asymptotic one.
        let reported = r.bootstrap_test.or(r.asymptotic_test);
        let (p_value, p_value_method) = (reported.map(|t| t.p_value), reported.map(|t| t.method.description()));
        DetectView {
            schema_version: SCHEMA_VERSION,
            family: r.fit_at_best.spec.family.name(),
            offset: r.fit_at_best.offset_used(),
            method: "single",
            kind: r.kind.name(),
            min_segment,
            searched_from: r.dates.first().copied(),
            searched_to: r.dates.last().copied(),
            breaks: vec![BreakView {
                period: r.dates[r.best],
                ci_low: r.set.first().map(|&i| r.dates_from[i]),
                ci_high: set.last().copied(),
                set,
                rate_before: IntervalView::new(&r.rate_before, r.fit_at_best.spec.family.log_link()),
                rate_after: IntervalView::new(&r.rate_after, r.fit_at_best.spec.family.log_link()),
                rate_ratio: r.rate_ratio.as_ref().map(|i| IntervalView::new(i, true)),
                slope_ratio: r.slope_ratio.as_ref().map(|i| IntervalView::new(i, true)),
            }],
            sup_lr: Some(r.sup_lr),
            p_value,
            p_value_method,
            p_value_asymptotic: r.asymptotic_test.map(|t| t.p_value),
            set_method: Some(r.set_method.to_owned()),
            undrawable_replicates: Some(r.bootstrap_test.map_or(0, |t| t.method.undrawable()) + r.set_undrawable)
                .filter(|&n| n > 0),
            set_cutoff: Some(r.set_cutoff),
            set_lr: Some(r.set_lr.iter().map(|&i| r.dates[i]).collect()),
            set_posterior: Some(r.set_posterior.iter().map(|&i| r.dates[i]).collect()),
            null_loglik: Some(r.null_loglik),
            profile: (0..r.dates.len())
                .map(|i| ProfilePoint {
                    period: r.dates[i],
                    period_from: r.dates_from[i],
                    period_to: r.dates[i],
                    loglik: r.profile[i],
                })
                .collect(),
            posterior: (0..r.dates.len())
                .map(|i| PosteriorPoint {
                    period: r.dates[i],
                    period_from: r.dates_from[i],
                    period_to: r.dates[i],
                    probability: r.posterior[i],
                })
                .collect(),
            posterior_method: Some(r.posterior_method),
            bootstrap,
            seed,
            table: Vec::new(),
            selected_by: None,
            penalty: None,
            segments: Vec::new(),
            overdispersion: r.fit_at_best.overdispersion_test(),
            family_choice: None,
            number_tests: Vec::new(),
            number_tests_udmax: None,
            number_tests_method: None,
            number_chosen_by_tests: None,
            segmentation_prior: None,
            number_posterior: Vec::new(),
            break_probability: Vec::new(),
            posterior_rate: Vec::new(),
        }
    }

    /// The several-breaks view.
    pub fn multiple(
        r: &MultipleBreaks,
        family: &'static str,
        offset: bool,
        method: &'static str,
        selected_by: Option<&'static str>,
        min_segment: usize,
    ) -> DetectView {
        let log_link = family != "gaussian";
        let segments: Vec<SegmentView> = r
            .segments
            .iter()
            .map(|s| SegmentView {
                start: s.start,
                end: s.end,
                n: s.n,
                level: IntervalView::new(&s.level, log_link),
            })
            .collect();
        let breaks = r
            .breaks
            .iter()
            .enumerate()
            .map(|(i, &period)| {
                let (before, after) = (&segments[i].level, &segments[i + 1].level);
                let ratio = r.rate_ratios[i].as_ref().map(|iv| IntervalView::new(iv, true));
                BreakView {
                    period,
                    ci_low: None,
                    ci_high: None,
                    set: Vec::new(),
                    rate_before: before.clone(),
                    rate_after: after.clone(),
                    rate_ratio: ratio,
                    slope_ratio: None,
                }
            })
            .collect();
        DetectView {
            schema_version: SCHEMA_VERSION,
            family,
            offset,
            method,
            kind: BreakKind::Level.name(),
            min_segment,
            searched_from: None,
            searched_to: None,
            breaks,
            sup_lr: None,
            p_value: None,
            p_value_method: None,
            p_value_asymptotic: None,
            set_method: None,
            undrawable_replicates: None,
            set_cutoff: None,
            set_lr: None,
            set_posterior: None,
            null_loglik: None,
            profile: Vec::new(),
            posterior: Vec::new(),
            posterior_method: None,
            bootstrap: 0,
            seed: 0,
            table: r.table.clone(),
            selected_by,
            penalty: r.penalty,
            segments,
            overdispersion: None,
            family_choice: None,
            number_tests: Vec::new(),
            number_tests_udmax: None,
            number_tests_method: None,
            number_chosen_by_tests: None,
            segmentation_prior: None,
            number_posterior: Vec::new(),
            break_probability: Vec::new(),
            posterior_rate: Vec::new(),
        }
    }

    /// Adds the sequential tests of the number of breaks, or why there are none.
    pub fn with_number_tests(mut self, tests: Result<NumberTests, String>) -> DetectView {
        match tests {
            Ok(t) => {
                self.number_tests_method = Some(format!(
                    "sup-LR(l + 1 | l) of Bai and Perron: the largest gain from one more break inside a segment of the best l-break segmentation; p-value by parametric bootstrap under the fitted l-break model, every replicate re-estimating its l breaks ({} replicates{}); UDmax (max over l of LR(l | 0) / l) by the same bootstrap under no break; the number chosen is 0 when UDmax does not reject at {}, else the first l >= 1 not rejected; the guarantee is asymptotic",
                    t.tests.first().map_or(0, |t| t.replicates),
                    if self.family == "negbin" {
                        ", theta held at each null model's estimate"
                    } else {
                        ""
                    },
                    sig3(t.alpha)
                ));
                self.number_chosen_by_tests = Some(t.chosen);
                self.number_tests_udmax = t.udmax;
                self.number_tests = t.tests;
            }
            Err(why) => self.number_tests_method = Some(why),
        }
        self
    }

    /// Adds each break's date set and its rate ratio's interval over the
    /// set, or why there are none.
    pub fn with_break_dates(mut self, dates: Result<Vec<BreakDates>, String>) -> DetectView {
        match dates {
            Ok(dates) => {
                for (b, d) in self.breaks.iter_mut().zip(dates) {
                    b.ci_low = Some(d.set_from);
                    b.ci_high = d.set.last().copied();
                    b.set = d.set;
                    if let Some(rr) = d.rate_ratio {
                        b.rate_ratio = Some(IntervalView::new(&rr, true));
                    }
                }
                self.set_method = Some(if self.family == "gaussian" {
                    "local: each break dated in the window between its neighbouring breaks (held at their estimates) by the single-break test inversion (parametric bootstrap) joined with the highest-posterior set"
                } else {
                    "local: each break dated in the window between its neighbouring breaks (held at their estimates) by the single-break test inversion (parametric bootstrap) joined with the highest-posterior set; the rate ratio's interval is the union of its intervals with the break at each date of the set"
                }.to_owned());
            }
            Err(why) => self.set_method = Some(why),
        }
        self
    }

    /// Adds the exact posterior over segmentations of `series` (one
    /// observation per candidate position), found with `prior`.
    pub fn with_segmentation_posterior(
        mut self,
        series: &Series,
        posterior: &SegmentationPosterior,
        prior: &str,
    ) -> DetectView {
        let obs = series.observations();
        self.segmentation_prior = Some(prior.to_owned());
        self.number_posterior = posterior
            .number
            .iter()
            .enumerate()
            .map(|(breaks, &probability)| NumberPosterior { breaks, probability })
            .collect();
        self.break_probability = (1..obs.len())
            .map(|j| {
                let previous_end = *obs[j - 1].periods().last().expect("an observation has a period");
                PosteriorPoint {
                    period: series.period(obs[j].periods()[0]),
                    period_from: series.period(previous_end + 1),
                    period_to: series.period(obs[j].periods()[0]),
                    probability: posterior.break_probability[j - 1],
                }
            })
            .collect();
        self.posterior_rate = obs
            .iter()
            .enumerate()
            .map(|(i, o)| PosteriorRate {
                period: series.period(o.periods()[0]),
                mean: posterior.mean_rate[i],
                low: posterior.rate_low.get(i).copied(),
                high: posterior.rate_high.get(i).copied(),
            })
            .collect();
        self
    }

    /// CSV: one row per break (see the module docs).
    pub fn csv(&self, series: &Series) -> String {
        let header = [
            "period",
            "ci_low",
            "ci_high",
            "set",
            "unit",
            "rate_before",
            "rate_before_ci_low",
            "rate_before_ci_high",
            "rate_after",
            "rate_after_ci_low",
            "rate_after_ci_high",
            "rate_ratio",
            "rate_ratio_ci_low",
            "rate_ratio_ci_high",
            "level",
            "sup_lr",
            "p_value",
            "p_value_method",
            "slope_ratio",
            "slope_ratio_ci_low",
            "slope_ratio_ci_high",
        ];
        let unit = series.frequency.unit();
        let per = if self.offset {
            format!("per unit exposure per {unit}")
        } else {
            format!("per {unit}")
        };
        let period = |p: Option<Period>| p.map(|p| p.to_string()).unwrap_or_default();
        let interval = |i: Option<&IntervalView>| match i {
            Some(i) => {
                let (low, high) = i.ends_or_infinity();
                [csv_cell(i.estimate_or_infinity()), csv_number(low), csv_number(high)]
            }
            None => Default::default(),
        };
        let single = self.method == "single";
        let rows: Vec<Vec<String>> = self
            .breaks
            .iter()
            .map(|b| {
                let mut r = vec![
                    b.period.to_string(),
                    period(b.ci_low),
                    period(b.ci_high),
                    b.set.iter().map(Period::to_string).collect::<Vec<_>>().join(" "),
                    per.clone(),
                ];
                r.extend(interval(Some(&b.rate_before)));
                r.extend(interval(Some(&b.rate_after)));
                r.extend(interval(b.rate_ratio.as_ref()));
                r.push(csv_cell(Some(b.rate_before.level)));
                r.push(csv_cell(self.sup_lr.filter(|_| single)));
                r.push(csv_cell(self.p_value.filter(|_| single)));
                r.push(self.p_value_method.clone().filter(|_| single).unwrap_or_default());
                r.extend(interval(b.slope_ratio.as_ref()));
                r
            })
            .collect();
        csv_table(&header, &rows)
    }

    /// Lines for people.
    pub fn table(&self, series: &Series) -> String {
        let unit = series.frequency.unit();
        let per = if self.offset {
            format!("per unit exposure per {unit}")
        } else {
            format!("per {unit}")
        };
        // The minimum segment counts observations, or periods when run rows
        // let a break fall inside a run (as the search does).
        let segment = if series.is_simple() { "observation" } else { unit };
        let mut out = format!(
            "{} model on {}: {} ({}, segments of at least {})\n",
            self.family,
            series.source,
            match (self.method, self.kind) {
                ("single", "slope") => "one change of slope at an unknown date",
                ("single", "both") => "one change of level and slope at an unknown date",
                ("single", _) => "one break at an unknown date",
                ("dp", _) => "several breaks, exact dynamic programme",
                _ => "several breaks, PELT",
            },
            counted_s(series.n_obs(), "observation"),
            counted_s(self.min_segment, segment)
        );
        out += &dispersion_lines(self.overdispersion.as_ref(), self.family_choice.as_ref(), "  ");
        if self.method == "single" {
            let b = &self.breaks[0];
            out += &format!("  break        {} (first {unit} of the new regime)\n", b.period);
            if let (Some(from), Some(to)) = (self.searched_from, self.searched_to) {
                out += &format!(
                    "  searched     {from}..{to} ({}; --min-segment {}: at least {} on each side)\n",
                    counted_s(self.profile.len(), "date"),
                    self.min_segment,
                    counted_s(self.min_segment, segment)
                );
            }
            let count = |s: &[Period]| {
                if s.len() == 1 {
                    "1 date".to_string()
                } else {
                    format!("{} dates", s.len())
                }
            };
            out += &format!(
                "  {:.0}% set      {} ({})\n",
                b.rate_before.level * 100.0,
                period_list(&b.set),
                count(&b.set)
            );
            if let (Some(lr), Some(post)) = (&self.set_lr, &self.set_posterior) {
                out += &format!(
                    "               = LR test inversion {} (LR cut-off at the best date {}) joined with the highest-posterior set {}\n",
                    period_list(lr),
                    self.set_cutoff.map_or("-".into(), sig3),
                    period_list(post)
                );
            }
            let mut post: Vec<&PosteriorPoint> = self.posterior.iter().collect();
            post.sort_by(|a, b| b.probability.total_cmp(&a.probability));
            let top: Vec<String> = post
                .iter()
                .take(3)
                .map(|p| {
                    if p.period_from == p.period_to {
                        format!("{} {:.2}", p.period, p.probability)
                    } else {
                        format!("{}..{} {:.2}", p.period_from, p.period_to, p.probability)
                    }
                })
                .collect();
            out += &format!("  posterior    {}\n", top.join(", "));
            out += &format!(
                "  rate before  {} {per}\n  rate after   {} {per}\n",
                b.rate_before.text(),
                b.rate_after.text()
            );
            if let Some(rr) = &b.rate_ratio {
                let corrected = if rr.ci_method == IntervalMethod::ProfileBartlett {
                    ", Bartlett-corrected"
                } else {
                    ""
                };
                out += &format!(
                    "  rate ratio   {}  (profile interval at the estimated date{corrected})\n",
                    rr.text()
                );
            }
            if let Some(sr) = &b.slope_ratio {
                out += &format!(
                    "  slope ratio  {}  (the rate's growth per {unit} after the break over that before; profile interval at the estimated date)\n",
                    sr.text()
                );
            }
            out += &format!(
                "  sup-LR       {}, {} ({})\n",
                self.sup_lr.map_or("-".into(), sig3),
                self.p_value.map_or("p = -".into(), p_phrase),
                self.p_value_method.as_deref().unwrap_or("-")
            );
            if let (Some(a), true) = (self.p_value_asymptotic, self.bootstrap > 0) {
                out += &format!(
                    "               asymptotic {} (Andrews 1993 limit, James-James-Siegmund approximation)\n",
                    p_phrase(a)
                );
            }
            if let Some(n) = self.undrawable_replicates {
                out += &format!(
                    "               {} could not be drawn (a mean overflowed): counted as exceedances, their dates kept in the set\n",
                    counted_s(n, "replicate")
                );
            }
            // The verdict is at the command's level, which every interval shares.
            let level = b.rate_before.level;
            let verdict = match self.p_value {
                Some(p) if p < 1.0 - level => format!(
                    "a break is clear ({}{}): the {} changed at {} (set {})",
                    p_phrase(p),
                    at_level(level, true),
                    match self.kind {
                        "slope" => "slope",
                        "both" => "level and slope",
                        _ => "level",
                    },
                    b.period,
                    period_list(&b.set)
                ),
                Some(p) => format!(
                    "no clear break ({}{}); the best date would be {}",
                    p_phrase(p),
                    at_level(level, false),
                    b.period
                ),
                None => format!("best date {}", b.period),
            };
            out += &format!("  verdict: {verdict}\n");
            return out;
        }
        if !self.table.is_empty() {
            let rows: Vec<Vec<String>> = self
                .table
                .iter()
                .map(|r| {
                    let dates: Vec<String> = r.dates.iter().map(Period::to_string).collect();
                    vec![
                        r.breaks.to_string(),
                        sig3(r.loglik),
                        sig3(r.bic),
                        sig3(r.mbic),
                        dates.join(" "),
                    ]
                })
                .collect();
            out += &table(&["breaks", "loglik", "BIC", "MBIC", "dates"], &rows);
            if let Some(chosen) = self.number_chosen_by_tests {
                let steps: Vec<String> = self
                    .number_tests
                    .iter()
                    .map(|t| format!("{} vs {}: {}", t.breaks_null, t.breaks_alt, p_phrase(t.p_value)))
                    .collect();
                let udmax = self.number_tests_udmax.map_or(String::new(), |u| {
                    format!("UDmax (0 vs up to {}): {}; ", u.max_breaks, p_phrase(u.p_value))
                });
                out += &format!(
                    "sequential tests (sup-LR(l + 1 | l), {} bootstrap replicates): {udmax}{}; at {}: {}\n",
                    self.number_tests.first().map_or(0, |t| t.replicates),
                    steps.join(", "),
                    sig3(1.0 - self.segments.first().map_or(0.95, |s| s.level.level)),
                    counted_s(chosen, "break")
                );
                // Every test rejected up to the most breaks searched.
                if chosen > 0 && chosen == self.number_tests.len() && chosen + 1 == self.table.len() {
                    out += "every test rejects up to the most breaks searched: a larger --max-breaks may find more\n";
                }
            } else if let Some(why) = &self.number_tests_method {
                out += &format!("sequential tests {why}\n");
            }
            out += &format!(
                "chosen by {}: {}\n",
                self.selected_by.unwrap_or("-"),
                counted_s(self.breaks.len(), "break")
            );
        } else if let Some(p) = self.penalty {
            out += &format!(
                "penalty {} per break: {}\n",
                sig3(p),
                counted_s(self.breaks.len(), "break")
            );
        }
        if self.breaks.iter().any(|b| !b.set.is_empty()) {
            let level = self.breaks[0].rate_before.level;
            // A Gaussian mean has no rate ratio: its column is left out.
            let ratios = self.family != "gaussian";
            let rows: Vec<Vec<String>> = self
                .breaks
                .iter()
                .map(|b| {
                    let mut row = vec![b.period.to_string(), period_list(&b.set)];
                    if ratios {
                        row.push(b.rate_ratio.as_ref().map_or("-".into(), IntervalView::text));
                    }
                    row
                })
                .collect();
            let set_header = format!("{:.0}% date set", level * 100.0);
            let ratio_header = format!("rate ratio [{:.0}% CI over the set]", level * 100.0);
            let header = ["break", set_header.as_str(), ratio_header.as_str()];
            out += &table(&header[..if ratios { 3 } else { 2 }], &rows);
        } else if let Some(why) = self.set_method.as_ref().filter(|_| !self.breaks.is_empty()) {
            out += &format!("date sets {why}\n");
        }
        let rows: Vec<Vec<String>> = self
            .segments
            .iter()
            .map(|s| vec![format!("{}..{}", s.start, s.end), s.n.to_string(), s.level.text()])
            .collect();
        let level_header = format!(
            "level {per} [{:.0}% CI]",
            self.segments.first().map_or(0.95, |s| s.level.level) * 100.0
        );
        out += &table(&["segment", "n", &level_header], &rows);
        if let Some(prior) = &self.segmentation_prior {
            let numbers: Vec<String> = self
                .number_posterior
                .iter()
                .map(|p| format!("{} {:.3}", p.breaks, p.probability))
                .collect();
            out += &format!("exact posterior ({prior})\n  P(K = k): {}\n", numbers.join(", "));
            let likely: Vec<String> = self
                .break_probability
                .iter()
                .filter(|p| p.probability >= 0.1)
                .map(|p| format!("{} {:.2}", p.period, p.probability))
                .collect();
            out += &format!(
                "  P(break) >= 0.1 at: {}\n",
                if likely.is_empty() {
                    "none".to_owned()
                } else {
                    likely.join(", ")
                }
            );
            if let Some(most) = self
                .number_posterior
                .last()
                .filter(|p| p.probability > 0.5 && p.breaks > 0)
            {
                out += &format!(
                    "  most of the posterior is at the most breaks allowed ({}): a larger --max-breaks may find more\n",
                    most.breaks
                );
            }
        }
        let dates: Vec<String> = self.breaks.iter().map(|b| b.period.to_string()).collect();
        out += &format!(
            "verdict: {}\n",
            if dates.is_empty() {
                "no break: one level fits best".to_owned()
            } else {
                format!("the level changed at {}", dates.join(", "))
            }
        );
        out
    }
}
