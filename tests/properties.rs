//! Property tests: random series files, valid and broken, through the
//! reader and the whole report (test, share test, break search, backtest,
//! forecasts). Every input either fails with a message naming the file, or
//! gives a report with no NaN and ordered prediction intervals; nothing
//! panics. 500 cases in the normal run; the ignored test runs 10,000:
//! `cargo test --release --test properties -- --ignored`. Set
//! `COUNTSHIFT_PROPERTY_TRACE=1` to print each case (to find a slow one).

use countshift::data::read_series;
use countshift::report::analysis::{ReportSpec, build_report};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// A count cell: mostly small counts, sometimes up to 2·10^9, sometimes
/// malformed.
fn count_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => (0u32..30).prop_map(|v| v.to_string()),
        2 => Just("0".to_owned()),
        1 => (0u64..2_000_000_000).prop_map(|v| v.to_string()),
        1 => Just("1e9".to_owned()),
        1 => Just("-3".to_owned()),
        1 => Just("2.5".to_owned()),
        1 => Just(String::new()),
        1 => "[a-z]{1,3}",
    ]
}

/// An exposure cell: ordinary, tiny, huge, zero or malformed.
fn exposure_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => (1u32..500).prop_map(|v| v.to_string()),
        1 => Just("1e-9".to_owned()),
        1 => Just("1e9".to_owned()),
        1 => Just("0".to_owned()),
        1 => Just("-1".to_owned()),
        1 => Just(String::new()),
    ]
}

/// A monthly series file of 1 to 16 rows, with exposure or not, constant
/// or not, sometimes with a gap or a duplicated month, then sometimes
/// truncated or sprinkled with random bytes.
fn series_file() -> impl Strategy<Value = Vec<u8>> {
    (
        1usize..17,
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec((count_cell(), exposure_cell(), 0u8..20), 16),
        prop_oneof![6 => Just(None), 1 => (0usize..400).prop_map(Some)],
        prop_oneof![6 => Just(Vec::new()), 1 => prop::collection::vec((0usize..400, any::<u8>()), 1..4)],
    )
        .prop_map(|(n, with_exposure, constant, cells, cut, noise)| {
            let mut text = String::from(if with_exposure {
                "period,count,exposure\n"
            } else {
                "period,count\n"
            });
            let mut month = 0i32;
            for (count, exposure, skip) in cells.iter().take(n) {
                month += match skip {
                    0 => 0, // a duplicated month
                    1 => 2, // a gap
                    _ => 1,
                };
                let count = if constant { "4" } else { count.as_str() };
                let period = format!(
                    "{}-{:02}",
                    2020 + (month - 1).div_euclid(12),
                    (month - 1).rem_euclid(12) + 1
                );
                text += &if with_exposure {
                    format!("{period},{count},{exposure}\n")
                } else {
                    format!("{period},{count}\n")
                };
            }
            let mut bytes = text.into_bytes();
            for (at, byte) in noise {
                let at = at.min(bytes.len());
                bytes.insert(at, byte);
            }
            if let Some(cut) = cut {
                bytes.truncate(cut);
            }
            bytes
        })
}

fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    let series = match read_series(bytes, "p.csv") {
        Ok(s) => s,
        Err(e) => {
            let message = e.to_string();
            prop_assert!(message.contains("p.csv"), "the error names the file: {message}");
            prop_assert!(!message.contains('\n'), "one line: {message}");
            return Ok(());
        }
    };
    let at = (series.n_periods() > 2).then(|| series.period(series.n_periods() / 2));
    // Poisson pinned: with auto, an NB step draws 8,000 Bartlett series per
    // test, minutes over 500 cases; the auto choice has tests of its own.
    let spec = ReportSpec {
        family: Some(countshift::model::Family::Poisson),
        bootstrap: 19,
        draws: 200,
        ..ReportSpec::new(at)
    };
    let report = build_report(&series, &spec).expect("the report keeps step failures as reasons");
    let text = report.text(&series, false);
    prop_assert!(!text.contains("NaN"), "{text}");
    prop_assert!(serde_json::to_string(&report).is_ok());
    for forecast in [report.forecast.done(), report.forecast_short.done()]
        .into_iter()
        .flatten()
    {
        for p in forecast
            .forecasts
            .iter()
            .map(|r| &r.predictive)
            .chain([&forecast.total])
        {
            let q = [
                p.lower_95, p.lower_80, p.lower_50, p.median, p.upper_50, p.upper_80, p.upper_95,
            ];
            prop_assert!(q.iter().all(|v| v.is_finite()), "{q:?}");
            prop_assert!(q.windows(2).all(|w| w[0] <= w[1]), "intervals nest: {q:?}");
            prop_assert!(p.mean.is_finite() && p.mean_ci_low <= p.mean_ci_high, "{p:?}");
        }
    }
    if let Some(d) = report.detect.done() {
        let total: f64 = d.posterior.iter().map(|p| p.probability).sum();
        prop_assert!(
            d.posterior.is_empty() || (total - 1.0).abs() < 1e-9,
            "posterior sums to {total}"
        );
        prop_assert!(d.p_value.is_none_or(|p| (0.0..=1.0).contains(&p)));
        prop_assert!(d.profile.iter().all(|p| p.loglik.is_finite()));
    }
    for test in [report.test.done(), report.share_test.done()].into_iter().flatten() {
        prop_assert!(
            test.lr_statistic.is_finite() && test.lr_statistic >= -1e-9,
            "{}",
            test.lr_statistic
        );
        prop_assert!((0.0..=1.0).contains(&test.p_value) && (0.0..=1.0).contains(&test.p_value_increase));
    }
    Ok(())
}

fn run(cases: u32) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&series_file(), |bytes| {
            if std::env::var_os("COUNTSHIFT_PROPERTY_TRACE").is_some() {
                eprintln!("CASE {:?}", String::from_utf8_lossy(&bytes));
            }
            check(&bytes)
        })
        .unwrap();
}

#[test]
fn random_series_files_give_a_clean_error_or_a_finite_report() {
    run(500);
}

#[test]
#[ignore = "10,000 cases, minutes; run with --ignored"]
fn ten_thousand_random_series_files() {
    run(10_000);
}
