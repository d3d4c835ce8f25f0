# Reference values for several Gaussian level breaks (issue 20): strucchange's
# exact segmentation with BIC and Bai's (1997) confidence intervals of the
# break dates, on the Nile flow and on log(UKDriverDeaths).
#
# Run from the repository root:
#     Rscript tests/reference/strucchange_confint.R
# It writes tests/reference/data/uk_driver_deaths_log.csv (the log of R's
# datasets::UKDriverDeaths, 1969-01..1984-12, "%.17g") and
# tests/reference/strucchange_confint.json. tests/reference_strucchange.rs
# reads both. nile.csv is written by changepoint_reference.R.
#
# Conventions: strucchange's breakpoint b is the last observation (1-based)
# of the old regime; countshift dates a break by the first period of the new
# regime, observation b + 1. Both intervals below are given that way.

suppressPackageStartupMessages({
  library(strucchange)
  library(jsonlite)
})
if (!file.exists("tests/reference/data/nile.csv"))
  stop("run from the repository root: Rscript tests/reference/strucchange_confint.R")

y_uk <- log(as.numeric(datasets::UKDriverDeaths))
stopifnot(isTRUE(all.equal(tsp(datasets::UKDriverDeaths), c(1969, 1984 + 11 / 12, 12))), length(y_uk) == 192)
k <- 0:(length(y_uk) - 1)
uk_periods <- sprintf("%04d-%02d", 1969 + k %/% 12, k %% 12 + 1)
uk_path <- "tests/reference/data/uk_driver_deaths_log.csv"
writeLines(c("period,value", paste(uk_periods, sprintf("%.17g", y_uk), sep = ",")), uk_path)

nile <- read.csv("tests/reference/data/nile.csv", colClasses = c("character", "character"))
y_nile <- as.numeric(nile$value)
stopifnot(identical(y_nile, as.numeric(datasets::Nile)))

one <- function(name, y, periods, path) {
  bp <- breakpoints(y ~ 1, h = 0.15)
  chosen <- breakpoints(bp)$breakpoints
  ci <- confint(bp)$confint
  list(
    name = name,
    path = path,
    n = length(y),
    h = floor(0.15 * length(y)),
    call = "bp <- breakpoints(y ~ 1, h = 0.15); breakpoints(bp)$breakpoints (BIC); confint(bp, level = 0.95)$confint (Bai 1997, default het.reg = TRUE, het.err = TRUE)",
    bic = unname(lapply(summary(bp)$RSS["BIC", ], function(v) structure(sprintf("%.17g", v), class = "json"))),
    chosen = I(periods[chosen + 1]),
    bai_low = I(periods[ci[, 1] + 1]),
    bai_high = I(periods[ci[, 3] + 1])
  )
}

out <- list(
  generator = list(
    script = "tests/reference/strucchange_confint.R",
    R = R.version.string,
    strucchange = as.character(packageVersion("strucchange"))
  ),
  nile = one("Nile", y_nile, nile$period, "tests/reference/data/nile.csv"),
  uk_driver_deaths_log = one("log(UKDriverDeaths)", y_uk, uk_periods, uk_path)
)
writeLines(toJSON(out, auto_unbox = TRUE, pretty = TRUE, json_verbatim = TRUE),
           "tests/reference/strucchange_confint.json")
message("wrote tests/reference/strucchange_confint.json")
