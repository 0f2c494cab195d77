//! eSSVI fitted to every shared Deribit snapshot (the five snapshots, the 56 history files, every time of the
//! hourly file; BTC and ETH): no failed expiry, no butterfly arbitrage on each slice's 401-point check grid,
//! no calendar arbitrage between adjacent expiries (and at times between them) on 401 points of k ∈ [−2, 2],
//! and the median RMSE per snapshot within its measured bounds; the inside-bid/ask share per tenor bucket is
//! printed beside SVI's.

mod common;

use volscope::arbitrage::butterfly_check;
use volscope::calibrate::fit::{butterfly_range, BUTTERFLY_POINTS};
use volscope::calibrate::{fit_snapshot, fit_surface, FitConfig, FitStatus, SliceFitReport, SurfaceFit};
use volscope::io::{load_path, snapshot_times, LoadOptions};
use volscope::market::{BuildOptions, DayCount, PremiumCurrency, Snapshot};
use volscope::models::essvi::EssviSlice;
use volscope::models::{Essvi, ModelKind, SmileModel, Svi};
use volscope::pricing::OptionKind;

const FILES: [&str; 5] = common::DERIBIT_SNAPSHOTS;

fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| x.is_finite());
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}

/// Inside-bid/ask counts (inside, counted) of usable reports, split at 7 days: [< 7 d, ≥ 7 d].
fn inside_by_bucket(reports: &[SliceFitReport]) -> [(usize, usize); 2] {
    let mut out = [(0, 0); 2];
    for r in reports.iter().filter(|r| r.status.is_usable()) {
        let bucket = usize::from(r.t_years * 365.0 >= 7.0);
        for q in &r.residuals {
            if let Some(inside) = q.inside_spread {
                out[bucket].0 += usize::from(inside);
                out[bucket].1 += 1;
            }
        }
    }
    out
}

/// What one snapshot's check found.
struct Checked {
    essvi_rmse: f64,
    svi_rmse: f64,
    essvi_inside: [(usize, usize); 2],
    svi_inside: [(usize, usize); 2],
    expiries: usize,
    placed: usize,
}

/// Fits eSSVI to `snap` and checks it (panics naming `label` on any failure).
fn check(label: &str, snap: &Snapshot) -> Checked {
    let config = FitConfig::default();
    let fit = fit_surface(&Essvi, snap, &config, None);
    check_fit(label, &fit);
    let live: Vec<&SliceFitReport> = fit.reports.iter().filter(|r| fit.expiries_ms.contains(&r.expiry_ms)).collect();
    let svi = fit_snapshot(snap, |_| Box::new(Svi), &config);
    Checked {
        essvi_rmse: median(live.iter().filter(|r| r.n_quotes >= 3).map(|r| r.rmse_vol_pts).collect()),
        svi_rmse: median(svi.iter().filter(|r| r.status.is_usable()).map(|r| r.rmse_vol_pts).collect()),
        essvi_inside: inside_by_bucket(&fit.reports),
        svi_inside: inside_by_bucket(&svi),
        expiries: live.len(),
        placed: live.iter().filter(|r| r.status.is_surface_fill()).count(),
    }
}

/// Every live expiry usable, butterfly-free on its check grid, calendar-free against the next expiry and at
/// interpolated times between them.
fn check_fit(label: &str, fit: &SurfaceFit) {
    let params = fit.params.clone().unwrap_or_else(|| panic!("{label}: {}", fit.stop));
    // The live expiries' reports, in the order of the surface's parameters (increasing T).
    let live: Vec<&SliceFitReport> =
        fit.expiries_ms.iter().map(|ms| fit.reports.iter().find(|r| r.expiry_ms == *ms).unwrap()).collect();
    assert_eq!(live.len(), params.per_expiry.len(), "{label}");
    for r in fit.reports.iter().filter(|r| !fit.expiries_ms.contains(&r.expiry_ms)) {
        assert!(!(r.t_years > 0.0 && r.forward > 0.0), "{label} {}: live but not in the surface", r.expiry);
    }
    for r in &live {
        assert!(r.status.is_usable(), "{label} {}: {:?}", r.expiry, r.status);
        let (lo, hi) = butterfly_range(r.t_years, r.residuals.iter().map(|q| q.k));
        let check = butterfly_check(&Svi, &r.params, lo, hi, BUTTERFLY_POINTS);
        assert!(check.ok, "{label} {}: g = {} at k = {}", r.expiry, check.min_g, check.k_at_min_g);
    }
    let slices: Vec<EssviSlice> = params.per_expiry.iter().map(|p| EssviSlice::from_slice(p)).collect();
    let grid: Vec<f64> = (0..401).map(|i| -2.0 + 4.0 * i as f64 / 400.0).collect();
    let mut times: Vec<f64> = fit.t_years.clone();
    for pair in fit.t_years.windows(2) {
        times.extend((1..4).map(|j| pair[0] + (pair[1] - pair[0]) * j as f64 / 4.0));
    }
    times.sort_by(f64::total_cmp);
    let at = |t: f64| Essvi::interpolate(&slices, &fit.t_years, t, None).unwrap();
    for pair in times.windows(2) {
        let (a, b) = (at(pair[0]), at(pair[1]));
        assert!(b.butterfly_free(), "{label}: butterfly condition at T = {}", pair[1]);
        for &k in &grid {
            let (w0, w1) = (a.total_variance(k), b.total_variance(k));
            assert!(
                w1 >= w0 * (1.0 - 1e-12),
                "{label}: calendar at k = {k}, T {} -> {}: {w0} > {w1}",
                pair[0],
                pair[1]
            );
        }
    }
    // The reported smiles are the surface's slices at the expiries.
    let svi = Svi;
    for (r, s) in live.iter().zip(&slices) {
        for &k in &[-0.5, 0.0, 0.5] {
            let (a, b) = (svi.total_variance(&r.params, k), s.total_variance(k));
            assert!((a - b).abs() <= 1e-12 * b.max(1e-6), "{label} {}: {a} vs {b}", r.expiry);
        }
    }
}

/// Checks a group's fits and prints its summary. The bounds are this model's measured quality with a 10 %
/// margin (a regression check): eSSVI's three-parameter slices cannot reach SVI's RMSE on these smiles (its ATM
/// curvature is tied to its wing slopes), and the target of 1 vol point is not met.
fn summarize(group: &str, results: &[(String, Checked)], median_bound: f64) {
    let share = |c: &[(usize, usize)]| {
        let (i, n) = c.iter().fold((0, 0), |(a, b), (x, y)| (a + x, b + y));
        100.0 * i as f64 / n.max(1) as f64
    };
    let bucket = |b: usize, essvi: bool| {
        let v: Vec<(usize, usize)> =
            results.iter().map(|(_, c)| if essvi { c.essvi_inside[b] } else { c.svi_inside[b] }).collect();
        share(&v)
    };
    let worst = results.iter().map(|(_, c)| c.essvi_rmse).fold(0.0f64, f64::max);
    println!(
        "{group}: {} snapshots, {} expiries ({} placed from neighbours); eSSVI median RMSE per snapshot {:.2} \
         (worst {worst:.2}) vs SVI {:.2} vol pts; inside bid/ask < 7 d: eSSVI {:.1} % vs SVI {:.1} %; >= 7 d: \
         eSSVI {:.1} % vs SVI {:.1} %",
        results.len(),
        results.iter().map(|(_, c)| c.expiries).sum::<usize>(),
        results.iter().map(|(_, c)| c.placed).sum::<usize>(),
        median(results.iter().map(|(_, c)| c.essvi_rmse).collect()),
        median(results.iter().map(|(_, c)| c.svi_rmse).collect()),
        bucket(0, true),
        bucket(0, false),
        bucket(1, true),
        bucket(1, false),
    );
    let group_median = median(results.iter().map(|(_, c)| c.essvi_rmse).collect());
    assert!(group_median <= median_bound, "{group}: eSSVI median RMSE {group_median:.3} vol pts > {median_bound}");
    for (label, c) in results {
        assert!(c.essvi_rmse <= 5.5, "{label}: eSSVI median RMSE {:.3} vol pts > 5.5", c.essvi_rmse);
    }
}

fn snapshots_of(path: &std::path::Path, label: &str, all_times: bool) -> Vec<(String, Snapshot)> {
    let raw = load_path(path, &LoadOptions::default()).unwrap_or_else(|e| panic!("{label}: {e}"));
    let times: Vec<Option<i64>> =
        if all_times { snapshot_times(&raw).into_iter().map(Some).collect() } else { vec![None] };
    let mut out = Vec::new();
    for at_ms in times {
        for underlying in ["BTC", "ETH"] {
            let build = BuildOptions { underlying: Some(underlying.into()), at_ms, ..Default::default() };
            if let Ok(snap) = raw.snapshot(&build) {
                out.push((format!("{label} {underlying} {at_ms:?}"), snap));
            }
        }
    }
    out
}

fn run_group(group: &str, files: Vec<std::path::PathBuf>, all_times: bool, median_bound: f64) {
    let mut results = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for (label, snap) in snapshots_of(&path, &name, all_times) {
            let checked = check(&label, &snap);
            results.push((label, checked));
        }
    }
    assert!(!results.is_empty(), "{group}: no snapshot");
    summarize(group, &results, median_bound);
}

#[test]
fn essvi_on_the_five_snapshots() {
    let Some(dir) = common::shared_dir() else { return };
    assert_eq!(ModelKind::parse("essvi"), Some(ModelKind::Essvi));
    run_group("five snapshots", FILES.iter().map(|f| dir.join("data").join(f)).collect(), false, 1.65);
}

#[test]
fn essvi_on_the_history() {
    let Some(dir) = common::shared_dir() else { return };
    let mut files: Vec<_> = std::fs::read_dir(dir.join("data/history")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 56);
    run_group("history", files, false, 1.35);
}

#[test]
fn essvi_on_every_time_of_the_hourly_file() {
    let Some(dir) = common::shared_dir() else { return };
    run_group("hourly", vec![dir.join("data/deribit_btc_iv_hourly_20260123.csv")], true, 1.7);
}

/// Quotes sampled from a known eSSVI surface (exact mids, ±1 vol point spreads) give back its parameters; a
/// slice with two quotes takes its shape from its neighbours, one with none is interpolated, and both stay
/// calendar-free.
#[test]
fn essvi_recovers_a_known_surface_and_fills_thin_expiries() {
    let truth = [
        EssviSlice { theta: 0.002, rho: -0.2, psi: 0.04 },
        EssviSlice { theta: 0.006, rho: -0.25, psi: 0.07 },
        EssviSlice { theta: 0.015, rho: -0.3, psi: 0.11 },
        EssviSlice { theta: 0.04, rho: -0.3, psi: 0.17 },
        EssviSlice { theta: 0.09, rho: -0.28, psi: 0.24 },
    ];
    for pair in truth.windows(2) {
        assert!(pair[0].calendar_free_to(&pair[1]) && pair[1].butterfly_free());
    }
    let ts = [0.01, 0.03, 0.08, 0.25, 0.5];
    let forward = 70_000.0;
    let quotes_of = |t: f64, s: &EssviSlice, n: usize| {
        let half = 1.2 * t.sqrt();
        (0..n)
            .map(|i| {
                let k = if n == 1 { 0.01 } else { -half + 2.0 * half * i as f64 / (n - 1) as f64 };
                let vol = (s.total_variance(k) / t).sqrt();
                let kind = if k < 0.0 { OptionKind::Put } else { OptionKind::Call };
                common::smiles::vol_quote(
                    &format!("Q{t}-{i}"),
                    kind,
                    forward,
                    k,
                    [vol - 0.01, vol, vol + 0.01],
                    i as u64,
                )
            })
            .collect::<Vec<_>>()
    };
    let mut slices: Vec<_> =
        ts.iter().zip(&truth).map(|(&t, s)| common::smiles::vol_slice(t, forward, quotes_of(t, s, 31))).collect();
    // A thin expiry between the 2nd and 3rd with one quote, and an empty one between the 4th and 5th.
    let thin_t = 0.05;
    let thin_truth = Essvi::interpolate(&truth, &ts, thin_t, None).unwrap();
    slices.push(common::smiles::vol_slice(thin_t, forward, quotes_of(thin_t, &thin_truth, 1)));
    slices.push(common::smiles::vol_slice(0.35, forward, Vec::new()));
    let snapshot = Snapshot {
        time_ms: 1_800_000_000_000,
        underlying: "BTC".into(),
        source: "test".into(),
        index_price: None,
        premium_currency: PremiumCurrency::Coin,
        day_count: DayCount::Act365Fixed,
        slices,
        warnings: Vec::new(),
    };
    let config = FitConfig { weights: volscope::calibrate::Weighting::Equal, ..FitConfig::default() };
    let fit = fit_surface(&Essvi, &snapshot, &config, None);
    check_fit("synthetic", &fit);
    let params = fit.params.clone().expect(&fit.stop);
    let by_t: Vec<(f64, &Vec<f64>)> = fit.t_years.iter().copied().zip(&params.per_expiry).collect();
    for (t, want) in ts.iter().zip(&truth) {
        let (_, got) = by_t.iter().find(|(ti, _)| ti == t).unwrap();
        let got = EssviSlice::from_slice(got);
        assert!((got.theta - want.theta).abs() < 1e-7 * want.theta, "{t}: {got:?} vs {want:?}");
        assert!(
            (got.rho - want.rho).abs() < 1e-5 && (got.psi - want.psi).abs() < 1e-5 * want.psi.max(0.01),
            "{t}: {got:?} vs {want:?}"
        );
    }
    let status_at = |t: f64| &fit.reports.iter().find(|r| r.t_years == t).unwrap().status;
    assert_eq!(status_at(thin_t), &FitStatus::NeighbourShape);
    assert_eq!(status_at(0.35), &FitStatus::Interpolated);
    // The thin expiry's own quote is on its curve (its level is pinned there).
    let thin = fit.reports.iter().find(|r| r.t_years == thin_t).unwrap();
    assert!(thin.rmse_vol_pts < 1e-6, "{}", thin.rmse_vol_pts);
    // A warm start from the answer ends at once.
    let warm = fit_surface(&Essvi, &snapshot, &config, fit.params.as_ref());
    assert!(warm.iterations <= fit.iterations, "{} vs {}", warm.iterations, fit.iterations);
}

/// A refit of the same chain (the GUI's refit after an edit) starts from the last fit's smiles: fewer solver
/// iterations than a cold fit, and the same fit.
#[test]
fn a_refit_starts_from_the_last_surface() {
    let Some(dir) = common::shared_dir() else { return };
    let (_, snap) = snapshots_of(&dir.join("data").join(FILES[3]), FILES[3], false).remove(0);
    let plan = |warm: Option<Vec<f64>>| volscope::session::SlicePlan {
        kind: ModelKind::Essvi,
        config: FitConfig::default(),
        warm_start: warm,
    };
    let cold = volscope::session::fit_plans(&snap, &vec![plan(None); snap.slices.len()]);
    let plans: Vec<_> = cold.iter().map(|r| plan((!r.params.is_empty()).then(|| r.params.clone()))).collect();
    let warm = volscope::session::fit_plans(&snap, &plans);
    let iterations = |reports: &[SliceFitReport]| reports.iter().map(|r| r.iterations).max().unwrap();
    println!("refit: {} solver iterations warm, {} cold", iterations(&warm), iterations(&cold));
    assert!(iterations(&warm) < iterations(&cold), "{} vs {}", iterations(&warm), iterations(&cold));
    for (a, b) in cold.iter().zip(&warm) {
        assert!(
            (a.rmse_vol_pts - b.rmse_vol_pts).abs() < 1e-3 || a.rmse_vol_pts.is_nan(),
            "{}: {} vs {}",
            a.expiry,
            a.rmse_vol_pts,
            b.rmse_vol_pts
        );
    }
}
