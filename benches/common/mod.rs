//! Inputs shared by the benches, drawn by the library with a fixed seed.

use countshift::data::{Period, Series};
use countshift::model::{Family, Term};
use countshift::simulate::{SimulationSpec, draw, period_means};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// `n` periods from `first`, drawn from `terms` with `coefficients` (NB with
/// theta 5 for the negative binomial), seeded.
pub fn simulated(
    first: Period,
    n: usize,
    family: Family,
    terms: Vec<Term>,
    coefficients: Vec<f64>,
    seed: u64,
) -> Series {
    let template = Series::template(first, n);
    let spec = SimulationSpec {
        family,
        terms,
        coefficients,
        theta: Some(5.0),
        sigma: None,
        use_offset: false,
    };
    let means = period_means(&spec, &template).expect("valid spec");
    let counts = draw(&spec, &means, &mut ChaCha8Rng::seed_from_u64(seed)).expect("valid means");
    Series::from_counts(first, &counts, None).expect("drawn counts are counts")
}
