//! The certified fast implied-vol path (`pricing::fast_iv`): it agrees with Let's Be Rational to the precision
//! the price carries, and it is the path taken on (nearly) all of the realistic crypto grid.
//!
//! Tolerance: both solvers are limited by the rounding of the normalised Black price b, so they may differ by a
//! few ε·cond, cond = b/(b'·s) the relative vol change per relative price change (≥ 1 near the money). Against
//! 40-digit mpmath inversions of the same doubles, on 1,000 crypto points, the fast path was off by at most
//! 3.6 ε·max(1, cond) (mean 0.46) and Let's Be Rational by 2.8 (mean 0.46); the bound here is 8.

use implied_vol::solver::Jaeckel;
use implied_vol::{DefaultSpecialFn, ImpliedBlackVolatilityNormalised, PriceBlackScholesNormalised};
use volscope::pricing::fast_iv::{fast_total_vol, guess_total_vol, solver_path, NormalisedPrice, SolverPath};
use volscope::pricing::{implied_vol, price, IvStatus, OptionKind, OptionSpec};

/// Allowed difference from Let's Be Rational, in units of ε·max(1, cond).
const MAX_DIFF_EPS_COND: f64 = 8.0;

/// Normalised out-of-the-money Black price b(x, s), x ≤ 0.
fn normalised_black(x: f64, s: f64) -> f64 {
    PriceBlackScholesNormalised::builder()
        .log_moneyness(x)
        .total_volatility(s)
        .build_unchecked()
        .calculate::<DefaultSpecialFn>()
}

/// Let's Be Rational (the crate's Jäckel solver without cross-method fallback).
fn lets_be_rational(x: f64, beta: f64) -> f64 {
    ImpliedBlackVolatilityNormalised::builder()
        .log_moneyness(x)
        .normalised_price(beta)
        .build_unchecked()
        .calculate_with::<Jaeckel>()
        .expect("a price inside (0, b_max) has a vol")
}

/// b/(b'·s): the relative vol error per relative price error.
fn cond(x: f64, s: f64) -> f64 {
    let h = x / s;
    let vega = (-0.5 * h * h - 0.125 * s * s).exp() / (2.0 * std::f64::consts::PI).sqrt();
    normalised_black(x, s) / (vega * s)
}

/// SplitMix64 → uniform in [0, 1).
fn uniform(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

/// Dense (|x|, s) grid over the crypto region: |ln K/F| ≤ 1.5, σ√T from 20 % over 1 day to 300 % over 2 years
/// (301 × 301 points, quadratic in |x| to resolve the money, geometric in s).
fn dense_grid() -> impl Iterator<Item = (f64, f64)> {
    let s_min = 0.2 * (1.0f64 / 365.0).sqrt();
    let s_max = 3.0 * 2.0f64.sqrt();
    (0..=300).flat_map(move |i| {
        let abs_x = 1.5 * (i as f64 / 300.0).powi(2);
        (0..=300).map(move |j| (abs_x, s_min * (s_max / s_min).powf(j as f64 / 300.0)))
    })
}

#[test]
fn fast_path_agrees_with_lets_be_rational_on_a_dense_crypto_grid() {
    let (mut n, mut fast, mut n_quotable, mut fast_quotable) = (0usize, 0usize, 0usize, 0usize);
    let (mut worst, mut worst_guess) = (0.0f64, 0.0f64);
    for (abs_x, s) in dense_grid() {
        let x = -abs_x;
        let beta = normalised_black(x, s);
        if !(beta >= f64::MIN_POSITIVE) {
            continue;
        }
        // Normalised prices below 1e-200 (USD prices of 1e-195 and less) are never quoted.
        let quotable = beta >= 1e-200;
        n += 1;
        n_quotable += usize::from(quotable);
        let p = NormalisedPrice::from_x_beta(x, beta);
        let Some(s_fast) = fast_total_vol(&p) else { continue };
        fast += 1;
        fast_quotable += usize::from(quotable);
        let s_lbr = lets_be_rational(x, beta);
        let diff = (s_fast - s_lbr).abs() / s_lbr / (f64::EPSILON * cond(x, s_lbr).max(1.0));
        assert!(diff <= MAX_DIFF_EPS_COND, "|x| {abs_x} s {s}: fast {s_fast:e} vs LBR {s_lbr:e} ({diff:.1} ε·cond)");
        worst = worst.max(diff);
        worst_guess = worst_guess.max((guess_total_vol(&p).unwrap_or(f64::NAN) / s_lbr - 1.0).abs());
    }
    eprintln!(
        "fast path: {fast}/{n} ({fast_quotable}/{n_quotable} with β ≥ 1e-200); worst difference from LBR \
         {worst:.2} ε·max(1, cond); worst initial guess {worst_guess:.1e} relative"
    );
    assert_eq!(fast_quotable, n_quotable, "every quotable price of the crypto region takes the fast path");
    assert!(fast as f64 >= 0.98 * n as f64, "only {fast}/{n} on the fast path");
}

#[test]
fn the_benchmark_grid_takes_the_fast_path_and_round_trips() {
    let mut state = 20_261_125u64;
    let (mut solved, mut fast) = (0usize, 0usize);
    for _ in 0..20_000 {
        let forward = 60_000.0 + 60_000.0 * uniform(&mut state);
        let k = -1.5 + 3.0 * uniform(&mut state);
        let t_years = (1.0 / 365.0) * (730.0f64).powf(uniform(&mut state));
        let vol = 0.2 + 2.8 * uniform(&mut state);
        let kind = if k < 0.0 { OptionKind::Put } else { OptionKind::Call };
        let spec = OptionSpec::undiscounted(kind, forward, forward * k.exp(), t_years);
        let p = price(&spec, vol);
        match solver_path(&spec, p) {
            SolverPath::NotSolved => continue,
            SolverPath::Fast => fast += 1,
            SolverPath::Fallback => assert!(p < 1e-190, "a quotable price {p:e} fell back: {spec:?} vol {vol}"),
        }
        solved += 1;
        let out = implied_vol(&spec, p);
        assert_eq!(out.status, IvStatus::Ok, "{spec:?} vol {vol}");
        let iv = out.vol.expect("ok carries a vol");
        assert!((iv - vol).abs() <= 1e-12 * vol, "{spec:?}: {iv} vs {vol}");
    }
    eprintln!("{fast}/{solved} solved on the fast path");
    assert!(fast as f64 >= 0.99 * solved as f64, "only {fast}/{solved} on the fast path");
}

#[test]
fn itm_discounted_and_at_the_money_inputs_use_the_fast_path_too() {
    let cases = [
        OptionSpec { kind: OptionKind::Call, forward: 65_000.0, strike: 60_000.0, t_years: 0.25, discount: 0.99 },
        OptionSpec::undiscounted(OptionKind::Put, 3_500.0, 3_500.0, 7.0 / 365.0),
        OptionSpec::undiscounted(OptionKind::Call, 100.0, 100.0 * (1.0 + 1e-9), 1.0),
    ];
    for spec in cases {
        let p = price(&spec, 0.65);
        assert_eq!(solver_path(&spec, p), SolverPath::Fast, "{spec:?}");
        let out = implied_vol(&spec, p);
        assert_eq!(out.status, IvStatus::Ok);
        assert!((out.vol.unwrap() - 0.65).abs() < 1e-13, "{spec:?}: {out:?}");
    }
}

#[test]
fn outside_the_table_falls_back() {
    // Far out of the money (|x| = 5) and very high total vol (s = 12) are outside the table.
    for (x, s) in [(-5.0, 0.8), (-0.1, 12.0)] {
        let p = NormalisedPrice::from_x_beta(x, normalised_black(x, s));
        assert_eq!(fast_total_vol(&p), None, "x {x} s {s}");
    }
    let deep = OptionSpec::undiscounted(OptionKind::Call, 100.0, 100.0 * 5f64.exp(), 1.0);
    let p = price(&deep, 0.8);
    assert_eq!(solver_path(&deep, p), SolverPath::Fallback);
    assert!((implied_vol(&deep, p).vol.unwrap() - 0.8).abs() < 1e-12);
    // Failed inputs never reach a solver.
    assert_eq!(solver_path(&deep, -1.0), SolverPath::NotSolved);
}
