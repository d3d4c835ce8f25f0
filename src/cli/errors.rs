//! Library errors as the command line says them. The library's sentences
//! name no option; where the fix is an option of the command that failed,
//! this file adds it, so that every such hint lives in one place.

use countshift::{Error, SpecError};

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

/// The hint that follows `e`'s own sentence for `command`, if any: the
/// option that changes what the rule refused.
fn hint(command: Command, e: &Error) -> Option<&'static str> {
    Some(match (command, e) {
        (Command::Forecasting, Error::Undrawable(_)) => {
            "the fitted terms are too uncertain to extrapolate this far: use fewer terms (no trend) or a shorter --horizon"
        }
        (Command::Simulate, Error::Undrawable(_)) => "check --coef and --terms",
        (_, Error::Rule(rule)) => match rule {
            SpecError::Level { .. } => "give --level as e.g. 0.95",
            SpecError::MinSegmentZero => "give --min-segment of at least 1",
            SpecError::NoRoom { .. } => "lower --max-breaks or --min-segment",
            SpecError::NoRoomForOneBreak { .. } => "lower --min-segment or use more data",
            SpecError::Penalty { .. } => "give --penalty as bic, mbic or a non-negative number",
            SpecError::Prior { .. } => "check --prior-shape and --prior-rate",
            SpecError::NoWork | SpecError::TooManyDrawnValues { .. } => "check --horizon and --draws",
            SpecError::NoModels => "name at least one with --models",
            SpecError::OriginOutside { .. } => "choose another --origin-from",
            SpecError::NeedsLogLink => "use --family poisson or negbin",
            SpecError::CountsNeeded { .. } => "use --family gaussian",
            SpecError::SeveralBreaksNeedLevelModel => "drop --terms and run rows, or use --max-breaks 1",
            SpecError::RangeBackwards { .. } => "swap --from and --to",
            _ => return None,
        },
        _ => return None,
    })
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
