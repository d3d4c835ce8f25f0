//! Datasets compiled into the binary, so that every command runs with no file.
//! `data/README.md` gives the provenance of each.

use super::read::{ReadOptions, read_series_with};
use super::series::Series;
use crate::error::SpecError;
use crate::error::{Error, Result};

/// One embedded dataset.
#[derive(Debug, Clone, Copy)]
pub struct Dataset {
    /// Name for `--dataset`.
    pub name: &'static str,
    /// One line on what it is.
    pub description: &'static str,
    /// The CSV text.
    pub csv: &'static str,
    /// The known date this dataset is about (the first period of a new regime),
    /// used by `report` when the user gives none.
    pub known_break: Option<&'static str>,
}

/// The dataset used when neither `--data` nor `--dataset` is given.
pub const DEFAULT_DATASET: &str = "kn23_2024_reported";

/// Every embedded dataset.
pub const DATASETS: &[Dataset] = &[
    Dataset {
        name: "kn23_2024_reported",
        description: "KN-23 launches at Ukraine in 2024 as reported: 8 in Jan-Jun, 74 in Jul-Dec (24 in Aug, 24 in Sep); \
                      exposure = all Russian missiles implied by the reported shares 0.7% and 6.7% (derived)",
        csv: include_str!("../../data/kn23_2024_reported.csv"),
        known_break: Some("2024-07"),
    },
    Dataset {
        name: "kn23_monthly",
        description: "KN-23 launches per month 2023-01..2025-12 from the Ukrainian Air Force event log, \
                      exposure = all missiles launched that month",
        csv: include_str!("../../data/kn23_monthly.csv"),
        known_break: Some("2024-07"),
    },
];

/// Finds an embedded dataset by name.
///
/// # Errors
/// [`SpecError::UnknownDataset`] naming the datasets there are.
pub fn dataset(name: &str) -> Result<&'static Dataset> {
    DATASETS.iter().find(|d| d.name == name).ok_or_else(|| {
        let names: Vec<&str> = DATASETS.iter().map(|d| d.name).collect();
        Error::from(SpecError::UnknownDataset {
            name: name.to_owned(),
            known: names.iter().map(|n| (*n).to_owned()).collect(),
        })
    })
}

/// Reads an embedded dataset.
///
/// # Errors
/// [`SpecError::UnknownDataset`] for an unknown name.
pub fn load_dataset(name: &str) -> Result<Series> {
    load_dataset_with(name, &ReadOptions::default())
}

/// Reads an embedded dataset with options (`--frequency`).
///
/// # Errors
/// [`SpecError::UnknownDataset`] for an unknown name, [`crate::Error::Input`] when the
/// options cannot apply to its periods.
pub fn load_dataset_with(name: &str, options: &ReadOptions) -> Result<Series> {
    let d = dataset(name)?;
    read_series_with(d.csv.as_bytes(), &format!("embedded dataset {name}"), options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_dataset_reads() {
        for d in DATASETS {
            let s = load_dataset(d.name).unwrap();
            assert!(s.n_obs() > 0, "{}", d.name);
        }
    }
}
