//! Raw SVI (Gatheral 2004): total variance w(k) = a + b·(ρ·(k − m) + √((k − m)² + σ²)).
//!
//! Domain: b ≥ 0, |ρ| < 1, σ > 0, and a + b·σ·√(1 − ρ²) ≥ 0 (the minimum of w is not negative). Lee's
//! moment bound on total variance limits the wing slopes b·(1 ± ρ) to 2; the default bounds keep b ≤ 2.

use super::{ButterflyRepair, ShapeCheck, SmileModel};

/// Parameter names: a, b, rho, m, sigma.
pub const SVI_PARAMS: [&str; 5] = ["a", "b", "rho", "m", "sigma"];

/// Raw SVI in total variance.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Svi;

/// Raw SVI parameters by name.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SviParams {
    /// Level (total variance).
    pub a: f64,
    /// Wing slope scale.
    pub b: f64,
    /// Skew, in (−1, 1).
    pub rho: f64,
    /// Horizontal shift (log-moneyness).
    pub m: f64,
    /// ATM curvature (log-moneyness), > 0.
    pub sigma: f64,
}

impl SviParams {
    /// Index of `a` in [`SVI_PARAMS`] order.
    pub const A: usize = 0;
    /// Index of `b`.
    pub const B: usize = 1;
    /// Index of `rho`.
    pub const RHO: usize = 2;
    /// Index of `m`.
    pub const M: usize = 3;
    /// Index of `sigma`.
    pub const SIGMA: usize = 4;

    /// From a parameter slice in [`SVI_PARAMS`] order.
    pub fn from_slice(p: &[f64]) -> Self {
        SviParams { a: p[0], b: p[1], rho: p[2], m: p[3], sigma: p[4] }
    }

    /// As a parameter array in [`SVI_PARAMS`] order.
    pub fn to_array(self) -> [f64; 5] {
        [self.a, self.b, self.rho, self.m, self.sigma]
    }

    /// w(k).
    pub fn total_variance(&self, k: f64) -> f64 {
        let x = k - self.m;
        self.a + self.b * (self.rho * x + (x * x + self.sigma * self.sigma).sqrt())
    }

    /// Minimum of w over k: a + b·σ·√(1 − ρ²).
    pub fn min_total_variance(&self) -> f64 {
        self.a + self.b * self.sigma * (1.0 - self.rho * self.rho).max(0.0).sqrt()
    }

    /// (w, w′, w″) in k, analytic.
    pub fn k_derivatives(&self, k: f64) -> (f64, f64, f64) {
        let x = k - self.m;
        let r = (x * x + self.sigma * self.sigma).sqrt();
        let w = self.a + self.b * (self.rho * x + r);
        let w1 = self.b * (self.rho + x / r);
        let w2 = self.b * self.sigma * self.sigma / (r * r * r);
        (w, w1, w2)
    }
}

impl SmileModel for Svi {
    fn name(&self) -> &'static str {
        "svi"
    }

    fn starts(&self) -> Option<&dyn super::Starts> {
        Some(self)
    }

    fn shape_check(&self) -> Option<&dyn super::ShapeCheck> {
        Some(self)
    }

    fn butterfly_repair(&self) -> Option<&dyn super::ButterflyRepair> {
        Some(self)
    }

    fn drag(&self) -> Option<&dyn super::Drag> {
        Some(self)
    }

    fn param_names(&self) -> &'static [&'static str] {
        &SVI_PARAMS
    }

    fn total_variance(&self, params: &[f64], k: f64) -> f64 {
        SviParams::from_slice(params).total_variance(k)
    }

    /// ∂w/∂(a, b, ρ, m, σ) = (1, ρx + r, b·x, −b·(ρ + x/r), b·σ/r) with x = k − m, r = √(x² + σ²).
    fn total_variance_gradient(&self, params: &[f64], k: f64, grad: &mut [f64]) {
        let p = SviParams::from_slice(params);
        let x = k - p.m;
        let r = (x * x + p.sigma * p.sigma).sqrt();
        grad[0] = 1.0;
        grad[1] = p.rho * x + r;
        grad[2] = p.b * x;
        grad[3] = -p.b * (p.rho + x / r);
        grad[4] = p.b * p.sigma / r;
    }

    /// One x and r for both (the same expressions as [`SviParams::total_variance`] and the gradient above).
    fn total_variance_with_gradient(&self, params: &[f64], k: f64, grad: &mut [f64]) -> f64 {
        let p = SviParams::from_slice(params);
        let x = k - p.m;
        let r = (x * x + p.sigma * p.sigma).sqrt();
        grad[0] = 1.0;
        grad[1] = p.rho * x + r;
        grad[2] = p.b * x;
        grad[3] = -p.b * (p.rho + x / r);
        grad[4] = p.b * p.sigma / r;
        p.a + p.b * (p.rho * x + r)
    }

    fn total_variance_k_derivatives(&self, params: &[f64], k: f64) -> (f64, f64, f64) {
        SviParams::from_slice(params).k_derivatives(k)
    }

    fn check_domain(&self, params: &[f64]) -> Result<(), String> {
        let p = SviParams::from_slice(params);
        if params.iter().any(|x| !x.is_finite()) {
            Err("a parameter is not finite".to_owned())
        } else if p.b < 0.0 {
            Err(format!("b = {} < 0", p.b))
        } else if p.rho.abs() >= 1.0 {
            Err(format!("|rho| = {} ≥ 1", p.rho.abs()))
        } else if p.sigma <= 0.0 {
            Err(format!("sigma = {} ≤ 0", p.sigma))
        } else if p.min_total_variance() < 0.0 {
            Err(format!("minimum total variance a + b·sigma·√(1 − rho²) = {:.3e} < 0", p.min_total_variance()))
        } else {
            Ok(())
        }
    }

    /// b ≥ 0, ρ ∈ [−1, 1], σ > 0; a and m are free.
    fn param_limits(&self) -> Vec<(f64, f64)> {
        vec![
            (f64::NEG_INFINITY, f64::INFINITY),
            (0.0, f64::INFINITY),
            (-1.0, 1.0),
            (f64::NEG_INFINITY, f64::INFINITY),
            (f64::MIN_POSITIVE, f64::INFINITY),
        ]
    }

    fn default_bounds(&self) -> Vec<(f64, f64)> {
        vec![(-1.0, 4.0), (0.0, 2.0), (-0.999, 0.999), (-2.0, 2.0), (1e-4, 4.0)]
    }
}

/// Raw SVI's degenerate shape: σ at its lower bound (while free) with b > 0 is a V-shaped kink.
impl ShapeCheck for Svi {
    fn degenerate(&self, params: &[f64], bounds: &[(f64, f64)], fixed: &[Option<f64>]) -> Option<String> {
        let (Some(&sigma), Some(&b), Some(&(lo, _)), Some(None)) =
            (params.get(4), params.get(1), bounds.get(4), fixed.get(4))
        else {
            return None;
        };
        (sigma <= lo * (1.0 + 1e-6) && b > 0.0).then(|| {
            format!("degenerate fit: sigma = {sigma:.2e} at its lower bound with b = {b:.3} (a V-shaped kink)")
        })
    }
}

/// Raw SVI's repair: blend a and b towards a flat smile (b = 0, a = the fitted total variance at k = 0; g ≡ 1
/// there), keeping ρ, m, σ, with the largest blend factor λ ∈ [0, 1] (bisection) whose smile passes; `None`
/// when a or b is fixed (no flat smile is reachable).
impl ButterflyRepair for Svi {
    fn repair(&self, params: &[f64], free: &[usize], passes: &dyn Fn(&[f64]) -> bool) -> Option<(Vec<f64>, f64)> {
        if !(free.contains(&SviParams::A) && free.contains(&SviParams::B)) || params.len() != SVI_PARAMS.len() {
            return None;
        }
        let w_atm = self.total_variance(params, 0.0);
        if !(w_atm > 0.0 && w_atm.is_finite()) {
            return None;
        }
        let blend = |lambda: f64| {
            let mut p = params.to_vec();
            p[SviParams::A] = w_atm + lambda * (params[SviParams::A] - w_atm);
            p[SviParams::B] = lambda * params[SviParams::B];
            p
        };
        let fine = |p: &[f64]| self.check_domain(p).is_ok() && passes(p);
        if !fine(&blend(0.0)) {
            return None;
        }
        let (mut ok, mut bad) = (0.0, 1.0);
        for _ in 0..40 {
            let mid = 0.5 * (ok + bad);
            if fine(&blend(mid)) {
                ok = mid;
            } else {
                bad = mid;
            }
        }
        Some((blend(ok), ok))
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn value_with_gradient_is_bit_identical_to_the_two_calls() {
        let p = [0.01, 0.12, -0.4, 0.05, 0.2];
        for k in [-1.5, -0.3, 0.0, 0.05, 0.7] {
            let (mut g1, mut g2) = ([0.0; 5], [0.0; 5]);
            let w = Svi.total_variance_with_gradient(&p, k, &mut g1);
            Svi.total_variance_gradient(&p, k, &mut g2);
            assert_eq!(w.to_bits(), Svi.total_variance(&p, k).to_bits());
            assert_eq!(g1, g2);
        }
    }
    use super::*;

    const P: [f64; 5] = [0.04, 0.4, -0.3, 0.05, 0.2];

    #[test]
    fn at_k_equal_m_w_is_a_plus_b_sigma() {
        let p = SviParams::from_slice(&P);
        assert!((p.total_variance(p.m) - (p.a + p.b * p.sigma)).abs() < 1e-15);
    }

    #[test]
    fn analytic_gradient_matches_central_differences() {
        let mut analytic = [0.0; 5];
        for k in [-1.5, -0.3, 0.0, 0.05, 0.7, 2.0] {
            Svi.total_variance_gradient(&P, k, &mut analytic);
            for i in 0..5 {
                let h = 1e-6;
                let (mut up, mut down) = (P, P);
                up[i] += h;
                down[i] -= h;
                let numeric = (Svi.total_variance(&up, k) - Svi.total_variance(&down, k)) / (2.0 * h);
                assert!((analytic[i] - numeric).abs() < 1e-8, "param {i} at k = {k}: {} vs {numeric}", analytic[i]);
            }
            let (_, w1, w2) = Svi.total_variance_k_derivatives(&P, k);
            let h = 1e-5;
            let num1 = (Svi.total_variance(&P, k + h) - Svi.total_variance(&P, k - h)) / (2.0 * h);
            let num2 = (Svi.total_variance(&P, k + h) - 2.0 * Svi.total_variance(&P, k)
                + Svi.total_variance(&P, k - h))
                / (h * h);
            assert!((w1 - num1).abs() < 1e-8 && (w2 - num2).abs() < 1e-4, "k = {k}");
        }
    }

    #[test]
    fn domain_errors_name_the_parameter() {
        assert!(Svi.check_domain(&P).is_ok());
        assert!(Svi.check_domain(&[0.04, -0.1, 0.0, 0.0, 0.1]).unwrap_err().starts_with("b ="));
        assert!(Svi.check_domain(&[0.04, 0.1, 1.0, 0.0, 0.1]).unwrap_err().starts_with("|rho|"));
        assert!(Svi.check_domain(&[0.04, 0.1, 0.0, 0.0, 0.0]).unwrap_err().starts_with("sigma"));
        assert!(Svi.check_domain(&[-0.5, 0.1, 0.0, 0.0, 0.1]).unwrap_err().starts_with("minimum total variance"));
        assert!(Svi.check_domain(&[f64::NAN, 0.1, 0.0, 0.0, 0.1]).is_err());
    }
}
