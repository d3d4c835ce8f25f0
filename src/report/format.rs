//! Number and period formatting for tables.

use crate::data::{Period, Series};

pub use crate::numbers::sig3;

/// A number for a CSV cell: the shortest decimal that reads back as the same
/// `f64` (Rust's round-trip formatting), with an exponent outside
/// `[1e-4, 1e16)` as R, pandas and spreadsheets read it (`1.4e-282`, not a
/// 300-character decimal); whole numbers have no `.0`. Infinities are `Inf`
/// and `-Inf` (read by R and pandas); NaN is an empty (missing) cell.
pub fn csv_number(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else if x.is_infinite() {
        if x > 0.0 { "Inf".into() } else { "-Inf".into() }
    } else if x == 0.0 || (1e-4..1e16).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// A CSV cell of an optional number: empty when absent.
pub fn csv_cell(x: Option<f64>) -> String {
    x.map(csv_number).unwrap_or_default()
}

/// CSV text (RFC 4180): a header line, then one line per row; a cell with a
/// comma, a quote or a line break is quoted, its quotes doubled. A text cell
/// that a spreadsheet would run as a formula (starting `=`, `+`, `-`, `@`,
/// a tab or a carriage return) gets a leading `'`; numbers stay as they are.
pub fn csv_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let cell = |c: &str| {
        let c = if c.starts_with(['=', '+', '-', '@', '\t', '\r']) && c.trim().parse::<f64>().is_err() {
            format!("'{c}")
        } else {
            c.to_owned()
        };
        if c.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", c.replace('"', "\"\""))
        } else {
            c
        }
    };
    let mut out = String::new();
    for line in std::iter::once(header.iter().map(|h| cell(h)).collect::<Vec<_>>())
        .chain(rows.iter().map(|r| r.iter().map(|c| cell(c)).collect()))
    {
        out += &line.join(",");
        out.push('\n');
    }
    out
}

/// A count with its noun, singular for one: `1 break`, `3 breaks`.
pub fn counted(n: usize, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// A count with a regular noun (plural adds `s`): `1 month`, `12 months`.
pub fn counted_s(n: usize, singular: &str) -> String {
    if n == 1 {
        format!("1 {singular}")
    } else {
        format!("{n} {singular}s")
    }
}

/// `x` to `n` significant figures, trailing zeros kept (they are
/// significant here): `1.100`, `0.09530`, `1.0998e-7`.
fn sig_figures(x: f64, n: usize) -> String {
    if !x.is_finite() || x == 0.0 {
        return sig3(x);
    }
    let magnitude = x.abs().log10().floor() as i32;
    if !(-4..15).contains(&magnitude) {
        let p = n - 1;
        return format!("{x:.p$e}");
    }
    let decimals = (n as i32 - 1 - magnitude).max(0) as usize;
    format!("{x:.decimals$}")
}

/// Whether numbers that differ (beyond 1e-9 relative, below which a
/// difference is rounding) print differently.
fn tells_apart(values: &[f64], texts: &[String]) -> bool {
    let differ = |a: f64, b: f64| (a - b).abs() > 1e-9 * a.abs().max(b.abs());
    (0..values.len()).all(|i| (i + 1..values.len()).all(|j| !differ(values[i], values[j]) || texts[i] != texts[j]))
}

/// The largest number of significant figures (or decimals) printed to tell
/// numbers apart.
const MAX_FIGURES: usize = 12;

/// Numbers shown together, as an estimate and its interval ends: three
/// significant figures each ([`sig3`]) when that tells apart those that
/// differ, else the fewest significant figures, the same for all, that do
/// (`1.1 [1.1, 1.1]` becomes `1.100 [1.099, 1.101]`): the digits follow
/// the interval's width.
pub fn sig_together(values: &[f64]) -> Vec<String> {
    let texts: Vec<String> = values.iter().map(|&v| sig3(v)).collect();
    if tells_apart(values, &texts) {
        return texts;
    }
    let mut texts = texts;
    for n in 4..=MAX_FIGURES {
        texts = values.iter().map(|&v| sig_figures(v, n)).collect();
        if tells_apart(values, &texts) {
            break;
        }
    }
    texts
}

/// Signed percentages shown together (`+10.0%`, `-0.9%`): one decimal, or
/// more, the same for all, until those that differ print differently.
pub fn percent_together(values: &[f64]) -> Vec<String> {
    let mut texts = Vec::new();
    for d in 1..=MAX_FIGURES {
        texts = values
            .iter()
            .map(|v| {
                if v.abs() < 1e15 {
                    format!("{v:+.d$}%")
                } else {
                    format!("{v:+.d$e}%")
                }
            })
            .collect();
        if tells_apart(values, &texts) {
            break;
        }
    }
    texts
}

/// A whole number if `x` is one, else three significant figures.
pub fn count(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        sig3(x)
    }
}

/// A set of period indices as ranges: `2024-07, 2024-10..2024-12`.
pub fn period_set(series: &Series, periods: &[usize]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < periods.len() {
        let mut j = i;
        while j + 1 < periods.len() && periods[j + 1] == periods[j] + 1 {
            j += 1;
        }
        let (a, b): (Period, Period) = (series.period(periods[i]), series.period(periods[j]));
        parts.push(if i == j { a.to_string() } else { format!("{a}..{b}") });
        i = j + 1;
    }
    parts.join(", ")
}

/// Left-aligned first column, right-aligned others, two spaces between.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let n = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (k, cell) in row.iter().enumerate().take(n) {
            widths[k] = widths[k].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (k, cell) in cells.iter().enumerate() {
            let pad = widths[k] - cell.chars().count();
            if k > 0 {
                out.push_str("  ");
            }
            if k == 0 {
                out.push_str(cell);
                if k + 1 < n {
                    out.push_str(&" ".repeat(pad));
                }
            } else {
                out.push_str(&" ".repeat(pad));
                out.push_str(cell);
            }
        }
        out.trim_end().to_owned() + "\n"
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// A verdict's level in words, after its p-value: empty at the default
/// 95% (the verdict reads as it always has), else ", significant at the
/// 10% level" (or "not significant").
pub fn at_level(level: f64, significant: bool) -> String {
    if (level - 0.95).abs() < 1e-12 {
        String::new()
    } else {
        let not = if significant { "" } else { "not " };
        format!(", {not}significant at the {}% level", sig3(100.0 * (1.0 - level)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_significant_figures() {
        assert_eq!(sig3(9.25), "9.25");
        assert_eq!(sig3(20.219), "20.2");
        assert_eq!(sig3(4.6123), "4.61");
        assert_eq!(sig3(0.0073), "0.0073");
        assert_eq!(sig3(1234.6), "1235");
        assert_eq!(sig3(-0.5), "-0.5");
        assert_eq!(sig3(1.07e-14), "1.07e-14");
        assert_eq!(sig3(5.6502e100), "5.65e100");
        assert_eq!(sig3(1.5e14), "150000000000000");
        assert_eq!(sig3(f64::INFINITY), "∞");
        assert_eq!(sig3(f64::NEG_INFINITY), "-∞");
    }

    #[test]
    fn numbers_shown_together_are_told_apart() {
        // Wide intervals keep three figures, trailing zeros trimmed.
        assert_eq!(sig_together(&[9.25, 4.75, 20.8]), ["9.25", "4.75", "20.8"]);
        assert_eq!(sig_together(&[14.6, 14.3, 15.0]), ["14.6", "14.3", "15"]);
        // The drones' trend rate ratio under Poisson.
        assert_eq!(
            sig_together(&[1.099_77, 1.099_01, 1.100_54]),
            ["1.100", "1.099", "1.101"]
        );
        assert_eq!(
            sig_together(&[1.100_02, 1.099_93, 1.100_08]),
            ["1.1000", "1.0999", "1.1001"]
        );
        // Equal numbers may print alike (a rate at a bound of 0).
        assert_eq!(sig_together(&[0.0, 0.0, 3.2]), ["0", "0", "3.2"]);
        // Large numbers add decimals.
        assert_eq!(
            sig_together(&[12345.2, 12345.1, 12345.3]),
            ["12345.2", "12345.1", "12345.3"]
        );
        // Tiny ones keep the exponent.
        assert_eq!(
            sig_together(&[1.0012e-7, 1.0004e-7, 1.0019e-7]),
            ["1.001e-7", "1.000e-7", "1.002e-7"]
        );
        // Rounding noise does not ask for 17 digits.
        assert_eq!(sig_together(&[2.0, 2.0 + 1e-13, 3.0]), ["2", "2", "3"]);
        assert_eq!(percent_together(&[10.0, 9.9, 10.1]), ["+10.0%", "+9.9%", "+10.1%"]);
        assert_eq!(percent_together(&[2e20, 1.0]), ["+2.0e20%", "+1.0%"]);
        assert_eq!(
            percent_together(&[10.0012, 9.9991, 10.0033]),
            ["+10.001%", "+9.999%", "+10.003%"]
        );
    }

    #[test]
    fn csv_cells_are_quoted_when_needed() {
        let rows = vec![vec!["a,b".to_owned(), "say \"hi\"".to_owned(), "plain".to_owned()]];
        assert_eq!(
            csv_table(&["x", "y", "z"], &rows),
            "x,y,z\n\"a,b\",\"say \"\"hi\"\"\",plain\n"
        );
    }

    #[test]
    fn csv_numbers_are_shortest_round_trip() {
        let p = 1.4109884680848497e-282;
        assert_eq!(csv_number(p), "1.4109884680848497e-282");
        assert_eq!(csv_number(3.0), "3");
        assert_eq!(csv_number(-0.0), "-0");
        assert_eq!(csv_number(0.25), "0.25");
        assert_eq!(csv_number(0.0001), "0.0001");
        assert_eq!(csv_number(0.00009), "9e-5");
        assert_eq!(csv_number(2.5e30), "2.5e30");
        assert_eq!(csv_number(1234.5678), "1234.5678");
        assert_eq!(csv_number(f64::INFINITY), "Inf");
        assert_eq!(csv_number(f64::NAN), "");
        for x in [p, 0.1 + 0.2, 1e-300, f64::MAX, f64::MIN_POSITIVE, 123456789.123] {
            assert_eq!(csv_number(x).parse::<f64>().unwrap(), x);
            assert!(csv_number(x).len() <= 24);
        }
    }
}

#[cfg(test)]
mod csv_tests {
    use super::csv_table;

    #[test]
    fn text_that_a_spreadsheet_would_run_is_neutralised_and_numbers_are_not() {
        let rows = vec![vec![
            "=HYPERLINK(\"x\")".to_string(),
            "-3.5".to_string(),
            "+cmd".to_string(),
            "@SUM(A1)".to_string(),
            "2024-01".to_string(),
            "-".to_string(),
        ]];
        assert_eq!(
            csv_table(&["a,b", "n"], &rows),
            "\"a,b\",n\n\"'=HYPERLINK(\"\"x\"\")\",-3.5,'+cmd,'@SUM(A1),2024-01,'-\n"
        );
    }
}
