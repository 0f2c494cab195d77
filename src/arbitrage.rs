//! Static-arbitrage checks of fitted smiles.
//!
//! - **Butterfly** (Durrleman; Gatheral & Jacquier 2014, Lemma 2.2): with w′, w″ the k-derivatives of total
//!   variance, g(k) = (1 − k·w′/(2w))² − (w′²/4)·(1/w + 1/4) + w″/2 must be ≥ 0 everywhere (the risk-neutral
//!   density is g/√(2πw)·e^(−d₋²/2)); w must be positive.
//! - **Calendar** (GJ2014 Lemma 2.1): total variance w(k, T) non-decreasing in T at every fixed k, with k measured
//!   against each expiry's own forward.

use serde::{Deserialize, Serialize};

use crate::models::SmileModel;

/// Butterfly-arbitrage summary of a fitted smile (Durrleman's g(k) on a dense grid).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ButterflySummary {
    /// `true` when g(k) ≥ 0 on the whole grid.
    pub ok: bool,
    /// Minimum of g on the grid.
    #[serde(with = "crate::json_num")]
    pub min_g: f64,
    /// Where the minimum is.
    #[serde(with = "crate::json_num")]
    pub k_at_min_g: f64,
    /// k ranges where g < 0.
    #[serde(with = "crate::json_num")]
    pub negative_ranges: Vec<(f64, f64)>,
}

/// Relative tolerance of the calendar check: w_long < w_short·(1 − tol) is a violation.
pub const CALENDAR_REL_TOL: f64 = 1e-12;

/// Durrleman's g(k) from total variance `w` and its k-derivatives `w1` = w′, `w2` = w″.
pub fn g_function(k: f64, w: f64, w1: f64, w2: f64) -> f64 {
    let first = 1.0 - k * w1 / (2.0 * w);
    first * first - w1 * w1 / 4.0 * (1.0 / w + 0.25) + w2 / 2.0
}

/// Butterfly check of one smile: g(k) on `n` evenly spaced points from `k_min` to `k_max` (at least 2), from
/// [`SmileModel::total_variance_k_derivatives`]. A point where w ≤ 0 or g is not finite counts as a violation
/// with g = −∞ (written `"-inf"`, `crate::json_num`). `negative_ranges` are the runs of violating grid
/// points, as (first k, last k) of each run.
pub fn butterfly_check(model: &dyn SmileModel, params: &[f64], k_min: f64, k_max: f64, n: usize) -> ButterflySummary {
    let grid = crate::numeric::linspace(k_min, k_max, n.max(2));
    let g_values: Vec<f64> = grid.iter().map(|&k| g_at(model, params, k)).collect();
    let (min_g, k_at_min_g) =
        grid.iter()
            .zip(&g_values)
            .fold((f64::INFINITY, k_min), |best, (&k, &g)| if g < best.0 { (g, k) } else { best });
    let negative_ranges = negative_runs(&grid, &g_values);
    ButterflySummary { ok: negative_ranges.is_empty(), min_g, k_at_min_g, negative_ranges }
}

/// Durrleman's g(k) of the model at `k`; NaN where w ≤ 0.
pub fn durrleman_g(model: &dyn SmileModel, params: &[f64], k: f64) -> f64 {
    let (w, w1, w2) = model.total_variance_k_derivatives(params, k);
    if !(w > 0.0) {
        return f64::NAN;
    }
    g_function(k, w, w1, w2)
}

/// g at `k`, or −∞ where w ≤ 0 or g is not finite (a violation).
fn g_at(model: &dyn SmileModel, params: &[f64], k: f64) -> f64 {
    let g = durrleman_g(model, params, k);
    if g.is_finite() {
        g
    } else {
        f64::NEG_INFINITY
    }
}

/// The runs of grid points where g < 0, as (first k, last k).
fn negative_runs(grid: &[f64], g_values: &[f64]) -> Vec<(f64, f64)> {
    let mut runs = Vec::new();
    let mut start: Option<f64> = None;
    for (i, (&k, &g)) in grid.iter().zip(g_values).enumerate() {
        if g < 0.0 {
            start.get_or_insert(k);
        } else if let Some(first) = start.take() {
            runs.push((first, grid[i - 1]));
        }
    }
    if let (Some(first), Some(&last)) = (start, grid.last()) {
        runs.push((first, last));
    }
    runs
}

/// A point where total variance decreases from one expiry to the next.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CalendarViolation {
    /// Log-moneyness (against each expiry's own forward).
    pub k: f64,
    /// Shorter expiry, years.
    pub t_short: f64,
    /// Longer expiry, years.
    pub t_long: f64,
    /// Total variance of the shorter expiry at `k`.
    pub w_short: f64,
    /// Total variance of the longer expiry at `k` (< `w_short`).
    pub w_long: f64,
}

/// Calendar check across the fitted slices of a snapshot: `slices` are (T in years, model, parameters), sorted
/// here by T. For each adjacent pair and each k of `k_grid`, reports w_long < w_short − [`CALENDAR_REL_TOL`]·
/// max(|w_short|, |w_long|). Points where either w is NaN are skipped (the butterfly check flags those).
pub fn calendar_check(slices: &[(f64, &dyn SmileModel, &[f64])], k_grid: &[f64]) -> Vec<CalendarViolation> {
    let mut order: Vec<usize> = (0..slices.len()).collect();
    order.sort_by(|&i, &j| slices[i].0.total_cmp(&slices[j].0));
    order.windows(2).flat_map(|pair| pair_violations(&slices[pair[0]], &slices[pair[1]], k_grid)).collect()
}

/// Calendar violations between one shorter and one longer slice.
fn pair_violations(
    short: &(f64, &dyn SmileModel, &[f64]),
    long: &(f64, &dyn SmileModel, &[f64]),
    k_grid: &[f64],
) -> Vec<CalendarViolation> {
    k_grid
        .iter()
        .filter_map(|&k| {
            let (w_short, w_long) = (short.1.total_variance(short.2, k), long.1.total_variance(long.2, k));
            let tol = CALENDAR_REL_TOL * w_short.abs().max(w_long.abs());
            (w_long < w_short - tol).then_some(CalendarViolation {
                k,
                t_short: short.0,
                t_long: long.0,
                w_short,
                w_long,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::Svi;

    #[test]
    fn flat_smile_has_g_one() {
        assert_eq!(g_function(0.3, 0.04, 0.0, 0.0), 1.0);
        let summary = butterfly_check(&Svi, &[0.04, 0.0, 0.0, 0.0, 0.1], -1.0, 1.0, 11);
        assert!(summary.ok && summary.negative_ranges.is_empty());
        assert!((summary.min_g - 1.0).abs() < 1e-15);
    }

    #[test]
    fn negative_runs_are_grouped() {
        let grid = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let g = [1.0, -1.0, -2.0, 1.0, f64::NEG_INFINITY, -0.5];
        assert_eq!(negative_runs(&grid, &g), vec![(1.0, 2.0), (4.0, 5.0)]);
    }

    #[test]
    fn non_positive_variance_is_a_violation() {
        let summary = butterfly_check(&Svi, &[-0.5, 0.1, 0.0, 0.0, 0.1], -1.0, 1.0, 21);
        assert!(!summary.ok && summary.min_g == f64::NEG_INFINITY);
        assert_eq!(summary.negative_ranges, vec![(-1.0, 1.0)]);
    }
}
