# Reference values for countshift's GLM fits (Poisson, NB2, Gaussian).
#
# Run from the repository root (/work/main):
#     Rscript tests/reference/glm_reference.R
# Writes tests/reference/data/*.csv (simulated series) and
# tests/reference/glm_reference.json.  See tests/reference/README.md.

suppressPackageStartupMessages({
  library(MASS)
  library(sandwich)
  library(jsonlite)
})

root <- normalizePath(".")
if (!file.exists(file.path(root, "data", "kn23_monthly.csv")))
  stop("run from the repository root: Rscript tests/reference/glm_reference.R")
ref_dir <- file.path(root, "tests", "reference")
dir.create(file.path(ref_dir, "data"), recursive = TRUE, showWarnings = FALSE)

CTL <- glm.control(epsilon = 1e-14, maxit = 200)
Q95 <- qchisq(0.95, 1)
Z975 <- qnorm(0.975)
UNIROOT_TOL <- 1e-12

# ---------------------------------------------------------------------------
# JSON numbers: jsonlite 1.8.4 prints at most 15 significant digits even with
# digits = NA (which does not round-trip doubles), so every double is written
# verbatim as "%.17g" (round-trips exactly).  Non-finite values become null.
num <- function(x) {
  if (length(x) != 1) return(lapply(x, num))
  if (is.na(x) || !is.finite(x)) return(NA)
  structure(sprintf("%.17g", as.numeric(x)), class = "json")
}

# ---------------------------------------------------------------------------
# Simulated series (written to CSV, then read back so fits use the file's values)
fmt17 <- function(x) sprintf("%.17g", x)
months_from <- function(year, month, n) {
  k <- (month - 1) + 0:(n - 1)
  sprintf("%04d-%02d", year + k %/% 12, k %% 12 + 1)
}
write_series <- function(name, period, response, y, exposure = NULL, covs = list()) {
  df <- data.frame(period = period, stringsAsFactors = FALSE)
  df[[response]] <- if (response == "count") sprintf("%d", as.integer(y)) else fmt17(y)
  if (!is.null(exposure)) df$exposure <- fmt17(exposure)
  for (nm in names(covs)) df[[nm]] <- fmt17(covs[[nm]])
  path <- file.path("tests", "reference", "data", paste0(name, ".csv"))
  write.csv(df, file.path(root, path), row.names = FALSE, quote = FALSE)
  path
}

simulate_sets <- function() {
  out <- list()
  # (a) Poisson, 120 months from 2015-01, exposure, covariate x, step at t = 60 (2020-01)
  set.seed(20240601)
  n <- 120; t <- 0:(n - 1)
  exposure <- runif(n, 50, 150)
  x <- rnorm(n)
  eta <- -3 + 0.005 * t + 0.4 * (t >= 60) + 0.2 * x + log(exposure)
  y <- rpois(n, exp(eta))
  out$sim_poisson_120 <- list(
    path = write_series("sim_poisson_120", months_from(2015, 1, n), "count", y, exposure, list(x = x)),
    truth = list(intercept = -3, trend = 0.005, step = 0.4, x = 0.2, step_month = "2020-01", seed = 20240601))
  # (b) NB2 (theta = 4), same design, no exposure, intercept 1.5
  set.seed(20240602)
  x <- rnorm(n)
  mu <- exp(1.5 + 0.005 * t + 0.4 * (t >= 60) + 0.2 * x)
  y <- rnbinom(n, size = 4, mu = mu)
  out$sim_negbin_120 <- list(
    path = write_series("sim_negbin_120", months_from(2015, 1, n), "count", y, NULL, list(x = x)),
    truth = list(intercept = 1.5, trend = 0.005, step = 0.4, x = 0.2, theta = 4, step_month = "2020-01", seed = 20240602))
  # (c) Gaussian, 60 months from 2015-01, step at t = 30 (2017-07)
  set.seed(20240603)
  n <- 60; t <- 0:(n - 1)
  v <- 10 + 0.1 * t + 3 * (t >= 30) + rnorm(n, sd = 2)
  out$sim_gaussian_60 <- list(
    path = write_series("sim_gaussian_60", months_from(2015, 1, n), "value", v),
    truth = list(intercept = 10, trend = 0.1, step = 3, sd = 2, step_month = "2017-07", seed = 20240603))
  out
}

# ---------------------------------------------------------------------------
# Reading a series and building countshift's design
read_series <- function(path) {
  d <- read.csv(file.path(root, path), colClasses = c(period = "character"), stringsAsFactors = FALSE)
  yr <- as.integer(substr(d$period, 1, 4)); mo <- as.integer(substr(d$period, 6, 7))
  d$t <- (yr - yr[1]) * 12 + (mo - mo[1])
  if (!identical(d$t, seq_len(nrow(d)) - 1)) stop(path, ": periods are not consecutive months")
  d$moy <- mo
  d$y <- if ("count" %in% names(d)) d$count else d$value
  d
}

month_index <- function(d, ym) {
  yr <- as.integer(substr(ym, 1, 4)); mo <- as.integer(substr(ym, 6, 7))
  (yr - as.integer(substr(d$period[1], 1, 4))) * 12 + (mo - d$moy[1])
}

design <- function(d, spec) {
  cols <- list(intercept = rep(1, nrow(d)))
  for (term in strsplit(spec, ",", fixed = TRUE)[[1]]) {
    term <- trimws(term)
    if (term == "trend") {
      cols$trend <- d$t
    } else if (startsWith(term, "step@")) {
      cols[[term]] <- as.numeric(d$t >= month_index(d, sub("step@", "", term, fixed = TRUE)))
    } else if (startsWith(term, "slope@")) {
      cols[[term]] <- pmax(0, d$t - month_index(d, sub("slope@", "", term, fixed = TRUE)))
    } else if (term == "season") {
      for (k in 2:12) cols[[paste0("season_", k)]] <- as.numeric(d$moy == k)
    } else if (startsWith(term, "season:")) {
      K <- as.integer(sub("season:", "", term, fixed = TRUE)); s <- d$moy - 1
      for (k in seq_len(K)) {
        cols[[paste0("sin_", k)]] <- sin(2 * pi * k * s / 12)
        cols[[paste0("cos_", k)]] <- cos(2 * pi * k * s / 12)
      }
    } else if (term %in% names(d)) {
      cols[[term]] <- as.numeric(d[[term]])
    } else stop("unknown term ", term)
  }
  X <- do.call(cbind, cols); colnames(X) <- names(cols); X
}

# ---------------------------------------------------------------------------
# Fitting (columns are renamed V1..Vp so term names need not be syntactic)
# family: "poisson", "gaussian", "negbin" (glm.nb, theta estimated) or a family object.
fit_glm <- function(y, X, off, family, start = NULL, init.theta = NULL) {
  p <- ncol(X)
  df <- data.frame(y = y, off = off, X)
  names(df) <- c("y", "off", paste0("V", seq_len(p)))
  rhs <- if (p == 0) "0" else paste(c("0", paste0("V", seq_len(p))), collapse = " + ")
  fml <- as.formula(paste("y ~", rhs, "+ offset(off)"))
  warn <- character()
  fit <- withCallingHandlers(
    if (is.list(family)) glm(fml, family = family, data = df, control = CTL, start = start)
    else switch(family,
      poisson = glm(fml, family = poisson, data = df, control = CTL, start = start),
      gaussian = glm(fml, family = gaussian, data = df, control = CTL, start = start),
      negbin = if (is.null(init.theta)) glm.nb(fml, data = df, control = CTL, start = start)
               else glm.nb(fml, data = df, control = CTL, start = start, init.theta = init.theta)),
    warning = function(w) { warn <<- c(warn, conditionMessage(w)); invokeRestart("muffleWarning") })
  fit$ref_warnings <- warn
  fit
}

# NB2 log-likelihood, theta score and observed theta information exactly as MASS (glm.nb / theta.ml).
nb_ll <- function(th, mu, y)
  sum(lgamma(th + y) - lgamma(th) - lgamma(y + 1) + th * log(th) + y * log(mu + (y == 0)) - (th + y) * log(th + mu))
nb_score <- function(th, mu, y)
  sum(digamma(th + y) - digamma(th) + log(th) + 1 - log(th + mu) - (y + th) / (mu + th))
nb_info <- function(th, mu, y)
  sum(-trigamma(th + y) + trigamma(th) - 1 / th + 2 / (mu + th) - (y + th) / (mu + th)^2)
theta_newton <- function(y, mu, th) {
  for (i in 1:100) {
    d <- nb_score(th, mu, y) / nb_info(th, mu, y)
    th <- th + d
    if (abs(d) <= 4 * .Machine$double.eps * th) break
  }
  th
}

# Polish a fit so that the quantities R computes from the last IRLS weights (summary, sandwich)
# are evaluated at the converged estimate.  glm's reported weights lag one iteration, and
# glm.nb's theta.ml stops at a Newton step < eps^0.25, so raw theta/SEs carry ~1e-9 errors.
polish <- function(fit0, y, X, off, family) {
  if (family != "negbin") {
    f <- fit_glm(y, X, off, family, start = coef(fit0))
    return(list(fit = f, theta = NULL, loops = 1L))
  }
  th <- fit0$theta; b <- coef(fit0)
  for (k in 1:200) {
    g <- fit_glm(y, X, off, negative.binomial(th), start = b)
    th_new <- theta_newton(y, fitted(g), th)
    db <- max(abs(coef(g) - b) / pmax(1, abs(b))); dth <- abs(th_new - th) / th
    b <- coef(g); th <- th_new
    if (db < 1e-15 && dth < 1e-15) break
  }
  g <- fit_glm(y, X, off, negative.binomial(th), start = b)
  list(fit = g, theta = th, loops = k)
}

# Score of the full log-likelihood at the fit (beta and, for negbin, theta).
score_check <- function(mu, y, X, family, th = NULL) {
  if (family == "poisson") return(max(abs(crossprod(X, y - mu))))
  if (family == "gaussian") return(max(abs(crossprod(X, y - mu))) / sum((y - mu)^2) * length(y))
  max(abs(c(crossprod(X, (y - mu) * th / (th + mu)), nb_score(th, mu, y))))
}

profile_interval <- function(llmax, beta, theta, y, X, off, family, j, se) {
  est <- beta[j]; others <- beta[-j]
  Xo <- X[, -j, drop = FALSE]
  nwarn <- 0L
  llp <- function(b) {
    f <- fit_glm(y, Xo, off + b * X[, j], family, start = others, init.theta = theta)
    if (!isTRUE(f$converged) || length(f$ref_warnings)) nwarn <<- nwarn + 1L
    as.numeric(logLik(f))
  }
  g <- function(b) 2 * (llmax - llp(b)) - Q95
  side <- function(sgn) {
    inner <- est; k <- 1.5
    repeat {
      outer <- est + sgn * k * se
      if (g(outer) > 0) break
      inner <- outer; k <- k * 1.6
      if (k > 1e3) return(NA_real_)
    }
    uniroot(g, sort(c(inner, outer)), tol = UNIROOT_TOL, maxiter = 1000)$root
  }
  lo <- side(-1); hi <- side(+1)
  list(low = lo, high = hi, refit_problems = nwarn)
}

run_case <- function(name, data, family, terms, offset) {
  d <- read_series(data)
  X <- design(d, terms)
  n <- nrow(X); p <- ncol(X); y <- d$y
  off <- if (offset) log(d$exposure) else rep(0, n)
  raw <- fit_glm(y, X, off, family)
  mu <- fitted(raw)
  ok <- isTRUE(raw$converged) && all(is.finite(mu)) && (family == "gaussian" || all(mu > 1e-8)) &&
    all(is.finite(coef(raw))) && length(raw$ref_warnings) == 0 &&
    (family != "negbin" || (is.finite(raw$theta) && raw$theta < 1e6))
  if (!ok) {
    message("case ", name, ": boundary / convergence problem: ", paste(raw$ref_warnings, collapse = "; "))
    return(NULL)
  }
  pol <- polish(raw, y, X, off, family)
  fit <- pol$fit; th <- pol$theta
  if (!isTRUE(fit$converged) || length(fit$ref_warnings)) stop(name, ": polishing refit did not converge")
  mu <- fitted(fit)
  beta <- unname(coef(fit))
  # standard errors: summary() at the polished fit; cross-checked against the expected information at the MLE
  sm <- summary(fit, dispersion = if (family == "gaussian") NULL else 1)$coefficients
  se <- unname(sm[, 2])
  w <- switch(family, poisson = mu, negbin = mu * th / (th + mu), gaussian = rep(1, n))
  disp <- if (family == "gaussian") sum((y - mu)^2) / (n - p) else 1
  se_info <- sqrt(diag(solve(crossprod(X * sqrt(w)))) * disp)
  z <- beta / se
  L <- floor(4 * (n / 100)^(2 / 9))
  rob <- sqrt(diag(vcovHC(fit, type = "HC0")))
  hac <- sqrt(diag(NeweyWest(fit, lag = L, prewhite = FALSE, adjust = FALSE)))
  if (family == "negbin") {
    ll <- nb_ll(th, mu, y); k <- p + 1
  } else {
    ll <- as.numeric(logLik(fit)); k <- attr(logLik(fit), "df")
  }
  coefs <- list(); probs <- 0L
  for (j in seq_len(p)) {
    pr <- profile_interval(ll, beta, th, y, X, off, family, j, se[j])
    probs <- probs + pr$refit_problems
    cj <- list(term = colnames(X)[j], estimate = num(beta[j]), std_error = num(se[j]),
               z = num(z[j]), p_value = num(2 * pnorm(-abs(z[j]))),
               wald_low = num(beta[j] - Z975 * se[j]), wald_high = num(beta[j] + Z975 * se[j]),
               profile_low = num(pr$low), profile_high = num(pr$high),
               robust_se = num(rob[j]), hac_se = num(hac[j]))
    if (family == "gaussian") cj$p_value_t <- num(2 * pt(-abs(z[j]), df = n - p))
    coefs[[j]] <- cj
  }
  out <- list(name = name, data = data, family = family, terms = terms, offset = offset,
              n_obs = n, coefficients = coefs,
              loglik = num(ll), deviance = num(fit$deviance),
              aic = num(-2 * ll + 2 * k), bic = num(-2 * ll + log(n) * k),
              pearson_dispersion = num(sum(residuals(fit, "pearson")^2) / fit$df.residual),
              hac_lag = L, n_params_loglik = k)
  if (family == "negbin") {
    out$theta <- num(th); out$theta_se <- num(sqrt(1 / nb_info(th, mu, y)))
    out$theta_se_glm_nb <- num(raw$SE.theta)  # literal glm.nb value: information taken before theta.ml's last Newton step
  }
  if (family == "gaussian") out$sigma_ml <- num(sqrt(fit$deviance / n))
  # raw (unpolished) R output, for the record
  raw_se <- summary(raw)$coefficients[, 2]
  raw_ll <- as.numeric(logLik(raw))
  out$diagnostics <- list(
    max_abs_score = num(score_check(mu, y, X, family, th)),
    min_fitted = num(min(mu)),
    se_summary_vs_information_max_rel_diff = num(max(abs(se / se_info - 1))),
    raw_fit_max_abs_coef_diff = num(max(abs(coef(raw) - beta))),
    raw_fit_max_rel_se_diff = num(max(abs(raw_se / se - 1))),
    raw_fit_loglik_diff = num(raw_ll - ll),
    raw_theta_rel_diff = if (family == "negbin") num(raw$theta / th - 1) else NA,
    raw_theta_se_rel_diff = if (family == "negbin") num(raw$SE.theta / sqrt(1 / nb_info(th, mu, y)) - 1) else NA,
    raw_aic_diff = num(AIC(raw) - (-2 * ll + 2 * k)),
    polish_loops = pol$loops,
    profile_refit_problems = probs)
  message(sprintf("case %-28s ll=%.10f score=%.1e se/info=%.1e raw: coef %.1e se %.1e%s probs=%d", name, ll,
                  score_check(mu, y, X, family, th), max(abs(se / se_info - 1)),
                  max(abs(coef(raw) - beta)), max(abs(raw_se / se - 1)),
                  if (family == "negbin") sprintf(" theta=%.8f (raw rel %.1e, se rel %.1e)", th, raw$theta / th - 1,
                                                 raw$SE.theta / sqrt(1 / nb_info(th, mu, y)) - 1) else "", probs))
  out
}

# ---------------------------------------------------------------------------
# Special case A: observations that are sums over sets of months (2024, t = 0 is Jan)
pois_ll <- function(y, M) sum(y * log(M) - M - lgamma(y + 1))

aggregated_poisson <- function(y, members, zmonth, emonth) {
  # members: list of month-index vectors (0-based); zmonth: 12 x 2 design (1, step); emonth: exposures
  means <- function(b) sapply(members, function(m) sum(emonth[m + 1] * exp(zmonth[m + 1, , drop = FALSE] %*% b)))
  grads <- function(b) t(sapply(members, function(m)
    colSums(zmonth[m + 1, , drop = FALSE] * as.vector(emonth[m + 1] * exp(zmonth[m + 1, , drop = FALSE] %*% b)))))
  ll <- function(b) pois_ll(y, means(b))
  # Fisher scoring from a crude start
  b <- c(log(sum(y) / sum(emonth)), 0)
  for (it in 1:200) {
    M <- means(b); G <- grads(b)
    score <- colSums(G * (y / M - 1))
    info <- crossprod(G / sqrt(M))
    step <- solve(info, score); b <- b + step
    if (max(abs(step)) < 1e-15) break
  }
  M <- means(b); G <- grads(b)
  info <- crossprod(G / sqrt(M))
  se <- sqrt(diag(solve(info)))
  llmax <- ll(b)
  # profile of b1: for fixed b1 the intercept has a closed form (every mean is exp(b0) * A_i(b1))
  llp <- function(b1) {
    A <- means(c(0, b1)); b0 <- log(sum(y) / sum(A)); ll(c(b0, b1))
  }
  g <- function(b1) 2 * (llmax - llp(b1)) - Q95
  lo <- uniroot(g, c(b[2] - 10 * se[2], b[2]), tol = UNIROOT_TOL, maxiter = 1000)$root
  hi <- uniroot(g, c(b[2], b[2] + 10 * se[2]), tol = UNIROOT_TOL, maxiter = 1000)$root
  # intercept-only model
  ll0 <- pois_ll(y, sapply(members, function(m) sum(emonth[m + 1])) * sum(y) / sum(emonth))
  list(b = b, se = se, info = info, llmax = llmax, ll0 = ll0, profile = c(lo, hi),
       score = max(abs(colSums(G * (y / M - 1)))), iterations = it)
}

special_reported <- function() {
  members <- list(0:5, c(6, 9, 10, 11), 7, 8)
  y <- c(8, 26, 24, 24)
  zmonth <- cbind(1, as.numeric(0:11 >= 6))
  res <- list()
  for (variant in c("no_exposure", "exposure")) {
    emonth <- if (variant == "no_exposure") rep(1, 12) else c(rep(1142.857 / 6, 6), rep(1104.478 / 6, 6))
    a <- aggregated_poisson(y, members, zmonth, emonth)
    # cross-check: every observation is homogeneous in the step, so this equals a glm with offset log(sum exposure)
    off <- log(sapply(members, function(m) sum(emonth[m + 1])))
    step <- c(0, 1, 1, 1)
    gf <- glm(y ~ step + offset(off), family = poisson, control = CTL)
    gf <- glm(y ~ step + offset(off), family = poisson, control = CTL, start = coef(gf))  # weights at the MLE
    gse <- summary(gf)$coefficients[, 2]
    check <- max(abs(c(coef(gf) - a$b, gse - a$se, as.numeric(logLik(gf)) - a$llmax)))
    if (check > 1e-10) stop("reported_kn23 cross-check failed: ", check)
    E1 <- sum(emonth[1:6]); E2 <- sum(emonth[7:12])
    ci_p <- binom.test(74, 82)$conf.int
    r <- list(
      observations = list(
        list(months = c("2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"), count = 8),
        list(months = c("2024-07", "2024-10", "2024-11", "2024-12"), count = 26),
        list(months = I("2024-08"), count = 24), list(months = I("2024-09"), count = 24)),
      month_exposure = num(emonth),
      model = "log mu_t = b0 + b1*step(t >= 6) [+ log exposure_t]; mean of an observation = sum of its months' means",
      b0 = num(a$b[1]), b1 = num(a$b[2]), se_b0 = num(a$se[1]), se_b1 = num(a$se[2]),
      fisher_information = lapply(1:2, function(i) num(a$info[i, ])),
      rate_before = num(8 / E1), rate_after = num(74 / E2), rate_ratio = num(exp(a$b[2])),
      loglik = num(a$llmax), loglik_intercept_only = num(a$ll0),
      lr_statistic = num(2 * (a$llmax - a$ll0)),
      lr_p_value = num(pchisq(2 * (a$llmax - a$ll0), 1, lower.tail = FALSE)),
      wald_b1 = num(a$b[2] + c(-1, 1) * Z975 * a$se[2]),
      profile_b1 = num(a$profile), profile_rate_ratio = num(exp(a$profile)),
      diagnostics = list(max_abs_score = num(a$score), glm_crosscheck_max_abs_diff = num(check)))
    if (variant == "no_exposure") {
      r$exact_conditional_rate_ratio <- num(ci_p / (1 - ci_p))
      r$exact_conditional_method <- "binom.test(74, 82)$conf.int (Clopper-Pearson) mapped through p/(1-p); equal exposure (6 months each half)"
    } else {
      r$exact_conditional_rate_ratio <- num(ci_p / (1 - ci_p) * E1 / E2)
      r$exact_conditional_method <- "binom.test(74, 82)$conf.int mapped through p/(1-p) * E1/E2 (E1 = 1142.857, E2 = 1104.478)"
    }
    res[[variant]] <- r
    message(sprintf("reported_kn23 %-11s b0=%.12f b1=%.12f se=(%.10f, %.10f) ll=%.10f LR=%.10f prof=[%.10f, %.10f]",
                    variant, a$b[1], a$b[2], a$se[1], a$se[2], a$llmax, 2 * (a$llmax - a$ll0), a$profile[1], a$profile[2]))
  }
  res
}

# ---------------------------------------------------------------------------
# Special case B: zero segment (all 2023 months are 0), poisson, terms "step@2024-01"
special_zero_segment <- function() {
  d <- read_series("data/kn23_monthly.csv")
  s <- as.numeric(d$t >= month_index(d, "2024-01"))
  y <- d$y
  res <- list()
  for (offset in c(FALSE, TRUE)) {
    E <- if (offset) d$exposure else rep(1, nrow(d))
    ll_at <- function(b0, b1) { M <- E * exp(b0 + b1 * s); sum(dpois(y, M, log = TRUE)) }
    post <- s == 1
    # supremum: intercept-only fit on 2024-01.. plus zero contribution from the all-zero 2023 months
    fpost <- glm(y[post] ~ 1 + offset(log(E[post])), family = poisson, control = CTL)
    ll_sup <- as.numeric(logLik(fpost)) + 0
    log_rate_post <- unname(coef(fpost))
    # profile of the step coefficient: intercept maximised in closed form for each fixed step
    llp_step <- function(b1) { b0 <- log(sum(y) / sum(E * exp(b1 * s))); ll_at(b0, b1) }
    g1 <- function(b1) 2 * (ll_sup - llp_step(b1)) - Q95
    # profile of the intercept: step maximised in closed form for each fixed intercept
    llp_int <- function(b0) { b1 <- log(sum(y[post]) / sum(E[post])) - b0; ll_at(b0, b1) }
    g0 <- function(b0) 2 * (ll_sup - llp_int(b0)) - Q95
    step_low <- uniroot(g1, c(0, 50), tol = UNIROOT_TOL, maxiter = 1000)$root
    int_high <- uniroot(g0, c(-50, 5), tol = UNIROOT_TOL, maxiter = 1000)$root
    int_high_closed <- log(Q95 / (2 * sum(E[!post])))
    res[[if (offset) "offset_true" else "offset_false"]] <- list(
      data = "data/kn23_monthly.csv", family = "poisson", terms = "step@2024-01", offset = offset,
      n_obs = nrow(d),
      loglik_sup = num(ll_sup),
      log_rate_post = num(log_rate_post),
      step = list(estimate = NA, profile_low = num(step_low), profile_high = NA),
      intercept = list(estimate = NA, profile_low = NA, profile_high = num(int_high),
                       profile_high_closed_form = num(int_high_closed)),
      note = "MLE at the boundary: intercept -> -Inf, step -> +Inf with intercept + step = log_rate_post; null = infinite")
    message(sprintf("zero_segment offset=%s ll_sup=%.10f step_low=%.12f int_high=%.12f (closed %.12f)",
                    offset, ll_sup, step_low, int_high, int_high_closed))
  }
  res
}

# ---------------------------------------------------------------------------
sims <- simulate_sets()
KN <- "data/kn23_monthly.csv"
SP <- sims$sim_poisson_120$path; SN <- sims$sim_negbin_120$path; SG <- sims$sim_gaussian_60$path
specs <- list(
  list("kn23_poisson_trend", KN, "poisson", "trend", TRUE),
  list("kn23_poisson_trend_step", KN, "poisson", "trend,step@2024-07", TRUE),
  list("kn23_poisson_slope", KN, "poisson", "slope@2024-07", TRUE),
  list("kn23_negbin_trend_step", KN, "negbin", "trend,step@2024-07", TRUE),
  list("kn23_poisson_trend_fourier1", KN, "poisson", "trend,season:1", FALSE),
  list("kn23_negbin_trend", KN, "negbin", "trend", FALSE),
  list("simpois_trend_step_x", SP, "poisson", "trend,step@2020-01,x", TRUE),
  list("simpois_trend_season_x", SP, "poisson", "trend,season,x", TRUE),
  list("simpois_slope_fourier2", SP, "poisson", "slope@2020-01,season:2", TRUE),
  list("simnb_trend_step_x", SN, "negbin", "trend,step@2020-01,x", FALSE),
  list("simnb_trend_fourier2", SN, "negbin", "trend,season:2", FALSE),
  list("simgauss_trend_step", SG, "gaussian", "trend,step@2017-07", FALSE),
  list("simgauss_trend_slope", SG, "gaussian", "trend,slope@2017-07", FALSE))

cases <- list(); dropped <- list()
for (s in specs) {
  r <- do.call(run_case, unname(s))
  if (is.null(r)) dropped[[length(dropped) + 1]] <- s[[1]] else cases[[length(cases) + 1]] <- r
}

out <- list(
  generator = list(
    script = "tests/reference/glm_reference.R",
    R = R.version.string,
    MASS = as.character(packageVersion("MASS")),
    sandwich = as.character(packageVersion("sandwich")),
    jsonlite = as.character(packageVersion("jsonlite")),
    glm_control = list(epsilon = num(1e-14), maxit = 200),
    uniroot_tol = num(UNIROOT_TOL),
    qchisq_0.95_1 = num(Q95), qnorm_0.975 = num(Z975),
    numbers = "doubles written as %.17g (round-trip exact); null = infinite or undefined",
    conventions = list(
      polish = "after glm/glm.nb converge, the fit is refitted from its own estimate (negbin: theta by Newton to machine precision, alternated with glm(negative.binomial(theta))) so summary/sandwich use weights at the MLE; diagnostics give the raw-vs-polished differences",
      std_error = "summary(fit, dispersion = 1 for poisson/negbin) at the polished fit = expected information at the MLE; gaussian uses dispersion RSS/(n-p)",
      theta_se = "sqrt(1/observed theta information) at the final theta and mu (mu held fixed), the definition of glm.nb's SE.theta; theta_se_glm_nb is glm.nb's literal SE.theta (information taken before theta.ml's last Newton step, ~1e-4 relative off)",
      p_value = "2*pnorm(-|z|) for every family; gaussian cases also give p_value_t (t with n-p df, as summary.glm)",
      wald = "estimate +- qnorm(0.975)*std_error",
      profile = "coefficient moved into the offset, others refitted (negbin: theta re-estimated by glm.nb; gaussian: ML variance); roots of 2*(llmax - llp) = qchisq(0.95,1) by uniroot(tol = 1e-12)",
      robust_se = "sandwich::vcovHC(fit, type = 'HC0')",
      hac_se = "sandwich::NeweyWest(fit, lag = hac_lag, prewhite = FALSE, adjust = FALSE), hac_lag = floor(4*(n/100)^(2/9))",
      loglik = "logLik(fit); negbin and gaussian count one extra parameter (theta / variance) in aic and bic",
      pearson_dispersion = "sum(residuals(fit,'pearson')^2)/df.residual (df.residual = n - p, theta not counted)")),
  simulated = lapply(sims, function(s) list(path = s$path, truth = lapply(s$truth, function(v) if (is.numeric(v)) num(v) else v))),
  cases = cases,
  dropped = dropped,
  special = list(reported_kn23 = special_reported(), zero_segment = special_zero_segment()))

write_json(out, file.path(ref_dir, "glm_reference.json"),
           digits = NA, auto_unbox = TRUE, pretty = TRUE, json_verbatim = TRUE)
message("wrote tests/reference/glm_reference.json: ", length(cases), " cases, ", length(dropped), " dropped")
