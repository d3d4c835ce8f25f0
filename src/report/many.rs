//! Many series in one run (DESIGN §8): each series' result exactly as its
//! single-series JSON, with its q-value and Holm-adjusted p-value beside it
//! (never inside), and a summary a person reads: one row per series sorted
//! by q-value, the series that shifted at the false discovery rate, and the
//! "shared shift" view of how many series broke in each period.

use std::collections::BTreeMap;

use serde::Serialize;

use super::SCHEMA_VERSION;
use super::analysis::{Report, Section};
use super::detect::DetectView;
use super::fit::{FitView, p_text};
use super::forecast::{BacktestView, ForecastView};
use super::format::{csv_cell, csv_table, sig3, table};
use super::interval::IntervalView;
use super::test::TestView;
use crate::data::Period;
use crate::inference::multiplicity::{FdrMethod, holm, q_values};

/// What a summary row reads of one series' result.
pub trait SeriesResult: Serialize {
    /// The family fitted.
    fn family(&self) -> &str;
    /// The p-value adjusted across series, when the command tests.
    fn p_value(&self) -> Option<f64>;
    /// The shift found or tested: its date, date set and rate ratio.
    fn shift(&self) -> Option<Shift>;
    /// What the summary row shows for a command that tests nothing (a
    /// forecast's horizon total, a backtest's ranking).
    fn detail(&self) -> Option<String> {
        None
    }
    /// The p-value the multiplicity uses, and how it was obtained when
    /// that differs from [`SeriesResult::p_value`].
    fn p_value_for_fdr(&self) -> (Option<f64>, Option<&'static str>) {
        (self.p_value(), None)
    }
}

/// What the multiplicity uses for a bootstrap p-value at its floor.
pub const FLOOR_TAIL: &str = "the asymptotic sup-LR tail probability: no bootstrap replicate reached the statistic, so the bootstrap p-value is its floor 1/(B + 1), which no false-discovery procedure over many series could flag";

/// A shift as the summary shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Shift {
    /// First period of the new regime.
    pub period: Period,
    /// Its confidence set of dates (empty for a known date).
    pub set: Vec<Period>,
    /// The rate ratio after / before, with its interval.
    pub rate_ratio: Option<IntervalView>,
}

impl SeriesResult for DetectView {
    fn family(&self) -> &str {
        self.family
    }
    fn p_value(&self) -> Option<f64> {
        self.p_value
    }
    /// A bootstrap p-value at its floor 1/(B + 1) (no replicate reached
    /// the statistic) says only p < 1/(B + 1); its asymptotic sup-LR tail
    /// probability, when smaller, stands in for it (labelled), so that a
    /// clear shift among thousands of series can still be flagged.
    fn p_value_for_fdr(&self) -> (Option<f64>, Option<&'static str>) {
        let floor = 1.0 / (self.bootstrap as f64 + 1.0);
        match (self.p_value, self.p_value_asymptotic) {
            (Some(p), Some(a)) if self.bootstrap > 0 && (p - floor).abs() < 1e-12 && a < p => {
                (Some(a), Some(FLOOR_TAIL))
            }
            (p, _) => (p, None),
        }
    }
    fn shift(&self) -> Option<Shift> {
        let b = self.breaks.first()?;
        Some(Shift {
            period: b.period,
            set: b.set.clone(),
            rate_ratio: b.rate_ratio.clone(),
        })
    }
}

impl SeriesResult for TestView {
    fn family(&self) -> &str {
        self.family
    }
    fn p_value(&self) -> Option<f64> {
        Some(self.p_value)
    }
    fn shift(&self) -> Option<Shift> {
        Some(Shift {
            period: self.at,
            set: Vec::new(),
            rate_ratio: Some(self.rate_ratio.clone()),
        })
    }
}

impl SeriesResult for ForecastView {
    fn family(&self) -> &str {
        self.family
    }
    fn detail(&self) -> Option<String> {
        let t = &self.total;
        Some(format!(
            "total over {} periods {} [95% PI {}, {}]",
            self.horizon,
            sig3(t.mean),
            sig3(t.lower_95),
            sig3(t.upper_95)
        ))
    }
    fn p_value(&self) -> Option<f64> {
        None
    }
    fn shift(&self) -> Option<Shift> {
        None
    }
}

impl SeriesResult for BacktestView {
    /// The model ranked first.
    fn family(&self) -> &str {
        self.ranking.first().map_or("-", String::as_str)
    }
    fn detail(&self) -> Option<String> {
        Some(format!("ranking: {}", self.ranking.join(" > ")))
    }
    fn p_value(&self) -> Option<f64> {
        None
    }
    fn shift(&self) -> Option<Shift> {
        None
    }
}

impl SeriesResult for FitView {
    fn family(&self) -> &str {
        self.family
    }
    fn detail(&self) -> Option<String> {
        Some(format!(
            "{}: log-likelihood {}, AIC {}",
            self.terms.join(" + "),
            sig3(self.loglik),
            sig3(self.aic)
        ))
    }
    fn p_value(&self) -> Option<f64> {
        None
    }
    fn shift(&self) -> Option<Shift> {
        None
    }
}

/// The report over many series ranks by its known-date test when one ran
/// (`--at`), else by its unknown-date search, the question the analyst
/// asked; the other stays in the series' own JSON.
fn headline<'a, R>(
    report: &'a Report,
    known: impl FnOnce(&'a TestView) -> R,
    unknown: impl FnOnce(&'a DetectView) -> R,
    neither: R,
) -> R {
    match (&report.test, &report.detect) {
        (Section::Done(t), _) => known(t),
        (_, Section::Done(d)) => unknown(d),
        _ => neither,
    }
}

impl SeriesResult for Report {
    fn family(&self) -> &str {
        headline(self, |t| t.family(), |d| d.family(), "-")
    }
    fn p_value(&self) -> Option<f64> {
        headline(self, TestView::p_value, DetectView::p_value, None)
    }
    fn p_value_for_fdr(&self) -> (Option<f64>, Option<&'static str>) {
        headline(
            self,
            TestView::p_value_for_fdr,
            DetectView::p_value_for_fdr,
            (None, None),
        )
    }
    fn shift(&self) -> Option<Shift> {
        headline(self, TestView::shift, DetectView::shift, None)
    }
}

/// One series' outcome: its result, or why it could not run.
#[derive(Debug, Clone)]
pub enum Outcome<V> {
    /// The command ran.
    Done(V),
    /// It could not run on this series (too short, a model that does not
    /// suit it): the reason, and the series counts as skipped.
    Skipped(String),
}

/// One series of the run.
#[derive(Debug, Clone, Serialize)]
pub struct SeriesEntry<V> {
    /// The series' key.
    pub key: String,
    /// Its single-series JSON (`null` when skipped).
    pub result: Option<V>,
    /// Why it was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Its q-value across the series tested.
    pub q_value: Option<f64>,
    /// Its Holm-adjusted p-value across the series tested.
    pub holm_p_value: Option<f64>,
    /// The p-value the adjustment used, when it is not the result's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_value_adjusted_from: Option<f64>,
    /// How that p-value was obtained.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_value_adjusted_from_method: Option<&'static str>,
}

/// One row of the summary.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryRow {
    /// The series' key.
    pub key: String,
    /// Family fitted (for a backtest: the model ranked first).
    pub family: Option<String>,
    /// Observations.
    pub n: usize,
    /// The shift's date.
    pub period: Option<Period>,
    /// The earliest and latest date of its set.
    pub set_from: Option<Period>,
    /// See `set_from`.
    pub set_to: Option<Period>,
    /// Rate ratio with its interval.
    pub rate_ratio: Option<IntervalView>,
    /// The p-value the q-value adjusts (see `SeriesEntry`).
    pub p_value: Option<f64>,
    /// q-value.
    pub q_value: Option<f64>,
    /// Holm-adjusted p-value.
    pub holm_p_value: Option<f64>,
    /// Flagged at the false discovery rate.
    pub flagged: bool,
    /// Why the series was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// For a command that tests nothing: what its result says in brief.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// How many series broke in one period.
#[derive(Debug, Clone, Serialize)]
pub struct SharedShift {
    /// The period.
    pub period: Period,
    /// Flagged series whose break is at this period.
    pub breaks: usize,
    /// Flagged series whose date set holds this period.
    pub in_sets: usize,
    /// The keys of the series breaking here.
    pub series: Vec<String>,
}

/// The summary of a run over many series.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Series in the file.
    pub n_series: usize,
    /// Series that could not run.
    pub n_skipped: usize,
    /// The false discovery rate.
    pub fdr: f64,
    /// The procedure of the q-values.
    pub fdr_method: FdrMethod,
    /// The series flagged (q-value at most `fdr`), by q-value.
    pub flagged: Vec<String>,
    /// One row per series, by q-value (then key).
    pub rows: Vec<SummaryRow>,
    /// Breaks per period among the flagged series.
    pub shared_shift: Vec<SharedShift>,
    /// How the per-series work was done, where it differs from a
    /// single-series run (the date sets of unflagged series).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A run over many series.
#[derive(Debug, Clone, Serialize)]
pub struct ManyView<V> {
    /// Always 1.
    pub schema_version: u32,
    /// The version of countshift that wrote it.
    pub countshift_version: &'static str,
    /// The command.
    pub command: &'static str,
    /// The series, in file order.
    pub series: Vec<SeriesEntry<V>>,
    /// The summary.
    pub summary: Summary,
}

/// The multiplicity settings of a run.
#[derive(Debug, Clone, Copy)]
pub struct Multiplicity {
    /// False discovery rate.
    pub fdr: f64,
    /// Procedure.
    pub method: FdrMethod,
}

/// The q-values and Holm values of `outcomes`, and which are flagged.
pub fn adjust<V: SeriesResult>(outcomes: &[Outcome<V>], m: Multiplicity) -> (Vec<Option<f64>>, Vec<Option<f64>>) {
    let p: Vec<Option<f64>> = outcomes
        .iter()
        .map(|o| match o {
            Outcome::Done(v) => v.p_value_for_fdr().0,
            Outcome::Skipped(_) => None,
        })
        .collect();
    (q_values(&p, m.method), holm(&p))
}

impl<V: SeriesResult + Clone> ManyView<V> {
    /// The view of `outcomes` (with the series' sizes), in file order.
    pub fn new(
        command: &'static str,
        keys: &[String],
        sizes: &[usize],
        outcomes: Vec<Outcome<V>>,
        m: Multiplicity,
        notes: Vec<String>,
    ) -> ManyView<V> {
        let (q, holm) = adjust(&outcomes, m);
        let flagged_at = |i: usize| q[i].is_some_and(|q| q <= m.fdr);
        let mut rows: Vec<SummaryRow> = outcomes
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let (family, shift, p, skipped, detail) = match o {
                    Outcome::Done(v) => (
                        Some(v.family().to_owned()),
                        v.shift(),
                        v.p_value_for_fdr().0,
                        None,
                        v.detail(),
                    ),
                    Outcome::Skipped(why) => (None, None, None, Some(why.clone()), None),
                };
                SummaryRow {
                    key: keys[i].clone(),
                    family,
                    n: sizes[i],
                    period: shift.as_ref().map(|s| s.period),
                    set_from: shift.as_ref().and_then(|s| s.set.first().copied()),
                    set_to: shift.as_ref().and_then(|s| s.set.last().copied()),
                    rate_ratio: shift.and_then(|s| s.rate_ratio),
                    p_value: p,
                    q_value: q[i],
                    holm_p_value: holm[i],
                    flagged: flagged_at(i),
                    skipped,
                    detail,
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            let key = |r: &SummaryRow| r.q_value.unwrap_or(f64::INFINITY);
            key(a).total_cmp(&key(b)).then_with(|| a.key.cmp(&b.key))
        });
        let flagged: Vec<String> = rows.iter().filter(|r| r.flagged).map(|r| r.key.clone()).collect();
        let mut shared: BTreeMap<Period, SharedShift> = BTreeMap::new();
        for (i, o) in outcomes.iter().enumerate() {
            let (Outcome::Done(v), true) = (o, flagged_at(i)) else {
                continue;
            };
            let Some(s) = v.shift() else { continue };
            for &p in &s.set {
                shared_at(&mut shared, p).in_sets += 1;
            }
            let e = shared_at(&mut shared, s.period);
            e.breaks += 1;
            e.series.push(keys[i].clone());
        }
        let n_skipped = outcomes.iter().filter(|o| matches!(o, Outcome::Skipped(_))).count();
        let at_floor = outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Done(v) if v.p_value_for_fdr().1.is_some()))
            .count();
        let mut notes = notes;
        if at_floor > 0 {
            notes.push(format!(
                "{at_floor} of the series had no bootstrap replicate reach their statistic (p-value at its floor 1/(B + 1)); their q-values adjust the asymptotic sup-LR tail probability instead (p_value_adjusted_from)"
            ));
        }
        let series = keys
            .iter()
            .zip(outcomes)
            .enumerate()
            .map(|(i, (key, o))| {
                let (used, how) = match &o {
                    Outcome::Done(v) => v.p_value_for_fdr(),
                    Outcome::Skipped(_) => (None, None),
                };
                let (result, skipped) = match o {
                    Outcome::Done(v) => (Some(v), None),
                    Outcome::Skipped(why) => (None, Some(why)),
                };
                SeriesEntry {
                    key: key.clone(),
                    result,
                    skipped,
                    q_value: q[i],
                    holm_p_value: holm[i],
                    p_value_adjusted_from: how.and(used),
                    p_value_adjusted_from_method: how,
                }
            })
            .collect();
        ManyView {
            schema_version: SCHEMA_VERSION,
            countshift_version: env!("CARGO_PKG_VERSION"),
            command,
            series,
            summary: Summary {
                n_series: keys.len(),
                n_skipped,
                fdr: m.fdr,
                fdr_method: m.method,
                flagged,
                rows,
                shared_shift: shared.into_values().collect(),
                notes,
            },
        }
    }
}

fn shared_at(shared: &mut BTreeMap<Period, SharedShift>, p: Period) -> &mut SharedShift {
    shared.entry(p).or_insert_with(|| SharedShift {
        period: p,
        breaks: 0,
        in_sets: 0,
        series: Vec::new(),
    })
}

fn p_cell(p: Option<f64>) -> String {
    p.map_or_else(|| "-".to_owned(), p_text)
}

fn ratio_cell(r: &Option<IntervalView>) -> String {
    let Some(r) = r else { return "-".to_owned() };
    let end = |v: Option<f64>| v.map_or_else(|| "inf".to_owned(), sig3);
    match r.estimate {
        Some(e) => format!("{} [{}, {}]", sig3(e), end(r.ci_low), end(r.ci_high)),
        None => format!("inf [{}, inf]", end(r.ci_low)),
    }
}

impl Summary {
    /// The summary table, the verdict and the shared-shift view.
    pub fn table(&self, command: &str) -> String {
        if self.rows.iter().all(|r| r.p_value.is_none()) {
            return self.untested_table(command);
        }
        let mut out = format!(
            "{command} over {} series ({} skipped); q-values by {} at a false discovery rate of {}\n",
            self.n_series,
            self.n_skipped,
            match self.fdr_method {
                FdrMethod::Bh => "Benjamini-Hochberg",
                FdrMethod::By => "Benjamini-Yekutieli",
            },
            sig3(self.fdr)
        );
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                let set = match (r.set_from, r.set_to) {
                    (Some(a), Some(b)) if a == b => a.to_string(),
                    (Some(a), Some(b)) => format!("{a}..{b}"),
                    _ => "-".to_owned(),
                };
                vec![
                    r.key.clone(),
                    r.family.clone().unwrap_or_else(|| "-".to_owned()),
                    r.n.to_string(),
                    r.period.map_or_else(|| "-".to_owned(), |p| p.to_string()),
                    set,
                    ratio_cell(&r.rate_ratio),
                    p_cell(r.p_value),
                    p_cell(r.q_value),
                    if r.flagged { "*".to_owned() } else { String::new() },
                ]
            })
            .collect();
        out += &table(
            &[
                "series",
                "family",
                "n",
                "break",
                "set",
                "rate ratio [CI]",
                "p",
                "q",
                "flag",
            ],
            &rows,
        );
        for r in self.rows.iter().filter(|r| r.skipped.is_some()) {
            out += &format!("skipped {}: {}\n", r.key, r.skipped.as_deref().unwrap_or_default());
        }
        out += &if self.flagged.is_empty() {
            "verdict: no series shifted at this false discovery rate\n".to_owned()
        } else {
            format!(
                "verdict: {} of {} series shifted at this false discovery rate: {}\n",
                self.flagged.len(),
                self.n_series - self.n_skipped,
                self.flagged.join(", ")
            )
        };
        if self.shared_shift.iter().any(|s| s.breaks > 0) {
            out += "shared shift (flagged series: breaks at each period, and date sets holding it):\n";
            let rows: Vec<Vec<String>> = self
                .shared_shift
                .iter()
                .filter(|s| s.breaks > 0)
                .map(|s| {
                    vec![
                        s.period.to_string(),
                        s.breaks.to_string(),
                        s.in_sets.to_string(),
                        s.series.join(" "),
                    ]
                })
                .collect();
            out += &table(&["period", "breaks", "in sets", "series"], &rows);
        }
        for note in &self.notes {
            out += &format!("note: {note}\n");
        }
        out
    }

    /// The table of a command that tests nothing: a row per series with
    /// what its result says.
    fn untested_table(&self, command: &str) -> String {
        let mut out = format!("{command} over {} series ({} skipped)\n", self.n_series, self.n_skipped);
        let mut rows: Vec<&SummaryRow> = self.rows.iter().collect();
        rows.sort_by(|a, b| a.key.cmp(&b.key));
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.key.clone(),
                    r.family.clone().unwrap_or_else(|| "-".to_owned()),
                    r.n.to_string(),
                    r.detail
                        .clone()
                        .or_else(|| r.skipped.clone().map(|s| format!("skipped: {s}")))
                        .unwrap_or_default(),
                ]
            })
            .collect();
        out += &table(&["series", "model", "n", ""], &cells);
        out
    }

    /// One CSV row per series, by q-value.
    pub fn csv(&self) -> String {
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                let rr = r.rate_ratio.as_ref();
                vec![
                    r.key.clone(),
                    r.family.clone().unwrap_or_default(),
                    r.n.to_string(),
                    r.period.map(|p| p.to_string()).unwrap_or_default(),
                    r.set_from.map(|p| p.to_string()).unwrap_or_default(),
                    r.set_to.map(|p| p.to_string()).unwrap_or_default(),
                    csv_cell(rr.and_then(|r| r.estimate)),
                    csv_cell(rr.and_then(|r| r.ci_low)),
                    csv_cell(rr.and_then(|r| r.ci_high)),
                    csv_cell(r.p_value),
                    csv_cell(r.q_value),
                    csv_cell(r.holm_p_value),
                    r.flagged.to_string(),
                    r.skipped.clone().unwrap_or_default(),
                ]
            })
            .collect();
        csv_table(
            &[
                "series",
                "family",
                "n",
                "period",
                "set_from",
                "set_to",
                "rate_ratio",
                "rate_ratio_ci_low",
                "rate_ratio_ci_high",
                "p_value",
                "q_value",
                "holm_p_value",
                "flagged",
                "skipped",
            ],
            &rows,
        )
    }
}
