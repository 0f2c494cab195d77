//! Tardis `options_chain` rows written from real quotes (the loader tests and the autosave tests build Tardis
//! files from the real Deribit snapshots).

use volscope::market::RawQuote;
use volscope::pricing::OptionKind;

/// Tardis `options_chain` header.
pub const HEADER: &str =
    "exchange,symbol,timestamp,local_timestamp,type,strike_price,expiration,open_interest,last_price,\
bid_price,bid_amount,bid_iv,ask_price,ask_amount,ask_iv,mark_price,mark_iv,underlying_index,underlying_price,delta,\
gamma,vega,theta,rho";
/// Bid and ask sizes written for every quoted side.
pub const SIZE: f64 = 12.5;

/// Optional number as Tardis writes it (empty when absent); `Display` of f64 round-trips exactly.
pub fn num(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| v.to_string())
}

/// One Tardis row of a collector quote at `ts` µs, prices scaled by `scale`.
pub fn tardis_row(q: &RawQuote, ts: i64, scale: f64) -> String {
    let kind = if q.kind == OptionKind::Call { "call" } else { "put" };
    let price = |p: Option<f64>| num(p.map(|v| v * scale));
    let size = |p: Option<f64>| num(p.map(|_| SIZE));
    let (index_name, forward) = match q.forward {
        Some(f) => (q.forward_name.as_deref().unwrap_or_default().to_owned(), Some(f)),
        None => ("index_price".to_owned(), q.index_price),
    };
    format!(
        "deribit,{},{ts},{},{kind},{},{},{},,{},{},,{},{},,{},{},{},{},{},,,,\n",
        q.instrument,
        ts + 345_678,
        q.strike,
        q.expiry_ms * 1000,
        num(q.open_interest),
        price(q.bid),
        size(q.bid),
        price(q.ask),
        size(q.ask),
        price(q.mark),
        num(q.exchange_iv.mark.map(|v| v * 100.0)),
        index_name,
        num(forward),
        num(q.exchange_delta),
    )
}
