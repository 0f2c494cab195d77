//! Black-76 Greeks, computed once per option from one evaluation of d1, d2 and φ(d1).

use super::black76::{price, OptionSpec};
use super::normal::{norm_cdf, norm_pdf};

/// Black-76 value and sensitivities of one option, in quote currency (USD) per one unit of underlying.
///
/// Derivatives are with respect to the forward F and the volatility σ (per 1.00 of vol, not per vol point),
/// with the discount factor D = e^(−r(T−t)) held on its rate; `theta_per_year` is ∂V/∂t per year of calendar
/// time with F and σ fixed.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Greeks {
    /// Discounted price V, quote currency.
    pub value: f64,
    /// ∂V/∂F (dimensionless; the plain Black delta Deribit reports).
    pub delta: f64,
    /// ∂²V/∂F², per unit of quote currency.
    pub gamma: f64,
    /// ∂V/∂σ per 1.00 of vol (divide by 100 for per vol point).
    pub vega: f64,
    /// ∂V/∂t per year of calendar time (divide by 365 for per day).
    pub theta_per_year: f64,
    /// ∂²V/∂F∂σ.
    pub vanna: f64,
    /// ∂²V/∂σ², the true second derivative (QuantLib's `volga` is this divided by √T).
    pub volga: f64,
    /// Premium-adjusted delta Δ − V/F = F·∂(V/F)/∂F: the coins to hold to hedge a coin-margined option.
    pub delta_premium_adjusted: f64,
}

/// Greeks of a coin-margined (inverse) option, whose value is V/F coins: derivatives of V/F.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct CoinGreeks {
    /// V/F, coins.
    pub value_coin: f64,
    /// F·∂(V/F)/∂F = Δ − V/F, coins per coin of underlying (the premium-adjusted delta).
    pub delta_coin: f64,
    /// ∂²(V/F)/∂F², coins per USD².
    pub gamma_coin: f64,
    /// ∂(V/F)/∂σ per 1.00 of vol, coins.
    pub vega_coin: f64,
    /// ∂(V/F)/∂t per year, coins.
    pub theta_coin_per_year: f64,
    /// ∂²(V/F)/∂F∂σ, coins per USD.
    pub vanna_coin: f64,
    /// ∂²(V/F)/∂σ², coins.
    pub volga_coin: f64,
}

impl Greeks {
    /// Vega per vol point (σ + 0.01).
    pub fn vega_per_vol_point(&self) -> f64 {
        self.vega / 100.0
    }

    /// Theta per calendar day (ACT/365).
    pub fn theta_per_day(&self) -> f64 {
        self.theta_per_year / 365.0
    }

    /// The Greeks of the same option held as a coin-margined (inverse) contract valued at V/F.
    pub fn to_coin(&self, forward: f64) -> CoinGreeks {
        let f = forward;
        CoinGreeks {
            value_coin: self.value / f,
            delta_coin: self.delta_premium_adjusted,
            gamma_coin: self.gamma / f - 2.0 * self.delta_premium_adjusted / (f * f),
            vega_coin: self.vega / f,
            theta_coin_per_year: self.theta_per_year / f,
            vanna_coin: self.vanna / f - self.vega / (f * f),
            volga_coin: self.volga / f,
        }
    }
}

/// All Black-76 Greeks of `spec` at volatility `vol`, sharing one computation of d1, d2 and φ(d1).
///
/// At zero total deviation (σ√T = 0) the limits are returned: delta is D·1{θ(F−K) > 0} (½D at the money),
/// the second-order Greeks and vega are zero.
pub fn greeks(spec: &OptionSpec, vol: f64) -> Greeks {
    let OptionSpec { kind, forward: f, strike: k, t_years: t, discount: d } = *spec;
    let theta_sign = kind.sign();
    let value = price(spec, vol);
    let rate = if t > 0.0 { -d.ln() / t } else { 0.0 };
    let sqrt_t = t.max(0.0).sqrt();
    let stddev = vol * sqrt_t;
    if !(stddev > 0.0) || !stddev.is_finite() {
        return degenerate_greeks(spec, value, rate);
    }
    let ln_f_over_k = (f / k).ln();
    let d1 = ln_f_over_k / stddev + 0.5 * stddev;
    let d2 = ln_f_over_k / stddev - 0.5 * stddev;
    let pdf_d1 = norm_pdf(d1);
    let vega = d * f * pdf_d1 * sqrt_t;
    Greeks {
        value,
        delta: theta_sign * d * norm_cdf(theta_sign * d1),
        gamma: d * pdf_d1 / (f * stddev),
        vega,
        theta_per_year: rate * value - d * f * pdf_d1 * vol / (2.0 * sqrt_t),
        vanna: -d * pdf_d1 * d2 / vol,
        volga: vega * d1 * d2 / vol,
        // Δ − V/F in closed form: θ·D·(K/F)·N(θ·d2), free of the cancellation in the difference.
        delta_premium_adjusted: theta_sign * d * (k / f) * norm_cdf(theta_sign * d2),
    }
}

/// The Black forward delta ∂V/∂F = θ·D·N(θ·d1) alone (the limit D·1{θ(F−K) > 0} at zero deviation).
pub fn black_delta(spec: &OptionSpec, vol: f64) -> f64 {
    let stddev = vol * spec.t_years.max(0.0).sqrt();
    let sign = spec.kind.sign();
    if !(stddev > 0.0) || !stddev.is_finite() {
        let moneyness = sign * (spec.forward - spec.strike);
        let itm = if moneyness > 0.0 {
            1.0
        } else if moneyness == 0.0 {
            0.5
        } else {
            0.0
        };
        return sign * spec.discount * itm;
    }
    let d1 = (spec.forward / spec.strike).ln() / stddev + 0.5 * stddev;
    sign * spec.discount * norm_cdf(sign * d1)
}

/// Limits of the Greeks when σ√T = 0: the option is worth its discounted intrinsic value.
fn degenerate_greeks(spec: &OptionSpec, value: f64, rate: f64) -> Greeks {
    let OptionSpec { kind, forward: f, strike: k, discount: d, .. } = *spec;
    let moneyness = kind.sign() * (f - k);
    let in_the_money = if moneyness > 0.0 {
        1.0
    } else if moneyness == 0.0 {
        0.5
    } else {
        0.0
    };
    Greeks {
        value,
        delta: kind.sign() * d * in_the_money,
        gamma: 0.0,
        vega: 0.0,
        theta_per_year: rate * value,
        vanna: 0.0,
        volga: 0.0,
        delta_premium_adjusted: kind.sign() * d * (k / f) * in_the_money,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::{price_coin, OptionKind};

    /// Central difference of f at x with step h.
    fn d1(f: impl Fn(f64) -> f64, x: f64, h: f64) -> f64 {
        (f(x + h) - f(x - h)) / (2.0 * h)
    }

    fn d2(f: impl Fn(f64) -> f64, x: f64, h: f64) -> f64 {
        (f(x + h) - 2.0 * f(x) + f(x - h)) / (h * h)
    }

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
    }

    #[test]
    fn coin_greeks_are_derivatives_of_the_coin_price() {
        for kind in [OptionKind::Call, OptionKind::Put] {
            for &(strike, vol) in &[(60_000.0, 0.5), (65_000.0, 0.8), (80_000.0, 1.2)] {
                let spec = OptionSpec { kind, forward: 65_000.0, strike, t_years: 0.25, discount: 0.99 };
                let c = greeks(&spec, vol).to_coin(spec.forward);
                let at_f = |f: f64| price_coin(&OptionSpec { forward: f, ..spec }, vol);
                let at_vol = |v: f64| price_coin(&spec, v);
                let hf = 1.0;
                assert!(close(c.delta_coin, spec.forward * d1(at_f, spec.forward, hf), 1e-6), "{kind:?} {strike}");
                assert!(close(c.gamma_coin, d2(at_f, spec.forward, 50.0), 1e-4), "{kind:?} {strike}");
                assert!(close(c.vega_coin, d1(at_vol, vol, 1e-5), 1e-7));
                assert!(close(c.volga_coin, d2(at_vol, vol, 1e-3), 1e-4));
                let vega_coin_at_f = |f: f64| greeks(&OptionSpec { forward: f, ..spec }, vol).to_coin(f).vega_coin;
                assert!(close(c.vanna_coin, d1(vega_coin_at_f, spec.forward, hf), 1e-6));
            }
        }
    }

    #[test]
    fn delta_alone_equals_the_greeks_delta() {
        for kind in [OptionKind::Call, OptionKind::Put] {
            for (k, vol) in [(50.0, 0.3), (100.0, 0.0), (140.0, 1.5), (100.0, 0.8)] {
                let spec = OptionSpec { kind, forward: 100.0, strike: k, t_years: 0.3, discount: 0.97 };
                assert_eq!(black_delta(&spec, vol), greeks(&spec, vol).delta, "{kind:?} {k} {vol}");
            }
        }
    }

    #[test]
    fn zero_vol_gives_intrinsic_limits() {
        let spec = OptionSpec { kind: OptionKind::Call, forward: 100.0, strike: 90.0, t_years: 1.0, discount: 1.0 };
        let g = greeks(&spec, 0.0);
        assert_eq!(g.value, 10.0);
        assert_eq!(g.delta, 1.0);
        assert_eq!(g.gamma, 0.0);
        assert_eq!(g.vega, 0.0);
        assert!((g.delta_premium_adjusted - (1.0 - 10.0 / 100.0)).abs() < 1e-15);
    }
}
