//! SVI fits of every BTC and ETH expiry of the real Deribit snapshots in ../shared/data, and failure cases
//! (bad bounds, too few quotes, a one-sided slice) that must give a clear failed status without a panic.

mod common;

use volscope::calibrate::{fit_slice, fit_snapshot, FitConfig, FitStatus, QuoteUse, SliceFitReport};
use volscope::io::{load_path, LoadOptions};
use volscope::market::{BuildOptions, ExpirySlice, QuoteSide, QuoteStatus, Snapshot};
use volscope::models::{SmileModel, Svi};

const FILES: [&str; 5] = common::DERIBIT_SNAPSHOTS;

fn snapshot(file: &str, underlying: &str) -> Option<Snapshot> {
    let path = common::shared_dir()?.join("data").join(file);
    let raw = load_path(&path, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    Some(
        raw.snapshot(&BuildOptions { underlying: Some(underlying.into()), ..Default::default() })
            .unwrap_or_else(|e| panic!("{file} {underlying}: {e}")),
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn svi(_: &ExpirySlice) -> Box<dyn SmileModel> {
    Box::new(Svi)
}

#[test]
fn every_real_expiry_fits() {
    if common::shared_dir().is_none() {
        println!("SKIPPED");
        return;
    }
    let config = FitConfig::default();
    println!("config: {config:?}");
    let (mut inside_all, mut counted_all) = (0usize, 0usize);
    let (mut problems, mut too_few, mut over_2) = (Vec::new(), Vec::new(), Vec::new());
    let mut degenerate: Vec<String> = Vec::new();
    let mut worst_rmse = 0.0f64;
    for file in FILES {
        for underlying in ["BTC", "ETH"] {
            let Some(snap) = snapshot(file, underlying) else { return };
            let reports = fit_snapshot(&snap, svi, &config);
            let live: Vec<&SliceFitReport> = reports.iter().filter(|r| r.t_years > 0.0).collect();
            let (mut inside, mut counted) = (0usize, 0usize);
            for r in &live {
                let two_sided = r.residuals.iter().filter(|q| q.inside_spread.is_some());
                for q in two_sided {
                    let otm = (q.kind.as_str() == "put" && q.k < 0.0) || (q.kind.as_str() == "call" && q.k >= 0.0);
                    if otm {
                        counted += 1;
                        inside += usize::from(q.inside_spread == Some(true));
                    }
                }
                let excluded: Vec<String> = r
                    .residuals
                    .iter()
                    .filter_map(|q| match &q.used {
                        QuoteUse::Excluded(why)
                            if !why.to_string().starts_with("status") && why.to_string() != "in the money" =>
                        {
                            Some(format!("{} ({why})", q.instrument))
                        }
                        _ => None,
                    })
                    .collect();
                println!(
                    "  {file} {underlying} {} T={:.4} n={:3} {:14} RMSE {:6.3} max {:6.3} inside {:.3} \
                     iters {:3} {:7.1} µs bfly {} {}",
                    r.expiry,
                    r.t_years,
                    r.n_quotes,
                    r.status.label(),
                    r.rmse_vol_pts,
                    r.max_abs_err_vol_pts,
                    r.inside_spread_share,
                    r.iterations,
                    r.fit_time_us,
                    if r.butterfly.ok { "ok" } else { "ARB" },
                    if let FitStatus::Failed { reason } = &r.status { reason.clone() } else { excluded.join(", ") },
                );
                if let FitStatus::Failed { reason } = &r.status {
                    if reason.contains("degenerate") {
                        degenerate.push(format!("{file} {underlying} {}: {reason}", r.expiry));
                    }
                }
                match &r.status {
                    FitStatus::Converged | FitStatus::AtBound { .. } => {}
                    // A slice hours from expiry with fewer quotes than SVI needs: a correct failure.
                    FitStatus::Failed { reason } if reason.starts_with("too few quotes") => {
                        too_few.push(format!("{file} {underlying} {}: {reason}", r.expiry))
                    }
                    other => problems.push(format!("{file} {underlying} {}: {other:?} {:?}", r.expiry, r.notes)),
                }
                worst_rmse = worst_rmse.max(if r.rmse_vol_pts.is_finite() { r.rmse_vol_pts } else { 0.0 });
                if r.rmse_vol_pts > 2.0 {
                    over_2.push(format!("{file} {underlying} {}: RMSE {:.3} > 2", r.expiry, r.rmse_vol_pts));
                }
            }
            let expired = reports.len() - live.len();
            assert!(
                reports.iter().filter(|r| r.t_years <= 0.0).all(|r| r.status.label() == "failed"),
                "expired slices must be failed"
            );
            println!(
                "{file} {underlying}: {} live slices ({expired} expired), median RMSE {:.3} vol pts, inside {:.4} \
                 ({inside}/{counted}), median {:.1} µs per slice",
                live.len(),
                median(live.iter().map(|r| r.rmse_vol_pts).collect()),
                inside as f64 / counted.max(1) as f64,
                median(live.iter().map(|r| r.fit_time_us).collect()),
            );
            inside_all += inside;
            counted_all += counted;
        }
    }
    let share = inside_all as f64 / counted_all.max(1) as f64;
    println!("overall inside share {share:.4} ({inside_all}/{counted_all})");
    for p in too_few.iter().chain(&over_2) {
        println!("NOTE {p}");
    }
    for p in &problems {
        println!("PROBLEM {p}");
    }
    assert!(problems.is_empty(), "{} problem slices", problems.len());
    assert!(too_few.len() <= 1, "{too_few:?}");
    // Targets: ≥ 95 % of two-sided OTM quotes (filtered ones included) inside their spread, every slice ≤ 2 vol
    // pts RMSE, no degenerate slice (a degenerate fit is a failed status, so it shows up in `problems`).
    assert!(degenerate.is_empty(), "degenerate slices: {degenerate:?}");
    assert!(share >= 0.95, "inside share {share:.4} below the target 0.95");
    assert!(over_2.is_empty(), "slices above 2 vol pts RMSE: {over_2:?}");
    assert!(worst_rmse <= 2.0, "worst RMSE {worst_rmse:.3} above the target 2");
}

/// The longest-dated BTC slice of the first snapshot.
fn some_slice() -> Option<ExpirySlice> {
    let snap = snapshot(FILES[0], "BTC")?;
    snap.slices.into_iter().filter(|s| s.t_years > 0.0).max_by_key(|s| s.usable_count())
}

fn failure_reason(report: &SliceFitReport) -> String {
    match &report.status {
        FitStatus::Failed { reason } => reason.clone(),
        other => panic!("expected a failed fit, got {other:?}"),
    }
}

#[test]
fn bad_inputs_fail_clearly() {
    let Some(slice) = some_slice() else {
        println!("SKIPPED");
        return;
    };
    // Bad bounds.
    let mut config = FitConfig::default();
    config.bounds.insert("b".into(), (1.0, 0.1));
    let r = fit_slice(&Svi, &slice, &config, None);
    let reason = failure_reason(&r);
    assert!(reason.contains("bad configuration") && reason.contains("`b`"), "{reason}");
    assert!(r.params.is_empty() && r.residuals.iter().all(|q| q.model_iv.is_none()));

    let mut config = FitConfig::default();
    config.bounds.insert("volvol".into(), (0.0, 1.0));
    assert!(failure_reason(&fit_slice(&Svi, &slice, &config, None)).contains("unknown parameter `volvol`"));

    // A slice with 2 usable quotes.
    let mut two = slice.clone();
    let mut kept = 0;
    for q in &mut two.quotes {
        if q.status == QuoteStatus::Ok && q.is_otm() && kept < 2 {
            kept += 1;
        } else if q.status == QuoteStatus::Ok {
            q.status = QuoteStatus::NoBid;
            q.bid = QuoteSide::default();
        }
    }
    let r = fit_slice(&Svi, &two, &FitConfig::default(), None);
    let reason = failure_reason(&r);
    assert!(reason.contains("too few quotes: 2 used"), "{reason}");
    assert!(!r.rmse_vol_pts.is_finite());

    // One-sided slice: only asks.
    let mut one_sided = slice.clone();
    for q in &mut one_sided.quotes {
        q.status = QuoteStatus::NoBid;
        q.bid = QuoteSide::default();
        q.mid = QuoteSide::default();
    }
    let reason = failure_reason(&fit_slice(&Svi, &one_sided, &FitConfig::default(), None));
    assert!(reason.contains("one-sided"), "{reason}");

    // Expired.
    let mut expired = slice.clone();
    expired.t_years = 0.0;
    assert_eq!(failure_reason(&fit_slice(&Svi, &expired, &FitConfig::default(), None)), "expired");

    // L-BFGS, the quasi-Newton alternative, fits the real slice too.
    let config = FitConfig { solver: volscope::calibrate::Solver::Lbfgs, ..FitConfig::default() };
    let lbfgs = fit_slice(&Svi, &slice, &config, None);
    assert!(lbfgs.status.is_usable(), "{:?}", lbfgs.status);

    // Warm start from a good fit converges to the same curve.
    let cold = fit_slice(&Svi, &slice, &FitConfig::default(), None);
    assert!(cold.status.is_usable(), "{:?}", cold.status);
    let warm = fit_slice(&Svi, &slice, &FitConfig::default(), Some(&cold.params));
    assert!(warm.status.is_usable());
    assert!((warm.rmse_vol_pts - cold.rmse_vol_pts).abs() < 1e-6, "{} vs {}", warm.rmse_vol_pts, cold.rmse_vol_pts);
    // A fixed parameter stays fixed.
    let mut config = FitConfig::default();
    config.fixed.insert("rho".into(), -0.2);
    let r = fit_slice(&Svi, &slice, &config, None);
    assert!(r.status.is_usable(), "{:?}", r.status);
    assert_eq!(r.params[2], -0.2);
}
