//! Fast implied total volatility for the normalised Black problem, with a certificate and a fallback.
//!
//! Notation (Jäckel, *Let's Be Rational*): x = −|ln(F/K)| ≤ 0, s = σ√T the total vol, b(x, s) the
//! out-of-the-money normalised Black price (time value / √(FK)), β the normalised market time value and
//! b_max = e^{x/2} its supremum.
//!
//! Algorithm ([`fast_total_vol`]):
//! 1. *Guess*: map (|x|, β) to table coordinates (U, V) ∈ [0, U_MAX) × [0, 1) and interpolate the ratio
//!    R = s / s̃ with a bicubic Catmull-Rom spline on a 96 × 48 table (f32, 18 kB), where s̃ is a closed-form
//!    scale (exact in the Bachelier limit s → 0). The table is built once, lazily, with the `implied-vol`
//!    crate's Let's Be Rational. Over the crypto region the guess is within ~1e-5 relative of s.
//! 2. *One step*: a third-order Householder step on g(s) = ln b(s) − ln β, with the exact b from the crate's
//!    normalised Black function and closed-form derivatives b' = exp(−x²/2s² − s²/8)/√(2π),
//!    b''/b' = x²/s³ − s/4, b'''/b' = (b''/b')² − 3x²/s⁴ − 1/4.
//! 3. *Certificate*: the step converges quartically, error after ≈ K·e₀⁴ with e₀ the relative error before.
//!    Measured over the table domain, K < 1 (for e₀ up to 1e-3, where higher-order terms dominate). The step
//!    itself estimates e₀ (|Δs|/s = e₀ to first order), so accepting only |Δs| ≤ [`MAX_REL_STEP`]·s bounds the
//!    truncation error by K·(4e-5)⁴ ≈ 3e-18, far below one ulp: what remains is the rounding of b itself,
//!    as in Let's Be Rational. Anything else (outside the table, a non-finite value, a larger step) returns
//!    `None` and the caller uses the crate's solver.

use std::sync::OnceLock;

use implied_vol::solver::Jaeckel;
use implied_vol::{DefaultSpecialFn, ImpliedBlackVolatilityNormalised, PriceBlackScholesNormalised};

pub use super::implied_vol::{solver_path, SolverPath};

/// Largest accepted Householder correction, relative to s (see the module docs for why it certifies).
pub const MAX_REL_STEP: f64 = 4e-5;

/// 1/√(2π).
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
/// 2π.
const TWO_PI: f64 = 2.0 * std::f64::consts::PI;

/// Cells of the table along U and V; the stored grid adds one ghost node on each side.
const CELLS_U: usize = 96;
const CELLS_V: usize = 48;
const NODES_U: usize = CELLS_U + 3;
const NODES_V: usize = CELLS_V + 3;
/// U = u/(u + U_STRETCH) with u = √L: stretches the near-the-money end, where s varies fastest.
const U_STRETCH: f64 = 4.0;
/// Upper end of U; u ≤ 26.6 (L ≤ 709, ln of |x|/β for the smallest normal β) maps below it.
const U_MAX: f64 = 0.875;
/// v = s̃·(1/S_CAP + h̃/X_CAP) normalises the scale so that the crypto region (s ≤ 4.3, |x| ≤ 1.5) has v ≲ 2.
const S_CAP: f64 = 8.0;
const X_CAP: f64 = 3.0;
/// V = v/(1 + v)/V_MAX ∈ [0, 1) covers v ∈ [0, 3).
const V_MAX: f64 = 0.8;

/// Implied total vol s = σ√T of an out-of-the-money normalised price, or `None` when the fast path cannot
/// certify its answer (the caller must then use a full solver).
///
/// `x_neg_abs` = −|ln(F/K)|, `beta` the normalised time value and `beta_over_b_max` = β/e^{x/2} ∈ (0, 1) (it
/// only shapes the table coordinates, so a value off by a few ulps is harmless; from market inputs it is the
/// time value over min(F, K)).
#[inline]
pub fn fast_total_vol(x_neg_abs: f64, beta: f64, beta_over_b_max: f64) -> Option<f64> {
    let guess = table().guess(-x_neg_abs, beta, beta_over_b_max)?;
    householder_ln_step(x_neg_abs, beta, guess)
}

#[doc(hidden)]
pub fn tmp_guess(x_neg_abs: f64, beta: f64, b_max: f64) -> Option<f64> {
    table().guess(-x_neg_abs, beta, beta / b_max)
}
#[doc(hidden)]
pub fn tmp_black(x: f64, s: f64) -> f64 {
    normalised_black(x, s)
}

/// One third-order Householder step on ln b(s) − ln β from `s`; `Some(s + Δs)` only when |Δs| ≤
/// [`MAX_REL_STEP`]·s (which also rejects every NaN).
#[inline]
fn householder_ln_step(x: f64, beta: f64, s: f64) -> Option<f64> {
    let b = normalised_black(x, s);
    if !(b >= f64::MIN_POSITIVE) {
        return None;
    }
    let inv_s = 1.0 / s;
    let h = x * inv_s;
    let vega = FRAC_1_SQRT_2PI * (-0.5 * h * h - 0.125 * s * s).exp();
    let vega_over_b = vega / b;
    let x2_over_s3 = h * h * inv_s;
    let b2_over_b1 = x2_over_s3 - 0.25 * s;
    let b3_over_b1 = b2_over_b1 * b2_over_b1 - 3.0 * x2_over_s3 * inv_s - 0.25;
    let nu = -(b / beta).ln() * b / vega;
    let g2_over_g1 = b2_over_b1 - vega_over_b;
    let g3_over_g1 = b3_over_b1 - vega_over_b * (3.0 * b2_over_b1 - 2.0 * vega_over_b);
    let ds = nu * (1.0 + 0.5 * g2_over_g1 * nu) / (1.0 + nu * (g2_over_g1 + g3_over_g1 * nu / 6.0));
    (ds.abs() <= MAX_REL_STEP * s).then_some(s + ds)
}

/// Out-of-the-money normalised Black price b(x, s), Jäckel's accurate evaluation (through the crate).
#[inline]
fn normalised_black(x: f64, s: f64) -> f64 {
    PriceBlackScholesNormalised::builder()
        .log_moneyness(x)
        .total_volatility(s)
        .build_unchecked()
        .calculate::<DefaultSpecialFn>()
}

/// Let's Be Rational (no cross-method fallback): the reference the table is built from.
fn lets_be_rational_total_vol(x: f64, beta: f64) -> f64 {
    ImpliedBlackVolatilityNormalised::builder()
        .log_moneyness(x)
        .normalised_price(beta)
        .build_unchecked()
        .calculate_with::<Jaeckel>()
        .unwrap_or(f64::NAN)
}

/// Table coordinates of one input and the scale s̃ the tabulated ratio multiplies.
#[derive(Clone, Copy, Debug)]
struct Coords {
    /// U ∈ [0, U_MAX) for tabulated inputs.
    u: f64,
    /// V ∈ [0, 1) for tabulated inputs.
    v: f64,
    /// Closed-form scale s̃ with s = R(U, V)·s̃.
    scale: f64,
}

/// (|x|, β, w = β/b_max) → (U, V, s̃).
///
/// With t = |x|/β and L = ln(1 + t): in the Bachelier limit h = x/s is a function of t alone, h̃ =
/// L/√(2π + L/2) approximates it (≈ t/√(2π) near the money, ≈ √(2L) in the tail) and s̃ = |x|/h̃, computed
/// as β'·(t/L)·√(2π + L/2) so that it stays finite at x = 0, where β' = −b_max·ln(1 − w) ≈ β stretches the
/// prices near b_max (large s). U = √L/(√L + U_STRETCH) makes R an even, smooth function of √L;
/// V = v/(1 + v)/V_MAX with v = s̃·(1/S_CAP + h̃/X_CAP) = s̃/S_CAP + β'·t/X_CAP. The two quotients share
/// one division.
#[inline]
fn coords(abs_x: f64, beta: f64, beta_over_b_max: f64) -> Coords {
    let t = abs_x / beta;
    let l = t.ln_1p();
    let sqrt_l = l.sqrt();
    let q = (TWO_PI + 0.5 * l).sqrt();
    let t_over_l = if l > 1e-300 { t / l } else { 1.0 };
    let beta_stretched = beta * (-(-beta_over_b_max).ln_1p() / beta_over_b_max);
    let scale = beta_stretched * t_over_l * q;
    let v_raw = scale * (1.0 / S_CAP) + beta_stretched * t * (1.0 / X_CAP);
    let (u_den, v_den) = (sqrt_l + U_STRETCH, (1.0 + v_raw) * V_MAX);
    let inv_den = 1.0 / (u_den * v_den);
    Coords { u: sqrt_l * v_den * inv_den, v: v_raw * u_den * inv_den, scale }
}

/// Inverse of [`coords`]: the (|x|, β) of table coordinates (U, V), U ≥ 0, V > 0.
fn inputs_at(u_coord: f64, v_coord: f64) -> (f64, f64) {
    let sqrt_l = U_STRETCH * u_coord / (1.0 - u_coord);
    let l = sqrt_l * sqrt_l;
    let t = l.exp_m1();
    let q = (TWO_PI + 0.5 * l).sqrt();
    let h_tilde = l / q;
    let v_raw = v_coord * V_MAX / (1.0 - v_coord * V_MAX);
    let scale = v_raw / (1.0 / S_CAP + h_tilde / X_CAP);
    let t_over_l = if l > 1e-300 { t / l } else { 1.0 };
    let beta_stretched = scale / (t_over_l * q);
    // Solve β' = −b_max·ln(1 − β/b_max) with b_max = exp(−β t / 2) by fixed-point iteration (a contraction
    // here: b_max changes slowly with β).
    let mut beta = beta_stretched;
    for _ in 0..200 {
        let b_max = (-0.5 * beta * t).exp();
        let next = -b_max * (-beta_stretched / b_max).exp_m1();
        if next == beta || !next.is_finite() {
            beta = next;
            break;
        }
        beta = next;
    }
    (beta * t, beta)
}

/// The interpolation table of R = s/s̃ on a uniform (U, V) grid with ghost nodes.
struct GuessTable {
    /// NODES_U × NODES_V values, row-major in U; NaN where the node has no valid input.
    ratio: Box<[f32]>,
}

/// The table, built on first use.
fn table() -> &'static GuessTable {
    static TABLE: OnceLock<GuessTable> = OnceLock::new();
    TABLE.get_or_init(GuessTable::build)
}

impl GuessTable {
    const DU: f64 = U_MAX / CELLS_U as f64;
    const DV: f64 = 1.0 / CELLS_V as f64;

    /// Tabulates R with Let's Be Rational. Ghost node U = −dU holds the mirror value (R is even in √L);
    /// ghost node V = −dV is the cubic extrapolation of the first three nodes.
    fn build() -> GuessTable {
        let mut ratio = vec![f32::NAN; NODES_U * NODES_V];
        for i in 0..NODES_U {
            let u_coord = ((i as f64 - 1.0) * Self::DU).abs();
            for j in 1..NODES_V {
                // V = 0 itself is s = 0; a tiny V is the same limit to 1e-9.
                let v_coord = ((j as f64 - 1.0) * Self::DV).max(1e-9);
                ratio[i * NODES_V + j] = ratio_at(u_coord, v_coord) as f32;
            }
            let row = &mut ratio[i * NODES_V..(i + 1) * NODES_V];
            row[0] = 3.0 * row[1] - 3.0 * row[2] + row[3];
        }
        GuessTable { ratio: ratio.into_boxed_slice() }
    }

    /// Interpolated s for (|x|, β), or `None` outside the table or where a node is invalid.
    #[inline]
    fn guess(&self, abs_x: f64, beta: f64, beta_over_b_max: f64) -> Option<f64> {
        let c = coords(abs_x, beta, beta_over_b_max);
        if !(c.u < U_MAX && c.v < 1.0 && c.v >= 0.0) {
            return None;
        }
        let fu = c.u * (CELLS_U as f64 / U_MAX);
        let fv = c.v * CELLS_V as f64;
        let (iu, iv) = (fu as usize, fv as usize);
        let wu = catmull_rom_weights(fu - iu as f64);
        let wv = catmull_rom_weights(fv - iv as f64);
        let mut ratio = 0.0;
        for (k, w) in wu.iter().enumerate() {
            let start = (iu + k) * NODES_V + iv;
            let row = self.ratio.get(start..start + 4)?;
            let along_v: f64 = row.iter().zip(wv).map(|(&r, w)| f64::from(r) * w).sum();
            ratio += w * along_v;
        }
        let s = ratio * c.scale;
        (s > 0.0 && s.is_finite()).then_some(s)
    }
}

/// R = s/s̃ at table coordinates (NaN where the inputs leave the Black domain).
fn ratio_at(u_coord: f64, v_coord: f64) -> f64 {
    let (abs_x, beta) = inputs_at(u_coord, v_coord);
    let b_max = (-0.5 * abs_x).exp();
    if !(beta >= f64::MIN_POSITIVE && beta < b_max) {
        return f64::NAN;
    }
    let s = lets_be_rational_total_vol(-abs_x, beta);
    s / coords(abs_x, beta, beta / b_max).scale
}

/// Catmull-Rom weights of the four nodes around a point at fraction `f` ∈ [0, 1) of its cell.
#[inline]
fn catmull_rom_weights(f: f64) -> [f64; 4] {
    let f2 = f * f;
    let f3 = f2 * f;
    [-0.5 * f3 + f2 - 0.5 * f, 1.5 * f3 - 2.5 * f2 + 1.0, -1.5 * f3 + 2.0 * f2 + 0.5 * f, 0.5 * f3 - 0.5 * f2]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_round_trip() {
        for &(u, v) in &[(0.0, 0.3), (0.1, 0.01), (0.5, 0.5), (0.8, 0.9)] {
            let (abs_x, beta) = inputs_at(u, v);
            let c = coords(abs_x, beta, beta / (-0.5 * abs_x).exp());
            assert!((c.u - u).abs() < 1e-12 && (c.v - v).abs() < 1e-9, "{u} {v}: {c:?}");
        }
    }

    #[test]
    fn table_covers_the_crypto_region_without_holes() {
        let t = table();
        let valid = t.ratio.iter().filter(|r| r.is_finite()).count();
        assert!(valid > NODES_U * NODES_V * 9 / 10, "{valid}");
        let beta = normalised_black(-0.3, 0.5);
        assert!(fast_total_vol(-0.3, beta, beta / (-0.15f64).exp()).is_some());
    }
}
