# Exact conditional (binomial) test of equal rates for the reported KN-23
# figures: 74 of 82 launches after the break, equal exposure (6 months each),
# and with the derived exposures 1142.857 (Jan-Jun) and 1104.478 (Jul-Dec).
# Run: Rscript tests/reference/exact_test.R > tests/reference/exact_test.json
p0 <- c(equal = 0.5, exposure = 1104.478 / (1142.857 + 1104.478))
out <- lapply(p0, function(p) list(
  p_value = sprintf("%.17g", binom.test(74, 82, p)$p.value),
  p_value_increase = sprintf("%.17g", binom.test(74, 82, p, alternative = "greater")$p.value)))
cat(sprintf('{\n  "generator": "%s, binom.test",\n  "equal": {"p_value": %s, "p_value_increase": %s},\n  "exposure": {"p_value": %s, "p_value_increase": %s}\n}\n',
  R.version.string, out$equal$p_value, out$equal$p_value_increase, out$exposure$p_value, out$exposure$p_value_increase))
