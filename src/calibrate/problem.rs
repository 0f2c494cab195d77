//! The one least-squares problem of every fit: quotes as points tagged by slice, a smile model per slice, and
//! a map from the solver's coordinates to each slice's smile parameters. A slice fit is the one-slice case
//! whose map is the identity over the free parameters ([`FreeParams`]); a surface fit has one slice per expiry
//! and the surface model's coordinates ([`SurfaceCoordinates`]). The residual rows are `point_residual` for
//! both; an optional no-arbitrage penalty adds rows max(margin − g(k), 0) on a k grid of the first slice.

use super::config::{Loss, Objective, Solver};
use super::fit::{point_residual, Point};
use super::lbfgs::{self, LbfgsOptions};
use super::lm::{minimize, LmOptions, LmResult, Residuals};
use crate::arbitrage::durrleman_g;
use crate::models::{SmileModel, SurfaceModel};

/// Target margin of the penalty: g(k) ≥ this on the check grid (so that the penalised optimum, which may sit
/// a little below the target, still has g ≥ 0).
pub(super) const PENALTY_MARGIN: f64 = 1e-4;

/// How solver coordinates become each slice's smile parameters.
pub(super) trait CoordinateMap {
    /// Moves to coordinates `x`; `false` when the map has no smiles there.
    fn set(&mut self, x: &[f64]) -> bool;
    /// Smile parameters of slice `s` at the current coordinates.
    fn smile(&self, s: usize) -> &[f64];
    /// Row of the Jacobian for a point of slice `s`: `coef` · ∂w/∂p (`grad`) · ∂p/∂x.
    fn fill_row(&self, s: usize, coef: f64, grad: &[f64], row: &mut [f64]);
}

/// The identity over the free parameters of one smile (fixed ones keep their values).
pub(super) struct FreeParams<'a> {
    free: &'a [usize],
    full: Vec<f64>,
}

impl<'a> FreeParams<'a> {
    /// The map of `free` indices into `full` (which holds the fixed values).
    pub(super) fn new(free: &'a [usize], full: Vec<f64>) -> Self {
        FreeParams { free, full }
    }

    /// The full parameter vector at the current coordinates.
    pub(super) fn full(&self) -> &[f64] {
        &self.full
    }
}

impl CoordinateMap for FreeParams<'_> {
    fn set(&mut self, x: &[f64]) -> bool {
        for (j, &i) in self.free.iter().enumerate() {
            self.full[i] = x[j];
        }
        true
    }

    fn smile(&self, _s: usize) -> &[f64] {
        &self.full
    }

    fn fill_row(&self, _s: usize, coef: f64, grad: &[f64], row: &mut [f64]) {
        for (j, &idx) in self.free.iter().enumerate() {
            row[j] = coef * grad[idx];
        }
    }
}

/// A surface model's coordinates over `n` expiries; ∂p/∂x by central differences of the map (a few closed-form
/// expressions per expiry).
pub(super) struct SurfaceCoordinates<'a> {
    surface: &'a dyn SurfaceModel,
    n: usize,
    smiles: Vec<Vec<f64>>,
    /// ∂(smile parameter i of slice s)/∂x_j as `dparams[s][i * nx + j]` (row-major per slice).
    dparams: Vec<Vec<f64>>,
    /// Columns of slice s that can be non-zero: `used[s]` (a chained surface's slice depends on the
    /// coordinates of its expiry and the earlier ones only).
    used: Vec<usize>,
    nx: usize,
}

impl<'a> SurfaceCoordinates<'a> {
    /// The map for `n` expiries of `surface`.
    pub(super) fn new(surface: &'a dyn SurfaceModel, n: usize) -> Self {
        SurfaceCoordinates { surface, n, smiles: Vec::new(), dparams: Vec::new(), used: Vec::new(), nx: 0 }
    }

    fn smiles_at(&self, x: &[f64]) -> Vec<Vec<f64>> {
        let params = self.surface.params_at(x, self.n);
        (0..self.n).map(|i| self.surface.smile_params(&params, i)).collect()
    }
}

impl CoordinateMap for SurfaceCoordinates<'_> {
    fn set(&mut self, x: &[f64]) -> bool {
        self.smiles = self.smiles_at(x);
        let nx = x.len();
        let np = self.smiles.first().map_or(0, Vec::len);
        self.nx = nx;
        let (mut dparams, mut used) = (vec![vec![0.0; np * nx]; self.n], vec![0; self.n]);
        central_differences(
            x,
            1e-6,
            |xb| self.smiles_at(xb),
            |j, h, up, down| {
                for (s, (u, d)) in up.iter().zip(&down).enumerate() {
                    for (i, (a, b)) in u.iter().zip(d).enumerate() {
                        let v = (a - b) / (2.0 * h);
                        if v != 0.0 {
                            dparams[s][i * nx + j] = v;
                            used[s] = used[s].max(j + 1);
                        }
                    }
                }
            },
        );
        (self.dparams, self.used) = (dparams, used);
        self.smiles.iter().flatten().all(|v| v.is_finite())
    }

    fn smile(&self, s: usize) -> &[f64] {
        &self.smiles[s]
    }

    fn fill_row(&self, s: usize, coef: f64, grad: &[f64], row: &mut [f64]) {
        row.fill(0.0);
        let (nx, used) = (self.nx, self.used[s]);
        let d = &self.dparams[s];
        for (i, g) in grad.iter().enumerate() {
            let g = coef * g;
            for (cell, dij) in row[..used].iter_mut().zip(&d[i * nx..i * nx + used]) {
                *cell += g * dij;
            }
        }
    }
}

/// Central differences of `eval` in each coordinate of `x`, with the step `rel`·max(|x_j|, 1e-4): calls
/// `take(j, h, eval(x + h e_j), eval(x − h e_j))` for every j (the coordinate maps' ∂p/∂x).
pub(super) fn central_differences<V>(
    x: &[f64],
    rel: f64,
    eval: impl Fn(&[f64]) -> V,
    mut take: impl FnMut(usize, f64, V, V),
) {
    let mut xb = x.to_vec();
    for j in 0..x.len() {
        let h = rel * x[j].abs().max(1e-4);
        xb[j] = x[j] + h;
        let up = eval(&xb);
        xb[j] = x[j] - h;
        let down = eval(&xb);
        xb[j] = x[j];
        take(j, h, up, down);
    }
}

/// One bounded solve of `problem` from `x0` with `solver`, as every surface fit and stage runs it: LM stops at
/// `max_iterations` or when the cost changes by less than `ftol` (relative); L-BFGS gets four times the
/// iterations.
pub(super) fn solve_bounded<R: Residuals>(
    problem: &mut R,
    (x0, lower, upper): (&[f64], &[f64], &[f64]),
    solver: Solver,
    max_iterations: usize,
    ftol: f64,
) -> LmResult {
    match solver {
        Solver::Lm => minimize(problem, x0, lower, upper, &LmOptions { max_iterations, ftol, ..LmOptions::default() }),
        Solver::Lbfgs => lbfgs::minimize(
            problem,
            x0,
            lower,
            upper,
            &LbfgsOptions { max_iterations: 4 * max_iterations, ..LbfgsOptions::default() },
        )
        .into_lm(),
    }
}

/// One slice's points and its T.
pub(super) struct TaggedPoints<'a> {
    /// The slice's fit points.
    pub points: &'a [Point],
    /// Time to expiry, years.
    pub t_years: f64,
}

/// The least-squares problem: points tagged by slice, the smile model, the coordinate map, the penalty.
pub(super) struct TaggedProblem<'a, M: CoordinateMap> {
    /// Smile model of every slice.
    pub model: &'a dyn SmileModel,
    /// Points per slice.
    pub slices: Vec<TaggedPoints<'a>>,
    /// Vol or price residuals.
    pub objective: Objective,
    /// Robust loss.
    pub loss: Loss,
    /// Coordinates → smile parameters.
    pub map: M,
    /// ∂w/∂p buffer (one per smile parameter).
    pub grad: Vec<f64>,
    /// No-arbitrage penalty on the first slice: its k grid (empty when off) and scale.
    pub penalty_ks: Vec<f64>,
    /// Penalty weight.
    pub penalty_scale: f64,
}

impl<M: CoordinateMap> TaggedProblem<'_, M> {
    fn penalty(&self, params: &[f64], k: f64) -> f64 {
        let g = durrleman_g(self.model, params, k);
        if g.is_nan() {
            1.0
        } else {
            self.penalty_scale * (PENALTY_MARGIN - g).max(0.0)
        }
    }

    fn n_points(&self) -> usize {
        self.slices.iter().map(|s| s.points.len()).sum()
    }

    /// Penalty rows after the point rows, with forward differences in each coordinate.
    fn penalty_rows(&mut self, x: &[f64], r: &mut [f64], jac: &mut [f64]) {
        let (n0, nf) = (self.n_points(), x.len());
        let base_g: Vec<f64> = self.penalty_ks.iter().map(|&k| self.penalty(self.map.smile(0), k)).collect();
        let mut bumped = x.to_vec();
        for j in 0..nf {
            let h = 1e-7 * x[j].abs().max(1e-3);
            bumped[j] = x[j] + h;
            self.map.set(&bumped);
            for (jk, &k) in self.penalty_ks.iter().enumerate() {
                jac[(n0 + jk) * nf + j] = (self.penalty(self.map.smile(0), k) - base_g[jk]) / h;
            }
            bumped[j] = x[j];
        }
        self.map.set(x);
        r[n0..n0 + base_g.len()].copy_from_slice(&base_g);
    }
}

impl<M: CoordinateMap> Residuals for TaggedProblem<'_, M> {
    fn len(&self) -> usize {
        self.n_points() + self.penalty_ks.len()
    }

    fn eval(&mut self, x: &[f64], r: &mut [f64], jac: &mut [f64]) -> bool {
        if !self.map.set(x) {
            return false;
        }
        let nf = x.len();
        let mut row = 0;
        for (s, tagged) in self.slices.iter().enumerate() {
            let params = self.map.smile(s);
            if self.model.check_domain(params).is_err() {
                return false;
            }
            for p in tagged.points {
                let Some((res, coef)) =
                    point_residual(self.model, params, p, tagged.t_years, self.objective, self.loss, &mut self.grad)
                else {
                    return false;
                };
                r[row] = res;
                self.map.fill_row(s, coef, &self.grad, &mut jac[row * nf..(row + 1) * nf]);
                row += 1;
            }
        }
        if !self.penalty_ks.is_empty() {
            self.penalty_rows(x, r, jac);
        }
        r.iter().all(|v| v.is_finite())
    }
}
