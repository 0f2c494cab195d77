//! Fast implied total volatility for the normalised Black problem, with a certificate and a fallback.
//!
//! Notation (Jäckel, *Let's Be Rational*): x = −|ln(F/K)| ≤ 0, s = σ√T the total vol, b(x, s) the
//! out-of-the-money normalised Black price (time value/√(FK)), β the normalised market time value, b_max =
//! e^{x/2} its supremum and h = x/s.
//!
//! Algorithm ([`fast_total_vol`]):
//! 1. *Guess*: map the inputs to table coordinates (U, V) ∈ [0, U_MAX) × [0, 1) (one `ln_1p` of r/β with
//!    r = e^{|x|} − 1, one of 1 − β/b_max, one square root) and interpolate the ratio R = s/s̃ with a bicubic
//!    Catmull-Rom spline on a 96 × 48 table (f32, 20 kB), s̃ being a closed-form scale. The table is built
//!    once, lazily (≈ 5,000 Let's Be Rational inversions with the `implied-vol` crate). Over the crypto region
//!    (|x| ≤ 1.5, s ≤ 4.3) the guess is within 1.4e-5 relative of s.
//! 2. *One step*: a third-order Householder step with the exact b from the crate's normalised Black function
//!    and the closed forms b' = exp(−h²/2 − s²/8)/√(2π), b''/b' = x²/s³ − s/4 and
//!    b'''/b' = (b''/b')² − 3x²/s⁴ − 1/4; on g = b − β for |h| ≤ 2 and on g = ln b − ln β beyond, where b is
//!    exponentially convex in s (the objectives of Let's Be Rational's middle and lower branches).
//! 3. *Certificate*: the step converges quartically: with e₀ the relative error before it, the error after is
//!    ≈ K·e₀⁴, and measured over the table domain K < 4 for g = b − β (|h| ≤ 2) and K < 1 for g = ln b − ln β
//!    (e₀ from 4e-5 to 1e-3). The step itself estimates e₀ (|Δs|/s = e₀ to first order), so accepting only
//!    |Δs| ≤ [`MAX_REL_STEP`]·s = 4e-5·s bounds the truncation error by 4·(4e-5)⁴ ≈ 1e-17, a twentieth of an
//!    ulp: what remains is the rounding of b itself, as in Let's Be Rational (tests/iv_fast.rs checks the
//!    result against it). Anything else (outside the table, a non-finite value, a larger step) returns `None`
//!    and the caller uses the crate's solver.

use std::sync::OnceLock;

use implied_vol::solver::Jaeckel;
use implied_vol::{DefaultSpecialFn, ImpliedBlackVolatilityNormalised, PriceBlackScholesNormalised};

pub use super::implied_vol::{solver_path, SolverPath};

/// Largest accepted Householder correction, relative to s (see the module docs for why it certifies).
pub const MAX_REL_STEP: f64 = 4e-5;

/// Up to this |h| = |x|/s the Householder step works on b itself (error constant K < 4 measured), beyond it
/// on ln b (K < 1), where b is exponentially convex in s.
const PRICE_SPACE_MAX_ABS_H: f64 = 2.0;

/// √(2π).
const SQRT_2PI: f64 = 2.506_628_274_631_000_7;

/// Cells of the table along U and V; the stored grid adds one ghost node on each side.
const CELLS_U: usize = 96;
const CELLS_V: usize = 48;
const NODES_U: usize = CELLS_U + 3;
const NODES_V: usize = CELLS_V + 3;
/// U = √L/(√L + U_STRETCH): stretches the near-the-money end, where s varies fastest.
const U_STRETCH: f64 = 6.0;
/// Upper end of U: √L ≤ 27.3, i.e. L ≤ 745, above ln of any finite r/β (709.8).
const U_MAX: f64 = 0.82;
/// v = s̃/S_CAP + r·m/(w·X_CAP) (see [`coords`]) keeps the crypto region (s ≤ 4.3, |x| ≤ 1.5) below v = 5.7.
const S_CAP: f64 = 8.0;
const X_CAP: f64 = 4.5;
/// V = v/(1 + v)/V_MAX ∈ [0, 1) covers v ∈ [0, 5.67).
const V_MAX: f64 = 0.85;

/// The normalised inputs of the fast path, all cheap to form from market inputs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NormalisedPrice {
    /// x = −|ln(F/K)|.
    pub x_neg_abs: f64,
    /// t = r/β with r = max(F, K)/min(F, K) − 1 = e^{|x|} − 1: the table coordinate of moneyness (no
    /// logarithm, so the guess does not wait for x).
    pub excess_over_beta: f64,
    /// β = time value/√(FK), in (0, b_max).
    pub beta: f64,
    /// w = β/b_max = time value/min(F, K), in (0, 1).
    pub beta_over_b_max: f64,
}

impl NormalisedPrice {
    /// From x ≤ 0 and β alone (tests and diagnostics; the pricing code forms the fields from F, K directly).
    pub fn from_x_beta(x_neg_abs: f64, beta: f64) -> Self {
        let excess_over_beta = (-x_neg_abs).exp_m1() / beta;
        NormalisedPrice { x_neg_abs, excess_over_beta, beta, beta_over_b_max: beta / (0.5 * x_neg_abs).exp() }
    }
}

/// Implied total vol s = σ√T of an out-of-the-money normalised price, or `None` when the fast path cannot
/// certify its answer (the caller must then use a full solver). The coordinates-only fields
/// (`excess_over_beta`, `beta_over_b_max`) may be off by a few ulps without harm.
#[inline]
pub fn fast_total_vol(p: &NormalisedPrice) -> Option<f64> {
    let guess = table().guess(p.excess_over_beta, p.beta, p.beta_over_b_max)?;
    householder_step(p.x_neg_abs, p.beta, guess)
}

/// The interpolated initial guess alone (diagnostics and tests), `None` outside the table.
#[doc(hidden)]
pub fn guess_total_vol(p: &NormalisedPrice) -> Option<f64> {
    table().guess(p.excess_over_beta, p.beta, p.beta_over_b_max)
}

/// One third-order Householder step from `s` on g(s) = b(s) − β near the money (|x|/s ≤
/// [`PRICE_SPACE_MAX_ABS_H`]) and on g(s) = ln b(s) − ln β further out, where b is too convex in s;
/// `Some(s + Δs)` only when |Δs| ≤ [`MAX_REL_STEP`]·s (which also rejects every NaN).
///
/// With b^(k)/b' from the closed forms: in price space g^(k)/g' = b^(k)/b'; in log space, with ρ = b'/b,
/// g''/g' = b''/b' − ρ and g'''/g' = b'''/b' − ρ·(3b''/b' − 2ρ).
#[inline]
fn householder_step(x: f64, beta: f64, s: f64) -> Option<f64> {
    let b = normalised_black(x, s);
    if !(b >= f64::MIN_POSITIVE) {
        return None;
    }
    // 1/s, 1/vega and 1/β do not wait for b: multiplying by them keeps divisions off the critical path. Their
    // extra roundings change Δs by ~1e-16 relative in price space, and s by ≤ ε·b/(b'·s) < 0.2 ε in log
    // space (|h| > 2).
    let inv_s = 1.0 / s;
    let h = x * inv_s;
    let inv_vega = SQRT_2PI * (0.5 * h * h + 0.125 * s * s).exp();
    let x2_over_s3 = h * h * inv_s;
    let b2_over_b1 = x2_over_s3 - 0.25 * s;
    let b3_over_b1 = b2_over_b1 * b2_over_b1 - 3.0 * x2_over_s3 * inv_s - 0.25;
    let (nu, g2_over_g1, g3_over_g1) = if h >= -PRICE_SPACE_MAX_ABS_H {
        ((beta - b) * inv_vega, b2_over_b1, b3_over_b1)
    } else {
        let b_over_vega = b * inv_vega;
        let rho = 1.0 / b_over_vega;
        let nu = -(b * (1.0 / beta)).ln() * b_over_vega;
        (nu, b2_over_b1 - rho, b3_over_b1 - rho * (3.0 * b2_over_b1 - 2.0 * rho))
    };
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

/// (t, β, w) → (U, V, s̃), with t = r/β, r = e^{|x|} − 1 and w = β/b_max.
///
/// L = ln(1 + t): in the Bachelier limit (s → 0) h is a function of t alone (t ≈ |h|√(2π) near the money,
/// L ≈ h²/2 in the tail), so U = √L/(√L + U_STRETCH) resolves h and R is a smooth function of √L. The scale
/// s̃ = √(2π)·β'·t/L, with β' = −b_max·ln(1 − w) = β·m/w (m = −ln(1 − w)), equals s at the money in that
/// limit (t/L → 1, β' ≈ β); β' stretches the prices near b_max (large s). V = v/(1 + v)/V_MAX with
/// v = s̃/S_CAP + r·m/(w·X_CAP) grows with s at any moneyness. The t/L and m/w quotients share a division.
#[inline]
fn coords(excess_over_beta: f64, beta: f64, beta_over_b_max: f64) -> Coords {
    let t = excess_over_beta;
    let l = t.ln_1p();
    let sqrt_l = l.sqrt();
    let m = -(-beta_over_b_max).ln_1p();
    // At the money (L = 0, or so small that t/L = 1 in double precision) t/L is 1.
    let (t_or_one, l_or_one) = if l > 1e-300 { (t, l) } else { (1.0, 1.0) };
    let beta_m_over_lw = beta * (m / (l_or_one * beta_over_b_max));
    let scale = SQRT_2PI * t_or_one * beta_m_over_lw;
    let v_raw = scale * (1.0 / S_CAP) + t * l_or_one * beta_m_over_lw * (1.0 / X_CAP);
    Coords { u: sqrt_l / (sqrt_l + U_STRETCH), v: v_raw / ((1.0 + v_raw) * V_MAX), scale }
}

/// Inverse of [`coords`]: the (|x|, β) at table coordinates (U, V), U ≥ 0, V > 0.
fn inputs_at(u_coord: f64, v_coord: f64) -> (f64, f64) {
    let sqrt_l = U_STRETCH * u_coord / (1.0 - u_coord);
    let l = sqrt_l * sqrt_l;
    let t = l.exp_m1();
    let v_raw = v_coord * V_MAX / (1.0 - v_coord * V_MAX);
    // v = s̃·(1/S_CAP + (L/√(2π))/X_CAP), since r·m/w = s̃·L/√(2π).
    let scale = v_raw / (1.0 / S_CAP + l / SQRT_2PI / X_CAP);
    let t_over_l = if l > 1e-300 { t / l } else { 1.0 };
    let beta_stretched = scale / (t_over_l * SQRT_2PI);
    // Solve β' = −b_max·ln(1 − β/b_max) for β, with b_max = e^{−|x|/2} = 1/√(1 + β t), by fixed-point
    // iteration (a contraction: b_max changes slowly with β).
    let mut beta = beta_stretched;
    for _ in 0..200 {
        let b_max = 1.0 / (1.0 + beta * t).sqrt();
        let next = -b_max * (-beta_stretched / b_max).exp_m1();
        if next == beta || !next.is_finite() {
            beta = next;
            break;
        }
        beta = next;
    }
    ((beta * t).ln_1p(), beta)
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

    /// Tabulates R with Let's Be Rational. The ghost nodes U = −dU and V = −dV are cubic extrapolations of
    /// the first three nodes (R is smooth there but not even).
    fn build() -> GuessTable {
        let mut ratio = vec![f32::NAN; NODES_U * NODES_V];
        for i in 1..NODES_U {
            let u_coord = (i as f64 - 1.0) * Self::DU;
            for j in 1..NODES_V {
                // V = 0 itself is s = 0; a tiny V is the same limit to 1e-9.
                let v_coord = ((j as f64 - 1.0) * Self::DV).max(1e-9);
                ratio[i * NODES_V + j] = ratio_at(u_coord, v_coord) as f32;
            }
        }
        for j in 1..NODES_V {
            let at = |i: usize| ratio[i * NODES_V + j];
            ratio[j] = 3.0 * at(1) - 3.0 * at(2) + at(3);
        }
        for row in ratio.chunks_exact_mut(NODES_V) {
            row[0] = 3.0 * row[1] - 3.0 * row[2] + row[3];
        }
        GuessTable { ratio: ratio.into_boxed_slice() }
    }

    /// Interpolated s for the coordinates' inputs (see [`coords`]), or `None` outside the table or where a node
    /// is invalid.
    #[inline]
    fn guess(&self, excess_over_beta: f64, beta: f64, beta_over_b_max: f64) -> Option<f64> {
        let c = coords(excess_over_beta, beta, beta_over_b_max);
        if !(c.u < U_MAX && c.v < 1.0 && c.v >= 0.0) {
            return None;
        }
        let fu = c.u * (CELLS_U as f64 / U_MAX);
        let fv = c.v * CELLS_V as f64;
        let (iu, iv) = (fu as usize, fv as usize);
        let wu = catmull_rom_weights(fu - iu as f64);
        let wv = catmull_rom_weights(fv - iv as f64);
        let mut along_v = [0.0; 4];
        for (k, value) in along_v.iter_mut().enumerate() {
            let start = (iu + k) * NODES_V + iv;
            let row = self.ratio.get(start..start + 4)?;
            *value = dot4(row, wv);
        }
        let s = ((wu[0] * along_v[0] + wu[1] * along_v[1]) + (wu[2] * along_v[2] + wu[3] * along_v[3])) * c.scale;
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
    let p = NormalisedPrice::from_x_beta(-abs_x, beta);
    s / coords(p.excess_over_beta, beta, p.beta_over_b_max).scale
}

/// Σ rᵢ·wᵢ over four nodes, summed as a tree (shorter dependency chain than a running sum).
#[inline(always)]
fn dot4(row: &[f32], w: [f64; 4]) -> f64 {
    let r = |i: usize| row.get(i).map_or(f64::NAN, |&v| f64::from(v));
    (r(0) * w[0] + r(1) * w[1]) + (r(2) * w[2] + r(3) * w[3])
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
            let p = NormalisedPrice::from_x_beta(-abs_x, beta);
            let c = coords(p.excess_over_beta, beta, p.beta_over_b_max);
            assert!((c.u - u).abs() < 1e-12 && (c.v - v).abs() < 1e-9, "{u} {v}: {c:?}");
        }
    }

    #[test]
    fn table_is_mostly_valid_and_solves_a_typical_case() {
        let t = table();
        let valid = t.ratio.iter().filter(|r| r.is_finite()).count();
        assert!(valid > NODES_U * NODES_V * 9 / 10, "{valid}");
        let p = NormalisedPrice::from_x_beta(-0.3, normalised_black(-0.3, 0.5));
        assert!(fast_total_vol(&p).is_some_and(|s| (s - 0.5).abs() < 1e-15));
    }
}
