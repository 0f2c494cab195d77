//! Deribit collector CSV (`deribit_btc_eth_*.csv`): one row per option, BTC and ETH in one file, coin premiums.
//!
//! Columns used: `timestamp` (collector start = snapshot time), `instrument_name`, `strike`, `option_type`,
//! `expiry_datetime`, `bid_price`, `ask_price`, `mark_price` (coin), `futures_price` (Deribit's
//! `underlying_price`: the expiry's forward), `futures_instrument_name`, `implied_volatility` (mark IV as a
//! decimal), `delta`, `open_interest`, `currency`, `index_price`. An empty bid or ask means no quote.

use std::io::Read;

use super::csv_input::InputError;
use super::raw_chain::{RawChain, SourceFormat};
use super::table::{CsvTable, Filtered, Next, Row};
use crate::market::time::parse_iso;
use crate::market::{instrument_terms, positive, NameCache, PremiumCurrency, RawQuote};
use crate::pricing::OptionKind;

/// Column positions.
struct Columns {
    timestamp: usize,
    instrument: usize,
    strike: usize,
    option_type: usize,
    expiry: usize,
    bid: usize,
    ask: usize,
    mark: usize,
    forward: usize,
    forward_name: Option<usize>,
    mark_iv: Option<usize>,
    delta: Option<usize>,
    open_interest: Option<usize>,
    currency: usize,
    index: Option<usize>,
}

impl Columns {
    fn locate<R: Read>(t: &CsvTable<R>) -> Result<Self, InputError> {
        Ok(Columns {
            timestamp: t.require("timestamp", &["timestamp"])?,
            instrument: t.require("instrument_name", &["instrument_name"])?,
            strike: t.require("strike", &["strike"])?,
            option_type: t.require("option_type", &["option_type"])?,
            expiry: t.require("expiry_datetime", &["expiry_datetime"])?,
            bid: t.require("bid_price", &["bid_price"])?,
            ask: t.require("ask_price", &["ask_price"])?,
            mark: t.require("mark_price", &["mark_price"])?,
            forward: t.require("futures_price", &["futures_price", "underlying"])?,
            forward_name: t.find(&["futures_instrument_name", "underlying_name"]),
            mark_iv: t.find(&["implied_volatility"]),
            delta: t.find(&["delta"]),
            open_interest: t.find(&["open_interest"]),
            currency: t.require("currency", &["currency"])?,
            index: t.find(&["index_price"]),
        })
    }
}

/// Loads a Deribit collector CSV; with `only` (e.g. `BTC`, any case) other underlyings' rows are skipped.
pub fn load_collector<R: Read>(input: R, only: Option<&str>) -> Result<RawChain, InputError> {
    let mut table = CsvTable::new(input, 0)?;
    let cols = Columns::locate(&table)?;
    let mut chain = RawChain::new(SourceFormat::DeribitCollectorCsv);
    let mut times = TimeCache::default();
    let mut names = NameCache::default();
    let mut skipped = 0usize;
    loop {
        let next = match only {
            None => Filtered::Next(table.next_row()?),
            Some(wanted) => table.next_row_if(cols.instrument, |instrument| {
                let underlying = instrument.split(|b| *b == b'-').next().unwrap_or(b"");
                let keep = underlying.eq_ignore_ascii_case(wanted.as_bytes());
                if !keep && !chain.skipped_underlyings.iter().any(|u| u.as_bytes() == underlying) {
                    chain.skipped_underlyings.push(String::from_utf8_lossy(underlying).into_owned());
                }
                keep
            })?,
        };
        if !matches!(next, Filtered::Next(Next::End)) {
            chain.report.rows_read += 1;
        }
        let line = match next {
            Filtered::Next(Next::End) => break,
            Filtered::Skipped(_) => {
                skipped += 1;
                continue;
            }
            Filtered::Next(Next::Bad(e)) => {
                chain.report.reject_with("malformed row", e);
                continue;
            }
            Filtered::Next(Next::Row(line)) => line,
        };
        let row = table.row(line);
        match parse_row(&row, &cols, &mut times, &mut names) {
            Ok((quote, time, named, warning)) => {
                chain.file_time_ms = Some(chain.file_time_ms.map_or(time, |t: i64| t.min(time)));
                if let Some(warning) = warning {
                    chain.report.warn_line(warning, quote.line);
                }
                chain.push_named(quote, named);
            }
            Err(e) => chain.report.reject_with("unreadable field", e),
        }
    }
    if skipped > 0 {
        chain
            .report
            .note(format!("{skipped} rows of other underlyings skipped (only {} was asked for)", only.unwrap_or("")));
    }
    Ok(chain)
}

/// The underlying of a row: the instrument's first part (`BTC`, `SOL_USDC`), else the currency column.
fn underlying_of<'a>(instrument: &'a str, row: &'a Row<'_>, c: &Columns) -> &'a str {
    instrument.split_once('-').map_or_else(|| row.text(c.currency), |(u, _)| u)
}

/// Parsed ISO times by their text: a snapshot repeats one timestamp and a dozen expiries on every row.
#[derive(Default)]
struct TimeCache {
    seen: Vec<(String, i64)>,
}

impl TimeCache {
    /// Parses `text`, remembering up to 64 distinct spellings.
    fn parse(&mut self, text: &str) -> Option<i64> {
        if let Some((_, t)) = self.seen.iter().find(|(s, _)| s == text) {
            return Some(*t);
        }
        let t = parse_iso(text)?;
        if self.seen.len() < 64 {
            self.seen.push((text.to_owned(), t));
        }
        Some(t)
    }
}

/// A parsed row: the quote, the snapshot time, the instrument name's (expiry, strike, type), a warning.
type ParsedRow = (RawQuote, i64, Option<(i64, f64, OptionKind)>, Option<&'static str>);

/// One row: the quote, the snapshot time, the terms its instrument name states, and a warning about its `expiry_datetime` when it contradicts the
/// instrument name (whose expiry is used: the name is the exchange's identity of the option) or is not a date.
fn parse_row(
    row: &Row<'_>,
    c: &Columns,
    times: &mut TimeCache,
    names: &mut NameCache,
) -> Result<ParsedRow, InputError> {
    let time = times.parse(row.text(c.timestamp)).ok_or_else(|| row.error(c.timestamp, "not an ISO 8601 time"))?;
    let instrument = row.text(c.instrument);
    let kind_text = row.text(c.option_type);
    let kind = OptionKind::parse(kind_text)
        .ok_or_else(|| row.error(c.option_type, format!("'{kind_text}' is not call/put")))?;
    let strike = row.f64(c.strike)?;
    let terms = instrument_terms(instrument);
    let named = terms.map(|(expiry_ms, _, _)| expiry_ms);
    let column = times.parse(row.text(c.expiry));
    let (expiry, warning) = match (named, column) {
        (Some(n), Some(c)) if n != c => {
            (n, Some("expiry_datetime contradicts the instrument name (the name's expiry is used)"))
        }
        (Some(n), None) if !row.text(c.expiry).is_empty() => {
            (n, Some("expiry_datetime is not an ISO 8601 time (the instrument name's expiry is used)"))
        }
        (Some(n), _) => (n, None),
        (None, Some(c)) => (c, None),
        (None, None) => return Err(row.error(c.expiry, "not an ISO 8601 time")),
    };
    let underlying = underlying_of(instrument, row, c);
    let premium = if underlying.contains("_USD") { PremiumCurrency::Quote } else { PremiumCurrency::Coin };
    let mut q = RawQuote::new(row.line, names.get(underlying), instrument, expiry, strike, kind, premium);
    q.bid = positive(row.opt_f64(c.bid)?);
    q.ask = positive(row.opt_f64(c.ask)?);
    q.mark = positive(row.opt_f64(c.mark)?);
    q.forward = positive(row.opt_f64(c.forward)?);
    q.forward_name = c.forward_name.map(|i| row.text(i)).filter(|s| !s.is_empty()).map(|s| names.get(s));
    q.exchange_iv.mark = positive(row.opt_f64_in(c.mark_iv)?);
    q.exchange_delta = row.opt_f64_in(c.delta)?;
    q.open_interest = row.opt_f64_in(c.open_interest)?;
    q.index_price = positive(row.opt_f64_in(c.index)?);
    Ok((q, time, terms, warning))
}
