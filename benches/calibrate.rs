//! Smile calibration speed on real Deribit slices (../shared/data; skipped with a message when absent).
//!
//! - `svi_slice/<expiry>`: one SVI fit (robust start included) of each BTC expiry of the 2026-03-16 05:07
//!   snapshot, default configuration;
//! - `sabr_slice/<expiry>`: one SABR fit (β = 1 fixed, robust start included) of each of those slices, default
//!   configuration;
//! - `manual_eval/<expiry>`: one evaluation of fitted SVI parameters without a solve (the GUI's manual mode,
//!   run on the UI thread at every slider or curve drag);
//! - `svi_snapshot/deribit_btc`: the whole BTC snapshot from the file's bytes to fitted reports with the
//!   butterfly check per slice and the calendar check across slices.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use volscope::arbitrage::calendar_check;
use volscope::calibrate::{evaluate_slice, fit_slice, fit_snapshot, FitConfig};
use volscope::io::{load_bytes, LoadOptions};
use volscope::market::time::format_date;
use volscope::market::BuildOptions;
use volscope::models::{Sabr, SmileModel, Svi};

const FILE: &str = "deribit_btc_eth_20260316T050739Z.csv";

fn bench_calibrate(c: &mut Criterion) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data").join(FILE);
    let Ok(bytes) = std::fs::read(&path) else {
        eprintln!("calibrate benches SKIPPED: {} is absent", path.display());
        return;
    };
    let load = LoadOptions { underlying: Some("BTC".into()), ..Default::default() };
    let build = BuildOptions { underlying: Some("BTC".into()), ..Default::default() };
    let snapshot = load_bytes(&bytes, FILE, &load).expect("loads").snapshot(&build).expect("builds");
    let config = FitConfig::default();

    let mut group = c.benchmark_group("svi_slice");
    group.sample_size(30).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    for slice in snapshot.slices.iter().filter(|s| s.t_years > 0.0) {
        group.bench_function(format_date(slice.expiry_ms), |b| {
            b.iter(|| black_box(fit_slice(&Svi, black_box(slice), &config, None)))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("sabr_slice");
    group.sample_size(30).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    for slice in snapshot.slices.iter().filter(|s| s.t_years > 0.0) {
        let model = Sabr::new(slice.t_years, slice.forward).with_fixed_beta(1.0);
        group.bench_function(format_date(slice.expiry_ms), |b| {
            b.iter(|| black_box(fit_slice(&model, black_box(slice), &config, None)))
        });
    }
    group.finish();

    // Manual mode: hand-set parameters evaluated (residuals, statistics, butterfly check) on the UI thread.
    let mut group = c.benchmark_group("manual_eval");
    group.sample_size(30).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    for slice in snapshot.slices.iter().filter(|s| s.t_years > 0.0) {
        let params = fit_slice(&Svi, slice, &config, None).params;
        if params.is_empty() {
            continue;
        }
        group.bench_function(format_date(slice.expiry_ms), |b| {
            b.iter(|| black_box(evaluate_slice(&Svi, black_box(slice), &config, &params)))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("svi_snapshot");
    group.sample_size(20).measurement_time(Duration::from_secs(4));
    group.bench_function("deribit_btc", |b| {
        b.iter(|| {
            let snapshot = load_bytes(black_box(&bytes), FILE, &load).expect("loads").snapshot(&build).expect("builds");
            let reports = fit_snapshot(&snapshot, |_| Box::new(Svi), &config);
            let fits: Vec<(f64, &dyn SmileModel, &[f64])> = reports
                .iter()
                .filter(|r| r.status.is_usable() && !r.params.is_empty())
                .map(|r| (r.t_years, &Svi as &dyn SmileModel, r.params.as_slice()))
                .collect();
            black_box(calendar_check(&fits, &[-0.5, -0.25, 0.0, 0.25, 0.5]));
            black_box(reports)
        })
    });
    group.finish();
}

criterion_group!(benches, bench_calibrate);
criterion_main!(benches);
