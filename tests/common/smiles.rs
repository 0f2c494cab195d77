//! The reference smiles (../shared/reference/smiles_quotes.csv) as expiry slices, for the calibration tests.

use std::sync::Arc;

use volscope::market::{ExpirySlice, ForwardSource, PremiumCurrency, Quote, QuoteSide, QuoteStatus};
use volscope::pricing::OptionKind;

/// One row of ../shared/reference/smiles_quotes.csv.
#[derive(Debug, serde::Deserialize)]
pub struct SmileRow {
    pub slice: usize,
    #[serde(rename = "T")]
    pub t: f64,
    #[serde(rename = "F")]
    pub f: f64,
    #[serde(rename = "K")]
    pub strike: f64,
    pub k: f64,
    pub option: String,
    pub true_vol: f64,
    pub mid_vol: f64,
    pub bid_vol: f64,
    pub ask_vol: f64,
}

fn side(iv: f64) -> QuoteSide {
    QuoteSide { iv: Some(iv), ..QuoteSide::default() }
}

/// One slice of the reference file as an ExpirySlice (every quote `ok`, bid/ask/mid vols set); `mid_of`
/// picks the mid vol (mid or true).
pub fn build_slice(rows: &[&SmileRow], mid_of: impl Fn(&SmileRow) -> f64) -> ExpirySlice {
    let quotes = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let kind = if r.option == "put" { OptionKind::Put } else { OptionKind::Call };
            Quote {
                instrument: Arc::from(format!("REF-{}-{}-{}", r.slice, r.strike, &r.option[..1]).as_str()),
                strike: r.strike,
                kind,
                premium_currency: PremiumCurrency::Coin,
                bid: side(r.bid_vol),
                ask: side(r.ask_vol),
                mid: side(mid_of(r)),
                mark: QuoteSide::default(),
                bid_size: None,
                ask_size: None,
                open_interest: None,
                exchange_iv: Default::default(),
                exchange_delta: None,
                forward_used: r.f,
                k: r.k,
                delta: None,
                status: QuoteStatus::Ok,
                line: i as u64 + 2,
            }
        })
        .collect();
    ExpirySlice {
        expiry_ms: 1_800_000_000_000 + (rows[0].t * 365.0 * 86_400_000.0) as i64,
        t_years: rows[0].t,
        forward: rows[0].f,
        forward_source: ForwardSource::File,
        discount: 1.0,
        parity_forward: None,
        forward_disagreement: None,
        quotes,
    }
}

/// The rows grouped by slice id.
pub fn slices(rows: &[SmileRow]) -> Vec<Vec<&SmileRow>> {
    let n = rows.iter().map(|r| r.slice).max().map_or(0, |m| m + 1);
    (0..n).map(|s| rows.iter().filter(|r| r.slice == s).collect()).collect()
}

/// Every row of smiles_quotes.csv, or None when ../shared is absent (the caller's test is skipped).
pub fn read_smiles() -> Option<Vec<SmileRow>> {
    super::reference_file("smiles_quotes.csv").map(|p| super::read_csv(&p))
}
