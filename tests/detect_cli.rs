//! `detect` through the real binary: JSON fields, reproducibility across
//! thread counts, and the failure modes.

mod common;
use common::{countshift, stdout_with_threads, temp_file};
use serde::Deserialize;

#[derive(Deserialize)]
struct Break {
    period: String,
    ci_low: Option<String>,
    ci_high: Option<String>,
    set: Vec<String>,
}

#[derive(Deserialize)]
struct ProfilePoint {
    period: String,
    loglik: f64,
}

#[derive(Deserialize)]
struct PosteriorPoint {
    probability: f64,
}

#[derive(Deserialize)]
struct Detect {
    schema_version: u32,
    breaks: Vec<Break>,
    sup_lr: Option<f64>,
    p_value: Option<f64>,
    p_value_method: Option<String>,
    profile: Vec<ProfilePoint>,
    posterior: Vec<PosteriorPoint>,
}

fn detect_json(args: &[&str]) -> (Detect, String) {
    let mut all = vec!["detect", "--format", "json"];
    all.extend_from_slice(args);
    let run = countshift(&all);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (serde_json::from_str(&run.stdout).unwrap(), run.stdout)
}

#[test]
fn the_monthly_share_breaks_in_august_2024() {
    let (d, _) = detect_json(&[
        "--dataset",
        "kn23_monthly",
        "--family",
        "poisson",
        "--min-segment",
        "3",
        "--bootstrap",
        "199",
    ]);
    assert_eq!(d.schema_version, 1);
    assert_eq!(d.breaks[0].period, "2024-08");
    assert!(d.breaks[0].set.contains(&"2024-08".to_owned()));
    assert_eq!(
        d.breaks[0].ci_low.as_deref(),
        d.breaks[0].set.first().map(String::as_str)
    );
    assert_eq!(
        d.breaks[0].ci_high.as_deref(),
        d.breaks[0].set.last().map(String::as_str)
    );
    assert!((d.sup_lr.unwrap() - 495.757_698_757_912_75).abs() < 1e-6);
    assert_eq!(d.p_value, Some(1.0 / 200.0));
    assert!(d.p_value_method.unwrap().contains("bootstrap"));
    assert_eq!(d.profile.len(), 31);
    assert_eq!(d.profile[0].period, "2023-04");
    assert!(d.profile.iter().all(|p| p.loglik.is_finite()));
    let total: f64 = d.posterior.iter().map(|p| p.probability).sum();
    assert!((total - 1.0).abs() < 1e-12);
}

#[test]
fn the_same_seed_gives_identical_json_whatever_the_thread_count() {
    let args = [
        "detect",
        "--dataset",
        "kn23_monthly",
        "--bootstrap",
        "99",
        "--seed",
        "5",
        "--format",
        "json",
    ];
    let run = |threads: &str| stdout_with_threads(&args, threads);
    let one = run("1");
    assert_eq!(one, run("2"));
    assert_eq!(one, run("3"));
    // With a trend held common the scan refits per date; same guarantee.
    let args = [
        "detect",
        "--dataset",
        "kn23_monthly",
        "--terms",
        "trend",
        "--bootstrap",
        "19",
        "--format",
        "json",
    ];
    assert_eq!(stdout_with_threads(&args, "1"), stdout_with_threads(&args, "2"));
}

#[test]
fn several_breaks_by_dp_and_pelt_agree_on_the_monthly_series() {
    let (dp, _) = detect_json(&[
        "--dataset",
        "kn23_monthly",
        "--family",
        "poisson",
        "--max-breaks",
        "3",
        "--min-segment",
        "5",
    ]);
    let (pelt, _) = detect_json(&[
        "--dataset",
        "kn23_monthly",
        "--family",
        "poisson",
        "--max-breaks",
        "3",
        "--method",
        "pelt",
        "--penalty",
        "bic",
        "--min-segment",
        "5",
    ]);
    let dates = |d: &Detect| d.breaks.iter().map(|b| b.period.clone()).collect::<Vec<_>>();
    assert_eq!(dates(&dp), ["2024-02", "2024-08", "2025-02"]);
    assert!(!dates(&pelt).is_empty());
}

/// PELT's default minimum segment is 2: a 15% trimming would forbid the
/// many breaks PELT is for, and its delayed pruning would make it quadratic
/// (a 40,000-row series took 12 s with it, 0.2 s without).
#[test]
fn pelt_defaults_to_segments_of_two_and_finds_many_breaks() {
    let mut text = String::from("period,count\n");
    for t in 0..6000 {
        let level = [2, 12][(t / 300) % 2];
        text += &format!("{},{}\n", t + 1, level + t % 3);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "long.csv", text.as_bytes());
    let run = countshift(&["detect", "--data", &path, "--method", "pelt", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["min_segment"], 2);
    let breaks: Vec<i64> = v["breaks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["period"].as_str().unwrap().parse().unwrap())
        .collect();
    let truth: Vec<i64> = (1..20).map(|k| 300 * k + 1).collect();
    assert_eq!(breaks, truth);
}

#[test]
fn failure_modes_are_clear_errors_or_correct_answers() {
    let dir = tempfile::tempdir().unwrap();
    let zeros: String = std::iter::once("period,count".to_owned())
        .chain((1..=24).map(|i| format!("{i},0")))
        .collect::<Vec<_>>()
        .join("\n");
    let zeros = temp_file(&dir, "zeros.csv", zeros.as_bytes());
    let (d, text) = detect_json(&["--data", &zeros, "--bootstrap", "19"]);
    assert!(!text.contains("NaN") && !text.contains("e+"), "{text}");
    assert_eq!(d.sup_lr, Some(0.0));
    assert_eq!(d.p_value, Some(1.0));
    let constant: String = std::iter::once("period,value".to_owned())
        .chain((1..=24).map(|i| format!("{i},5")))
        .collect::<Vec<_>>()
        .join("\n");
    let constant = temp_file(&dir, "constant.csv", constant.as_bytes());
    for (args, expected) in [
        (vec!["--data", constant.as_str(), "--family", "gaussian"], "is constant"),
        (
            vec!["--dataset", "kn23_monthly", "--min-segment", "20"],
            "too few for two segments",
        ),
        (
            vec!["--dataset", "kn23_monthly", "--max-breaks", "9", "--min-segment", "5"],
            "lower --max-breaks",
        ),
        (
            vec!["--dataset", "kn23_monthly", "--max-breaks", "0"],
            "0 is not in 1..=1000",
        ),
        (
            vec![
                "--dataset",
                "kn23_monthly",
                "--method",
                "pelt",
                "--max-breaks",
                "2",
                "--penalty",
                "lots",
            ],
            "'lots' for '--penalty <PENALTY>'",
        ),
        (
            vec!["--dataset", "kn23_monthly", "--max-breaks", "2", "--terms", "trend"],
            "level-only model",
        ),
    ] {
        let mut all = vec!["detect"];
        all.extend(args.iter().copied());
        let run = countshift(&all);
        assert_eq!(run.code, 2, "{all:?}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{all:?}: {}", run.stderr);
    }
}

/// Regression: a missing period was never a candidate date, so the
/// "uniform prior on the date" was uniform over observations. Now a gap is
/// one candidate range weighted by its periods, which reproduces the exact
/// posterior over every period (computed here directly), and `test --at`
/// inside the gap says it answers for the range.
#[test]
fn a_gap_of_missing_years_is_one_candidate_range_with_the_exact_posterior() {
    let coal = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference/data/coal.csv")).unwrap();
    let masked: String = coal
        .lines()
        .filter(|l| !l.starts_with("1889,") && !l.starts_with("1890,"))
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = common::temp_file(&dir, "coal_gap.csv", masked.as_bytes());
    let run = countshift(&[
        "detect",
        "--data",
        &file,
        "--family",
        "poisson",
        "--min-segment",
        "1",
        "--prior-shape",
        "1",
        "--prior-rate",
        "1",
        "--bootstrap",
        "0",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let d: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    // Exact posterior with Gamma(1, 1) rate priors and a uniform prior on
    // every year from the second observed year on.
    let rows: Vec<(i64, f64)> = masked
        .lines()
        .skip(1)
        .map(|l| {
            let (y, c) = l.split_once(',').unwrap();
            (y.parse().unwrap(), c.parse().unwrap())
        })
        .collect();
    let log_marginal = |seg: &[&(i64, f64)]| {
        let total: f64 = seg.iter().map(|r| r.1).sum();
        statrs::function::gamma::ln_gamma(1.0 + total) - (1.0 + total) * (1.0 + seg.len() as f64).ln()
    };
    let taus: Vec<i64> = (rows[0].0 + 1..=rows.last().unwrap().0).collect();
    let logs: Vec<f64> = taus
        .iter()
        .map(|&tau| {
            let before: Vec<&(i64, f64)> = rows.iter().filter(|r| r.0 < tau).collect();
            let after: Vec<&(i64, f64)> = rows.iter().filter(|r| r.0 >= tau).collect();
            log_marginal(&before) + log_marginal(&after)
        })
        .collect();
    let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let z: f64 = logs.iter().map(|l| (l - top).exp()).sum();
    let exact = |from: i64, to: i64| -> f64 {
        taus.iter()
            .zip(&logs)
            .filter(|(t, _)| (from..=to).contains(*t))
            .map(|(_, l)| (l - top).exp() / z)
            .sum()
    };
    let posterior = d["posterior"].as_array().unwrap();
    let gap = posterior.iter().find(|p| p["period_to"] == "1891").unwrap();
    assert_eq!(gap["period_from"], "1889");
    assert_eq!(
        posterior.len(),
        rows.len() - 1,
        "one candidate per observation boundary"
    );
    for p in posterior {
        let from: i64 = p["period_from"].as_str().unwrap().parse().unwrap();
        let to: i64 = p["period_to"].as_str().unwrap().parse().unwrap();
        let want = exact(from, to);
        assert!(
            (p["probability"].as_f64().unwrap() - want).abs() < 1e-9,
            "{p} vs {want}"
        );
    }
    let t = countshift(&["test", "--data", &file, "--family", "poisson", "--at", "1890"]);
    assert_eq!(t.code, 0, "{}", t.stderr);
    assert!(t.stdout.contains("every date from 1889 to 1891"), "{}", t.stdout);
}

/// Several breaks, Poisson: the exact posterior over segmentations rides
/// with the DP search (issue 20, step 3): P(K = k) over 0..K sums to one,
/// a break probability per candidate date, and the rate's mean inside its
/// 95% band for every month.
#[test]
fn several_poisson_breaks_carry_the_exact_posterior() {
    let args = [
        "detect",
        "--dataset",
        "kn23_monthly",
        "--max-breaks",
        "3",
        "--family",
        "poisson",
    ];
    let run = countshift(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let number = v["number_posterior"].as_array().unwrap();
    assert_eq!(number.len(), 4);
    let total: f64 = number.iter().map(|p| p["probability"].as_f64().unwrap()).sum();
    assert!((total - 1.0).abs() < 1e-12, "{total}");
    let rates = v["posterior_rate"].as_array().unwrap();
    assert_eq!(v["break_probability"].as_array().unwrap().len(), rates.len() - 1);
    for r in rates {
        let (low, mean, high) = (
            r["low"].as_f64().unwrap(),
            r["mean"].as_f64().unwrap(),
            r["high"].as_f64().unwrap(),
        );
        assert!(low <= mean && mean <= high, "{r}");
    }
    assert!(v["segmentation_prior"].as_str().unwrap().contains("Fearnhead 2006"));
    let table = countshift(&args);
    // The lines docs/segmentation-posterior.md shows.
    assert!(
        table
            .stdout
            .contains("  P(K = k): 0 0.000, 1 0.000, 2 0.044, 3 0.956\n"),
        "{}",
        table.stdout
    );
    assert!(
        table
            .stdout
            .contains("  P(break) >= 0.1 at: 2024-02 0.77, 2024-08 1.00, 2025-01 0.13, 2025-02 0.86\n  most of the posterior is at the most breaks allowed (3): a larger --max-breaks may find more\n"),
        "{}",
        table.stdout
    );
}

/// Several breaks: the sequential tests of l against l + 1 breaks (issue
/// 20, step 1). Their first statistic is the one-break sup-LR; `--select
/// sequential` keeps the number they choose; without replicates it is a
/// usage error.
#[test]
fn several_breaks_are_counted_by_sequential_tests() {
    let args = [
        "detect",
        "--dataset",
        "kn23_monthly",
        "--family",
        "poisson",
        "--min-segment",
        "5",
        "--bootstrap",
        "199",
        "--format",
        "json",
    ];
    let run = |extra: &[&str]| -> serde_json::Value {
        let r = countshift(&[&args[..], extra].concat());
        assert_eq!(r.code, 0, "{}", r.stderr);
        serde_json::from_str(&r.stdout).unwrap()
    };
    let bic = run(&["--max-breaks", "3"]);
    let tests = bic["number_tests"].as_array().unwrap();
    assert_eq!(tests.len(), 3);
    for (l, t) in tests.iter().enumerate() {
        assert_eq!(t["breaks_null"].as_u64().unwrap(), l as u64);
        let p = t["p_value"].as_f64().unwrap();
        let exceedances = t["exceedances"].as_f64().unwrap();
        assert!((p - (1.0 + exceedances) / 200.0).abs() < 1e-15, "{t}");
    }
    let single = run(&["--max-breaks", "1"]);
    let (first, sup) = (
        tests[0]["statistic"].as_f64().unwrap(),
        single["sup_lr"].as_f64().unwrap(),
    );
    assert!((first - sup).abs() < 1e-9 * sup, "{first} vs {sup}");

    let sequential = run(&["--max-breaks", "3", "--select", "sequential"]);
    assert_eq!(sequential["selected_by"], "sequential");
    let chosen = sequential["number_chosen_by_tests"].as_u64().unwrap() as usize;
    assert_eq!(sequential["breaks"].as_array().unwrap().len(), chosen);
    assert_eq!(sequential["number_tests"], bic["number_tests"]);

    let none = countshift(&[
        "detect",
        "--dataset",
        "kn23_monthly",
        "--max-breaks",
        "3",
        "--select",
        "sequential",
        "--bootstrap",
        "0",
    ]);
    assert_eq!(none.code, 2);
    assert!(
        none.stderr.contains("--select sequential needs bootstrap replicates"),
        "{}",
        none.stderr
    );

    // The line docs/several-breaks.md shows (auto family: negbin).
    let table = countshift(&["detect", "--dataset", "kn23_monthly", "--max-breaks", "3"]);
    let line = "sequential tests (sup-LR(l + 1 | l), 999 bootstrap replicates): UDmax (0 vs up to 3): p = 0.001; 0 vs 1: p = 0.001, 1 vs 2: p = 0.004, 2 vs 3: p = 0.123; at 0.05: 2 breaks\n";
    assert!(table.stdout.contains(line), "{}", table.stdout);
}

/// Each of several breaks gets its date set (ends and members) and a rate
/// ratio whose interval is the union over that set; the sets do not depend
/// on the thread count; the table shows them as docs/several-breaks.md does.
#[test]
fn each_of_several_breaks_gets_a_date_set_and_a_ratio_over_it() {
    let args = [
        "detect",
        "--dataset",
        "kn23_monthly",
        "--max-breaks",
        "3",
        "--family",
        "poisson",
        "--format",
        "json",
    ];
    let one = stdout_with_threads(&args, "1");
    assert_eq!(one, stdout_with_threads(&args, "2"));
    let v: serde_json::Value = serde_json::from_slice(&one).unwrap();
    assert!(
        v["set_method"]
            .as_str()
            .unwrap()
            .starts_with("local: each break dated in the window")
    );
    let (segments, breaks) = (v["segments"].as_array().unwrap(), v["breaks"].as_array().unwrap());
    assert_eq!(breaks.len(), 3);
    for (j, b) in breaks.iter().enumerate() {
        let set: Vec<&str> = b["set"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        let period = b["period"].as_str().unwrap();
        assert!(set.contains(&period), "{b}");
        assert!(b["ci_low"].as_str().unwrap() <= set[0] && b["ci_high"].as_str().unwrap() == *set.last().unwrap());
        // The set lies between the neighbouring breaks.
        assert!(set[0] > segments[j]["start"].as_str().unwrap());
        assert!(*set.last().unwrap() <= segments[j + 1]["end"].as_str().unwrap());
        assert_eq!(b["rate_ratio"]["ci_method"], "union_over_date_set", "{b}");
    }
    let table = countshift(&[
        "detect",
        "--dataset",
        "kn23_monthly",
        "--max-breaks",
        "3",
        "--family",
        "poisson",
    ]);
    for line in [
        "2024-02  2023-11..2024-02                       ∞ [1.37, ∞]\n",
        "2024-08           2024-08                  9.46 [4.6, 22.6]\n",
        "2025-02  2025-01..2025-02                 2.38 [1.87, 3.14]\n",
        // Every test rejects, up to the third break.
        "every test rejects up to the most breaks searched: a larger --max-breaks may find more\n",
    ] {
        assert!(table.stdout.contains(line), "{line}in\n{}", table.stdout);
    }
    // Without replicates there are no sets, and the table says why.
    let none = countshift(&[&args[..7], &["--bootstrap", "0"]].concat());
    assert!(
        none.stdout.contains("date sets not computed: --bootstrap 0\n"),
        "{}",
        none.stdout
    );
}

/// The figures docs/several-breaks.md gives for the NB drone series: the
/// sequential tests hold theta, so their first statistic is not the
/// single-break sup-LR, which re-estimates it at every date.
#[test]
fn negbin_number_tests_hold_theta_unlike_the_single_break_scan() {
    let data = ["--data", "tests/reference/data/real/shahed.csv", "--format", "json"];
    let value = |extra: &[&str], pick: fn(&serde_json::Value) -> f64| {
        let r = countshift(&[&["detect"][..], &data, extra].concat());
        assert_eq!(r.code, 0, "{}", r.stderr);
        pick(&serde_json::from_str(&r.stdout).unwrap())
    };
    let single = value(&[], |v| v["sup_lr"].as_f64().unwrap());
    let first = value(&["--max-breaks", "3"], |v| {
        v["number_tests"][0]["statistic"].as_f64().unwrap()
    });
    assert_eq!(format!("{single:.1} {first:.1}"), "80.8 43.1");
}

/// The Gaussian posterior over segmentations on the Nile, as
/// docs/segmentation-posterior.md quotes it.
#[test]
fn the_gaussian_posterior_over_segmentations_is_reported() {
    let r = countshift(&[
        "detect",
        "--data",
        "tests/reference/data/nile.csv",
        "--family",
        "gaussian",
        "--max-breaks",
        "3",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for line in [
        "exact posterior (each segment's mean and variance normal-inverse-gamma",
        "  P(K = k): 0 0.000, 1 0.646, 2 0.241, 3 0.113\n",
        "  P(break) >= 0.1 at: 1898 0.12, 1899 0.73\n",
    ] {
        assert!(r.stdout.contains(line), "{line} in\n{}", r.stdout);
    }
}

/// `--kind both`: the profile at a date is the model of `test --at` that
/// date with `--slope`, so their likelihood ratios agree; `--kind slope`
/// reports a slope ratio and no rate ratio; several slope changes are a
/// usage error.
#[test]
fn a_slope_change_is_dated_and_agrees_with_the_known_date_test() {
    let data = format!(
        "{}/tests/reference/data/sim_slope_poisson_120.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let base = [
        "--data",
        data.as_str(),
        "--family",
        "poisson",
        "--terms",
        "trend",
        "--bootstrap",
        "0",
    ];
    let (both, _) = detect_json(&[&base[..], &["--kind", "both"]].concat());
    let (_, slope_text) = detect_json(&[&base[..], &["--kind", "slope"]].concat());
    let slope: serde_json::Value = serde_json::from_str(&slope_text).unwrap();
    assert_eq!(slope["kind"], "slope");
    assert!(slope["breaks"][0]["rate_ratio"].is_null());
    assert!(slope["breaks"][0]["slope_ratio"]["estimate"].as_f64().unwrap() > 1.0);
    let null_loglik = slope["null_loglik"].as_f64().unwrap();
    for point in [&both.profile[0], &both.profile[40], &both.profile[84]] {
        let run = countshift(&[
            "test",
            "--data",
            &data,
            "--family",
            "poisson",
            "--terms",
            "trend",
            "--at",
            &point.period,
            "--slope",
            "--format",
            "json",
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let test: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let lr = test["lr_statistic"].as_f64().unwrap();
        let from_profile = 2.0 * (point.loglik - null_loglik);
        assert!(
            (lr - from_profile).abs() < 1e-6,
            "{}: test {lr} vs detect {from_profile}",
            point.period
        );
    }
    let run = countshift(&["detect", "--data", &data, "--kind", "slope", "--max-breaks", "2"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--kind slope dates one break"), "{}", run.stderr);
}
