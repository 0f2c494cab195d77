//! One option quote of a snapshot: what the exchange sent, what Volscope derived from it, and its status.

use serde::{Deserialize, Serialize};

use crate::pricing::{IvStatus, OptionKind};

/// Currency of a quote's premium.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PremiumCurrency {
    /// Coin-margined (inverse): premium in the underlying coin per one coin of notional (Deribit BTC/ETH, OKX).
    Coin,
    /// Premium in the quote currency (USD, USDT, USDC): linear options (Bybit, Binance, Deribit USDC, CBOE).
    Quote,
}

/// Whether a quote can be used, and if not, why; every quote keeps its status and stays visible.
///
/// When several apply, the first in this list wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteStatus {
    /// Two-sided, bid and ask vols implied: usable.
    Ok,
    /// The expiry is at or before the snapshot time.
    Expired,
    /// Another row of the file has the same instrument (the first one is kept as is).
    Duplicate,
    /// Neither a bid nor an ask.
    NoQuote,
    /// Bid above ask.
    Crossed,
    /// Only an ask.
    NoBid,
    /// Only a bid.
    NoAsk,
    /// The ask is below the intrinsic value: the whole quote is under intrinsic, no vol for it.
    BelowIntrinsic,
    /// Only the bid is below intrinsic (common deep in the money): the ask and usually the mid carry vols.
    BidBelowIntrinsic,
    /// The bid (or the mid) is at or above the no-arbitrage maximum (forward for a call, strike for a put).
    AboveMaximum,
    /// Two-sided, but a side's vol could not be implied for another reason (see the side statuses).
    IvFailed,
    /// Two-sided, but its vol stands far from its neighbours' (a stale "cabinet" quote or a vol cliff).
    Outlier,
    /// The strike is implausibly far from the forward (|ln(K/F)| > [`MAX_ABS_LOG_MONEYNESS`]): a typo or a
    /// unit error, never used (its implied vol would mean nothing).
    StrikeOutOfRange,
}

/// Largest |k| = |ln(K/F)| a usable quote can have (K/F between 0.0067 and 148; real chains stay within
/// |k| < 4: SPX 100 strikes at F 4,400 are k = −3.8).
pub const MAX_ABS_LOG_MONEYNESS: f64 = 5.0;

impl QuoteStatus {
    /// snake_case name as written to files.
    pub fn as_str(self) -> &'static str {
        match self {
            QuoteStatus::Ok => "ok",
            QuoteStatus::Expired => "expired",
            QuoteStatus::Duplicate => "duplicate",
            QuoteStatus::NoQuote => "no_quote",
            QuoteStatus::Crossed => "crossed",
            QuoteStatus::NoBid => "no_bid",
            QuoteStatus::NoAsk => "no_ask",
            QuoteStatus::BelowIntrinsic => "below_intrinsic",
            QuoteStatus::BidBelowIntrinsic => "bid_below_intrinsic",
            QuoteStatus::AboveMaximum => "above_maximum",
            QuoteStatus::IvFailed => "iv_failed",
            QuoteStatus::Outlier => "outlier",
            QuoteStatus::StrikeOutOfRange => "strike_out_of_range",
        }
    }

    /// `true` for a two-sided quote with both vols (the quotes a smile fit uses by default).
    pub fn is_usable(self) -> bool {
        self == QuoteStatus::Ok
    }

    /// Every status, in declaration order.
    pub const ALL: [QuoteStatus; 13] = [
        QuoteStatus::Ok,
        QuoteStatus::Expired,
        QuoteStatus::Duplicate,
        QuoteStatus::NoQuote,
        QuoteStatus::Crossed,
        QuoteStatus::NoBid,
        QuoteStatus::NoAsk,
        QuoteStatus::BelowIntrinsic,
        QuoteStatus::BidBelowIntrinsic,
        QuoteStatus::AboveMaximum,
        QuoteStatus::IvFailed,
        QuoteStatus::Outlier,
        QuoteStatus::StrikeOutOfRange,
    ];

    /// Reads the name [`QuoteStatus::as_str`] writes.
    pub fn parse(text: &str) -> Option<QuoteStatus> {
        QuoteStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl std::fmt::Display for QuoteStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Prices of one side (bid, ask, mid or mark) in both currencies, and its implied vol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct QuoteSide {
    /// Premium in the quote's own premium currency.
    pub price: Option<f64>,
    /// Premium in USD (quote currency).
    pub price_usd: Option<f64>,
    /// Premium in coin (USD / forward).
    pub price_coin: Option<f64>,
    /// Implied vol (decimal), when it could be implied.
    pub iv: Option<f64>,
    /// Why the vol is or is not there (`None` when there is no price).
    pub iv_status: Option<IvStatus>,
}

/// Vols the exchange itself sent (decimals; Deribit's percent IVs are divided by 100 on load).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExchangeIvs {
    /// Exchange bid IV.
    pub bid: Option<f64>,
    /// Exchange ask IV.
    pub ask: Option<f64>,
    /// Exchange mark IV.
    pub mark: Option<f64>,
}

/// One option of a snapshot after normalisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    /// Exchange instrument name (`BTC-27MAR26-80000-C`), shared with the raw row.
    pub instrument: std::sync::Arc<str>,
    /// Strike, quote currency.
    pub strike: f64,
    /// Call or put.
    pub kind: OptionKind,
    /// Currency the exchange quoted the premium in.
    pub premium_currency: PremiumCurrency,
    /// Best bid.
    pub bid: QuoteSide,
    /// Best ask.
    pub ask: QuoteSide,
    /// (bid + ask) / 2 when two-sided and not crossed.
    pub mid: QuoteSide,
    /// Exchange mark price.
    pub mark: QuoteSide,
    /// Bid size (contracts), if given.
    pub bid_size: Option<f64>,
    /// Ask size (contracts), if given.
    pub ask_size: Option<f64>,
    /// Open interest (contracts), if given.
    pub open_interest: Option<f64>,
    /// The exchange's own IVs, if given.
    pub exchange_iv: ExchangeIvs,
    /// The exchange's delta, if given.
    pub exchange_delta: Option<f64>,
    /// Forward the quote's prices were converted and inverted with (the row's own when the file gives one).
    pub forward_used: f64,
    /// Log-moneyness k = ln(K/F) against the slice forward.
    pub k: f64,
    /// Black forward delta at the mid vol (or the mark vol when there is no mid).
    pub delta: Option<f64>,
    /// Usability.
    pub status: QuoteStatus,
    /// 1-based line of the source file the quote came from.
    pub line: u64,
}

impl Quote {
    /// The vol a smile should be drawn at: mid, else mark.
    pub fn display_iv(&self) -> Option<f64> {
        self.mid.iv.or(self.mark.iv)
    }

    /// `true` for the out-of-the-money side: puts below the forward, calls at or above it.
    pub fn is_otm(&self) -> bool {
        match self.kind {
            OptionKind::Put => self.k < 0.0,
            OptionKind::Call => self.k >= 0.0,
        }
    }
}
