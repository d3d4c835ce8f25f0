//! Library-level properties of the model core.

use countshift::data::{load_dataset, read_series};
use countshift::model::linfa::GlmParams;
use countshift::model::{Family, ModelSpec, fit, parse_terms};
use linfa::prelude::*;
use ndarray::{Array1, Array2};

/// A forecast of `horizon` periods with `draws` draws, seed 1, at 95%, the
/// exposure ahead the last year's mean.
fn forecast_spec(horizon: usize, draws: usize) -> countshift::forecast::ForecastSpec {
    countshift::forecast::ForecastSpec {
        horizon,
        draws,
        seed: 1,
        level: countshift::inference::Level::default(),
        exposure: countshift::forecast::FutureExposure::LastYearMean,
        parameter_uncertainty: true,
    }
}

fn fit_csv(csv: &str, family: Family, terms: &str, offset: bool) -> countshift::model::Fit {
    let series = read_series(csv.as_bytes(), "t.csv").unwrap();
    let spec = ModelSpec {
        family,
        terms: parse_terms(terms, &series).unwrap(),
        use_offset: offset,
    };
    fit(&spec, &series).unwrap()
}

#[test]
fn linfa_fit_equals_the_series_fit() {
    let series = load_dataset("kn23_monthly").unwrap();
    let spec = ModelSpec {
        family: Family::Poisson,
        terms: parse_terms("trend", &series).unwrap(),
        use_offset: false,
    };
    let direct = fit(&spec, &series).unwrap();
    let n = series.n_obs();
    let x = Array2::from_shape_fn((n, 1), |(i, _)| i as f64);
    let y = Array1::from_iter(series.observations().iter().map(|o| o.y()));
    let model = GlmParams::new(Family::Poisson)
        .fit(&Dataset::new(x.clone(), y))
        .unwrap();
    for (a, b) in model.coefficients().iter().zip(direct.beta()) {
        assert!((a - b).abs() < 1e-10, "{a} vs {b}");
    }
    let predicted = model.predict(&x);
    for (p, m) in predicted.iter().zip(direct.fitted()) {
        assert!((p - m).abs() < 1e-8 * m.max(1.0));
    }
}

#[test]
fn a_flat_rate_split_from_a_run_into_its_periods_gives_the_same_rate() {
    let run = fit_csv(
        "start,end,count\n2024-01,2024-06,30\n2024-07,2024-07,4\n",
        Family::Poisson,
        "",
        false,
    );
    let split = fit_csv(
        "period,count\n2024-01,5\n2024-02,5\n2024-03,5\n2024-04,5\n2024-05,5\n2024-06,5\n2024-07,4\n",
        Family::Poisson,
        "",
        false,
    );
    assert!((run.beta()[0] - split.beta()[0]).abs() < 1e-12);
    assert!((run.beta()[0] - (34.0f64 / 7.0).ln()).abs() < 1e-12);
}

#[test]
fn scaling_exposure_shifts_only_the_intercept() {
    let base = "period,count,exposure\n2024-01,3,10\n2024-02,15,12\n2024-03,1,9\n2024-04,29,15\n2024-05,4,11\n2024-06,40,14\n2024-07,7,10\n2024-08,55,13\n";
    let scaled: String = base
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                return format!("{l}\n");
            }
            let mut f: Vec<String> = l.split(',').map(str::to_owned).collect();
            f[2] = (f[2].parse::<f64>().unwrap() * 1000.0).to_string();
            format!("{}\n", f.join(","))
        })
        .collect();
    for family in [Family::Poisson, Family::Negbin] {
        let a = fit_csv(base, family, "trend", true);
        let b = fit_csv(&scaled, family, "trend", true);
        assert!(a.theta().is_none_or(|t| t < 1e3), "over-dispersed: theta finite");
        assert!((a.beta()[0] - 1000f64.ln() - b.beta()[0]).abs() < 1e-8, "{family:?}");
        assert!((a.beta()[1] - b.beta()[1]).abs() < 1e-8);
        assert!((a.loglik() - b.loglik()).abs() < 1e-8);
    }
}

#[test]
fn under_dispersed_counts_send_theta_to_its_cap_with_a_note() {
    let f = fit_csv(
        "period,count\n2024-01,5\n2024-02,5\n2024-03,6\n2024-04,5\n2024-05,4\n2024-06,5\n",
        Family::Negbin,
        "",
        false,
    );
    assert!(f.theta().unwrap() >= 1e7);
    assert!(f.notes().iter().any(|n| n.contains("no over-dispersion")));
    let p = fit_csv(
        "period,count\n2024-01,5\n2024-02,5\n2024-03,6\n2024-04,5\n2024-05,4\n2024-06,5\n",
        Family::Poisson,
        "",
        false,
    );
    assert!((f.beta()[0] - p.beta()[0]).abs() < 1e-6);
}

#[test]
fn a_perfect_gaussian_fit_is_a_clear_error() {
    let series = read_series(b"period,value\n1,1\n2,2\n3,3\n", "t.csv").unwrap();
    let spec = ModelSpec {
        family: Family::Gaussian,
        terms: parse_terms("trend", &series).unwrap(),
        use_offset: false,
    };
    let err = fit(&spec, &series).unwrap_err();
    assert!(
        err.is_bad_input() && err.to_string().contains("fits every observation exactly"),
        "{err}"
    );
}

/// A spec built by hand, or a series other than the one fitted, is an
/// error, not a panic: a covariate the series does not have, and a forecast
/// of an offset model on a series without exposure.
#[test]
fn a_spec_or_series_that_does_not_match_is_an_error() {
    use countshift::forecast::forecast;
    use countshift::model::Term;
    let series = read_series(
        "period,count,exposure\n1,3,10\n2,5,12\n3,4,9\n4,8,11\n".as_bytes(),
        "e.csv",
    )
    .unwrap();
    let spec = ModelSpec {
        family: Family::Poisson,
        terms: vec![Term::Intercept, Term::Covariate("absent".into())],
        use_offset: false,
    };
    let err = fit(&spec, &series).unwrap_err().to_string();
    assert!(err.contains("no covariate column `absent`"), "{err}");

    let with_offset = ModelSpec {
        family: Family::Poisson,
        terms: vec![Term::Intercept],
        use_offset: true,
    };
    let fitted = fit(&with_offset, &series).unwrap();
    let bare = read_series("period,count\n1,3\n2,5\n3,4\n4,8\n".as_bytes(), "b.csv").unwrap();
    let spec = forecast_spec(2, 100);
    let err = forecast(&fitted, &bare, &spec).unwrap_err().to_string();
    assert!(err.contains("has no exposure"), "{err}");
}

/// Work sizes a library caller asks for beyond what can be held are an
/// error before any work: breaks past the series' room (no overflow of
/// `max_breaks + 1`), and draws times horizon past the forecast's bound.
#[test]
fn oversized_work_is_an_error_not_an_overflow() {
    use countshift::changepoint::cost::PoissonCost;
    use countshift::changepoint::segment::optimal_segmentations;
    use countshift::forecast::forecast;
    let cost = PoissonCost::new(&[3.0, 5.0, 4.0, 8.0, 9.0, 7.0], None);
    for (breaks, min_segment) in [(usize::MAX, 1), (2, usize::MAX), (5, 2)] {
        let err = optimal_segmentations(&cost, breaks, min_segment)
            .unwrap_err()
            .to_string();
        assert!(err.contains("but the series has 6"), "{err}");
    }
    assert!(optimal_segmentations(&cost, 2, 2).is_ok());
    let fitted = fit_csv("period,count\n1,3\n2,5\n3,4\n4,8\n", Family::Poisson, "trend", false);
    let series = read_series("period,count\n1,3\n2,5\n3,4\n4,8\n".as_bytes(), "t.csv").unwrap();
    let spec = forecast_spec(usize::MAX, usize::MAX);
    let err = forecast(&fitted, &series, &spec).unwrap_err().to_string();
    assert!(err.contains("more than the 100000000 a forecast holds"), "{err}");
}

/// The library's own errors for a bad level, minimum segment, penalty,
/// draws or prior are typed rules whose sentences name no command-line
/// option (the binary adds the option).
#[test]
fn the_library_says_its_rules_without_naming_options() {
    use countshift::SpecError;
    use countshift::changepoint::cost::PoissonCost;
    use countshift::changepoint::segment::{optimal_segmentations, pelt};
    use countshift::changepoint::single::GammaPrior;
    use countshift::forecast::forecast;
    use countshift::inference::Level;
    let cost = PoissonCost::new(&[3.0, 5.0, 4.0, 8.0], None);
    let fitted = fit_csv("period,count\n1,3\n2,5\n3,4\n4,8\n", Family::Poisson, "trend", false);
    let series = read_series("period,count\n1,3\n2,5\n3,4\n4,8\n".as_bytes(), "t.csv").unwrap();
    let no_draws = forecast_spec(3, 0);
    let errors = [
        Level::new(1.5).unwrap_err(),
        optimal_segmentations(&cost, 1, 0).unwrap_err(),
        optimal_segmentations(&cost, 3, 2).unwrap_err(),
        pelt(&cost, -1.0, 1).unwrap_err(),
        GammaPrior::new(0.0, 1.0).unwrap_err(),
        forecast(&fitted, &series, &no_draws).unwrap_err(),
    ];
    let rules: Vec<&SpecError> = errors
        .iter()
        .map(|e| match e {
            countshift::Error::Rule(rule) => rule,
            other => panic!("not a typed rule: {other:?}"),
        })
        .collect();
    assert!(matches!(rules[0], SpecError::Level { value } if *value == 1.5));
    assert!(matches!(rules[1], SpecError::MinSegmentZero));
    assert!(matches!(
        rules[2],
        SpecError::NoRoom {
            segments: 4,
            min_segment: 2,
            n: 4,
            ..
        }
    ));
    assert!(matches!(rules[3], SpecError::Penalty { .. }));
    assert!(matches!(rules[4], SpecError::Prior { .. }));
    assert!(matches!(rules[5], SpecError::NoWork));
    for e in &errors {
        assert!(!e.to_string().contains("--"), "{e}");
    }
}

/// A fit knows the periods it was fitted to: a forecast handed another
/// series is refused in one sentence instead of indexing the wrong rows.
#[test]
fn a_forecast_of_another_series_than_the_fitted_one_is_refused() {
    use countshift::forecast::forecast;
    let fitted = fit_csv("period,count\n1,3\n2,5\n3,4\n4,8\n", Family::Poisson, "trend", false);
    assert_eq!(fitted.periods().map(|(_, n)| n), Some(4));
    let other = read_series("period,count\n1,3\n2,5\n3,4\n4,8\n5,9\n6,7\n".as_bytes(), "o.csv").unwrap();
    let spec = forecast_spec(2, 10);
    let err = forecast(&fitted, &other, &spec).unwrap_err().to_string();
    assert!(
        err.contains("the model was fitted to 1..4 (4 periods), not to this series (1..6 (6 periods))"),
        "{err}"
    );
}

/// A series built from numbers keeps the reader's rules.
#[test]
fn a_series_from_numbers_keeps_the_readers_rules() {
    use countshift::data::{Period, Series};
    use countshift::{Error, SpecError};
    let first = Period::month(2024, 1);
    let s = Series::from_counts(first, &[3.0, 0.0, 7.0], Some(&[10.0, 12.0, 9.0])).unwrap();
    assert_eq!((s.n_obs(), s.total(), s.has_exposure()), (3, 10.0, true));
    assert_eq!(s.observation_exposures(), Some(vec![10.0, 12.0, 9.0]));
    let rule = |e: Error| match e {
        Error::Rule(r) => r,
        other => panic!("{other:?}"),
    };
    for bad in [-1.0, 2.5, f64::NAN, 1e17] {
        assert!(matches!(
            rule(Series::from_counts(first, &[1.0, bad], None).unwrap_err()),
            SpecError::NotACount { index: 1, .. }
        ));
    }
    assert!(matches!(
        rule(Series::from_counts(first, &[1.0, 2.0], Some(&[1.0])).unwrap_err()),
        SpecError::LengthMismatch {
            counts: 2,
            exposures: 1
        }
    ));
    assert!(matches!(
        rule(Series::from_counts(first, &[1.0], Some(&[0.0])).unwrap_err()),
        SpecError::BadExposure { index: 0, .. }
    ));
    assert!(Series::from_values(first, &[-1.5, 2.0]).is_ok());
    assert!(matches!(
        rule(Series::from_values(first, &[1.0, f64::INFINITY]).unwrap_err()),
        SpecError::BadValue { index: 1, .. }
    ));
}

/// Terms that cannot be built are typed rules with their values.
#[test]
fn term_rules_are_typed() {
    use countshift::{Error, SpecError};
    let series = read_series(
        "period,count,x\n2024-01,3,1\n2024-02,5,2\n2024-03,4,3\n".as_bytes(),
        "t.csv",
    )
    .unwrap();
    let rule = |terms: &str| match parse_terms(terms, &series).unwrap_err() {
        Error::Rule(r) => r,
        other => panic!("{terms}: {other:?}"),
    };
    assert!(
        matches!(rule("wobble"), SpecError::UnknownTerm { term, covariates } if term == "wobble" && covariates == ["x"])
    );
    assert!(matches!(rule("trend,trend"), SpecError::TermTwice { term } if term == "trend"));
    assert!(matches!(rule("season:0"), SpecError::FourierCount { .. }));
    assert!(matches!(rule("-intercept"), SpecError::NoTerms));
    assert!(matches!(rule("step@2024-13"), SpecError::TermPeriod { text, .. } if text == "2024-13"));
}
