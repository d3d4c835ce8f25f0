//! Change points: the test at a known date, the single unknown break (profile,
//! sup-LR with bootstrap and asymptotic p-values, break-date set, posterior),
//! and multiple breaks by exact dynamic programming and PELT, all on one
//! [`cost::SegmentCost`] trait where a closed form exists.

pub mod bartlett;
pub mod break_dates;
pub mod cost;
pub mod functional;
pub mod kind;
pub mod known;
pub mod multiple;
pub mod number_tests;
pub(crate) mod scan;
pub mod segment;
pub mod segmentation_posterior;
pub mod single;
mod sliding;

pub use known::{StepTest, step_test};
