//! Format detection from content: the JSON shape or the CSV header, never the file name.

use super::generic_csv::{EXPIRY_NAMES, STRIKE_NAMES, TYPE_NAMES};
use super::raw_chain::SourceFormat;

/// Detects the format of a file from its first bytes (already decompressed).
///
/// Returns a message naming what was seen and what is supported when nothing matches.
pub fn detect(prefix: &[u8]) -> Result<SourceFormat, String> {
    check_text(prefix)?;
    let text = String::from_utf8_lossy(prefix);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.is_empty() {
        return Err("line 1: the file is empty".to_owned());
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return detect_json(trimmed);
    }
    detect_csv(&text)
}

/// Binary content (an executable, an image, a block of NUL bytes) is refused in one short line: a NUL byte,
/// or more than 1 % control bytes other than tab and line ends.
fn check_text(prefix: &[u8]) -> Result<(), String> {
    let is_control = |b: &u8| (*b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || *b == 0x7f;
    let nul = prefix.iter().position(|b| *b == 0);
    let controls = prefix.iter().filter(|b| is_control(b)).count();
    if nul.is_some() || controls * 100 > prefix.len() {
        let at = nul.or_else(|| prefix.iter().position(is_control)).unwrap_or(0);
        let start: Vec<String> = prefix.iter().take(16).map(|b| format!("{b:02x}")).collect();
        return Err(format!(
            "binary content, not a text file (a {} byte at byte {}); its first bytes are {}",
            if nul.is_some() { "NUL" } else { "control" },
            at + 1,
            start.join(" ")
        ));
    }
    Ok(())
}

/// JSON: decided by the field names the exchanges document.
fn detect_json(text: &str) -> Result<SourceFormat, String> {
    let has = |key: &str| text.contains(&format!("\"{key}\""));
    if has("instrument_name") && has("underlying_price") {
        Ok(SourceFormat::DeribitBookSummaryJson)
    } else if has("instId") || has("instFamily") {
        Ok(SourceFormat::OkxJson)
    } else if has("retCode") || (has("bid1Price") && has("underlyingPrice")) {
        Ok(SourceFormat::BybitJson)
    } else if has("symbol") && (has("markPrice") || has("markIV") || has("bidIV") || has("strikePrice")) {
        Ok(SourceFormat::BinanceEapiJson)
    } else {
        Err("JSON that is none of: Deribit get_book_summary_by_currency ({\"result\": [...]}), OKX opt-summary/tickers \
             ({\"data\": [...]} with instId), Bybit v5 option tickers (retCode/result.list), Binance eapi mark/ticker"
            .to_owned())
    }
}

/// CSV: decided by the header line's column names.
fn detect_csv(text: &str) -> Result<SourceFormat, String> {
    let lines: Vec<&str> = text.lines().take(6).collect();
    if lines.iter().any(|l| l.starts_with("Expiration Date,Calls")) {
        return Ok(SourceFormat::CboeCsv);
    }
    let header_line = lines.iter().find(|l| !l.trim().is_empty()).copied().unwrap_or("");
    let header: Vec<String> = header_line
        .split(',')
        .map(|h| h.trim().trim_matches('"').trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let has = |name: &str| header.iter().any(|h| h == name);
    let all = |names: &[&str]| names.iter().all(|n| has(n));
    if all(&["instrument_name", "futures_price", "implied_volatility"]) {
        Ok(SourceFormat::DeribitCollectorCsv)
    } else if all(&["instrument_name", "underlying_price", "creation_timestamp"]) {
        Ok(SourceFormat::DeribitBookSummaryCsv)
    } else if all(&["date", "instrument_name", "bid_iv", "ask_iv", "mark_iv"]) {
        Ok(SourceFormat::DeribitHourlyIvCsv)
    } else if all(&["exchange", "symbol", "timestamp", "strike_price", "expiration"]) {
        Ok(SourceFormat::TardisCsv)
    } else if all(&["date", "expiry", "strike", "option type", "mark price"]) {
        Ok(SourceFormat::BinanceMarksCsv)
    } else if [EXPIRY_NAMES, STRIKE_NAMES, TYPE_NAMES].iter().all(|names| names.iter().any(|n| has(n)))
        && (has("bid") || has("ask") || has("mark") || has("mid_iv") || has("mark_iv"))
    {
        Ok(SourceFormat::GenericCsv)
    } else if header.len() == 1 && [';', '\t', '|'].iter().any(|d| header_line.contains(*d)) {
        Err("line 1: the header is one column: the file uses another delimiter than ',' (Volscope reads comma-separated values)".to_owned())
    } else {
        let shown: Vec<&str> = header_line.split(',').take(12).collect();
        Err(format!(
            "line 1: unrecognised header ({}); supported: Deribit collector CSV, Deribit book summary CSV/JSON, Deribit \
             hourly IV CSV, Tardis options_chain CSV, CBOE quotedata CSV, Binance marks CSV, OKX/Bybit/Binance JSON, and \
             the generic CSV (expiry, strike, type, bid, ask, ... — see README)",
            super::excerpt(&shown.join(","), 200)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_content() {
        assert_eq!(
            detect(b"{\"result\": [{\"instrument_name\": \"x\", \"underlying_price\": 1}]}"),
            Ok(SourceFormat::DeribitBookSummaryJson)
        );
        assert_eq!(detect(b"expiry,strike,type,bid,ask\n"), Ok(SourceFormat::GenericCsv));
        // The generic loader's other column names are recognised too.
        assert_eq!(detect(b"time,expiration,k,cp,bid,ask,spot\n"), Ok(SourceFormat::GenericCsv));
        assert_eq!(detect(b"\n a,b\n").unwrap_err(), "line 1: unrecognised header ( a,b); supported: Deribit collector CSV, Deribit book summary CSV/JSON, Deribit hourly IV CSV, Tardis options_chain CSV, CBOE quotedata CSV, Binance marks CSV, OKX/Bybit/Binance JSON, and the generic CSV (expiry, strike, type, bid, ask, ... — see README)");
        assert!(detect(b"expiry;strike;type;bid;ask\n").unwrap_err().contains("another delimiter"));
        assert!(detect(b"   ").unwrap_err().contains("empty"));
    }
}
