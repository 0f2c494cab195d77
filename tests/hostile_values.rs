//! Impossible values in otherwise good files (issue "Hardening", item 5): they get a named status or are
//! rejected with their line, contradictions between an instrument name and its columns are warnings naming the
//! lines, and times outside 1990–2199 are errors. Built from the bundled sample (a Deribit collector CSV).

use volscope::io::{load_bytes, LoadOptions};
use volscope::market::{BuildOptions, QuoteStatus};

fn sample_lines() -> Vec<String> {
    volscope::sample::SAMPLE_CSV.lines().map(str::to_owned).collect()
}

/// Column index of `name` in the sample's header.
fn column(lines: &[String], name: &str) -> usize {
    lines[0].split(',').position(|c| c == name).unwrap()
}

/// Sets field `col` of data line `i` (0 = header).
fn set(lines: &mut [String], i: usize, col: usize, value: &str) {
    let mut fields: Vec<String> = lines[i].split(',').map(str::to_owned).collect();
    fields[col] = value.to_owned();
    lines[i] = fields.join(",");
}

fn load(lines: &[String]) -> Result<volscope::io::RawChain, String> {
    load_bytes(lines.join("\n").as_bytes(), "edited.csv", &LoadOptions::default()).map_err(|e| e.to_string())
}

#[test]
fn an_absurd_strike_gets_a_status_and_stays_out_of_the_fit() {
    let clean = load(&sample_lines()).unwrap().snapshot(&BuildOptions::default()).unwrap();
    let usable = |s: &volscope::market::Snapshot| {
        s.slices.iter().flat_map(|s| &s.quotes).filter(|q| q.status.is_usable()).count()
    };
    let ok = clean.slices.iter().flat_map(|s| &s.quotes).find(|q| q.status.is_usable()).unwrap();
    let instrument = ok.instrument.to_string();
    let mut lines = sample_lines();
    let i = lines.iter().position(|l| l.contains(&format!(",{instrument},"))).unwrap();
    // Its strike column says 1e308 (the name keeps the real strike).
    let strike = column(&lines, "strike");
    set(&mut lines, i, strike, "1e308");
    let raw = load(&lines).unwrap();
    let line = format!("line {}", i + 1);
    assert!(raw.report.all_notes().iter().any(|n| n.contains("strike column contradicts") && n.contains(&line)));
    let snap = raw.snapshot(&BuildOptions::default()).unwrap();
    let q = snap.slices.iter().flat_map(|s| &s.quotes).find(|q| *q.instrument == *instrument).unwrap();
    assert_eq!(q.status, QuoteStatus::StrikeOutOfRange);
    assert_eq!(q.status.as_str(), "strike_out_of_range");
    assert_eq!(usable(&snap) + 1, usable(&clean), "the absurd quote is not usable");
}

#[test]
fn zero_and_negative_strikes_are_rejected_with_their_lines() {
    let mut lines = sample_lines();
    let strike = column(&lines, "strike");
    set(&mut lines, 2, strike, "0");
    set(&mut lines, 3, strike, "-70000");
    let raw = load(&lines).unwrap();
    assert_eq!(raw.report.rejected["impossible value"], vec![3, 4]);
    let text = raw.report.describe();
    assert!(text.contains("line 3, column strike") || text.contains("line 3"), "{text}");
    assert!(text.contains("strike 0 is not a positive number") && text.contains("strike -70000"), "{text}");
    let snap = raw.snapshot(&BuildOptions::default()).unwrap();
    assert!(snap.slices.iter().flat_map(|s| &s.quotes).all(|q| q.k.is_finite()), "no k = −inf");
}

#[test]
fn an_expiry_column_that_contradicts_the_name_warns_and_the_name_wins() {
    let mut lines = sample_lines();
    let expiry = column(&lines, "expiry_datetime");
    for i in 1..=40 {
        set(&mut lines, i, expiry, "9999-12-31T08:00:00+00:00");
    }
    set(&mut lines, 41, expiry, "2026-13-01T08:00:00+00:00");
    let raw = load(&lines).unwrap();
    let notes = raw.report.all_notes();
    let contradiction = notes.iter().find(|n| n.contains("contradicts the instrument name")).expect("a warning");
    assert!(contradiction.contains("40 rows (line 2, 3, 4, 5, 6, 7, 8, 9, …)"), "{contradiction}");
    assert!(notes.iter().any(|n| n.contains("not an ISO 8601 time") && n.contains("1 row (line 42)")), "{notes:?}");
    let edited = raw.snapshot(&BuildOptions::default()).unwrap();
    let clean = load(&sample_lines()).unwrap().snapshot(&BuildOptions::default()).unwrap();
    assert_eq!(edited.slices.len(), clean.slices.len(), "no slice merged into year 9999");
    assert!(edited.slices.iter().all(|s| s.t_years < 2.0));
    assert!(edited.warnings.iter().any(|w| w.contains("contradicts")), "the warning reaches the snapshot");
}

#[test]
fn times_outside_1990_to_2199_are_errors() {
    let mut lines = sample_lines();
    let ts = column(&lines, "timestamp");
    for i in 1..lines.len() {
        set(&mut lines, i, ts, "2350-01-01T00:00:00+00:00");
    }
    let err = load(&lines).unwrap_err();
    assert!(err.contains("year 2350 lies outside 1990–2199"), "{err}");

    // A book summary whose latest creation_timestamp is i64::MAX.
    let json = format!(
        r#"{{"result": [{{"instrument_name": "ETH-27DEC24-3000-C", "mark_price": 0.05, "bid_price": 0.049,
           "ask_price": 0.051, "underlying_price": 3400.0, "creation_timestamp": {}}}]}}"#,
        i64::MAX
    );
    let err = load_bytes(json.as_bytes(), "book.json", &LoadOptions::default()).unwrap_err().to_string();
    assert!(err.contains("lies outside 1990–2199"), "{err}");
}
