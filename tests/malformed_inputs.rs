//! Malformed files: each gives a clear error or a located rejection (line and column), never a panic.

use volscope::io::{load_bytes, LoadError, LoadOptions};
use volscope::market::BuildOptions;

const HEADER: &str = "timestamp,instrument_name,underlying,underlying_name,option_type,strike,expiry_datetime,\
time_to_maturity,bid_price,ask_price,mark_price,mid_price,futures_price,futures_instrument_name,implied_volatility,\
delta,vega,open_interest,volume,bid_ask_spread,currency,index_price,volume_usd";

/// A valid Deribit collector row for a strike and type, with bid and ask in coin.
fn row(strike: u32, kind: &str, bid: &str, ask: &str) -> String {
    let c = if kind == "call" { "C" } else { "P" };
    format!(
        "2026-03-16T05:07:39.409707+00:00,BTC-27MAR26-{strike}-{c},73903.44,BTC-27MAR26,{kind},{strike}.0,\
         2026-03-27T08:00:00+00:00,0.0304,{bid},{ask},0.0201,0.02,73903.44,BTC-27MAR26,0.52,0.3,50.0,100.0,1.0,0.001,BTC,73826.79,1.0"
    )
}

fn valid_rows() -> Vec<String> {
    vec![
        row(70000, "put", "0.0080", "0.0085"),
        row(72000, "put", "0.0140", "0.0146"),
        row(74000, "call", "0.0160", "0.0166"),
        row(76000, "call", "0.0090", "0.0095"),
    ]
}

fn file(rows: &[String]) -> String {
    format!("{HEADER}\n{}\n", rows.join("\n"))
}

fn load(text: &str) -> Result<volscope::io::RawChain, String> {
    load_bytes(text.as_bytes(), "test.csv", &LoadOptions::default()).map_err(|e| e.to_string())
}

fn load_err(text: &[u8]) -> String {
    match load_bytes(text, "test.csv", &LoadOptions::default()) {
        Ok(chain) => panic!("expected an error, loaded {}", chain.report.describe()),
        Err(e) => e.to_string(),
    }
}

/// Loads, expecting one row rejected; returns the located problem as text.
fn rejected_problem(text: &str) -> String {
    let chain = load(text).unwrap();
    assert_eq!(chain.report.rejected_count(), 1, "{}", chain.report.describe());
    chain.report.problems[0].to_string()
}

#[test]
fn empty_and_blank_files() {
    assert_eq!(load_err(b""), "test.csv: line 1: the file is empty");
    assert_eq!(load_err(b" \n\n  \n"), "test.csv: line 1: the file is empty");
}

#[test]
fn header_only() {
    assert_eq!(
        load_err(format!("{HEADER}\n").as_bytes()),
        "test.csv: line 2: no data rows: the file has a header (or an empty list of records) only"
    );
}

#[test]
fn wrong_delimiters() {
    for delimiter in [";", "\t"] {
        let text = file(&valid_rows()).replace(',', delimiter);
        assert!(load_err(text.as_bytes()).contains("line 1: the header is one column: the file uses another delimiter"));
    }
}

#[test]
fn unknown_header_and_binary_garbage() {
    assert!(load_err(b"foo,bar,baz\n1,2,3\n").starts_with("test.csv: line 1: unrecognised header (foo,bar,baz)"));
    assert!(load_err(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").contains("binary content, not a text file"));
}

#[test]
fn missing_required_column() {
    let text = file(&valid_rows()).replace(",ask_price,", ",ask_px,");
    let err = load_err(text.as_bytes());
    assert!(err.starts_with("test.csv: line 1: missing column ask_price"), "{err}");
}

#[test]
fn truncated_last_line() {
    let mut text = file(&valid_rows());
    text.truncate(text.len() - 60);
    let problem = rejected_problem(&text);
    assert!(
        problem.starts_with("line 5, column 14 (futures_instrument_name): found 13 fields but the header has 23"),
        "{problem}"
    );
}

#[test]
fn extra_field() {
    let mut rows = valid_rows();
    rows[1].push_str(",surplus");
    assert_eq!(
        rejected_problem(&file(&rows)),
        "line 3, column 24: found 24 fields but the header has 23 (truncated row or stray delimiter)"
    );
}

#[test]
fn non_numeric_strike_and_price() {
    let mut rows = valid_rows();
    rows[0] = rows[0].replace(",70000.0,", ",70k,");
    assert_eq!(rejected_problem(&file(&rows)), "line 2, column 6 (strike): '70k' is not a number");
    let mut rows = valid_rows();
    rows[2] = rows[2].replace(",0.0160,", ",0.01.6,");
    assert_eq!(rejected_problem(&file(&rows)), "line 4, column 9 (bid_price): '0.01.6' is not a number");
}

#[test]
fn bad_timestamp_and_bad_type() {
    let mut rows = valid_rows();
    rows[3] = rows[3].replacen("2026-03-16T05:07:39.409707+00:00", "16/03/2026 05:07", 1);
    assert_eq!(rejected_problem(&file(&rows)), "line 5, column 1 (timestamp): not an ISO 8601 time");
    let mut rows = valid_rows();
    rows[1] = rows[1].replace(",put,", ",straddle,");
    assert_eq!(rejected_problem(&file(&rows)), "line 3, column 5 (option_type): 'straddle' is not call/put");
}

#[test]
fn invalid_utf8_field() {
    let mut text = file(&valid_rows()).into_bytes();
    let pos = text.windows(17).position(|w| w == b"BTC-27MAR26-70000").unwrap() + 5; // the instrument of line 2
    text.insert(pos, 0xff);
    let chain = load_bytes(&text, "test.csv", &LoadOptions::default()).unwrap();
    assert_eq!(chain.report.rejected_count(), 1);
    assert_eq!(
        chain.report.problems[0].to_string(),
        "line 2, column 2 (instrument_name): field is not valid UTF-8 text"
    );
}

#[test]
fn every_row_bad_gives_an_error_with_the_report() {
    let rows: Vec<String> = valid_rows()
        .iter()
        .map(|r| r.replace(",BTC-27MAR26-", ",BTC-27MAR26-").replace("+00:00,BTC", "+99:99,BTC"))
        .collect();
    let text = file(&rows).replace("2026-03-16T05:07:39.409707+99:99", "yesterday");
    let chain = load(&text).unwrap();
    assert_eq!(chain.report.rejected_count(), 4);
    let err = chain.snapshot(&BuildOptions::default()).unwrap_err().to_string();
    assert!(err.contains("every row was rejected"), "{err}");
    assert!(
        chain.report.describe().contains("rejected, unreadable field: line 2, 3, 4, 5"),
        "{}",
        chain.report.describe()
    );
}

#[test]
fn crlf_bom_and_quoted_fields_are_fine() {
    let text =
        format!("\u{feff}{}", file(&valid_rows()).replace('\n', "\r\n").replace(",BTC-27MAR26,", ",\"BTC-27MAR26\","));
    let chain = load(&text).unwrap();
    assert_eq!((chain.report.rows_loaded, chain.report.rejected_count()), (4, 0), "{}", chain.report.describe());
    let snap = chain.snapshot(&BuildOptions::default()).unwrap();
    assert_eq!(snap.slices[0].forward_source.label(), "exchange");
}

#[test]
fn json_syntax_error_names_line_and_column() {
    let text = b"{\"result\": [\n  {\"instrument_name\": \"ETH-26JAN24-1200-P\", \"underlying_price\": 2241.65,\n  \"bid_price\": 0.0004,, }\n]}";
    let err = load_err(text);
    assert!(err.starts_with("test.csv: line 3, column 23: invalid JSON"), "{err}");
}

#[test]
fn json_with_the_wrong_shape() {
    let err = load_err(b"{\"result\": {\"instrument_name\": \"ETH-26JAN24-1200-P\", \"underlying_price\": 1}}");
    assert!(err.ends_with("\"result\" is not an array of records"), "{err}");
    let err = load_err(b"{\"result\": []} ");
    assert!(err.contains("JSON that is none of"), "an empty list cannot be recognised: {err}");
}

#[test]
fn json_record_with_a_bad_field_is_rejected_by_name() {
    let text = br#"{"result": [
      {"instrument_name": "ETH-26JAN24-1200-P", "underlying_price": 2241.65, "bid_price": 0.0004, "ask_price": 0.001, "mark_price": 0.000853, "creation_timestamp": 1704712781414},
      {"instrument_name": "ETH-26JAN24-2400-C", "underlying_price": 2241.65, "bid_price": "n/a", "ask_price": 0.01, "mark_price": 0.009, "creation_timestamp": 1704712781414},
      {"instrument_name": "ETH-PERPETUAL", "underlying_price": 2241.65, "bid_price": 1, "ask_price": 2, "mark_price": 1, "creation_timestamp": 1704712781414}
    ]}"#;
    let chain = load_bytes(text, "book.json", &LoadOptions::default()).unwrap();
    assert_eq!((chain.report.rows_read, chain.report.rows_loaded), (3, 1));
    let problems: Vec<String> = chain.report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        problems,
        [
            "record 2 (ETH-26JAN24-2400-C), field \"bid_price\": 'n/a' is not a number",
            "record 3 (ETH-PERPETUAL), field \"instrument_name\": 'ETH-PERPETUAL' is not an option instrument name",
        ]
    );
}

#[test]
fn generic_csv_problems() {
    let err = load_err(b"expiry,strike,type,bid,ask\n2026-03-27,70000,put,100,110\n");
    assert!(err.starts_with("test.csv: line 1: missing column timestamp"), "{err}");
    let text = "timestamp,expiry,strike,type,bid,ask,forward\n\
                2026-03-16T05:00:00Z,2026-03-27,70000,put,100,110,74000\n\
                2026-03-16T05:00:00Z,27/03/2026,72000,put,200,210,74000\n\
                2026-03-16T05:00:00Z,2026-03-27,-5,put,200,210,74000\n";
    let chain = load(text).unwrap();
    let problems: Vec<String> = chain.report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        problems,
        [
            "line 3, column 2 (expiry): not an ISO 8601 date or time",
            "line 4, column 3 (strike): a strike must be positive"
        ]
    );
}

#[test]
fn unreadable_path_is_an_io_error() {
    let err =
        volscope::io::load_path(std::path::Path::new("/nonexistent/chain.csv"), &LoadOptions::default()).unwrap_err();
    assert!(matches!(err, LoadError::Io { .. }));
    assert!(err.to_string().starts_with("/nonexistent/chain.csv: No such file"), "{err}");
}
