//! SABR slice fits against the reference smiles (../shared/reference): with β fixed at 1 and at 0.5, the
//! Hagan 2002 formula and scipy's objective (equal weights, vol residuals, plain least squares), the fit must
//! reach scipy's optimum (`scipy_trf` rows of sabr_fits.csv) on every slice.

mod common;

use common::smiles::{build_slice, SmileRow};

use serde::Deserialize;
use volscope::calibrate::config::Loss;
use volscope::calibrate::{fit_slice, FitConfig, FitStatus, Weighting};
use volscope::models::{Sabr, SabrVariant};

#[derive(Debug, Deserialize)]
struct FitRow {
    slice: usize,
    method: String,
    alpha: f64,
    beta: f64,
    nu: f64,
    rho: f64,
    rmse_vs_mid_volpts: f64,
}

#[test]
fn sabr_reaches_the_scipy_optimum_on_every_slice_for_beta_one_and_half() {
    let (Some(quotes), Some(fits)) =
        (common::reference_file("smiles_quotes.csv"), common::reference_file("sabr_fits.csv"))
    else {
        println!("SKIPPED");
        return;
    };
    let rows: Vec<SmileRow> = common::read_csv(&quotes);
    let fits: Vec<FitRow> = common::read_csv(&fits);
    // scipy's objective: equal weights, vol residuals, plain least squares (no robust loss).
    let config = FitConfig { weights: Weighting::Equal, loss: Loss::Linear, ..FitConfig::default() };
    assert_eq!(config.effective_loss(), Loss::Linear);
    let n_slices = rows.iter().map(|r| r.slice).max().map_or(0, |m| m + 1);
    assert!(n_slices > 0);
    for beta in [1.0, 0.5] {
        for s in 0..n_slices {
            let slice_rows: Vec<&SmileRow> = rows.iter().filter(|r| r.slice == s).collect();
            let slice = build_slice(&slice_rows, |r| r.mid_vol);
            let model =
                Sabr::new(slice.t_years, slice.forward).with_fixed_beta(beta).with_variant(SabrVariant::Hagan2002);
            let report = fit_slice(&model, &slice, &config, None);
            let scipy = fits
                .iter()
                .find(|f| f.slice == s && f.method == "scipy_trf" && (f.beta - beta).abs() < 1e-9)
                .expect("scipy row");
            let runs = 50;
            let clock = std::time::Instant::now();
            for _ in 0..runs {
                std::hint::black_box(fit_slice(&model, &slice, &config, None));
            }
            let us = clock.elapsed().as_secs_f64() * 1e6 / runs as f64;
            println!(
                "beta {beta} slice {s}: n = {:2} status {:10} RMSE {:.9} vs scipy {:.9} (diff {:+.2e}) iters {:3} \
                 evals {:3} {us:.1} µs/fit params {:?} scipy [{}, {}, {}, {}] start: {:?}",
                report.n_quotes,
                report.status.label(),
                report.rmse_vol_pts,
                scipy.rmse_vs_mid_volpts,
                report.rmse_vol_pts - scipy.rmse_vs_mid_volpts,
                report.iterations,
                report.function_evals,
                report.params,
                scipy.alpha,
                scipy.beta,
                scipy.rho,
                scipy.nu,
                report.notes.iter().find(|n| n.starts_with("start:"))
            );
            assert!(report.status.is_usable(), "beta {beta} slice {s}: {:?} {:?}", report.status, report.notes);
            // β fixed through the model's bounds: held exactly, not reported as "at bound".
            assert_eq!(report.params[1], beta);
            if let FitStatus::AtBound { params } = &report.status {
                assert!(!params.iter().any(|p| p == "beta"), "beta {beta} slice {s}: {params:?}");
            }
            assert!(
                report.rmse_vol_pts <= scipy.rmse_vs_mid_volpts + 1e-6,
                "beta {beta} slice {s}: RMSE {} > scipy {}",
                report.rmse_vol_pts,
                scipy.rmse_vs_mid_volpts
            );
            assert_eq!(report.residuals.len(), slice.quotes.len());
        }
    }
}
