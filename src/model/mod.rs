//! Models: families, terms, and maximum-likelihood fitting on observations
//! that are totals over sets of periods.

pub mod family;
pub mod fit;
#[cfg(feature = "linfa")]
pub mod linfa;
pub mod terms;

pub use family::{Dispersion, Family, Link, Undrawable};
pub use fit::{Bound, Fit, ModelSpec, fit};
pub use terms::{Design, Term, parse_terms};
