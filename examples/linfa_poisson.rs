//! Fitting countshift's Poisson GLM through linfa's `Fit` and `Predict` traits.
//!
//! Run with `cargo run --example linfa_poisson`.

use countshift::inference::Level;
use countshift::model::Family;
use countshift::model::linfa::GlmParams;
use linfa::prelude::*;
use ndarray::{Array1, Array2};

fn main() -> Result<(), countshift::Error> {
    // Monthly counts with a trend: records are the month index, targets the counts.
    let counts = [2.0, 1.0, 4.0, 3.0, 6.0, 5.0, 9.0, 8.0, 12.0, 11.0, 15.0, 18.0];
    let x = Array2::from_shape_fn((counts.len(), 1), |(i, _)| i as f64);
    let dataset = Dataset::new(x.clone(), Array1::from(counts.to_vec()));
    let model = GlmParams::new(Family::Poisson).fit(&dataset)?;
    let growth = model.fit.profile_interval(1, Level::default())?;
    println!(
        "growth per month: {:.1}% [{:.1}%, {:.1}%]",
        (model.coefficients()[1].exp() - 1.0) * 100.0,
        (growth.low.unwrap_or(f64::NAN).exp() - 1.0) * 100.0,
        (growth.high.unwrap_or(f64::NAN).exp() - 1.0) * 100.0
    );
    let means = model.predict(&x);
    println!("fitted mean in the last month: {:.2}", means[counts.len() - 1]);
    Ok(())
}
