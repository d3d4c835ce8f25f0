#!/usr/bin/env python3
"""Independent cross-check of tests/reference/glm_reference.json with statsmodels/scipy.

Run from the repository root (/work/main), after the R script:
    python3 tests/reference/glm_reference_statsmodels.py
Rebuilds every design matrix from the CSV and the term spec in Python, refits with
statsmodels (GLM for Poisson/Gaussian, discrete NegativeBinomial nb2 for theta), recomputes
profile intervals with scipy.optimize.brentq, and the special cases from closed forms.
Prints the largest relative difference per quantity and exits 1 if any exceeds its tolerance.
Writes nothing.
"""
import json
import math
import sys
import warnings

import numpy as np
import pandas as pd
import scipy
import statsmodels
import statsmodels.api as sm
from scipy import optimize, special, stats

warnings.simplefilter("ignore")
Q95 = stats.chi2.ppf(0.95, 1)
REF = json.load(open("tests/reference/glm_reference.json"))


def read_series(path):
    d = pd.read_csv(path, dtype={"period": str})
    yr = d.period.str[:4].astype(int)
    mo = d.period.str[5:7].astype(int)
    d["t"] = (yr - yr[0]) * 12 + (mo - mo[0])
    assert (d.t.values == np.arange(len(d))).all()
    d["moy"] = mo
    d["y"] = d["count"] if "count" in d else d["value"]
    return d


def month_index(d, ym):
    return (int(ym[:4]) - int(d.period[0][:4])) * 12 + int(ym[5:7]) - d.moy[0]


def design(d, spec):
    cols = {"intercept": np.ones(len(d))}
    t = d.t.values.astype(float)
    for term in spec.split(","):
        if term == "trend":
            cols[term] = t
        elif term.startswith("step@"):
            cols[term] = (t >= month_index(d, term[5:])).astype(float)
        elif term.startswith("slope@"):
            cols[term] = np.maximum(0.0, t - month_index(d, term[6:]))
        elif term == "season":
            for k in range(2, 13):
                cols[f"season_{k}"] = (d.moy.values == k).astype(float)
        elif term.startswith("season:"):
            s = d.moy.values - 1.0
            for k in range(1, int(term[7:]) + 1):
                cols[f"sin_{k}"] = np.sin(2 * np.pi * k * s / 12)
                cols[f"cos_{k}"] = np.cos(2 * np.pi * k * s / 12)
        else:
            cols[term] = d[term].values.astype(float)
    return list(cols), np.column_stack(list(cols.values()))


def nb_ll(th, mu, y):
    return np.sum(special.gammaln(th + y) - special.gammaln(th) - special.gammaln(y + 1)
                  + th * np.log(th) + y * np.log(mu + (y == 0)) - (th + y) * np.log(th + mu))


def nb_info(th, mu, y):
    return np.sum(-special.polygamma(1, th + y) + special.polygamma(1, th) - 1 / th
                  + 2 / (mu + th) - (y + th) / (mu + th) ** 2)


def nb_profile_theta(y, X, off, start=None):
    """NB2 fit by nesting: theta maximised by Brent on log(theta), beta by statsmodels GLM IRLS."""
    cache = {}

    def inner(lt):
        th = math.exp(lt)
        g = sm.GLM(y, X, family=sm.families.NegativeBinomial(alpha=1 / th), offset=off)
        r = g.fit(start_params=start, tol=1e-15, maxiter=500)
        r = g.fit(start_params=r.params, tol=1e-15, maxiter=500)
        mu = np.exp(X @ r.params + off)
        cache[lt] = r.params
        return -nb_ll(th, mu, y)

    res = optimize.minimize_scalar(inner, bounds=(-6.0, 8.0), method="bounded", options={"xatol": 1e-11, "maxiter": 500})
    assert res.success and -5.9 < res.x < 7.9
    th = math.exp(res.x)
    return cache[res.x], -res.fun, th


def fit(y, X, off, family, start=None):
    """Returns (params, loglik, theta)."""
    if family == "negbin":
        return nb_profile_theta(y, X, off, start)
    fam = sm.families.Poisson() if family == "poisson" else sm.families.Gaussian()
    r = sm.GLM(y, X, family=fam, offset=off).fit(method="newton", tol=1e-14, maxiter=200)
    r = sm.GLM(y, X, family=fam, offset=off).fit(start_params=r.params, tol=1e-15, maxiter=200)
    if family == "gaussian":
        n = len(y); rss = np.sum((y - X @ r.params - off) ** 2)
        ll = -n / 2 * (np.log(2 * np.pi * rss / n) + 1)
    else:
        ll = r.llf
    return r.params, ll, None


worst = {}


def check(label, ref, val, tol):
    if ref is None or val is None:
        return
    err = abs(val - ref) / max(abs(ref), 1e-300) if abs(ref) > 1e-8 else abs(val - ref)
    key = label
    if err > worst.get(key, (0, tol, ""))[0]:
        worst[key] = (err, tol, "")


for case in REF["cases"]:
    d = read_series(case["data"])
    names, X = design(d, case["terms"])
    assert names == [c["term"] for c in case["coefficients"]], (names, case["name"])
    y = d.y.values.astype(float)
    n, p = X.shape
    off = np.log(d.exposure.values) if case["offset"] else np.zeros(n)
    fam = case["family"]
    beta, ll, th = fit(y, X, off, fam)
    if fam == "negbin":  # a second, joint-MLE route: statsmodels' discrete NegativeBinomial (nb2)
        m = sm.NegativeBinomial(y, X, offset=off, loglike_method="nb2")
        rd = m.fit(start_params=np.append(beta, 1 / th), method="newton", maxiter=200, tol=1e-14, disp=0)
        check("theta (discrete NB)", case["theta"], 1 / rd.params[-1], 1e-9)
        for j, c in enumerate(case["coefficients"]):
            check("estimate (discrete NB)", c["estimate"], rd.params[j], 1e-9)
    check("loglik", case["loglik"], ll, 1e-11)
    k = p + (0 if fam == "poisson" else 1)
    check("aic", case["aic"], -2 * ll + 2 * k, 1e-11)
    check("bic", case["bic"], -2 * ll + math.log(n) * k, 1e-11)
    if fam == "negbin":
        check("theta (nested Brent fit)", case["theta"], th, 1e-7)
        theta_r = case["theta"]
        mu_r = np.exp(X @ np.array([c["estimate"] for c in case["coefficients"]]) + off)
        check("theta_se", case["theta_se"], math.sqrt(1 / nb_info(theta_r, mu_r, y)), 1e-11)
        glmfam = sm.families.NegativeBinomial(alpha=1 / theta_r)
    else:
        glmfam = sm.families.Poisson() if fam == "poisson" else sm.families.Gaussian()
    # covariances from a GLM at the reference theta
    g = sm.GLM(y, X, family=glmfam, offset=off)
    r0 = g.fit(method="newton", tol=1e-15, maxiter=200)
    r0 = g.fit(start_params=r0.params, tol=1e-15, maxiter=200)
    for j, c in enumerate(case["coefficients"]):
        check("estimate (own fit)", c["estimate"], beta[j], 1e-7 if fam == "negbin" else 1e-10)
        check("estimate(glm at ref theta)", c["estimate"], r0.params[j], 1e-10)
    check("deviance", case["deviance"], r0.deviance, 1e-10)
    check("pearson_dispersion", case["pearson_dispersion"], r0.pearson_chi2 / (n - p), 1e-10)
    L = case["hac_lag"]
    assert L == math.floor(4 * (n / 100) ** (2 / 9))
    rn = g.fit(start_params=r0.params, tol=1e-15, maxiter=200)
    rh = g.fit(start_params=r0.params, tol=1e-15, maxiter=200, cov_type="HC0")
    ra = g.fit(start_params=r0.params, tol=1e-15, maxiter=200, cov_type="HAC",
               cov_kwds={"maxlags": L, "use_correction": False})
    # sandwich by hand: bread = expected information (IRLS weights), score with theta held fixed,
    # Bartlett weights 1 - l/(L+1), no small-sample factor.  statsmodels' own robust covariances are
    # only comparable for the canonical-link families (for NB2/log it uses the observed Hessian).
    mu = X @ r0.params + off
    if fam == "gaussian":
        w, sc = np.ones(n), (y - mu)
    else:
        mu = np.exp(mu)
        w = mu if fam == "poisson" else mu * theta_r / (theta_r + mu)
        sc = (y - mu) * w / mu
    S = X * sc[:, None]
    B = np.linalg.inv((X * w[:, None]).T @ X)
    meat = S.T @ S
    hc0 = np.sqrt(np.diag(B @ meat @ B))
    for l in range(1, L + 1):
        G = S[l:].T @ S[:-l]
        meat = meat + (1 - l / (L + 1)) * (G + G.T)
    hac = np.sqrt(np.diag(B @ meat @ B))
    for j, c in enumerate(case["coefficients"]):
        check("std_error", c["std_error"], rn.bse[j], 1e-10)
        check("robust_se (by hand)", c["robust_se"], hc0[j], 1e-10)
        check("hac_se (by hand)", c["hac_se"], hac[j], 1e-10)
        if fam != "negbin":
            check("robust_se (statsmodels HC0)", c["robust_se"], rh.bse[j], 1e-10)
            check("hac_se (statsmodels HAC)", c["hac_se"], ra.bse[j], 1e-10)
        se = c["std_error"]
        check("wald", c["wald_low"], c["estimate"] - stats.norm.ppf(0.975) * se, 1e-13)
        check("p_value", c["p_value"], 2 * stats.norm.sf(abs(c["estimate"] / se)), 1e-9)
    # profile intervals, refitting with the coefficient in the offset
    llmax = case["loglik"]
    for j, c in enumerate(case["coefficients"]):
        Xo = np.delete(X, j, axis=1)

        st = np.delete(beta, j) if fam == "negbin" else None

        def g_(b):
            return 2 * (llmax - fit(y, Xo, off + b * X[:, j], fam, st)[1]) - Q95

        est, se = c["estimate"], c["std_error"]
        for side, ref in ((-1, c["profile_low"]), (+1, c["profile_high"])):
            k_ = 1.5
            while g_(est + side * k_ * se) < 0:
                k_ *= 1.6
            a, b = sorted((est, est + side * k_ * se))
            root = optimize.brentq(g_, a, b, xtol=1e-13, rtol=4 * np.finfo(float).eps)
            check(f"profile ({fam})", ref, root, 1e-9 if fam == "negbin" else 1e-10)
    print(f"checked {case['name']}")

# special A: reported_kn23, closed forms + Clopper-Pearson from the beta distribution
for variant, E1, E2 in (("no_exposure", 6.0, 6.0), ("exposure", 1142.857, 1104.478)):
    r = REF["special"]["reported_kn23"][variant]
    b0, b1 = math.log(8 / E1), math.log((74 / E2) / (8 / E1))
    check("reported b0", r["b0"], b0, 1e-13)
    check("reported b1", r["b1"], b1, 1e-13)
    check("reported se_b0", r["se_b0"], math.sqrt(1 / 8), 1e-13)
    check("reported se_b1", r["se_b1"], math.sqrt(1 / 8 + 1 / 74), 1e-13)
    obs_E = np.array([E1, 4 * E2 / 6, E2 / 6, E2 / 6]); yv = np.array([8, 26, 24, 24.0])
    step = np.array([0, 1, 1, 1.0])
    ll = lambda b0, b1: np.sum(stats.poisson.logpmf(yv, obs_E * np.exp(b0 + b1 * step)))
    check("reported loglik", r["loglik"], ll(b0, b1), 1e-12)
    ll0 = np.sum(stats.poisson.logpmf(yv, obs_E * 82 / (E1 + E2)))
    check("reported LR", r["lr_statistic"], 2 * (ll(b0, b1) - ll0), 1e-11)

    def prof(b1_):
        b0_ = math.log(82 / (E1 + E2 * math.exp(b1_)))
        return 2 * (ll(b0, b1) - ll(b0_, b1_)) - Q95

    check("reported profile", r["profile_b1"][0], optimize.brentq(prof, b1 - 5, b1, xtol=1e-14), 1e-11)
    check("reported profile", r["profile_b1"][1], optimize.brentq(prof, b1, b1 + 5, xtol=1e-14), 1e-11)
    plo, phi = stats.beta.ppf(0.025, 74, 82 - 74 + 1), stats.beta.ppf(0.975, 74 + 1, 82 - 74)
    scale = E1 / E2
    check("reported exact RR", r["exact_conditional_rate_ratio"][0], plo / (1 - plo) * scale, 1e-9)
    check("reported exact RR", r["exact_conditional_rate_ratio"][1], phi / (1 - phi) * scale, 1e-9)

# special B: zero segment
d = read_series("data/kn23_monthly.csv")
y = d.y.values.astype(float); post = d.t.values >= 12
for key, offset in (("offset_false", False), ("offset_true", True)):
    r = REF["special"]["zero_segment"][key]
    E = d.exposure.values.astype(float) if offset else np.ones(len(d))
    lr = math.log(y[post].sum() / E[post].sum())
    ll_sup = np.sum(stats.poisson.logpmf(y[post], E[post] * math.exp(lr)))
    check("zero loglik_sup", r["loglik_sup"], ll_sup, 1e-12)
    check("zero log_rate_post", r["log_rate_post"], lr, 1e-13)

    def llp_step(s):
        b0 = math.log(y.sum() / (E[~post].sum() + math.exp(s) * E[post].sum()))
        return np.sum(stats.poisson.logpmf(y, E * np.exp(b0 + s * post)))

    root = optimize.brentq(lambda s: 2 * (ll_sup - llp_step(s)) - Q95, 0, 30, xtol=1e-14)
    check("zero step profile_low", r["step"]["profile_low"], root, 1e-11)
    check("zero intercept profile_high", r["intercept"]["profile_high"], math.log(Q95 / (2 * E[~post].sum())), 1e-12)
    assert r["step"]["profile_high"] is None and r["intercept"]["profile_low"] is None

print(f"statsmodels {statsmodels.__version__}, scipy {scipy.__version__}, numpy {np.__version__}")
bad = 0
for key, (err, tol, _) in sorted(worst.items()):
    flag = "OK " if err <= tol else "BAD"
    bad += err > tol
    print(f"{flag} {key:32s} max rel diff {err:.2e} (tol {tol:.0e})")
sys.exit(1 if bad else 0)
