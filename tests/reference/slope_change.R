# Reference values for a slope change at an unknown date (issue 20,
# `detect --kind slope`): the profile log-likelihood over integer break
# dates of a Poisson GLM with a common trend and a hinge term, the best
# date, the slope difference there with its profile interval, and, beside
# them, segmented's continuous estimate of the break point.
#
# Run from the repository root:
#     Rscript tests/reference/slope_change.R
# It writes tests/reference/data/sim_slope_poisson_120.csv (a fixed
# set.seed) and tests/reference/slope_change.json, which
# tests/reference_slope.rs reads.
#
# Conventions (countshift's): periods are indexed t = 0..n-1 from the
# first; a break at index k adds the column max(t - k, 0) (`slope@P`), and
# for `--kind both` also the step 1{t >= k}. Candidate dates are k = h..n-h
# with h = floor(0.15 n), the minimum segment of `detect`. The date is the
# first period of the new regime.

suppressPackageStartupMessages({
  library(MASS)
  library(segmented)
  library(jsonlite)
})
if (!dir.exists("tests/reference/data"))
  stop("run from the repository root: Rscript tests/reference/slope_change.R")

num <- function(v) structure(sprintf("%.17g", v), class = "json")
nums <- function(v) lapply(unname(v), num)

set.seed(20261202)
n <- 120
t <- 0:(n - 1)
true_k <- 70
mu <- exp(1.2 + 0.004 * t + 0.025 * pmax(t - true_k, 0))
y <- rpois(n, mu)
periods <- sprintf("%04d-%02d", 2015 + t %/% 12, t %% 12 + 1)
path <- "tests/reference/data/sim_slope_poisson_120.csv"
writeLines(c("period,count", paste(periods, y, sep = ",")), path)
y <- read.csv(path)$count

h <- floor(0.15 * n)
ks <- h:(n - h)
ctl <- glm.control(epsilon = 1e-14, maxit = 100)
null_fit <- glm(y ~ t, family = poisson, control = ctl)

profile_of <- function(kind) {
  fits <- lapply(ks, function(k) {
    hinge <- pmax(t - k, 0)
    step <- as.numeric(t >= k)
    if (kind == "slope") glm(y ~ t + hinge, family = poisson, control = ctl)
    else glm(y ~ t + step + hinge, family = poisson, control = ctl)
  })
  ll <- sapply(fits, function(f) as.numeric(logLik(f)))
  best <- which.max(ll)
  fit <- fits[[best]]
  k <- ks[best]
  hinge <- pmax(t - k, 0)
  step <- as.numeric(t >= k)
  # The profile interval solved exactly (MASS's confint interpolates a
  # profile grid, good to about 1e-4): 2 (l_max - l(d)) = qchisq(0.95, 1),
  # with the coefficient fixed at d through an offset.
  profile_ci <- function(column, others) {
    top <- as.numeric(logLik(fit))
    est <- coef(fit)[[column]]
    se <- sqrt(diag(vcov(fit)))[[column]]
    x <- if (column == "hinge") hinge else step
    gap <- function(d) {
      f <- glm(reformulate(others, "y"), family = poisson, offset = d * x, control = ctl)
      2 * (top - as.numeric(logLik(f))) - qchisq(0.95, 1)
    }
    lo <- uniroot(gap, c(est - 10 * se, est), tol = 1e-13)$root
    hi <- uniroot(gap, c(est, est + 10 * se), tol = 1e-13)$root
    c(lo, hi)
  }
  others <- if (kind == "slope") "t" else c("t", "step")
  ci <- profile_ci("hinge", others)
  out <- list(
    kind = kind,
    loglik = nums(ll),
    best_period = periods[k + 1],
    sup_lr = num(2 * (max(ll) - as.numeric(logLik(null_fit)))),
    slope_change = num(coef(fit)[["hinge"]]),
    slope_ratio = num(exp(coef(fit)[["hinge"]])),
    slope_ratio_profile_ci = nums(exp(ci))
  )
  if (kind == "both") {
    cis <- profile_ci("step", c("t", "hinge"))
    out$rate_ratio <- num(exp(coef(fit)[["step"]]))
    out$rate_ratio_profile_ci <- nums(exp(cis))
  }
  out
}

seg <- segmented(null_fit, seg.Z = ~t, psi = 60)
psi <- seg$psi

out <- list(
  generator = list(
    script = "tests/reference/slope_change.R",
    R = R.version.string,
    MASS = as.character(packageVersion("MASS")),
    segmented = as.character(packageVersion("segmented"))
  ),
  path = path,
  n = n,
  h = h,
  true_period = periods[true_k + 1],
  model = "y ~ t (+ step) + hinge, Poisson log link; profile over k = h..n-h; profile intervals solved by uniroot on the likelihood ratio, chi-square(1) cut-off",
  null_loglik = num(as.numeric(logLik(null_fit))),
  slope = profile_of("slope"),
  both = profile_of("both"),
  segmented = list(
    call = "segmented(glm(y ~ t, poisson), seg.Z = ~t, psi = 60)",
    psi = num(psi[1, "Est."]),
    psi_se = num(psi[1, "St.Err"]),
    psi_period_index_note = "psi is on the t scale (0 = first period); continuous, so between integer dates",
    slope_change = num(coef(seg)[["U1.t"]])
  )
)
writeLines(toJSON(out, auto_unbox = TRUE, pretty = TRUE, json_verbatim = TRUE),
           "tests/reference/slope_change.json")
