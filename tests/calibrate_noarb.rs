//! The `no_arbitrage` fit option: on quotes generated from Axel Vogt's raw SVI slice (Gatheral & Jacquier 2014
//! §3; w > 0 everywhere but g < 0 on roughly k ∈ [0.4, 1.0]) the plain fit reproduces the arbitrage, and the
//! no-arbitrage fit returns a smile that passes the butterfly check, with its RMSE reported.

mod common;

use common::smiles::{side, vol_quote, vol_slice};
use volscope::calibrate::{fit_slice, FitConfig, SliceFitReport};
use volscope::market::ExpirySlice;
use volscope::models::{SmileModel, Svi};
use volscope::pricing::OptionKind;

const VOGT: [f64; 5] = [-0.0410, 0.1331, 0.3060, 0.3586, 0.4153];
const T: f64 = 1.0;
const F: f64 = 100.0;

/// k from −1.5 to 1.5 (step 0.1), mid = Vogt's vol, bid/ask ± 1 vol pt; puts below the forward, calls above.
fn vogt_slice() -> ExpirySlice {
    let quotes = (0..=30)
        .map(|i| {
            let k = -1.5 + 0.1 * i as f64;
            let vol = Svi.implied_vol(&VOGT, k, T);
            let kind = if k < 0.0 { OptionKind::Put } else { OptionKind::Call };
            vol_quote(&format!("VOGT-{i}"), kind, F, k, [vol - 0.01, vol, vol + 0.01], i as u64 + 2)
        })
        .collect();
    let mut slice = vol_slice(T, F, quotes);
    slice.expiry_ms = 1_800_000_000_000;
    slice
}

fn show(label: &str, r: &SliceFitReport) {
    println!(
        "{label}: status {} RMSE {:.4} vol pts (max {:.4}) inside {:.3} butterfly ok {} min g {:.3e} at k = {:.3} \
         iters {} params {:?} notes {:?}",
        r.status.label(),
        r.rmse_vol_pts,
        r.max_abs_err_vol_pts,
        r.inside_spread_share,
        r.butterfly.ok,
        r.butterfly.min_g,
        r.butterfly.k_at_min_g,
        r.iterations,
        r.params,
        r.notes
    );
}

#[test]
fn no_arbitrage_fit_removes_vogts_butterfly_arbitrage() {
    let slice = vogt_slice();
    assert!(slice.quotes.iter().all(|q| q.mid.iv.is_some_and(|v| v > 0.0)));

    let plain = fit_slice(&Svi, &slice, &FitConfig::default(), None);
    show("plain", &plain);
    assert!(plain.status.is_usable(), "{:?} {:?}", plain.status, plain.notes);
    assert!(plain.rmse_vol_pts < 1e-4, "plain fit should reproduce Vogt's smile: {}", plain.rmse_vol_pts);
    assert!(!plain.butterfly.ok, "the plain fit reproduces the arbitrage");
    assert!(plain.butterfly.k_at_min_g > 0.3 && plain.butterfly.k_at_min_g < 1.1, "{:?}", plain.butterfly);

    let config = FitConfig { no_arbitrage: true, ..FitConfig::default() };
    let noarb = fit_slice(&Svi, &slice, &config, None);
    show("no-arb", &noarb);
    assert!(noarb.status.is_usable(), "{:?} {:?}", noarb.status, noarb.notes);
    assert!(noarb.butterfly.ok, "{:?} {:?}", noarb.butterfly, noarb.notes);
    assert!(noarb.butterfly.min_g >= 0.0);
    assert!(noarb.rmse_vol_pts.is_finite() && noarb.rmse_vol_pts > 0.0, "RMSE {}", noarb.rmse_vol_pts);
    // Removing the arbitrage costs some fit, but the smile stays close to the quotes (bid/ask ± 1 vol pt).
    assert!(noarb.rmse_vol_pts < 2.0, "RMSE {}", noarb.rmse_vol_pts);
    assert!(noarb.notes.iter().any(|n| n.starts_with("no-arbitrage")), "{:?}", noarb.notes);
    assert_eq!(noarb.residuals.len(), slice.quotes.len());
}

#[test]
fn no_arbitrage_leaves_an_arbitrage_free_fit_alone() {
    // A smile without arbitrage: the option changes nothing.
    let p = [0.03, 0.1, -0.3, 0.05, 0.2];
    let mut slice = vogt_slice();
    for q in &mut slice.quotes {
        let vol = Svi.implied_vol(&p, q.k, T);
        (q.bid, q.mid, q.ask) = (side(vol - 0.01), side(vol), side(vol + 0.01));
    }
    let plain = fit_slice(&Svi, &slice, &FitConfig::default(), None);
    let noarb = fit_slice(&Svi, &slice, &FitConfig { no_arbitrage: true, ..FitConfig::default() }, None);
    assert!(plain.butterfly.ok && noarb.butterfly.ok);
    assert_eq!(plain.params, noarb.params);
    assert!(!noarb.notes.iter().any(|n| n.starts_with("no-arbitrage")), "{:?}", noarb.notes);
}

#[test]
fn no_arbitrage_holds_even_when_the_solver_is_cut_short() {
    // One LM iteration per run: the growing penalty (or, failing it, the SVI fallback that blends a and b
    // towards a flat smile) must still deliver a butterfly-free smile.
    let slice = vogt_slice();
    let config = FitConfig { no_arbitrage: true, max_iterations: 1, ..FitConfig::default() };
    let r = fit_slice(&Svi, &slice, &config, None);
    show("no-arb, 1 iteration", &r);
    assert!(r.status.is_usable(), "{:?} {:?}", r.status, r.notes);
    assert!(r.butterfly.ok, "{:?} {:?}", r.butterfly, r.notes);
}
