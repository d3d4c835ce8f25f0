//! The series format and the data commands, through the real binary.

mod common;
use common::{countshift, countshift_with_stdin, shared_data, temp_file};
use serde::Deserialize;

#[derive(Deserialize)]
struct Inspect {
    schema_version: u32,
    frequency: String,
    first: String,
    last: String,
    n_obs: usize,
    n_missing: usize,
    observations: Vec<Obs>,
}

#[derive(Deserialize)]
struct Obs {
    periods: Vec<String>,
    count: f64,
    exposure: Option<f64>,
}

fn inspect_json(args: &[&str]) -> Inspect {
    let mut all = vec!["inspect", "--format", "json"];
    all.extend_from_slice(args);
    let run = countshift(&all);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).expect("inspect JSON parses")
}

#[test]
fn the_seed_example_gives_four_observations_with_the_nested_months_subtracted() {
    let view = inspect_json(&[]);
    assert_eq!(view.schema_version, 1);
    assert_eq!(
        (view.frequency.as_str(), view.first.as_str(), view.last.as_str()),
        ("monthly", "2024-01", "2024-12")
    );
    assert_eq!((view.n_obs, view.n_missing), (4, 0));
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
    // Jul-Dec exposure 1104.478 is spread evenly over its six months.
    let jul_dec = view.observations[1].exposure.unwrap()
        + view.observations[2].exposure.unwrap()
        + view.observations[3].exposure.unwrap();
    assert!((jul_dec - 1104.478).abs() < 1e-9);
}

#[test]
fn standard_input_bom_crlf_and_quotes_are_read() {
    let run = countshift_with_stdin(
        &["inspect", "--data", "-", "--format", "json"],
        Some(b"\xEF\xBB\xBFperiod,count\r\n\"2024-Q1\",3\r\n2024-Q3,\"4.0\"\r\n"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let view: Inspect = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        (view.frequency.as_str(), view.n_obs, view.n_missing),
        ("quarterly", 2, 1)
    );
}

#[test]
fn every_period_kind_is_read() {
    let dir = tempfile::tempdir().unwrap();
    for (text, freq) in [
        ("period,count\n2024-01,1\n2024-02,2\n", "monthly"),
        ("period,count\n2023,1\n2024,2\n", "yearly"),
        ("period,count\n2024-Q1,1\n2024-Q2,2\n", "quarterly"),
        ("period,count\n2024-02-28,1\n2024-03-01,2\n", "daily"),
        ("period,count\n1,1\n2,2\n", "index"),
    ] {
        let path = temp_file(&dir, "s.csv", text.as_bytes());
        let view = inspect_json(&["--data", &path]);
        assert_eq!(view.frequency, freq);
    }
    let path = temp_file(&dir, "s.csv", b"period,count\n2024-02-28,1\n2024-03-01,2\n");
    assert_eq!(inspect_json(&["--data", &path]).n_missing, 1, "2024-02-29 is missing");
}

#[test]
fn datasets_lists_both_embedded_files() {
    let run = countshift(&["datasets", "--format", "json"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("kn23_2024_reported") && run.stdout.contains("kn23_monthly"));
    assert_eq!(inspect_json(&["--dataset", "kn23_monthly"]).n_obs, 36);
}

#[test]
fn aggregate_reproduces_the_reported_kn23_months_of_2024() {
    let Some(log) = shared_data("missile_attacks_daily.csv") else {
        eprintln!("skipped: ../shared/data is not beside the project");
        return;
    };
    let log = log.to_string_lossy().into_owned();
    let run = countshift(&[
        "aggregate",
        &log,
        "--model-regex",
        "KN-23",
        "--from",
        "2024-01",
        "--to",
        "2024-12",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let counts: Vec<&str> = run
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(counts, ["0", "6", "2", "0", "0", "0", "0", "24", "24", "11", "2", "13"]);
    assert!(
        run.stderr.contains("read 3770 rows") && run.stderr.contains("1 blank `launched`"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_embedded_monthly_series_is_regenerated_by_aggregate() {
    let (Some(log), Some(catalogue)) = (
        shared_data("missile_attacks_daily.csv"),
        shared_data("missiles_and_uavs.csv"),
    ) else {
        eprintln!("skipped: ../shared/data is not beside the project");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("kn23_monthly.csv");
    // The exact command of data/README.md.
    let run = countshift(&[
        "aggregate",
        log.to_str().unwrap(),
        "--model-regex",
        "KN-23",
        "--exposure-category",
        "missile",
        "--catalogue",
        catalogue.to_str().unwrap(),
        "--exposure-model-regex",
        "Iskander|KN-23|Kalibr|X-[0-9]|(?i:ballistic)",
        "--from",
        "2023-01",
        "--to",
        "2025-12",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let made = std::fs::read_to_string(out).unwrap();
    let committed = include_str!("../data/kn23_monthly.csv");
    assert_eq!(made, committed);
}
