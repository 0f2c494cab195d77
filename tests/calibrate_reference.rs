//! SVI slice fits against the reference smiles (../shared/reference): the fit must reach scipy's
//! least-squares optimum (equal weights, vol objective) on every slice, and recover the generating parameters
//! from noise-free vols.

mod common;

use common::smiles::{build_slice, load_svi_reference, slices};

use volscope::calibrate::{fit_slice, FitConfig, FitStatus, Weighting};
use volscope::models::Svi;

#[test]
fn svi_reaches_the_scipy_optimum_on_every_slice() {
    let Some((rows, fits, _)) = load_svi_reference() else {
        println!("SKIPPED");
        return;
    };
    // scipy's objective: equal weights, vol residuals.
    let config = FitConfig { weights: Weighting::Equal, ..FitConfig::default() };
    for (s, slice_rows) in slices(&rows).iter().enumerate() {
        let slice = build_slice(slice_rows, |r| r.mid_vol);
        let report = fit_slice(&Svi, &slice, &config, None);
        let scipy = fits.iter().find(|f| f.slice == s && f.method == "scipy_trf").expect("scipy row");
        // Timing: repeat the fit (the first run warms the caches).
        let runs = 50;
        let clock = std::time::Instant::now();
        for _ in 0..runs {
            std::hint::black_box(fit_slice(&Svi, &slice, &config, None));
        }
        let us = clock.elapsed().as_secs_f64() * 1e6 / runs as f64;
        println!(
            "slice {s}: n = {:2} status {:14} RMSE {:.9} vs scipy {:.9} (diff {:+.2e}) inside {:.3} iters {:3} evals {:3} \
             {us:.1} µs/fit  params {:?}",
            report.n_quotes,
            report.status.label(),
            report.rmse_vol_pts,
            scipy.rmse_vs_mid_volpts,
            report.rmse_vol_pts - scipy.rmse_vs_mid_volpts,
            report.inside_spread_share,
            report.iterations,
            report.function_evals,
            report.params
        );
        assert!(report.status.is_usable(), "slice {s}: {:?} {:?}", report.status, report.notes);
        assert!(
            report.rmse_vol_pts <= scipy.rmse_vs_mid_volpts + 1e-6,
            "slice {s}: RMSE {} > scipy {}",
            report.rmse_vol_pts,
            scipy.rmse_vs_mid_volpts
        );
        assert!(report.butterfly.ok, "slice {s}: {:?}", report.butterfly);
        assert_eq!(report.residuals.len(), slice.quotes.len());
    }
}

#[test]
fn svi_recovers_the_true_parameters_from_noise_free_vols() {
    let Some((rows, _, truth)) = load_svi_reference() else {
        println!("SKIPPED");
        return;
    };
    let config = FitConfig { weights: Weighting::Equal, ..FitConfig::default() };
    for (s, slice_rows) in slices(&rows).iter().enumerate() {
        let slice = build_slice(slice_rows, |r| r.true_vol);
        let report = fit_slice(&Svi, &slice, &config, None);
        let t = &truth["slices"][s];
        let expected: Vec<f64> = ["a", "b", "rho", "m", "sigma"].iter().map(|n| t[n].as_f64().unwrap()).collect();
        let max_diff = report.params.iter().zip(&expected).map(|(p, e)| (p - e).abs()).fold(0.0, f64::max);
        println!(
            "slice {s}: status {} RMSE {:.2e} vol pts, max |param − true| {max_diff:.2e}",
            report.status.label(),
            report.rmse_vol_pts
        );
        assert_eq!(report.status, FitStatus::Converged, "slice {s}: {:?}", report.notes);
        assert!(max_diff < 1e-6, "slice {s}: {:?} vs {expected:?}", report.params);
        assert!(report.rmse_vol_pts < 1e-6, "slice {s}: RMSE {}", report.rmse_vol_pts);
    }
}
