//! Every real file in ../shared/data that the Deribit and generic loaders read: it loads, with a report, and
//! normalises into a chain whose forwards, times and statuses are right.

mod common;

use volscope::io::{load_path, LoadOptions, SourceFormat};
use volscope::market::time::{format_utc, parse_iso, utc_ms};
use volscope::market::{BuildOptions, ForwardSource, QuoteStatus};

fn data(name: &str) -> Option<std::path::PathBuf> {
    common::shared_dir().map(|d| d.join("data").join(name))
}

#[test]
fn every_deribit_collector_snapshot_loads_both_underlyings() {
    let Some(dir) = common::shared_dir() else { return };
    let mut n_files = 0;
    for entry in std::fs::read_dir(dir.join("data")).unwrap() {
        let path = entry.unwrap().path();
        if !path.file_name().unwrap().to_string_lossy().starts_with("deribit_btc_eth_") {
            continue;
        }
        n_files += 1;
        let raw = load_path(&path, &LoadOptions::default()).unwrap();
        assert_eq!(raw.format, SourceFormat::DeribitCollectorCsv);
        assert_eq!(raw.report.rows_read, raw.report.rows_loaded, "{}", raw.report.describe());
        for underlying in ["BTC", "ETH"] {
            let snap =
                raw.snapshot(&BuildOptions { underlying: Some(underlying.into()), ..Default::default() }).unwrap();
            assert_eq!(snap.underlying, underlying);
            assert!(snap.slices.len() >= 11, "{}: {} expiries", path.display(), snap.slices.len());
            for slice in &snap.slices {
                assert_eq!(slice.expiry_ms.rem_euclid(86_400_000), 8 * 3_600_000, "expiries at 08:00 UTC");
                assert!(slice.t_years > 0.0 && slice.forward > 0.0);
                assert!(
                    matches!(slice.forward_source, ForwardSource::ExchangeMarks { .. }),
                    "{:?}",
                    slice.forward_source
                );
                assert!(slice.quotes.windows(2).all(|w| w[0].strike <= w[1].strike), "sorted by strike");
            }
            let counts = snap.status_counts();
            let ok = counts.get(&QuoteStatus::Ok).copied().unwrap_or(0);
            assert!(ok * 2 > snap.quote_count(), "{}: only {ok} of {} quotes ok", path.display(), snap.quote_count());
            for q in snap.slices.iter().flat_map(|s| &s.quotes) {
                assert_eq!(q.status == QuoteStatus::Ok, q.bid.iv.is_some() && q.ask.iv.is_some() && q.mid.iv.is_some());
                if q.bid.price.is_none() {
                    assert!(matches!(q.status, QuoteStatus::NoBid | QuoteStatus::NoQuote));
                }
            }
        }
        // The default underlying is the first in the file.
        let first = raw.snapshot(&BuildOptions::default()).unwrap();
        assert_eq!(first.underlying, &*raw.rows[0].underlying);
    }
    assert_eq!(n_files, 5);
}

#[test]
fn a_short_expiry_has_t_from_exact_timestamps() {
    let Some(path) = data("deribit_btc_eth_20260316T050739Z.csv") else { return };
    let snap = load_path(&path, &LoadOptions::default()).unwrap().snapshot(&BuildOptions::default()).unwrap();
    assert_eq!(format_utc(snap.time_ms), "2026-03-16T05:07:39.409Z");
    let same_day = &snap.slices[0];
    assert_eq!(same_day.expiry_ms, utc_ms(2026, 3, 16, 8, 0, 0));
    let hours = same_day.t_years * 365.0 * 24.0;
    assert!((hours - (2.0 + 52.0 / 60.0 + 20.59 / 3600.0)).abs() < 1e-3, "T = {hours} h");
}

#[test]
fn book_summary_csv_implies_vols_from_prices() {
    let Some(path) = data("deribit_eth_book_summary_20240108T111941Z.csv") else { return };
    let raw = load_path(&path, &LoadOptions::default()).unwrap();
    assert_eq!(raw.format, SourceFormat::DeribitBookSummaryCsv);
    assert_eq!((raw.report.rows_read, raw.report.rows_loaded), (684, 684));
    let snap = raw.snapshot(&BuildOptions::default()).unwrap();
    assert_eq!(snap.underlying, "ETH");
    assert_eq!(snap.slices.len(), 11);
    assert_eq!(format_utc(snap.time_ms), "2024-01-08T11:19:41.429Z");
    let with_iv = snap.slices.iter().flat_map(|s| &s.quotes).filter(|q| q.mark.iv.is_some()).count();
    assert!(with_iv > 600, "{with_iv} marks with a vol");
    // No IV in the file: every vol is implied; ATM marks of ETH in January 2024 sit between 40 and 90 %.
    for s in snap.slices.iter().filter(|s| s.t_years > 7.0 / 365.0) {
        let atm = s.quotes.iter().min_by(|a, b| a.k.abs().total_cmp(&b.k.abs())).unwrap();
        let v = atm.mark.iv.unwrap();
        assert!((0.4..0.9).contains(&v), "ATM mark vol {v} at {}", format_utc(s.expiry_ms));
    }
}

#[test]
fn book_summary_json_reads_the_same_as_the_csv_dump() {
    let Some(path) = data("deribit_eth_book_summary_20240108T111941Z.csv") else { return };
    // Rebuild the raw API response from the pandas dump: same objects under {"result": [...]}.
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let numeric = [
        "mid_price",
        "estimated_delivery_price",
        "volume_usd",
        "creation_timestamp",
        "interest_rate",
        "volume",
        "underlying_price",
        "price_change",
        "mark_price",
        "open_interest",
        "ask_price",
        "bid_price",
        "last",
        "low",
        "high",
    ];
    let mut result = Vec::new();
    for rec in reader.records() {
        let rec = rec.unwrap();
        let mut obj = serde_json::Map::new();
        for (h, v) in headers.iter().zip(rec.iter()).skip(1) {
            if ["expire_date", "strike_price", "option_type"].contains(&h) {
                continue; // added by the collector, not API fields
            }
            let value = if numeric.contains(&h) {
                v.parse::<f64>().map(serde_json::Value::from).unwrap_or(serde_json::Value::Null)
            } else {
                serde_json::Value::from(v)
            };
            obj.insert(h.to_owned(), value);
        }
        result.push(serde_json::Value::Object(obj));
    }
    let json =
        serde_json::json!({"jsonrpc": "2.0", "result": result, "usIn": 1, "usOut": 2, "usDiff": 1, "testnet": false});
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("book_summary.json");
    std::fs::write(&json_path, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
    let from_json = load_path(&json_path, &LoadOptions::default()).unwrap();
    assert_eq!(from_json.format, SourceFormat::DeribitBookSummaryJson);
    let from_csv = load_path(&path, &LoadOptions::default()).unwrap();
    let (a, b) =
        (from_json.snapshot(&BuildOptions::default()).unwrap(), from_csv.snapshot(&BuildOptions::default()).unwrap());
    assert_eq!(a.quote_count(), b.quote_count());
    assert_eq!(a.status_counts(), b.status_counts());
    for (sa, sb) in a.slices.iter().zip(&b.slices) {
        assert_eq!(sa.forward, sb.forward);
        for (qa, qb) in sa.quotes.iter().zip(&sb.quotes) {
            assert_eq!((&*qa.instrument, qa.mid.iv, qa.mark.iv), (&*qb.instrument, qb.mid.iv, qb.mark.iv));
        }
    }
}

#[test]
fn hourly_iv_file_lists_its_times_and_builds_any_hour() {
    let Some(path) = data("deribit_btc_iv_hourly_20260123.csv") else { return };
    let raw = load_path(&path, &LoadOptions::default()).unwrap();
    assert_eq!(raw.format, SourceFormat::DeribitHourlyIvCsv);
    let times = volscope::market::snapshot_times(&raw.rows);
    assert_eq!(times.len(), 37);
    assert_eq!(format_utc(times[0]), "2026-01-23T01:00:00Z");
    assert_eq!(format_utc(times[36]), "2026-01-24T13:00:00Z");
    let at = parse_iso("2026-01-23T12:30:00Z").unwrap();
    let snap = raw.snapshot(&BuildOptions { at_ms: Some(at), ..Default::default() }).unwrap();
    assert_eq!(format_utc(snap.time_ms), "2026-01-23T12:00:00Z", "the last snapshot at or before 12:30");
    for s in snap.slices.iter().filter(|s| s.t_years > 0.0) {
        assert!(matches!(s.forward_source, ForwardSource::ImpliedFromDeltas { .. }));
        // Deltas and mark IVs put every forward within 1 % of the others (BTC ≈ 89–90k that day).
        assert!((80_000.0..100_000.0).contains(&s.forward), "{}", s.forward);
        for q in &s.quotes {
            if let (Some(mine), Some(file)) = (q.delta, q.exchange_delta) {
                if q.mid.iv.is_none() {
                    assert!((mine - file).abs() < 0.02, "{}: delta {mine} vs file {file}", q.instrument);
                }
            }
        }
    }
    let too_early = raw.snapshot(&BuildOptions { at_ms: Some(parse_iso("2026-01-22").unwrap()), ..Default::default() });
    assert!(too_early.unwrap_err().to_string().contains("the file starts at 2026-01-23T01:00:00Z"));
}

#[test]
fn unknown_underlying_names_the_ones_available() {
    let Some(path) = data("deribit_btc_eth_20260102T162624Z.csv") else { return };
    let raw = load_path(&path, &LoadOptions::default()).unwrap();
    let err = raw.snapshot(&BuildOptions { underlying: Some("SOL".into()), ..Default::default() }).unwrap_err();
    assert_eq!(err.to_string(), "no quotes for underlying SOL; the file has: BTC, ETH");
}

#[test]
fn loading_one_underlying_skips_the_others_and_builds_the_same_chain() {
    let Some(path) = data("deribit_btc_eth_20260316T161206Z.csv") else { return };
    let all = load_path(&path, &LoadOptions::default()).unwrap();
    let eth_only = load_path(&path, &LoadOptions { underlying: Some("eth".into()), ..Default::default() }).unwrap();
    assert_eq!(eth_only.report.rows_read, all.report.rows_read);
    assert!(eth_only.report.rows_loaded < all.report.rows_loaded);
    assert!(eth_only.report.notes[0].ends_with("rows of other underlyings skipped (only eth was asked for)"));
    let options = BuildOptions { underlying: Some("ETH".into()), ..Default::default() };
    let (a, b) = (eth_only.snapshot(&options).unwrap(), all.snapshot(&options).unwrap());
    assert_eq!(a.time_ms, b.time_ms);
    assert!(a.slices == b.slices, "the ETH chain differs when BTC rows are skipped");
}
