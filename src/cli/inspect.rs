//! `countshift inspect`.

use clap::Args;
use countshift::report::format::{csv_cell, csv_number, period_set};
use countshift::report::inspect::{InspectView, inspect_table};

use super::{DataArgs, Format, emit, emit_json_as};

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

impl Default for InspectArgs {
    fn default() -> Self {
        InspectArgs {
            data: DataArgs::default(),
            format: Format::Table,
        }
    }
}

pub fn run(args: &InspectArgs) -> anyhow::Result<()> {
    let series = args.data.load()?;
    match args.format {
        Format::Table => emit(&inspect_table(&series)),
        Format::Json | Format::Jsonl => emit_json_as(args.format, &InspectView::new(&series)),
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(["periods", "y", "exposure", "line"])?;
            for o in series.observations() {
                let exposure = csv_cell(o.exposure());
                w.write_record([
                    period_set(&series, o.periods()),
                    csv_number(o.y()),
                    exposure,
                    o.line().to_string(),
                ])?;
            }
            emit(&String::from_utf8(w.into_inner()?)?)
        }
    }
}
