//! Robust starting points for raw SVI: the Zeliade (2009) quasi-explicit reduction over a grid of (m, σ).
//!
//! For fixed m and σ, w(k) = a + d·x + c·√(x² + σ²) with x = k − m, d = b·ρ, c = b is linear in (a, d, c).
//! Each grid point solves that 3 × 3 weighted least-squares problem in total variance (rows weighted by
//! 1/(2σ_mid·T), so that it approximates the vol objective), then projects the solution onto the domain
//! (c ≥ 0, |d| ≤ 0.999·c, c within b's bounds — refitting the remaining unknowns on each active constraint —
//! and a + σ·√(c² − d²) ≥ 0 by raising a). Candidates are ranked by the actual vol-space cost.

use super::lm::cholesky_solve;

/// A starting point and its vol-space cost Σ (weight·(σ_model − σ_mid))².
#[derive(Clone, Debug, PartialEq)]
pub struct SviStart {
    /// (a, b, ρ, m, σ).
    pub params: [f64; 5],
    /// Weighted sum of squared vol errors.
    pub cost: f64,
}

/// Fits (a, d, c) by weighted least squares with the columns selected by `cols` (0: 1, 1: x, 2: z, 3: z + s·x
/// combined, see below); returns the coefficients in `cols` order.
fn wls(rows: &[[f64; 4]], w2: &[f64], y: &[f64], cols: &[usize]) -> Option<Vec<f64>> {
    let n = cols.len();
    let mut a = vec![0.0; n * n];
    let mut b = vec![0.0; n];
    for ((row, &wt), &yi) in rows.iter().zip(w2).zip(y) {
        for p in 0..n {
            b[p] += wt * row[cols[p]] * yi;
            for q in 0..n {
                a[p * n + q] += wt * row[cols[p]] * row[cols[q]];
            }
        }
    }
    // Tiny ridge so that collinear columns (σ large against the k range) still solve.
    let scale = (0..n).map(|i| a[i * n + i]).fold(0.0, f64::max);
    for i in 0..n {
        a[i * n + i] += 1e-12 * scale.max(1e-300);
    }
    cholesky_solve(&a, &b, n)
}

/// (a, d, c) for fixed (m, s), projected onto the SVI domain with b = c ≤ `b_max`.
fn solve_fixed_m_s(ks: &[f64], w_target: &[f64], w2: &[f64], m: f64, s: f64, b_max: f64) -> Option<(f64, f64, f64)> {
    const RHO_MAX: f64 = 0.999;
    let rows: Vec<[f64; 4]> = ks
        .iter()
        .map(|&k| {
            let x = k - m;
            [1.0, x, (x * x + s * s).sqrt(), 0.0]
        })
        .collect();
    let coef = wls(&rows, w2, w_target, &[0, 1, 2])?;
    let (mut a, mut d, mut c) = (coef[0], coef[1], coef[2]);
    if c < 0.0 || d.abs() > RHO_MAX * c || c > b_max {
        // Try each active constraint on ρ (d = ±ρmax·c) and on c (c = b_max), keep the feasible best.
        let mut best: Option<(f64, f64, f64, f64)> = None;
        let mut consider = |a: f64, d: f64, c: f64| {
            if !(c >= 0.0 && d.abs() <= RHO_MAX * c * (1.0 + 1e-12) && c <= b_max * (1.0 + 1e-12)) {
                return;
            }
            let sse: f64 = rows
                .iter()
                .zip(w2)
                .zip(w_target)
                .map(|((r, &wt), &y)| {
                    let e = a + d * r[1] + c * r[2] - y;
                    wt * e * e
                })
                .sum();
            if best.is_none_or(|b| sse < b.3) {
                best = Some((a, d, c, sse));
            }
        };
        for sign in [-1.0, 1.0] {
            let combined: Vec<[f64; 4]> =
                rows.iter().map(|r| [r[0], r[1], r[2], r[2] + sign * RHO_MAX * r[1]]).collect();
            if let Some(v) = wls(&combined, w2, w_target, &[0, 3]) {
                let c = v[1].clamp(0.0, b_max);
                // Refit a for the clamped c.
                let a = refit_level(&combined, w2, w_target, |r| c * r[3]);
                consider(a, sign * RHO_MAX * c, c);
            }
        }
        // c = b_max, ρ free.
        let shifted: Vec<f64> = rows.iter().zip(w_target).map(|(r, &y)| y - b_max * r[2]).collect();
        if let Some(v) = wls(&rows, w2, &shifted, &[0, 1]) {
            consider(v[0], v[1], b_max);
        }
        // Flat smile (c = 0).
        let a_flat = refit_level(&rows, w2, w_target, |_| 0.0);
        consider(a_flat, 0.0, 0.0);
        let (ba, bd, bc, _) = best?;
        (a, d, c) = (ba, bd, bc);
    }
    let min_w = a + s * (c * c - d * d).max(0.0).sqrt();
    if min_w < 0.0 {
        a -= min_w;
    }
    Some((a, d, c))
}

/// Weighted mean of y − f(row): the best level `a` for a fixed shape.
fn refit_level(rows: &[[f64; 4]], w2: &[f64], y: &[f64], f: impl Fn(&[f64; 4]) -> f64) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for ((r, &wt), &yi) in rows.iter().zip(w2).zip(y) {
        num += wt * (yi - f(r));
        den += wt;
    }
    num / den
}

/// Vol-space cost of raw SVI parameters.
pub fn vol_cost(p: &[f64; 5], ks: &[f64], vols: &[f64], weights: &[f64], t: f64) -> f64 {
    let mut cost = 0.0;
    for ((&k, &v), &wt) in ks.iter().zip(vols).zip(weights) {
        let x = k - p[3];
        let w = p[0] + p[1] * (p[2] * x + (x * x + p[4] * p[4]).sqrt());
        if !(w > 0.0) {
            return f64::INFINITY;
        }
        let e = wt * ((w / t).sqrt() - v);
        cost += e * e;
    }
    cost
}

/// Up to `keep` best starts (lowest vol-space cost first) from a grid of (m, σ) over the quotes' k range,
/// clamped into `bounds` ((a, b, ρ, m, σ) order). `ks`, `vols` (mid IVs), `weights` per used quote.
pub fn quasi_explicit_starts(
    ks: &[f64],
    vols: &[f64],
    weights: &[f64],
    t: f64,
    bounds: &[(f64, f64)],
    keep: usize,
) -> Vec<SviStart> {
    if ks.is_empty() || !(t > 0.0) {
        return Vec::new();
    }
    let w_target: Vec<f64> = vols.iter().map(|v| v * v * t).collect();
    let w2: Vec<f64> = vols.iter().zip(weights).map(|(v, wt)| (wt / (2.0 * v * t)).powi(2)).collect();
    let (kmin, kmax) = ks.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &k| (lo.min(k), hi.max(k)));
    let span = (kmax - kmin).max(1e-3);
    let b_max = bounds[1].1.max(bounds[1].0);
    let ms = [-0.3, -0.15, -0.05, 0.0, 0.05, 0.15, 0.3].map(|f| f * span);
    let ss = [0.02, 0.05, 0.1, 0.2, 0.4, 0.8].map(|f| f * span);
    let mut out: Vec<SviStart> = Vec::with_capacity(ms.len() * ss.len());
    for &m in &ms {
        let m = m.clamp(bounds[3].0, bounds[3].1);
        for &s in &ss {
            let s = s.clamp(bounds[4].0, bounds[4].1);
            let Some((a, d, c)) = solve_fixed_m_s(ks, &w_target, &w2, m, s, b_max) else { continue };
            let b = c.max(bounds[1].0);
            let rho = if c > 0.0 { d / c } else { 0.0 };
            let mut p = [a, b, rho.clamp(bounds[2].0, bounds[2].1), m, s];
            p[0] = p[0].clamp(bounds[0].0, bounds[0].1);
            let cost = vol_cost(&p, ks, vols, weights, t);
            if cost.is_finite() {
                out.push(SviStart { params: p, cost });
            }
        }
    }
    out.sort_by(|x, y| x.cost.total_cmp(&y.cost));
    // Keep distinct starts (different m or σ).
    let mut kept: Vec<SviStart> = Vec::new();
    for s in out {
        if kept.len() >= keep {
            break;
        }
        if kept.iter().all(|k| (k.params[3] - s.params[3]).abs() > 1e-12 || (k.params[4] - s.params[4]).abs() > 1e-12) {
            kept.push(s);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{SmileModel, Svi};

    #[test]
    fn recovers_a_noise_free_smile_closely() {
        let truth = [0.03, 0.075, -0.35, 0.04, 0.13];
        let t = 0.082;
        let ks: Vec<f64> = (0..27).map(|i| -0.6 + 0.04 * i as f64).collect();
        let vols: Vec<f64> = ks.iter().map(|&k| Svi.implied_vol(&truth, k, t)).collect();
        let weights = vec![1.0; ks.len()];
        let starts = quasi_explicit_starts(&ks, &vols, &weights, t, &Svi.default_bounds(), 3);
        assert!(!starts.is_empty());
        let best = &starts[0];
        // The grid is coarse: the start need not be exact, only close in vol (≤ 1 vol point RMS).
        let rms = (best.cost / ks.len() as f64).sqrt();
        assert!(rms < 0.01, "rms {rms}, start {:?}", best.params);
        assert!(Svi.check_domain(&best.params).is_ok());
    }
}
