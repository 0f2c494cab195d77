//! OKX options: `GET /api/v5/public/opt-summary` and/or `GET /api/v5/market/tickers?instType=OPTION`.
//!
//! Accepted documents:
//! - one response `{"code":"0","msg":"","data":[...]}` of either endpoint (or its bare `data` array);
//! - Volscope's join of both: `{"summary": <opt-summary response>, "tickers": <tickers response>}` (either key
//!   may be missing; each value may also be a bare array). Records are joined on `instId`.
//!
//! Fields used (OKX's documented names, numbers sent as strings):
//! - opt-summary: `instType` (must be `OPTION`), `instId` (`BTC-USD-241227-100000-C`: expiry 08:00 UTC),
//!   `markVol`, `bidVol`, `askVol` (decimals; `"0"` or `""` = no quote), `fwdPx` (the expiry's forward),
//!   `deltaBS` (Black-Scholes delta; `delta` is OKX's price-adjusted coin delta and is not used), `ts` (ms);
//! - tickers: `instId`, `bidPx`, `askPx` (premiums; `""` or `"0"` = no quote), `bidSz`, `askSz` (contracts),
//!   `ts` (ms). A `markPx` field (from `public/mark-price`) is read when present.
//!
//! `BTC-USD`/`ETH-USD` options are coin-margined: premiums in coin (0.01 BTC / 0.1 ETH per contract, sizes are in
//! contracts); an `instId` quoted in USDT/USDC would be linear. The snapshot time is the latest `ts`.
//! JSON has no useful line numbers: a quote's `line` and the rejected-row numbers are the 1-based position of
//! the record in its array (for a joined file, the array is named in the rejection reason).

use std::collections::HashMap;
use std::io::Read;

use serde_json::Value;

use super::csv_input::InputError;
use super::json::{self, Record};
use super::raw_chain::{RawChain, SourceFormat};
use super::report::LoadReport;
use crate::market::{parse_instrument, positive, Instrument, PremiumCurrency, RawQuote};

/// Which endpoint an array of records came from (as far as the file says).
#[derive(Clone, Copy, PartialEq)]
enum Source {
    /// A single response or bare array: each record says what it is by its fields.
    Any,
    /// The `summary` array of a joined file.
    Summary,
    /// The `tickers` array of a joined file.
    Tickers,
}

impl Source {
    fn suffix(self) -> &'static str {
        match self {
            Source::Any => "",
            Source::Summary => " (summary)",
            Source::Tickers => " (tickers)",
        }
    }
}

/// Everything known about one instrument, gathered from its summary and ticker records.
struct Fields {
    record: u64,
    inst_id: String,
    inst: Instrument,
    bid: Option<f64>,
    ask: Option<f64>,
    mark: Option<f64>,
    bid_size: Option<f64>,
    ask_size: Option<f64>,
    bid_vol: Option<f64>,
    ask_vol: Option<f64>,
    mark_vol: Option<f64>,
    forward: Option<f64>,
    delta: Option<f64>,
    ts: Option<i64>,
}

impl Fields {
    /// Reads the numbers of one record whose name parsed; `Err` names the record and field.
    fn read(r: &Record<'_>, inst_id: &str, inst: Instrument) -> Result<Fields, InputError> {
        Ok(Fields {
            record: r.index as u64 + 1,
            inst_id: inst_id.to_owned(),
            inst,
            bid: positive(r.opt_f64("bidPx")?),
            ask: positive(r.opt_f64("askPx")?),
            mark: positive(r.opt_f64("markPx")?),
            bid_size: r.opt_f64("bidSz")?,
            ask_size: r.opt_f64("askSz")?,
            bid_vol: positive(r.opt_f64("bidVol")?),
            ask_vol: positive(r.opt_f64("askVol")?),
            mark_vol: positive(r.opt_f64("markVol")?),
            forward: positive(r.opt_f64("fwdPx")?),
            delta: r.opt_f64("deltaBS")?,
            ts: r.opt_f64("ts")?.map(|t| t as i64),
        })
    }

    /// Fills what `self` lacks from another record of the same instrument.
    fn merge(&mut self, o: Fields) {
        self.bid = self.bid.or(o.bid);
        self.ask = self.ask.or(o.ask);
        self.mark = self.mark.or(o.mark);
        self.bid_size = self.bid_size.or(o.bid_size);
        self.ask_size = self.ask_size.or(o.ask_size);
        self.bid_vol = self.bid_vol.or(o.bid_vol);
        self.ask_vol = self.ask_vol.or(o.ask_vol);
        self.mark_vol = self.mark_vol.or(o.mark_vol);
        self.forward = self.forward.or(o.forward);
        self.delta = self.delta.or(o.delta);
        self.ts = self.ts.max(o.ts);
    }
}

/// Loads an OKX opt-summary and/or tickers response (see the module doc).
pub fn load<R: Read>(input: R) -> Result<RawChain, InputError> {
    let doc = json::parse(input)?;
    let mut chain = RawChain::new(SourceFormat::OkxJson);
    let mut joined: Vec<Fields> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let (mut from_summary, mut from_tickers) = (0usize, 0usize);
    for (source, records) in arrays(&doc)? {
        for (i, value) in records.iter().enumerate() {
            chain.report.rows_read += 1;
            let Some(fields) = read_record(&Record::new(value, i), source, &mut chain.report) else { continue };
            let has = |keys: [&str; 2]| keys.iter().any(|k| value.get(k).is_some());
            from_summary += usize::from(source == Source::Summary || has(["fwdPx", "markVol"]));
            from_tickers += usize::from(source == Source::Tickers || has(["bidPx", "askPx"]));
            match by_id.get(&fields.inst_id) {
                Some(&at) => joined[at].merge(fields),
                None => {
                    by_id.insert(fields.inst_id.clone(), joined.len());
                    joined.push(fields);
                }
            }
        }
    }
    for fields in joined {
        chain.file_time_ms = chain.file_time_ms.max(fields.ts);
        chain.push(to_quote(&fields));
    }
    add_notes(&mut chain, from_summary, from_tickers);
    Ok(chain)
}

/// The record arrays of the document, each with where it came from.
fn arrays(doc: &Value) -> Result<Vec<(Source, &Vec<Value>)>, InputError> {
    if doc.get("summary").is_some() || doc.get("tickers").is_some() {
        let mut out = Vec::new();
        for (key, source) in [("summary", Source::Summary), ("tickers", Source::Tickers)] {
            if let Some(part) = doc.get(key) {
                out.push((source, response_data(part, key)?));
            }
        }
        return Ok(out);
    }
    Ok(vec![(Source::Any, response_data(doc, "document")?)])
}

/// The `data` array of one response (checking OKX's error code), or a bare array.
fn response_data<'a>(response: &'a Value, what: &str) -> Result<&'a Vec<Value>, InputError> {
    if response.is_array() {
        return json::array_at(response, &[]);
    }
    let code = match response.get("code") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "0".to_owned(),
    };
    if code != "0" {
        let msg = response.get("msg").and_then(Value::as_str).unwrap_or("");
        return Err(InputError::at_line(0, format!("{what}: OKX error response, code {code}: {msg}")));
    }
    json::array_at(response, &["data"])
}

/// Reads one record, or records why it is rejected.
fn read_record(r: &Record<'_>, source: Source, report: &mut LoadReport) -> Option<Fields> {
    let record = r.index as u64 + 1;
    if let Some(kind) = r.text("instType").filter(|k| !k.eq_ignore_ascii_case("OPTION")) {
        let e = r.error("instType", format!("'{kind}' is not OPTION"));
        report.reject_record(&format!("not an option{}", source.suffix()), record, e);
        return None;
    }
    let inst_id = match r.req_text("instId") {
        Ok(id) => id.trim(),
        Err(e) => {
            report.reject_record(&format!("unreadable field{}", source.suffix()), record, e);
            return None;
        }
    };
    let Some(inst) = parse_instrument(inst_id) else {
        let e = r.error("instId", format!("'{inst_id}' is not an OKX option name (BTC-USD-YYMMDD-STRIKE-C/P)"));
        report.reject_record(&format!("not an option{}", source.suffix()), record, e);
        return None;
    };
    match Fields::read(r, inst_id, inst) {
        Ok(f) => Some(f),
        Err(e) => {
            report.reject_record(&format!("unreadable field{}", source.suffix()), record, e);
            None
        }
    }
}

/// Coin-margined unless the instId's second part names a stablecoin (`BTC-USDT-…`, `BTC-USDC-…`).
fn premium_currency(inst_id: &str) -> PremiumCurrency {
    match inst_id.split('-').nth(1) {
        Some(q) if q.eq_ignore_ascii_case("USDT") || q.eq_ignore_ascii_case("USDC") => PremiumCurrency::Quote,
        _ => PremiumCurrency::Coin,
    }
}

/// The quote of one joined instrument.
fn to_quote(f: &Fields) -> RawQuote {
    let i = &f.inst;
    let currency = premium_currency(&f.inst_id);
    let mut q =
        RawQuote::new(f.record, i.underlying.as_str(), f.inst_id.as_str(), i.expiry_ms, i.strike, i.kind, currency);
    q.bid = f.bid;
    q.ask = f.ask;
    q.mark = f.mark;
    q.bid_size = f.bid_size;
    q.ask_size = f.ask_size;
    q.exchange_iv.bid = f.bid_vol;
    q.exchange_iv.ask = f.ask_vol;
    q.exchange_iv.mark = f.mark_vol;
    q.exchange_delta = f.delta;
    q.forward = f.forward;
    q
}

/// Says what the file could not provide.
fn add_notes(chain: &mut RawChain, from_summary: usize, from_tickers: usize) {
    if from_summary == 0 {
        chain.report.note("OKX tickers only: no forward (fwdPx) and no exchange vols: forwards from put-call parity");
    }
    if from_tickers == 0 {
        chain.report.note(
            "OKX opt-summary only: no bid/ask prices: sides are Black-76 prices at OKX's bidVol/askVol/markVol on fwdPx",
        );
    }
    if chain.file_time_ms.is_none() && chain.report.rows_loaded > 0 {
        chain.report.note("no ts field: the file gives no snapshot time");
    }
}
