//! Output formats (issue 16, items 8 and 14): CSV from `test` and `detect`,
//! CSV numbers in their shortest round-trip form, counted nouns that agree
//! with their number, interval digits that tell the ends apart, the break
//! lines of the series plot, theta's standard error at its cap, and the range
//! of dates `detect` searched.

mod common;

use std::collections::HashMap;

use common::{countshift, temp_file};
use serde_json::Value;

const SHAHED: &str = "tests/reference/data/real/shahed.csv";
const KALIBR: &str = "tests/reference/data/real/kalibr.csv";

/// Standard output of a successful run.
fn ok(args: &[&str]) -> String {
    let run = countshift(args);
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    run.stdout
}

fn json(args: &[&str]) -> Value {
    let mut full = args.to_vec();
    full.extend(["--format", "json"]);
    serde_json::from_str(&ok(&full)).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// The header and the rows of a CSV text, each row keyed by column.
fn csv_rows(text: &str) -> (Vec<String>, Vec<HashMap<String, String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("bad CSV: {e}\n{text}"));
            assert_eq!(r.len(), header.len(), "ragged CSV:\n{text}");
            header.iter().cloned().zip(r.iter().map(str::to_owned)).collect()
        })
        .collect();
    (header, rows)
}

fn csv(args: &[&str]) -> (Vec<String>, Vec<HashMap<String, String>>) {
    let mut full = args.to_vec();
    full.extend(["--format", "csv"]);
    csv_rows(&ok(&full))
}

/// A CSV number cell: parses as f64, and is short.
fn number(cell: &str) -> f64 {
    assert!(cell.len() <= 24, "`{cell}` is not in shortest round-trip form");
    cell.parse().unwrap_or_else(|e| panic!("`{cell}` is not a number: {e}"))
}

/// The cell holds the JSON number (to a few ulp: serde_json's default float
/// parser is not exact).
fn same(cell: &str, v: &Value) {
    match v.as_f64() {
        Some(x) => assert!(
            (number(cell) - x).abs() <= 4.0 * f64::EPSILON * x.abs(),
            "cell `{cell}` vs JSON {v}"
        ),
        None => assert!(cell.is_empty(), "cell `{cell}` vs JSON {v}"),
    }
}

/// An interval end: the JSON number, or an infinity where JSON has `null`.
fn same_end(cell: &str, v: &Value, open: &str) {
    if v.is_null() {
        assert_eq!(cell, open, "open end");
    } else {
        same(cell, v);
    }
}

fn row<'a>(rows: &'a [HashMap<String, String>], quantity: &str) -> &'a HashMap<String, String> {
    rows.iter()
        .find(|r| r["quantity"] == quantity)
        .unwrap_or_else(|| panic!("no row `{quantity}` in {rows:?}"))
}

// --- CSV numbers ----------------------------------------------------------

#[test]
fn fit_csv_writes_tiny_p_values_in_exponent_form() {
    // z = 35.9: p = 1.4e-281, which `to_string` wrote as a 300-character decimal.
    let args = ["fit", "--data", KALIBR, "--family", "poisson"];
    let (_, rows) = csv(&args);
    let view = json(&args);
    let intercept = &rows[0];
    assert!(
        intercept["p_value"].contains('e'),
        "p-value written as {}",
        intercept["p_value"]
    );
    for (r, c) in rows.iter().zip(view["coefficients"].as_array().unwrap()) {
        for field in ["estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"] {
            same(&r[field], &c[field]);
        }
    }
}

#[test]
fn inspect_csv_writes_extreme_exposures_in_exponent_form() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(
        &dir,
        "tiny.csv",
        b"period,count,exposure\n2024-01,3,1e-30\n2024-02,4,2.5e30\n2024-03,5,0.25\n",
    );
    let (_, rows) = csv(&["inspect", "--data", &path]);
    let exposures: Vec<f64> = rows.iter().map(|r| number(&r["exposure"])).collect();
    assert_eq!(exposures, [1e-30, 2.5e30, 0.25]);
    assert_eq!(rows[2]["exposure"], "0.25");
    assert_eq!(rows[0]["y"], "3");
}

#[test]
fn forecast_csv_numbers_round_trip() {
    let args = [
        "forecast",
        "--dataset",
        "kn23_monthly",
        "--horizon",
        "2",
        "--draws",
        "500",
    ];
    let (_, rows) = csv(&args);
    let view = json(&args);
    for (r, f) in rows.iter().zip(view["forecasts"].as_array().unwrap()) {
        for field in ["mean", "mean_ci_low", "mean_ci_high", "median", "lower_95", "upper_95"] {
            same(&r[field], &f[field]);
        }
    }
}

// --- test --format csv ----------------------------------------------------

const TEST_HEADER: [&str; 15] = [
    "at",
    "family",
    "quantity",
    "unit",
    "estimate",
    "ci_low",
    "ci_high",
    "level",
    "ci_method",
    "std_error",
    "statistic",
    "df",
    "p_value",
    "p_value_increase",
    "method",
];

/// An interval row holds the JSON interval.
fn interval_row(r: &HashMap<String, String>, v: &Value) {
    same(&r["estimate"], &v["estimate"]);
    same_end(&r["ci_low"], &v["ci_low"], "-Inf");
    same_end(&r["ci_high"], &v["ci_high"], "Inf");
    same(&r["level"], &v["level"]);
    assert_eq!(r["ci_method"], v["ci_method"].as_str().unwrap());
}

#[test]
fn test_csv_has_one_row_per_quantity() {
    let args = ["test", "--family", "poisson"];
    let (header, rows) = csv(&args);
    let view = json(&args);
    assert_eq!(header, TEST_HEADER);
    let quantities: Vec<&str> = rows.iter().map(|r| r["quantity"].as_str()).collect();
    assert_eq!(
        quantities,
        [
            "rate_before",
            "rate_after",
            "rate_ratio",
            "rate_ratio_exact",
            "lr_test",
            "exact_test",
            "overdispersion"
        ]
    );
    for r in &rows {
        assert_eq!(r["at"], "2024-07");
        assert_eq!(r["family"], "poisson");
    }
    for q in ["rate_before", "rate_after", "rate_ratio", "rate_ratio_exact"] {
        interval_row(row(&rows, q), &view[q]);
    }
    assert_eq!(row(&rows, "rate_before")["unit"], "per unit exposure per month");
    assert_eq!(row(&rows, "rate_ratio")["unit"], "");
    let lr = row(&rows, "lr_test");
    same(&lr["statistic"], &view["lr_statistic"]);
    same(&lr["df"], &view["df"]);
    same(&lr["p_value"], &view["p_value"]);
    same(&lr["p_value_increase"], &view["p_value_increase"]);
    assert_eq!(lr["method"], view["p_value_method"].as_str().unwrap());
    assert_eq!(lr["estimate"], "");
    let exact = row(&rows, "exact_test");
    same(&exact["p_value"], &view["exact_p_value"]);
    same(&exact["p_value_increase"], &view["exact_p_value_increase"]);
    let od = row(&rows, "overdispersion");
    same(&od["statistic"], &view["overdispersion"]["statistic"]);
    same(&od["p_value"], &view["overdispersion"]["p_value"]);
}

#[test]
fn test_csv_of_a_bartlett_corrected_negbin_test() {
    let args = ["test", "--data", SHAHED, "--at", "2024-09", "--family", "negbin"];
    let (header, rows) = csv(&args);
    let view = json(&args);
    assert_eq!(header, TEST_HEADER);
    let quantities: Vec<&str> = rows.iter().map(|r| r["quantity"].as_str()).collect();
    assert_eq!(
        quantities,
        [
            "rate_before",
            "rate_after",
            "rate_ratio",
            "lr_test",
            "bartlett_factor",
            "lr_test_corrected",
            "rate_ratio_bartlett_factor"
        ]
    );
    interval_row(row(&rows, "rate_ratio"), &view["rate_ratio"]);
    assert_eq!(row(&rows, "rate_ratio")["ci_method"], "profile_bartlett");
    assert_eq!(row(&rows, "rate_before")["unit"], "per month");
    // The raw statistic with its own chi-square p; the corrected one with the reported p.
    let raw = row(&rows, "lr_test");
    same(&raw["statistic"], &view["lr_statistic"]);
    assert!(number(&raw["p_value"]) > 0.0 && number(&raw["p_value"]) < 1e-16);
    let corrected = row(&rows, "lr_test_corrected");
    same(&corrected["statistic"], &view["lr_statistic_corrected"]);
    same(&corrected["p_value"], &view["p_value"]);
    same(&corrected["p_value_increase"], &view["p_value_increase"]);
    assert_eq!(corrected["method"], view["p_value_method"].as_str().unwrap());
    let factor = row(&rows, "bartlett_factor");
    same(&factor["estimate"], &view["bartlett_factor"]["estimate"]);
    same(&factor["std_error"], &view["bartlett_factor"]["mc_std_error"]);
    assert!(factor["method"].contains("4000 series"), "{}", factor["method"]);
}

// --- detect --format csv --------------------------------------------------

const DETECT_HEADER: [&str; 21] = [
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

/// Each break row holds the JSON break.
fn break_rows(rows: &[HashMap<String, String>], view: &Value) {
    let breaks = view["breaks"].as_array().unwrap();
    assert_eq!(rows.len(), breaks.len(), "{rows:?}");
    for (r, b) in rows.iter().zip(breaks) {
        assert_eq!(r["period"], b["period"].as_str().unwrap());
        assert_eq!(r["ci_low"], b["ci_low"].as_str().unwrap_or(""));
        assert_eq!(r["ci_high"], b["ci_high"].as_str().unwrap_or(""));
        let set: Vec<&str> = b["set"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        assert_eq!(r["set"], set.join(" "));
        for q in ["rate_before", "rate_after", "rate_ratio", "slope_ratio"] {
            if b[q].is_null() {
                for c in [q.to_string(), format!("{q}_ci_low"), format!("{q}_ci_high")] {
                    assert_eq!(r[&c], "", "{c}");
                }
                continue;
            }
            match b[q]["estimate_bound"].as_str() {
                Some("+infinity") => assert_eq!(r[q], "Inf"),
                _ => same(&r[q], &b[q]["estimate"]),
            }
            same_end(&r[&format!("{q}_ci_low")], &b[q]["ci_low"], "-Inf");
            same_end(&r[&format!("{q}_ci_high")], &b[q]["ci_high"], "Inf");
        }
        same(&r["level"], &b["rate_before"]["level"]);
        assert_eq!(r["unit"], "per unit exposure per month");
    }
}

#[test]
fn detect_csv_of_one_break_has_its_test() {
    let args = [
        "detect",
        "--dataset",
        "kn23_monthly",
        "--family",
        "poisson",
        "--bootstrap",
        "19",
    ];
    let (header, rows) = csv(&args);
    let view = json(&args);
    assert_eq!(header, DETECT_HEADER);
    break_rows(&rows, &view);
    same(&rows[0]["sup_lr"], &view["sup_lr"]);
    same(&rows[0]["p_value"], &view["p_value"]);
    assert_eq!(rows[0]["p_value_method"], view["p_value_method"].as_str().unwrap());
}

#[test]
fn detect_csv_of_several_breaks_has_one_row_per_break() {
    let args = [
        "detect",
        "--dataset",
        "kn23_monthly",
        "--family",
        "poisson",
        "--max-breaks",
        "3",
    ];
    let (header, rows) = csv(&args);
    let view = json(&args);
    assert_eq!(header, DETECT_HEADER);
    assert_eq!(rows.len(), 3);
    break_rows(&rows, &view);
    // The first segment has no events: its rate ratio lies at infinity.
    assert_eq!(rows[0]["rate_before"], "0");
    assert_eq!(rows[0]["rate_ratio"], "Inf");
    assert_eq!(rows[0]["rate_ratio_ci_high"], "Inf");
    for r in &rows {
        assert_eq!(r["sup_lr"], "");
        assert_eq!(r["p_value"], "");
    }
}

#[test]
fn detect_csv_with_no_break_is_a_header() {
    let args = [
        "detect",
        "--dataset",
        "kn23_monthly",
        "--family",
        "poisson",
        "--method",
        "pelt",
        "--penalty",
        "5000",
    ];
    let (header, rows) = csv(&args);
    assert_eq!(header, DETECT_HEADER);
    assert!(rows.is_empty());
}

#[test]
fn fit_csv_writes_estimates_and_ends_at_infinity_as_inf() {
    // No event before the step: the intercept lies at -infinity, the step at +infinity.
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(
        &dir,
        "zeros.csv",
        b"period,count\n2024-01,0\n2024-02,0\n2024-03,0\n2024-04,5\n2024-05,6\n2024-06,7\n",
    );
    let args = ["fit", "--data", &path, "--family", "poisson", "--terms", "step@2024-04"];
    let (_, rows) = csv(&args);
    let view = json(&args);
    assert_eq!(
        (rows[0]["estimate"].as_str(), rows[0]["ci_low"].as_str()),
        ("-Inf", "-Inf")
    );
    assert_eq!(
        (rows[1]["estimate"].as_str(), rows[1]["ci_high"].as_str()),
        ("Inf", "Inf")
    );
    same(&rows[0]["ci_high"], &view["coefficients"][0]["ci_high"]);
    same(&rows[1]["ci_low"], &view["coefficients"][1]["ci_low"]);
    assert_eq!(rows[0]["std_error"], "");
}

// --- counted nouns --------------------------------------------------------

/// 12 months near 5 and 12 near 50: one clear break, at 2025-01.
const ONE_BREAK: &[u8] = b"period,count\n2024-01,4\n2024-02,6\n2024-03,5\n2024-04,3\n2024-05,7\n2024-06,5\n2024-07,4\n2024-08,6\n2024-09,5\n2024-10,5\n2024-11,4\n2024-12,6\n2025-01,48\n2025-02,52\n2025-03,50\n2025-04,47\n2025-05,55\n2025-06,50\n2025-07,45\n2025-08,53\n2025-09,49\n2025-10,51\n2025-11,50\n2025-12,46\n";

/// No "1 breaks", "1 missing periods", ...: a count of one takes the singular.
fn no_plural_after_one(text: &str) {
    let plural = regex::Regex::new(
        r"\b1 (breaks|observations|months|periods|missing periods|replicates|iterations|draws|origins|dates|rows)\b",
    )
    .unwrap();
    assert!(!plural.is_match(text), "a plural after 1:\n{text}");
}

#[test]
fn a_count_of_one_takes_the_singular() {
    let dir = tempfile::tempdir().unwrap();
    let one_break = temp_file(&dir, "one_break.csv", ONE_BREAK);
    // The same series with 2024-05 missing.
    let gap: Vec<&[u8]> = ONE_BREAK
        .split(|&b| b == b'\n')
        .filter(|line| !line.starts_with(b"2024-05"))
        .collect();
    let gap = temp_file(&dir, "gap.csv", &gap.join(&b'\n'));
    let values = temp_file(
        &dir,
        "values.csv",
        b"period,value\n2024-01,1.5\n2024-02,2.5\n2024-03,2\n2024-04,3\n",
    );
    let dp = ok(&[
        "detect",
        "--data",
        &one_break,
        "--family",
        "poisson",
        "--max-breaks",
        "3",
    ]);
    assert!(dp.contains("chosen by bic: 1 break\n"), "{dp}");
    let pelt = ok(&[
        "detect", "--data", &one_break, "--family", "poisson", "--method", "pelt",
    ]);
    assert!(pelt.contains("per break: 1 break\n"), "{pelt}");
    let single = ok(&[
        "detect",
        "--data",
        &one_break,
        "--family",
        "poisson",
        "--min-segment",
        "1",
        "--bootstrap",
        "1",
    ]);
    assert!(single.contains("segments of at least 1 observation)"), "{single}");
    assert!(single.contains("1 replicate)"), "{single}");
    let fit = ok(&["fit", "--data", &gap, "--family", "poisson"]);
    assert!(fit.contains("23 observations (1 missing period)"), "{fit}");
    let gaussian = ok(&["fit", "--data", &values]);
    let inspect = ok(&["inspect", "--data", &gap]);
    assert!(inspect.contains("1 missing period,"), "{inspect}");
    let forecast = ok(&[
        "forecast",
        "--data",
        &one_break,
        "--family",
        "poisson",
        "--horizon",
        "1",
        "--draws",
        "100",
    ]);
    assert!(forecast.contains("over the next 1 month ("), "{forecast}");
    let log = temp_file(
        &dir,
        "log.csv",
        b"time_start,model,launched\n2024-02-15 3:30,Iskander-M/KN-23,4.0\n",
    );
    let aggregate = countshift(&["aggregate", &log, "--model", "Iskander-M/KN-23"]);
    assert_eq!(aggregate.code, 0, "{}", aggregate.stderr);
    assert!(aggregate.stderr.contains("read 1 row;"), "{}", aggregate.stderr);
    assert!(aggregate.stderr.contains("wrote 1 period,"), "{}", aggregate.stderr);
    for text in [
        &dp,
        &pelt,
        &single,
        &fit,
        &gaussian,
        &inspect,
        &forecast,
        &aggregate.stderr,
    ] {
        no_plural_after_one(text);
    }
}

// --- interval digits ------------------------------------------------------

/// `a [b, c]` texts in `text`: no two of the three are the same text unless
/// all are (a point interval).
fn intervals_are_distinguishable(text: &str) {
    let interval = regex::Regex::new(r"([-+]?[0-9.e+-]+%?) \[([-+]?[0-9.e+-]+%?), ([-+]?[0-9.e+-]+%?)\]").unwrap();
    for c in interval.captures_iter(text) {
        let (est, low, high) = (&c[1], &c[2], &c[3]);
        assert!(
            est != low && est != high && low != high,
            "`{}` does not tell its numbers apart:\n{text}",
            &c[0]
        );
    }
}

#[test]
fn interval_digits_tell_the_ends_apart() {
    // Drones under Poisson: the trend's rate ratio is 1.0998 [1.0990, 1.1006],
    // printed as "1.1 [1.1, 1.1]".
    let drones = ok(&["fit", "--data", SHAHED, "--family", "poisson"]);
    assert!(drones.contains("1.100 [1.099, 1.101]"), "{drones}");
    intervals_are_distinguishable(&drones);
    // A million a month growing 10% a month: every interval is narrow.
    let big: String = std::iter::once("period,count".to_owned())
        .chain((0..24).map(|t| {
            let y = 1e6 * 1.1f64.powi(t) * (1.0 + 0.001 * f64::from(t).sin());
            format!("{}-{:02},{}", 2020 + t / 12, t % 12 + 1, y.round())
        }))
        .collect::<Vec<_>>()
        .join("\n");
    let dir = tempfile::tempdir().unwrap();
    let big = temp_file(&dir, "big.csv", big.as_bytes());
    let fit = ok(&["fit", "--data", &big, "--family", "poisson"]);
    intervals_are_distinguishable(&fit);
    let test = ok(&["test", "--data", &big, "--family", "poisson", "--at", "2021-01"]);
    intervals_are_distinguishable(&test);
    // Wide intervals keep three significant figures.
    let reported = ok(&["test", "--family", "poisson"]);
    assert!(reported.contains("rate ratio   9.57 [4.91, 21.5]"), "{reported}");
}

// --- the series plot ------------------------------------------------------

const BREAK_COLOUR: &str = "#D62728";
const KNOWN_COLOUR: &str = "#FF7F0E";

/// Vertical polylines of `colour` in the plot area (the legend's are
/// horizontal): x, y from, y to (pixels, y down) and stroke width.
fn vertical_lines(doc: &roxmltree::Document, colour: &str) -> Vec<(i64, i64, i64, f64)> {
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(colour))
        .filter_map(|n| {
            let points: Vec<(i64, i64)> = n
                .attribute("points")?
                .split_whitespace()
                .map(|p| {
                    let (x, y) = p.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect();
            let x = points[0].0;
            let vertical = points.len() >= 2 && points.iter().all(|p| p.0 == x);
            let (top, bottom) = (points.iter().map(|p| p.1).min()?, points.iter().map(|p| p.1).max()?);
            let width: f64 = n.attribute("stroke-width").unwrap_or("1").parse().unwrap();
            vertical.then_some((x, top, bottom, width))
        })
        .collect()
}

#[test]
fn series_plot_shows_a_detected_break_on_the_known_date() {
    // kn23_monthly: detect finds 2024-08; the known date is set to the same month.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let out_text = out.to_str().unwrap();
    ok(&[
        "report",
        "--dataset",
        "kn23_monthly",
        "--at",
        "2024-08",
        "--bootstrap",
        "0",
        "--draws",
        "200",
        "--out",
        out_text,
    ]);
    let svg = std::fs::read_to_string(out.join("series.svg")).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let detected = vertical_lines(&doc, BREAK_COLOUR);
    let known = vertical_lines(&doc, KNOWN_COLOUR);
    assert_eq!(detected.len(), 1, "{detected:?}");
    let (x, top, bottom, width) = detected[0];
    let on_it: Vec<_> = known.iter().filter(|k| k.0 == x).collect();
    assert!(
        !on_it.is_empty(),
        "the known date is not on the break: {known:?} vs {detected:?}"
    );
    // Visible: wider than the known-date line, or not covered by it everywhere.
    let covered: i64 = on_it
        .iter()
        .map(|k| k.2.min(bottom) - k.1.max(top))
        .filter(|&d| d > 0)
        .sum();
    let wider = on_it.iter().all(|k| width > k.3);
    assert!(
        wider || covered < bottom - top,
        "the known-date line hides the detected break: {on_it:?} over {:?}",
        detected[0]
    );
    // And the legend says that they coincide.
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("known date 2024-08") && t.contains("detected break")),
        "{texts:?}"
    );
}

// --- theta at its cap -----------------------------------------------------

#[test]
fn theta_at_its_cap_has_no_standard_error() {
    // Under-dispersed counts: theta runs to its cap of 1e8, where the
    // log-likelihood is flat and a curvature-based standard error (1e11) means nothing.
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(
        &dir,
        "flat.csv",
        b"period,count\n2024-01,10\n2024-02,11\n2024-03,9\n2024-04,10\n2024-05,10\n2024-06,11\n2024-07,9\n2024-08,10\n2024-09,10\n2024-10,10\n",
    );
    let args = ["fit", "--data", &path, "--family", "negbin"];
    let view = json(&args);
    assert_eq!(view["theta"].as_f64(), Some(1e8));
    assert!(
        view.as_object().unwrap().contains_key("theta_std_error") && view["theta_std_error"].is_null(),
        "theta_std_error: {}",
        view["theta_std_error"]
    );
    let notes: Vec<&str> = view["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(notes.iter().any(|n| n.contains("standard error")), "{notes:?}");
    let table = ok(&args);
    assert!(table.contains("(se -)"), "{table}");
    // Below the cap theta keeps its standard error.
    let view = json(&["fit", "--data", SHAHED, "--family", "negbin"]);
    assert!(view["theta_std_error"].as_f64().is_some_and(|s| s > 0.0 && s < 10.0));
    // Poisson has no theta field at all.
    let view = json(&["fit", "--data", SHAHED, "--family", "poisson"]);
    assert!(!view.as_object().unwrap().contains_key("theta_std_error"));
}

// --- the dates searched ---------------------------------------------------

#[test]
fn detect_says_which_dates_it_searched() {
    // 36 months, default trimming 15%: 5 observations on each side, so a
    // break in the first or last five months cannot be found.
    let args = [
        "detect",
        "--dataset",
        "kn23_monthly",
        "--family",
        "poisson",
        "--bootstrap",
        "0",
    ];
    let view = json(&args);
    let profile = view["profile"].as_array().unwrap();
    assert_eq!(view["searched_from"], profile[0]["period"]);
    assert_eq!(view["searched_to"], profile[profile.len() - 1]["period"]);
    assert_eq!(view["searched_from"], "2023-06");
    assert_eq!(view["searched_to"], "2025-08");
    let table = ok(&args);
    assert!(
        table.contains(
            "  searched     2023-06..2025-08 (27 dates; --min-segment 5: at least 5 observations on each side)\n"
        ),
        "{table}"
    );
    let wider = ok(&[
        "detect",
        "--dataset",
        "kn23_monthly",
        "--family",
        "poisson",
        "--bootstrap",
        "0",
        "--min-segment",
        "1",
    ]);
    assert!(
        wider.contains(
            "  searched     2023-02..2025-12 (35 dates; --min-segment 1: at least 1 observation on each side)\n"
        ),
        "{wider}"
    );
}

#[test]
fn tiny_p_values_read_p_below_not_p_equals_below() {
    // "p = <1e-16" said two things at once; it reads "p < 1e-16".
    let test = ok(&["test", "--data", SHAHED, "--at", "2024-09", "--family", "poisson"]);
    let detect = ok(&["detect", "--data", SHAHED, "--family", "poisson", "--bootstrap", "0"]);
    for text in [&test, &detect] {
        assert!(!text.contains("= <"), "{text}");
        assert!(text.contains("p < 1e-16"), "{text}");
    }
    assert!(
        test.contains("LR test      96297 on 1 df, p < 1e-16 (two-sided), p < 1e-16 (increase)"),
        "{test}"
    );
}

// --- docs/output.md -------------------------------------------------------

#[test]
fn docs_output_shows_the_csv_headers_and_defines_the_rates() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/output.md")).unwrap();
    assert!(docs.contains(&format!("\n{}\n", TEST_HEADER.join(","))), "test header");
    assert!(
        docs.contains(&format!("\n{}\n", DETECT_HEADER.join(","))),
        "detect header"
    );
    let table = ok(&[
        "detect",
        "--dataset",
        "kn23_monthly",
        "--family",
        "poisson",
        "--bootstrap",
        "0",
    ]);
    let searched = table.lines().find(|l| l.starts_with("  searched ")).unwrap();
    assert!(docs.contains(searched), "{searched}");
    assert!(docs.contains("## `rate_before` and `rate_after`"));
    // The worked example: Kalibr with a trend and a step at 2023-10.
    let t = json(&[
        "test", "--data", KALIBR, "--family", "poisson", "--terms", "trend", "--at", "2023-10",
    ]);
    let before = t["rate_before"]["estimate"].as_f64().unwrap();
    let after = t["rate_after"]["estimate"].as_f64().unwrap();
    let ratio = t["rate_ratio"]["estimate"].as_f64().unwrap();
    for (value, text) in [
        (before, "32.2"),
        (after, "2.77"),
        (after / before, "0.0862"),
        (ratio, "0.0808"),
    ] {
        let shown: f64 = text.parse().unwrap();
        assert!(
            docs.contains(text) && (shown / value - 1.0).abs() < 0.002,
            "{text} vs {value}"
        );
    }
}

/// `datasets --format csv` is CSV (it printed the table): a row per
/// embedded dataset, the JSON's fields.
#[test]
fn datasets_csv_has_one_row_per_dataset() {
    let (header, rows) = csv(&["datasets"]);
    assert_eq!(
        header,
        [
            "dataset",
            "default",
            "frequency",
            "first",
            "last",
            "observations",
            "description"
        ]
    );
    let v = json(&["datasets"]);
    let listed = v["datasets"].as_array().unwrap();
    assert_eq!(rows.len(), listed.len());
    for (r, d) in rows.iter().zip(listed) {
        assert_eq!(r["dataset"], d["name"].as_str().unwrap());
        assert_eq!(r["observations"], d["n_obs"].to_string());
    }
    assert_eq!(rows.iter().filter(|r| r["default"] == "true").count(), 1);
}
