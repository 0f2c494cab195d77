//! Starting points for SABR slice fits.
//!
//! β is taken as given (fixed through the model's bounds (β, β) or the configuration; the middle of its bounds
//! when it is free). For each point of a small grid over (ρ, ν), α starts at σ_ATM·F^(1−β) (σ_ATM the mid vol
//! interpolated at k = 0) and is then rescaled twice so that the model's ATM vol matches σ_ATM (the correction
//! factor 1 + T·I₁ depends on α, ρ and ν); the grid points are ranked by the weighted vol RMSE of the model on
//! the used quotes, and the best ones (distinct in (ρ, ν)) are the LM starts.

use super::{FitData, ModelStart, Sabr, SabrParams, SmileModel, Starts};

/// Grid of ρ values.
const RHO_GRID: [f64; 7] = [-0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75];
/// Grid of ν values (vol of vol; short expiries need large ν).
const NU_GRID: [f64; 8] = [0.1, 0.25, 0.5, 1.0, 2.0, 3.5, 5.0, 8.0];

/// A SABR start: parameters in (α, β, ρ, ν) order and their weighted vol cost Σ (w·(σ_model − σ_mid))².
#[derive(Clone, Debug, PartialEq)]
pub struct SabrStart {
    /// (alpha, beta, rho, nu).
    pub params: [f64; 4],
    /// Weighted vol cost.
    pub cost: f64,
}

/// Mid vol at k = 0 (clamped into the quoted range), linear in k between the neighbouring quotes.
fn atm_vol(ks: &[f64], vols: &[f64]) -> f64 {
    let (kmin, kmax) = ks.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &k| (lo.min(k), hi.max(k)));
    let k0 = 0.0f64.clamp(kmin, kmax);
    let below = ks.iter().zip(vols).filter(|(k, _)| **k <= k0).max_by(|a, b| a.0.total_cmp(b.0));
    let above = ks.iter().zip(vols).filter(|(k, _)| **k >= k0).min_by(|a, b| a.0.total_cmp(b.0));
    match (below, above) {
        (Some((kl, vl)), Some((kh, vh))) if kh > kl => vl + (vh - vl) * (k0 - kl) / (kh - kl),
        (Some((_, v)), _) | (_, Some((_, v))) => *v,
        _ => f64::NAN,
    }
}

/// Weighted vol cost of `params`; infinite outside the model's domain or where a vol is NaN.
fn cost(model: &dyn SmileModel, params: &[f64], ks: &[f64], vols: &[f64], weights: &[f64], t: f64) -> f64 {
    if model.check_domain(params).is_err() {
        return f64::INFINITY;
    }
    let mut sum = 0.0;
    for ((&k, &v), &w) in ks.iter().zip(vols).zip(weights) {
        let e = w * (model.implied_vol(params, k, t) - v);
        if !e.is_finite() {
            return f64::INFINITY;
        }
        sum += e * e;
    }
    sum
}

/// Up to `keep` best starts (lowest cost first) for a SABR model (parameters alpha, beta, rho, nu) with
/// forward `forward`, expiry `t`, per-index `bounds` and `fixed` values, from the used quotes' `ks`, mid
/// `vols` and `weights`.
#[allow(clippy::too_many_arguments)]
pub fn sabr_starts(
    model: &dyn SmileModel,
    ks: &[f64],
    vols: &[f64],
    weights: &[f64],
    t: f64,
    forward: f64,
    bounds: &[(f64, f64)],
    fixed: &[Option<f64>],
    keep: usize,
) -> Vec<SabrStart> {
    if ks.is_empty() || bounds.len() != 4 || fixed.len() != 4 || !(t > 0.0) || !(forward > 0.0) {
        return Vec::new();
    }
    let sigma_atm = atm_vol(ks, vols);
    if !(sigma_atm > 0.0 && sigma_atm.is_finite()) {
        return Vec::new();
    }
    let pick = |i: usize, v: f64| fixed[i].unwrap_or_else(|| v.clamp(bounds[i].0, bounds[i].1));
    let beta = fixed[1].unwrap_or(0.5 * (bounds[1].0 + bounds[1].1));
    let alpha0 = sigma_atm * forward.powf(1.0 - beta);
    let mut grid: Vec<SabrStart> = Vec::with_capacity(RHO_GRID.len() * NU_GRID.len());
    for &rho in &RHO_GRID {
        for &nu in &NU_GRID {
            let mut p = [pick(0, alpha0), beta, pick(2, rho), pick(3, nu)];
            // Match the ATM vol through the correction factor (two rescalings suffice for a start).
            for _ in 0..2 {
                let atm = model.implied_vol(&p, 0.0, t);
                if !(atm > 0.0 && atm.is_finite()) {
                    break;
                }
                p[0] = pick(0, p[0] * sigma_atm / atm);
            }
            let c = cost(model, &p, ks, vols, weights, t);
            if c.is_finite() {
                grid.push(SabrStart { params: p, cost: c });
            }
        }
    }
    grid.sort_by(|x, y| x.cost.total_cmp(&y.cost));
    let mut out: Vec<SabrStart> = Vec::new();
    for s in grid {
        if out.len() >= keep {
            break;
        }
        if out.iter().all(|o| o.params[2] != s.params[2] || o.params[3] != s.params[3]) {
            out.push(s);
        }
    }
    out
}

/// SABR starts from the (ρ, ν) grid with α matched at the money, then the middle of the bounds.
impl Starts for Sabr {
    fn starts(&self, data: &FitData<'_>, bounds: &[(f64, f64)], fixed: &[Option<f64>], keep: usize) -> Vec<ModelStart> {
        let n = data.ks.len() as f64;
        let (ks, vols, weights) = (data.ks, data.vols, data.weights);
        sabr_starts(self, ks, vols, weights, data.t_years, data.forward, bounds, fixed, keep)
            .into_iter()
            .map(|s| ModelStart {
                note: format!(
                    "start: SABR grid (alpha = {:.6}, rho = {:.2}, nu = {:.2}, start RMSE {:.3} vol pts)",
                    s.params[SabrParams::ALPHA],
                    s.params[SabrParams::RHO],
                    s.params[SabrParams::NU],
                    100.0 * (s.cost / n).sqrt()
                ),
                params: s.params.to_vec(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{Sabr, SabrVariant};

    #[test]
    fn start_is_close_to_a_noise_free_smile() {
        let (t, f) = (0.25, 65000.0);
        let model = Sabr::new(t, f).with_fixed_beta(0.5).with_variant(SabrVariant::Hagan2002);
        let truth = [0.6 * f.sqrt(), 0.5, -0.3, 1.8];
        let ks: Vec<f64> = (0..15).map(|i| -0.5 + i as f64 / 14.0).collect();
        let vols: Vec<f64> = ks.iter().map(|&k| model.implied_vol(&truth, k, t)).collect();
        let weights = vec![1.0; ks.len()];
        let bounds = model.default_bounds();
        let fixed = [None, Some(0.5), None, None];
        let starts = sabr_starts(&model, &ks, &vols, &weights, t, f, &bounds, &fixed, 2);
        assert_eq!(starts.len(), 2);
        assert!(starts[0].cost <= starts[1].cost);
        assert_eq!(starts[0].params[1], 0.5);
        let rmse = (starts[0].cost / ks.len() as f64).sqrt();
        // The best grid point is the neighbouring cell of the truth (ρ step 0.25, ν roughly ×1.5–2).
        assert!(rmse < 0.03, "start RMSE {rmse}: {:?}", starts[0]);
        assert!((starts[0].params[2] - truth[2]).abs() <= 0.25, "{:?}", starts[0]);
        assert!((starts[0].params[3] / truth[3]).ln().abs() <= 2f64.ln(), "{:?}", starts[0]);
        assert!((starts[0].params[0] / truth[0] - 1.0).abs() < 0.1, "{:?}", starts[0]);
    }
}
