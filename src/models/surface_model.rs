//! The seam for whole-surface models: global parameters plus per-expiry ones, which yield one smile per
//! expiry. A surface model is calibrated in its own *coordinates*, chosen so that its no-arbitrage conditions
//! are box constraints (the bounded solvers then keep every iterate arbitrage-free); the calibrator
//! (`calibrate::surface_fit`) needs nothing else from it.

use super::ModelKind;

/// A surface's parameters: the global ones and one vector per expiry (expiries in increasing T).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SurfaceParams {
    /// Global parameters, in the order of [`SurfaceModel::global_names`].
    #[serde(with = "crate::json_num")]
    pub global: Vec<f64>,
    /// Per-expiry parameters, in the order of [`SurfaceModel::per_expiry_names`].
    #[serde(with = "crate::json_num")]
    pub per_expiry: Vec<Vec<f64>>,
}

/// A model of the whole surface (every expiry at once).
pub trait SurfaceModel: Send + Sync {
    /// Short identifier (`ssvi`), for reports and files only.
    fn name(&self) -> &'static str;

    /// The smile model of each expiry's slice (raw SVI for SSVI): every smile read-out works on it unchanged.
    fn slice_kind(&self) -> ModelKind;

    /// Names of the global parameters.
    fn global_names(&self) -> &'static [&'static str];

    /// Names of the per-expiry parameters.
    fn per_expiry_names(&self) -> &'static [&'static str];

    /// Bounds of the solver coordinates for `n` expiries; inside them the surface has no static arbitrage.
    fn coordinate_bounds(&self, n: usize) -> Vec<(f64, f64)>;

    /// The parameters at coordinates `x` for `n` expiries.
    fn params_at(&self, x: &[f64], n: usize) -> SurfaceParams;

    /// The coordinates of `params` (projected into the bounds), or `None` when they do not fit the model.
    fn coordinates_of(&self, params: &SurfaceParams) -> Option<Vec<f64>>;

    /// Starting points from the market's ATM total variance per expiry (increasing T; NaN where unknown).
    fn starts(&self, atm_total_variance: &[f64]) -> Vec<SurfaceParams>;

    /// The smile parameters (of [`SurfaceModel::slice_kind`]) of expiry `i`.
    fn smile_params(&self, params: &SurfaceParams, i: usize) -> Vec<f64>;

    /// Fewest usable quotes an expiry needs to take part in the calibration (default: one per per-expiry
    /// parameter). An expiry with fewer gets its slice from [`SurfaceModel::interpolate`].
    fn min_points(&self) -> usize {
        self.per_expiry_names().len().max(1)
    }

    /// Slice-by-slice structure, for models whose coordinates chain from one expiry to the next (eSSVI): the
    /// calibrator then fits the expiries one by one in maturity order before the global polish.
    fn chained(&self) -> Option<&dyn ChainedSurface> {
        None
    }

    /// The per-expiry parameters at time `t` (years) between, before or after the fitted expiries at times
    /// `ts` (increasing), keeping the surface free of static arbitrage; `anchor` = (k, w) is a quote the slice
    /// should pass through where the model can honour it (a thin expiry's own quote). `None` when the model
    /// cannot place a slice there.
    fn interpolate(&self, params: &SurfaceParams, ts: &[f64], t: f64, anchor: Option<(f64, f64)>) -> Option<Vec<f64>>;

    /// The surface's parameters back from the smiles of its expiries ([`SurfaceModel::smile_params`] of each,
    /// increasing T), where the model can read them (a warm start from an earlier fit's reports); default
    /// `None`.
    fn params_from_smiles(&self, _smiles: &[&[f64]]) -> Option<SurfaceParams> {
        None
    }
}

/// A surface whose coordinates are one *link* per expiry, each read given the previous expiry's parameters
/// (so the no-arbitrage conditions between neighbours are the box of the link).
pub trait ChainedSurface {
    /// Coordinates per expiry (the first is the level, the rest the shape).
    fn link_len(&self) -> usize;

    /// Per-expiry parameters at link coordinates `x` after `prev` (the previous expiry's parameters).
    fn link_params(&self, prev: Option<&[f64]>, x: &[f64]) -> Vec<f64>;

    /// Link coordinates for shape coordinates `shape` with the level chosen so that the slice passes through
    /// `anchor` = (k, w) (clamped into the box when it cannot).
    fn pinned_link(&self, prev: Option<&[f64]>, shape: &[f64], anchor: (f64, f64)) -> Vec<f64>;

    /// Starting shape coordinates after `prev` for a slice of ATM total variance about `level`.
    fn shape_starts(&self, prev: Option<&[f64]>, level: f64) -> Vec<Vec<f64>>;

    /// Bounds of the shape coordinates.
    fn shape_bounds(&self) -> Vec<(f64, f64)>;
}
