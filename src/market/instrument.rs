//! Exchange instrument names: underlying, expiry (08:00 UTC), strike and type.
//!
//! Deribit `BTC-27DEC24-100000-C` (linear USDC: `SOL_USDC-27DEC24-150-C`, decimal strikes as `0d625`),
//! Bybit `BTC-27DEC24-100000-C` (optionally suffixed `-USDT`), OKX `BTC-USD-241227-100000-C`,
//! Binance `BTC-250516-93000-C`.

use super::time::{parse_dmy_code, parse_yymmdd_code};
use crate::pricing::OptionKind;

/// The parts of an option instrument name.
#[derive(Clone, Debug, PartialEq)]
pub struct Instrument {
    /// Underlying as named by the exchange (`BTC`, `SOL_USDC`).
    pub underlying: String,
    /// Expiry instant, UTC ms (08:00 UTC on the named date).
    pub expiry_ms: i64,
    /// Strike.
    pub strike: f64,
    /// Call or put.
    pub kind: OptionKind,
}

fn strike(text: &str) -> Option<f64> {
    let s: f64 = if text.contains('d') { text.replace('d', ".").parse().ok()? } else { text.parse().ok()? };
    (s.is_finite() && s > 0.0).then_some(s)
}

fn kind(text: &str) -> Option<OptionKind> {
    OptionKind::parse(text)
}

/// Parses any of the four exchanges' option names; `None` when it is not an option name.
pub fn parse_instrument(name: &str) -> Option<Instrument> {
    let (underlying, expiry_ms, strike, kind) = parse_parts(name)?;
    Some(Instrument { underlying: underlying.to_owned(), expiry_ms, strike, kind })
}

/// The expiry (UTC ms), strike and type an option name states, without allocating (every loaded row is
/// checked against its name); `None` when it is not an option name.
pub fn instrument_terms(name: &str) -> Option<(i64, f64, OptionKind)> {
    parse_parts(name).map(|(_, e, k, c)| (e, k, c))
}

/// (underlying, expiry, strike, type) of an option name.
fn parse_parts(name: &str) -> Option<(&str, i64, f64, OptionKind)> {
    let mut parts = [""; 5];
    let mut n = 0;
    for part in name.trim().split('-') {
        if n == parts.len() {
            return None;
        }
        parts[n] = part;
        n += 1;
    }
    let parts = &parts[..n];
    // Deribit / Bybit: UND-DDMMMYY-STRIKE-C[-USDT]
    if let [u, e, k, c] | [u, e, k, c, _] = parts {
        if let Some(expiry_ms) = parse_dmy_code(e) {
            return Some((u, expiry_ms, strike(k)?, kind(c)?));
        }
    }
    let (underlying, code, strike_text, kind_text) = match parts {
        // OKX: UND-QUOTE-YYMMDD-STRIKE-C
        [u, _quote, e, k, c] => (*u, *e, *k, *c),
        // Binance: UND-YYMMDD-STRIKE-C
        [u, e, k, c] => (*u, *e, *k, *c),
        _ => return None,
    };
    Some((underlying, parse_yymmdd_code(code)?, strike(strike_text)?, kind(kind_text)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::time::utc_ms;

    #[test]
    fn parses_each_exchange() {
        let deribit = parse_instrument("BTC-27DEC24-100000-C").unwrap();
        assert_eq!(deribit.underlying, "BTC");
        assert_eq!(deribit.expiry_ms, utc_ms(2024, 12, 27, 8, 0, 0));
        assert_eq!((deribit.strike, deribit.kind), (100_000.0, OptionKind::Call));
        let usdc = parse_instrument("XRP_USDC-27MAR26-0d625-P").unwrap();
        assert_eq!((usdc.underlying.as_str(), usdc.strike, usdc.kind), ("XRP_USDC", 0.625, OptionKind::Put));
        let okx = parse_instrument("BTC-USD-241227-100000-C").unwrap();
        assert_eq!((okx.underlying.as_str(), okx.expiry_ms), ("BTC", utc_ms(2024, 12, 27, 8, 0, 0)));
        let binance = parse_instrument("BTC-250516-93000-P").unwrap();
        assert_eq!((binance.expiry_ms, binance.kind), (utc_ms(2025, 5, 16, 8, 0, 0), OptionKind::Put));
        let bybit = parse_instrument("ETH-3JAN25-3500-C-USDT").unwrap();
        assert_eq!(bybit.strike, 3500.0);
        assert_eq!(parse_instrument("BTC-PERPETUAL"), None);
        assert_eq!(parse_instrument("BTC-27DEC24"), None);
        assert_eq!(parse_instrument("BTC-27DEC24-abc-C"), None);
    }
}
