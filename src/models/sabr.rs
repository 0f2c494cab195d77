//! SABR lognormal (Black) implied vol: the Hagan, Kumar, Lesniewski & Woodward (2002) expansion, and Obloj's
//! (2008, "Fine-tune your smile: correction to Hagan et al.") leading term, which is the default.
//!
//! With L = ln(F/K) = −k, q = 1 − β, z/x(z) → 1 as z → 0, and x(z) = ln((√(1 − 2ρz + z²) + z − ρ)/(1 − ρ)):
//!
//! - Hagan 2002: σ_B = α / ((FK)^(q/2)·(1 + q²L²/24 + q⁴L⁴/1920)) · z/x(z) · (1 + T·I₁), z = (ν/α)(FK)^(q/2)·L
//!   (as QuantLib's `sabrVolatility`);
//! - Obloj 2008: σ_B = ν·L/x(z) · (1 + T·I₁), z = ν·(F^q − K^q)/(α·q) (z = ν·L/α at β = 1), evaluated here as
//!   α·F^(−q)·h(qL)·z/x(z) with h(u) = u/(1 − e^(−u)), so that K = F, ν = 0 and β = 1 need no 0/0;
//! - both: I₁ = q²α²/(24(FK)^q) + ρβνα/(4(FK)^(q/2)) + (2 − 3ρ²)ν²/24.
//!
//! α is in F^(1−β) units (USD forward and strikes): the ATM vol is ≈ α/F^(1−β). The correction factor
//! 1 + T·I₁ can turn negative (|ρ| near 1, large ν, long T): the vol is then NaN, never negative, and
//! [`SmileModel::check_domain`] says so for k ∈ [−[`SABR_DOMAIN_K`], [`SABR_DOMAIN_K`]].
//!
//! **Fixed β.** β stays a parameter (index [`SABR_BETA_INDEX`] of [`SABR_PARAMS`]) so every model has the same
//! parameter layout. When [`Sabr::beta`] is `Some(β)`, [`SmileModel::default_bounds`] pins it to (β, β) (the
//! calibrator takes a parameter whose bounds coincide out of the problem), and `check_domain` rejects any other β.

use super::SmileModel;

/// Parameter names: alpha, beta, rho, nu.
pub const SABR_PARAMS: [&str; 4] = ["alpha", "beta", "rho", "nu"];

/// Index of β in [`SABR_PARAMS`].
pub const SABR_BETA_INDEX: usize = 1;

/// Half-width of the log-moneyness range on which `check_domain` requires a positive correction factor.
pub const SABR_DOMAIN_K: f64 = 3.0;

/// Which SABR expansion to use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SabrVariant {
    /// Hagan et al. 2002 (QuantLib `sabrVolatility`).
    Hagan2002,
    /// Obloj 2008's leading term with Hagan's correction factor (consistent as β → 1 and ν → 0).
    #[default]
    Obloj2008,
}

/// SABR parameters by name.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SabrParams {
    /// Vol level, in F^(1−β) units (> 0).
    pub alpha: f64,
    /// CEV exponent, in [0, 1].
    pub beta: f64,
    /// Spot–vol correlation, in (−1, 1).
    pub rho: f64,
    /// Vol of vol (≥ 0).
    pub nu: f64,
}

impl SabrParams {
    /// Index of `alpha` in [`SABR_PARAMS`] order.
    pub const ALPHA: usize = 0;
    /// Index of `beta`.
    pub const BETA: usize = 1;
    /// Index of `rho`.
    pub const RHO: usize = 2;
    /// Index of `nu`.
    pub const NU: usize = 3;

    /// From a parameter slice in [`SABR_PARAMS`] order.
    pub fn from_slice(p: &[f64]) -> Self {
        SabrParams { alpha: p[0], beta: p[1], rho: p[2], nu: p[3] }
    }

    /// As a parameter array in [`SABR_PARAMS`] order.
    pub fn to_array(self) -> [f64; 4] {
        [self.alpha, self.beta, self.rho, self.nu]
    }

    /// The correction factor 1 + T·I₁ at strike `strike` (forward `forward`, expiry `t_years`).
    pub fn correction_factor(&self, forward: f64, strike: f64, t_years: f64) -> f64 {
        let q = 1.0 - self.beta;
        let u = self.alpha / (forward * strike).powf(q / 2.0);
        1.0 + t_years * self.correction_rate(u)
    }

    /// I₁ as a function of u = α/(FK)^(q/2): q²u²/24 + ρβνu/4 + (2 − 3ρ²)ν²/24.
    fn correction_rate(&self, u: f64) -> f64 {
        let q = 1.0 - self.beta;
        q * q * u * u / 24.0
            + self.rho * self.beta * self.nu * u / 4.0
            + (2.0 - 3.0 * self.rho * self.rho) * self.nu * self.nu / 24.0
    }

    /// Lognormal implied vol at `strike`; NaN outside the domain or where the correction factor is ≤ 0.
    pub fn implied_vol(&self, variant: SabrVariant, forward: f64, strike: f64, t_years: f64) -> f64 {
        if !(self.alpha > 0.0 && forward > 0.0 && strike > 0.0 && self.rho.abs() < 1.0 && self.nu >= 0.0) {
            return f64::NAN;
        }
        let factor = self.correction_factor(forward, strike, t_years);
        if factor.is_nan() || factor <= 0.0 {
            return f64::NAN;
        }
        let leading = match variant {
            SabrVariant::Hagan2002 => self.hagan_leading(forward, strike),
            SabrVariant::Obloj2008 => self.obloj_leading(forward, strike),
        };
        leading * factor
    }

    /// Hagan 2002's leading term α/((FK)^(q/2)·(1 + q²L²/24 + q⁴L⁴/1920))·z/x(z).
    fn hagan_leading(&self, forward: f64, strike: f64) -> f64 {
        let q = 1.0 - self.beta;
        let log_m = (forward / strike).ln();
        let sqrt_a = (forward * strike).powf(q / 2.0);
        let c = q * q * log_m * log_m;
        let z = self.nu / self.alpha * sqrt_a * log_m;
        self.alpha / (sqrt_a * (1.0 + c / 24.0 + c * c / 1920.0)) * z_over_x(z, self.rho)
    }

    /// Obloj 2008's leading term ν·L/x(z) = α·F^(−q)·h(qL)·z/x(z), z = (ν/α)·F^q·L/h(qL).
    fn obloj_leading(&self, forward: f64, strike: f64) -> f64 {
        let q = 1.0 - self.beta;
        let log_m = (forward / strike).ln();
        let f_q = forward.powf(q);
        let h = one_minus_exp_ratio(q * log_m);
        let z = self.nu / self.alpha * f_q * log_m / h;
        self.alpha / f_q * h * z_over_x(z, self.rho)
    }
}

/// h(u) = u/(1 − e^(−u)), with h(0) = 1.
fn one_minus_exp_ratio(u: f64) -> f64 {
    if u.abs() < 1e-8 {
        1.0 + u / 2.0
    } else {
        u / -(-u).exp_m1()
    }
}

/// z/x(z) with x(z) = ln((√(1 − 2ρz + z²) + z − ρ)/(1 − ρ)); the series 1 − ρz/2 + (2 − 3ρ²)z²/12 near 0, and
/// the equivalent −ln((√(…) − z + ρ)/(1 + ρ)) for z < ρ, which avoids cancellation.
fn z_over_x(z: f64, rho: f64) -> f64 {
    if z.abs() < 1e-7 {
        return 1.0 - 0.5 * rho * z + (2.0 - 3.0 * rho * rho) * z * z / 12.0;
    }
    let root = (1.0 - 2.0 * rho * z + z * z).sqrt();
    let x = if z >= rho { ((root + z - rho) / (1.0 - rho)).ln() } else { -((root - z + rho) / (1.0 + rho)).ln() };
    z / x
}

/// SABR for one slice.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sabr {
    /// Time to expiry, years (> 0).
    pub t_years: f64,
    /// Forward, quote currency (USD) (> 0).
    pub forward: f64,
    /// Which expansion.
    pub variant: SabrVariant,
    /// `Some(β)` when the user fixes β (see the module docs); `None` when β is fitted.
    pub beta: Option<f64>,
}

impl Sabr {
    /// The default (Obloj 2008) variant for a slice, with β free.
    pub fn new(t_years: f64, forward: f64) -> Self {
        Sabr { t_years, forward, variant: SabrVariant::default(), beta: None }
    }

    /// The same model with β fixed at `beta`.
    pub fn with_fixed_beta(self, beta: f64) -> Self {
        Sabr { beta: Some(beta), ..self }
    }

    /// The same model with another variant.
    pub fn with_variant(self, variant: SabrVariant) -> Self {
        Sabr { variant, ..self }
    }

    /// Lognormal implied vol at a USD strike; NaN where the parameters give none.
    pub fn implied_vol_at_strike(&self, params: &[f64], strike: f64) -> f64 {
        SabrParams::from_slice(params).implied_vol(self.variant, self.forward, strike, self.t_years)
    }

    /// The smallest correction factor 1 + T·I₁ over k ∈ [−SABR_DOMAIN_K, SABR_DOMAIN_K] and where it is:
    /// I₁ is a quadratic in u = α/(FK)^(q/2), minimised over the u range of those strikes.
    fn min_correction_factor(&self, p: &SabrParams) -> (f64, f64) {
        let q = 1.0 - p.beta;
        let u_of_k = |k: f64| p.alpha / self.forward.powf(q) * (-q * k / 2.0).exp();
        let k_of_u = |u: f64| -2.0 / q * (u * self.forward.powf(q) / p.alpha).ln();
        let mut candidates = vec![-SABR_DOMAIN_K, 0.0, SABR_DOMAIN_K];
        let curvature = q * q / 12.0;
        if curvature > 0.0 {
            let u_vertex = -p.rho * p.beta * p.nu / 4.0 / curvature;
            let k_vertex = k_of_u(u_vertex);
            if k_vertex.abs() <= SABR_DOMAIN_K {
                candidates.push(k_vertex);
            }
        }
        candidates
            .into_iter()
            .map(|k| (1.0 + self.t_years * p.correction_rate(u_of_k(k)), k))
            .fold((f64::INFINITY, 0.0), |best, c| if c.0 < best.0 { c } else { best })
    }

    /// Checks the parameters that do not involve the correction factor.
    fn check_basic(&self, p: &SabrParams) -> Result<(), String> {
        if p.to_array().iter().any(|x| !x.is_finite()) {
            Err("a parameter is not finite".to_owned())
        } else if !(self.t_years > 0.0 && self.forward > 0.0) {
            Err(format!("slice t_years = {} and forward = {} must be positive", self.t_years, self.forward))
        } else if p.alpha <= 0.0 {
            Err(format!("alpha = {} ≤ 0", p.alpha))
        } else if !(0.0..=1.0).contains(&p.beta) {
            Err(format!("beta = {} outside [0, 1]", p.beta))
        } else if p.rho.abs() >= 1.0 {
            Err(format!("|rho| = {} ≥ 1", p.rho.abs()))
        } else if p.nu < 0.0 {
            Err(format!("nu = {} < 0", p.nu))
        } else {
            Ok(())
        }
    }
}

impl SmileModel for Sabr {
    fn name(&self) -> &'static str {
        "sabr"
    }

    fn starts(&self) -> Option<&dyn super::Starts> {
        Some(self)
    }

    fn drag(&self) -> Option<&dyn super::Drag> {
        Some(self)
    }

    fn param_names(&self) -> &'static [&'static str] {
        &SABR_PARAMS
    }

    /// w(k) = σ_B(K = F·e^k)²·T.
    fn total_variance(&self, params: &[f64], k: f64) -> f64 {
        let vol = self.implied_vol_at_strike(params, self.forward * k.exp());
        vol * vol * self.t_years
    }

    fn check_domain(&self, params: &[f64]) -> Result<(), String> {
        let p = SabrParams::from_slice(params);
        self.check_basic(&p)?;
        if let Some(fixed) = self.beta.filter(|&b| b != p.beta) {
            return Err(format!("beta = {} differs from the fixed beta = {fixed}", p.beta));
        }
        let (factor, k) = self.min_correction_factor(&p);
        if factor.is_nan() || factor <= 0.0 {
            return Err(format!(
                "correction factor 1 + T·(…) = {factor:.3e} ≤ 0 at k = {k:.3} (large nu, |rho| or T): the \
                 expansion gives no vol there"
            ));
        }
        Ok(())
    }

    /// α > 0, β ∈ [0, 1], ρ ∈ [−1, 1], ν ≥ 0.
    fn param_limits(&self) -> Vec<(f64, f64)> {
        vec![(f64::MIN_POSITIVE, f64::INFINITY), (0.0, 1.0), (-1.0, 1.0), (0.0, f64::INFINITY)]
    }

    /// alpha: ATM vol 1 %–1000 % in F^(1−β) units (for the fixed β, or spanning β ∈ [0, 1] when β is free);
    /// beta: (β, β) when fixed, else [0, 1]; rho: [−0.999, 0.999]; nu: [0, 10].
    fn default_bounds(&self) -> Vec<(f64, f64)> {
        let (alpha, beta) = match self.beta {
            Some(b) => {
                let scale = self.forward.powf(1.0 - b);
                ((0.01 * scale, 10.0 * scale), (b, b))
            }
            None => {
                let (lo, hi) = (self.forward.min(1.0), self.forward.max(1.0));
                ((0.01 * lo, 10.0 * hi), (0.0, 1.0))
            }
        };
        vec![alpha, beta, (-0.999, 0.999), (0.0, 10.0)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: f64 = 65000.0;

    fn vol(variant: SabrVariant, p: [f64; 4], k: f64, t: f64) -> f64 {
        Sabr::new(t, F).with_variant(variant).implied_vol(&p, k, t)
    }

    #[test]
    fn obloj_and_hagan_agree_at_the_money_and_coincide_at_beta_one() {
        for t in [0.02, 0.25, 1.0] {
            let p = [180.0, 0.5, -0.3, 1.5];
            let (h, o) = (vol(SabrVariant::Hagan2002, p, 0.0, t), vol(SabrVariant::Obloj2008, p, 0.0, t));
            assert!((h - o).abs() <= 1e-14 * h, "T = {t}: {h} vs {o}");
            // ATM: α/F^(1−β)·(1 + T·I₁).
            let atm = SabrParams::from_slice(&p).correction_factor(F, F, t) * 180.0 / F.sqrt();
            assert!((h - atm).abs() <= 1e-14 * atm);
            // Near the money the leading terms differ by O(k²) only.
            for k in [0.05, -0.05] {
                let (h, o) = (vol(SabrVariant::Hagan2002, p, k, t), vol(SabrVariant::Obloj2008, p, k, t));
                assert!((h - o).abs() < 1e-3 * h, "T = {t}, k = {k}: {h} vs {o}");
            }
            let p1 = [0.8, 1.0, -0.3, 1.5];
            for k in [-1.0, -0.2, 0.0, 0.3, 1.0] {
                let (h, o) = (vol(SabrVariant::Hagan2002, p1, k, t), vol(SabrVariant::Obloj2008, p1, k, t));
                assert!((h - o).abs() <= 1e-13 * h, "beta = 1, k = {k}: {h} vs {o}");
            }
        }
    }

    #[test]
    fn continuous_in_beta_towards_one_and_in_k_through_the_money() {
        for variant in [SabrVariant::Hagan2002, SabrVariant::Obloj2008] {
            for k in [-1.0, -1e-9, 0.0, 1e-9, 0.5] {
                let at_one = vol(variant, [0.8, 1.0, -0.3, 1.5], k, 0.5);
                let near_one = vol(variant, [0.8, 1.0 - 1e-9, -0.3, 1.5], k, 0.5);
                assert!((at_one - near_one).abs() < 1e-7 * at_one, "{variant:?} k = {k}: {at_one} vs {near_one}");
            }
            let atm = vol(variant, [180.0, 0.5, -0.3, 1.5], 0.0, 0.5);
            let off = vol(variant, [180.0, 0.5, -0.3, 1.5], 1e-10, 0.5);
            assert!((atm - off).abs() < 1e-9 * atm);
            // ν = 0: no 0/0.
            assert!(vol(variant, [180.0, 0.5, 0.0, 0.0], 0.3, 0.5).is_finite());
        }
    }

    #[test]
    fn negative_correction_factor_gives_nan_and_a_domain_error() {
        let model = Sabr::new(2.0, F);
        let p = [0.5, 1.0, -0.95, 4.0];
        assert!(model.total_variance(&p, 0.0).is_nan());
        assert!(model.check_domain(&p).unwrap_err().starts_with("correction factor"));
        assert!(model.check_domain(&[0.5, 1.0, -0.3, 1.0]).is_ok());
        assert!(model.check_domain(&[-0.5, 1.0, -0.3, 1.0]).unwrap_err().starts_with("alpha"));
        assert!(model.check_domain(&[0.5, 1.2, -0.3, 1.0]).unwrap_err().starts_with("beta"));
        assert!(model.check_domain(&[0.5, 1.0, 1.0, 1.0]).unwrap_err().starts_with("|rho|"));
        assert!(model.check_domain(&[0.5, 1.0, 0.0, f64::NAN]).is_err());
        assert!(model.total_variance(&[-0.5, 1.0, 0.0, 1.0], 0.0).is_nan());
    }

    #[test]
    fn fixed_beta_is_pinned_in_bounds_and_checked() {
        let model = Sabr::new(0.5, F).with_fixed_beta(0.5);
        assert_eq!(model.default_bounds()[SABR_BETA_INDEX], (0.5, 0.5));
        assert!(model.check_domain(&[180.0, 0.5, -0.3, 1.0]).is_ok());
        assert!(model.check_domain(&[180.0, 0.6, -0.3, 1.0]).unwrap_err().contains("fixed beta"));
        assert_eq!(Sabr::new(0.5, F).default_bounds()[SABR_BETA_INDEX], (0.0, 1.0), "free beta");
    }
}
