//! Times one library call on a series CSV, reading excluded, and prints the
//! median seconds with the answer as JSON: what `scripts/compare-peers` sets
//! beside the peers' own in-process times.
//!
//! ```text
//! cargo run --release --example timing -- fit poisson|negbin FILE TERMS REPEATS
//! cargo run --release --example timing -- scan FILE MIN_SEGMENT REPEATS
//! cargo run --release --example timing -- dp FILE K MIN_SEGMENT REPEATS
//! cargo run --release --example timing -- pelt gaussian|poisson FILE PENALTY REPEATS
//! ```

use std::time::Instant;

use countshift::changepoint::cost::{GaussianMeanCost, PoissonCost};
use countshift::changepoint::segment::{optimal_segmentations, pelt};
use countshift::changepoint::single::{BreakKind, DetectSpec, GammaPrior, detect_single};
use countshift::data::read_series_path;
use countshift::inference::Level;
use countshift::model::{Family, ModelSpec, Term, fit, parse_terms};
use serde_json::{Value, json};

/// Median wall time of `repeats` calls, and the last answer.
fn timed(repeats: usize, mut call: impl FnMut() -> Value) -> (f64, Value) {
    let mut times = Vec::with_capacity(repeats);
    let mut answer = Value::Null;
    for _ in 0..repeats.max(1) {
        let start = Instant::now();
        answer = call();
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], answer)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| {
        args.get(i)
            .map(String::as_str)
            .ok_or("missing argument; see the doc comment")
    };
    let number = |i: usize| -> Result<usize, Box<dyn std::error::Error>> { Ok(arg(i)?.parse()?) };
    let (seconds, answer) = match arg(0)? {
        "fit" => {
            let family = if arg(1)? == "negbin" {
                Family::Negbin
            } else {
                Family::Poisson
            };
            let series = read_series_path(arg(2)?)?;
            let spec = ModelSpec {
                family,
                terms: parse_terms(arg(3)?, &series)?,
                use_offset: false,
            };
            timed(number(4)?, || {
                let f = fit(&spec, &series).expect("fits");
                json!({ "coefficients": f.beta(), "theta": f.theta(), "loglik": f.loglik() })
            })
        }
        "scan" => {
            let series = read_series_path(arg(1)?)?;
            let spec = DetectSpec {
                model: ModelSpec {
                    family: Family::Poisson,
                    terms: vec![Term::Intercept],
                    use_offset: false,
                },
                min_segment: number(2)?,
                bootstrap: 0,
                seed: 1,
                level: Level::default(),
                prior: GammaPrior::default(),
                kind: BreakKind::Level,
            };
            timed(number(3)?, || {
                let d = detect_single(&series, &spec).expect("scans");
                json!({ "break_index": series.index_of(d.dates[d.best]), "sup_lr": d.sup_lr })
            })
        }
        "dp" => {
            let series = read_series_path(arg(1)?)?;
            let y: Vec<f64> = series.observations().iter().map(|o| o.y()).collect();
            let cost = GaussianMeanCost::new(&y);
            let (k, h) = (number(2)?, number(3)?);
            timed(number(4)?, || {
                let segs = optimal_segmentations(&cost, k, h).expect("segments");
                json!({ "breaks": segs[k].breaks, "rss": segs.iter().map(|s| s.cost).collect::<Vec<_>>() })
            })
        }
        "pelt" => {
            let series = read_series_path(arg(2)?)?;
            let y: Vec<f64> = series.observations().iter().map(|o| o.y()).collect();
            let exposure = series.observation_exposures();
            let penalty: f64 = arg(3)?.parse()?;
            let repeats = number(4)?;
            if arg(1)? == "poisson" {
                let cost = PoissonCost::new(&y, exposure.as_deref());
                timed(
                    repeats,
                    || json!({ "breaks": pelt(&cost, penalty, 2).expect("segments").breaks }),
                )
            } else {
                let cost = GaussianMeanCost::new(&y);
                timed(
                    repeats,
                    || json!({ "breaks": pelt(&cost, penalty, 2).expect("segments").breaks }),
                )
            }
        }
        other => return Err(format!("unknown work `{other}`; see the doc comment").into()),
    };
    println!("{}", json!({ "seconds": seconds, "answer": answer }));
    Ok(())
}
