//! Errors of the library. Every message is one sentence that says where the
//! problem is (file, line, column, value) and what to do about it; the binary
//! maps [`Error::is_bad_input`] to exit code 2 and the rest to 1.

use std::fmt;

/// Where in the input a problem was found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// File name as the user gave it, `<stdin>`, or `embedded dataset NAME`.
    pub file: String,
    /// 1-based line of the CSV record, when one is at fault.
    pub line: Option<u64>,
    /// Column name, when one is at fault.
    pub column: Option<String>,
}

impl Location {
    /// A whole file.
    pub fn file(file: &str) -> Location {
        Location {
            file: file.to_owned(),
            line: None,
            column: None,
        }
    }

    /// One line of a file.
    pub fn line(file: &str, line: u64) -> Location {
        Location {
            file: file.to_owned(),
            line: Some(line),
            column: None,
        }
    }

    /// One cell of a file.
    pub fn cell(file: &str, line: u64, column: &str) -> Location {
        Location {
            file: file.to_owned(),
            line: Some(line),
            column: Some(column.to_owned()),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ", column `{column}`")?;
        }
        Ok(())
    }
}

/// A problem with an input file, stated so that the user can fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{location}: {problem}")]
pub struct InputError {
    /// Where.
    pub location: Location,
    /// What, with the offending value.
    pub problem: String,
}

impl InputError {
    /// A problem at `location`.
    pub fn new(location: Location, problem: impl Into<String>) -> InputError {
        InputError {
            location,
            problem: problem.into(),
        }
    }
}

/// Everything that can go wrong in countshift.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An input file is malformed or inconsistent.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A file could not be opened or read.
    #[error("{path}: {source}; check the path and that it is a readable file")]
    Io {
        /// The path as given.
        path: String,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("{path}: {source}; check that the directory exists and can be written")]
    Write {
        /// The path written.
        path: String,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// A request (model terms, options) that cannot be carried out as stated.
    #[error("{0}")]
    Spec(String),
    /// An error raised by linfa's dataset checks.
    #[cfg(feature = "linfa")]
    #[error("linfa: {0}")]
    Linfa(#[from] linfa::error::Error),
    /// A numerical failure that the input did not announce; a bug or an
    /// extreme case worth reporting.
    #[error("{0}")]
    Numerical(String),
    /// A forecast whose simulated means overflow: the fitted terms are too
    /// uncertain to extrapolate that far (fewer terms or a shorter horizon
    /// fix it).
    #[error("{0}")]
    Extrapolation(String),
    /// A value that cannot be drawn from the model (its mean overflowed):
    /// the one failure of every sampler.
    #[error(transparent)]
    Undrawable(#[from] crate::model::Undrawable),
    /// A plot could not be drawn (an internal failure).
    #[error("could not draw the plot {0}")]
    Plot(String),
}

impl Error {
    /// True for errors the user can fix by changing input or options (exit 2).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Error::Input(_)
                | Error::Io { .. }
                | Error::Write { .. }
                | Error::Spec(_)
                | Error::Extrapolation(_)
                | Error::Undrawable(_)
        )
    }
}

/// Result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
