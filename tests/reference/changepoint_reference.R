# Reference values for countshift's change-point code (part 1 of 2: R).
#
# Run from the repository root (/work/main):
#     Rscript tests/reference/changepoint_reference.R
#     python3 tests/reference/changepoint_reference.py
# This script writes the series under tests/reference/data/ (nile.csv,
# coal.csv, sim_gauss_pelt.csv, sim_pois_dp.csv) and the R part of
# tests/reference/changepoint_reference.json (generator, data,
# nile_strucchange, coal_poisson, kn23_poisson_exposure, sim_pois_dp,
# andrews_supF).  The Python script then reads that JSON, checks the CSV
# checksums, adds nile_ruptures and sim_gauss_pelt plus independent
# cross-checks, and rewrites the same file.  Run both, in this order.
#
# Conventions (countshift): positions 0..n-1; a break at tau (1 <= tau <= n-1)
# means the new regime starts at position tau, segments [0, tau) and [tau, n).
# strucchange's breakpoint i (1-based last index of the old regime) is our
# tau = i.  Segment cost = -2 * max loglik of the segment, dropping terms that
# are the same for every segmentation: Gaussian mean = RSS about the segment
# mean; Poisson with exposure = -2*(Y*log(Y/E) - Y) (0 when Y = 0).

suppressPackageStartupMessages({
  library(strucchange)
  library(boot)
  library(jsonlite)
})

root <- normalizePath(".")
if (!file.exists(file.path(root, "data", "kn23_monthly.csv")))
  stop("run from the repository root: Rscript tests/reference/changepoint_reference.R")
ref_dir <- file.path(root, "tests", "reference")
dir.create(file.path(ref_dir, "data"), recursive = TRUE, showWarnings = FALSE)

# ---------------------------------------------------------------------------
# JSON numbers: jsonlite 1.8.4 keeps at most 15 significant digits even with
# digits = NA, so every double is passed verbatim as "%.17g" (round-trips).
num1 <- function(x) {
  if (is.na(x) || !is.finite(x)) return(NA)
  structure(sprintf("%.17g", as.numeric(x)), class = "json")
}
num <- function(x) if (length(x) == 1) num1(x) else lapply(x, num1)  # scalar or array
numvec <- function(x) lapply(as.numeric(x), num1)                       # always an array
intvec <- function(x) I(as.integer(x))                                  # always an array
fmt17 <- function(x) sprintf("%.17g", x)
lse <- function(v) { m <- max(v); m + log(sum(exp(v - m))) }

months_from <- function(year, month, n) {
  k <- (month - 1) + 0:(n - 1)
  sprintf("%04d-%02d", year + k %/% 12, k %% 12 + 1)
}
write_csv <- function(name, df) {
  path <- file.path("tests", "reference", "data", paste0(name, ".csv"))
  write.csv(df, file.path(root, path), row.names = FALSE, quote = FALSE)
  path
}
read_csv <- function(path) read.csv(file.path(root, path), colClasses = c(period = "character"),
                                    stringsAsFactors = FALSE)
md5 <- function(path) unname(tools::md5sum(file.path(root, path)))

# ---------------------------------------------------------------------------
# Segment costs and exact optimal segmentation (own code, used as a check on
# strucchange and as the reference for sim_pois_dp)
gauss_cost <- function(x) { cs <- c(0, cumsum(x)); cs2 <- c(0, cumsum(x^2))
  function(i, j) { s <- cs[j + 1] - cs[i + 1]; (cs2[j + 1] - cs2[i + 1]) - s * s / (j - i) } }
# exact RSS of x[i..j) about its mean (two-pass), for reported values
rss <- function(x, i, j) { v <- x[(i + 1):j]; sum((v - mean(v))^2) }
pois_seg <- function(Y, E) if (Y == 0) 0 else Y * log(Y / E) - Y   # max loglik, dropped terms
pois_cost_fun <- function(y, e) { cy <- c(0, cumsum(y)); ce <- c(0, cumsum(e))
  function(i, j) -2 * pois_seg(cy[j + 1] - cy[i + 1], ce[j + 1] - ce[i + 1]) }

# Optimal partition of positions 0..n-1 into K+1 segments, each >= h long.
# cost(i, j) is the cost of [i, j).  O(K n^2).  Ties: the smallest last break.
opt_seg <- function(n, K, h, cost) {
  C <- matrix(Inf, K + 1, n + 1); B <- matrix(NA_integer_, K + 1, n + 1)
  for (j in h:n) C[1, j + 1] <- cost(0, j)
  if (K >= 1) for (k in 1:K) for (j in ((k + 1) * h):n) {
    best <- Inf; arg <- NA_integer_
    for (t in (k * h):(j - h)) {
      v <- C[k, t + 1] + cost(t, j)
      if (v < best) { best <- v; arg <- t }
    }
    C[k + 1, j + 1] <- best; B[k + 1, j + 1] <- arg
  }
  lapply(0:K, function(k) {
    taus <- integer(); j <- n
    if (k >= 1) for (kk in k:1) { t <- B[kk + 1, j + 1]; taus <- c(t, taus); j <- t }
    list(K = k, cost = C[k + 1, n + 1], taus = taus)
  })
}
seg_cost_total <- function(taus, n, cost) { b <- c(0, taus, n); sum(mapply(cost, head(b, -1), b[-1])) }

# ---------------------------------------------------------------------------
# 1-4. Data files
nile_path <- write_csv("nile", data.frame(period = 1871:1970, value = fmt17(as.numeric(datasets::Nile))))
stopifnot(identical(tsp(datasets::Nile), c(1871, 1970, 1)))

coal_years <- floor(boot::coal$date)
stopifnot(nrow(boot::coal) == 191, min(coal_years) >= 1851, max(coal_years) <= 1962)
coal_counts <- as.integer(table(factor(coal_years, levels = 1851:1962)))
stopifnot(sum(coal_counts) == 191, length(coal_counts) == 112)
coal_path <- write_csv("coal", data.frame(period = 1851:1962, count = sprintf("%d", coal_counts)))

GAUSS_SEED <- 20240711L
set.seed(GAUSS_SEED)
g_means <- c(0, 2, -1, 1.5); g_lens <- c(250, 300, 200, 250)
g_x <- rnorm(sum(g_lens), mean = rep(g_means, g_lens), sd = 1)
gauss_path <- write_csv("sim_gauss_pelt", data.frame(period = 1:1000, value = fmt17(g_x)))

POIS_SEED <- 20240712L
set.seed(POIS_SEED)
p_rates <- c(0.05, 0.12, 0.07); p_bounds <- c(0, 40, 85, 120)
p_exposure <- round(runif(120, 50, 150), 2)
p_rate_t <- rep(p_rates, diff(p_bounds))
p_y <- rpois(120, p_rate_t * p_exposure)
pois_path <- write_csv("sim_pois_dp", data.frame(period = months_from(2015, 1, 120), count = sprintf("%d", p_y),
                                                 exposure = sprintf("%.2f", p_exposure)))

# read everything back, so all references use the files' values
nile <- read_csv(nile_path); nile$value <- as.numeric(nile$value); coal <- read_csv(coal_path)
gsim <- read_csv(gauss_path); psim <- read_csv(pois_path)
kn23 <- read_csv("data/kn23_monthly.csv")
stopifnot(identical(as.numeric(nile$value), as.numeric(datasets::Nile)), identical(gsim$value, g_x),
          identical(coal$count, coal_counts), identical(psim$count, p_y),
          max(abs(psim$exposure - p_exposure)) < 1e-12)

# ---------------------------------------------------------------------------
# A. Nile, strucchange
nile_strucchange <- local({
  y <- nile$value; n <- length(y); start <- 1871L
  Nile_ts <- ts(y, start = start)
  bp <- breakpoints(Nile_ts ~ 1, h = 0.15)
  h <- as.integer(floor(0.15 * n))
  s <- summary(bp)
  RSS <- s$RSS["RSS", ]; BIC <- s$RSS["BIC", ]
  stopifnot(identical(names(RSS), as.character(0:5)))
  ll <- lapply(0:5, function(m) logLik(bp, breaks = m))
  loglik <- sapply(ll, as.numeric); df <- sapply(ll, attr, "df")
  bic_formula <- -2 * loglik + log(n) * df
  loglik_formula <- -0.5 * n * (log(RSS) + 1 - log(n) + log(2 * pi))
  bps <- lapply(1:5, function(m) breakpoints(bp, breaks = m)$breakpoints)
  m_bic <- length(na.omit(breakpoints(bp)$breakpoints))
  stopifnot(m_bic == which.min(BIC) - 1)
  # own exact DP (RSS, h = 15) as a check on strucchange's optimum
  gc <- gauss_cost(y)
  own <- opt_seg(n, 5, h, gc)
  own_rss <- sapply(own, function(o) seg_cost_total(o$taus, n, function(i, j) rss(y, i, j)))
  own_same_bps <- all(mapply(function(o, b) identical(as.integer(o$taus), as.integer(b)), own[-1], bps))
  bp1 <- bps[[1]]
  means1 <- c(mean(y[1:bp1]), mean(y[(bp1 + 1):n]))
  message(sprintf("nile: RSS %s; BIC picks m = %d; m=1 tau %d (year %d), means %.10g %.10g; own DP max rel diff %.1e, same breaks %s",
                  paste(sprintf("%.10g", RSS), collapse = " "), m_bic, bp1, start + bp1, means1[1], means1[2],
                  max(abs(own_rss / RSS - 1)), own_same_bps))
  list(
    method = "strucchange::breakpoints(Nile ~ 1, h = 0.15) on tests/reference/data/nile.csv as ts(start = 1871); RSS and BIC from summary(bp)$RSS; breakpoints(bp, breaks = m)$breakpoints; logLik(bp, breaks = m) with attr df; BIC = -2*loglik + log(n)*df, loglik = -n/2*(log(RSS) + 1 - log(n) + log(2*pi)), df = (nreg + 1)*(m + 1) = 2*(m+1) (m+1 means, m breaks, 1 variance)",
    data = nile_path, n = n, start_year = start, h = h,
    m = intvec(0:5),
    RSS = numvec(RSS), BIC = numvec(BIC),
    loglik = numvec(loglik), loglik_df = intvec(df),
    breakpoints_strucchange = lapply(bps, intvec),
    taus = lapply(bps, intvec),
    break_years = lapply(bps, function(b) intvec(start + b)),
    bic_selected_m = m_bic,
    m1 = list(tau = as.integer(bp1), break_year = start + as.integer(bp1),
              strucchange_breakdate = as.integer(breakdates(breakpoints(bp, breaks = 1))),
              segment_means = numvec(means1), RSS_two_pass = num(rss(y, 0, bp1) + rss(y, bp1, n))),
    checks = list(
      bic_formula_max_abs_diff = num(max(abs(bic_formula - BIC))),
      loglik_formula_max_abs_diff = num(max(abs(loglik_formula - loglik))),
      own_dp_RSS = numvec(own_rss),
      own_dp_max_rel_diff = num(max(abs(own_rss / RSS - 1))),
      own_dp_same_breakpoints = own_same_bps,
      note = "RSS(m = 5) > RSS(m = 4) is genuine: with h = 15 and n = 100 the six segments are forced to be >= 15 long; the own DP (same constraint) agrees"))
})

# ---------------------------------------------------------------------------
# C. Coal, Poisson single break, exposure 1 per year
coal_poisson <- local({
  y <- as.numeric(coal$count); n <- length(y); start <- 1851L
  cy <- cumsum(y); Y <- cy[n]; lgy <- sum(lgamma(y + 1))
  taus <- 1:(n - 1)
  Y1 <- cy[taus]; E1 <- taus; Y2 <- Y - Y1; E2 <- n - taus
  prof <- mapply(function(a, b, c, d) pois_seg(a, b) + pois_seg(c, d), Y1, E1, Y2, E2) - lgy
  null <- pois_seg(Y, n) - lgy
  # direct check of the profile loglik with dpois
  direct <- sapply(taus, function(t) sum(dpois(y, rep(c(Y1[t] / t, Y2[t] / (n - t)), c(t, n - t)), log = TRUE)))
  i <- which.max(prof); tau_hat <- taus[i]
  stopifnot(sum(prof == prof[i]) == 1)
  second <- sort(prof, decreasing = TRUE)[2]
  post <- function(a, b) {
    lm <- if (b == 0) lgamma(a + Y1) - (a + Y1) * log(E1) + lgamma(a + Y2) - (a + Y2) * log(E2)
          else 2 * (a * log(b) - lgamma(a)) + lgamma(a + Y1) - (a + Y1) * log(b + E1) +
               lgamma(a + Y2) - (a + Y2) * log(b + E2)
    p <- exp(lm - lse(lm))
    j <- which.max(p)
    list(prior = if (b == 0) "Gamma(shape 0.5, rate b -> 0) on each rate (improper limit)" else sprintf("Gamma(shape %g, rate %g) on each rate", a, b),
         a = num(a), b = num(b),
         log_marginal_description = if (b == 0) "sum over the two segments of lgamma(a+Y) - (a+Y)*log(E) (constants common to all tau dropped)"
                                    else "sum over the two segments of a*log(b) - lgamma(a) + lgamma(a+Y) - (a+Y)*log(b+E) (the -sum lgamma(y+1) factor dropped)",
         log_marginal = numvec(lm), posterior = numvec(p),
         mode_tau = taus[j], mode_year = start + taus[j], mode_prob = num(p[j]),
         mean_tau = num(sum(taus * p)), sum_check = num(sum(p)))
  }
  pj <- post(0.5, 0); pp <- post(1, 1)
  message(sprintf("coal: tau_hat %d (new regime from %d), LR %.12g, rates %.10g -> %.10g; posterior modes %d / %d (p = %.6f / %.6f); dpois check %.1e",
                  tau_hat, start + tau_hat, 2 * (prof[i] - null), Y1[i] / E1[i], Y2[i] / E2[i],
                  start + pj$mode_tau, start + pp$mode_tau, as.numeric(pj$mode_prob), as.numeric(pp$mode_prob),
                  max(abs(direct - prof))))
  list(
    method = "Poisson single break, exposure 1 per year, min segment 1; profile loglik(tau) = sum over segments of [Y*log(Y/E) - Y] - sum(lgamma(y+1)) (full Poisson loglik at each segment's MLE rate); LR = 2*(max - null); posterior over tau with a uniform prior on tau = 1..n-1, normalised with log-sum-exp",
    data = coal_path, n = n, start_year = start, total_count = as.integer(Y),
    taus = intvec(taus), years = intvec(start + taus),
    profile_loglik = numvec(prof), null_loglik = num(null),
    tau_hat = tau_hat, tau_hat_year = start + tau_hat,
    tau_hat_note = sprintf("tau_hat = %d: the new (low) regime starts in %d; the old regime is %d..%d", tau_hat, start + tau_hat, start, start + tau_hat - 1),
    max_loglik = num(prof[i]), LR = num(2 * (prof[i] - null)),
    runner_up_gap_loglik = num(prof[i] - second),
    rate_before = num(Y1[i] / E1[i]), rate_after = num(Y2[i] / E2[i]),
    count_before = as.integer(Y1[i]), count_after = as.integer(Y2[i]),
    check_dpois_max_abs_diff = num(max(abs(direct - prof))),
    posterior_gamma_a0.5_b0 = pj, posterior_gamma_a1_b1 = pp)
})

# ---------------------------------------------------------------------------
# D. KN-23 monthly, Poisson single break with exposure offset, min segment 3
kn23_poisson_exposure <- local({
  y <- as.numeric(kn23$count); e <- as.numeric(kn23$exposure); n <- length(y); h <- 3L
  stopifnot(n == 36)
  cy <- cumsum(y); ce <- cumsum(e); Y <- cy[n]; E <- ce[n]
  const <- sum(y * log(e)) - sum(lgamma(y + 1))
  taus <- h:(n - h)
  prof <- sapply(taus, function(t) pois_seg(cy[t], ce[t]) + pois_seg(Y - cy[t], E - ce[t])) + const
  null <- pois_seg(Y, E) + const
  direct <- sapply(taus, function(t) {
    r <- rep(c(cy[t] / ce[t], (Y - cy[t]) / (E - ce[t])), c(t, n - t))
    sum(dpois(y, r * e, log = TRUE))
  })
  i <- which.max(prof); tau_hat <- taus[i]
  stopifnot(sum(prof == prof[i]) == 1)
  second <- sort(prof, decreasing = TRUE)[2]
  first_nonzero <- which(y > 0)[1] - 1L
  message(sprintf("kn23: tau_hat %d (%s), LR %.12g, rates %.10g -> %.10g; dpois check %.1e",
                  tau_hat, kn23$period[tau_hat + 1], 2 * (prof[i] - null), cy[tau_hat] / ce[tau_hat],
                  (Y - cy[tau_hat]) / (E - ce[tau_hat]), max(abs(direct - prof))))
  list(
    method = "Poisson single break with offset log(exposure), min segment 3 (tau = 3..33); profile loglik(tau) = full Poisson loglik with each segment at its MLE rate Y/E = sum over segments of [Y*log(Y/E) - Y] + sum(y*log(e)) - sum(lgamma(y+1)); LR = 2*(max - null); cost(tau) = -2*(profile - sum(y*log(e)) + sum(lgamma(y+1)))",
    data = "data/kn23_monthly.csv", n = n, min_segment = h,
    taus = intvec(taus), periods = I(kn23$period[taus + 1]),
    profile_loglik = numvec(prof), cost = numvec(-2 * (prof - const)), null_loglik = num(null),
    tau_hat = tau_hat, tau_hat_period = kn23$period[tau_hat + 1],
    max_loglik = num(prof[i]), LR = num(2 * (prof[i] - null)),
    runner_up_gap_loglik = num(prof[i] - second),
    rate_before = num(cy[tau_hat] / ce[tau_hat]), rate_after = num((Y - cy[tau_hat]) / (E - ce[tau_hat])),
    count_before = as.integer(cy[tau_hat]), count_after = as.integer(Y - cy[tau_hat]),
    exposure_before = num(ce[tau_hat]), exposure_after = num(E - ce[tau_hat]),
    zero_months_note = sprintf("all 12 months of 2023 (and 2024-01) have count 0; the first nonzero count is at position %d (%s); for tau <= %d the first segment's rate MLE is 0 and it contributes only its sum(y*log(e)) - sum(lgamma(y+1)) terms (both 0)",
                               first_nonzero, kn23$period[first_nonzero + 1], first_nonzero),
    first_nonzero_position = first_nonzero,
    check_dpois_max_abs_diff = num(max(abs(direct - prof))))
})

# ---------------------------------------------------------------------------
# E. sim_pois_dp: exact optimal segmentation, Poisson-with-exposure cost, min segment 5
sim_pois_dp <- local({
  y <- as.numeric(psim$count); e <- as.numeric(psim$exposure); n <- length(y); h <- 5L; Kmax <- 4L
  cost <- pois_cost_fun(y, e)
  dp <- opt_seg(n, Kmax, h, cost)
  # brute force, K = 1 and K = 2
  bf1 <- sapply(h:(n - h), function(t) cost(0, t) + cost(t, n))
  t1 <- (h:(n - h))[which.min(bf1)]
  pairs <- do.call(rbind, lapply(h:(n - 2 * h), function(a) if (a + h <= n - h) cbind(a, (a + h):(n - h))))
  bf2 <- apply(pairs, 1, function(p) cost(0, p[1]) + cost(p[1], p[2]) + cost(p[2], n))
  t2 <- pairs[which.min(bf2), ]
  gap <- function(v) { s <- sort(v); s[2] - s[1] }
  stopifnot(identical(as.integer(t1), dp[[2]]$taus), identical(as.integer(t2), dp[[3]]$taus),
            abs(min(bf1) - dp[[2]]$cost) < 1e-9, abs(min(bf2) - dp[[3]]$cost) < 1e-9)
  for (d in dp) message(sprintf("sim_pois_dp K=%d cost %.12g taus %s", d$K, d$cost, paste(d$taus, collapse = " ")))
  per <- psim$period
  list(
    method = "exact optimal segmentation by dynamic programming (O(K n^2), own code) of positions 0..119 into K+1 segments each >= 5 long, cost per segment -2*(Y*log(Y/E) - Y) (0 if Y = 0) with Y, E the segment sums of count and exposure; ties -> smallest last break; brute-force enumeration for K = 1, 2 agrees",
    data = pois_path, n = n, min_segment = h,
    truth = list(rates = numvec(p_rates), taus = intvec(c(40, 85)), periods = I(per[c(41, 86)])),
    K = intvec(0:Kmax),
    segmentations = lapply(dp, function(d) list(
      K = d$K, cost = num(d$cost), taus = intvec(d$taus), periods = I(per[d$taus + 1]),
      segment_costs = numvec(mapply(cost, c(0, d$taus), c(d$taus, n))),
      segment_rates = numvec(mapply(function(i, j) sum(y[(i + 1):j]) / sum(e[(i + 1):j]), c(0, d$taus), c(d$taus, n))))),
    brute_force = list(
      K1 = list(cost = num(min(bf1)), taus = intvec(t1), runner_up_gap = num(gap(bf1)), n_candidates = length(bf1)),
      K2 = list(cost = num(min(bf2)), taus = intvec(t2), runner_up_gap = num(gap(bf2)), n_candidates = length(bf2))),
    cost_constant_note = "add -2*(sum(y*log(e)) - sum(lgamma(y+1))) to a cost to get -2 * full Poisson loglik",
    full_loglik_constant = num(sum(y * log(e)) - sum(lgamma(y + 1))))
})

# ---------------------------------------------------------------------------
# G. Andrews (1993) sup-F / sup-LR, p = 1, pi0 = 0.15: strucchange's Hansen (1997) p-values
andrews_supF <- local({
  from <- 0.15; to <- 1 - from
  lambda <- ((1 - from) * to) / (from * (1 - to))   # Fstats' par for from = 0.15, to = 0.85
  stats <- c(7.17, 8.85, 12.35)
  pv <- sapply(stats, function(s) strucchange:::pvalue.Fstats(s, type = "supF", k = 1, lambda = lambda))
  crit <- sapply(c(0.10, 0.05, 0.01), function(a)
    uniroot(function(s) strucchange:::pvalue.Fstats(s, type = "supF", k = 1, lambda = lambda) - a,
            c(1, 30), tol = 1e-12)$root)
  fs <- Fstats(ts(nile$value, start = 1871) ~ 1, from = 0.15)
  st <- sctest(fs, type = "supF")
  message(sprintf("andrews: p(7.17, 8.85, 12.35) = %s; critical values (10/5/1%%) = %s; Nile supF %.10g p %.3g",
                  paste(sprintf("%.6f", pv), collapse = " "), paste(sprintf("%.6f", crit), collapse = " "),
                  st$statistic, st$p.value))
  list(
    method = "strucchange:::pvalue.Fstats(stat, type = 'supF', k = 1, lambda = ((1-from)*to)/(from*(1-to))) with from = 0.15, to = 0.85 (lambda = 32.11, i.e. tau = 1/(1+sqrt(lambda)) = 0.15); Hansen (1997) response-surface approximation, as used by sctest.Fstats(asymptotic p-values)",
    function_used = "strucchange:::pvalue.Fstats",
    from = num(from), k = 1L, lambda = num(lambda),
    andrews_critical_values = list(level = numvec(c(0.10, 0.05, 0.01)), value = numvec(stats)),
    p_values = numvec(pv),
    inverted_critical_values = list(level = numvec(c(0.10, 0.05, 0.01)), value = numvec(crit),
                                    method = "uniroot(pvalue.Fstats(s) - level, c(1, 30), tol = 1e-12)"),
    nile_example = list(call = "sctest(Fstats(Nile ~ 1, from = 0.15), type = 'supF')",
                        statistic = num(unname(st$statistic)), p_value = num(st$p.value),
                        sup_point_strucchange = as.integer(fs$breakpoint),
                        sup_point_year_new_regime = 1871L + as.integer(fs$breakpoint)))
})

# ---------------------------------------------------------------------------
out <- list(
  generator = list(
    R_script = "tests/reference/changepoint_reference.R",
    python_script = "tests/reference/changepoint_reference.py",
    commands = I(c("Rscript tests/reference/changepoint_reference.R", "python3 tests/reference/changepoint_reference.py")),
    R = R.version.string,
    strucchange = as.character(packageVersion("strucchange")),
    boot = as.character(packageVersion("boot")),
    jsonlite = as.character(packageVersion("jsonlite")),
    zoo = as.character(packageVersion("zoo")),
    sandwich = as.character(packageVersion("sandwich")),
    RNGkind = I(RNGkind()),
    numbers = "R doubles written as %.17g, Python doubles as repr (both round-trip exactly); null = undefined",
    conventions = list(
      positions = "a series has positions 0..n-1; tau (1 <= tau <= n-1) is the first position of the new regime: segments [0, tau) and [tau, n)",
      strucchange = "strucchange's breakpoint i (1-based last index of the old regime) equals our tau; year of the break = start_year + tau (first year of the new regime)",
      ruptures = "ruptures returns segment end indices (exclusive), the last being n; our taus are all but the last",
      cost = "segment cost = -2 * max loglik of the segment, dropping terms common to every segmentation; Gaussian mean: RSS about the segment mean; Poisson with exposure: -2*(Y*log(Y/E) - Y), 0 when Y = 0",
      min_segment = "every segment has at least h positions")),
  data = list(
    nile = list(path = nile_path, md5 = md5(nile_path), source = "R datasets::Nile (annual flow at Aswan, 1871-1970)", n = 100L),
    coal = list(path = coal_path, md5 = md5(coal_path),
                source = sprintf("boot::coal (boot %s): count of floor(date) per year 1851..1962, zero years included", packageVersion("boot")),
                n = 112L, total = 191L, nrow_boot_coal = nrow(boot::coal),
                date_range = numvec(range(boot::coal$date))),
    sim_gauss_pelt = list(path = gauss_path, md5 = md5(gauss_path), n = 1000L,
                          generator = sprintf("set.seed(%d); rnorm(1000, mean = rep(c(0, 2, -1, 1.5), c(250, 300, 200, 250)), sd = 1)", GAUSS_SEED),
                          seed = GAUSS_SEED, means = numvec(g_means), segment_lengths = intvec(g_lens),
                          true_taus = intvec(cumsum(g_lens)[1:3]), sd = num(1)),
    sim_pois_dp = list(path = pois_path, md5 = md5(pois_path), n = 120L,
                       generator = sprintf("set.seed(%d); exposure = round(runif(120, 50, 150), 2); count = rpois(120, rate * exposure) with rate 0.05, 0.12, 0.07 over positions [0,40), [40,85), [85,120)", POIS_SEED),
                       seed = POIS_SEED, rates = numvec(p_rates), true_taus = intvec(c(40, 85)),
                       true_periods = I(c("2018-05", "2022-02")))),
  nile_strucchange = nile_strucchange,
  coal_poisson = coal_poisson,
  kn23_poisson_exposure = kn23_poisson_exposure,
  sim_pois_dp = sim_pois_dp,
  andrews_supF = andrews_supF)

stopifnot(identical(psim$period[c(41, 86)], c("2018-05", "2022-02")))
write_json(out, file.path(ref_dir, "changepoint_reference.json"),
           digits = NA, auto_unbox = TRUE, pretty = TRUE, json_verbatim = TRUE)
message("wrote tests/reference/changepoint_reference.json (R part); now run python3 tests/reference/changepoint_reference.py")
