//! What a model can do beyond w(k), as small traits a model implements or not (QuantLib's "one required hook,
//! the rest on top"). The calibrator, the GUI's drag and the no-arbitrage repair ask a model for a capability
//! ([`SmileModel::starts`], [`SmileModel::shape_check`], [`SmileModel::butterfly_repair`],
//! [`SmileModel::drag`]) and never look at its name.

use super::SmileModel;

/// The used quotes of one slice as a calibration sees them.
#[derive(Clone, Copy, Debug)]
pub struct FitData<'a> {
    /// Log-moneyness k = ln(K/F) per used quote.
    pub ks: &'a [f64],
    /// Mid implied vol (decimal) per used quote.
    pub vols: &'a [f64],
    /// Objective weight per used quote.
    pub weights: &'a [f64],
    /// Time to expiry, years.
    pub t_years: f64,
    /// Forward of the slice.
    pub forward: f64,
}

/// A starting point: a full parameter vector (the caller projects it into the bounds) and what it is.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelStart {
    /// Parameters in the model's order.
    pub params: Vec<f64>,
    /// For the fit report, e.g. "start: quasi-explicit grid (…)".
    pub note: String,
}

/// Dedicated starting points, and bounds the data suggests.
pub trait Starts {
    /// Starting points from the data, best first (at most `keep` of the model's own).
    fn starts(&self, data: &FitData<'_>, bounds: &[(f64, f64)], fixed: &[Option<f64>], keep: usize) -> Vec<ModelStart>;

    /// `true` when the middle of the bounds is worth a try after [`Starts::starts`].
    fn middle_of_bounds_too(&self) -> bool {
        true
    }

    /// Bounds the data suggests where the user set none, as (parameter index, lower, upper): they keep the
    /// solver out of flat valleys far from the quotes.
    fn data_bounds(&self, _data: &FitData<'_>) -> Vec<(usize, f64, f64)> {
        Vec::new()
    }
}

/// Shapes that fit the quotes but are not a smile a trader would accept.
pub trait ShapeCheck {
    /// Why `params` are degenerate, given the calibration's `bounds` and `fixed` values.
    fn degenerate(&self, params: &[f64], bounds: &[(f64, f64)], fixed: &[Option<f64>]) -> Option<String>;
}

/// A last-resort repair towards no butterfly arbitrage after the penalty.
pub trait ButterflyRepair {
    /// Parameters moved (only through the `free` indices) towards an arbitrage-free smile, as far as needed
    /// for `passes`, with the blend factor kept (1 = unchanged); `None` when no such move exists.
    fn repair(&self, params: &[f64], free: &[usize], passes: &dyn Fn(&[f64]) -> bool) -> Option<(Vec<f64>, f64)>;
}

/// Moving a smile by hand (the GUI's curve drag in manual mode).
pub trait Drag {
    /// Parameters whose smile has vol `to_vol` (decimal) at `k`, or `None` when the move leaves the domain.
    fn set_vol_at(&self, params: &[f64], t_years: f64, k: f64, to_vol: f64) -> Option<Vec<f64>>;

    /// Parameters with the smile shifted by `dk` along k, or `None` when the model cannot move that way.
    fn shift_k(&self, _params: &[f64], _t_years: f64, _dk: f64) -> Option<Vec<f64>> {
        None
    }
}

/// The middle of each (finite) bound interval: the start of a model with no [`Starts`].
pub fn middle_of_bounds(bounds: &[(f64, f64)]) -> Vec<f64> {
    bounds
        .iter()
        .map(|&(lo, hi)| match (lo.is_finite(), hi.is_finite()) {
            (true, true) => 0.5 * (lo + hi),
            (true, false) => lo + 1.0,
            (false, true) => hi - 1.0,
            (false, false) => 0.0,
        })
        .collect()
}

/// The smile's vol (decimal) at `k`, if positive and finite.
pub(crate) fn vol_at(model: &dyn SmileModel, params: &[f64], t_years: f64, k: f64) -> Option<f64> {
    let vol = model.implied_vol(params, k, t_years);
    (vol.is_finite() && vol > 0.0).then_some(vol)
}
