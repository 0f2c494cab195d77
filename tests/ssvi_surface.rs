//! SSVI (power-law φ) fitted to every expiry of the five real Deribit snapshots, BTC and ETH: every live
//! expiry gets a curve, with no butterfly arbitrage on the 401-point check grid of each slice and no calendar
//! arbitrage between adjacent expiries on a dense common k grid; the median RMSE is printed beside SVI's.

mod common;

use volscope::arbitrage::butterfly_check;
use volscope::calibrate::fit::{butterfly_range, BUTTERFLY_POINTS};
use volscope::calibrate::{fit_snapshot, fit_surface, FitConfig, SliceFitReport};
use volscope::io::{load_path, LoadOptions};
use volscope::market::{BuildOptions, Snapshot};
use volscope::market::{DayCount, PremiumCurrency};
use volscope::models::ssvi::{power_law_phi, ssvi_total_variance};
use volscope::models::{ModelKind, SmileModel, Ssvi, SurfaceModel, SurfaceParams, Svi};
use volscope::pricing::OptionKind;

const FILES: [&str; 5] = common::DERIBIT_SNAPSHOTS;

fn snapshot(file: &str, underlying: &str) -> Option<Snapshot> {
    let path = common::shared_dir()?.join("data").join(file);
    let raw = load_path(&path, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    Some(raw.snapshot(&BuildOptions { underlying: Some(underlying.into()), ..Default::default() }).unwrap())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| x.is_finite());
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}

#[test]
fn ssvi_fits_every_expiry_without_arbitrage() {
    if common::shared_dir().is_none() {
        println!("SKIPPED: ../shared not found");
        return;
    }
    assert_eq!(ModelKind::parse("ssvi"), Some(ModelKind::Ssvi));
    let config = FitConfig::default();
    let svi = Svi;
    for file in FILES {
        for underlying in ["BTC", "ETH"] {
            let snap = snapshot(file, underlying).unwrap();
            let fit = fit_surface(&Ssvi, &snap, &config, None);
            let params = fit.params.clone().unwrap_or_else(|| panic!("{file} {underlying}: {}", fit.stop));
            let live: Vec<&SliceFitReport> = fit.reports.iter().filter(|r| r.t_years > 0.0).collect();
            assert_eq!(live.len(), params.per_expiry.len());
            for r in &live {
                assert!(r.status.is_usable(), "{file} {underlying} {}: {:?}", r.expiry, r.status);
                let ks = r.residuals.iter().map(|q| q.k);
                let (lo, hi) = butterfly_range(r.t_years, ks);
                let check = butterfly_check(&svi, &r.params, lo, hi, BUTTERFLY_POINTS);
                assert!(check.ok, "{file} {underlying} {}: g = {} at k = {}", r.expiry, check.min_g, check.k_at_min_g);
            }
            let mut by_t = live.clone();
            by_t.sort_by(|a, b| a.t_years.total_cmp(&b.t_years));
            let grid: Vec<f64> = (0..401).map(|i| -2.0 + 4.0 * i as f64 / 400.0).collect();
            for pair in by_t.windows(2) {
                for &k in &grid {
                    let (w0, w1) = (svi.total_variance(&pair[0].params, k), svi.total_variance(&pair[1].params, k));
                    assert!(w1 >= w0 * (1.0 - 1e-12), "{file} {underlying}: calendar at k = {k}: {w0} > {w1}");
                }
            }
            let ssvi_rmse = median(live.iter().map(|r| r.rmse_vol_pts).collect());
            let svi_reports = fit_snapshot(&snap, |_| Box::new(Svi), &config);
            let svi_rmse =
                median(svi_reports.iter().filter(|r| r.status.is_usable()).map(|r| r.rmse_vol_pts).collect());
            println!(
                "{file} {underlying}: {} expiries, SSVI median RMSE {ssvi_rmse:.2} vol pts (SVI {svi_rmse:.2}), \
                 {} iterations, {} ({} = {:?})",
                live.len(),
                fit.iterations,
                fit.stop,
                Ssvi.global_names().join("/"),
                params.global
            );
        }
    }
}

/// Quotes sampled from a known SSVI surface (OTM puts and calls, ±1 vol point spreads, exact mids) give back
/// its parameters, and the fitted slices are its raw SVI slices.
#[test]
fn ssvi_recovers_a_known_surface() {
    let (rho, eta, gamma) = (-0.35, 1.1, 0.4);
    let thetas = [0.002, 0.006, 0.015, 0.04, 0.09, 0.2];
    let ts: [f64; 6] = [0.01, 0.03, 0.08, 0.25, 0.5, 1.0];
    let forward = 70_000.0;
    let mut slices = Vec::new();
    for (&t, &theta) in ts.iter().zip(&thetas) {
        let phi = power_law_phi(theta, eta, gamma);
        let half = 1.2 * t.sqrt();
        let quotes = (0..31)
            .map(|i| {
                let k = -half + 2.0 * half * i as f64 / 30.0;
                let vol = (ssvi_total_variance(k, theta, rho, phi) / t).sqrt();
                let kind = if k < 0.0 { OptionKind::Put } else { OptionKind::Call };
                common::smiles::vol_quote(&format!("Q{i}"), kind, forward, k, [vol - 0.01, vol, vol + 0.01], i as u64)
            })
            .collect();
        slices.push(common::smiles::vol_slice(t, forward, quotes));
    }
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
    let fit = fit_surface(&Ssvi, &snapshot, &config, None);
    let SurfaceParams { global, per_expiry } = fit.params.clone().expect(&fit.stop);
    for (got, want) in global.iter().zip([rho, eta, gamma]) {
        assert!((got - want).abs() < 1e-6, "global {global:?} vs {:?}", [rho, eta, gamma]);
    }
    for (got, want) in per_expiry.iter().zip(thetas) {
        assert!((got[0] - want).abs() < 1e-8 * want.max(1e-3), "theta {got:?} vs {want}");
    }
    for r in &fit.reports {
        assert!(r.rmse_vol_pts < 1e-5, "{}: {}", r.expiry, r.rmse_vol_pts);
        assert_eq!(r.model, "ssvi");
    }
    // A warm start from the answer converges at once.
    let warm = fit_surface(&Ssvi, &snapshot, &config, fit.params.as_ref());
    assert!(warm.iterations <= fit.iterations, "{} vs {}", warm.iterations, fit.iterations);
}
