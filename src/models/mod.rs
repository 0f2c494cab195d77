//! Smile models: one model per file behind the small [`SmileModel`] trait (total variance w(k) at
//! log-moneyness k = ln(K/F), parameter names, a domain check, default bounds, an analytic gradient where one
//! exists). A model value is built for one expiry slice (it knows T and F where it needs them).

/// One expiry slice's inputs a model may need.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SliceInputs {
    /// Time to expiry in years (> 0).
    pub t_years: f64,
    /// Forward, quote currency (> 0).
    pub forward: f64,
}

/// A smile model of total implied variance w(k) = σ(k)²·T for one expiry slice.
///
/// Parameters are passed as a slice in the order of [`SmileModel::param_names`], so that calibration,
/// bounds, fixing and the GUI treat every model alike.
pub trait SmileModel: Send + Sync {
    /// Short identifier (`svi`, `svi-jw`, `sabr`), for reports and files only.
    fn name(&self) -> &'static str;

    /// Dedicated starts and data bounds, if the model has them (default: the middle of the bounds only).
    fn starts(&self) -> Option<&dyn Starts> {
        None
    }

    /// A check for degenerate shapes, if the model has one.
    fn shape_check(&self) -> Option<&dyn ShapeCheck> {
        None
    }

    /// A last-resort repair towards no butterfly arbitrage, if the model has one.
    fn butterfly_repair(&self) -> Option<&dyn ButterflyRepair> {
        None
    }

    /// How the smile moves by hand, if it can.
    fn drag(&self) -> Option<&dyn Drag> {
        None
    }

    /// Parameter names, in order.
    fn param_names(&self) -> &'static [&'static str];

    /// Total implied variance at log-moneyness `k`; NaN where the parameters give none.
    fn total_variance(&self, params: &[f64], k: f64) -> f64;

    /// ∂w/∂p_i at `k`, written into `grad` (one entry per parameter). The default is a central difference;
    /// models override it with the analytic gradient where one exists.
    fn total_variance_gradient(&self, params: &[f64], k: f64, grad: &mut [f64]) {
        let mut p = params.to_vec();
        for (i, g) in grad.iter_mut().enumerate() {
            let h = 1e-6 * params[i].abs().max(1e-4);
            p[i] = params[i] + h;
            let up = self.total_variance(&p, k);
            p[i] = params[i] - h;
            let down = self.total_variance(&p, k);
            p[i] = params[i];
            *g = (up - down) / (2.0 * h);
        }
    }

    /// w(k), with ∂w/∂p_i written into `grad` (the calibrator's residual rows need both; models that share
    /// work between the two override it, with the same values as the two calls).
    fn total_variance_with_gradient(&self, params: &[f64], k: f64, grad: &mut [f64]) -> f64 {
        self.total_variance_gradient(params, k, grad);
        self.total_variance(params, k)
    }

    /// (w, ∂w/∂k, ∂²w/∂k²) at `k`, for the butterfly check g(k). Default: central differences in k.
    fn total_variance_k_derivatives(&self, params: &[f64], k: f64) -> (f64, f64, f64) {
        let h = 1e-4;
        let (w_minus, w, w_plus) =
            (self.total_variance(params, k - h), self.total_variance(params, k), self.total_variance(params, k + h));
        (w, (w_plus - w_minus) / (2.0 * h), (w_plus - 2.0 * w + w_minus) / (h * h))
    }

    /// `Err(reason)` when `params` lie outside the model's domain.
    fn check_domain(&self, params: &[f64]) -> Result<(), String>;

    /// Default (lower, upper) bounds per parameter for this slice.
    fn default_bounds(&self) -> Vec<(f64, f64)>;

    /// The range each parameter can take on any slice (ρ ∈ [−1, 1], a volatility > 0): a bound or fixed
    /// value outside it is a configuration error, found before any file is read.
    fn param_limits(&self) -> Vec<(f64, f64)>;

    /// Implied vol σ(k) = √(w(k)/T); NaN where w is not positive.
    fn implied_vol(&self, params: &[f64], k: f64, t_years: f64) -> f64 {
        let w = self.total_variance(params, k);
        if w > 0.0 {
            (w / t_years).sqrt()
        } else {
            f64::NAN
        }
    }
}

pub mod capabilities;
pub mod essvi;
pub mod sabr_start;
pub mod ssvi;
pub mod surface_model;
pub mod svi;
pub mod svi_start;

pub use capabilities::{ButterflyRepair, Drag, FitData, ModelStart, ShapeCheck, Starts};

pub use svi::{Svi, SviParams, SVI_PARAMS};
pub mod sabr;
pub mod svi_jw;

pub use sabr::{Sabr, SabrParams, SabrVariant, SABR_PARAMS};
pub use svi_jw::{jw_to_raw, raw_to_jw, JwParams, SviJw, SVI_JW_PARAMS};
pub mod drag;
pub mod fitted;
pub mod kind;

pub use essvi::{Essvi, EssviSlice};
pub use fitted::{FittedSmile, SmileError};
pub use kind::ModelKind;
pub use ssvi::Ssvi;
pub use surface_model::{ChainedSurface, SurfaceModel, SurfaceParams};
