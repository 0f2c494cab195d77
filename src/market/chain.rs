//! A snapshot of one underlying's option chain, split into expiry slices.

use serde::{Deserialize, Serialize};

use super::quote::{PremiumCurrency, Quote, QuoteStatus};
use super::time::DayCount;

/// Where a slice's forward came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ForwardSource {
    /// The exchange's per-expiry forward (Deribit `underlying_price`: the future or a `SYN.` synthetic), the
    /// median over the slice's rows.
    Exchange {
        /// Name of the future or synthetic (`BTC-27MAR26`, `SYN.BTC-3APR26`), when given.
        name: Option<String>,
    },
    /// The forward the exchange priced its marks on, from call/put mark parity at the strikes nearest the
    /// money (exact up to the marks' rounding: an exchange marks both sides from one smile on one forward).
    /// Preferred over the per-row forward field, which a collector may read at another moment.
    ExchangeMarks {
        /// Strikes used.
        n_strikes: usize,
        /// Name of the future or synthetic the exchange reports for the expiry, when given.
        name: Option<String>,
    },
    /// Put-call parity regression C − P = D·(F − K) on near-the-money strikes quoted on both sides.
    Parity {
        /// Strikes used.
        n_strikes: usize,
        /// R² of the regression.
        r_squared: f64,
    },
    /// Inferred from the exchange's deltas and mark IVs (files with vols but no prices).
    ImpliedFromDeltas {
        /// Quotes used.
        n_quotes: usize,
    },
    /// The underlying index (spot), the last resort.
    Index,
    /// Given in the user's file.
    File,
}

impl ForwardSource {
    /// Short label for tables (`exchange`, `parity`, `deltas`, `index`, `file`).
    pub fn label(&self) -> &'static str {
        match self {
            ForwardSource::Exchange { .. } => "exchange",
            ForwardSource::ExchangeMarks { .. } => "marks",
            ForwardSource::Parity { .. } => "parity",
            ForwardSource::ImpliedFromDeltas { .. } => "deltas",
            ForwardSource::Index => "index",
            ForwardSource::File => "file",
        }
    }
}

/// All quotes of one expiry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExpirySlice {
    /// Expiry instant, UTC ms.
    pub expiry_ms: i64,
    /// Years from the snapshot time to the expiry instant under the snapshot's day count.
    pub t_years: f64,
    /// Forward F of the expiry, quote currency.
    pub forward: f64,
    /// Where `forward` came from.
    pub forward_source: ForwardSource,
    /// Discount factor the premiums were inverted with (parity's D for quote-currency premiums, else 1).
    pub discount: f64,
    /// The parity forward, when it could be computed (also when the exchange's was used).
    pub parity_forward: Option<f64>,
    /// Relative disagreement |exchange − parity| / exchange when both exist.
    pub forward_disagreement: Option<f64>,
    /// Quotes sorted by strike, then call before put.
    pub quotes: Vec<Quote>,
}

impl ExpirySlice {
    /// Number of quotes with status `ok`.
    pub fn usable_count(&self) -> usize {
        self.quotes.iter().filter(|q| q.status == QuoteStatus::Ok).count()
    }
}

/// One underlying's chain at one time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Snapshot instant, UTC ms.
    pub time_ms: i64,
    /// Underlying (`BTC`, `ETH`, `SPX`).
    pub underlying: String,
    /// The file format it was read from (`deribit_collector_csv`, …).
    pub source: String,
    /// Underlying index (spot) price, if given.
    pub index_price: Option<f64>,
    /// Premium currency of the chain's quotes.
    pub premium_currency: PremiumCurrency,
    /// Day count used for every slice's T.
    pub day_count: DayCount,
    /// Expiry slices in expiry order (expired ones included, their quotes marked `expired`).
    pub slices: Vec<ExpirySlice>,
    /// Problems found while building (forward disagreements, fallbacks), for the load report.
    pub warnings: Vec<String>,
}

impl Snapshot {
    /// Total number of quotes.
    pub fn quote_count(&self) -> usize {
        self.slices.iter().map(|s| s.quotes.len()).sum()
    }

    /// Number of quotes per status.
    pub fn status_counts(&self) -> std::collections::BTreeMap<QuoteStatus, usize> {
        let mut counts = std::collections::BTreeMap::new();
        for q in self.slices.iter().flat_map(|s| &s.quotes) {
            *counts.entry(q.status).or_insert(0) += 1;
        }
        counts
    }
}
