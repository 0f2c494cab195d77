//! Fitting one expiry slice (and every slice of a snapshot) with any [`SmileModel`].
//!
//! Steps: select quotes (each quote keeps its use or the reason it was left out), turn the used ones into
//! points (targets, weights, robust-loss thresholds: `slice_points`), apply the bounds the model suggests from
//! the data, build starts (warm start; the model's own [`crate::models::Starts`] if it has them, e.g. the
//! quasi-explicit grid for raw SVI; the middle of the bounds), run the bounded solver (fixed parameters
//! removed, analytic Jacobian through the model gradient; `point_residual` is the one residual formula, shared
//! with `surface_fit`), penalise and repair butterfly arbitrage on request, check the result (ATM sanity, the
//! model's [`crate::models::ShapeCheck`]), then report statistics on the used quotes, the inside-spread share
//! over every two-sided OTM quote, residuals for all quotes and a butterfly check. Failures are
//! [`FitError`]s, whose text is the report's `status_reason`.
//!
//! **Butterfly grid**: g(k) on 401 points over k ∈ [min(−1.5·√T, k_lo), max(1.5·√T, k_hi)], where
//! [k_lo, k_hi] is the range of the slice's quotes: ±1.5 in k at one year, shrinking with √T (the width of
//! the distribution) for short expiries but never narrower than the quoted strikes.

use std::time::Instant;

use super::config::{FitConfig, Loss, Objective, QuoteSelection, ResolvedConfig, Solver, Weighting};
use super::error::FitError;
use super::lbfgs::{self, LbfgsOptions};
use super::lm::{minimize, LmOptions, LmResult, LmStop, Residuals};
use super::problem::{CoordinateMap, FreeParams, TaggedPoints, TaggedProblem};
use super::report::{ButterflySummary, Exclusion, FitStatus, QuoteResidual, QuoteUse, SliceFitReport};
use crate::market::time::format_utc;
use crate::market::{ExpirySlice, Quote, QuoteStatus, Snapshot};
use crate::models::capabilities::middle_of_bounds;
use crate::models::{FitData, SmileModel};
use crate::pricing::{norm_pdf, OptionKind};

/// Points of the butterfly grid.
pub const BUTTERFLY_POINTS: usize = 401;
/// Half-width of the butterfly k range at T = 1 (scaled by √T).
pub const BUTTERFLY_HALF_WIDTH: f64 = 1.5;
/// Rounds of the no-arbitrage penalty (the penalty weight grows 10× per round until the butterfly check passes).
const PENALTY_ROUNDS: usize = 8;

/// The butterfly k range of a slice (see the module docs).
pub fn butterfly_range(t_years: f64, quotes_k: impl Iterator<Item = f64>) -> (f64, f64) {
    let half = BUTTERFLY_HALF_WIDTH * t_years.max(0.0).sqrt();
    quotes_k.filter(|k| k.is_finite()).fold((-half, half), |(lo, hi), k| (lo.min(k), hi.max(k)))
}

fn empty_butterfly() -> ButterflySummary {
    ButterflySummary { ok: false, min_g: f64::NAN, k_at_min_g: f64::NAN, negative_ranges: vec![] }
}

/// Undiscounted Black price divided by the forward, from k = ln(K/F) and the total std dev s = σ√T (Jäckel's
/// evaluation: no cancellation far out of the money).
fn normalized_price(kind: OptionKind, k: f64, s: f64) -> f64 {
    crate::pricing::price_from_stddev_undiscounted(kind, 1.0, k.exp(), s)
}

/// ∂(normalized price)/∂σ = φ(d1)·√T.
fn normalized_vega(k: f64, vol: f64, t: f64) -> f64 {
    let s = vol * t.sqrt();
    norm_pdf(-k / s + 0.5 * s) * t.sqrt()
}

/// A quote taking part in the fit.
#[derive(Clone, Copy, Debug)]
pub(super) struct Point {
    /// Log-moneyness.
    pub(super) k: f64,
    kind: OptionKind,
    /// Mid implied vol.
    pub(super) vol: f64,
    /// Objective target (mid vol, or normalized mid price).
    target: f64,
    weight: f64,
    /// Robust-loss threshold on the weighted residual (loss scale × spread × weight, in objective units);
    /// infinite when the quote has no spread or the loss is plain least squares.
    loss_threshold: f64,
}

/// One point's (robust, weighted) residual under `params` and the factor d r̃ / d w (so that the Jacobian row
/// is that factor times ∂w/∂p, written into `grad`); `None` where the model gives no positive variance. The
/// one residual formula of every fit, per slice and across a surface.
pub(super) fn point_residual(
    model: &dyn SmileModel,
    params: &[f64],
    p: &Point,
    t: f64,
    objective: Objective,
    loss: Loss,
    grad: &mut [f64],
) -> Option<(f64, f64)> {
    let w = model.total_variance_with_gradient(params, p.k, grad);
    if !(w > 0.0) || !w.is_finite() {
        return None;
    }
    let vol = (w / t).sqrt();
    // ∂σ/∂p = ∂w/∂p / (2σT).
    let dvol = 1.0 / (2.0 * vol * t);
    let (value, scale) = match objective {
        Objective::Vol => (vol, dvol),
        Objective::Price => (normalized_price(p.kind, p.k, vol * t.sqrt()), normalized_vega(p.k, vol, t) * dvol),
    };
    let raw = p.weight * (value - p.target);
    // Robust loss as a transformed residual r̃ with ½r̃² = ½C²ρ((r/C)²) and the chain rule on the row.
    let (res, factor) = robust(loss, raw, p.loss_threshold);
    Some((res, factor * p.weight * scale))
}

/// The transformed residual and its derivative d r̃ / d r for `loss` with threshold `c` (plain when c is not
/// finite or the residual lies within it).
fn robust(loss: Loss, r: f64, c: f64) -> (f64, f64) {
    if !(c.is_finite() && c > 0.0) {
        return (r, 1.0);
    }
    let u = r.abs() / c;
    match loss {
        Loss::Linear | Loss::Auto => (r, 1.0),
        Loss::Huber => {
            if u <= 1.0 {
                (r, 1.0)
            } else {
                let f = (2.0 * u - 1.0).sqrt();
                (r.signum() * c * f, 1.0 / f)
            }
        }
        Loss::SoftL1 => {
            if u < 1e-8 {
                return (r, 1.0);
            }
            let q = (1.0 + u * u).sqrt();
            let f = (2.0 * (q - 1.0)).sqrt();
            (r.signum() * c * f, u / (f * q))
        }
    }
}

/// Use (or the reason for exclusion) of every quote of the slice.
pub(super) fn select(slice: &ExpirySlice, config: &FitConfig) -> Vec<QuoteUse> {
    let excluded = |q: &Quote| config.excluded_instruments.iter().any(|name| name.as_str() == &*q.instrument);
    let mut uses: Vec<QuoteUse> = slice
        .quotes
        .iter()
        .map(|q| {
            let reason = if q.status != QuoteStatus::Ok {
                Some(Exclusion::Status(q.status))
            } else if config.selection == QuoteSelection::OtmOnly && !q.is_otm() {
                Some(Exclusion::InTheMoney)
            } else if !q.mid.iv.is_some_and(|v| v.is_finite() && v > 0.0) {
                Some(Exclusion::NoMidIv)
            } else if excluded(q) {
                Some(Exclusion::User)
            } else if config.k_range.is_some_and(|(lo, hi)| !(q.k >= lo && q.k <= hi)) {
                Some(Exclusion::OutsideKRange)
            } else if let Some((lo, hi)) = config.abs_delta_range {
                match q.delta {
                    None => Some(Exclusion::NoDelta),
                    Some(d) if !(d.abs() >= lo && d.abs() <= hi) => Some(Exclusion::OutsideDeltaRange),
                    _ => None,
                }
            } else {
                None
            };
            reason.map_or(QuoteUse::Used, QuoteUse::Excluded)
        })
        .collect();
    if let Some(multiple) = config.max_spread_multiple {
        let spread = |q: &Quote| match (q.bid.iv, q.ask.iv) {
            (Some(b), Some(a)) => a - b,
            _ => f64::NAN,
        };
        let spreads: Vec<f64> =
            slice.quotes.iter().zip(&uses).filter(|(_, u)| **u == QuoteUse::Used).map(|(q, _)| spread(q)).collect();
        let med = crate::numeric::median(spreads.iter().copied()).unwrap_or(f64::NAN);
        if med > 0.0 {
            for (q, u) in slice.quotes.iter().zip(uses.iter_mut()) {
                let s = spread(q);
                if *u == QuoteUse::Used && s > multiple * med {
                    // Kept to the one decimal its text shows, so that a saved report reads back equal.
                    let multiple = (10.0 * s / med).round() / 10.0;
                    *u = QuoteUse::Excluded(Exclusion::WideSpread { multiple });
                }
            }
        }
    }
    uses
}

/// Market mid vol interpolated at k0 = 0 clamped into the used quotes' range (linear in k).
pub(super) fn market_atm(points: &[Point]) -> (f64, f64) {
    let (kmin, kmax) = points.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.k), b.max(p.k)));
    let k0 = 0.0f64.clamp(kmin, kmax);
    let below = points.iter().filter(|p| p.k <= k0).max_by(|a, b| a.k.total_cmp(&b.k));
    let above = points.iter().filter(|p| p.k >= k0).min_by(|a, b| a.k.total_cmp(&b.k));
    let vol = match (below, above) {
        (Some(lo), Some(hi)) if hi.k > lo.k => lo.vol + (hi.vol - lo.vol) * (k0 - lo.k) / (hi.k - lo.k),
        (Some(p), _) | (_, Some(p)) => p.vol,
        _ => f64::NAN,
    };
    (k0, vol)
}

/// The used quote nearest the money as (k, total variance), if any: where a surface pins a slice's level.
pub(super) fn anchor(points: &[Point], t_years: f64) -> Option<(f64, f64)> {
    points
        .iter()
        .filter(|p| p.vol.is_finite() && p.vol > 0.0)
        .min_by(|a, b| a.k.abs().total_cmp(&b.k.abs()))
        .map(|p| (p.k, p.vol * p.vol * t_years))
}

/// Why a solved fit is degenerate, if it is.
fn degenerate(model: &dyn SmileModel, params: &[f64], points: &[Point], t: f64, rc: &ResolvedConfig) -> Option<String> {
    if let Err(e) = model.check_domain(params) {
        return Some(format!("degenerate fit: outside the model's domain ({e})"));
    }
    let (k0, market) = market_atm(points);
    let fitted = model.implied_vol(params, k0, t);
    let f = rc.config.atm_vol_factor;
    if !(fitted.is_finite() && fitted <= f * market && fitted * f >= market) {
        return Some(format!(
            "degenerate fit: model vol {:.2} vol pts at k = {k0:.3} vs market mid {:.2} (allowed factor {f})",
            100.0 * fitted,
            100.0 * market
        ));
    }
    model.shape_check().and_then(|check| check.degenerate(params, &rc.bounds, &rc.fixed))
}

/// Names of free parameters on a bound.
fn at_bounds(model: &dyn SmileModel, params: &[f64], rc: &ResolvedConfig) -> Vec<String> {
    let names = model.param_names();
    rc.free_indices()
        .into_iter()
        .filter(|&i| {
            let (lo, hi) = rc.bounds[i];
            let tol = 1e-9 * (hi - lo).abs().max(1e-12);
            params[i] <= lo + tol || params[i] >= hi - tol
        })
        .map(|i| names[i].to_owned())
        .collect()
}

/// Applies the bounds the model suggests from the data ([`crate::models::Starts::data_bounds`]) where the user set none and
/// the parameter is not fixed; returns the report note naming what changed.
fn apply_data_bounds(model: &dyn SmileModel, rc: &mut ResolvedConfig, data: &FitData<'_>) -> Option<String> {
    let mut changed = Vec::new();
    let names = model.param_names();
    for (i, lo, hi) in model.starts().map(|s| s.data_bounds(data)).unwrap_or_default() {
        let name = names[i];
        if rc.config.bounds.contains_key(name) || rc.fixed[i].is_some() {
            continue;
        }
        let (old_lo, old_hi) = rc.bounds[i];
        let (new_lo, new_hi) = (old_lo.max(lo), old_hi.min(hi));
        if new_lo <= new_hi && (new_lo, new_hi) != (old_lo, old_hi) {
            rc.bounds[i] = (new_lo, new_hi);
            changed.push(format!("{name} in [{new_lo:.4}, {new_hi:.4}]"));
        }
    }
    (!changed.is_empty()).then(|| format!("data bounds: {}", changed.join(", ")))
}

/// Outcome of the solve, before the report.
struct Solved {
    params: Vec<f64>,
    stop: LmStop,
    iterations: usize,
    evaluations: usize,
    start_note: String,
    /// Free parameters on a bound.
    at_bound: Vec<String>,
}

fn fail_report(report: &mut SliceFitReport, reason: String, warm_start: Option<&[f64]>) {
    report.status = FitStatus::Failed { reason };
    report.params = warm_start.map(|w| w.to_vec()).unwrap_or_default();
}

/// Fits `model` to one expiry slice. Never panics; a failed fit says why and carries no fitted curve.
pub fn fit_slice(
    model: &dyn SmileModel,
    slice: &ExpirySlice,
    config: &FitConfig,
    warm_start: Option<&[f64]>,
) -> SliceFitReport {
    let clock = Instant::now();
    let mut report = fit_slice_shell(model, slice);
    let uses = select(slice, config);
    let outcome = solve(model, slice, config, warm_start, &uses, &mut report);
    match outcome {
        Ok(solved) => {
            report.iterations = solved.iterations;
            report.function_evals = solved.evaluations;
            report.notes.push(solved.start_note);
            report.params = solved.params;
            report.status = match solved.stop {
                LmStop::MaxIterations => FitStatus::MaxIterations,
                _ if solved.at_bound.is_empty() => FitStatus::Converged,
                _ => FitStatus::AtBound { params: solved.at_bound.clone() },
            };
            report.notes.push(format!("solver stop: {}", solved.stop.label()));
        }
        Err(reason) => fail_report(&mut report, reason.to_string(), warm_start),
    }
    fill_statistics(model, slice, &uses, &mut report);
    report.fit_time_us = clock.elapsed().as_secs_f64() * 1e6;
    report
}

/// A report of `model` on `slice` before any fit: status "not fitted", no parameters, NaN statistics.
pub(super) fn fit_slice_shell(model: &dyn SmileModel, slice: &ExpirySlice) -> SliceFitReport {
    SliceFitReport {
        expiry: format_utc(slice.expiry_ms),
        expiry_ms: slice.expiry_ms,
        t_years: slice.t_years,
        forward: slice.forward,
        model: model.name().to_owned(),
        status: FitStatus::Failed { reason: "not fitted".to_owned() },
        param_names: model.param_names().iter().map(|s| (*s).to_owned()).collect(),
        params: Vec::new(),
        rmse_vol_pts: f64::NAN,
        max_abs_err_vol_pts: f64::NAN,
        inside_spread_share: f64::NAN,
        mean_err_spread_units: f64::NAN,
        n_quotes: 0,
        iterations: 0,
        function_evals: 0,
        fit_time_us: 0.0,
        butterfly: empty_butterfly(),
        residuals: Vec::new(),
        notes: Vec::new(),
    }
}

/// The used quotes of a slice as fit points: targets in the objective's units, weights, robust-loss
/// thresholds (in that order of checks and notes). Fails on a slice with no two-sided quote or fewer than
/// `min_points` used quotes; sets `report.n_quotes`.
pub(super) fn slice_points(
    slice: &ExpirySlice,
    config: &FitConfig,
    uses: &[QuoteUse],
    min_points: usize,
    report: &mut SliceFitReport,
) -> Result<Vec<Point>, FitError> {
    let t = slice.t_years;
    if slice.quotes.iter().all(|q| q.status != QuoteStatus::Ok) {
        let one_sided =
            slice.quotes.iter().filter(|q| matches!(q.status, QuoteStatus::NoBid | QuoteStatus::NoAsk)).count();
        let total = slice.quotes.len();
        return Err(if one_sided > 0 { FitError::OneSided { one_sided, total } } else { FitError::NoTwoSided(total) });
    }
    let mut points: Vec<Point> = Vec::new();
    let mut spreads: Vec<f64> = Vec::new();
    for (q, u) in slice.quotes.iter().zip(uses) {
        if *u != QuoteUse::Used {
            continue;
        }
        let vol = q.mid.iv.unwrap_or(f64::NAN);
        let target = match config.objective {
            Objective::Vol => vol,
            Objective::Price => q
                .mid
                .price_usd
                .map(|p| p / (slice.discount * slice.forward))
                .filter(|p| p.is_finite() && *p > 0.0)
                .unwrap_or_else(|| normalized_price(q.kind, q.k, vol * t.sqrt())),
        };
        spreads.push(match (q.bid.iv, q.ask.iv) {
            (Some(b), Some(a)) if a > b => a - b,
            _ => f64::NAN,
        });
        points.push(Point { k: q.k, kind: q.kind, vol, target, weight: 1.0, loss_threshold: f64::INFINITY });
    }
    report.n_quotes = points.len();
    if points.len() < min_points {
        return Err(FitError::TooFewQuotes { used: points.len(), needed: min_points });
    }
    match config.weights {
        Weighting::Equal => {}
        Weighting::Vega => {
            let vegas: Vec<f64> = points.iter().map(|p| normalized_vega(p.k, p.vol, t)).collect();
            let max = vegas.iter().copied().fold(0.0, f64::max);
            for (p, v) in points.iter_mut().zip(vegas) {
                p.weight = if max > 0.0 { v / max } else { 1.0 };
            }
        }
        Weighting::Spread => {
            let med = crate::numeric::median(spreads.iter().copied()).unwrap_or(f64::NAN);
            for (p, s) in points.iter_mut().zip(&spreads) {
                p.weight = if s.is_finite() && med > 0.0 { med / s } else { 1.0 };
            }
        }
    }
    let loss = config.effective_loss();
    if loss != Loss::Linear {
        for (p, s) in points.iter_mut().zip(&spreads) {
            // Spread in objective units: vol spread, or vega × vol spread for prices.
            let unit = match config.objective {
                Objective::Vol => *s,
                Objective::Price => normalized_vega(p.k, p.vol, t) * s,
            };
            p.loss_threshold = config.loss_scale * unit * p.weight;
        }
        report.notes.push(format!("loss: {loss:?} at {} spread units", config.loss_scale));
    }
    Ok(points)
}

fn solve(
    model: &dyn SmileModel,
    slice: &ExpirySlice,
    config: &FitConfig,
    warm_start: Option<&[f64]>,
    uses: &[QuoteUse],
    report: &mut SliceFitReport,
) -> Result<Solved, FitError> {
    let t = slice.t_years;
    if !(t > 0.0) || !t.is_finite() {
        return Err(FitError::Expired);
    }
    if !(slice.forward > 0.0) || !slice.forward.is_finite() {
        return Err(FitError::BadForward(slice.forward));
    }
    let mut rc = config.validate(model).map_err(FitError::BadConfiguration)?;
    // A parameter whose bounds coincide (e.g. SABR's β fixed through the model, bounds (β, β)) is fixed: it
    // leaves the problem and is not reported as sitting on a bound.
    for i in 0..rc.bounds.len() {
        let (lo, hi) = rc.bounds[i];
        if rc.fixed[i].is_none() && lo == hi {
            rc.fixed[i] = Some(lo);
        }
    }
    let free = rc.free_indices();
    let points = slice_points(slice, config, uses, free.len() + 1, report)?;
    let loss = config.effective_loss();
    let ks: Vec<f64> = points.iter().map(|p| p.k).collect();
    let vols: Vec<f64> = points.iter().map(|p| p.vol).collect();
    let weights: Vec<f64> = points.iter().map(|p| p.weight).collect();
    let data = FitData { ks: &ks, vols: &vols, weights: &weights, t_years: t, forward: slice.forward };
    if let Some(note) = apply_data_bounds(model, &mut rc, &data) {
        report.notes.push(note);
    }
    let rc = rc;
    // Starting points, full parameter vectors.
    let lower: Vec<f64> = free.iter().map(|&i| rc.bounds[i].0).collect();
    let upper: Vec<f64> = free.iter().map(|&i| rc.bounds[i].1).collect();
    let prepare = |p: &[f64]| -> Vec<f64> {
        (0..p.len()).map(|i| rc.fixed[i].unwrap_or_else(|| p[i].clamp(rc.bounds[i].0, rc.bounds[i].1))).collect()
    };
    let mut starts: Vec<(Vec<f64>, String)> = Vec::new();
    if let Some(w) = warm_start {
        if w.len() == rc.bounds.len() && w.iter().all(|v| v.is_finite()) {
            let p = prepare(w);
            if model.check_domain(&p).is_ok() {
                starts.push((p, "start: warm (previous parameters)".to_owned()));
            } else {
                report.notes.push("warm start ignored: outside the model's domain".to_owned());
            }
        } else {
            report.notes.push("warm start ignored: wrong length or not finite".to_owned());
        }
    }
    let own = model.starts();
    for start in own.map(|o| o.starts(&data, &rc.bounds, &rc.fixed, 2)).unwrap_or_default() {
        starts.push((prepare(&start.params), start.note));
    }
    if own.is_none_or(|o| o.middle_of_bounds_too()) {
        starts.push((prepare(&middle_of_bounds(&rc.bounds)), "start: middle of the bounds".to_owned()));
    }
    let opts = LmOptions { max_iterations: config.max_iterations, ftol: 1e-10, ..LmOptions::default() };
    // The solver: LM, or projected L-BFGS on the same residuals (cost ½‖r‖², gradient Jᵀr) from the same starts.
    let lbfgs_opts = LbfgsOptions { max_iterations: 4 * config.max_iterations, ..LbfgsOptions::default() };
    let run = |problem: &mut dyn Residuals, x0: &[f64]| -> LmResult {
        match config.solver {
            Solver::Lm => minimize(problem, x0, &lower, &upper, &opts),
            Solver::Lbfgs => lbfgs::minimize(problem, x0, &lower, &upper, &lbfgs_opts).into_lm(),
        }
    };
    let mut best: Option<(Solved, f64, Option<String>)> = None;
    let (mut iterations, mut evaluations) = (0, 0);
    let mut last_failure = FitError::NoStart;
    let mut no_arb_notes: Vec<String> = Vec::new();
    let mut best_no_arb_note: Option<String> = None;
    for (si, (start, note)) in starts.iter().enumerate() {
        // Warm start first; further starts only when the previous ones did not give a good fit (the refined
        // quasi-explicit start is close to the optimum, so one converged, non-degenerate run is enough).
        if si > 0 && best.as_ref().is_some_and(|b| b.2.is_none() && b.0.stop.is_converged()) {
            break;
        }
        let mut problem = TaggedProblem {
            model,
            slices: vec![TaggedPoints { points: &points, t_years: t }],
            objective: config.objective,
            loss,
            map: FreeParams::new(&free, start.clone()),
            grad: vec![0.0; start.len()],
            penalty_ks: Vec::new(),
            penalty_scale: 0.0,
        };
        let x0: Vec<f64> = free.iter().map(|&i| start[i]).collect();
        let mut res: LmResult = run(&mut problem, &x0);
        iterations += res.iterations;
        evaluations += res.evaluations;
        if let LmStop::Failed(reason) = &res.stop {
            last_failure = FitError::Solver(reason.clone());
            continue;
        }
        if config.no_arbitrage {
            let (lo, hi) = butterfly_range(t, slice.quotes.iter().map(|q| q.k));
            let passes = |full: &[f64]| crate::arbitrage::butterfly_check(model, full, lo, hi, BUTTERFLY_POINTS).ok;
            problem.map.set(&res.x);
            if !passes(problem.map.full()) {
                // Penalise max(margin − g, 0) on the very grid of the butterfly check, with a weight growing
                // 10× per round until the check passes.
                let rms = (2.0 * res.cost / points.len() as f64).sqrt().max(1e-4);
                problem.penalty_ks = crate::numeric::linspace(lo, hi, BUTTERFLY_POINTS);
                let mut scale = 100.0 * rms;
                let mut rounds = 0;
                while rounds < PENALTY_ROUNDS {
                    rounds += 1;
                    problem.penalty_scale = scale;
                    let res2 = run(&mut problem, &res.x);
                    iterations += res2.iterations;
                    evaluations += res2.evaluations;
                    if !matches!(res2.stop, LmStop::Failed(_)) {
                        res = res2;
                    }
                    problem.map.set(&res.x);
                    if passes(problem.map.full()) {
                        break;
                    }
                    scale *= 10.0;
                }
                let mut how = format!("no-arbitrage: penalty on g over {BUTTERFLY_POINTS} points, {rounds} round(s)");
                let repair = model.butterfly_repair().filter(|_| !passes(problem.map.full()));
                if let Some((full, lambda)) = repair.and_then(|r| r.repair(problem.map.full(), &free, &passes)) {
                    res.x = free.iter().map(|&i| full[i]).collect();
                    how = format!("{how}, then skew/curvature scaled by {lambda:.4} towards a flat smile");
                }
                problem.map.set(&res.x);
                if !passes(problem.map.full()) {
                    how = format!("{how}: the butterfly check still fails");
                }
                no_arb_notes.push(how);
            }
        }
        problem.map.set(&res.x);
        let params = problem.map.full().to_vec();
        let degenerate_reason = degenerate(model, &params, &points, t, &rc);
        let cost = vol_cost_of(model, &params, &points, t);
        let better = match &best {
            None => true,
            Some((_, best_cost, best_deg)) => match (best_deg.is_some(), degenerate_reason.is_some()) {
                (true, false) => true,
                (false, true) => false,
                _ => cost < *best_cost,
            },
        };
        if better {
            let at_bound = at_bounds(model, &params, &rc);
            let solved =
                Solved { params, stop: res.stop, iterations: 0, evaluations: 0, start_note: note.clone(), at_bound };
            best = Some((solved, cost, degenerate_reason));
            best_no_arb_note = no_arb_notes.last().cloned();
        }
        no_arb_notes.clear();
    }
    report.notes.extend(best_no_arb_note);
    let Some((mut solved, _, degenerate_reason)) = best else {
        return Err(last_failure);
    };
    solved.iterations = iterations;
    solved.evaluations = evaluations;
    if let Some(reason) = degenerate_reason {
        report.notes.push(format!(
            "rejected parameters: {}",
            solved.params.iter().map(|p| format!("{p:.6}")).collect::<Vec<_>>().join(", ")
        ));
        report.iterations = iterations;
        report.function_evals = evaluations;
        return Err(FitError::Degenerate(reason));
    }
    Ok(solved)
}

/// Objective-independent comparison of candidates: the weighted vol cost.
fn vol_cost_of(model: &dyn SmileModel, params: &[f64], points: &[Point], t: f64) -> f64 {
    points
        .iter()
        .map(|p| {
            let v = model.implied_vol(params, p.k, t);
            let e = p.weight * (v - p.vol);
            if e.is_finite() {
                e * e
            } else {
                f64::INFINITY
            }
        })
        .sum()
}

/// `true` for a quote counted by the inside-spread share: two-sided (both vols) and out of the money.
fn counts_for_inside_share(q: &Quote) -> bool {
    q.is_otm()
        && !matches!(q.status, QuoteStatus::Expired | QuoteStatus::Duplicate | QuoteStatus::Crossed)
        && matches!((q.bid.iv, q.ask.iv), (Some(b), Some(a)) if b.is_finite() && a.is_finite() && a >= b)
}

pub(super) fn fill_statistics(
    model: &dyn SmileModel,
    slice: &ExpirySlice,
    uses: &[QuoteUse],
    report: &mut SliceFitReport,
) {
    let usable = report.status.is_usable();
    let t = slice.t_years;
    let (mut sse, mut max_abs, mut n_used, mut su_sum, mut su_n) = (0.0, 0.0f64, 0usize, 0.0, 0usize);
    let (mut inside, mut counted) = (0usize, 0usize);
    for (q, u) in slice.quotes.iter().zip(uses) {
        let model_iv =
            if usable { Some(model.implied_vol(&report.params, q.k, t)).filter(|v| v.is_finite()) } else { None };
        let residual = match (model_iv, q.mid.iv) {
            (Some(m), Some(mid)) => Some(100.0 * (m - mid)),
            _ => None,
        };
        let spread = match (q.bid.iv, q.ask.iv) {
            (Some(b), Some(a)) if a > b => Some(a - b),
            _ => None,
        };
        let spread_units = match (model_iv, q.mid.iv, spread) {
            (Some(m), Some(mid), Some(s)) => Some((m - mid) / s),
            _ => None,
        };
        let inside_spread = match (model_iv, q.bid.iv, q.ask.iv) {
            (Some(m), Some(b), Some(a)) => Some(b <= m && m <= a),
            _ => None,
        };
        if *u == QuoteUse::Used {
            if let Some(r) = residual {
                sse += r * r;
                max_abs = max_abs.max(r.abs());
                n_used += 1;
            }
            if let Some(s) = spread_units {
                su_sum += s;
                su_n += 1;
            }
        }
        if usable && counts_for_inside_share(q) {
            counted += 1;
            if inside_spread == Some(true) {
                inside += 1;
            }
        }
        report.residuals.push(QuoteResidual {
            instrument: q.instrument.to_string(),
            strike: q.strike,
            k: q.k,
            kind: q.kind,
            bid_iv: q.bid.iv,
            ask_iv: q.ask.iv,
            mid_iv: q.mid.iv,
            model_iv,
            residual_vol_pts: residual,
            residual_spread_units: spread_units,
            inside_spread,
            used: u.clone(),
        });
    }
    if !usable {
        return;
    }
    if n_used > 0 {
        report.rmse_vol_pts = (sse / n_used as f64).sqrt();
        report.max_abs_err_vol_pts = max_abs;
    }
    if su_n > 0 {
        report.mean_err_spread_units = su_sum / su_n as f64;
    }
    if counted > 0 {
        report.inside_spread_share = inside as f64 / counted as f64;
    }
    let (lo, hi) = butterfly_range(t, slice.quotes.iter().map(|q| q.k));
    report.butterfly = crate::arbitrage::butterfly_check(model, &report.params, lo, hi, BUTTERFLY_POINTS);
    if !report.butterfly.ok {
        report.notes.push(format!(
            "butterfly arbitrage: g = {:.3e} at k = {:.3} (checked on k in [{lo:.3}, {hi:.3}])",
            report.butterfly.min_g, report.butterfly.k_at_min_g
        ));
    }
}

/// Evaluates `params` on a slice without solving (the GUI's manual mode): the report has status
/// [`FitStatus::Manual`], the residuals, statistics and butterfly check of those parameters, and takes a few
/// microseconds per quote. Parameters of the wrong length or outside the model's domain give a failed report.
pub fn evaluate_slice(
    model: &dyn SmileModel,
    slice: &ExpirySlice,
    config: &FitConfig,
    params: &[f64],
) -> SliceFitReport {
    let clock = Instant::now();
    let mut report = fit_slice_shell(model, slice);
    let uses = select(slice, config);
    if params.len() != model.param_names().len() || params.iter().any(|p| !p.is_finite()) {
        fail_report(&mut report, "manual parameters: wrong length or not finite".to_owned(), None);
    } else if let Err(why) = model.check_domain(params) {
        fail_report(&mut report, format!("manual parameters outside the model's domain: {why}"), None);
    } else {
        report.params = params.to_vec();
        report.status = FitStatus::Manual;
    }
    report.n_quotes = uses.iter().filter(|u| **u == QuoteUse::Used).count();
    fill_statistics(model, slice, &uses, &mut report);
    report.fit_time_us = clock.elapsed().as_secs_f64() * 1e6;
    report
}

/// Fits every slice of a snapshot with the model `model_for_slice` gives for it; expired slices are reported
/// as failed ("expired") without a fit.
pub fn fit_snapshot(
    snapshot: &Snapshot,
    model_for_slice: impl Fn(&ExpirySlice) -> Box<dyn SmileModel>,
    config: &FitConfig,
) -> Vec<SliceFitReport> {
    snapshot
        .slices
        .iter()
        .map(|slice| {
            let model = model_for_slice(slice);
            fit_slice(model.as_ref(), slice, config, None)
        })
        .collect()
}
