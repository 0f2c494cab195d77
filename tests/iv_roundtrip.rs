//! Property tests: price → implied vol → price round trips on out-of-the-money options over a crypto range.

use proptest::prelude::*;
use volscope::pricing::{
    greeks, implied_vol, implied_vol_from_coin, price, price_coin, IvStatus, OptionKind, OptionSpec,
};

/// An out-of-the-money option (put below the forward, call above) with its vol.
fn otm_option() -> impl Strategy<Value = (OptionSpec, f64)> {
    (100.0..200_000.0f64, -1.5..1.5f64, (1.0 / 365.0)..2.0f64, 0.2..3.0f64, 0.9..=1.0f64).prop_map(
        |(forward, k, t_years, vol, discount)| {
            let kind = if k < 0.0 { OptionKind::Put } else { OptionKind::Call };
            (OptionSpec { kind, forward, strike: forward * k.exp(), t_years, discount }, vol)
        },
    )
}

/// Relative vol error one rounding of the price can cause (the reference's iv_cond_rel).
fn cond(spec: &OptionSpec, vol: f64, p: f64) -> f64 {
    let vega = greeks(spec, vol).vega / spec.discount;
    f64::EPSILON * (p / spec.discount) / (vega * vol)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn price_vol_price_round_trip((spec, vol) in otm_option()) {
        let p = price(&spec, vol);
        prop_assume!(p > f64::MIN_POSITIVE);
        let c = cond(&spec, vol, p);
        let out = implied_vol(&spec, p);
        let iv = out.vol.expect("an OTM price with time value has a vol");
        if c < 1e-8 {
            prop_assert_eq!(out.status, IvStatus::Ok);
            prop_assert!((iv - vol).abs() / vol <= (100.0 * c).max(1e-12), "iv {} vs {} cond {:e}", iv, vol, c);
        }
        // One ulp of the vol moves the price by vega·σ·ε: allow a few of those and a few ulps of the price.
        let repriced = price(&spec, iv);
        let vega_sigma = greeks(&spec, vol).vega * vol;
        prop_assert!((repriced - p).abs() <= 8.0 * f64::EPSILON * (p + vega_sigma), "repriced {:e} vs {:e}", repriced, p);
    }

    #[test]
    fn coin_price_round_trip((spec, vol) in otm_option()) {
        let pc = price_coin(&spec, vol);
        prop_assume!(pc * spec.forward > 1e-300);
        let out = implied_vol_from_coin(&spec, pc);
        prop_assume!(out.status == IvStatus::Ok);
        let iv = out.vol.unwrap();
        prop_assert!((iv - vol).abs() / vol <= 1e-9, "iv {} vs {}", iv, vol);
    }

    #[test]
    fn never_nan_or_infinite(f in -10.0..1e6f64, k in -10.0..1e6f64, t in -1.0..3.0f64, p in -10.0..1e6f64, call: bool) {
        let kind = if call { OptionKind::Call } else { OptionKind::Put };
        let out = implied_vol(&OptionSpec { kind, forward: f, strike: k, t_years: t, discount: 1.0 }, p);
        prop_assert_eq!(out.vol.is_some(), out.status.has_vol());
        if let Some(v) = out.vol {
            prop_assert!(v.is_finite() && v > 0.0);
        }
        prop_assert_ne!(out.status, IvStatus::SolverFailed);
    }
}
