//! Pricing core: Black-76 on the forward, coin-margined (inverse) prices, Greeks and implied volatility.
//!
//! Conventions used everywhere in this module:
//! - `forward` F and `strike` K in quote currency (USD for Deribit BTC options);
//! - `t_years` year fraction to expiry (the market layer decides the day count);
//! - `vol` annualised lognormal volatility as a decimal (0.8 = 80 vol points);
//! - `discount` D the discount factor to the premium payment date (1.0 for Deribit, whose premiums are paid
//!   up front but whose IVs are computed with a zero rate);
//! - a *coin* (inverse) price is the USD price divided by the forward: `price_coin = price_usd / F`.

mod black76;
#[doc(hidden)]
pub mod fast_iv;
mod greeks;
mod implied_vol;
mod normal;

pub use black76::{
    intrinsic_undiscounted, max_price_undiscounted, price, price_coin, price_from_stddev_undiscounted,
    price_undiscounted, OptionKind, OptionSpec,
};
pub use greeks::{black_delta, greeks, CoinGreeks, Greeks};
pub use implied_vol::{implied_vol, implied_vol_from_coin, ImpliedVol, IvStatus, ILL_CONDITIONED_REL};
pub use normal::{norm_cdf, norm_pdf};
