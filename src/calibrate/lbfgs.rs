//! Projected L-BFGS ("L-BFGS-B-lite") for small bound-constrained least-squares problems min ½‖r(x)‖²,
//! lo ≤ x ≤ hi, on the same [`Residuals`] interface as [`super::lm`] (the gradient is Jᵀr).
//!
//! Each iteration: the **free set** is every parameter not on a bound with the gradient pushing out of the
//! box; the two-loop recursion over the stored (s, y) pairs, restricted to the free set, gives the search
//! direction, with the initial inverse Hessian γ·diag(JᵀJ)⁻¹ (the Gauss–Newton diagonal, so that parameters
//! of very different scales start well conditioned; γ is Shanno's scaling in that metric). A projected
//! backtracking Armijo line search along P(x + α·d) follows; a refused point (outside the model's domain)
//! backtracks too. Pairs failing the curvature condition are not stored.

use super::lm::{LmResult, LmStop, Residuals};

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

/// Cost ½‖r‖², gradient Jᵀr and the Gauss–Newton diagonal diag(JᵀJ).
fn cost_gradient(jac: &[f64], r: &[f64], n: usize, g: &mut [f64], diag: &mut [f64]) -> f64 {
    g.iter_mut().for_each(|v| *v = 0.0);
    diag.iter_mut().for_each(|v| *v = 0.0);
    for (row, &ri) in jac.chunks_exact(n).zip(r) {
        for i in 0..n {
            g[i] += row[i] * ri;
            diag[i] += row[i] * row[i];
        }
    }
    0.5 * r.iter().map(|v| v * v).sum::<f64>()
}

/// Minimises ½‖r(x)‖² over lo ≤ x ≤ hi from `x0` (projected onto the box first).
pub fn minimize(
    problem: &mut dyn Residuals,
    x0: &[f64],
    lower: &[f64],
    upper: &[f64],
    opts: &LbfgsOptions,
) -> LbfgsResult {
    let n = x0.len();
    let m = problem.len();
    let project = |x: &mut [f64]| {
        for i in 0..n {
            x[i] = x[i].max(lower[i]).min(upper[i]);
        }
    };
    let mut x = x0.to_vec();
    project(&mut x);
    let (mut r, mut jac) = (vec![0.0; m], vec![0.0; m * n]);
    let fail = |x: Vec<f64>, reason: &str, evaluations| LbfgsResult {
        x,
        cost: f64::NAN,
        stop: LbfgsStop::Failed(reason.to_owned()),
        iterations: 0,
        evaluations,
    };
    if !problem.eval(&x, &mut r, &mut jac) {
        return fail(x, "the start is outside the model's domain", 1);
    }
    let (mut g, mut diag) = (vec![0.0; n], vec![0.0; n]);
    let mut cost = cost_gradient(&jac, &r, n, &mut g, &mut diag);
    if !cost.is_finite() {
        return fail(x, "non-finite residuals at the start", 1);
    }
    if n == 0 {
        return LbfgsResult { x, cost, stop: LbfgsStop::ConvergedX, iterations: 0, evaluations: 1 };
    }
    let memory = opts.memory.max(1);
    // Ring buffer of (s, y, 1/(sᵀy)) pairs, oldest first.
    let mut pairs: std::collections::VecDeque<(Vec<f64>, Vec<f64>)> = std::collections::VecDeque::with_capacity(memory);
    let (mut free, mut d, mut q, mut alpha) = (vec![false; n], vec![0.0; n], vec![0.0; n], vec![0.0; memory]);
    let (mut x_new, mut r_new, mut jac_new) = (vec![0.0; n], vec![0.0; m], vec![0.0; m * n]);
    let (mut g_new, mut diag_new) = (vec![0.0; n], vec![0.0; n]);
    let mut evaluations = 1;
    let mut iterations = 0;
    let mut stop = LbfgsStop::MaxIterations;
    // Preconditioner floor: a parameter without influence keeps a finite step.
    let floor = |diag: &[f64]| 1e-12 * diag.iter().copied().fold(0.0, f64::max).max(1e-300);
    let mut steepest_only = false;
    while iterations < opts.max_iterations {
        iterations += 1;
        for i in 0..n {
            free[i] = !((x[i] <= lower[i] && g[i] > 0.0) || (x[i] >= upper[i] && g[i] < 0.0) || upper[i] <= lower[i]);
        }
        let rnorm = (2.0 * cost).sqrt();
        let gmax = (0..n)
            .filter(|&i| free[i])
            .map(|i| {
                let col = diag[i].sqrt();
                if col > 0.0 && rnorm > 0.0 {
                    g[i].abs() / (col * rnorm)
                } else {
                    0.0
                }
            })
            .fold(0.0, f64::max);
        if gmax <= opts.gtol || cost == 0.0 {
            stop = LbfgsStop::ConvergedGradient;
            break;
        }
        let fl = floor(&diag);
        let dot_free =
            |a: &[f64], b: &[f64], free: &[bool]| (0..n).filter(|&i| free[i]).map(|i| a[i] * b[i]).sum::<f64>();
        // Two-loop recursion on the free set.
        for i in 0..n {
            q[i] = if free[i] { g[i] } else { 0.0 };
        }
        let usable = |s: &[f64], y: &[f64], free: &[bool]| {
            let sy = dot_free(s, y, free);
            (sy > 1e-12 * dot_free(y, y, free).sqrt() * dot_free(s, s, free).sqrt() && sy > 0.0).then_some(sy)
        };
        let use_memory = !steepest_only;
        if use_memory {
            for (j, (s, y)) in pairs.iter().enumerate().rev() {
                alpha[j] = match usable(s, y, &free) {
                    Some(sy) => {
                        let a = dot_free(s, &q, &free) / sy;
                        for i in 0..n {
                            if free[i] {
                                q[i] -= a * y[i];
                            }
                        }
                        a
                    }
                    None => f64::NAN,
                };
            }
        }
        // Initial inverse Hessian γ·diag(JᵀJ)⁻¹, γ = sᵀy / (yᵀ·diag⁻¹·y) of the newest usable pair.
        let mut gamma = 1.0;
        if use_memory {
            if let Some((s, y)) = pairs.iter().rev().find(|(s, y)| usable(s, y, &free).is_some()) {
                let sy = dot_free(s, y, &free);
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
            for (j, (s, y)) in pairs.iter().enumerate() {
                if alpha[j].is_nan() {
                    continue;
                }
                let sy = dot_free(s, y, &free);
                let b = dot_free(y, &q, &free) / sy;
                for i in 0..n {
                    if free[i] {
                        q[i] += (alpha[j] - b) * s[i];
                    }
                }
            }
        }
        for i in 0..n {
            d[i] = -q[i];
        }
        let slope = dot_free(&g, &d, &free);
        if slope >= 0.0 || !slope.is_finite() {
            // Not a descent direction: the preconditioned steepest descent.
            for i in 0..n {
                d[i] = if free[i] { -g[i] / diag[i].max(fl) } else { 0.0 };
            }
            pairs.clear();
        }
        // Projected backtracking Armijo line search.
        let mut step = 1.0;
        let mut accepted = None;
        for _ in 0..opts.max_backtracks {
            for i in 0..n {
                x_new[i] = x[i] + step * d[i];
            }
            project(&mut x_new);
            let decrease: f64 = (0..n).map(|i| g[i] * (x_new[i] - x[i])).sum();
            if x_new == x {
                break;
            }
            evaluations += 1;
            if problem.eval(&x_new, &mut r_new, &mut jac_new) {
                let c = cost_gradient(&jac_new, &r_new, n, &mut g_new, &mut diag_new);
                if c.is_finite() && c <= cost + opts.armijo * decrease {
                    accepted = Some(c);
                    break;
                }
            }
            step *= 0.5;
        }
        let Some(cost_new) = accepted else {
            if steepest_only || pairs.is_empty() {
                stop = LbfgsStop::LineSearchStalled;
                break;
            }
            // Retry from the same point along the preconditioned steepest descent.
            pairs.clear();
            steepest_only = true;
            continue;
        };
        steepest_only = false;
        let mut s = vec![0.0; n];
        let mut y = vec![0.0; n];
        for i in 0..n {
            s[i] = x_new[i] - x[i];
            y[i] = g_new[i] - g[i];
        }
        let snorm = s.iter().map(|v| v * v).sum::<f64>().sqrt();
        let xnorm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
        let reduction = cost - cost_new;
        let sy: f64 = s.iter().zip(&y).map(|(a, b)| a * b).sum();
        if sy > 1e-12 * snorm * y.iter().map(|v| v * v).sum::<f64>().sqrt() && sy > 0.0 {
            if pairs.len() == memory {
                pairs.pop_front();
            }
            pairs.push_back((s, y));
        }
        x.copy_from_slice(&x_new);
        std::mem::swap(&mut r, &mut r_new);
        std::mem::swap(&mut jac, &mut jac_new);
        std::mem::swap(&mut g, &mut g_new);
        std::mem::swap(&mut diag, &mut diag_new);
        cost = cost_new;
        if reduction <= opts.ftol * cost.max(f64::MIN_POSITIVE) {
            stop = LbfgsStop::ConvergedF;
            break;
        }
        if snorm <= opts.xtol * (xnorm + opts.xtol) {
            stop = LbfgsStop::ConvergedX;
            break;
        }
    }
    LbfgsResult { x, cost, stop, iterations, evaluations }
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
