//! Many tests at once: p-values adjusted across series.
//!
//! - Benjamini–Hochberg (1995) q-values control the false discovery rate
//!   for independent or positively dependent tests (PRDS);
//! - Benjamini–Yekutieli (2001) multiply them by `sum_{i<=m} 1/i`, which
//!   controls it under any dependence (series that share attack waves);
//! - Holm (1979) adjusted p-values control the family-wise error rate.
//!
//! Each takes `None` for a series without a p-value (skipped): it is left
//! out of `m` and gets `None` back. The adjusted values are those of R's
//! `p.adjust(p, "BH" | "BY" | "holm")` on the p-values present.

use serde::Serialize;

/// Which false-discovery-rate procedure gives the q-values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FdrMethod {
    /// Benjamini–Hochberg: independent or positively dependent tests.
    #[default]
    Bh,
    /// Benjamini–Yekutieli: any dependence.
    By,
}

/// q-values by `method`.
pub fn q_values(p: &[Option<f64>], method: FdrMethod) -> Vec<Option<f64>> {
    let (index, values) = present(p);
    let m = values.len();
    let factor = match method {
        FdrMethod::Bh => 1.0,
        FdrMethod::By => (1..=m).map(|i| 1.0 / i as f64).sum(),
    };
    // Step up: from the largest p-value down, the running minimum of
    // p_(i) m / i.
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    let mut adjusted = vec![0.0; m];
    let mut running = f64::INFINITY;
    for (k, &i) in order.iter().enumerate() {
        let rank = (m - k) as f64;
        running = running.min(values[i] * m as f64 * factor / rank);
        adjusted[i] = running.min(1.0);
    }
    scatter(p.len(), &index, &adjusted)
}

/// Holm's step-down adjusted p-values.
pub fn holm(p: &[Option<f64>]) -> Vec<Option<f64>> {
    let (index, values) = present(p);
    let m = values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut adjusted = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (k, &i) in order.iter().enumerate() {
        running = running.max(((m - k) as f64 * values[i]).min(1.0));
        adjusted[i] = running;
    }
    scatter(p.len(), &index, &adjusted)
}

fn present(p: &[Option<f64>]) -> (Vec<usize>, Vec<f64>) {
    p.iter().enumerate().filter_map(|(i, v)| v.map(|v| (i, v))).unzip()
}

fn scatter(n: usize, index: &[usize], values: &[f64]) -> Vec<Option<f64>> {
    let mut out = vec![None; n];
    for (&i, &v) in index.iter().zip(values) {
        out[i] = Some(v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(v: &[f64]) -> Vec<Option<f64>> {
        v.iter().copied().map(Some).collect()
    }

    fn close(a: &[Option<f64>], b: &[f64]) {
        for (x, y) in a.iter().zip(b) {
            assert!((x.unwrap() - y).abs() < 1e-15, "{a:?} vs {b:?}");
        }
    }

    /// R 4.x: p <- c(0.01, 0.04, 0.03, 0.005, 0.2);
    /// p.adjust(p, "BH"), p.adjust(p, "BY"), p.adjust(p, "holm").
    #[test]
    fn adjustments_match_r_p_adjust() {
        let p = some(&[0.01, 0.04, 0.03, 0.005, 0.2]);
        close(&q_values(&p, FdrMethod::Bh), &[0.025, 0.05, 0.05, 0.025, 0.2]);
        close(
            &q_values(&p, FdrMethod::By),
            &[
                0.0570833333333333,
                0.1141666666666667,
                0.1141666666666667,
                0.0570833333333333,
                0.4566666666666667,
            ],
        );
        close(&holm(&p), &[0.04, 0.09, 0.09, 0.025, 0.2]);
    }

    #[test]
    fn a_missing_p_value_is_left_out_of_m() {
        let p = vec![Some(0.01), None, Some(0.04)];
        let q = q_values(&p, FdrMethod::Bh);
        assert_eq!(q[1], None);
        close(&[q[0], q[2]], &[0.02, 0.04]);
        assert_eq!(holm(&p)[1], None);
    }
}
