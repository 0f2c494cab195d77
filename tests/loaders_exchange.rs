//! Exchange loaders: OKX, Bybit and Binance JSON, the Binance marks CSV and the CBOE export.
//!
//! Each small file in tests/data/exchange/ was built by `generate.py` there from the exchanges' documented field
//! names, with Black-76 prices on a per-expiry forward and the vols implied back from the rounded prices (so the
//! vols in a file are what the exchange would publish). Each holds a no-bid row, a "0"/−1 sentinel, a crossed
//! quote and one malformed value. The files are loaded with `load_path` (format detected from content), the
//! report is checked, then the snapshot: expiries, forwards and their source, premium currency, IVs against the
//! file's own IVs, and the sentinel rows' statuses. The two real files in ../shared/data are checked for counts
//! and (CBOE) for agreement with CBOE's own IV column.

mod common;

use std::path::{Path, PathBuf};

use volscope::io::{load_path, LoadOptions, RawChain, SourceFormat};
use volscope::market::time::utc_ms;
use volscope::market::{BuildOptions, ForwardSource, PremiumCurrency, Quote, QuoteStatus, Snapshot};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/exchange").join(name)
}

fn load(path: &Path, format: SourceFormat) -> RawChain {
    let raw = load_path(path, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(raw.format, format, "{}", path.display());
    raw
}

fn snapshot(raw: &RawChain) -> Snapshot {
    raw.snapshot(&BuildOptions::default()).unwrap_or_else(|e| panic!("{e}\n{}", raw.report.describe()))
}

fn quote<'a>(s: &'a Snapshot, instrument: &str) -> &'a Quote {
    s.slices
        .iter()
        .flat_map(|sl| &sl.quotes)
        .find(|q| &*q.instrument == instrument)
        .unwrap_or_else(|| panic!("{instrument}"))
}

fn all_quotes(s: &Snapshot) -> impl Iterator<Item = &Quote> {
    s.slices.iter().flat_map(|sl| &sl.quotes)
}

/// Rejected row/record numbers by reason, as (reason, numbers).
fn rejected(raw: &RawChain) -> Vec<(String, Vec<u64>)> {
    raw.report.rejected.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// Largest |implied − exchange| in vol points over the sides where the file gives both a price and an IV
/// (out-of-the-money quotes only with `otm_only`).
fn max_side_error(s: &Snapshot, otm_only: bool) -> (f64, usize) {
    let mut worst = (0.0f64, 0usize);
    for q in all_quotes(s).filter(|q| q.status != QuoteStatus::Crossed && (q.is_otm() || !otm_only)) {
        for (side, file_iv) in [(&q.bid, q.exchange_iv.bid), (&q.ask, q.exchange_iv.ask)] {
            if let (Some(mine), Some(theirs)) = (side.iv, file_iv) {
                worst = (worst.0.max(100.0 * (mine - theirs).abs()), worst.1 + 1);
            }
        }
    }
    worst
}

fn assert_expiries_at_8_utc(s: &Snapshot, dates: &[(i64, u32, u32)]) {
    let expiries: Vec<i64> = s.slices.iter().map(|sl| sl.expiry_ms).collect();
    let expected: Vec<i64> = dates.iter().map(|&(y, m, d)| utc_ms(y, m, d, 8, 0, 0)).collect();
    assert_eq!(expiries, expected);
}

#[test]
fn okx_summary_and_tickers_joined() {
    let raw = load(&data("okx_btc_summary_tickers.json"), SourceFormat::OkxJson);
    let r = &raw.report;
    assert_eq!((r.rows_read, r.rows_loaded, r.rejected_count()), (48, 24, 1), "{}", r.describe());
    assert_eq!(rejected(&raw), vec![("unreadable field (tickers)".to_owned(), vec![18])]);
    assert!(r.problems[0].message.contains("record 18 (BTC-USD-250131-90000-P), field \"bidSz\""), "{:?}", r.problems);
    assert_eq!(raw.file_time_ms, Some(utc_ms(2024, 12, 20, 3, 0, 0)));

    let s = snapshot(&raw);
    assert_eq!((s.underlying.as_str(), s.premium_currency), ("BTC", PremiumCurrency::Coin));
    assert_expiries_at_8_utc(&s, &[(2024, 12, 21), (2024, 12, 27), (2025, 1, 31)]);
    for (slice, f) in s.slices.iter().zip([97450.0, 97700.0, 98600.0]) {
        assert_eq!((slice.forward, slice.forward_source.label()), (f, "exchange"));
    }
    let (worst, n) = max_side_error(&s, false);
    println!("OKX: {n} sides with a price and an IV, worst |implied − bidVol/askVol| = {worst:.4} vol pts");
    assert!(n >= 40 && worst < 0.5, "{worst} over {n}");
    let atm = quote(&s, "BTC-USD-241227-97000-C");
    assert!((atm.bid.price_usd.unwrap() - atm.bid.price.unwrap() * 97700.0).abs() < 1e-6, "coin × forward = USD");
    assert_eq!(quote(&s, "BTC-USD-241221-98000-P").status, QuoteStatus::NoBid);
    assert_eq!(quote(&s, "BTC-USD-241227-104000-C").status, QuoteStatus::NoAsk);
    assert_eq!(quote(&s, "BTC-USD-250131-100000-C").status, QuoteStatus::Crossed);
    // The rejected tickers record leaves the opt-summary vols: sides priced at OKX's own vols.
    let vols_only = quote(&s, "BTC-USD-250131-90000-P");
    assert_eq!(vols_only.bid.iv, vols_only.exchange_iv.bid);
    assert!(vols_only.bid.price_coin.is_some() && vols_only.exchange_iv.mark.is_some());
}

#[test]
fn okx_single_responses() {
    let text = std::fs::read_to_string(data("okx_btc_summary_tickers.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let summary = serde_json::to_vec(&doc["summary"]).unwrap();
    let raw = volscope::io::load_bytes(&summary, "summary.json", &LoadOptions::default()).unwrap();
    assert_eq!((raw.format, raw.report.rows_loaded, raw.report.rejected_count()), (SourceFormat::OkxJson, 24, 0));
    assert!(raw.report.notes.iter().any(|n| n.contains("opt-summary only")), "{:?}", raw.report.notes);
    let s = snapshot(&raw);
    assert_eq!(quote(&s, "BTC-USD-241221-98000-P").status, QuoteStatus::NoBid);

    let tickers = serde_json::to_vec(&doc["tickers"]).unwrap();
    let raw = volscope::io::load_bytes(&tickers, "tickers.json", &LoadOptions::default()).unwrap();
    assert_eq!((raw.report.rows_loaded, raw.report.rejected_count()), (23, 1));
    assert!(raw.report.notes.iter().any(|n| n.contains("tickers only")), "{:?}", raw.report.notes);
    let s = snapshot(&raw);
    let labels: Vec<&str> = s.slices.iter().map(|sl| sl.forward_source.label()).collect();
    println!(
        "OKX tickers only: forward sources {labels:?}, forwards {:?}",
        s.slices.iter().map(|sl| sl.forward).collect::<Vec<_>>()
    );
    assert_eq!(labels[..2], ["parity", "parity"], "tickers alone: parity forwards");
    assert!((s.slices[0].forward / 97450.0 - 1.0).abs() < 2e-3, "{}", s.slices[0].forward);

    let error = br#"{"code":"51001","msg":"Instrument ID does not exist","data":[]}"#;
    let e = volscope::io::okx::load(&error[..]).unwrap_err().to_string();
    assert!(e.contains("code 51001") && e.contains("does not exist"), "{e}");
}

#[test]
fn bybit_option_tickers() {
    let raw = load(&data("bybit_btc_tickers.json"), SourceFormat::BybitJson);
    let r = &raw.report;
    assert_eq!((r.rows_read, r.rows_loaded, r.rejected_count()), (24, 23, 1), "{}", r.describe());
    assert_eq!(rejected(&raw), vec![("unreadable field".to_owned(), vec![18])]);
    assert!(r.problems[0].message.contains("record 18 (BTC-31JAN25-90000-P), field \"markPrice\": '12O5.5'"));
    assert_eq!(raw.file_time_ms, Some(utc_ms(2024, 12, 20, 3, 0, 0) + 123));

    let s = snapshot(&raw);
    assert_eq!(
        (s.underlying.as_str(), s.premium_currency, s.index_price),
        ("BTC", PremiumCurrency::Quote, Some(97300.0))
    );
    assert_expiries_at_8_utc(&s, &[(2024, 12, 21), (2024, 12, 27), (2025, 1, 31)]);
    for (slice, f) in s.slices.iter().zip([97430.0, 97680.0, 98580.0]) {
        // underlyingPrice, or the forward the marks were priced on (equal to it up to the marks' rounding).
        assert!(["exchange", "marks"].contains(&slice.forward_source.label()), "{:?}", slice.forward_source);
        assert!((slice.forward / f - 1.0).abs() < 1e-5, "{} vs {f}", slice.forward);
    }
    let (worst, n) = max_side_error(&s, false);
    println!("Bybit: {n} sides with a price and an IV, worst |implied − bid1Iv/ask1Iv| = {worst:.4} vol pts");
    assert!(n >= 38 && worst < 0.5, "{worst} over {n}");
    for q in all_quotes(&s) {
        if let (Some(mine), Some(theirs)) = (q.mark.iv, q.exchange_iv.mark) {
            assert!((mine - theirs).abs() < 0.005, "{}: mark iv {mine} vs markIv {theirs}", q.instrument);
        }
    }
    let no_bid = quote(&s, "BTC-21DEC24-98000-P");
    assert_eq!((no_bid.status, no_bid.exchange_iv.bid, no_bid.bid_size), (QuoteStatus::NoBid, None, None));
    assert_eq!(quote(&s, "BTC-27DEC24-104000-C").status, QuoteStatus::NoQuote);
    assert_eq!(quote(&s, "BTC-31JAN25-100000-C").status, QuoteStatus::Crossed);
}

#[test]
fn binance_mark_and_ticker_joined() {
    let raw = load(&data("binance_eth_mark_ticker.json"), SourceFormat::BinanceEapiJson);
    let r = &raw.report;
    assert_eq!((r.rows_read, r.rows_loaded, r.rejected_count()), (48, 24, 1), "{}", r.describe());
    assert_eq!(rejected(&raw), vec![("unreadable field (mark)".to_owned(), vec![18])]);
    assert!(r.problems[0].message.contains("record 18 (ETH-250627-2000-P), field \"markIV\""));
    let close = utc_ms(2025, 5, 16, 2, 22, 0);
    assert_eq!(raw.file_time_ms, Some(close), "the latest closeTime");
    assert!(r.notes.iter().any(|n| n.contains("closeTime")), "{:?}", r.notes);

    let s = snapshot(&raw);
    assert_eq!(
        (s.underlying.as_str(), s.premium_currency, s.index_price),
        ("ETH", PremiumCurrency::Quote, Some(2550.0))
    );
    assert_expiries_at_8_utc(&s, &[(2025, 5, 17), (2025, 5, 23), (2025, 6, 27)]);
    for slice in &s.slices {
        let expected = 2550.0 * (0.03 * (slice.expiry_ms - close) as f64 / (365.0 * 86_400_000.0)).exp();
        // S·e^(rT), or the forward the marks were priced on: K + (C − P) of discounted marks, within D·(F − K).
        assert!((slice.forward / expected - 1.0).abs() < 1e-3, "{} vs {expected}", slice.forward);
        assert!(
            matches!(&slice.forward_source,
            ForwardSource::Exchange { name: Some(n) } | ForwardSource::ExchangeMarks { name: Some(n), .. }
            if n.contains("e^(rT)")),
            "{:?}",
            slice.forward_source
        );
    }
    // Binance's IVs are Black-Scholes at rate r (discounted premiums); the normaliser inverts undiscounted
    // Black-76, which moves deep in-the-money vols by up to ~1 vol pt at r = 3 %: compare out of the money.
    let (worst_all, n_all) = max_side_error(&s, false);
    let (worst, n) = max_side_error(&s, true);
    println!(
        "Binance eapi: worst |implied − bidIV/askIV| = {worst:.4} vol pts over {n} OTM sides ({worst_all:.4} over all \
         {n_all})"
    );
    assert!(n >= 15 && worst < 0.5, "{worst} over {n}");
    let minus_one = quote(&s, "ETH-250517-2600-P");
    assert_eq!((minus_one.status, minus_one.exchange_iv.bid, minus_one.bid.price), (QuoteStatus::NoBid, None, None));
    let zero = quote(&s, "ETH-250523-2800-C");
    assert_eq!((zero.status, zero.exchange_iv.bid), (QuoteStatus::NoBid, None));
    assert_eq!(quote(&s, "ETH-250627-2600-C").status, QuoteStatus::Crossed);
    let no_mark_record = quote(&s, "ETH-250627-2000-P");
    assert_eq!((no_mark_record.exchange_iv.mark, no_mark_record.status), (None, QuoteStatus::Ok));
}

#[test]
fn binance_time_rules() {
    let text = std::fs::read_to_string(data("binance_eth_mark_ticker.json")).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    // serverTime wins over closeTime.
    doc["serverTime"] = serde_json::json!(utc_ms(2025, 5, 16, 2, 23, 5));
    let bytes = serde_json::to_vec(&doc).unwrap();
    let raw = volscope::io::load_bytes(&bytes, "joined.json", &LoadOptions::default()).unwrap();
    assert_eq!(raw.file_time_ms, Some(utc_ms(2025, 5, 16, 2, 23, 5)));
    // The bare /eapi/v1/mark array: no time anywhere, said in a note, and the build refuses clearly.
    let marks = serde_json::to_vec(&doc["mark"]).unwrap();
    let raw = volscope::io::load_bytes(&marks, "mark.json", &LoadOptions::default()).unwrap();
    assert_eq!((raw.format, raw.file_time_ms, raw.report.rows_loaded), (SourceFormat::BinanceEapiJson, None, 23));
    assert!(raw.report.notes.iter().any(|n| n.contains("no snapshot time")), "{:?}", raw.report.notes);
    assert!(raw.snapshot(&BuildOptions::default()).unwrap_err().to_string().contains("no snapshot time"));
}

#[test]
fn binance_marks_csv() {
    let raw = load(&data("binance_btc_marks.csv"), SourceFormat::BinanceMarksCsv);
    let r = &raw.report;
    assert_eq!((r.rows_read, r.rows_loaded, r.rejected_count()), (16, 14, 2), "{}", r.describe());
    assert_eq!(rejected(&raw), vec![("malformed row".to_owned(), vec![10]), ("unreadable field".to_owned(), vec![6])]);
    assert_eq!((r.problems[0].line, r.problems[0].column_name.as_deref()), (6, Some("Mark Price")));
    assert_eq!(raw.file_time_ms, Some(utc_ms(2025, 5, 16, 0, 0, 0)), "end of the Date");
    for needle in ["no bid/ask: marks only", "no forward", "snapshot time"] {
        assert!(r.notes.iter().any(|n| n.contains(needle)), "{needle}: {:?}", r.notes);
    }
    let s = snapshot(&raw);
    assert_eq!((s.premium_currency, s.index_price), (PremiumCurrency::Quote, Some(103750.0)));
    assert_expiries_at_8_utc(&s, &[(2025, 5, 16), (2025, 5, 17)]);
    assert!(s.slices.iter().all(|sl| sl.forward == 103750.0 && sl.forward_source == ForwardSource::Index));
    // Marks were priced at sigma = atm − 0.15k + 1.2k² on the spot: near the money the mark IVs give it back.
    for (slice, atm) in s.slices.iter().zip([0.40, 0.42]) {
        for q in slice.quotes.iter().filter(|q| q.k.abs() < 0.02) {
            let expected = atm - 0.15 * q.k + 1.2 * q.k * q.k;
            let iv = q.mark.iv.unwrap_or(f64::NAN);
            assert!((iv - expected).abs() < 0.005, "{}: {iv} vs {expected}", q.instrument);
            assert_eq!(q.status, QuoteStatus::NoQuote, "marks only: no bid, no ask");
        }
    }
}

#[test]
fn cboe_small_export() {
    let raw = load(&data("cboe_spx_quotedata.csv"), SourceFormat::CboeCsv);
    let r = &raw.report;
    assert_eq!((r.rows_read, r.rows_loaded, r.rejected_count()), (25, 49, 1), "{}", r.describe());
    assert_eq!(rejected(&raw), vec![("unreadable field (call)".to_owned(), vec![15])]);
    assert_eq!((r.problems[0].line, r.problems[0].column), (15, Some(5)), "{}", r.problems[0]);
    // Exported Sunday 10:42 PM EDT: the quotes are Friday's close, 16:15 EDT.
    assert_eq!(raw.file_time_ms, Some(utc_ms(2023, 8, 18, 20, 15, 0)));
    assert!(r.notes.iter().any(|n| n.contains("2023-08-21T02:42:00Z") && n.contains("close")), "{:?}", r.notes);

    let s = snapshot(&raw);
    assert_eq!(
        (s.underlying.as_str(), s.premium_currency, s.index_price),
        ("SPX", PremiumCurrency::Quote, Some(4369.71))
    );
    let expiries: Vec<i64> = s.slices.iter().map(|sl| sl.expiry_ms).collect();
    let expected = [
        utc_ms(2023, 8, 18, 13, 30, 0), // SPX, AM-settled: 09:30 EDT
        utc_ms(2023, 8, 18, 20, 0, 0),  // SPXW, PM-settled: 16:00 EDT
        utc_ms(2023, 8, 21, 20, 0, 0),
        utc_ms(2023, 9, 15, 13, 30, 0),
        utc_ms(2023, 9, 15, 20, 0, 0),
    ];
    assert_eq!(expiries, expected);
    assert!(s.slices[..2].iter().flat_map(|sl| &sl.quotes).all(|q| q.status == QuoteStatus::Expired));
    assert_eq!(s.slices[..2].iter().map(|sl| sl.quotes.len()).sum::<usize>(), 20, "expired rows kept");
    for (slice, f) in s.slices[2..].iter().zip([4372.0, 4383.5, 4384.0]) {
        assert_eq!(slice.forward_source.label(), "parity");
        assert!((slice.forward - f).abs() < 0.5, "{} vs {f}", slice.forward);
    }
    assert_eq!(quote(&s, "SPX230915P04400000").status, QuoteStatus::Crossed);
    let no_bid = quote(&s, "SPXW230915P04300000");
    assert_eq!((no_bid.status, no_bid.exchange_iv.mark), (QuoteStatus::NoBid, None));
    let mut n = 0;
    for q in all_quotes(&s).filter(|q| q.status == QuoteStatus::Ok && q.mid.price.is_some_and(|p| p > 1.0)) {
        let (mine, cboe) = (q.mid.iv.unwrap(), q.exchange_iv.mark.unwrap());
        assert!((mine - cboe).abs() < 0.005, "{}: mid iv {mine} vs CBOE {cboe}", q.instrument);
        n += 1;
    }
    assert!(n >= 20, "{n}");
}

#[test]
fn cboe_real_export() {
    let Some(shared) = common::shared_dir() else { return };
    let raw = load(&shared.join("data/cboe_spx_quotedata_20230820.csv"), SourceFormat::CboeCsv);
    let r = &raw.report;
    assert_eq!((r.rows_read, r.rows_loaded, r.rejected_count()), (10_171, 20_342, 0), "{}", r.describe());
    assert_eq!(raw.file_time_ms, Some(utc_ms(2023, 8, 18, 20, 15, 0)), "Friday's close");
    let s = snapshot(&raw);
    assert_eq!((s.underlying.as_str(), s.quote_count()), ("SPX", 20_342));
    let mut dates: Vec<i64> = s.slices.iter().map(|sl| sl.expiry_ms.div_euclid(86_400_000)).collect();
    dates.dedup();
    assert_eq!((dates.len(), s.slices.len()), (50, 56), "50 dates; 6 of them have an SPX (AM) and an SPXW (PM) slice");
    let expired: Vec<&Quote> = all_quotes(&s).filter(|q| q.status == QuoteStatus::Expired).collect();
    assert_eq!(expired.len(), 2 * 2 * 369, "the 2023-08-18 SPX and SPXW rows, kept and marked expired");
    assert!(expired.iter().all(|q| q.instrument.contains("230818")));

    let mut diffs: Vec<f64> = all_quotes(&s)
        .filter(|q| q.status == QuoteStatus::Ok)
        .filter_map(|q| Some(100.0 * (q.mid.iv? - q.exchange_iv.mark?)))
        .collect();
    let two_sided = all_quotes(&s).filter(|q| q.status == QuoteStatus::Ok).count();
    diffs.sort_by(f64::total_cmp);
    let mut abs: Vec<f64> = diffs.iter().map(|d| d.abs()).collect();
    abs.sort_by(f64::total_cmp);
    let at = |v: &[f64], p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    let within = |x: f64| abs.iter().filter(|d| **d <= x).count() as f64 / abs.len() as f64;
    println!(
        "CBOE: {two_sided} usable quotes, {} with a CBOE IV; mid IV − CBOE IV (vol pts): median {:+.3}, median |·| \
         {:.3}, p90 |·| {:.3}; within 0.5 pt {:.1} %, within 1 pt {:.1} %",
        abs.len(),
        at(&diffs, 0.5),
        at(&abs, 0.5),
        at(&abs, 0.9),
        100.0 * within(0.5),
        100.0 * within(1.0)
    );
    println!("statuses: {:?}", s.status_counts());
    assert!(abs.len() > 5000, "{}", abs.len());
    assert!(at(&abs, 0.5) < 0.25 && within(1.0) > 0.8, "most two-sided quotes agree with CBOE's IV");
}

#[test]
fn binance_marks_real_file() {
    let Some(shared) = common::shared_dir() else { return };
    let mut raw = load(&shared.join("data/binance_btc_marks_20250516.csv"), SourceFormat::BinanceMarksCsv);
    let r = &raw.report;
    assert_eq!((r.rows_read, r.rows_loaded, r.rejected_count()), (104, 104, 0), "{}", r.describe());
    assert_eq!(raw.file_time_ms, Some(utc_ms(2025, 5, 16, 0, 0, 0)));
    let s = snapshot(&raw);
    assert_expiries_at_8_utc(&s, &[(2025, 5, 16), (2025, 5, 17), (2025, 5, 18)]);
    assert_eq!(s.slices.iter().map(|sl| sl.quotes.len()).collect::<Vec<_>>(), vec![58, 26, 20]);
    assert!(s.slices.iter().all(|sl| sl.forward == 103746.03 && sl.forward_source == ForwardSource::Index));
    // How much the unknown clock time matters: ATM mark IVs at the rule's time and at the README's ≈ 02:22.
    let atm_ivs = |s: &Snapshot| -> Vec<f64> {
        s.slices
            .iter()
            .map(|sl| {
                let q = sl.quotes.iter().filter(|q| q.is_otm()).min_by(|a, b| a.k.abs().total_cmp(&b.k.abs()));
                q.and_then(|q| q.mark.iv).unwrap_or(f64::NAN)
            })
            .collect()
    };
    let at_rule = atm_ivs(&s);
    raw.file_time_ms = Some(utc_ms(2025, 5, 16, 2, 22, 0));
    let at_readme = atm_ivs(&snapshot(&raw));
    println!("Binance marks: nearest-ATM OTM mark IVs at 00:00 UTC {at_rule:.3?}, at 02:22 UTC {at_readme:.3?}");
    assert!(at_rule.iter().chain(&at_readme).all(|v| v.is_finite() && (0.1..1.5).contains(v)));
}
