//! Black-76 prices on the forward: undiscounted, discounted and coin-margined (inverse).

use implied_vol::{DefaultSpecialFn, PriceBlackScholes};

/// Call or put.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptionKind {
    /// Right to buy at the strike.
    Call,
    /// Right to sell at the strike.
    Put,
}

impl OptionKind {
    /// `true` for a call.
    #[inline]
    pub fn is_call(self) -> bool {
        matches!(self, OptionKind::Call)
    }

    /// +1 for a call, −1 for a put (the θ of Jäckel's notation).
    #[inline]
    pub fn sign(self) -> f64 {
        if self.is_call() {
            1.0
        } else {
            -1.0
        }
    }

    /// Lower-case name as used in files: `call` or `put`.
    pub fn as_str(self) -> &'static str {
        match self {
            OptionKind::Call => "call",
            OptionKind::Put => "put",
        }
    }

    /// Parses `call`/`put`, `c`/`p` (any case).
    pub fn parse(text: &str) -> Option<OptionKind> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("call") || t.eq_ignore_ascii_case("c") {
            Some(OptionKind::Call)
        } else if t.eq_ignore_ascii_case("put") || t.eq_ignore_ascii_case("p") {
            Some(OptionKind::Put)
        } else {
            None
        }
    }
}

/// One European option on a forward: the contract and the market inputs other than the volatility.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OptionSpec {
    /// Call or put.
    pub kind: OptionKind,
    /// Forward F of the expiry, quote currency.
    pub forward: f64,
    /// Strike K, quote currency.
    pub strike: f64,
    /// Time to expiry in years.
    pub t_years: f64,
    /// Discount factor D to the premium date (1.0 for no discounting).
    pub discount: f64,
}

impl OptionSpec {
    /// An undiscounted option (D = 1), the Deribit convention.
    pub fn undiscounted(kind: OptionKind, forward: f64, strike: f64, t_years: f64) -> Self {
        OptionSpec { kind, forward, strike, t_years, discount: 1.0 }
    }

    /// Log-moneyness k = ln(K/F).
    #[inline]
    pub fn log_moneyness(&self) -> f64 {
        (self.strike / self.forward).ln()
    }
}

/// Undiscounted Black-76 price from the total standard deviation s = σ√T.
///
/// Uses Jäckel's normalised Black function (through the `implied-vol` crate), which keeps full relative
/// accuracy for far out-of-the-money options where F·N(d1) − K·N(d2) would cancel.
#[inline]
pub fn price_from_stddev_undiscounted(kind: OptionKind, forward: f64, strike: f64, stddev: f64) -> f64 {
    PriceBlackScholes::builder()
        .forward(forward)
        .strike(strike)
        .volatility(stddev)
        .expiry(1.0)
        .is_call(kind.is_call())
        .build_unchecked()
        .calculate::<DefaultSpecialFn>()
}

/// Undiscounted Black-76 price E[(θ(F_T − K))⁺] in quote currency.
#[inline]
pub fn price_undiscounted(kind: OptionKind, forward: f64, strike: f64, t_years: f64, vol: f64) -> f64 {
    price_from_stddev_undiscounted(kind, forward, strike, vol * t_years.sqrt())
}

/// Discounted Black-76 price D·E[(θ(F_T − K))⁺] in quote currency (USD for Deribit).
#[inline]
pub fn price(spec: &OptionSpec, vol: f64) -> f64 {
    spec.discount * price_undiscounted(spec.kind, spec.forward, spec.strike, spec.t_years, vol)
}

/// Coin-margined (inverse) price: the discounted USD price divided by the forward, in coins per contract of
/// one coin (Deribit BTC/ETH options).
#[inline]
pub fn price_coin(spec: &OptionSpec, vol: f64) -> f64 {
    price(spec, vol) / spec.forward
}

/// Undiscounted intrinsic value max(θ(F − K), 0).
#[inline]
pub fn intrinsic_undiscounted(kind: OptionKind, forward: f64, strike: f64) -> f64 {
    (kind.sign() * (forward - strike)).max(0.0)
}

/// Supremum of the undiscounted price over all vols: F for a call, K for a put (reached only as σ → ∞).
#[inline]
pub fn max_price_undiscounted(kind: OptionKind, forward: f64, strike: f64) -> f64 {
    if kind.is_call() {
        forward
    } else {
        strike
    }
}
