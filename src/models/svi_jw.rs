//! SVI jump-wings (Gatheral & Jacquier 2014, "Arbitrage-free SVI volatility surfaces", §3.3): raw SVI
//! re-expressed in the parameters traders reason in, for a slice with time to expiry t (years):
//!
//! - v = w(0)/t, the ATM variance per year (w = a + b·(−ρm + √(m² + σ²)) at k = 0),
//! - ψ = (1/√w₀)·(b/2)·(ρ − m/√(m² + σ²)), the ATM skew (∂σ_BS√t/∂k at k = 0, with w₀ = v·t),
//! - p = b·(1 − ρ)/√w₀, the put-wing slope,
//! - c = b·(1 + ρ)/√w₀, the call-wing slope,
//! - ṽ = (a + b·σ·√(1 − ρ²))/t, the minimum variance per year.
//!
//! The inverse (GJ2014 Lemma 3.2) is b = √w₀·(c + p)/2, ρ = 1 − p·√w₀/b, β = ρ − 2ψ√w₀/b, which equals
//! m/√(m² + σ²), and then m, σ from v − ṽ. The paper goes through α = sign(β)·√(1/β² − 1) = σ/m, which is
//! infinite at m = 0; this module uses the algebraically identical form R = √(m² + σ²) =
//! (v − ṽ)·t / (b·(1 − ρβ − √(1 − β²)·√(1 − ρ²))), m = β·R, σ = √(1 − β²)·R, with the denominator written as
//! (ρ − β)² / (1 − ρβ + √((1 − β²)(1 − ρ²))) to avoid cancellation. The map is not invertible when ψ makes
//! β = ρ (ψ = 0: the smile's minimum is at the money, v = ṽ, and the scale of m, σ is lost); that case and
//! every inconsistent parameter set is an error.

use super::svi::{Svi, SviParams};
use super::svi_start::quasi_explicit_starts;
use super::{FitData, ModelStart, SmileModel, Starts};

/// Parameter names: v, psi, p, c, v_tilde.
pub const SVI_JW_PARAMS: [&str; 5] = ["v", "psi", "p", "c", "v_tilde"];

/// Lowest ATM variance per year (vol 10 %) used to scale the default bounds of the slopes and skew.
const BOUNDS_MIN_ATM_VARIANCE: f64 = 0.01;

/// SVI jump-wings parameters by name.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct JwParams {
    /// ATM variance per year, v_t = w(0)/t.
    pub v: f64,
    /// ATM skew ψ_t.
    pub psi: f64,
    /// Put-wing slope p_t.
    pub p: f64,
    /// Call-wing slope c_t.
    pub c: f64,
    /// Minimum variance per year ṽ_t.
    pub v_tilde: f64,
}

impl JwParams {
    /// From a parameter slice in [`SVI_JW_PARAMS`] order.
    pub fn from_slice(p: &[f64]) -> Self {
        JwParams { v: p[0], psi: p[1], p: p[2], c: p[3], v_tilde: p[4] }
    }

    /// As a parameter array in [`SVI_JW_PARAMS`] order.
    pub fn to_array(self) -> [f64; 5] {
        [self.v, self.psi, self.p, self.c, self.v_tilde]
    }
}

/// Raw SVI → jump-wings for a slice of `t_years`. Fields are NaN when w(0) ≤ 0 or `t_years` ≤ 0.
pub fn raw_to_jw(raw: &SviParams, t_years: f64) -> JwParams {
    let w0 = raw.total_variance(0.0);
    if !(w0 > 0.0 && t_years > 0.0) {
        return JwParams { v: f64::NAN, psi: f64::NAN, p: f64::NAN, c: f64::NAN, v_tilde: f64::NAN };
    }
    let sqrt_w0 = w0.sqrt();
    let r0 = raw.m.hypot(raw.sigma);
    JwParams {
        v: w0 / t_years,
        psi: raw.b / (2.0 * sqrt_w0) * (raw.rho - raw.m / r0),
        p: raw.b * (1.0 - raw.rho) / sqrt_w0,
        c: raw.b * (1.0 + raw.rho) / sqrt_w0,
        v_tilde: raw.min_total_variance() / t_years,
    }
}

/// Jump-wings → raw SVI for a slice of `t_years`, or why the JW parameters have no raw SVI counterpart.
pub fn jw_to_raw(jw: &JwParams, t_years: f64) -> Result<SviParams, String> {
    check_jw_inputs(jw, t_years)?;
    let w0 = jw.v * t_years;
    let sqrt_w0 = w0.sqrt();
    let b = sqrt_w0 * (jw.c + jw.p) / 2.0;
    let rho = 1.0 - jw.p * sqrt_w0 / b;
    let rho_minus_beta = 2.0 * jw.psi * sqrt_w0 / b;
    let beta = rho - rho_minus_beta;
    if beta.is_nan() || beta.abs() >= 1.0 {
        return Err(format!(
            "beta = rho − 2·psi·√(v·t)/b = {beta} lies outside (−1, 1): psi = {} is not between −p/2 and c/2",
            jw.psi
        ));
    }
    let radius = distance_to_vertex(jw, t_years, b, rho, beta, rho_minus_beta)?;
    let m = beta * radius;
    let sigma = (1.0 - beta * beta).sqrt() * radius;
    let a = jw.v_tilde * t_years - b * sigma * (1.0 - rho * rho).sqrt();
    Ok(SviParams { a, b, rho, m, sigma })
}

/// Checks the JW inputs that do not need the intermediate quantities: finite, t > 0, v > 0, p, c > 0.
fn check_jw_inputs(jw: &JwParams, t_years: f64) -> Result<(), String> {
    if jw.to_array().iter().any(|x| !x.is_finite()) {
        Err("a JW parameter is not finite".to_owned())
    } else if !(t_years > 0.0 && t_years.is_finite()) {
        Err(format!("t_years = {t_years} is not positive"))
    } else if jw.v <= 0.0 {
        Err(format!("v = {} ≤ 0: the ATM variance must be positive", jw.v))
    } else if jw.p <= 0.0 {
        Err(format!("p = {} ≤ 0: the put-wing slope must be positive (|rho| < 1, b > 0)", jw.p))
    } else if jw.c <= 0.0 {
        Err(format!("c = {} ≤ 0: the call-wing slope must be positive (|rho| < 1, b > 0)", jw.c))
    } else if jw.v_tilde > jw.v {
        Err(format!("v_tilde = {} > v = {}: the minimum variance exceeds the ATM variance", jw.v_tilde, jw.v))
    } else {
        Ok(())
    }
}

/// R = √(m² + σ²) from (v − ṽ)·t = b·R·(1 − ρβ − √(1 − β²)·√(1 − ρ²)), the bracket computed without
/// cancellation as (ρ − β)² / (1 − ρβ + √((1 − β²)(1 − ρ²))).
fn distance_to_vertex(
    jw: &JwParams,
    t_years: f64,
    b: f64,
    rho: f64,
    beta: f64,
    rho_minus_beta: f64,
) -> Result<f64, String> {
    let gap = (jw.v - jw.v_tilde) * t_years;
    let bracket =
        rho_minus_beta * rho_minus_beta / (1.0 - rho * beta + ((1.0 - beta * beta) * (1.0 - rho * rho)).sqrt());
    if bracket == 0.0 {
        return Err(format!(
            "psi = {} puts the smile's minimum at the money (beta = rho): m and sigma are not determined by \
             the JW parameters",
            jw.psi
        ));
    }
    let radius = gap / (b * bracket);
    if !(radius > 0.0 && radius.is_finite()) {
        return Err(format!(
            "v − v_tilde = {:.3e} is inconsistent with psi = {} (needs v > v_tilde when psi ≠ 0)",
            jw.v - jw.v_tilde,
            jw.psi
        ));
    }
    Ok(radius)
}

/// SVI jump-wings for one slice: parameters [`SVI_JW_PARAMS`], evaluated through the raw SVI map.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SviJw {
    /// Time to expiry of the slice, years (> 0).
    pub t_years: f64,
}

impl SviJw {
    /// The model for a slice of `t_years`.
    pub fn new(t_years: f64) -> Self {
        SviJw { t_years }
    }

    /// The raw SVI parameters of a JW parameter slice.
    pub fn to_raw(&self, params: &[f64]) -> Result<SviParams, String> {
        jw_to_raw(&JwParams::from_slice(params), self.t_years)
    }
}

impl SmileModel for SviJw {
    fn name(&self) -> &'static str {
        "svi-jw"
    }

    fn starts(&self) -> Option<&dyn super::Starts> {
        Some(self)
    }

    fn drag(&self) -> Option<&dyn super::Drag> {
        Some(self)
    }

    fn param_names(&self) -> &'static [&'static str] {
        &SVI_JW_PARAMS
    }

    fn total_variance(&self, params: &[f64], k: f64) -> f64 {
        self.to_raw(params).map_or(f64::NAN, |raw| raw.total_variance(k))
    }

    fn total_variance_k_derivatives(&self, params: &[f64], k: f64) -> (f64, f64, f64) {
        self.to_raw(params).map_or((f64::NAN, f64::NAN, f64::NAN), |raw| raw.k_derivatives(k))
    }

    fn check_domain(&self, params: &[f64]) -> Result<(), String> {
        let raw = self.to_raw(params)?;
        Svi.check_domain(&raw.to_array()).map_err(|e| format!("raw SVI of these JW parameters: {e}"))
    }

    /// v > 0, p, c, ṽ ≥ 0; ψ is free.
    fn param_limits(&self) -> Vec<(f64, f64)> {
        let positive = (0.0, f64::INFINITY);
        vec![(f64::MIN_POSITIVE, f64::INFINITY), (f64::NEG_INFINITY, f64::INFINITY), positive, positive, positive]
    }

    /// v, ṽ ∈ [0 or 1e-4, 25] (vol up to 500 %); p, c ∈ (0, 2/√(0.01·t)] (Lee's bound b(1 ± ρ) ≤ 2 at
    /// an ATM vol of 10 %); ψ between −p_max/2 and c_max/2.
    fn default_bounds(&self) -> Vec<(f64, f64)> {
        let slope_max = 2.0 / (BOUNDS_MIN_ATM_VARIANCE * self.t_years).sqrt();
        vec![(1e-4, 25.0), (-slope_max / 2.0, slope_max / 2.0), (1e-6, slope_max), (1e-6, slope_max), (0.0, 25.0)]
    }
}

/// SVI-JW starts: the raw-SVI quasi-explicit start mapped to jump-wings (the middle of the JW box is rarely a
/// smile), then the middle of the bounds.
impl Starts for SviJw {
    fn starts(
        &self,
        data: &FitData<'_>,
        _bounds: &[(f64, f64)],
        _fixed: &[Option<f64>],
        keep: usize,
    ) -> Vec<ModelStart> {
        let raw_bounds = Svi.default_bounds();
        let t = data.t_years;
        quasi_explicit_starts(data.ks, data.vols, data.weights, t, &raw_bounds, keep)
            .into_iter()
            .map(|s| raw_to_jw(&SviParams::from_slice(&s.params), t).to_array().to_vec())
            .filter(|jw| self.check_domain(jw).is_ok())
            .map(|params| ModelStart { params, note: "start: quasi-explicit raw SVI mapped to jump-wings".to_owned() })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jw_of_a_known_slice() {
        // m = 0: ψ = bρ/(2√w), p, c = b(1 ∓ ρ)/√w with w = a + bσ.
        let raw = SviParams { a: 0.02, b: 0.1, rho: -0.5, m: 0.0, sigma: 0.2 };
        let jw = raw_to_jw(&raw, 0.5);
        let w0: f64 = 0.04;
        assert!((jw.v - w0 / 0.5).abs() < 1e-15);
        assert!((jw.psi - 0.1 * -0.5 / (2.0 * w0.sqrt())).abs() < 1e-15);
        assert!((jw.p - 0.15 / w0.sqrt()).abs() < 1e-14 && (jw.c - 0.05 / w0.sqrt()).abs() < 1e-14);
        assert!((jw.v_tilde - (0.02 + 0.02 * 0.75f64.sqrt()) / 0.5).abs() < 1e-15);
    }

    #[test]
    fn inconsistent_jw_parameters_are_errors() {
        let jw = raw_to_jw(&SviParams { a: 0.02, b: 0.1, rho: -0.3, m: 0.1, sigma: 0.2 }, 1.0);
        let beta_out = JwParams { psi: jw.c, ..jw };
        assert!(jw_to_raw(&beta_out, 1.0).unwrap_err().starts_with("beta ="));
        let flat_min = JwParams { psi: 0.0, v_tilde: jw.v, ..jw };
        assert!(jw_to_raw(&flat_min, 1.0).unwrap_err().contains("not determined"));
        assert!(jw_to_raw(&JwParams { v_tilde: jw.v, ..jw }, 1.0).unwrap_err().contains("inconsistent"));
        assert!(jw_to_raw(&JwParams { p: -0.1, ..jw }, 1.0).unwrap_err().starts_with("p ="));
        assert!(jw_to_raw(&jw, 0.0).is_err());
        assert!(SviJw::new(1.0).total_variance(&beta_out.to_array(), 0.0).is_nan());
        assert!(SviJw::new(1.0).check_domain(&beta_out.to_array()).is_err());
    }
}
