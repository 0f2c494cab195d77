//! The smile plot of one expiry: quotes (see `quote_marks.rs`), the forward and model curves on the chosen x
//! axis, with hover details (`quote_hover.rs`), click-to-exclude and, in manual mode, curve drag
//! (`curve_drag.rs`).

use egui::{RichText, Ui};
use egui_plot::{Legend, Line, LineStyle, Plot, PlotUi, Points, VLine};

use crate::calibrate::{FitStatus, SliceFitReport};
use crate::gui::theme::{self, Palette};
use crate::market::time::format_utc;
use crate::market::ExpirySlice;
use crate::models::FittedSmile;
use crate::pricing::OptionKind;
use crate::pricing::{black_delta, OptionSpec};

use super::curve_drag::{curve_drag, CurveDrag};
use super::quote_hover::{pick, quote_details, quote_details_ui, PICK_RADIUS_PX};
use super::quote_marks::{draw_quotes, is_user_excluded, quote_series, residual_for};

/// Points of each model curve.
const CURVE_POINTS: usize = 200;
/// Margin (points) added left and right of the plot for export: the y axis label is drawn just outside it.
const EXPORT_MARGIN_PT: f32 = 6.0;
/// Radius (pixels) of the ring around the hovered quote.
const HOVER_RING_PX: f32 = 7.0;

/// What the smile's x axis shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum XAxis {
    /// Log-moneyness k = ln(K/F).
    #[default]
    LogMoneyness,
    /// Strike.
    Strike,
    /// Call-equivalent Black forward delta (puts shown as 1 + Δ_put).
    Delta,
}

impl XAxis {
    /// Axis label.
    pub fn label(self) -> &'static str {
        match self {
            XAxis::LogMoneyness => "k = ln(K/F)",
            XAxis::Strike => "strike",
            XAxis::Delta => "call delta",
        }
    }

    /// x of a point at log-moneyness `k` with vol `vol` (delta needs the vol).
    pub(super) fn x(self, slice: &ExpirySlice, k: f64, vol: f64) -> f64 {
        match self {
            XAxis::LogMoneyness => k,
            XAxis::Strike => slice.forward * k.exp(),
            XAxis::Delta => {
                let spec =
                    OptionSpec::undiscounted(OptionKind::Call, slice.forward, slice.forward * k.exp(), slice.t_years);
                black_delta(&spec, vol)
            }
        }
    }
}

/// How a model curve is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CurveStyle {
    /// The fitted smile: solid, in the palette's `fit` colour.
    #[default]
    Fit,
    /// A second curve (the last fit beside hand-set parameters): dashed, in the palette's `fit_alt` colour.
    Alt,
    /// A surface's slice placed from the neighbouring expiries, not fitted to this expiry's own quotes
    /// (too few or none): dotted, in the palette's `fit` colour.
    SurfaceFill,
}

/// A model smile to draw over the quotes of the slice.
#[derive(Clone, Debug)]
pub struct Curve<'a> {
    /// Legend label (`svi fit`, `manual`); also names the curve's model IV in the hover details.
    pub label: String,
    /// The smile (model, parameters, slice inputs), checked when it was made.
    pub smile: &'a FittedSmile,
    /// Solid fit or dashed alternative.
    pub style: CurveStyle,
}

/// The curve of a slice fit, when the fit is usable and its parameters make a smile with finite values.
pub fn fit_curve<'a>(report: &SliceFitReport, smile: Option<&'a FittedSmile>) -> Option<Curve<'a>> {
    let smile = smile.filter(|s| report.status.is_usable() && s.params().iter().all(|p| p.is_finite()))?;
    let (label, style) = match report.status {
        FitStatus::Interpolated => (format!("{} (interpolated)", smile.kind().name()), CurveStyle::SurfaceFill),
        FitStatus::NeighbourShape => (format!("{} (neighbours' shape)", smile.kind().name()), CurveStyle::SurfaceFill),
        _ => (format!("{} fit", smile.kind().name()), CurveStyle::Fit),
    };
    Some(Curve { label, smile, style })
}

/// A model's smile over the slice's quoted k range (widened by a tenth each side), vols in percent.
pub(super) fn curve_points(smile: &FittedSmile, slice: &ExpirySlice, axis: XAxis) -> Vec<[f64; 2]> {
    let (lo, hi) =
        slice.quotes.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), q| (lo.min(q.k), hi.max(q.k)));
    if hi <= lo {
        return Vec::new();
    }
    let pad = 0.1 * (hi - lo);
    (0..CURVE_POINTS)
        .map(|i| lo - pad + (hi - lo + 2.0 * pad) * i as f64 / (CURVE_POINTS - 1) as f64)
        .map(|k| (k, smile.implied_vol(k)))
        .filter(|(_, v)| v.is_finite())
        .map(|(k, v)| [axis.x(slice, k, v), 100.0 * v])
        .collect()
}

/// What the user did in the smile plot, and where it is.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SmileAction {
    /// Instrument whose mid the user clicked (to exclude or include it).
    pub toggled: Option<String>,
    /// Instrument of the quote under the pointer (its details are in the tooltip).
    pub hovered: Option<String>,
    /// Screen rect (points) of the plot with its title, axes and legend: the region a PNG export keeps.
    pub plot_rect: Option<egui::Rect>,
    /// The curve dragged this frame (only when the caller allowed it).
    pub curve_drag: Option<CurveDrag>,
}

/// What the smile plot lets the pointer do besides zoom, pan and click-to-exclude.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SmileInteraction {
    /// Dragging moves the curve (manual mode) instead of panning.
    pub drag_curve: bool,
    /// Hovering a quote rings it and shows its details (off while a PNG export is being taken).
    pub hover: bool,
}

impl Default for SmileInteraction {
    fn default() -> Self {
        SmileInteraction { drag_curve: false, hover: true }
    }
}

/// Draws the curves that have a usable model for the slice.
pub(super) fn draw_curves(
    plot: &mut PlotUi<'_>,
    curves: &[Curve<'_>],
    slice: &ExpirySlice,
    axis: XAxis,
    pal: &Palette,
) {
    for curve in curves {
        let line = Line::new(curve.label.clone(), curve_points(curve.smile, slice, axis)).width(2.0);
        plot.line(match curve.style {
            CurveStyle::Fit => line.color(pal.fit),
            CurveStyle::Alt => line.color(pal.fit_alt).style(LineStyle::dashed_loose()),
            CurveStyle::SurfaceFill => line.color(pal.fit).style(LineStyle::dotted_dense()),
        });
    }
}

/// The y range (vol %) of the usable quotes' bid, ask and mid vols, padded by 15 % of its width; `None` when
/// the slice has no usable vol.
pub(super) fn usable_vol_range_pct(slice: &ExpirySlice) -> Option<(f64, f64)> {
    let vols = slice
        .quotes
        .iter()
        .filter(|q| q.status.is_usable())
        .flat_map(|q| [q.bid.iv, q.ask.iv, q.mid.iv])
        .flatten()
        .filter(|v| v.is_finite());
    let (lo, hi) = vols.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if hi <= lo {
        return None;
    }
    let pad = 0.15 * (hi - lo);
    Some((100.0 * (lo - pad).max(0.0), 100.0 * (hi + pad)))
}

/// Smile of one slice: bid/ask vol bars, mids by use, marks, the forward and `curves` (the fit, a manual or
/// comparison curve), on the chosen x axis; zoom, pan and double-click reset are egui_plot's.
///
/// Quotes in `excluded` are drawn as crosses, quotes a fit filter of `report` left out as hollow squares,
/// unusable ones hollow and grey; clicking a mid toggles it; hovering a quote shows its prices, vols, status
/// and residual in `report`.
pub fn smile_plot_ui(
    ui: &mut Ui,
    slice: &ExpirySlice,
    report: Option<&SliceFitReport>,
    curves: &[Curve<'_>],
    axis: XAxis,
    excluded: &[String],
    interaction: SmileInteraction,
) -> SmileAction {
    let pal = theme::palette(ui);
    let series = quote_series(slice, axis, report, excluded);
    // Dragging the curve replaces panning (on the k and strike axes); the wheel still zooms.
    let drag_curve = interaction.drag_curve && axis != XAxis::Delta;
    let shown = ui.scope(|ui| {
        ui.label(RichText::new(smile_title(slice)).strong());
        let mut plot = Plot::new(("smile", slice.expiry_ms, axis.label()))
            .legend(Legend::default().position(egui_plot::Corner::RightBottom))
            .x_axis_label(axis.label())
            .y_axis_label("implied vol (%)")
            .allow_drag(!drag_curve)
            .show_crosshair(interaction.hover)
            .show_x(interaction.hover)
            .show_y(interaction.hover);
        if let Some((lo, hi)) = usable_vol_range_pct(slice) {
            // Start (and reset) on the usable quotes: one-sided wing vols of several hundred % would squash
            // the smile; zooming out shows them.
            plot = plot.default_y_bounds(lo, hi);
        }
        plot.show(ui, |plot| {
            draw_quotes(plot, &series, pal);
            plot.vline(VLine::new("forward", axis.x(slice, 0.0, 0.5)).color(pal.atm));
            draw_curves(plot, curves, slice, axis, pal);
            let (hovered, toggled) = pick(plot, &series.targets);
            if let Some(t) = hovered {
                let ring = Points::new("", vec![t.point]).color(pal.hover).radius(HOVER_RING_PX).filled(false);
                plot.points(ring.allow_hover(false));
            }
            let drag = if drag_curve { curve_drag(plot, slice, axis) } else { None };
            (hovered.map(|t| t.quote), toggled, drag)
        })
    });
    let plot = shown.inner;
    let (hovered, toggled, curve_drag) = plot.inner;
    let quote_name = |i: usize| slice.quotes.get(i).map(|q| q.instrument.to_string());
    if let Some((i, q)) = hovered.and_then(|i| slice.quotes.get(i).map(|q| (i, q))) {
        let user_excluded = is_user_excluded(excluded, &q.instrument);
        let curve_ivs = curve_ivs(curves, q.k);
        let details = quote_details(q, residual_for(report, i, &q.instrument), user_excluded, &curve_ivs);
        egui::Tooltip::for_widget(&plot.response)
            .at_pointer()
            .gap(PICK_RADIUS_PX)
            .show(|ui| quote_details_ui(ui, &details, pal));
    }
    SmileAction {
        toggled: toggled.and_then(quote_name),
        hovered: hovered.and_then(quote_name),
        plot_rect: Some(shown.response.rect.expand2(egui::vec2(EXPORT_MARGIN_PT, 0.0))),
        curve_drag,
    }
}

/// The line above the plot: expiry, T, forward and its source, the click hint.
pub(super) fn smile_title(slice: &ExpirySlice) -> String {
    format!(
        "{}  ·  T = {:.2} d  ·  F = {:.2} ({})  ·  click a mid to exclude or include it",
        format_utc(slice.expiry_ms),
        slice.t_years * 365.0,
        slice.forward,
        slice.forward_source.label()
    )
}

/// Each drawable curve's label and model IV (decimal) at log-moneyness `k`.
pub(super) fn curve_ivs(curves: &[Curve<'_>], k: f64) -> Vec<(String, f64)> {
    curves.iter().map(|c| (c.label.clone(), c.smile.implied_vol(k))).collect()
}

#[cfg(test)]
#[path = "smile_plot_tests.rs"]
mod tests;
