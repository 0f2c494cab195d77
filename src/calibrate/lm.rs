//! Levenberg–Marquardt for small bound-constrained least-squares problems min ½‖r(x)‖², lo ≤ x ≤ hi.
//!
//! Bounds are handled by an **active set**: parameters on a bound whose gradient points out of the box are
//! frozen for the step, and a parameter whose step would leave the box is pinned at its bound while the damped
//! system is solved again for the others (rather than clipping the step, which turns it into a poor direction
//! and makes LM crawl along the bound), so the solver never evaluates the model outside the bounds. The damped normal equations (JᵀJ + λ·diag(JᵀJ))·δ = −Jᵀr are
//! solved by Cholesky (n ≤ ~10 parameters). λ follows Nielsen's update from the gain ratio of the projected
//! step. The residual function may refuse a point (outside the model's domain, non-finite values): the step
//! is then rejected like a step that increases the cost.

/// Why the solver stopped.
#[derive(Clone, Debug, PartialEq)]
pub enum LmStop {
    /// Relative cost reduction below `ftol`.
    ConvergedF,
    /// Relative step below `xtol` (or no further decrease is possible at machine precision).
    ConvergedX,
    /// Scaled projected gradient below `gtol`.
    ConvergedGradient,
    /// Iteration limit reached; the best point is returned.
    MaxIterations,
    /// No usable result (the start is refused, or the normal equations cannot be solved).
    Failed(String),
}

impl LmStop {
    /// `true` for the three convergence criteria.
    pub fn is_converged(&self) -> bool {
        matches!(self, LmStop::ConvergedF | LmStop::ConvergedX | LmStop::ConvergedGradient)
    }

    /// Short label.
    pub fn label(&self) -> &'static str {
        match self {
            LmStop::ConvergedF => "converged (f tolerance)",
            LmStop::ConvergedX => "converged (x tolerance)",
            LmStop::ConvergedGradient => "converged (gradient tolerance)",
            LmStop::MaxIterations => "max iterations",
            LmStop::Failed(_) => "failed",
        }
    }
}

/// Solver options.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LmOptions {
    /// Iteration limit (accepted or rejected steps).
    pub max_iterations: usize,
    /// Relative cost reduction tolerance.
    pub ftol: f64,
    /// Relative step tolerance.
    pub xtol: f64,
    /// Tolerance on max_i |g_i| / (‖J_i‖·‖r‖) over the free (not blocked) parameters.
    pub gtol: f64,
    /// Initial damping relative to max diag(JᵀJ).
    pub initial_lambda: f64,
}

impl Default for LmOptions {
    fn default() -> Self {
        LmOptions { max_iterations: 200, ftol: 1e-12, xtol: 1e-10, gtol: 1e-10, initial_lambda: 1e-3 }
    }
}

/// Solver result.
#[derive(Clone, Debug, PartialEq)]
pub struct LmResult {
    /// Best point found (inside the bounds).
    pub x: Vec<f64>,
    /// ½‖r(x)‖².
    pub cost: f64,
    /// Why it stopped.
    pub stop: LmStop,
    /// Iterations (accepted and rejected steps).
    pub iterations: usize,
    /// Residual evaluations (each with its Jacobian).
    pub evaluations: usize,
}

/// A least-squares problem: `eval(x, r, jac)` fills the residuals `r` (length `m`) and, when asked, the
/// Jacobian `jac` (row-major m × n); returns `false` when `x` is refused (outside the domain, non-finite).
pub trait Residuals {
    /// Number of residuals.
    fn len(&self) -> usize;
    /// Fills `r` and `jac`; `false` when the point is refused.
    fn eval(&mut self, x: &[f64], r: &mut [f64], jac: &mut [f64]) -> bool;
}

/// Cholesky solve of the n × n symmetric system `a·x = b` (row-major); `None` when not positive definite.
pub fn cholesky_solve(a: &[f64], b: &[f64], n: usize) -> Option<Vec<f64>> {
    let (mut l, mut x) = (vec![0.0; n * n], vec![0.0; n]);
    cholesky_solve_into(a, b, n, &mut l, &mut x).then_some(x)
}

/// [`cholesky_solve`] into caller buffers (`l`: n·n, `x`: n); `false` when not positive definite.
pub(crate) fn cholesky_solve_into(a: &[f64], b: &[f64], n: usize, l: &mut [f64], x: &mut [f64]) -> bool {
    for i in 0..n {
        for j in 0..=i {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if !(s > 0.0) || !s.is_finite() {
                    return false;
                }
                l[i * n + i] = s.sqrt();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    // Forward substitution into x, then back substitution in place.
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * n + k] * x[k];
        }
        x[i] = s / l[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = x[i];
        for k in i + 1..n {
            s -= l[k * n + i] * x[k];
        }
        x[i] = s / l[i * n + i];
    }
    true
}

fn normal_equations(jac: &[f64], r: &[f64], n: usize, a: &mut [f64], g: &mut [f64]) {
    a.iter_mut().for_each(|v| *v = 0.0);
    g.iter_mut().for_each(|v| *v = 0.0);
    for (row, &ri) in jac.chunks_exact(n).zip(r) {
        for i in 0..n {
            g[i] += row[i] * ri;
            for j in 0..=i {
                a[i * n + j] += row[i] * row[j];
            }
        }
    }
    for i in 0..n {
        for j in 0..i {
            a[j * n + i] = a[i * n + j];
        }
    }
}

/// Minimises ½‖r(x)‖² over lo ≤ x ≤ hi from `x0` (projected onto the box first).
pub fn minimize(problem: &mut dyn Residuals, x0: &[f64], lower: &[f64], upper: &[f64], opts: &LmOptions) -> LmResult {
    let n = x0.len();
    let m = problem.len();
    let clamp = |x: &mut [f64]| {
        for i in 0..n {
            x[i] = x[i].max(lower[i]).min(upper[i]);
        }
    };
    let mut x = x0.to_vec();
    clamp(&mut x);
    let (mut r, mut jac) = (vec![0.0; m], vec![0.0; m * n]);
    let (mut r_new, mut jac_new) = (vec![0.0; m], vec![0.0; m * n]);
    let mut evaluations = 1;
    let fail = |x: Vec<f64>, reason: &str, iterations, evaluations| LmResult {
        x,
        cost: f64::NAN,
        stop: LmStop::Failed(reason.to_owned()),
        iterations,
        evaluations,
    };
    if n == 0 {
        if !problem.eval(&x, &mut r, &mut jac) {
            return fail(x, "the parameters are refused by the model", 0, 1);
        }
        let cost = 0.5 * r.iter().map(|v| v * v).sum::<f64>();
        return LmResult { x, cost, stop: LmStop::ConvergedX, iterations: 0, evaluations: 1 };
    }
    if !problem.eval(&x, &mut r, &mut jac) {
        return fail(x, "the start is outside the model's domain", 0, evaluations);
    }
    let mut cost = 0.5 * r.iter().map(|v| v * v).sum::<f64>();
    if !cost.is_finite() {
        return fail(x, "non-finite residuals at the start", 0, evaluations);
    }
    let (mut a, mut g) = (vec![0.0; n * n], vec![0.0; n]);
    normal_equations(&jac, &r, n, &mut a, &mut g);
    let max_diag = (0..n).map(|i| a[i * n + i]).fold(0.0, f64::max);
    let mut lambda = opts.initial_lambda;
    let mut nu = 2.0;
    let mut iterations = 0;
    let mut stop = LmStop::MaxIterations;
    let mut x_new = vec![0.0; n];
    // Work buffers (no allocation per iteration).
    let (mut blocked, mut pinned) = (vec![false; n], vec![None::<f64>; n]);
    let mut free: Vec<usize> = Vec::with_capacity(n);
    let (mut af, mut bf, mut chol, mut delta) = (vec![0.0; n * n], vec![0.0; n], vec![0.0; n * n], vec![0.0; n]);
    let mut d = vec![0.0; n];
    while iterations < opts.max_iterations {
        iterations += 1;
        // Active set: a parameter on a bound with the descent direction pointing out of the box is frozen.
        for i in 0..n {
            blocked[i] = (x[i] <= lower[i] && g[i] > 0.0) || (x[i] >= upper[i] && g[i] < 0.0) || upper[i] <= lower[i];
        }
        let rnorm = (2.0 * cost).sqrt();
        let gmax = (0..n)
            .filter(|&i| !blocked[i])
            .map(|i| {
                let col = a[i * n + i].sqrt();
                if col > 0.0 && rnorm > 0.0 {
                    g[i].abs() / (col * rnorm)
                } else {
                    0.0
                }
            })
            .fold(0.0, f64::max);
        if gmax <= opts.gtol {
            stop = LmStop::ConvergedGradient;
            break;
        }
        // Pinned parameters keep a fixed step: 0 for the blocked ones, and "up to its bound" for a free
        // parameter whose step would leave the box; the damped system is solved again for the others (a
        // step merely clipped onto the box would change direction, predict no decrease, and make the solver
        // crawl along the bound).
        for i in 0..n {
            pinned[i] = blocked[i].then_some(0.0);
        }
        let solved = loop {
            free.clear();
            free.extend((0..n).filter(|&i| pinned[i].is_none()));
            let nf = free.len();
            for (p, &i) in free.iter().enumerate() {
                for (q, &j) in free.iter().enumerate() {
                    af[p * nf + q] = a[i * n + j];
                }
                let d = a[i * n + i].max(1e-12 * max_diag.max(1e-300));
                af[p * nf + p] += lambda * d;
                bf[p] = -g[i] - (0..n).filter_map(|j| pinned[j].map(|s| a[i * n + j] * s)).sum::<f64>();
            }
            if !cholesky_solve_into(&af[..nf * nf], &bf[..nf], nf, &mut chol, &mut delta) {
                break false;
            }
            let mut more = false;
            for (p, &i) in free.iter().enumerate() {
                if x[i] + delta[p] < lower[i] {
                    pinned[i] = Some(lower[i] - x[i]);
                    more = true;
                } else if x[i] + delta[p] > upper[i] {
                    pinned[i] = Some(upper[i] - x[i]);
                    more = true;
                }
            }
            if !more || nf <= 1 {
                break true;
            }
        };
        if !solved {
            lambda *= nu;
            nu *= 2.0;
            if lambda > 1e20 {
                stop = LmStop::Failed("the normal equations cannot be solved".to_owned());
                break;
            }
            continue;
        };
        x_new.copy_from_slice(&x);
        for i in 0..n {
            if let Some(s) = pinned[i] {
                x_new[i] += s;
            }
        }
        for (p, &i) in free.iter().enumerate() {
            x_new[i] += delta[p];
        }
        clamp(&mut x_new);
        for i in 0..n {
            d[i] = x_new[i] - x[i];
        }
        let dnorm = d.iter().map(|v| v * v).sum::<f64>().sqrt();
        let xnorm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
        // Predicted reduction of ½‖r‖² by the linear model along the projected step.
        let mut dad = 0.0;
        for i in 0..n {
            for j in 0..n {
                dad += d[i] * a[i * n + j] * d[j];
            }
        }
        let pred = -(g.iter().zip(&d).map(|(gi, di)| gi * di).sum::<f64>() + 0.5 * dad);
        evaluations += 1;
        let ok = problem.eval(&x_new, &mut r_new, &mut jac_new);
        let cost_new = if ok { 0.5 * r_new.iter().map(|v| v * v).sum::<f64>() } else { f64::NAN };
        let actual = cost - cost_new;
        let rho = if pred > 0.0 { actual / pred } else { -1.0 };
        if ok && cost_new.is_finite() && actual >= 0.0 && rho > 1e-4 {
            let converged_f = actual <= opts.ftol * cost && pred <= opts.ftol * cost && rho <= 2.0;
            x.copy_from_slice(&x_new);
            std::mem::swap(&mut r, &mut r_new);
            std::mem::swap(&mut jac, &mut jac_new);
            cost = cost_new;
            normal_equations(&jac, &r, n, &mut a, &mut g);
            lambda *= (1.0 - (2.0 * rho - 1.0).powi(3)).max(1.0 / 3.0);
            lambda = lambda.max(1e-15);
            nu = 2.0;
            if converged_f || cost == 0.0 {
                stop = LmStop::ConvergedF;
                break;
            }
            if dnorm <= opts.xtol * (xnorm + opts.xtol) {
                stop = LmStop::ConvergedX;
                break;
            }
        } else {
            if dnorm <= opts.xtol * (xnorm + opts.xtol) && ok {
                // The step is at machine precision and cannot decrease the cost any further.
                stop = LmStop::ConvergedX;
                break;
            }
            lambda *= nu;
            nu *= 2.0;
            if lambda > 1e20 {
                stop = LmStop::ConvergedX;
                break;
            }
        }
    }
    LmResult { x, cost, stop, iterations, evaluations }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Rosenbrock as residuals (10(x1 − x0²), 1 − x0).
    pub(crate) struct Rosenbrock;
    impl Residuals for Rosenbrock {
        fn len(&self) -> usize {
            2
        }
        fn eval(&mut self, x: &[f64], r: &mut [f64], jac: &mut [f64]) -> bool {
            r[0] = 10.0 * (x[1] - x[0] * x[0]);
            r[1] = 1.0 - x[0];
            jac.copy_from_slice(&[-20.0 * x[0], 10.0, -1.0, 0.0]);
            true
        }
    }

    #[test]
    fn solves_rosenbrock() {
        let res = minimize(&mut Rosenbrock, &[-1.2, 1.0], &[-5.0, -5.0], &[5.0, 5.0], &LmOptions::default());
        assert!(res.stop.is_converged(), "{:?}", res.stop);
        assert!((res.x[0] - 1.0).abs() < 1e-8 && (res.x[1] - 1.0).abs() < 1e-8, "{:?}", res.x);
    }

    #[test]
    fn respects_bounds() {
        let res = minimize(&mut Rosenbrock, &[-1.2, 1.0], &[-5.0, -5.0], &[0.5, 5.0], &LmOptions::default());
        assert!(res.stop.is_converged(), "{:?}", res.stop);
        assert_eq!(res.x[0], 0.5);
        assert!((res.x[1] - 0.25).abs() < 1e-8, "{:?}", res.x);
    }

    #[test]
    fn cholesky_solves_spd() {
        let a = [4.0, 2.0, 2.0, 3.0];
        let x = cholesky_solve(&a, &[2.0, 1.0], 2).unwrap();
        assert!((4.0 * x[0] + 2.0 * x[1] - 2.0).abs() < 1e-14 && (2.0 * x[0] + 3.0 * x[1] - 1.0).abs() < 1e-14);
        assert!(cholesky_solve(&[1.0, 2.0, 2.0, 1.0], &[1.0, 1.0], 2).is_none());
    }
}
