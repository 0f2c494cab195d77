//! Deribit `public/get_book_summary_by_currency?kind=option`: the raw JSON response (`{"result": [...]}`) and
//! the same objects saved by pandas as CSV (an index column plus the API's field names).
//!
//! Fields used: `instrument_name` (expiry, strike, type), `bid_price`, `ask_price`, `mark_price` (coin for
//! BTC/ETH, USDC for `*_USDC` options), `underlying_price` (the expiry's forward), `underlying_index` (its
//! name, or `index_price` when the expiry has no future), `estimated_delivery_price` (index),
//! `open_interest`, `creation_timestamp` (ms; the latest is the snapshot time), `quote_currency`.
//! There is no IV field: vols are implied from the prices.

use std::io::Read;

use super::csv_input::InputError;
use super::json::{self, Record};
use super::raw_chain::{RawChain, SourceFormat};
use super::table::CsvTable;
use crate::market::{parse_instrument, positive, PremiumCurrency, RawQuote};

/// The fields of one book-summary object, however they were stored.
struct Summary<'a> {
    instrument: &'a str,
    bid: Option<f64>,
    ask: Option<f64>,
    mark: Option<f64>,
    forward: Option<f64>,
    forward_name: &'a str,
    index: Option<f64>,
    open_interest: Option<f64>,
    created_ms: Option<f64>,
    quote_currency: &'a str,
}

/// Turns one summary into a quote; `Err` names the instrument when its name cannot be parsed.
fn to_quote(s: &Summary<'_>, line: u64) -> Result<(RawQuote, Option<i64>), String> {
    let inst =
        parse_instrument(s.instrument).ok_or_else(|| format!("'{}' is not an option instrument name", s.instrument))?;
    let linear = inst.underlying.contains("_USD") || s.quote_currency.starts_with("USD");
    let premium = if linear { PremiumCurrency::Quote } else { PremiumCurrency::Coin };
    let mut q =
        RawQuote::new(line, inst.underlying.as_str(), s.instrument, inst.expiry_ms, inst.strike, inst.kind, premium);
    q.bid = positive(s.bid);
    q.ask = positive(s.ask);
    q.mark = positive(s.mark);
    q.forward = positive(s.forward);
    q.forward_name = (!s.forward_name.is_empty() && s.forward_name != "index_price").then(|| s.forward_name.into());
    q.index_price = positive(s.index);
    q.open_interest = s.open_interest;
    Ok((q, s.created_ms.map(|t| t as i64)))
}

fn push(chain: &mut RawChain, quote: RawQuote, created_ms: Option<i64>) {
    if let Some(t) = created_ms {
        chain.file_time_ms = Some(chain.file_time_ms.map_or(t, |f: i64| f.max(t)));
    }
    chain.push(quote);
}

/// Loads the pandas CSV dump.
pub fn load_csv<R: Read>(input: R) -> Result<RawChain, InputError> {
    let mut table = CsvTable::new(input, 0)?;
    let col = |name: &str| table.require(name, &[name]);
    let (inst, bid, ask, mark, fwd) =
        (col("instrument_name")?, col("bid_price")?, col("ask_price")?, col("mark_price")?, col("underlying_price")?);
    let (fwd_name, index, oi, created, quote_ccy) = (
        table.find(&["underlying_index"]),
        table.find(&["estimated_delivery_price"]),
        table.find(&["open_interest"]),
        table.find(&["creation_timestamp"]),
        table.find(&["quote_currency"]),
    );
    let mut chain = RawChain::new(SourceFormat::DeribitBookSummaryCsv);
    table.read_all(&mut chain, |row, chain| {
        let summary = (|| -> Result<Summary<'_>, InputError> {
            Ok(Summary {
                instrument: row.text(inst),
                bid: row.opt_f64(bid)?,
                ask: row.opt_f64(ask)?,
                mark: row.opt_f64(mark)?,
                forward: row.opt_f64(fwd)?,
                forward_name: fwd_name.map_or("", |c| row.text(c)),
                index: row.opt_f64_in(index)?,
                open_interest: row.opt_f64_in(oi)?,
                created_ms: row.opt_f64_in(created)?,
                quote_currency: quote_ccy.map_or("", |c| row.text(c)),
            })
        })();
        match summary.map(|s| to_quote(&s, row.line).map_err(|m| row.error(inst, m))) {
            Ok(Ok((q, t))) => push(chain, q, t),
            Ok(Err(e)) => chain.report.reject_with("not an option", e),
            Err(e) => chain.report.reject_with("unreadable field", e),
        }
    })?;
    Ok(chain)
}

/// Loads the raw API response `{"result": [...]}` (or a bare array of summaries).
pub fn load_json<R: Read>(input: R) -> Result<RawChain, InputError> {
    let doc = json::parse(input)?;
    let records = if doc.is_array() { json::array_at(&doc, &[])? } else { json::array_at(&doc, &["result"])? };
    let mut chain = RawChain::new(SourceFormat::DeribitBookSummaryJson);
    for (i, value) in records.iter().enumerate() {
        chain.report.rows_read += 1;
        let r = Record::new(value, i);
        let summary = (|| -> Result<Summary<'_>, InputError> {
            Ok(Summary {
                instrument: r.req_text("instrument_name")?,
                bid: r.opt_f64("bid_price")?,
                ask: r.opt_f64("ask_price")?,
                mark: r.opt_f64("mark_price")?,
                forward: r.opt_f64("underlying_price")?,
                forward_name: r.text("underlying_index").unwrap_or(""),
                index: r.opt_f64("estimated_delivery_price")?,
                open_interest: r.opt_f64("open_interest")?,
                created_ms: r.opt_f64("creation_timestamp")?,
                quote_currency: r.text("quote_currency").unwrap_or(""),
            })
        })();
        match summary.map(|s| to_quote(&s, i as u64 + 1).map_err(|m| r.error("instrument_name", m))) {
            Ok(Ok((q, t))) => push(&mut chain, q, t),
            Ok(Err(e)) => chain.report.reject_record("not an option", i as u64 + 1, e),
            Err(e) => chain.report.reject_record("unreadable field", i as u64 + 1, e),
        }
    }
    Ok(chain)
}
