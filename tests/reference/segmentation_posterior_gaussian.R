# The exact Gaussian posterior over segmentations (issue 20, step 3) by
# enumerating every segmentation with at most 3 breaks and segments of at
# least 2 observations of a 20-observation series: P(K = k), the
# probability of a break before each observation, and the posterior mean
# level and its 95% band per observation.
# Model: y_i ~ N(mu, sigma^2) per segment; sigma^2 ~ InvGamma(shape, scale),
# mu | sigma^2 ~ N(m0, sigma^2 / kappa); K uniform on 0..3, placements
# uniform given K among those with segments of at least 2.
# The prior is countshift's default (NormalPrior::scaled_to), restated here:
# m0 the mean, scale the first-difference noise variance s2 =
# sum(diff(y)^2) / (2 (n - 1)), shape 1, kappa = min(1, s2 / v), v the
# variance with divisor n.
# The segment marginal is computed here as the multivariate t density of
# the segment's values (mean m0, scale matrix (scale / shape) (I + J /
# kappa), 2 shape degrees of freedom), not by the update formulas the Rust
# code uses.
# Run: Rscript tests/reference/segmentation_posterior_gaussian.R > tests/reference/segmentation_posterior_gaussian.json
library(jsonlite)
y <- c(1.2, 0.8, 1.9, 1.1, 0.3, 1.4, 4.2, 5.1, 3.7, 4.6, 5.3, 3.9, 1.0, 0.7, 1.6, 0.1, 0.9, 6.2, 6.8, 5.5)
n <- length(y); K <- 3; h <- 2
m0 <- mean(y); s2 <- sum(diff(y)^2) / (2 * (n - 1)); v <- mean((y - m0)^2)
kappa <- min(1, s2 / v); shape <- 1; scale <- s2
lm_seg <- function(idx) {
  x <- y[idx]; m <- length(x)
  S <- (scale / shape) * (diag(m) + matrix(1, m, m) / kappa)
  nu <- 2 * shape
  d <- x - m0
  q <- as.numeric(t(d) %*% solve(S, d))
  # multivariate t log density, less the shared -(m/2) log(2 pi) ... the
  # t density has pi^(-m/2) nu^(-m/2): keep the full density and remove
  # (2 pi)^(-m/2) (the Gaussian factor every segmentation shares) below.
  lgamma((nu + m) / 2) - lgamma(nu / 2) - (m / 2) * log(nu * pi) -
    0.5 * as.numeric(determinant(S, logarithm = TRUE)$modulus) - ((nu + m) / 2) * log(1 + q / nu) +
    (m / 2) * log(2 * pi)
}
segs <- list()
for (k in 0:K) {
  placements <- if (k == 0) list(integer(0)) else combn(2:n, k, simplify = FALSE)
  for (p in placements) {
    b <- c(1, p, n + 1)
    if (all(diff(b) >= h)) segs[[length(segs) + 1]] <- list(k = k, p = p)
  }
}
ks <- sapply(segs, `[[`, "k")
count_k <- sapply(0:K, function(k) sum(ks == k))
bounds_of <- function(p) c(1, p, n + 1)
logw <- sapply(segs, function(s) {
  b <- bounds_of(s$p)
  -log(count_k[s$k + 1]) + sum(sapply(seq_len(length(b) - 1), function(i) lm_seg(b[i]:(b[i + 1] - 1))))
})
w <- exp(logw - max(logw)); w <- w / sum(w)
number <- sapply(0:K, function(k) sum(w[ks == k]))
brk <- sapply(2:n, function(j) sum(w[sapply(segs, function(s) j %in% s$p)]))
# per observation: the mixture of Student t posteriors of the level
mix <- lapply(1:n, function(i) list(loc = numeric(0), sc = numeric(0), df = numeric(0), w = numeric(0)))
for (m in seq_along(segs)) {
  b <- bounds_of(segs[[m]]$p)
  for (i in seq_len(length(b) - 1)) {
    idx <- b[i]:(b[i + 1] - 1); x <- y[idx]; len <- length(x)
    kn <- kappa + len; an <- shape + len / 2
    mn <- (kappa * m0 + sum(x)) / kn
    bn <- scale + 0.5 * sum((x - mean(x))^2) + kappa * len * (mean(x) - m0)^2 / (2 * kn)
    for (t in idx) {
      mix[[t]]$loc <- c(mix[[t]]$loc, mn); mix[[t]]$sc <- c(mix[[t]]$sc, sqrt(bn / (an * kn)))
      mix[[t]]$df <- c(mix[[t]]$df, 2 * an); mix[[t]]$w <- c(mix[[t]]$w, w[m])
    }
  }
}
mean_level <- sapply(mix, function(x) sum(x$w * x$loc))
quant <- function(x, p) uniroot(function(v) sum(x$w * pt((v - x$loc) / x$sc, x$df)) - p, c(-100, 100), tol = 1e-13)$root
low <- sapply(mix, quant, p = 0.025); high <- sapply(mix, quant, p = 0.975)
cat(toJSON(list(values = y, max_breaks = K, min_segment = h,
                prior = list(mean = m0, kappa = kappa, shape = shape, scale = scale),
                number = number, break_probability = brk, mean_level = mean_level,
                level_low = low, level_high = high,
                r_version = R.version.string), digits = NA, auto_unbox = TRUE, pretty = TRUE))
