//! The bounds of every count and seed option, in one place. clap checks them
//! while parsing, before any data is read, so the work and memory a command
//! can be asked for follow from them, and a value out of range is one
//! sentence naming the option and its range, with exit code 2.

use clap::builder::{RangedU64ValueParser, TypedValueParser};

/// Bootstrap replicates (`--bootstrap`, `--sequential`).
pub const MAX_REPLICATES: u64 = 100_000;
/// Periods ahead (`--horizon`).
pub const MAX_HORIZON: u64 = 10_000;
/// Simulation draws per forecast (`--draws`).
pub const MAX_DRAWS: u64 = 1_000_000;
/// `--draws` times `--horizon`: the library's bound, checked before any data
/// is read.
pub use countshift::forecast::MAX_DRAWN_VALUES;
/// Breaks of the several-break search (`--max-breaks`).
pub const MAX_BREAKS: u64 = 1_000;
/// Observations in a segment (`--min-segment`).
pub const MAX_MIN_SEGMENT: u64 = 100_000_000;
/// Periods `simulate` writes (`--periods`).
pub const MAX_SIMULATED_PERIODS: u64 = 10_000_000;

/// A count option of `usize` in `min..=max`.
fn count(min: u64, max: u64) -> impl TypedValueParser<Value = usize> {
    RangedU64ValueParser::<usize>::new().range(min..=max)
}

/// `--bootstrap`: 0 (asymptotic only) to [`MAX_REPLICATES`].
pub fn bootstrap() -> impl TypedValueParser<Value = usize> {
    count(0, MAX_REPLICATES)
}

/// `--sequential`: 1 to [`MAX_REPLICATES`] exceedances.
pub fn exceedances() -> impl TypedValueParser<Value = usize> {
    count(1, MAX_REPLICATES)
}

/// `--horizon`: 1 to [`MAX_HORIZON`].
pub fn horizon() -> impl TypedValueParser<Value = usize> {
    count(1, MAX_HORIZON)
}

/// `--draws`: 1 to [`MAX_DRAWS`].
pub fn draws() -> impl TypedValueParser<Value = usize> {
    count(1, MAX_DRAWS)
}

/// `--max-breaks`: 1 to [`MAX_BREAKS`].
pub fn max_breaks() -> impl TypedValueParser<Value = usize> {
    count(1, MAX_BREAKS)
}

/// `--min-segment`: 1 to [`MAX_MIN_SEGMENT`].
pub fn min_segment() -> impl TypedValueParser<Value = usize> {
    count(1, MAX_MIN_SEGMENT)
}

/// `--periods` of `simulate`: 1 to [`MAX_SIMULATED_PERIODS`].
pub fn simulated_periods() -> impl TypedValueParser<Value = usize> {
    count(1, MAX_SIMULATED_PERIODS)
}

/// `--seed`: a whole number from 0 to 2^64 - 1. A negative seed is read as
/// a value (not as an unknown flag) so that the message says what a seed is.
pub fn seed() -> impl TypedValueParser<Value = u64> {
    clap::builder::StringValueParser::new().try_map(|text: String| {
        text.trim().parse::<u64>().map_err(|_| {
            format!(
                "`{text}` is not a seed; a seed is a whole number from 0 to {}",
                u64::MAX
            )
        })
    })
}

/// The draws a forecast simulates, `draws * horizon`, within
/// [`MAX_DRAWN_VALUES`].
///
/// # Errors
/// A sentence naming both options and the bound.
pub fn check_drawn_values(draws: usize, horizon: usize) -> Result<(), String> {
    let values = (draws as u64).saturating_mul(horizon as u64);
    if values > MAX_DRAWN_VALUES {
        return Err(format!(
            "--draws {draws} times --horizon {horizon} is {values} simulated values, more than the {MAX_DRAWN_VALUES} a forecast holds; lower either"
        ));
    }
    Ok(())
}

/// Smallest and largest `--level`: below one half an interval is narrower
/// than the estimate's own error, and past 0.9999 its ends run to the
/// rounding limits of the quantile functions.
pub const LEVEL_RANGE: (f64, f64) = (0.5, 0.9999);

/// A number option parsed as a finite f64 that `accept` allows, else `rule`.
fn number(accept: fn(f64) -> bool, rule: &'static str) -> impl TypedValueParser<Value = f64> {
    clap::builder::StringValueParser::new().try_map(move |text: String| match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && accept(v) => Ok(v),
        _ => Err(format!("`{text}` is not {rule}")),
    })
}

/// `--level`: a [`Level`](countshift::inference::Level) within
/// [`LEVEL_RANGE`], the validated type itself, before any data is read.
pub fn level() -> impl TypedValueParser<Value = countshift::inference::Level> {
    number(
        |v| (LEVEL_RANGE.0..=LEVEL_RANGE.1).contains(&v),
        "a level from 0.5 to 0.9999 (write e.g. 0.95)",
    )
    .try_map(|v| countshift::inference::Level::new(v).map_err(|e| e.to_string()))
}

/// `--penalty`: `bic`, `mbic` or a finite number at least 0.
pub fn penalty() -> impl TypedValueParser<Value = countshift::changepoint::multiple::Penalty> {
    use countshift::changepoint::multiple::Penalty;
    clap::builder::StringValueParser::new().try_map(|text: String| match text.trim() {
        "bic" => Ok(Penalty::Bic),
        "mbic" => Ok(Penalty::Mbic),
        v => v
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(Penalty::Value)
            .ok_or_else(|| format!("`{text}` is not bic, mbic or a finite number at least 0")),
    })
}

/// A positive finite number (`--prior-shape`, `--theta`, `--sigma`).
pub fn positive() -> impl TypedValueParser<Value = f64> {
    number(|v| v > 0.0, "a positive finite number")
}

/// A non-negative finite number (`--prior-rate`).
pub fn non_negative() -> impl TypedValueParser<Value = f64> {
    number(|v| v >= 0.0, "a finite number at least 0")
}

/// A rate strictly between 0 and 1 (`--fdr`).
pub fn probability() -> impl TypedValueParser<Value = f64> {
    number(|v| v > 0.0 && v < 1.0, "a rate between 0 and 1 (write e.g. 0.05)")
}
