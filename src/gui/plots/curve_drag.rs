//! Dragging the hand-set curve in the smile plot (manual mode): through the pointer, or along k with Shift.

use egui_plot::PlotUi;

use crate::market::ExpirySlice;

use super::smile_plot::XAxis;

/// The pointer dragging the curve: put the smile through (k, vol), or with Shift move it by `dk` along k.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CurveDrag {
    /// Log-moneyness under the pointer.
    pub k: f64,
    /// Vol under the pointer (decimal).
    pub vol: f64,
    /// k shift this frame (Shift held), else `None`.
    pub dk: Option<f64>,
}

/// A drag of the curve this frame (manual mode): the pointer's k and vol, and with Shift held, the k shift.
pub(super) fn curve_drag(plot: &PlotUi<'_>, slice: &ExpirySlice, axis: XAxis) -> Option<CurveDrag> {
    if !plot.response().dragged_by(egui::PointerButton::Primary) {
        return None;
    }
    let pointer = plot.pointer_coordinate()?;
    let delta = plot.pointer_coordinate_drag_delta();
    let to_k = |x: f64| match axis {
        XAxis::Strike if x > 0.0 => Some((x / slice.forward).ln()),
        XAxis::LogMoneyness => Some(x),
        _ => None,
    };
    let k = to_k(pointer.x)?;
    let shift = plot.ctx().input(|i| i.modifiers.shift);
    let dk = if shift { to_k(pointer.x).zip(to_k(pointer.x - f64::from(delta.x))).map(|(a, b)| a - b) } else { None };
    Some(CurveDrag { k, vol: pointer.y / 100.0, dk: dk.filter(|d| d.is_finite() && *d != 0.0) })
}
