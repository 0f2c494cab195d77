//! Standard normal density and distribution, accurate to a few ulps in relative terms far into the tails.

use implied_vol::{DefaultSpecialFn, SpecialFn};

/// 1/√(2π).
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// Standard normal density φ(x).
#[inline]
pub fn norm_pdf(x: f64) -> f64 {
    FRAC_1_SQRT_2PI * (-0.5 * x * x).exp()
}

/// Standard normal distribution N(x), relative accuracy preserved for large negative x (Cody's erfc plus an
/// asymptotic expansion below −10, as in Let's Be Rational).
#[inline]
pub fn norm_cdf(x: f64) -> f64 {
    <DefaultSpecialFn as SpecialFn>::norm_cdf(x)
}
