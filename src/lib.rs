//! # countshift
//!
//! Trend and change-point models for count time series: fit Poisson, negative
//! binomial and Gaussian trend models with exposure offsets and period-total
//! observations, test and date shifts in the rate, and forecast with
//! prediction intervals — every number with an honest interval.
//!
//! The library never prints and never exits; the `countshift` binary is a
//! thin layer over it. Data come in as [`data::Series`], read by
//! [`data::read_series`] from the CSV format of the design (one row per period
//! or per run of periods).
//!
//! ```
//! use countshift::data::read_series;
//!
//! let csv = "start,end,count\n2024-01,2024-06,8\n2024-07,2024-12,74\n2024-08,2024-08,24\n";
//! let series = read_series(csv.as_bytes(), "example.csv").unwrap();
//! // Jul-Dec less August: one observation over five months.
//! assert_eq!(series.observations()[1].periods().len(), 5);
//! assert_eq!(series.observations()[1].y(), 50.0);
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]
// Library code returns errors: no unwrap outside tests (an `expect` states
// an invariant the code above it establishes).
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod changepoint;
pub mod data;
pub mod error;
pub mod forecast;
pub mod inference;
pub mod model;
pub mod numbers;
pub mod report;
pub mod simulate;

pub use error::{Error, Result, SpecError};

// The curated entry points: what a first program needs, at the crate root.
// Each module documents the rest.
pub use changepoint::single::{BreakKind, DetectSpec, SingleBreak, detect_single};
pub use changepoint::{StepTest, step_test};
pub use data::{Frequency, Period, Series, load_dataset, read_series, read_series_path};
pub use forecast::{Forecast, ForecastSpec, FutureExposure, forecast};
pub use inference::{Interval, Level};
pub use model::{Family, Fit, ModelSpec, Term, fit, parse_terms};

// The README's Rust examples are doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
