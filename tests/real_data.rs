//! Regression tests on real series built from the Air Force log
//! (tests/reference/data/real, see its README): answers that were silently
//! wrong or contradicted each other on over-dispersed counts and shares.

mod common;

use common::countshift;
use serde_json::Value;

fn real(name: &str) -> String {
    format!("{}/tests/reference/data/real/{name}.csv", env!("CARGO_MANIFEST_DIR"))
}

fn json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let run = countshift(&all);
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn auto_chooses_negbin_on_over_dispersed_drones_and_says_why() {
    let shahed = real("shahed");
    let f = json(&["fit", "--data", &shahed]);
    assert_eq!(f["family"], "negbin");
    assert_eq!(f["family_choice"]["chosen"], "negbin");
    assert!(f["family_choice"]["test"]["p_value"].as_f64().unwrap() < 0.01);
    assert!(f["family_choice"]["reason"].as_str().unwrap().contains("Dean"));
    // Asked for Poisson, the fit warns in one line.
    let run = countshift(&["fit", "--data", &shahed, "--family", "poisson"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout
            .matches("warning: the counts vary more than a Poisson model allows")
            .count(),
        1
    );
    let p = json(&["fit", "--data", &shahed, "--family", "poisson"]);
    assert!(p["overdispersion"]["statistic"].as_f64().unwrap() > 100.0);
    assert!(p.get("family_choice").is_none());
}

#[test]
fn auto_keeps_poisson_on_the_reported_figures_with_few_residual_df() {
    // 4 observations: theta is not identified, so Poisson with the warning.
    let t = json(&["test"]);
    assert_eq!(t["family"], "poisson");
    assert_eq!(t["family_choice"]["chosen"], "poisson");
    assert_eq!(t["family_choice"]["df_residual"], 2);
    assert!(t["overdispersion"]["p_value"].as_f64().unwrap() < 0.01);
    let rr = t["rate_ratio"]["estimate"].as_f64().unwrap();
    // The share ratio (the embedded figures carry exposure), as before.
    assert!((rr - 9.5714).abs() < 1e-4, "{rr}");
}

#[test]
fn simulate_has_no_auto() {
    let run = countshift(&["simulate", "--family", "auto", "--periods", "5", "--coef", "1,0"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no --family auto"), "{}", run.stderr);
}

#[test]
fn nb_several_breaks_estimate_theta_and_agree_with_the_one_break_scan() {
    let shahed = real("shahed");
    let dp = json(&["detect", "--data", &shahed, "--family", "negbin", "--max-breaks", "4"]);
    let single = json(&["detect", "--data", &shahed, "--family", "negbin", "--bootstrap", "0"]);
    // The one-break row of the DP is the one-break scan's maximum.
    let one = &dp["table"][1];
    let sup = single["null_loglik"].as_f64().unwrap() + single["sup_lr"].as_f64().unwrap() / 2.0;
    assert!((one["loglik"].as_f64().unwrap() - sup).abs() < 1e-6, "{one} vs {sup}");
    assert_eq!(one["dates"][0], single["breaks"][0]["period"]);
    // Theta is re-estimated with the breaks: with it held at the no-break
    // fit, BIC kept one break where refits find three.
    assert_eq!(dp["breaks"].as_array().unwrap().len(), 3);
    // BIC counts theta: 1 + 1 parameters without a break.
    assert_eq!(dp["table"][0]["n_params"], 2);
}

#[test]
fn an_nb_share_is_a_rate_per_unit_exposure() {
    // Regression: the NB segment cost ignored exposure, so a share's level
    // came out as the mean count (62 per unit exposure).
    let share = real("x101_share");
    let dp = json(&["detect", "--data", &share, "--family", "negbin", "--max-breaks", "2"]);
    for s in dp["segments"].as_array().unwrap() {
        let level = s["level"]["estimate"].as_f64().unwrap();
        assert!(level > 0.0 && level < 1.0, "{s}");
    }
    let single = json(&["detect", "--data", &share, "--family", "negbin", "--bootstrap", "0"]);
    assert!((single["null_loglik"].as_f64().unwrap() + 208.086_085_432_8).abs() < 1e-6);
}

#[test]
fn the_nb_test_shows_raw_and_corrected_statistics_and_the_factor() {
    let shahed = real("shahed");
    let args = [
        "test", "--data", &shahed, "--family", "negbin", "--terms", "trend", "--at", "2024-09",
    ];
    let t = json(&args);
    let raw = t["lr_statistic"].as_f64().unwrap();
    let b = &t["bartlett_factor"];
    let factor = b["estimate"].as_f64().unwrap();
    assert_eq!(b["draws"], 4000);
    assert_eq!(b["failed"], 0);
    assert!(b["mc_std_error"].as_f64().unwrap() < 0.02);
    let corrected = t["lr_statistic_corrected"].as_f64().unwrap();
    assert!((corrected - raw / factor.max(1.0)).abs() < 1e-12);
    // The p-value is the corrected statistic's chi-square(1) tail.
    let p = t["p_value"].as_f64().unwrap();
    let table = countshift(&args[..]).stdout;
    assert!(table.contains("raw; chi-square p ="), "{table}");
    assert!(table.contains("Bartlett factor"), "{table}");
    assert!(
        table.contains(&format!("corrected {}", countshift_sig3(corrected))),
        "{table}"
    );
    assert!(p > 2.4e-5, "the corrected p-value must exceed the raw 2.4e-5: {p}");
}

/// Three significant figures as the tables print them.
fn countshift_sig3(v: f64) -> String {
    let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    format!("{v:.digits$}")
}

#[test]
fn the_date_set_never_excludes_a_date_the_posterior_holds() {
    // Regression: on the drones the 95% set was 2024-09 alone ("LR cut-off
    // 0") while the posterior printed under it gave 2024-08 a third.
    let shahed = real("shahed");
    let d = json(&["detect", "--data", &shahed, "--family", "negbin", "--bootstrap", "199"]);
    let set: Vec<&str> = d["breaks"][0]["set"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(set.contains(&"2024-08") && set.contains(&"2024-09"), "{set:?}");
    for p in d["set_posterior"]
        .as_array()
        .unwrap()
        .iter()
        .chain(d["set_lr"].as_array().unwrap())
    {
        assert!(set.contains(&p.as_str().unwrap()), "{p} missing from {set:?}");
    }
    let mass: f64 = d["posterior"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| set.contains(&p["period"].as_str().unwrap()))
        .map(|p| p["probability"].as_f64().unwrap())
        .sum();
    assert!(mass >= 0.95, "the set holds {mass} of the posterior");
}

#[test]
fn the_sequential_p_value_stops_at_h_exceedances_whatever_the_threads() {
    let kalibr = real("kalibr");
    let args = ["detect", "--data", &kalibr, "--sequential", "10", "--format", "json"];
    let one = common::stdout_with_threads(&args, "1");
    assert_eq!(one, common::stdout_with_threads(&args, "2"));
    let d: Value = serde_json::from_slice(&one).unwrap();
    let method = d["p_value_method"].as_str().unwrap();
    assert!(method.contains("Besag and Clifford"), "{method}");
    // "stopped after 10 exceedances at replicate L": p = 10 / L.
    let l: f64 = method
        .split("at replicate ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(l < 999.0);
    assert_eq!(d["p_value"].as_f64().unwrap(), 10.0 / l);
}
