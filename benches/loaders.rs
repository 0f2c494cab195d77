//! Loader throughput.
//!
//! - `snapshot/deribit_btc`: parse + normalise + implied vols of one whole real Deribit snapshot
//!   (`../shared/data/deribit_btc_eth_20260316T050739Z.csv`, 962 BTC quotes, read into memory once; BTC only).
//!   Skipped with a message when `../shared` is absent. `…/load_only` and `…/build_only` time the two halves.
//!   `snapshot/deribit_btc_628`: the same on the 2026-01-02 snapshot (628 BTC quotes, the "≈ 700 quotes" size).
//! - `tardis/stream/*`: [`volscope::io::tardis::load`] on a generated Tardis `options_chain` file of ≥ 200 MB
//!   (≈ 1,500 symbols, seeded, written on first use into a temporary directory and deleted afterwards), reported
//!   in bytes per second of uncompressed CSV. `mid_day`: snapshot at 18:00 of 24 h (rows after it skipped by timestamp);
//!   `end_of_day`: every row parsed; `list_times`: timestamps only.

use std::fs::File;
use std::hint::black_box;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use volscope::io::{load_bytes, tardis, LoadOptions};
use volscope::market::BuildOptions;

/// Real snapshot used by `snapshot/deribit_btc`.
const SNAPSHOT_FILE: &str = "deribit_btc_eth_20260316T050739Z.csv";
/// Smaller real snapshot used by `snapshot/deribit_btc_628`.
const SMALL_SNAPSHOT_FILE: &str = "deribit_btc_eth_20260102T162624Z.csv";
/// Size the generated Tardis file reaches at least.
const TARDIS_BYTES: u64 = 210 << 20;
/// Start of the generated day, µs (2026-03-16T00:00:00Z).
const DAY_START_US: i64 = 1_773_619_200_000_000;
const DAY_US: i64 = 86_400_000_000;

fn bench_snapshot(c: &mut Criterion) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data").join(SNAPSHOT_FILE);
    let Ok(bytes) = std::fs::read(&path) else {
        eprintln!("snapshot/deribit_btc SKIPPED: {} is absent", path.display());
        return;
    };
    let build = BuildOptions { underlying: Some("BTC".into()), ..Default::default() };
    // As `volscope quotes --underlying BTC` does: the ETH rows are skipped before their numbers are parsed.
    let load = LoadOptions { underlying: Some("BTC".into()), ..Default::default() };
    let mut group = c.benchmark_group("snapshot");
    group.sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    group.throughput(Throughput::Elements(1));
    group.bench_function("deribit_btc", |b| {
        b.iter(|| {
            let raw = load_bytes(black_box(&bytes), SNAPSHOT_FILE, &load).expect("the snapshot loads");
            black_box(raw.snapshot(&build).expect("the BTC snapshot builds"))
        })
    });
    // The two halves: parsing the CSV (BTC rows of ≈ 1,800) and normalising BTC (forwards, IVs, statuses).
    group.bench_function("deribit_btc/load_only", |b| {
        b.iter(|| black_box(load_bytes(black_box(&bytes), SNAPSHOT_FILE, &load).expect("the snapshot loads")))
    });
    let raw = load_bytes(&bytes, SNAPSHOT_FILE, &load).expect("the snapshot loads");
    group.bench_function("deribit_btc/build_only", |b| {
        b.iter(|| black_box(raw.snapshot(black_box(&build)).expect("the BTC snapshot builds")))
    });
    let small = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data").join(SMALL_SNAPSHOT_FILE);
    if let Ok(small_bytes) = std::fs::read(&small) {
        group.bench_function("deribit_btc_628", |b| {
            b.iter(|| {
                let raw = load_bytes(black_box(&small_bytes), SMALL_SNAPSHOT_FILE, &load).expect("the snapshot loads");
                black_box(raw.snapshot(&build).expect("the BTC snapshot builds"))
            })
        });
    }
    group.finish();
}

fn bench_tardis(c: &mut Criterion) {
    // Generated on first use only, so that a filtered run (`-- snapshot`) does not write 200 MB.
    let file: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let path = || {
        &file
            .get_or_init(|| {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let path = dir.path().join("options_chain.csv");
                write_tardis_file(&path).expect("the generated Tardis file is written");
                (dir, path)
            })
            .1
    };
    let open = || File::open(path()).expect("the generated file opens");
    let mid_day_ms = (DAY_START_US + DAY_US * 3 / 4) / 1000;
    let mut group = c.benchmark_group("tardis/stream");
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Bytes(TARDIS_BYTES));
    group.bench_function("mid_day", |b| b.iter(|| black_box(tardis::load(open(), Some(mid_day_ms)).expect("loads"))));
    group.bench_function("end_of_day", |b| b.iter(|| black_box(tardis::load(open(), None).expect("loads"))));
    group.bench_function("list_times", |b| b.iter(|| black_box(tardis::list_times(open()).expect("lists"))));
    group.finish();
}

/// SplitMix64 → uniform in [0, 1).
fn uniform(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

/// One generated instrument.
struct Symbol {
    name: String,
    call: bool,
    strike: f64,
    expiry_us: i64,
    forward: f64,
    forward_name: String,
}

/// BTC and ETH, 10 expiries each, 38 strikes, calls and puts: 1,520 symbols.
fn symbols() -> Vec<Symbol> {
    const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    let expiries = [(17, 3), (18, 3), (19, 3), (20, 3), (27, 3), (3, 4), (24, 4), (29, 5), (26, 6), (25, 9)];
    let mut out = Vec::new();
    for (coin, spot, step) in [("BTC", 73_800.0, 2_000.0), ("ETH", 2_100.0, 50.0)] {
        for (n, &(day, month)) in expiries.iter().enumerate() {
            let code = format!("{day}{}26", MONTHS[month - 1]);
            let expiry_us = DAY_START_US + (n as i64 + 1) * 3 * DAY_US + 8 * 3_600_000_000;
            let forward = spot * (1.0 + 0.004 * n as f64);
            let forward_name = if n < 2 { "index_price".to_owned() } else { format!("SYN.{coin}-{code}") };
            for k in 0..38 {
                let strike = (spot / step).round() * step + (k as f64 - 19.0) * step;
                for call in [true, false] {
                    let kind = if call { "C" } else { "P" };
                    let name = format!("{coin}-{code}-{strike}-{kind}");
                    out.push(Symbol { name, call, strike, expiry_us, forward, forward_name: forward_name.clone() });
                }
            }
        }
    }
    out
}

/// Writes sorted quote updates over one day, then blank lines (which loaders skip) to make the file exactly
/// [`TARDIS_BYTES`] long, so that the throughput is known before the file exists.
fn write_tardis_file(path: &Path) -> std::io::Result<()> {
    const MAX_ROW: u64 = 400;
    let symbols = symbols();
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let header = "exchange,symbol,timestamp,local_timestamp,type,strike_price,expiration,open_interest,last_price,\
                  bid_price,bid_amount,bid_iv,ask_price,ask_amount,ask_iv,mark_price,mark_iv,underlying_index,\
                  underlying_price,delta,gamma,vega,theta,rho\n";
    out.write_all(header.as_bytes())?;
    let mut state = 20_260_316u64;
    let rows_estimate = TARDIS_BYTES / 200;
    let (mut written, mut i) = (header.len() as u64, 0u64);
    while written + MAX_ROW < TARDIS_BYTES {
        let ts = DAY_START_US + (i as i64 * DAY_US) / rows_estimate as i64;
        let s = &symbols[(uniform(&mut state) * symbols.len() as f64) as usize % symbols.len()];
        written += write_row(&mut out, s, ts, &mut state)?;
        i += 1;
    }
    out.write_all(&vec![b'\n'; (TARDIS_BYTES - written) as usize])?;
    out.flush()?;
    assert_eq!(std::fs::metadata(path)?.len(), TARDIS_BYTES, "the generated file has the announced size");
    Ok(())
}

/// One realistic row (coin prices, percent IVs, Greeks); returns the bytes written.
fn write_row(out: &mut impl Write, s: &Symbol, ts: i64, state: &mut u64) -> std::io::Result<u64> {
    let drift = 1.0 + 0.01 * (uniform(state) - 0.5);
    let forward = s.forward * drift;
    let moneyness = (s.strike / forward).ln();
    let iv = 45.0 + 40.0 * moneyness * moneyness + 5.0 * uniform(state);
    let intrinsic = if s.call { (forward - s.strike).max(0.0) } else { (s.strike - forward).max(0.0) } / forward;
    let mark = intrinsic + 0.02 * (-4.0 * moneyness.abs()).exp() + 0.0001;
    let bid = if uniform(state) < 0.1 { String::new() } else { format!("{:.4}", (mark * 0.97).max(0.0001)) };
    let delta = if s.call { 0.5 - 2.0 * moneyness } else { -0.5 - 2.0 * moneyness }.clamp(-1.0, 1.0);
    let line = format!(
        "deribit,{},{ts},{},{},{},{},{:.1},{:.4},{bid},{:.1},{:.2},{:.4},{:.1},{:.2},{:.8},{:.2},{},{:.2},{:.5},{:.5},{:.5},{:.5},{:.5}\n",
        s.name,
        ts + 150_000 + (uniform(state) * 100_000.0) as i64,
        if s.call { "call" } else { "put" },
        s.strike,
        s.expiry_us,
        1000.0 * uniform(state),
        mark,
        10.0 * uniform(state),
        iv - 2.0,
        mark * 1.03 + 0.0001,
        10.0 * uniform(state),
        iv + 2.0,
        mark,
        iv,
        s.forward_name,
        forward,
        delta,
        0.00001 + 0.0001 * uniform(state),
        50.0 * uniform(state),
        -30.0 * uniform(state),
        delta * 0.3,
    );
    out.write_all(line.as_bytes())?;
    Ok(line.len() as u64)
}

criterion_group!(benches, bench_snapshot, bench_tardis);
criterion_main!(benches);
