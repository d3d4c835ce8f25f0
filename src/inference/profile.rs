//! Profile-likelihood intervals: the set of values `b` of a linear
//! combination `c' beta` that a likelihood-ratio test at the given level does
//! not reject, i.e. `2 (l_max - l_p(b)) <= z^2`. Each end is a root found by
//! Brent's method on the refitted profile (theta re-estimated for NB, the
//! variance for the Gaussian), never read off a grid. An end beyond which the
//! profile never drops far enough (an estimate at infinity, or a log-scale
//! end more than 40 units, a factor e^40, from the estimate) is `None`.

use super::root::brent;
use super::{Interval, IntervalMethod, Level};
use crate::error::{Error, Result};
use crate::model::fit::{Bound, Fit, Problem, fit_problem};

/// Farthest a log-link interval end is searched from the estimate.
const MAX_LOG_DISTANCE: f64 = 40.0;

impl Fit {
    /// Maximum log-likelihood with `c' beta` held at `b`.
    ///
    /// # Errors
    /// Numerical failure of the constrained fit, or a non-finite `b` or `c`.
    pub fn profile_loglik(&self, c: &[f64], b: f64) -> Result<f64> {
        if !b.is_finite() || c.iter().any(|v| !v.is_finite()) {
            return Err(Error::Numerical(format!(
                "a profile likelihood was asked at a non-finite value ({b}); the fit's estimates are not finite"
            )));
        }
        let j = (0..c.len())
            .max_by(|&a, &k| c[a].abs().total_cmp(&c[k].abs()))
            .expect("at least one coefficient");
        let p = self.beta.len();
        let xj = self.problem.x.column(j).to_owned();
        let others: Vec<usize> = (0..p).filter(|&k| k != j).collect();
        let mut x = ndarray::Array2::zeros((self.problem.x.nrows(), others.len()));
        for (col, &k) in others.iter().enumerate() {
            let mut target = x.column_mut(col);
            target.assign(&self.problem.x.column(k));
            target.scaled_add(-c[k] / c[j], &xj);
        }
        let offset = &self.problem.offset + &(&xj * (b / c[j]));
        let reduced = Problem {
            family: self.problem.family,
            x,
            offset,
            obs: self.problem.obs.clone(),
        };
        let warm: Vec<f64> = others.iter().map(|&k| self.beta[k]).collect();
        let raw = fit_problem(&reduced, Some(&warm), self.theta)?;
        if raw.converged && raw.loglik.is_finite() {
            return Ok(raw.loglik);
        }
        // A warm start far from the constrained optimum can overflow; start
        // cold (the offset-aware default) before giving up.
        let cold = fit_problem(&reduced, None, self.theta)?;
        if cold.loglik.is_finite() {
            Ok(cold.loglik.max(if raw.loglik.is_finite() {
                raw.loglik
            } else {
                f64::NEG_INFINITY
            }))
        } else {
            Err(Error::Numerical(format!(
                "the profile fit with the combination held at {b} did not converge"
            )))
        }
    }

    /// Profile-likelihood interval for coefficient `j`.
    ///
    /// # Errors
    /// Numerical failure of a constrained fit.
    pub fn profile_interval(&self, j: usize, level: Level) -> Result<Interval> {
        let mut c = vec![0.0; self.beta.len()];
        c[j] = 1.0;
        let se = self.std_errors(super::CovarianceKind::Model).ok().and_then(|s| s[j]);
        self.profile_interval_of(&c, level, self.bounds[j], se)
    }

    /// Profile-likelihood interval for `c' beta`; `bound` says whether the
    /// estimate lies at infinity, `se` sets the first search step.
    pub(crate) fn profile_interval_of(
        &self,
        c: &[f64],
        level: Level,
        bound: Option<Bound>,
        se: Option<f64>,
    ) -> Result<Interval> {
        let estimate: f64 = c.iter().zip(&self.beta).map(|(a, b)| a * b).sum();
        let crit = level.z().powi(2);
        let gap = |b: f64| -> Result<f64> { Ok(2.0 * (self.loglik - self.profile_loglik(c, b)?) - crit) };
        let mut ends = [None, None];
        for (side, dir) in [(0usize, -1.0f64), (1, 1.0)] {
            let open = matches!(
                (bound, side),
                (Some(Bound::MinusInfinity), 0) | (Some(Bound::PlusInfinity), 1)
            );
            if open {
                continue;
            }
            let mut h = se.filter(|s| s.is_finite() && *s > 0.0).map_or(1.0, |s| level.z() * s);
            let mut inner = estimate;
            let mut outer = None;
            for _ in 0..60 {
                // On the log scale an end beyond e^40 times a finite estimate is open.
                if bound.is_none() && self.spec.family.log_link() && h > MAX_LOG_DISTANCE {
                    break;
                }
                let b = estimate + dir * h;
                let g = gap(b)?;
                if g > 0.0 {
                    outer = Some(b);
                    break;
                }
                inner = b;
                h *= if bound.is_some() { 2.0 } else { 1.5 };
            }
            let Some(outer) = outer else { continue };
            let tol = 1e-11 * (1.0 + estimate.abs().min(1e3));
            let mut err = None;
            let root = brent(
                |b| match gap(b) {
                    Ok(v) => v,
                    Err(e) => {
                        err = Some(e);
                        f64::NAN
                    }
                },
                inner,
                outer,
                tol,
            );
            if let Some(e) = err {
                return Err(e);
            }
            ends[side] = root;
        }
        Ok(Interval {
            estimate: bound.is_none().then_some(estimate),
            low: ends[0],
            high: ends[1],
            level: level.value(),
            method: IntervalMethod::Profile,
        })
    }
}
