//! Numbers in words for people: the one formatting rule that the model's
//! notes and the report's tables share, below both so that neither imports
//! the other.

/// A number to three significant figures (`9.25`, `20.2`, `0.00731`), the way
/// tables show estimates; large numbers keep their integer digits up to
/// 10^15, past which (and below 10^-4) they take an exponent (`5.65e100`,
/// not a hundred digits). An unbounded interval end is `∞` or `-∞`.
pub fn sig3(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "n/a".into()
        } else if x > 0.0 {
            "∞".into()
        } else {
            "-∞".into()
        };
    }
    if x == 0.0 {
        return "0".into();
    }
    let magnitude = x.abs().log10().floor() as i32;
    if !(-4..15).contains(&magnitude) {
        return format!("{x:.2e}");
    }
    let decimals = (2 - magnitude).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}
