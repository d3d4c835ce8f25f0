//! Bracketed root finding (Brent's method), for profile-likelihood interval
//! ends where the signed likelihood-ratio root crosses the normal quantile.

/// Finds `x` in `[a, b]` with `f(x) = 0`, given `f(a)` and `f(b)` of opposite
/// signs, to absolute tolerance `tol` in `x`. Returns `None` without a bracket.
///
/// # References
/// Brent, R. P. (1973). *Algorithms for Minimization without Derivatives*, ch. 4.
pub fn brent(mut f: impl FnMut(f64) -> f64, a: f64, b: f64, tol: f64) -> Option<f64> {
    let (fa, fb) = (f(a), f(b));
    brent_bracketed(f, (a, fa), (b, fb), tol)
}

/// [`brent`] from a guess: the bracket grows outward from `guess ± step`
/// (the step doubling, clipped to `[lo, hi]`) until `f` changes sign in it.
/// A good guess costs a few evaluations where the whole of `[lo, hi]`
/// costs a bisection down to the root's neighbourhood first.
pub fn brent_near(mut f: impl FnMut(f64) -> f64, guess: f64, step: f64, (lo, hi): (f64, f64), tol: f64) -> Option<f64> {
    let mut step = step.abs().max(f64::MIN_POSITIVE);
    let guess = guess.clamp(lo, hi);
    loop {
        let (a, b) = ((guess - step).max(lo), (guess + step).min(hi));
        let (fa, fb) = (f(a), f(b));
        if !(fa.is_finite() && fb.is_finite()) || fa * fb <= 0.0 || (a == lo && b == hi) {
            return brent_bracketed(f, (a, fa), (b, fb), tol);
        }
        step *= 4.0;
    }
}

/// [`brent`] with `f` known at both ends.
fn brent_bracketed(mut f: impl FnMut(f64) -> f64, (a, fa): (f64, f64), (b, fb): (f64, f64), tol: f64) -> Option<f64> {
    let (mut a, mut b) = (a, b);
    let (mut fa, mut fb) = (fa, fb);
    if !(fa.is_finite() && fb.is_finite()) || fa * fb > 0.0 {
        return None;
    }
    if fa == 0.0 {
        return Some(a);
    }
    let (mut c, mut fc) = (a, fa);
    let mut d = b - a;
    let mut e = d;
    for _ in 0..200 {
        if fb * fc > 0.0 {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol1 = 2.0 * f64::EPSILON * b.abs() + 0.5 * tol;
        let xm = 0.5 * (c - b);
        if xm.abs() <= tol1 || fb == 0.0 {
            return Some(b);
        }
        if e.abs() >= tol1 && fa.abs() > fb.abs() {
            let s = fb / fa;
            let (mut p, mut q) = if a == c {
                (2.0 * xm * s, 1.0 - s)
            } else {
                let q = fa / fc;
                let r = fb / fc;
                (
                    s * (2.0 * xm * q * (q - r) - (b - a) * (r - 1.0)),
                    (q - 1.0) * (r - 1.0) * (s - 1.0),
                )
            };
            if p > 0.0 {
                q = -q;
            }
            p = p.abs();
            if 2.0 * p < (3.0 * xm * q - (tol1 * q).abs()).min((e * q).abs()) {
                e = d;
                d = p / q;
            } else {
                d = xm;
                e = d;
            }
        } else {
            d = xm;
            e = d;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol1 { d } else { tol1.copysign(xm) };
        fb = f(b);
        if !fb.is_finite() {
            return None;
        }
    }
    Some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_square_root_of_two() {
        let r = brent(|x| x * x - 2.0, 0.0, 2.0, 1e-14).unwrap();
        assert!((r - 2f64.sqrt()).abs() < 1e-13);
    }

    #[test]
    fn brent_near_widens_a_bracket_that_misses_the_root() {
        let mut calls = 0;
        let r = brent_near(
            |x| {
                calls += 1;
                x.powi(3) - 1000.0
            },
            1.0,
            0.5,
            (-1e6, 1e6),
            1e-12,
        )
        .unwrap();
        assert!((r - 10.0).abs() < 1e-10);
        let near = brent_near(|x| x.powi(3) - 1000.0, 9.9, 0.5, (-1e6, 1e6), 1e-12).unwrap();
        assert!((near - 10.0).abs() < 1e-10);
        assert!(calls < 60, "{calls}");
        assert!(brent_near(|x| x * x + 1.0, 0.0, 1.0, (-5.0, 5.0), 1e-12).is_none());
    }

    #[test]
    fn needs_a_bracket() {
        assert!(brent(|x| x * x + 1.0, -1.0, 1.0, 1e-12).is_none());
    }
}
