//! The step model refitted as its date slides, for one period per
//! observation.
//!
//! Moving the break one date later changes the design at the observations
//! between the two dates only (their step indicator goes from 1 to 0), so
//! the log-likelihood, score and information of the previous date's optimum
//! under the new design cost O(p^2) per moved observation, not a pass over
//! the series. From there, Newton steps on all parameters (NB theta as
//! `ln theta`, with the observed information) reach the new optimum in one
//! or two passes: a date costs about as much as one evaluation of the
//! likelihood, against a dozen for a refit from scratch. A date where a
//! step fails (a coefficient running to infinity, theta leaving its range,
//! an information that is not positive definite) is refitted in full by
//! [`fit_problem`], so the profile is that of `test --at` everywhere.

use nalgebra::{DMatrix, DVector};
use statrs::function::gamma::{digamma, ln_gamma};

use super::kind::BreakKind;
use crate::error::Result;
use crate::model::Family;
use crate::model::family::{ln_factorial, trigamma};
use crate::model::fit::{CountGroups, Problem, RawFit, THETA_MIN, fit_problem};

/// Largest |coefficient| a warm start is trusted at: beyond it a fitted
/// rate is e^30 times another, the mark of an estimate at infinity.
const RUN_OFF: f64 = 30.0;
/// Largest theta the Newton steps follow; past it the NB likelihood is flat
/// in theta and the full refit's capped search decides.
const THETA_NEWTON_MAX: f64 = 1e6;
/// Newton decrement `g' H^-1 g` at which a date has converged. The
/// log-likelihood is then quadratic to third order, so its maximum is
/// `l + decrement / 2` to within about `decrement^1.5` (1e-9; 4e-11 measured
/// on 500 months against a refit to convergence): one pass per
/// date instead of two.
const ACCEPT_DECREMENT: f64 = 1e-6;
/// Newton decrement, relative to `1 + |l|`, at which a date has converged
/// whatever the rate of convergence.
const STRICT_DECREMENT: f64 = 1e-13;
/// Newton steps per date before the date is refitted in full.
const MAX_STEPS: usize = 30;
/// Longest step of a log-link coefficient, as in the full fit.
const MAX_LOG_STEP: f64 = 8.0;
/// Largest Newton decrement at which a date may be passed over unclimbed
/// (see [`Walk::reach`]); past it the date is climbed, which moves the
/// anchor of the dates after it.
const REACH_MAX_DECREMENT: f64 = 8.0;
/// Log-likelihood added to the bound of [`Walk::reach`].
const REACH_MARGIN: f64 = 0.5;

/// Where a replicate's walk starts: the parameters of the model it was
/// drawn from, which lie near its own fits, so that it needs no fit from
/// scratch.
#[derive(Clone, Copy)]
pub(crate) struct Near<'a> {
    /// Coefficients and theta of the model without the break.
    pub null: (&'a [f64], Option<f64>),
    /// Coefficients (the step's last) and theta of the model with the break
    /// at the first date walked, when the replicate was drawn from it.
    pub step: Option<(&'a [f64], Option<f64>)>,
}

/// The model without the break, laid out for the sliding refit.
pub(crate) struct SlidingStep {
    /// The model without the break, on the observed responses: the null fit
    /// and the full refits start from it.
    base: Problem,
    /// The design row of every observation, row-major, `q` columns.
    rows: Vec<f64>,
    /// The offset of every observation.
    offset: Vec<f64>,
    /// The first period of every observation.
    period: Vec<usize>,
    /// Columns of the model without the break.
    q: usize,
}

/// Sums over the observations at the current parameters and design, the
/// parts that do not depend on theta through the count groups.
#[derive(Clone)]
struct Sums {
    /// The log-likelihood kernel (for the Gaussian, minus half the RSS).
    l: f64,
    /// Score in the coefficients (the step's last).
    g: Vec<f64>,
    /// Information in the coefficients, upper triangle of an `m x m` matrix.
    h: Vec<f64>,
    /// NB: the per-observation parts of dl/dtheta and d2l/dtheta2, and of
    /// d2l/(d beta d theta).
    l_t: f64,
    l_tt: f64,
    l_bt: Vec<f64>,
}

impl Sums {
    fn zero(m: usize) -> Sums {
        Sums {
            l: 0.0,
            g: vec![0.0; m],
            h: vec![0.0; m * m],
            l_t: 0.0,
            l_tt: 0.0,
            l_bt: vec![0.0; m],
        }
    }
}

/// The NB terms of the count groups at one theta: `sum A(y, theta)` with
/// `A(y, r) = lnG(y + r) - lnG(r) - y ln r`, and the sums of
/// `psi(y + theta) - psi(theta)` and `psi'(y + theta) - psi'(theta)`.
fn group_terms(groups: &CountGroups, theta: f64) -> [f64; 3] {
    let a = groups.rising_sums(
        theta,
        |j, r| [(j / r).ln_1p(), 0.0],
        |v, r| [ln_gamma(v + r) - ln_gamma(r) - v * r.ln(), 0.0],
        |_| [1.0, 0.0],
    )[0];
    let [d1, d2] = groups.rising_sums(
        theta,
        |j, r| [1.0 / (r + j), -1.0 / ((r + j) * (r + j))],
        |v, r| [digamma(v + r) - digamma(r), trigamma(v + r) - trigamma(r)],
        |_| [1.0, 1.0],
    );
    [a, d1, d2]
}

/// One date's search: the responses, the family's count groups and the
/// current parameters with their sums.
struct Walk<'a> {
    layout: &'a SlidingStep,
    y: &'a [f64],
    family: Family,
    groups: Option<CountGroups>,
    /// Coefficients: the model's, then the step's.
    beta: Vec<f64>,
    theta: f64,
    /// The first observation after the break.
    start: usize,
    sums: Sums,
    /// The count-group terms at `theta`.
    group: [f64; 3],
}

impl Walk<'_> {
    fn m(&self) -> usize {
        self.layout.q + 1
    }

    /// Adds `sign` times the contributions of observations `range`, all
    /// with step indicator `d`, at the current parameters.
    fn add(&mut self, range: std::ops::Range<usize>, d: bool, sign: f64) {
        let theta = self.theta;
        match self.family {
            Family::Poisson => self.accumulate::<false>(range, d, sign, |y, eta| {
                let mu = eta.exp();
                [y * eta - mu, y - mu, mu, 0.0, 0.0, 0.0]
            }),
            Family::Negbin => self.accumulate::<true>(range, d, sign, |y, eta| {
                let mu = eta.exp();
                let s = theta + mu;
                let log_term = (mu / theta).ln_1p();
                let s2 = s * s;
                [
                    y * eta - (theta + y) * log_term,
                    theta * (y - mu) / s,
                    (theta + y) * theta * mu / s2,
                    (mu - y) / s - log_term,
                    1.0 / theta - 1.0 / s - (mu - y) / s2,
                    (y - mu) * mu / s2,
                ]
            }),
            Family::Gaussian => self.accumulate::<false>(range, d, sign, |y, eta| {
                let r = y - eta;
                [-0.5 * r * r, r, 1.0, 0.0, 0.0, 0.0]
            }),
        }
    }

    /// The sums of [`Walk::add`], given a family's per-observation terms at
    /// `(y, eta)`: `l_i`, `dl/d eta`, `-d2l/d eta2` (the observed
    /// information) and, for NB (`THETA`), `dl/d theta`, `d2l/d theta2` and
    /// `d2l/(d eta d theta)`.
    fn accumulate<const THETA: bool>(
        &mut self,
        range: std::ops::Range<usize>,
        d: bool,
        sign: f64,
        terms: impl Fn(f64, f64) -> [f64; 6],
    ) {
        // Small designs get loops of a known length, which the compiler unrolls.
        match self.layout.q {
            1 => self.accumulate_q::<1, THETA>(range, d, sign, terms),
            2 => self.accumulate_q::<2, THETA>(range, d, sign, terms),
            3 => self.accumulate_q::<3, THETA>(range, d, sign, terms),
            _ => self.accumulate_q::<0, THETA>(range, d, sign, terms),
        }
    }

    /// [`Walk::accumulate`] for `Q` columns (0: any number).
    fn accumulate_q<const Q: usize, const THETA: bool>(
        &mut self,
        range: std::ops::Range<usize>,
        d: bool,
        sign: f64,
        terms: impl Fn(f64, f64) -> [f64; 6],
    ) {
        let q = if Q > 0 { Q } else { self.layout.q };
        let m = q + 1;
        let step = if d { self.beta[q] } else { 0.0 };
        let beta = &self.beta[..q];
        let sums = &mut self.sums;
        let rows = self.layout.rows[range.start * q..range.end * q].chunks_exact(q);
        let ys = &self.y[range.clone()];
        let offsets = &self.layout.offset[range];
        for ((x, &y), &offset) in rows.zip(ys).zip(offsets) {
            let eta = x.iter().zip(beta).map(|(a, b)| a * b).sum::<f64>() + offset + step;
            let [l, a1, a2, l_t, l_tt, cross] = terms(y, eta);
            sums.l += sign * l;
            let (a1, a2) = (sign * a1, sign * a2);
            for (a, &xa) in x.iter().enumerate() {
                sums.g[a] += a1 * xa;
                let wa = a2 * xa;
                let row = &mut sums.h[a * m..(a + 1) * m];
                for (h, &xb) in row[a..q].iter_mut().zip(&x[a..]) {
                    *h += wa * xb;
                }
                if d {
                    row[q] += wa;
                }
            }
            if d {
                sums.g[q] += a1;
                sums.h[q * m + q] += a2;
            }
            if THETA {
                sums.l_t += sign * l_t;
                sums.l_tt += sign * l_tt;
                let cross = sign * cross;
                for (c, &xa) in sums.l_bt.iter_mut().zip(x) {
                    *c += cross * xa;
                }
                if d {
                    sums.l_bt[q] += cross;
                }
            }
        }
    }

    /// The sums over every observation at the current parameters.
    fn evaluate(&mut self) {
        self.sums = Sums::zero(self.m());
        self.add(0..self.start, false, 1.0);
        self.add(self.start..self.y.len(), true, 1.0);
        if let Some(groups) = &self.groups {
            self.group = group_terms(groups, self.theta);
        }
    }

    /// Moves the break to observation `start`, keeping the parameters.
    fn slide_to(&mut self, start: usize) {
        let (from, to) = (self.start.min(start), self.start.max(start));
        let later = start > self.start;
        self.add(from..to, later, -1.0);
        self.add(from..to, !later, 1.0);
        self.start = start;
    }

    /// The log-likelihood, without the constants.
    fn loglik(&self) -> f64 {
        match self.family {
            Family::Negbin => self.sums.l + self.group[0],
            _ => self.sums.l,
        }
    }

    /// Score and information in all parameters (NB theta as `ln theta`, last).
    fn system(&self) -> (DVector<f64>, DMatrix<f64>) {
        let m = self.m();
        let size = if self.family == Family::Negbin { m + 1 } else { m };
        let mut info = DMatrix::zeros(size, size);
        for a in 0..m {
            for b in a..m {
                info[(a, b)] = self.sums.h[a * m + b];
                info[(b, a)] = self.sums.h[a * m + b];
            }
        }
        let mut score = DVector::from_column_slice(&self.sums.g);
        if self.family == Family::Negbin {
            let t = self.theta;
            let d1 = self.group[1] + self.sums.l_t;
            let d2 = self.group[2] + self.sums.l_tt;
            score = score.push(t * d1);
            for a in 0..m {
                info[(a, m)] = -t * self.sums.l_bt[a];
                info[(m, a)] = info[(a, m)];
            }
            info[(m, m)] = -(t * t * d2 + t * d1);
        }
        (score, info)
    }

    /// A bound on the kernel's maximum at the current date from the sums at
    /// the current parameters, without a pass over the series: `l + 2 d +
    /// 0.5` for the Newton decrement `d`. A date whose bound lies below
    /// what the walk looks for (the running maximum, or a threshold) cannot
    /// change the answer and is passed over unclimbed.
    ///
    /// Why the bound holds: a quadratic rises `d / 2` to its maximum; a
    /// concave log-likelihood whose curvature fades along the Newton
    /// direction rises further, and the fastest fading a log link gives is
    /// exponential (a segment of zeros whose rate runs to zero), where the
    /// rise is `d` exactly. `None` when the information is not positive
    /// definite or `d` is too large for the local picture to be trusted;
    /// the unit tests compare every screened walk with the full profile.
    fn reach(&self) -> Option<f64> {
        let l = self.loglik();
        let (score, info) = self.system();
        let decrement = score.dot(&info.cholesky()?.solve(&score));
        (l.is_finite() && decrement.is_finite() && decrement <= REACH_MAX_DECREMENT)
            .then_some(l + 2.0 * decrement + REACH_MARGIN)
    }

    /// Newton steps to the optimum at the current date; `None` when a step
    /// fails and the date needs a full refit.
    fn climb(&mut self) -> Option<f64> {
        let log_link = self.family.log_link();
        let mut previous = None;
        for _ in 0..MAX_STEPS {
            let l = self.loglik();
            if !l.is_finite() {
                return None;
            }
            let (score, info) = self.system();
            let mut step = info.cholesky()?.solve(&score);
            let decrement = score.dot(&step);
            if !decrement.is_finite() {
                return None;
            }
            // The quadratic prediction holds where Newton converges
            // quadratically; towards an estimate at infinity (a segment of
            // zeros) the decrement only shrinks by a factor per step, the
            // prediction is off by half of it, and the walk goes on.
            let quadratic = previous.is_some_and(|p: f64| decrement < p.powf(1.5));
            if decrement < ACCEPT_DECREMENT && quadratic {
                return Some(l + decrement / 2.0);
            }
            if decrement < STRICT_DECREMENT * (1.0 + l.abs()) {
                return Some(l);
            }
            previous = Some(decrement);
            let longest = step.amax();
            if log_link && longest > MAX_LOG_STEP {
                step *= MAX_LOG_STEP / longest;
            }
            let (beta0, theta0, sums0, group0) = (self.beta.clone(), self.theta, self.sums.clone(), self.group);
            let mut scale = 1.0;
            let mut uphill = false;
            for _ in 0..30 {
                for (b, (b0, s)) in self.beta.iter_mut().zip(beta0.iter().zip(step.iter())) {
                    *b = b0 + scale * s;
                }
                if self.family == Family::Negbin {
                    self.theta = theta0 * (scale * step[self.m()]).exp();
                    if !(THETA_MIN..=THETA_NEWTON_MAX).contains(&self.theta) {
                        return None;
                    }
                }
                self.evaluate();
                let l_new = self.loglik();
                if l_new.is_finite() && l_new >= l - 1e-13 * (1.0 + l.abs()) {
                    uphill = true;
                    break;
                }
                scale *= 0.5;
            }
            if !uphill {
                (self.beta, self.theta, self.sums, self.group) = (beta0, theta0, sums0, group0);
                return None;
            }
            if self.beta.iter().any(|b| b.abs() > RUN_OFF) {
                return None;
            }
        }
        None
    }
}

impl SlidingStep {
    /// The layout of `base` (one period per observation).
    pub(crate) fn new(base: Problem) -> SlidingStep {
        let q = base.p();
        let period: Vec<usize> = base.obs.iter().map(|o| o.periods[0]).collect();
        let rows = period.iter().flat_map(|&t| base.x.row(t).to_vec()).collect();
        let offset = period.iter().map(|&t| base.offset[t]).collect();
        SlidingStep {
            base,
            rows,
            offset,
            period,
            q,
        }
    }

    /// The null log-likelihood and the profile at observation `positions`
    /// (each the first observation after the break, increasing), for
    /// responses `y`.
    ///
    /// # Errors
    /// Fitting errors of the null fit or of a full refit.
    pub(crate) fn profile(&self, y: &[f64], positions: &[usize]) -> Result<(Vec<f64>, f64)> {
        let mut profile = vec![0.0; positions.len()];
        let null = self.walk(y, positions, 0..positions.len(), None, |j, l| {
            profile[j] = l;
            Some(f64::NEG_INFINITY)
        })?;
        Ok((profile, null.expect("fitted without a start")))
    }

    /// The profile at the dates that can hold its maximum; the others,
    /// passed over ([`Walk::reach`]), are minus infinity. Enough for the
    /// best date (every date near the maximum is visited).
    ///
    /// # Errors
    /// As [`SlidingStep::profile`].
    pub(crate) fn near_top(&self, y: &[f64], positions: &[usize]) -> Result<Vec<f64>> {
        near_top_of(positions.len(), |order, visit| {
            self.walk(y, positions, order, None, visit)
        })
    }

    /// The profile log-likelihood at date `i` and the largest over all
    /// dates, with the null log-likelihood: what the sup-LR statistic and
    /// the date-set statistic `2 (max_j l_j - l_i)` need, for a replicate
    /// drawn from a model `near` its fits. Dates that cannot reach the
    /// running maximum are passed over ([`Walk::reach`]).
    ///
    /// # Errors
    /// As [`SlidingStep::profile`].
    pub(crate) fn top_from(&self, y: &[f64], positions: &[usize], i: usize, near: Near) -> Result<([f64; 2], f64)> {
        let (at_i_and_top, null) = top_from_of(positions.len(), i, |order, visit| {
            self.walk(y, positions, order, Some(near), visit)
        })?;
        let null = match null {
            Some(l) => l,
            None => self.null_fit(&self.base.with_responses(y), Some(near))?.loglik,
        };
        Ok((at_i_and_top, null))
    }

    /// Whether `2 (max_j l_j - l_i) >= threshold`, the exceedance of the
    /// date-set test at date `i` in one bootstrap replicate drawn from a
    /// model `near` its fits ([`exceeds_of`]).
    ///
    /// # Errors
    /// As [`SlidingStep::profile`].
    pub(crate) fn exceeds(&self, y: &[f64], positions: &[usize], i: usize, threshold: f64, near: Near) -> Result<bool> {
        exceeds_of(positions.len(), i, threshold, |order, visit| {
            self.walk(y, positions, order, Some(near), visit)
        })
    }

    /// Visits the dates `order` (indices into `positions`, in runs of
    /// neighbours) with their profile log-likelihoods; returns the null
    /// log-likelihood. `visit` returns `None` to stop, or the floor below
    /// which a date does not matter: a later date whose bound
    /// ([`Walk::reach`]) lies below it is passed over without being
    /// visited. A jump between runs starts again from the first date's fit.
    fn walk(
        &self,
        y: &[f64],
        positions: &[usize],
        order: impl Iterator<Item = usize>,
        near: Option<Near>,
        mut visit: impl FnMut(usize, f64) -> Option<f64>,
    ) -> Result<Option<f64>> {
        let problem = self.base.with_responses(y);
        // The null fit: from scratch for the data, and for a replicate only
        // when a date needs a full refit.
        let mut null = match near {
            None => Some(fit_problem(&problem, None, None)?),
            Some(_) => None,
        };
        let family = problem.family;
        let n = y.len() as f64;
        let constant = match family {
            Family::Gaussian => 0.0,
            _ => -y.iter().map(|&v| ln_factorial(v)).sum::<f64>(),
        };
        let to_loglik = |kernel: f64| match family {
            // The kernel is -RSS / 2; the variance is profiled out.
            Family::Gaussian => -n / 2.0 * ((2.0 * std::f64::consts::PI * (-2.0 * kernel) / n).ln() + 1.0),
            _ => kernel + constant,
        };
        let with_zero_step = |beta: &[f64]| beta.iter().copied().chain([0.0]).collect::<Vec<f64>>();
        let start = match (near, &null) {
            (
                Some(Near {
                    step: Some((beta, theta)),
                    ..
                }),
                _,
            ) => (beta.to_vec(), theta.unwrap_or(1.0)),
            (
                Some(Near {
                    null: (beta, theta), ..
                }),
                _,
            ) => (with_zero_step(beta), theta.unwrap_or(1.0)),
            (None, Some(fit)) => (with_zero_step(&fit.beta), fit.theta.unwrap_or(1.0)),
            (None, None) => unreachable!("the null is fitted when no start is given"),
        };
        let mut walk = Walk {
            layout: self,
            y,
            family,
            groups: (family == Family::Negbin).then(|| CountGroups::from_pairs(y.iter().map(|&v| (v, 1.0)))),
            beta: start.0.clone(),
            theta: start.1,
            start: 0,
            sums: Sums::zero(self.q + 1),
            group: [0.0; 3],
        };
        let trusted = |theta: f64| family != Family::Negbin || (THETA_MIN..=THETA_NEWTON_MAX).contains(&theta);
        let below = |kernel: f64, floor: f64| (family != Family::Gaussian || kernel < 0.0) && to_loglik(kernel) < floor;
        let mut fresh = true;
        let mut floor = f64::NEG_INFINITY;
        let mut first: Option<(Vec<f64>, f64)> = None;
        let mut previous: Option<usize> = None;
        for j in order {
            let s = positions[j];
            if previous.is_some_and(|p| p.abs_diff(j) > 1) {
                (walk.beta, walk.theta) = first.clone().unwrap_or_else(|| start.clone());
                fresh = true;
            }
            previous = Some(j);
            if fresh {
                walk.start = s;
                walk.evaluate();
            } else {
                walk.slide_to(s);
                if floor > f64::NEG_INFINITY
                    && trusted(walk.theta)
                    && walk.reach().is_some_and(|bound| below(bound, floor))
                {
                    continue;
                }
            }
            let kernel = if trusted(walk.theta) { walk.climb() } else { None };
            let loglik = match kernel {
                Some(k) if k < 0.0 || family != Family::Gaussian => {
                    fresh = false;
                    to_loglik(k)
                }
                _ => {
                    if null.is_none() {
                        null = Some(self.null_fit(&problem, near)?);
                    }
                    let null = null.as_ref().expect("fitted above");
                    let raw = self.refit(&problem, s, null)?;
                    let usable =
                        raw.converged && raw.beta.iter().all(|b| b.abs() < RUN_OFF) && raw.theta.is_none_or(trusted);
                    (walk.beta, walk.theta) = if usable {
                        (raw.beta, raw.theta.unwrap_or(1.0))
                    } else {
                        (with_zero_step(&null.beta), null.theta.unwrap_or(1.0))
                    };
                    fresh = true;
                    raw.loglik
                }
            };
            first.get_or_insert_with(|| (walk.beta.clone(), walk.theta));
            match visit(j, loglik) {
                Some(next) => floor = next,
                None => break,
            }
        }
        Ok(null.map(|fit| fit.loglik))
    }

    /// The fit without the break, started near the model a replicate was
    /// drawn from when that is known.
    fn null_fit(&self, problem: &Problem, near: Option<Near>) -> Result<RawFit> {
        let (beta, theta) = near.map_or((None, None), |near| (Some(near.null.0), near.null.1));
        let beta = beta.filter(|b| b.iter().all(|v| v.abs() < RUN_OFF));
        fit_problem(problem, beta, theta)
    }

    /// The full fit with the break at observation `s`, started at the null fit.
    fn refit(&self, problem: &Problem, s: usize, null: &RawFit) -> Result<RawFit> {
        let with_step = problem.with_break_from(self.period[s], BreakKind::Level);
        let start: Vec<f64> = null.beta.iter().copied().chain([0.0]).collect();
        fit_problem(&with_step, Some(&start), null.theta)
    }
}

/// A walk over candidate dates: it visits the dates of `order` with their
/// profile log-likelihoods; `visit` returns `None` to stop, or the floor
/// below which a later date does not matter and may be passed over. It
/// returns the null log-likelihood when it fitted the null. The sliding
/// refit ([`SlidingStep`]) and the intercept-only NB scan are walks; the
/// three questions below are asked of either.
pub(crate) trait DateWalk:
    FnOnce(&mut dyn Iterator<Item = usize>, &mut dyn FnMut(usize, f64) -> Option<f64>) -> Result<Option<f64>>
{
}

impl<F> DateWalk for F where
    F: FnOnce(&mut dyn Iterator<Item = usize>, &mut dyn FnMut(usize, f64) -> Option<f64>) -> Result<Option<f64>>
{
}

/// From date `i` to the last of `n`, then back from `i - 1`.
fn from_date(i: usize, n: usize) -> impl Iterator<Item = usize> {
    (i..n).chain((0..i).rev())
}

/// The profile at the dates of `n` that can hold its maximum, the others
/// minus infinity (passed over with the running maximum as floor).
pub(crate) fn near_top_of(n: usize, walk: impl DateWalk) -> Result<Vec<f64>> {
    let mut profile = vec![f64::NEG_INFINITY; n];
    let mut top = f64::NEG_INFINITY;
    walk(&mut (0..n), &mut |j, l| {
        profile[j] = l;
        top = top.max(l);
        Some(top)
    })?;
    Ok(profile)
}

/// The profile at date `i` and its maximum over the `n` dates, with the
/// walk's null log-likelihood if it fitted one.
pub(crate) fn top_from_of(n: usize, i: usize, walk: impl DateWalk) -> Result<([f64; 2], Option<f64>)> {
    let (mut at_i, mut top) = (f64::NAN, f64::NEG_INFINITY);
    let null = walk(&mut from_date(i, n), &mut |j, l| {
        if j == i {
            at_i = l;
        }
        top = top.max(l);
        Some(top)
    })?;
    Ok(([at_i, top], null))
}

/// Whether `2 (max_j l_j - l_i) >= threshold`: the walk starts at `i`, goes
/// to the last date and then back from `i - 1`, stops at the first date
/// that passes the threshold and passes over dates that cannot.
pub(crate) fn exceeds_of(n: usize, i: usize, threshold: f64, walk: impl DateWalk) -> Result<bool> {
    let mut at_i = f64::NAN;
    let mut passed = false;
    walk(&mut from_date(i, n), &mut |j, l| {
        if j == i {
            at_i = l;
        }
        passed = 2.0 * (l - at_i) >= threshold;
        (!passed).then_some(at_i + threshold / 2.0)
    })?;
    Ok(passed)
}
