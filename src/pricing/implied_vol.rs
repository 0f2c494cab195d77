//! Implied Black-76 volatility with a named status for every input that has no (reliable) answer.

use implied_vol::solver::Jaeckel;
use implied_vol::{DefaultSpecialFn, ImpliedBlackVolatility, ImpliedBlackVolatilityNormalised};

use super::black76::{intrinsic_undiscounted, max_price_undiscounted, OptionSpec};
use super::fast_iv::{fast_total_vol, NormalisedPrice};
use super::normal::norm_pdf;

/// Relative vol uncertainty, caused by one rounding of the price, above which a solved vol is reported as
/// [`IvStatus::IllConditioned`]: ε·P / (vega·σ) > this.
pub const ILL_CONDITIONED_REL: f64 = 1e-6;

/// Why an implied vol is, or is not, available.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IvStatus {
    /// Solved to the precision the price carries.
    Ok,
    /// Solved, but the price pins the vol only loosely: one rounding of the price moves the vol by more than
    /// [`ILL_CONDITIONED_REL`] relative (deep in or out of the money, or nearly no time value).
    IllConditioned,
    /// A price, forward, strike, time or discount factor is NaN or infinite.
    NonFiniteInput,
    /// Forward ≤ 0.
    NonPositiveForward,
    /// Strike ≤ 0.
    NonPositiveStrike,
    /// Discount factor ≤ 0.
    NonPositiveDiscount,
    /// T ≤ 0: the option has expired; no vol can be implied.
    Expired,
    /// Price ≤ 0.
    ZeroOrNegativePrice,
    /// Undiscounted price positive but below the smallest normal double (2.2e-308): it carries fewer than 53
    /// significant bits, too few to imply a vol from (no market quotes such a price).
    PriceTooSmall,
    /// Undiscounted price below the intrinsic value max(θ(F − K), 0).
    BelowIntrinsic,
    /// Price equal to the intrinsic value: no time value, so no vol can be implied.
    NoTimeValue,
    /// Price at or above the no-arbitrage maximum (F for a call, K for a put, times D): the vol would be infinite.
    AboveMaximum,
    /// The solver returned no finite vol for a price inside the attainable range (should not happen).
    SolverFailed,
}

impl IvStatus {
    /// snake_case name, as written to files.
    pub fn as_str(self) -> &'static str {
        match self {
            IvStatus::Ok => "ok",
            IvStatus::IllConditioned => "ill_conditioned",
            IvStatus::NonFiniteInput => "non_finite_input",
            IvStatus::NonPositiveForward => "non_positive_forward",
            IvStatus::NonPositiveStrike => "non_positive_strike",
            IvStatus::NonPositiveDiscount => "non_positive_discount",
            IvStatus::Expired => "expired",
            IvStatus::ZeroOrNegativePrice => "zero_or_negative_price",
            IvStatus::PriceTooSmall => "price_too_small",
            IvStatus::BelowIntrinsic => "below_intrinsic",
            IvStatus::NoTimeValue => "no_time_value",
            IvStatus::AboveMaximum => "above_maximum",
            IvStatus::SolverFailed => "solver_failed",
        }
    }

    /// `true` when the outcome carries a vol ([`IvStatus::Ok`] or [`IvStatus::IllConditioned`]).
    pub fn has_vol(self) -> bool {
        matches!(self, IvStatus::Ok | IvStatus::IllConditioned)
    }
}

impl std::fmt::Display for IvStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of one implied-vol inversion: a vol exactly when the status says there is one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ImpliedVol {
    /// Annualised vol (decimal); `Some` iff `status.has_vol()`.
    pub vol: Option<f64>,
    /// Why the vol is or is not there.
    pub status: IvStatus,
}

impl ImpliedVol {
    fn failed(status: IvStatus) -> Self {
        ImpliedVol { vol: None, status }
    }

    /// The vol, or NaN when there is none (for columnar output; the status says why).
    pub fn vol_or_nan(&self) -> f64 {
        self.vol.unwrap_or(f64::NAN)
    }
}

/// Implied Black-76 vol of a discounted price in quote currency (USD).
///
/// Inverts to machine precision, Let's Be Rational grade: a certified fast path ([`super::fast_iv`]: tabulated
/// guess plus one third-order Householder step) where it applies, otherwise Jäckel's *Let's Be Rational* (the
/// `implied-vol` crate). Every input without an answer gets a named [`IvStatus`]; a vol is never NaN or
/// infinite.
pub fn implied_vol(spec: &OptionSpec, price: f64) -> ImpliedVol {
    solve(spec, price).0
}

/// Which solver produced a result of [`implied_vol`] (diagnostics and tests; free in the normal call).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SolverPath {
    /// No inversion ran: the inputs got a failure status first.
    NotSolved,
    /// The certified fast path of [`super::fast_iv`].
    Fast,
    /// The `implied-vol` crate's solver.
    Fallback,
}

/// The solver [`implied_vol`] uses for these inputs.
#[doc(hidden)]
pub fn solver_path(spec: &OptionSpec, price: f64) -> SolverPath {
    solve(spec, price).1
}

/// [`implied_vol`] and the path that produced it.
#[inline(always)]
fn solve(spec: &OptionSpec, price: f64) -> (ImpliedVol, SolverPath) {
    let OptionSpec { kind, forward, strike, .. } = *spec;
    if let Some(status) = check_inputs(spec, price) {
        return (ImpliedVol::failed(status), SolverPath::NotSolved);
    }
    let price_undiscounted = price / spec.discount;
    if price_undiscounted < f64::MIN_POSITIVE {
        return (ImpliedVol::failed(IvStatus::PriceTooSmall), SolverPath::NotSolved);
    }
    let intrinsic = intrinsic_undiscounted(kind, forward, strike);
    if price_undiscounted < intrinsic {
        return (ImpliedVol::failed(IvStatus::BelowIntrinsic), SolverPath::NotSolved);
    }
    if price_undiscounted == intrinsic {
        return (ImpliedVol::failed(IvStatus::NoTimeValue), SolverPath::NotSolved);
    }
    if price_undiscounted >= max_price_undiscounted(kind, forward, strike) {
        return (ImpliedVol::failed(IvStatus::AboveMaximum), SolverPath::NotSolved);
    }
    match fast_total_vol_of(spec, price, price_undiscounted, intrinsic) {
        Some(stddev) => {
            let vol = stddev / spec.t_years.sqrt();
            (solved(spec, price_undiscounted, intrinsic, vol), SolverPath::Fast)
        }
        None => (solve_with_crate(spec, price_undiscounted, intrinsic), SolverPath::Fallback),
    }
}

/// Total vol σ√T from the fast path, or `None` when it does not apply or cannot certify its answer.
///
/// The time value is `num/den_scale` with `num` = the discounted price and `den_scale` = D out of the money (no
/// intrinsic value), so that β, r/β and β/b_max each take one division of the price by a quantity that does
/// not depend on it: the divisions stay off the critical path.
#[inline(always)]
fn fast_total_vol_of(spec: &OptionSpec, price: f64, price_undiscounted: f64, intrinsic: f64) -> Option<f64> {
    let (num, den_scale) =
        if intrinsic == 0.0 { (price, spec.discount) } else { (price_undiscounted - intrinsic, 1.0) };
    let sqrt_fk = spec.forward.sqrt() * spec.strike.sqrt();
    let beta = num / (den_scale * sqrt_fk);
    if !(beta >= f64::MIN_POSITIVE) {
        return None;
    }
    let (smaller, larger) = (spec.forward.min(spec.strike), spec.forward.max(spec.strike));
    let moneyness_excess = (larger - smaller) / smaller;
    fast_total_vol(&NormalisedPrice {
        x_neg_abs: negative_abs_log_moneyness(smaller, larger),
        excess_over_beta: moneyness_excess * (den_scale * sqrt_fk) / num,
        beta,
        // β/b_max = (time value/√(FK))/√(smaller/larger) = time value/smaller.
        beta_over_b_max: num / (den_scale * smaller),
    })
}

/// −|ln(F/K)| from the smaller and the larger of F and K, as the `implied-vol` crate computes it (subtracting
/// before the logarithm when they are close, so that nearby strikes stay distinguishable).
#[inline(always)]
fn negative_abs_log_moneyness(smaller: f64, larger: f64) -> f64 {
    if smaller >= 0.5 * larger {
        -((larger - smaller) / smaller).ln_1p()
    } else if smaller / larger >= f64::MIN_POSITIVE {
        (smaller / larger).ln()
    } else {
        smaller.ln() - larger.ln()
    }
}

/// The `implied-vol` crate's solver (Hybrid: Let's Be Rational and a restricted FlashIV) on inputs that passed
/// the status checks.
fn solve_with_crate(spec: &OptionSpec, price_undiscounted: f64, intrinsic: f64) -> ImpliedVol {
    let solved_vol = ImpliedBlackVolatility::builder()
        .option_price(price_undiscounted)
        .forward(spec.forward)
        .strike(spec.strike)
        .expiry(spec.t_years)
        .is_call(spec.kind.is_call())
        .build_unchecked()
        .calculate::<DefaultSpecialFn>()
        .map(|vol| if vol == 0.0 { solve_subnormal_time_value(spec, price_undiscounted - intrinsic) } else { vol });
    match solved_vol {
        Some(vol) if vol == f64::INFINITY => ImpliedVol::failed(IvStatus::AboveMaximum),
        Some(vol) if vol > 0.0 && vol.is_finite() => solved(spec, price_undiscounted, intrinsic, vol),
        Some(vol) if vol == 0.0 => ImpliedVol::failed(IvStatus::NoTimeValue),
        _ => ImpliedVol::failed(IvStatus::SolverFailed),
    }
}

/// A finite positive vol with its status: [`IvStatus::IllConditioned`] when one rounding of the price moves it
/// by more than [`ILL_CONDITIONED_REL`].
#[inline(always)]
fn solved(spec: &OptionSpec, price_undiscounted: f64, intrinsic: f64, vol: f64) -> ImpliedVol {
    let status = if provably_well_conditioned(spec, price_undiscounted, intrinsic, vol)
        || price_rounding_vol_uncertainty(spec, price_undiscounted, vol) <= ILL_CONDITIONED_REL
    {
        IvStatus::Ok
    } else {
        IvStatus::IllConditioned
    };
    ImpliedVol { vol: Some(vol), status }
}

/// `true` when the conditioning ε·P/(vega·σ) is certainly far below [`ILL_CONDITIONED_REL`], without computing it.
///
/// In normalised terms P/(vega·σ) = b/(b'·s) (b the normalised price, b' = ∂b/∂s, s = σ√T). With no intrinsic
/// value (out of the money) this ratio grows with s and, for a given s, is largest at the money, where
/// b = erf(s/2√2) and b' = φ(s/2): at s = 5 it is 0.9876/(5·φ(2.5)) ≈ 11.3. So for s ≤ 5 the conditioning is
/// at most 11.3·ε ≈ 2.5e-15. The computed value agrees only while φ(d1) in the vega stays a normal double:
/// φ(d1) = √(K/F)·b' ≥ P/(11.3·s·F), which P ≥ 1e-300·F guarantees.
#[inline(always)]
fn provably_well_conditioned(spec: &OptionSpec, price_undiscounted: f64, intrinsic: f64, vol: f64) -> bool {
    intrinsic == 0.0 && vol * spec.t_years.sqrt() <= 5.0 && price_undiscounted >= 1e-300 * spec.forward
}

/// Implied vol of a coin-margined (inverse) price: the USD price is `price_coin × F`.
pub fn implied_vol_from_coin(spec: &OptionSpec, price_coin: f64) -> ImpliedVol {
    implied_vol(spec, price_coin * spec.forward)
}

/// Vol for a positive time value whose normalised size TV/√(FK) is at or below the smallest normal double,
/// which the crate's market-level entry point rounds to zero vol: Jäckel's normalised inverse handles it.
/// Returns 0 when the time value is not positive.
fn solve_subnormal_time_value(spec: &OptionSpec, time_value: f64) -> f64 {
    if !(time_value > 0.0) {
        return 0.0;
    }
    let normalised = time_value / (spec.forward.sqrt() * spec.strike.sqrt());
    ImpliedBlackVolatilityNormalised::builder()
        .log_moneyness(-(spec.forward / spec.strike).ln().abs())
        .normalised_price(normalised)
        .build_unchecked()
        .calculate_with::<Jaeckel>()
        .map_or(0.0, |total_vol| total_vol / spec.t_years.sqrt())
}

/// Status for inputs that cannot be inverted at all, checked in a fixed order (first failure wins).
fn check_inputs(spec: &OptionSpec, price: f64) -> Option<IvStatus> {
    let OptionSpec { forward, strike, t_years, discount, .. } = *spec;
    let all_finite = [price, forward, strike, t_years, discount].iter().all(|x| x.is_finite());
    if !all_finite {
        Some(IvStatus::NonFiniteInput)
    } else if forward <= 0.0 {
        Some(IvStatus::NonPositiveForward)
    } else if strike <= 0.0 {
        Some(IvStatus::NonPositiveStrike)
    } else if discount <= 0.0 {
        Some(IvStatus::NonPositiveDiscount)
    } else if t_years <= 0.0 {
        Some(IvStatus::Expired)
    } else if price <= 0.0 {
        Some(IvStatus::ZeroOrNegativePrice)
    } else {
        None
    }
}

/// Relative vol error caused by one rounding of the undiscounted price: max(ε·P, 4.9e-324) / (vega·σ), with
/// the undiscounted vega F·φ(d1)·√T (the `iv_cond_rel` of the reference vectors).
fn price_rounding_vol_uncertainty(spec: &OptionSpec, price_undiscounted: f64, vol: f64) -> f64 {
    let sqrt_t = spec.t_years.sqrt();
    let stddev = vol * sqrt_t;
    let d1 = (spec.forward / spec.strike).ln() / stddev + 0.5 * stddev;
    let vega = spec.forward * norm_pdf(d1) * sqrt_t;
    (f64::EPSILON * price_undiscounted).max(f64::from_bits(1)) / (vega * vol)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::{price, OptionKind::*};

    fn spec(kind: crate::pricing::OptionKind, forward: f64, strike: f64, t_years: f64) -> OptionSpec {
        OptionSpec { kind, forward, strike, t_years, discount: 1.0 }
    }

    #[test]
    fn each_bad_input_gets_its_status() {
        let s = spec(Call, 100.0, 110.0, 0.5);
        let status = |s: OptionSpec, p: f64| implied_vol(&s, p).status;
        assert_eq!(status(s, f64::NAN), IvStatus::NonFiniteInput);
        assert_eq!(status(s, f64::INFINITY), IvStatus::NonFiniteInput);
        assert_eq!(status(OptionSpec { forward: f64::NAN, ..s }, 1.0), IvStatus::NonFiniteInput);
        assert_eq!(status(OptionSpec { forward: -1.0, ..s }, 1.0), IvStatus::NonPositiveForward);
        assert_eq!(status(OptionSpec { strike: 0.0, ..s }, 1.0), IvStatus::NonPositiveStrike);
        assert_eq!(status(OptionSpec { discount: 0.0, ..s }, 1.0), IvStatus::NonPositiveDiscount);
        assert_eq!(status(OptionSpec { t_years: 0.0, ..s }, 1.0), IvStatus::Expired);
        assert_eq!(status(OptionSpec { t_years: -0.1, ..s }, 1.0), IvStatus::Expired);
        assert_eq!(status(s, 0.0), IvStatus::ZeroOrNegativePrice);
        assert_eq!(status(s, -0.5), IvStatus::ZeroOrNegativePrice);
        assert_eq!(status(s, 100.0), IvStatus::AboveMaximum);
        assert_eq!(status(s, 150.0), IvStatus::AboveMaximum);
        let itm_put = spec(Put, 100.0, 110.0, 0.5);
        assert_eq!(status(itm_put, 9.0), IvStatus::BelowIntrinsic);
        assert_eq!(status(itm_put, 10.0), IvStatus::NoTimeValue);
        assert_eq!(status(itm_put, 110.0), IvStatus::AboveMaximum);
        // Discounting: the intrinsic test is on the undiscounted price.
        let discounted = OptionSpec { discount: 0.9, ..itm_put };
        assert_eq!(status(discounted, 8.9), IvStatus::BelowIntrinsic); // 8.9 / 0.9 < 10
        assert_eq!(status(discounted, 9.5), IvStatus::Ok); // 9.5 / 0.9 > 10, though 9.5 < 10
    }

    #[test]
    fn failures_carry_no_vol_and_successes_a_finite_one() {
        let s = spec(Call, 65_000.0, 80_000.0, 30.0 / 365.0);
        let ok = implied_vol(&s, price(&s, 0.6));
        assert_eq!(ok.status, IvStatus::Ok);
        assert!((ok.vol.unwrap() - 0.6).abs() < 1e-14);
        let bad = implied_vol(&s, -1.0);
        assert_eq!(bad.vol, None);
        assert!(bad.vol_or_nan().is_nan());
    }

    #[test]
    fn deep_itm_with_tiny_time_value_is_flagged_not_trusted() {
        // Time value ≈ 1e-12 of the price: rounding the price moves the vol by far more than 1e-6.
        let s = spec(Call, 100.0, 50.0, 1.0 / 365.0);
        let p = price(&s, 0.3);
        let out = implied_vol(&s, p);
        assert!(matches!(out.status, IvStatus::NoTimeValue | IvStatus::IllConditioned), "{:?}", out);
    }
}
