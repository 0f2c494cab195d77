//! Smile models and arbitrage checks: SVI-JW round trips, SABR against the QuantLib reference fits, the
//! butterfly check on Vogt's slice and on the reference's arbitrage-free slices, the calendar check.

mod common;

use serde::Deserialize;
use volscope::arbitrage::{butterfly_check, calendar_check};
use volscope::models::{jw_to_raw, raw_to_jw, Sabr, SabrVariant, SmileModel, Svi, SviJw, SviParams};

/// Vogt's slice (GJ2014 §3): positive w, butterfly arbitrage on roughly k ∈ [0.4, 1.0].
const VOGT: [f64; 5] = [-0.0410, 0.1331, 0.3060, 0.3586, 0.4153];

fn raw_sets() -> Vec<SviParams> {
    let sets = [
        [0.04, 0.4, -0.3, 0.05, 0.2],
        [0.02, 0.1, 0.5, -0.2, 0.3],
        [0.009, 0.045, -0.45, 0.02, 0.06],
        [0.22, 0.18, -0.12, 0.1, 0.36],
        [0.03, 0.2, 0.0, 0.15, 0.1],
        [0.03, 0.2, 0.7, 0.0, 0.1],
        [0.01, 1.2, -0.9, -0.4, 0.05],
        [0.1, 0.05, 0.2, 1.5, 0.8],
        VOGT,
    ];
    sets.iter().map(|p| SviParams::from_slice(p)).collect()
}

#[test]
fn svi_jw_round_trip_raw_to_jw_to_raw() {
    for raw in raw_sets() {
        for t in [0.01, 0.25, 1.0, 3.0] {
            let jw = raw_to_jw(&raw, t);
            let back = jw_to_raw(&jw, t).unwrap_or_else(|e| panic!("{raw:?} at T = {t}: {e}"));
            for (x, y) in raw.to_array().iter().zip(back.to_array()) {
                assert!((x - y).abs() < 1e-12 * x.abs().max(1.0), "{raw:?} T = {t}: {back:?}");
            }
            let model = SviJw::new(t);
            for k in [-1.0, -0.1, 0.0, 0.4, 2.0] {
                let w = model.total_variance(&jw.to_array(), k);
                assert!((w - raw.total_variance(k)).abs() < 1e-13, "{raw:?} k = {k}");
            }
        }
    }
}

#[test]
fn svi_jw_domain_follows_raw_svi() {
    let t = 0.5;
    let good = raw_to_jw(&SviParams::from_slice(&[0.04, 0.4, -0.3, 0.05, 0.2]), t).to_array();
    assert!(SviJw::new(t).check_domain(&good).is_ok());
    // A negative minimum variance maps to raw SVI outside its domain.
    let negative_min = raw_to_jw(&SviParams::from_slice(&[-0.1, 0.4, -0.3, 0.5, 0.2]), t).to_array();
    assert!(SviJw::new(t).check_domain(&negative_min).unwrap_err().contains("minimum total variance"));
    // k-derivatives and the numerical gradient stay finite and match raw SVI's k-derivatives.
    let (w, w1, w2) = SviJw::new(t).total_variance_k_derivatives(&good, 0.2);
    let (rw, rw1, rw2) = Svi.total_variance_k_derivatives(&[0.04, 0.4, -0.3, 0.05, 0.2], 0.2);
    assert!((w - rw).abs() < 1e-14 && (w1 - rw1).abs() < 1e-13 && (w2 - rw2).abs() < 1e-12);
    let mut grad = [0.0; 5];
    SviJw::new(t).total_variance_gradient(&good, 0.2, &mut grad);
    assert!(grad.iter().all(|g| g.is_finite()));
    // ∂w(0)/∂v = t exactly (w(0) = v·t).
    SviJw::new(t).total_variance_gradient(&good, 0.0, &mut grad);
    assert!((grad[0] - t).abs() < 1e-6, "{grad:?}");
}

#[derive(Deserialize)]
struct SabrFit {
    slice: u32,
    #[serde(rename = "T")]
    t: f64,
    #[serde(rename = "F")]
    f: f64,
    method: String,
    alpha: f64,
    beta: f64,
    nu: f64,
    rho: f64,
    rmse_vs_mid_volpts: f64,
}

#[derive(Deserialize)]
struct Quote {
    slice: u32,
    #[serde(rename = "F")]
    f: f64,
    #[serde(rename = "K")]
    strike: f64,
    k: f64,
    mid_vol: f64,
}

fn rmse_vol_pts(model_vols: impl Iterator<Item = f64>, quotes: &[&Quote]) -> f64 {
    let sum: f64 = model_vols.zip(quotes).map(|(v, q)| (v - q.mid_vol).powi(2)).sum();
    100.0 * (sum / quotes.len() as f64).sqrt()
}

#[test]
fn sabr_hagan_reproduces_reference_rmse() {
    let (Some(fits_path), Some(quotes_path)) =
        (common::reference_file("sabr_fits.csv"), common::reference_file("smiles_quotes.csv"))
    else {
        return;
    };
    let fits: Vec<SabrFit> = common::read_csv(&fits_path);
    let quotes: Vec<Quote> = common::read_csv(&quotes_path);
    let mut checked = 0;
    for fit in fits.iter().filter(|f| f.method == "scipy_trf") {
        let slice: Vec<&Quote> = quotes.iter().filter(|q| q.slice == fit.slice).collect();
        assert!(slice.iter().all(|q| q.f == fit.f));
        let model = Sabr::new(fit.t, fit.f).with_variant(SabrVariant::Hagan2002).with_fixed_beta(fit.beta);
        let params = [fit.alpha, fit.beta, fit.rho, fit.nu];
        model.check_domain(&params).unwrap();
        let by_strike = rmse_vol_pts(slice.iter().map(|q| model.implied_vol_at_strike(&params, q.strike)), &slice);
        let by_k = rmse_vol_pts(slice.iter().map(|q| model.implied_vol(&params, q.k, fit.t)), &slice);
        let (err_strike, err_k) = ((by_strike - fit.rmse_vs_mid_volpts).abs(), (by_k - fit.rmse_vs_mid_volpts).abs());
        println!(
            "slice {} beta {}: rmse {by_strike:.15} vs reference {:.15}: |diff| {err_strike:.2e} (via k: {err_k:.2e})",
            fit.slice, fit.beta, fit.rmse_vs_mid_volpts
        );
        assert!(err_strike < 1e-9 && err_k < 1e-9, "slice {} beta {}", fit.slice, fit.beta);
        checked += 1;
    }
    assert_eq!(checked, 12);
}

#[test]
fn vogt_slice_has_butterfly_arbitrage_right_of_the_money() {
    let summary = butterfly_check(&Svi, &VOGT, -3.0, 3.0, 6001);
    println!("{summary:?}");
    assert!(!summary.ok && summary.min_g < 0.0);
    assert_eq!(summary.negative_ranges.len(), 1, "{:?}", summary.negative_ranges);
    // DOMAIN-NOTES says "roughly k ∈ [0.4, 1.0]"; g (checked independently by finite differences) is negative
    // on (0.643, 1.256), with its minimum −0.0329 at k ≈ 0.879: the run starts inside [0.4, 1.0] and covers its
    // upper part.
    let (lo, hi) = summary.negative_ranges[0];
    assert!((lo - 0.643).abs() < 0.002 && (hi - 1.256).abs() < 0.002, "negative range ({lo}, {hi})");
    assert!((summary.min_g + 0.03286).abs() < 1e-4 && (summary.k_at_min_g - 0.879).abs() < 0.002);
    assert!(summary.k_at_min_g > lo && summary.k_at_min_g < hi);
    // Positive total variance everywhere: the violation is in g, not in w.
    assert!((-300..=300).all(|i| Svi.total_variance(&VOGT, i as f64 / 100.0) > 0.0));
}

#[derive(Deserialize)]
struct TrueSlices {
    slices: Vec<TrueSlice>,
}

#[derive(Deserialize)]
struct TrueSlice {
    #[serde(rename = "T")]
    t: f64,
    a: f64,
    b: f64,
    rho: f64,
    m: f64,
    sigma: f64,
}

fn true_slices() -> Option<Vec<(f64, [f64; 5])>> {
    let path = common::reference_file("svi_true_params.json")?;
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let parsed: TrueSlices = serde_json::from_str(&text).unwrap();
    Some(parsed.slices.iter().map(|s| (s.t, [s.a, s.b, s.rho, s.m, s.sigma])).collect())
}

#[test]
fn true_reference_slices_are_arbitrage_free() {
    let Some(slices) = true_slices() else { return };
    assert_eq!(slices.len(), 6);
    for (t, p) in &slices {
        let summary = butterfly_check(&Svi, p, -3.0, 3.0, 6001);
        assert!(summary.ok && summary.min_g > 0.0, "T = {t}: {summary:?}");
    }
    let k_grid: Vec<f64> = (-300..=300).map(|i| i as f64 / 100.0).collect();
    let inputs: Vec<(f64, &dyn SmileModel, &[f64])> =
        slices.iter().map(|(t, p)| (*t, &Svi as &dyn SmileModel, &p[..])).collect();
    assert!(calendar_check(&inputs, &k_grid).is_empty());
}

#[test]
fn constructed_calendar_violation_is_found() {
    let short = [0.05, 0.1, -0.3, 0.0, 0.2];
    let long = [0.04, 0.1, -0.3, 0.0, 0.2]; // a lower level: w drops by 0.01 at every k
    let later = [0.08, 0.1, -0.3, 0.0, 0.2];
    let k_grid = [-1.0, 0.0, 1.0];
    // Given out of order: sorted by T inside.
    let inputs: Vec<(f64, &dyn SmileModel, &[f64])> =
        vec![(1.0, &Svi, &later[..]), (0.25, &Svi, &short[..]), (0.5, &Svi, &long[..])];
    let found = calendar_check(&inputs, &k_grid);
    assert_eq!(found.len(), 3, "{found:?}");
    for v in &found {
        assert_eq!((v.t_short, v.t_long), (0.25, 0.5));
        assert!((v.w_short - v.w_long - 0.01).abs() < 1e-15);
    }
    // Equal variance is not a violation.
    let same: Vec<(f64, &dyn SmileModel, &[f64])> = vec![(0.25, &Svi, &short[..]), (0.5, &Svi, &short[..])];
    assert!(calendar_check(&same, &k_grid).is_empty());
}
