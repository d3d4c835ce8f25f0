//! The bad-input catalogue: every malformed input is one clear sentence on
//! standard error naming the file, line and column, exit code 2, no panic.

mod common;
use common::{countshift, temp_file};

/// (name, file contents, expected fragment of the error line)
const SERIES_CASES: &[(&str, &[u8], &str)] = &[
    (
        "two_rows_spanning_a_hundred_million_periods",
        b"period,count\n0,3\n99999998,4\n",
        "the periods run from 0 to 99999998, 99999999 periods, for 2 rows; at most 100 periods per row (or 100000 in all) are supported, so check for a mistyped period or aggregate to a coarser frequency",
    ),
    (
        "one_run_over_a_hundred_million_periods",
        b"start,end,count\n1,100000000,3\n",
        "100000000 periods, for 1 rows; at most 100 periods per row",
    ),
    // Issue 17, class 3: a reader is bounded; binary data fails at once.
    (
        "nul_byte",
        b"period,count\n2024-01,3\n\x002024-02,4\n",
        "line 3: the file holds binary data (a NUL byte); countshift reads CSV text",
    ),
    // Issue 17, class 5: echoed values are escaped and cut.
    (
        "terminal_escape_in_a_count",
        b"period,count\n2024-01,\x1b[31mred\n",
        "line 2, column `count`: the count `\\x1b[31mred` is not a number",
    ),
    (
        "terminal_escape_in_a_column_name",
        b"period,count,\x1b]0;pwned\x07\n2024-01,3,x\n",
        "column `\\x1b]0;pwned\\x07`: `x` is not a number",
    ),
    // Issue 17, class 4: numbers a fit cannot hold are refused at the cell,
    // with the range, instead of giving inf rates or a panic.
    (
        "count_2_53_plus_1",
        b"period,count\n2024-01,9007199254740993\n2024-02,3\n",
        "line 2, column `count`: the count `9007199254740993` is too large; counts above 2^53 are not supported",
    ),
    (
        "exposure_subnormal",
        b"period,count,exposure\n2024-01,3,4.9e-324\n2024-02,3,1\n",
        "line 2, column `exposure`: the exposure `4.9e-324` is outside 1e-100 to 1e100, the range countshift fits; rescale the column (rates are per unit of exposure)",
    ),
    (
        "exposure_1e_minus_320",
        b"period,count,exposure\n2024-01,3,1e-320\n2024-02,3,1\n",
        "the exposure `1e-320` is outside 1e-100 to 1e100",
    ),
    (
        "exposure_1e308",
        b"period,count,exposure\n2024-01,3,1\n2024-02,3,1e308\n",
        "line 3, column `exposure`: the exposure `1e308` is outside 1e-100 to 1e100",
    ),
    (
        "exposure_f64_max",
        b"period,count,exposure\n2024-01,3,1.7976931348623157e308\n2024-02,3,1\n",
        "the exposure `1.7976931348623157e308` is outside 1e-100 to 1e100",
    ),
    (
        "covariate_1e154",
        b"period,count,x\n2024-01,3,1e154\n2024-02,3,1\n2024-03,5,2\n",
        "line 2, column `x`: `1e154` is beyond ±1e100, the range countshift fits; rescale the column",
    ),
    (
        "covariate_minus_1e308",
        b"period,count,x\n2024-01,3,1\n2024-02,3,-1e308\n",
        "line 3, column `x`: `-1e308` is beyond",
    ),
    (
        "value_1e200",
        b"period,value\n2024-01,1e200\n2024-02,3\n",
        "line 2, column `value`: `1e200` is beyond",
    ),
    (
        "covariate_named_trend",
        b"period,count,trend\n2024-01,3,1\n2024-02,3,2\n",
        "line 1: the column `trend` is named like a built-in term of --terms; rename it (e.g. `trend_x`)",
    ),
    (
        "covariate_named_intercept",
        b"period,count,intercept\n2024-01,3,1\n2024-02,3,2\n",
        "the column `intercept` is named like a built-in term",
    ),
    (
        "covariate_named_season",
        b"period,count,season\n2024-01,3,1\n2024-02,3,2\n",
        "the column `season` is named like a built-in term",
    ),
    (
        "covariate_named_like_a_step",
        b"period,count,step@2024-02\n2024-01,3,1\n2024-02,3,2\n",
        "the column `step@2024-02` is named like a built-in term of --terms; rename it (e.g. `step_2024-02_x`)",
    ),
    // Issue 17, class 1: integer periods are bounded, so that spans and
    // offsets cannot wrap.
    (
        "period_i64_min",
        b"period,count\n-9223372036854775808,3\n1,4\n",
        "line 2, column `period`: `-9223372036854775808` is beyond the integer periods countshift reads, -1000000000000 to 1000000000000",
    ),
    (
        "period_i64_max",
        b"period,count\n1,3\n9223372036854775807,4\n",
        "line 3, column `period`: `9223372036854775807` is beyond the integer periods countshift reads",
    ),
    (
        "period_past_i64",
        b"period,count\n1,3\n99999999999999999999999999,4\n",
        "`99999999999999999999999999` is beyond the integer periods countshift reads",
    ),
    (
        "period_span_of_a_trillion",
        b"period,count\n-1000000000000,3\n1000000000000,4\n",
        "2000000000001 periods; at most 100000000 are supported",
    ),
    ("empty", b"", "the file is empty"),
    ("header_only", b"period,count\n", "the file has a header but no rows"),
    (
        "no_count",
        b"period,n\n2024-01,3\n",
        "line 1: the header has no `count` column",
    ),
    (
        "neither_period_nor_run",
        b"month,count\n2024-01,3\n",
        "the header has no `period` column",
    ),
    (
        "start_without_end",
        b"start,count\n2024-01,3\n",
        "has `start` but no `end`",
    ),
    (
        "both_period_and_run",
        b"period,start,end,count\n2024-01,2024-01,2024-02,3\n",
        "line 2, column `period`: the row gives both",
    ),
    (
        "neither_in_row",
        b"period,start,end,count\n,,,3\n",
        "line 2, column `period`: the row has no period",
    ),
    (
        "month_13",
        b"period,count\n2024-13,3\n",
        "line 2, column `period`: `2024-13` has month 13",
    ),
    (
        "month_one_digit",
        b"period,count\n2024-1,3\n",
        "line 2, column `period`: `2024-1` is not a period",
    ),
    ("two_digit_year", b"period,count\n24-01,3\n", "`24-01` is not a period"),
    ("quarter_5", b"period,count\n2024-Q5,3\n", "`2024-Q5` has quarter Q5"),
    (
        "week_53_in_a_52_week_year",
        b"period,count\n2021-W53,3\n",
        "line 2, column `period`: `2021-W53` has week 53, but 2021 has 52 ISO weeks; the week after 2021-W52 is 2022-W01",
    ),
    (
        "week_0",
        b"period,count\n2021-W00,3\n",
        "`2021-W00` has week 0; ISO weeks run from W01 to W52, or W53 in long years",
    ),
    (
        "feb_30",
        b"period,count\n2024-02-30,3\n",
        "`2024-02-30` is not a calendar date",
    ),
    (
        "mixed_frequencies",
        b"period,count\n2024-01,3\n2024-Q2,4\n",
        "line 3, column `period`: this period is quarterly but line 2 is monthly",
    ),
    (
        "mixed_with_integer",
        b"period,count\n2024-01,3\n7,4\n",
        "line 3: this period is a plain integer but line 2 is monthly",
    ),
    (
        "negative_count",
        b"period,count\n2024-01,-3\n",
        "line 2, column `count`: the count `-3` is negative",
    ),
    (
        "fractional_count",
        b"period,count\n2024-01,10.5\n",
        "the count `10.5` is fractional",
    ),
    (
        "nan_count",
        b"period,count\n2024-01,NaN\n",
        "line 2, column `count`: the count is `NaN`, a missing value; every row needs a count",
    ),
    (
        "na_count",
        b"period,count\n2024-01,NA\n",
        "line 2, column `count`: the count is `NA`, a missing value; every row needs a count, so give 0 if nothing happened or delete the row if the count is unknown (a period with no row is missing, not zero)",
    ),
    (
        "na_value",
        b"period,value\n2024-01,NA\n",
        "line 2, column `value`: the value is `NA`, a missing value; every row needs a value",
    ),
    (
        "inf_count",
        b"period,count\n2024-01,inf\n",
        "the count `inf` is not a number",
    ),
    (
        "blank_count",
        b"period,count\n2024-01,\n",
        "line 2, column `count`: the count is blank; every row needs a count, so give 0 if nothing happened or delete the row if the count is unknown (a period with no row is missing, not zero)",
    ),
    (
        "overflowing_count",
        b"period,count\n2024-01,99999999999999999999999\n",
        "is too large",
    ),
    (
        "zero_exposure",
        b"period,count,exposure\n2024-01,3,0\n",
        "line 2, column `exposure`: the exposure `0` is not positive",
    ),
    (
        "negative_exposure",
        b"period,count,exposure\n2024-01,3,-2\n",
        "the exposure `-2` is not positive",
    ),
    (
        "infinite_exposure",
        b"period,count,exposure\n2024-01,3,inf\n",
        "the exposure `inf` is not a finite number",
    ),
    (
        "blank_exposure",
        b"period,count,exposure\n2024-01,3,\n",
        "the exposure is blank and no run containing this row gives one",
    ),
    (
        "text_covariate",
        b"period,count,temp\n2024-01,3,warm\n",
        "line 2, column `temp`: `warm` is not a number",
    ),
    (
        "duplicate_period",
        b"period,count\n2024-01,3\n2024-01,4\n",
        "line 3: this row covers 2024-01 again, as line 2 does",
    ),
    (
        "partial_overlap",
        b"start,end,count\n2024-01,2024-06,8\n2024-04,2024-09,3\n",
        "line 3: this row (2024-04..2024-09) partly overlaps line 2",
    ),
    (
        "negative_subtraction",
        b"start,end,count\n2024-01,2024-06,8\n2024-02,2024-02,9\n",
        "line 2: the run 2024-01..2024-06 has count 8 but the rows it contains (lines 3) add up to 9",
    ),
    (
        "end_before_start",
        b"start,end,count\n2024-06,2024-01,8\n",
        "line 2, column `end`: the run ends at 2024-01, before its start 2024-06",
    ),
    (
        "ragged_row",
        b"period,count\n2024-01,3,7\n",
        "line 2: the row has 3 fields but the header has 2",
    ),
    (
        "invalid_utf8",
        b"period,count\n2024-01,3\n\xff\xfe,4\n",
        "line 3: the text is not valid UTF-8",
    ),
    (
        "duplicate_column",
        b"period,count,count\n2024-01,3,4\n",
        "the column `count` appears twice",
    ),
    (
        "count_and_value",
        b"period,count,value\n2024-01,3,4\n",
        "has both `count` and `value`",
    ),
    (
        "huge_span",
        b"period,count\n1,3\n999999999999,4\n",
        "at most 100000000 are supported",
    ),
];

#[test]
fn every_malformed_series_file_is_one_clear_error_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes, expected) in SERIES_CASES {
        let path = temp_file(&dir, &format!("{name}.csv"), bytes);
        let run = countshift(&["inspect", "--data", &path]);
        assert_eq!(run.code, 2, "{name}: exit code, stderr: {}", run.stderr);
        assert!(
            run.stderr.contains(expected),
            "{name}: expected `{expected}` in: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains(&format!("{name}.csv")),
            "{name}: the file is named: {}",
            run.stderr
        );
        assert_eq!(run.stderr.trim().lines().count(), 1, "{name}: one line: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{name}: {}", run.stderr);
    }
}

#[test]
fn missing_file_and_directory_are_bad_input() {
    let run = countshift(&["inspect", "--data", "no/such/file.csv"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no/such/file.csv"), "{}", run.stderr);
    let dir = tempfile::tempdir().unwrap();
    let run = countshift(&["inspect", "--data", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("directory"), "{}", run.stderr);
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["inspect", "--no-such-option"][..],
        &["no-such-command"],
        &["inspect", "--dataset", "nope"],
        &["inspect", "--format", "xml"],
        &["aggregate", "log.csv"],
    ] {
        let run = countshift(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    }
    let run = countshift(&["inspect", "--dataset", "nope"]);
    assert!(
        run.stderr.contains("the datasets are kn23_2024_reported"),
        "{}",
        run.stderr
    );
}

/// A bad level, minimum segment, penalty, draws or prior is refused while
/// the options are parsed, before any data is read: the data file named
/// does not exist, and the error is about the option.
#[test]
fn bad_settings_are_refused_before_any_data_is_read() {
    for (args, says) in [
        (&["detect", "--level", "1.5"][..], "'1.5' for '--level <LEVEL>'"),
        (
            &["test", "--at", "2024-07", "--level", "0"],
            "'0' for '--level <LEVEL>'",
        ),
        (&["detect", "--min-segment", "0"], "'0' for '--min-segment <N>'"),
        (
            &["detect", "--method", "pelt", "--penalty", "-1"],
            "'-1' for '--penalty <PENALTY>'",
        ),
        (
            &["detect", "--method", "pelt", "--penalty", "inf"],
            "'inf' for '--penalty <PENALTY>'",
        ),
        (&["forecast", "--draws", "0"], "'0' for '--draws <DRAWS>'"),
        (&["backtest", "--draws", "0"], "'0' for '--draws <DRAWS>'"),
        (
            &["detect", "--prior-shape", "-2"],
            "'-2' for '--prior-shape <PRIOR_SHAPE>'",
        ),
        (
            &["detect", "--prior-rate", "nan"],
            "'nan' for '--prior-rate <PRIOR_RATE>'",
        ),
    ] {
        let mut all = args.to_vec();
        all.extend(["--data", "no/such/file.csv"]);
        let run = countshift(&all);
        assert_eq!(run.code, 2, "{all:?}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{all:?}: {}", run.stderr);
        assert!(
            !run.stderr.contains("no/such/file.csv"),
            "{all:?} read the data: {}",
            run.stderr
        );
    }
}

#[test]
fn aggregate_selections_that_match_nothing_name_the_closest_labels() {
    let dir = tempfile::tempdir().unwrap();
    let log = temp_file(
        &dir,
        "log.csv",
        b"time_start,model,launched\n2024-02-15 3:30,Iskander-M/KN-23,4.0\n2024-03-01,Shahed-136/131,20.0\n",
    );
    let run = countshift(&["aggregate", &log, "--model", "KN23"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("`KN23` is not a model label") && run.stderr.contains("`Iskander-M/KN-23`"),
        "{}",
        run.stderr
    );
    let run = countshift(&["aggregate", &log, "--model-regex", "Zircon"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("matches no model label"), "{}", run.stderr);
    let run = countshift(&["aggregate", &log, "--model-regex", "(unclosed"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not a valid regular expression"), "{}", run.stderr);
    let run = countshift(&["aggregate", &log, "--model-regex", "KN", "--count-column", "fired"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("there is no column `fired`"), "{}", run.stderr);
    let run = countshift(&["aggregate", &log, "--model-regex", "KN", "--from", "2024-1"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--from `2024-1`"), "{}", run.stderr);
}

/// (name, arguments, the expected error line): options that cannot be
/// carried out on the data, each one sentence and exit code 2.
const OPTION_CASES: &[(&str, &[&str], &str)] = &[
    (
        "simulate_past_year_9999",
        &["simulate", "--coef", "1,0", "--start", "2000-01", "--periods", "200000"],
        "error: --start 2000-01 with --periods 200000 runs past year 9999, which a series file cannot write; start earlier or simulate fewer periods",
    ),
    (
        "simulate_counts_past_2_53",
        &["simulate", "--coef", "40,0", "--periods", "3"],
        "error: a simulated value is 2.353852667230804e17, past 2^53, which a series file cannot hold exactly; use smaller coefficients",
    ),
    // Issue 17, class 2: every count and number option has a stated range,
    // checked before any data is read.
    (
        "bootstrap_u64_max",
        &["detect", "--bootstrap", "18446744073709551615"],
        "error: invalid value '18446744073709551615' for '--bootstrap <BOOTSTRAP>': 18446744073709551615 is not in 0..=100000",
    ),
    (
        "bootstrap_a_billion",
        &["detect", "--bootstrap", "1000000000"],
        "error: invalid value '1000000000' for '--bootstrap <BOOTSTRAP>': 1000000000 is not in 0..=100000",
    ),
    (
        "sequential_zero",
        &["detect", "--sequential", "0"],
        "error: invalid value '0' for '--sequential <H>': 0 is not in 1..=100000",
    ),
    (
        "max_breaks_u64_max",
        &["detect", "--max-breaks", "18446744073709551615"],
        "error: invalid value '18446744073709551615' for '--max-breaks <K>': 18446744073709551615 is not in 1..=1000",
    ),
    (
        "min_segment_u64_max",
        &["detect", "--min-segment", "18446744073709551615"],
        "error: invalid value '18446744073709551615' for '--min-segment <N>': 18446744073709551615 is not in 1..=100000000",
    ),
    (
        "horizon_u64_max",
        &["forecast", "--horizon", "18446744073709551615"],
        "error: invalid value '18446744073709551615' for '--horizon <HORIZON>': 18446744073709551615 is not in 1..=10000",
    ),
    (
        "forecast_draws_a_billion",
        &["forecast", "--draws", "1000000000"],
        "error: invalid value '1000000000' for '--draws <DRAWS>': 1000000000 is not in 1..=1000000",
    ),
    (
        "forecast_draws_times_horizon",
        &["forecast", "--draws", "1000000", "--horizon", "1000"],
        "error: --draws 1000000 times --horizon 1000 is 1000000000 simulated values, more than the 100000000 a forecast holds; lower either",
    ),
    (
        "backtest_draws_u64_max",
        &["backtest", "--draws", "18446744073709551615"],
        "error: invalid value '18446744073709551615' for '--draws <DRAWS>': 18446744073709551615 is not in 1..=1000000",
    ),
    (
        "backtest_repeated_model",
        &["backtest", "--models", "trend,intercept,trend"],
        "error: --models lists `trend` twice (entries 1 and 3); list each model once",
    ),
    (
        "simulate_periods_a_billion",
        &["simulate", "--coef", "1,0", "--periods", "1000000000"],
        "error: invalid value '1000000000' for '--periods <PERIODS>': 1000000000 is not in 1..=10000000",
    ),
    (
        "seed_negative",
        &["detect", "--seed", "-1"],
        "error: invalid value '-1' for '--seed <SEED>': `-1` is not a seed; a seed is a whole number from 0 to 18446744073709551615",
    ),
    (
        "level_tiny",
        &["test", "--level", "1e-300"],
        "error: invalid value '1e-300' for '--level <LEVEL>': `1e-300` is not a level from 0.5 to 0.9999 (write e.g. 0.95)",
    ),
    (
        "level_next_to_one",
        &["fit", "--level", "0.9999999999999999"],
        "error: invalid value '0.9999999999999999' for '--level <LEVEL>': `0.9999999999999999` is not a level from 0.5 to 0.9999 (write e.g. 0.95)",
    ),
    (
        "backtest_level_nan",
        &["backtest", "--level", "NaN"],
        "error: invalid value 'NaN' for '--level <LEVEL>': `NaN` is not a level from 0.5 to 0.9999 (write e.g. 0.95)",
    ),
    (
        "prior_shape_infinite",
        &["detect", "--prior-shape", "inf"],
        "error: invalid value 'inf' for '--prior-shape <PRIOR_SHAPE>': `inf` is not a positive finite number",
    ),
    (
        "prior_rate_negative",
        &["detect", "--prior-rate", "-1"],
        "error: invalid value '-1' for '--prior-rate <PRIOR_RATE>': `-1` is not a finite number at least 0",
    ),
    (
        "simulate_theta_infinite",
        &[
            "simulate", "--family", "negbin", "--coef", "1", "--terms", "-trend", "--theta", "inf",
        ],
        "error: invalid value 'inf' for '--theta <THETA>': `inf` is not a positive finite number",
    ),
    (
        "test_date_after_the_series",
        &["test", "--at", "2031-01"],
        "error: term `step@2031-01` puts the change at or outside the ends of the series (2024-01 to 2024-12); choose a period after the first and not after the last",
    ),
    (
        "test_date_not_a_period",
        &["test", "--at", "2024-1"],
        "error: --at `2024-1` is not a period; write YYYY-MM, YYYY-Qn, YYYY-Www, YYYY-MM-DD, YYYY or an integer index",
    ),
    (
        "test_date_at_the_first_period",
        &["test", "--dataset", "kn23_monthly", "--at", "2023-01"],
        "error: term `step@2023-01` puts the change at or outside the ends of the series (2023-01 to 2025-12); choose a period after the first and not after the last",
    ),
    (
        "test_date_mid_month",
        &["test", "--dataset", "kn23_monthly", "--at", "2024-07-15"],
        "error: --at `2024-07-15` is daily, but this series is monthly; write it as YYYY-MM (or as the first or last day of the month)",
    ),
    (
        "frequency_on_months",
        &["inspect", "--dataset", "kn23_monthly", "--frequency", "week"],
        "error: embedded dataset kn23_monthly, line 2: the periods are written as months (YYYY-MM), so --frequency week cannot re-read them; --frequency reads dates written YYYY-MM-DD, so drop it or write the periods as dates",
    ),
    (
        "detect_no_breaks",
        &["detect", "--max-breaks", "0"],
        "error: invalid value '0' for '--max-breaks <K>': 0 is not in 1..=1000",
    ),
    (
        "detect_penalty_word",
        &["detect", "--method", "pelt", "--max-breaks", "3", "--penalty", "abc"],
        "error: invalid value 'abc' for '--penalty <PENALTY>': `abc` is not bic, mbic or a finite number at least 0",
    ),
    (
        "detect_prior_shape_zero",
        &["detect", "--prior-shape", "0"],
        "error: invalid value '0' for '--prior-shape <PRIOR_SHAPE>': `0` is not a positive finite number",
    ),
    (
        "detect_min_segment_zero",
        &["detect", "--min-segment", "0"],
        "error: invalid value '0' for '--min-segment <N>': 0 is not in 1..=100000000",
    ),
    (
        "detect_too_many_breaks",
        &["detect", "--dataset", "kn23_monthly", "--max-breaks", "20"],
        "error: 21 segments of at least 5 observations need 105 observations, but the series has 36; lower --max-breaks or --min-segment",
    ),
    (
        "fit_unknown_term",
        &["fit", "--terms", "nosuch"],
        "error: unknown term `nosuch`; terms are intercept, trend, step@PERIOD, slope@PERIOD, season, season:K or a covariate column, and the file has no covariate columns",
    ),
    (
        "fit_level_above_one",
        &["fit", "--level", "1.5"],
        "error: invalid value '1.5' for '--level <LEVEL>': `1.5` is not a level from 0.5 to 0.9999 (write e.g. 0.95)",
    ),
    (
        "fit_term_twice",
        &["fit", "--dataset", "kn23_monthly", "--terms", "trend,trend"],
        "error: the term `trend` is given twice; give it once",
    ),
    (
        "forecast_horizon_zero",
        &["forecast", "--horizon", "0"],
        "error: invalid value '0' for '--horizon <HORIZON>': 0 is not in 1..=10000",
    ),
    (
        "backtest_unknown_family",
        &["backtest", "--dataset", "kn23_monthly", "--models", "weibull:trend"],
        "error: model `weibull:trend`: unknown family `weibull`; write poisson:TERMS, negbin:TERMS or gaussian:TERMS",
    ),
    (
        "backtest_origin_after_the_series",
        &["backtest", "--dataset", "kn23_monthly", "--origin-from", "2031-01"],
        "error: the first origin 2031-01 must lie inside the series (2023-01 to 2025-12) with at least two periods before it; choose another --origin-from",
    ),
    (
        "report_month_13",
        &["report", "--at", "2024-13"],
        "error: --at `2024-13` has month 13; months run from 01 to 12",
    ),
    (
        "report_no_draws",
        &["report", "--draws", "0"],
        "error: invalid value '0' for '--draws <DRAWS>': 0 is not in 1..=1000000",
    ),
    (
        "simulate_too_few_coefficients",
        &["simulate", "--terms", "trend", "--coef", "1"],
        "error: the terms have 2 coefficients (intercept, trend) but 1 values were given; give one per coefficient",
    ),
];

/// (name, event log contents, `aggregate` options after the log, the exact
/// error line after `error: ` and the log's path)
const EVENT_LOG_CASES: &[(&str, &[u8], &[&str], &str)] = &[
    (
        "log_two_model_columns",
        b"time_start,model,launched,model\n2024-02-15,KN-23,4,Kh-101\n",
        &[],
        ", line 1: the column `model` appears twice; rename or remove one",
    ),
    (
        "log_empty",
        b"",
        &[],
        ": the file is empty; give an event log with a header",
    ),
    (
        "log_header_only",
        b"time_start,model,launched\n",
        &[],
        ": the log has a header but no rows",
    ),
    (
        "log_no_model_column",
        b"time_start,launched\n2024-02-15,4\n",
        &[],
        ", line 1: there is no column `model`; the columns are time_start, launched",
    ),
    (
        "log_no_count_column",
        b"time_start,model,fired\n2024-02-15,KN-23,4\n",
        &[],
        ", line 1: there is no column `launched`; the columns are time_start, model, fired",
    ),
    (
        "log_no_time_column",
        b"when,model,launched\n2024-02-15,KN-23,4\n",
        &[],
        ", line 1: there is no column `time_start`; the columns are when, model, launched",
    ),
    (
        "log_not_utf8",
        b"time_start,model,launched\n2024-02-15,KN-23,4\xff\n",
        &[],
        ", line 2: the text is not valid UTF-8; save the file as UTF-8",
    ),
    (
        "log_short_row",
        b"time_start,model,launched\n2024-02-15,KN-23\n",
        &[],
        ", line 2: the row has 2 fields but the header has 3; make every row as long as the header",
    ),
    (
        "log_unclosed_quote",
        b"time_start,model,launched\n\"2024-02-15,KN-23,4\n",
        &[],
        ", line 2: the row has 1 fields but the header has 3; make every row as long as the header",
    ),
    (
        "log_no_readable_time",
        b"time_start,model,launched\nyesterday,KN-23,4\nsoon,KN-23,2\n",
        &[],
        ": no row has a readable `time_start`; times look like 2024-07-01 or 2024-07-01 18:00",
    ),
    (
        "log_count_column_option_missing",
        b"time_start,model,launched\n2024-02-15,KN-23,4\n",
        &["--count-column", "fired"],
        ", line 1: there is no column `fired`; the columns are time_start, model, launched",
    ),
];

#[test]
fn every_malformed_event_log_is_one_clear_error_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes, options, expected) in EVENT_LOG_CASES {
        let log = temp_file(&dir, &format!("{name}.csv"), bytes);
        let run = countshift(&[&["aggregate", log.as_str(), "--model-regex", "KN"], *options].concat());
        assert_eq!(run.code, 2, "{name}: exit code, stderr: {}", run.stderr);
        assert_eq!(run.stderr.trim(), format!("error: {log}{expected}"), "{name}");
    }
}

#[test]
fn every_impossible_option_is_one_clear_error_with_exit_code_2() {
    for (name, args, expected) in OPTION_CASES {
        let run = countshift(args);
        assert_eq!(run.code, 2, "{name}: exit code, stderr: {}", run.stderr);
        assert_eq!(run.stderr.trim(), *expected, "{name}");
    }
}

#[test]
fn bad_side_files_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let future = temp_file(&dir, "future.csv", b"period,exposure\n2026-01,abc\n");
    let run = countshift(&["forecast", "--dataset", "kn23_monthly", "--exposure-future", &future]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .trim()
            .ends_with("future.csv, line 2: the exposure must be a positive number"),
        "{}",
        run.stderr
    );
    let log = temp_file(&dir, "log.csv", b"when,model,launched\n2024-02-15,KN-23,4\n");
    let run = countshift(&["aggregate", &log, "--model-regex", "KN"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .trim()
            .ends_with("log.csv, line 1: there is no column `time_start`; the columns are when, model, launched"),
        "{}",
        run.stderr
    );
    let run = countshift(&["forecast", "--exposure-future", "no/such/future.csv"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("No such file or directory").count(),
        1,
        "the OS error is said once: {}",
        run.stderr
    );
}

/// The catalogue as a Markdown table (docs/bad-input.md); regenerate it with
/// `COUNTSHIFT_BLESS=1 cargo test --release --test bad_input`.
fn catalogue() -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', "⏎").replace('\r', "␍");
    let mut out = String::from(
        "# What countshift rejects, and why\n\n\
         Every case is a test in `tests/bad_input.rs`: exit code 2 and one line on\n\
         standard error naming the file (and line and column where there is one)\n\
         and what to fix. ⏎ marks a line break in a file.\n\n\
         ## Series files (`--data FILE`)\n\n\
         | case | file | the error line contains |\n| --- | --- | --- |\n",
    );
    for (name, bytes, expected) in SERIES_CASES {
        out += &format!(
            "| {name} | `{}` | {} |\n",
            cell(&String::from_utf8_lossy(bytes)),
            cell(expected)
        );
    }
    out += "\n## Event logs (`countshift aggregate LOG --model-regex KN ...`)\n\n\
            | case | log | options | the error line, after `error: LOG` |\n| --- | --- | --- | --- |\n";
    for (name, bytes, options, expected) in EVENT_LOG_CASES {
        out += &format!(
            "| {name} | `{}` | `{}` | {} |\n",
            cell(&String::from_utf8_lossy(bytes)),
            cell(&options.join(" ")),
            cell(expected)
        );
    }
    out += "\n## Options that cannot be carried out\n\n| case | command | the error line |\n| --- | --- | --- |\n";
    for (name, args, expected) in OPTION_CASES {
        out += &format!(
            "| {name} | `countshift {}` | {} |\n",
            cell(&args.join(" ")),
            cell(expected)
        );
    }
    out += "\n## Other files and usage\n\n\
            - a missing file or a directory given as `--data` names the path;\n\
            - unknown options, commands, datasets and formats are usage errors (clap's message);\n\
            - a future-exposure file or an event log with a bad value or a missing column names the file and line;\n\
            - an `aggregate` selection that matches nothing lists the closest labels; an invalid regular expression, a missing count column or a bad `--from` period is named.\n";
    out
}

#[test]
fn the_docs_table_lists_every_case() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/bad-input.md");
    if std::env::var_os("COUNTSHIFT_BLESS").is_some() {
        std::fs::write(&path, catalogue()).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == catalogue(),
        "docs/bad-input.md is out of date; run COUNTSHIFT_BLESS=1 cargo test --release --test bad_input"
    );
}

/// Issue 17, class 4: a future-exposure file that says something the
/// forecast cannot use is refused, not silently half-read.
#[test]
fn future_exposure_rows_the_forecast_cannot_use_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let rows: String = (1..=12).map(|m| format!("2024-{m:02},{},100\n", 3 + m % 4)).collect();
    let exposed = temp_file(&dir, "exposed.csv", format!("period,count,exposure\n{rows}").as_bytes());
    let plain = temp_file(
        &dir,
        "plain.csv",
        b"period,count\n2024-01,3\n2024-02,4\n2024-03,5\n2024-04,4\n",
    );
    let future = |name: &str, body: &str| temp_file(&dir, name, format!("period,exposure\n{body}").as_bytes());
    let twice = future("twice.csv", "2025-01,100\n2025-01,120\n2025-02,100\n");
    let past = future("past.csv", "2024-12,100\n2025-01,100\n2025-02,100\n");
    let beyond = future("beyond.csv", "2025-01,100\n2025-02,100\n2025-03,100\n");
    let fine = future("fine.csv", "2025-01,100\n2025-02,100\n");
    for (data, file, expected) in [
        (&exposed, &twice, "twice.csv, line 3: 2025-01 is given twice; give each future period once".to_string()),
        (
            &exposed,
            &past,
            "past.csv, line 2: 2024-12 is not one of the 2 forecast periods (2025-01 to 2025-02); give exposure for those periods only".to_string(),
        ),
        (&exposed, &beyond, "beyond.csv, line 4: 2025-03 is not one of the 2 forecast periods".to_string()),
        (
            &plain,
            &fine,
            "--exposure-future is given, but the model has no exposure offset (the series has no exposure column, or --no-offset); drop it".to_string(),
        ),
    ] {
        let run = countshift(&["forecast", "--data", data, "--horizon", "2", "--exposure-future", file, "--family", "poisson"]);
        assert_eq!(run.code, 2, "{file}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(run.stderr.contains(&expected), "{file}: {}", run.stderr);
    }
    let run = countshift(&[
        "forecast",
        "--data",
        &exposed,
        "--horizon",
        "2",
        "--exposure-future",
        &fine,
        "--family",
        "poisson",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// Issue 17, class 4: a period whose only selected rows have no count is
/// unknown, so `aggregate` leaves it out (a missing period) and says so,
/// instead of writing 0.
#[test]
fn aggregate_leaves_out_a_period_with_no_readable_count() {
    let dir = tempfile::tempdir().unwrap();
    let log = temp_file(
        &dir,
        "log.csv",
        b"time_start,model,launched\n2024-01-05,KN-23,4\n2024-02-10,KN-23,\n2024-03-03,KN-23,2\n2024-03-04,KN-23,NA\n",
    );
    let run = countshift(&["aggregate", &log, "--model", "KN-23"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "period,count\n2024-01,4\n2024-03,2\n");
    assert!(
        run.stderr.contains(
            "missing: 1 period left out, since no selected row there has a readable count (unknown, not zero): 2024-02"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("lower bounds: the total of 2024-03 leaves out"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("wrote 2 periods"), "{}", run.stderr);
}

/// Issue 17, class 5: a huge cell gives a line that fits on a screen.
#[test]
fn a_huge_cell_is_cut_in_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"period,count\n2024-01,".to_vec();
    bytes.extend(std::iter::repeat_n(b'x', 1_000_000));
    bytes.push(b'\n');
    let path = temp_file(&dir, "huge.csv", &bytes);
    let run = countshift(&["inspect", "--data", &path]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.len() < 400, "{} bytes", run.stderr.len());
    assert!(
        run.stderr
            .contains(&format!("the count `{}…` is not a number", "x".repeat(60))),
        "{}",
        run.stderr
    );
}

/// Issue 17, class 5: CSV that countshift writes can be read back, names
/// with commas included, and its text cells do not run as formulas.
#[test]
fn simulate_writes_a_file_it_can_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let template = temp_file(
        &dir,
        "t.csv",
        b"period,count,\"a,b\"\n2024-01,3,1\n2024-02,4,2\n2024-03,5,3\n",
    );
    let run = countshift(&["simulate", "--data", &template, "--terms", "a,b", "--coef", "1,0.1"]);
    assert_eq!(run.code, 2, "a term list splits at commas: {}", run.stderr);
    let run = countshift(&["simulate", "--data", &template, "--terms", "trend", "--coef", "1,0.1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("period,count,\"a,b\"\n"), "{}", run.stdout);
    let written = temp_file(&dir, "w.csv", run.stdout.as_bytes());
    let run = countshift(&["inspect", "--data", &written]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// Issue 17, class 3: an endless or binary input fails at once with exit 2
/// (every reader: series, event log, side files), and a line past 1 MiB is
/// refused without reading on.
#[cfg(unix)]
#[test]
fn endless_and_binary_inputs_fail_at_once() {
    for args in [
        &["inspect", "--data", "/dev/zero"][..],
        &["fit", "--data", "/dev/urandom"],
        &["aggregate", "/dev/zero", "--model", "x"],
        &["forecast", "--exposure-future", "/dev/urandom"],
    ] {
        let started = std::time::Instant::now();
        let run = countshift(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("the file holds binary data (a NUL byte)"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(started.elapsed().as_secs() < 5, "{args:?} took {:?}", started.elapsed());
    }
    let dir = tempfile::tempdir().unwrap();
    let mut long = b"period,count\n2024-01,".to_vec();
    long.extend(std::iter::repeat_n(b'1', 1 << 20));
    let path = temp_file(&dir, "long.csv", &long);
    let run = countshift(&["inspect", "--data", &path]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "long.csv, line 2: the line is longer than 1048576 bytes, the most countshift reads; is this a CSV file?"
        ),
        "{}",
        run.stderr
    );
}

/// Issue 17, class 6: a file that cannot be written is exit 2 with one line
/// naming it, and `aggregate` does not say "wrote" first.
#[test]
fn an_unwritable_output_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let log = temp_file(&dir, "log.csv", b"time_start,model,launched\n2024-01-05,KN-23,4\n");
    for args in [
        &[
            "aggregate",
            log.as_str(),
            "--model",
            "KN-23",
            "-o",
            "/nonexistent/dir/x.csv",
        ][..],
        &["simulate", "--coef", "1,0", "-o", "/nonexistent/dir/x.csv"],
    ] {
        let run = countshift(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(
            run.stderr.trim(),
            "error: /nonexistent/dir/x.csv: entity not found; check that the directory exists and can be written",
            "{args:?}"
        );
    }
}
