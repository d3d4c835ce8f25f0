//! Calibration of forecast intervals (ignored: about a minute). Run with
//! `cargo test --release --test calibration_forecast -- --ignored --nocapture`;
//! `COUNTSHIFT_CALIBRATION_REPS` sets the series per cell (default 1000).
//!
//! Per cell: a trend model `log mu = log 10 + 0.02 t` (Poisson, or NB with
//! theta 5) fitted to n months, forecasts for the next H; coverage of the 95%
//! prediction interval for the next value and for the horizon total, with
//! coefficient draws (countshift) and without (plug-in).

use countshift::data::{Observation, Period, Series};
use countshift::forecast::{ForecastSpec, FutureExposure, forecast};
use countshift::inference::Level;
use countshift::model::{Family, ModelSpec, Term, fit};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, Poisson};
use rayon::prelude::*;

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
        "| family | n | horizon | series | next value, 95% PI covers | total, 95% PI covers | plug-in: next value | plug-in: total |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
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
                println!(
                    "| {label} | {n} | {h} | {reps} | {:.3} | {:.3} | {:.3} | {:.3} |",
                    rate(0),
                    rate(1),
                    rate(2),
                    rate(3)
                );
            }
        }
    }
}
