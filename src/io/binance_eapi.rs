//! Binance European options: `GET /eapi/v1/mark` and/or `GET /eapi/v1/ticker` (both bare JSON arrays).
//!
//! Accepted documents:
//! - either response as saved (an array of records; each record says what it is by its fields);
//! - Volscope's join of both: `{"mark": [...], "ticker": [...], "serverTime": 1747362120000}`, records joined on
//!   `symbol`; either array may be missing; `serverTime` (ms, as `GET /eapi/v1/time` returns it; `time` is also
//!   read) is the optional fetch time.
//!
//! Fields used (Binance's documented names, numbers sent as strings): `symbol` (`BTC-250516-93000-C`; Binance
//! options expire at 08:00 UTC, i.e. 16:00 UTC+8, on the named date); mark: `markPrice`, `bidIV`, `askIV`, `markIV`
//! (decimals; −1 or 0 = no quote), `delta`, `riskFreeInterest` (r); ticker: `bidPrice`, `askPrice` (0 = no quote),
//! `exercisePrice` (the underlying index; the estimated settlement price in the last half hour), `closeTime`.
//! Premiums are linear, in USDT.
//!
//! **Snapshot time.** `/eapi/v1/mark` carries no time. The time is `serverTime` when the file has it, else the
//! latest ticker `closeTime` (the time of the chain's last trade: a lower bound of the fetch time, usually
//! seconds to minutes old for BTC/ETH), else there is none: the load succeeds with a note and building the
//! snapshot fails with "the file gives no snapshot time".
//!
//! **Forward.** Binance marks with Black-Scholes on the index S at rate r, i.e. Black-76 on F = S·e^(rT). When a
//! quote has both `exercisePrice` and `riskFreeInterest` (and the file has a time), its forward is S·e^(rT)
//! (T in ACT/365); otherwise the normaliser falls back to put-call parity, then the index.
//!
//! JSON has no useful line numbers: a quote's `line` and the rejected-row numbers are the 1-based position of
//! the record in its array (for a joined file, the array is named in the rejection reason).

use std::collections::HashMap;
use std::io::Read;

use serde_json::Value;

use super::csv_input::InputError;
use super::json::{self, Record};
use super::raw_chain::{RawChain, SourceFormat};
use super::report::LoadReport;
use crate::market::time::MS_PER_DAY;
use crate::market::{parse_instrument, positive, Instrument, PremiumCurrency, RawQuote};

/// Everything known about one symbol, gathered from its mark and ticker records.
struct Fields {
    record: u64,
    symbol: String,
    inst: Instrument,
    bid: Option<f64>,
    ask: Option<f64>,
    mark: Option<f64>,
    bid_iv: Option<f64>,
    ask_iv: Option<f64>,
    mark_iv: Option<f64>,
    delta: Option<f64>,
    rate: Option<f64>,
    index: Option<f64>,
    close_time: Option<i64>,
}

impl Fields {
    /// Reads the numbers of one record whose symbol parsed; `Err` names the record and field.
    fn read(r: &Record<'_>, symbol: &str, inst: Instrument) -> Result<Fields, InputError> {
        Ok(Fields {
            record: r.index as u64 + 1,
            symbol: symbol.to_owned(),
            inst,
            bid: positive(r.opt_f64("bidPrice")?),
            ask: positive(r.opt_f64("askPrice")?),
            mark: positive(r.opt_f64("markPrice")?),
            bid_iv: positive(r.opt_f64("bidIV")?),
            ask_iv: positive(r.opt_f64("askIV")?),
            mark_iv: positive(r.opt_f64("markIV")?),
            delta: r.opt_f64("delta")?,
            rate: r.opt_f64("riskFreeInterest")?.filter(|x| x.is_finite()),
            index: positive(r.opt_f64("exercisePrice")?),
            close_time: positive(r.opt_f64("closeTime")?).map(|t| t as i64),
        })
    }

    /// Fills what `self` lacks from another record of the same symbol.
    fn merge(&mut self, o: Fields) {
        self.bid = self.bid.or(o.bid);
        self.ask = self.ask.or(o.ask);
        self.mark = self.mark.or(o.mark);
        self.bid_iv = self.bid_iv.or(o.bid_iv);
        self.ask_iv = self.ask_iv.or(o.ask_iv);
        self.mark_iv = self.mark_iv.or(o.mark_iv);
        self.delta = self.delta.or(o.delta);
        self.rate = self.rate.or(o.rate);
        self.index = self.index.or(o.index);
        self.close_time = self.close_time.max(o.close_time);
    }
}

/// Which array a record came from.
#[derive(Clone, Copy, PartialEq)]
enum Source {
    /// A bare response array.
    Any,
    /// The `mark` array of a joined file.
    Mark,
    /// The `ticker` array of a joined file.
    Ticker,
}

impl Source {
    fn suffix(self) -> &'static str {
        match self {
            Source::Any => "",
            Source::Mark => " (mark)",
            Source::Ticker => " (ticker)",
        }
    }
}

/// Loads a Binance eapi mark and/or ticker response (see the module doc).
pub fn load<R: Read>(input: R) -> Result<RawChain, InputError> {
    let doc = json::parse(input)?;
    let mut chain = RawChain::new(SourceFormat::BinanceEapiJson);
    let mut joined: Vec<Fields> = Vec::new();
    let mut by_symbol: HashMap<String, usize> = HashMap::new();
    let (mut marks, mut tickers) = (0usize, 0usize);
    for (source, records) in arrays(&doc)? {
        for (i, value) in records.iter().enumerate() {
            chain.report.rows_read += 1;
            let Some(fields) = read_record(&Record::new(value, i), source, &mut chain.report) else { continue };
            let has = |keys: [&str; 2]| keys.iter().any(|k| value.get(k).is_some());
            marks += usize::from(source == Source::Mark || has(["markPrice", "markIV"]));
            tickers += usize::from(source == Source::Ticker || has(["bidPrice", "exercisePrice"]));
            match by_symbol.get(&fields.symbol) {
                Some(&at) => joined[at].merge(fields),
                None => {
                    by_symbol.insert(fields.symbol.clone(), joined.len());
                    joined.push(fields);
                }
            }
        }
    }
    chain.file_time_ms = snapshot_time(&doc, &joined, &mut chain.report)?;
    let time = chain.file_time_ms;
    for fields in &joined {
        chain.push(to_quote(fields, time));
    }
    add_notes(&mut chain, &joined, marks, tickers);
    Ok(chain)
}

/// The record arrays of the document, each with where it came from.
fn arrays(doc: &Value) -> Result<Vec<(Source, &Vec<Value>)>, InputError> {
    if doc.is_array() {
        return Ok(vec![(Source::Any, json::array_at(doc, &[])?)]);
    }
    if let Some(code) = doc.get("code").filter(|_| doc.get("msg").is_some()) {
        let msg = doc.get("msg").and_then(Value::as_str).unwrap_or("");
        return Err(InputError::at_line(0, format!("Binance error response, code {code}: {msg}")));
    }
    let mut out = Vec::new();
    for (key, source) in [("mark", Source::Mark), ("ticker", Source::Ticker)] {
        if doc.get(key).is_some() {
            out.push((source, json::array_at(doc, &[key])?));
        }
    }
    if out.is_empty() {
        return Err(InputError::at_line(
            0,
            "expected a Binance /eapi/v1/mark or /eapi/v1/ticker array, or {\"mark\": [...], \"ticker\": [...]}",
        ));
    }
    Ok(out)
}

/// Reads one record, or records why it is rejected.
fn read_record(r: &Record<'_>, source: Source, report: &mut LoadReport) -> Option<Fields> {
    let record = r.index as u64 + 1;
    let symbol = match r.req_text("symbol") {
        Ok(s) => s.trim(),
        Err(e) => {
            report.reject_record(&format!("unreadable field{}", source.suffix()), record, e);
            return None;
        }
    };
    let Some(inst) = parse_instrument(symbol) else {
        let e = r.error("symbol", format!("'{symbol}' is not a Binance option symbol (BTC-YYMMDD-STRIKE-C/P)"));
        report.reject_record(&format!("not an option{}", source.suffix()), record, e);
        return None;
    };
    match Fields::read(r, symbol, inst) {
        Ok(f) => Some(f),
        Err(e) => {
            report.reject_record(&format!("unreadable field{}", source.suffix()), record, e);
            None
        }
    }
}

/// `serverTime` (or `time`) of a joined file, else the latest ticker `closeTime`, else none (with a note).
fn snapshot_time(doc: &Value, joined: &[Fields], report: &mut LoadReport) -> Result<Option<i64>, InputError> {
    for key in ["serverTime", "time"] {
        if let Some(v) = doc.get(key) {
            let t = v.as_f64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
            return match t.filter(|t| *t > 0.0) {
                Some(t) => Ok(Some(t as i64)),
                None => Err(InputError::at_line(0, format!("field \"{key}\": {v} is not a time in ms"))),
            };
        }
    }
    let latest = joined.iter().filter_map(|f| f.close_time).max();
    if latest.is_some() {
        report.note(
            "snapshot time = the latest ticker closeTime (the chain's last trade, a lower bound of the fetch time); \
             add \"serverTime\" (GET /eapi/v1/time) to the file for the exact time",
        );
    } else if !joined.is_empty() {
        report.note(
            "no snapshot time: /eapi/v1/mark carries none; save it as {\"mark\": [...], \"serverTime\": ms} (or join \
             /eapi/v1/ticker, whose closeTime is used)",
        );
    }
    Ok(latest)
}

/// One joined symbol as a quote (forward S·e^(rT) when the index, r and the time are known).
fn to_quote(f: &Fields, time_ms: Option<i64>) -> RawQuote {
    let i = &f.inst;
    let mut q = RawQuote::new(
        f.record,
        i.underlying.as_str(),
        f.symbol.as_str(),
        i.expiry_ms,
        i.strike,
        i.kind,
        PremiumCurrency::Quote,
    );
    q.bid = f.bid;
    q.ask = f.ask;
    q.mark = f.mark;
    q.exchange_iv.bid = f.bid_iv;
    q.exchange_iv.ask = f.ask_iv;
    q.exchange_iv.mark = f.mark_iv;
    q.exchange_delta = f.delta;
    q.index_price = f.index;
    if let (Some(s), Some(r), Some(t)) = (f.index, f.rate, time_ms) {
        let t_years = ((i.expiry_ms - t) as f64 / (MS_PER_DAY as f64 * 365.0)).max(0.0);
        q.forward = positive(Some(s * (r * t_years).exp()));
        q.forward_name = Some(format!("{}USDT index·e^(rT), r = {r}", i.underlying).into());
    }
    q
}

/// Says what the file could not provide.
fn add_notes(chain: &mut RawChain, joined: &[Fields], marks: usize, tickers: usize) {
    if tickers == 0 {
        chain.report.note("Binance mark only: no bid/ask prices (sides from bidIV/askIV) and no index");
    }
    if marks == 0 {
        chain
            .report
            .note("Binance ticker only: no exchange IVs and no rate: forwards from put-call parity, else the index");
    }
    let no_forward = joined.iter().filter(|f| f.index.is_none() || f.rate.is_none()).count();
    if marks > 0 && tickers > 0 && no_forward > 0 {
        chain
            .report
            .note(format!("{no_forward} symbols lack exercisePrice or riskFreeInterest: no exchange forward for them"));
    }
}
