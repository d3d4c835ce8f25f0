//! Invariance properties over random series: what must not change an
//! answer does not. 200 cases each in the normal run, 50 for the whole
//! report under permutation (two full reports per case).
//!
//! - Permuting the rows of a file changes nothing in the whole report.
//! - Splitting a run row of a flat-rate Poisson model into its periods,
//!   with the same total, leaves the rate estimate unchanged.
//! - Scaling exposure by c shifts the intercept by -log c and nothing else.
//! - A Poisson fit with exposure equals a fit of the same counts with log
//!   exposure given as an offset (a covariate with coefficient fixed at 1).

use countshift::data::{Series, read_series};
use countshift::inference::CovarianceKind;
use countshift::model::linfa::GlmParams;
use countshift::model::{Family, Fit, ModelSpec, fit, parse_terms};
use countshift::report::analysis::{ReportSpec, build_report};
use linfa::Dataset;
use linfa::traits::Fit as _;
use ndarray::{Array1, Array2};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

const CASES: u32 = 200;

/// `cases` cases from a fixed seed, so that every CI run checks the same
/// inputs; `PROPTEST_RNG_SEED` picks others.
fn config(cases: u32) -> ProptestConfig {
    let base = ProptestConfig::default();
    let rng_seed = match base.rng_seed {
        RngSeed::Random => RngSeed::Fixed(1),
        seed => seed,
    };
    ProptestConfig {
        cases,
        failure_persistence: None,
        rng_seed,
        ..base
    }
}

fn month(t: usize) -> String {
    format!("{}-{:02}", 2020 + t / 12, t % 12 + 1)
}

fn read(text: &str) -> Series {
    read_series(text.as_bytes(), "r.csv").expect("generated files are valid")
}

fn fit_with(series: &Series, family: Family, terms: &str, use_offset: bool) -> Fit {
    let spec = ModelSpec {
        family,
        terms: parse_terms(terms, series).expect("known terms"),
        use_offset,
    };
    fit(&spec, series).expect("generated series fit")
}

/// Monthly rows `period,count,exposure`, with at least one positive count.
fn monthly_rows() -> impl Strategy<Value = Vec<(u32, u32)>> {
    prop::collection::vec((0u32..60, 1u32..1000), 6..30)
        .prop_filter("a positive count", |rows| rows.iter().any(|&(y, _)| y > 0))
}

fn csv_lines(rows: &[(u32, u32)]) -> Vec<String> {
    rows.iter()
        .enumerate()
        .map(|(t, (y, e))| format!("{},{y},{e}\n", month(t)))
        .collect()
}

proptest! {
    #![proptest_config(config(50))]

    #[test]
    fn permuting_rows_changes_nothing_in_the_report(
        (lines, shuffled) in monthly_rows()
            .prop_map(|rows| csv_lines(&rows))
            .prop_flat_map(|lines| (Just(lines.clone()), Just(lines).prop_shuffle()))
    ) {
        let header = "period,count,exposure\n".to_owned();
        let ordered = read(&(header.clone() + &lines.concat()));
        let permuted = read(&(header + &shuffled.concat()));
        let at = Some(ordered.period(ordered.n_periods() / 2));
        // Poisson pinned, as in tests/properties.rs.
        let spec = ReportSpec {
            family: Some(countshift::model::Family::Poisson),
            bootstrap: 19,
            draws: 200,
            ..ReportSpec::new(at)
        };
        // Everything but the source line of each observation must agree.
        let json = |series: &Series| {
            let mut v = serde_json::to_value(build_report(series, &spec).expect("report")).expect("json");
            for o in v["data"]["observations"].as_array_mut().expect("observations") {
                o["line"] = serde_json::Value::Null;
            }
            v.to_string()
        };
        let (a, b) = (json(&ordered), json(&permuted));
        prop_assert!(a == b, "reports differ; first difference at byte {}",
            a.bytes().zip(b.bytes()).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len())));
    }
}

proptest! {
    #![proptest_config(config(CASES))]

    #[test]
    fn splitting_a_run_row_into_its_periods_keeps_the_flat_rate(
        rows in monthly_rows(),
        run in (0usize..6, 2usize..6),
        cut in prop::collection::vec(0.0f64..1.0, 6),
    ) {
        let (first, len) = (run.0, run.1.min(rows.len() - run.0));
        prop_assume!(len >= 2);
        let total: u32 = rows[first..first + len].iter().map(|r| r.0).sum();
        // Split `total` over the run's months at random.
        let weights: f64 = cut[..len].iter().sum::<f64>().max(1e-9);
        let mut parts: Vec<u32> = cut[..len].iter().map(|w| (w / weights * f64::from(total)).floor() as u32).collect();
        parts[0] += total - parts.iter().sum::<u32>();
        let mut as_run = String::from("start,end,count\n");
        let mut as_months = String::from("start,end,count\n");
        for (t, (y, _)) in rows.iter().enumerate() {
            if t == first {
                as_run += &format!("{},{},{total}\n", month(first), month(first + len - 1));
            } else if !(first..first + len).contains(&t) {
                as_run += &format!("{},{},{y}\n", month(t), month(t));
            }
            let y = if (first..first + len).contains(&t) { parts[t - first] } else { *y };
            as_months += &format!("{},{},{y}\n", month(t), month(t));
        }
        let a = fit_with(&read(&as_run), Family::Poisson, "", false);
        let b = fit_with(&read(&as_months), Family::Poisson, "", false);
        let all: u32 = rows.iter().map(|r| r.0).sum::<u32>();
        let want = (f64::from(all) / rows.len() as f64).ln();
        prop_assert!((a.beta()[0] - b.beta()[0]).abs() < 1e-10, "{} vs {}", a.beta()[0], b.beta()[0]);
        prop_assert!((a.beta()[0] - want).abs() < 1e-10);
    }

    #[test]
    fn scaling_exposure_by_c_shifts_only_the_intercept(
        rows in monthly_rows(),
        log10_c in -9.0f64..9.0,
        negbin in any::<bool>(),
    ) {
        let c = 10f64.powf(log10_c);
        let family = if negbin { Family::Negbin } else { Family::Poisson };
        let text = |scale: f64| {
            let mut s = String::from("period,count,exposure\n");
            for (t, (y, e)) in rows.iter().enumerate() {
                s += &format!("{},{y},{:e}\n", month(t), f64::from(*e) * scale);
            }
            s
        };
        let a = fit_with(&read(&text(1.0)), family, "trend", true);
        let b = fit_with(&read(&text(c)), family, "trend", true);
        prop_assert!((a.beta()[0] - c.ln() - b.beta()[0]).abs() < 1e-7, "{:?} vs {:?}", a.beta(), b.beta());
        prop_assert!((a.beta()[1] - b.beta()[1]).abs() < 1e-7);
        prop_assert!((a.loglik() - b.loglik()).abs() < 1e-7 * a.loglik().abs().max(1.0));
        let se = |f: &Fit| f.std_errors(CovarianceKind::Model).expect("finite covariance");
        for (sa, sb) in se(&a).into_iter().zip(se(&b)) {
            let (sa, sb) = (sa.expect("finite estimates"), sb.expect("finite estimates"));
            prop_assert!((sa - sb).abs() < 1e-6 * sa, "{sa} vs {sb}");
        }
    }

    #[test]
    fn exposure_equals_log_exposure_as_a_fixed_coefficient_offset(rows in monthly_rows()) {
        let mut text = String::from("period,count,exposure\n");
        for (t, (y, e)) in rows.iter().enumerate() {
            text += &format!("{},{y},{e}\n", month(t));
        }
        let series_fit = fit_with(&read(&text), Family::Poisson, "trend", true);
        let n = rows.len();
        let x = Array2::from_shape_fn((n, 1), |(t, _)| t as f64);
        let y = Array1::from_iter(rows.iter().map(|r| f64::from(r.0)));
        let offset = Array1::from_iter(rows.iter().map(|r| f64::from(r.1).ln()));
        let glm = GlmParams::new(Family::Poisson)
            .with_offset(offset)
            .fit(&Dataset::new(x, y))
            .expect("the offset fit converges");
        for (a, b) in series_fit.beta().iter().zip(glm.coefficients()) {
            prop_assert!((a - b).abs() < 1e-9, "{:?} vs {:?}", series_fit.beta(), glm.coefficients());
        }
        prop_assert!((series_fit.loglik() - glm.fit.loglik()).abs() < 1e-9 * series_fit.loglik().abs());
    }
}
