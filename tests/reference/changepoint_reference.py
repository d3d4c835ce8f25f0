"""Reference values for countshift's change-point code (part 2 of 2: Python).

Run from the repository root (/work/main), after the R part:
    Rscript tests/reference/changepoint_reference.R
    python3 tests/reference/changepoint_reference.py

Reads tests/reference/changepoint_reference.json as written by the R script,
checks the md5 of every CSV it lists, adds
  - nile_ruptures   (ruptures.Dynp, model "l2", min_size 15, n_bkps 1..5)
  - sim_gauss_pelt  (ruptures.Pelt, model "l2", min_size 2, three penalties,
                     and ruptures.Dynp on the first 300 points, n_bkps 3)
  - python_cross_checks (independent recomputation of the R parts)
and rewrites the same file (R keys kept verbatim; Python writes doubles with
repr, which round-trips).  Running it again gives the same file except for
the ruptures timings.  Exits 1 if any cross-check fails.
"""

import csv
import hashlib
import json
import math
import os
import platform
import sys
import time
from itertools import combinations

import numpy as np
import pandas
import ruptures
import scipy
import statsmodels
import statsmodels.api as sm
from scipy.special import gammaln, logsumexp

ROOT = os.getcwd()
if not os.path.exists(os.path.join(ROOT, "data", "kn23_monthly.csv")):
    sys.exit("run from the repository root: python3 tests/reference/changepoint_reference.py")
JSON_PATH = os.path.join(ROOT, "tests", "reference", "changepoint_reference.json")
R_KEYS = ["generator", "data", "nile_strucchange", "coal_poisson", "kn23_poisson_exposure",
          "sim_pois_dp", "andrews_supF"]
PY_KEYS = ["nile_ruptures", "sim_gauss_pelt", "python_cross_checks"]
FAILURES = []


def check(name, value, tol):
    """Record a cross-check; value is a max abs/rel difference (or a bool)."""
    ok = bool(value) if isinstance(value, bool) else (value <= tol)
    if not ok:
        FAILURES.append(name)
    print(f"  {'ok  ' if ok else 'FAIL'} {name}: {value}" + ("" if isinstance(value, bool) else f" (tol {tol})"))
    return value


def read_csv(path):
    with open(os.path.join(ROOT, path), newline="") as f:
        return list(csv.DictReader(f))


def col(rows, name, conv=float):
    return np.array([conv(r[name]) for r in rows])


def md5(path):
    with open(os.path.join(ROOT, path), "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def rss(x, i, j):
    """Exact RSS of x[i:j] about its mean (two-pass)."""
    v = x[i:j]
    return float(np.sum((v - v.mean()) ** 2))


def total_rss(x, taus):
    b = [0] + list(taus) + [len(x)]
    return sum(rss(x, b[k], b[k + 1]) for k in range(len(b) - 1))


def seg_cost_matrix(x):
    """C[i, j] = RSS of x[i:j] via cumulative sums (for the exact searches only)."""
    n = len(x)
    c1 = np.concatenate([[0.0], np.cumsum(x)])
    c2 = np.concatenate([[0.0], np.cumsum(x * x)])
    i = np.arange(n + 1)[:, None]
    j = np.arange(n + 1)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        L = (j - i).astype(float)
        S = c1[None, :] - c1[:, None]
        C = (c2[None, :] - c2[:, None]) - S * S / L
    C[j <= i] = np.inf
    return C


def opt_partition(C, n, K, h):
    """Exact K-break optimum, every segment >= h; ties -> smallest last break."""
    F = np.full((K + 1, n + 1), np.inf)
    B = np.full((K + 1, n + 1), -1, dtype=int)
    F[0, h:] = C[0, h:]
    for k in range(1, K + 1):
        for j in range((k + 1) * h, n + 1):
            ts = np.arange(k * h, j - h + 1)
            v = F[k - 1, ts] + C[ts, j]
            a = int(np.argmin(v))
            F[k, j], B[k, j] = v[a], ts[a]
    taus, j = [], n
    for k in range(K, 0, -1):
        j = int(B[k, j])
        taus.insert(0, j)
    return float(F[K, n]), taus


def opt_penalised(C, n, pen, h):
    """Exact penalised optimum (optimal partitioning, no pruning), segments >= h.
    Returns (sum of costs + pen * #breaks, taus); ties -> smallest last break."""
    F = np.full(n + 1, np.inf)
    F[0] = 0.0
    B = np.full(n + 1, -1, dtype=int)
    for s in range(h, n + 1):
        ts = np.concatenate([[0], np.arange(h, s - h + 1)]).astype(int)
        v = F[ts] + C[ts, s] + pen
        a = int(np.argmin(v))
        F[s], B[s] = v[a], ts[a]
    taus, s = [], n
    while B[s] > 0:
        s = int(B[s])
        taus.insert(0, s)
    return float(F[n] - pen), taus


def timed(f, *args, **kw):
    t0 = time.perf_counter()
    r = f(*args, **kw)
    return r, time.perf_counter() - t0


def main():
    with open(JSON_PATH) as f:
        ref = json.load(f)
    missing = [k for k in R_KEYS if k not in ref]
    if missing:
        sys.exit(f"{JSON_PATH} lacks {missing}: run Rscript tests/reference/changepoint_reference.R first")
    for name, d in ref["data"].items():
        if md5(d["path"]) != d["md5"]:
            sys.exit(f"{d['path']} changed since the R script ran (md5): rerun the R script first")
    cross = {}

    # ------------------------------------------------------------------
    # B. Nile with ruptures.Dynp
    print("nile_ruptures")
    nile = col(read_csv(ref["data"]["nile"]["path"]), "value")
    n = len(nile)
    sig = nile.reshape(-1, 1)
    algo, t_fit = timed(ruptures.Dynp(model="l2", min_size=15, jump=1).fit, sig)
    nile_res = []
    for k in range(1, 6):
        bk, t_pred = timed(algo.predict, n_bkps=k)
        taus = [int(b) for b in bk[:-1]]
        nile_res.append({
            "n_bkps": k, "ruptures_output": [int(b) for b in bk], "taus": taus,
            "break_years": [1871 + t for t in taus],
            "cost": float(algo.cost.sum_of_costs(bk)),
            "RSS_two_pass": total_rss(nile, taus),
            "segment_lengths": list(np.diff([0] + [int(b) for b in bk]).tolist()),
            "predict_seconds": t_pred})
    sc = ref["nile_strucchange"]
    same_bps = all(r["taus"] == sc["taus"][k] for k, r in enumerate(nile_res))
    rel = max(abs(r["cost"] / sc["RSS"][k + 1] - 1) for k, r in enumerate(nile_res))
    C = seg_cost_matrix(nile)
    own = [opt_partition(C, n, k, 15) for k in range(1, 6)]
    cross["nile_ruptures_vs_strucchange"] = {
        "same_taus": check("nile ruptures taus == strucchange taus", same_bps, None),
        "max_rel_diff_RSS": check("nile ruptures cost vs strucchange RSS", rel, 1e-12),
        "own_dp_same_taus": check("nile own DP taus == ruptures", all(o[1] == r["taus"] for o, r in zip(own, nile_res)), None)}
    min_seg = min(min(r["segment_lengths"]) for r in nile_res)
    ref_nile = {
        "method": "ruptures.Dynp(model='l2', min_size=15, jump=1).fit(nile.reshape(-1, 1)).predict(n_bkps=k), k = 1..5; cost = algo.cost.sum_of_costs(bkps) (= sum of segment RSS); taus = ruptures output without its last element (n)",
        "data": ref["data"]["nile"]["path"], "n": n, "min_size": 15, "jump": 1,
        "results": nile_res,
        "fit_seconds": t_fit,
        "timing_note": "fit() only stores the signal and builds the cost; the search runs in predict(). Dynp memoises seg() (lru_cache) on the fitted object, so the predict calls for k = 2..5 reuse work from earlier calls",
        "min_size_semantics": (
            "equal to countshift's: every segment has >= min_size points. From the ruptures 1.1.10 source (Dynp.seg): "
            "a last break bkp of [start, end) is admissible iff end - bkp >= min_size and sanity_check(bkp - start, n_bkps - 1, jump, min_size), "
            "i.e. (n_bkps - 1)*ceil(min_size/jump)*jump + min_size <= bkp - start, which with jump = 1 is 'each of the n_bkps left segments >= min_size'. "
            f"Empirically the shortest segment over k = 1..5 is {min_seg} (k = 5: [0,15) is allowed), and the breaks and RSS equal strucchange's with h = 15 "
            "and an own exact DP with segments >= 15. (Pelt: a candidate start t enters at bkp = t + min_size, so its segments are also >= min_size; its pruning rule F(t) + C(t, s) <= F(s) is not guaranteed exact when min_size > 1, so sim_gauss_pelt checks it against an exact search.)"),
    }

    # ------------------------------------------------------------------
    # F. Simulated Gaussian mean shifts: Pelt and Dynp
    print("sim_gauss_pelt")
    x = col(read_csv(ref["data"]["sim_gauss_pelt"]["path"]), "value")
    n = len(x)
    sig = x.reshape(-1, 1)
    C = seg_cost_matrix(x)
    pens = [("10", 10.0), ("30", 30.0), ("3*log(n)*sigma2, sigma2 = 1", 3.0 * math.log(n) * 1.0)]
    pelt_res = []
    for label, pen in pens:
        algo, t_fit = timed(ruptures.Pelt(model="l2", min_size=2, jump=1).fit, sig)
        bk, t_pred = timed(algo.predict, pen=pen)
        taus = [int(b) for b in bk[:-1]]
        cost = float(algo.cost.sum_of_costs(bk))
        own_obj, own_taus = opt_penalised(C, n, pen, 2)
        obj = cost + pen * len(taus)
        pelt_res.append({
            "pen": pen, "pen_label": label, "n_bkps": len(taus), "taus": taus,
            "sum_cost": cost, "RSS_two_pass": total_rss(x, taus), "penalised_cost": obj,
            "exact_optimal_partitioning": {"taus": own_taus, "penalised_cost": own_obj,
                                           "penalised_cost_two_pass": total_rss(x, own_taus) + pen * len(own_taus),
                                           "same_as_pelt": own_taus == taus},
            "fit_seconds": t_fit, "predict_seconds": t_pred})
        print(f"  pen {pen:.6f}: taus {taus} penalised {obj:.10f} ({t_fit + t_pred:.3f} s); exact OP {own_taus} {own_obj:.10f}")
        cross[f"pelt_pen_{label.split(',')[0]}_is_optimal"] = {
            "same_taus": check(f"pelt pen {pen:.4f} taus == exact OP", own_taus == taus, None),
            "rel_diff_objective": check(f"pelt pen {pen:.4f} objective vs exact OP", abs(own_obj / obj - 1), 1e-12)}
    x300 = x[:300]
    algo, t_fit = timed(ruptures.Dynp(model="l2", min_size=2, jump=1).fit, x300.reshape(-1, 1))
    bk, t_pred = timed(algo.predict, n_bkps=3)
    taus = [int(b) for b in bk[:-1]]
    own_cost, own_taus = opt_partition(seg_cost_matrix(x300), 300, 3, 2)
    dynp300 = {"n": 300, "n_bkps": 3, "min_size": 2, "jump": 1, "taus": taus,
               "ruptures_output": [int(b) for b in bk],
               "cost": float(algo.cost.sum_of_costs(bk)), "RSS_two_pass": total_rss(x300, taus),
               "own_dp": {"taus": own_taus, "cost": own_cost},
               "fit_seconds": t_fit, "predict_seconds": t_pred}
    print(f"  dynp300: taus {taus} cost {dynp300['cost']:.10f} ({t_fit + t_pred:.3f} s)")
    cross["dynp300_is_optimal"] = {
        "same_taus": check("dynp300 taus == own DP", own_taus == taus, None),
        "rel_diff_cost": check("dynp300 cost vs own DP", abs(own_cost / dynp300["cost"] - 1), 1e-12)}
    ref_gauss = {
        "method": "ruptures.Pelt(model='l2', min_size=2, jump=1).fit(x.reshape(-1, 1)).predict(pen=P) on all 1000 points; sum_cost = algo.cost.sum_of_costs(bkps) (= sum of segment RSS); penalised_cost = sum_cost + P * n_bkps; checked against an exact optimal-partitioning search (no pruning, segments >= 2). dynp_first_300: ruptures.Dynp(model='l2', min_size=2, jump=1) on x[0:300], n_bkps = 3. Times are time.perf_counter() seconds on the machine that ran the script (not reproducible)",
        "data": ref["data"]["sim_gauss_pelt"]["path"], "n": n,
        "true_taus": ref["data"]["sim_gauss_pelt"]["true_taus"],
        "pens": [p for _, p in pens],
        "pen_note": "10, 30 and 3*log(1000)*1 = 20.72326583694641 (sigma2 = 1, the true variance)",
        "pelt": pelt_res, "dynp_first_300": dynp300,
        "timing_note": "each Pelt penalty uses a fresh fit; fit() only stores the signal, the search runs in predict()",
        "machine": platform.platform(),
    }

    # ------------------------------------------------------------------
    # Cross-checks of the R parts
    print("cross-checks of the R parts")
    # C. coal
    cp = ref["coal_poisson"]
    y = col(read_csv(ref["data"]["coal"]["path"]), "count", int).astype(float)
    n = len(y)
    cy = np.cumsum(y)
    Y = cy[-1]

    def pseg(Yv, E):
        Yv = np.asarray(Yv, float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(Yv > 0, Yv * np.log(Yv / E) - Yv, 0.0)

    taus = np.arange(1, n)
    Y1 = cy[taus - 1]
    prof = pseg(Y1, taus) + pseg(Y - Y1, n - taus) - gammaln(y + 1).sum()
    th = int(taus[np.argmax(prof)])
    null = float(pseg(Y, n) - gammaln(y + 1).sum())
    step = (np.arange(n) >= th).astype(float)
    glm = sm.GLM(y, sm.add_constant(step), family=sm.families.Poisson()).fit(tol=1e-14)
    glm0 = sm.GLM(y, np.ones((n, 1)), family=sm.families.Poisson()).fit(tol=1e-14)

    def post(a, b):
        E1, E2 = taus.astype(float), (n - taus).astype(float)
        if b == 0:
            lm = gammaln(a + Y1) - (a + Y1) * np.log(E1) + gammaln(a + Y - Y1) - (a + Y - Y1) * np.log(E2)
        else:
            lm = (2 * (a * math.log(b) - gammaln(a)) + gammaln(a + Y1) - (a + Y1) * np.log(b + E1)
                  + gammaln(a + Y - Y1) - (a + Y - Y1) * np.log(b + E2))
        return np.exp(lm - logsumexp(lm))

    cross["coal_poisson"] = {
        "max_abs_diff_profile": check("coal profile loglik", float(np.max(np.abs(prof - cp["profile_loglik"]))), 1e-9),
        "same_tau_hat": check("coal tau_hat", th == cp["tau_hat"], None),
        "abs_diff_LR": check("coal LR", abs(2 * (prof.max() - null) - cp["LR"]), 1e-9),
        "statsmodels_glm_loglik_diff": check("coal statsmodels GLM loglik at tau_hat", abs(glm.llf - cp["max_loglik"]), 1e-8),
        "statsmodels_glm_null_diff": check("coal statsmodels GLM null loglik", abs(glm0.llf - cp["null_loglik"]), 1e-8),
        "max_abs_diff_posterior_a0.5_b0": check("coal posterior Gamma(0.5, 0)", float(np.max(np.abs(post(0.5, 0) - cp["posterior_gamma_a0.5_b0"]["posterior"]))), 1e-12),
        "max_abs_diff_posterior_a1_b1": check("coal posterior Gamma(1, 1)", float(np.max(np.abs(post(1.0, 1.0) - cp["posterior_gamma_a1_b1"]["posterior"]))), 1e-12)}

    # D. kn23
    kp = ref["kn23_poisson_exposure"]
    rows = read_csv("data/kn23_monthly.csv")
    y = col(rows, "count", int).astype(float)
    e = col(rows, "exposure")
    n = len(y)
    const = float(np.sum(y * np.log(e)) - gammaln(y + 1).sum())
    cy, ce = np.cumsum(y), np.cumsum(e)
    taus = np.arange(3, n - 2)
    prof = pseg(cy[taus - 1], ce[taus - 1]) + pseg(cy[-1] - cy[taus - 1], ce[-1] - ce[taus - 1]) + const
    th = int(taus[np.argmax(prof)])
    step = (np.arange(n) >= th).astype(float)
    glm = sm.GLM(y, sm.add_constant(step), family=sm.families.Poisson(), offset=np.log(e)).fit(tol=1e-14)
    glm0 = sm.GLM(y, np.ones((n, 1)), family=sm.families.Poisson(), offset=np.log(e)).fit(tol=1e-14)
    cross["kn23_poisson_exposure"] = {
        "max_abs_diff_profile": check("kn23 profile loglik", float(np.max(np.abs(prof - kp["profile_loglik"]))), 1e-9),
        "same_tau_hat": check("kn23 tau_hat", th == kp["tau_hat"], None),
        "statsmodels_glm_loglik_diff": check("kn23 statsmodels GLM loglik at tau_hat", abs(glm.llf - kp["max_loglik"]), 1e-7),
        "statsmodels_glm_null_diff": check("kn23 statsmodels GLM null loglik", abs(glm0.llf - kp["null_loglik"]), 1e-8)}

    # E. sim_pois_dp: own DP in numpy and brute force for K <= 2
    sp = ref["sim_pois_dp"]
    rows = read_csv(ref["data"]["sim_pois_dp"]["path"])
    y = col(rows, "count", int).astype(float)
    e = col(rows, "exposure")
    n = len(y)
    cy = np.concatenate([[0.0], np.cumsum(y)])
    ce = np.concatenate([[0.0], np.cumsum(e)])
    I, J = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    with np.errstate(divide="ignore", invalid="ignore"):
        Yij, Eij = cy[J] - cy[I], ce[J] - ce[I]
        Cp = np.where(Yij > 0, -2 * (Yij * np.log(Yij / Eij) - Yij), 0.0)
    Cp[J <= I] = np.inf
    dp_diff, dp_same = 0.0, True
    for s in sp["segmentations"]:
        c, t = opt_partition(Cp, n, s["K"], 5)
        dp_diff = max(dp_diff, abs(c - s["cost"]))
        dp_same &= (t == s["taus"])
    bf = {}
    for K in (1, 2):
        best = min((Cp[0, c[0]] + sum(Cp[c[i], c[i + 1]] for i in range(K - 1)) + Cp[c[-1], n], c)
                   for c in combinations(range(5, n - 4), K) if all(b - a >= 5 for a, b in zip((0,) + c, c + (n,))))
        bf[K] = best
    cross["sim_pois_dp"] = {
        "max_abs_diff_cost_own_numpy_dp": check("sim_pois_dp numpy DP cost", dp_diff, 1e-9),
        "same_taus_own_numpy_dp": check("sim_pois_dp numpy DP taus", bool(dp_same), None),
        "brute_force_K1_K2_same": check("sim_pois_dp python brute force K=1,2",
                                        all(list(bf[K][1]) == sp["segmentations"][K]["taus"]
                                            and abs(bf[K][0] - sp["segmentations"][K]["cost"]) < 1e-9 for K in (1, 2)), None)}

    # A. Nile BIC formula
    sc = ref["nile_strucchange"]
    nn = 100
    ll = [-0.5 * nn * (math.log(r) + 1 - math.log(nn) + math.log(2 * math.pi)) for r in sc["RSS"]]
    bic = [-2 * l + math.log(nn) * 2 * (m + 1) for m, l in enumerate(ll)]
    cross["nile_strucchange_bic"] = {
        "max_abs_diff_loglik": check("nile loglik formula", max(abs(a - b) for a, b in zip(ll, sc["loglik"])), 1e-9),
        "max_abs_diff_bic": check("nile BIC formula", max(abs(a - b) for a, b in zip(bic, sc["BIC"])), 1e-9)}

    # ------------------------------------------------------------------
    gen = ref["generator"]
    gen["python"] = {
        "script": "tests/reference/changepoint_reference.py",
        "python": sys.version.split()[0],
        "ruptures": ruptures.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pandas.__version__,
        "statsmodels": statsmodels.__version__,
        "platform": platform.platform(),
        "note": "pandas is imported only to record its version; CSVs are read with the csv module and float() (exact)",
    }
    out = {}
    for k in ["generator", "data", "nile_strucchange"]:
        out[k] = ref[k]
    out["nile_ruptures"] = ref_nile
    for k in ["coal_poisson", "kn23_poisson_exposure", "sim_pois_dp"]:
        out[k] = ref[k]
    out["sim_gauss_pelt"] = ref_gauss
    out["andrews_supF"] = ref["andrews_supF"]
    cross["failures"] = FAILURES
    out["python_cross_checks"] = cross
    extra = [k for k in ref if k not in out]
    if extra:
        sys.exit(f"unexpected keys in {JSON_PATH}: {extra}")
    with open(JSON_PATH, "w") as f:
        json.dump(out, f, indent=2, allow_nan=False)
        f.write("\n")
    print(f"wrote {os.path.relpath(JSON_PATH, ROOT)}; {len(FAILURES)} failed checks")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
