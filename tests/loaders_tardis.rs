//! Tardis `options_chain` loader on files built from the real Deribit snapshots in `../shared/data`: every quote
//! of the snapshot is written as Tardis rows at three times (a stale update, the latest one, one after the
//! snapshot time), and the loader must give back exactly the latest-at-or-before rows, plain and gzipped.

mod common;

use common::tardis::{tardis_row, HEADER, SIZE};

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use volscope::io::{load_path, tardis, InputError, LoadOptions, RawChain, SourceFormat};
use volscope::market::{BuildOptions, PremiumCurrency, RawQuote, RowTimes, Snapshot};
use volscope::pricing::OptionKind;

const SNAPSHOT_FILE: &str = "deribit_btc_eth_20260316T050739Z.csv";
/// The sample row of the Tardis documentation (quoted in shared/data/README.md).
const README_ROW: &str = "deribit,BTC-9JUN20-9875-P,1591574399413000,1591574400196008,put,9875,1591689600000000,0.1,\
0.0295,0.0205,15.0,55.91,0.0235,15.0,68.94,0.02210436,62.89,SYN.BTC-9JUN20,9756.36,-0.61752,0.00103,2.24964,\
-53.05655,-0.22796";
/// 1-based column of `bid_price`.
const BID_COLUMN: usize = 10;

/// Which update of a quote a row is.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Update {
    /// Ten minutes before the snapshot, prices 10 % off.
    Stale,
    /// A minute before the snapshot: the real values.
    Latest,
    /// Five minutes after the snapshot (every other symbol), prices 10 % off.
    After,
}

/// A generated Tardis file and what it holds.
struct TardisFixture {
    /// The real quotes, one per instrument.
    quotes: Vec<RawQuote>,
    /// The snapshot time (the collector's), ms.
    at_ms: i64,
    /// The whole file.
    text: String,
    /// Per data row in file order: (quote index, update, timestamp µs).
    rows: Vec<(usize, Update, i64)>,
    /// The collector chain the quotes come from.
    source: RawChain,
}

impl TardisFixture {
    fn time_us(&self, update: Update, i: usize) -> i64 {
        let base = self.at_ms * 1000;
        let i = i as i64;
        match update {
            Update::Stale => base - 600_000_000 + i,
            Update::Latest => base - 60_000_000 + 10 * i,
            Update::After => base + 300_000_000 + i,
        }
    }

    /// 1-based file line of the row of quote `i` at `update`.
    fn line_of(&self, i: usize, update: Update) -> u64 {
        let pos = self.rows.iter().position(|&(q, u, _)| q == i && u == update).expect("the row exists");
        pos as u64 + 2
    }
}

fn build_fixture(shared: &Path) -> TardisFixture {
    let source =
        load_path(&shared.join("data").join(SNAPSHOT_FILE), &LoadOptions::default()).expect("the snapshot loads");
    let mut seen = HashSet::new();
    let quotes: Vec<RawQuote> = source.rows.iter().filter(|q| seen.insert(q.instrument.clone())).cloned().collect();
    let at_ms = source.file_time_ms.expect("the collector file has a time");
    let mut fixture = TardisFixture { quotes, at_ms, text: format!("{HEADER}\n"), rows: Vec::new(), source };
    for update in [Update::Stale, Update::Latest, Update::After] {
        for i in 0..fixture.quotes.len() {
            if update == Update::After && i % 2 == 1 {
                continue;
            }
            let ts = fixture.time_us(update, i);
            let row = tardis_row(&fixture.quotes[i], ts, if update == Update::Latest { 1.0 } else { 0.9 });
            fixture.text.push_str(&row);
            fixture.rows.push((i, update, ts));
        }
    }
    fixture
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-12 * x.abs().max(1.0),
        (None, None) => true,
        _ => false,
    }
}

/// The loaded quote must be the real one, read from its `Latest` row.
fn assert_same_quote(got: &RawQuote, want: &RawQuote, time_us: i64, line: u64) {
    let name = &want.instrument;
    assert_eq!((&got.instrument, &got.underlying), (name, &want.underlying));
    assert_eq!((got.expiry_ms, got.strike, got.kind), (want.expiry_ms, want.strike, want.kind), "{name}");
    assert_eq!((got.time_ms, got.line), (Some(time_us.div_euclid(1000)), line), "{name}");
    assert_eq!(got.premium_currency, PremiumCurrency::Coin, "{name}");
    assert_eq!((got.bid, got.ask, got.mark), (want.bid, want.ask, want.mark), "{name}");
    assert_eq!((got.bid_size, got.ask_size), (want.bid.map(|_| SIZE), want.ask.map(|_| SIZE)), "{name}");
    assert_eq!((got.open_interest, got.exchange_delta), (want.open_interest, want.exchange_delta), "{name}");
    assert!(close(got.exchange_iv.mark, want.exchange_iv.mark), "{name}: {:?} {:?}", got.exchange_iv, want.exchange_iv);
    assert_eq!((got.exchange_iv.bid, got.exchange_iv.ask), (None, None), "{name}");
    match want.forward {
        Some(f) => {
            assert_eq!((got.forward, &got.forward_name, got.index_price), (Some(f), &want.forward_name, None), "{name}")
        }
        None => {
            assert_eq!((got.forward, got.index_price), (want.index_price, want.index_price), "{name}");
            assert_eq!(got.forward_name.as_deref(), Some("index_price"), "{name}");
        }
    }
}

fn write_plain_and_gz(dir: &Path, text: &str) -> (PathBuf, PathBuf) {
    let plain = dir.join("options_chain.csv");
    std::fs::write(&plain, text).expect("write csv");
    let gz = dir.join("options_chain.csv.gz");
    let mut encoder =
        flate2::write::GzEncoder::new(std::fs::File::create(&gz).expect("create gz"), flate2::Compression::fast());
    encoder.write_all(text.as_bytes()).expect("write gz");
    encoder.finish().expect("finish gz");
    (plain, gz)
}

fn snapshot_at(chain: &RawChain, underlying: &str, at_ms: i64) -> Snapshot {
    let options = BuildOptions { underlying: Some(underlying.into()), at_ms: Some(at_ms), ..Default::default() };
    chain.snapshot(&options).expect("the snapshot builds")
}

#[test]
fn snapshot_at_t_is_the_latest_row_at_or_before_t() {
    let Some(shared) = common::shared_dir() else { return };
    let f = build_fixture(&shared);
    let chain = tardis::load(f.text.as_bytes(), Some(f.at_ms)).expect("loads");
    assert_eq!((chain.format, chain.row_times), (SourceFormat::TardisCsv, RowTimes::Updates));
    assert_eq!(chain.file_time_ms, Some(f.at_ms));
    assert_eq!(chain.rows.len(), f.quotes.len());
    assert_eq!((chain.report.rows_read, chain.report.rows_loaded), (f.rows.len(), f.quotes.len()));
    assert_eq!(chain.report.rejected_count(), 0, "{}", chain.report.describe());
    let after = f.rows.iter().filter(|r| r.1 == Update::After).count();
    assert!(
        chain.report.notes.iter().any(|n| n.starts_with(&format!("{after} rows after "))),
        "{:?}",
        chain.report.notes
    );
    for (i, want) in f.quotes.iter().enumerate() {
        let got = chain.rows.iter().find(|r| r.instrument == want.instrument).expect("every symbol is kept");
        assert_same_quote(got, want, f.time_us(Update::Latest, i), f.line_of(i, Update::Latest));
    }
    // Earlier: the stale rows; no time: the latest row of each symbol (after the snapshot for every other one).
    let stale_at = f.time_us(Update::Stale, f.quotes.len()) / 1000;
    let stale = tardis::load(f.text.as_bytes(), Some(stale_at)).expect("loads");
    assert!(stale.rows.iter().all(|r| r.time_ms.is_some_and(|t| t <= stale_at) && r.line <= f.quotes.len() as u64 + 1));
    assert_eq!(stale.rows.len(), f.quotes.len());
    let all = tardis::load(f.text.as_bytes(), None).expect("loads");
    let last_ms = f.rows.iter().map(|r| r.2).max().unwrap_or(0) / 1000;
    assert_eq!(all.file_time_ms, Some(last_ms));
    for (i, q) in f.quotes.iter().enumerate() {
        let update = if i % 2 == 0 { Update::After } else { Update::Latest };
        let got = all.rows.iter().find(|r| r.instrument == q.instrument).expect("kept");
        assert_eq!(got.line, f.line_of(i, update), "{}", q.instrument);
    }
}

#[test]
fn tardis_snapshot_matches_the_collector_snapshot() {
    let Some(shared) = common::shared_dir() else { return };
    let f = build_fixture(&shared);
    let chain = tardis::load(f.text.as_bytes(), Some(f.at_ms)).expect("loads");
    for underlying in ["BTC", "ETH"] {
        let got = snapshot_at(&chain, underlying, f.at_ms);
        let want = f
            .source
            .snapshot(&BuildOptions { underlying: Some(underlying.into()), ..Default::default() })
            .expect("builds");
        assert_eq!((got.time_ms, got.slices.len()), (want.time_ms, want.slices.len()), "{underlying}");
        for (gs, ws) in got.slices.iter().zip(&want.slices) {
            assert_eq!((gs.expiry_ms, gs.forward, gs.quotes.len()), (ws.expiry_ms, ws.forward, ws.quotes.len()));
            for (gq, wq) in gs.quotes.iter().zip(&ws.quotes) {
                assert_eq!((&gq.instrument, gq.status), (&wq.instrument, wq.status));
                assert_eq!((gq.bid.iv, gq.ask.iv, gq.mid.iv), (wq.bid.iv, wq.ask.iv, wq.mid.iv), "{}", gq.instrument);
            }
        }
    }
}

#[test]
fn list_times_reports_the_rows_times() {
    let Some(shared) = common::shared_dir() else { return };
    let f = build_fixture(&shared);
    let times = tardis::list_times(f.text.as_bytes()).expect("lists");
    let ms: Vec<i64> = f.rows.iter().map(|r| r.2.div_euclid(1000)).collect();
    assert_eq!(times.first_ms, ms.iter().copied().min());
    assert_eq!(times.last_ms, ms.iter().copied().max());
    assert_eq!((times.rows, times.unreadable_rows, times.sorted), (f.rows.len() as u64, 0, true));
    let mut minutes: BTreeMap<i64, u64> = BTreeMap::new();
    for t in &ms {
        *minutes.entry(t - t.rem_euclid(60_000)).or_default() += 1;
    }
    assert_eq!(times.minutes, minutes.into_iter().collect::<Vec<_>>());
    assert_eq!(times.hours().iter().map(|h| h.1).sum::<u64>(), f.rows.len() as u64);
    assert!(times.problems.is_empty());
}

#[test]
fn gzip_loads_through_load_path_identically() {
    let Some(shared) = common::shared_dir() else { return };
    let f = build_fixture(&shared);
    let dir = tempfile::tempdir().expect("tempdir");
    let (plain, gz) = write_plain_and_gz(dir.path(), &f.text);
    let options = LoadOptions { at_ms: Some(f.at_ms), ..Default::default() };
    let from_plain = load_path(&plain, &options).expect("plain loads");
    let from_gz = load_path(&gz, &options).expect("gz loads");
    let in_memory = tardis::load(f.text.as_bytes(), Some(f.at_ms)).expect("loads");
    assert_eq!(from_gz.format, SourceFormat::TardisCsv);
    for chain in [&from_plain, &from_gz] {
        assert_eq!(chain.rows, in_memory.rows);
        assert_eq!(chain.report, in_memory.report);
        assert_eq!(chain.file_time_ms, in_memory.file_time_ms);
    }
    // The loader also recognises gzip itself.
    let direct = tardis::load(std::fs::File::open(&gz).expect("open gz"), Some(f.at_ms)).expect("gz loads");
    assert_eq!(direct.rows, in_memory.rows);
    let times = tardis::list_times(std::fs::File::open(&gz).expect("open gz")).expect("lists");
    assert_eq!(times.rows, f.rows.len() as u64);
}

fn only_problem(chain: &RawChain) -> &InputError {
    assert_eq!(chain.report.problems.len(), 1, "{}", chain.report.describe());
    &chain.report.problems[0]
}

#[test]
fn truncated_last_line_is_rejected_with_line_and_column() {
    let Some(shared) = common::shared_dir() else { return };
    let f = build_fixture(&shared);
    let last = f.text.trim_end_matches('\n');
    let line_start = last.rfind('\n').expect("several lines") + 1;
    let fifth_comma = last[line_start..].match_indices(',').nth(4).expect("commas").0;
    let truncated = &last[..line_start + fifth_comma + 3]; // two characters into strike_price, no line break
    let chain = tardis::load(truncated.as_bytes(), None).expect("loads");
    let problem = only_problem(&chain);
    let fields = truncated.lines().last().expect("a last line").split(',').count();
    assert_eq!((problem.line, problem.column), (f.rows.len() as u64 + 1, Some(fields + 1)), "{problem}");
    assert!(problem.message.contains("truncated") && problem.message.contains("ends inside"), "{problem}");
    assert_eq!(chain.report.rejected.get("malformed row").map(Vec::len), Some(1));
    // The symbol of the cut row keeps its previous update.
    let (i, update, _) = *f.rows.last().expect("rows");
    assert_eq!(update, Update::After);
    let kept = chain.rows.iter().find(|r| r.instrument == f.quotes[i].instrument).expect("kept");
    assert_eq!(kept.line, f.line_of(i, Update::Latest));
}

#[test]
fn non_numeric_field_is_rejected_with_line_and_column() {
    let Some(shared) = common::shared_dir() else { return };
    let f = build_fixture(&shared);
    let i = f.quotes.iter().position(|q| q.bid.is_some()).expect("a quote with a bid");
    let line = f.line_of(i, Update::Latest);
    let mut lines: Vec<String> = f.text.lines().map(str::to_owned).collect();
    let mut fields: Vec<&str> = lines[line as usize - 1].split(',').collect();
    fields[BID_COLUMN - 1] = "abc";
    lines[line as usize - 1] = fields.join(",");
    let text = lines.join("\n") + "\n";
    let chain = tardis::load(text.as_bytes(), Some(f.at_ms)).expect("loads");
    let problem = only_problem(&chain);
    assert_eq!(
        (problem.line, problem.column, problem.column_name.as_deref()),
        (line, Some(BID_COLUMN), Some("bid_price"))
    );
    assert!(problem.message.contains("'abc' is not a number"), "{problem}");
    assert_eq!(chain.report.rejected.get("unreadable field"), Some(&vec![line]));
    let kept = chain.rows.iter().find(|r| r.instrument == f.quotes[i].instrument).expect("kept");
    assert_eq!(kept.line, f.line_of(i, Update::Stale), "the rejected update leaves the previous one");
    // A bad timestamp is located too (and the row is not read further).
    let bad_time = text.replacen(&format!(",{},", f.rows[0].2), ",16e14,", 1);
    let chain = tardis::load(bad_time.as_bytes(), Some(f.at_ms)).expect("loads");
    let problem = chain.report.problems.iter().find(|p| p.column == Some(3)).expect("timestamp problem");
    assert_eq!((problem.line, problem.column_name.as_deref()), (2, Some("timestamp")));
}

#[test]
fn readme_sample_row_parses_to_its_numbers() {
    let text = format!("{HEADER}\n{README_ROW}\n");
    let chain = tardis::load(text.as_bytes(), None).expect("loads");
    assert_eq!(chain.rows.len(), 1, "{}", chain.report.describe());
    let q = &chain.rows[0];
    assert_eq!(
        (&*q.instrument, &*q.underlying, q.kind, q.strike),
        ("BTC-9JUN20-9875-P", "BTC", OptionKind::Put, 9875.0)
    );
    assert_eq!((q.time_ms, q.expiry_ms, q.line), (Some(1_591_574_399_413), 1_591_689_600_000, 2));
    assert_eq!(chain.file_time_ms, Some(1_591_574_399_413));
    assert_eq!(q.premium_currency, PremiumCurrency::Coin);
    assert_eq!((q.bid, q.ask, q.mark), (Some(0.0205), Some(0.0235), Some(0.02210436)));
    assert_eq!((q.bid_size, q.ask_size, q.open_interest), (Some(15.0), Some(15.0), Some(0.1)));
    let ivs = [q.exchange_iv.bid, q.exchange_iv.ask, q.exchange_iv.mark];
    for (got, want) in ivs.iter().zip([0.5591, 0.6894, 0.6289]) {
        assert!(close(*got, Some(want)), "{got:?} vs {want}");
    }
    assert_eq!((q.forward, q.forward_name.as_deref(), q.index_price), (Some(9756.36), Some("SYN.BTC-9JUN20"), None));
    assert_eq!(q.exchange_delta, Some(-0.61752));
    // Bybit and Binance premiums are in the quote currency; zero IVs mean none.
    let linear = README_ROW.replacen("deribit", "bybit-options", 1).replace(",55.91,", ",0,");
    let chain = tardis::load(format!("{HEADER}\n{linear}\n").as_bytes(), None).expect("loads");
    assert_eq!((chain.rows[0].premium_currency, chain.rows[0].exchange_iv.bid), (PremiumCurrency::Quote, None));
}
