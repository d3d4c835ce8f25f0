//! Calibration of forecast intervals (ignored: about four minutes on 2
//! cores). Run with
//! `cargo test --release --test calibration_forecast -- --ignored --nocapture`;
//! `COUNTSHIFT_CALIBRATION_REPS` sets the series per cell (default 1000) and
//! `COUNTSHIFT_CALIBRATION_FAMILY=negbin` (or `poisson`, `kn23`) runs only
//! those cells, with the same series as a full run. docs/backtest.md
//! publishes the table.
//!
//! Per cell: a trend model `log mu = log 10 + 0.02 (36 / n) t` (Poisson, or
//! NB with theta 0.5, 1 or 5) fitted to n months, forecasts for the next H;
//! coverage of the 95% prediction interval for the next value and for the
//! horizon total under three parameter draws: Laplace (countshift's
//! default: NB theta from the Laplace approximation of its marginal
//! posterior, the coefficients at that theta), Wald (theta log-normal with
//! its Wald standard error; countshift before December 2026) and plug-in
//! (no parameter uncertainty). "Oracle" is the exact coverage of the
//! interval between the 2.5% and 97.5% quantiles of the true distribution
//! (of the next value, or of the total): the best an interval of integers
//! can do, above 95% because counts are discrete. The `kn23` cell draws
//! series from the NB model `trend + step@2024-02` fitted to
//! `kn23_monthly` up to 2024-12 (zeros before the step, so the intercept
//! and the step lie at infinity; exposure as observed) and forecasts
//! 2025-01..2025-06 with their observed exposure.

use countshift::data::{Period, Series, load_dataset};
use countshift::forecast::{ForecastSpec, FutureExposure, ParameterDraws, forecast_with};
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

/// The pmf of one count, as a vector up to where the tail is below 1e-12.
fn pmf_vector(mu: f64, theta: Option<f64>) -> Vec<f64> {
    let mut out = Vec::new();
    let mut cdf = 0.0;
    let mut k = 0u64;
    while cdf < 1.0 - 1e-12 && k < 1_000_000 {
        let p = match theta {
            None => PoissonPmf::new(mu).unwrap().pmf(k),
            Some(th) => NegativeBinomial::new(th, th / (th + mu)).unwrap().pmf(k),
        };
        out.push(p);
        cdf += p;
        k += 1;
    }
    out
}

/// The pmf of the sum of independent counts with these means.
fn total_pmf(means: &[f64], theta: Option<f64>) -> Vec<f64> {
    means.iter().fold(vec![1.0], |acc, &mu| {
        let p = pmf_vector(mu, theta);
        let mut out = vec![0.0; acc.len() + p.len() - 1];
        for (i, a) in acc.iter().enumerate() {
            for (j, b) in p.iter().enumerate() {
                out[i + j] += a * b;
            }
        }
        out
    })
}

fn draw(mu: f64, theta: Option<f64>, rng: &mut ChaCha8Rng) -> f64 {
    if mu == 0.0 {
        return 0.0;
    }
    let m = theta.map_or(mu, |th| mu * Gamma::new(th, 1.0 / th).unwrap().sample(rng));
    if m <= 0.0 {
        return 0.0;
    }
    Poisson::new(m).unwrap().sample(rng)
}

/// One study cell: what generates the series and what is fitted.
struct Cell {
    label: String,
    family: Family,
    theta: Option<f64>,
    terms: Vec<Term>,
    /// True mean per period, observed then future.
    means: Vec<f64>,
    n: usize,
    h: usize,
    /// Per-period exposure (observed then future) when the model has an offset.
    exposure: Option<Vec<f64>>,
    seed: u64,
}

const SCHEMES: [ParameterDraws; 3] = [ParameterDraws::Laplace, ParameterDraws::Wald, ParameterDraws::Estimate];

/// Per series: for each scheme, (next value covered, total covered); `None`
/// when the fit failed.
fn run_cell(cell: &Cell, reps: usize) -> Vec<Option<[(bool, bool); 3]>> {
    (0..reps)
        .into_par_iter()
        .map(|r| {
            let mut rng = ChaCha8Rng::seed_from_u64(cell.seed + r as u64 * 7919);
            let counts: Vec<f64> = (0..cell.n).map(|t| draw(cell.means[t], cell.theta, &mut rng)).collect();
            let exposure = cell.exposure.as_ref().map(|e| &e[..cell.n]);
            let series = Series::from_counts(Period::month(2023, 1), &counts, exposure).unwrap();
            let future: Vec<f64> = (cell.n..cell.n + cell.h)
                .map(|t| draw(cell.means[t], cell.theta, &mut rng))
                .collect();
            let spec = ModelSpec {
                family: cell.family,
                terms: cell.terms.clone(),
                use_offset: cell.exposure.is_some(),
            };
            let fitted = fit(&spec, &series).ok()?;
            let fspec = ForecastSpec {
                horizon: cell.h,
                draws: 2000,
                seed: r as u64,
                level: Level::default(),
                exposure: cell.exposure.as_ref().map_or(FutureExposure::LastYearMean, |e| {
                    FutureExposure::Values(e[cell.n..cell.n + cell.h].to_vec())
                }),
                parameter_uncertainty: true,
            };
            let total: f64 = future.iter().sum();
            let mut out = [(false, false); 3];
            for (slot, scheme) in out.iter_mut().zip(SCHEMES) {
                let f = forecast_with(&fitted, &series, &fspec, scheme).ok()?;
                let next = &f.rows[0].predictive;
                *slot = (
                    next.lower_95 <= future[0] && future[0] <= next.upper_95,
                    f.total.lower_95 <= total && total <= f.total.upper_95,
                );
            }
            Some(out)
        })
        .collect()
}

fn trend_cells() -> Vec<Cell> {
    let mut cells = Vec::new();
    for (family, theta, label) in [
        (Family::Poisson, None, "poisson"),
        (Family::Negbin, Some(5.0), "negbin theta 5"),
        (Family::Negbin, Some(1.0), "negbin theta 1"),
        (Family::Negbin, Some(0.5), "negbin theta 0.5"),
    ] {
        for n in [24usize, 36, 120] {
            for h in [6usize, 12] {
                let slope = 0.02 * 36.0 / n as f64;
                let theta_code = theta.map_or(0, |t| (t * 10.0) as u64);
                cells.push(Cell {
                    label: label.into(),
                    family,
                    theta,
                    terms: vec![Term::Intercept, Term::Trend],
                    means: (0..n + h).map(|t| 10.0 * (slope * t as f64).exp()).collect(),
                    n,
                    h,
                    exposure: None,
                    seed: 7_000_000 + 1000 * n as u64 + 10 * h as u64 + 100_000 * theta_code,
                });
            }
        }
    }
    cells
}

/// NB `trend + step@2024-02` fitted to `kn23_monthly` up to 2024-12.
fn kn23_cell() -> Cell {
    let data = load_dataset("kn23_monthly").unwrap();
    let (n, h) = (24, 6);
    let train = data.before(n);
    let terms = vec![Term::Intercept, Term::Trend, Term::Step(Period::month(2024, 2))];
    let model = fit(
        &ModelSpec {
            family: Family::Negbin,
            terms: terms.clone(),
            use_offset: true,
        },
        &train,
    )
    .unwrap();
    let exposure: Vec<f64> = data
        .period_exposure()
        .as_ref()
        .unwrap()
        .iter()
        .take(n + h)
        .copied()
        .collect();
    // The level after the step (intercept + step, finite) and the trend.
    let level = model.beta()[0] + model.beta()[2];
    let means = (0..n + h)
        .map(|t| {
            if t < 13 {
                0.0
            } else {
                exposure[t] * (level + model.beta()[1] * t as f64).exp()
            }
        })
        .collect();
    Cell {
        label: format!("kn23 (negbin theta {:.2}, step)", model.theta().unwrap()),
        family: Family::Negbin,
        theta: model.theta(),
        terms,
        means,
        n,
        h,
        exposure: Some(exposure),
        seed: 9_100_000,
    }
}

#[test]
#[ignore = "minutes of simulation; run with --ignored"]
fn forecast_intervals_are_calibrated() {
    let reps: usize = std::env::var("COUNTSHIFT_CALIBRATION_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let only = std::env::var("COUNTSHIFT_CALIBRATION_FAMILY").ok();
    let mut cells = trend_cells();
    cells.push(kn23_cell());
    let cells: Vec<Cell> = cells
        .into_iter()
        .filter(|c| only.as_deref().is_none_or(|f| c.label.starts_with(f)))
        .collect();
    println!(
        "| model | n | horizon | series | next value: Laplace | Wald | plug-in | oracle | total: Laplace | Wald | plug-in | oracle |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for cell in &cells {
        let results = run_cell(cell, reps);
        let ok: Vec<&[(bool, bool); 3]> = results.iter().flatten().collect();
        let m = ok.len() as f64;
        let rate = |scheme: usize, total: bool| {
            let hits = ok
                .iter()
                .filter(|x| if total { x[scheme].1 } else { x[scheme].0 })
                .count() as f64;
            let p = hits / m;
            format!("{p:.3} ± {:.3}", (p * (1.0 - p) / m).sqrt())
        };
        let next_pmf = pmf_vector(cell.means[cell.n], cell.theta);
        let oracle_next = central_interval_probability(|k| next_pmf.get(k as usize).copied().unwrap_or(0.0));
        let totals = total_pmf(&cell.means[cell.n..cell.n + cell.h], cell.theta);
        let oracle_total = central_interval_probability(|k| totals.get(k as usize).copied().unwrap_or(0.0));
        let failed = results.len() - ok.len();
        println!(
            "| {} | {} | {} | {}{} | {} | {} | {} | {oracle_next:.3} | {} | {} | {} | {oracle_total:.3} |",
            cell.label,
            cell.n,
            cell.h,
            ok.len(),
            if failed > 0 {
                format!(" ({failed} fits failed)")
            } else {
                String::new()
            },
            rate(0, false),
            rate(1, false),
            rate(2, false),
            rate(0, true),
            rate(1, true),
            rate(2, true),
        );
    }
}
