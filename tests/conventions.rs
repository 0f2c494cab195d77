//! Which conventions reproduce Deribit's own mark IVs: coin → USD with the forward or the index, T on
//! ACT/365 or ACT/365.25 over exact timestamps. Decided by evidence on every Deribit snapshot in ../shared/data.
//!
//! Over out-of-the-money quotes with a mark price and a mark IV, the error |recomputed − file| (vol points)
//! is measured for each candidate on each snapshot (BTC and ETH together); the chosen one (the default
//! `BuildOptions`) must have the smallest median, and its median must be within the file's rounding (IVs are
//! given to 0.01 %, i.e. ±0.005 vol points; assert ≤ 0.01), for BTC and ETH separately too.
//!
//! The tail is printed, with the count of quotes beyond the file's own rounding (IV rounding + the vol effect
//! of the mark price's last decimal) + 0.01. It comes from the clock: the collector pages through BTC first and
//! ETH minutes later, while `timestamp` is its start, and it read `futures_price` apart from the mark (the
//! forward implied by call/put mark parity differs from it by ~1e-4). A 1-day option's vol moves by
//! ≈ σ·δt/(2T): three minutes is ≈ 0.07 vol points — the size of the ETH 1-day errors on 2026-03-16 09:57.

mod common;

use volscope::io::{load_path, LoadOptions};
use volscope::market::{BuildOptions, DayCount, UsdConversion};

/// Decimals of the coarsest-rounded mark price in the snapshot (8 for Deribit BTC, 6 for ETH): the tick is
/// 10^-decimals coin.
fn mark_decimals(marks: &[f64]) -> i32 {
    (0..=10)
        .find(|d| {
            let scale = 10f64.powi(*d);
            marks.iter().all(|m| ((m * scale).round() - m * scale).abs() < 1e-6)
        })
        .unwrap_or(10)
}

/// Vol points one half-tick of the mark price moves the vol by: 0.5·10^-decimals coin × F / vega.
fn price_rounding_vol_pts(q: &volscope::market::Quote, t_years: f64, decimals: i32) -> f64 {
    let spec = volscope::pricing::OptionSpec::undiscounted(q.kind, q.forward_used, q.strike, t_years);
    let vega_usd = volscope::pricing::greeks(&spec, q.exchange_iv.mark.unwrap_or(0.5)).vega;
    100.0 * 0.5 * 10f64.powi(-decimals) * q.forward_used / vega_usd
}

/// |recomputed mark IV − file mark IV| in vol points, with the expiry's T and the vol effect of the mark
/// price's own rounding, over OTM quotes.
fn errors(path: &std::path::Path, underlying: &str, options: &BuildOptions) -> Vec<(f64, f64, f64)> {
    let raw = load_path(path, &LoadOptions::default()).unwrap();
    let snapshot = raw.snapshot(&BuildOptions { underlying: Some(underlying.into()), ..options.clone() }).unwrap();
    let marks: Vec<f64> = snapshot.slices.iter().flat_map(|s| &s.quotes).filter_map(|q| q.mark.price).collect();
    let decimals = mark_decimals(&marks);
    let mut out = Vec::new();
    for slice in &snapshot.slices {
        for q in slice.quotes.iter().filter(|q| (q.strike / q.forward_used).ln().signum() == q.k.signum() && q.is_otm())
        {
            if let (Some(mine), Some(file)) = (q.mark.iv, q.exchange_iv.mark) {
                out.push((
                    100.0 * (mine - file).abs(),
                    slice.t_years,
                    price_rounding_vol_pts(q, slice.t_years, decimals),
                ));
            }
        }
    }
    out
}

fn quantile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[test]
fn forward_and_act365_reproduce_deribit_mark_ivs() {
    let Some(shared) = common::shared_dir() else { return };
    let mut files: Vec<_> = std::fs::read_dir(shared.join("data"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("deribit_btc_eth_"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 5, "five Deribit collector snapshots expected");
    let candidates = [
        ("forward, ACT/365", UsdConversion::Forward, DayCount::Act365Fixed),
        ("forward, ACT/365.25", UsdConversion::Forward, DayCount::Act36525),
        ("index, ACT/365", UsdConversion::Index, DayCount::Act365Fixed),
        ("index, ACT/365.25", UsdConversion::Index, DayCount::Act36525),
    ];
    let chosen = BuildOptions::default();
    for file in &files {
        let name_of = file.file_name().unwrap().to_string_lossy().to_string();
        let mut medians = Vec::new();
        for (name, usd, day_count) in candidates {
            let options = BuildOptions { usd_conversion: usd, day_count, ..BuildOptions::default() };
            let mut all = Vec::new();
            for underlying in ["BTC", "ETH"] {
                let errs = errors(file, underlying, &options);
                report(&name_of, underlying, name, &errs);
                all.extend(errs);
            }
            let mut e: Vec<f64> = all.iter().map(|x| x.0).collect();
            e.sort_by(f64::total_cmp);
            medians.push((quantile(&e, 0.5), usd, day_count));
            let underlying_medians: Vec<f64> = ["BTC", "ETH"]
                .iter()
                .map(|u| {
                    let mut e: Vec<f64> = errors(file, u, &options).iter().map(|x| x.0).collect();
                    e.sort_by(f64::total_cmp);
                    quantile(&e, 0.5)
                })
                .collect();
            if usd == chosen.usd_conversion && day_count == chosen.day_count {
                eprintln!("{name_of} BTC+ETH {name}: median {:.4} vol pts", quantile(&e, 0.5));
                assert!(quantile(&e, 0.5) <= 0.01, "{name_of}: median error {} vol pts > 0.01", quantile(&e, 0.5));
                for m in underlying_medians {
                    assert!(m <= 0.01, "{name_of}: one underlying's median error {m} vol pts > 0.01");
                }
            }
        }
        let best = medians.iter().copied().fold(medians[0], |a, b| if b.0 < a.0 { b } else { a });
        let chosen_median = medians.iter().find(|m| m.1 == chosen.usd_conversion && m.2 == chosen.day_count).unwrap().0;
        assert_eq!(chosen_median, best.0, "{name_of}: the default convention is not the best");
    }
}

/// Prints one candidate's error distribution for one underlying of one file.
fn report(file: &str, underlying: &str, candidate: &str, errs: &[(f64, f64, f64)]) {
    let mut e: Vec<f64> = errs.iter().map(|x| x.0).collect();
    e.sort_by(f64::total_cmp);
    let worst = errs.iter().copied().fold((0.0, 0.0, 0.0), |a, b| if b.0 > a.0 { b } else { a });
    let beyond = errs.iter().filter(|x| x.0 > 0.005 + x.2 + 0.01).count();
    eprintln!(
        "{file} {underlying} {candidate:<20} n={} median {:.4} p99 {:.3} max {:.3} vol pts (max at T = {:.2} days); \
         {beyond} beyond the file's rounding + 0.01",
        e.len(),
        quantile(&e, 0.5),
        quantile(&e, 0.99),
        worst.0,
        worst.1 * 365.0
    );
}
