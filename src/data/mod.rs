//! Data: periods, series files, event-log aggregation and embedded datasets.

pub mod aggregate;
pub mod embedded;
pub mod period;
pub mod read;
pub mod series;

pub use aggregate::{AggregateSpec, Aggregation, Catalogue, ExposureSelector, ModelSelector, aggregate};
pub use embedded::{DATASETS, DEFAULT_DATASET, Dataset, dataset, load_dataset};
pub use period::{Frequency, Period, PeriodError};
pub use read::{read_series, read_series_path};
pub use series::{Observation, Response, Series};
