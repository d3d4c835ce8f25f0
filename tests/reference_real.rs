//! The single-break search and the known-date test on three real series from
//! the Air Force event log, against R (issue 16, acceptance).
//!
//! The series (Shahed-136/131 drones; cruise missiles with all
//! cruise missiles as exposure; Kalibr cruise missiles; 2022-10..2026-05) are
//! built from ../shared/data by `countshift aggregate` with
//! tests/reference/build_real_series.sh; their definitions and provenance are in
//! tests/reference/data/real/README.md.  tests/reference/real_series_reference.R
//! wrote tests/reference/real_series_reference.json: for every series, family,
//! terms and offset, the null log-likelihood and, at every date, the
//! maximised log-likelihood of the one-step model with every nuisance
//! parameter re-estimated (NB theta by MASS::glm.nb, or by direct NB2
//! maximisation where glm.nb fails), the LR and the sup-LR date.
//!
//! Every check runs the real binary and compares to 1e-6 absolute (the
//! log-likelihoods are O(100) to O(10^4)):
//! - `detect_profile::*`: `detect --min-segment 6 --bootstrap 0` gives R's
//!   null log-likelihood, lists exactly the admissible dates with R's profile
//!   log-likelihood at each, R's sup-LR as `sup_lr` and R's sup-LR date as
//!   `breaks[0].period`;
//! - `detect_every_date::*`: with `--min-segment 1` the profile at every date
//!   2nd..last period;
//! - `test_at::*`: `test --at DATE` gives R's LR(DATE) as `lr_statistic` at
//!   every 5th admissible date (15th for NB) and at the sup-LR date (not for gaussian, which
//!   `test` refuses: it reports rate ratios).
//!
//! Each test collects every discrepancy of its case before failing, so that
//! its message gives the full account (largest difference, first dates).

mod common;

use common::countshift;
use serde::Deserialize;

const REFERENCE: &str = include_str!("reference/real_series_reference.json");
/// Absolute tolerance on log-likelihoods and LR statistics.
const TOL: f64 = 1e-6;

#[derive(Deserialize)]
struct Reference {
    min_segment: usize,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    data: String,
    family: String,
    cli_terms: Option<String>,
    offset: bool,
    has_exposure: bool,
    n: usize,
    null_loglik: f64,
    taus: Vec<usize>,
    periods: Vec<String>,
    profile_loglik: Vec<f64>,
    lr: Vec<f64>,
    min_segment: usize,
    admissible: Admissible,
    sup: Sup,
}

#[derive(Deserialize)]
struct Admissible {
    tau_from: usize,
    tau_to: usize,
}

#[derive(Deserialize)]
struct Sup {
    tau: usize,
    period: String,
    lr: f64,
    runner_up_gap_lr: f64,
}

/// The fields of `detect --format json` read here.
#[derive(Deserialize)]
struct Detect {
    family: String,
    offset: bool,
    min_segment: usize,
    breaks: Vec<Break>,
    sup_lr: Option<f64>,
    null_loglik: Option<f64>,
    profile: Vec<ProfilePoint>,
}

#[derive(Deserialize)]
struct Break {
    period: String,
}

#[derive(Deserialize)]
struct ProfilePoint {
    period: String,
    loglik: f64,
}

/// The fields of `test --format json` read here.
#[derive(Deserialize)]
struct TestOut {
    at: String,
    family: String,
    offset: bool,
    lr_statistic: f64,
}

fn reference() -> Reference {
    serde_json::from_str(REFERENCE).expect("reference JSON parses")
}

fn case(name: &str) -> Case {
    let r = reference();
    let c = r
        .cases
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name} in the reference JSON"));
    assert_eq!(c.min_segment, r.min_segment);
    assert_eq!(c.taus.len(), c.n - 1, "{name}: R gives every date 1..n-1");
    assert_eq!(c.taus, (1..c.n).collect::<Vec<_>>(), "{name}: taus");
    c
}

/// `--data`, `--family`, `--terms`, `--no-offset` for a case.
fn model_args(c: &Case) -> Vec<String> {
    let mut args = vec![
        "--data".to_string(),
        format!("{}/{}", env!("CARGO_MANIFEST_DIR"), c.data),
        "--family".to_string(),
        c.family.clone(),
    ];
    if let Some(t) = &c.cli_terms {
        args.extend(["--terms".to_string(), t.clone()]);
    }
    if c.has_exposure && !c.offset {
        args.push("--no-offset".to_string());
    }
    args
}

fn run_json<T: for<'de> Deserialize<'de>>(args: &[String]) -> Result<T, String> {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = countshift(&refs);
    if run.code != 0 {
        return Err(format!("exit {}: {}", run.code, run.stderr.trim()));
    }
    serde_json::from_str(&run.stdout).map_err(|e| format!("JSON: {e}"))
}

/// The largest discrepancy of one quantity over the dates compared.
struct Worst {
    what: String,
    diff: f64,
    at: String,
    over: usize,
    compared: usize,
}

/// Collects the discrepancies of one case.
struct Checks {
    case: String,
    failures: Vec<String>,
    worst: Vec<Worst>,
}

impl Checks {
    fn new(case: &str) -> Self {
        Self {
            case: case.to_string(),
            failures: Vec::new(),
            worst: Vec::new(),
        }
    }

    fn fail(&mut self, msg: String) {
        self.failures.push(msg);
    }

    /// Compares `got` and `want` pairwise (labelled by `at`) to TOL.
    fn close_all(&mut self, what: &str, items: &[(String, f64, f64)]) {
        let mut worst = (0.0_f64, String::new());
        let mut over = Vec::new();
        for (at, got, want) in items {
            let d = (got - want).abs();
            if worst.1.is_empty() || !d.is_finite() || d > worst.0 {
                worst = (if d.is_finite() { d } else { f64::INFINITY }, at.clone());
            }
            if d.is_nan() || d > TOL {
                over.push(format!("{at}: got {got:.10}, R {want:.10} (off by {:.3e})", got - want));
            }
        }
        if !over.is_empty() {
            let shown = over.iter().take(4).cloned().collect::<Vec<_>>().join("; ");
            self.fail(format!(
                "{what}: {} of {} off by more than {TOL:e}, up to {:.3e} at {}; {shown}{}",
                over.len(),
                items.len(),
                worst.0,
                worst.1,
                if over.len() > 4 { "; ..." } else { "" }
            ));
        }
        self.worst.push(Worst {
            what: what.to_string(),
            diff: worst.0,
            at: worst.1,
            over: over.len(),
            compared: items.len(),
        });
    }

    fn finish(self) {
        let summary: Vec<String> = self
            .worst
            .iter()
            .map(|w| {
                format!(
                    "{}: max |diff| {:.3e} at {} ({}/{} over)",
                    w.what, w.diff, w.at, w.over, w.compared
                )
            })
            .collect();
        eprintln!("{}: {}", self.case, summary.join("; "));
        assert!(
            self.failures.is_empty(),
            "{} disagrees with R (tests/reference/real_series_reference.json):\n  {}",
            self.case,
            self.failures.join("\n  ")
        );
    }
}

/// `detect --min-segment MS --bootstrap 0`: null loglik and the profile at
/// every date it lists; with `full`, also the listed dates, sup-LR and date.
fn check_detect(name: &str, min_segment: usize, full: bool) {
    let c = case(name);
    let mut checks = Checks::new(&format!("{name} (detect --min-segment {min_segment})"));
    let mut args = vec!["detect".to_string()];
    args.extend(model_args(&c));
    let ms = min_segment.to_string();
    args.extend(["--min-segment", &ms, "--bootstrap", "0", "--format", "json"].map(String::from));
    let out: Detect = match run_json(&args) {
        Ok(o) => o,
        Err(e) => {
            checks.fail(format!("countshift {}: {e}", args.join(" ")));
            return checks.finish();
        }
    };
    if out.family != c.family || out.offset != c.offset || out.min_segment != min_segment {
        checks.fail(format!(
            "reports family {} offset {} min_segment {}, asked {} {} {}",
            out.family, out.offset, out.min_segment, c.family, c.offset, min_segment
        ));
    }
    match out.null_loglik {
        Some(l) => checks.close_all("null loglik", &[("null".to_string(), l, c.null_loglik)]),
        None => checks.fail("no null_loglik".to_string()),
    }
    // the dates it should list: both segments at least min_segment long
    let want_dates: Vec<&str> = c
        .taus
        .iter()
        .zip(&c.periods)
        .filter(|&(&t, _)| t >= min_segment && t <= c.n - min_segment)
        .map(|(_, p)| p.as_str())
        .collect();
    let listed: Vec<&str> = out.profile.iter().map(|p| p.period.as_str()).collect();
    if listed != want_dates {
        checks.fail(format!(
            "profile lists {} dates {:?}..{:?}, R's candidates are {} dates {:?}..{:?}",
            listed.len(),
            listed.first(),
            listed.last(),
            want_dates.len(),
            want_dates.first(),
            want_dates.last()
        ));
    }
    let mut items = Vec::new();
    for p in &out.profile {
        match c.periods.iter().position(|q| *q == p.period) {
            Some(k) => items.push((p.period.clone(), p.loglik, c.profile_loglik[k])),
            None => checks.fail(format!("profile lists {}, not a date of the series", p.period)),
        }
    }
    checks.close_all("profile loglik", &items);
    if full {
        assert_eq!(min_segment, c.min_segment);
        assert_eq!(
            (c.admissible.tau_from, c.admissible.tau_to),
            (c.min_segment, c.n - c.min_segment)
        );
        assert!(
            c.sup.runner_up_gap_lr > 2.0 * TOL,
            "{name}: R's sup-LR date is not separated from the next by more than the tolerance"
        );
        match out.sup_lr {
            Some(s) => checks.close_all("sup LR", &[(c.sup.period.clone(), s, c.sup.lr)]),
            None => checks.fail("no sup_lr".to_string()),
        }
        match out.breaks.first() {
            Some(b) if b.period == c.sup.period => {}
            Some(b) => checks.fail(format!(
                "best date {}, R's sup-LR date {} (R's LR there {:.6}, at countshift's date {:.6})",
                b.period,
                c.sup.period,
                c.sup.lr,
                c.periods
                    .iter()
                    .position(|q| *q == b.period)
                    .map_or(f64::NAN, |k| c.lr[k])
            )),
            None => checks.fail("no break reported".to_string()),
        }
    }
    checks.finish();
}

/// `test --at DATE`: LR at every 5th admissible date (every 15th for NB,
/// whose test draws 8,000 Bartlett series per date) and the sup-LR date.
fn check_test_at(name: &str) {
    let c = case(name);
    let mut checks = Checks::new(&format!("{name} (test --at)"));
    let stride = if c.family == "negbin" { 15 } else { 5 };
    let mut taus: Vec<usize> = (c.admissible.tau_from..=c.admissible.tau_to).step_by(stride).collect();
    if !taus.contains(&c.sup.tau) {
        taus.push(c.sup.tau);
    }
    let mut items = Vec::new();
    for tau in taus {
        let k = tau - 1;
        assert_eq!(c.taus[k], tau);
        let at = &c.periods[k];
        let mut args = vec!["test".to_string()];
        args.extend(model_args(&c));
        args.extend(["--at", at, "--format", "json"].map(String::from));
        match run_json::<TestOut>(&args) {
            Ok(t) => {
                if t.at != *at || t.family != c.family || t.offset != c.offset {
                    checks.fail(format!(
                        "{at}: reports at {} family {} offset {}",
                        t.at, t.family, t.offset
                    ));
                }
                items.push((at.clone(), t.lr_statistic, c.lr[k]));
            }
            Err(e) => checks.fail(format!("countshift {}: {e}", args.join(" "))),
        }
    }
    checks.close_all("LR statistic", &items);
    checks.finish();
}

macro_rules! reference_cases {
    (log_link: [$($l:ident),* $(,)?], gaussian: [$($g:ident),* $(,)?] $(,)?) => {
        const CASES: &[&str] = &[$(stringify!($l),)* $(stringify!($g),)*];

        mod detect_profile {
            $(#[test] fn $l() { super::check_detect(stringify!($l), 6, true) })*
            $(#[test] fn $g() { super::check_detect(stringify!($g), 6, true) })*
        }

        mod detect_every_date {
            $(#[test] fn $l() { super::check_detect(stringify!($l), 1, false) })*
            $(#[test] fn $g() { super::check_detect(stringify!($g), 1, false) })*
        }

        mod test_at {
            $(#[test] fn $l() { super::check_test_at(stringify!($l)) })*
        }
    };
}

reference_cases! {
    log_link: [
        shahed_negbin_intercept,
        shahed_negbin_trend,
        shahed_poisson_intercept,
        shahed_poisson_trend,
        x101_share_negbin_intercept_offset,
        x101_share_negbin_intercept_no_offset,
        x101_share_negbin_trend_offset,
        x101_share_negbin_trend_no_offset,
        x101_share_poisson_intercept_offset,
        x101_share_poisson_intercept_no_offset,
        x101_share_poisson_trend_offset,
        x101_share_poisson_trend_no_offset,
        kalibr_negbin_intercept,
        kalibr_negbin_trend,
        kalibr_poisson_intercept,
        kalibr_poisson_trend,
    ],
    gaussian: [
        shahed_gaussian_intercept,
        shahed_gaussian_trend,
        x101_share_gaussian_intercept_no_offset,
        x101_share_gaussian_trend_no_offset,
        kalibr_gaussian_intercept,
        kalibr_gaussian_trend,
    ],
}

#[test]
fn every_reference_case_has_its_tests() {
    let r = reference();
    let mut in_json: Vec<&str> = r.cases.iter().map(|c| c.name.as_str()).collect();
    let mut here = CASES.to_vec();
    in_json.sort_unstable();
    here.sort_unstable();
    assert_eq!(in_json, here);
    for c in &r.cases {
        assert_eq!(
            c.lr.len(),
            c.profile_loglik.len(),
            "{}: one LR per profile point",
            c.name
        );
        assert_eq!(c.periods.len(), c.taus.len(), "{}", c.name);
    }
}
