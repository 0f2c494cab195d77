//! Normalisation: raw rows → a [`Snapshot`] with forwards, T, USD/coin prices, implied vols, k, delta and a
//! status for every quote. Nothing is dropped: a quote that cannot be used keeps its status.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::chain::{ExpirySlice, ForwardSource, Snapshot};
use super::forward::{forward_from_delta, mark_parity_forward, parity_forward, ParityPair, FORWARD_DISAGREEMENT_WARN};
use super::outliers::mark_outliers;
use super::quote::{PremiumCurrency, Quote, QuoteSide, QuoteStatus, MAX_ABS_LOG_MONEYNESS};
use super::raw::RawQuote;
use super::time::{format_utc, DayCount};
use crate::pricing::{black_delta, implied_vol, price, IvStatus, OptionKind, OptionSpec};

/// How coin premiums are converted to USD before inverting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum UsdConversion {
    /// USD = coin × the forward of the quote (reproduces Deribit's mark IVs; see tests/conventions.rs).
    #[default]
    Forward,
    /// USD = coin × the underlying index (spot).
    Index,
}

/// Choices made when building a snapshot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BuildOptions {
    /// Underlying to keep (case-insensitive); `None` = the first one in the file.
    pub underlying: Option<String>,
    /// Snapshot time (UTC ms). Files with many: the snapshot at or before it (`None` = the last). Files
    /// with one: overrides the file's own time (`None` = the file's).
    pub at_ms: Option<i64>,
    /// Day count for T.
    pub day_count: DayCount,
    /// Coin → USD conversion.
    pub usd_conversion: UsdConversion,
}

/// Why no snapshot could be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BuildError {
    /// The file has no usable option rows.
    #[error("no usable option rows to build a chain from (every row was rejected: see the load report)")]
    Empty,
    /// The requested underlying is not in the file.
    #[error("no quotes for underlying {wanted}; the file has: {available}")]
    UnknownUnderlying {
        /// What was asked for.
        wanted: String,
        /// What the file has, comma-separated.
        available: String,
    },
    /// No row at or before the requested time.
    #[error("no quotes at or before {at}; the file starts at {first}")]
    BeforeFirstTime {
        /// Requested time, ISO 8601.
        at: String,
        /// First time in the file, ISO 8601.
        first: String,
    },
    /// Neither the file nor the rows carry a time.
    #[error("the file gives no snapshot time")]
    NoTime,
    /// A time other than a single-snapshot file's own was asked for (it would move T and every implied vol).
    #[error("the file holds one snapshot, at {file}; it cannot be seen at {at}")]
    NotTheFileTime {
        /// Requested time, ISO 8601.
        at: String,
        /// The file's time, ISO 8601.
        file: String,
    },
}

/// Underlyings in the order they first appear.
pub fn underlyings(rows: &[RawQuote]) -> Vec<String> {
    let mut seen = HashSet::new();
    rows.iter().filter(|r| seen.insert(&*r.underlying)).map(|r| r.underlying.to_string()).collect()
}

/// Distinct row times, sorted (empty for single-snapshot files).
pub fn snapshot_times(rows: &[RawQuote]) -> Vec<i64> {
    let mut times: Vec<i64> = rows.iter().filter_map(|r| r.time_ms).collect();
    times.sort_unstable();
    times.dedup();
    times
}

/// What the per-row times of a file mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RowTimes {
    /// Each distinct time is a whole snapshot (hourly files): the snapshot at t is the rows of the last
    /// snapshot time at or before t.
    #[default]
    Snapshots,
    /// Rows are quote updates (Tardis): the snapshot at t is the latest row per instrument at or before t.
    Updates,
}

/// Builds the snapshot of one underlying at one time.
///
/// `file_time_ms` is the snapshot time for files that state one (rows without their own times); files with
/// per-row times use `options.at_ms` or their last time, read as `row_times` says.
pub fn build_snapshot(
    rows: &[RawQuote],
    file_time_ms: Option<i64>,
    row_times: RowTimes,
    source: &str,
    options: &BuildOptions,
) -> Result<Snapshot, BuildError> {
    if rows.is_empty() {
        return Err(BuildError::Empty);
    }
    let underlying = choose_underlying(rows, options.underlying.as_deref())?;
    let of_underlying: Vec<&RawQuote> = rows.iter().filter(|r| *r.underlying == *underlying).collect();
    let (time_ms, selected) = select_time(&of_underlying, file_time_ms, row_times, options.at_ms)?;
    let index_price = median(selected.iter().filter_map(|r| r.index_price));
    let premium_currency = selected.first().map_or(PremiumCurrency::Quote, |r| r.premium_currency);
    let mut by_expiry: BTreeMap<i64, Vec<&RawQuote>> = BTreeMap::new();
    for row in selected {
        by_expiry.entry(row.expiry_ms).or_default().push(row);
    }
    let context = SliceContext { time_ms, index_price, options, currency: premium_currency };
    let built = build_slices_in_parallel(&context, by_expiry.into_iter().collect());
    let mut warnings = Vec::new();
    let mut slices = Vec::with_capacity(built.len());
    for (slice, slice_warnings) in built {
        slices.push(slice);
        warnings.extend(slice_warnings);
    }
    Ok(Snapshot {
        time_ms,
        underlying,
        source: source.to_owned(),
        index_price,
        premium_currency,
        day_count: options.day_count,
        slices,
        warnings,
    })
}

/// Quotes below which a snapshot is built on the calling thread (a thread costs ~20 µs).
const PARALLEL_MIN_QUOTES: usize = 300;

/// Builds the slices, in expiry order, on up to `available_parallelism` scoped threads (the slices are
/// independent; a snapshot's implied vols are most of its build time). Small snapshots stay on this thread.
fn build_slices_in_parallel(
    context: &SliceContext<'_>,
    groups: Vec<(i64, Vec<&RawQuote>)>,
) -> Vec<(ExpirySlice, Vec<String>)> {
    let build = |(expiry, rows): (i64, Vec<&RawQuote>)| {
        let mut warnings = Vec::new();
        let slice = context.build_slice(expiry, rows, &mut warnings);
        (slice, warnings)
    };
    let total: usize = groups.iter().map(|g| g.1.len()).sum();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(groups.len());
    if threads < 2 || total < PARALLEL_MIN_QUOTES {
        return groups.into_iter().map(build).collect();
    }
    // Deal slices to threads in turn, largest first, so each gets a similar number of quotes.
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(groups[i].1.len()));
    let mut shares: Vec<Vec<(usize, (i64, Vec<&RawQuote>))>> = (0..threads).map(|_| Vec::new()).collect();
    let mut groups: Vec<Option<(i64, Vec<&RawQuote>)>> = groups.into_iter().map(Some).collect();
    for (n, &i) in order.iter().enumerate() {
        if let Some(group) = groups[i].take() {
            shares[n % threads].push((i, group));
        }
    }
    let run = move |share: Vec<(usize, (i64, Vec<&RawQuote>))>| share.into_iter().map(|(i, g)| (i, build(g))).collect();
    let mut built: Vec<(usize, (ExpirySlice, Vec<String>))> = std::thread::scope(|scope| {
        let mine = shares.remove(0);
        let handles: Vec<_> = shares.into_iter().map(|share| scope.spawn(move || run(share))).collect();
        let mut all: Vec<_> = run(mine);
        for h in handles {
            all.extend(h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        }
        all
    });
    built.sort_by_key(|(i, _)| *i);
    built.into_iter().map(|(_, b)| b).collect()
}

fn choose_underlying(rows: &[RawQuote], wanted: Option<&str>) -> Result<String, BuildError> {
    match wanted {
        None => rows.first().map(|r| r.underlying.to_string()).ok_or(BuildError::Empty),
        Some(w) => match rows.iter().find(|r| r.underlying.eq_ignore_ascii_case(w)) {
            Some(r) => Ok(r.underlying.to_string()),
            None => {
                Err(BuildError::UnknownUnderlying { wanted: w.to_owned(), available: underlyings(rows).join(", ") })
            }
        },
    }
}

/// Picks the snapshot time and the rows in it.
fn select_time<'a>(
    rows: &[&'a RawQuote],
    file_time_ms: Option<i64>,
    row_times: RowTimes,
    at_ms: Option<i64>,
) -> Result<(i64, Vec<&'a RawQuote>), BuildError> {
    let times: Vec<i64> = rows.iter().filter_map(|r| r.time_ms).collect();
    if times.is_empty() {
        // A single-snapshot file is seen at its own time; a time is needed only when the file gives none.
        return match (file_time_ms, at_ms) {
            (Some(file), Some(at)) if at != file => {
                Err(BuildError::NotTheFileTime { at: format_utc(at), file: format_utc(file) })
            }
            (Some(t), _) | (None, Some(t)) => Ok((t, rows.to_vec())),
            (None, None) => Err(BuildError::NoTime),
        };
    }
    let first = times.iter().copied().min().unwrap_or(0);
    let at = at_ms.unwrap_or_else(|| times.iter().copied().max().unwrap_or(0));
    if at < first {
        return Err(BuildError::BeforeFirstTime { at: format_utc(at), first: format_utc(first) });
    }
    if row_times == RowTimes::Snapshots {
        let snapshot = times.iter().copied().filter(|t| *t <= at).max().unwrap_or(first);
        return Ok((snapshot, rows.iter().copied().filter(|r| r.time_ms == Some(snapshot)).collect()));
    }
    let mut latest: BTreeMap<&str, &RawQuote> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.time_ms.is_some_and(|t| t <= at)) {
        match latest.get(&*row.instrument) {
            Some(prev) if prev.time_ms > row.time_ms => {}
            _ => {
                latest.insert(&row.instrument, row);
            }
        }
    }
    let mut selected: Vec<&RawQuote> = latest.into_values().collect();
    selected.sort_by_key(|r| r.line);
    Ok((at, selected))
}

/// Median of the finite positive values.
pub(crate) fn median(values: impl Iterator<Item = f64>) -> Option<f64> {
    crate::numeric::median(values.filter(|x| *x > 0.0))
}

/// What every slice of a snapshot shares.
struct SliceContext<'a> {
    time_ms: i64,
    index_price: Option<f64>,
    options: &'a BuildOptions,
    currency: PremiumCurrency,
}

/// The forward chosen for a slice.
struct SliceForward {
    forward: f64,
    source: ForwardSource,
    parity: Option<f64>,
    disagreement: Option<f64>,
}

/// Discount factor a slice's quote-currency premiums are inverted with: the parity regression's D when there
/// is a parity fit (listed USD options such as CBOE's carry rates), 1 otherwise and for coin premiums
/// (Deribit computes IVs with a zero rate).
fn slice_discount(mid_pairs: &[ParityPair], guess: f64, currency: PremiumCurrency) -> f64 {
    if currency != PremiumCurrency::Quote {
        return 1.0;
    }
    parity_forward(mid_pairs, guess, currency)
        .filter(|p| p.r_squared > 0.99 && p.discount > 0.0 && p.discount <= 1.5)
        .map_or(1.0, |p| p.discount)
}

impl SliceContext<'_> {
    fn build_slice(&self, expiry_ms: i64, mut rows: Vec<&RawQuote>, warnings: &mut Vec<String>) -> ExpirySlice {
        // Sort the references, not the built quotes: strike, then call before put (stable: file order among
        // duplicates, so the first row of an instrument is the one kept as is).
        rows.sort_by(|a, b| {
            a.strike.total_cmp(&b.strike).then((a.kind == OptionKind::Put).cmp(&(b.kind == OptionKind::Put)))
        });
        let t_years = self.options.day_count.year_fraction(self.time_ms, expiry_ms);
        let mid_pairs = parity_pairs(&rows, mid_of);
        let fwd = self.slice_forward(&rows, &mid_pairs, t_years);
        let discount = slice_discount(&mid_pairs, fwd.forward, self.currency);
        if let Some(d) = fwd.disagreement.filter(|d| *d > FORWARD_DISAGREEMENT_WARN) {
            warnings.push(format!(
                "expiry {}: exchange forward {:.2} and parity forward {:.2} disagree by {:.2} %",
                format_utc(expiry_ms),
                fwd.forward,
                fwd.parity.unwrap_or(f64::NAN),
                100.0 * d
            ));
        }
        if matches!(fwd.source, ForwardSource::Index) && t_years > 0.0 {
            warnings.push(match self.index_price {
                Some(_) => format!(
                    "expiry {}: no forward in the file, no parity fit and no usable deltas: using the index",
                    format_utc(expiry_ms)
                ),
                None => format!(
                    "expiry {}: no forward in the file, no parity fit, no usable deltas and no index: no forward, \
                     so no implied vol",
                    format_utc(expiry_ms)
                ),
            });
        }
        let own_forward = !matches!(fwd.source, ForwardSource::ExchangeMarks { .. });
        let pricing = SlicePricing { expiry_ms, t_years, forward: fwd.forward, discount, own_forward };
        // Rows are sorted by (strike, type), file order kept among equals: a duplicate follows its first.
        let mut quotes: Vec<Quote> = rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let duplicate = i > 0 && rows[i - 1].strike == row.strike && rows[i - 1].kind == row.kind;
                self.normalise_quote(row, &pricing, duplicate)
            })
            .collect();
        mark_outliers(&mut quotes);
        ExpirySlice {
            expiry_ms,
            t_years,
            forward: fwd.forward,
            forward_source: fwd.source,
            discount,
            parity_forward: fwd.parity,
            forward_disagreement: fwd.disagreement,
            quotes,
        }
    }

    /// Exchange marks' forward, else the exchange forward (median of the rows'), else parity, else deltas,
    /// else index.
    fn slice_forward(&self, rows: &[&RawQuote], mid_pairs: &[ParityPair], t_years: f64) -> SliceForward {
        let exchange = median(rows.iter().filter_map(|r| r.forward));
        let guess = exchange.or(self.index_price).or_else(|| median(rows.iter().map(|r| r.strike))).unwrap_or(f64::NAN);
        let parity = parity_forward(mid_pairs, guess, self.currency).filter(|p| p.r_squared > 0.99);
        let parity_value = parity.map(|p| p.forward);
        let name = rows.iter().find_map(|r| r.forward_name.as_deref().map(str::to_owned));
        let marks = exchange.and_then(|_| mark_parity_forward(&parity_pairs(rows, |r| r.mark), guess, self.currency));
        if let Some((f, n_strikes)) = marks {
            return SliceForward {
                forward: f,
                source: ForwardSource::ExchangeMarks { n_strikes, name },
                parity: parity_value,
                disagreement: parity_value.map(|p| (p - f).abs() / f),
            };
        }
        if let Some(f) = exchange {
            return SliceForward {
                forward: f,
                source: ForwardSource::Exchange { name },
                parity: parity_value,
                disagreement: parity_value.map(|p| (p - f).abs() / f),
            };
        }
        if let Some(p) = parity {
            let source = ForwardSource::Parity { n_strikes: p.n_strikes, r_squared: p.r_squared };
            return SliceForward { forward: p.forward, source, parity: parity_value, disagreement: None };
        }
        let from_deltas: Vec<f64> = rows
            .iter()
            .filter(|r| r.exchange_delta.is_some_and(|d| (0.1..0.9).contains(&d.abs())))
            .filter_map(|r| forward_from_delta(r.kind, r.exchange_delta?, r.exchange_iv.mark?, r.strike, t_years))
            .collect();
        if let Some(f) = median(from_deltas.iter().copied()) {
            let source = ForwardSource::ImpliedFromDeltas { n_quotes: from_deltas.len() };
            return SliceForward { forward: f, source, parity: None, disagreement: None };
        }
        let forward = self.index_price.unwrap_or(f64::NAN);
        SliceForward { forward, source: ForwardSource::Index, parity: None, disagreement: None }
    }

    /// Normalises one row of a slice.
    fn normalise_quote(&self, row: &RawQuote, slice: &SlicePricing, duplicate: bool) -> Quote {
        let SlicePricing { expiry_ms, t_years, forward: slice_forward, discount, own_forward } = *slice;
        let forward_used = row.forward.filter(|f| *f > 0.0 && own_forward).unwrap_or(slice_forward);
        let spec = OptionSpec { kind: row.kind, forward: forward_used, strike: row.strike, t_years, discount };
        let usd_per_coin = match self.options.usd_conversion {
            UsdConversion::Forward => forward_used,
            UsdConversion::Index => row.index_price.or(self.index_price).unwrap_or(forward_used),
        };
        let side = |premium: Option<f64>, exchange_iv: Option<f64>| {
            side_from_price(&spec, premium, row.premium_currency, usd_per_coin)
                .or_else(|| exchange_iv.map(|iv| side_from_vol(&spec, iv, row.premium_currency)))
                .unwrap_or_default()
        };
        let bid = side(row.bid, row.exchange_iv.bid);
        let ask = side(row.ask, row.exchange_iv.ask);
        let mark = side(row.mark, row.exchange_iv.mark);
        let mid = mid_side(&spec, row, usd_per_coin);
        let status = if expiry_ms <= self.time_ms {
            QuoteStatus::Expired
        } else if duplicate {
            QuoteStatus::Duplicate
        } else if !((row.strike / forward_used).ln().abs() <= MAX_ABS_LOG_MONEYNESS) {
            QuoteStatus::StrikeOutOfRange
        } else {
            two_sided_status(&bid, &ask)
        };
        let display_iv = mid.iv.or(mark.iv);
        let delta = display_iv.filter(|_| t_years > 0.0).map(|v| black_delta(&spec, v));
        Quote {
            instrument: row.instrument.clone(),
            strike: row.strike,
            kind: row.kind,
            premium_currency: row.premium_currency,
            bid,
            ask,
            mid,
            mark,
            bid_size: row.bid_size,
            ask_size: row.ask_size,
            open_interest: row.open_interest,
            exchange_iv: row.exchange_iv,
            exchange_delta: row.exchange_delta,
            forward_used,
            k: (row.strike / slice_forward).ln(),
            delta,
            status,
            line: row.line,
        }
    }
}

/// Mid premium of a two-sided, uncrossed row.
fn mid_of(r: &RawQuote) -> Option<f64> {
    match (r.bid, r.ask) {
        (Some(b), Some(a)) if b <= a => Some(0.5 * (a + b)),
        _ => None,
    }
}

/// What every quote of one slice is priced with.
#[derive(Clone, Copy)]
struct SlicePricing {
    expiry_ms: i64,
    t_years: f64,
    /// Slice forward.
    forward: f64,
    /// Discount factor of the premiums.
    discount: f64,
    /// Whether a row's own forward field (when given) prices it instead of the slice forward.
    own_forward: bool,
}

/// Strikes where both the call and the put have a premium by `premium` (mid or mark): the two premiums.
/// `rows` are sorted by strike; the first call and the first put of a strike are used.
fn parity_pairs(rows: &[&RawQuote], premium: impl Fn(&RawQuote) -> Option<f64>) -> Vec<ParityPair> {
    let mut pairs = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let strike = rows[i].strike;
        let (mut call, mut put) = (None, None);
        while i < rows.len() && rows[i].strike == strike {
            let slot = if rows[i].kind == OptionKind::Call { &mut call } else { &mut put };
            if slot.is_none() {
                *slot = premium(rows[i]);
            }
            i += 1;
        }
        if let (Some(call_mid), Some(put_mid)) = (call, put) {
            pairs.push(ParityPair { strike, call_mid, put_mid });
        }
    }
    pairs
}

/// One side from a premium: USD and coin prices and the implied vol.
fn side_from_price(
    spec: &OptionSpec,
    premium: Option<f64>,
    currency: PremiumCurrency,
    usd_per_coin: f64,
) -> Option<QuoteSide> {
    let premium = premium?;
    let (price_usd, price_coin) = match currency {
        PremiumCurrency::Coin => (premium * usd_per_coin, premium),
        PremiumCurrency::Quote => (premium, premium / spec.forward),
    };
    let iv = implied_vol(spec, price_usd);
    Some(QuoteSide {
        price: Some(premium),
        price_usd: Some(price_usd),
        price_coin: Some(price_coin),
        iv: iv.vol,
        iv_status: Some(iv.status),
    })
}

/// One side from an exchange vol (files with vols but no prices): prices are Black-76 at that vol.
fn side_from_vol(spec: &OptionSpec, vol: f64, currency: PremiumCurrency) -> QuoteSide {
    if !(vol > 0.0 && vol.is_finite() && spec.forward > 0.0 && spec.t_years > 0.0) {
        return QuoteSide::default();
    }
    let usd = price(spec, vol);
    let coin = usd / spec.forward;
    let own = if currency == PremiumCurrency::Coin { coin } else { usd };
    QuoteSide {
        price: Some(own),
        price_usd: Some(usd),
        price_coin: Some(coin),
        iv: Some(vol),
        iv_status: Some(IvStatus::Ok),
    }
}

/// Mid of a two-sided uncrossed quote: the price average, or for vol-only files the vol average.
fn mid_side(spec: &OptionSpec, row: &RawQuote, usd_per_coin: f64) -> QuoteSide {
    match (row.bid, row.ask, row.exchange_iv.bid, row.exchange_iv.ask) {
        (Some(b), Some(a), _, _) if b <= a => {
            side_from_price(spec, Some(0.5 * (a + b)), row.premium_currency, usd_per_coin).unwrap_or_default()
        }
        (None, None, Some(vb), Some(va)) if vb <= va => side_from_vol(spec, 0.5 * (vb + va), row.premium_currency),
        _ => QuoteSide::default(),
    }
}

/// Status of a quote from its two sides.
fn two_sided_status(bid: &QuoteSide, ask: &QuoteSide) -> QuoteStatus {
    match (bid.price, ask.price) {
        (None, None) => QuoteStatus::NoQuote,
        (Some(b), Some(a)) if b > a => QuoteStatus::Crossed,
        (None, Some(_)) => QuoteStatus::NoBid,
        (Some(_), None) => QuoteStatus::NoAsk,
        _ => {
            let below = |s: Option<IvStatus>| matches!(s, Some(IvStatus::BelowIntrinsic | IvStatus::NoTimeValue));
            let above = |s: Option<IvStatus>| matches!(s, Some(IvStatus::AboveMaximum));
            if below(ask.iv_status) {
                QuoteStatus::BelowIntrinsic
            } else if below(bid.iv_status) {
                QuoteStatus::BidBelowIntrinsic
            } else if above(bid.iv_status) || above(ask.iv_status) {
                QuoteStatus::AboveMaximum
            } else if bid.iv.is_none() || ask.iv.is_none() {
                QuoteStatus::IvFailed
            } else {
                QuoteStatus::Ok
            }
        }
    }
}
