# Reference values for countshift's forecasts (Poisson, NB2, Gaussian).
#
# Run from the repository root (/work/main):
#     Rscript tests/reference/forecast_reference.R
# Reads data/kn23_monthly.csv and tests/reference/data/sim_*.csv (does not
# write any CSV) and writes tests/reference/forecast_reference.json.
# See tests/reference/README.md.

suppressPackageStartupMessages({
  library(MASS)
  library(jsonlite)
})

root <- normalizePath(".")
if (!file.exists(file.path(root, "data", "kn23_monthly.csv")))
  stop("run from the repository root: Rscript tests/reference/forecast_reference.R")
ref_dir <- file.path(root, "tests", "reference")

CTL <- glm.control(epsilon = 1e-14, maxit = 200)
Z975 <- qnorm(0.975)

# ---------------------------------------------------------------------------
# JSON numbers: jsonlite 1.8.4 prints at most 15 significant digits even with
# digits = NA, so every double is written verbatim as "%.17g".  Non-finite -> null.
num <- function(x) {
  if (length(x) != 1) return(lapply(x, num))
  if (is.na(x) || !is.finite(x)) return(NA)
  structure(sprintf("%.17g", as.numeric(x)), class = "json")
}
numv <- function(x) lapply(as.numeric(x), num)  # always a JSON array, even for length 1

months_from <- function(year, month, n) {
  k <- (month - 1) + 0:(n - 1)
  sprintf("%04d-%02d", year + k %/% 12, k %% 12 + 1)
}

read_series <- function(path) {
  d <- read.csv(file.path(root, path), colClasses = c(period = "character"), stringsAsFactors = FALSE)
  yr <- as.integer(substr(d$period, 1, 4)); mo <- as.integer(substr(d$period, 6, 7))
  d$t <- (yr - yr[1]) * 12 + (mo - mo[1])
  if (!identical(d$t, seq_len(nrow(d)) - 1)) stop(path, ": periods are not consecutive months")
  d$y <- if ("count" %in% names(d)) d$count else d$value
  d
}

# index of month "YYYY-MM" relative to the first period of the file
month_index <- function(first_period, ym) {
  (as.integer(substr(ym, 1, 4)) - as.integer(substr(first_period, 1, 4))) * 12 +
    (as.integer(substr(ym, 6, 7)) - as.integer(substr(first_period, 6, 7)))
}

# design for index vector t (same function for the observed and the future rows)
design <- function(t, first_period, spec) {
  cols <- list(intercept = rep(1, length(t)))
  for (term in strsplit(spec, ",", fixed = TRUE)[[1]]) {
    term <- trimws(term)
    if (term == "trend") {
      cols$trend <- as.numeric(t)
    } else if (startsWith(term, "step@")) {
      cols[[term]] <- as.numeric(t >= month_index(first_period, sub("step@", "", term, fixed = TRUE)))
    } else stop("term not supported in this script: ", term)
  }
  X <- do.call(cbind, cols); colnames(X) <- names(cols); X
}

# ---------------------------------------------------------------------------
# Fitting (columns renamed V1..Vp; offset passed as a column so newdata can carry it)
fit_glm <- function(y, X, off, family, start = NULL) {
  p <- ncol(X)
  df <- data.frame(y = y, off = off, X); names(df) <- c("y", "off", paste0("V", seq_len(p)))
  fml <- as.formula(paste("y ~", paste(c("0", paste0("V", seq_len(p))), collapse = " + "), "+ offset(off)"))
  warn <- character()
  fit <- withCallingHandlers(
    if (is.list(family)) glm(fml, family = family, data = df, control = CTL, start = start)
    else switch(family,
      poisson = glm(fml, family = poisson, data = df, control = CTL, start = start),
      gaussian = glm(fml, family = gaussian, data = df, control = CTL, start = start),
      negbin = glm.nb(fml, data = df, control = CTL, start = start)),
    warning = function(w) { warn <<- c(warn, conditionMessage(w)); invokeRestart("muffleWarning") })
  if (length(warn)) stop("fit warnings: ", paste(warn, collapse = "; "))
  if (!isTRUE(fit$converged)) stop("fit did not converge")
  fit
}
newdata_for <- function(Xf, off_f) {
  nd <- data.frame(off = off_f, Xf); names(nd) <- c("off", paste0("V", seq_len(ncol(Xf)))); nd
}

# NB2 theta score / observed information exactly as MASS (theta.ml)
nb_score <- function(th, mu, y)
  sum(digamma(th + y) - digamma(th) + log(th) + 1 - log(th + mu) - (y + th) / (mu + th))
nb_info <- function(th, mu, y)
  sum(-trigamma(th + y) + trigamma(th) - 1 / th + 2 / (mu + th) - (y + th) / (mu + th)^2)
theta_newton <- function(y, mu, th) {
  for (i in 1:100) {
    d <- nb_score(th, mu, y) / nb_info(th, mu, y); th <- th + d
    if (abs(d) <= 4 * .Machine$double.eps * th) break
  }
  th
}

# Polishing, identical to glm_reference.R: glm's weights/qr (hence vcov, predict's se.fit)
# lag one IRLS iteration, and glm.nb's theta stops at a Newton step < eps^0.25.
polish <- function(fit0, y, X, off, family) {
  if (family != "negbin") return(list(fit = fit_glm(y, X, off, family, start = coef(fit0)), theta = NULL))
  th <- fit0$theta; b <- coef(fit0)
  for (k in 1:200) {
    g <- fit_glm(y, X, off, negative.binomial(th), start = b)
    th_new <- theta_newton(y, fitted(g), th)
    db <- max(abs(coef(g) - b) / pmax(1, abs(b))); dth <- abs(th_new - th) / th
    b <- coef(g); th <- th_new
    if (db < 1e-15 && dth < 1e-15) break
  }
  list(fit = fit_glm(y, X, off, negative.binomial(th), start = b), theta = th)
}

# Forecast quantities from one fit.  disp: 1 for poisson/negbin (theta fixed), NULL = R's
# default (gaussian: RSS/(n-p)).  Passing dispersion = 1 explicitly matters for the polished NB
# fit, which is a glm(negative.binomial(theta)) object whose summary() would estimate it.
forecast_from <- function(fit, Xf, off_f, family, disp) {
  pr <- predict(fit, newdata = newdata_for(Xf, off_f), type = "link", se.fit = TRUE, dispersion = disp)
  eta <- unname(pr$fit); se <- unname(pr$se.fit)
  V <- summary(fit, dispersion = disp)$cov.scaled
  log_link <- family != "gaussian"
  if (log_link) {
    mean <- exp(eta); lo <- exp(eta - Z975 * se); hi <- exp(eta + Z975 * se)
    tot <- sum(mean); g <- colSums(mean * Xf)
    tse <- sqrt(drop(t(g) %*% V %*% g)) / tot
    tlo <- tot * exp(-Z975 * tse); thi <- tot * exp(Z975 * tse)
  } else {
    mean <- eta; lo <- eta - Z975 * se; hi <- eta + Z975 * se
    tot <- sum(eta); g <- colSums(Xf)
    tse <- sqrt(drop(t(g) %*% V %*% g))
    tlo <- tot - Z975 * tse; thi <- tot + Z975 * tse
  }
  list(eta = eta, se = se, mean = mean, lo = lo, hi = hi, V = V, tot = tot, tse = tse, tlo = tlo, thi = thi,
       se_direct = sqrt(rowSums((Xf %*% V) * Xf)),
       eta_direct = drop(Xf %*% coef(fit)) + off_f)
}

maxrel <- function(a, b) max(abs(a - b) / pmax(abs(b), .Machine$double.xmin))

run_case <- function(name, path, family, terms, offset, H, efut = NULL, efut_rule = NULL) {
  d <- read_series(path); n <- nrow(d)
  X <- design(d$t, d$period[1], terms)
  off <- if (offset) log(d$exposure) else rep(0, n)
  tf <- n:(n + H - 1)
  Xf <- design(tf, d$period[1], terms)
  periods <- months_from(as.integer(substr(d$period[1], 1, 4)), as.integer(substr(d$period[1], 6, 7)), n + H)[n + 1:H]
  if (offset && is.null(efut)) stop(name, ": future exposure missing")
  off_f <- if (offset) rep(log(efut), H) else rep(0, H)
  disp <- if (family == "gaussian") NULL else 1

  raw <- fit_glm(d$y, X, off, family)
  pol <- polish(raw, d$y, X, off, family)
  f <- forecast_from(pol$fit, Xf, off_f, family, disp)
  # raw predict(): for the glm.nb object summary.negbin already uses dispersion 1, so it is left
  # at its default here, showing that predict.glm's se.fit for negbin treats theta as fixed.
  r <- forecast_from(raw, Xf, off_f, family, if (family == "gaussian") NULL else if (family == "negbin") NULL else 1)

  stopifnot(all(f$lo < f$mean & f$mean < f$hi), f$tlo < f$tot, f$tot < f$thi,
            all(f$se > 0), maxrel(f$se, f$se_direct) < 1e-12, max(abs(f$eta - f$eta_direct)) < 1e-12)

  out <- list(
    name = name, data = path, family = family, terms = terms, offset = offset,
    n_obs = n, horizon = H, future_t = tf,
    future_exposure = if (offset) num(efut) else NA,
    future_exposure_rule = if (offset) efut_rule else "no offset",
    coefficients = list(term = colnames(X), estimate = numv(coef(pol$fit))),
    theta = if (family == "negbin") num(pol$theta) else NA,
    dispersion = num(if (family == "gaussian") summary(pol$fit)$dispersion else 1),
    vcov = lapply(seq_len(nrow(f$V)), function(i) numv(f$V[i, ])),
    future_design = lapply(seq_len(H), function(i) numv(Xf[i, ])),
    period = periods,
    eta = numv(f$eta), se_eta = numv(f$se),
    mean = numv(f$mean), mean_ci_low = numv(f$lo), mean_ci_high = numv(f$hi),
    total_mean = num(f$tot),
    total_se_log = if (family != "gaussian") num(f$tse) else NA,
    total_se = if (family == "gaussian") num(f$tse) else NA,
    total_ci_low = num(f$tlo), total_ci_high = num(f$thi),
    diagnostics = list(
      se_predict_vs_sqrt_xVx_max_rel_diff = num(maxrel(f$se, f$se_direct)),
      raw_fit_max_abs_eta_diff = num(max(abs(r$eta - f$eta))),
      raw_fit_max_rel_se_eta_diff = num(maxrel(r$se, f$se)),
      raw_fit_total_rel_diff = num(r$tot / f$tot - 1),
      raw_fit_total_se_rel_diff = num(r$tse / f$tse - 1),
      raw_theta_rel_diff = if (family == "negbin") num(raw$theta / pol$theta - 1) else NA))
  message(sprintf("%-24s %s mean=%.10g CI=[%.10g, %.10g] total=%.10g [%.10g, %.10g]  raw-vs-polished se rel %.1e",
                  name, periods[1], f$mean[1], f$lo[1], f$hi[1], f$tot, f$tlo, f$thi, maxrel(r$se, f$se)))
  out
}

# ---------------------------------------------------------------------------
kn23 <- "data/kn23_monthly.csv"
dk <- read_series(kn23)
last12 <- tail(dk, 12)
stopifnot(identical(last12$period[c(1, 12)], c("2025-01", "2025-12")))
E_kn23 <- mean(last12$exposure)
RULE_KN23 <- "mean exposure of the last 12 months of the file (2025-01..2025-12), the same value for every future period"

cases <- list(
  run_case("kn23_poisson_trend", kn23, "poisson", "trend", TRUE, 12, E_kn23, RULE_KN23),
  run_case("kn23_negbin_trend_step", kn23, "negbin", "trend,step@2024-07", TRUE, 12, E_kn23, RULE_KN23),
  run_case("sim_poisson_120", "tests/reference/data/sim_poisson_120.csv", "poisson", "trend", TRUE, 6, 100,
           "constant 100 for every future period"),
  run_case("sim_gaussian_60", "tests/reference/data/sim_gaussian_60.csv", "gaussian", "trend", FALSE, 6))

out <- list(
  generator = list(
    script = "tests/reference/forecast_reference.R",
    R = R.version.string,
    MASS = as.character(packageVersion("MASS")),
    jsonlite = as.character(packageVersion("jsonlite")),
    glm_control = list(epsilon = num(1e-14), maxit = 200),
    qnorm_0.975 = num(Z975),
    numbers = "doubles written as %.17g (round-trip exact); null = not applicable",
    conventions = list(
      design = "t = 0 for the first row; trend = t; step@YYYY-MM = 1 for t >= index of that month; intercept always included; offset = log(exposure) when offset is true",
      future = "t = n, ..., n+H-1 (future_t); the same term definitions; offset = log(future_exposure) for every future period",
      polish = "as glm_reference.R: after glm/glm.nb converge the fit is refitted from its own estimate (negbin: theta Newton-iterated to machine precision, alternated with glm(negative.binomial(theta))), so vcov and se.fit are at the MLE; coefficients match glm_reference.json for the shared cases; diagnostics give raw-vs-polished differences",
      se_eta = "predict(fit, newdata, type = 'link', se.fit = TRUE)$se.fit = sqrt(x' V x); V = vcov with dispersion 1 for poisson/negbin (negbin: theta treated as fixed, no theta uncertainty) and RSS/(n-p) for gaussian",
      mean_ci = "log link: mean = exp(eta), CI = exp(eta -/+ qnorm(0.975)*se_eta); gaussian: mean = eta, CI = eta -/+ qnorm(0.975)*se_eta (normal quantile, not t)",
      total = "log link: total_mean = sum(mean), g = sum_t mean_t * x_t, total_se_log = sqrt(g' V g)/total_mean, CI = total_mean * exp(-/+ qnorm(0.975)*total_se_log); gaussian: total_mean = sum(eta), total_se = sqrt(1' Xf V Xf' 1), CI = total_mean -/+ qnorm(0.975)*total_se",
      intervals = "confidence intervals for the expected value (parameter uncertainty only), not prediction intervals for future counts")),
  cases = cases)

write_json(out, file.path(ref_dir, "forecast_reference.json"),
           digits = NA, auto_unbox = TRUE, pretty = TRUE, json_verbatim = TRUE)
message("wrote tests/reference/forecast_reference.json: ", length(cases), " cases")
