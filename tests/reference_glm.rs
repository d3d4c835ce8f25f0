//! Agreement with R `glm` / `MASS::glm.nb` / `sandwich` on the cases of
//! tests/reference/glm_reference.json (made by tests/reference/glm_reference.R).
//! Tolerances per quantity, as the model issue fixes them: 1e-6 relative on
//! coefficients, standard errors and log-likelihood; 1e-4 on profile ends;
//! 1e-5 on theta.

use countshift::data::read_series_path;
use countshift::inference::{CovarianceKind, Level};
use countshift::model::{Family, ModelSpec, fit, parse_terms};
use serde_json::Value;

const REFERENCE: &str = include_str!("reference/glm_reference.json");

fn close(got: f64, want: f64, rel: f64, what: &str) {
    let tol = rel * want.abs().max(1e-8);
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want} (diff {:.3e}, tol {tol:.1e})",
        (got - want).abs()
    );
}

fn family(name: &str) -> Family {
    match name {
        "poisson" => Family::Poisson,
        "negbin" => Family::Negbin,
        "gaussian" => Family::Gaussian,
        other => panic!("unknown family {other}"),
    }
}

#[test]
fn coefficients_errors_and_intervals_agree_with_r() {
    let reference: Value = serde_json::from_str(REFERENCE).unwrap();
    let cases = reference["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let path = format!("{}/{}", env!("CARGO_MANIFEST_DIR"), case["data"].as_str().unwrap());
        let series = read_series_path(&path).unwrap();
        let spec = ModelSpec {
            family: family(case["family"].as_str().unwrap()),
            terms: parse_terms(case["terms"].as_str().unwrap(), &series).unwrap(),
            use_offset: case["offset"].as_bool().unwrap(),
        };
        let f = fit(&spec, &series).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(f.converged(), "{name}: converged");
        let at = |what: &str| format!("{name}: {what}");
        close(f.loglik(), case["loglik"].as_f64().unwrap(), 1e-6, &at("loglik"));
        close(f.deviance(), case["deviance"].as_f64().unwrap(), 1e-6, &at("deviance"));
        close(f.aic(), case["aic"].as_f64().unwrap(), 1e-6, &at("aic"));
        close(f.bic(), case["bic"].as_f64().unwrap(), 1e-6, &at("bic"));
        close(
            f.pearson_dispersion(),
            case["pearson_dispersion"].as_f64().unwrap(),
            1e-6,
            &at("pearson"),
        );
        let se = f.std_errors(CovarianceKind::Model).unwrap();
        let robust = f.std_errors(CovarianceKind::Robust).unwrap();
        let hac = f.std_errors(CovarianceKind::Hac).unwrap();
        for (j, coef) in case["coefficients"].as_array().unwrap().iter().enumerate() {
            let term = coef["term"].as_str().unwrap();
            assert_eq!(f.names()[j], term, "{name}: term order");
            let at = |what: &str| format!("{name}: {term} {what}");
            close(f.beta()[j], coef["estimate"].as_f64().unwrap(), 1e-6, &at("estimate"));
            close(
                se[j].unwrap(),
                coef["std_error"].as_f64().unwrap(),
                1e-6,
                &at("std_error"),
            );
            close(
                robust[j].unwrap(),
                coef["robust_se"].as_f64().unwrap(),
                1e-6,
                &at("robust_se"),
            );
            close(hac[j].unwrap(), coef["hac_se"].as_f64().unwrap(), 1e-6, &at("hac_se"));
            let profile = f.profile_interval(j, Level::default()).unwrap();
            close(
                profile.low.unwrap(),
                coef["profile_low"].as_f64().unwrap(),
                1e-4,
                &at("profile_low"),
            );
            close(
                profile.high.unwrap(),
                coef["profile_high"].as_f64().unwrap(),
                1e-4,
                &at("profile_high"),
            );
        }
        if let Some(theta) = case.get("theta").and_then(Value::as_f64) {
            close(f.theta().unwrap(), theta, 1e-5, &at("theta"));
            close(
                f.theta_std_error().unwrap(),
                case["theta_se"].as_f64().unwrap(),
                1e-5,
                &at("theta_se"),
            );
        }
    }
}

fn reported(offset: bool) -> countshift::model::Fit {
    let series = countshift::data::load_dataset("kn23_2024_reported").unwrap();
    let spec = ModelSpec {
        family: Family::Poisson,
        terms: parse_terms("step@2024-07", &series).unwrap(),
        use_offset: offset,
    };
    fit(&spec, &series).unwrap()
}

#[test]
fn the_reported_figures_give_rate_ratio_9_25_on_run_rows() {
    let reference: Value = serde_json::from_str(REFERENCE).unwrap();
    for (key, offset) in [("no_exposure", false), ("exposure", true)] {
        let r = &reference["special"]["reported_kn23"][key];
        let f = reported(offset);
        let se = f.std_errors(CovarianceKind::Model).unwrap();
        close(f.beta()[0], r["b0"].as_f64().unwrap(), 1e-6, "b0");
        close(f.beta()[1], r["b1"].as_f64().unwrap(), 1e-6, "b1");
        close(se[0].unwrap(), r["se_b0"].as_f64().unwrap(), 1e-6, "se_b0");
        close(se[1].unwrap(), r["se_b1"].as_f64().unwrap(), 1e-6, "se_b1");
        close(f.loglik(), r["loglik"].as_f64().unwrap(), 1e-6, "loglik");
        let profile = f.profile_interval(1, Level::default()).unwrap();
        close(
            profile.low.unwrap(),
            r["profile_b1"][0].as_f64().unwrap(),
            1e-6,
            "profile low",
        );
        close(
            profile.high.unwrap(),
            r["profile_b1"][1].as_f64().unwrap(),
            1e-6,
            "profile high",
        );
        close(f.beta()[1].exp(), r["rate_ratio"].as_f64().unwrap(), 1e-9, "rate ratio");
    }
    close(reported(false).beta()[1].exp(), 9.25, 1e-9, "the seed answer");
}

#[test]
fn an_all_zero_segment_gives_a_bound_and_a_one_sided_profile_interval() {
    let reference: Value = serde_json::from_str(REFERENCE).unwrap();
    let series = countshift::data::load_dataset("kn23_monthly").unwrap();
    for (key, offset) in [("offset_false", false), ("offset_true", true)] {
        let r = &reference["special"]["zero_segment"][key];
        let spec = ModelSpec {
            family: Family::Poisson,
            terms: parse_terms("step@2024-01", &series).unwrap(),
            use_offset: offset,
        };
        let f = fit(&spec, &series).unwrap();
        close(f.loglik(), r["loglik_sup"].as_f64().unwrap(), 1e-9, "supremum loglik");
        assert_eq!(
            f.bounds(),
            vec![
                Some(countshift::model::Bound::MinusInfinity),
                Some(countshift::model::Bound::PlusInfinity)
            ]
        );
        let step = f.profile_interval(1, Level::default()).unwrap();
        assert_eq!((step.estimate, step.high), (None, None), "step: open upper end");
        close(
            step.low.unwrap(),
            r["step"]["profile_low"].as_f64().unwrap(),
            1e-6,
            "step profile low",
        );
        let intercept = f.profile_interval(0, Level::default()).unwrap();
        assert_eq!(
            (intercept.estimate, intercept.low),
            (None, None),
            "intercept: open lower end"
        );
        close(
            intercept.high.unwrap(),
            r["intercept"]["profile_high"].as_f64().unwrap(),
            1e-6,
            "intercept profile high",
        );
        assert!(f.std_errors(CovarianceKind::Model).unwrap().iter().all(Option::is_none));
    }
}
