# Reference values for countshift's paired forecast comparison
# (src/forecast/compare.rs): the Diebold-Mariano test with the
# Harvey-Leybourne-Newbold correction, as R forecast::dm.test computes it.
#
# Run from the repository root:
#     Rscript tests/reference/dm_reference.R
# writes tests/reference/dm_reference.json. Each case gives two loss series
# (one value per origin; dm.test's d = |e1| - |e2| with power = 1 is then
# the loss differential), the horizon h, the variance estimator, and
# dm.test's statistic and two-sided p-value.

suppressPackageStartupMessages({
  library(forecast)
  library(jsonlite)
})

num <- function(x) structure(sprintf("%.17g", as.numeric(x)), class = "json")
numv <- function(x) lapply(as.numeric(x), num)

set.seed(20261201)
cases <- list()
add <- function(name, a, b, h, varestimator) {
  t <- dm.test(a, b, h = h, power = 1, alternative = "two.sided", varestimator = varestimator)
  cases[[length(cases) + 1]] <<- list(
    name = name, loss_a = numv(a), loss_b = numv(b), h = h,
    varestimator = varestimator,
    statistic = num(unname(t$statistic)), p_value = num(t$p.value)
  )
}
n <- 20
base <- rgamma(n, 2, 0.1)
# An autocorrelated differential, as overlapping h-step forecasts make it.
shock <- as.numeric(stats::filter(rnorm(n + 2), rep(1, 3), sides = 1))[-(1:2)]
add("one_step", base + rnorm(n, 1, 3), base, 1, "acf")
add("three_step", base + 0.8 + 2 * shock, base, 3, "acf")
add("six_step_twelve_origins", (base + 1.5 * shock)[1:12] + 1, base[1:12], 6, "acf")
# A differential whose uniform-weight variance is negative at h = 2
# (alternating signs): countshift falls back to Bartlett weights.
alt <- rep(c(3, -3), length.out = n) + 0.4
add("bartlett", base + alt, base, 2, "bartlett")

out <- list(
  generated_by = "tests/reference/dm_reference.R",
  r_version = R.version.string,
  forecast_version = as.character(packageVersion("forecast")),
  cases = cases
)
writeLines(toJSON(out, auto_unbox = TRUE, pretty = TRUE, json_verbatim = TRUE),
           "tests/reference/dm_reference.json")
