//! Calibration of forecast intervals (ignored: about a minute). Run with
//! `cargo test --release --test calibration_forecast -- --ignored --nocapture`;
//! `COUNTSHIFT_CALIBRATION_REPS` sets the series per cell (default 1000).
//!
//! Per cell: a trend model `log mu = log 10 + 0.02 t` (Poisson, or NB with
//! theta 5) fitted to n months, forecasts for the next H; coverage of the 95%
//! prediction interval for the next value and for the horizon total, with
//! coefficient draws (countshift) and without (plug-in). "Oracle" is the
//! exact coverage of the interval between the 2.5% and 97.5% quantiles of the
//! true distribution of the next value: the best an interval of integers can
//! do, above 95% because counts are discrete.

use countshift::data::{Observation, Period, Series};
use countshift::forecast::{ForecastSpec, FutureExposure, forecast};
use countshift::inference::Level;
use countshift::model::{Family, ModelSpec, Term, fit};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, Poisson};
use rayon::prelude::*;
use statrs::distribution::{Discrete, NegativeBinomial, Poisson as PoissonPmf};

/// Probability of `[q(0.025), q(0.975)]` under a count distribution.
fn central_interval_probability(pmf: impl Fn(u64) -> f64) -> f64 {
    let (mut cdf, mut inside, mut k) = (0.0, 0.0, 0u64);
    loop {
        let p = pmf(k);
        let before = cdf;
        cdf += p;
        // k is in the interval when it is at or above q(0.025) (the cdf
        // reaches 0.025 at k or later) and at or below q(0.975).
        if cdf >= 0.025 && before < 0.975 {
            inside += p;
        }
        if before >= 0.975 {
            return inside;
        }
        k += 1;
    }
}

fn draw(mu: f64, theta: Option<f64>, rng: &mut ChaCha8Rng) -> f64 {
    let m = theta.map_or(mu, |th| mu * Gamma::new(th, 1.0 / th).unwrap().sample(rng));
    Poisson::new(m).unwrap().sample(rng)
}

#[test]
#[ignore = "about a minute of simulation; run with --ignored"]
fn forecast_intervals_are_calibrated() {
    let reps: usize = std::env::var("COUNTSHIFT_CALIBRATION_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    println!(
        "| family | n | horizon | series | next value, 95% PI covers | oracle: next value | total, 95% PI covers | plug-in: next value | plug-in: total |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (family, theta, label) in [
        (Family::Poisson, None, "poisson"),
        (Family::Negbin, Some(5.0), "negbin theta 5"),
    ] {
        for n in [36usize, 120] {
            for h in [6usize, 12] {
                let slope = 0.02 * 36.0 / n as f64;
                let mu = |t: usize| 10.0 * (slope * t as f64).exp();
                let hits: Vec<[bool; 4]> = (0..reps)
                    .into_par_iter()
                    .map(|r| {
                        let mut rng =
                            ChaCha8Rng::seed_from_u64(7_000_000 + 1000 * n as u64 + 10 * h as u64 + r as u64 * 7919);
                        let mut series = Series::template(Period::month(2020, 1), n);
                        series.observations = (0..n)
                            .map(|t| Observation {
                                periods: vec![t],
                                y: draw(mu(t), theta, &mut rng),
                                exposure: None,
                                line: t as u64 + 2,
                            })
                            .collect();
                        let future: Vec<f64> = (n..n + h).map(|t| draw(mu(t), theta, &mut rng)).collect();
                        let spec = ModelSpec {
                            family,
                            terms: vec![Term::Intercept, Term::Trend],
                            use_offset: false,
                        };
                        let fitted = fit(&spec, &series).expect("fits");
                        let run = |parameter_uncertainty: bool| {
                            let fspec = ForecastSpec {
                                horizon: h,
                                draws: 2000,
                                seed: r as u64,
                                level: Level::default(),
                                exposure: FutureExposure::LastYearMean,
                                parameter_uncertainty,
                            };
                            let f = forecast(&fitted, &series, &fspec).expect("forecasts");
                            let next = &f.rows[0].predictive;
                            let total: f64 = future.iter().sum();
                            (
                                next.lower_95 <= future[0] && future[0] <= next.upper_95,
                                f.total.lower_95 <= total && total <= f.total.upper_95,
                            )
                        };
                        let (a, b) = run(true);
                        let (c, d) = run(false);
                        [a, b, c, d]
                    })
                    .collect();
                let rate = |i: usize| hits.iter().filter(|x| x[i]).count() as f64 / reps as f64;
                let oracle = match theta {
                    None => {
                        let d = PoissonPmf::new(mu(n)).unwrap();
                        central_interval_probability(|k| d.pmf(k))
                    }
                    Some(th) => {
                        let d = NegativeBinomial::new(th, th / (th + mu(n))).unwrap();
                        central_interval_probability(|k| d.pmf(k))
                    }
                };
                println!(
                    "| {label} | {n} | {h} | {reps} | {:.3} | {oracle:.3} | {:.3} | {:.3} | {:.3} |",
                    rate(0),
                    rate(1),
                    rate(2),
                    rate(3)
                );
            }
        }
    }
}
