//! Data: periods, series files, event-log aggregation and embedded datasets.

pub mod aggregate;
pub mod embedded;
pub mod groups;
pub mod infer;
pub mod many;
pub mod period;
pub mod read;
pub mod series;

pub use aggregate::{AggregateSpec, Aggregation, Catalogue, ExposureSelector, ModelSelector, aggregate};
pub use embedded::{DATASETS, DEFAULT_DATASET, Dataset, dataset, load_dataset, load_dataset_with};
pub use groups::{Combined, GroupBy, GroupSpec, Groups, RowFilter, aggregate_groups};
pub use infer::FrequencySource;
pub use many::{DEFAULT_KEY, Keyed, Layout, SeriesFile, key_seed, read_series_file, series_label};
pub use period::{Frequency, Period, PeriodError};
pub use read::{ReadOptions, read_series, read_series_path, read_series_path_with, read_series_with};
pub use series::{Observation, Response, Series};

/// A CSV cell without surrounding whitespace. Most cells have none, and
/// looking at the two ends first is cheaper than [`str::trim`] on every
/// cell of a large file.
pub(crate) fn trim_cell(text: &str) -> &str {
    let b = text.as_bytes();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}
