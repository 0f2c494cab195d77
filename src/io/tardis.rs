//! Tardis `options_chain` CSV (plain or gzip), **streamed**: a day file is gigabytes, one row per quote update.
//!
//! Columns (located by header name): `exchange,symbol,timestamp,local_timestamp,type,strike_price,expiration,
//! open_interest,last_price,bid_price,bid_amount,bid_iv,ask_price,ask_amount,ask_iv,mark_price,mark_iv,
//! underlying_index,underlying_price,delta,gamma,vega,theta,rho`. Times are microseconds since the epoch; IVs are
//! in percent (0 or empty = none); Deribit and OKX premiums are in coin, Bybit and Binance ones in the quote
//! currency (USDT/USDC), as are Deribit's linear `*_USDC` options.
//!
//! [`load`] keeps, while reading, only the latest row per symbol at or before the requested time, so memory is
//! O(symbols) rather than O(rows). Rows after that time are skipped after reading their timestamp field only.
//! [`list_times`] reads only the timestamps, for a time picker.
//!
//! The reader splits lines itself (no per-row allocation; a `String` is allocated only the first time a symbol is
//! seen). Quoted fields are understood (RFC 4180, without line breaks inside quotes) but Tardis never writes them.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::io::Read;

use super::csv_input::{ColumnMap, InputError};
use super::lines::{is_blank, Fields, LineReader, Row};
use super::raw_chain::{RawChain, SourceFormat};
use crate::market::time::format_utc;
use crate::market::{parse_instrument, positive, PremiumCurrency, RawQuote, RowTimes};
use crate::pricing::OptionKind;

/// How many located problems [`list_times`] keeps.
const MAX_TIME_PROBLEMS: usize = 20;
/// `underlying_index` value meaning the forward is the index itself (nearest expiries on Deribit).
const INDEX_NAME: &[u8] = b"index_price";

// ---------------------------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------------------------

/// Loads the snapshot at `at_ms` (UTC ms) from a Tardis `options_chain` CSV: the latest row per symbol at or
/// before it (`None`: the latest row of every symbol in the file).
///
/// Every row is counted in `report.rows_read`; one quote per symbol is kept (`rows_loaded`), each with its own
/// `time_ms`. The chain's `file_time_ms` is `at_ms`, or the last timestamp when `at_ms` is `None`. Rows after
/// `at_ms` are counted in a note. Malformed rows (wrong field count, a field that is not a number, an unknown
/// option type) are rejected with their line and column; only an unreadable stream or header is an error.
/// A row is parsed in full only when it is its symbol's latest so far: in an unsorted file, an update older than
/// one already kept is counted as superseded without its numbers being checked. Gzip input is decompressed.
pub fn load<R: Read>(input: R, at_ms: Option<i64>) -> Result<RawChain, InputError> {
    let mut lines = LineReader::new(super::gz::gunzip_if_needed(input).map_err(|e| io_error(0, &e))?);
    let columns = Columns::read_header(&mut lines)?;
    let mut loader = Loader::new(columns, at_ms);
    while let Some(line) = lines.next_line().map_err(|e| io_error(lines.line + 1, &e))? {
        loader.row(lines.bytes(&line), line.number, line.terminated);
    }
    Ok(loader.finish())
}

/// The times a Tardis file covers, for a time picker: read by [`list_times`] without keeping any row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TardisTimes {
    /// Earliest row timestamp, UTC ms (`None` when no row could be read).
    pub first_ms: Option<i64>,
    /// Latest row timestamp, UTC ms.
    pub last_ms: Option<i64>,
    /// Data rows read (blank lines excepted), including unreadable ones.
    pub rows: u64,
    /// Rows whose timestamp could not be read (see `problems`).
    pub unreadable_rows: u64,
    /// Distinct minutes with at least one row, ascending: (minute start UTC ms, rows in that minute).
    pub minutes: Vec<(i64, u64)>,
    /// Whether the timestamps never decrease from one row to the next (Tardis files are sorted).
    pub sorted: bool,
    /// The first located problems (at most 20).
    pub problems: Vec<InputError>,
}

impl TardisTimes {
    /// Rows per UTC hour, ascending: (hour start UTC ms, rows in that hour).
    pub fn hours(&self) -> Vec<(i64, u64)> {
        let mut hours: Vec<(i64, u64)> = Vec::new();
        for &(minute, n) in &self.minutes {
            let hour = minute - minute.rem_euclid(3_600_000);
            match hours.last_mut() {
                Some((h, count)) if *h == hour => *count += n,
                _ => hours.push((hour, n)),
            }
        }
        hours
    }
}

/// Reads only the `timestamp` column of a Tardis `options_chain` CSV (plain or gzip): first and last time,
/// row count and the distinct minutes covered (with their row counts; [`TardisTimes::hours`] aggregates them).
/// A snapshot can be taken at any instant; the minutes tell a picker where the data is.
pub fn list_times<R: Read>(input: R) -> Result<TardisTimes, InputError> {
    let mut lines = LineReader::new(super::gz::gunzip_if_needed(input).map_err(|e| io_error(0, &e))?);
    let columns = Columns::read_header(&mut lines)?;
    let mut times = TimesBuilder::default();
    let mut fields = Fields::default();
    while let Some(line) = lines.next_line().map_err(|e| io_error(lines.line + 1, &e))? {
        let bytes = lines.bytes(&line);
        if is_blank(bytes) {
            continue;
        }
        match fields.split(bytes, columns.timestamp + 1).and_then(|_| fields.of(bytes).micros(columns.timestamp)) {
            Ok(us) => times.add(us.div_euclid(1000)),
            Err(message) => times.unreadable(columns.locate(line.number, columns.timestamp, message)),
        }
    }
    Ok(times.finish())
}

/// The times offered for a Tardis file, ascending: the start of every UTC hour that has rows and begins after
/// the first row (a snapshot at an earlier instant would be empty or nearly), then the last row's time (the
/// snapshot loaded by default). Empty when no timestamp could be read.
pub fn tardis_snapshot_times(times: &TardisTimes) -> Vec<i64> {
    let (Some(first_ms), Some(last_ms)) = (times.first_ms, times.last_ms) else {
        return Vec::new();
    };
    let mut out: Vec<i64> =
        times.hours().into_iter().map(|(hour_ms, _)| hour_ms).filter(|&h| h > first_ms && h < last_ms).collect();
    out.push(last_ms);
    out
}

fn io_error(line: u64, e: &std::io::Error) -> InputError {
    InputError::at_line(line, format!("read error: {e}"))
}

// ---------------------------------------------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------------------------------------------

/// Column positions (the header is the first non-blank line).
struct Columns {
    map: ColumnMap,
    count: usize,
    exchange: usize,
    symbol: usize,
    timestamp: usize,
    kind: usize,
    strike: usize,
    expiration: usize,
    open_interest: Option<usize>,
    bid: Option<usize>,
    bid_amount: Option<usize>,
    bid_iv: Option<usize>,
    ask: Option<usize>,
    ask_amount: Option<usize>,
    ask_iv: Option<usize>,
    mark: Option<usize>,
    mark_iv: Option<usize>,
    underlying_index: Option<usize>,
    underlying_price: Option<usize>,
    delta: Option<usize>,
}

impl Columns {
    /// Reads the header line and locates the columns.
    fn read_header<R: Read>(lines: &mut LineReader<R>) -> Result<Self, InputError> {
        loop {
            let line = lines.next_line().map_err(|e| io_error(lines.line + 1, &e))?;
            let Some(line) = line else {
                return Err(InputError::at_line(1, "the file is empty: expected a header line"));
            };
            let bytes = lines.bytes(&line);
            if is_blank(bytes) {
                continue;
            }
            let text = String::from_utf8_lossy(bytes);
            let names = text.trim_start_matches('\u{feff}').split(',').map(|h| h.trim().trim_matches('"'));
            let map = ColumnMap::new(csv::StringRecord::from(names.collect::<Vec<_>>()));
            map.check_delimiter()?;
            return Self::locate_all(map).map_err(|mut e| {
                e.line = line.number;
                e
            });
        }
    }

    fn locate_all(map: ColumnMap) -> Result<Self, InputError> {
        let req = |name: &str| map.require(name, &[name]);
        let opt = |name: &str| map.find(&[name]);
        Ok(Columns {
            count: map.headers().len(),
            exchange: req("exchange")?,
            symbol: req("symbol")?,
            timestamp: req("timestamp")?,
            kind: req("type")?,
            strike: req("strike_price")?,
            expiration: req("expiration")?,
            open_interest: opt("open_interest"),
            bid: opt("bid_price"),
            bid_amount: opt("bid_amount"),
            bid_iv: opt("bid_iv"),
            ask: opt("ask_price"),
            ask_amount: opt("ask_amount"),
            ask_iv: opt("ask_iv"),
            mark: opt("mark_price"),
            mark_iv: opt("mark_iv"),
            underlying_index: opt("underlying_index"),
            underlying_price: opt("underlying_price"),
            delta: opt("delta"),
            map,
        })
    }

    /// A located error about column `col` (0-based) of a line.
    fn locate(&self, line: u64, col: usize, message: String) -> InputError {
        InputError { line, column: Some(col + 1), column_name: self.map.headers().get(col).map(str::to_owned), message }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------------------------

/// The numbers of one row, parsed before anything is stored (a bad row leaves the kept one untouched).
struct Parsed {
    kind: OptionKind,
    strike: f64,
    expiry_ms: i64,
    open_interest: Option<f64>,
    bid: Option<f64>,
    bid_size: Option<f64>,
    bid_iv: Option<f64>,
    ask: Option<f64>,
    ask_size: Option<f64>,
    ask_iv: Option<f64>,
    mark: Option<f64>,
    mark_iv: Option<f64>,
    forward: Option<f64>,
    delta: Option<f64>,
}

impl Parsed {
    /// Parses the fields of a full row; the error names the 0-based column.
    fn read(f: Row<'_>, c: &Columns) -> Result<Self, (usize, String)> {
        let at = |col: usize| move |m: String| (col, m);
        let opt = |col: Option<usize>| col.map_or(Ok(None), |i| f.opt_f64(i).map_err(at(i)));
        let kind_text = f.text(c.kind).map_err(at(c.kind))?;
        let kind = OptionKind::parse(kind_text)
            .ok_or_else(|| (c.kind, format!("'{}' is not call/put", kind_text.escape_debug())))?;
        let strike = f.opt_f64(c.strike).map_err(at(c.strike))?.filter(|s| s.is_finite() && *s > 0.0);
        let strike = strike.ok_or_else(|| (c.strike, "a positive strike is required".to_owned()))?;
        let expiry_ms = f.micros(c.expiration).map_err(at(c.expiration))?.div_euclid(1000);
        let percent = |x: Option<f64>| positive(x.map(|v| v / 100.0));
        Ok(Parsed {
            kind,
            strike,
            expiry_ms,
            open_interest: opt(c.open_interest)?,
            bid: positive(opt(c.bid)?),
            bid_size: positive(opt(c.bid_amount)?),
            bid_iv: percent(opt(c.bid_iv)?),
            ask: positive(opt(c.ask)?),
            ask_size: positive(opt(c.ask_amount)?),
            ask_iv: percent(opt(c.ask_iv)?),
            mark: positive(opt(c.mark)?),
            mark_iv: percent(opt(c.mark_iv)?),
            forward: positive(opt(c.underlying_price)?),
            delta: opt(c.delta)?.filter(|d| d.is_finite()),
        })
    }

    /// Stores the row into the kept quote of its symbol.
    fn store(self, q: &mut RawQuote, line: u64, time_ms: i64, index_name: &[u8]) {
        q.line = line;
        q.time_ms = Some(time_ms);
        q.expiry_ms = self.expiry_ms;
        q.strike = self.strike;
        q.kind = self.kind;
        q.bid = self.bid;
        q.ask = self.ask;
        q.mark = self.mark;
        q.bid_size = self.bid_size;
        q.ask_size = self.ask_size;
        q.open_interest = self.open_interest;
        q.exchange_iv.bid = self.bid_iv;
        q.exchange_iv.ask = self.ask_iv;
        q.exchange_iv.mark = self.mark_iv;
        q.exchange_delta = self.delta;
        q.forward = self.forward;
        set_name(&mut q.forward_name, index_name);
        // Deribit's nearest expiries have no future: `underlying_index` = `index_price`, the forward is the index.
        q.index_price = if index_name == INDEX_NAME { self.forward } else { None };
    }
}

/// Replaces an optional name only when it changed (no allocation for the usual unchanged name).
fn set_name(name: &mut Option<std::sync::Arc<str>>, bytes: &[u8]) {
    if name.as_deref().map(str::as_bytes) == Some(bytes) || (name.is_none() && bytes.is_empty()) {
        return;
    }
    *name = if bytes.is_empty() { None } else { Some(String::from_utf8_lossy(bytes).as_ref().into()) };
}

/// Currency of the premiums of an exchange (Tardis exchange ids); `None` for an exchange not known here.
fn premium_currency(exchange: &[u8], underlying: &str) -> Option<PremiumCurrency> {
    let starts = |p: &[u8]| exchange.len() >= p.len() && exchange[..p.len()].eq_ignore_ascii_case(p);
    if starts(b"bybit") || starts(b"binance") || underlying.contains("_USD") {
        Some(PremiumCurrency::Quote)
    } else if starts(b"deribit") || starts(b"okex") || starts(b"okx") || starts(b"huobi") {
        Some(PremiumCurrency::Coin)
    } else {
        None
    }
}

/// Underlying from a symbol: the instrument parser's, else the text before the first `-`.
fn underlying_of(symbol: &str) -> String {
    parse_instrument(symbol)
        .map(|i| i.underlying)
        .unwrap_or_else(|| symbol.split('-').next().unwrap_or(symbol).to_owned())
}

/// The latest kept row of one symbol.
struct Slot {
    time_us: i64,
    quote: RawQuote,
}

/// FxHash-style hasher for symbol names: a few ns per key (SipHash's flooding resistance buys nothing for a
/// local file, and the number of symbols is small).
#[derive(Default, Clone, Copy)]
struct SymbolHasher(u64);

impl SymbolHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for SymbolHasher {
    fn write(&mut self, bytes: &[u8]) {
        let chunks = bytes.chunks_exact(8);
        let tail = chunks.remainder();
        for chunk in chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let mut word = [0u8; 8];
        word[..tail.len()].copy_from_slice(tail);
        self.add(u64::from_le_bytes(word));
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The kept rows, one per symbol, and the exchanges seen.
#[derive(Default)]
struct Symbols {
    index: HashMap<Box<[u8]>, usize, BuildHasherDefault<SymbolHasher>>,
    slots: Vec<Slot>,
    exchanges: Vec<String>,
    unknown_exchanges: Vec<String>,
}

impl Symbols {
    /// First row of a symbol: an empty slot with its names (the only allocations per symbol).
    fn add(&mut self, row: Row<'_>, c: &Columns, number: u64) -> Result<usize, (usize, String)> {
        let symbol = row.text(c.symbol).map_err(|m| (c.symbol, m))?;
        if symbol.is_empty() {
            return Err((c.symbol, "empty symbol".to_owned()));
        }
        let exchange = row.text(c.exchange).map_err(|m| (c.exchange, m))?;
        let underlying = underlying_of(symbol);
        let currency = premium_currency(exchange.as_bytes(), &underlying);
        note_exchange(&mut self.exchanges, exchange);
        if currency.is_none() {
            note_exchange(&mut self.unknown_exchanges, exchange);
        }
        let currency = currency.unwrap_or(PremiumCurrency::Coin);
        let quote = RawQuote::new(number, underlying.as_str(), symbol, 0, f64::NAN, OptionKind::Call, currency);
        self.index.insert(symbol.as_bytes().into(), self.slots.len());
        self.slots.push(Slot { time_us: i64::MIN, quote });
        Ok(self.slots.len() - 1)
    }
}

/// Streaming state of [`load`].
struct Loader {
    columns: Columns,
    at_ms: Option<i64>,
    fields: Fields,
    symbols: Symbols,
    chain: RawChain,
    after: u64,
    superseded: u64,
    last_ms: Option<i64>,
    /// Every readable row's time (the time picker's list comes from the same pass).
    times: TimesBuilder,
}

impl Loader {
    fn new(columns: Columns, at_ms: Option<i64>) -> Self {
        Loader {
            columns,
            at_ms,
            fields: Fields::default(),
            symbols: Symbols::default(),
            chain: RawChain::new(SourceFormat::TardisCsv),
            after: 0,
            superseded: 0,
            last_ms: None,
            times: TimesBuilder::default(),
        }
    }

    /// Handles one line: time filter first, then the full row only when it is the symbol's latest.
    fn row(&mut self, line: &[u8], number: u64, terminated: bool) {
        if is_blank(line) {
            return;
        }
        self.chain.report.rows_read += 1;
        let ts = self.columns.timestamp;
        let time_us = match self.fields.split(line, ts + 1).and_then(|_| self.fields.of(line).micros(ts)) {
            Ok(t) => t,
            Err(message) => return self.reject("unreadable timestamp", ts, number, message),
        };
        let time_ms = time_us.div_euclid(1000);
        self.times.add(time_ms);
        if self.at_ms.is_some_and(|at| time_ms > at) {
            self.after += 1;
            return;
        }
        if let Err(message) = self.fields.split_more(line, usize::MAX) {
            return self.reject("malformed row", 0, number, message);
        }
        if self.fields.len() != self.columns.count {
            return self.reject_field_count(number, terminated);
        }
        self.last_ms = Some(self.last_ms.map_or(time_ms, |t| t.max(time_ms)));
        if let Err((col, message)) = self.keep(line, number, time_us) {
            self.reject("unreadable field", col, number, message);
        }
    }

    /// Stores the row when it is the latest of its symbol so far (ties: the later line wins).
    fn keep(&mut self, line: &[u8], number: u64, time_us: i64) -> Result<(), (usize, String)> {
        let row = self.fields.of(line);
        let c = &self.columns;
        let slot = self.symbols.index.get(row.get(c.symbol)).copied();
        if slot.is_some_and(|s| self.symbols.slots[s].time_us > time_us) {
            self.superseded += 1;
            return Ok(());
        }
        let parsed = Parsed::read(row, c)?;
        let index_name = c.underlying_index.map_or(&[][..], |i| row.get(i));
        let slot = match slot {
            Some(s) => s,
            None => self.symbols.add(row, c, number)?,
        };
        let kept = &mut self.symbols.slots[slot];
        self.superseded += u64::from(kept.quote.time_ms.is_some());
        kept.time_us = time_us;
        parsed.store(&mut kept.quote, number, time_us.div_euclid(1000), index_name);
        Ok(())
    }

    fn reject(&mut self, reason: &str, col: usize, line: u64, message: String) {
        let problem = self.columns.locate(line, col, message);
        self.chain.report.reject_with(reason, problem);
    }

    fn reject_field_count(&mut self, line: u64, terminated: bool) {
        let (found, expected) = (self.fields.len(), self.columns.count);
        let end = if terminated { "" } else { "; the file ends inside this row" };
        let message =
            format!("found {found} fields but the header has {expected} (truncated row or stray delimiter){end}");
        self.reject("malformed row", found.min(expected), line, message);
    }

    /// The kept quotes in file order, the snapshot time and the notes.
    fn finish(mut self) -> RawChain {
        let mut slots: Vec<Slot> = std::mem::take(&mut self.symbols.slots);
        slots.sort_by_key(|s| s.quote.line);
        self.chain.file_time_ms = self.at_ms.or(self.last_ms);
        self.chain.row_times = RowTimes::Updates;
        self.chain.listed_times = tardis_snapshot_times(&std::mem::take(&mut self.times).finish());
        self.write_notes(slots.len());
        for slot in slots {
            self.chain.push(slot.quote);
        }
        self.chain
    }

    fn write_notes(&mut self, kept: usize) {
        let report = &mut self.chain.report;
        if let Some(at) = self.at_ms {
            report.note(format!("{} rows after {} skipped (snapshot time)", self.after, format_utc(at)));
        }
        report.note(format!(
            "latest row per symbol kept: {kept} symbols; {} earlier updates superseded",
            self.superseded
        ));
        if self.symbols.exchanges.len() > 1 {
            report.note(format!(
                "the file mixes exchanges ({}): rows are keyed by symbol",
                self.symbols.exchanges.join(", ")
            ));
        }
        for unknown in &self.symbols.unknown_exchanges {
            report.note(format!("exchange '{unknown}' is not one Volscope knows: premiums assumed in coin"));
        }
    }
}

fn note_exchange(list: &mut Vec<String>, exchange: &str) {
    if !list.iter().any(|e| e == exchange) {
        list.push(exchange.to_owned());
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Listing times
// ---------------------------------------------------------------------------------------------------------------

/// Accumulates [`TardisTimes`]; the current minute is counted without touching the map.
#[derive(Default)]
struct TimesBuilder {
    times: TardisTimes,
    minutes: BTreeMap<i64, u64>,
    current: Option<(i64, u64)>,
    previous_ms: Option<i64>,
    unsorted: bool,
}

impl TimesBuilder {
    fn add(&mut self, ms: i64) {
        self.times.rows += 1;
        self.times.first_ms = Some(self.times.first_ms.map_or(ms, |t| t.min(ms)));
        self.times.last_ms = Some(self.times.last_ms.map_or(ms, |t| t.max(ms)));
        self.unsorted |= self.previous_ms.is_some_and(|p| ms < p);
        self.previous_ms = Some(ms);
        let minute = ms - ms.rem_euclid(60_000);
        match &mut self.current {
            Some((m, n)) if *m == minute => *n += 1,
            current => {
                if let Some((m, n)) = current.take() {
                    *self.minutes.entry(m).or_default() += n;
                }
                *current = Some((minute, 1));
            }
        }
    }

    fn unreadable(&mut self, problem: InputError) {
        self.times.rows += 1;
        self.times.unreadable_rows += 1;
        if self.times.problems.len() < MAX_TIME_PROBLEMS {
            self.times.problems.push(problem);
        }
    }

    fn finish(mut self) -> TardisTimes {
        if let Some((m, n)) = self.current.take() {
            *self.minutes.entry(m).or_default() += n;
        }
        self.times.minutes = self.minutes.into_iter().collect();
        self.times.sorted = !self.unsorted;
        self.times
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "exchange,symbol,timestamp,local_timestamp,type,strike_price,expiration,open_interest,\
last_price,bid_price,bid_amount,bid_iv,ask_price,ask_amount,ask_iv,mark_price,mark_iv,underlying_index,\
underlying_price,delta,gamma,vega,theta,rho";

    #[test]
    fn keeps_latest_per_symbol_and_tolerates_crlf() {
        // Times in ms after an hour-aligned base in 2020 (times before 1990 are rejected as impossible).
        const BASE_MS: i64 = 1_600_000_000_000 - 1_600_000_000_000 % 3_600_000;
        let row = |sym: &str, ms: i64, bid: &str| {
            let ts = (BASE_MS + ms) * 1000;
            format!("deribit,{sym},{ts},{ts},call,100,1900000000000000,,,{bid},1,50,,,,,,index_price,90,,,,,\r\n")
        };
        let text = format!(
            "{HEADER}\r\n{}{}{}{}",
            row("BTC-1JAN30-100-C", 1_000, "0.1"),
            row("BTC-1JAN30-100-C", 2_000, "0.2"),
            row("BTC-1JAN30-200-C", 2_500, "0.3"),
            row("BTC-1JAN30-100-C", 3_000, "0.4"),
        );
        let chain = load(text.as_bytes(), Some(BASE_MS + 2_000)).unwrap();
        assert_eq!(chain.rows.len(), 1);
        assert_eq!(
            (chain.rows[0].bid, chain.rows[0].time_ms, chain.rows[0].line),
            (Some(0.2), Some(BASE_MS + 2_000), 3)
        );
        assert_eq!(chain.rows[0].index_price, Some(90.0));
        assert_eq!(chain.rows[0].exchange_iv.bid, Some(0.5));
        assert_eq!((chain.report.rows_read, chain.report.rows_loaded), (4, 1));
        let all = load(text.as_bytes(), None).unwrap();
        assert_eq!(all.rows.iter().map(|r| r.bid).collect::<Vec<_>>(), vec![Some(0.3), Some(0.4)]);
        assert_eq!(all.file_time_ms, Some(BASE_MS + 3_000));
        let times = list_times(text.as_bytes()).unwrap();
        assert_eq!(
            (times.first_ms, times.last_ms, times.rows, times.sorted),
            (Some(BASE_MS + 1_000), Some(BASE_MS + 3_000), 4, true)
        );
        assert_eq!(times.minutes, vec![(BASE_MS, 4)]);
    }

    #[test]
    fn rejects_bad_header() {
        let e = load(&b"exchange,symbol\nderibit,x\n"[..], None).unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains("missing column timestamp"), "{e}");
        assert!(load(&b""[..], None).is_err());
    }
}
