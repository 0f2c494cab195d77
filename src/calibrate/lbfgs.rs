//! Projected L-BFGS ("L-BFGS-B-lite") for small bound-constrained least-squares problems min ½‖r(x)‖²,
//! lo ≤ x ≤ hi, on the same [`Residuals`] interface as [`super::lm`] (the gradient is Jᵀr).
//!
//! Each iteration: the **free set** is every parameter not on a bound with the gradient pushing out of the
//! box; the two-loop recursion over the stored (s, y) pairs, restricted to the free set, gives the search
//! direction, with the initial inverse Hessian γ·diag(JᵀJ)⁻¹ (the Gauss–Newton diagonal, so that parameters
//! of very different scales start well conditioned; γ is Shanno's scaling in that metric). A projected
//! backtracking Armijo line search along P(x + α·d) follows; a refused point (outside the model's domain)
//! backtracks too. Pairs failing the curvature condition are not stored.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use argmin::core::{Error, Problem, Solver, State, TerminationReason, TerminationStatus, KV};
use nalgebra::{DMatrixView, DVectorView, Dyn};

use super::lm::{eval_counted, run_executor, BoundedState, LmResult, LmStop, Residuals};

/// Why the solver stopped.
#[derive(Clone, Debug, PartialEq)]
pub enum LbfgsStop {
    /// Relative cost reduction below `ftol`.
    ConvergedF,
    /// Relative step below `xtol`.
    ConvergedX,
    /// Scaled projected gradient below `gtol`.
    ConvergedGradient,
    /// The line search found no decrease even along the (preconditioned) steepest descent direction: the
    /// point is optimal to machine precision.
    LineSearchStalled,
    /// Iteration limit reached; the best point is returned.
    MaxIterations,
    /// No usable result (the start is refused or the residuals are not finite there).
    Failed(String),
    /// Cancelled from outside (the solver's cancel flag); the best point so far is returned.
    Cancelled,
}

impl LbfgsStop {
    /// `true` for the convergence criteria (a stalled line search included).
    pub fn is_converged(&self) -> bool {
        matches!(
            self,
            LbfgsStop::ConvergedF | LbfgsStop::ConvergedX | LbfgsStop::ConvergedGradient | LbfgsStop::LineSearchStalled
        )
    }

    /// Short label.
    pub fn label(&self) -> &'static str {
        match self {
            LbfgsStop::ConvergedF => "converged (f tolerance)",
            LbfgsStop::ConvergedX => "converged (x tolerance)",
            LbfgsStop::ConvergedGradient => "converged (gradient tolerance)",
            LbfgsStop::LineSearchStalled => "converged (line search stalled)",
            LbfgsStop::MaxIterations => "max iterations",
            LbfgsStop::Failed(_) => "failed",
            LbfgsStop::Cancelled => "cancelled",
        }
    }

    /// The equivalent [`LmStop`] (a stalled line search counts as the x tolerance).
    pub fn to_lm(&self) -> LmStop {
        match self {
            LbfgsStop::ConvergedF => LmStop::ConvergedF,
            LbfgsStop::ConvergedX | LbfgsStop::LineSearchStalled => LmStop::ConvergedX,
            LbfgsStop::ConvergedGradient => LmStop::ConvergedGradient,
            LbfgsStop::MaxIterations => LmStop::MaxIterations,
            LbfgsStop::Failed(reason) => LmStop::Failed(reason.clone()),
            LbfgsStop::Cancelled => LmStop::Cancelled,
        }
    }
}

/// Solver options.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LbfgsOptions {
    /// Iteration limit (line searches).
    pub max_iterations: usize,
    /// Stored (s, y) pairs (6–10 is plenty for ≤ 10 parameters).
    pub memory: usize,
    /// Relative cost reduction tolerance.
    pub ftol: f64,
    /// Relative step tolerance.
    pub xtol: f64,
    /// Tolerance on max_i |g_i| / (‖J_i‖·‖r‖) over the free parameters.
    pub gtol: f64,
    /// Armijo sufficient-decrease constant.
    pub armijo: f64,
    /// Backtracking halvings per line search.
    pub max_backtracks: usize,
}

impl Default for LbfgsOptions {
    fn default() -> Self {
        LbfgsOptions {
            max_iterations: 1000,
            memory: 8,
            ftol: 1e-13,
            xtol: 1e-12,
            gtol: 1e-9,
            armijo: 1e-4,
            max_backtracks: 40,
        }
    }
}

/// Solver result.
#[derive(Clone, Debug, PartialEq)]
pub struct LbfgsResult {
    /// Best point found (inside the bounds).
    pub x: Vec<f64>,
    /// ½‖r(x)‖².
    pub cost: f64,
    /// Why it stopped.
    pub stop: LbfgsStop,
    /// Iterations (line searches).
    pub iterations: usize,
    /// Residual evaluations (each with its Jacobian).
    pub evaluations: usize,
}

impl LbfgsResult {
    /// The same result as an [`LmResult`] (stop reason mapped by [`LbfgsStop::to_lm`]).
    pub fn into_lm(self) -> LmResult {
        LmResult {
            x: self.x,
            cost: self.cost,
            stop: self.stop.to_lm(),
            iterations: self.iterations,
            evaluations: self.evaluations,
        }
    }
}

/// Cost ½‖r‖², gradient Jᵀr and the Gauss–Newton diagonal diag(JᵀJ) (J row-major m × n, through nalgebra).
fn cost_gradient(jac: &[f64], r: &[f64], n: usize, g: &mut [f64], diag: &mut [f64]) -> f64 {
    let m = r.len();
    let j = DMatrixView::from_slice_with_strides_generic(jac, Dyn(m), Dyn(n), Dyn(n), Dyn(1));
    let rv = DVectorView::from_slice(r, m);
    for i in 0..n {
        let col = j.column(i);
        g[i] = col.dot(&rv);
        diag[i] = col.norm_squared();
    }
    0.5 * rv.norm_squared()
}

/// Projected L-BFGS as an argmin [`Solver`] (see the module docs). Run it with argmin's `Executor` or
/// through [`minimize`]; the iteration limit is the executor's `max_iters`.
pub struct ProjectedLbfgs {
    lower: Vec<f64>,
    upper: Vec<f64>,
    opts: LbfgsOptions,
    cancel: Option<Arc<AtomicBool>>,
    stop: Option<LbfgsStop>,
    r: Vec<f64>,
    jac: Vec<f64>,
    r_new: Vec<f64>,
    jac_new: Vec<f64>,
    g: Vec<f64>,
    diag: Vec<f64>,
    g_new: Vec<f64>,
    diag_new: Vec<f64>,
    cost: f64,
    /// Ring buffer of (s, y) pairs, oldest first.
    pairs: VecDeque<(Vec<f64>, Vec<f64>)>,
    steepest_only: bool,
}

impl ProjectedLbfgs {
    /// The solver for the box `lower ≤ x ≤ upper` with `opts`.
    pub fn new(lower: &[f64], upper: &[f64], opts: LbfgsOptions) -> ProjectedLbfgs {
        ProjectedLbfgs {
            lower: lower.to_vec(),
            upper: upper.to_vec(),
            opts,
            cancel: None,
            stop: None,
            r: Vec::new(),
            jac: Vec::new(),
            r_new: Vec::new(),
            jac_new: Vec::new(),
            g: Vec::new(),
            diag: Vec::new(),
            g_new: Vec::new(),
            diag_new: Vec::new(),
            cost: f64::NAN,
            pairs: VecDeque::with_capacity(opts.memory.max(1)),
            steepest_only: false,
        }
    }

    /// Stops at the next iteration once `flag` is set ([`LbfgsStop::Cancelled`]).
    pub fn with_cancel(mut self, flag: Arc<AtomicBool>) -> ProjectedLbfgs {
        self.cancel = Some(flag);
        self
    }

    /// Why the solver stopped by itself, if it did (`None` when the executor's iteration limit ended it).
    pub fn stop(&self) -> Option<&LbfgsStop> {
        self.stop.as_ref()
    }

    fn project(&self, x: &mut [f64]) {
        for (i, v) in x.iter_mut().enumerate() {
            *v = v.max(self.lower[i]).min(self.upper[i]);
        }
    }

    /// The free set: parameters not on a bound with the gradient pushing out of the box.
    fn free_set(&self, x: &[f64]) -> Vec<bool> {
        (0..x.len())
            .map(|i| {
                !((x[i] <= self.lower[i] && self.g[i] > 0.0)
                    || (x[i] >= self.upper[i] && self.g[i] < 0.0)
                    || self.upper[i] <= self.lower[i])
            })
            .collect()
    }

    /// The search direction: the two-loop recursion on the free set with the initial inverse Hessian
    /// γ·diag(JᵀJ)⁻¹ (γ = sᵀy / (yᵀ·diag⁻¹·y) of the newest usable pair), or the preconditioned steepest
    /// descent when that is not a descent direction (the memory is then cleared).
    fn direction(&mut self, free: &[bool]) -> Vec<f64> {
        let n = free.len();
        let (g, diag) = (&self.g, &self.diag);
        // Preconditioner floor: a parameter without influence keeps a finite step.
        let fl = 1e-12 * diag.iter().copied().fold(0.0, f64::max).max(1e-300);
        let dot_free = |a: &[f64], b: &[f64]| (0..n).filter(|&i| free[i]).map(|i| a[i] * b[i]).sum::<f64>();
        let usable = |s: &[f64], y: &[f64]| {
            let sy = dot_free(s, y);
            (sy > 1e-12 * dot_free(y, y).sqrt() * dot_free(s, s).sqrt() && sy > 0.0).then_some(sy)
        };
        let mut q: Vec<f64> = (0..n).map(|i| if free[i] { g[i] } else { 0.0 }).collect();
        let use_memory = !self.steepest_only;
        let mut alpha = vec![f64::NAN; self.pairs.len()];
        if use_memory {
            for (j, (s, y)) in self.pairs.iter().enumerate().rev() {
                if let Some(sy) = usable(s, y) {
                    let a = dot_free(s, &q) / sy;
                    for i in (0..n).filter(|&i| free[i]) {
                        q[i] -= a * y[i];
                    }
                    alpha[j] = a;
                }
            }
        }
        let mut gamma = 1.0;
        if use_memory {
            if let Some((s, y)) = self.pairs.iter().rev().find(|(s, y)| usable(s, y).is_some()) {
                let sy = dot_free(s, y);
                let yhy = (0..n).filter(|&i| free[i]).map(|i| y[i] * y[i] / diag[i].max(fl)).sum::<f64>();
                if yhy > 0.0 && sy > 0.0 {
                    gamma = sy / yhy;
                }
            }
        }
        for i in 0..n {
            q[i] = if free[i] { gamma * q[i] / diag[i].max(fl) } else { 0.0 };
        }
        if use_memory {
            for (j, (s, y)) in self.pairs.iter().enumerate() {
                if alpha[j].is_nan() {
                    continue;
                }
                let b = dot_free(y, &q) / dot_free(s, y);
                for i in (0..n).filter(|&i| free[i]) {
                    q[i] += (alpha[j] - b) * s[i];
                }
            }
        }
        let mut d: Vec<f64> = q.iter().map(|v| -v).collect();
        let slope = dot_free(g, &d);
        if slope >= 0.0 || !slope.is_finite() {
            for i in 0..n {
                d[i] = if free[i] { -g[i] / diag[i].max(fl) } else { 0.0 };
            }
            self.pairs.clear();
        }
        d
    }

    /// Projected backtracking Armijo line search along `d`: the accepted point and its cost (the new
    /// residuals, Jacobian, gradient and diagonal are in the `_new` buffers).
    fn line_search<O: Residuals>(&mut self, problem: &mut Problem<O>, x: &[f64], d: &[f64]) -> Option<(Vec<f64>, f64)> {
        let n = x.len();
        let mut step = 1.0;
        let mut x_new = vec![0.0; n];
        for _ in 0..self.opts.max_backtracks {
            for i in 0..n {
                x_new[i] = x[i] + step * d[i];
            }
            self.project(&mut x_new);
            let decrease: f64 = (0..n).map(|i| self.g[i] * (x_new[i] - x[i])).sum();
            if x_new == x {
                return None;
            }
            if eval_counted(problem, &x_new, &mut self.r_new, &mut self.jac_new) {
                let c = cost_gradient(&self.jac_new, &self.r_new, n, &mut self.g_new, &mut self.diag_new);
                if c.is_finite() && c <= self.cost + self.opts.armijo * decrease {
                    return Some((x_new, c));
                }
            }
            step *= 0.5;
        }
        None
    }
}

impl<O: Residuals> Solver<O, BoundedState> for ProjectedLbfgs {
    fn name(&self) -> &str {
        "projected L-BFGS"
    }

    fn init(&mut self, problem: &mut Problem<O>, state: BoundedState) -> Result<(BoundedState, Option<KV>), Error> {
        let mut x = state.get_param().cloned().unwrap_or_default();
        let n = x.len();
        let m = problem.problem.as_ref().map_or(0, |o| o.len());
        self.project(&mut x);
        (self.r, self.jac, self.r_new, self.jac_new) = (vec![0.0; m], vec![0.0; m * n], vec![0.0; m], vec![0.0; m * n]);
        (self.g, self.diag, self.g_new, self.diag_new) = (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        if !eval_counted(problem, &x, &mut self.r, &mut self.jac) {
            self.stop = Some(LbfgsStop::Failed("the start is outside the model's domain".to_owned()));
            return Ok((state.param(x).cost(f64::NAN), None));
        }
        self.cost = cost_gradient(&self.jac, &self.r, n, &mut self.g, &mut self.diag);
        if !self.cost.is_finite() {
            self.stop = Some(LbfgsStop::Failed("non-finite residuals at the start".to_owned()));
            self.cost = f64::NAN;
        } else if n == 0 {
            self.stop = Some(LbfgsStop::ConvergedX);
        }
        Ok((state.param(x).cost(self.cost), None))
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<O>,
        mut state: BoundedState,
    ) -> Result<(BoundedState, Option<KV>), Error> {
        let x = state.take_param().unwrap_or_default();
        let n = x.len();
        let free = self.free_set(&x);
        let rnorm = (2.0 * self.cost).sqrt();
        let gmax = (0..n)
            .filter(|&i| free[i])
            .map(|i| {
                let col = self.diag[i].sqrt();
                if col > 0.0 && rnorm > 0.0 {
                    self.g[i].abs() / (col * rnorm)
                } else {
                    0.0
                }
            })
            .fold(0.0, f64::max);
        if gmax <= self.opts.gtol || self.cost == 0.0 {
            self.stop = Some(LbfgsStop::ConvergedGradient);
            return Ok((state.param(x).cost(self.cost), None));
        }
        let d = self.direction(&free);
        let Some((x_new, cost_new)) = self.line_search(problem, &x, &d) else {
            if self.steepest_only || self.pairs.is_empty() {
                self.stop = Some(LbfgsStop::LineSearchStalled);
            } else {
                // Retry from the same point along the preconditioned steepest descent.
                self.pairs.clear();
                self.steepest_only = true;
            }
            return Ok((state.param(x).cost(self.cost), None));
        };
        self.steepest_only = false;
        let s: Vec<f64> = (0..n).map(|i| x_new[i] - x[i]).collect();
        let y: Vec<f64> = (0..n).map(|i| self.g_new[i] - self.g[i]).collect();
        let snorm = s.iter().map(|v| v * v).sum::<f64>().sqrt();
        let xnorm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
        let reduction = self.cost - cost_new;
        let sy: f64 = s.iter().zip(&y).map(|(a, b)| a * b).sum();
        if sy > 1e-12 * snorm * y.iter().map(|v| v * v).sum::<f64>().sqrt() && sy > 0.0 {
            if self.pairs.len() == self.opts.memory.max(1) {
                self.pairs.pop_front();
            }
            self.pairs.push_back((s, y));
        }
        std::mem::swap(&mut self.r, &mut self.r_new);
        std::mem::swap(&mut self.jac, &mut self.jac_new);
        std::mem::swap(&mut self.g, &mut self.g_new);
        std::mem::swap(&mut self.diag, &mut self.diag_new);
        self.cost = cost_new;
        if reduction <= self.opts.ftol * cost_new.max(f64::MIN_POSITIVE) {
            self.stop = Some(LbfgsStop::ConvergedF);
        } else if snorm <= self.opts.xtol * (xnorm + self.opts.xtol) {
            self.stop = Some(LbfgsStop::ConvergedX);
        }
        Ok((state.param(x_new).cost(cost_new), None))
    }

    fn terminate(&mut self, _state: &BoundedState) -> TerminationStatus {
        if self.stop.is_none() && self.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed)) {
            self.stop = Some(LbfgsStop::Cancelled);
        }
        match &self.stop {
            None => TerminationStatus::NotTerminated,
            Some(LbfgsStop::Cancelled) => TerminationStatus::Terminated(TerminationReason::Interrupt),
            Some(stop) if stop.is_converged() => TerminationStatus::Terminated(TerminationReason::SolverConverged),
            Some(stop) => TerminationStatus::Terminated(TerminationReason::SolverExit(stop.label().to_owned())),
        }
    }
}

/// Minimises ½‖r(x)‖² over lo ≤ x ≤ hi from `x0` (projected onto the box first), through argmin.
pub fn minimize(
    problem: &mut dyn Residuals,
    x0: &[f64],
    lower: &[f64],
    upper: &[f64],
    opts: &LbfgsOptions,
) -> LbfgsResult {
    let (solver, mut state, evaluations) =
        run_executor(problem, ProjectedLbfgs::new(lower, upper, *opts), x0, opts.max_iterations);
    let stop = solver.stop().cloned().unwrap_or(LbfgsStop::MaxIterations);
    let cost = if matches!(stop, LbfgsStop::Failed(_)) { f64::NAN } else { state.get_cost() };
    let x = state.take_param().unwrap_or_default();
    LbfgsResult { x, cost, stop, iterations: state.get_iter() as usize, evaluations }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::calibrate::lm::tests::Rosenbrock;

    #[test]
    fn solves_rosenbrock() {
        let res = minimize(&mut Rosenbrock, &[-1.2, 1.0], &[-5.0, -5.0], &[5.0, 5.0], &LbfgsOptions::default());
        assert!(res.stop.is_converged(), "{:?}", res.stop);
        assert!((res.x[0] - 1.0).abs() < 1e-5 && (res.x[1] - 1.0).abs() < 1e-5, "{res:?}");
    }

    #[test]
    fn respects_bounds() {
        let res = minimize(&mut Rosenbrock, &[-1.2, 1.0], &[-5.0, -5.0], &[0.5, 5.0], &LbfgsOptions::default());
        assert!(res.stop.is_converged(), "{:?}", res.stop);
        assert_eq!(res.x[0], 0.5);
        assert!((res.x[1] - 0.25).abs() < 1e-6, "{res:?}");
    }

    #[test]
    fn refused_start_fails() {
        struct Refuse;
        impl Residuals for Refuse {
            fn len(&self) -> usize {
                1
            }
            fn eval(&mut self, _: &[f64], _: &mut [f64], _: &mut [f64]) -> bool {
                false
            }
        }
        let res = minimize(&mut Refuse, &[0.0], &[-1.0], &[1.0], &LbfgsOptions::default());
        assert!(matches!(res.stop, LbfgsStop::Failed(_)));
    }
}
