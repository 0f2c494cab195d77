//! The fitted volatility surface across expiries: ATM term structure, 25-delta risk reversal and butterfly,
//! IV heatmap grids (over k and over call delta) and the calendar check between consecutive expiries.
//!
//! Input: a snapshot, the model kind of each slice and the fit report of each slice (both aligned with
//! `snapshot.slices`). A slice has a curve only when its report is usable ([`FitStatus::is_usable`]) and has
//! parameters; other slices are left out of every part of the summary.
//!
//! **Delta convention** (used for the 25Δ strikes and the delta grid): the forward Black-76 delta, undiscounted
//! and not premium-adjusted, at the smile's own vol at that strike: call Δ = N(d1), put Δ = N(d1) − 1 with
//! d1 = −k/s + s/2, s = σ(k)·√T, k = ln(K/F). Because σ depends on k, the strike of a given delta is solved
//! on the fitted smile ([`k_at_call_delta`]). A 25Δ put is the strike of call delta 0.75.
//!
//! [`FitStatus::is_usable`]: crate::calibrate::FitStatus::is_usable

use crate::arbitrage::{calendar_check, CalendarViolation};
use crate::calibrate::{QuoteUse, SliceFitReport};
use crate::market::{ExpirySlice, Snapshot};
use crate::models::{FittedSmile, ModelKind, SliceInputs, SmileModel};
use crate::pricing::{black_delta, OptionKind, OptionSpec};

/// Call delta of the risk reversal and butterfly quotes (25Δ).
pub const RR_BF_CALL_DELTA: f64 = 0.25;
/// Grid points of each consecutive pair's calendar check (the Surface tab, fit.json and `volscope fit` alike).
pub const CALENDAR_POINTS: usize = 21;
/// The delta solver searches k within ±this (K = F·e^±12 is far beyond any listed strike).
pub const DELTA_SEARCH_K_LIMIT: f64 = 12.0;
/// Bisection stops when the k bracket is narrower than this.
const DELTA_K_TOLERANCE: f64 = 1e-12;
/// Bracket expansion steps before the solver gives up.
const DELTA_MAX_EXPANSIONS: usize = 60;

/// The grids the heatmaps are computed on.
#[derive(Clone, Debug, PartialEq)]
pub struct SurfaceGridSpec {
    /// Lowest log-moneyness of the k grid.
    pub k_min: f64,
    /// Highest log-moneyness of the k grid.
    pub k_max: f64,
    /// Points of the k grid (at least 2 for a grid; 0 or 1 give no grid columns).
    pub k_points: usize,
    /// Call deltas of the delta grid (e.g. 0.05, 0.10, …, 0.95); empty for no delta grid.
    pub call_deltas: Vec<f64>,
}

impl Default for SurfaceGridSpec {
    /// k ∈ [−1, 1] on 61 points; call deltas 5Δ to 95Δ every 5Δ.
    fn default() -> Self {
        SurfaceGridSpec { k_min: -1.0, k_max: 1.0, k_points: 61, call_deltas: delta_range(0.05, 0.95, 19) }
    }
}

impl SurfaceGridSpec {
    /// The k grid: `k_points` evenly spaced values from `k_min` to `k_max` (empty when fewer than 2 or the
    /// range is not finite and increasing).
    pub fn k_grid(&self) -> Vec<f64> {
        let valid = self.k_points >= 2 && self.k_max > self.k_min && self.k_min.is_finite() && self.k_max.is_finite();
        if valid {
            crate::numeric::linspace(self.k_min, self.k_max, self.k_points)
        } else {
            Vec::new()
        }
    }
}

/// `n` call deltas evenly spaced from `lo` to `hi` (for [`SurfaceGridSpec::call_deltas`]).
pub fn delta_range(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    match n {
        0 => Vec::new(),
        1 => vec![lo],
        _ => crate::numeric::linspace(lo, hi, n),
    }
}

/// A strike found by its delta: where it lies and the smile's vol there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeltaStrike {
    /// Log-moneyness k = ln(K/F).
    pub k: f64,
    /// Fitted implied vol at `k`, percent.
    pub vol_pct: f64,
}

/// The summary of one usable expiry's fitted smile.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpirySummary {
    /// Index of the slice in `snapshot.slices`.
    pub slice_index: usize,
    /// Expiry instant, UTC ms.
    pub expiry_ms: i64,
    /// Expiry as an exchange date code (`27MAR26`).
    pub label: String,
    /// Time to expiry, years.
    pub t_years: f64,
    /// Forward of the slice.
    pub forward: f64,
    /// Fitted vol at the forward (k = 0), percent; None where the model gives no positive variance.
    pub atm_vol_pct: Option<f64>,
    /// The 25Δ call strike and its vol (call Δ = +0.25).
    pub call_25d: Option<DeltaStrike>,
    /// The 25Δ put strike and its vol (put Δ = −0.25, i.e. call Δ = 0.75).
    pub put_25d: Option<DeltaStrike>,
    /// 25Δ risk reversal σ(25Δ call) − σ(25Δ put), vol points.
    pub rr_25d_vol_pts: Option<f64>,
    /// 25Δ butterfly (σ(25Δ call) + σ(25Δ put))/2 − σ(ATM), vol points.
    pub bf_25d_vol_pts: Option<f64>,
    /// k range of the quotes the fit used (None when the report lists none).
    pub quoted_k_range: Option<(f64, f64)>,
}

impl ExpirySummary {
    /// Time to expiry in days (ACT/365 on `t_years`).
    pub fn t_days(&self) -> f64 {
        self.t_years * 365.0
    }
}

/// Fitted IV on a grid: one row per [`SurfaceSummary::expiries`] entry, one column per `x`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct HeatGrid {
    /// Column coordinates: k for the k grid, call delta (0–1) for the delta grid.
    pub x: Vec<f64>,
    /// Log-moneyness of each cell (equal to `x` on the k grid; the solved k on the delta grid; NaN where the
    /// delta has no solution).
    pub cell_k: Vec<Vec<f64>>,
    /// Fitted IV of each cell, percent; NaN where the model gives none.
    pub vols_pct: Vec<Vec<f64>>,
    /// Lowest finite vol of the grid, percent.
    pub min_vol_pct: Option<f64>,
    /// Highest finite vol of the grid, percent.
    pub max_vol_pct: Option<f64>,
    /// Lowest and highest finite vol over the cells inside their expiry's quoted k range (all cells of an
    /// expiry that lists no used quotes), percent: the data-backed part of the grid, for a colour scale that
    /// extrapolated wings do not flatten. None when no cell qualifies.
    pub quoted_vol_range_pct: Option<(f64, f64)>,
}

impl HeatGrid {
    /// The vol of row `row`, column `col`, when it exists and is finite.
    pub fn vol_pct(&self, row: usize, col: usize) -> Option<f64> {
        self.vols_pct.get(row)?.get(col).copied().filter(|v| v.is_finite())
    }
}

/// The calendar check of two consecutive usable expiries (total variance must not decrease with T at any k).
#[derive(Clone, Debug, PartialEq)]
pub struct CalendarPair {
    /// Row of the shorter expiry in [`SurfaceSummary::expiries`].
    pub short_row: usize,
    /// Row of the longer expiry.
    pub long_row: usize,
    /// The k range checked: the overlap of the two fits' quoted k ranges (as `volscope fit` does), or the
    /// summary's k grid range when a report lists no used quotes; None when the quoted ranges do not overlap.
    pub k_checked: Option<(f64, f64)>,
    /// Grid points (of [`CALENDAR_POINTS`]) where total variance decreases.
    pub violation_count: usize,
    /// Lowest and highest k where it decreases.
    pub violation_k_range: Option<(f64, f64)>,
    /// The point with the largest drop w_short − w_long.
    pub worst: Option<CalendarViolation>,
}

impl CalendarPair {
    /// `true` when total variance decreases somewhere on the checked range.
    pub fn is_decreasing(&self) -> bool {
        self.violation_count > 0
    }
}

/// Everything the Surface tab shows, computed from the fits.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SurfaceSummary {
    /// Usable expiries, by increasing T.
    pub expiries: Vec<ExpirySummary>,
    /// Fitted IV on the k grid.
    pub k_grid: HeatGrid,
    /// Fitted IV on the call-delta grid.
    pub delta_grid: HeatGrid,
    /// Calendar check of each consecutive pair of `expiries`.
    pub calendar: Vec<CalendarPair>,
}

impl SurfaceSummary {
    /// `true` when no consecutive pair has decreasing total variance.
    pub fn calendar_ok(&self) -> bool {
        self.calendar.iter().all(|p| !p.is_decreasing())
    }

    /// The row of `expiries` holding snapshot slice `slice_index`, if that slice is usable.
    pub fn row_of_slice(&self, slice_index: usize) -> Option<usize> {
        self.expiries.iter().position(|e| e.slice_index == slice_index)
    }
}

/// One usable slice: its fitted smile and report.
struct FittedSlice<'a> {
    slice_index: usize,
    slice: &'a ExpirySlice,
    report: &'a SliceFitReport,
    smile: FittedSmile,
}

impl FittedSlice<'_> {
    /// Fitted vol at `k`, percent (NaN where none).
    fn vol_pct(&self, k: f64) -> f64 {
        100.0 * self.smile.implied_vol(k)
    }

    /// The strike of call delta `call_delta` and its vol.
    fn delta_strike(&self, call_delta: f64) -> Option<DeltaStrike> {
        delta_strike(&self.smile, call_delta)
    }
}

/// The strike of call delta `call_delta` on `smile` ([`k_at_call_delta`]) and its vol.
pub fn delta_strike(smile: &FittedSmile, call_delta: f64) -> Option<DeltaStrike> {
    let k = k_at_call_delta(smile.model(), smile.params(), smile.t_years(), call_delta)?;
    let vol_pct = 100.0 * smile.implied_vol(k);
    vol_pct.is_finite().then_some(DeltaStrike { k, vol_pct })
}

/// Computes the surface summary of the fitted slices. `kinds` and `reports` are aligned with
/// `snapshot.slices`; slices beyond either's length, with a failed report, with no parameters or with T ≤ 0
/// are left out.
pub fn surface_summary(
    snapshot: &Snapshot,
    kinds: &[ModelKind],
    reports: &[SliceFitReport],
    spec: &SurfaceGridSpec,
) -> SurfaceSummary {
    let fitted = fitted_slices(snapshot, kinds, reports);
    let expiries: Vec<ExpirySummary> = fitted.iter().map(expiry_summary).collect();
    let quoted: Vec<Option<(f64, f64)>> = expiries.iter().map(|e| e.quoted_k_range).collect();
    let k_grid = k_heat_grid(&fitted, &spec.k_grid(), &quoted);
    let delta_grid = delta_heat_grid(&fitted, &spec.call_deltas, &quoted);
    let calendar = calendar_pairs(&fitted, &expiries, (spec.k_min, spec.k_max));
    SurfaceSummary { expiries, k_grid, delta_grid, calendar }
}

/// The usable slices with their models, by increasing T.
fn fitted_slices<'a>(
    snapshot: &'a Snapshot,
    kinds: &[ModelKind],
    reports: &'a [SliceFitReport],
) -> Vec<FittedSlice<'a>> {
    let mut fitted: Vec<FittedSlice<'a>> = snapshot
        .slices
        .iter()
        .zip(kinds)
        .zip(reports)
        .enumerate()
        .filter(|(_, (_, report))| report.status.is_usable() && !report.params.is_empty())
        .filter_map(|(slice_index, ((slice, kind), report))| {
            let inputs = SliceInputs { t_years: slice.t_years, forward: slice.forward };
            let smile = FittedSmile::new(*kind, inputs, report.params.clone()).ok()?;
            Some(FittedSlice { slice_index, slice, report, smile })
        })
        .collect();
    fitted.sort_by(|a, b| a.slice.t_years.total_cmp(&b.slice.t_years));
    fitted
}

/// A smile's ATM vol, its strikes of one call delta and of the matching put, and the risk reversal and
/// butterfly between them: the one home of RR/BF (the Surface tab's 25Δ, the constant-maturity read-outs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeltaQuotes {
    /// ATM (k = 0) vol, percent.
    pub atm_vol_pct: Option<f64>,
    /// The call's strike and vol.
    pub call: Option<DeltaStrike>,
    /// The put's strike (call delta 1 − Δ) and vol.
    pub put: Option<DeltaStrike>,
    /// Risk reversal σ_call − σ_put, vol points.
    pub rr_vol_pts: Option<f64>,
    /// Butterfly (σ_call + σ_put)/2 − σ_ATM, vol points.
    pub bf_vol_pts: Option<f64>,
}

/// [`DeltaQuotes`] of `smile` at call delta `call_delta` (0.25 for the 25Δ quotes).
pub fn delta_quotes(smile: &FittedSmile, call_delta: f64) -> DeltaQuotes {
    let atm = 100.0 * smile.implied_vol(0.0);
    let atm_vol_pct = atm.is_finite().then_some(atm);
    let (call, put) = (delta_strike(smile, call_delta), delta_strike(smile, 1.0 - call_delta));
    let (rr_vol_pts, bf_vol_pts) = match (call, put) {
        (Some(c), Some(p)) => (Some(c.vol_pct - p.vol_pct), atm_vol_pct.map(|a| 0.5 * (c.vol_pct + p.vol_pct) - a)),
        _ => (None, None),
    };
    DeltaQuotes { atm_vol_pct, call, put, rr_vol_pts, bf_vol_pts }
}

/// ATM vol, 25Δ strikes, RR and BF of one fitted slice.
fn expiry_summary(f: &FittedSlice<'_>) -> ExpirySummary {
    let q = delta_quotes(&f.smile, RR_BF_CALL_DELTA);
    ExpirySummary {
        slice_index: f.slice_index,
        expiry_ms: f.slice.expiry_ms,
        label: expiry_label(f.slice.expiry_ms),
        t_years: f.slice.t_years,
        forward: f.slice.forward,
        atm_vol_pct: q.atm_vol_pct,
        call_25d: q.call,
        put_25d: q.put,
        rr_25d_vol_pts: q.rr_vol_pts,
        bf_25d_vol_pts: q.bf_vol_pts,
        quoted_k_range: quoted_k_range(f.report),
    }
}

/// Exchange-style date code of an expiry (`27MAR26`).
pub fn expiry_label(expiry_ms: i64) -> String {
    crate::market::time::format_dmy_code(expiry_ms)
}

/// k range of the quotes a fit used, None when it used none.
fn quoted_k_range(report: &SliceFitReport) -> Option<(f64, f64)> {
    let (lo, hi) = report
        .residuals
        .iter()
        .filter(|q| matches!(q.used, QuoteUse::Used) && q.k.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), q| (lo.min(q.k), hi.max(q.k)));
    (hi >= lo).then_some((lo, hi))
}

/// Fitted vols on the k grid.
fn k_heat_grid(fitted: &[FittedSlice<'_>], k_grid: &[f64], quoted: &[Option<(f64, f64)>]) -> HeatGrid {
    let vols_pct = fitted.iter().map(|f| k_grid.iter().map(|&k| f.vol_pct(k)).collect()).collect();
    let cell_k = vec![k_grid.to_vec(); fitted.len()];
    heat_grid(k_grid.to_vec(), cell_k, vols_pct, quoted)
}

/// Fitted vols at the strikes of each call delta.
fn delta_heat_grid(fitted: &[FittedSlice<'_>], call_deltas: &[f64], quoted: &[Option<(f64, f64)>]) -> HeatGrid {
    let strikes: Vec<Vec<Option<DeltaStrike>>> =
        fitted.iter().map(|f| call_deltas.iter().map(|&d| f.delta_strike(d)).collect()).collect();
    let cell_k = strikes.iter().map(|row| row.iter().map(|s| s.map_or(f64::NAN, |s| s.k)).collect()).collect();
    let vols_pct = strikes.iter().map(|row| row.iter().map(|s| s.map_or(f64::NAN, |s| s.vol_pct)).collect()).collect();
    heat_grid(call_deltas.to_vec(), cell_k, vols_pct, quoted)
}

/// A grid with its finite min and max, overall and inside the rows' `quoted` k ranges.
fn heat_grid(x: Vec<f64>, cell_k: Vec<Vec<f64>>, vols_pct: Vec<Vec<f64>>, quoted: &[Option<(f64, f64)>]) -> HeatGrid {
    let finite = || vols_pct.iter().flatten().copied().filter(|v: &f64| v.is_finite());
    let min_vol_pct = finite().reduce(f64::min);
    let max_vol_pct = finite().reduce(f64::max);
    let inside_quotes =
        |row: usize, k: f64| quoted.get(row).copied().flatten().is_none_or(|(lo, hi)| k >= lo && k <= hi);
    let quoted_vol_range_pct = vols_pct
        .iter()
        .zip(&cell_k)
        .enumerate()
        .flat_map(|(row, (vols, ks))| vols.iter().zip(ks).filter(move |(_, &k)| inside_quotes(row, k)))
        .map(|(&v, _)| v)
        .filter(|v| v.is_finite())
        .fold(None, |range: Option<(f64, f64)>, v| Some(range.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v)))));
    HeatGrid { x, cell_k, vols_pct, min_vol_pct, max_vol_pct, quoted_vol_range_pct }
}

/// Calendar check of each consecutive pair of fitted slices.
fn calendar_pairs(
    fitted: &[FittedSlice<'_>],
    expiries: &[ExpirySummary],
    fallback_k_range: (f64, f64),
) -> Vec<CalendarPair> {
    (1..fitted.len())
        .map(|long_row| {
            let short_row = long_row - 1;
            let (short, long) = (&fitted[short_row], &fitted[long_row]);
            let (k_checked, violations) =
                check_calendar_pair((short.report, &short.smile), (long.report, &long.smile), Some(fallback_k_range));
            debug_assert_eq!(expiries[short_row].quoted_k_range, quoted_k_range(short.report));
            calendar_pair(short_row, long_row, k_checked, &violations)
        })
        .collect()
}

/// The calendar check of one pair of fits (the shorter expiry first): the k range checked — the overlap of
/// the two fits' used-quote k ranges, or `fallback` when either used none — and the points of
/// [`CALENDAR_POINTS`] over it where total variance decreases. Extrapolated wings of a one-day smile say
/// nothing about arbitrage, so only the quoted overlap is checked; no range when the quoted ranges do not
/// overlap.
pub fn check_calendar_pair(
    short: (&SliceFitReport, &FittedSmile),
    long: (&SliceFitReport, &FittedSmile),
    fallback: Option<(f64, f64)>,
) -> (Option<(f64, f64)>, Vec<CalendarViolation>) {
    let k_checked = match (quoted_k_range(short.0), quoted_k_range(long.0), fallback) {
        (Some(a), Some(b), _) => calendar_k_range(Some(a), Some(b), (f64::NAN, f64::NAN)),
        (_, _, Some(range)) => calendar_k_range(None, None, range),
        _ => None,
    };
    let Some((lo, hi)) = k_checked else { return (None, Vec::new()) };
    let grid = if hi > lo { crate::numeric::linspace(lo, hi, CALENDAR_POINTS) } else { vec![lo] };
    let slices: [(f64, &dyn SmileModel, &[f64]); 2] =
        [(short.1.t_years(), short.1.model(), short.1.params()), (long.1.t_years(), long.1.model(), long.1.params())];
    (k_checked, calendar_check(&slices, &grid))
}

/// Calendar violations between consecutive usable fits in T order ([`check_calendar_pair`] of each pair; a
/// pair with no quoted overlap is not checked): what fit.json reports.
pub fn calendar_violations(fits: &[(&SliceFitReport, &FittedSmile)]) -> Vec<CalendarViolation> {
    let mut usable: Vec<(&SliceFitReport, &FittedSmile)> =
        fits.iter().copied().filter(|(r, _)| r.status.is_usable() && !r.params.is_empty()).collect();
    usable.sort_by(|a, b| a.0.t_years.total_cmp(&b.0.t_years));
    usable.windows(2).flat_map(|pair| check_calendar_pair(pair[0], pair[1], None).1).collect()
}

/// The k range a pair is checked on: the overlap of both quoted ranges, or `fallback` when either has none.
fn calendar_k_range(short: Option<(f64, f64)>, long: Option<(f64, f64)>, fallback: (f64, f64)) -> Option<(f64, f64)> {
    let (lo, hi) = match (short, long) {
        (Some(a), Some(b)) => (a.0.max(b.0), a.1.min(b.1)),
        _ => fallback,
    };
    (lo.is_finite() && hi.is_finite() && hi >= lo).then_some((lo, hi))
}

/// Summarises a pair's violations: count, k range, the largest drop.
fn calendar_pair(
    short_row: usize,
    long_row: usize,
    k_checked: Option<(f64, f64)>,
    violations: &[CalendarViolation],
) -> CalendarPair {
    let violation_k_range = violations.iter().map(|v| (v.k, v.k)).reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)));
    let worst = violations.iter().copied().max_by(|a, b| (a.w_short - a.w_long).total_cmp(&(b.w_short - b.w_long)));
    CalendarPair { short_row, long_row, k_checked, violation_count: violations.len(), violation_k_range, worst }
}

/// The forward Black call delta N(d1) at log-moneyness `k`, with the smile's own vol at `k` (undiscounted,
/// not premium-adjusted; independent of the forward's level). NaN where the smile has no vol.
pub fn call_delta_at_k(model: &dyn SmileModel, params: &[f64], t_years: f64, k: f64) -> f64 {
    let vol = model.implied_vol(params, k, t_years);
    if vol > 0.0 && vol.is_finite() {
        black_delta(&OptionSpec::undiscounted(OptionKind::Call, 1.0, k.exp(), t_years), vol)
    } else {
        f64::NAN
    }
}

/// The log-moneyness where the smile's call delta ([`call_delta_at_k`]) equals `call_delta` (in (0, 1); a put
/// delta Δp is call delta 1 + Δp). Walks out from k = 0 in the direction the delta must move (call delta falls
/// as k rises on an arbitrage-free smile), with growing steps, until the sign changes, then bisects that
/// bracket: the root nearest the money is returned. None when `call_delta` or `t_years` is out of range, the
/// smile has no vol on the way, or no root lies within ±[`DELTA_SEARCH_K_LIMIT`].
pub fn k_at_call_delta(model: &dyn SmileModel, params: &[f64], t_years: f64, call_delta: f64) -> Option<f64> {
    let in_range = call_delta > 0.0 && call_delta < 1.0 && t_years > 0.0 && t_years.is_finite();
    if !in_range {
        return None;
    }
    let excess = |k: f64| call_delta_at_k(model, params, t_years, k) - call_delta;
    let at_money = excess(0.0);
    if !at_money.is_finite() {
        return None;
    }
    if at_money == 0.0 {
        return Some(0.0);
    }
    let direction = if at_money > 0.0 { 1.0 } else { -1.0 };
    let first_step = 0.25 * model.implied_vol(params, 0.0, t_years) * t_years.sqrt();
    let (lo, hi) = bracket(&excess, direction, first_step.clamp(1e-3, 0.5))?;
    Some(bisect(&excess, lo, hi))
}

/// From k = 0 (where `excess` has sign `direction`), steps by growing amounts towards `direction` until the
/// sign of `excess` flips: returns (k with the at-money sign, k with the other sign).
fn bracket(excess: &impl Fn(f64) -> f64, direction: f64, first_step: f64) -> Option<(f64, f64)> {
    let (mut inner, mut step) = (0.0_f64, first_step);
    for _ in 0..DELTA_MAX_EXPANSIONS {
        let outer = (inner + direction * step).clamp(-DELTA_SEARCH_K_LIMIT, DELTA_SEARCH_K_LIMIT);
        let value = excess(outer);
        if !value.is_finite() {
            return None;
        }
        if value * direction <= 0.0 {
            return Some((inner, outer));
        }
        if outer.abs() >= DELTA_SEARCH_K_LIMIT {
            return None;
        }
        inner = outer;
        step *= 1.6;
    }
    None
}

/// Bisection of `excess` between `same` (sign as at the money) and `other` (the flipped sign or a zero).
fn bisect(excess: &impl Fn(f64) -> f64, mut same: f64, mut other: f64) -> f64 {
    let same_sign = excess(same).signum();
    while (other - same).abs() > DELTA_K_TOLERANCE * other.abs().max(1.0) {
        let mid = 0.5 * (same + other);
        let value = excess(mid);
        if value == 0.0 {
            return mid;
        }
        if value.signum() == same_sign {
            same = mid;
        } else {
            // Also taken for NaN: stay on the side that was finite at both ends.
            other = mid;
        }
    }
    0.5 * (same + other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibrate::{fit_snapshot, ButterflySummary, FitConfig, FitStatus, QuoteResidual};
    use crate::market::time::MS_PER_DAY;
    use crate::market::time::{utc_ms, DayCount};
    use crate::market::{ForwardSource, PremiumCurrency};
    use crate::models::Svi;

    const SNAPSHOT_MS: i64 = 1_773_651_600_000; // 2026-03-16 09:00 UTC

    fn slice(t_years: f64, forward: f64) -> ExpirySlice {
        ExpirySlice {
            expiry_ms: SNAPSHOT_MS + (t_years * 365.0 * MS_PER_DAY as f64) as i64,
            t_years,
            forward,
            forward_source: ForwardSource::File,
            discount: 1.0,
            parity_forward: None,
            forward_disagreement: None,
            quotes: Vec::new(),
        }
    }

    fn report(s: &ExpirySlice, params: &[f64], status: FitStatus) -> SliceFitReport {
        SliceFitReport {
            expiry: String::new(),
            expiry_ms: s.expiry_ms,
            t_years: s.t_years,
            forward: s.forward,
            model: "svi".into(),
            status,
            param_names: Vec::new(),
            params: params.to_vec(),
            rmse_vol_pts: 0.0,
            max_abs_err_vol_pts: 0.0,
            inside_spread_share: 1.0,
            mean_err_spread_units: 0.0,
            n_quotes: 0,
            iterations: 0,
            function_evals: 0,
            fit_time_us: 0.0,
            butterfly: ButterflySummary { ok: true, min_g: 1.0, k_at_min_g: 0.0, negative_ranges: Vec::new() },
            residuals: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn snapshot(slices: Vec<ExpirySlice>) -> Snapshot {
        Snapshot {
            time_ms: SNAPSHOT_MS,
            underlying: "BTC".into(),
            source: "test".into(),
            index_price: None,
            premium_currency: PremiumCurrency::Coin,
            day_count: DayCount::Act365Fixed,
            slices,
            warnings: Vec::new(),
        }
    }

    /// Builds a snapshot of SVI slices (T, params) with converged reports.
    fn svi_surface(slices: &[(f64, [f64; 5])]) -> (Snapshot, Vec<ModelKind>, Vec<SliceFitReport>) {
        let snap = snapshot(slices.iter().map(|(t, _)| slice(*t, 70_000.0)).collect());
        let reports = snap.slices.iter().zip(slices).map(|(s, (_, p))| report(s, p, FitStatus::Converged)).collect();
        (snap, vec![ModelKind::Svi; slices.len()], reports)
    }

    #[test]
    fn flat_smile_has_zero_rr_and_bf() {
        let (t, vol) = (0.25, 0.6);
        let (snap, kinds, reports) = svi_surface(&[(t, [vol * vol * t, 0.0, 0.0, 0.0, 0.1])]);
        let summary = surface_summary(&snap, &kinds, &reports, &SurfaceGridSpec::default());
        let e = &summary.expiries[0];
        assert!((e.atm_vol_pct.unwrap() - 60.0).abs() < 1e-12);
        assert!(e.rr_25d_vol_pts.unwrap().abs() < 1e-12);
        assert!(e.bf_25d_vol_pts.unwrap().abs() < 1e-12);
        // On a flat smile the 25Δ call lies at k = s·N⁻¹(0.75) + s²/2 with s = σ√T.
        let s = vol * t.sqrt();
        assert!((e.call_25d.unwrap().k - (s * 0.674_489_750_196_081_7 + 0.5 * s * s)).abs() < 1e-9);
        assert!(summary.k_grid.vols_pct[0].iter().all(|v| (v - 60.0).abs() < 1e-12));
        assert!(summary.calendar.is_empty() && summary.calendar_ok());
    }

    #[test]
    fn skewed_svi_25_delta_strikes_have_delta_quarter() {
        let (t, forward) = (0.5, 70_000.0);
        let params = [0.02, 0.12, -0.4, 0.05, 0.15];
        let (snap, kinds, reports) = svi_surface(&[(t, params)]);
        let summary = surface_summary(&snap, &kinds, &reports, &SurfaceGridSpec::default());
        let e = &summary.expiries[0];
        let delta_of = |kind: OptionKind, k: f64| {
            let vol = Svi.implied_vol(&params, k, t);
            black_delta(&OptionSpec::undiscounted(kind, forward, forward * k.exp(), t), vol)
        };
        let (call, put) = (e.call_25d.unwrap(), e.put_25d.unwrap());
        assert!((delta_of(OptionKind::Call, call.k) - 0.25).abs() < 1e-10);
        assert!((delta_of(OptionKind::Put, put.k) + 0.25).abs() < 1e-10);
        assert!(put.k < 0.0 && call.k > 0.0);
        // Negative ρ: puts richer than calls.
        assert!(e.rr_25d_vol_pts.unwrap() < 0.0 && e.bf_25d_vol_pts.unwrap() > 0.0);
        let rr = call.vol_pct - put.vol_pct;
        assert_eq!(e.rr_25d_vol_pts, Some(rr));
        // The delta grid reproduces the same strikes.
        let grid = &summary.delta_grid;
        let col = grid.x.iter().position(|d| (d - 0.25).abs() < 1e-12).unwrap();
        assert!((grid.cell_k[0][col] - call.k).abs() < 1e-12);
        for (d, k) in grid.x.iter().zip(&grid.cell_k[0]) {
            assert!((delta_of(OptionKind::Call, *k) - d).abs() < 1e-10, "delta {d}");
        }
    }

    #[test]
    fn delta_solver_gives_none_without_a_smile() {
        // Negative total variance everywhere: no vol, no delta, no panic.
        let params = [-0.5, 0.1, 0.0, 0.0, 0.1];
        assert_eq!(k_at_call_delta(&Svi, &params, 0.5, 0.25), None);
        assert_eq!(k_at_call_delta(&Svi, &[0.04, 0.0, 0.0, 0.0, 0.1], 0.5, 1.5), None);
        assert_eq!(k_at_call_delta(&Svi, &[0.04, 0.0, 0.0, 0.0, 0.1], f64::NAN, 0.25), None);
        assert_eq!(k_at_call_delta(&Svi, &[f64::NAN; 5], 0.5, 0.25), None);
    }

    #[test]
    fn failed_and_empty_reports_are_skipped() {
        let flat = [0.01, 0.0, 0.0, 0.0, 0.1];
        let (snap, kinds, mut reports) = svi_surface(&[(0.1, flat), (0.2, flat), (0.3, flat)]);
        reports[0].status = FitStatus::Failed { reason: "too few quotes".into() };
        reports[2].params.clear();
        let summary = surface_summary(&snap, &kinds, &reports, &SurfaceGridSpec::default());
        assert_eq!(summary.expiries.len(), 1);
        assert_eq!(summary.expiries[0].slice_index, 1);
        assert_eq!(summary.row_of_slice(1), Some(0));
        assert_eq!(summary.row_of_slice(0), None);
        assert_eq!(summary.k_grid.vols_pct.len(), 1);
        // Fewer kinds than slices: the rest are skipped too.
        let summary = surface_summary(&snap, &kinds[..1], &reports, &SurfaceGridSpec::default());
        assert!(summary.expiries.is_empty() && summary.k_grid.min_vol_pct.is_none());
    }

    #[test]
    fn calendar_flags_decreasing_total_variance() {
        // The longer expiry has less total variance on the call wing: w decreases there.
        let short = [0.02, 0.2, 0.3, 0.0, 0.2];
        let long = [0.055, 0.15, -0.9, 0.0, 0.2];
        let (snap, kinds, reports) = svi_surface(&[(0.1, short), (0.2, long)]);
        let spec = SurfaceGridSpec::default();
        let summary = surface_summary(&snap, &kinds, &reports, &spec);
        assert!(!summary.calendar_ok());
        let pair = &summary.calendar[0];
        assert_eq!((pair.short_row, pair.long_row), (0, 1));
        assert_eq!(pair.k_checked, Some((spec.k_min, spec.k_max)));
        let (lo, hi) = pair.violation_k_range.unwrap();
        assert!(lo > 0.0 && hi == spec.k_max, "{lo} {hi}");
        let worst = pair.worst.unwrap();
        assert!(worst.w_long < worst.w_short && worst.k == spec.k_max);
        assert!(Svi.total_variance(&long, lo) < Svi.total_variance(&short, lo));
        // Increasing total variance: no violation.
        let (snap, kinds, reports) = svi_surface(&[(0.1, short), (0.2, [0.03, 0.2, 0.3, 0.0, 0.2]), (0.3, long)]);
        let summary = surface_summary(&snap, &kinds, &reports, &spec);
        assert!(!summary.calendar[0].is_decreasing() && summary.calendar[1].is_decreasing());
    }

    #[test]
    fn calendar_range_is_the_quoted_overlap() {
        assert_eq!(calendar_k_range(Some((-0.5, 0.3)), Some((-0.2, 0.6)), (-1.0, 1.0)), Some((-0.2, 0.3)));
        assert_eq!(calendar_k_range(Some((-0.5, -0.3)), Some((0.2, 0.6)), (-1.0, 1.0)), None);
        assert_eq!(calendar_k_range(None, Some((0.2, 0.6)), (-1.0, 1.0)), Some((-1.0, 1.0)));
        let mut r = report(&slice(0.1, 1.0), &[0.0], FitStatus::Converged);
        let residual = |k: f64, used: QuoteUse| QuoteResidual {
            instrument: String::new(),
            strike: k.exp(),
            k,
            kind: crate::pricing::OptionKind::Call,
            bid_iv: None,
            ask_iv: None,
            mid_iv: None,
            model_iv: None,
            residual_vol_pts: None,
            residual_spread_units: None,
            inside_spread: None,
            used,
        };
        r.residuals = vec![residual(-0.4, QuoteUse::Excluded("x".into())), residual(-0.1, QuoteUse::Used)];
        r.residuals.push(residual(0.2, QuoteUse::Used));
        assert_eq!(quoted_k_range(&r), Some((-0.1, 0.2)));
    }

    #[test]
    fn expiry_labels_are_exchange_codes() {
        assert_eq!(expiry_label(utc_ms(2026, 3, 27, 8, 0, 0)), "27MAR26");
        assert_eq!(expiry_label(utc_ms(2026, 12, 5, 8, 0, 0)), "5DEC26");
    }

    #[test]
    fn bundled_sample_has_finite_atm_rr_bf() {
        let raw = crate::io::load_bytes(crate::sample::SAMPLE_CSV.as_bytes(), "sample.csv", &Default::default())
            .expect("sample loads");
        let snap = raw.snapshot(&Default::default()).expect("sample builds");
        let reports = fit_snapshot(&snap, |s| ModelKind::Svi.for_slice(s), &FitConfig::default());
        let kinds = vec![ModelKind::Svi; snap.slices.len()];
        let started = std::time::Instant::now();
        let summary = surface_summary(&snap, &kinds, &reports, &SurfaceGridSpec::default());
        eprintln!("surface summary of the sample: {:?}", started.elapsed());
        let usable = reports.iter().filter(|r| r.status.is_usable() && !r.params.is_empty()).count();
        assert_eq!(summary.expiries.len(), usable);
        assert!(usable >= 8, "{usable} usable fits");
        for e in &summary.expiries {
            let (atm, rr, bf) = (e.atm_vol_pct.unwrap(), e.rr_25d_vol_pts.unwrap(), e.bf_25d_vol_pts.unwrap());
            assert!(atm.is_finite() && rr.is_finite() && bf.is_finite(), "{}", e.label);
            // The sample's SSVI has ρ = −0.25 and ATM vol 50–60 %: negative RR, positive BF.
            assert!((45.0..70.0).contains(&atm) && rr < 0.0 && bf > 0.0, "{} {atm} {rr} {bf}", e.label);
        }
        assert!(summary.expiries.windows(2).all(|w| w[0].t_years <= w[1].t_years));
        assert!(summary.calendar_ok(), "{:?}", summary.calendar);
        assert_eq!(summary.delta_grid.vols_pct.len(), usable);
        assert!(summary.delta_grid.vols_pct.iter().flatten().all(|v| v.is_finite()));
        // The colour range of the quoted region leaves out the extrapolated short-dated wings.
        let grid = &summary.k_grid;
        let (lo, hi) = grid.quoted_vol_range_pct.unwrap();
        assert!(lo >= grid.min_vol_pct.unwrap() && hi < grid.max_vol_pct.unwrap() && hi < 150.0, "{lo} {hi}");
    }
}
