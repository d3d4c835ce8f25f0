//! Dates as users' tools write them (issue 16, item 6): month, quarter and
//! year starts or ends read as those periods, dates a week apart on one
//! weekday read as ISO weeks, `--frequency` to override, ISO week periods
//! `YYYY-Www`, and `aggregate --frequency week`. Through the real binary.

mod common;
use common::{countshift, temp_file};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Inspect {
    frequency: String,
    frequency_inferred_from: String,
    frequency_rule: String,
    first: String,
    last: String,
    n_periods: usize,
    n_obs: usize,
    n_missing: usize,
    missing_periods: Vec<String>,
    observations: Vec<Obs>,
}

#[derive(Debug, Deserialize)]
struct Obs {
    periods: Vec<String>,
    count: f64,
}

#[derive(Debug, Deserialize)]
struct Forecast {
    forecasts: Vec<ForecastRow>,
}

#[derive(Debug, Deserialize)]
struct ForecastRow {
    period: String,
}

/// Writes `text` to a new file in `dir`, named `s1.csv`, `s2.csv`, ...
fn file(dir: &tempfile::TempDir, text: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed) + 1;
    temp_file(dir, &format!("s{n}.csv"), text.as_bytes())
}

fn inspect(path: &str, extra: &[&str]) -> Inspect {
    let mut args = vec!["inspect", "--format", "json", "--data", path];
    args.extend_from_slice(extra);
    let run = countshift(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).expect("inspect JSON parses")
}

fn periods(view: &Inspect) -> Vec<String> {
    view.observations.iter().flat_map(|o| o.periods.clone()).collect()
}

/// Twelve months of counts written as the first of each month, May left out.
const FIRST_OF_MONTH: &str = "period,count\n\
    2024-01-01,10\n2024-02-01,12\n2024-03-01,15\n2024-04-01,18\n\
    2024-06-01,26\n2024-07-01,31\n2024-08-01,37\n2024-09-01,44\n\
    2024-10-01,52\n2024-11-01,63\n2024-12-01,75\n";

#[test]
fn first_of_month_dates_are_months_with_the_trend_per_month() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, FIRST_OF_MONTH);
    let view = inspect(&path, &[]);
    assert_eq!(
        (view.frequency.as_str(), view.first.as_str(), view.last.as_str()),
        ("monthly", "2024-01", "2024-12")
    );
    assert_eq!((view.n_periods, view.n_obs, view.n_missing), (12, 11, 1));
    assert_eq!(view.missing_periods, ["2024-05"]);
    assert_eq!(view.frequency_inferred_from, "dates");
    assert!(
        view.frequency_rule.contains("first day of a month"),
        "{}",
        view.frequency_rule
    );

    let table = countshift(&["inspect", "--data", &path]);
    assert!(
        table.stdout.contains("monthly") && table.stdout.contains("first day of a month"),
        "{}",
        table.stdout
    );
    let fit = countshift(&["fit", "--data", &path, "--terms", "trend"]);
    assert_eq!(fit.code, 0, "{}", fit.stderr);
    assert!(
        fit.stdout.contains("per month") && !fit.stdout.contains("per day"),
        "{}",
        fit.stdout
    );
    let run = countshift(&[
        "forecast",
        "--data",
        &path,
        "--terms",
        "trend",
        "--horizon",
        "2",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let f: Forecast = serde_json::from_str(&run.stdout).unwrap();
    let got: Vec<&str> = f.forecasts.iter().map(|r| r.period.as_str()).collect();
    assert_eq!(got, ["2025-01", "2025-02"]);
}

#[test]
fn last_of_month_dates_are_months() {
    let dir = tempfile::tempdir().unwrap();
    // pandas' month-end resampling; 2024 is a leap year, 2023 not.
    let path = file(
        &dir,
        "period,count\n2023-11-30,1\n2023-12-31,2\n2024-01-31,3\n2024-02-29,4\n2024-03-31,5\n2024-06-30,6\n2023-02-28,7\n",
    );
    let view = inspect(&path, &[]);
    assert_eq!(
        (view.frequency.as_str(), view.first.as_str(), view.last.as_str()),
        ("monthly", "2023-02", "2024-06")
    );
    assert_eq!(view.n_obs, 7);
    assert!(
        view.frequency_rule.contains("last day of a month"),
        "{}",
        view.frequency_rule
    );
}

#[test]
fn mixing_first_and_last_days_of_months_stays_daily() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "period,count\n2024-01-01,1\n2024-01-31,2\n2024-03-01,3\n");
    assert_eq!(inspect(&path, &[]).frequency, "daily");
}

#[test]
fn quarter_and_year_starts_and_ends_are_quarters_and_years() {
    let dir = tempfile::tempdir().unwrap();
    for (text, frequency, first, last, n_missing) in [
        (
            "period,count\n2023-10-01,1\n2024-01-01,2\n2024-07-01,3\n",
            "quarterly",
            "2023-Q4",
            "2024-Q3",
            1,
        ),
        (
            "period,count\n2024-03-31,1\n2024-06-30,2\n2024-12-31,3\n",
            "quarterly",
            "2024-Q1",
            "2024-Q4",
            1,
        ),
        (
            "period,count\n2019-01-01,1\n2020-01-01,2\n2022-01-01,3\n",
            "yearly",
            "2019",
            "2022",
            1,
        ),
        (
            "period,count\n2020-12-31,1\n2021-12-31,2\n",
            "yearly",
            "2020",
            "2021",
            0,
        ),
        // First of months, but not all quarter starts: monthly.
        (
            "period,count\n2024-01-01,1\n2024-02-01,2\n2024-04-01,3\n",
            "monthly",
            "2024-01",
            "2024-04",
            1,
        ),
        // Quarter starts, but not all January: quarterly.
        (
            "period,count\n2023-01-01,1\n2023-04-01,2\n2024-01-01,3\n",
            "quarterly",
            "2023-Q1",
            "2024-Q1",
            2,
        ),
    ] {
        let view = inspect(&file(&dir, text), &[]);
        assert_eq!(
            (
                view.frequency.as_str(),
                view.first.as_str(),
                view.last.as_str(),
                view.n_missing
            ),
            (frequency, first, last, n_missing),
            "{text}"
        );
    }
}

#[test]
fn dates_a_week_apart_on_one_weekday_are_iso_weeks_with_gaps_allowed() {
    let dir = tempfile::tempdir().unwrap();
    // Wednesdays; 2024-01-17 is left out; 2025-01-01 is in 2025-W01.
    let path = file(
        &dir,
        "period,count\n2024-01-03,1\n2024-01-10,2\n2024-01-24,4\n2024-12-25,5\n2025-01-01,6\n",
    );
    let view = inspect(&path, &[]);
    assert_eq!(
        (view.frequency.as_str(), view.first.as_str(), view.last.as_str()),
        ("weekly", "2024-W01", "2025-W01")
    );
    assert_eq!(
        periods(&view),
        ["2024-W01", "2024-W02", "2024-W04", "2024-W52", "2025-W01"]
    );
    assert_eq!(view.missing_periods[0], "2024-W03");
    assert!(view.frequency_rule.contains("Wednesday"), "{}", view.frequency_rule);
    // Not one weekday: daily.
    let daily = file(&dir, "period,count\n2024-01-03,1\n2024-01-10,2\n2024-01-18,4\n");
    assert_eq!(inspect(&daily, &[]).frequency, "daily");
}

#[test]
fn iso_week_periods_round_trip_including_53_week_years() {
    let dir = tempfile::tempdir().unwrap();
    let text = "period,count\n2020-W52,1\n2020-W53,2\n2021-W01,3\n2026-W52,4\n2026-W53,5\n2027-W01,6\n";
    let view = inspect(&file(&dir, text), &[]);
    assert_eq!(view.frequency, "weekly");
    assert_eq!(view.frequency_inferred_from, "periods");
    let got = periods(&view);
    assert_eq!(got[..3], ["2020-W52", "2020-W53", "2021-W01"]);
    assert_eq!(got[3..], ["2026-W52", "2026-W53", "2027-W01"]);
    // 2020-W52..2027-W01: 2021..2025 have 52 weeks each, 2026 has 53.
    assert_eq!(view.n_periods, 2 + 5 * 52 + 53 + 1);
    // The week after 2020-W53 is 2021-W01, and forecasts print as weeks.
    let short = file(&dir, "period,count\n2020-W50,3\n2020-W51,4\n2020-W52,5\n2020-W53,4\n");
    let run = countshift(&[
        "forecast",
        "--data",
        &short,
        "--terms",
        "",
        "--horizon",
        "2",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let f: Forecast = serde_json::from_str(&run.stdout).unwrap();
    let got: Vec<&str> = f.forecasts.iter().map(|r| r.period.as_str()).collect();
    assert_eq!(got, ["2021-W01", "2021-W02"]);
}

#[test]
fn week_53_of_a_52_week_year_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "period,count\n2021-W52,1\n2021-W53,2\n");
    let run = countshift(&["inspect", "--data", &path]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("line 3, column `period`: `2021-W53` has week 53, but 2021 has 52 ISO weeks"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    let path = file(&dir, "period,count\n2021-W00,1\n");
    let run = countshift(&["inspect", "--data", &path]);
    assert!(run.code == 2 && run.stderr.contains("has week 0"), "{}", run.stderr);
}

#[test]
fn frequency_overrides_the_inferred_reading_on_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, FIRST_OF_MONTH);
    // A file of first-of-month dates stays daily when asked.
    let view = inspect(&path, &["--frequency", "day"]);
    assert_eq!((view.frequency.as_str(), view.first.as_str()), ("daily", "2024-01-01"));
    assert_eq!(view.n_periods, 336);
    assert_eq!(view.frequency_inferred_from, "option");
    let fit = countshift(&["fit", "--data", &path, "--terms", "trend", "--frequency", "day"]);
    assert_eq!(fit.code, 0, "{}", fit.stderr);
    assert!(fit.stdout.contains("per day"), "{}", fit.stdout);
    // Mid-month dates read as the months that contain them.
    let mid = file(&dir, "period,count\n2024-01-15,1\n2024-02-14,2\n2024-04-15,3\n");
    let view = inspect(&mid, &["--frequency", "month"]);
    assert_eq!(periods(&view), ["2024-01", "2024-02", "2024-04"]);
    for command in ["fit", "test", "detect", "forecast", "backtest", "report"] {
        let run = countshift(&[command, "--data", &path, "--frequency", "quarter", "--help"]);
        assert_eq!(run.code, 0, "{command}: {}", run.stderr);
        assert!(run.stdout.contains("--frequency"), "{command}");
    }
    let run = countshift(&["test", "--data", &path, "--at", "2024-07", "--frequency", "month"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Periods already written as months cannot be re-read as weeks.
    let months = file(&dir, "period,count\n2024-01,1\n2024-02,2\n");
    let run = countshift(&["inspect", "--data", &months, "--frequency", "week"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("written as months (YYYY-MM)") && run.stderr.contains("--frequency week"),
        "{}",
        run.stderr
    );
    // The same frequency as written is accepted.
    assert_eq!(inspect(&months, &["--frequency", "month"]).frequency, "monthly");
}

#[test]
fn a_single_row_of_a_date_is_a_day_unless_frequency_says_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "period,count\n2024-01-01,3\n");
    let view = inspect(&path, &[]);
    assert_eq!((view.frequency.as_str(), view.first.as_str()), ("daily", "2024-01-01"));
    assert!(view.frequency_rule.contains("one row"), "{}", view.frequency_rule);
    assert_eq!(inspect(&path, &["--frequency", "month"]).first, "2024-01");
}

#[test]
fn run_rows_of_whole_months_written_as_dates_are_months() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(
        &dir,
        "start,end,count\n2024-01-01,2024-06-30,8\n2024-07-01,2024-12-31,74\n2024-08-01,2024-08-31,24\n2024-09-01,2024-09-30,24\n",
    );
    let view = inspect(&path, &[]);
    assert_eq!(view.frequency, "monthly");
    let got: Vec<(Vec<&str>, f64)> = view
        .observations
        .iter()
        .map(|o| (o.periods.iter().map(String::as_str).collect(), o.count))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                vec!["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"],
                8.0
            ),
            (vec!["2024-07", "2024-10", "2024-11", "2024-12"], 26.0),
            (vec!["2024-08"], 24.0),
            (vec!["2024-09"], 24.0),
        ]
    );
    // Whole ISO weeks (Monday to Sunday) as runs: weekly.
    let weeks = file(
        &dir,
        "start,end,count\n2024-01-01,2024-01-07,3\n2024-01-08,2024-01-21,5\n",
    );
    let view = inspect(&weeks, &[]);
    assert_eq!(view.frequency, "weekly");
    assert_eq!(view.observations[1].periods, ["2024-W02", "2024-W03"]);
}

/// 126 weekly totals written as Monday-to-Sunday runs were read as days
/// (882 periods): "126 observations, segments of at least 132" mixed weeks and days.
#[test]
fn detect_on_weekly_runs_counts_segments_in_one_unit() {
    let dir = tempfile::tempdir().unwrap();
    let monday = chrono::NaiveDate::from_ymd_opt(2022, 1, 3).unwrap();
    let mut text = String::from("start,end,count\n");
    for w in 0..126 {
        let a = monday + chrono::Duration::days(7 * w);
        let b = a + chrono::Duration::days(6);
        let y = if w < 70 { 5 + w % 3 } else { 12 + w % 4 };
        text += &format!("{a},{b},{y}\n");
    }
    let path = file(&dir, &text);
    let run = countshift(&["detect", "--data", &path, "--bootstrap", "0"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let head = run.stdout.lines().next().unwrap();
    assert!(
        head.contains("126 observations, segments of at least 18 observations"),
        "{head}"
    );
    assert!(
        run.stdout.contains("2023-W19"),
        "the break prints as a week: {}",
        run.stdout
    );
    // Runs of several months: the minimum segment counts months.
    let runs = file(
        &dir,
        "start,end,count\n2020-01,2020-06,10\n2020-07,2020-12,12\n2021-01,2021-06,30\n2021-07,2021-12,33\n",
    );
    let run = countshift(&["detect", "--data", &runs, "--bootstrap", "0", "--min-segment", "3"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let head = run.stdout.lines().next().unwrap();
    assert!(head.contains("segments of at least 3 months"), "{head}");
}

#[test]
fn season_on_weekly_data_is_fourier_in_the_fraction_of_the_year() {
    let dir = tempfile::tempdir().unwrap();
    let monday = chrono::NaiveDate::from_ymd_opt(2019, 12, 30).unwrap();
    let mut text = String::from("period,count\n");
    for w in 0..160 {
        let d = monday + chrono::Duration::days(7 * w);
        let y = 20.0 + 10.0 * (2.0 * std::f64::consts::PI * w as f64 / 52.18).sin();
        text += &format!("{d},{}\n", y.round());
    }
    let path = file(&dir, &text);
    let run = countshift(&["fit", "--data", &path, "--terms", "season:2", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("sin_1") && run.stdout.contains("cos_2"),
        "{}",
        run.stdout
    );
    let run = countshift(&["fit", "--data", &path, "--terms", "season"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("season:K"), "{}", run.stderr);
}

#[test]
fn aggregate_by_iso_week_puts_new_year_days_in_their_iso_year() {
    let dir = tempfile::tempdir().unwrap();
    // 2024-12-29 is a Sunday (2024-W52); 2024-12-30 a Monday (2025-W01);
    // 2025-01-05 the Sunday that ends 2025-W01; nothing in 2025-W02.
    let log = temp_file(
        &dir,
        "log.csv",
        b"time_start,model,launched\n\
          2024-12-23 10:00,Shahed-136/131,4\n\
          2024-12-29 23:30,Shahed-136/131,5\n\
          2024-12-30 01:00,Shahed-136/131,6\n\
          2025-01-05,Shahed-136/131,7\n\
          2025-01-13,Shahed-136/131,8\n\
          2025-01-13,X-101/Kh-101,9\n",
    );
    let run = countshift(&["aggregate", &log, "--model-regex", "Shahed", "--frequency", "week"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "period,count\n2024-W52,9\n2025-W01,13\n2025-W02,0\n2025-W03,8\n"
    );
    let series = temp_file(&dir, "weekly.csv", run.stdout.as_bytes());
    let view = inspect(&series, &[]);
    assert_eq!((view.frequency.as_str(), view.n_obs), ("weekly", 4));
    // --from and --to are weeks, written as weeks or as a date in the week.
    let run = countshift(&[
        "aggregate",
        &log,
        "--model-regex",
        "Shahed",
        "--frequency",
        "week",
        "--from",
        "2024-12-30",
        "--to",
        "2025-W02",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "period,count\n2025-W01,13\n2025-W02,0\n");
}

#[test]
fn first_of_month_dates_give_the_same_answers_as_months() {
    let dir = tempfile::tempdir().unwrap();
    let dates = file(&dir, FIRST_OF_MONTH);
    let months = file(&dir, &FIRST_OF_MONTH.replace("-01,", ","));
    assert_eq!(inspect(&months, &[]).frequency_inferred_from, "periods");
    for args in [
        &["fit", "--terms", "trend,season:1", "--format", "json"][..],
        &["test", "--at", "2024-07", "--format", "json"],
        &["detect", "--bootstrap", "19", "--format", "json"],
        &[
            "forecast",
            "--terms",
            "trend",
            "--horizon",
            "3",
            "--draws",
            "500",
            "--format",
            "json",
        ],
    ] {
        let run = |path: &str| {
            let r = countshift(&[args, &["--data", path]].concat());
            assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
            r.stdout.replace(path, "FILE")
        };
        assert_eq!(run(&dates), run(&months), "{args:?}");
    }
}
