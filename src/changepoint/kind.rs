//! What changes at a break: the level, the slope of the linear predictor,
//! or both, and the terms each adds to a model.

use serde::Serialize;

use crate::data::Period;
use crate::model::Term;

/// What changes at a break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakKind {
    /// The level jumps (`step@P`).
    #[default]
    Level,
    /// The slope of the linear predictor changes and the level does not
    /// jump (`slope@P`, the hinge `max(t - P, 0)`: a continuous piecewise-
    /// linear log rate, the model of R's `segmented`, at integer dates).
    Slope,
    /// Both (`step@P` and `slope@P`).
    Both,
}

impl BreakKind {
    /// The terms a break of this kind at `at` adds to the model.
    pub fn terms(self, at: Period) -> Vec<Term> {
        match self {
            BreakKind::Level => vec![Term::Step(at)],
            BreakKind::Slope => vec![Term::Slope(at)],
            BreakKind::Both => vec![Term::Step(at), Term::Slope(at)],
        }
    }

    /// The number of parameters it adds.
    pub fn parameters(self) -> usize {
        match self {
            BreakKind::Level | BreakKind::Slope => 1,
            BreakKind::Both => 2,
        }
    }

    /// Its name in options and output.
    pub fn name(self) -> &'static str {
        match self {
            BreakKind::Level => "level",
            BreakKind::Slope => "slope",
            BreakKind::Both => "both",
        }
    }
}
