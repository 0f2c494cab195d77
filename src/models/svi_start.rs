//! Robust starting points for raw SVI: the Zeliade (2009) quasi-explicit reduction over a grid of (m, σ).
//!
//! For fixed m and σ, w(k) = a + d·x + c·√(x² + σ²) with x = k − m, d = b·ρ, c = b is linear in (a, d, c).
//! Each grid point solves that 3 × 3 weighted least-squares problem in total variance (rows weighted by
//! 1/(2σ_mid·T), so that it approximates the vol objective), then projects the solution onto the domain
//! (c ≥ 0, |d| ≤ 0.999·c, c within b's bounds — refitting the remaining unknowns on each active constraint —
//! and a + σ·√(c² − d²) ≥ 0 by raising a). Candidates are ranked by the actual vol-space cost.

use super::{FitData, ModelStart, Starts, Svi, SviParams};
use nalgebra::{Matrix1, Matrix2, Matrix3, Vector1, Vector2, Vector3};

/// Cholesky solve of an n × n (n ≤ 3, row-major in `a`) symmetric positive definite system with nalgebra's
/// fixed-size (stack) matrices.
fn small_cholesky_solve(a: &[f64; 9], b: &[f64; 3], n: usize) -> Option<[f64; 3]> {
    let mut out = [0.0; 3];
    match n {
        1 => out[0] = Matrix1::new(a[0]).cholesky()?.solve(&Vector1::new(b[0]))[0],
        2 => {
            let x = Matrix2::from_row_slice(&a[..4]).cholesky()?.solve(&Vector2::new(b[0], b[1]));
            out[..2].copy_from_slice(x.as_slice());
        }
        3 => {
            let x = Matrix3::from_row_slice(a).cholesky()?.solve(&Vector3::new(b[0], b[1], b[2]));
            out.copy_from_slice(x.as_slice());
        }
        _ => return None,
    }
    out.iter().all(|v| v.is_finite()).then_some(out)
}

/// A starting point and its vol-space cost Σ (weight·(σ_model − σ_mid))².
#[derive(Clone, Debug, PartialEq)]
pub struct SviStart {
    /// (a, b, ρ, m, σ).
    pub params: [f64; 5],
    /// Weighted sum of squared vol errors.
    pub cost: f64,
}

const RHO_MAX: f64 = 0.999;

/// Weighted moments of the basis (1, x, z) with z = √(x² + s²), x = k − m, and of the target y: the whole
/// linear problem for fixed (m, s) in O(1) storage, so that every active set is solved in O(1).
struct Moments {
    /// Σ w·bᵢ·bⱼ over the basis b = (1, x, z).
    mm: [[f64; 3]; 3],
    /// Σ w·bᵢ·y.
    mv: [f64; 3],
    /// Σ w·y².
    yy: f64,
}

impl Moments {
    fn new(ks: &[f64], w_target: &[f64], w2: &[f64], m: f64, s: f64) -> Moments {
        let (mut mm, mut mv, mut yy) = ([[0.0; 3]; 3], [0.0; 3], 0.0);
        let s2 = s * s;
        for ((&k, &y), &wt) in ks.iter().zip(w_target).zip(w2) {
            let x = k - m;
            let z = (x * x + s2).sqrt();
            let (wx, wz) = (wt * x, wt * z);
            mm[0][0] += wt;
            mm[0][1] += wx;
            mm[0][2] += wz;
            mm[1][1] += wx * x;
            mm[1][2] += wx * z;
            mm[2][2] += wz * z;
            mv[0] += wt * y;
            mv[1] += wx * y;
            mv[2] += wz * y;
            yy += wt * y * y;
        }
        mm[1][0] = mm[0][1];
        mm[2][0] = mm[0][2];
        mm[2][1] = mm[1][2];
        Moments { mm, mv, yy }
    }

    /// Weighted SSE of θ = (a, d, c).
    fn sse(&self, th: &[f64; 3]) -> f64 {
        let mut q = 0.0;
        for i in 0..3 {
            for j in 0..3 {
                q += th[i] * self.mm[i][j] * th[j];
            }
            q -= 2.0 * self.mv[i] * th[i];
        }
        q + self.yy
    }

    /// Minimises the SSE over θ = θ0 + P·u (P: up to 3 columns); returns θ.
    fn solve(&self, th0: [f64; 3], cols: &[[f64; 3]]) -> Option<[f64; 3]> {
        let n = cols.len();
        if n == 0 {
            return Some(th0);
        }
        let mut a = [0.0; 9];
        let mut b = [0.0; 3];
        // r = v − M·θ0.
        let mut r = self.mv;
        for i in 0..3 {
            for j in 0..3 {
                r[i] -= self.mm[i][j] * th0[j];
            }
        }
        let mut scale = 0.0f64;
        for p in 0..n {
            let mut mp = [0.0; 3];
            for i in 0..3 {
                for j in 0..3 {
                    mp[i] += self.mm[i][j] * cols[p][j];
                }
            }
            for q in 0..n {
                a[p * n + q] = (0..3).map(|i| cols[q][i] * mp[i]).sum();
            }
            b[p] = (0..3).map(|i| cols[p][i] * r[i]).sum();
            scale = scale.max(a[p * n + p]);
        }
        // Tiny ridge so that collinear columns (σ large against the k range) still solve.
        for p in 0..n {
            a[p * n + p] += 1e-12 * scale.max(1e-300);
        }
        let u = small_cholesky_solve(&a, &b, n)?;
        let mut th = th0;
        for p in 0..n {
            for i in 0..3 {
                th[i] += cols[p][i] * u[p];
            }
        }
        Some(th)
    }
}

/// (a, d, c) for fixed (m, s): the weighted least-squares fit in total variance over the SVI domain
/// (c ≥ 0, |d| ≤ 0.999·c, c ≤ `b_max`) with a ≥ `a_min`. The problem is a convex QP with few constraints: the
/// unconstrained solution when feasible, else the best feasible solution over the faces of the constraint
/// set (each an equality-constrained least-squares problem). Returns (a, d, c, weighted SSE).
fn solve_fixed_m_s(mo: &Moments, s: f64, a_min: f64, b_max: f64) -> Option<(f64, f64, f64, f64)> {
    let feasible = |th: &[f64; 3]| -> bool {
        th[2] >= -1e-14
            && th[1].abs() <= RHO_MAX * th[2] * (1.0 + 1e-12) + 1e-14
            && th[2] <= b_max * (1.0 + 1e-12)
            && th[0] >= a_min - 1e-14 * a_min.abs().max(1.0)
    };
    let unconstrained = mo.solve([0.0; 3], &[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]);
    let mut best: Option<([f64; 3], f64)> = unconstrained.filter(feasible).map(|th| (th, mo.sse(&th)));
    // Faces: (θ0, free directions). Single constraints first; faces with two or more active constraints only
    // when no single-constraint face gives a feasible point (the best feasible face point is the QP optimum
    // whenever the optimum has one active constraint, and a close start otherwise).
    let (e_a, e_d, e_c) = ([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]);
    let (up, down) = ([0.0, RHO_MAX, 1.0], [0.0, -RHO_MAX, 1.0]);
    let a_ok = a_min.is_finite();
    let single: [(bool, [f64; 3], &[[f64; 3]]); 5] = [
        (a_ok, [a_min, 0.0, 0.0], &[e_d, e_c]),
        (true, [0.0; 3], &[e_a, up]),
        (true, [0.0; 3], &[e_a, down]),
        (true, [0.0, 0.0, b_max], &[e_a, e_d]),
        (true, [0.0; 3], &[e_a]),
    ];
    let double: [(bool, [f64; 3], &[[f64; 3]]); 6] = [
        (a_ok, [a_min, 0.0, 0.0], &[up]),
        (a_ok, [a_min, 0.0, 0.0], &[down]),
        (a_ok, [a_min, 0.0, b_max], &[e_d]),
        (a_ok, [a_min, 0.0, 0.0], &[]),
        (true, [0.0, RHO_MAX * b_max, b_max], &[e_a]),
        (true, [0.0, -RHO_MAX * b_max, b_max], &[e_a]),
    ];
    for faces in [&single[..], &double[..]] {
        if best.is_some() {
            break;
        }
        for &(usable, th0, cols) in faces {
            if !usable {
                continue;
            }
            let Some(th) = mo.solve(th0, cols) else { continue };
            if !feasible(&th) {
                continue;
            }
            let sse = mo.sse(&th);
            if best.is_none_or(|b| sse < b.1) {
                best = Some((th, sse));
            }
        }
    }
    if best.is_none() {
        // a = a_min with c = b_max and |ρ| at its limit.
        for sign in [-1.0, 1.0] {
            if a_ok {
                let th = [a_min, sign * RHO_MAX * b_max, b_max];
                let sse = mo.sse(&th);
                if best.is_none_or(|b| sse < b.1) {
                    best = Some((th, sse));
                }
            }
        }
    }
    let ([mut a, d, c], sse) = best?;
    let c = c.max(0.0);
    let min_w = a + s * (c * c - d * d).max(0.0).sqrt();
    if min_w < 0.0 {
        a -= min_w;
    }
    Some((a, d, c, sse))
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
/// each of the best grid points refined by a pattern search in (m, ln σ) on the total-variance objective,
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
    let a_min = bounds[0].0;
    let (m_lo, m_hi) = bounds[3];
    let (s_lo, s_hi) = bounds[4];
    // The candidate for (m, s): (params, total-variance SSE).
    let eval = |w2: &[f64], m: f64, s: f64| -> Option<([f64; 5], f64)> {
        let m = m.clamp(m_lo, m_hi);
        let s = s.clamp(s_lo, s_hi);
        let mo = Moments::new(ks, &w_target, w2, m, s);
        let (a, d, c, sse) = solve_fixed_m_s(&mo, s, a_min, b_max)?;
        let b = c.max(bounds[1].0);
        let rho = if c > 0.0 { d / c } else { 0.0 };
        let p = [a.clamp(bounds[0].0, bounds[0].1), b, rho.clamp(bounds[2].0, bounds[2].1), m, s];
        sse.is_finite().then_some((p, sse))
    };
    let ms = [-0.3, -0.1, 0.0, 0.1, 0.3].map(|f| f * span);
    let ss = [0.03, 0.1, 0.3, 0.8, 1.6].map(|f| f * span);
    let mut grid: Vec<([f64; 5], f64)> = Vec::with_capacity(ms.len() * ss.len());
    for &m in &ms {
        for &s in &ss {
            if let Some(c) = eval(&w2, m, s) {
                grid.push(c);
            }
        }
    }
    grid.sort_by(|x, y| x.1.total_cmp(&y.1));
    let distinct = |kept: &[SviStart], p: &[f64; 5]| {
        kept.iter().all(|k| (k.params[3] - p[3]).abs() > 1e-9 * span || (k.params[4] - p[4]).abs() > 1e-9 * span)
    };
    let mut out: Vec<SviStart> = Vec::new();
    for (p0, sse0) in grid {
        if out.len() >= keep {
            break;
        }
        if !distinct(&out, &p0) {
            continue;
        }
        // Pattern search in (m, ln s) from the grid point; only the best grid point is refined (the others
        // are fallbacks for a failed or degenerate fit).
        let (mut p, mut sse) = (p0, sse0);
        let (mut hm, mut hs) = (0.05 * span, 0.4f64);
        let mut evals = if out.is_empty() { 0 } else { usize::MAX };
        while hm > 4e-3 * span && evals < 30 {
            let mut moved = false;
            for (dm, ds) in [(hm, 0.0), (-hm, 0.0), (0.0, hs), (0.0, -hs)] {
                evals += 1;
                if let Some((q, e)) = eval(&w2, p[3] + dm, p[4] * ds.exp()) {
                    if e < sse {
                        (p, sse, moved) = (q, e, true);
                        break;
                    }
                }
            }
            if !moved {
                hm *= 0.5;
                hs *= 0.5;
            }
        }
        let cost = vol_cost(&p, ks, vols, weights, t);
        if cost.is_finite() && distinct(&out, &p) {
            out.push(SviStart { params: p, cost });
        }
    }
    out.sort_by(|x, y| x.cost.total_cmp(&y.cost));
    out
}

/// Raw SVI starts from the quasi-explicit grid, and data bounds on `a` and `m` (see [`Starts`]).
impl Starts for Svi {
    fn starts(
        &self,
        data: &FitData<'_>,
        bounds: &[(f64, f64)],
        _fixed: &[Option<f64>],
        keep: usize,
    ) -> Vec<ModelStart> {
        let n = data.ks.len() as f64;
        quasi_explicit_starts(data.ks, data.vols, data.weights, data.t_years, bounds, keep)
            .into_iter()
            .map(|s| ModelStart {
                note: format!(
                    "start: quasi-explicit grid (m = {:.4}, sigma = {:.4}, start RMSE {:.3} vol pts)",
                    s.params[SviParams::M],
                    s.params[SviParams::SIGMA],
                    100.0 * (s.cost / n).sqrt()
                ),
                params: s.params.to_vec(),
            })
            .collect()
    }

    fn middle_of_bounds_too(&self) -> bool {
        false
    }

    /// a ≥ −4·max w over the used quotes and m within the quoted k range widened by its span on each side (as
    /// scipy's reference fit does). Without them the least-squares problem has flat valleys towards a → −∞,
    /// b → ∞, |ρ| → 1, |m| → ∞ (the smile becomes a parabola over the quoted range) along which LM crawls for
    /// thousands of iterations while the curve on the data barely changes, and the wings go wild.
    fn data_bounds(&self, data: &FitData<'_>) -> Vec<(usize, f64, f64)> {
        let max_w = data.vols.iter().map(|v| v * v * data.t_years).fold(0.0, f64::max);
        let (kmin, kmax) = data.ks.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &k| (a.min(k), b.max(k)));
        let span = kmax - kmin;
        vec![(SviParams::A, -4.0 * max_w, f64::INFINITY), (SviParams::M, kmin - span, kmax + span)]
    }
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
