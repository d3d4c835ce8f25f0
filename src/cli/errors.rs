//! Library errors as the command line says them. The library's sentences
//! name no option; where the fix is an option of the command that failed,
//! this file adds it, so that every such hint lives in one place.

use countshift::Error;

/// The command whose error is explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Command {
    /// `forecast`, `backtest` and `report`: the ones that extrapolate.
    Forecasting,
    /// `simulate`.
    Simulate,
    /// Every other command.
    Other,
}

/// The hint that follows `e`'s own sentence for `command`, if any.
fn hint(command: Command, e: &Error) -> Option<&'static str> {
    match (command, e) {
        (Command::Forecasting, Error::Undrawable(_)) => Some(
            "the fitted terms are too uncertain to extrapolate this far: use fewer terms (no trend) or a shorter --horizon",
        ),
        (Command::Simulate, Error::Undrawable(_)) => Some("check --coef and --terms"),
        _ => None,
    }
}

/// `e` with the hint for `command` after its sentence; the library error
/// stays inside, so the exit code still follows it.
pub(crate) fn explained(e: anyhow::Error, command: Command) -> anyhow::Error {
    let Some(hint) = e.downcast_ref::<Error>().and_then(|inner| hint(command, inner)) else {
        return e;
    };
    let sentence = format!("{e}; {hint}");
    e.context(sentence)
}
