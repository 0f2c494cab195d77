//! Manual mode's evaluation: hand-set parameters give the same statistics as a fit with those parameters.

use volscope::calibrate::{evaluate_slice, fit_slice, FitConfig, FitStatus};
use volscope::io::{load_bytes, LoadOptions};
use volscope::models::ModelKind;
use volscope::sample::SAMPLE_CSV;

#[test]
fn evaluating_fitted_parameters_reproduces_the_fit_report() {
    let raw = load_bytes(SAMPLE_CSV.as_bytes(), "sample", &LoadOptions::default()).unwrap();
    let snapshot = raw.snapshot(&Default::default()).unwrap();
    let config = FitConfig::default();
    for kind in [ModelKind::Svi, ModelKind::Sabr { beta: Some(1.0) }] {
        for slice in &snapshot.slices {
            let model = kind.for_slice(slice);
            let fitted = fit_slice(model.as_ref(), slice, &config, None);
            let manual = evaluate_slice(model.as_ref(), slice, &config, &fitted.params);
            assert_eq!(manual.status, FitStatus::Manual);
            assert_eq!(manual.params, fitted.params);
            assert_eq!(manual.rmse_vol_pts, fitted.rmse_vol_pts, "{}", slice.expiry_ms);
            assert_eq!(manual.n_quotes, fitted.n_quotes);
            assert_eq!(manual.butterfly, fitted.butterfly);
            assert_eq!(manual.residuals, fitted.residuals);
        }
    }
}

#[test]
fn bad_manual_parameters_give_a_failed_report_not_a_panic() {
    let raw = load_bytes(SAMPLE_CSV.as_bytes(), "sample", &LoadOptions::default()).unwrap();
    let snapshot = raw.snapshot(&Default::default()).unwrap();
    let slice = &snapshot.slices[3];
    let model = ModelKind::Svi.for_slice(slice);
    let config = FitConfig::default();
    for params in [vec![0.01, 0.1], vec![0.01, 0.1, -0.3, 0.0, f64::NAN], vec![0.01, 0.1, -1.5, 0.0, 0.1]] {
        let r = evaluate_slice(model.as_ref(), slice, &config, &params);
        assert!(matches!(r.status, FitStatus::Failed { .. }), "{params:?}: {:?}", r.status);
        assert!(r.params.is_empty());
    }
}
