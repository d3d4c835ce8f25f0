//! Change points. So far: the test at a known date.

pub mod known;

pub use known::{StepTest, step_test};
