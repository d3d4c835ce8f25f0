//! `countshift datasets`.

use clap::Args;
use countshift::data::{DATASETS, DEFAULT_DATASET, load_dataset};
use countshift::report::format::{csv_table, table};
use serde::Serialize;

use super::{Format, emit, emit_json_as};

#[derive(Debug, Args)]
pub struct DatasetsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Print the CSV of this dataset instead of the list.
    #[arg(long, value_name = "NAME")]
    show: Option<String>,
}

#[derive(Serialize)]
struct Entry {
    name: &'static str,
    default: bool,
    frequency: String,
    first: String,
    last: String,
    n_obs: usize,
    description: &'static str,
}

pub fn run(args: &DatasetsArgs) -> anyhow::Result<()> {
    if let Some(name) = &args.show {
        return emit(countshift::data::dataset(name)?.csv);
    }
    let mut entries = Vec::new();
    for d in DATASETS {
        let s = load_dataset(d.name)?;
        entries.push(Entry {
            name: d.name,
            default: d.name == DEFAULT_DATASET,
            frequency: s.frequency().to_string(),
            first: s.first().to_string(),
            last: s.last().to_string(),
            n_obs: s.n_obs(),
            description: d.description,
        });
    }
    match args.format {
        Format::Json | Format::Jsonl => emit_json_as(
            args.format,
            &serde_json::json!({ "schema_version": 1, "datasets": entries }),
        ),
        Format::Csv => {
            let rows: Vec<Vec<String>> = entries
                .iter()
                .map(|e| {
                    vec![
                        e.name.to_owned(),
                        e.default.to_string(),
                        e.frequency.clone(),
                        e.first.clone(),
                        e.last.clone(),
                        e.n_obs.to_string(),
                        e.description.to_owned(),
                    ]
                })
                .collect();
            emit(&csv_table(
                &[
                    "dataset",
                    "default",
                    "frequency",
                    "first",
                    "last",
                    "observations",
                    "description",
                ],
                &rows,
            ))
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = entries
                .iter()
                .map(|e| {
                    let name = if e.default {
                        format!("{} (default)", e.name)
                    } else {
                        e.name.to_owned()
                    };
                    vec![
                        name,
                        e.frequency.clone(),
                        format!("{}..{}", e.first, e.last),
                        e.n_obs.to_string(),
                    ]
                })
                .collect();
            let mut out = table(&["dataset", "frequency", "range", "observations"], &rows);
            out.push('\n');
            for e in &entries {
                out += &format!("{}: {}\n", e.name, e.description);
            }
            emit(&out)
        }
    }
}
