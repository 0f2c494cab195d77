//! SSVI with a power-law φ (Gatheral & Jacquier 2014, §4): one surface from the ATM total variance θ_t of each
//! expiry and three global parameters,
//!
//! w(k, θ) = θ/2 · (1 + ρφ(θ)k + √((φ(θ)k + ρ)² + 1 − ρ²)),   φ(θ) = η / (θ^γ (1 + θ)^(1−γ)).
//!
//! Each expiry's slice is exactly raw SVI with a = θ(1 − ρ²)/2, b = θφ/2, ρ, m = −ρ/φ, σ = √(1 − ρ²)/φ
//! ([`ssvi_to_raw`]), so every smile read-out works on it unchanged.
//!
//! **No static arbitrage** (GJ2014 Theorems 4.1–4.2 with the power law): θ non-decreasing in T; butterfly-free
//! when θφ(1 + |ρ|) < 4 and θφ²(1 + |ρ|) ≤ 4; calendar-free when 0 ≤ ∂_θ(θφ) ≤ φ(1 + √(1 − ρ²))/ρ². With
//! γ ∈ (0, ½] and η(1 + |ρ|) ≤ 2 all of them hold: θφ = η(θ/(1+θ))^(1−γ) < η, so θφ(1 + |ρ|) < 2;
//! θφ² = η²(θ/(1+θ))^(1−2γ)/(1+θ) ≤ η², so θφ²(1 + |ρ|) ≤ 4/(1 + |ρ|) ≤ 4; θφ increases in θ, and
//! ∂_θ(θφ) = φ(1 − γ)/(1 + θ) ≤ φ ≤ φ(1 + √(1 − ρ²))/ρ². The calibration coordinates make these a box:
//! (ρ, u = η(1 + |ρ|)/2 ∈ (0, 1], γ ∈ (0, ½], θ₁ > 0, δ_i = θ_i − θ_{i−1} ≥ 0).

use super::surface_model::{SurfaceModel, SurfaceParams};
use super::svi::SviParams;
use super::ModelKind;
use crate::numeric::Bracket;

/// Global parameter names.
pub const SSVI_GLOBAL_PARAMS: [&str; 3] = ["rho", "eta", "gamma"];
/// Per-expiry parameter names (the ATM total variance).
pub const SSVI_EXPIRY_PARAMS: [&str; 1] = ["theta"];

/// Largest |ρ| the calibration allows.
const RHO_MAX: f64 = 0.999;
/// Smallest γ (the power law needs γ > 0).
const GAMMA_MIN: f64 = 1e-3;
/// Smallest θ of the first expiry.
const THETA_MIN: f64 = 1e-10;

/// SSVI with the power-law φ.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ssvi;

/// φ(θ) = η / (θ^γ (1 + θ)^(1−γ)).
pub fn power_law_phi(theta: f64, eta: f64, gamma: f64) -> f64 {
    eta / (theta.powf(gamma) * (1.0 + theta).powf(1.0 - gamma))
}

/// The raw SVI slice of SSVI at ATM total variance `theta` with correlation `rho` and curvature `phi`.
pub fn ssvi_to_raw(theta: f64, rho: f64, phi: f64) -> SviParams {
    SviParams {
        a: 0.5 * theta * (1.0 - rho * rho),
        b: 0.5 * theta * phi,
        rho,
        m: -rho / phi,
        sigma: (1.0 - rho * rho).sqrt() / phi,
    }
}

/// SSVI total variance w(k, θ) from its definition (for tests against the raw SVI form).
pub fn ssvi_total_variance(k: f64, theta: f64, rho: f64, phi: f64) -> f64 {
    0.5 * theta * (1.0 + rho * phi * k + ((phi * k + rho).powi(2) + 1.0 - rho * rho).sqrt())
}

/// ATM total variances made usable for a start: unknown ones interpolated linearly in the expiry index
/// (flat beyond the ends), then non-decreasing (a running maximum), floored at a small positive value.
pub fn monotone_atm(atm: &[f64]) -> Vec<f64> {
    let known: Vec<(usize, f64)> =
        atm.iter().enumerate().filter(|(_, w)| w.is_finite() && **w > 0.0).map(|(i, w)| (i, *w)).collect();
    let fill = |i: usize| -> f64 {
        let below = known.iter().rev().find(|(j, _)| *j <= i);
        let above = known.iter().find(|(j, _)| *j >= i);
        match (below, above) {
            (Some(&(j0, w0)), Some(&(j1, w1))) if j1 > j0 => w0 + (w1 - w0) * (i - j0) as f64 / (j1 - j0) as f64,
            (Some(&(_, w)), _) | (_, Some(&(_, w))) => w,
            _ => 1e-4,
        }
    };
    let mut running = THETA_MIN;
    (0..atm.len())
        .map(|i| {
            running = running.max(fill(i));
            running
        })
        .collect()
}

impl SurfaceModel for Ssvi {
    fn name(&self) -> &'static str {
        "ssvi"
    }

    fn slice_kind(&self) -> ModelKind {
        ModelKind::Svi
    }

    fn global_names(&self) -> &'static [&'static str] {
        &SSVI_GLOBAL_PARAMS
    }

    fn per_expiry_names(&self) -> &'static [&'static str] {
        &SSVI_EXPIRY_PARAMS
    }

    /// (ρ, u, γ, θ₁, δ₂ … δ_n): see the module docs.
    fn coordinate_bounds(&self, n: usize) -> Vec<(f64, f64)> {
        let mut b = vec![(-RHO_MAX, RHO_MAX), (1e-6, 1.0), (GAMMA_MIN, 0.5)];
        if n > 0 {
            b.push((THETA_MIN, 25.0));
            b.extend(std::iter::repeat_n((0.0, 25.0), n - 1));
        }
        b
    }

    fn params_at(&self, x: &[f64], n: usize) -> SurfaceParams {
        let (rho, u, gamma) = (x[0], x[1], x[2]);
        let eta = 2.0 * u / (1.0 + rho.abs());
        let mut theta = 0.0;
        let per_expiry = (0..n)
            .map(|i| {
                theta += x[3 + i];
                vec![theta]
            })
            .collect();
        SurfaceParams { global: vec![rho, eta, gamma], per_expiry }
    }

    fn coordinates_of(&self, params: &SurfaceParams) -> Option<Vec<f64>> {
        let [rho, eta, gamma] = params.global[..] else { return None };
        let thetas: Vec<f64> = params.per_expiry.iter().map(|p| p.first().copied()).collect::<Option<_>>()?;
        let mut x = vec![rho, 0.5 * eta * (1.0 + rho.abs()), gamma];
        let mut previous = 0.0;
        for theta in thetas {
            x.push(theta - previous);
            previous = previous.max(theta);
        }
        let bounds = self.coordinate_bounds(params.per_expiry.len());
        let x: Vec<f64> = x.iter().zip(&bounds).map(|(v, (lo, hi))| v.clamp(*lo, *hi)).collect();
        x.iter().all(|v| v.is_finite()).then_some(x)
    }

    /// The monotone ATM total variances with ρ ∈ {−0.3, 0, 0.3}, u = 0.5, γ = 0.4.
    fn starts(&self, atm_total_variance: &[f64]) -> Vec<SurfaceParams> {
        let thetas = monotone_atm(atm_total_variance);
        [0.0, -0.3, 0.3]
            .iter()
            .map(|&rho| SurfaceParams {
                global: vec![rho, 2.0 * 0.5 / (1.0 + f64::abs(rho)), 0.4],
                per_expiry: thetas.iter().map(|t| vec![*t]).collect(),
            })
            .collect()
    }

    fn smile_params(&self, params: &SurfaceParams, i: usize) -> Vec<f64> {
        let (rho, eta, gamma) = (params.global[0], params.global[1], params.global[2]);
        let theta = params.per_expiry[i][0];
        ssvi_to_raw(theta, rho, power_law_phi(theta, eta, gamma)).to_array().to_vec()
    }

    /// θ linear in T between the fitted expiries, ∝ T before the first and after the last (monotone, so the
    /// power law keeps the surface free of arbitrage); the global parameters are the surface's.
    fn interpolate(&self, params: &SurfaceParams, ts: &[f64], t: f64, _anchor: Option<(f64, f64)>) -> Option<Vec<f64>> {
        let thetas: Vec<f64> = params.per_expiry.iter().map(|p| p[0]).collect();
        let (&t1, &tn) = (ts.first()?, ts.last()?);
        let theta = match crate::numeric::bracket(ts, t) {
            Bracket::First => thetas[0] * (t / t1).clamp(1e-9, 1.0),
            Bracket::Last => thetas[thetas.len() - 1] * t / tn,
            Bracket::Between { upper: j, weight } => thetas[j - 1] + weight * (thetas[j] - thetas[j - 1]),
        };
        (theta > 0.0 && theta.is_finite()).then(|| vec![theta])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_raw_svi_slice_is_the_ssvi_slice() {
        for (theta, rho, phi) in [(0.04, -0.3, 1.5), (0.002, 0.4, 20.0), (1.0, 0.0, 0.3)] {
            let raw = ssvi_to_raw(theta, rho, phi);
            for k in [-1.0, -0.2, 0.0, 0.3, 1.5] {
                let (a, b) = (raw.total_variance(k), ssvi_total_variance(k, theta, rho, phi));
                assert!((a - b).abs() <= 1e-14 * b.abs().max(1e-3), "{a} vs {b}");
            }
            assert!((raw.total_variance(0.0) - theta).abs() < 1e-15, "w(0) = θ");
        }
    }

    #[test]
    fn coordinates_round_trip_and_keep_theta_monotone() {
        let p = SurfaceParams { global: vec![-0.4, 1.2, 0.35], per_expiry: vec![vec![0.001], vec![0.01], vec![0.05]] };
        let x = Ssvi.coordinates_of(&p).unwrap();
        let back = Ssvi.params_at(&x, 3);
        for (a, b) in
            back.global.iter().zip(&p.global).chain(back.per_expiry.iter().flatten().zip(p.per_expiry.iter().flatten()))
        {
            assert!((a - b).abs() < 1e-15, "{back:?}");
        }
        assert_eq!(monotone_atm(&[0.02, f64::NAN, 0.01, 0.04]), vec![0.02, 0.02, 0.02, 0.04]);
    }

    #[test]
    fn inside_the_box_the_power_law_meets_the_gj_conditions() {
        for rho in [-0.99, -0.5, 0.0, 0.7] {
            for gamma in [0.01, 0.25, 0.5] {
                let eta = 2.0 / (1.0 + f64::abs(rho));
                for theta in [1e-6, 1e-3, 0.1, 1.0, 10.0] {
                    let phi = power_law_phi(theta, eta, gamma);
                    let r = 1.0 + f64::abs(rho);
                    assert!(theta * phi * r < 4.0 && theta * phi * phi * r <= 4.0 * (1.0 + 1e-12));
                    let h = 1e-6 * theta;
                    let d = ((theta + h) * power_law_phi(theta + h, eta, gamma)
                        - (theta - h) * power_law_phi(theta - h, eta, gamma))
                        / (2.0 * h);
                    assert!(
                        d >= 0.0
                            && d <= phi * (1.0 + (1.0 - rho * rho).sqrt()) / (rho * rho).max(1e-300) * (1.0 + 1e-9)
                    );
                }
            }
        }
    }
}
