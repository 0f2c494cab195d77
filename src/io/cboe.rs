//! CBOE delayed-quotes export (`cboe_spx_quotedata_*.csv`).
//!
//! Layout: a blank line 1; line 2 `Standard & Poors 500 Index,Last: 4369.71,Change: -0.65`; line 3
//! `"Date: August 20, 2023 at 10:42 PM EDT",Bid: …,Ask: …`; line 4 the header `Expiration Date,Calls,Last Sale,
//! Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest,Strike,Puts,Last Sale,…` — the call columns, `Strike`, then
//! the put columns under the same names. One strike per row with a call and a put: **two quotes per row**
//! (`rows_read` counts rows, `rows_loaded` quotes; a side with an unreadable field is rejected alone).
//!
//! Decisions:
//! - **Time**: line 3's date and clock, in New York time; `EDT`/`EST` give the offset (−4 h/−5 h), otherwise
//!   the US daylight-saving rule decides (second Sunday of March to first Sunday of November since 2007). An
//!   export made outside the regular session (Monday–Friday 09:30–16:15 ET) shows the last session's closing
//!   quotes: the snapshot time is then that close, 16:15 ET of the last weekday before the export (holidays
//!   are not known). Evidence: on the known file (exported Sunday 22:42 EDT) CBOE's own IVs are reproduced with
//!   T from Friday's close (median |Δ| 0.17 vol pt), not from the export time (0.53, and +17 pts on the
//!   1-day expiry).
//! - **Expiry instant**: `Expiration Date` (or the symbol's YYMMDD) at the settlement time in New York: 09:30 ET
//!   (the opening settlement) for the AM-settled roots SPX, NDX, RUT, VIX, DJX; 16:00 ET (the close) for every
//!   other root (SPXW, NDXP, RUTW, XSP, equities). So an SPX and an SPXW expiry of the same date are two slices.
//! - **Underlying**: one per index: the symbol root with the weekly suffix removed (SPXW → SPX, NDXP → NDX,
//!   RUTW → RUT, VIXW → VIX); the instrument keeps its root. SPX and SPXW share the index and the snapshot.
//! - **Prices**: USD (`PremiumCurrency::Quote`); a 0 bid or ask is no quote. Index = `Last:` of line 2.
//! - **IV**: CBOE's own IV (a decimal; 0 = none) is stored as the exchange **mark** IV — it is a single model vol
//!   per option, not a bid or ask vol. `Delta` is the exchange delta, `Open Interest` the open interest.
//! - Expiries at or before the snapshot time (the 2023-08-18 expiry of the known file) are kept: the normaliser
//!   marks their quotes `expired`; the report says how many.

use std::io::{BufRead, BufReader, Read};

use super::csv_input::InputError;
use super::raw_chain::{RawChain, SourceFormat};
use super::table::{CsvTable, Row};
use crate::market::time::{civil_from_days, days_from_civil, format_utc, month_from_abbrev, utc_ms};
use crate::market::{positive, PremiumCurrency, RawQuote};
use crate::pricing::OptionKind;

/// Lines read while looking for the header.
const MAX_PREAMBLE_LINES: usize = 10;
/// Roots of AM-settled (opening settlement) index options.
const AM_SETTLED_ROOTS: [&str; 5] = ["SPX", "NDX", "RUT", "VIX", "DJX"];
/// Weekly/PM roots and the index they are on.
const WEEKLY_ROOTS: [(&str, &str); 4] = [("SPXW", "SPX"), ("NDXP", "NDX"), ("RUTW", "RUT"), ("VIXW", "VIX")];

/// What lines 1–3 say.
#[derive(Default)]
struct Preamble {
    /// `Last:` of the underlying.
    last: Option<f64>,
    /// Export time (line 3), New York.
    export: Option<NyTime>,
    /// Number of lines before the header.
    lines: u64,
}

/// Column positions of one side (calls or puts).
struct Side {
    kind: OptionKind,
    symbol: usize,
    bid: usize,
    ask: usize,
    iv: Option<usize>,
    delta: Option<usize>,
    open_interest: Option<usize>,
}

/// Column positions of the whole row.
struct Columns {
    expiry: usize,
    strike: usize,
    sides: [Side; 2],
}

/// Loads a CBOE quotedata export (see the module doc for the decisions).
pub fn load<R: Read>(input: R) -> Result<RawChain, InputError> {
    let mut reader = BufReader::new(input);
    let (preamble, header) = read_preamble(&mut reader)?;
    let export = preamble.export.ok_or_else(|| {
        InputError::at_line(3, "no 'Date: <Month> <day>, <year> at <h:mm> AM/PM EDT' line before the header")
    })?;
    let time_ms = quotes_time(&export);
    let mut table = CsvTable::new(std::io::Cursor::new(header).chain(reader), preamble.lines)?;
    let cols = locate(&table, preamble.lines + 1)?;
    let mut chain = RawChain::new(SourceFormat::CboeCsv);
    chain.file_time_ms = Some(time_ms);
    table.read_all(&mut chain, |row, chain| {
        for side in &cols.sides {
            match parse_side(row, &cols, side, preamble.last) {
                Ok(q) => chain.push(q),
                Err(e) => chain.report.reject_with(side_reason(side.kind), e),
            }
        }
    })?;
    add_notes(&mut chain, export.utc_ms(), time_ms, preamble.last);
    Ok(chain)
}

fn side_reason(kind: OptionKind) -> &'static str {
    match kind {
        OptionKind::Call => "unreadable field (call)",
        OptionKind::Put => "unreadable field (put)",
    }
}

/// Reads the lines before the header (returned as text, to be parsed as the CSV header).
fn read_preamble<R: BufRead>(reader: &mut R) -> Result<(Preamble, String), InputError> {
    let mut preamble = Preamble::default();
    for n in 1..=MAX_PREAMBLE_LINES as u64 {
        let mut line = String::new();
        let read = reader.read_line(&mut line).map_err(|e| InputError::at_line(n, format!("read error: {e}")))?;
        if read == 0 {
            break;
        }
        let text = line.trim_start_matches('\u{feff}');
        if text.starts_with("Expiration Date") {
            preamble.lines = n - 1;
            return Ok((preamble, text.to_owned()));
        }
        for field in split_fields(text) {
            if let Some(v) = field.strip_prefix("Last:") {
                preamble.last = positive(v.trim().parse().ok());
            } else if let Some(v) = field.strip_prefix("Date:") {
                let t = parse_cboe_date(v)
                    .ok_or_else(|| InputError::at_line(n, format!("'{field}' is not a CBOE date")))?;
                preamble.export = Some(t);
            }
        }
    }
    Err(InputError::at_line(1, format!("no 'Expiration Date,Calls,…' header in the first {MAX_PREAMBLE_LINES} lines")))
}

/// The fields of one CSV line (quotes honoured), trimmed.
fn split_fields(line: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(line.as_bytes());
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => record.iter().map(|f| f.trim().to_owned()).collect(),
        _ => Vec::new(),
    }
}

/// Finds the call block (after `Calls`), `Strike`, and the put block (after `Puts`).
fn locate<R: Read>(table: &CsvTable<R>, header_line: u64) -> Result<Columns, InputError> {
    let headers: Vec<String> = table.columns().headers().iter().map(|h| h.trim().to_ascii_lowercase()).collect();
    let missing = |name: &str| InputError::at_line(header_line, format!("the header has no '{name}' column"));
    let pos = |name: &str, from: usize, to: usize| (from..to).find(|&i| headers[i] == name);
    let n = headers.len();
    let calls = pos("calls", 0, n).ok_or_else(|| missing("Calls"))?;
    let strike = pos("strike", calls, n).ok_or_else(|| missing("Strike"))?;
    let puts = pos("puts", strike, n).ok_or_else(|| missing("Puts"))?;
    let side = |kind, from: usize, to: usize| -> Result<Side, InputError> {
        Ok(Side {
            kind,
            symbol: from,
            bid: pos("bid", from, to).ok_or_else(|| missing("Bid"))?,
            ask: pos("ask", from, to).ok_or_else(|| missing("Ask"))?,
            iv: pos("iv", from, to),
            delta: pos("delta", from, to),
            open_interest: pos("open interest", from, to),
        })
    };
    Ok(Columns {
        expiry: pos("expiration date", 0, n).ok_or_else(|| missing("Expiration Date"))?,
        strike,
        sides: [side(OptionKind::Call, calls, strike)?, side(OptionKind::Put, puts, n)?],
    })
}

/// One side of a row as a quote.
fn parse_side(row: &Row<'_>, c: &Columns, side: &Side, last: Option<f64>) -> Result<RawQuote, InputError> {
    let symbol = row.text(side.symbol);
    let root: String = symbol.chars().take_while(|ch| ch.is_ascii_alphabetic()).collect();
    if root.is_empty() {
        return Err(row.error(side.symbol, format!("'{symbol}' is not an option symbol (SPX230818C00200000)")));
    }
    let (y, m, d) = parse_expiration(row.text(c.expiry))
        .or_else(|| symbol_date(&symbol[root.len()..]))
        .ok_or_else(|| row.error(c.expiry, format!("'{}' is not a date like 'Fri Aug 18 2023'", row.text(c.expiry))))?;
    let strike =
        positive(Some(row.f64(c.strike)?)).ok_or_else(|| row.error(c.strike, "the strike must be positive"))?;
    let mut q = RawQuote::new(
        row.line,
        underlying_of(&root),
        symbol,
        expiry_ms(&root, y, m, d),
        strike,
        side.kind,
        PremiumCurrency::Quote,
    );
    q.bid = positive(row.opt_f64(side.bid)?);
    q.ask = positive(row.opt_f64(side.ask)?);
    q.exchange_iv.mark = positive(row.opt_f64_in(side.iv)?);
    q.exchange_delta = row.opt_f64_in(side.delta)?;
    q.open_interest = row.opt_f64_in(side.open_interest)?;
    q.index_price = last;
    Ok(q)
}

/// The index an option root is on (SPXW → SPX).
fn underlying_of(root: &str) -> &str {
    WEEKLY_ROOTS.iter().find(|(weekly, _)| *weekly == root).map_or(root, |(_, index)| index)
}

/// Expiry instant: the date at 09:30 ET for AM-settled roots, else 16:00 ET.
fn expiry_ms(root: &str, y: i64, m: u32, d: u32) -> i64 {
    let (hour, minute) = if AM_SETTLED_ROOTS.contains(&root) { (9, 30) } else { (16, 0) };
    new_york_to_utc(y, m, d, hour, minute, None)
}

/// `Fri Aug 18 2023` → (2023, 8, 18).
fn parse_expiration(text: &str) -> Option<(i64, u32, u32)> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_, mon, day, year] = parts.as_slice() else { return None };
    valid_ymd(year.parse().ok()?, month_from_abbrev(mon)?, day.parse().ok()?)
}

/// `230818C00200000` (the symbol after its root) → (2023, 8, 18).
fn symbol_date(rest: &str) -> Option<(i64, u32, u32)> {
    let digits = rest.get(..6)?;
    let n = |r: std::ops::Range<usize>| digits.get(r).and_then(|s| s.parse::<u32>().ok());
    valid_ymd(2000 + i64::from(n(0..2)?), n(2..4)?, n(4..6)?)
}

fn valid_ymd(y: i64, m: u32, d: u32) -> Option<(i64, u32, u32)> {
    let days_in_month = |y: i64, m: u32| {
        let next = if m == 12 { days_from_civil(y + 1, 1, 1) } else { days_from_civil(y, m + 1, 1) };
        next - days_from_civil(y, m, 1)
    };
    ((1..=12).contains(&m) && d >= 1 && i64::from(d) <= days_in_month(y, m)).then_some((y, m, d))
}

/// A New York wall-clock time as CBOE prints it.
#[derive(Clone, Copy, Debug, PartialEq)]
struct NyTime {
    y: i64,
    m: u32,
    d: u32,
    hour: u32,
    minute: u32,
    /// `Some(true)` for EDT, `Some(false)` for EST, `None` when the zone is not given.
    dst: Option<bool>,
}

impl NyTime {
    fn utc_ms(&self) -> i64 {
        new_york_to_utc(self.y, self.m, self.d, self.hour, self.minute, self.dst)
    }
}

/// ` August 20, 2023 at 10:42 PM EDT` → its parts.
fn parse_cboe_date(text: &str) -> Option<NyTime> {
    let (date, clock) = text.trim().split_once(" at ")?;
    let date = date.replace(',', " ");
    let parts: Vec<&str> = date.split_whitespace().collect();
    let [month, day, year] = parts.as_slice() else { return None };
    let (y, m, d) = valid_ymd(year.parse().ok()?, month_from_abbrev(month.get(..3)?)?, day.parse().ok()?)?;
    let words: Vec<&str> = clock.split_whitespace().collect();
    let (hh, mm) = words.first()?.split_once(':')?;
    let (mut hour, minute): (u32, u32) = (hh.parse().ok()?, mm.parse().ok()?);
    if hour > 12 || minute > 59 {
        return None;
    }
    match words.get(1).map(|w| w.to_ascii_uppercase()) {
        Some(w) if w == "PM" => hour = hour % 12 + 12,
        Some(w) if w == "AM" => hour %= 12,
        _ => return None,
    }
    let dst = match words.get(2).map(|z| z.to_ascii_uppercase()).as_deref() {
        Some("EDT") => Some(true),
        Some("EST") => Some(false),
        _ => None,
    };
    Some(NyTime { y, m, d, hour, minute, dst })
}

/// Minutes after midnight (New York) of the regular session's open (09:30) and of the SPX options close (16:15).
const SESSION_OPEN_MIN: u32 = 9 * 60 + 30;
const SESSION_CLOSE_MIN: u32 = 16 * 60 + 15;

/// The time the quotes are from: the export time during the regular session (Monday–Friday 09:30–16:15 ET),
/// otherwise the close (16:15 ET) of the last weekday session before it. Exchange holidays are not known.
fn quotes_time(export: &NyTime) -> i64 {
    let day = days_from_civil(export.y, export.m, export.d);
    let weekday = |day: i64| (day + 4).rem_euclid(7); // 0 = Sunday
    let minutes = export.hour * 60 + export.minute;
    let is_weekday = (1..=5).contains(&weekday(day));
    if is_weekday && (SESSION_OPEN_MIN..SESSION_CLOSE_MIN).contains(&minutes) {
        return export.utc_ms();
    }
    let mut close_day = if is_weekday && minutes >= SESSION_CLOSE_MIN { day } else { day - 1 };
    while !(1..=5).contains(&weekday(close_day)) {
        close_day -= 1;
    }
    let (y, m, d) = civil_from_days(close_day);
    new_york_to_utc(y, m, d, SESSION_CLOSE_MIN / 60, SESSION_CLOSE_MIN % 60, None)
}

/// UTC ms of a New York wall-clock time; `dst` forces EDT/EST, `None` applies the US rule.
fn new_york_to_utc(y: i64, m: u32, d: u32, hour: u32, minute: u32, dst: Option<bool>) -> i64 {
    let offset_hours = if dst.unwrap_or_else(|| us_daylight_saving(y, m, d)) { 4 } else { 5 };
    utc_ms(y, m, d, hour, minute, 0) + offset_hours * 3_600_000
}

/// Whether US daylight saving time is in force on a date (for times after 02:00 local): since 2007 from the
/// second Sunday of March to the first Sunday of November; 1987–2006 from the first Sunday of April to the
/// last Sunday of October.
fn us_daylight_saving(y: i64, m: u32, d: u32) -> bool {
    let day = days_from_civil(y, m, d);
    let (start, end) = if y >= 2007 {
        (nth_sunday(y, 3, 2), nth_sunday(y, 11, 1))
    } else {
        (nth_sunday(y, 4, 1), nth_sunday(y, 11, 1) - 7)
    };
    (start..end).contains(&day)
}

/// Day number (since 1970-01-01) of the n-th Sunday of a month.
fn nth_sunday(y: i64, m: u32, n: i64) -> i64 {
    let first = days_from_civil(y, m, 1);
    let weekday = (first + 4).rem_euclid(7); // 1970-01-01 was a Thursday; 0 = Sunday
    first + (7 - weekday) % 7 + 7 * (n - 1)
}

/// What the loader decided, for the report.
fn add_notes(chain: &mut RawChain, export_ms: i64, time_ms: i64, last: Option<f64>) {
    if export_ms == time_ms {
        chain.report.note(format!("snapshot time: the export time on line 3 (New York time), {}", format_utc(time_ms)));
    } else {
        chain.report.note(format!(
            "snapshot time: exported {} outside the regular session: the quotes are the last session's close, taken \
             as 16:15 New York time, {} (exchange holidays are not known)",
            format_utc(export_ms),
            format_utc(time_ms)
        ));
    }
    chain.report.note("two quotes per row (call and put): rows_loaded counts quotes");
    chain.report.note("CBOE's IV column is stored as the exchange mark IV (one model vol per option)");
    chain.report.note("no forward in the file: forwards from put-call parity (index as last resort)");
    if last.is_none() {
        chain.report.note("no 'Last:' on line 2: no index price");
    }
    let expired = chain.rows.iter().filter(|q| q.expiry_ms <= time_ms).count();
    if expired > 0 {
        chain.report.note(format!(
            "{expired} quotes expire at or before the snapshot time: kept, the normaliser marks them expired"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_york_times() {
        let utc = |text: &str| parse_cboe_date(text).map(|t| t.utc_ms());
        let quotes = |text: &str| parse_cboe_date(text).map(|t| quotes_time(&t));
        assert_eq!(utc(" August 20, 2023 at 10:42 PM EDT"), Some(utc_ms(2023, 8, 21, 2, 42, 0)));
        assert_eq!(utc("January 5, 2024 at 12:05 AM EST"), Some(utc_ms(2024, 1, 5, 5, 5, 0)));
        assert_eq!(utc("March 10, 2024 at 12:00 PM ET"), Some(utc_ms(2024, 3, 10, 16, 0, 0)));
        assert_eq!(utc("March 9, 2024 at 12:00 PM"), Some(utc_ms(2024, 3, 9, 17, 0, 0)));
        assert_eq!(utc("Smarch 9, 2024 at 12:00 PM"), None);
        // Sunday night → Friday's close; a weekday session → the export time; Monday 8 AM → Friday's close.
        assert_eq!(quotes(" August 20, 2023 at 10:42 PM EDT"), Some(utc_ms(2023, 8, 18, 20, 15, 0)));
        assert_eq!(quotes("August 16, 2023 at 11:00 AM EDT"), Some(utc_ms(2023, 8, 16, 15, 0, 0)));
        assert_eq!(quotes("August 16, 2023 at 4:30 PM EDT"), Some(utc_ms(2023, 8, 16, 20, 15, 0)));
        assert_eq!(quotes("January 8, 2024 at 8:00 AM EST"), Some(utc_ms(2024, 1, 5, 21, 15, 0)));
        // DST 2023: 12 March – 5 November; 2006: 2 April – 29 October.
        assert!(!us_daylight_saving(2023, 3, 11) && us_daylight_saving(2023, 3, 12));
        assert!(us_daylight_saving(2023, 11, 4) && !us_daylight_saving(2023, 11, 5));
        assert!(!us_daylight_saving(2006, 4, 1) && us_daylight_saving(2006, 4, 2) && !us_daylight_saving(2006, 10, 29));
        assert_eq!(expiry_ms("SPX", 2023, 9, 15), utc_ms(2023, 9, 15, 13, 30, 0));
        assert_eq!(expiry_ms("SPXW", 2023, 12, 15), utc_ms(2023, 12, 15, 21, 0, 0));
        assert_eq!(parse_expiration("Fri Aug 18 2023"), Some((2023, 8, 18)));
        assert_eq!(symbol_date("230818C00200000"), Some((2023, 8, 18)));
        assert_eq!(underlying_of("SPXW"), "SPX");
    }
}
