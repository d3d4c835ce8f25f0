//! Reading and validating series files (DESIGN §1.1).
//!
//! Every row is either an observation or reported in [`Series::notes`]; every
//! problem is an [`InputError`] naming file, line, column and value.

use std::collections::HashMap;
use std::io::Read;

use ndarray::{Array1, Array2};
use rayon::prelude::*;

use super::infer::{DateEvidence, FrequencySource, Role};
use super::period::{Frequency, Period, RawPeriod};
pub use super::series::MAX_COUNT;
use super::series::{MAX_EXPOSURE, MAX_MAGNITUDE, MIN_EXPOSURE, Observation, Periods, Response, Series};
use crate::error::{Error, InputError, Location, Result};

/// Periods per row a series may span (gaps included), past [`MIN_SPAN_CAP`].
const MAX_PERIODS_PER_ROW: i64 = 100;
/// A span any series may have, however few its rows.
const MIN_SPAN_CAP: i64 = 100_000;
/// A series index longer than this is surely a typo (a stray year 9999).
const MAX_PERIODS: i64 = 100_000_000;

/// How to read a series file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Read the file's dates (`YYYY-MM-DD`) as periods of this frequency,
    /// each date standing for the period that holds it, instead of the
    /// frequency inferred from them (see [`super::infer`]). Periods written
    /// in another spelling (`2024-01`) cannot be re-read.
    pub frequency: Option<Frequency>,
    /// The column of counts, when it is not named `count`.
    pub count: Option<String>,
}

/// Reads a series file; `-` reads standard input.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read, [`Error::Input`] when it breaks
/// a rule of DESIGN §1.1.
pub fn read_series_path(path: &str) -> Result<Series> {
    read_series_path_with(path, &ReadOptions::default())
}

/// Reads a series file with options; `-` reads standard input.
///
/// # Errors
/// As [`read_series_path`], and [`Error::Input`] when `--frequency` cannot
/// apply to the file's periods.
pub fn read_series_path_with(path: &str, options: &ReadOptions) -> Result<Series> {
    let (bytes, name) = read_input(path)?;
    read_series_with(&bytes, &name, options)
}

/// Reads the bytes of `path` (`-` for standard input) and the name to report.
///
/// What a reader accepts is bounded, so that `/dev/zero` or a binary file
/// fails at once instead of filling memory: text only (a NUL byte is
/// binary), lines of at most [`MAX_LINE_BYTES`], and [`MAX_INPUT_BYTES`] in
/// all (10^8 rows of up to 40 bytes).
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::Input`] past a bound.
pub fn read_input(path: &str) -> Result<(Vec<u8>, String)> {
    let name = if path == "-" { "<stdin>" } else { path };
    let io = |source| Error::Io {
        path: name.into(),
        source,
    };
    let (mut reader, size): (Box<dyn Read>, usize) = if path == "-" {
        (Box::new(std::io::stdin().lock()), 0)
    } else {
        let file = std::fs::File::open(path).map_err(io)?;
        let size = file
            .metadata()
            .map_or(0, |m| m.len().min(MAX_INPUT_BYTES as u64) as usize);
        (Box::new(file), size)
    };
    let fail = |line: u64, msg: String| Error::Input(InputError::new(Location::line(name, line), msg));
    // Sized from the file's length, so a large file is not copied as it grows.
    let mut bytes = Vec::with_capacity(size + 1);
    let mut chunk = vec![0u8; 1 << 20];
    // The line the chunk starts on and the bytes of it already read.
    let (mut line, mut line_bytes) = (1u64, 0usize);
    loop {
        let got = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(k) => k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        };
        let chunk = &chunk[..got];
        // The first NUL and the first over-long line, whichever comes first.
        let nul = memchr::memchr(0, chunk);
        let scan_to = nul.unwrap_or(got);
        let mut from = 0;
        for end in memchr::memchr_iter(b'\n', &chunk[..scan_to]).chain(std::iter::once(scan_to)) {
            line_bytes += end - from;
            if line_bytes > MAX_LINE_BYTES {
                return Err(fail(
                    line,
                    format!(
                        "the line is longer than {MAX_LINE_BYTES} bytes, the most countshift reads; is this a CSV file?"
                    ),
                ));
            }
            if end < scan_to {
                (line, line_bytes) = (line + 1, 0);
            }
            from = end + 1;
        }
        if nul.is_some() {
            return Err(fail(
                line,
                "the file holds binary data (a NUL byte); countshift reads CSV text".into(),
            ));
        }
        if bytes.len() + got > MAX_INPUT_BYTES {
            return Err(Error::Input(InputError::new(
                Location::file(name),
                format!(
                    "the file is larger than {MAX_INPUT_BYTES} bytes, the most countshift reads; split it or aggregate it first"
                ),
            )));
        }
        bytes.extend_from_slice(chunk);
    }
    Ok((bytes, name.to_owned()))
}

/// The longest line a reader accepts (1 MiB).
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// The most bytes a reader accepts (4 GiB).
pub const MAX_INPUT_BYTES: usize = 1 << 32;

/// Where each role sits in the header.
#[derive(Debug, Clone)]
pub(super) struct Columns {
    period: Option<usize>,
    start: Option<usize>,
    end: Option<usize>,
    pub(super) response: (usize, Response),
    exposure: Option<usize>,
    covariates: Vec<(usize, String)>,
    /// A long file's key column.
    pub(super) key: Option<usize>,
    /// A wide file's series columns, each a response in turn.
    pub(super) series: Vec<(usize, String)>,
}

impl Columns {
    /// The same roles with the response in column `i` (a wide file's
    /// series in turn).
    pub(super) fn with_response(&self, i: usize) -> Columns {
        Columns {
            response: (i, self.response.1),
            ..self.clone()
        }
    }
}

/// What the columns of a header are for, beyond the fixed names.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Roles<'a> {
    /// The response column's name (default `count`, or `value`).
    pub(super) count: Option<&'a str>,
    /// A long file's key column.
    pub(super) key: Option<&'a str>,
    /// A wide file: these columns, or with `Some(&[])` every column not
    /// otherwise named, are series.
    pub(super) wide: Option<&'a [String]>,
}

impl<'a> Roles<'a> {
    /// One series, the response named by `options`.
    pub(super) fn single(options: &'a ReadOptions) -> Roles<'a> {
        Roles {
            count: options.count.as_deref(),
            ..Roles::default()
        }
    }
}

/// One CSV row, parsed but not yet placed on the index.
///
/// A million rows are held at once before they are placed, so the row is
/// kept small (80 bytes): a period row has no end of its own, and the
/// covariates are a boxed slice.
pub(super) struct RawRow {
    line: u64,
    start: RawPeriod,
    /// The end of a run row (`start`,`end`); `None` for a `period` row.
    run_end: Option<RawPeriod>,
    y: f64,
    exposure: Option<f64>,
    covariates: Box<[f64]>,
}

impl RawRow {
    /// A row to be overwritten (it allocates nothing).
    fn placeholder() -> RawRow {
        RawRow {
            line: 0,
            start: RawPeriod::Integer(0),
            run_end: None,
            y: 0.0,
            exposure: None,
            covariates: Box::default(),
        }
    }

    /// Whether the row is a run (`start`,`end`) rather than one period.
    fn is_run(&self) -> bool {
        self.run_end.is_some()
    }

    /// The last period the row covers.
    fn end(&self) -> RawPeriod {
        self.run_end.unwrap_or(self.start)
    }

    /// The column that gave the start period, for messages.
    fn period_column(&self) -> &'static str {
        if self.is_run() { "start" } else { "period" }
    }
}

/// A row placed on the index: inclusive span `a..=b`.
struct Row {
    line: u64,
    a: usize,
    b: usize,
    y: f64,
    exposure: Option<f64>,
    covariates: Box<[f64]>,
}

/// Reads a series from CSV bytes; `source` names it in messages.
///
/// # Errors
/// [`Error::Input`] when the bytes break a rule of DESIGN §1.1.
pub fn read_series(bytes: &[u8], source: &str) -> Result<Series> {
    read_series_with(bytes, source, &ReadOptions::default())
}

/// Reads a series from CSV bytes with options; `source` names it in messages.
///
/// # Errors
/// [`Error::Input`] when the bytes break a rule of DESIGN §1.1, or when
/// `options.frequency` cannot apply to the file's periods.
pub fn read_series_with(bytes: &[u8], source: &str, options: &ReadOptions) -> Result<Series> {
    let (header, body) = open_csv(bytes, source)?;
    let columns = classify_header(&header, source, &Roles::single(options))?;
    let raw_rows = parse_rows(body, PIECE_BYTES, &header, &columns, source)?;
    if raw_rows.is_empty() {
        return Err(no_rows(source));
    }
    let (written, first_line) = settle_frequency(&raw_rows, source)?;
    let settled = Settled::new(written, first_line, date_evidence(&raw_rows), source, options)?;
    place(raw_rows, &columns, source, &settled)
}

/// The most text one thread parses at a time (about 80,000 short rows).
const PIECE_BYTES: usize = 1 << 20;

/// Every row of `body`, parsed in pieces of about `piece_bytes` on all
/// threads, each piece into its own stretch of one vector (joining pieces
/// afterwards would copy 80 MB at 10^6 rows). The rows keep file order and
/// the error returned is the first in the file, whatever the thread count.
fn parse_rows(
    body: Body,
    piece_bytes: usize,
    header: &csv::StringRecord,
    columns: &Columns,
    source: &str,
) -> Result<Vec<RawRow>> {
    let each_row = |piece: Body, row: &mut dyn FnMut(RawRow)| -> Result<()> {
        let mut records = piece.records(header.len(), source);
        let mut record = csv::StringRecord::new();
        while let Some(line) = records.next(&mut record)? {
            row(parse_row(&record, line, columns, header, source)?);
        }
        Ok(())
    };
    let pieces = body.pieces(piece_bytes);
    if let [piece] = pieces[..] {
        // One row per line at most: no doubling of the vector. (The csv
        // crate's records are not lines when a quoted field holds a line end.)
        let mut rows = Vec::with_capacity(line_count(piece.text));
        each_row(piece, &mut |row| rows.push(row))?;
        return Ok(rows);
    }
    let counts: Vec<usize> = pieces.par_iter().map(|p| non_blank_lines(p.text)).collect();
    let mut rows = Vec::new();
    (0..counts.iter().sum())
        .into_par_iter()
        .map(|_| RawRow::placeholder())
        .collect_into_vec(&mut rows);
    let mut stretches = Vec::with_capacity(pieces.len());
    let mut rest = rows.as_mut_slice();
    for &count in &counts {
        let (stretch, after) = rest.split_at_mut(count);
        stretches.push(stretch);
        rest = after;
    }
    let parsed: Vec<Result<()>> = pieces
        .into_par_iter()
        .zip(stretches)
        .map(|(piece, stretch)| {
            let mut slots = stretch.iter_mut();
            each_row(piece, &mut |row| {
                *slots.next().expect("a piece has a row for each non-blank line") = row;
            })
        })
        .collect();
    parsed.into_iter().collect::<Result<()>>()?;
    Ok(rows)
}

/// The lines of plain text that hold a record: those not empty once a
/// final carriage return is dropped.
fn non_blank_lines(text: &[u8]) -> usize {
    let mut from = 0;
    let mut count = 0;
    for end in memchr::memchr_iter(b'\n', text).chain((text.last() != Some(&b'\n')).then_some(text.len())) {
        let line = &text[from..end];
        count += usize::from(!(line.is_empty() || line == b"\r"));
        from = end + 1;
    }
    count
}

/// CSV text below the header and the line it starts on.
#[derive(Debug, Clone, Copy)]
pub(super) struct Body<'a> {
    text: &'a [u8],
    first_line: u64,
}

impl<'a> Body<'a> {
    /// The body cut at line ends into pieces of about `bytes` each, each
    /// with the line it starts on. A body the csv crate must read (quotes,
    /// where a field may hold a line end) stays in one piece.
    fn pieces(self, bytes: usize) -> Vec<Body<'a>> {
        if self.text.len() <= bytes || Plain::of(self.text).is_none() {
            return vec![self];
        }
        let mut pieces = Vec::with_capacity(self.text.len() / bytes + 1);
        let (mut from, mut line) = (0, self.first_line);
        while from < self.text.len() {
            let cut = (from + bytes).min(self.text.len());
            let to = memchr::memchr(b'\n', &self.text[cut..]).map_or(self.text.len(), |i| cut + i + 1);
            let text = &self.text[from..to];
            pieces.push(Body { text, first_line: line });
            line += memchr::memchr_iter(b'\n', text).count() as u64;
            from = to;
        }
        pieces
    }

    /// Its records, each checked against the header's length.
    pub(super) fn records(self, header_len: usize, source: &'a str) -> Records<'a> {
        let reader = match Plain::of(self.text) {
            Some(plain) => Reader::Plain(plain),
            None => Reader::Csv(
                csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .from_reader(self.text),
            ),
        };
        Records {
            reader,
            text: self.text,
            first_line: self.first_line,
            line: self.first_line,
            counted_to: 0,
            header_len,
            source,
        }
    }
}

/// The records of a [`Body`] with their line numbers. Lines are counted
/// here from each record's byte offset: the csv reader's own count misses
/// blank lines.
pub(super) struct Records<'a> {
    reader: Reader<'a>,
    text: &'a [u8],
    first_line: u64,
    /// The line `counted_to` is on (the csv reader's records).
    line: u64,
    counted_to: usize,
    header_len: usize,
    source: &'a str,
}

/// How a body is split into records.
enum Reader<'a> {
    /// Text without quotes: a field is what lies between commas.
    Plain(Plain<'a>),
    /// Anything else, read by the csv crate.
    Csv(csv::Reader<&'a [u8]>),
}

/// UTF-8 text with no quote and no lone carriage return, where a record is
/// a line and its fields are split at commas, as the csv reader would split
/// them, in a third of its time.
struct Plain<'a> {
    text: &'a str,
    at: usize,
    /// The lines read so far, blank ones included.
    lines: u64,
}

impl<'a> Plain<'a> {
    fn of(bytes: &'a [u8]) -> Option<Plain<'a>> {
        let lone_return = |i: usize| bytes.get(i + 1) != Some(&b'\n');
        if memchr::memchr2_iter(b'"', b'\r', bytes).any(|i| bytes[i] == b'"' || lone_return(i)) {
            return None;
        }
        let text = std::str::from_utf8(bytes).ok()?;
        Some(Plain { text, at: 0, lines: 0 })
    }

    /// The next non-blank line's fields into `record`, and how many lines
    /// come before it; `None` at the end.
    fn next(&mut self, record: &mut csv::StringRecord) -> Option<u64> {
        loop {
            let rest = &self.text[self.at..];
            if rest.is_empty() {
                return None;
            }
            let (line, next) = match memchr::memchr(b'\n', rest.as_bytes()) {
                Some(i) => (&rest[..i], self.at + i + 1),
                None => (rest, self.text.len()),
            };
            self.at = next;
            self.lines += 1;
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            record.clear();
            let mut from = 0;
            for comma in memchr::memchr_iter(b',', line.as_bytes()) {
                record.push_field(&line[from..comma]);
                from = comma + 1;
            }
            record.push_field(&line[from..]);
            return Some(self.lines - 1);
        }
    }
}

impl Records<'_> {
    /// Reads the next record into `record` and returns its line; `None` at
    /// the end.
    pub(super) fn next(&mut self, record: &mut csv::StringRecord) -> Result<Option<u64>> {
        let line = match &mut self.reader {
            Reader::Plain(plain) => match plain.next(record) {
                None => return Ok(None),
                Some(before) => self.first_line + before,
            },
            Reader::Csv(reader) => match reader.read_record(record) {
                Ok(false) => return Ok(None),
                Ok(true) => {
                    let start = record.position().map_or(self.counted_to, |p| p.byte() as usize);
                    self.line_at(start)
                }
                Err(e) => {
                    let line = e.position().map(|p| self.line_at(p.byte() as usize));
                    return Err(csv_error(self.source, &e, line));
                }
            },
        };
        if record.len() != self.header_len {
            return Err(Error::Input(InputError::new(
                Location::line(self.source, line),
                unequal_lengths(self.header_len, record.len()),
            )));
        }
        Ok(Some(line))
    }

    /// The line of the record that starts at `byte` (a record's offset
    /// includes the line ends before it).
    fn line_at(&mut self, byte: usize) -> u64 {
        let mut start = byte.clamp(self.counted_to, self.text.len());
        while self.text.get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            start += 1;
        }
        // A record or two apart: a plain loop beats memchr's set-up.
        self.line += self.text[self.counted_to..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.counted_to = start;
        self.line
    }
}

/// The header and the text below it; an empty file is an error.
pub(super) fn open_csv<'a>(bytes: &'a [u8], source: &str) -> Result<(csv::StringRecord, Body<'a>)> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Input(InputError::new(
            Location::file(source),
            "the file is empty; give a CSV with a header such as `period,count`",
        )));
    }
    // Cells are trimmed as they are read (`parse_row`): the reader's own
    // trimming builds a new record for every row.
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let mut header = reader
        .headers()
        .map_err(|e| csv_error(source, &e, e.position().map(csv::Position::line)))?
        .clone();
    header.trim();
    let end = (reader.position().byte() as usize).min(bytes.len());
    let body = Body {
        text: &bytes[end..],
        first_line: 1 + memchr::memchr_iter(b'\n', &bytes[..end]).count() as u64,
    };
    Ok((header, body))
}

/// A row whose length differs from the header's.
fn unequal_lengths(expected_len: usize, len: usize) -> String {
    format!("the row has {len} fields but the header has {expected_len}; make every row as long as the header")
}

/// The number of lines of `bytes` (an upper bound on its records).
fn line_count(bytes: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', bytes).count() + 1
}

/// A header with no rows under it.
pub(super) fn no_rows(source: &str) -> Error {
    Error::Input(InputError::new(
        Location::file(source),
        "the file has a header but no rows; add at least one observation",
    ))
}

/// The frequency rows are read at, where it came from and why.
pub(super) struct Settled {
    written: Frequency,
    pub(super) frequency: Frequency,
    frequency_source: FrequencySource,
    rule: String,
}

impl Settled {
    /// From the frequency the periods are written in (and the first line
    /// that shows it), what the dates show, and `--frequency`.
    pub(super) fn new(
        written: Frequency,
        first_line: u64,
        evidence: DateEvidence,
        source: &str,
        options: &ReadOptions,
    ) -> Result<Settled> {
        let (frequency, frequency_source, rule) = match (written, options.frequency) {
            (Frequency::Daily, Some(f)) => (f, FrequencySource::Option, option_rule(f)),
            (Frequency::Daily, None) => {
                let (f, rule) = evidence.infer();
                (f, FrequencySource::Dates, rule)
            }
            (w, Some(f)) if f != w => {
                return Err(Error::Input(InputError::new(
                    Location::line(source, first_line),
                    format!(
                        "the periods are written as {}, so --frequency {} cannot re-read them; --frequency reads dates written YYYY-MM-DD, so drop it or write the periods as dates",
                        written_as(w),
                        f.unit()
                    ),
                )));
            }
            (w, _) => (
                w,
                FrequencySource::Periods,
                format!("the periods are written as {}", written_as(w)),
            ),
        };
        Ok(Settled {
            written,
            frequency,
            frequency_source,
            rule,
        })
    }
}

/// Places parsed rows on their index at the settled frequency and builds
/// the series (the rules of DESIGN §1.1 that concern the rows together).
pub(super) fn place(mut raw_rows: Vec<RawRow>, columns: &Columns, source: &str, settled: &Settled) -> Result<Series> {
    let fail = |loc: Location, msg: String| Error::Input(InputError::new(loc, msg));
    let frequency = settled.frequency;
    if settled.written == Frequency::Daily && frequency != Frequency::Daily {
        for row in &mut raw_rows {
            let start_column = row.period_column();
            let regrouped = |p: RawPeriod, column: &str| {
                regroup(p, frequency).ok_or_else(|| {
                    fail(
                        Location::cell(source, row.line, column),
                        format!("the date has no {} in the calendar; check the year", frequency.unit()),
                    )
                })
            };
            let start = regrouped(row.start, start_column)?;
            let end = row.run_end.map(|e| regrouped(e, "end")).transpose()?;
            (row.start, row.run_end) = (start, end);
        }
    }
    let integers_are_years = frequency == Frequency::Yearly;
    // Placed twice (once for the range, once per row) rather than stored:
    // resolving is cheap and a stored copy is 32 bytes a row.
    let place_row = |r: &RawRow| (r.start.resolve(integers_are_years), r.end().resolve(integers_are_years));
    let (mut first, mut last) = place_row(&raw_rows[0]);
    for raw in &raw_rows {
        let (start, end) = place_row(raw);
        if end < start {
            return Err(fail(
                Location::cell(source, raw.line, "end"),
                format!("the run ends at {end}, before its start {start}; swap `start` and `end`"),
            ));
        }
        first = first.min(start);
        last = last.max(end);
    }
    let span = last.steps_since(first);
    if span >= MAX_PERIODS {
        return Err(fail(
            Location::file(source),
            format!(
                "the periods run from {first} to {last}, {} periods; at most {MAX_PERIODS} are supported, so check for a mistyped period",
                span + 1
            ),
        ));
    }
    // Fits, plots and forecasts keep one row per period, so the work and the
    // memory follow the span; bounded by the observations, they follow them.
    let sparse_cap = (MAX_PERIODS_PER_ROW * raw_rows.len() as i64).max(MIN_SPAN_CAP);
    if span >= sparse_cap {
        return Err(fail(
            Location::file(source),
            format!(
                "the periods run from {first} to {last}, {} periods, for {} rows; at most {MAX_PERIODS_PER_ROW} periods per row (or {MIN_SPAN_CAP} in all) are supported, so check for a mistyped period or aggregate to a coarser frequency",
                span + 1,
                raw_rows.len()
            ),
        ));
    }
    let n_periods = span as usize + 1;
    let rows: Vec<Row> = raw_rows
        .into_iter()
        .map(|r| {
            let (s, e) = place_row(&r);
            Row {
                line: r.line,
                a: s.steps_since(first) as usize,
                b: e.steps_since(first) as usize,
                y: r.y,
                exposure: r.exposure,
                covariates: r.covariates,
            }
        })
        .collect();
    let index_period = |i: usize| first.offset(i as i64);
    let mut series = build_series(rows, columns, source, frequency, first, n_periods, &index_period)?;
    series.frequency_source = settled.frequency_source;
    series.frequency_rule = settled.rule.clone();
    Ok(series)
}

/// How periods of `frequency` are written, for messages.
fn written_as(frequency: Frequency) -> String {
    match frequency {
        Frequency::Index => "plain integers (an index)".into(),
        Frequency::Weekly => format!("ISO weeks ({})", frequency.format_hint()),
        f => format!("{}s ({})", f.unit(), f.format_hint()),
    }
}

/// The rule of `--frequency`, in words.
fn option_rule(frequency: Frequency) -> String {
    match frequency {
        Frequency::Daily => "--frequency day: each date is a day".into(),
        Frequency::Weekly => {
            "--frequency week: each date stands for the ISO week, Monday to Sunday, that holds it".into()
        }
        f => format!("--frequency {0}: each date stands for the {0} that holds it", f.unit()),
    }
}

/// What every row's dates show about their frequency.
pub(super) fn date_evidence<'a>(rows: impl IntoIterator<Item = &'a RawRow>) -> DateEvidence {
    let mut evidence = DateEvidence::default();
    for row in rows {
        let is_run = row.is_run();
        evidence.add_row(is_run);
        let roles = if is_run {
            [(row.start, Role::Start), (row.end(), Role::End)]
        } else {
            [(row.start, Role::Period), (row.end(), Role::Period)]
        };
        for (p, role) in roles {
            if let Some(date) = p.date() {
                evidence.add(role, date);
            }
        }
    }
    evidence
}

/// A date read as the period of `frequency` that holds it.
fn regroup(p: RawPeriod, frequency: Frequency) -> Option<RawPeriod> {
    match p.date() {
        Some(date) => Period::containing(date, frequency).map(RawPeriod::Dated),
        None => Some(p),
    }
}

/// `e` as an input error at `line`.
fn csv_error(source: &str, e: &csv::Error, line: Option<u64>) -> Error {
    let loc = Location {
        line,
        ..Location::file(source)
    };
    let msg = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "the text is not valid UTF-8; save the file as UTF-8".to_owned(),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            unequal_lengths(*expected_len as usize, *len as usize)
        }
        _ => format!("{e}; fix the CSV syntax"),
    };
    Error::Input(InputError::new(loc, msg))
}

pub(super) fn classify_header(header: &csv::StringRecord, source: &str, roles: &Roles) -> Result<Columns> {
    let loc = || Location::line(source, 1);
    let fail = |msg: String| Error::Input(InputError::new(loc(), msg));
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        if name.is_empty() {
            return Err(fail(format!(
                "column {} has no name; name every column in the header",
                i + 1
            )));
        }
        if seen.insert(name, i).is_some() {
            return Err(fail(format!("the column `{name}` appears twice; rename or remove one")));
        }
    }
    let find = |n: &str| seen.get(n).copied();
    let (period, start, end) = (find("period"), find("start"), find("end"));
    match (period, start, end) {
        (None, None, None) => {
            return Err(fail(
                "the header has no `period` column (nor `start` and `end`); add one, e.g. `period,count`".into(),
            ));
        }
        (_, Some(_), None) => return Err(fail("the header has `start` but no `end`; runs need both".into())),
        (_, None, Some(_)) => return Err(fail("the header has `end` but no `start`; runs need both".into())),
        _ => {}
    }
    let have = || header.iter().collect::<Vec<_>>().join(", ");
    let key = match roles.key {
        None => None,
        Some(k) => Some(find(k).ok_or_else(|| {
            fail(format!(
                "there is no key column `{k}` to tell the series apart; the columns are {}",
                have()
            ))
        })?),
    };
    let mut named = vec!["period", "start", "end", "exposure"];
    named.extend(roles.key);
    let series: Vec<(usize, String)> = match roles.wide {
        None => Vec::new(),
        Some([]) => header
            .iter()
            .enumerate()
            .filter(|(_, n)| !named.contains(n))
            .map(|(i, n)| (i, n.to_owned()))
            .collect(),
        Some(listed) => listed
            .iter()
            .map(|n| {
                find(n)
                    .map(|i| (i, n.clone()))
                    .ok_or_else(|| fail(format!("there is no series column `{n}`; the columns are {}", have())))
            })
            .collect::<Result<_>>()?,
    };
    let response = if let Some(&(i, _)) = series.first() {
        (i, Response::Count)
    } else if roles.wide.is_some() {
        return Err(fail(
            "the header has no series column besides the period and the exposure; add one column per series".into(),
        ));
    } else if let Some(name) = roles.count {
        let i =
            find(name).ok_or_else(|| fail(format!("there is no count column `{name}`; the columns are {}", have())))?;
        if let Some(other) = ["count", "value"].into_iter().find(|&o| o != name && find(o).is_some()) {
            return Err(fail(format!(
                "the header has `{other}` besides the count column `{name}`; keep one response column"
            )));
        }
        (i, Response::Count)
    } else {
        match (find("count"), find("value")) {
            (Some(i), None) => (i, Response::Count),
            (None, Some(i)) => (i, Response::Value),
            (Some(_), Some(_)) => {
                return Err(fail(
                    "the header has both `count` and `value`; keep one response column".into(),
                ));
            }
            (None, None) => {
                return Err(fail("the header has no `count` column; name the column of counts `count` (or `value` for a real-valued series)".into()));
            }
        }
    };
    let exposure = find("exposure");
    let mut reserved = vec!["period", "start", "end", "count", "value", "exposure"];
    reserved.extend(roles.count);
    reserved.extend(roles.key);
    reserved.extend(series.iter().map(|(_, n)| n.as_str()));
    // A covariate named like a built-in term would be shadowed by it.
    if let Some(name) = header
        .iter()
        .filter(|n| !reserved.contains(n))
        .find(|n| ["intercept", "trend", "season"].contains(n) || n.contains('@'))
    {
        return Err(fail(format!(
            "the column `{name}` is named like a built-in term of --terms; rename it (e.g. `{}_x`)",
            name.replace('@', "_")
        )));
    }
    let covariates = header
        .iter()
        .enumerate()
        .filter(|(_, n)| !reserved.contains(n))
        .map(|(i, n)| (i, n.to_owned()))
        .collect();
    Ok(Columns {
        period,
        start,
        end,
        response,
        exposure,
        covariates,
        key,
        series,
    })
}

pub(super) fn parse_row(
    record: &csv::StringRecord,
    line: u64,
    columns: &Columns,
    header: &csv::StringRecord,
    source: &str,
) -> Result<RawRow> {
    let cell = |i: usize| super::trim_cell(record.get(i).unwrap_or(""));
    let fail = |column: &str, msg: String| Error::Input(InputError::new(Location::cell(source, line, column), msg));
    let period_text = columns.period.map(cell).filter(|s| !s.is_empty());
    let start_text = columns.start.map(cell).filter(|s| !s.is_empty());
    let end_text = columns.end.map(cell).filter(|s| !s.is_empty());
    let read_period =
        |column: &str, text: &str| RawPeriod::parse(text).map_err(|e| fail(column, format!("`{text}` {e}")));
    let (start, run_end) = match (period_text, start_text, end_text) {
        (Some(p), None, None) => (read_period("period", p)?, None),
        (None, Some(s), Some(e)) => (read_period("start", s)?, Some(read_period("end", e)?)),
        (Some(_), _, _) => {
            return Err(fail(
                "period",
                "the row gives both `period` and `start`/`end`; give one or the other".into(),
            ));
        }
        (None, Some(_), None) => {
            return Err(fail(
                "end",
                "the row has a `start` but no `end`; give both or use `period`".into(),
            ));
        }
        (None, None, Some(_)) => {
            return Err(fail(
                "start",
                "the row has an `end` but no `start`; give both or use `period`".into(),
            ));
        }
        (None, None, None) => {
            let column = if columns.period.is_some() { "period" } else { "start" };
            return Err(fail(
                column,
                "the row has no period; fill in `period` (or `start` and `end`)".into(),
            ));
        }
    };
    let (yi, response) = columns.response;
    let y_name = &header[yi];
    let y = match response {
        Response::Count => parse_count(cell(yi)).map_err(|m| fail(y_name, m))?,
        Response::Value => parse_value(cell(yi)).map_err(|m| fail(y_name, m))?,
    };
    let exposure = match columns.exposure.map(cell) {
        None | Some("") => None,
        Some(text) => Some(parse_exposure(text).map_err(|m| fail("exposure", m))?),
    };
    let covariates = columns
        .covariates
        .iter()
        .map(|(i, name)| parse_finite(cell(*i)).map_err(|m| fail(name, m)))
        .collect::<Result<_>>()?;
    Ok(RawRow {
        line,
        start,
        run_end,
        y,
        exposure,
        covariates,
    })
}

/// What a row without a count should do instead; missing periods have no row.
const NO_COUNT: &str = "every row needs a count, so give 0 if nothing happened or delete the row if the count is unknown (a period with no row is missing, not zero)";

/// The words tools write for a missing value: R and pandas `NA`, `NaN`,
/// spreadsheets' `#N/A`, SQL `NULL`, Python `None`, SAS and Stata `.`.
pub(crate) fn is_missing_marker(text: &str) -> bool {
    const MARKERS: [&str; 9] = ["na", "n/a", "#n/a", "nan", "null", "none", ".", "-nan", "<na>"];
    MARKERS.iter().any(|m| text.eq_ignore_ascii_case(m))
}

/// A count: a non-negative whole number (`10.0` is 10).
pub(crate) fn parse_count(text: &str) -> Result<f64, String> {
    if text.is_empty() {
        return Err(format!("the count is blank; {NO_COUNT}"));
    }
    if is_missing_marker(text) {
        return Err(format!("the count is `{text}`, a missing value; {NO_COUNT}"));
    }
    if let Ok(n) = text.parse::<u64>() {
        // Compared as integers: 2^53 + 1 rounds to 2^53 as an f64.
        return if n <= MAX_COUNT as u64 {
            Ok(n as f64)
        } else {
            Err(format!(
                "the count `{text}` is too large; counts above 2^53 are not supported"
            ))
        };
    }
    match text.parse::<f64>() {
        Ok(v) if !v.is_finite() => Err(format!(
            "the count `{text}` is not a number; give a non-negative integer"
        )),
        Ok(v) if v < 0.0 => Err(format!(
            "the count `{text}` is negative; counts must be non-negative integers"
        )),
        Ok(v) if v.fract() != 0.0 => Err(format!(
            "the count `{text}` is fractional; counts must be whole numbers"
        )),
        Ok(v) if v > MAX_COUNT => Err(format!(
            "the count `{text}` is too large; counts above 2^53 are not supported"
        )),
        Ok(v) => Ok(v),
        Err(_) if text.starts_with('-') && text[1..].bytes().all(|b| b.is_ascii_digit()) => Err(format!(
            "the count `{text}` is negative; counts must be non-negative integers"
        )),
        Err(_) => Err(format!(
            "the count `{text}` is not a number; give a non-negative integer"
        )),
    }
}

/// A value of a `value` series: any finite number.
fn parse_value(text: &str) -> Result<f64, String> {
    const NO_VALUE: &str =
        "every row needs a value, so delete the row if the value is unknown (a period with no row is missing)";
    if text.is_empty() {
        return Err(format!("the value is blank; {NO_VALUE}"));
    }
    if is_missing_marker(text) {
        return Err(format!("the value is `{text}`, a missing value; {NO_VALUE}"));
    }
    parse_finite(text)
}

fn parse_finite(text: &str) -> Result<f64, String> {
    match parse_number(text) {
        _ if text.is_empty() => Err("the cell is blank; give a number".into()),
        Ok(v) if v.abs() <= MAX_MAGNITUDE => Ok(v),
        Ok(v) if v.is_finite() => Err(format!(
            "`{text}` is beyond ±{MAX_MAGNITUDE:e}, the range countshift fits; rescale the column"
        )),
        Ok(_) => Err(format!("`{text}` is not a finite number; give a finite number")),
        Err(_) => Err(format!("`{text}` is not a number; give a number")),
    }
}

/// `text` as a number. Whole numbers of up to 15 digits (below 2^53, so
/// exact; most exposures and covariates) skip the float parser.
fn parse_number(text: &str) -> Result<f64, std::num::ParseFloatError> {
    if (1..=15).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(text.bytes().fold(0u64, |v, b| 10 * v + u64::from(b - b'0')) as f64);
    }
    text.parse()
}

fn parse_exposure(text: &str) -> Result<f64, String> {
    match parse_number(text) {
        Ok(v) if (MIN_EXPOSURE..=MAX_EXPOSURE).contains(&v) => Ok(v),
        Ok(v) if v.is_finite() && v > 0.0 => Err(format!(
            "the exposure `{text}` is outside {MIN_EXPOSURE:e} to {MAX_EXPOSURE:e}, the range countshift fits; rescale the column (rates are per unit of exposure)"
        )),
        Ok(v) if v.is_finite() => Err(format!(
            "the exposure `{text}` is not positive; exposure is a positive denominator"
        )),
        _ => Err(format!(
            "the exposure `{text}` is not a finite number; give a positive number"
        )),
    }
}

/// One frequency per file, as written, with the line of the first dated row;
/// plain integers are years when all have four digits.
pub(super) fn settle_frequency<'a>(
    rows: impl IntoIterator<Item = &'a RawRow>,
    source: &str,
) -> Result<(Frequency, u64)> {
    let mut dated: Option<(Frequency, u64)> = None;
    let mut integer_line: Option<u64> = None;
    let mut all_years = true;
    for row in rows {
        for (p, column) in [(row.start, row.period_column()), (row.end(), "end")] {
            match p.frequency_if_dated() {
                Some(f) => match dated {
                    None => dated = Some((f, row.line)),
                    Some((g, first_line)) if g != f => {
                        return Err(Error::Input(InputError::new(
                            Location::cell(source, row.line, column),
                            format!("this period is {f} but line {first_line} is {g}; use one frequency per file"),
                        )));
                    }
                    Some(_) => {}
                },
                None => {
                    integer_line.get_or_insert(row.line);
                    all_years &= p.could_be_year();
                }
            }
        }
    }
    match (dated, integer_line) {
        (Some((f, first_line)), Some(line)) => Err(Error::Input(InputError::new(
            Location::line(source, line),
            format!("this period is a plain integer but line {first_line} is {f}; use one frequency per file"),
        ))),
        (Some((f, line)), None) => Ok((f, line)),
        (None, _) if all_years => Ok((Frequency::Yearly, integer_line.unwrap_or(1))),
        (None, _) => Ok((Frequency::Index, integer_line.unwrap_or(1))),
    }
}

/// Places rows on the index, subtracts nested rows from the runs that contain
/// them, and spreads run exposure over the periods that no nested row prices.
fn build_series(
    rows: Vec<Row>,
    columns: &Columns,
    source: &str,
    frequency: Frequency,
    first: Period,
    n_periods: usize,
    period: &dyn Fn(usize) -> Period,
) -> Result<Series> {
    if rows.iter().all(|r| r.a == r.b) {
        return build_simple(rows, columns, source, frequency, first, n_periods, period);
    }
    let fail = |line: u64, msg: String| Error::Input(InputError::new(Location::line(source, line), msg));
    let describe = |r: &Row| {
        if r.a == r.b {
            period(r.a).to_string()
        } else {
            format!("{}..{}", period(r.a), period(r.b))
        }
    };

    // Containment forest: sort by start, longest first; a stack of open runs.
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| (rows[i].a, std::cmp::Reverse(rows[i].b), rows[i].line));
    let mut parent: Vec<Option<usize>> = vec![None; rows.len()];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); rows.len()];
    let mut stack: Vec<usize> = Vec::new();
    for &i in &order {
        let r = &rows[i];
        while stack.last().is_some_and(|&top| rows[top].b < r.a) {
            stack.pop();
        }
        if let Some(&top) = stack.last() {
            let t = &rows[top];
            let (first_line, second_line) = (t.line.min(r.line), t.line.max(r.line));
            if t.a == r.a && t.b == r.b {
                return Err(fail(
                    second_line,
                    format!(
                        "this row covers {} again, as line {first_line} does; keep one of the two rows",
                        describe(r)
                    ),
                ));
            }
            if r.b > t.b {
                return Err(fail(
                    r.line,
                    format!(
                        "this row ({}) partly overlaps line {} ({}); a run may contain other rows entirely but not overlap them",
                        describe(r),
                        t.line,
                        describe(t)
                    ),
                ));
            }
            parent[i] = Some(top);
            children[top].push(i);
        }
        stack.push(i);
    }

    // Each row keeps the periods its children do not cover, and its count less theirs.
    let n_cov = columns.covariates.len();
    let mut own_periods: Vec<Periods> = Vec::with_capacity(rows.len());
    let mut own_y: Vec<f64> = Vec::with_capacity(rows.len());
    let mut notes = Vec::new();
    let is_count = columns.response.1 == Response::Count;
    for (i, r) in rows.iter().enumerate() {
        if children[i].is_empty() {
            own_periods.push(if r.a == r.b {
                Periods::one(r.a)
            } else {
                (r.a..=r.b).collect::<Vec<_>>().into()
            });
            own_y.push(r.y);
            continue;
        }
        let mut periods = Vec::new();
        let mut next = r.a;
        for &c in &children[i] {
            periods.extend(next..rows[c].a);
            next = rows[c].b + 1;
        }
        periods.extend(next..=r.b);
        let nested: f64 = children[i].iter().map(|&c| rows[c].y).sum();
        let y = r.y - nested;
        let lines: Vec<String> = children[i].iter().map(|&c| rows[c].line.to_string()).collect();
        if is_count && y < 0.0 {
            return Err(fail(
                r.line,
                format!(
                    "the run {} has count {} but the rows it contains (lines {}) add up to {nested}; fix the total or the nested rows",
                    describe(r),
                    r.y,
                    lines.join(", ")
                ),
            ));
        }
        if periods.is_empty() {
            if (y.abs()) > 1e-9 * r.y.abs().max(1.0) {
                return Err(fail(
                    r.line,
                    format!(
                        "every period of the run {} is given by nested rows (lines {}), whose total {nested} differs from the run's {}; fix one",
                        describe(r),
                        lines.join(", "),
                        r.y
                    ),
                ));
            }
            notes.push(format!(
                "line {}: the run {} is fully given by lines {} and agrees with them; it adds no observation",
                r.line,
                describe(r),
                lines.join(", ")
            ));
        }
        own_periods.push(periods.into());
        own_y.push(y);
    }

    let period_exposure = match columns.exposure {
        None => None,
        Some(_) => Some(spread_exposure(
            &rows,
            &parent,
            &own_periods,
            n_periods,
            source,
            &describe,
        )?),
    };
    let mut covariates = Array2::from_elem((n_periods, n_cov), f64::NAN);
    for (i, r) in rows.iter().enumerate() {
        for &t in &own_periods[i] {
            for (k, &v) in r.covariates.iter().enumerate() {
                covariates[[t, k]] = v;
            }
        }
    }

    let mut observations: Vec<Observation> = rows
        .iter()
        .zip(own_periods)
        .zip(own_y)
        .filter(|((_, periods), _)| !periods.is_empty())
        .map(|((r, periods), y)| {
            let exposure = period_exposure.as_ref().map(|e| periods.iter().map(|&t| e[t]).sum());
            Observation {
                periods,
                y,
                exposure,
                line: r.line,
            }
        })
        .collect();
    observations.sort_by_key(|o| o.periods[0]);
    Ok(Placed {
        observations,
        period_exposure,
        covariates,
        notes,
    }
    .series(columns, source, frequency, first, n_periods))
}

/// What placing the rows gives, before it becomes a series.
struct Placed {
    observations: Vec<Observation>,
    period_exposure: Option<Array1<f64>>,
    covariates: Array2<f64>,
    notes: Vec<String>,
}

impl Placed {
    /// The series (its frequency's source and rule are set by the caller).
    fn series(self, columns: &Columns, source: &str, frequency: Frequency, first: Period, n_periods: usize) -> Series {
        Series {
            source: source.to_owned(),
            frequency,
            frequency_source: FrequencySource::Periods,
            frequency_rule: String::new(),
            first,
            n_periods,
            response: columns.response.1,
            observations: self.observations,
            period_exposure: self.period_exposure,
            covariate_names: columns.covariates.iter().map(|(_, n)| n.clone()).collect(),
            covariates: self.covariates,
            notes: self.notes,
        }
    }
}

/// [`build_series`] when every row is one period (most files): no row
/// contains another, so only a repeated period can conflict, and each row
/// is its own observation with its own exposure. The same series and the
/// same errors as the general path, without its per-row bookkeeping.
fn build_simple(
    mut rows: Vec<Row>,
    columns: &Columns,
    source: &str,
    frequency: Frequency,
    first: Period,
    n_periods: usize,
    period: &dyn Fn(usize) -> Period,
) -> Result<Series> {
    if !rows.is_sorted_by_key(|r| (r.a, r.line)) {
        rows.sort_by_key(|r| (r.a, r.line));
    }
    // One pass: a repeated period, then the first blank exposure in file
    // order (as the general path reports them), and the exposure filled in.
    let mut e = columns.exposure.map(|_| Array1::from_elem(n_periods, f64::NAN));
    let mut first_blank: Option<u64> = None;
    for (i, r) in rows.iter().enumerate() {
        if let Some(before) = i.checked_sub(1).map(|j| &rows[j]).filter(|b| b.a == r.a) {
            return Err(Error::Input(InputError::new(
                Location::line(source, r.line),
                format!(
                    "this row covers {} again, as line {} does; keep one of the two rows",
                    period(r.a),
                    before.line
                ),
            )));
        }
        if let Some(e) = &mut e {
            match r.exposure {
                Some(v) => e[r.a] = v,
                None => first_blank = Some(first_blank.map_or(r.line, |l| l.min(r.line))),
            }
        }
    }
    if let Some(line) = first_blank {
        return Err(Error::Input(InputError::new(
            Location::cell(source, line, "exposure"),
            "the exposure is blank and no run containing this row gives one; fill it in",
        )));
    }
    let period_exposure = e;
    let n_cov = columns.covariates.len();
    let mut covariates = Array2::from_elem((n_periods, n_cov), f64::NAN);
    // Collected in place: the rows' memory becomes the observations'.
    let has_exposure = period_exposure.is_some();
    let mut observations: Vec<Observation> = rows
        .into_iter()
        .map(|r| {
            for (k, &v) in r.covariates.iter().enumerate() {
                covariates[[r.a, k]] = v;
            }
            Observation {
                periods: Periods::one(r.a),
                y: r.y,
                exposure: r.exposure.filter(|_| has_exposure),
                line: r.line,
            }
        })
        .collect();
    observations.shrink_to_fit();
    Ok(Placed {
        observations,
        period_exposure,
        covariates,
        notes: Vec::new(),
    }
    .series(columns, source, frequency, first, n_periods))
}

/// Per-period exposure: each row that states exposure owns the periods below
/// it that no nested row with exposure claims, and spreads what remains of its
/// total (after nested rows' exposure) evenly over them.
fn spread_exposure(
    rows: &[Row],
    parent: &[Option<usize>],
    own_periods: &[Periods],
    n_periods: usize,
    source: &str,
    describe: &dyn Fn(&Row) -> String,
) -> Result<Array1<f64>> {
    let fail = |line: u64, msg: String| Error::Input(InputError::new(Location::cell(source, line, "exposure"), msg));
    // Nearest ancestor (or self) that states exposure; parents come first in
    // containment order, so resolve by walking up (depth is small in practice).
    let owner_of = |mut i: usize| -> Option<usize> {
        loop {
            if rows[i].exposure.is_some() {
                return Some(i);
            }
            i = parent[i]?;
        }
    };
    let mut claimed = vec![0.0; rows.len()];
    let mut owned_count = vec![0usize; rows.len()];
    let mut owner_of_row = vec![0usize; rows.len()];
    for (i, r) in rows.iter().enumerate() {
        let owner = owner_of(i).ok_or_else(|| {
            fail(
                r.line,
                "the exposure is blank and no run containing this row gives one; fill it in".into(),
            )
        })?;
        owner_of_row[i] = owner;
        owned_count[owner] += own_periods[i].len();
        if owner == i
            && let Some(above) = parent[i].and_then(owner_of)
        {
            claimed[above] += r.exposure.unwrap_or(0.0);
        }
    }
    let mut per_period = vec![0.0; rows.len()];
    for (i, r) in rows.iter().enumerate() {
        let Some(total) = r.exposure else { continue };
        let left = total - claimed[i];
        if owned_count[i] > 0 && left <= 0.0 {
            return Err(fail(
                r.line,
                format!(
                    "the run {} has exposure {total} but the rows it contains already have {}; leave nested exposure blank or fix the total",
                    describe(r),
                    claimed[i]
                ),
            ));
        }
        per_period[i] = if owned_count[i] > 0 {
            left / owned_count[i] as f64
        } else {
            0.0
        };
    }
    let mut exposure = Array1::from_elem(n_periods, f64::NAN);
    for (i, periods) in own_periods.iter().enumerate() {
        for &t in periods {
            exposure[t] = per_period[owner_of_row[i]];
        }
    }
    Ok(exposure)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Series> {
        read_series(text.as_bytes(), "t.csv")
    }

    fn message(text: &str) -> String {
        read(text).unwrap_err().to_string()
    }

    /// Every record and line of `text`, read by the given reader.
    fn records_of(text: &str, plain: bool) -> Vec<(u64, Vec<String>)> {
        let (header, body) = open_csv(text.as_bytes(), "t.csv").unwrap();
        let mut records = body.records(header.len(), "t.csv");
        assert_eq!(
            matches!(records.reader, Reader::Plain(_)),
            Plain::of(body.text).is_some()
        );
        if !plain {
            records.reader = Reader::Csv(
                csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .from_reader(body.text),
            );
        }
        let mut record = csv::StringRecord::new();
        let mut out = Vec::new();
        loop {
            match records.next(&mut record) {
                Ok(Some(line)) => out.push((line, record.iter().map(str::to_owned).collect())),
                Ok(None) => break,
                Err(e) => {
                    out.push((0, vec![e.to_string()]));
                    break;
                }
            }
        }
        out
    }

    #[test]
    fn plain_text_splits_as_the_csv_reader_does() {
        let texts = [
            "period,count\n2024-01,3\n2024-02,4\n",
            "period,count\n2024-01,3\n2024-02,4",
            "period,count\r\n2024-01,3\r\n\r\n2024-02,4\r\n",
            "period,count\n\n\n2024-01,3\n\n2024-02, 4 \n\n",
            "period,count,exposure\n2024-01,,\n2024-02,4,\n,,\n",
            "period,count\n2024-01,3,9\n",
            "period,count\n2024-01\n",
            "period,count\n   \n2024-01,3\n",
            "period,count\n2024-01,3\n\u{e9}t\u{e9},4\n",
        ];
        for text in texts {
            let (_, body) = open_csv(text.as_bytes(), "t.csv").unwrap();
            assert!(Plain::of(body.text).is_some(), "{text:?}");
            assert_eq!(records_of(text, true), records_of(text, false), "{text:?}");
        }
        for quoted in ["period,count\n\"2024-01\",3\n", "period,count\r2024-01,3\r"] {
            let (_, body) = open_csv(quoted.as_bytes(), "t.csv").unwrap();
            assert!(Plain::of(body.text).is_none(), "{quoted:?}");
        }
        assert!(Plain::of(b"2024-01,\xff\n").is_none());
    }

    #[test]
    fn rows_parsed_in_pieces_are_the_rows_parsed_whole() {
        let text = "period,count,exposure\n1,3,2\n\n2,4,2\r\n3,5,2\n\n\n4,6,2\n5,7,2\n6,x,2\n7,8,2\n8,9,2";
        let (header, body) = open_csv(text.as_bytes(), "t.csv").unwrap();
        let columns = classify_header(&header, "t.csv", &Roles::default()).unwrap();
        let rows = |piece_bytes: usize| -> Vec<(u64, f64)> {
            let good = text.replace(",x,", ",0,");
            let (header, body) = open_csv(good.as_bytes(), "t.csv").unwrap();
            let rows = parse_rows(body, piece_bytes, &header, &columns, "t.csv").unwrap();
            rows.iter().map(|r| (r.line, r.y)).collect()
        };
        assert!(body.pieces(7).len() > 3);
        assert_eq!(rows(7), rows(1 << 20));
        assert_eq!(rows(1)[5], (10, 0.0));
        for piece_bytes in [1, 5, 7, 1 << 20] {
            let error = parse_rows(body, piece_bytes, &header, &columns, "t.csv").err().unwrap();
            assert!(error.to_string().contains("line 10"), "{error}");
        }
    }

    #[test]
    fn nested_rows_are_subtracted_from_the_run_that_holds_them() {
        let s =
            read("start,end,count\n2024-01,2024-06,8\n2024-07,2024-12,74\n2024-08,2024-08,24\n2024-09,2024-09,24\n")
                .unwrap();
        let got: Vec<(Vec<usize>, f64)> = s.observations.iter().map(|o| (o.periods.to_vec(), o.y)).collect();
        assert_eq!(
            got,
            vec![
                (vec![0, 1, 2, 3, 4, 5], 8.0),
                (vec![6, 9, 10, 11], 26.0),
                (vec![7], 24.0),
                (vec![8], 24.0)
            ]
        );
        assert_eq!(s.n_periods, 12);
        assert!(s.missing_periods().is_empty());
    }

    #[test]
    fn run_exposure_is_spread_evenly_unless_nested_rows_give_their_own() {
        let s = read("start,end,count,exposure\n2024-01,2024-06,6,600\n2024-02,2024-02,1,40\n").unwrap();
        let e = s.period_exposure.as_ref().unwrap();
        assert_eq!(e[1], 40.0);
        assert!((e[0] - 112.0).abs() < 1e-12);
        assert!((s.observations[0].exposure.unwrap() - 560.0).abs() < 1e-9);
        let s = read("start,end,count,exposure\n2024-01,2024-06,6,600\n2024-02,2024-02,1,\n").unwrap();
        assert_eq!(s.observations[1].exposure, Some(100.0));
    }

    #[test]
    fn missing_periods_are_counted_not_zero() {
        let s = read("period,count\n2024-01,3\n2024-04,5\n").unwrap();
        assert_eq!(s.n_periods, 4);
        assert_eq!(s.missing_periods().len(), 2);
        assert_eq!(s.n_obs(), 2);
    }

    #[test]
    fn four_digit_integers_are_years_others_are_an_index() {
        assert_eq!(
            read("period,count\n1851,4\n1852,5\n").unwrap().frequency,
            Frequency::Yearly
        );
        assert_eq!(read("period,count\n1,4\n2,5\n").unwrap().frequency, Frequency::Index);
    }

    #[test]
    fn counts_accept_float_text_of_whole_numbers_only() {
        assert_eq!(parse_count("10.0"), Ok(10.0));
        assert_eq!(parse_count("0"), Ok(0.0));
        for bad in ["10.5", "-1", "NaN", "inf", "", "abc", "1e300", "-0.5"] {
            assert!(parse_count(bad).is_err(), "{bad}");
        }
        // A blank and a missing-value marker say the same thing.
        let blank = parse_count("").unwrap_err();
        for na in ["NA", "na", "N/A", "#N/A", "NaN", "NULL", "None", "."] {
            let message = parse_count(na).unwrap_err();
            assert!(
                message.starts_with(&format!("the count is `{na}`, a missing value; ")),
                "{message}"
            );
            assert_eq!(message.split_once("; ").unwrap().1, blank.split_once("; ").unwrap().1);
        }
    }

    #[test]
    fn errors_name_file_line_and_column() {
        assert_eq!(
            message("period,count\n2024-01,3\n2024-02,-1\n"),
            "t.csv, line 3, column `count`: the count `-1` is negative; counts must be non-negative integers"
        );
        assert!(message("start,end,count\n2024-01,2024-06,8\n2024-04,2024-09,3\n").contains("partly overlaps line 2"));
        assert!(message("start,end,count\n2024-01,2024-06,8\n2024-02,2024-02,9\n").contains("add up to 9"));
        assert!(
            message("period,count\n2024-01,1\n2024-01,2\n")
                .contains("line 3: this row covers 2024-01 again, as line 2")
        );
        assert!(message("period,count\n2024-01,1\n2024-Q1,2\n").contains("use one frequency per file"));
    }

    #[test]
    fn lines_are_counted_across_blank_lines_and_crlf() {
        let s =
            read("period,count,exposure\n2024-01,3,10\n2024-02,4,11\n\n2024-03,5,12\r\n2024-04,6,13\n\r\n2024-05,7,14")
                .unwrap();
        let lines: Vec<u64> = s.observations.iter().map(|o| o.line).collect();
        assert_eq!(lines, [2, 3, 5, 6, 8]);
        assert_eq!(
            message("\n\nperiod,count\n2024-01,3\n\n2024-02,x\n"),
            "t.csv, line 6, column `count`: the count `x` is not a number; give a non-negative integer"
        );
        assert!(message("period,count\n2024-01,3\n\n2024-02,4,5\n").starts_with("t.csv, line 4: the row has 3 fields"));
    }

    #[test]
    fn a_row_waiting_to_be_placed_stays_small() {
        // A million of them are held at once (see `RawRow`).
        assert!(std::mem::size_of::<RawRow>() <= 80, "{}", std::mem::size_of::<RawRow>());
    }

    #[test]
    fn cells_trim_as_str_trim_does_and_whole_numbers_parse_as_floats_do() {
        for text in ["", " ", "a", " a", "a ", "\t7\r", "\u{a0}5", "5\u{a0}", "x y", "é"] {
            assert_eq!(super::super::trim_cell(text), text.trim(), "{text:?}");
        }
        for text in [
            "0",
            "7",
            "007",
            "98",
            "123456789012345",
            "1234567890123456",
            "1.5",
            "1e3",
            "-4",
            "",
        ] {
            assert_eq!(parse_number(text).ok(), text.parse::<f64>().ok(), "{text}");
        }
    }

    #[test]
    fn bom_crlf_and_quotes_are_accepted() {
        let s = read("\u{feff}period,count\r\n\"2024-01\",\"3\"\r\n2024-02,4\r\n").unwrap();
        assert_eq!(s.total(), 7.0);
    }
}
