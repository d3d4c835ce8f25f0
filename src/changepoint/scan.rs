//! The profile log-likelihood of one break over candidate dates.
//!
//! At a date `tau` the profile is the maximised log-likelihood of the model
//! plus the break's terms at `tau` (`step@tau` for a level break; see
//! [`BreakKind`]) with every nuisance parameter re-estimated: the common
//! terms (trend, season, covariates), NB theta and the Gaussian variance. So
//! `detect`'s LR at a date is the LR of `test --at` that date.
//!
//! Two ways to compute it:
//! - closed form, for an intercept-only Poisson model (with exposure) or an
//!   intercept-only Gaussian model, one period per observation: segment
//!   totals are sufficient, O(1) per date;
//! - for an intercept-only NB model without exposure, one period per
//!   observation: each segment's mean is its sample mean whatever theta, so
//!   only theta is searched at each date (Newton in `log theta`, started at
//!   the previous date's), on the distinct counts, whose gamma-function sums
//!   every date shares;
//! - with common terms, exposure under NB, one period per observation: the
//!   sliding refit of [`SlidingStep`], Newton steps from the previous date's
//!   optimum after an O(p^2) update for the observations the step crossed;
//! - a refit per date, for run rows (an observation spanning the break)
//!   and for a change of slope:
//!   Fisher scoring (and theta's Newton steps) warm-started from the fit at
//!   the previous date, whose coefficients and theta are close.

use std::sync::Arc;

use ndarray::{Array2, Axis, concatenate};

use super::cost::{GaussianMeanCost, PoissonCost, SegmentCost};
use super::kind::BreakKind;
use super::sliding::{DateWalk, Near, SlidingStep, exceeds_of, near_top_of, top_from_of};
use crate::data::{Period, Series};
use crate::error::Result;
use crate::model::family::{ln_factorial, trigamma};
use crate::model::fit::{CountGroups, ObsData, Problem, RawFit, THETA_MAX, fit_problem};
use crate::model::{Family, ModelSpec, Term};
use statrs::function::gamma::{digamma, ln_gamma};

/// How the profile is computed.
pub(crate) enum Scan {
    /// Intercept-only Poisson, one period per observation.
    ClosedPoisson {
        /// Exposure of every observation.
        exposure: Option<Vec<f64>>,
    },
    /// Intercept-only Gaussian, one period per observation.
    ClosedGaussian,
    /// Intercept-only NB without exposure, one period per observation.
    ClosedNegbin,
    /// The sliding refit, one period per observation.
    Sliding(SlidingStep),
    /// A refit of the model with the break at every date (run rows, or a
    /// slope change).
    Refit(BreakRefit),
}

/// The model without the break and the break's columns at every candidate date.
pub(crate) struct BreakRefit {
    /// The model without the break, on the observed responses.
    base: Problem,
    /// What changes at the break.
    kind: BreakKind,
    /// Per candidate date, the index of its first period.
    starts: Vec<usize>,
}

impl Scan {
    /// The scan of `model` over `dates` of `series` for a break of `kind`;
    /// closed forms and the sliding refit where they exist (a level break).
    ///
    /// # Errors
    /// As [`Problem::new`].
    pub(crate) fn new(series: &Series, model: &ModelSpec, dates: &[Period], kind: BreakKind) -> Result<Scan> {
        let intercept_only = model.terms == [Term::Intercept] && series.is_simple();
        let level = kind == BreakKind::Level;
        Ok(match model.family {
            _ if !level => Scan::Refit(BreakRefit {
                base: Problem::new(model, series)?,
                kind,
                starts: dates
                    .iter()
                    .map(|&d| series.index_of(d).expect("candidate dates lie in the series"))
                    .collect(),
            }),
            Family::Poisson if intercept_only => Scan::ClosedPoisson {
                exposure: model.use_offset.then(|| series.observation_exposures()).flatten(),
            },
            Family::Gaussian if intercept_only => Scan::ClosedGaussian,
            Family::Negbin if intercept_only && !(model.use_offset && series.has_exposure()) => Scan::ClosedNegbin,
            _ if series.is_simple() => Scan::Sliding(SlidingStep::new(Problem::new(model, series)?)),
            _ => Scan::Refit(BreakRefit {
                base: Problem::new(model, series)?,
                kind,
                starts: dates
                    .iter()
                    .map(|&d| series.index_of(d).expect("candidate dates lie in the series"))
                    .collect(),
            }),
        })
    }

    /// Whether the profile has a closed form.
    pub(crate) fn is_closed(&self) -> bool {
        !matches!(self, Scan::Refit(_) | Scan::Sliding(_))
    }

    /// Profile log-likelihoods at candidate `positions` (observation
    /// indices, for the closed forms) and the null log-likelihood, for
    /// responses `y`. Without `constants`, the closed forms leave out terms
    /// common to every date (log-likelihood differences, all the bootstrap
    /// needs, are unchanged).
    ///
    /// # Errors
    /// Fitting errors of a refit.
    pub(crate) fn profile(&self, y: &[f64], positions: &[usize], constants: bool) -> Result<(Vec<f64>, f64)> {
        let n = y.len();
        match self {
            Scan::ClosedPoisson { exposure } => {
                let c = if constants {
                    PoissonCost::new(y, exposure.as_deref())
                } else {
                    PoissonCost::relative(y, exposure.as_deref())
                };
                let to_ll = |total: f64| -(total + c.constant()) / 2.0;
                let profile = positions.iter().map(|&i| to_ll(c.cost(0, i) + c.cost(i, n))).collect();
                Ok((profile, to_ll(c.cost(0, n))))
            }
            Scan::ClosedGaussian => {
                let c = GaussianMeanCost::new(y);
                let nn = n as f64;
                let to_ll =
                    |rss: f64| -nn / 2.0 * ((2.0 * std::f64::consts::PI * rss.max(f64::MIN_POSITIVE) / nn).ln() + 1.0);
                let profile = positions.iter().map(|&i| to_ll(c.cost(0, i) + c.cost(i, n))).collect();
                Ok((profile, to_ll(c.cost(0, n))))
            }
            Scan::ClosedNegbin => Ok(negbin_profile(y, positions, constants)),
            Scan::Sliding(sliding) => sliding.profile(y, positions),
            Scan::Refit(refit) => refit.profile(y),
        }
    }
}

impl Scan {
    /// Whether `2 (max_j l_j - l_i) >= threshold` for responses `y`: one
    /// replicate's exceedance in the date-set test at date `i`. The sliding
    /// refit stops at the first date past the threshold; the others compute
    /// the whole profile.
    ///
    /// # Errors
    /// As [`Scan::profile`].
    pub(crate) fn exceeds(&self, y: &[f64], positions: &[usize], i: usize, threshold: f64, near: Near) -> Result<bool> {
        if let Scan::Sliding(sliding) = self {
            return sliding.exceeds(y, positions, i, threshold, near);
        }
        if let Scan::ClosedNegbin = self {
            return exceeds_of(positions.len(), i, threshold, negbin_walk(y, positions, false));
        }
        let (profile, _) = self.profile(y, positions, false)?;
        let top = profile.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Ok(2.0 * (top - profile[i]) >= threshold)
    }

    /// The profile at the dates that can hold its maximum, the others minus
    /// infinity: what the best date needs. The sliding refit and the
    /// intercept-only NB scan pass over the others.
    ///
    /// # Errors
    /// As [`Scan::profile`].
    pub(crate) fn near_top(&self, y: &[f64], positions: &[usize]) -> Result<Vec<f64>> {
        match self {
            Scan::Sliding(sliding) => sliding.near_top(y, positions),
            Scan::ClosedNegbin => near_top_of(positions.len(), negbin_walk(y, positions, true)),
            _ => Ok(self.profile(y, positions, true)?.0),
        }
    }

    /// The profile log-likelihood at date `i` and the largest over all
    /// dates, with the null log-likelihood (one constant throughout): a
    /// replicate's sup-LR statistic and date-set statistic. The sliding
    /// refit passes over dates that cannot reach the running maximum.
    ///
    /// # Errors
    /// As [`Scan::profile`].
    pub(crate) fn top_from(&self, y: &[f64], positions: &[usize], i: usize, near: Near) -> Result<([f64; 2], f64)> {
        if let Scan::Sliding(sliding) = self {
            return sliding.top_from(y, positions, i, near);
        }
        if let Scan::ClosedNegbin = self {
            let (at_i_and_top, null) = top_from_of(positions.len(), i, negbin_walk(y, positions, false))?;
            return Ok((at_i_and_top, null.expect("the NB scan fits the null")));
        }
        let (profile, null) = self.profile(y, positions, false)?;
        let top = profile.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Ok(([profile[i], top], null))
    }
}

/// The NB profile of the intercept-only model with a step at each position
/// (and the null), theta re-estimated at each: with segment sample means
/// `mu_s` over `n_s` observations totalling `Y_s`,
/// `l(theta) = sum_g c_g A(y_g, theta) + sum_s [Y_s ln mu_s - (n_s theta + Y_s) ln(1 + mu_s / theta)] - sum ln y_i!`,
/// `A(y, r) = ln G(y + r) - ln G(r) - y ln r` summed over the distinct counts.
fn negbin_profile(y: &[f64], positions: &[usize], constants: bool) -> (Vec<f64>, f64) {
    let scan = NegbinSegments::new(y, constants);
    let mut profile = vec![0.0; positions.len()];
    let null = scan.walk(positions, 0..positions.len(), |j, l| {
        profile[j] = l;
        Some(f64::NEG_INFINITY)
    });
    (profile, null)
}

/// The intercept-only NB scan of `y` as a [`DateWalk`].
fn negbin_walk<'a>(y: &'a [f64], positions: &'a [usize], constants: bool) -> impl DateWalk + 'a {
    move |order: &mut dyn Iterator<Item = usize>, visit: &mut dyn FnMut(usize, f64) -> Option<f64>| {
        Ok(Some(NegbinSegments::new(y, constants).walk(positions, order, visit)))
    }
}

/// The counts of one series laid out for [`negbin_profile`]: their distinct
/// values and prefix sums, so that a split costs O(1) at a given theta and
/// only theta's search visits the count groups.
struct NegbinSegments {
    groups: CountGroups,
    prefix: Vec<f64>,
    constant: f64,
}

/// The count-group terms of `l(theta)` and its first two derivatives in theta.
#[derive(Clone, Copy)]
struct GroupTerms {
    theta: f64,
    a: f64,
    d1: f64,
    d2: f64,
}

impl NegbinSegments {
    fn new(y: &[f64], constants: bool) -> NegbinSegments {
        let mut prefix = Vec::with_capacity(y.len() + 1);
        prefix.push(0.0);
        for &v in y {
            prefix.push(prefix.last().copied().unwrap_or(0.0) + v);
        }
        NegbinSegments {
            groups: CountGroups::from_pairs(y.iter().map(|&v| (v, 1.0))),
            prefix,
            constant: if constants {
                -y.iter().map(|&v| ln_factorial(v)).sum::<f64>()
            } else {
                0.0
            },
        }
    }

    fn n(&self) -> usize {
        self.prefix.len() - 1
    }

    /// Observations and total of each segment, split before `cut`.
    fn segments(&self, cut: Option<usize>) -> Vec<(f64, f64)> {
        let n = self.n();
        let bounds: Vec<usize> = std::iter::once(0).chain(cut).chain([n]).collect();
        bounds
            .windows(2)
            .map(|w| ((w[1] - w[0]) as f64, self.prefix[w[1]] - self.prefix[w[0]]))
            .collect()
    }

    fn group_terms(&self, theta: f64, derivatives: bool) -> GroupTerms {
        let a = self.groups.rising_sums(
            theta,
            |j, r| [(j / r).ln_1p(), 0.0],
            |v, r| [ln_gamma(v + r) - ln_gamma(r) - v * r.ln(), 0.0],
            |_| [1.0, 0.0],
        )[0];
        let [d1, d2] = if derivatives {
            self.groups.rising_sums(
                theta,
                |j, r| [1.0 / (r + j), -1.0 / ((r + j) * (r + j))],
                |v, r| [digamma(v + r) - digamma(r), trigamma(v + r) - trigamma(r)],
                |_| [1.0, 1.0],
            )
        } else {
            [f64::NAN; 2]
        };
        GroupTerms { theta, a, d1, d2 }
    }

    /// `l`, and its score and information in `ln theta`, at the group terms' theta.
    fn at(g: &GroupTerms, segs: &[(f64, f64)]) -> [f64; 3] {
        let theta = g.theta;
        let (mut l, mut l1, mut l2) = (g.a, g.d1, g.d2);
        for &(k, total) in segs {
            let mu = total / k;
            if total > 0.0 {
                l += total * mu.ln() - (k * theta + total) * (mu / theta).ln_1p();
            }
            l1 -= k * (mu / theta).ln_1p();
            l2 += k * mu / (theta * (theta + mu));
        }
        [l, l1 * theta, -(l2 * theta * theta + l1 * theta)]
    }

    /// The maximum over theta (from `start`) for segments `segs`, with the
    /// group terms at the theta reached.
    fn maximise(&self, start: f64, segs: &[(f64, f64)]) -> (f64, GroupTerms) {
        if segs.iter().all(|s| s.1 <= 0.0) {
            let g = self.group_terms(THETA_MAX, true);
            return (0.0, g);
        }
        let mut u = start.ln();
        let mut current = self.group_terms(start, true);
        let mut value = Self::at(&current, segs)[0];
        for _ in 0..100 {
            let [_, g, info] = Self::at(&current, segs);
            let mut step = if info > 0.0 { g / info } else { g.signum() };
            step = step.clamp(-3.0, 3.0);
            let mut moved = false;
            for _ in 0..40 {
                let candidate = (u + step).min(THETA_MAX.ln());
                let terms = self.group_terms(candidate.exp(), true);
                let v = Self::at(&terms, segs)[0];
                if v.is_finite() && v >= value - 1e-14 * (1.0 + value.abs()) {
                    moved = candidate != u;
                    (u, value, current) = (candidate, v, terms);
                    break;
                }
                step *= 0.5;
            }
            if !moved || step.abs() < 1e-12 || u >= THETA_MAX.ln() {
                break;
            }
        }
        (value, current)
    }

    /// Visits the dates `order` with their profile log-likelihoods, as
    /// [`SlidingStep`]'s walk does: `visit` returns `None` to stop, or the
    /// floor below which a date does not matter. A date whose bound
    /// `l + 2 d + 0.5` at the current theta (`d` the Newton decrement in
    /// `ln theta`; see `Walk::reach` in sliding.rs) lies below it is passed
    /// over, at O(1) instead of a search over the count groups. Returns the
    /// null log-likelihood.
    fn walk(
        &self,
        positions: &[usize],
        order: impl Iterator<Item = usize>,
        mut visit: impl FnMut(usize, f64) -> Option<f64>,
    ) -> f64 {
        let n = self.n();
        let total = self.prefix[n];
        let spread: f64 = (0..n)
            .map(|t| ((self.prefix[t + 1] - self.prefix[t]) * n as f64 / total - 1.0).powi(2))
            .sum();
        let start = if total > 0.0 && spread > 0.0 {
            (n as f64 / spread).clamp(1e-3, THETA_MAX)
        } else {
            1.0
        };
        let (null, null_terms) = self.maximise(start, &self.segments(None));
        let mut terms = null_terms;
        let mut first: Option<GroupTerms> = None;
        let mut previous: Option<usize> = None;
        let mut floor = f64::NEG_INFINITY;
        for j in order {
            if previous.is_some_and(|p| p.abs_diff(j) > 1) {
                terms = first.unwrap_or(null_terms);
            }
            previous = Some(j);
            let segs = self.segments(Some(positions[j]));
            if floor > f64::NEG_INFINITY && terms.theta < THETA_MAX {
                let [l, g, info] = Self::at(&terms, &segs);
                let decrement = if info > 0.0 { g * g / info } else { f64::INFINITY };
                if decrement <= 8.0 && l + 2.0 * decrement + 0.5 + self.constant < floor {
                    continue;
                }
            }
            let (l, reached) = self.maximise(terms.theta.min(1e6), &segs);
            terms = reached;
            first.get_or_insert(terms);
            match visit(j, l + self.constant) {
                Some(next) => floor = next,
                None => break,
            }
        }
        null + self.constant
    }
}

impl BreakRefit {
    /// The null fit and the fit with the step at every date, for responses `y`.
    fn profile(&self, y: &[f64]) -> Result<(Vec<f64>, f64)> {
        let null_problem = self.base.with_responses(y);
        let null = fit_problem(&null_problem, None, None)?;
        let mut start: Option<RawFit> = None;
        let mut profile = Vec::with_capacity(self.starts.len());
        for &t0 in &self.starts {
            let problem = null_problem.with_break_from(t0, self.kind);
            // Warm start at the previous date's fit, unless it ran off to a
            // boundary (a coefficient at infinity) or did not converge; then
            // at the null fit with no jump.
            let warm = start
                .as_ref()
                .filter(|f| f.converged && f.beta.iter().all(|b| b.abs() < 30.0));
            let (beta0, theta0) = match warm {
                Some(f) => (f.beta.clone(), f.theta),
                None => (
                    null.beta
                        .iter()
                        .copied()
                        .chain(vec![0.0; self.kind.parameters()])
                        .collect(),
                    null.theta,
                ),
            };
            let raw = fit_problem(&problem, Some(&beta0), theta0)?;
            profile.push(raw.loglik);
            start = Some(raw);
        }
        Ok((profile, null.loglik))
    }
}

impl Problem {
    /// The same problem with the columns of a break of `kind` at period
    /// `t0`, as [`BreakKind::terms`] builds them: the step 1 from `t0` on,
    /// the hinge `max(t - t0, 0)`, or both (in that order).
    pub(crate) fn with_break_from(&self, t0: usize, kind: BreakKind) -> Problem {
        let step = |t: usize| if t >= t0 { 1.0 } else { 0.0 };
        let hinge = |t: usize| t.saturating_sub(t0) as f64;
        let columns: Vec<&dyn Fn(usize) -> f64> = match kind {
            BreakKind::Level => vec![&step],
            BreakKind::Slope => vec![&hinge],
            BreakKind::Both => vec![&step, &hinge],
        };
        let added = Array2::from_shape_fn((self.x.nrows(), columns.len()), |(t, j)| columns[j](t));
        Problem {
            x: concatenate(Axis(1), &[self.x.view(), added.view()]).expect("rows agree"),
            ..self.clone()
        }
    }

    /// The same problem with other responses.
    pub(crate) fn with_responses(&self, y: &[f64]) -> Problem {
        let obs: Vec<ObsData> = self
            .obs
            .iter()
            .zip(y)
            .map(|(o, &v)| ObsData { y: v, ..o.clone() })
            .collect();
        Problem {
            obs: Arc::new(obs),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::read_series;

    /// Monthly counts from 2020-01 (a missing count is a gap), with
    /// exposure when given.
    fn series(counts: &[Option<u32>], exposure: Option<&[f64]>) -> Series {
        let mut csv = String::from(if exposure.is_some() {
            "period,count,exposure\n"
        } else {
            "period,count\n"
        });
        for (i, c) in counts.iter().enumerate() {
            let Some(c) = c else { continue };
            csv += &format!("{}-{:02},{c}", 2020 + i / 12, i % 12 + 1);
            if let Some(e) = exposure {
                csv += &format!(",{}", e[i]);
            }
            csv += "\n";
        }
        read_series(csv.as_bytes(), "t.csv").unwrap()
    }

    /// The sliding profile against a full refit at every date.
    fn agree(series: &Series, family: Family, terms: Vec<Term>) {
        let model = ModelSpec {
            family,
            terms,
            use_offset: true,
        };
        let positions: Vec<usize> = (3..=series.n_obs() - 3).collect();
        let dates: Vec<Period> = positions
            .iter()
            .map(|&i| series.period(series.observations[i].periods[0]))
            .collect();
        let sliding = Scan::new(series, &model, &dates, BreakKind::Level).unwrap();
        assert_eq!(matches!(sliding, Scan::Sliding(_)), model.terms.len() > 1);
        let refit = Scan::Refit(BreakRefit {
            kind: BreakKind::Level,
            base: Problem::new(&model, series).unwrap(),
            starts: dates.iter().map(|&d| series.index_of(d).unwrap()).collect(),
        });
        let y: Vec<f64> = series.observations.iter().map(|o| o.y).collect();
        let (fast, null_fast) = sliding.profile(&y, &positions, true).unwrap();
        let (slow, null_slow) = refit.profile(&y, &positions, true).unwrap();
        assert!((null_fast - null_slow).abs() < 1e-12 * null_slow.abs());
        for (i, (a, b)) in fast.iter().zip(&slow).enumerate() {
            assert!((a - b).abs() < 1e-8, "{family:?} date {i}: {a} vs {b}");
        }
    }

    /// The screened walks (`top_from`, `exceeds`) against the full profile,
    /// on replicates of `series` (over-dispersed counts, or noisy values).
    fn screening_agrees(series: &Series, family: Family, terms: Vec<Term>) {
        use rand_distr::{Distribution, Gamma, Normal};
        let model = ModelSpec {
            family,
            terms,
            use_offset: true,
        };
        let positions: Vec<usize> = (3..=series.n_obs() - 3).collect();
        let dates: Vec<Period> = positions
            .iter()
            .map(|&i| series.period(series.observations[i].periods[0]))
            .collect();
        let scan = Scan::new(series, &model, &dates, BreakKind::Level).unwrap();
        let null = crate::model::fit(&model, series).unwrap();
        let near = Near {
            null: (&null.beta, null.theta),
            step: None,
        };
        let observed: Vec<f64> = series.observations.iter().map(|o| o.y).collect();
        for r in 0..12 {
            let mut rng = crate::simulate::stream_rng(11, 0, r);
            let y: Vec<f64> = observed
                .iter()
                .map(|&v| match family {
                    Family::Gaussian => v + Normal::new(0.0, 3.0).unwrap().sample(&mut rng),
                    _ => {
                        let rate = Gamma::new(2.0, (v + 0.5) / 2.0).unwrap().sample(&mut rng);
                        Family::Poisson
                            .draw(rate, 1.0, crate::model::Dispersion::None, &mut rng)
                            .unwrap()
                    }
                })
                .collect();
            let (profile, null_loglik) = scan.profile(&y, &positions, true).unwrap();
            let top = profile.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            // Every date near the maximum is visited, at its exact value.
            let near_top = scan.near_top(&y, &positions).unwrap();
            for (a, b) in near_top.iter().zip(&profile) {
                assert!(
                    *a == f64::NEG_INFINITY || (a - b).abs() < 1e-7,
                    "{family:?} replicate {r}: {a} vs {b}"
                );
                assert!(
                    *b < top - 1e-6 || (a - b).abs() < 1e-7,
                    "{family:?} replicate {r}: {b} at {top} passed over"
                );
            }
            for i in (0..positions.len()).step_by(4) {
                // The closed scans leave out the constants: compare against the null.
                let ([at_i, best], null_i) = scan.top_from(&y, &positions, i, near).unwrap();
                let relative = |l: f64, null: f64| l - null;
                assert!(
                    (relative(at_i, null_i) - relative(profile[i], null_loglik)).abs() < 1e-7,
                    "{family:?} replicate {r} date {i}"
                );
                assert!(
                    (relative(best, null_i) - relative(top, null_loglik)).abs() < 1e-7,
                    "{family:?} replicate {r} from {i}: {best} vs {top}"
                );
                let gap = 2.0 * (top - profile[i]);
                for threshold in [0.5 * gap, gap - 1e-5, gap + 1e-5, 2.0 * gap + 1.0, gap + 8.0] {
                    let passed = scan.exceeds(&y, &positions, i, threshold, near).unwrap();
                    assert_eq!(
                        passed,
                        gap >= threshold,
                        "{family:?} replicate {r} date {i} at {threshold}"
                    );
                }
            }
        }
    }

    #[test]
    fn passing_over_dates_that_cannot_matter_keeps_every_answer() {
        let mut counts: Vec<Option<u32>> = BURSTY.iter().map(|&c| Some(c)).collect();
        let exposure: Vec<f64> = (0..40).map(|i| 50.0 + (i * 7 % 13) as f64).collect();
        let plain = series(&counts, None);
        for family in [Family::Poisson, Family::Negbin, Family::Gaussian] {
            screening_agrees(&plain, family, vec![Term::Intercept, Term::Trend]);
        }
        screening_agrees(
            &series(&counts, Some(&exposure)),
            Family::Negbin,
            vec![Term::Intercept, Term::Trend],
        );
        // A run of zeros, where a step's rate runs to zero.
        counts.extend([Some(0); 6]);
        screening_agrees(
            &series(&counts, None),
            Family::Poisson,
            vec![Term::Intercept, Term::Trend],
        );
        screening_agrees(
            &series(&counts, None),
            Family::Negbin,
            vec![Term::Intercept, Term::Trend],
        );
        // A long series, where most dates are passed over.
        let long: Vec<Option<u32>> = (0..300)
            .map(|i| Some(BURSTY[i % 40] + u32::from(i > 170) * 6 + (i / 30) as u32))
            .collect();
        screening_agrees(&series(&long, None), Family::Negbin, vec![Term::Intercept, Term::Trend]);
        screening_agrees(
            &series(&long, None),
            Family::Poisson,
            vec![Term::Intercept, Term::Trend],
        );
        // The intercept-only NB scan passes over dates the same way.
        screening_agrees(&series(&long, None), Family::Negbin, vec![Term::Intercept]);
        screening_agrees(&series(&counts, None), Family::Negbin, vec![Term::Intercept]);
        screening_agrees(&plain, Family::Negbin, vec![Term::Intercept]);
    }

    const BURSTY: [u32; 40] = [
        3, 9, 4, 2, 7, 5, 1, 6, 11, 4, 3, 8, 5, 2, 6, 9, 3, 4, 7, 1, //
        14, 9, 21, 7, 12, 16, 5, 19, 11, 8, 25, 13, 10, 6, 17, 9, 15, 22, 8, 12,
    ];

    #[test]
    fn the_sliding_refit_equals_a_full_refit_at_every_date() {
        let mut counts: Vec<Option<u32>> = BURSTY.iter().map(|&c| Some(c)).collect();
        counts[17] = None;
        counts[18] = None;
        let exposure: Vec<f64> = (0..40).map(|i| 50.0 + (i * 7 % 13) as f64).collect();
        let gappy = series(&counts, None);
        let exposed = series(&counts, Some(&exposure));
        for family in [Family::Poisson, Family::Negbin, Family::Gaussian] {
            agree(&gappy, family, vec![Term::Intercept, Term::Trend]);
        }
        agree(&exposed, Family::Poisson, vec![Term::Intercept]);
        agree(&exposed, Family::Negbin, vec![Term::Intercept, Term::Trend]);
    }

    #[test]
    fn dates_whose_step_runs_to_infinity_fall_back_to_the_full_refit() {
        // Zeros at the end: the step coefficient of late dates goes to minus
        // infinity; and Poisson-like counts, where NB theta runs to its cap.
        let mut counts: Vec<Option<u32>> = BURSTY.iter().map(|&c| Some(c)).collect();
        counts.extend([Some(0); 6]);
        agree(
            &series(&counts, None),
            Family::Poisson,
            vec![Term::Intercept, Term::Trend],
        );
        agree(
            &series(&counts, None),
            Family::Negbin,
            vec![Term::Intercept, Term::Trend],
        );
        let calm: Vec<Option<u32>> = (0..40).map(|i| Some(10 + (i * 3 % 5) as u32)).collect();
        agree(&series(&calm, None), Family::Negbin, vec![Term::Intercept, Term::Trend]);
    }
}
