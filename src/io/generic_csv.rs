//! Volscope's generic quote CSV, for users' own data (documented in README.md).
//!
//! Required columns: `timestamp` (ISO 8601 snapshot time; several distinct times make a multi-snapshot file),
//! `expiry` (ISO 8601 date-time; a bare date means 08:00 UTC), `strike`, `type` (call/put or c/p).
//! Optional: `bid`, `ask`, `mark` (premiums), `currency` (`usd` default, or `coin` for inverse premiums),
//! `forward`, `index` [underlying_price, spot], `underlying` (name, default `UNDERLYING`), `instrument`,
//! `bid_iv`, `ask_iv`, `mark_iv` (decimals, 0.55 = 55 %), `bid_size`, `ask_size`, `open_interest`, `delta`.

use std::io::Read;

use super::csv_input::InputError;
use super::raw_chain::{RawChain, SourceFormat};
use super::table::{CsvTable, Row};
use crate::market::time::{format_date, parse_iso, CRYPTO_EXPIRY_HOUR_UTC};
use crate::market::{positive, PremiumCurrency, RawQuote};
use crate::pricing::OptionKind;

/// Accepted names of the required columns (format detection recognises a generic CSV by them too).
pub(crate) const TIMESTAMP_NAMES: &[&str] = &["timestamp", "time", "snapshot"];
/// Names of the expiry column.
pub(crate) const EXPIRY_NAMES: &[&str] = &["expiry", "expiration"];
/// Names of the strike column.
pub(crate) const STRIKE_NAMES: &[&str] = &["strike", "k"];
/// Names of the call/put column.
pub(crate) const TYPE_NAMES: &[&str] = &["type", "option_type", "cp"];

struct Columns {
    timestamp: usize,
    expiry: usize,
    strike: usize,
    kind: usize,
    bid: Option<usize>,
    ask: Option<usize>,
    mark: Option<usize>,
    currency: Option<usize>,
    forward: Option<usize>,
    index: Option<usize>,
    underlying: Option<usize>,
    instrument: Option<usize>,
    bid_iv: Option<usize>,
    ask_iv: Option<usize>,
    mark_iv: Option<usize>,
    bid_size: Option<usize>,
    ask_size: Option<usize>,
    open_interest: Option<usize>,
    delta: Option<usize>,
}

impl Columns {
    fn locate<R: Read>(t: &CsvTable<R>) -> Result<Self, InputError> {
        Ok(Columns {
            timestamp: t.require("timestamp", TIMESTAMP_NAMES)?,
            expiry: t.require("expiry", EXPIRY_NAMES)?,
            strike: t.require("strike", STRIKE_NAMES)?,
            kind: t.require("type", TYPE_NAMES)?,
            bid: t.find(&["bid"]),
            ask: t.find(&["ask"]),
            mark: t.find(&["mark"]),
            currency: t.find(&["currency"]),
            forward: t.find(&["forward"]),
            index: t.find(&["index", "underlying_price", "spot"]),
            underlying: t.find(&["underlying"]),
            instrument: t.find(&["instrument", "symbol"]),
            bid_iv: t.find(&["bid_iv"]),
            ask_iv: t.find(&["ask_iv"]),
            mark_iv: t.find(&["mark_iv"]),
            bid_size: t.find(&["bid_size"]),
            ask_size: t.find(&["ask_size"]),
            open_interest: t.find(&["open_interest"]),
            delta: t.find(&["delta"]),
        })
    }
}

/// Loads a generic CSV. A file with one distinct timestamp is a single snapshot (duplicates are flagged);
/// with several, each row keeps its time.
pub fn load<R: Read>(input: R) -> Result<RawChain, InputError> {
    let mut table = CsvTable::new(input, 0)?;
    let c = Columns::locate(&table)?;
    let mut chain = RawChain::new(SourceFormat::GenericCsv);
    table.read_all(&mut chain, |row, chain| chain.push_or_reject(parse_row(row, &c)))?;
    collapse_single_time(&mut chain);
    Ok(chain)
}

/// One distinct timestamp: it becomes the file's snapshot time and rows lose their own.
fn collapse_single_time(chain: &mut RawChain) {
    let first = chain.rows.first().and_then(|r| r.time_ms);
    if chain.rows.iter().all(|r| r.time_ms == first) {
        chain.file_time_ms = first;
        for r in &mut chain.rows {
            r.time_ms = None;
        }
    }
}

fn parse_row(row: &Row<'_>, c: &Columns) -> Result<RawQuote, InputError> {
    let time = parse_iso(row.text(c.timestamp)).ok_or_else(|| row.error(c.timestamp, "not an ISO 8601 time"))?;
    let expiry_text = row.text(c.expiry);
    let mut expiry = parse_iso(expiry_text).ok_or_else(|| row.error(c.expiry, "not an ISO 8601 date or time"))?;
    if expiry_text.len() == 10 {
        expiry += CRYPTO_EXPIRY_HOUR_UTC * 3_600_000;
    }
    let kind_text = row.text(c.kind);
    let kind =
        OptionKind::parse(kind_text).ok_or_else(|| row.error(c.kind, format!("'{kind_text}' is not call/put")))?;
    let strike = row.f64(c.strike)?;
    if !(strike > 0.0) {
        return Err(row.error(c.strike, "a strike must be positive"));
    }
    let premium = match c.currency.map(|i| row.text(i).to_ascii_lowercase()) {
        None => PremiumCurrency::Quote,
        Some(s) if s.is_empty() || s.starts_with("usd") => PremiumCurrency::Quote,
        Some(s) if s == "coin" => PremiumCurrency::Coin,
        Some(s) => return Err(row.error(c.currency.unwrap_or(0), format!("'{s}' is not a currency (usd or coin)"))),
    };
    let underlying = c.underlying.map(|i| row.text(i)).filter(|s| !s.is_empty()).unwrap_or("UNDERLYING");
    let instrument = c.instrument.map(|i| row.text(i).to_owned()).filter(|s| !s.is_empty()).unwrap_or_else(|| {
        format!("{underlying}-{}-{strike}-{}", format_date(expiry), if kind == OptionKind::Call { "C" } else { "P" })
    });
    let mut q = RawQuote::new(row.line, underlying, instrument.as_str(), expiry, strike, kind, premium);
    q.time_ms = Some(time);
    q.bid = positive(row.opt_f64_in(c.bid)?);
    q.ask = positive(row.opt_f64_in(c.ask)?);
    q.mark = positive(row.opt_f64_in(c.mark)?);
    q.forward = positive(row.opt_f64_in(c.forward)?);
    q.index_price = positive(row.opt_f64_in(c.index)?);
    q.exchange_iv.bid = positive(row.opt_f64_in(c.bid_iv)?);
    q.exchange_iv.ask = positive(row.opt_f64_in(c.ask_iv)?);
    q.exchange_iv.mark = positive(row.opt_f64_in(c.mark_iv)?);
    q.bid_size = row.opt_f64_in(c.bid_size)?;
    q.ask_size = row.opt_f64_in(c.ask_size)?;
    q.open_interest = row.opt_f64_in(c.open_interest)?;
    q.exchange_delta = row.opt_f64_in(c.delta)?;
    Ok(q)
}
