# Dean's (1992) adjusted score test for over-dispersion (Poisson against
# NB2), computed from R's own glm fit and hat values, for the real series of
# tests/reference/data/real and the embedded monthly KN-23 series:
#   T = sum((y - mu)^2 - y + h mu) / sqrt(2 sum(mu^2)),  p = 1 - pnorm(T).
# Run from the project root: Rscript tests/reference/overdispersion_reference.R
library(jsonlite)
dean <- function(g) {
  y <- g$y; mu <- fitted(g); h <- hatvalues(g)
  t <- sum((y - mu)^2 - y + h * mu) / sqrt(2 * sum(mu^2))
  list(statistic = t, p_value = pnorm(t, lower.tail = FALSE))
}
cases <- list()
add <- function(name, file, trend, offset) {
  d <- read.csv(file)
  d$t <- seq_len(nrow(d)) - 1
  f <- if (trend) count ~ t else count ~ 1
  g <- if (offset) glm(f, family = poisson, data = d, offset = log(exposure),
                       control = glm.control(epsilon = 1e-14, maxit = 100))
       else glm(f, family = poisson, data = d, control = glm.control(epsilon = 1e-14, maxit = 100))
  r <- dean(g)
  cases[[length(cases) + 1]] <<- list(name = name, file = file, terms = if (trend) "trend" else "intercept",
                                      offset = offset, statistic = r$statistic, p_value = r$p_value)
}
for (s in c("shahed", "kalibr")) {
  f <- sprintf("tests/reference/data/real/%s.csv", s)
  add(s, f, FALSE, FALSE); add(s, f, TRUE, FALSE)
}
f <- "tests/reference/data/real/x101_share.csv"
add("x101_share", f, FALSE, TRUE); add("x101_share", f, TRUE, TRUE)
add("kn23_monthly", "data/kn23_monthly.csv", TRUE, TRUE)
add("kn23_monthly", "data/kn23_monthly.csv", FALSE, TRUE)
out <- list(generated_by = "tests/reference/overdispersion_reference.R",
            r_version = R.version.string, cases = cases)
writeLines(toJSON(out, auto_unbox = TRUE, digits = 17, pretty = TRUE),
           "tests/reference/overdispersion_reference.json")
