# The exact posterior over segmentations (issue 20) by enumerating every
# segmentation with at most 3 breaks of a 20-observation Poisson series with
# exposure: P(K = k), the probability of a break before each observation,
# and the posterior mean rate and its 95% band per observation.
# Prior: K uniform on 0..3, placements uniform given K; each segment's rate
# Gamma(shape 1, rate 1 / pooled rate).
# Run: Rscript tests/reference/segmentation_posterior.R > tests/reference/segmentation_posterior.json
library(jsonlite)
y <- c(3, 1, 4, 2, 0, 3, 9, 12, 8, 10, 11, 7, 2, 1, 3, 0, 2, 14, 15, 9)
e <- 1 + 0.1 * ((0:19) %% 4)
n <- length(y); K <- 3
a0 <- 1; b0 <- a0 / (sum(y) / sum(e))
# ln marginal of a segment, less the factor prod e^y / y! common to all
lm_seg <- function(idx) {
  Y <- sum(y[idx]); E <- sum(e[idx])
  a0 * log(b0) - lgamma(a0) + lgamma(a0 + Y) - (a0 + Y) * log(b0 + E)
}
segs <- list()
for (k in 0:K) {
  if (k == 0) placements <- list(integer(0)) else placements <- combn(2:n, k, simplify = FALSE)
  for (p in placements) segs[[length(segs) + 1]] <- list(k = k, p = p)
}
bounds_of <- function(p) c(1, p, n + 1)
logw <- sapply(segs, function(s) {
  b <- bounds_of(s$p)
  -lchoose(n - 1, s$k) + sum(sapply(seq_len(length(b) - 1), function(i) lm_seg(b[i]:(b[i + 1] - 1))))
})
w <- exp(logw - max(logw)); w <- w / sum(w)
number <- sapply(0:K, function(k) sum(w[sapply(segs, `[[`, "k") == k]))
brk <- sapply(2:n, function(j) sum(w[sapply(segs, function(s) j %in% s$p)]))
# per observation: the mixture of Gamma posteriors over the segments holding it
mix <- lapply(1:n, function(i) list(a = numeric(0), b = numeric(0), w = numeric(0)))
for (m in seq_along(segs)) {
  b <- bounds_of(segs[[m]]$p)
  for (i in seq_len(length(b) - 1)) {
    idx <- b[i]:(b[i + 1] - 1)
    A <- a0 + sum(y[idx]); B <- b0 + sum(e[idx])
    for (t in idx) {
      mix[[t]]$a <- c(mix[[t]]$a, A); mix[[t]]$b <- c(mix[[t]]$b, B); mix[[t]]$w <- c(mix[[t]]$w, w[m])
    }
  }
}
mean_rate <- sapply(mix, function(x) sum(x$w * x$a / x$b))
quant <- function(x, p) uniroot(function(v) sum(x$w * pgamma(v, x$a, x$b)) - p, c(0, 1e3), tol = 1e-13)$root
low <- sapply(mix, quant, p = 0.025); high <- sapply(mix, quant, p = 0.975)
cat(toJSON(list(counts = y, exposure = e, max_breaks = K, prior_shape = a0, prior_rate = b0,
                number = number, break_probability = brk, mean_rate = mean_rate,
                rate_low = low, rate_high = high,
                r_version = R.version.string), digits = NA, auto_unbox = TRUE, pretty = TRUE))
