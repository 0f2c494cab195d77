//! The normalised chain as a tidy CSV (`volscope quotes`): one row per quote, the file a quant opens in pandas.

use std::io::Write;

use super::iv_csv::fmt_f64;
use crate::market::time::format_utc;
use crate::market::{QuoteSide, Snapshot};

/// Column names, in order.
pub const CHAIN_COLUMNS: [&str; 30] = [
    "snapshot_time",
    "underlying",
    "instrument",
    "expiry",
    "t_years",
    "forward",
    "forward_source",
    "forward_used",
    "discount",
    "strike",
    "k",
    "type",
    "premium_currency",
    "bid_coin",
    "ask_coin",
    "mid_coin",
    "mark_coin",
    "bid_usd",
    "ask_usd",
    "mid_usd",
    "mark_usd",
    "bid_iv",
    "ask_iv",
    "mid_iv",
    "mark_iv",
    "exchange_mark_iv",
    "delta",
    "open_interest",
    "status",
    "line",
];

fn opt(x: Option<f64>) -> String {
    x.map(fmt_f64).unwrap_or_default()
}

/// Writes every quote of `snapshot` (all statuses) as CSV with [`CHAIN_COLUMNS`]; vols are decimals.
pub fn write_chain_csv<W: Write>(snapshot: &Snapshot, out: W) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CHAIN_COLUMNS)?;
    let time = format_utc(snapshot.time_ms);
    for slice in &snapshot.slices {
        let expiry = format_utc(slice.expiry_ms);
        for q in &slice.quotes {
            let sides: [&QuoteSide; 4] = [&q.bid, &q.ask, &q.mid, &q.mark];
            let mut rec: Vec<String> = vec![
                time.clone(),
                snapshot.underlying.clone(),
                q.instrument.to_string(),
                expiry.clone(),
                fmt_f64(slice.t_years),
                fmt_f64(slice.forward),
                slice.forward_source.label().to_owned(),
                fmt_f64(q.forward_used),
                fmt_f64(slice.discount),
                fmt_f64(q.strike),
                fmt_f64(q.k),
                q.kind.as_str().to_owned(),
                match q.premium_currency {
                    crate::market::PremiumCurrency::Coin => "coin".to_owned(),
                    crate::market::PremiumCurrency::Quote => "usd".to_owned(),
                },
            ];
            rec.extend(sides.iter().map(|s| opt(s.price_coin)));
            rec.extend(sides.iter().map(|s| opt(s.price_usd)));
            rec.extend(sides.iter().map(|s| opt(s.iv)));
            rec.push(opt(q.exchange_iv.mark));
            rec.push(opt(q.delta));
            rec.push(opt(q.open_interest));
            rec.push(q.status.as_str().to_owned());
            rec.push(q.line.to_string());
            w.write_record(&rec)?;
        }
    }
    w.flush()?;
    Ok(())
}
