//! The first stage of a chained surface's calibration (Corbetta, Cohort, Laachir & Martini 2019): expiry by
//! expiry in maturity order, the level pinned through the quote nearest the money and the shape searched in
//! the box the previous expiry leaves (so every stage keeps the surface free of arbitrage). Its answer is the
//! start of the global polish (`surface_fit`).

use super::config::FitConfig;
use super::fit::{anchor, Point};
use super::lm::LmStop;
use super::problem::{central_differences, solve_bounded, CoordinateMap, TaggedPoints, TaggedProblem};
use crate::models::{ChainedSurface, SmileModel, SurfaceModel, SurfaceParams};

/// One expiry's data for the stage.
pub(super) struct StageSlice<'a> {
    /// Its fit points.
    pub points: &'a [Point],
    /// Time to expiry, years.
    pub t_years: f64,
}

/// Shape coordinates → the slice's smile, the level through the anchor.
struct PinnedLink<'a> {
    surface: &'a dyn SurfaceModel,
    chain: &'a dyn ChainedSurface,
    prev: Option<Vec<f64>>,
    anchor: (f64, f64),
    smile: Vec<f64>,
    dsmile: Vec<Vec<f64>>,
}

impl PinnedLink<'_> {
    fn per_expiry(&self, shape: &[f64]) -> Vec<f64> {
        let link = self.chain.pinned_link(self.prev.as_deref(), shape, self.anchor);
        self.chain.link_params(self.prev.as_deref(), &link)
    }

    fn smile_at(&self, shape: &[f64]) -> Vec<f64> {
        let params = SurfaceParams { global: Vec::new(), per_expiry: vec![self.per_expiry(shape)] };
        self.surface.smile_params(&params, 0)
    }
}

impl CoordinateMap for PinnedLink<'_> {
    fn set(&mut self, x: &[f64]) -> bool {
        self.smile = self.smile_at(x);
        let mut dsmile = Vec::with_capacity(x.len());
        central_differences(
            x,
            1e-7,
            |xb| self.smile_at(xb),
            |_, h, up, down| {
                dsmile.push(up.iter().zip(&down).map(|(u, d)| (u - d) / (2.0 * h)).collect());
            },
        );
        self.dsmile = dsmile;
        self.smile.iter().all(|v| v.is_finite())
    }

    fn smile(&self, _s: usize) -> &[f64] {
        &self.smile
    }

    fn fill_row(&self, _s: usize, coef: f64, grad: &[f64], row: &mut [f64]) {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = coef * grad.iter().zip(&self.dsmile[j]).map(|(g, d)| g * d).sum::<f64>();
        }
    }
}

/// What the stage found: the per-expiry parameters and its solver counts.
pub(super) struct StageResult {
    /// Per-expiry parameters, in the order of the slices.
    pub params: SurfaceParams,
    /// Solver iterations over all expiries and starts.
    pub iterations: usize,
    /// Residual evaluations.
    pub evaluations: usize,
}

/// Fits the expiries of `slices` one by one in their order (increasing T). `None` when an expiry has no
/// anchor or no start of it can be evaluated.
pub(super) fn chained_start(
    surface: &dyn SurfaceModel,
    chain: &dyn ChainedSurface,
    smile: &dyn SmileModel,
    slices: &[StageSlice<'_>],
    config: &FitConfig,
) -> Option<StageResult> {
    let (lower, upper): (Vec<f64>, Vec<f64>) = chain.shape_bounds().into_iter().unzip();
    let mut per_expiry: Vec<Vec<f64>> = Vec::with_capacity(slices.len());
    let (mut iterations, mut evaluations) = (0, 0);
    for slice in slices {
        let anchor = anchor(slice.points, slice.t_years)?;
        let prev = per_expiry.last().cloned();
        let starts = chain.shape_starts(prev.as_deref(), anchor.1);
        let map = PinnedLink { surface, chain, prev, anchor, smile: Vec::new(), dsmile: Vec::new() };
        let mut problem = TaggedProblem {
            model: smile,
            slices: vec![TaggedPoints { points: slice.points, t_years: slice.t_years }],
            objective: config.objective,
            loss: config.effective_loss(),
            map,
            grad: vec![0.0; smile.param_names().len()],
            penalty_ks: Vec::new(),
            penalty_scale: 0.0,
        };
        let mut best: Option<(f64, Vec<f64>)> = None;
        for x0 in &starts {
            let res =
                solve_bounded(&mut problem, (x0, &lower, &upper), config.solver, config.max_iterations.min(100), 1e-8);
            iterations += res.iterations;
            evaluations += res.evaluations;
            if matches!(res.stop, LmStop::Failed(_)) {
                continue;
            }
            if best.as_ref().is_none_or(|(cost, _)| res.cost < *cost) {
                best = Some((res.cost, res.x));
            }
        }
        let (_, shape) = best?;
        per_expiry.push(problem.map.per_expiry(&shape));
    }
    Some(StageResult { params: SurfaceParams { global: Vec::new(), per_expiry }, iterations, evaluations })
}
