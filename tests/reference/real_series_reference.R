# Reference values for countshift's single-break search on real series
# (issue 16, acceptance: NB with theta re-estimated at every date).
#
# Run from the repository root, after bash tests/reference/build_real_series.sh
# has (re)built the series:
#     Rscript tests/reference/real_series_reference.R      # about 20 s
# It reads tests/reference/data/real/{shahed,x101_share,kalibr}.csv and writes
# tests/reference/real_series_reference.json.  The series' definitions and
# provenance are in tests/reference/data/real/README.md.
#
# For every series, family (negbin, poisson, gaussian), terms (intercept;
# intercept + trend) and, for the series with exposure, with and without the
# offset log(exposure), it gives
#   - the null log-likelihood (no break);
#   - for EVERY candidate date tau = 1..n-1 (position of the first period of the
#     new regime; step@tau = 1 from tau on) the maximised log-likelihood of the
#     model with the step, every nuisance parameter re-estimated (NB theta, the
#     Gaussian variance, the trend), and LR(tau) = 2 (l(tau) - l0);
#   - the sup-LR date over the dates with at least MIN_SEG observations on
#     each side.
# Log-likelihoods are full ones (logLik in R): NB2 as MASS::glm.nb (variance
# mu + mu^2/theta, lgamma terms included), Poisson as glm, Gaussian as
# logLik(lm) (ML variance RSS/n).  The trend is the position t = 0..n-1; the
# LR does not depend on its origin or scale.
#
# NB fits: MASS::glm.nb with glm.control(epsilon = 1e-12, maxit = 200), then
# Newton steps on the full NB2 likelihood in (beta, log theta) from its
# estimate (analytic score and Hessian) until the Newton decrement is < 1e-20.
# Every NB fit is also done by direct maximisation (nlminb from the Poisson fit
# and a moment estimate of theta, independent of glm.nb, then the same Newton
# steps).  When glm.nb warns, errs or lets theta run off (it does on Kalibr,
# where theta.ml diverges from the Poisson start although the MLE of theta is
# about 0.5), the direct fit is the reference (`method` says which was used)
# and it is confirmed by a third, one-dimensional maximisation of the profile
# over theta (optimize, beta refitted by glm(negative.binomial(theta))).
#
# A segment whose counts are all 0 has its MLE at infinity (the step or the
# intercept -> -Inf); the supremum of the likelihood is then the fit of the
# other segment alone (same terms without the step), the zero segment adding
# log P(0 | mu -> 0) = 0.  Those dates are flagged `at_infinity`.

suppressPackageStartupMessages({
  library(MASS)
  library(jsonlite)
})

root <- normalizePath(".")
data_dir <- file.path("tests", "reference", "data", "real")
if (!file.exists(file.path(root, data_dir, "shahed.csv")))
  stop("run from the repository root: Rscript tests/reference/real_series_reference.R")
out_path <- file.path("tests", "reference", "real_series_reference.json")

MIN_SEG <- 6L
CTL <- glm.control(epsilon = 1e-12, maxit = 200)
CTL_POLISH <- glm.control(epsilon = 1e-14, maxit = 200)
LOG_SHA256 <- "7d594ff66c8cbaf3801d57f42b9f175a70178d890cf369364b2db467b16f01cd"
CATALOGUE_SHA256 <- "d85bdf56bcbf71b04959a44f14cba3675ccce84e1c5d3de26850f7a37120046b"

# ---------------------------------------------------------------------------
# JSON numbers: jsonlite 1.8.4 keeps at most 15 significant digits even with
# digits = NA, so every double is passed verbatim as "%.17g" (round-trips).
num1 <- function(x) {
  if (is.null(x) || is.na(x) || !is.finite(x)) return(NA)
  structure(sprintf("%.17g", as.numeric(x)), class = "json")
}
num <- function(x) if (length(x) == 1) num1(x) else lapply(x, num1)
numvec <- function(x) lapply(as.numeric(x), num1)
intvec <- function(x) I(as.integer(x))
sha256 <- function(path) strsplit(system2("sha256sum", shQuote(path), stdout = TRUE), " ")[[1]][1]

# ---------------------------------------------------------------------------
# Series
series_defs <- list(
  shahed = list(
    file = "shahed.csv",
    definition = "Shahed-136/131 drones launched per month: sum of `launched` over every row (national and regional reports) whose model label is exactly `Shahed-136/131`, by the calendar month of `time_start`; combined labels (`Shahed-136/131 and Lancet`, 1 row) are not counted; complete months 2022-10..2026-05; no exposure",
    command = "countshift aggregate ../shared/data/missile_attacks_daily.csv --model 'Shahed-136/131' --from 2022-10 --to 2026-05 -o tests/reference/data/real/shahed.csv"),
  x101_share = list(
    file = "x101_share.csv",
    definition = "X-101/X-555 cruise missiles launched per month (rows labelled exactly `X-101/X-555`), with exposure = all cruise missiles launched that month: every row whose catalogue category matches `cruise` (category `cruise missile`: X-101/X-555, Kalibr, Iskander-K, X-59, X-59/X-69, X-22, X-31P, Zircon, Oniks, Unknown Missile, the combined labels such as `X-101/X-555 and Kalibr`, and the catalogue's mis-filed `X-47 Kinzhal and Iskander-M/KN-23`); labels missing from the catalogue (e.g. `X-101/X-555 and Kalibr and Iskander-M/KN-23`, 1 row) are in neither; by the month of `time_start`, 2022-10..2026-05. The count is part of the exposure, so count <= exposure",
    command = "countshift aggregate ../shared/data/missile_attacks_daily.csv --model 'X-101/X-555' --exposure-category 'cruise' --catalogue ../shared/data/missiles_and_uavs.csv --from 2022-10 --to 2026-05 -o tests/reference/data/real/x101_share.csv"),
  kalibr = list(
    file = "kalibr.csv",
    definition = "Kalibr cruise missiles launched per month: sum of `launched` over the rows whose model label is exactly `Kalibr` (combined labels such as `X-101/X-555 and Kalibr` not counted), by the month of `time_start`, 2022-10..2026-05; no exposure; 13 of the 44 months are 0",
    command = "countshift aggregate ../shared/data/missile_attacks_daily.csv --model 'Kalibr' --from 2022-10 --to 2026-05 -o tests/reference/data/real/kalibr.csv"))

read_series <- function(def) {
  path <- file.path(data_dir, def$file)
  d <- read.csv(file.path(root, path), colClasses = c(period = "character"), stringsAsFactors = FALSE)
  stopifnot(all(!is.na(d$count)), all(d$count >= 0), all(d$count == round(d$count)))
  n <- nrow(d)
  k <- 0:(n - 1) + 12 * as.integer(substr(d$period[1], 1, 4)) + as.integer(substr(d$period[1], 6, 7)) - 1
  stopifnot(identical(d$period, sprintf("%04d-%02d", k %/% 12, k %% 12 + 1)))  # consecutive months
  list(path = path, period = d$period, y = as.numeric(d$count),
       e = if ("exposure" %in% names(d)) as.numeric(d$exposure) else NULL,
       sha256 = sha256(file.path(root, path)))
}
series <- lapply(series_defs, read_series)

# ---------------------------------------------------------------------------
# NB2 likelihood in (beta, phi = log theta), with analytic score and Hessian
nb_ll <- function(th, mu, y)
  sum(lgamma(th + y) - lgamma(th) - lgamma(y + 1) + th * log(th) + y * log(mu + (y == 0)) - (th + y) * log(th + mu))
nb_score_th <- function(th, mu, y)
  sum(digamma(th + y) - digamma(th) + log(th) + 1 - log(th + mu) - (y + th) / (mu + th))
nb_info_th <- function(th, mu, y)
  sum(-trigamma(th + y) + trigamma(th) - 1 / th + 2 / (mu + th) - (y + th) / (mu + th)^2)
nb_parts <- function(par, y, X, off) {
  p <- ncol(X); b <- par[1:p]; th <- exp(par[p + 1])
  mu <- exp(drop(X %*% b) + off)
  list(th = th, mu = mu, ll = nb_ll(th, mu, y))
}
nb_grad <- function(par, y, X, off) {
  s <- nb_parts(par, y, X, off); th <- s$th; mu <- s$mu
  c(drop(crossprod(X, (y - mu) * th / (th + mu))), th * nb_score_th(th, mu, y))
}
nb_hess <- function(par, y, X, off) {
  s <- nb_parts(par, y, X, off); th <- s$th; mu <- s$mu; p <- ncol(X)
  Hbb <- -crossprod(X, X * (th * mu * (y + th) / (th + mu)^2))
  Hbp <- th * drop(crossprod(X, (y - mu) * mu / (th + mu)^2))
  Hpp <- th^2 * (-nb_info_th(th, mu, y)) + th * nb_score_th(th, mu, y)
  H <- matrix(0, p + 1, p + 1)
  H[1:p, 1:p] <- Hbb; H[1:p, p + 1] <- Hbp; H[p + 1, 1:p] <- Hbp; H[p + 1, p + 1] <- Hpp
  H
}

glm_fit <- function(y, X, off, family, start = NULL, control = CTL, init.theta = NULL) {
  df <- data.frame(y = y, off = off, X)
  names(df) <- c("y", "off", paste0("V", seq_len(ncol(X))))
  fml <- as.formula(paste("y ~ 0 +", paste0("V", seq_len(ncol(X)), collapse = " + "), "+ offset(off)"))
  warn <- character()
  fit <- withCallingHandlers(
    if (identical(family, "negbin")) {
      if (is.null(init.theta)) glm.nb(fml, data = df, control = control, start = start)
      else glm.nb(fml, data = df, control = control, start = start, init.theta = init.theta)
    } else glm(fml, family = family, data = df, control = control, start = start),
    warning = function(w) { warn <<- c(warn, conditionMessage(w)); invokeRestart("muffleWarning") })
  fit$ref_warnings <- warn
  fit
}

# Newton steps on the full NB2 likelihood in (beta, log theta), with step
# halving, until the Newton decrement -g'H^{-1}g (about twice the loglik still
# to gain) is below 1e-20 or a step gains nothing.
nb_newton <- function(par, y, X, off) {
  ll <- nb_parts(par, y, X, off)$ll; steps <- 0L
  for (k in 1:100) {
    g <- nb_grad(par, y, X, off); H <- nb_hess(par, y, X, off)
    step <- tryCatch(-solve(H, g), error = function(e) NULL)
    if (is.null(step) || !all(is.finite(step))) break
    if (-sum(g * step) < 1e-20) break
    a <- 1; moved <- FALSE
    while (a >= 1e-8) {
      cand <- par + a * step; llc <- nb_parts(cand, y, X, off)$ll
      if (is.finite(llc) && llc >= ll) { moved <- TRUE; break }
      a <- a / 2
    }
    if (!moved) break
    par <- cand; ll <- llc; steps <- steps + 1L
  }
  g <- nb_grad(par, y, X, off); H <- nb_hess(par, y, X, off)
  list(par = par, theta = exp(par[ncol(X) + 1]), ll = ll, newton_steps = steps,
       max_abs_score = max(abs(g)),
       newton_decrement = tryCatch(-sum(g * solve(H, g)), error = function(e) NA_real_),
       max_hessian_eigen = max(eigen(H, symmetric = TRUE, only.values = TRUE)$values))
}

# MASS::glm.nb as it stands, then Newton steps on the full likelihood from its
# estimate (glm.nb's theta.ml stops at a step < eps^0.25, so its raw loglik is
# short of the maximum by up to ~1e-10 here).
nb_glmnb <- function(y, X, off) {
  raw <- tryCatch(glm_fit(y, X, off, "negbin"), error = function(e) e)
  if (inherits(raw, "error")) return(list(ok = FALSE, why = paste("error:", conditionMessage(raw))))
  why <- c(raw$ref_warnings, if (!isTRUE(raw$converged)) "not converged", raw$th.warn)
  if (!is.finite(raw$theta) || raw$theta > 1e7) why <- c(why, sprintf("theta -> %.3g", raw$theta))
  if (length(why)) return(list(ok = FALSE, why = paste(unique(why), collapse = "; ")))
  r <- nb_newton(c(unname(coef(raw)), log(raw$theta)), y, X, off)
  c(r, list(ok = TRUE, raw_ll = as.numeric(logLik(raw)), raw_theta = raw$theta))
}

# Direct maximisation over (beta, log theta), independent of glm.nb: nlminb
# with analytic score and Hessian from the Poisson fit and the moment estimate
# of theta, then the same Newton steps.
nb_direct <- function(y, X, off) {
  pf <- glm_fit(y, X, off, poisson, control = CTL_POLISH)
  mu0 <- fitted(pf)
  th0 <- length(y) / sum((y / mu0 - 1)^2)
  start <- c(unname(coef(pf)), log(th0))
  o <- nlminb(start, function(par) -nb_parts(par, y, X, off)$ll,
              gradient = function(par) -nb_grad(par, y, X, off),
              hessian = function(par) -nb_hess(par, y, X, off),
              control = list(rel.tol = 1e-15, x.tol = 1e-13, eval.max = 2000, iter.max = 2000))
  c(nb_newton(o$par, y, X, off), list(nlminb_message = o$message))
}

# A third, one-dimensional maximisation: the profile over log theta (beta
# refitted by glm(negative.binomial(theta)) at each theta) by optimize on
# [log 1e-3, log 1e4]; used to confirm the direct fits where glm.nb fails.
nb_theta_profile <- function(y, X, off) {
  pl <- function(lt) {
    g <- glm_fit(y, X, off, negative.binomial(exp(lt)), control = CTL)
    if (length(g$ref_warnings) || !isTRUE(g$converged)) stop("theta profile: refit did not converge")
    nb_ll(exp(lt), fitted(g), y)
  }
  o <- optimize(pl, c(log(1e-3), log(1e4)), maximum = TRUE, tol = 1e-10)
  list(theta = exp(o$maximum), ll = o$objective)
}

# ---------------------------------------------------------------------------
# One fit of a family on (y, X, off); the supremum when a segment is all 0.
fit_one <- function(family, y, X, off) {
  if (family == "gaussian") {
    fit <- lm(y ~ 0 + X)
    return(list(ll = as.numeric(logLik(fit)), method = "lm", theta = NA_real_))
  }
  if (family == "poisson") {
    f0 <- glm_fit(y, X, off, poisson)
    f <- glm_fit(y, X, off, poisson, start = coef(f0), control = CTL_POLISH)  # refit from its own estimate
    if (length(c(f0$ref_warnings, f$ref_warnings)) || !isTRUE(f$converged)) stop("poisson glm did not converge")
    mu <- fitted(f)
    return(list(ll = as.numeric(logLik(f)), method = "glm", theta = NA_real_,
                max_abs_score = max(abs(crossprod(X, y - mu)))))
  }
  a <- nb_glmnb(y, X, off)
  d <- nb_direct(y, X, off)
  if (d$theta > 1e8) stop("NB theta at infinity: not handled")
  r <- if (a$ok) a else d
  out <- list(ll = r$ll, theta = r$theta, method = if (a$ok) "glm.nb" else "direct", par = r$par,
              max_abs_score = r$max_abs_score, newton_decrement = r$newton_decrement,
              max_hessian_eigen = r$max_hessian_eigen, ll_direct = d$ll, theta_direct = d$theta)
  if (a$ok) {
    out$ll_glm_nb_raw <- a$raw_ll
  } else {
    out$glm_nb_problem <- a$why
    tp <- nb_theta_profile(y, X, off)
    out$ll_theta_profile <- tp$ll; out$theta_theta_profile <- tp$theta
  }
  out
}

# The model with step@tau; an all-zero segment sends a coefficient to -Inf and
# the supremum is the other segment's fit with the same terms (no step).
fit_step <- function(family, y, X, off, tau) {
  n <- length(y); before <- seq_len(tau); after <- (tau + 1):n
  zero <- if (family == "gaussian") "none"
          else if (all(y[before] == 0)) "before" else if (all(y[after] == 0)) "after" else "none"
  if (zero == "none") {
    r <- fit_one(family, y, cbind(X, step = as.numeric(seq_len(n) > tau)), off)
    r$at_infinity <- FALSE
    return(r)
  }
  keep <- if (zero == "before") after else before
  r <- fit_one(family, y[keep], X[keep, , drop = FALSE], off[keep])
  r$at_infinity <- TRUE
  r$method <- paste0(r$method, sprintf(" (segment %s the date all 0: fit of the other %d observations)", zero, length(keep)))
  r
}

# theta-profile check at one date: loglik with beta refitted by
# glm(negative.binomial(theta)) at theta * exp(+-0.5, +-0.05) is below the max.
theta_profile_check <- function(y, X, off, r) {
  sapply(c(-0.5, -0.05, 0.05, 0.5), function(dl) {
    th <- r$theta * exp(dl)
    g <- glm_fit(y, X, off, negative.binomial(th), start = r$par[seq_len(ncol(X))], control = CTL)
    if (length(g$ref_warnings) || !isTRUE(g$converged)) stop("theta-profile check: refit did not converge")
    nb_ll(th, fitted(g), y) - r$ll
  })
}

# ---------------------------------------------------------------------------
run_case <- function(sname, family, trend, offset) {
  s <- series[[sname]]; y <- s$y; n <- length(y); t <- 0:(n - 1)
  off <- if (offset) log(s$e) else rep(0, n)
  X <- if (trend) cbind(intercept = rep(1, n), trend = t) else cbind(intercept = rep(1, n))
  t0 <- proc.time()[["elapsed"]]
  null <- fit_one(family, y, X, off)
  taus <- 1:(n - 1)
  fits <- lapply(taus, function(tau) fit_step(family, y, X, off, tau))
  ll <- sapply(fits, `[[`, "ll")
  lr <- 2 * (ll - null$ll)
  adm <- MIN_SEG:(n - MIN_SEG)
  i <- adm[which.max(lr[adm])]
  runner <- adm[adm != i][which.max(lr[adm[adm != i]])]
  name <- paste(c(sname, family, if (trend) "trend" else "intercept",
                  if (!is.null(s$e)) (if (offset) "offset" else "no_offset")), collapse = "_")
  methods <- sapply(fits, `[[`, "method")
  nb <- family == "negbin"
  checks <- list()
  if (nb) {
    all_fits <- c(list(null), fits)
    used <- sapply(all_fits, `[[`, "method")
    by_glm_nb <- startsWith(used, "glm.nb")
    diffs <- sapply(all_fits, function(f) f$ll - f$ll_direct)
    th_diffs <- sapply(all_fits, function(f) abs(f$theta / f$theta_direct - 1))
    tp_diffs <- unlist(lapply(all_fits, function(f) if (!is.null(f$ll_theta_profile)) f$ll - f$ll_theta_profile))
    probs <- unique(unlist(lapply(all_fits, `[[`, "glm_nb_problem")))
    raw_diff <- unlist(lapply(all_fits, function(f) if (!is.null(f$ll_glm_nb_raw)) f$ll - f$ll_glm_nb_raw))
    # a real maximum: theta profile at the null, the sup date and the admissible ends
    chk_taus <- unique(c(i, min(adm), max(adm)))
    prof_chk <- c(list(null = theta_profile_check(y, X, off, null)),
                  setNames(lapply(chk_taus, function(tau) {
                    f <- fits[[tau]]
                    if (isTRUE(f$at_infinity)) return(NULL)
                    theta_profile_check(y, cbind(X, step = as.numeric(seq_len(n) > tau)), off, f)
                  }), s$period[chk_taus + 1]))
    prof_chk <- Filter(Negate(is.null), prof_chk)
    checks <- list(
      fits = length(all_fits),
      fits_by_glm_nb = sum(by_glm_nb),
      fits_by_direct = sum(!by_glm_nb),
      glm_nb_problems = I(as.character(probs)),
      reported_minus_direct_max_abs_loglik = num(max(abs(diffs))),
      reported_minus_direct_max_rel_theta = num(max(th_diffs)),
      glm_nb_fits_minus_direct_max_abs_loglik = if (any(by_glm_nb)) num(max(abs(diffs[by_glm_nb]))) else NA,
      direct_fits_minus_theta_profile_loglik = if (length(tp_diffs)) list(min = num(min(tp_diffs)), max = num(max(tp_diffs))) else NA,
      newton_polished_minus_raw_glm_nb_loglik = if (length(raw_diff)) list(min = num(min(raw_diff)), max = num(max(raw_diff))) else NA,
      max_abs_score = num(max(sapply(all_fits, `[[`, "max_abs_score"))),
      max_newton_decrement = num(max(sapply(all_fits, `[[`, "newton_decrement"))),
      max_hessian_eigenvalue = num(max(sapply(all_fits, `[[`, "max_hessian_eigen"))),
      theta_profile_check = list(
        description = "loglik at theta*exp(d), d = -0.5, -0.05, 0.05, 0.5, with beta refitted by glm(negative.binomial(theta)), minus the maximum; all must be < 0",
        dates = I(names(prof_chk)),
        max_difference = num(max(unlist(prof_chk)))))
    stopifnot(max(unlist(prof_chk)) < 0, max(sapply(all_fits, `[[`, "max_hessian_eigen")) < 0,
              max(abs(diffs)) < 1e-9, all(tp_diffs > -1e-9))
  } else if (family == "poisson") {
    checks <- list(max_abs_score = num(max(sapply(c(list(null), fits), `[[`, "max_abs_score"))))
  }
  message(sprintf("%-40s null %.10f  sup %s LR %.8f (runner-up %s, gap %.3g)%s  [%.1f s]",
                  name, null$ll, s$period[i + 1], lr[i], s$period[runner + 1], lr[i] - lr[runner],
                  if (nb) sprintf("  glm.nb/direct %d/%d, max |reported - direct| %.1e", checks$fits_by_glm_nb, checks$fits_by_direct,
                                  max(abs(diffs))) else "",
                  proc.time()[["elapsed"]] - t0))
  list(
    name = name, series = sname, data = s$path, family = family,
    terms = if (trend) "intercept + trend" else "intercept",
    cli_terms = if (trend) "trend" else NA,
    offset = offset, has_exposure = !is.null(s$e), n = n,
    null_loglik = num(null$ll), null_theta = if (nb) num(null$theta) else NA, null_method = null$method,
    taus = intvec(taus), periods = I(s$period[taus + 1]),
    profile_loglik = numvec(ll), lr = numvec(lr),
    theta = if (nb) numvec(sapply(fits, `[[`, "theta")) else NA,
    method = I(methods), at_infinity = I(sapply(fits, `[[`, "at_infinity")),
    min_segment = MIN_SEG,
    admissible = list(tau_from = min(adm), tau_to = max(adm), period_from = s$period[min(adm) + 1],
                      period_to = s$period[max(adm) + 1]),
    sup = list(tau = i, period = s$period[i + 1], loglik = num(ll[i]), lr = num(lr[i]),
               runner_up_period = s$period[runner + 1], runner_up_gap_lr = num(lr[i] - lr[runner])),
    checks = checks)
}

grid <- list()
for (sname in names(series)) {
  has_e <- !is.null(series[[sname]]$e)
  for (family in c("negbin", "poisson", "gaussian")) for (trend in c(FALSE, TRUE)) {
    offsets <- if (has_e && family != "gaussian") c(TRUE, FALSE) else FALSE
    for (offset in offsets) grid[[length(grid) + 1]] <- list(sname, family, trend, offset)
  }
}
cases <- lapply(grid, function(g) do.call(run_case, g))

# ---------------------------------------------------------------------------
out <- list(
  generator = list(
    R_script = "tests/reference/real_series_reference.R",
    command = "Rscript tests/reference/real_series_reference.R",
    R = R.version.string,
    MASS = as.character(packageVersion("MASS")),
    jsonlite = as.character(packageVersion("jsonlite")),
    date = format(Sys.Date()),
    numbers = "doubles written as %.17g (round-trip exactly); null = undefined or not applicable",
    conventions = list(
      positions = "positions 0..n-1; tau (1..n-1) is the first position of the new regime; step@tau is 1 for t >= tau; `periods[k]` is the period at position taus[k]",
      loglik = "full log-likelihoods as R's logLik: negbin NB2 (variance mu + mu^2/theta, MASS::glm.nb), poisson glm, gaussian logLik(lm) with the ML variance RSS/n",
      terms = "intercept: 1; intercept + trend: 1 and t = 0..n-1 (the LR and the logliks do not depend on the trend's origin or scale); the break model adds the step",
      offset = "log(exposure) when offset is true; gaussian never has one",
      nuisance = "every fit re-estimates every nuisance parameter: NB theta, the Gaussian variance, the trend",
      lr = "LR(tau) = 2 * (profile_loglik(tau) - null_loglik)",
      sup = "sup-LR date over tau = min_segment..n-min_segment (at least min_segment observations on each side); runner_up_gap_lr is the LR margin over the second-best admissible date",
      at_infinity = "a segment with all counts 0 sends the step (or the intercept) to -Inf; the supremum is the fit of the other segment alone with the same terms, the zero segment adding 0",
      negbin_fitting = "glm.nb(control = glm.control(epsilon = 1e-12, maxit = 200)), then Newton steps on the full NB2 likelihood in (beta, log theta) (analytic score and Hessian, step halving) until the Newton decrement is < 1e-20; every NB fit is also done by direct NB2 maximisation over (beta, log theta) (nlminb with analytic score and Hessian from the Poisson fit and a moment theta, rel.tol 1e-15, then the same Newton steps), which is the reference when glm.nb warns, errs or lets theta run past 1e7 (method 'direct'); those fits are confirmed by optimize on the profile over log theta in [log 1e-3, log 1e4]",
      poisson_fitting = "glm(poisson, epsilon = 1e-12), then refitted from its own estimate with epsilon = 1e-14")),
  data = list(
    raw_log = list(path = "../shared/data/missile_attacks_daily.csv", sha256 = LOG_SHA256,
                   note = "not committed; the series are rebuilt from it by tests/reference/build_real_series.sh"),
    catalogue = list(path = "../shared/data/missiles_and_uavs.csv", sha256 = CATALOGUE_SHA256),
    series = lapply(names(series), function(k) list(
      name = k, path = series[[k]]$path, sha256 = series[[k]]$sha256, n = length(series[[k]]$y),
      from = series[[k]]$period[1], to = tail(series[[k]]$period, 1),
      total = sum(series[[k]]$y), exposure_total = if (is.null(series[[k]]$e)) NA else sum(series[[k]]$e),
      zero_periods = sum(series[[k]]$y == 0),
      definition = series_defs[[k]]$definition, aggregate_command = series_defs[[k]]$command))),
  min_segment = MIN_SEG,
  cases = cases)

write_json(out, file.path(root, out_path), digits = NA, auto_unbox = TRUE, pretty = TRUE, json_verbatim = TRUE)
message("wrote ", out_path)
