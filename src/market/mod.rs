//! Market data: the normalised option chain (snapshot → expiry slices → quotes), forwards, time to expiry
//! and quote statuses. Loaders in [`crate::io`] produce [`RawQuote`]s; [`build_snapshot`] normalises them.

mod build;
mod chain;
mod forward;
mod instrument;
mod outliers;
mod quote;
mod raw;
pub mod time;

pub use build::{build_snapshot, snapshot_times, underlyings, BuildError, BuildOptions, RowTimes, UsdConversion};
pub use chain::{ExpirySlice, ForwardSource, Snapshot};
pub use forward::{forward_from_delta, mark_parity_forward, parity_forward, ParityForward, ParityPair};
pub use instrument::{instrument_terms, parse_instrument, Instrument};
pub use quote::{ExchangeIvs, PremiumCurrency, Quote, QuoteSide, QuoteStatus, MAX_ABS_LOG_MONEYNESS};
pub use raw::{positive, NameCache, RawQuote};
pub use time::DayCount;
