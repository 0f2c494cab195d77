//! Smile calibration speed on real Deribit slices (../shared/data; skipped with a message when absent).
//!
//! - `svi_slice/<expiry>`: one SVI fit (robust start included) of each BTC expiry of the 2026-03-16 05:07
//!   snapshot, default configuration;
//! - `sabr_slice/<expiry>`: one SABR fit (β = 1 fixed, robust start included) of each of those slices, default
//!   configuration;
//! - `manual_eval/<expiry>`: one evaluation of fitted SVI parameters without a solve (the GUI's manual mode,
//!   run on the UI thread at every slider or curve drag);
//! - `svi_snapshot/deribit_btc`: the whole BTC snapshot from the file's bytes to fitted reports with the
//!   butterfly check per slice and the calendar check across slices;
//! - `ssvi_snapshot/deribit_btc`: the built BTC snapshot fitted as one SSVI surface;
//! - `essvi_snapshot/{deribit_btc,deribit_btc_0102}`: the built BTC snapshot (and the 2026-01-02 one, 13
//!   expiries) fitted as one eSSVI surface: the chained stage, then the global polish;
//! - `lm_driver/{executor,direct}`: the bounded LM on every BTC slice from the same start, through argmin's
//!   `Executor` and through the plain loop (what the executor costs).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use volscope::arbitrage::calendar_check;
use volscope::calibrate::lm::{minimize, minimize_direct, LmOptions, Residuals};
use volscope::calibrate::svi_start::quasi_explicit_starts;
use volscope::calibrate::{evaluate_slice, fit_slice, fit_snapshot, fit_surface, FitConfig};
use volscope::io::{load_bytes, LoadOptions};
use volscope::market::time::format_date;
use volscope::market::{BuildOptions, QuoteStatus};
use volscope::models::{Essvi, Sabr, SmileModel, Ssvi, Svi};

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

    // The whole BTC snapshot as one SSVI surface (every expiry at once).
    let mut group = c.benchmark_group("ssvi_snapshot");
    group.sample_size(10).measurement_time(Duration::from_secs(6));
    group.bench_function("deribit_btc", |b| {
        b.iter(|| black_box(fit_surface(&Ssvi, black_box(&snapshot), &config, None)))
    });
    group.finish();

    // The whole BTC surface as one eSSVI (chained stage and polish).
    let mut group = c.benchmark_group("essvi_snapshot");
    group.sample_size(20).measurement_time(Duration::from_secs(6));
    group.bench_function("deribit_btc", |b| {
        b.iter(|| black_box(fit_surface(&Essvi, black_box(&snapshot), &config, None)))
    });
    let other = "deribit_btc_eth_20260102T162624Z.csv";
    if let Ok(more) = std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data").join(other)) {
        let snap = load_bytes(&more, other, &load).expect("loads").snapshot(&build).expect("builds");
        group.bench_function("deribit_btc_0102", |b| {
            b.iter(|| black_box(fit_surface(&Essvi, black_box(&snap), &config, None)))
        });
    }
    group.finish();

    bench_lm_driver(c, &snapshot);
}

/// Raw SVI on a slice's mid vols (two-sided OTM quotes), as residuals in vol.
struct SviVols {
    ks: Vec<f64>,
    vols: Vec<f64>,
    t: f64,
    grad: Vec<f64>,
}

impl Residuals for SviVols {
    fn len(&self) -> usize {
        self.ks.len()
    }
    fn eval(&mut self, x: &[f64], r: &mut [f64], jac: &mut [f64]) -> bool {
        for (i, (&k, &v)) in self.ks.iter().zip(&self.vols).enumerate() {
            let w = Svi.total_variance(x, k);
            if !(w > 0.0) {
                return false;
            }
            let vol = (w / self.t).sqrt();
            Svi.total_variance_gradient(x, k, &mut self.grad);
            r[i] = vol - v;
            for j in 0..5 {
                jac[i * 5 + j] = self.grad[j] / (2.0 * vol * self.t);
            }
        }
        true
    }
}

/// What argmin's `Executor` costs: the same bounded LM on each real BTC slice from the quasi-explicit start,
/// run by the executor (`lm_driver/executor`) and by the plain loop (`lm_driver/direct`).
fn bench_lm_driver(c: &mut Criterion, snapshot: &volscope::market::Snapshot) {
    let problems: Vec<(SviVols, Vec<f64>)> = snapshot
        .slices
        .iter()
        .filter(|s| s.t_years > 0.0)
        .filter_map(|s| {
            let (ks, vols): (Vec<f64>, Vec<f64>) = s
                .quotes
                .iter()
                .filter(|q| q.is_otm() && q.status == QuoteStatus::Ok)
                .filter_map(|q| Some((q.k, q.mid.iv?)))
                .unzip();
            let weights = vec![1.0; ks.len()];
            let bounds = Svi.default_bounds();
            let start = quasi_explicit_starts(&ks, &vols, &weights, s.t_years, &bounds, 1).into_iter().next()?;
            Some((SviVols { ks, vols, t: s.t_years, grad: vec![0.0; 5] }, start.params.to_vec()))
        })
        .collect();
    let bounds = Svi.default_bounds();
    let (lower, upper): (Vec<f64>, Vec<f64>) = bounds.iter().copied().unzip();
    let opts = LmOptions { ftol: 1e-10, ..LmOptions::default() };
    let mut group = c.benchmark_group("lm_driver");
    group.sample_size(30).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    let mut problems = problems;
    group.bench_function("executor", |b| {
        b.iter(|| {
            for (problem, x0) in problems.iter_mut() {
                black_box(minimize(problem, x0, &lower, &upper, &opts));
            }
        })
    });
    group.bench_function("direct", |b| {
        b.iter(|| {
            for (problem, x0) in problems.iter_mut() {
                black_box(minimize_direct(problem, x0, &lower, &upper, &opts));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_calibrate);
criterion_main!(benches);
