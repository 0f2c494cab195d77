//! Deribit hourly exchange IVs (`deribit_btc_iv_hourly_*.csv`): many snapshots in one long file, vols and
//! Greeks but no prices and no forward.
//!
//! Columns used: `date` (snapshot time, UTC), `instrument_name`, `expiry_date` (08:00 UTC), `strike`, `type`,
//! `open_interest`, `delta`, `bid_iv`, `ask_iv`, `mark_iv` (percent; 0 means no quote). The forward of each
//! expiry is inferred from the quoted deltas and mark IVs (see `market::forward_from_delta`).

use std::io::Read;

use super::csv_input::InputError;
use super::raw_chain::{RawChain, SourceFormat};
use super::table::{CsvTable, Row};
use crate::market::time::{parse_iso, CRYPTO_EXPIRY_HOUR_UTC};
use crate::market::{parse_instrument, positive, PremiumCurrency, RawQuote};
use crate::pricing::OptionKind;

struct Columns {
    date: usize,
    instrument: usize,
    expiry_date: usize,
    strike: usize,
    kind: usize,
    open_interest: Option<usize>,
    delta: Option<usize>,
    bid_iv: usize,
    ask_iv: usize,
    mark_iv: usize,
}

/// Loads the hourly IV file; every row keeps its own time (pick one with `BuildOptions::at_ms`).
pub fn load<R: Read>(input: R) -> Result<RawChain, InputError> {
    let mut table = CsvTable::new(input, 0)?;
    let c = Columns {
        date: table.require("date", &["date"])?,
        instrument: table.require("instrument_name", &["instrument_name"])?,
        expiry_date: table.require("expiry_date", &["expiry_date"])?,
        strike: table.require("strike", &["strike"])?,
        kind: table.require("type", &["type"])?,
        open_interest: table.find(&["open_interest"]),
        delta: table.find(&["delta"]),
        bid_iv: table.require("bid_iv", &["bid_iv"])?,
        ask_iv: table.require("ask_iv", &["ask_iv"])?,
        mark_iv: table.require("mark_iv", &["mark_iv"])?,
    };
    let mut chain = RawChain::new(SourceFormat::DeribitHourlyIvCsv);
    chain.report.note("vols only (no prices, no forward): forwards inferred from the exchange deltas and mark IVs");
    table.read_all(&mut chain, |row, chain| chain.push_or_reject(parse_row(row, &c)))?;
    Ok(chain)
}

/// Percent IV → decimal; 0 (Deribit's "no quote") → None.
fn percent(x: Option<f64>) -> Option<f64> {
    positive(x).map(|v| v / 100.0)
}

fn parse_row(row: &Row<'_>, c: &Columns) -> Result<RawQuote, InputError> {
    let time = parse_iso(row.text(c.date)).ok_or_else(|| row.error(c.date, "not an ISO 8601 time"))?;
    let instrument = row.text(c.instrument);
    let expiry = parse_iso(row.text(c.expiry_date))
        .map(|day| day + CRYPTO_EXPIRY_HOUR_UTC * 3_600_000)
        .ok_or_else(|| row.error(c.expiry_date, "not a date (YYYY-MM-DD)"))?;
    let kind_text = row.text(c.kind);
    let kind =
        OptionKind::parse(kind_text).ok_or_else(|| row.error(c.kind, format!("'{kind_text}' is not call/put")))?;
    let strike = row.f64(c.strike)?;
    let underlying = parse_instrument(instrument).map_or_else(|| "BTC".to_owned(), |i| i.underlying);
    let mut q = RawQuote::new(row.line, underlying.as_str(), instrument, expiry, strike, kind, PremiumCurrency::Coin);
    q.time_ms = Some(time);
    q.exchange_iv.bid = percent(row.opt_f64(c.bid_iv)?);
    q.exchange_iv.ask = percent(row.opt_f64(c.ask_iv)?);
    q.exchange_iv.mark = percent(row.opt_f64(c.mark_iv)?);
    q.exchange_delta = row.opt_f64_in(c.delta)?;
    q.open_interest = row.opt_f64_in(c.open_interest)?;
    Ok(q)
}
