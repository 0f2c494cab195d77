//! Loads with progress and cancellation, and the snapshot times a file offers: progress reaches the file's size
//! (compressed size for gzip), a cancelled load says so (before it starts, or from another thread mid-way
//! through a large generated Tardis file), and multi-snapshot files list their times.

mod common;

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use volscope::io::{
    list_snapshot_times_path, list_snapshot_times_path_with_progress, load_path, load_path_with_progress,
    snapshot_times, LoadError, LoadOptions, LoadProgress, SourceFormat,
};

const HOURLY_FILE: &str = "deribit_btc_iv_hourly_20260123.csv";
const SNAPSHOT_FILE: &str = "deribit_btc_eth_20260316T050739Z.csv";
const HEADER: &str = "exchange,symbol,timestamp,local_timestamp,type,strike_price,expiration,open_interest,last_price,\
bid_price,bid_amount,bid_iv,ask_price,ask_amount,ask_iv,mark_price,mark_iv,underlying_index,underlying_price,delta,\
gamma,vega,theta,rho";
/// 2026-03-16T00:00:00Z in µs.
const DAY_START_US: i64 = 1_773_619_200_000_000;
const HOUR_US: i64 = 3_600_000_000;
/// 2026-03-27T08:00:00Z in µs (the generated options' expiry).
const EXPIRY_US: i64 = 1_774_598_400_000_000;
/// Strikes (one call each) the generated rows cycle through.
const SYMBOLS: i64 = 100;

/// Writes a Tardis `options_chain` CSV of `rows` sorted updates spread evenly over `[start_us, end_us)`.
fn write_tardis(path: &Path, rows: i64, start_us: i64, end_us: i64) {
    let file = std::fs::File::create(path).expect("the temporary file is created");
    let mut out = BufWriter::with_capacity(1 << 20, file);
    writeln!(out, "{HEADER}").unwrap();
    for i in 0..rows {
        let ts = start_us + (end_us - start_us) / rows * i;
        let strike = 50_000 + 500 * (i % SYMBOLS);
        writeln!(
            out,
            "deribit,BTC-27MAR26-{strike}-C,{ts},{ts},call,{strike},{EXPIRY_US},10.5,,0.0505,2.5,50.1,0.0515,3,51.2,\
             0.051,50.6,SYN.BTC-27MAR26,72010.5,0.55,0.00002,20.1,-40.2,5.3"
        )
        .unwrap();
    }
    out.flush().unwrap();
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).expect("the file exists").len()
}

#[test]
fn progress_reaches_the_whole_size_of_real_files() {
    let Some(shared) = common::shared_dir() else { return };
    for name in [SNAPSHOT_FILE, HOURLY_FILE] {
        let path = shared.join("data").join(name);
        let progress = LoadProgress::new();
        let raw = load_path_with_progress(&path, &LoadOptions::default(), &progress).expect("the file loads");
        assert!(raw.report.rows_loaded > 0, "{name}");
        assert_eq!(progress.total_bytes(), Some(file_size(&path)), "{name}");
        assert_eq!(progress.bytes_read(), file_size(&path), "{name}: every byte of the file is counted once");
        assert_eq!(progress.fraction(), Some(1.0), "{name}");
    }
}

#[test]
fn progress_counts_the_compressed_bytes_of_a_gzip_file() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("options_chain.csv");
    write_tardis(&plain, 5_000, DAY_START_US, DAY_START_US + HOUR_US);
    let gz = dir.path().join("options_chain.csv.gz");
    let mut encoder =
        flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::default());
    encoder.write_all(&std::fs::read(&plain).unwrap()).unwrap();
    encoder.finish().unwrap();
    let progress = LoadProgress::new();
    let raw = load_path_with_progress(&gz, &LoadOptions::default(), &progress).expect("the gzip file loads");
    assert_eq!((raw.format, raw.report.rows_read), (SourceFormat::TardisCsv, 5_000));
    assert!(file_size(&gz) < file_size(&plain) / 2, "the rows compress");
    assert_eq!((progress.bytes_read(), progress.fraction()), (file_size(&gz), Some(1.0)));
}

#[test]
fn a_pre_cancelled_load_is_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.csv");
    std::fs::write(&path, volscope::sample::SAMPLE_CSV).unwrap();
    let progress = LoadProgress::new();
    progress.cancel();
    let err = load_path_with_progress(&path, &LoadOptions::default(), &progress).unwrap_err();
    assert!(matches!(&err, LoadError::Cancelled { path: p } if *p == path.display().to_string()), "{err:?}");
    assert_eq!(err.to_string(), format!("{}: the load was cancelled", path.display()));
    assert_eq!(progress.bytes_read(), 0, "nothing is read once cancelled");
    let err = list_snapshot_times_path_with_progress(&path, &progress).unwrap_err();
    assert!(matches!(err, LoadError::Cancelled { .. }), "{err:?}");
    assert!(load_path(&path, &LoadOptions::default()).is_ok(), "a load without progress is unaffected");
}

#[test]
fn cancelling_from_another_thread_stops_a_large_tardis_load_promptly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("options_chain.csv");
    write_tardis(&path, 300_000, DAY_START_US, DAY_START_US + 24 * HOUR_US);
    let total = file_size(&path);
    assert!(total > 40 << 20, "a large file: {total} bytes");
    let progress = LoadProgress::new();
    let loader = {
        let (path, progress) = (path.clone(), progress.clone());
        std::thread::spawn(move || load_path_with_progress(&path, &LoadOptions::default(), &progress))
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while progress.bytes_read() == 0 {
        assert!(Instant::now() < deadline, "the load never started reading");
        std::thread::yield_now();
    }
    progress.cancel();
    let cancelled_at = Instant::now();
    let result = loader.join().expect("the loader thread does not panic");
    let stop = cancelled_at.elapsed();
    eprintln!("cancelled after {} of {total} bytes; stopped {stop:?} later", progress.bytes_read());
    assert!(matches!(&result, Err(LoadError::Cancelled { .. })), "{:?}", result.map(|r| r.report.rows_read));
    assert!(stop < Duration::from_secs(2), "stopped {stop:?} after the cancel");
    assert!(progress.bytes_read() < total / 2, "stopped early: {} of {total} bytes read", progress.bytes_read());
    let fraction = progress.fraction().expect("the total is the file size");
    assert!(fraction < 0.5, "{fraction}");
}

#[test]
fn a_tardis_file_lists_its_inner_hour_starts_and_its_last_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("options_chain.csv");
    let (start_us, end_us) = (DAY_START_US + HOUR_US / 2, DAY_START_US + 4 * HOUR_US + HOUR_US / 2);
    write_tardis(&path, 20_000, start_us, end_us);
    let times = list_snapshot_times_path(&path).expect("the times are listed");
    let last_ms = (start_us + (end_us - start_us) / 20_000 * 19_999) / 1000;
    let hours: Vec<i64> = (1..=4).map(|h| (DAY_START_US + h * HOUR_US) / 1000).collect();
    assert_eq!(times, [hours.clone(), vec![last_ms]].concat());
    let raw = load_path(&path, &LoadOptions::default()).unwrap();
    assert_eq!(snapshot_times(&raw), times, "the load lists the same times in its own pass");
    let earlier = load_path(&path, &LoadOptions { at_ms: Some(hours[0]), ..Default::default() }).unwrap();
    assert_eq!(snapshot_times(&earlier), times, "a load at an earlier time still lists every time");
    assert_eq!(raw.file_time_ms, Some(last_ms), "the default snapshot is the last listed time");
}

#[test]
fn the_hourly_iv_file_offers_its_hours() {
    let Some(shared) = common::shared_dir() else { return };
    let path = shared.join("data").join(HOURLY_FILE);
    let raw = load_path(&path, &LoadOptions::default()).expect("the hourly file loads");
    let times = snapshot_times(&raw);
    assert!(times.len() >= 3, "several snapshots: {times:?}");
    assert!(times.windows(2).all(|w| w[0] < w[1]), "ascending and distinct: {times:?}");
    assert!(times.iter().all(|t| t % 3_600_000 == 0), "on the hour: {times:?}");
    assert!(list_snapshot_times_path(&path).unwrap().is_empty(), "its times come from the rows");
    let single = load_path(&shared.join("data").join(SNAPSHOT_FILE), &LoadOptions::default()).unwrap();
    assert!(snapshot_times(&single).is_empty(), "a single-snapshot file offers no times");
}
