//! Numerical edge cases through the command line: all zeros, a single
//! nonzero count, counts near 10^9, exposures near 10^-9 and 10^9, NB on
//! under-dispersed counts, a step at the ends. Each gives a correct answer
//! with finite numbers or exit 2 with a message; never a panic or NaN.
//! (Perfectly collinear terms: `tests/model_cli.rs`; the full catalogue of
//! rejected inputs: `tests/bad_input.rs`.)

mod common;

use common::{countshift, temp_file};
use serde_json::Value;

/// A monthly series of 2024 with the given counts and optional exposures.
fn monthly(counts: &[f64], exposure: Option<f64>) -> String {
    let mut text = String::from(if exposure.is_some() {
        "period,count,exposure\n"
    } else {
        "period,count\n"
    });
    for (i, y) in counts.iter().enumerate() {
        text += &format!("2024-{:02},{y}", i + 1);
        if let Some(e) = exposure {
            text += &format!(",{e:e}");
        }
        text += "\n";
    }
    text
}

/// Every command on `path`: exit 0, and neither the table nor the JSON
/// shows NaN (an estimate at infinity shows as a bound, such as `-∞`, by
/// design). Returns the JSON of each command.
fn every_command_runs_clean(path: &str, at: &str) -> Vec<(String, Value)> {
    every_command_runs_clean_with(path, at, &[])
}

/// As [`every_command_runs_clean`], with `extra` options on every command
/// but `report` (which takes no --family of those).
fn every_command_runs_clean_with(path: &str, at: &str, extra: &[&str]) -> Vec<(String, Value)> {
    let commands: [&[&str]; 6] = [
        &["fit", "--terms", "trend"],
        &["test", "--at", at],
        &["detect", "--bootstrap", "99"],
        &["forecast", "--draws", "500"],
        &["backtest", "--draws", "300", "--horizon", "3"],
        &["report", "--at", at, "--bootstrap", "99"],
    ];
    let mut out = Vec::new();
    for args in commands {
        let name = args[0].to_owned();
        let extra = if name == "report" || name == "backtest" {
            &[][..]
        } else {
            extra
        };
        let args = &[args, extra].concat()[..];
        let table = countshift(&[args, &["--data", path]].concat());
        assert_eq!(table.code, 0, "{args:?}: {}", table.stderr);
        assert!(!table.stdout.contains("NaN"), "{args:?} shows NaN:\n{}", table.stdout);
        let json = countshift(&[args, &["--data", path, "--format", "json"]].concat());
        assert_eq!(json.code, 0, "{args:?}: {}", json.stderr);
        assert!(!json.stdout.contains("NaN"), "{args:?}");
        out.push((name, serde_json::from_str(&json.stdout).expect("valid JSON")));
    }
    out
}

fn json_of<'a>(runs: &'a [(String, Value)], command: &str) -> &'a Value {
    &runs.iter().find(|(c, _)| c == command).expect("command ran").1
}

#[test]
fn all_zeros_give_zero_rates_no_break_and_zero_forecasts() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "zeros.csv", monthly(&[0.0; 12], None).as_bytes());
    let runs = every_command_runs_clean(&path, "2024-07");
    let test = json_of(&runs, "test");
    assert_eq!(test["rate_before"]["estimate"], 0.0);
    assert_eq!(test["rate_after"]["estimate"], 0.0);
    assert_eq!(test["lr_statistic"], 0.0);
    let forecast = json_of(&runs, "forecast");
    assert_eq!(forecast["total"]["upper_95"], 0.0);
}

#[test]
fn a_single_nonzero_count_gives_its_flat_rate() {
    let mut counts = [0.0; 12];
    counts[4] = 5.0;
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "single.csv", monthly(&counts, None).as_bytes());
    // Poisson: every command runs clean.
    let poisson = temp_file(&dir, "single_p.csv", monthly(&counts, None).as_bytes());
    every_command_runs_clean_with(&poisson, "2024-07", &["--family", "poisson"]);
    // auto picks NB (theta 0.04) with a trend whose 95% interval spans
    // -100% to +77,000% a month: a forecast must refuse in one sentence
    // (exit 2), not print numbers or fail as an internal error.
    let run = countshift(&["forecast", "--data", &path, "--draws", "500"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("too uncertain to extrapolate"), "{}", run.stderr);
    let fit = countshift(&["fit", "--data", &path, "--terms", "", "--format", "json"]);
    let v: Value = serde_json::from_str(&fit.stdout).expect("json");
    let rate = v["coefficients"][0]["estimate"].as_f64().unwrap().exp();
    assert!((rate - 5.0 / 12.0).abs() < 1e-9, "{rate}");
}

#[test]
fn counts_near_a_billion_keep_exact_ratios_and_find_the_break() {
    let counts: Vec<f64> = (0..12)
        .map(|t| if t < 6 { 1e9 + t as f64 } else { 2e9 + t as f64 })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "big.csv", monthly(&counts, None).as_bytes());
    let runs = every_command_runs_clean(&path, "2024-07");
    let test = json_of(&runs, "test");
    let before: f64 = counts[..6].iter().sum();
    let after: f64 = counts[6..].iter().sum();
    let ratio = test["rate_ratio"]["estimate"].as_f64().unwrap();
    assert!((ratio / (after / before) - 1.0).abs() < 1e-10, "{ratio}");
    let exact = &test["rate_ratio_exact"];
    assert!(exact["ci_low"].as_f64().unwrap() < ratio && ratio < exact["ci_high"].as_f64().unwrap());
    assert_eq!(json_of(&runs, "detect")["breaks"][0]["period"], "2024-07");
}

#[test]
fn exposures_near_1e_minus_9_and_1e9_give_the_rate_ratio_of_unit_exposure() {
    let counts = [4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 14.0, 16.0, 18.0, 20.0, 22.0, 24.0];
    let dir = tempfile::tempdir().unwrap();
    let ratio_at = |exposure: f64| {
        let path = temp_file(
            &dir,
            &format!("e{exposure:e}.csv"),
            monthly(&counts, Some(exposure)).as_bytes(),
        );
        let runs = every_command_runs_clean(&path, "2024-07");
        json_of(&runs, "test")["rate_ratio"]["estimate"].as_f64().unwrap()
    };
    let unit = ratio_at(1.0);
    assert!((unit - 114.0 / 39.0).abs() < 1e-12);
    for exposure in [1e-9, 1e9] {
        assert!((ratio_at(exposure) / unit - 1.0).abs() < 1e-10, "{exposure}");
    }
}

#[test]
fn negative_binomial_on_under_dispersed_counts_falls_back_to_poisson_with_a_note() {
    let counts = [5.0, 5.0, 6.0, 5.0, 4.0, 5.0, 5.0, 6.0, 5.0, 4.0, 5.0, 5.0];
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "under.csv", monthly(&counts, None).as_bytes());
    let fit = countshift(&["fit", "--data", &path, "--family", "negbin", "--format", "json"]);
    assert_eq!(fit.code, 0, "{}", fit.stderr);
    assert!(fit.stdout.contains("no over-dispersion"), "{}", fit.stdout);
    // The NB forecast of a flat rate is the Poisson one, up to simulation noise.
    let upper_95 = |family: &str| {
        let run = countshift(&[
            "forecast", "--data", &path, "--family", family, "--terms", "", "--format", "json",
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let v: Value = serde_json::from_str(&run.stdout).expect("json");
        v["total"]["upper_95"].as_f64().unwrap()
    };
    let (negbin, poisson) = (upper_95("negbin"), upper_95("poisson"));
    assert!((negbin - poisson).abs() <= 3.0, "{negbin} vs {poisson}");
}

#[test]
fn a_backtest_leaves_out_a_model_whose_forecast_overflows() {
    let mut counts = [0.0; 12];
    counts[8] = 1.0;
    counts[11] = 900.0;
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "steep.csv", monthly(&counts, None).as_bytes());
    let args = [
        "backtest",
        "--data",
        &path,
        "--models",
        "poisson:trend,poisson:",
        "--baselines",
        "none",
        "--format",
        "json",
    ];
    let run = countshift(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["ranking"], serde_json::json!(["poisson:"]));
    assert_eq!(v["dropped"][0]["model"], "poisson:trend");
    assert!(
        v["dropped"][0]["reason"].as_str().unwrap().contains("overflowed"),
        "{}",
        v["dropped"]
    );
    assert!(v["rows"].as_array().unwrap().iter().all(|r| r["model"] == "poisson:"));
    let table = countshift(&args[..5]);
    assert!(
        table.stdout.contains("left out: poisson:trend (at origin"),
        "{}",
        table.stdout
    );
}

#[test]
fn a_step_at_the_first_period_or_past_the_last_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "s.csv", monthly(&[3.0; 12], None).as_bytes());
    for at in ["2024-01", "2025-01"] {
        let run = countshift(&["test", "--data", &path, "--at", at]);
        assert_eq!(run.code, 2, "{at}");
        assert!(
            run.stderr
                .contains("puts the change at or outside the ends of the series"),
            "{}",
            run.stderr
        );
    }
    // The last period is a valid one-period regime, as in R's glm.
    assert_eq!(countshift(&["test", "--data", &path, "--at", "2024-12"]).code, 0);
}

#[test]
fn a_backtest_over_missing_periods_with_exposure_scores_every_model() {
    // Found by tests/hostile_options.rs: a forecast origin or horizon step at
    // a missing period took its (unknown, NaN) exposure, so every model's
    // forecast "overflowed" there and the backtest failed with exit 1.
    let csv = "period,count,exposure\n2020-01,5,235\n2020-02,22,209\n2020-04,6,342\n2020-06,0,25\n\
               2020-07,12,259\n2020-08,27,85\n2020-09,39,279\n2020-10,14,159\n2020-12,6,313\n\
               2021-01,32,198\n2021-02,38,249\n2021-04,33,294\n2021-05,14,57\n2021-06,0,216\n\
               2021-07,27,176\n2021-08,37,242\n2021-09,4,474\n2021-10,3,429\n";
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "gappy.csv", csv.as_bytes());
    let run = countshift(&["backtest", "--data", &path, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["dropped"].as_array().map_or(0, Vec::len), 0, "{}", v["dropped"]);
    assert_eq!(v["ranking"].as_array().unwrap().len(), 6, "{}", v["ranking"]);
}

#[test]
fn a_count_near_2_53_says_its_log_likelihood_is_inexact_and_does_not_hang() {
    // Found by tests/hostile_options.rs: NB terms of 1e17 cancel to a
    // log-likelihood of -131, so scoring chased rounding noise for 18 s.
    let mut csv = String::from("period,count,exposure\n");
    for i in 0..19 {
        let count: u64 = if i == 9 { 9007199254740992 } else { (i * 17 + 5) % 40 };
        csv += &format!("{}-{:02},{count},{}\n", 2020 + i / 12, i % 12 + 1, 50 + i * 23 % 400);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "huge.csv", csv.as_bytes());
    let started = std::time::Instant::now();
    let run = countshift(&["fit", "--data", &path, "--family", "negbin", "--terms", "trend"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("is known to about ±"), "{}", run.stdout);
    assert!(started.elapsed().as_secs_f64() < 5.0, "{:?}", started.elapsed());
}

#[test]
fn a_backtest_whose_every_model_overflows_is_bad_input_not_an_internal_error() {
    // Found by tests/hostile_options.rs: a count of 2^53 two years in makes
    // every model's simulated future means overflow the Poisson sampler; the
    // backtest exited 1 as if countshift had failed.
    let mut csv = String::from("period,count\n");
    for i in 0..24 {
        let count: u64 = if i == 21 {
            9007199254740992
        } else {
            (i * 13 + 7) % 30 + 5
        };
        csv += &format!("{}-{:02},{count}\n", 2020 + i / 12, i % 12 + 1);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "spike.csv", csv.as_bytes());
    let run = countshift(&["backtest", "--data", &path]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("error: every model's forecast failed"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}
