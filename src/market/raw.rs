//! What a loader reads from a file, before normalisation: one `RawQuote` per option row.

use std::sync::Arc;

use crate::pricing::OptionKind;

use super::quote::{ExchangeIvs, PremiumCurrency};

/// One option row as the file gave it (prices in the premium currency, vols as decimals).
#[derive(Clone, Debug, PartialEq)]
pub struct RawQuote {
    /// 1-based line in the file.
    pub line: u64,
    /// Time of the row, UTC ms, when the file has one per row (multi-snapshot and streamed files).
    pub time_ms: Option<i64>,
    /// Underlying coin or index (`BTC`, `ETH`, `SPX`).
    pub underlying: Arc<str>,
    /// Exchange instrument name.
    pub instrument: Arc<str>,
    /// Expiry instant, UTC ms.
    pub expiry_ms: i64,
    /// Strike, quote currency.
    pub strike: f64,
    /// Call or put.
    pub kind: OptionKind,
    /// Currency of `bid`, `ask` and `mark`.
    pub premium_currency: PremiumCurrency,
    /// Best bid (None when there is none; zero and sentinel values are mapped to None by the loader).
    pub bid: Option<f64>,
    /// Best ask.
    pub ask: Option<f64>,
    /// Exchange mark price.
    pub mark: Option<f64>,
    /// Bid size, contracts.
    pub bid_size: Option<f64>,
    /// Ask size, contracts.
    pub ask_size: Option<f64>,
    /// Open interest, contracts.
    pub open_interest: Option<f64>,
    /// Exchange IVs (decimals).
    pub exchange_iv: ExchangeIvs,
    /// Exchange delta.
    pub exchange_delta: Option<f64>,
    /// The row's forward (Deribit `underlying_price`, Bybit `underlyingPrice`), if given.
    pub forward: Option<f64>,
    /// Name of the future or synthetic behind `forward`.
    pub forward_name: Option<Arc<str>>,
    /// Underlying index (spot) at the row's time, if given.
    pub index_price: Option<f64>,
}

impl RawQuote {
    /// A row with the required fields and every optional one empty.
    pub fn new(
        line: u64,
        underlying: impl Into<Arc<str>>,
        instrument: impl Into<Arc<str>>,
        expiry_ms: i64,
        strike: f64,
        kind: OptionKind,
        premium_currency: PremiumCurrency,
    ) -> Self {
        RawQuote {
            line,
            time_ms: None,
            underlying: underlying.into(),
            instrument: instrument.into(),
            expiry_ms,
            strike,
            kind,
            premium_currency,
            bid: None,
            ask: None,
            mark: None,
            bid_size: None,
            ask_size: None,
            open_interest: None,
            exchange_iv: ExchangeIvs::default(),
            exchange_delta: None,
            forward: None,
            forward_name: None,
            index_price: None,
        }
    }
}

/// Shares the text of names that repeat on every row (underlyings, futures): one allocation per distinct name.
#[derive(Debug, Default)]
pub struct NameCache {
    names: Vec<Arc<str>>,
}

impl NameCache {
    /// The shared copy of `name` (names are few: a linear scan beats hashing).
    pub fn get(&mut self, name: &str) -> Arc<str> {
        if let Some(n) = self.names.iter().find(|n| &***n == name) {
            return Arc::clone(n);
        }
        let n: Arc<str> = Arc::from(name);
        if self.names.len() < 256 {
            self.names.push(Arc::clone(&n));
        }
        n
    }
}

/// A positive finite price, or None: exchanges send 0, −1 or empty for "no quote".
pub fn positive(x: Option<f64>) -> Option<f64> {
    x.filter(|v| v.is_finite() && *v > 0.0)
}
