//! Forecasts: agreement with R `predict(glm, se.fit = TRUE)` for the mean and
//! its interval, the shape of the predictive intervals, reproducibility, and
//! the backtest command.

mod common;
use common::{countshift, stdout_with_threads};
use countshift::data::read_series_path;
use countshift::forecast::{ForecastSpec, FutureExposure, forecast};
use countshift::inference::Level;
use countshift::model::{Family, ModelSpec, fit, parse_terms};
use serde_json::Value;

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-6 * want.abs().max(1e-12),
        "{what}: got {got}, want {want}"
    );
}

#[test]
fn mean_and_its_interval_agree_with_r_predict() {
    let reference: Value = serde_json::from_str(include_str!("reference/forecast_reference.json")).unwrap();
    for case in reference["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let series = read_series_path(&format!(
            "{}/{}",
            env!("CARGO_MANIFEST_DIR"),
            case["data"].as_str().unwrap()
        ))
        .unwrap();
        let family = match case["family"].as_str().unwrap() {
            "poisson" => Family::Poisson,
            "negbin" => Family::Negbin,
            _ => Family::Gaussian,
        };
        let spec = ModelSpec {
            family,
            terms: parse_terms(case["terms"].as_str().unwrap(), &series).unwrap(),
            use_offset: case["offset"].as_bool().unwrap(),
        };
        let fitted = fit(&spec, &series).unwrap();
        let h = case["horizon"].as_u64().unwrap() as usize;
        let exposure = case["future_exposure"]
            .as_f64()
            .map_or(FutureExposure::LastYearMean, |e| FutureExposure::Values(vec![e; h]));
        let f = forecast(
            &fitted,
            &series,
            &ForecastSpec {
                horizon: h,
                draws: 200,
                seed: 1,
                level: Level::default(),
                exposure,
                parameter_uncertainty: true,
            },
        )
        .unwrap();
        let (mean, low, high) = (
            numbers(&case["mean"]),
            numbers(&case["mean_ci_low"]),
            numbers(&case["mean_ci_high"]),
        );
        for (k, row) in f.rows.iter().enumerate() {
            assert_eq!(row.period.to_string(), case["period"][k].as_str().unwrap(), "{name}");
            close(row.predictive.mean, mean[k], &format!("{name} mean {k}"));
            close(row.predictive.mean_ci_low, low[k], &format!("{name} mean_ci_low {k}"));
            close(
                row.predictive.mean_ci_high,
                high[k],
                &format!("{name} mean_ci_high {k}"),
            );
        }
        close(
            f.total.mean,
            case["total_mean"].as_f64().unwrap(),
            &format!("{name} total"),
        );
        close(
            f.total.mean_ci_low,
            case["total_ci_low"].as_f64().unwrap(),
            &format!("{name} total low"),
        );
        close(
            f.total.mean_ci_high,
            case["total_ci_high"].as_f64().unwrap(),
            &format!("{name} total high"),
        );
    }
}

#[test]
fn count_intervals_are_integer_monotone_and_nested() {
    for family in ["poisson", "negbin"] {
        let run = countshift(&[
            "forecast",
            "--dataset",
            "kn23_monthly",
            "--family",
            family,
            "--terms",
            "trend,step@2024-07",
            "--format",
            "json",
            "--draws",
            "4000",
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let v: Value = serde_json::from_str(&run.stdout).unwrap();
        let mut rows: Vec<&Value> = v["forecasts"].as_array().unwrap().iter().collect();
        rows.push(&v["total"]);
        for r in rows {
            let q = |k: &str| r[k].as_f64().unwrap();
            let ladder = [
                q("lower_95"),
                q("lower_80"),
                q("lower_50"),
                q("median"),
                q("upper_50"),
                q("upper_80"),
                q("upper_95"),
            ];
            assert!(ladder.windows(2).all(|w| w[0] <= w[1]), "{family}: {ladder:?}");
            assert!(
                ladder.iter().all(|x| x.fract() == 0.0),
                "{family}: integer quantiles {ladder:?}"
            );
            assert!(q("mean_ci_low") <= q("mean") && q("mean") <= q("mean_ci_high"));
        }
    }
}

#[test]
fn forecast_and_backtest_are_identical_whatever_the_thread_count() {
    for args in [
        &[
            "forecast",
            "--dataset",
            "kn23_monthly",
            "--format",
            "json",
            "--seed",
            "3",
        ][..],
        &[
            "backtest",
            "--dataset",
            "kn23_monthly",
            "--format",
            "json",
            "--draws",
            "300",
            "--horizon",
            "3",
        ],
        &["simulate", "--terms", "trend", "--coef", "1,0.02", "--seed", "4"],
    ] {
        assert_eq!(
            stdout_with_threads(args, "1"),
            stdout_with_threads(args, "2"),
            "{args:?}"
        );
    }
}

#[test]
fn backtest_ranks_four_models_and_writes_csv() {
    let run = countshift(&[
        "backtest",
        "--dataset",
        "kn23_monthly",
        "--format",
        "json",
        "--draws",
        "500",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["ranking"].as_array().unwrap().len(), 4);
    for row in v["rows"].as_array().unwrap() {
        for key in ["mae", "rmse", "log_score", "rps", "coverage_95", "width_95"] {
            assert!(row[key].as_f64().is_some_and(f64::is_finite), "{key}: {row}");
        }
    }
    let csv = countshift(&[
        "backtest",
        "--dataset",
        "kn23_monthly",
        "--format",
        "csv",
        "--draws",
        "200",
        "--horizon",
        "2",
    ]);
    assert_eq!(csv.code, 0);
    assert!(
        csv.stdout.starts_with("model,step,n,mae,rmse,log_score,rps"),
        "{}",
        csv.stdout
    );
    for (args, expected) in [
        (
            &["backtest", "--dataset", "kn23_monthly", "--models", "tweedie:trend"][..],
            "unknown family `tweedie`",
        ),
        (&["backtest", "--origin-from", "2024-07"], "run rows"),
        (
            &["backtest", "--dataset", "kn23_monthly", "--origin-from", "2030-01"],
            "must lie inside the series",
        ),
        (&["forecast", "--horizon", "0"], "at least 1"),
    ] {
        let run = countshift(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
    }
}
