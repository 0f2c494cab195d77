//! Vol-cliff detection: two-sided out-of-the-money quotes whose mid vol stands far from their neighbours'
//! and whose own bid/ask does not reach them (stale "cabinet" quotes on short expiries).

use super::quote::{Quote, QuoteStatus};

/// Neighbours on each side compared against.
const NEIGHBOURS_EACH_SIDE: usize = 2;
/// Absolute gap (vol) below which a quote is never an outlier.
const MIN_GAP_VOL: f64 = 0.10;
/// Relative gap (of the neighbours' median) below which a quote is never an outlier.
const MIN_GAP_REL: f64 = 0.30;

/// Marks `Ok` out-of-the-money quotes whose mid vol is further than max(10 vol pts, 30 %) from the median
/// of up to two neighbours on each side, when the neighbours' median lies outside the quote's own bid/ask
/// vols. Quotes must be sorted by strike.
pub fn mark_outliers(quotes: &mut [Quote]) {
    let candidates: Vec<usize> =
        (0..quotes.len()).filter(|&i| quotes[i].status == QuoteStatus::Ok && quotes[i].is_otm()).collect();
    let mids: Vec<f64> = candidates.iter().map(|&i| quotes[i].mid.iv.unwrap_or(f64::NAN)).collect();
    let mut flagged = Vec::new();
    for (pos, &i) in candidates.iter().enumerate() {
        let lo = pos.saturating_sub(NEIGHBOURS_EACH_SIDE);
        let hi = (pos + NEIGHBOURS_EACH_SIDE + 1).min(candidates.len());
        let mut around: Vec<f64> = (lo..hi).filter(|&j| j != pos).map(|j| mids[j]).filter(|v| v.is_finite()).collect();
        if around.len() < 3 {
            continue;
        }
        around.sort_by(f64::total_cmp);
        let median = around[around.len() / 2];
        let q = &quotes[i];
        let gap = (mids[pos] - median).abs();
        let reaches = q.bid.iv.unwrap_or(f64::INFINITY) <= median && median <= q.ask.iv.unwrap_or(0.0);
        if gap > MIN_GAP_VOL.max(MIN_GAP_REL * median) && !reaches {
            flagged.push(i);
        }
    }
    for i in flagged {
        quotes[i].status = QuoteStatus::Outlier;
    }
}
