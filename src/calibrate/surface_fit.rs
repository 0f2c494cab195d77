//! Calibration of a [`SurfaceModel`] to every live expiry of a snapshot at once: one least-squares problem
//! whose points are tagged by slice. Each slice contributes its used quotes with the same selection, targets,
//! weights and robust loss as a slice fit (`fit::slice_points`, `fit::point_residual`: one residual formula
//! for both); the parameters are the surface model's coordinates, in which its no-arbitrage conditions are a
//! box, so the bounded solvers keep every iterate arbitrage-free. The Jacobian chains the slice model's
//! analytic ∂w/∂p with ∂p/∂x of the coordinate map (central differences: the map is a few closed-form
//! expressions per expiry). A slice fit is the one-slice case of the same idea with the identity map.
//!
//! Only expiries with at least [`SurfaceModel::min_points`] usable quotes take part in the solve. A chained
//! model (eSSVI) is first fitted expiry by expiry (`chain_start`), which starts the global polish. **Never a
//! hole:** every other live expiry gets its slice from [`SurfaceModel::interpolate`], through its quote nearest
//! the money when it has one ([`FitStatus::NeighbourShape`]) or between its neighbours
//! ([`FitStatus::Interpolated`]); an expiry whose market ATM total variance lies below the previous expiry's
//! fitted one is [`FitStatus::ProjectedAtm`], with the size of the move. Every report's parameters are its
//! smile (raw SVI for SSVI and eSSVI), so every read-out works unchanged.

use std::time::Instant;

use super::chain_start::{chained_start, StageSlice};
use super::config::FitConfig;
use super::error::FitError;
use super::fit::{anchor, fill_statistics, fit_slice_shell, market_atm, select, slice_points, Point};
use super::lm::{LmResult, LmStop};
use super::problem::{solve_bounded, SurfaceCoordinates, TaggedPoints, TaggedProblem};
use super::report::{FitStatus, QuoteUse, SliceFitReport};
use crate::market::{ExpirySlice, Snapshot};
use crate::models::{SmileModel, SurfaceModel, SurfaceParams};

/// The fit of a surface model to a snapshot.
#[derive(Clone, Debug)]
pub struct SurfaceFit {
    /// The surface model's name.
    pub model: &'static str,
    /// Names of the global parameters.
    pub global_names: Vec<String>,
    /// Names of the per-expiry parameters.
    pub per_expiry_names: Vec<String>,
    /// The parameters of every live expiry (increasing T), or `None` when the fit failed.
    pub params: Option<SurfaceParams>,
    /// Expiry (ms) of each live expiry, in the order of `params.per_expiry` (every live expiry, the
    /// interpolated ones included).
    pub expiries_ms: Vec<i64>,
    /// One report per slice of the snapshot (same order); the smile parameters of the slice model.
    pub reports: Vec<SliceFitReport>,
    /// Why the solver stopped, or why the fit failed.
    pub stop: String,
    /// Solver iterations and residual evaluations over all starts.
    pub iterations: usize,
    /// Residual evaluations (each with its Jacobian).
    pub evaluations: usize,
    /// Wall time of the whole surface fit, µs.
    pub fit_time_us: f64,
    /// T (years) of each live expiry, in the order of `params.per_expiry`.
    pub t_years: Vec<f64>,
}

/// One live slice in the problem.
struct TaggedSlice<'a> {
    slice: &'a ExpirySlice,
    uses: Vec<QuoteUse>,
    points: Vec<Point>,
    report: SliceFitReport,
}

/// Fits `surface` to every live expiry of `snapshot` (expired slices get a failed report). `warm_start`, the
/// parameters of an earlier fit (one entry per live expiry, or per solved expiry), is tried first.
pub fn fit_surface(
    surface: &dyn SurfaceModel,
    snapshot: &Snapshot,
    config: &FitConfig,
    warm_start: Option<&SurfaceParams>,
) -> SurfaceFit {
    let slices: Vec<&ExpirySlice> = snapshot.slices.iter().collect();
    fit_surface_slices(surface, &slices, config, warm_start)
}

/// [`fit_surface`] on some slices of a chain (the reports in the order of `slices`).
pub fn fit_surface_slices(
    surface: &dyn SurfaceModel,
    all: &[&ExpirySlice],
    config: &FitConfig,
    warm_start: Option<&SurfaceParams>,
) -> SurfaceFit {
    let clock = Instant::now();
    let smile = surface.slice_kind().nominal();
    let (mut live, dead) = tag_slices(surface, smile.as_ref(), all, config);
    live.sort_by(|a, b| a.slice.t_years.total_cmp(&b.slice.t_years));
    let min_points = surface.min_points();
    let rich: Vec<usize> = (0..live.len()).filter(|&i| live[i].points.len() >= min_points).collect();
    // A warm start is the parameters of a previous fit: of every live expiry, or of the solved ones only.
    let warm: Option<SurfaceParams> = warm_start.and_then(|w| {
        if w.per_expiry.len() == live.len() && live.len() != rich.len() {
            let per_expiry = rich.iter().map(|&i| w.per_expiry[i].clone()).collect();
            Some(SurfaceParams { global: w.global.clone(), per_expiry })
        } else {
            (w.per_expiry.len() == rich.len()).then(|| w.clone())
        }
    });
    let solved = solve(surface, smile.as_ref(), &live, &rich, config, warm.as_ref());
    let (iterations, evaluations) = (solved.iterations, solved.evaluations);
    let stop = match &solved.best {
        Some(b) => b.stop.label().to_owned(),
        None => solved.failure.to_string(),
    };
    let fitted = solved.best.as_ref().map(|b| surface.params_at(&b.x, rich.len()));
    let ts_rich: Vec<f64> = rich.iter().map(|&i| live[i].slice.t_years).collect();
    // Every live expiry's parameters: the solved ones, and the others placed from their neighbours.
    let params: Option<SurfaceParams> = fitted.as_ref().map(|f| {
        let per_expiry = (0..live.len())
            .map(|i| match rich.iter().position(|&r| r == i) {
                Some(j) => f.per_expiry[j].clone(),
                None => {
                    let anchor = anchor(&live[i].points, live[i].slice.t_years);
                    surface.interpolate(f, &ts_rich, live[i].slice.t_years, anchor).unwrap_or_default()
                }
            })
            .collect();
        SurfaceParams { global: f.global.clone(), per_expiry }
    });
    let expiries_ms: Vec<i64> = live.iter().map(|s| s.slice.expiry_ms).collect();
    let t_years: Vec<f64> = live.iter().map(|s| s.slice.t_years).collect();
    let market_theta: Vec<f64> = live.iter().map(|s| market_theta(&s.points, s.slice.t_years)).collect();
    let mut reports: Vec<(usize, SliceFitReport)> = dead;
    for (i, tagged) in live.into_iter().enumerate() {
        let TaggedSlice { slice, uses, mut report, points } = tagged;
        let complete = params.as_ref().filter(|p| !p.per_expiry[i].is_empty());
        match (complete, &solved.best) {
            (Some(p), Some(b)) => {
                report.params = surface.smile_params(p, i);
                let kind = (points.len() >= min_points, points.is_empty());
                report.status = slice_status(surface, p, i, kind, market_theta[i], slice.t_years, b);
                report.notes.push(parameter_note(surface, p, i));
                report.notes.push(format!("solver stop: {stop}"));
            }
            _ => report.status = FitStatus::Failed { reason: solved.failure.to_string() },
        }
        report.iterations = iterations;
        report.function_evals = evaluations;
        fill_statistics(smile.as_ref(), slice, &uses, &mut report);
        let index = all.iter().position(|s| std::ptr::eq(*s, slice)).unwrap_or(usize::MAX);
        reports.push((index, report));
    }
    reports.sort_by_key(|(i, _)| *i);
    let elapsed_us = clock.elapsed().as_secs_f64() * 1e6;
    let mut reports: Vec<SliceFitReport> = reports.into_iter().map(|(_, r)| r).collect();
    let n_live = reports.iter().filter(|r| !r.params.is_empty()).count().max(1);
    for r in &mut reports {
        r.fit_time_us = elapsed_us / n_live as f64;
    }
    SurfaceFit {
        model: surface.name(),
        global_names: surface.global_names().iter().map(|s| (*s).to_owned()).collect(),
        per_expiry_names: surface.per_expiry_names().iter().map(|s| (*s).to_owned()).collect(),
        params,
        expiries_ms,
        reports,
        stop,
        iterations,
        evaluations,
        fit_time_us: elapsed_us,
        t_years,
    }
}

/// `true` for a slice a surface fit places (T and the forward positive and finite); the others are expired.
pub fn is_live(slice: &ExpirySlice) -> bool {
    slice.t_years > 0.0 && slice.t_years.is_finite() && slice.forward > 0.0 && slice.forward.is_finite()
}

/// The live slices with their selections and points, and the expired ones' failed reports (by index).
fn tag_slices<'a>(
    surface: &dyn SurfaceModel,
    smile: &dyn SmileModel,
    all: &[&'a ExpirySlice],
    config: &FitConfig,
) -> (Vec<TaggedSlice<'a>>, Vec<(usize, SliceFitReport)>) {
    let mut live = Vec::new();
    let mut dead = Vec::new();
    for (index, &slice) in all.iter().enumerate() {
        let mut report = fit_slice_shell(smile, slice);
        report.model = surface.name().to_owned();
        if !is_live(slice) {
            report.status = FitStatus::Failed { reason: "expired".to_owned() };
            dead.push((index, report));
            continue;
        }
        let uses = select(slice, config);
        let points = slice_points(slice, config, &uses, 1, &mut report).unwrap_or_else(|why| {
            report
                .notes
                .push(format!("no quote in the surface fit ({why}): interpolated between the neighbouring expiries"));
            Vec::new()
        });
        live.push(TaggedSlice { slice, uses, points, report });
    }
    (live, dead)
}

/// The solve over the rich slices: its best answer, counts and the last failure.
struct Solved {
    best: Option<LmResult>,
    iterations: usize,
    evaluations: usize,
    failure: FitError,
}

/// Solves the surface over the slices `rich` of `live`: a warm start, the chained stage (for chained models)
/// or the model's own starts, each polished by the bounded solver; the best answer wins.
fn solve(
    surface: &dyn SurfaceModel,
    smile: &dyn SmileModel,
    live: &[TaggedSlice<'_>],
    rich: &[usize],
    config: &FitConfig,
    warm_start: Option<&SurfaceParams>,
) -> Solved {
    let n = rich.len();
    let mut out = Solved { best: None, iterations: 0, evaluations: 0, failure: FitError::NoStart };
    if n == 0 {
        out.failure = FitError::NoTwoSided(0);
        return out;
    }
    // A polish after the chained stage (or a warm start) starts next to its answer: a relative cost change of
    // 1e-8 ends it (18-24 LM iterations on the real BTC surfaces instead of 30-33 at 1e-10, for the same cost
    // to 8 digits).
    let ftol = if surface.chained().is_some() { 1e-8 } else { 1e-10 };
    let bounds = surface.coordinate_bounds(n);
    let (lower, upper): (Vec<f64>, Vec<f64>) = bounds.iter().copied().unzip();
    let mut problem = TaggedProblem {
        model: smile,
        slices: rich
            .iter()
            .map(|&i| TaggedPoints { points: &live[i].points, t_years: live[i].slice.t_years })
            .collect(),
        objective: config.objective,
        loss: config.effective_loss(),
        map: SurfaceCoordinates::new(surface, n),
        grad: vec![0.0; smile.param_names().len()],
        penalty_ks: Vec::new(),
        penalty_scale: 0.0,
    };
    let mut polish = |start: &SurfaceParams, out: &mut Solved| {
        let Some(x0) = surface.coordinates_of(start) else { return };
        let res = solve_bounded(&mut problem, (&x0, &lower, &upper), config.solver, config.max_iterations, ftol);
        out.iterations += res.iterations;
        out.evaluations += res.evaluations;
        if let LmStop::Failed(why) = &res.stop {
            out.failure = FitError::Solver(why.clone());
        } else if out.best.as_ref().is_none_or(|b| res.cost < b.cost) {
            out.best = Some(res);
        }
    };
    // A converged warm start is the answer (as in a slice fit); the other starts are for a cold fit.
    if let Some(warm) = warm_start.filter(|w| w.per_expiry.len() == n) {
        polish(warm, &mut out);
        if out.best.as_ref().is_some_and(|b| b.stop.is_converged()) {
            return out;
        }
    }
    let mut starts: Vec<SurfaceParams> = Vec::new();
    if let Some(chain) = surface.chained() {
        let stage: Vec<StageSlice<'_>> =
            rich.iter().map(|&i| StageSlice { points: &live[i].points, t_years: live[i].slice.t_years }).collect();
        if let Some(found) = chained_start(surface, chain, smile, &stage, config) {
            out.iterations += found.iterations;
            out.evaluations += found.evaluations;
            starts.push(found.params);
        }
    }
    if starts.is_empty() {
        let atm: Vec<f64> = rich.iter().map(|&i| market_theta(&live[i].points, live[i].slice.t_years)).collect();
        starts.extend(surface.starts(&atm));
    }
    for start in &starts {
        polish(start, &mut out);
    }
    out
}

/// The market's ATM total variance of a slice's points (NaN without points).
fn market_theta(points: &[Point], t_years: f64) -> f64 {
    if points.is_empty() {
        return f64::NAN;
    }
    let (_, vol) = market_atm(points);
    vol * vol * t_years
}

/// The status of live slice `i` (of T `t_years`): placed from its neighbours, or solved (and then projected
/// when its market ATM total variance lay below the previous expiry's fitted one).
fn slice_status(
    surface: &dyn SurfaceModel,
    params: &SurfaceParams,
    i: usize,
    (rich, empty): (bool, bool),
    market_theta: f64,
    t_years: f64,
    best: &LmResult,
) -> FitStatus {
    if empty {
        return FitStatus::Interpolated;
    }
    if !rich {
        return FitStatus::NeighbourShape;
    }
    let theta_of =
        |j: usize| crate::models::SviParams::from_slice(&surface.smile_params(params, j)).total_variance(0.0);
    let fitted = theta_of(i);
    if i > 0 && market_theta.is_finite() && market_theta < theta_of(i - 1) && fitted > market_theta {
        let vol = |w: f64| 100.0 * (w.max(0.0) / t_years).sqrt();
        return FitStatus::ProjectedAtm { moved_vol_pts: vol(fitted) - vol(market_theta) };
    }
    if best.stop == LmStop::MaxIterations {
        FitStatus::MaxIterations
    } else {
        FitStatus::Converged
    }
}

/// The report note naming the slice's surface parameters.
fn parameter_note(surface: &dyn SurfaceModel, p: &SurfaceParams, i: usize) -> String {
    let global = surface.global_names().iter().zip(&p.global).map(|(n, v)| format!("{n} = {v:.6}"));
    let own = surface.per_expiry_names().iter().zip(&p.per_expiry[i]).map(|(n, v)| format!("{n} = {v:.6}"));
    format!("{} surface: {}", surface.name(), own.chain(global).collect::<Vec<_>>().join(", "))
}
