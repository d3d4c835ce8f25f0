//! Agreement with strucchange, ruptures and direct R computations on the cases
//! of tests/reference/changepoint_reference.json (made by
//! tests/reference/changepoint_reference.R and .py).

use countshift::changepoint::cost::{GaussianMeanCost, PoissonCost};
use countshift::changepoint::multiple::{Criterion, Search, detect_multiple};
use countshift::changepoint::segment::{optimal_segmentations, pelt};
use countshift::changepoint::single::{BreakKind, DetectSpec, GammaPrior, detect_single};
use countshift::data::{Series, read_series_path};
use countshift::inference::Level;
use countshift::model::{Family, ModelSpec, Term};
use serde_json::Value;

const REFERENCE: &str = include_str!("reference/changepoint_reference.json");

fn reference() -> Value {
    serde_json::from_str(REFERENCE).unwrap()
}

fn series(file: &str) -> Series {
    read_series_path(&format!("{}/tests/reference/data/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn values(s: &Series) -> Vec<f64> {
    s.observations().iter().map(|o| o.y()).collect()
}

fn close(got: f64, want: f64, rel: f64, what: &str) {
    assert!(
        (got - want).abs() <= rel * want.abs().max(1e-12),
        "{what}: got {got}, want {want}"
    );
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn positions(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

/// `ours` equals the numbers of `theirs` to `tol` (relative past 1).
fn agrees(ours: &[f64], theirs: &Value, key: &str, tol: f64) {
    let theirs = numbers(theirs);
    assert_eq!(ours.len(), theirs.len(), "{key}");
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        assert!((a - b).abs() <= tol * b.abs().max(1.0), "{key}[{i}]: {a} vs R {b}");
    }
}

fn intercept_only(family: Family, use_offset: bool) -> ModelSpec {
    ModelSpec {
        family,
        terms: vec![Term::Intercept],
        use_offset,
    }
}

#[test]
fn nile_segmentations_match_strucchange_and_ruptures() {
    let r = reference();
    let s = series("nile.csv");
    let sc = &r["nile_strucchange"];
    let cost = GaussianMeanCost::new(&values(&s));
    let segs = optimal_segmentations(&cost, 5, 15).unwrap();
    for (m, rss) in numbers(&sc["RSS"]).into_iter().enumerate() {
        close(segs[m].cost, rss, 1e-9, &format!("RSS m = {m}"));
        if m > 0 {
            assert_eq!(
                segs[m].breaks,
                positions(&sc["taus"][m - 1]),
                "strucchange breaks m = {m}"
            );
            let rupt = &r["nile_ruptures"]["results"][m - 1];
            assert_eq!(segs[m].breaks, positions(&rupt["taus"]), "ruptures breaks m = {m}");
            close(segs[m].cost, rupt["cost"].as_f64().unwrap(), 1e-9, "ruptures cost");
        }
    }
    let found = detect_multiple(
        &s,
        &intercept_only(Family::Gaussian, false),
        Search::Dp {
            max_breaks: 5,
            select: Criterion::Bic,
        },
        15,
        Level::default(),
    )
    .unwrap();
    for (m, bic) in numbers(&sc["BIC"]).into_iter().enumerate() {
        close(found.table[m].bic, bic, 1e-9, &format!("BIC m = {m}"));
    }
    assert_eq!(found.breaks.len(), sc["bic_selected_m"].as_u64().unwrap() as usize);
    assert_eq!(found.breaks[0].to_string(), "1899");
    let means = numbers(&sc["m1"]["segment_means"]);
    close(
        found.segments[0].level.estimate.unwrap(),
        means[0],
        1e-12,
        "mean before",
    );
    close(found.segments[1].level.estimate.unwrap(), means[1], 1e-12, "mean after");
}

fn single(
    s: &Series,
    offset: bool,
    min_segment: usize,
    prior: GammaPrior,
) -> countshift::changepoint::single::SingleBreak {
    let spec = DetectSpec {
        model: intercept_only(Family::Poisson, offset),
        min_segment,
        bootstrap: 0,
        seed: 1,
        level: Level::default(),
        prior,
        kind: BreakKind::Level,
    };
    detect_single(s, &spec).unwrap()
}

#[test]
fn coal_single_break_profile_lr_and_posteriors_match_r() {
    let r = &reference()["coal_poisson"];
    let s = series("coal.csv");
    let found = single(&s, false, 1, GammaPrior::default());
    assert_eq!(found.dates[found.best].to_string(), "1892");
    close(found.sup_lr, r["LR"].as_f64().unwrap(), 1e-9, "LR");
    close(
        found.null_loglik,
        r["null_loglik"].as_f64().unwrap(),
        1e-12,
        "null loglik",
    );
    for (got, want) in found.profile.iter().zip(numbers(&r["profile_loglik"])) {
        close(*got, want, 1e-12, "profile");
    }
    for (got, want) in found
        .posterior
        .iter()
        .zip(numbers(&r["posterior_gamma_a0.5_b0"]["posterior"]))
    {
        assert!((got - want).abs() < 1e-12, "posterior a = 0.5: {got} vs {want}");
    }
    let proper = single(&s, false, 1, GammaPrior { shape: 1.0, rate: 1.0 });
    for (got, want) in proper
        .posterior
        .iter()
        .zip(numbers(&r["posterior_gamma_a1_b1"]["posterior"]))
    {
        assert!((got - want).abs() < 1e-12, "posterior a = 1, b = 1: {got} vs {want}");
    }
    close(
        found.rate_before.estimate.unwrap(),
        r["rate_before"].as_f64().unwrap(),
        1e-9,
        "rate before",
    );
    close(
        found.rate_after.estimate.unwrap(),
        r["rate_after"].as_f64().unwrap(),
        1e-9,
        "rate after",
    );
}

#[test]
fn kn23_monthly_share_break_matches_r() {
    let r = &reference()["kn23_poisson_exposure"];
    let s = countshift::data::load_dataset("kn23_monthly").unwrap();
    let found = single(&s, true, 3, GammaPrior::default());
    assert_eq!(
        found.dates[found.best].to_string(),
        r["tau_hat_period"].as_str().unwrap()
    );
    close(found.sup_lr, r["LR"].as_f64().unwrap(), 1e-9, "LR");
    for (got, want) in found.profile.iter().zip(numbers(&r["profile_loglik"])) {
        close(*got, want, 1e-12, "profile");
    }
}

#[test]
fn poisson_exposure_dynamic_programme_matches_the_reference() {
    let r = &reference()["sim_pois_dp"];
    let s = series("sim_pois_dp.csv");
    let exposure: Vec<f64> = s.observations().iter().map(|o| o.exposure().unwrap()).collect();
    let cost = PoissonCost::new(&values(&s), Some(&exposure));
    let segs = optimal_segmentations(&cost, 4, 5).unwrap();
    for (k, want) in r["segmentations"].as_array().unwrap().iter().enumerate() {
        close(
            segs[k].cost,
            want["cost"].as_f64().unwrap(),
            1e-12,
            &format!("cost K = {k}"),
        );
        assert_eq!(segs[k].breaks, positions(&want["taus"]), "K = {k}");
    }
}

#[test]
fn gaussian_pelt_and_dynp_match_ruptures() {
    let r = &reference()["sim_gauss_pelt"];
    let s = series("sim_gauss_pelt.csv");
    let v = values(&s);
    let cost = GaussianMeanCost::new(&v);
    for case in r["pelt"].as_array().unwrap() {
        let pen = case["pen"].as_f64().unwrap();
        let found = pelt(&cost, pen, 2).unwrap();
        assert_eq!(found.breaks, positions(&case["taus"]), "pen {pen}");
        close(
            found.cost + pen * found.breaks.len() as f64,
            case["penalised_cost"].as_f64().unwrap(),
            1e-9,
            "penalised cost",
        );
    }
    let first = GaussianMeanCost::new(&v[..300]);
    let dynp = &r["dynp_first_300"];
    let segs = optimal_segmentations(&first, 3, 2).unwrap();
    assert_eq!(segs[3].breaks, positions(&dynp["taus"]));
    close(segs[3].cost, dynp["cost"].as_f64().unwrap(), 1e-9, "dynp cost");
}

/// The exact segmentation posterior (Fearnhead's recursions) against R's
/// enumeration of every segmentation with at most 3 breaks
/// (tests/reference/segmentation_posterior.R): P(K = k), the break
/// probabilities and the mean rate to 1e-10, the 95% band to 1e-8.
#[test]
fn segmentation_posterior_matches_the_enumeration_in_r() {
    use countshift::changepoint::segmentation_posterior::{RatePrior, segmentation_posterior};
    let r: Value = serde_json::from_str(include_str!("reference/segmentation_posterior.json")).unwrap();
    let counts = numbers(&r["counts"]);
    let exposure = numbers(&r["exposure"]);
    let prior = RatePrior::scaled_to(&counts, &exposure, r["prior_shape"].as_f64().unwrap());
    close(prior.rate, r["prior_rate"].as_f64().unwrap(), 1e-12, "prior rate");
    let max_breaks = r["max_breaks"].as_u64().unwrap() as usize;
    let got = segmentation_posterior(&counts, Some(&exposure), max_breaks, 1, prior).unwrap();
    let check = |ours: &[f64], key: &str, tol: f64| agrees(ours, &r[key], key, tol);
    check(&got.number, "number", 1e-10);
    check(&got.break_probability, "break_probability", 1e-10);
    check(&got.mean_rate, "mean_rate", 1e-10);
    check(&got.rate_low, "rate_low", 1e-8);
    check(&got.rate_high, "rate_high", 1e-8);
}

/// The Gaussian posterior (a mean and a variance per segment, the default
/// normal-inverse-gamma prior) against R's enumeration of every
/// segmentation with at most 3 breaks and segments of at least 2
/// (tests/reference/segmentation_posterior_gaussian.R, whose segment
/// marginal is the multivariate t density): to 1e-10, the band to 1e-8.
#[test]
fn gaussian_segmentation_posterior_matches_the_enumeration_in_r() {
    use countshift::changepoint::segmentation_posterior::{NormalPrior, gaussian_segmentation_posterior};
    let r: Value = serde_json::from_str(include_str!("reference/segmentation_posterior_gaussian.json")).unwrap();
    let values = numbers(&r["values"]);
    let prior = NormalPrior::scaled_to(&values);
    for (ours, key) in [
        (prior.mean, "mean"),
        (prior.kappa, "kappa"),
        (prior.shape, "shape"),
        (prior.scale, "scale"),
    ] {
        close(ours, r["prior"][key].as_f64().unwrap(), 1e-12, key);
    }
    let (max_breaks, h) = (
        r["max_breaks"].as_u64().unwrap() as usize,
        r["min_segment"].as_u64().unwrap() as usize,
    );
    let got = gaussian_segmentation_posterior(&values, max_breaks, h, prior).unwrap();
    let check = |ours: &[f64], key: &str, tol: f64| agrees(ours, &r[key], key, tol);
    check(&got.number, "number", 1e-10);
    check(&got.break_probability, "break_probability", 1e-10);
    check(&got.mean_rate, "mean_level", 1e-10);
    check(&got.rate_low, "level_low", 1e-8);
    check(&got.rate_high, "level_high", 1e-8);
}

/// Nile and log(UKDriverDeaths) against strucchange (tests/reference/
/// strucchange_confint.R): the BIC of every count and the dates BIC chooses
/// agree; the date sets are countshift's own (local test inversion by
/// bootstrap), shown beside Bai's asymptotic intervals in
/// docs/several-breaks.md, which this test pins.
#[test]
fn several_gaussian_breaks_match_strucchange_and_sit_beside_bai_intervals() {
    use countshift::changepoint::break_dates::{BreakDateSpec, break_dates};
    let r: Value = serde_json::from_str(include_str!("reference/strucchange_confint.json")).unwrap();
    // (case, our sets as period ranges, as the docs print them)
    for (case, ours) in [
        ("nile", vec!["1897..1900"]),
        (
            "uk_driver_deaths_log",
            vec![
                "1973-12..1974-03, 1974-10..1975-05",
                "1981-01..1981-02, 1981-04, 1981-10..1982-09",
            ],
        ),
    ] {
        let c = &r[case];
        let file = c["path"].as_str().unwrap().trim_start_matches("tests/reference/data/");
        let s = series(file);
        let h = c["h"].as_u64().unwrap() as usize;
        let model = intercept_only(Family::Gaussian, false);
        let search = Search::Dp {
            max_breaks: 5,
            select: Criterion::Bic,
        };
        let found = detect_multiple(&s, &model, search, h, Level::default()).unwrap();
        for (m, bic) in numbers(&c["bic"]).into_iter().enumerate() {
            close(found.table[m].bic, bic, 1e-9, &format!("{case} BIC m = {m}"));
        }
        let chosen: Vec<String> = found.breaks.iter().map(ToString::to_string).collect();
        let want: Vec<&str> = c["chosen"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(chosen, want, "{case}: dates chosen by BIC");
        let spec = BreakDateSpec {
            min_segment: h,
            replicates: 999,
            seed: 1,
            level: Level::default(),
            prior: GammaPrior::default(),
        };
        let dated = break_dates(&s, &model, &found, spec).unwrap();
        let runs: Vec<String> = dated
            .iter()
            .map(|d| countshift::report::detect::period_list(&d.set))
            .collect();
        assert_eq!(runs, ours, "{case}: date sets");
        if case == "uk_driver_deaths_log" {
            // The docs: the sequential tests choose 3 (2 vs 3: p = 0.029).
            use countshift::changepoint::number_tests::{NumberTestSpec, number_tests};
            let spec = NumberTestSpec {
                min_segment: h,
                replicates: 999,
                seed: 1,
                level: Level::default(),
            };
            let t = number_tests(&s, &model, &found, spec).unwrap();
            assert_eq!(
                (t.chosen, format!("{:.3}", t.tests[2].p_value)),
                (3, "0.029".to_string())
            );
        }
        // Bai's interval holds the date strucchange chose, as ours does.
        for (j, date) in want.iter().enumerate() {
            let (low, high) = (c["bai_low"][j].as_str().unwrap(), c["bai_high"][j].as_str().unwrap());
            assert!(low <= *date && *date <= high);
        }
    }
}

/// A slope change at an unknown date (`detect --kind slope|both`) against R
/// (tests/reference/slope_change.R): on a simulated Poisson series with a
/// trend whose slope changes, the profile log-likelihood at every integer
/// date of a glm with the hinge term (and the step, for `both`), the best
/// date, the sup-LR, and the ratios with their profile intervals, all to
/// 1e-6. segmented's continuous estimate sits beside it: psi within one of
/// its standard errors of our integer date.
#[test]
fn slope_changes_match_an_r_profile_over_integer_dates() {
    let r: Value = serde_json::from_str(include_str!("reference/slope_change.json")).unwrap();
    let s = series("sim_slope_poisson_120.csv");
    let h = r["h"].as_u64().unwrap() as usize;
    for (kind, key) in [(BreakKind::Slope, "slope"), (BreakKind::Both, "both")] {
        let c = &r[key];
        let spec = DetectSpec {
            model: ModelSpec {
                family: Family::Poisson,
                terms: vec![Term::Intercept, Term::Trend],
                use_offset: false,
            },
            min_segment: h,
            bootstrap: 0,
            seed: 1,
            level: Level::default(),
            prior: GammaPrior::default(),
            kind,
        };
        let found = detect_single(&s, &spec).unwrap();
        agrees(&found.profile, &c["loglik"], &format!("{key} profile"), 1e-6);
        close(
            found.null_loglik,
            r["null_loglik"].as_f64().unwrap(),
            1e-9,
            "null loglik",
        );
        assert_eq!(
            found.dates[found.best].to_string(),
            c["best_period"].as_str().unwrap(),
            "{key}"
        );
        close(
            found.sup_lr,
            c["sup_lr"].as_f64().unwrap(),
            1e-6,
            &format!("{key} sup-LR"),
        );
        let slope = found.slope_ratio.expect("a slope ratio");
        close(
            slope.estimate.unwrap(),
            c["slope_ratio"].as_f64().unwrap(),
            1e-6,
            &format!("{key} slope ratio"),
        );
        let ci = numbers(&c["slope_ratio_profile_ci"]);
        close(slope.low.unwrap(), ci[0], 1e-6, &format!("{key} slope ratio low"));
        close(slope.high.unwrap(), ci[1], 1e-6, &format!("{key} slope ratio high"));
        match kind {
            BreakKind::Both => {
                let rate = found.rate_ratio.expect("a rate ratio");
                let ci = numbers(&c["rate_ratio_profile_ci"]);
                close(
                    rate.estimate.unwrap(),
                    c["rate_ratio"].as_f64().unwrap(),
                    1e-6,
                    "both rate ratio",
                );
                close(rate.low.unwrap(), ci[0], 1e-6, "both rate ratio low");
                close(rate.high.unwrap(), ci[1], 1e-6, "both rate ratio high");
            }
            _ => assert!(found.rate_ratio.is_none(), "a slope change has no jump"),
        }
        assert!(found.asymptotic_test.is_none(), "Andrews' limit is a level shift's");
    }
    let psi = r["segmented"]["psi"].as_f64().unwrap();
    let se = r["segmented"]["psi_se"].as_f64().unwrap();
    let ours = s
        .index_of(countshift::data::Period::parse(r["slope"]["best_period"].as_str().unwrap()).unwrap())
        .unwrap() as f64;
    assert!(
        (psi - ours).abs() <= se,
        "segmented's psi {psi} (s.e. {se}) against our date index {ours}"
    );
}
