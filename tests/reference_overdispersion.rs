//! Dean's over-dispersion score test of every Poisson fit against the same
//! statistic computed in R from `glm` and `hatvalues`
//! (tests/reference/overdispersion_reference.R writes the JSON).

mod common;

use common::countshift;
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    file: String,
    terms: String,
    offset: bool,
    statistic: f64,
}

#[derive(Deserialize)]
struct FitOut {
    overdispersion: Test,
}

#[derive(Deserialize)]
struct Test {
    statistic: f64,
    p_value: f64,
}

#[test]
fn dean_statistic_agrees_with_r_on_real_series() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/overdispersion_reference.json"
    ))
    .unwrap();
    let reference: Reference = serde_json::from_str(&text).unwrap();
    assert!(reference.cases.len() >= 7);
    for c in &reference.cases {
        let file = format!("{}/{}", env!("CARGO_MANIFEST_DIR"), c.file);
        let mut args = vec![
            "fit", "--data", &file, "--family", "poisson", "--terms", &c.terms, "--format", "json",
        ];
        if !c.offset {
            args.push("--no-offset");
        }
        let run = countshift(&args);
        assert_eq!(run.code, 0, "{}: {}", c.name, run.stderr);
        let out: FitOut = serde_json::from_str(&run.stdout).unwrap();
        let rel = (out.overdispersion.statistic - c.statistic).abs() / c.statistic.abs();
        assert!(
            rel < 1e-6,
            "{} {}: {} against R {}",
            c.name,
            c.terms,
            out.overdispersion.statistic,
            c.statistic
        );
        assert!((0.0..=1.0).contains(&out.overdispersion.p_value));
    }
}
