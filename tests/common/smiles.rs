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

/// A side known by its vol only.
pub fn side(iv: f64) -> QuoteSide {
    QuoteSide { iv: Some(iv), ..QuoteSide::default() }
}

/// A usable quote known by its vols only (bid, mid, ask decimals) at strike `strike` = F·e^k.
pub fn vol_quote(instrument: &str, kind: OptionKind, forward: f64, k: f64, vols: [f64; 3], line: u64) -> Quote {
    Quote {
        instrument: Arc::from(instrument),
        strike: forward * k.exp(),
        kind,
        premium_currency: PremiumCurrency::Coin,
        bid: side(vols[0]),
        mid: side(vols[1]),
        ask: side(vols[2]),
        mark: QuoteSide::default(),
        bid_size: None,
        ask_size: None,
        open_interest: None,
        exchange_iv: Default::default(),
        exchange_delta: None,
        forward_used: forward,
        k,
        delta: None,
        status: QuoteStatus::Ok,
        line,
    }
}

/// A slice of `quotes` at (T, F).
pub fn vol_slice(t_years: f64, forward: f64, quotes: Vec<Quote>) -> ExpirySlice {
    ExpirySlice {
        expiry_ms: 1_800_000_000_000 + (t_years * 365.0 * 86_400_000.0) as i64,
        t_years,
        forward,
        forward_source: ForwardSource::File,
        discount: 1.0,
        parity_forward: None,
        forward_disagreement: None,
        quotes,
    }
}

/// One slice of the reference file as an ExpirySlice (every quote `ok`, bid/ask/mid vols set); `mid_of`
/// picks the mid vol (mid or true). The strike is the file's (k = ln(K/F) as given).
pub fn build_slice(rows: &[&SmileRow], mid_of: impl Fn(&SmileRow) -> f64) -> ExpirySlice {
    let quotes = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let kind = if r.option == "put" { OptionKind::Put } else { OptionKind::Call };
            let name = format!("REF-{}-{}-{}", r.slice, r.strike, &r.option[..1]);
            let mut q = vol_quote(&name, kind, r.f, r.k, [r.bid_vol, mid_of(r), r.ask_vol], i as u64 + 2);
            q.strike = r.strike;
            q
        })
        .collect();
    vol_slice(rows[0].t, rows[0].f, quotes)
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

/// One row of ../shared/reference/svi_fits.csv (the fields the tests use).
#[derive(Debug, serde::Deserialize)]
pub struct SviFitRow {
    /// Slice id.
    pub slice: usize,
    /// `true`, `scipy_trf`, `quantlib`, `zeliade`.
    pub method: String,
    /// The method's RMSE against the mid vols, vol points.
    pub rmse_vs_mid_volpts: f64,
}

/// The reference smiles, the SVI fits of other tools and svi_true_params.json; None when ../shared is absent.
pub fn load_svi_reference() -> Option<(Vec<SmileRow>, Vec<SviFitRow>, serde_json::Value)> {
    let quotes = super::reference_file("smiles_quotes.csv")?;
    let fits = super::reference_file("svi_fits.csv")?;
    let truth = super::reference_file("svi_true_params.json")?;
    let truth: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(truth).unwrap()).unwrap();
    Some((super::read_csv(&quotes), super::read_csv(&fits), truth))
}
