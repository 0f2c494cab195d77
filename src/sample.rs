//! The bundled sample chain: a synthetic, Deribit-like BTC snapshot made by Volscope itself from documented
//! parameters and a fixed seed, written in the Deribit collector CSV format (`assets/sample_btc_synthetic.csv`).
//!
//! Recipe (every number here is the documentation):
//! - snapshot 2026-03-16 09:00:00 UTC; BTC index 72,000 USD; forward F(T) = 72,000·e^(0.05·T);
//! - ten expiries at 08:00 UTC: 17, 18, 20, 27 March, 3 and 24 April, 29 May, 26 June, 25 September,
//!   25 December 2026; T on ACT/365;
//! - smile: SSVI (Gatheral–Jacquier) w(k) = θ/2·(1 + ρφk + √((φk + ρ)² + 1 − ρ²)), θ = σ_atm(T)²·T,
//!   σ_atm(T) = 0.50 + 0.10·e^(−T/0.05), ρ = −0.25, φ(θ) = η/(θ^γ(1 + θ)^(1−γ)), η = 1.0, γ = 0.4
//!   (butterfly- and calendar-arbitrage-free);
//! - strikes every 500 / 1,000 / 2,000 / 5,000 USD for T < 0.01 / 0.1 / 0.3 / longer, over
//!   |k| ≤ min(1.2, 4.5·σ_atm√T + 0.05), a call and a put at each;
//! - mid vol = model + N(0, 0.3 vol pt); half-spread 0.8 + 2·|k|/(σ_atm√T) vol pts (+1 within 7 days);
//!   bid rounded down and ask up to Deribit's tick (0.0001 BTC below 0.005 BTC, 0.0005 above); a bid under
//!   one tick is no bid; mark = model price to 8 decimals, mark IV = model vol to 4 decimals;
//! - sizes and open interest uniform; SplitMix64 with seed 20260316.

use std::fmt::Write as _;

use crate::market::time::{format_utc, utc_ms, MS_PER_DAY};
use crate::pricing::{greeks, price, OptionKind, OptionSpec};

/// Seed of the bundled sample.
pub const SAMPLE_SEED: u64 = 20_260_316;
/// Path of the bundled sample relative to the crate root.
pub const SAMPLE_PATH: &str = "assets/sample_btc_synthetic.csv";
/// The bundled sample, compiled into the binary so the app opens it anywhere.
pub const SAMPLE_CSV: &str = include_str!("../assets/sample_btc_synthetic.csv");

const INDEX_USD: f64 = 72_000.0;
const BASIS_PER_YEAR: f64 = 0.05;
const SSVI_RHO: f64 = -0.25;
const SSVI_ETA: f64 = 1.0;
const SSVI_GAMMA: f64 = 0.4;

/// SplitMix64: a tiny, seedable generator (the sample must not depend on a crate's stream).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller, one of the pair).
    fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// ATM vol of the sample's term structure.
pub fn sample_atm_vol(t_years: f64) -> f64 {
    0.50 + 0.10 * (-t_years / 0.05).exp()
}

/// The sample's model vol at log-moneyness k and maturity T (SSVI).
pub fn sample_model_vol(k: f64, t_years: f64) -> f64 {
    let theta = sample_atm_vol(t_years).powi(2) * t_years;
    let phi = SSVI_ETA / (theta.powf(SSVI_GAMMA) * (1.0 + theta).powf(1.0 - SSVI_GAMMA));
    let (rho, pk) = (SSVI_RHO, phi * k);
    let w = 0.5 * theta * (1.0 + rho * pk + ((pk + rho).powi(2) + 1.0 - rho * rho).sqrt());
    (w / t_years).sqrt()
}

/// Expiry instants of the sample.
fn expiries_ms() -> Vec<i64> {
    [(3, 17), (3, 18), (3, 20), (3, 27), (4, 3), (4, 24), (5, 29), (6, 26), (9, 25), (12, 25)]
        .iter()
        .map(|&(m, d)| utc_ms(2026, m, d, 8, 0, 0))
        .collect()
}

/// Deribit BTC option tick: 0.0001 below 0.005 BTC, 0.0005 above.
fn tick(price_coin: f64) -> f64 {
    if price_coin < 0.005 {
        0.0001
    } else {
        0.0005
    }
}

/// Deribit's expiry code (`27MAR26`).
fn expiry_code(expiry_ms: i64) -> String {
    crate::market::time::format_dmy_code(expiry_ms)
}

/// Strikes of one expiry.
fn strikes(forward: f64, t_years: f64) -> Vec<f64> {
    let step = match t_years {
        t if t < 0.01 => 500.0,
        t if t < 0.1 => 1000.0,
        t if t < 0.3 => 2000.0,
        _ => 5000.0,
    };
    let k_max = (4.5 * sample_atm_vol(t_years) * t_years.sqrt() + 0.05).min(1.2);
    let (lo, hi) = ((forward * (-k_max).exp() / step).ceil(), (forward * k_max.exp() / step).floor());
    (lo as i64..=hi as i64).map(|i| i as f64 * step).collect()
}

/// Generates the sample file's text (deterministic for a seed).
pub fn generate_sample_csv(seed: u64) -> String {
    let mut rng = SplitMix64(seed);
    let now = utc_ms(2026, 3, 16, 9, 0, 0);
    let stamp = format_utc(now).replace('Z', "+00:00");
    let mut out = String::from(
        "timestamp,instrument_name,underlying,underlying_name,option_type,strike,expiry_datetime,time_to_maturity,\
         bid_price,ask_price,mark_price,mid_price,futures_price,futures_instrument_name,implied_volatility,delta,vega,\
         open_interest,volume,bid_ask_spread,currency,index_price,volume_usd\n",
    );
    for expiry in expiries_ms() {
        let t = (expiry - now) as f64 / (MS_PER_DAY as f64 * 365.0);
        let forward = (INDEX_USD * (BASIS_PER_YEAR * t).exp() * 100.0).round() / 100.0;
        let code = expiry_code(expiry);
        let future = if t < 0.02 { format!("SYN.BTC-{code}") } else { format!("BTC-{code}") };
        for strike in strikes(forward, t) {
            for kind in [OptionKind::Call, OptionKind::Put] {
                let quote = SampleQuote::draw(&mut rng, kind, forward, strike, t);
                let c = if kind == OptionKind::Call { "C" } else { "P" };
                let _ = writeln!(
                    out,
                    "{stamp},BTC-{code}-{strike}-{c},{forward},{future},{},{strike:.1},{},{t},{},{},{:.8},{},{forward},{future},{:.4},{:.5},{:.5},{:.1},{:.1},{},BTC,{INDEX_USD},0.0",
                    kind.as_str(),
                    format_utc(expiry).replace('Z', "+00:00"),
                    quote.bid.map(|b| format!("{b:.4}")).unwrap_or_default(),
                    format!("{:.4}", quote.ask),
                    quote.mark,
                    quote.bid.map(|b| format!("{:.5}", 0.5 * (b + quote.ask))).unwrap_or_default(),
                    quote.model_vol,
                    quote.delta,
                    quote.vega,
                    quote.open_interest,
                    quote.volume,
                    quote.bid.map(|b| format!("{:.4}", quote.ask - b)).unwrap_or_default(),
                );
            }
        }
    }
    out
}

/// One drawn quote of the sample (coin prices).
struct SampleQuote {
    bid: Option<f64>,
    ask: f64,
    mark: f64,
    model_vol: f64,
    delta: f64,
    vega: f64,
    open_interest: f64,
    volume: f64,
}

impl SampleQuote {
    fn draw(rng: &mut SplitMix64, kind: OptionKind, forward: f64, strike: f64, t: f64) -> Self {
        let spec = OptionSpec::undiscounted(kind, forward, strike, t);
        let k = (strike / forward).ln();
        let model_vol = sample_model_vol(k, t);
        let z = k.abs() / (sample_atm_vol(t) * t.sqrt());
        let half_spread = (0.8 + 2.0 * z + if t < 7.0 / 365.0 { 1.0 } else { 0.0 }) / 100.0;
        let mid_vol = model_vol + 0.003 * rng.normal();
        let coin = |vol: f64| price(&spec, vol.max(0.01)) / forward;
        let (bid_raw, ask_raw) = (coin(mid_vol - half_spread), coin(mid_vol + half_spread));
        let bid_tick = tick(bid_raw);
        let bid = (bid_raw / bid_tick).floor() * bid_tick;
        let ask_tick = tick(ask_raw);
        let ask = ((ask_raw / ask_tick).ceil() * ask_tick).max(0.0001);
        let g = greeks(&spec, model_vol);
        SampleQuote {
            bid: (bid >= 0.0001 - 1e-12).then_some(bid),
            ask,
            mark: (coin(model_vol) * 1e8).round() / 1e8,
            model_vol,
            delta: g.delta,
            vega: g.vega_per_vol_point(),
            open_interest: (rng.uniform() * 500.0 * 10.0).round() / 10.0,
            volume: (rng.uniform() * 50.0 * 10.0).round() / 10.0,
        }
    }
}
