//! The chain viewer: expiry list, smile plot of the selected expiry, status bar.

use egui::{RichText, Ui};
use egui_plot::{Legend, Line, LineStyle, MarkerShape, Plot, PlotPoint, PlotUi, Points, VLine};

use super::loaded::LoadedChain;
use super::theme::{self, Palette};
use crate::calibrate::{FitStatus, QuoteResidual, QuoteUse, SliceFitReport};

use crate::market::time::{format_date, format_utc};
use crate::market::{ExpirySlice, PremiumCurrency, Quote, QuoteSide, QuoteStatus, Snapshot};
use crate::models::{ModelKind, SmileModel};
use crate::pricing::OptionKind;
use crate::pricing::{black_delta, OptionSpec};

/// Expiry table (with each slice's fit when `reports` is given); returns the newly clicked slice index.
pub fn expiry_list_ui(
    ui: &mut Ui,
    snapshot: &Snapshot,
    reports: Option<&[SliceFitReport]>,
    selected: usize,
) -> Option<usize> {
    let mut clicked = None;
    egui::Grid::new("expiries").striped(true).num_columns(7).spacing([10.0, 3.0]).show(ui, |ui| {
        for h in ["Expiry", "Days", "Forward", "Source", "OK / all", "RMSE", "Inside"] {
            ui.label(RichText::new(h).strong());
        }
        ui.end_row();
        for (i, s) in snapshot.slices.iter().enumerate() {
            if ui.selectable_label(i == selected, format_date(s.expiry_ms)).clicked() {
                clicked = Some(i);
            }
            ui.label(format!("{:.2}", s.t_years * 365.0));
            ui.label(format!("{:.2}", s.forward));
            ui.label(s.forward_source.label());
            ui.label(format!("{} / {}", s.usable_count(), s.quotes.len()));
            fit_cells_ui(ui, reports.and_then(|r| r.get(i)));
            ui.end_row();
        }
    });
    clicked
}

/// RMSE and inside-spread share of a fit, or why it failed (hover for the reason).
fn fit_cells_ui(ui: &mut Ui, report: Option<&SliceFitReport>) {
    match report {
        None => {
            ui.label("");
            ui.label("");
        }
        Some(r) if !r.status.is_usable() => {
            let reason = match &r.status {
                FitStatus::Failed { reason } => reason.clone(),
                _ => String::new(),
            };
            ui.label(RichText::new("failed").color(theme::palette(ui).error)).on_hover_text(reason);
            ui.label("");
        }
        Some(r) => {
            let text = format!("{:.2}", r.rmse_vol_pts);
            let rmse = if r.butterfly.ok {
                ui.label(text)
            } else {
                ui.label(RichText::new(format!("{text} !")).color(theme::palette(ui).warning))
            };
            rmse.on_hover_text(format!(
                "{}; butterfly {} (min g {:.3}); {} µs",
                r.status.label(),
                if r.butterfly.ok { "ok" } else { "violated" },
                r.butterfly.min_g,
                r.fit_time_us.round()
            ));
            ui.label(format!("{:.0} %", 100.0 * r.inside_spread_share));
        }
    }
}

/// Points of each model curve.
const CURVE_POINTS: usize = 200;
/// How close (pixels) the pointer must be to a quote's mid, bid, ask or mark point to hover it, and to a mid
/// for a click to toggle it.
const PICK_RADIUS_PX: f32 = 12.0;
/// Margin (points) added left and right of the plot for export: the y axis label is drawn just outside it.
const EXPORT_MARGIN_PT: f32 = 6.0;
/// Decimals of a coin premium in the hover details (Deribit's tick is 0.0001 coin; mids and marks are finer).
const COIN_DECIMALS: usize = 5;
/// Decimals of a USD premium in the hover details.
const USD_DECIMALS: usize = 2;
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
    fn x(self, slice: &ExpirySlice, k: f64, vol: f64) -> f64 {
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
}

/// A model smile to draw over the quotes of the slice.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve<'a> {
    /// Legend label (`svi fit`, `manual`); also names the curve's model IV in the hover details.
    pub label: String,
    /// Model the parameters belong to.
    pub kind: ModelKind,
    /// Parameters, in the model's order.
    pub params: &'a [f64],
    /// Solid fit or dashed alternative.
    pub style: CurveStyle,
}

/// The curve of a slice fit, when the fit is usable and has parameters.
pub fn fit_curve(kind: ModelKind, report: &SliceFitReport) -> Option<Curve<'_>> {
    (report.status.is_usable() && !report.params.is_empty()).then(|| Curve {
        label: format!("{} fit", kind.name()),
        kind,
        params: &report.params,
        style: CurveStyle::Fit,
    })
}

/// A curve's model for the slice, when the curve has the model's number of finite parameters.
fn curve_model(curve: &Curve<'_>, slice: &ExpirySlice) -> Option<Box<dyn SmileModel>> {
    let model = curve.kind.for_slice(slice);
    let fits = curve.params.len() == model.param_names().len() && curve.params.iter().all(|p| p.is_finite());
    fits.then_some(model)
}

/// A model's smile over the slice's quoted k range (widened by a tenth each side), vols in percent.
fn curve_points(model: &dyn SmileModel, params: &[f64], slice: &ExpirySlice, axis: XAxis) -> Vec<[f64; 2]> {
    let (lo, hi) =
        slice.quotes.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), q| (lo.min(q.k), hi.max(q.k)));
    if !(hi > lo) {
        return Vec::new();
    }
    let pad = 0.1 * (hi - lo);
    (0..CURVE_POINTS)
        .map(|i| lo - pad + (hi - lo + 2.0 * pad) * i as f64 / (CURVE_POINTS - 1) as f64)
        .map(|k| (k, model.implied_vol(params, k, slice.t_years)))
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

/// How a quote's mid is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum QuoteClass {
    /// Excluded by the user: a cross.
    UserExcluded,
    /// Not usable for its status (one-sided, below intrinsic, outlier, …): hollow and grey.
    Unusable,
    /// Usable, but a fit filter left it out (k or delta range, wide spread): a hollow square.
    Filtered,
    /// In the money: small, hollow and faint.
    InTheMoney,
    /// Out-of-the-money call.
    OtmCall,
    /// Out-of-the-money put.
    OtmPut,
}

impl QuoteClass {
    /// Drawing order (later on top).
    const ALL: [QuoteClass; 6] = [
        QuoteClass::InTheMoney,
        QuoteClass::Unusable,
        QuoteClass::Filtered,
        QuoteClass::OtmCall,
        QuoteClass::OtmPut,
        QuoteClass::UserExcluded,
    ];

    /// The class of quote `q`: the user's exclusion first, then its status, the fit's use, its moneyness.
    fn of(q: &Quote, user_excluded: bool, used: Option<&QuoteUse>) -> QuoteClass {
        if user_excluded {
            return QuoteClass::UserExcluded;
        }
        if !q.status.is_usable() {
            return QuoteClass::Unusable;
        }
        if let Some(QuoteUse::Excluded(reason)) = used {
            if reason.is_filter() {
                return QuoteClass::Filtered;
            }
        }
        match (q.is_otm(), q.kind) {
            (false, _) => QuoteClass::InTheMoney,
            (true, OptionKind::Call) => QuoteClass::OtmCall,
            (true, OptionKind::Put) => QuoteClass::OtmPut,
        }
    }

    /// The plot series of this class's mids.
    fn series<'a>(self, pal: &Palette, points: Vec<[f64; 2]>) -> Points<'a> {
        let (name, colour) = match self {
            QuoteClass::UserExcluded => ("excluded by you", pal.error),
            QuoteClass::Unusable => ("mid (not usable)", pal.bid_ask_unusable),
            QuoteClass::Filtered => ("mid (left out by a fit filter)", pal.filtered),
            QuoteClass::InTheMoney => ("mid (in the money)", pal.mid_itm),
            QuoteClass::OtmCall => ("mid (call)", pal.mid_call),
            QuoteClass::OtmPut => ("mid (put)", pal.mid_put),
        };
        let points = Points::new(name, points).color(colour);
        match self {
            QuoteClass::UserExcluded => points.shape(MarkerShape::Cross).radius(5.0),
            QuoteClass::Unusable => points.radius(3.0).filled(false),
            QuoteClass::Filtered => points.shape(MarkerShape::Square).radius(4.0).filled(false),
            QuoteClass::InTheMoney => points.radius(2.0).filled(false),
            QuoteClass::OtmCall | QuoteClass::OtmPut => points.radius(3.0),
        }
    }
}

/// `true` for a fit's exclusion by a filter: not by the user, the quote's status or the in-the-money rule.
/// Which of a quote's points a pick target is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PointKind {
    Mid,
    Bid,
    Ask,
    Mark,
}

/// One drawn point of a quote, for hovering and clicking.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Target {
    /// Index of the quote in the slice.
    quote: usize,
    /// Plot coordinates (x, vol in percent).
    point: [f64; 2],
    /// Which point of the quote.
    kind: PointKind,
}

/// Everything the plot draws for the quotes, in plot coordinates (vols in percent).
#[derive(Default)]
struct QuoteSeries {
    /// Bid-to-ask vol bars, and whether the quote is usable.
    bars: Vec<([[f64; 2]; 2], bool)>,
    /// Mids with their class.
    mids: Vec<(QuoteClass, [f64; 2])>,
    /// The one vol of quotes with a single side: (point, `true` for a bid).
    one_sided: Vec<([f64; 2], bool)>,
    /// Exchange marks.
    marks: Vec<[f64; 2]>,
    /// Every point above, with its quote.
    targets: Vec<Target>,
}

/// The report's residual of the quote at `index` named `instrument` (the residuals follow the slice's order;
/// searched by name when they do not).
fn residual_for<'r>(report: Option<&'r SliceFitReport>, index: usize, instrument: &str) -> Option<&'r QuoteResidual> {
    let residuals = &report?.residuals;
    match residuals.get(index) {
        Some(r) if r.instrument == instrument => Some(r),
        _ => residuals.iter().find(|r| r.instrument == instrument),
    }
}

/// `true` when the user excluded `instrument`.
fn is_user_excluded(excluded: &[String], instrument: &str) -> bool {
    excluded.iter().any(|e| e == instrument)
}

/// The quotes' bars, mids, one-sided vols, marks and pick targets on `axis`.
fn quote_series(slice: &ExpirySlice, axis: XAxis, report: Option<&SliceFitReport>, excluded: &[String]) -> QuoteSeries {
    let mut s = QuoteSeries::default();
    for (i, q) in slice.quotes.iter().enumerate() {
        let x = axis.x(slice, q.k, q.display_iv().unwrap_or(0.5));
        let target = |kind, vol: f64, s: &mut QuoteSeries| {
            let point = [x, 100.0 * vol];
            s.targets.push(Target { quote: i, point, kind });
            point
        };
        match (q.bid.iv, q.ask.iv) {
            (Some(b), Some(a)) => {
                let bar = [target(PointKind::Bid, b, &mut s), target(PointKind::Ask, a, &mut s)];
                s.bars.push((bar, q.status.is_usable()));
            }
            (Some(b), None) => {
                let p = target(PointKind::Bid, b, &mut s);
                s.one_sided.push((p, true));
            }
            (None, Some(a)) => {
                let p = target(PointKind::Ask, a, &mut s);
                s.one_sided.push((p, false));
            }
            (None, None) => {}
        }
        if let Some(m) = q.mid.iv {
            let used = residual_for(report, i, &q.instrument).map(|r| &r.used);
            let class = QuoteClass::of(q, is_user_excluded(excluded, &q.instrument), used);
            let p = target(PointKind::Mid, m, &mut s);
            s.mids.push((class, p));
        }
        if let Some(m) = q.mark.iv {
            let p = target(PointKind::Mark, m, &mut s);
            s.marks.push(p);
        }
    }
    s
}

/// Draws the quotes: bid/ask bars, one-sided vols, marks and mids by class.
fn draw_quotes(plot: &mut PlotUi<'_>, series: &QuoteSeries, pal: &Palette) {
    for (bar, usable) in &series.bars {
        let (name, colour) =
            if *usable { ("bid/ask", pal.bid_ask_ok) } else { ("bid/ask (not usable)", pal.bid_ask_unusable) };
        plot.line(Line::new(name, bar.to_vec()).color(colour).width(2.0));
    }
    for (is_bid, shape) in [(true, MarkerShape::Up), (false, MarkerShape::Down)] {
        let points: Vec<[f64; 2]> = series.one_sided.iter().filter(|(_, b)| *b == is_bid).map(|(p, _)| *p).collect();
        plot.points(
            Points::new("bid or ask only (not usable)", points)
                .color(pal.bid_ask_unusable)
                .shape(shape)
                .radius(4.0)
                .filled(false),
        );
    }
    plot.points(Points::new("mark", series.marks.clone()).color(pal.mark).shape(MarkerShape::Diamond).radius(2.0));
    for class in QuoteClass::ALL {
        let points: Vec<[f64; 2]> = series.mids.iter().filter(|(c, _)| *c == class).map(|(_, p)| *p).collect();
        plot.points(class.series(pal, points));
    }
}

/// Draws the curves that have a usable model for the slice.
fn draw_curves(plot: &mut PlotUi<'_>, curves: &[Curve<'_>], slice: &ExpirySlice, axis: XAxis, pal: &Palette) {
    for curve in curves {
        let Some(model) = curve_model(curve, slice) else { continue };
        let line = Line::new(curve.label.clone(), curve_points(model.as_ref(), curve.params, slice, axis)).width(2.0);
        plot.line(match curve.style {
            CurveStyle::Fit => line.color(pal.fit),
            CurveStyle::Alt => line.color(pal.fit_alt).style(LineStyle::dashed_loose()),
        });
    }
}

/// The target nearest to `pointer` in screen space within `PICK_RADIUS_PX` (mids only with `mids_only`).
fn nearest_target(
    targets: &[Target],
    to_screen: impl Fn([f64; 2]) -> egui::Pos2,
    pointer: egui::Pos2,
    mids_only: bool,
) -> Option<Target> {
    targets
        .iter()
        .filter(|t| !mids_only || t.kind == PointKind::Mid)
        .map(|t| (t, to_screen(t.point).distance(pointer)))
        .filter(|(_, d)| *d <= PICK_RADIUS_PX)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(t, _)| *t)
}

/// What the pointer does in the plot this frame: (hovered target, index of the quote whose mid was clicked).
fn pick(plot: &PlotUi<'_>, targets: &[Target]) -> (Option<Target>, Option<usize>) {
    let response = plot.response();
    let transform = *plot.transform();
    let to_screen = |p: [f64; 2]| transform.position_from_point(&PlotPoint::new(p[0], p[1]));
    let hovered = match response.hover_pos() {
        Some(pointer) if !response.dragged() => nearest_target(targets, to_screen, pointer, false),
        _ => None,
    };
    // The second click of a double click (the view reset) does not toggle again.
    let clicked = response.clicked() && !response.double_clicked();
    let toggled = match response.interact_pointer_pos().or_else(|| response.hover_pos()) {
        Some(pointer) if clicked => nearest_target(targets, to_screen, pointer, true).map(|t| t.quote),
        _ => None,
    };
    (hovered, toggled)
}

/// The y range (vol %) of the usable quotes' bid, ask and mid vols, padded by 15 % of its width; `None` when
/// the slice has no usable vol.
fn usable_vol_range_pct(slice: &ExpirySlice) -> Option<(f64, f64)> {
    let vols = slice
        .quotes
        .iter()
        .filter(|q| q.status.is_usable())
        .flat_map(|q| [q.bid.iv, q.ask.iv, q.mid.iv])
        .flatten()
        .filter(|v| v.is_finite());
    let (lo, hi) = vols.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !(hi > lo) {
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
        let curve_ivs = curve_ivs(curves, slice, q.k);
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

/// A drag of the curve this frame (manual mode): the pointer's k and vol, and with Shift held, the k shift.
fn curve_drag(plot: &PlotUi<'_>, slice: &ExpirySlice, axis: XAxis) -> Option<CurveDrag> {
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

/// The line above the plot: expiry, T, forward and its source, the click hint.
fn smile_title(slice: &ExpirySlice) -> String {
    format!(
        "{}  ·  T = {:.2} d  ·  F = {:.2} ({})  ·  click a mid to exclude or include it",
        format_utc(slice.expiry_ms),
        slice.t_years * 365.0,
        slice.forward,
        slice.forward_source.label()
    )
}

/// Each drawable curve's label and model IV (decimal) at log-moneyness `k`.
fn curve_ivs(curves: &[Curve<'_>], slice: &ExpirySlice, k: f64) -> Vec<(String, f64)> {
    curves
        .iter()
        .filter_map(|c| curve_model(c, slice).map(|m| (c.label.clone(), m.implied_vol(c.params, k, slice.t_years))))
        .collect()
}

/// What the hover tooltip shows about one quote.
#[derive(Clone, Debug, PartialEq)]
struct QuoteDetails {
    /// Instrument name.
    instrument: String,
    /// `true` for status `ok`.
    status_ok: bool,
    /// (label, value) rows: type, strike, k, status, use in the fit, model IVs, residual.
    facts: Vec<(String, String)>,
    /// Header of the price table: side, coin (coin-premium quotes only), USD, IV.
    price_header: Vec<&'static str>,
    /// Bid, ask, mid and mark rows, aligned with the header.
    prices: Vec<Vec<String>>,
    /// What a click on the mid would do, when the quote has a mid.
    click_hint: Option<&'static str>,
}

/// The tooltip's content for quote `q` with its fit residual, the user's exclusion and the curves' model IVs.
fn quote_details(
    q: &Quote,
    residual: Option<&QuoteResidual>,
    user_excluded: bool,
    curve_ivs: &[(String, f64)],
) -> QuoteDetails {
    let coin = q.premium_currency == PremiumCurrency::Coin;
    let premium = if coin { "premium in coin (inverse)" } else { "premium in USD" };
    let mut facts = vec![
        ("type".to_owned(), format!("{}  ·  {premium}", q.kind.as_str())),
        ("strike".to_owned(), format!("{}", q.strike)),
        ("k".to_owned(), format!("{:+.4}", q.k)),
        ("status".to_owned(), q.status.as_str().to_owned()),
        ("fit".to_owned(), fit_use_text(residual, user_excluded)),
    ];
    for (label, iv) in curve_ivs {
        facts.push((format!("model IV ({label})"), percent(Some(*iv))));
    }
    if let Some(r) = residual.filter(|r| r.residual_vol_pts.is_some() || r.residual_spread_units.is_some()) {
        facts.push(("residual".to_owned(), residual_text(r)));
    }
    let sides = [("bid", &q.bid), ("ask", &q.ask), ("mid", &q.mid), ("mark", &q.mark)];
    let prices = sides.iter().map(|(name, side)| price_row(name, side, coin)).collect();
    let price_header = if coin { vec!["", "coin", "USD", "IV"] } else { vec!["", "USD", "IV"] };
    let click_hint =
        q.mid.iv.map(|_| if user_excluded { "click: include again" } else { "click: exclude from the fit" });
    QuoteDetails {
        instrument: q.instrument.to_string(),
        status_ok: q.status.is_usable(),
        facts,
        price_header,
        prices,
        click_hint,
    }
}

/// Whether the fit used the quote, or why not.
fn fit_use_text(residual: Option<&QuoteResidual>, user_excluded: bool) -> String {
    match (residual.map(|r| &r.used), user_excluded) {
        (Some(QuoteUse::Used), true) => "used (your exclusion applies at the next fit)".to_owned(),
        (Some(QuoteUse::Used), false) => "used".to_owned(),
        (Some(QuoteUse::Excluded(reason)), _) => format!("not used: {reason}"),
        (None, true) => "excluded by you (no fit yet)".to_owned(),
        (None, false) => "no fit".to_owned(),
    }
}

/// Model − mid in vol points and in spread units, and whether the model lies inside the spread.
fn residual_text(r: &QuoteResidual) -> String {
    let mut parts = Vec::new();
    if let Some(v) = r.residual_vol_pts {
        parts.push(format!("{v:+.2} vol pts"));
    }
    if let Some(s) = r.residual_spread_units {
        parts.push(format!("{s:+.2} spreads"));
    }
    match r.inside_spread {
        Some(true) => parts.push("inside bid/ask".to_owned()),
        Some(false) => parts.push("outside bid/ask".to_owned()),
        None => {}
    }
    parts.join("  ·  ")
}

/// One side's row: name, [coin price,] USD price, IV (or why there is none).
fn price_row(name: &str, side: &QuoteSide, coin: bool) -> Vec<String> {
    let mut row = vec![name.to_owned()];
    if coin {
        row.push(side.price_coin.map_or_else(dash, |p| format!("{p:.COIN_DECIMALS$}")));
    }
    row.push(side.price_usd.map_or_else(dash, |p| format!("{p:.USD_DECIMALS$}")));
    row.push(match (side.iv, side.iv_status) {
        (Some(iv), _) => percent(Some(iv)),
        (None, Some(status)) => status.as_str().to_owned(),
        (None, None) => dash(),
    });
    row
}

/// A decimal vol as `52.31 %`, or a dash.
fn percent(vol: Option<f64>) -> String {
    vol.filter(|v| v.is_finite()).map_or_else(dash, |v| format!("{:.2} %", 100.0 * v))
}

/// The placeholder for a missing value.
fn dash() -> String {
    "—".to_owned()
}

/// Draws the tooltip of one quote.
fn quote_details_ui(ui: &mut Ui, d: &QuoteDetails, pal: &Palette) {
    ui.label(RichText::new(&d.instrument).strong());
    egui::Grid::new("quote_facts").num_columns(2).spacing([10.0, 2.0]).show(ui, |ui| {
        for (label, value) in &d.facts {
            ui.label(RichText::new(label).color(pal.bid_ask_unusable));
            if label == "status" && !d.status_ok {
                ui.label(RichText::new(value).color(pal.warning));
            } else {
                ui.label(value);
            }
            ui.end_row();
        }
    });
    ui.separator();
    egui::Grid::new("quote_prices").num_columns(d.price_header.len()).spacing([12.0, 2.0]).show(ui, |ui| {
        for h in &d.price_header {
            ui.label(RichText::new(*h).strong());
        }
        ui.end_row();
        for row in &d.prices {
            for cell in row {
                ui.label(cell);
            }
            ui.end_row();
        }
    });
    if let Some(hint) = d.click_hint {
        ui.small(hint);
    }
}

/// One-line status of the loaded chain.
pub fn status_line(chain: &LoadedChain) -> String {
    let s = &chain.snapshot;
    let ok = s.status_counts().get(&QuoteStatus::Ok).copied().unwrap_or(0);
    format!(
        "{}  ·  {}  ·  {}  ·  {}  ·  {} expiries  ·  {ok} usable of {} quotes",
        chain.name,
        s.source,
        s.underlying,
        format_utc(s.time_ms),
        s.slices.len(),
        s.quote_count()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibrate::{fit_slice, FitConfig};
    use crate::io::{load_bytes, LoadOptions};
    use crate::sample::SAMPLE_CSV;
    use egui_kittest::kittest::Queryable;
    use std::sync::Arc;

    /// The bundled sample's snapshot.
    fn sample() -> Arc<Snapshot> {
        let raw = load_bytes(SAMPLE_CSV.as_bytes(), "sample", &LoadOptions::default()).unwrap();
        LoadedChain::new("sample".into(), raw).unwrap().snapshot
    }

    /// Slice 3 of the sample fitted with SVI under `config`.
    fn fitted(snapshot: &Snapshot, config: &FitConfig) -> (ExpirySlice, SliceFitReport) {
        let slice = snapshot.slices[3].clone();
        let report = fit_slice(ModelKind::Svi.for_slice(&slice).as_ref(), &slice, config, None);
        assert!(report.status.is_usable(), "{:?}", report.status);
        (slice, report)
    }

    /// The class the plot gives quote `q` (index `i`).
    fn class(q: &Quote, i: usize, report: &SliceFitReport, excluded: &[String]) -> QuoteClass {
        let used = residual_for(Some(report), i, &q.instrument).map(|r| &r.used);
        QuoteClass::of(q, is_user_excluded(excluded, &q.instrument), used)
    }

    #[test]
    fn quotes_are_classed_by_the_users_exclusion_their_status_and_the_fits_use() {
        let snapshot = sample();
        let user = "BTC-27MAR26-70000-P".to_owned();
        let config =
            FitConfig { k_range: Some((-0.2, 0.2)), excluded_instruments: vec![user.clone()], ..FitConfig::default() };
        let (slice, report) = fitted(&snapshot, &config);
        let excluded = &config.excluded_instruments;
        let mut seen = std::collections::BTreeSet::new();
        for (i, q) in slice.quotes.iter().enumerate() {
            let c = class(q, i, &report, excluded);
            seen.insert(format!("{c:?}"));
            let expected = if *q.instrument == *user {
                QuoteClass::UserExcluded
            } else if q.status != QuoteStatus::Ok {
                QuoteClass::Unusable
            } else if !q.is_otm() {
                QuoteClass::InTheMoney
            } else if q.k.abs() > 0.2 {
                QuoteClass::Filtered
            } else if q.kind == OptionKind::Call {
                QuoteClass::OtmCall
            } else {
                QuoteClass::OtmPut
            };
            assert_eq!(c, expected, "{} (k {:.3}, {})", q.instrument, q.k, q.status);
        }
        assert_eq!(seen.len(), 6, "the sample's slice shows every class: {seen:?}");

        let series = quote_series(&slice, XAxis::LogMoneyness, Some(&report), excluded);
        let count = |f: fn(&Quote) -> bool| slice.quotes.iter().filter(|q| f(q)).count();
        assert_eq!(series.mids.len(), count(|q| q.mid.iv.is_some()));
        assert_eq!(series.marks.len(), count(|q| q.mark.iv.is_some()));
        assert_eq!(series.bars.len(), count(|q| q.bid.iv.is_some() && q.ask.iv.is_some()));
        assert_eq!(series.one_sided.len(), count(|q| q.bid.iv.is_some() != q.ask.iv.is_some()));
        let sides = series.mids.len() + series.marks.len() + 2 * series.bars.len() + series.one_sided.len();
        assert_eq!(series.targets.len(), sides, "every drawn point can be hovered");
    }

    #[test]
    fn the_details_of_a_coin_quote_give_coin_and_usd_prices_vols_and_the_residual() {
        let snapshot = sample();
        let (slice, report) = fitted(&snapshot, &FitConfig::default());
        let (i, q) = slice.quotes.iter().enumerate().find(|(_, q)| q.status == QuoteStatus::Ok && q.is_otm()).unwrap();
        assert_eq!(q.premium_currency, PremiumCurrency::Coin);
        let r = residual_for(Some(&report), i, &q.instrument).unwrap();
        let d = quote_details(q, Some(r), false, &[("svi fit".to_owned(), 0.5)]);
        assert_eq!(d.instrument, &*q.instrument);
        assert_eq!(d.price_header, ["", "coin", "USD", "IV"]);
        let bid = &d.prices[0];
        assert_eq!(bid[0], "bid");
        assert_eq!(bid[1], format!("{:.5}", q.bid.price_coin.unwrap()));
        assert_eq!(bid[2], format!("{:.2}", q.bid.price_usd.unwrap()));
        assert_eq!(bid[3], format!("{:.2} %", 100.0 * q.bid.iv.unwrap()));
        assert_eq!(d.prices.iter().map(|row| row[0].as_str()).collect::<Vec<_>>(), ["bid", "ask", "mid", "mark"]);
        let fact = |name: &str| d.facts.iter().find(|(l, _)| l == name).map(|(_, v)| v.clone());
        assert_eq!(fact("status").as_deref(), Some("ok"));
        assert_eq!(fact("fit").as_deref(), Some("used"));
        assert_eq!(fact("model IV (svi fit)").as_deref(), Some("50.00 %"));
        let residual = fact("residual").unwrap();
        assert!(residual.contains("vol pts") && residual.contains("spreads"), "{residual}");
        assert_eq!(d.click_hint, Some("click: exclude from the fit"));

        let mut usd = q.clone();
        usd.premium_currency = PremiumCurrency::Quote;
        let d = quote_details(&usd, None, true, &[]);
        assert_eq!(d.price_header, ["", "USD", "IV"]);
        assert!(d.prices.iter().all(|row| row.len() == 3));
        assert_eq!(d.prices[0][1], format!("{:.2}", q.bid.price_usd.unwrap()));
        assert!(d.facts.iter().any(|(l, v)| l == "fit" && v == "excluded by you (no fit yet)"));
        assert_eq!(d.click_hint, Some("click: include again"));
    }

    #[test]
    fn the_details_of_an_unusable_quote_name_its_status_and_why_the_fit_left_it_out() {
        let snapshot = sample();
        let (slice, report) = fitted(&snapshot, &FitConfig::default());
        let (i, q) = slice.quotes.iter().enumerate().find(|(_, q)| q.status != QuoteStatus::Ok).unwrap();
        let d = quote_details(q, residual_for(Some(&report), i, &q.instrument), false, &[]);
        assert!(!d.status_ok);
        assert!(d.facts.contains(&("status".to_owned(), q.status.as_str().to_owned())));
        let why = format!("not used: status {}", q.status.as_str());
        assert!(d.facts.iter().any(|(l, v)| l == "fit" && *v == why), "{:?}", d.facts);
        for (row, side) in d.prices.iter().zip([&q.bid, &q.ask, &q.mid, &q.mark]) {
            let expected = match (side.iv, side.iv_status) {
                (Some(_), _) => "%",
                (None, Some(s)) => s.as_str(),
                (None, None) => "—",
            };
            assert!(row[3].contains(expected), "{row:?}");
        }
    }

    #[test]
    fn the_nearest_point_within_the_pick_radius_wins() {
        let t = |quote, x, kind| Target { quote, point: [x, 0.0], kind };
        let targets = [t(0, 0.0, PointKind::Mid), t(1, 1.0, PointKind::Bid), t(2, 1.1, PointKind::Mark)];
        let to_screen = |p: [f64; 2]| egui::pos2(100.0 * p[0] as f32, 50.0 + p[1] as f32);
        let at = |x: f32| egui::pos2(x, 50.0);
        assert_eq!(nearest_target(&targets, to_screen, at(5.0), false).map(|t| t.quote), Some(0));
        assert_eq!(nearest_target(&targets, to_screen, at(97.0), false).map(|t| t.quote), Some(1));
        assert_eq!(nearest_target(&targets, to_screen, at(108.0), false).map(|t| t.quote), Some(2));
        assert_eq!(nearest_target(&targets, to_screen, at(97.0), true), None, "a click picks mids only");
        assert_eq!(nearest_target(&targets, to_screen, at(50.0), false), None, "nothing within 12 px");
        assert_eq!(nearest_target(&[], to_screen, at(0.0), false), None);
    }

    #[test]
    fn a_failed_fit_has_no_curve_and_parameters_of_another_model_draw_nothing() {
        let snapshot = sample();
        let (slice, mut report) = fitted(&snapshot, &FitConfig::default());
        let curve = fit_curve(ModelKind::Svi, &report).unwrap();
        assert_eq!((curve.label.as_str(), curve.style), ("svi fit", CurveStyle::Fit));
        assert_eq!(curve_ivs(&[curve], &slice, 0.0).len(), 1);
        let sabr =
            Curve { label: "manual".into(), kind: ModelKind::SviJw, params: &[0.1, 0.2], style: CurveStyle::Alt };
        assert!(curve_model(&sabr, &slice).is_none(), "two parameters for a five-parameter model");
        assert!(curve_ivs(&[sabr], &slice, 0.0).is_empty());
        report.status = FitStatus::Failed { reason: "test".into() };
        assert!(fit_curve(ModelKind::Svi, &report).is_none());
    }

    /// A harness drawing the smile of `slice` with `report`'s fit and a dashed alternative curve; its state is the
    /// last frame's action.
    fn smile_harness(
        slice: ExpirySlice,
        report: SliceFitReport,
        excluded: Vec<String>,
    ) -> egui_kittest::Harness<'static, SmileAction> {
        let alt: Vec<f64> = report.params.iter().enumerate().map(|(i, p)| if i == 0 { p * 1.2 } else { *p }).collect();
        let mut harness = egui_kittest::Harness::builder().with_size(egui::vec2(900.0, 600.0)).build_ui_state(
            move |ui, action: &mut SmileAction| {
                let mut curves: Vec<Curve<'_>> = fit_curve(ModelKind::Svi, &report).into_iter().collect();
                curves.push(Curve {
                    label: "manual".into(),
                    kind: ModelKind::Svi,
                    params: &alt,
                    style: CurveStyle::Alt,
                });
                *action = smile_plot_ui(
                    ui,
                    &slice,
                    Some(&report),
                    &curves,
                    XAxis::LogMoneyness,
                    &excluded,
                    SmileInteraction::default(),
                );
            },
            SmileAction::default(),
        );
        harness.run_steps(4);
        harness
    }

    /// Moves the pointer over the plot on a grid fine enough to come within the pick radius of every point;
    /// the first position where `found` holds for the frame's action.
    fn scan(
        harness: &mut egui_kittest::Harness<'_, SmileAction>,
        found: impl Fn(&SmileAction) -> bool,
    ) -> Option<egui::Pos2> {
        let rect = harness.state().plot_rect.expect("the plot reports its rect");
        let step_px = PICK_RADIUS_PX * 1.3;
        let (nx, ny) = ((rect.width() / step_px) as usize, (rect.height() / step_px) as usize);
        for j in 0..ny {
            // Rows from the middle outwards: the smile lies across the middle of the plot.
            let row = if j % 2 == 0 { ny / 2 + j / 2 } else { ny / 2 - j.div_ceil(2) };
            for i in 0..nx {
                let pos = rect.min + egui::vec2(i as f32 + 0.5, row as f32 + 0.5) * step_px;
                harness.hover_at(pos);
                harness.step();
                if found(harness.state()) {
                    return Some(pos);
                }
            }
        }
        None
    }

    #[test]
    fn hovering_a_quote_shows_its_details_in_a_tooltip() {
        let snapshot = sample();
        let (slice, report) = fitted(&snapshot, &FitConfig::default());
        let mut harness = smile_harness(slice.clone(), report, Vec::new());
        assert!(harness.state().hovered.is_none(), "nothing hovered without a pointer");
        scan(&mut harness, |a| a.hovered.is_some()).expect("some quote can be hovered");
        let instrument = harness.state().hovered.clone().unwrap();
        let q = slice.quotes.iter().find(|q| *q.instrument == instrument).unwrap();
        // A tooltip's first frame only sizes it; it is drawn from the next one on.
        harness.step();
        assert_eq!(harness.state().hovered.as_ref(), Some(&instrument), "the pointer has not moved");
        assert!(harness.query_by_value(&instrument).is_some(), "the tooltip names the instrument");
        assert!(harness.query_by_value(q.status.as_str()).is_some(), "and its status");
        assert!(harness.query_by_value("model IV (manual)").is_some(), "and each curve's model IV");
        assert!(harness.query_by_value("coin").is_some() && harness.query_by_value("USD").is_some());
        assert!(harness.state().toggled.is_none(), "hovering toggles nothing");
    }

    #[test]
    fn clicking_a_mid_toggles_that_quote() {
        let snapshot = sample();
        let (mut slice, report) = fitted(&snapshot, &FitConfig::default());
        // Mids only, so the hovered point is the one a click picks.
        for q in &mut slice.quotes {
            (q.bid.iv, q.ask.iv, q.mark.iv) = (None, None, None);
        }
        let excluded = vec![slice.quotes[0].instrument.to_string()];
        let mut harness = smile_harness(slice, report, excluded);
        let pos = scan(&mut harness, |a| a.hovered.is_some()).expect("some mid can be hovered");
        let hovered = harness.state().hovered.clone();
        harness.drag_at(pos);
        harness.step();
        harness.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed: false,
            modifiers: egui::Modifiers::NONE,
        });
        harness.step();
        assert_eq!(harness.state().toggled, hovered);
    }
}
