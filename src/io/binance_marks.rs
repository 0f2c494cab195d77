//! Binance European options mark prices CSV (`binance_btc_marks_*.csv`):
//! `Date,Expiry,Strike,Option Type,Mark Price,BTC Spot Price,Symbol`.
//!
//! Mark prices only, in USDT (linear). `Symbol` (`BTC-250516-93000-C`) gives the underlying, expiry and type when
//! it parses; otherwise `Expiry` (a date; Binance options expire at 08:00 UTC), `Strike` and `Option Type` (C/P)
//! do, and the underlying is taken from the spot column's name (`BTC Spot Price` → `BTC`). `<X> Spot Price` is
//! the underlying index.
//!
//! What the format lacks is said in the report's notes: no bid/ask and no exchange IV (marks only), no forward
//! (the normaliser uses the spot index as the forward; no parity is possible without bid/ask), and no clock time.
//!
//! **Snapshot time.** `Date` has no time of day and is the collector's calendar date, in an unknown time zone
//! (the known file, dated 2025-05-15, was recorded ≈ 2025-05-16 02:22 UTC). Rule: the end of the latest `Date`,
//! i.e. `Date` + 1 day at 00:00 UTC. A calendar date read anywhere on Earth denotes an instant between
//! `Date` − 14 h and `Date` + 36 h UTC; its end lies near the middle of that range, and it is before the 08:00 UTC
//! expiry of the next day's options, which the file lists as live.

use std::io::Read;

use super::csv_input::InputError;
use super::raw_chain::{RawChain, SourceFormat};
use super::table::{CsvTable, Row};
use crate::market::time::{format_utc, parse_iso, CRYPTO_EXPIRY_HOUR_UTC, MS_PER_DAY};
use crate::market::{parse_instrument, positive, PremiumCurrency, RawQuote};
use crate::pricing::OptionKind;

/// Column positions.
struct Columns {
    date: usize,
    expiry: usize,
    strike: usize,
    kind: usize,
    mark: usize,
    spot: Option<usize>,
    symbol: Option<usize>,
    /// Underlying named by the spot column (`BTC` from `BTC Spot Price`).
    spot_underlying: String,
}

impl Columns {
    fn locate<R: Read>(t: &CsvTable<R>) -> Result<Self, InputError> {
        let spot = t.columns().headers().iter().position(|h| h.trim().to_ascii_lowercase().ends_with("spot price"));
        let spot_underlying = spot
            .and_then(|i| t.columns().headers().get(i))
            .and_then(|h| h.split_whitespace().next())
            .unwrap_or("BTC")
            .to_ascii_uppercase();
        Ok(Columns {
            date: t.require("Date", &["Date"])?,
            expiry: t.require("Expiry", &["Expiry"])?,
            strike: t.require("Strike", &["Strike"])?,
            kind: t.require("Option Type", &["Option Type"])?,
            mark: t.require("Mark Price", &["Mark Price"])?,
            spot,
            symbol: t.find(&["Symbol"]),
            spot_underlying,
        })
    }
}

/// Loads a Binance marks CSV (see the module doc for the snapshot-time rule).
pub fn load<R: Read>(input: R) -> Result<RawChain, InputError> {
    let mut table = CsvTable::new(input, 0)?;
    let cols = Columns::locate(&table)?;
    let mut chain = RawChain::new(SourceFormat::BinanceMarksCsv);
    let mut dates: Vec<i64> = Vec::new();
    table.read_all(&mut chain, |row, chain| {
        let parsed = parse_row(row, &cols).map(|(quote, date)| {
            if !dates.contains(&date) {
                dates.push(date);
            }
            quote
        });
        chain.push_or_reject(parsed);
    })?;
    add_notes(&mut chain, &dates, &cols);
    Ok(chain)
}

fn parse_row(row: &Row<'_>, c: &Columns) -> Result<(RawQuote, i64), InputError> {
    let date = parse_iso(row.text(c.date)).ok_or_else(|| row.error(c.date, "not a date (YYYY-MM-DD)"))?;
    let symbol = c.symbol.map_or("", |i| row.text(i));
    let parsed = parse_instrument(symbol);
    let expiry = match parse_iso(row.text(c.expiry)) {
        Some(day) => day + CRYPTO_EXPIRY_HOUR_UTC * 3_600_000,
        None => parsed.as_ref().map(|i| i.expiry_ms).ok_or_else(|| row.error(c.expiry, "not a date (YYYY-MM-DD)"))?,
    };
    let strike =
        positive(Some(row.f64(c.strike)?)).ok_or_else(|| row.error(c.strike, "the strike must be positive"))?;
    let kind_text = row.text(c.kind);
    let kind = OptionKind::parse(kind_text).ok_or_else(|| row.error(c.kind, format!("'{kind_text}' is not C/P")))?;
    let underlying = parsed.map_or_else(|| c.spot_underlying.clone(), |i| i.underlying);
    let name = if symbol.is_empty() {
        format!("{underlying}-{}-{strike}-{kind_text}", row.text(c.expiry))
    } else {
        symbol.to_owned()
    };
    let mut q =
        RawQuote::new(row.line, underlying.as_str(), name.as_str(), expiry, strike, kind, PremiumCurrency::Quote);
    q.mark = positive(row.opt_f64(c.mark)?);
    q.index_price = positive(row.opt_f64_in(c.spot)?);
    Ok((q, date))
}

/// The snapshot time (end of the latest Date) and what the format lacks.
fn add_notes(chain: &mut RawChain, dates: &[i64], cols: &Columns) {
    let Some(latest) = dates.iter().copied().max() else { return };
    let time = latest + MS_PER_DAY;
    chain.file_time_ms = Some(time);
    chain.report.note(format!(
        "snapshot time: the file's Date has no clock time; taken as the end of that date, {} (Date + 1 day, 00:00 UTC)",
        format_utc(time)
    ));
    if dates.len() > 1 {
        chain.report.note(format!("{} different Dates in the file: the latest one is used", dates.len()));
    }
    chain.report.note("no bid/ask: marks only (no exchange IVs either): the smile is the mark IVs");
    if cols.spot.is_some() {
        chain.report.note("no forward: the spot price is used as every expiry's forward");
    } else {
        chain.report.note("no forward and no spot price: forwards cannot be set");
    }
}
