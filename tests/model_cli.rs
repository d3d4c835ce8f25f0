//! `fit`, `test` and the main job through the real binary.

mod common;
use common::countshift;
use serde::Deserialize;

#[derive(Deserialize)]
struct Interval {
    estimate: Option<f64>,
    ci_low: Option<f64>,
    ci_high: Option<f64>,
    ci_open: Option<String>,
    ci_method: String,
}

#[derive(Deserialize)]
struct TestJson {
    schema_version: u32,
    at: String,
    rate_ratio: Interval,
    rate_ratio_exact: Option<Interval>,
    lr_statistic: f64,
    p_value: f64,
    p_value_increase: f64,
    rate_before: Interval,
    rate_after: Interval,
}

#[derive(Deserialize)]
struct Coefficient {
    term: String,
    estimate: Option<f64>,
    estimate_bound: Option<String>,
    std_error: Option<f64>,
    ci_low: Option<f64>,
    ci_high: Option<f64>,
    ci_open: Option<String>,
    rate_ratio: Option<Interval>,
}

#[derive(Deserialize)]
struct FitJson {
    schema_version: u32,
    family: String,
    n_obs: usize,
    converged: bool,
    aic: f64,
    coefficients: Vec<Coefficient>,
    theta: Option<f64>,
}

#[test]
fn the_main_job_answers_the_seed_question() {
    let run = countshift(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("rate ratio   9.25 [4.75, 20.8]"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("9.25 [4.46, 22.2]  (95% exact conditional interval)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("verdict: the rate jumped at 2024-07"),
        "{}",
        run.stdout
    );
}

#[test]
fn test_json_on_the_reported_figures() {
    let run = countshift(&[
        "test",
        "--at",
        "2024-07",
        "--terms",
        "",
        "--no-offset",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let t: TestJson = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!((t.schema_version, t.at.as_str()), (1, "2024-07"));
    assert!((t.rate_ratio.estimate.unwrap() - 9.25).abs() < 1e-9);
    assert!((t.lr_statistic - 61.246_879_521_588).abs() < 1e-6);
    assert!(t.p_value_increase < t.p_value && t.p_value < 1e-14);
    let exact = t.rate_ratio_exact.unwrap();
    assert_eq!(exact.ci_method, "exact_conditional");
    assert!(
        (exact.ci_low.unwrap() - 4.458_100_015).abs() < 1e-6 && (exact.ci_high.unwrap() - 22.218_640_67).abs() < 1e-6
    );
    assert!((t.rate_before.estimate.unwrap() - 8.0 / 6.0).abs() < 1e-9);
    assert!((t.rate_after.estimate.unwrap() - 74.0 / 6.0).abs() < 1e-9);
    assert_eq!(t.rate_ratio.ci_open, None);
}

#[test]
fn fit_json_reports_an_all_zero_segment_as_a_bound_with_an_open_end() {
    let run = countshift(&[
        "fit",
        "--dataset",
        "kn23_monthly",
        "--family",
        "poisson",
        "--terms",
        "step@2024-01",
        "--no-offset",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !run.stdout.contains("NaN") && !run.stdout.contains("e+1"),
        "no NaN or huge numbers: {}",
        run.stdout
    );
    let f: FitJson = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!((f.schema_version, f.family.as_str(), f.n_obs), (1, "poisson", 36));
    let step = &f.coefficients[1];
    assert_eq!(step.term, "step@2024-01");
    assert_eq!(
        (step.estimate, step.estimate_bound.as_deref(), step.std_error),
        (None, Some("+infinity"), None)
    );
    assert_eq!((step.ci_high, step.ci_open.as_deref()), (None, Some("high")));
    assert!(step.ci_low.unwrap() > 4.0);
    let intercept = &f.coefficients[0];
    assert_eq!((intercept.ci_low, intercept.ci_open.as_deref()), (None, Some("low")));
    let rate = intercept.rate_ratio.as_ref().unwrap();
    assert_eq!(
        (rate.estimate, rate.ci_low),
        (Some(0.0), Some(0.0)),
        "a rate at the boundary is 0"
    );
}

#[test]
fn fit_negbin_reports_theta_and_every_family_runs() {
    let run = countshift(&[
        "fit",
        "--dataset",
        "kn23_monthly",
        "--family",
        "negbin",
        "--terms",
        "trend,step@2024-07",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let f: FitJson = serde_json::from_str(&run.stdout).unwrap();
    assert!(f.converged && f.theta.unwrap() > 0.0 && f.aic.is_finite());
    for family in ["poisson", "negbin", "gaussian"] {
        for vcov in ["model", "robust", "hac"] {
            let run = countshift(&[
                "fit",
                "--dataset",
                "kn23_monthly",
                "--family",
                family,
                "--terms",
                "trend,season:1",
                "--vcov",
                vcov,
            ]);
            assert_eq!(run.code, 0, "{family} {vcov}: {}", run.stderr);
            assert!(run.stdout.contains("verdict:"), "{}", run.stdout);
        }
    }
}

#[test]
fn model_errors_are_bad_input() {
    for (args, expected) in [
        (
            &["fit", "--terms", "step@2023-01", "--dataset", "kn23_monthly"][..],
            "at or outside the ends",
        ),
        (&["fit", "--terms", "nonsense"], "unknown term `nonsense`"),
        (&["fit", "--terms", "trend,trend"], "given twice"),
        (&["fit", "--level", "95"], "`95` is not a level from 0.5 to 0.9999"),
        (
            &["fit", "--dataset", "kn23_monthly", "--terms", "season:7"],
            "at most 6",
        ),
        (&["test", "--at", "2024-13"], "--at `2024-13` has month 13"),
    ] {
        let run = countshift(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn collinear_terms_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::temp_file(
        &dir,
        "c.csv",
        b"period,count,x,y\n2024-01,1,1,2\n2024-02,3,2,4\n2024-03,2,3,6\n2024-04,5,4,8\n",
    );
    let run = countshift(&["fit", "--data", &path, "--terms", "x,y"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("the term `y` is collinear with `x`"),
        "{}",
        run.stderr
    );
}

#[test]
fn simulate_gives_the_same_file_for_the_same_seed() {
    let args = [
        "simulate",
        "--terms",
        "trend,step@2021-01",
        "--coef",
        "1,0.01,0.7",
        "--periods",
        "36",
        "--seed",
        "11",
    ];
    let a = countshift(&args);
    let b = countshift(&args);
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert_eq!(a.stdout, b.stdout);
    let mut other = args.to_vec();
    let last = other.len() - 1;
    other[last] = "12";
    assert_ne!(countshift(&other).stdout, a.stdout);
    assert_eq!(a.stdout.lines().count(), 37);
    let run = countshift(&["simulate", "--terms", "trend", "--coef", "1"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("the terms have 2 coefficients"), "{}", run.stderr);
}

#[derive(Deserialize)]
struct ExactJson {
    exact_p_value: f64,
    exact_p_value_increase: f64,
}

#[test]
fn the_exact_conditional_test_agrees_with_r_binom_test() {
    let reference: serde_json::Value = serde_json::from_str(include_str!("reference/exact_test.json")).unwrap();
    for (key, offset) in [("equal", "--no-offset"), ("exposure", "--terms=")] {
        let mut args = vec!["test", "--at", "2024-07", "--terms", "", "--exact", "--format", "json"];
        if offset == "--no-offset" {
            args.push(offset);
        }
        let run = countshift(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let t: ExactJson = serde_json::from_str(&run.stdout).unwrap();
        let want = &reference[key];
        for (got, want) in [
            (t.exact_p_value, &want["p_value"]),
            (t.exact_p_value_increase, &want["p_value_increase"]),
        ] {
            let want = want.as_f64().unwrap();
            assert!((got - want).abs() < 1e-9 * want, "{key}: {got} vs {want}");
        }
    }
    let run = countshift(&[
        "test",
        "--dataset",
        "kn23_monthly",
        "--at",
        "2024-07",
        "--terms",
        "trend",
        "--exact",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--exact needs the two-rate Poisson model"),
        "{}",
        run.stderr
    );
}

/// The verdict is at the command's level: p = 0.09 is significant at 10%
/// and not at 5% or 1% (and the default 95% reads as it always has).
#[test]
fn the_verdict_follows_the_level() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lv.csv");
    let mut csv = String::from("period,count\n");
    for (m, c) in [10, 10, 10, 10, 10, 10, 13, 13, 13, 13, 13, 15].iter().enumerate() {
        csv += &format!("2024-{:02},{c}\n", m + 1);
    }
    std::fs::write(&path, csv).unwrap();
    let path = path.to_str().unwrap();
    let verdict = |level: &str| {
        let run = countshift(&[
            "test", "--data", path, "--at", "2024-07", "--family", "poisson", "--level", level,
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout.lines().find(|l| l.contains("verdict")).unwrap().to_owned()
    };
    assert!(
        verdict("0.9")
            .contains("jumped at 2024-07 by a factor 1.33 [1.01, 1.77] (p = 0.090, significant at the 10% level)"),
        "{}",
        verdict("0.9")
    );
    assert!(
        verdict("0.95").contains("no clear change in the rate at 2024-07 (rate ratio 1.33 [0.956, 1.87], p = 0.090)")
    );
    assert!(verdict("0.99").contains("p = 0.090, not significant at the 1% level)"));
}
