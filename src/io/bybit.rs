//! Bybit v5 `GET /v5/market/tickers?category=option`: `{"retCode":0,"retMsg":"OK","result":{"category":
//! "option","list":[...]},"time":...}`, or the bare `list` array.
//!
//! Fields used (Bybit's documented names, numbers sent as strings): `symbol` (`BTC-27DEC24-100000-C`, optionally
//! suffixed `-USDT`; expiry 08:00 UTC), `bid1Price`, `ask1Price`, `markPrice` (USDC or USDT: linear premiums),
//! `bid1Size`, `ask1Size` (contracts), `bid1Iv`, `ask1Iv`, `markIv` (decimals), `underlyingPrice` (the
//! expiry's forward), `indexPrice` (spot index), `openInterest`, `delta`. A `"0"` price or IV means no quote.
//! The snapshot time is the response's `time` (ms); a bare array has none (the report says so).
//! JSON has no useful line numbers: a quote's `line` and the rejected-row numbers are the 1-based position of
//! the record in `list`.

use std::io::Read;

use serde_json::Value;

use super::csv_input::InputError;
use super::json::{self, Record};
use super::raw_chain::{RawChain, SourceFormat};
use crate::market::{parse_instrument, positive, Instrument, PremiumCurrency, RawQuote};

/// Loads a Bybit option tickers response (see the module doc).
pub fn load<R: Read>(input: R) -> Result<RawChain, InputError> {
    let doc = json::parse(input)?;
    let records = ticker_list(&doc)?;
    let mut chain = RawChain::new(SourceFormat::BybitJson);
    chain.file_time_ms = response_time(&doc)?;
    for (i, value) in records.iter().enumerate() {
        chain.report.rows_read += 1;
        let r = Record::new(value, i);
        let record = i as u64 + 1;
        let symbol = match r.req_text("symbol") {
            Ok(s) => s.trim(),
            Err(e) => {
                chain.report.reject_record("unreadable field", record, e);
                continue;
            }
        };
        let Some(inst) = parse_instrument(symbol) else {
            let e = r.error("symbol", format!("'{symbol}' is not a Bybit option symbol (BTC-27DEC24-100000-C)"));
            chain.report.reject_record("not an option", record, e);
            continue;
        };
        match to_quote(&r, symbol, &inst) {
            Ok(q) => chain.push(q),
            Err(e) => chain.report.reject_record("unreadable field", record, e),
        }
    }
    if chain.file_time_ms.is_none() {
        chain.report.note("no response `time`: the file gives no snapshot time (save the whole response)");
    }
    Ok(chain)
}

/// `result.list` of a response (checking `retCode` and `category`), or a bare array.
fn ticker_list(doc: &Value) -> Result<&Vec<Value>, InputError> {
    if doc.is_array() {
        return json::array_at(doc, &[]);
    }
    let code = doc.get("retCode").and_then(Value::as_i64).unwrap_or(0);
    if code != 0 {
        let msg = doc.get("retMsg").and_then(Value::as_str).unwrap_or("");
        return Err(InputError::at_line(0, format!("Bybit error response, retCode {code}: {msg}")));
    }
    let category = doc.get("result").and_then(|r| r.get("category")).and_then(Value::as_str);
    if let Some(c) = category.filter(|c| !c.eq_ignore_ascii_case("option")) {
        return Err(InputError::at_line(
            0,
            format!("result.category is '{c}': Volscope reads category=option tickers"),
        ));
    }
    json::array_at(doc, &["result", "list"])
}

/// The response's `time` (ms, a number or a numeric string).
fn response_time(doc: &Value) -> Result<Option<i64>, InputError> {
    match doc.get("time") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64().map(|t| t as i64)),
        Some(Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .map(|t| Some(t as i64))
            .map_err(|_| InputError::at_line(0, format!("field \"time\": '{s}' is not a time in ms"))),
        Some(other) => Err(InputError::at_line(0, format!("field \"time\": {other} is not a time in ms"))),
    }
}

/// One ticker as a quote: linear premiums, `"0"` prices and IVs mapped to "no quote".
fn to_quote(r: &Record<'_>, symbol: &str, inst: &Instrument) -> Result<RawQuote, InputError> {
    let line = r.index as u64 + 1;
    let mut q = RawQuote::new(
        line,
        inst.underlying.as_str(),
        symbol,
        inst.expiry_ms,
        inst.strike,
        inst.kind,
        PremiumCurrency::Quote,
    );
    q.bid = positive(r.opt_f64("bid1Price")?);
    q.ask = positive(r.opt_f64("ask1Price")?);
    q.mark = positive(r.opt_f64("markPrice")?);
    q.bid_size = positive(r.opt_f64("bid1Size")?);
    q.ask_size = positive(r.opt_f64("ask1Size")?);
    q.exchange_iv.bid = positive(r.opt_f64("bid1Iv")?);
    q.exchange_iv.ask = positive(r.opt_f64("ask1Iv")?);
    q.exchange_iv.mark = positive(r.opt_f64("markIv")?);
    q.forward = positive(r.opt_f64("underlyingPrice")?);
    q.index_price = positive(r.opt_f64("indexPrice")?);
    q.open_interest = r.opt_f64("openInterest")?;
    q.exchange_delta = r.opt_f64("delta")?;
    Ok(q)
}
