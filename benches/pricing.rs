//! Pricing-core throughput on a realistic crypto grid: σ 20–300 %, T from 1 day to 2 years, |ln K/F| ≤ 1.5,
//! out-of-the-money options (puts below the forward, calls above), 4,096 points.
//!
//! - `implied_vol/volscope`: `pricing::implied_vol` (input checks, the certified fast path of `pricing::fast_iv`
//!   with Let's Be Rational as fallback, conditioning status);
//! - `implied_vol/implied_vol_crate`: the bare `implied-vol` 2.1 solver on the same undiscounted prices;
//! - `price_and_greeks/volscope`: `pricing::greeks` (price + all Greeks + premium-adjusted delta).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use implied_vol::{DefaultSpecialFn, ImpliedBlackVolatility};
use std::hint::black_box;
use volscope::pricing::{greeks, implied_vol, price, OptionKind, OptionSpec};

const N: usize = 4096;

/// SplitMix64 → uniform in [0, 1): deterministic inputs without a random-number crate.
fn uniform(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

/// The grid: (option, vol, price in USD).
fn crypto_grid() -> Vec<(OptionSpec, f64, f64)> {
    let mut state = 20_261_125u64;
    (0..N)
        .map(|_| {
            let forward = 60_000.0 + 60_000.0 * uniform(&mut state);
            let k = -1.5 + 3.0 * uniform(&mut state);
            let t_years = (1.0 / 365.0) * (730.0f64).powf(uniform(&mut state)); // log-uniform 1 d … 2 y
            let vol = 0.2 + 2.8 * uniform(&mut state);
            let kind = if k < 0.0 { OptionKind::Put } else { OptionKind::Call };
            let spec = OptionSpec::undiscounted(kind, forward, forward * k.exp(), t_years);
            (spec, vol, price(&spec, vol))
        })
        .collect()
}

fn bench_implied_vol(c: &mut Criterion) {
    let grid = crypto_grid();
    let mut group = c.benchmark_group("implied_vol");
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("volscope", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for (spec, _, p) in &grid {
                sum += implied_vol(black_box(spec), black_box(*p)).vol_or_nan();
            }
            sum
        })
    });
    group.bench_function("implied_vol_crate", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for (spec, _, p) in &grid {
                sum += ImpliedBlackVolatility::builder()
                    .option_price(black_box(*p))
                    .forward(spec.forward)
                    .strike(spec.strike)
                    .expiry(spec.t_years)
                    .is_call(spec.kind.is_call())
                    .build()
                    .and_then(|iv| iv.calculate::<DefaultSpecialFn>())
                    .unwrap_or(f64::NAN);
            }
            sum
        })
    });
    group.finish();
}

fn bench_greeks(c: &mut Criterion) {
    let grid = crypto_grid();
    let mut group = c.benchmark_group("price_and_greeks");
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("volscope", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for (spec, vol, _) in &grid {
                let g = greeks(black_box(spec), black_box(*vol));
                sum += g.value + g.delta + g.gamma + g.vega + g.theta_per_year + g.vanna + g.volga;
            }
            sum
        })
    });
    group.finish();
}

criterion_group!(benches, bench_implied_vol, bench_greeks);
criterion_main!(benches);
