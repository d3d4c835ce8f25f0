//! Many series in one file (DESIGN §8): long, with a key column naming the
//! series of each row, or wide, with a column per series. Every rule of a
//! single series file holds per series, and an error names the series as
//! well as the file, line and column.

use std::collections::HashMap;

use rayon::prelude::*;

use super::read::{
    Columns, RawRow, ReadOptions, Roles, Settled, classify_header, date_evidence, no_rows, open_csv, parse_row, place,
    read_series_with, settle_frequency,
};
use super::series::Series;
use crate::error::{Error, InputError, Location, Result};

/// The key column a long file has when none is named.
pub const DEFAULT_KEY: &str = "series";

/// How a file holds its series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// One series; a file with a [`DEFAULT_KEY`] column is long.
    Auto,
    /// One row per period and series, the series named in this column.
    Long {
        /// The key column.
        key: String,
    },
    /// One row per period, one column per series: these columns, or every
    /// column but the period and the exposure when empty. The other
    /// columns are covariates that every series shares.
    Wide {
        /// The series columns.
        columns: Vec<String>,
    },
}

/// One series of a file of many, with its key.
#[derive(Debug, Clone)]
pub struct Keyed {
    /// The key (the value of the key column, or the wide column's name).
    pub key: String,
    /// The series.
    pub series: Series,
}

/// What a series file holds.
#[derive(Debug, Clone)]
pub enum SeriesFile {
    /// One series.
    One(Box<Series>),
    /// Several, in the order of their first row (long) or column (wide).
    Many(Vec<Keyed>),
}

/// The name a series of a file of many goes by in messages and tables.
pub fn series_label(source: &str, key: &str) -> String {
    format!("{source}, series `{key}`")
}

/// Reads a file of one series or many.
///
/// # Errors
/// [`Error::Input`] naming the file, series, line and column when a series
/// breaks a rule of DESIGN §1.1, when a row has no key, or when the series
/// are written in different frequencies.
pub fn read_series_file(bytes: &[u8], source: &str, options: &ReadOptions, layout: &Layout) -> Result<SeriesFile> {
    match layout {
        Layout::Auto => {
            let (header, _) = open_csv(bytes, source)?;
            if header.iter().any(|h| h == DEFAULT_KEY) {
                read_long(bytes, source, options, DEFAULT_KEY)
            } else {
                Ok(SeriesFile::One(Box::new(read_series_with(bytes, source, options)?)))
            }
        }
        Layout::Long { key } => read_long(bytes, source, options, key),
        Layout::Wide { columns } => read_wide(bytes, source, options, columns),
    }
}

fn read_long(bytes: &[u8], source: &str, options: &ReadOptions, key: &str) -> Result<SeriesFile> {
    let (header, body) = open_csv(bytes, source)?;
    let roles = Roles {
        key: Some(key),
        ..Roles::single(options)
    };
    let columns = classify_header(&header, source, &roles)?;
    let key_index = columns.key.expect("a long file's key column was found");
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<(String, Vec<RawRow>)> = Vec::new();
    let mut records = body.records(header.len(), source);
    let mut record = csv::StringRecord::new();
    while let Some(line) = records.next(&mut record)? {
        let name = record.get(key_index).unwrap_or("").trim();
        if name.is_empty() {
            return Err(Error::Input(InputError::new(
                Location::cell(source, line, key),
                format!("the row names no series; give every row its series in `{key}`"),
            )));
        }
        let g = match index.get(name) {
            Some(&g) => g,
            None => {
                index.insert(name.to_owned(), groups.len());
                groups.push((name.to_owned(), Vec::new()));
                groups.len() - 1
            }
        };
        let row = parse_row(&record, line, &columns, &header, source).map_err(|e| e.in_series(name))?;
        groups[g].1.push(row);
    }
    if groups.is_empty() {
        return Err(no_rows(source));
    }
    build_many(groups, source, options, |_| columns.clone())
}

fn read_wide(bytes: &[u8], source: &str, options: &ReadOptions, listed: &[String]) -> Result<SeriesFile> {
    let (header, body) = open_csv(bytes, source)?;
    let roles = Roles {
        wide: Some(listed),
        ..Roles::single(options)
    };
    let base = classify_header(&header, source, &roles)?;
    let mut records = Vec::new();
    let mut reading = body.records(header.len(), source);
    let mut record = csv::StringRecord::new();
    while let Some(line) = reading.next(&mut record)? {
        records.push((line, record.clone()));
    }
    if records.is_empty() {
        return Err(no_rows(source));
    }
    // A blank cell is a period that series was not observed in (a missing
    // period, as a missing row is in a file of one series).
    let groups = base
        .series
        .iter()
        .map(|(i, name)| {
            let columns = base.with_response(*i);
            let rows = records
                .iter()
                .filter(|(_, r)| !r.get(*i).unwrap_or("").trim().is_empty())
                .map(|(line, r)| parse_row(r, *line, &columns, &header, source).map_err(|e| e.in_series(name)))
                .collect::<Result<Vec<_>>>()?;
            if rows.is_empty() {
                return Err(Error::Input(InputError::new(
                    Location::file(source),
                    format!("the column `{name}` is blank on every row; give it a count or leave it out"),
                )));
            }
            Ok((name.clone(), rows))
        })
        .collect::<Result<Vec<_>>>()?;
    build_many(groups, source, options, |i| base.with_response(base.series[i].0))
}

/// Every group at one frequency, settled on all the rows together (so a
/// series of one row reads at the file's frequency), then placed, in
/// parallel; the first error in file order is the one reported.
fn build_many(
    groups: Vec<(String, Vec<RawRow>)>,
    source: &str,
    options: &ReadOptions,
    columns_of: impl Fn(usize) -> Columns + Sync,
) -> Result<SeriesFile> {
    let mut written = None;
    for (key, rows) in &groups {
        let (w, line) = settle_frequency(rows, source).map_err(|e| e.in_series(key))?;
        match written {
            None => written = Some((w, line, key.as_str())),
            Some((first, _, first_key)) if first != w => {
                return Err(Error::Input(InputError::new(
                    Location {
                        series: Some(key.clone()),
                        ..Location::line(source, line)
                    },
                    format!("this series is {w} but series `{first_key}` is {first}; give every series one frequency"),
                )));
            }
            Some(_) => {}
        }
    }
    let (w, line, _) = written.expect("at least one group");
    let settled = Settled::new(
        w,
        line,
        date_evidence(groups.iter().flat_map(|(_, r)| r)),
        source,
        options,
    )?;
    let placed: Vec<Result<Keyed>> = groups
        .into_par_iter()
        .enumerate()
        .map(|(i, (key, rows))| {
            let label = series_label(source, &key);
            let series = place(rows, &columns_of(i), source, &settled)
                .map_err(|e| e.in_series(&key))?
                .with_source(label);
            Ok(Keyed { key, series })
        })
        .collect();
    Ok(SeriesFile::Many(placed.into_iter().collect::<Result<Vec<_>>>()?))
}

/// The seed of series `key` in a run seeded `seed`: its own stream, the
/// same whichever other series are in the file, in whatever order, on any
/// number of threads. FNV-1a of the key's bytes, mixed with the seed by
/// SplitMix64's finaliser (both fixed here, so the streams do not change
/// with the Rust version, as `std`'s hasher may).
pub fn key_seed(seed: u64, key: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in key.as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut z = seed ^ h;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn many(text: &str, layout: &Layout) -> Result<Vec<Keyed>> {
        match read_series_file(text.as_bytes(), "f.csv", &ReadOptions::default(), layout)? {
            SeriesFile::Many(v) => Ok(v),
            SeriesFile::One(_) => panic!("one series"),
        }
    }

    #[test]
    fn a_long_file_is_one_series_per_key_in_order_of_first_row() {
        let text = "series,period,count\nb,2024-01,1\na,2024-01,5\nb,2024-02,2\na,2024-03,7\n";
        let v = many(text, &Layout::Auto).unwrap();
        assert_eq!(v.iter().map(|k| k.key.as_str()).collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(v[1].series.n_periods(), 3);
        assert_eq!(v[1].series.missing_periods().len(), 1);
        assert_eq!(v[0].series.source(), "f.csv, series `b`");
    }

    #[test]
    fn a_wide_file_is_one_series_per_column_with_a_shared_exposure() {
        let text = "period,exposure,shahed,kn23\n2024-01,10,100,\n2024-02,12,120,3\n";
        let v = many(text, &Layout::Wide { columns: Vec::new() }).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].key, "kn23");
        assert_eq!(v[1].series.n_obs(), 1);
        assert!(v[0].series.has_exposure());
        assert_eq!(v[0].series.total(), 220.0);
    }

    #[test]
    fn errors_name_the_series() {
        let dup = "series,period,count\na,2024-01,1\nb,2024-01,2\nb,2024-01,3\n";
        let e = many(dup, &Layout::Auto).unwrap_err().to_string();
        assert!(e.starts_with("f.csv, series `b`, line 4"), "{e}");
        let mixed = "series,period,count\na,2024-01,1\nb,2024-W01,2\n";
        let e = many(mixed, &Layout::Auto).unwrap_err().to_string();
        assert!(e.contains("series `b`") && e.contains("series `a`"), "{e}");
        let no_key = "series,period,count\na,2024-01,1\n,2024-02,2\n";
        let e = many(no_key, &Layout::Auto).unwrap_err().to_string();
        assert!(e.starts_with("f.csv, line 3, column `series`"), "{e}");
    }

    #[test]
    fn a_key_seed_depends_on_the_seed_and_the_key_only() {
        assert_eq!(key_seed(1, "kn23"), key_seed(1, "kn23"));
        assert_ne!(key_seed(1, "kn23"), key_seed(2, "kn23"));
        assert_ne!(key_seed(1, "kn23"), key_seed(1, "kn24"));
    }
}
