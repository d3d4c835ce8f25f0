//! Errors of the library. Every message is one sentence that says where the
//! problem is (file, line, column, value) and what to do about it; the binary
//! maps [`Error::is_bad_input`] to exit code 2 and the rest to 1.

use std::fmt;

/// Where in the input a problem was found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// File name as the user gave it, `<stdin>`, or `embedded dataset NAME`.
    pub file: String,
    /// The series, in a file of many.
    pub series: Option<String>,
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
            series: None,
            line: None,
            column: None,
        }
    }

    /// One line of a file.
    pub fn line(file: &str, line: u64) -> Location {
        Location {
            file: file.to_owned(),
            series: None,
            line: Some(line),
            column: None,
        }
    }

    /// One cell of a file.
    pub fn cell(file: &str, line: u64, column: &str) -> Location {
        Location {
            file: file.to_owned(),
            series: None,
            line: Some(line),
            column: Some(column.to_owned()),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(series) = &self.series {
            write!(f, ", series `{series}`")?;
        }
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
    /// A backtest model that failed at one origin.
    #[error("model `{model}` at origin {origin}: {source}")]
    AtOrigin {
        /// The model's label.
        model: String,
        /// The origin.
        origin: String,
        /// Why.
        source: Box<Error>,
    },
    /// A setting that breaks one of the rules of [`SpecError`].
    #[error(transparent)]
    Rule(#[from] SpecError),
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
    /// The error as one series of a file of many says it: an input error
    /// names the series; others are unchanged.
    pub fn in_series(self, key: &str) -> Error {
        match self {
            Error::Input(mut e) => {
                e.location.series = Some(key.to_owned());
                Error::Input(e)
            }
            other => other,
        }
    }

    /// True for errors the user can fix by changing input or options (exit 2).
    pub fn is_bad_input(&self) -> bool {
        if let Error::AtOrigin { source, .. } = self {
            return source.is_bad_input();
        }
        matches!(
            self,
            Error::Input(_)
                | Error::Io { .. }
                | Error::Write { .. }
                | Error::Rule(_)
                | Error::Extrapolation(_)
                | Error::Undrawable(_)
        )
    }
}

/// A setting out of its rule, one variant per rule, with the values as
/// fields. The sentences name no command-line option: the binary adds the
/// option to change where one applies.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// A confidence level outside (0, 1).
    #[error("the level {value} is not between 0 and 1 (write e.g. 0.95)")]
    Level {
        /// The level given.
        value: f64,
    },
    /// A minimum segment length of 0.
    #[error("the minimum segment length must be at least 1")]
    MinSegmentZero,
    /// More segments of the minimum length than the series holds.
    #[error("{segments} segments of at least {min_segment} observations need {} observations, but the series has {n}", or_more(.needed))]
    NoRoom {
        /// Segments asked for (breaks + 1).
        segments: u128,
        /// Their minimum length.
        min_segment: usize,
        /// Observations they need (`None` past `usize`).
        needed: Option<usize>,
        /// Observations (or periods) there are.
        n: usize,
    },
    /// A series too short for one break between two minimum segments.
    #[error("{series} has {n} {unit}, too few for two segments of at least {min_segment}")]
    NoRoomForOneBreak {
        /// The series' source.
        series: String,
        /// Its length.
        n: usize,
        /// `observations` or `periods`.
        unit: &'static str,
        /// The minimum segment length.
        min_segment: usize,
    },
    /// A PELT penalty that is negative or not finite.
    #[error("the penalty {value} must be a finite non-negative number")]
    Penalty {
        /// The penalty given.
        value: f64,
    },
    /// A Gamma prior whose shape is not positive or whose rate is negative.
    #[error("the Gamma prior (shape {shape}, rate {rate}) needs a positive finite shape and a finite rate at least 0")]
    Prior {
        /// Its shape.
        shape: f64,
        /// Its rate.
        rate: f64,
    },
    /// A forecast or backtest with no horizon or no draws.
    #[error("a forecast needs a horizon of at least 1 and at least 1 draw")]
    NoWork,
    /// Draws times horizon past what a forecast holds.
    #[error("{draws} draws over {horizon} periods are {} simulated values, more than the {max} a forecast holds", product(.draws, .horizon))]
    TooManyDrawnValues {
        /// Draws per period.
        draws: usize,
        /// Periods ahead.
        horizon: usize,
        /// The bound.
        max: u64,
    },
    /// A backtest with no model.
    #[error("a backtest needs at least one model")]
    NoModels,
    /// A first forecast origin outside the series.
    #[error(
        "the first origin {origin} must lie inside the series ({first} to {last}) with at least two periods before it"
    )]
    OriginOutside {
        /// The origin given.
        origin: String,
        /// The series' first period.
        first: String,
        /// Its last.
        last: String,
    },
    /// `season:K` without a positive whole K.
    #[error("term `{term}`: write season:K with K a positive number of Fourier pairs")]
    FourierCount {
        /// The term as written.
        term: String,
    },
    /// A term that is neither built in nor a covariate of the series.
    #[error("unknown term `{term}`; terms are intercept, trend, step@PERIOD, slope@PERIOD, season, season:K or a covariate column, and {}", covariates_phrase(.covariates))]
    UnknownTerm {
        /// The term as written.
        term: String,
        /// The series' covariate columns.
        covariates: Vec<String>,
    },
    /// A term given twice.
    #[error("the term `{term}` is given twice; give it once")]
    TermTwice {
        /// The term as written.
        term: String,
    },
    /// A model without terms.
    #[error("the model has no terms; keep the intercept or add a term")]
    NoTerms,
    /// A term's period that does not parse in the series' frequency.
    #[error("term `{term}`: `{text}` {why}")]
    TermPeriod {
        /// The term as written.
        term: String,
        /// Its period as written.
        text: String,
        /// Why it is not a period of the series.
        why: String,
    },
    /// A step or slope change at or outside the ends of the series.
    #[error(
        "term `{term}` puts the change at or outside the ends of the series ({first} to {last}); choose a period after the first and not after the last"
    )]
    ChangeOutside {
        /// The term.
        term: String,
        /// The series' first period.
        first: String,
        /// Its last.
        last: String,
    },
    /// More Fourier pairs than the seasons allow.
    #[error("term `{term}` asks for {pairs} Fourier pairs but {seasons} allow at most {max}")]
    TooManyFourierPairs {
        /// The term.
        term: String,
        /// Pairs asked.
        pairs: usize,
        /// `weekly data` or `12 seasons`.
        seasons: String,
        /// Pairs allowed.
        max: usize,
    },
    /// A week past the calendar (no year fraction).
    #[error("term `{term}`: week {week} is beyond the calendar")]
    WeekBeyondCalendar {
        /// The term.
        term: String,
        /// The week.
        week: String,
    },
    /// Seasonal dummies on weekly data.
    #[error(
        "term `season` (one dummy per season) needs monthly or quarterly data; for weekly data use season:K, K Fourier pairs in the fraction of the year (e.g. season:3)"
    )]
    SeasonOnWeeks,
    /// A seasonal term on data without a season.
    #[error(
        "term `{term}` needs monthly or quarterly data (or weekly data for season:K), and this series is {frequency}"
    )]
    NoSeason {
        /// The term.
        term: String,
        /// The series' frequency.
        frequency: String,
    },
    /// A covariate term the series has no column for.
    #[error("the series has no covariate column `{name}` (it has {})", have_phrase(.have))]
    NoSuchCovariate {
        /// The covariate asked.
        name: String,
        /// The series' covariate columns.
        have: Vec<String>,
    },
    /// A count family on a series of real values.
    #[error("the {family} family needs counts, but {series} has a `value` column")]
    CountsNeeded {
        /// The family asked.
        family: &'static str,
        /// The series' source.
        series: String,
    },
    /// A series with no observation.
    #[error("{series} has no observations to fit")]
    NoObservations {
        /// The series' source.
        series: String,
    },
    /// A Gaussian model with no residual variance.
    #[error(
        "the Gaussian model fits every observation exactly (zero residual variance), so its likelihood is unbounded; use fewer terms or more data"
    )]
    ZeroResidualVariance,
    /// A design matrix and targets of different lengths.
    #[error("{records} records but {targets} targets; give one target per record")]
    RecordsTargets {
        /// Rows of the matrix.
        records: usize,
        /// Targets given.
        targets: usize,
    },
    /// A target that is not a count, for a count family.
    #[error("target {value} is not a count; the {family} family needs non-negative integers")]
    TargetNotCount {
        /// The target.
        value: f64,
        /// The family.
        family: &'static str,
    },
    /// An offset of the wrong length or with a non-finite value.
    #[error(
        "the offset has {values} values for {records} records, or one is not finite; give one finite offset per record"
    )]
    BadOffset {
        /// Offsets given.
        values: usize,
        /// Rows of the matrix.
        records: usize,
    },
    /// A term zero on every observed period.
    #[error("the term `{term}` is zero on every observed period; remove it")]
    TermAllZero {
        /// The term.
        term: String,
    },
    /// A term collinear with others on the observed periods.
    #[error("the term `{term}` is collinear with {} on the observed periods; remove one of them", quoted(.with))]
    Collinear {
        /// The term.
        term: String,
        /// The terms it is a combination of.
        with: Vec<String>,
    },
    /// A series built from numbers with a value that is not a count.
    #[error("value {index} ({value}) is not a count: counts are whole numbers from 0 to 2^53")]
    NotACount {
        /// Its position, from 0.
        index: usize,
        /// The value.
        value: f64,
    },
    /// A value that is not a finite number within the range countshift fits.
    #[error("value {index} ({value}) is not a finite number within ±1e100")]
    BadValue {
        /// Its position, from 0.
        index: usize,
        /// The value.
        value: f64,
    },
    /// An exposure outside the range countshift fits.
    #[error("exposure {index} ({value}) is outside 1e-100 to 1e100")]
    BadExposure {
        /// Its position, from 0.
        index: usize,
        /// The exposure.
        value: f64,
    },
    /// Counts and exposures of different lengths.
    #[error("{counts} counts but {exposures} exposures; give one exposure per count")]
    LengthMismatch {
        /// Counts given.
        counts: usize,
        /// Exposures given.
        exposures: usize,
    },
    /// A fit used with a series other than the one it was fitted to.
    #[error("the model was fitted to {fitted}, not to this series ({given}); use the series that was fitted")]
    SeriesMismatch {
        /// The fitted series' periods.
        fitted: String,
        /// The series given.
        given: String,
    },
    /// A Gaussian model of a constant series.
    #[error("{series} is constant, so a Gaussian model has no variance and no break to find")]
    ConstantGaussian {
        /// The series.
        series: String,
    },
    /// The exact segmentation posterior asked of data or a prior it does not cover.
    #[error(
        "the exact posterior over segmentations needs whole non-negative counts, positive exposure and a proper Gamma prior on the rates"
    )]
    PosteriorNeedsCounts,
    /// The Gaussian posterior over segmentations asked of values or a
    /// prior it cannot take.
    #[error(
        "the exact Gaussian posterior over segmentations needs finite values and a proper normal-inverse-gamma prior (kappa, shape and scale positive)"
    )]
    PosteriorNeedsValues,
    /// Several breaks asked of a model or series the search does not cover.
    #[error("several breaks are searched for a level-only model on one observation per period")]
    SeveralBreaksNeedLevelModel,
    /// A Gaussian model with as many coefficients as observations.
    #[error("the Gaussian model has as many coefficients as observations, so no standard errors; use fewer terms")]
    SaturatedGaussian,
    /// A baseline name that is not one.
    #[error("baseline `{text}`: write last, meanK (K periods, e.g. mean6), seasonal, or none")]
    UnknownBaseline {
        /// What was written.
        text: String,
    },
    /// A backtest model whose family is not one.
    #[error("model `{text}`: unknown family `{family}`; write poisson:TERMS, negbin:TERMS or gaussian:TERMS")]
    UnknownModelFamily {
        /// The model as written.
        text: String,
        /// The family part.
        family: String,
    },
    /// A backtest on a series with run rows.
    #[error("backtests compare forecasts with single-period observations; the series has run rows")]
    BacktestRunRows,
    /// The seasonal baseline on a series without a season.
    #[error("the seasonal baseline needs a frequency with a season (months or quarters); {series} has none")]
    NoSeasonForBaseline {
        /// The series.
        series: String,
    },
    /// A forecast of a model with a covariate, whose future is unknown.
    #[error("the model uses the covariate `{name}`, whose future values are unknown; forecast with time terms only")]
    FutureCovariate {
        /// The covariate.
        name: String,
    },
    /// Future exposures that do not match the horizon.
    #[error("the future exposure has {given} values for a horizon of {horizon}; give one per period")]
    FutureExposureLength {
        /// Values given.
        given: usize,
        /// The horizon.
        horizon: usize,
    },
    /// A forecast of an offset model on a series without exposure.
    #[error(
        "the model was fitted with exposure as an offset, and this series has no exposure; forecast the series that was fitted"
    )]
    NoExposureToForecast,
    /// An event log aggregated to an index frequency.
    #[error("an event log has dates; aggregate by day, week, month, quarter or year")]
    EventLogNeedsDates,
    /// A period range that runs backwards.
    #[error("the first period {from} is after the last {to}")]
    RangeBackwards {
        /// The first period asked.
        from: String,
        /// The last period asked.
        to: String,
    },
    /// An embedded dataset that is not there.
    #[error("there is no embedded dataset `{name}`; the datasets are {}", .known.join(", "))]
    UnknownDataset {
        /// The name asked.
        name: String,
        /// The names there are.
        known: Vec<String>,
    },
    /// Coefficients that do not match the terms.
    #[error("the terms have {} coefficients ({}) but {given} values were given; give one per coefficient", .names.len(), .names.join(", "))]
    CoefficientCount {
        /// The design's coefficient names.
        names: Vec<String>,
        /// Values given.
        given: usize,
    },
    /// A negative binomial without a positive theta.
    #[error("the negative binomial needs a positive theta (variance mu + mu^2/theta)")]
    ThetaNotPositive,
    /// A Gaussian without a positive sigma.
    #[error("the Gaussian family needs a positive sigma")]
    SigmaNotPositive,
    /// A known-date test with a family whose coefficients are not log
    /// rate ratios.
    #[error("the known-date test reports rate ratios, so it needs a log-link family (Poisson or negative binomial)")]
    NeedsLogLink,
}

fn quoted(names: &[String]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

fn covariates_phrase(covariates: &[String]) -> String {
    if covariates.is_empty() {
        "the file has no covariate columns".to_owned()
    } else {
        format!("the covariates are {}", covariates.join(", "))
    }
}

fn have_phrase(have: &[String]) -> String {
    if have.is_empty() {
        "none".to_owned()
    } else {
        have.join(", ")
    }
}

fn or_more(needed: &Option<usize>) -> String {
    needed.map_or_else(|| "more".to_owned(), |v| v.to_string())
}

fn product(a: &usize, b: &usize) -> u128 {
    *a as u128 * *b as u128
}

/// Result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
