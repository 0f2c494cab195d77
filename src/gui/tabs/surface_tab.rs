//! The Surface tab: the fitted IV heatmap over expiry × k (or × call delta), the ATM term structure with the
//! calendar check, and the 25Δ risk reversal and butterfly by expiry, side by side.
//!
//! The numbers come from [`crate::surface::surface_summary`], computed once per change of the inputs and kept
//! in egui memory (see [`surface_ui`]).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use egui::{Align2, Label, RichText, Sense, Ui};
use egui_plot::{
    AxisHints, GridMark, HLine, Heatmap, HoverPosition, Line, Plot, PlotPoint, PlotResponse, PlotTransform, Points,
    Text, VLine,
};

use crate::calibrate::SliceFitReport;
use crate::continuous::{term_curves, ContinuousSurface, TermCurves};
use crate::gui::theme::{self, Palette};
use crate::market::Snapshot;
use crate::models::ModelKind;
use crate::surface::{
    delta_range, surface_summary, CalendarPair, ExpirySummary, HeatGrid, SurfaceGridSpec, SurfaceSummary,
};

/// Share of the width the heatmap takes; the two line plots split the rest.
const HEATMAP_WIDTH_SHARE: f32 = 0.46;
/// Times of the continuous surface's term structures.
const TERM_POINTS: usize = 120;
/// How close (pixels, along x) a click must be to an expiry's point to select it.
const CLICK_RADIUS_PX: f32 = 12.0;
/// Vertical pixels per expiry label on the heatmap's y axis (labels closer than this are thinned out).
const ROW_LABEL_PX: f32 = 15.0;
/// Segments of the colour-scale legend.
const LEGEND_SEGMENTS: usize = 32;
/// Points of the k grid and the call-delta grid.
const K_POINTS: usize = 61;
const DELTA_POINTS: usize = 19;

/// What the heatmap's columns are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HeatAxis {
    /// Log-moneyness k = ln(K/F).
    #[default]
    LogMoneyness,
    /// Call delta (forward Black delta, 5Δ to 95Δ), at the strike solving it on each smile; drawn from high to
    /// low delta so that strikes rise left to right as on the k axis.
    CallDelta,
}

/// The Surface tab's own state: kept in egui temp memory (`ui.data_mut`) under the id
/// `ui.make_persistent_id("surface_view")` of the `Ui` given to [`surface_ui`], so the tab keeps its toggles
/// between frames without the app holding them (they reset when the app restarts).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SurfaceView {
    /// Columns of the heatmap.
    pub axis: HeatAxis,
    /// The heatmap's k grid spans [−k_half_width, k_half_width].
    pub k_half_width: f64,
}

impl Default for SurfaceView {
    fn default() -> Self {
        SurfaceView { axis: HeatAxis::LogMoneyness, k_half_width: 1.0 }
    }
}

impl SurfaceView {
    /// The grids the summary is computed on.
    fn grid_spec(&self) -> SurfaceGridSpec {
        let half = if self.k_half_width.is_finite() { self.k_half_width.clamp(0.05, 5.0) } else { 1.0 };
        SurfaceGridSpec {
            k_min: -half,
            k_max: half,
            k_points: K_POINTS,
            call_deltas: delta_range(0.05, 0.95, DELTA_POINTS),
        }
    }
}

/// A summary and the hash of the inputs it was computed from (egui temp memory).
#[derive(Clone)]
struct CachedSummary {
    key: u64,
    summary: Arc<SurfaceSummary>,
    term: Option<Arc<TermCurves>>,
}

/// The Surface tab. `kinds` and `reports` are aligned with `snapshot.slices`; `selected` is the selected slice
/// index. Returns the slice index of an expiry the user clicked (a heatmap row or a point of either line plot).
///
/// State kept in egui temp memory: the [`SurfaceView`] toggles and the last summary with a hash of its inputs
/// (slice times and forwards, model kinds, each report's usability, parameters and quote counts, the grid), so
/// the summary is recomputed only when a fit or the grid changes.
pub fn surface_ui(
    ui: &mut Ui,
    snapshot: &Snapshot,
    kinds: &[ModelKind],
    reports: &[SliceFitReport],
    selected: usize,
) -> Option<usize> {
    let view_id = ui.make_persistent_id("surface_view");
    let mut view: SurfaceView = ui.data_mut(|d| *d.get_temp_mut_or_default(view_id));
    let (summary, term) = cached_summary(ui, snapshot, kinds, reports, &view.grid_spec());
    if summary.expiries.is_empty() {
        ui.label(RichText::new("No usable fit yet: the surface appears once expiries are fitted.").weak());
        return None;
    }
    let before = view;
    header_ui(ui, &mut view, &summary);
    ui.data_mut(|d| d.insert_temp(view_id, view));
    if view != before {
        // The summary above was computed for the previous view: draw the new one next frame.
        ui.ctx().request_repaint();
    }
    let selected_row = summary.row_of_slice(selected);
    let clicked_row = plots_ui(ui, &summary, term.as_deref(), view.axis, selected_row);
    clicked_row.and_then(|row| summary.expiries.get(row)).map(|e| e.slice_index)
}

/// The summary (and the continuous term structures of a surface model) for these inputs: from egui memory
/// when the inputs are unchanged, else computed and stored.
fn cached_summary(
    ui: &Ui,
    snapshot: &Snapshot,
    kinds: &[ModelKind],
    reports: &[SliceFitReport],
    spec: &SurfaceGridSpec,
) -> (Arc<SurfaceSummary>, Option<Arc<TermCurves>>) {
    let cache_id = ui.make_persistent_id("surface_summary");
    let key = inputs_key(snapshot, kinds, reports, spec);
    if let Some(cached) = ui.data(|d| d.get_temp::<CachedSummary>(cache_id)).filter(|c| c.key == key) {
        return (cached.summary, cached.term);
    }
    let summary = Arc::new(surface_summary(snapshot, kinds, reports, spec));
    let term = continuous_term(snapshot, kinds, reports).map(Arc::new);
    let cached = CachedSummary { key, summary: Arc::clone(&summary), term: term.clone() };
    ui.data_mut(|d| d.insert_temp(cache_id, cached));
    (summary, term)
}

/// Term structures of the continuous surface, when every fitted expiry belongs to one surface model that can
/// read its slices back (eSSVI): from near T = 0 to the last expiry.
fn continuous_term(snapshot: &Snapshot, kinds: &[ModelKind], reports: &[SliceFitReport]) -> Option<TermCurves> {
    let mut used = kinds.iter().zip(reports).filter(|(_, r)| r.status.is_usable()).map(|(k, _)| *k);
    let kind = used.next()?;
    if used.any(|k| k != kind) {
        return None;
    }
    let model = kind.surface()?;
    let surface = ContinuousSurface::from_reports(model.as_ref(), &snapshot.slices, reports)?;
    let t_max_days = surface.expiry_times().last()? * 365.0;
    Some(term_curves(&surface, t_max_days, TERM_POINTS))
}

/// A hash of everything the summary depends on.
fn inputs_key(snapshot: &Snapshot, kinds: &[ModelKind], reports: &[SliceFitReport], spec: &SurfaceGridSpec) -> u64 {
    let mut h = DefaultHasher::new();
    for s in &snapshot.slices {
        (s.expiry_ms, s.t_years.to_bits(), s.forward.to_bits()).hash(&mut h);
    }
    for kind in kinds {
        kind.name().hash(&mut h);
        if let ModelKind::Sabr { beta: Some(beta) } = kind {
            beta.to_bits().hash(&mut h);
        }
    }
    for r in reports {
        (r.status.is_usable(), r.n_quotes, r.residuals.len()).hash(&mut h);
        r.params.iter().for_each(|p| p.to_bits().hash(&mut h));
    }
    (spec.k_min.to_bits(), spec.k_max.to_bits(), spec.k_points).hash(&mut h);
    spec.call_deltas.iter().for_each(|d| d.to_bits().hash(&mut h));
    (snapshot.slices.len(), kinds.len(), reports.len()).hash(&mut h);
    h.finish()
}

/// One line: axis toggle, k range, colour scale, calendar verdict (violations listed, all of them on hover).
fn header_ui(ui: &mut Ui, view: &mut SurfaceView, summary: &SurfaceSummary) {
    let pal = theme::palette(ui);
    ui.horizontal(|ui| {
        ui.label(RichText::new("Heatmap").strong());
        ui.selectable_value(&mut view.axis, HeatAxis::LogMoneyness, "k");
        ui.selectable_value(&mut view.axis, HeatAxis::CallDelta, "call Δ");
        if view.axis == HeatAxis::LogMoneyness {
            ui.label("±");
            ui.add(egui::DragValue::new(&mut view.k_half_width).range(0.05..=5.0).speed(0.01).max_decimals(2))
                .on_hover_text("half-width of the heatmap's k range");
        }
        ui.separator();
        colour_scale_ui(ui, pal, heat_grid(summary, view.axis));
        ui.separator();
        calendar_text_ui(ui, pal, summary);
    });
}

/// The grid the heatmap shows.
fn heat_grid(summary: &SurfaceSummary, axis: HeatAxis) -> &HeatGrid {
    match axis {
        HeatAxis::LogMoneyness => &summary.k_grid,
        HeatAxis::CallDelta => &summary.delta_grid,
    }
}

/// The vol range the colours span: the vols inside the fits' quoted k ranges (the extrapolated wings of short
/// expiries would otherwise flatten the scale; beyond it colours saturate), else the grid's min and max;
/// widened when the ends coincide.
fn colour_range(grid: &HeatGrid) -> Option<(f64, f64)> {
    let (lo, hi) = grid.quoted_vol_range_pct.or(grid.min_vol_pct.zip(grid.max_vol_pct))?;
    Some(if hi > lo { (lo, hi) } else { (lo - 0.5, hi + 0.5) })
}

/// min % [gradient] max %, with ≤ / ≥ when the grid reaches beyond the scale.
fn colour_scale_ui(ui: &mut Ui, pal: &'static Palette, grid: &HeatGrid) {
    let Some((lo, hi)) = colour_range(grid) else {
        ui.label(RichText::new("no vols").weak());
        return;
    };
    let below = if grid.min_vol_pct.is_some_and(|m| m < lo) { "≤" } else { "" };
    let above = if grid.max_vol_pct.is_some_and(|m| m > hi) { "≥" } else { "" };
    let scale_note = format!(
        "colours span the fitted vols inside each expiry's quoted k range; grid min {} %, max {} %",
        fmt_opt(grid.min_vol_pct, ""),
        fmt_opt(grid.max_vol_pct, "")
    );
    ui.label(format!("{below}{lo:.1} %")).on_hover_text(&scale_note);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(110.0, 10.0), Sense::hover());
    let painter = ui.painter_at(rect);
    let segment = rect.width() / LEGEND_SEGMENTS as f32;
    for i in 0..LEGEND_SEGMENTS {
        let t = (i as f64 + 0.5) / LEGEND_SEGMENTS as f64;
        let left = rect.left() + segment * i as f32;
        let cell =
            egui::Rect::from_min_max(egui::pos2(left, rect.top()), egui::pos2(left + segment + 0.5, rect.bottom()));
        painter.rect_filled(cell, 0.0, theme::heat(pal, t));
    }
    ui.label(format!("{above}{hi:.1} %")).on_hover_text(scale_note);
}

/// "no calendar arbitrage", or the violating pairs (first ones on the line, all on hover).
fn calendar_text_ui(ui: &mut Ui, pal: &Palette, summary: &SurfaceSummary) {
    let bad: Vec<String> =
        summary.calendar.iter().filter(|p| p.is_decreasing()).map(|p| violation_text(summary, p)).collect();
    if bad.is_empty() {
        let checked = summary.calendar.iter().filter(|p| p.k_checked.is_some()).count();
        ui.label(RichText::new("no calendar arbitrage").color(pal.ok)).on_hover_text(format!(
            "total variance non-decreasing in T on {checked} consecutive pairs (quoted k overlap)"
        ));
        return;
    }
    let line = format!("calendar arbitrage ({}): {}", bad.len(), bad.join("; "));
    ui.add(Label::new(RichText::new(line).color(pal.error)).truncate()).on_hover_text(bad.join("\n"));
}

/// `27MAR26 – 24APR26: w falls on k in [0.15, 0.60] (9 pts), worst k = 0.60 (w 0.0812 > 0.0790)`.
fn violation_text(summary: &SurfaceSummary, pair: &CalendarPair) -> String {
    let label = |row: usize| summary.expiries.get(row).map_or("?", |e| e.label.as_str());
    let mut text = format!("{} – {}: w falls", label(pair.short_row), label(pair.long_row));
    if let Some((lo, hi)) = pair.violation_k_range {
        text += &format!(" on k in [{lo:.2}, {hi:.2}] ({} pts)", pair.violation_count);
    }
    if let Some(w) = pair.worst {
        text += &format!(", worst k = {:.2} (w {:.4} > {:.4})", w.k, w.w_short, w.w_long);
    }
    text
}

/// The three plots side by side in the remaining space; returns a clicked row.
fn plots_ui(
    ui: &mut Ui,
    summary: &SurfaceSummary,
    term: Option<&TermCurves>,
    axis: HeatAxis,
    selected_row: Option<usize>,
) -> Option<usize> {
    let height = ui.available_height().max(80.0);
    let gaps = 2.0 * ui.spacing().item_spacing.x;
    let width = (ui.available_width() - gaps).max(240.0);
    let heat_width = HEATMAP_WIDTH_SHARE * width;
    let line_width = 0.5 * (width - heat_width);
    ui.horizontal(|ui| {
        let heat = heatmap_ui(ui, summary, axis, selected_row, egui::vec2(heat_width, height));
        let term_row = term_structure_ui(ui, summary, term, selected_row, egui::vec2(line_width, height));
        let skew = rr_bf_ui(ui, summary, term, selected_row, egui::vec2(line_width, height));
        heat.or(term_row).or(skew)
    })
    .inner
}

/// The heatmap: rows are expiries (shortest on top), columns k or call delta (in %).
fn heatmap_ui(
    ui: &mut Ui,
    summary: &SurfaceSummary,
    axis: HeatAxis,
    selected_row: Option<usize>,
    size: egui::Vec2,
) -> Option<usize> {
    let pal = theme::palette(ui);
    let grid = heat_grid(summary, axis);
    let columns = column_x(grid, axis);
    let n_rows = grid.vols_pct.len();
    let label_every = ((n_rows as f32 * ROW_LABEL_PX / size.y).ceil() as usize).max(1);
    let row_label = |value: f64| {
        let row = value.round();
        let fits = (value - row).abs() < 1e-6 && row >= 0.0;
        fits.then(|| summary.expiries.get(row as usize).map(|e| e.label.clone())).flatten().unwrap_or_default()
    };
    let response = Plot::new("surface_heatmap")
        .width(size.x)
        .height(size.y)
        .invert_y(true)
        .invert_x(axis == HeatAxis::CallDelta)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .show_grid(false)
        .x_axis_label(axis_label(axis))
        .y_grid_spacer(move |_| row_marks(n_rows, label_every))
        .custom_y_axes(vec![AxisHints::new_y()
            .formatter(move |mark, _| row_label(mark.value))
            .label_spacing(ROW_LABEL_PX - 1.0..=ROW_LABEL_PX)])
        .show(ui, |plot| {
            if let Some(heatmap) = heatmap_item(pal, grid, &columns) {
                plot.heatmap(heatmap);
            }
            plot.vline(VLine::new("ATM", if axis == HeatAxis::CallDelta { 50.0 } else { 0.0 }).color(pal.atm));
            if let (HeatAxis::LogMoneyness, Some((&first, &last))) = (axis, columns.first().zip(columns.last())) {
                let half = 0.5 * column_step(&columns);
                quoted_range_lines(plot, summary, pal, (first - half, last + half));
                calendar_marks_on_heatmap(plot, summary, pal);
            }
            if let (Some(row), Some((&first, &last))) = (selected_row, columns.first().zip(columns.last())) {
                let half = 0.5 * column_step(&columns);
                let outline = row_outline("selected", row, first - half, last + half);
                plot.line(outline.color(pal.selected).width(1.5).allow_hover(false));
            }
        });
    heatmap_hover_and_click(response, summary, grid, &columns, axis)
}

/// Column coordinates as drawn: k, or call delta in percent.
fn column_x(grid: &HeatGrid, axis: HeatAxis) -> Vec<f64> {
    match axis {
        HeatAxis::LogMoneyness => grid.x.clone(),
        HeatAxis::CallDelta => grid.x.iter().map(|d| 100.0 * d).collect(),
    }
}

fn axis_label(axis: HeatAxis) -> &'static str {
    match axis {
        HeatAxis::LogMoneyness => "k = ln(K/F)",
        HeatAxis::CallDelta => "call Δ (%)",
    }
}

/// Spacing of evenly spaced columns (1 for a single column).
fn column_step(columns: &[f64]) -> f64 {
    match columns {
        [a, b, ..] if b > a => b - a,
        _ => 1.0,
    }
}

/// One y-axis mark per `every` rows, at the row centres.
fn row_marks(n_rows: usize, every: usize) -> Vec<GridMark> {
    (0..n_rows).step_by(every).map(|row| GridMark { value: row as f64, step_size: every as f64 }).collect()
}

/// The tiles: row r centred on y = r, column c centred on its x; missing vols in `heat_missing`.
fn heatmap_item(pal: &'static Palette, grid: &HeatGrid, columns: &[f64]) -> Option<Heatmap> {
    let (lo, hi) = colour_range(grid)?;
    let (first, step) = (*columns.first()?, column_step(columns));
    let values: Vec<f64> = grid.vols_pct.iter().flat_map(|row| row.iter().copied()).collect();
    let colour =
        move |vol: f64| if vol.is_finite() { theme::heat(pal, (vol - lo) / (hi - lo)) } else { pal.heat_missing };
    Some(
        Heatmap::new(values, columns.len())
            .at(PlotPoint::new(first - 0.5 * step, -0.5))
            .tile_size(step as f32, 1.0)
            .show_labels(false)
            .custom_mapping(Box::new(colour))
            .name("fitted IV"),
    )
}

/// The k range each fit's quotes covered, as a staircase on either side (beyond it the smile is extrapolated),
/// held inside the heatmap's `x_range`.
fn quoted_range_lines(plot: &mut egui_plot::PlotUi<'_>, summary: &SurfaceSummary, pal: &Palette, x_range: (f64, f64)) {
    let (mut left, mut right) = (Vec::new(), Vec::new());
    for (row, range) in summary.expiries.iter().enumerate().map(|(r, e)| (r as f64, e.quoted_k_range)) {
        if let Some((lo, hi)) = range {
            let (lo, hi) = (lo.clamp(x_range.0, x_range.1), hi.clamp(x_range.0, x_range.1));
            push_distinct(&mut left, [[lo, row - 0.5], [lo, row + 0.5]]);
            push_distinct(&mut right, [[hi, row - 0.5], [hi, row + 0.5]]);
        }
    }
    plot.line(line("quoted k range", left).color(pal.bid_ask_unusable).width(1.0).allow_hover(false));
    plot.line(line("quoted k range", right).color(pal.bid_ask_unusable).width(1.0).allow_hover(false));
}

/// Appends `points`, skipping any equal to the last one (a repeated point breaks the line's joins).
fn push_distinct(line: &mut Vec<[f64; 2]>, points: [[f64; 2]; 2]) {
    for p in points {
        if line.last() != Some(&p) {
            line.push(p);
        }
    }
}

/// Each calendar violation as a thick segment on the border between its two rows, over the violating k range.
fn calendar_marks_on_heatmap(plot: &mut egui_plot::PlotUi<'_>, summary: &SurfaceSummary, pal: &Palette) {
    for pair in summary.calendar.iter().filter(|p| p.is_decreasing()) {
        if let Some((lo, hi)) = pair.violation_k_range {
            let y = pair.short_row as f64 + 0.5;
            let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - 0.01, hi + 0.01) };
            let mark = line("calendar arbitrage", vec![[lo, y], [hi, y]]);
            plot.line(mark.color(pal.error).width(3.0).allow_hover(false));
        }
    }
}

/// A closed rectangle around row `row` from `x0` to `x1`.
fn row_outline(name: &str, row: usize, x0: f64, x1: f64) -> Line<'static> {
    let (top, bottom) = (row as f64 - 0.5, row as f64 + 0.5);
    line(name, vec![[x0, top], [x1, top], [x1, bottom], [x0, bottom], [x0, top]])
}

/// Hover text (expiry, k or delta, vol) and the row under a click.
fn heatmap_hover_and_click(
    response: PlotResponse<()>,
    summary: &SurfaceSummary,
    grid: &HeatGrid,
    columns: &[f64],
    axis: HeatAxis,
) -> Option<usize> {
    let cell_at = |pos: egui::Pos2| cell_under(&response.transform, pos, columns, grid.vols_pct.len());
    let clicked = response.response.clicked().then(|| response.response.interact_pointer_pos()).flatten();
    let clicked_row = clicked.and_then(cell_at).map(|(row, _)| row);
    if let Some((row, col)) = response.response.hover_pos().and_then(cell_at) {
        let text = cell_text(summary, grid, axis, row, col);
        show_tooltip_now(&response.response, text);
    }
    clicked_row
}

/// A tooltip at the pointer from this frame on (as egui_plot shows its own hover labels, without the delay of
/// `on_hover_text`).
fn show_tooltip_now(response: &egui::Response, text: String) {
    let anchor = egui::PopupAnchor::Pointer;
    let tooltip = egui::Tooltip::always_open(response.ctx.clone(), response.layer_id, response.id, anchor);
    tooltip.gap(12.0).show(|ui| ui.label(text));
}

/// The (row, column) of the tile under a screen position.
fn cell_under(transform: &PlotTransform, pos: egui::Pos2, columns: &[f64], n_rows: usize) -> Option<(usize, usize)> {
    let value = transform.value_from_position(pos);
    let first = *columns.first()?;
    let col = ((value.x - first) / column_step(columns)).round();
    let row = value.y.round();
    let inside = col >= 0.0 && (col as usize) < columns.len() && row >= 0.0 && (row as usize) < n_rows;
    inside.then_some((row as usize, col as usize))
}

/// `27MAR26 (11.0 d) · k = 0.100 · IV 52.34 %`.
fn cell_text(summary: &SurfaceSummary, grid: &HeatGrid, axis: HeatAxis, row: usize, col: usize) -> String {
    let Some(expiry) = summary.expiries.get(row) else {
        return String::new();
    };
    let k = grid.cell_k.get(row).and_then(|r| r.get(col)).copied().unwrap_or(f64::NAN);
    let place = match axis {
        HeatAxis::LogMoneyness => format!("k = {k:.3}"),
        HeatAxis::CallDelta => {
            format!("{:.0}Δ call · k = {k:.3}", 100.0 * grid.x.get(col).copied().unwrap_or(f64::NAN))
        }
    };
    let vol = grid.vol_pct(row, col).map_or("no vol".to_owned(), |v| format!("IV {v:.2} %"));
    format!("{} · {place} · {vol}", expiry_title(expiry))
}

/// ATM vol against T (days): line and points, the selected expiry highlighted, calendar-violating pairs in the
/// error colour; for a surface model also the continuous surface's ATM vol at every T (thin) with its constant
/// maturities (1d … 1y, hollow markers).
fn term_structure_ui(
    ui: &mut Ui,
    summary: &SurfaceSummary,
    term: Option<&TermCurves>,
    selected_row: Option<usize>,
    size: egui::Vec2,
) -> Option<usize> {
    let pal = theme::palette(ui);
    let atm: Vec<(usize, [f64; 2])> = summary
        .expiries
        .iter()
        .enumerate()
        .filter_map(|(row, e)| e.atm_vol_pct.map(|v| (row, [e.t_days(), v])))
        .collect();
    let point_of = |row: usize| atm.iter().find(|(r, _)| *r == row).map(|(_, p)| *p);
    let response = small_plot("surface_atm_term", size, "T (days)", "ATM vol (%)")
        .label_formatter(|pos| {
            let e = nearest_expiry(summary, hover_point(pos).x)?;
            Some(format!("{}\nATM {}", expiry_title(e), fmt_opt(e.atm_vol_pct, " %")))
        })
        .show(ui, |plot| {
            if let Some(term) = term {
                plot.line(line("surface", term.atm_vol_pct.clone()).color(pal.fit_alt).width(1.0));
                let fixed: Vec<[f64; 2]> =
                    term.tenors.iter().filter_map(|r| Some([r.tenor_days, r.d25.atm_vol_pct?])).collect();
                plot.points(Points::new("constant maturity", fixed).color(pal.fit_alt).radius(3.5).filled(false));
            }
            let points: Vec<[f64; 2]> = atm.iter().map(|(_, p)| *p).collect();
            plot.line(line("ATM vol", points.clone()).color(pal.fit).width(1.5));
            plot.points(Points::new("ATM vol", points).color(pal.fit).radius(2.5));
            for pair in summary.calendar.iter().filter(|p| p.is_decreasing()) {
                if let (Some(a), Some(b)) = (point_of(pair.short_row), point_of(pair.long_row)) {
                    plot.line(line("calendar arbitrage", vec![a, b]).color(pal.error).width(3.0));
                    plot.points(Points::new("calendar arbitrage", vec![a, b]).color(pal.error).radius(4.0));
                }
            }
            if let Some(p) = selected_row.and_then(point_of) {
                plot.points(Points::new("selected", vec![p]).color(pal.selected).radius(5.0).filled(false));
            }
        });
    clicked_expiry(&response, summary)
}

/// 25Δ risk reversal and butterfly (vol points) against T (days), zero line, selected expiry marked; for a
/// surface model also both at every T of the continuous surface (dotted).
fn rr_bf_ui(
    ui: &mut Ui,
    summary: &SurfaceSummary,
    term: Option<&TermCurves>,
    selected_row: Option<usize>,
    size: egui::Vec2,
) -> Option<usize> {
    let pal = theme::palette(ui);
    let series = |value: fn(&ExpirySummary) -> Option<f64>| -> Vec<[f64; 2]> {
        summary.expiries.iter().filter_map(|e| value(e).map(|v| [e.t_days(), v])).collect()
    };
    let (rr, bf) = (series(|e| e.rr_25d_vol_pts), series(|e| e.bf_25d_vol_pts));
    let response = small_plot("surface_rr_bf", size, "T (days)", "25Δ RR, BF (vol pts)")
        .label_formatter(|pos| {
            let e = nearest_expiry(summary, hover_point(pos).x)?;
            let (rr, bf) = (fmt_opt(e.rr_25d_vol_pts, ""), fmt_opt(e.bf_25d_vol_pts, ""));
            Some(format!("{}\nRR 25Δ {rr} · BF 25Δ {bf} vol pts", expiry_title(e)))
        })
        .show(ui, |plot| {
            plot.hline(HLine::new("0", 0.0).color(pal.atm).width(0.5));
            if let Some(term) = term {
                for (name, points) in [("RR surface", &term.rr25_vol_pts), ("BF surface", &term.bf25_vol_pts)] {
                    plot.line(
                        line(name, points.clone())
                            .color(pal.fit_alt)
                            .width(1.0)
                            .style(egui_plot::LineStyle::dotted_dense()),
                    );
                }
            }
            for (name, points, colour) in [("RR", rr, pal.fit), ("BF", bf, pal.fit_alt)] {
                if let Some(&[x, y]) = points.last() {
                    let label = RichText::new(name).color(colour).strong();
                    plot.text(Text::new(name, PlotPoint::new(x, y), label).anchor(Align2::RIGHT_BOTTOM));
                }
                plot.line(line(name, points.clone()).color(colour).width(1.5));
                plot.points(Points::new(name, points).color(colour).radius(2.0));
            }
            if let Some(e) = selected_row.and_then(|row| summary.expiries.get(row)) {
                plot.vline(VLine::new("selected", e.t_days()).color(pal.selected).width(1.0));
            }
        });
    clicked_expiry(&response, summary)
}

/// A plot line drawn point to point (egui_plot's band aggregation, meant for dense series, would smear the
/// staircases and steep short-dated segments drawn here).
fn line<'a>(name: &str, points: Vec<[f64; 2]>) -> Line<'a> {
    Line::new(name, points).allow_band(false)
}

/// A fixed (no pan or zoom) line plot of the given size.
fn small_plot<'a>(id: &str, size: egui::Vec2, x_label: &str, y_label: &str) -> Plot<'a> {
    Plot::new(id)
        .width(size.x)
        .height(size.y)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .include_x(0.0)
        .x_axis_label(x_label.to_owned())
        .y_axis_label(y_label.to_owned())
}

/// The plot point under the pointer (or of the nearest data point).
fn hover_point(pos: &HoverPosition<'_>) -> PlotPoint {
    match pos {
        HoverPosition::NearDataPoint { position, .. } | HoverPosition::Elsewhere { position } => *position,
    }
}

/// The expiry whose T (days) is nearest `t_days`.
fn nearest_expiry(summary: &SurfaceSummary, t_days: f64) -> Option<&ExpirySummary> {
    summary.expiries.iter().min_by(|a, b| (a.t_days() - t_days).abs().total_cmp(&(b.t_days() - t_days).abs()))
}

/// `27MAR26 (11.0 d)`.
fn expiry_title(e: &ExpirySummary) -> String {
    format!("{} ({:.1} d)", e.label, e.t_days())
}

/// A value with two decimals and `unit`, or a dash.
fn fmt_opt(value: Option<f64>, unit: &str) -> String {
    value.map_or("–".to_owned(), |v| format!("{v:.2}{unit}"))
}

/// The row of the expiry nearest a click along x, within [`CLICK_RADIUS_PX`].
fn clicked_expiry(response: &PlotResponse<()>, summary: &SurfaceSummary) -> Option<usize> {
    if !response.response.clicked() {
        return None;
    }
    let pointer = response.response.interact_pointer_pos()?;
    summary
        .expiries
        .iter()
        .enumerate()
        .map(|(row, e)| (row, (response.transform.position_from_point_x(e.t_days()) - pointer.x).abs()))
        .filter(|(_, distance)| *distance <= CLICK_RADIUS_PX)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(row, _)| row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibrate::{fit_snapshot, FitConfig};

    /// The id [`surface_ui`] keeps its [`SurfaceView`] under.
    fn view_id(ui: &Ui) -> egui::Id {
        ui.make_persistent_id("surface_view")
    }

    fn fitted_sample() -> (Snapshot, Vec<ModelKind>, Vec<SliceFitReport>) {
        let raw = crate::io::load_bytes(crate::sample::SAMPLE_CSV.as_bytes(), "sample.csv", &Default::default())
            .expect("sample loads");
        let snap = raw.snapshot(&Default::default()).expect("sample builds");
        let reports = fit_snapshot(&snap, |s| ModelKind::Svi.for_slice(s), &FitConfig::default());
        let kinds = vec![ModelKind::Svi; snap.slices.len()];
        (snap, kinds, reports)
    }

    fn input(events: Vec<egui::Event>) -> egui::RawInput {
        egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1000.0, 240.0))),
            events,
            ..Default::default()
        }
    }

    /// Runs one frame; returns the clicked slice, if any.
    fn frame(
        ctx: &egui::Context,
        events: Vec<egui::Event>,
        data: &(Snapshot, Vec<ModelKind>, Vec<SliceFitReport>),
        view: Option<SurfaceView>,
    ) -> Option<usize> {
        let mut clicked = None;
        let output = ctx.run_ui(input(events), |ui| {
            if let Some(v) = view {
                let id = view_id(ui);
                ui.data_mut(|d| d.insert_temp(id, v));
            }
            clicked = surface_ui(ui, &data.0, &data.1, &data.2, 3);
        });
        output.drop_without_applying_deltas();
        clicked
    }

    #[test]
    fn draws_the_fitted_sample_on_both_axes() {
        let data = fitted_sample();
        let ctx = egui::Context::default();
        for dark in [true, false] {
            ctx.set_visuals(if dark { egui::Visuals::dark() } else { egui::Visuals::light() });
            assert_eq!(frame(&ctx, Vec::new(), &data, None), None);
            let delta = SurfaceView { axis: HeatAxis::CallDelta, ..Default::default() };
            assert_eq!(frame(&ctx, Vec::new(), &data, Some(delta)), None);
        }
        // Hovering every plot (tooltips are built) does not panic.
        for x in [100.0, 300.0, 600.0, 900.0] {
            frame(&ctx, vec![egui::Event::PointerMoved(egui::pos2(x, 120.0))], &data, None);
        }
    }

    #[test]
    fn clicking_a_heatmap_row_selects_its_expiry() {
        let data = fitted_sample();
        let ctx = egui::Context::default();
        frame(&ctx, Vec::new(), &data, None);
        let pos = egui::pos2(230.0, 120.0);
        let button = |pressed| egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: Default::default(),
        };
        frame(&ctx, vec![egui::Event::PointerMoved(pos), button(true)], &data, None);
        let clicked = frame(&ctx, vec![button(false)], &data, None);
        let slice = clicked.expect("a click on the heatmap selects an expiry");
        assert!(slice < data.0.slices.len());
    }

    #[test]
    fn calendar_violation_and_missing_fits_draw() {
        let (snap, kinds, mut reports) = fitted_sample();
        reports[0].status = crate::calibrate::FitStatus::Failed { reason: "test".into() };
        // Lower the SVI level of one expiry: its total variance falls below the previous one's.
        let lowered = reports.len() / 2;
        reports[lowered].params[0] -= 0.02;
        let data = (snap, kinds, reports);
        let summary = surface_summary(&data.0, &data.1, &data.2, &SurfaceView::default().grid_spec());
        assert!(!summary.calendar_ok());
        let ctx = egui::Context::default();
        frame(&ctx, Vec::new(), &data, None);
        frame(&ctx, Vec::new(), &data, Some(SurfaceView { axis: HeatAxis::CallDelta, k_half_width: 3.0 }));
        // No fit at all: a note, no plots.
        let empty = (data.0.clone(), data.1.clone(), Vec::new());
        assert_eq!(frame(&ctx, Vec::new(), &empty, None), None);
    }

    #[test]
    fn summary_is_cached_until_a_fit_changes() {
        let mut data = fitted_sample();
        let spec = SurfaceView::default().grid_spec();
        let key = inputs_key(&data.0, &data.1, &data.2, &spec);
        assert_eq!(key, inputs_key(&data.0, &data.1, &data.2, &spec));
        data.2[4].params[1] *= 1.01;
        assert_ne!(key, inputs_key(&data.0, &data.1, &data.2, &spec));
        let ctx = egui::Context::default();
        let started = std::time::Instant::now();
        frame(&ctx, Vec::new(), &data, None);
        let first = started.elapsed();
        let started = std::time::Instant::now();
        for _ in 0..10 {
            frame(&ctx, Vec::new(), &data, None);
        }
        eprintln!("surface tab: first frame {first:?}, cached frames {:?} each", started.elapsed() / 10);
    }
}
