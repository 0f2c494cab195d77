//! Forwards from quotes: put-call parity regression, and the forward implied by exchange deltas.

use crate::pricing::OptionKind;

use super::quote::PremiumCurrency;

/// How many strikes nearest the money the parity regression uses.
pub const PARITY_STRIKES: usize = 8;

/// Relative disagreement between the exchange and parity forwards above which a warning is raised.
pub const FORWARD_DISAGREEMENT_WARN: f64 = 0.005;

/// A two-sided call/put pair at one strike, mid premiums in the premium currency.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParityPair {
    /// Strike.
    pub strike: f64,
    /// Call mid premium.
    pub call_mid: f64,
    /// Put mid premium.
    pub put_mid: f64,
}

/// Result of a parity regression.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParityForward {
    /// Forward, quote currency.
    pub forward: f64,
    /// Discount factor D (1 for coin premiums, which regress on 1 − K/F).
    pub discount: f64,
    /// Strikes used.
    pub n_strikes: usize,
    /// R² of the linear fit.
    pub r_squared: f64,
}

/// Forward from put-call parity on the `PARITY_STRIKES` strikes nearest `guess`.
///
/// USD premiums: C − P = D·F − D·K, so regressing C − P on K gives slope −D and intercept D·F.
/// Coin premiums (C/F − P/F = D − (D/F)·K): slope −D/F and intercept D. Either way F = −intercept/slope.
/// Needs at least 3 strikes; returns None when the fit is degenerate (non-negative slope).
pub fn parity_forward(pairs: &[ParityPair], guess: f64, currency: PremiumCurrency) -> Option<ParityForward> {
    let mut near: Vec<&ParityPair> = pairs.iter().filter(|p| p.strike > 0.0).collect();
    near.sort_by(|a, b| (a.strike - guess).abs().total_cmp(&(b.strike - guess).abs()));
    near.truncate(PARITY_STRIKES);
    if near.len() < 3 {
        return None;
    }
    let n = near.len() as f64;
    let (sx, sy) = near.iter().fold((0.0, 0.0), |(sx, sy), p| (sx + p.strike, sy + p.call_mid - p.put_mid));
    let (mx, my) = (sx / n, sy / n);
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for p in &near {
        let (dx, dy) = (p.strike - mx, p.call_mid - p.put_mid - my);
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    if !(sxx > 0.0) {
        return None;
    }
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    if !(slope < 0.0) {
        return None;
    }
    let forward = -intercept / slope;
    let discount = match currency {
        PremiumCurrency::Quote => -slope,
        PremiumCurrency::Coin => intercept,
    };
    let r_squared = if syy > 0.0 { (sxy * sxy) / (sxx * syy) } else { 1.0 };
    (forward.is_finite() && forward > 0.0).then_some(ParityForward {
        forward,
        discount,
        n_strikes: near.len(),
        r_squared,
    })
}

/// The forward an exchange priced its marks on: at each of the `PARITY_STRIKES` strikes nearest `guess` with
/// both marks, mark parity gives it exactly (USD: F = K + C − P; coin: F = K / (1 − (C − P))); the median is
/// returned with the number of strikes, or None with fewer than 2 strikes. Pairs hold marks, not mids.
pub fn mark_parity_forward(marks: &[ParityPair], guess: f64, currency: PremiumCurrency) -> Option<(f64, usize)> {
    let mut near: Vec<&ParityPair> = marks.iter().filter(|p| p.strike > 0.0).collect();
    near.sort_by(|a, b| (a.strike - guess).abs().total_cmp(&(b.strike - guess).abs()));
    near.truncate(PARITY_STRIKES);
    let mut forwards: Vec<f64> = near
        .iter()
        .map(|p| {
            let diff = p.call_mid - p.put_mid;
            match currency {
                PremiumCurrency::Quote => p.strike + diff,
                PremiumCurrency::Coin => p.strike / (1.0 - diff),
            }
        })
        .filter(|f| f.is_finite() && *f > 0.0)
        .collect();
    if forwards.len() < 2 {
        return None;
    }
    forwards.sort_by(f64::total_cmp);
    let n = forwards.len();
    Some((if n % 2 == 1 { forwards[n / 2] } else { 0.5 * (forwards[n / 2 - 1] + forwards[n / 2]) }, n))
}

/// Forward implied by one quote's Black delta and vol: with Δ_call = N(d1),
/// ln F = ln K + d1·σ√T − σ²T/2. Used where a file has vols and deltas but no prices or forward.
pub fn forward_from_delta(kind: OptionKind, delta: f64, vol: f64, strike: f64, t_years: f64) -> Option<f64> {
    let call_delta = match kind {
        OptionKind::Call => delta,
        OptionKind::Put => delta + 1.0,
    };
    if !(call_delta > 0.0 && call_delta < 1.0 && vol > 0.0 && t_years > 0.0 && strike > 0.0) {
        return None;
    }
    let stddev = vol * t_years.sqrt();
    let d1 = <implied_vol::DefaultSpecialFn as implied_vol::SpecialFn>::inverse_norm_cdf(call_delta);
    let f = strike * (d1 * stddev - 0.5 * stddev * stddev).exp();
    f.is_finite().then_some(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::{price, OptionSpec};

    #[test]
    fn parity_recovers_the_forward_in_usd_and_coin() {
        let (f, d) = (70_000.0, 0.99);
        let pairs_usd: Vec<ParityPair> = (50..=90)
            .step_by(5)
            .map(|k| {
                let k = k as f64 * 1000.0;
                let c = OptionSpec { kind: OptionKind::Call, forward: f, strike: k, t_years: 0.1, discount: d };
                let p = OptionSpec { kind: OptionKind::Put, ..c };
                ParityPair { strike: k, call_mid: price(&c, 0.6), put_mid: price(&p, 0.6) }
            })
            .collect();
        let usd = parity_forward(&pairs_usd, 68_000.0, PremiumCurrency::Quote).unwrap();
        assert!((usd.forward - f).abs() < 1e-6 && (usd.discount - d).abs() < 1e-12);
        assert!(usd.r_squared > 0.999_999);
        let pairs_coin: Vec<ParityPair> = pairs_usd
            .iter()
            .map(|p| ParityPair { strike: p.strike, call_mid: p.call_mid / f, put_mid: p.put_mid / f })
            .collect();
        let coin = parity_forward(&pairs_coin, 68_000.0, PremiumCurrency::Coin).unwrap();
        assert!((coin.forward - f).abs() < 1e-6 && (coin.discount - d).abs() < 1e-12);
        assert!(parity_forward(&pairs_coin[..2], 68_000.0, PremiumCurrency::Coin).is_none());
    }

    #[test]
    fn delta_gives_back_the_forward() {
        let spec = OptionSpec::undiscounted(OptionKind::Put, 65_000.0, 60_000.0, 0.2);
        let g = crate::pricing::greeks(&spec, 0.55);
        let f = forward_from_delta(OptionKind::Put, g.delta, 0.55, 60_000.0, 0.2).unwrap();
        assert!((f - 65_000.0).abs() < 1e-6, "{f}");
    }
}
