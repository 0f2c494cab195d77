//! Calibration of a [`SurfaceModel`] to every live expiry of a snapshot at once: one least-squares problem
//! whose points are tagged by slice. Each slice contributes its used quotes with the same selection, targets,
//! weights and robust loss as a slice fit (`fit::slice_points`, `fit::point_residual`: one residual formula
//! for both); the parameters are the surface model's coordinates, in which its no-arbitrage conditions are a
//! box, so the bounded solvers keep every iterate arbitrage-free. The Jacobian chains the slice model's
//! analytic ∂w/∂p with ∂p/∂x of the coordinate map (central differences: the map is a few closed-form
//! expressions per expiry). A slice fit is the one-slice case of the same idea with the identity map.
//!
//! Every live expiry gets a report whose parameters are its smile (raw SVI for SSVI), so every read-out works
//! unchanged; an expiry without a usable quote takes its θ from its neighbours and says so.

use std::time::Instant;

use super::config::{FitConfig, Solver};
use super::error::FitError;
use super::fit::{fill_statistics, fit_slice_shell, market_atm, select, slice_points, Point};
use super::lbfgs::{self, LbfgsOptions};
use super::lm::{minimize, LmOptions, LmResult, LmStop, Residuals};
use super::problem::{SurfaceCoordinates, TaggedPoints, TaggedProblem};
use super::report::{FitStatus, QuoteUse, SliceFitReport};
use crate::market::{ExpirySlice, Snapshot};
use crate::models::{SurfaceModel, SurfaceParams};

/// The fit of a surface model to a snapshot.
#[derive(Clone, Debug)]
pub struct SurfaceFit {
    /// The surface model's name.
    pub model: &'static str,
    /// Names of the global parameters.
    pub global_names: Vec<String>,
    /// Names of the per-expiry parameters.
    pub per_expiry_names: Vec<String>,
    /// The fitted parameters over the live expiries (increasing T), or `None` when the fit failed.
    pub params: Option<SurfaceParams>,
    /// Expiry (ms) of each live expiry, in the order of `params.per_expiry`.
    pub expiries_ms: Vec<i64>,
    /// One report per slice of the snapshot (same order); the smile parameters of the slice model.
    pub reports: Vec<SliceFitReport>,
    /// Why the solver stopped, or why the fit failed.
    pub stop: String,
    /// Solver iterations and residual evaluations over all starts.
    pub iterations: usize,
    /// Residual evaluations (each with its Jacobian).
    pub evaluations: usize,
}

/// One live slice in the problem.
struct TaggedSlice<'a> {
    slice: &'a ExpirySlice,
    uses: Vec<QuoteUse>,
    points: Vec<Point>,
    report: SliceFitReport,
}

/// Fits `surface` to every live expiry of `snapshot` (expired slices get a failed report). `warm_start`, when
/// it has one θ per live expiry, is tried first.
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
    let mut slices: Vec<TaggedSlice<'_>> = Vec::new();
    let mut dead: Vec<(usize, SliceFitReport)> = Vec::new();
    for (index, &slice) in all.iter().enumerate() {
        let mut report = fit_slice_shell(smile.as_ref(), slice);
        report.model = surface.name().to_owned();
        if !(slice.t_years > 0.0 && slice.t_years.is_finite() && slice.forward > 0.0 && slice.forward.is_finite()) {
            report.status = FitStatus::Failed { reason: "expired".to_owned() };
            dead.push((index, report));
            continue;
        }
        let uses = select(slice, config);
        let points = slice_points(slice, config, &uses, 1, &mut report).unwrap_or_else(|why| {
            report.notes.push(format!("no quote in the surface fit ({why}): theta from the neighbouring expiries"));
            Vec::new()
        });
        slices.push(TaggedSlice { slice, uses, points, report });
    }
    slices.sort_by(|a, b| a.slice.t_years.total_cmp(&b.slice.t_years));
    let n = slices.len();
    let expiries_ms: Vec<i64> = slices.iter().map(|s| s.slice.expiry_ms).collect();
    let atm: Vec<f64> = slices
        .iter()
        .map(|s| {
            let (_, vol) = market_atm(&s.points);
            vol * vol * s.slice.t_years
        })
        .collect();
    let mut starts: Vec<SurfaceParams> = warm_start.filter(|w| w.per_expiry.len() == n).cloned().into_iter().collect();
    let warm = !starts.is_empty();
    starts.extend(surface.starts(&atm));
    let bounds = surface.coordinate_bounds(n);
    let (lower, upper): (Vec<f64>, Vec<f64>) = bounds.iter().copied().unzip();
    let mut problem = TaggedProblem {
        model: smile.as_ref(),
        slices: slices.iter().map(|s| TaggedPoints { points: &s.points, t_years: s.slice.t_years }).collect(),
        objective: config.objective,
        loss: config.effective_loss(),
        map: SurfaceCoordinates::new(surface, n),
        grad: vec![0.0; smile.param_names().len()],
        penalty_ks: Vec::new(),
        penalty_scale: 0.0,
    };
    let (mut iterations, mut evaluations) = (0, 0);
    let mut best: Option<LmResult> = None;
    let mut last_failure = FitError::NoStart;
    if problem.len() == 0 {
        last_failure = FitError::NoTwoSided(0);
        starts.clear();
    }
    for (si, start) in starts.iter().enumerate() {
        // A converged warm start is the answer (as in a slice fit); the standard starts are for a cold fit.
        if si == 1 && warm && best.as_ref().is_some_and(|b| b.stop.is_converged()) {
            break;
        }
        let Some(x0) = surface.coordinates_of(start) else { continue };
        let res = match config.solver {
            Solver::Lm => minimize(
                &mut problem,
                &x0,
                &lower,
                &upper,
                &LmOptions { max_iterations: config.max_iterations, ftol: 1e-10, ..LmOptions::default() },
            ),
            Solver::Lbfgs => lbfgs::minimize(
                &mut problem,
                &x0,
                &lower,
                &upper,
                &LbfgsOptions { max_iterations: 4 * config.max_iterations, ..LbfgsOptions::default() },
            )
            .into_lm(),
        };
        iterations += res.iterations;
        evaluations += res.evaluations;
        if let LmStop::Failed(why) = &res.stop {
            last_failure = FitError::Solver(why.clone());
            continue;
        }
        if best.as_ref().is_none_or(|b| res.cost < b.cost) {
            best = Some(res);
        }
    }
    let params = best.as_ref().map(|b| surface.params_at(&b.x, n));
    let stop = match &best {
        Some(b) => b.stop.label().to_owned(),
        None => last_failure.to_string(),
    };
    let mut reports: Vec<(usize, SliceFitReport)> = dead;
    for (i, tagged) in slices.into_iter().enumerate() {
        let TaggedSlice { slice, uses, mut report, .. } = tagged;
        match (&params, &best) {
            (Some(p), Some(b)) => {
                report.params = surface.smile_params(p, i);
                report.status =
                    if b.stop == LmStop::MaxIterations { FitStatus::MaxIterations } else { FitStatus::Converged };
                let global = surface.global_names().iter().zip(&p.global).map(|(n, v)| format!("{n} = {v:.6}"));
                let own = surface.per_expiry_names().iter().zip(&p.per_expiry[i]).map(|(n, v)| format!("{n} = {v:.6}"));
                report.notes.push(format!(
                    "{} surface: {}",
                    surface.name(),
                    own.chain(global).collect::<Vec<_>>().join(", ")
                ));
                report.notes.push(format!("solver stop: {stop}"));
            }
            _ => report.status = FitStatus::Failed { reason: last_failure.to_string() },
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
    let live = reports.iter().filter(|r| !r.params.is_empty()).count().max(1);
    for r in &mut reports {
        r.fit_time_us = elapsed_us / live as f64;
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
    }
}
