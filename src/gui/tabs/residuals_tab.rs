//! The Residuals tab: the per-quote table of one slice's fit with exclude / include toggles, and bar charts of
//! the residuals against k, in vol points and in spread units.

use egui::{vec2, Align, Id, Layout, RichText, Ui};
use egui_plot::{Bar, BarChart, HLine, LineStyle, Plot};

use crate::calibrate::{Exclusion, QuoteResidual, QuoteUse, SliceFitReport};
use crate::gui::theme;
use crate::pricing::OptionKind;

/// Below this width the table and the charts are stacked instead of side by side, points.
const MIN_SPLIT_WIDTH_PT: f32 = 900.0;
/// The table beside the charts is never narrower than this, points.
const MIN_TABLE_WIDTH_PT: f32 = 360.0;
/// Below this width per chart the two charts are stacked instead of side by side, points.
const MIN_CHART_WIDTH_PT: f32 = 260.0;
/// A quote whose model vol sits on its bid or ask vol is about this far from its mid vol, in spread units.
const HALF_SPREAD_UNITS: f64 = 0.5;

/// Mean and median of the residuals of the quotes used in a fit (the report's own RMSE, max |err| and
/// inside-spread share complete the picture).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ResidualStats {
    /// Used quotes with a residual in vol points.
    pub n_used: usize,
    /// Mean (model − mid) over the used quotes, vol points (NaN when there are none).
    pub mean_vol_pts: f64,
    /// Used quotes with a residual in spread units (two-sided quotes).
    pub n_spread: usize,
    /// Mean (model − mid) / (ask − bid) over the used quotes, spread units (NaN when there are none).
    pub mean_spread_units: f64,
    /// Median of the same, spread units (NaN when there are none).
    pub median_spread_units: f64,
}

/// Mean and median residuals over the used quotes of `report`; non-finite residuals are skipped.
pub fn residual_stats(report: &SliceFitReport) -> ResidualStats {
    let used = || report.residuals.iter().filter(|q| q.used == QuoteUse::Used);
    let vol_pts: Vec<f64> = used().filter_map(|q| q.residual_vol_pts).filter(|x| x.is_finite()).collect();
    let spread_units: Vec<f64> = used().filter_map(|q| q.residual_spread_units).filter(|x| x.is_finite()).collect();
    ResidualStats {
        n_used: vol_pts.len(),
        mean_vol_pts: mean(&vol_pts),
        n_spread: spread_units.len(),
        mean_spread_units: mean(&spread_units),
        median_spread_units: median(spread_units),
    }
}

fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        f64::NAN
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

fn median(xs: Vec<f64>) -> f64 {
    crate::numeric::median(xs).unwrap_or(f64::NAN)
}

/// One bar of the residual charts: a quote the fit evaluated (it has a model vol and a mid vol).
#[derive(Clone, Debug, PartialEq)]
pub struct ResidualBar {
    /// Instrument name.
    pub instrument: String,
    /// Log-moneyness of the quote.
    pub k: f64,
    /// Where the bar is drawn on the k axis: calls right of k, puts left, so both sides of a strike show.
    pub x: f64,
    /// Bar width in k.
    pub width_k: f64,
    /// (model − mid), vol points.
    pub vol_pts: f64,
    /// (model − mid) / (ask − bid) in vol terms, when two-sided.
    pub spread_units: Option<f64>,
    /// `true` when the quote took part in the fit.
    pub used: bool,
    /// Hover text: instrument, k, both residuals, use.
    pub hover: String,
}

/// The bars of every quote of `report` with a finite residual in vol points, in report order.
pub fn residual_bars(report: &SliceFitReport) -> Vec<ResidualBar> {
    let evaluated: Vec<&QuoteResidual> =
        report.residuals.iter().filter(|q| q.residual_vol_pts.is_some_and(f64::is_finite)).collect();
    let pair_width_k = 0.8 * min_k_gap(evaluated.iter().map(|q| q.k));
    evaluated
        .into_iter()
        .map(|q| {
            let vol_pts = q.residual_vol_pts.unwrap_or(f64::NAN);
            let spread_units = q.residual_spread_units.filter(|x| x.is_finite());
            let side = if q.kind == OptionKind::Put { -0.25 } else { 0.25 };
            ResidualBar {
                instrument: q.instrument.clone(),
                k: q.k,
                x: q.k + side * pair_width_k,
                width_k: 0.5 * pair_width_k,
                vol_pts,
                spread_units,
                used: q.used == QuoteUse::Used,
                hover: bar_hover(q, vol_pts, spread_units),
            }
        })
        .collect()
}

fn bar_hover(q: &QuoteResidual, vol_pts: f64, spread_units: Option<f64>) -> String {
    let spread = spread_units.map(|s| format!("{s:+.2} spread units")).unwrap_or_else(|| "one-sided".to_owned());
    let used = match &q.used {
        QuoteUse::Used => "used".to_owned(),
        QuoteUse::Excluded(why) => why.to_string(),
    };
    format!("{}\nk = {:.4}\n{vol_pts:+.3} vol pts · {spread}\n{used}", q.instrument, q.k)
}

/// Smallest gap between distinct k values (a twentieth of the range when there is one k or none, at least
/// 1/400 of the range so a close pair of strikes does not make every bar a hairline).
fn min_k_gap(ks: impl Iterator<Item = f64>) -> f64 {
    let mut ks: Vec<f64> = ks.filter(|k| k.is_finite()).collect();
    ks.sort_by(f64::total_cmp);
    let range = match (ks.first(), ks.last()) {
        (Some(lo), Some(hi)) if hi > lo => hi - lo,
        _ => 0.1,
    };
    let gap = ks.windows(2).map(|w| w[1] - w[0]).filter(|d| *d > 1e-9).fold(f64::INFINITY, f64::min);
    if gap.is_finite() {
        gap.max(range / 400.0)
    } else {
        range / 20.0
    }
}

fn opt(x: Option<f64>, scale: f64, decimals: usize) -> String {
    x.map(|v| format!("{:.*}", decimals, v * scale)).unwrap_or_default()
}

/// Residuals of one slice's fit: a summary line, the table (market vols, model vol, residual in vol points
/// and spread units, use, an exclude / include toggle) and beside it bar charts of the residuals against k;
/// returns the instrument whose toggle was clicked.
pub fn residuals_ui(ui: &mut Ui, report: &SliceFitReport) -> Option<String> {
    summary_line_ui(ui, report);
    let size = ui.available_size();
    let bars = residual_bars(report);
    let mut toggled = None;
    if size.x < MIN_SPLIT_WIDTH_PT {
        let table_height_pt = 0.5 * size.y;
        ui.allocate_ui_with_layout(vec2(size.x, table_height_pt), Layout::top_down(Align::Min), |ui| {
            toggled = residual_table_ui(ui, report);
        });
        charts_ui(ui, &bars, vec2(size.x, ui.available_height()));
        return toggled;
    }
    let table_width_pt = table_width_pt(ui, size.x);
    ui.horizontal_top(|ui| {
        ui.allocate_ui_with_layout(vec2(table_width_pt, size.y), Layout::top_down(Align::Min), |ui| {
            toggled = residual_table_ui(ui, report);
        });
        ui.separator();
        charts_ui(ui, &bars, ui.available_size());
    });
    toggled
}

/// Width of the table beside the charts: its content's width in the last frame (half the width before the
/// first), at most 60 % of `available_pt` so the charts keep room.
fn table_width_pt(ui: &Ui, available_pt: f32) -> f32 {
    let content_pt: Option<f32> = ui.data(|d| d.get_temp(table_width_id()));
    let scroll_bar_pt = ui.spacing().scroll.bar_width + ui.spacing().scroll.bar_outer_margin + 4.0;
    let wanted_pt = content_pt.map_or(0.5 * available_pt, |w| w + scroll_bar_pt);
    wanted_pt.clamp(MIN_TABLE_WIDTH_PT, (0.6 * available_pt).max(MIN_TABLE_WIDTH_PT))
}

fn table_width_id() -> Id {
    Id::unique("residual_table_content_width")
}

fn summary_line_ui(ui: &mut Ui, report: &SliceFitReport) {
    let stats = residual_stats(report);
    if stats.n_used == 0 {
        let why = match &report.status {
            crate::calibrate::FitStatus::Failed { reason } => format!(": {reason}"),
            _ => String::new(),
        };
        ui.label(format!("No quote used by the fit{why}. The table lists every quote and why it was left out."));
        return;
    }
    ui.label(format!(
        "{} used quotes · mean {:+.3} vol pts · RMSE {:.3} · max |err| {:.3} · inside spread {:.1} % · \
         spread units: mean {:+.2}, median {:+.2} (n = {})",
        stats.n_used,
        stats.mean_vol_pts,
        report.rmse_vol_pts,
        report.max_abs_err_vol_pts,
        100.0 * report.inside_spread_share,
        stats.mean_spread_units,
        stats.median_spread_units,
        stats.n_spread
    ))
    .on_hover_text(
        "Residual = model − mid over the quotes used in the fit. A spread unit is (model − mid) / (ask − bid) in \
         vol terms: a model vol inside the quote's bid/ask is within about ±0.5 (exactly so when the mid vol is \
         halfway between the bid and ask vols).",
    );
}

/// The residual table in a scroll area that fills `ui`; returns the instrument whose toggle was clicked.
fn residual_table_ui(ui: &mut Ui, report: &SliceFitReport) -> Option<String> {
    let mut toggled = None;
    let output = egui::ScrollArea::both().id_salt("residuals").auto_shrink([false, false]).show(ui, |ui| {
        egui::Grid::new("residual_grid").striped(true).num_columns(10).spacing([12.0, 2.0]).show(ui, |ui| {
            for h in [
                "Instrument",
                "k",
                "Bid IV",
                "Mid IV",
                "Ask IV",
                "Model IV",
                "Resid (vol pts)",
                "Resid (spreads)",
                "Use",
                "",
            ] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for q in &report.residuals {
                ui.label(&q.instrument);
                ui.label(format!("{:.4}", q.k));
                ui.label(opt(q.bid_iv, 100.0, 2));
                ui.label(opt(q.mid_iv, 100.0, 2));
                ui.label(opt(q.ask_iv, 100.0, 2));
                ui.label(opt(q.model_iv, 100.0, 2));
                ui.label(opt(q.residual_vol_pts, 1.0, 3));
                ui.label(opt(q.residual_spread_units, 1.0, 2));
                match &q.used {
                    QuoteUse::Used => ui.label("used"),
                    QuoteUse::Excluded(why) => {
                        ui.label(RichText::new(why.to_string()).color(theme::palette(ui).bid_ask_unusable))
                    }
                };
                if exclusion_toggle_ui(ui, q) {
                    toggled = Some(q.instrument.clone());
                }
                ui.end_row();
            }
        });
    });
    ui.data_mut(|d| d.insert_temp(table_width_id(), output.content_size.x));
    toggled
}

/// "exclude" for a used quote, "include" for one the user left out (accessible name: the action and the
/// instrument, e.g. "exclude BTC-17APR26-80000-C"), nothing for a quote excluded for another reason; `true`
/// when clicked.
fn exclusion_toggle_ui(ui: &mut Ui, q: &QuoteResidual) -> bool {
    let (action, hover) = match &q.used {
        QuoteUse::Used => ("exclude", "Leave this quote out of the fit (ctrl+Z undoes)"),
        QuoteUse::Excluded(Exclusion::User) => ("include", "Put this quote back into the fit"),
        QuoteUse::Excluded(_) => {
            ui.label("");
            return false;
        }
    };
    ui.small_button(action).accessible_name(format!("{action} {}", q.instrument)).on_hover_text(hover).clicked()
}

/// Which residual a chart shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ResidualUnit {
    VolPoints,
    SpreadUnits,
}

impl ResidualUnit {
    fn value(self, bar: &ResidualBar) -> Option<f64> {
        match self {
            ResidualUnit::VolPoints => Some(bar.vol_pts),
            ResidualUnit::SpreadUnits => bar.spread_units,
        }
    }

    fn id(self) -> &'static str {
        match self {
            ResidualUnit::VolPoints => "residuals_vol_pts",
            ResidualUnit::SpreadUnits => "residuals_spread_units",
        }
    }

    fn axis_label(self) -> &'static str {
        match self {
            ResidualUnit::VolPoints => "model − mid (vol pts)",
            ResidualUnit::SpreadUnits => "model − mid (spread units)",
        }
    }
}

/// The two residual charts in `size`: side by side when each gets enough width, else stacked.
fn charts_ui(ui: &mut Ui, bars: &[ResidualBar], size: egui::Vec2) {
    if bars.is_empty() {
        ui.label("No evaluated quotes to chart.");
        return;
    }
    let spacing_pt = ui.spacing().item_spacing;
    if size.x >= 2.0 * MIN_CHART_WIDTH_PT {
        let chart = vec2(0.5 * (size.x - spacing_pt.x), size.y);
        ui.horizontal_top(|ui| {
            residual_chart_ui(ui, bars, ResidualUnit::VolPoints, chart);
            residual_chart_ui(ui, bars, ResidualUnit::SpreadUnits, chart);
        });
    } else {
        let chart = vec2(size.x, 0.5 * (size.y - spacing_pt.y));
        ui.vertical(|ui| {
            residual_chart_ui(ui, bars, ResidualUnit::VolPoints, chart);
            residual_chart_ui(ui, bars, ResidualUnit::SpreadUnits, chart);
        });
    }
}

/// The y range a residual chart opens at: the used quotes' residuals (every evaluated quote's when none is
/// used) and zero, padded by 8 %; in spread units also ±0.5 with room. Excluded quotes far off the fit (deep in
/// the money, stale) may run off it: zoom out or hover them.
pub fn chart_range(bars: &[ResidualBar], spread_units: bool) -> (f64, f64) {
    let value = |b: &ResidualBar| if spread_units { b.spread_units } else { Some(b.vol_pts) };
    let finite = |used: Option<bool>| {
        bars.iter().filter(move |b| used.is_none_or(|u| b.used == u)).filter_map(value).filter(|y| y.is_finite())
    };
    let values: Vec<f64> =
        if finite(Some(true)).next().is_some() { finite(Some(true)).collect() } else { finite(None).collect() };
    let floor = if spread_units { 1.2 * HALF_SPREAD_UNITS } else { 0.0 };
    let lo = values.iter().copied().fold(-floor, f64::min);
    let hi = values.iter().copied().fold(floor, f64::max);
    let pad = if hi > lo { 0.08 * (hi - lo) } else { 1.0 };
    (lo - pad, hi + pad)
}

/// One bar chart of residuals against k: used quotes in the fit colour, excluded (but evaluated) ones faint;
/// in spread units, dashed lines at ±0.5 mark the bid and ask. Hovering a bar shows its quote. The y range
/// is [`chart_range`], re-applied whenever it changes (a new fit or expiry); zoom and pan last until then.
fn residual_chart_ui(ui: &mut Ui, bars: &[ResidualBar], unit: ResidualUnit, size: egui::Vec2) {
    let pal = theme::palette(ui);
    let chart = |used: bool| {
        let items: Vec<Bar> = bars
            .iter()
            .filter(|b| b.used == used)
            .filter_map(|b| Some(Bar::new(b.x, unit.value(b)?).width(b.width_k).name(&b.hover)))
            .collect();
        let (name, color) =
            if used { ("used", pal.fit) } else { ("excluded", pal.bid_ask_unusable.gamma_multiply(0.45)) };
        BarChart::new(name, items).color(color).element_formatter(Box::new(|bar, _| bar.name.clone()))
    };
    let (used, excluded) = (chart(true), chart(false));
    let (lo, hi) = chart_range(bars, unit == ResidualUnit::SpreadUnits);
    let range_id = Id::unique(("residual_chart_range", unit.id()));
    let range_changed = ui.data_mut(|d| {
        let changed = d.get_temp::<(f64, f64)>(range_id) != Some((lo, hi));
        d.insert_temp(range_id, (lo, hi));
        changed
    });
    let mut plot = Plot::new(unit.id())
        .width(size.x.max(120.0))
        .height(size.y.max(80.0))
        .allow_scroll(false)
        .default_y_bounds(lo, hi)
        .x_axis_label("k")
        .y_axis_label(unit.axis_label());
    if range_changed {
        plot = plot.reset();
    }
    plot.show(ui, |plot| {
        plot.bar_chart(excluded);
        plot.bar_chart(used);
        if unit == ResidualUnit::SpreadUnits {
            let line = |name: &str, y: f64| {
                HLine::new(name, y).color(pal.atm).style(LineStyle::dashed_loose()).allow_hover(false)
            };
            plot.hline(line("≈ ask (+0.5)", HALF_SPREAD_UNITS));
            plot.hline(line("≈ bid (−0.5)", -HALF_SPREAD_UNITS));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibrate::{fit_slice, FitConfig};
    use crate::models::ModelKind;

    fn sample_report() -> SliceFitReport {
        let raw = crate::io::load_bytes(crate::sample::SAMPLE_CSV.as_bytes(), "sample", &Default::default()).unwrap();
        let snapshot = raw.snapshot(&Default::default()).unwrap();
        let slice = snapshot.slices.iter().max_by_key(|s| s.usable_count()).unwrap();
        fit_slice(ModelKind::Svi.for_slice(slice).as_ref(), slice, &FitConfig::default(), None)
    }

    #[test]
    fn median_and_mean_of_the_used_spread_units() {
        let report = sample_report();
        let stats = residual_stats(&report);
        let mut used: Vec<f64> = report
            .residuals
            .iter()
            .filter(|q| q.used == QuoteUse::Used)
            .filter_map(|q| q.residual_spread_units)
            .collect();
        assert!(!used.is_empty());
        assert_eq!(stats.n_spread, used.len());
        assert!((stats.mean_spread_units - report.mean_err_spread_units).abs() < 1e-12);
        used.sort_by(f64::total_cmp);
        let below = used.iter().filter(|x| **x < stats.median_spread_units).count();
        let above = used.iter().filter(|x| **x > stats.median_spread_units).count();
        assert!(below.abs_diff(above) <= 1, "{below} below, {above} above the median");
    }

    #[test]
    fn the_chart_range_covers_the_used_residuals_zero_and_the_spread_lines() {
        let report = sample_report();
        let bars = residual_bars(&report);
        let (lo, hi) = chart_range(&bars, false);
        assert!(lo < 0.0 && hi > 0.0);
        assert!(bars.iter().filter(|b| b.used).all(|b| lo < b.vol_pts && b.vol_pts < hi));
        let (lo, hi) = chart_range(&bars, true);
        assert!(lo < -HALF_SPREAD_UNITS && hi > HALF_SPREAD_UNITS);
        assert!(bars.iter().filter(|b| b.used).filter_map(|b| b.spread_units).all(|y| lo < y && y < hi));
        let (lo, hi) = chart_range(&[], false);
        assert!(lo < 0.0 && hi > 0.0, "an empty chart still has a range");
    }

    #[test]
    fn median_handles_even_odd_and_empty() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(vec![]).is_nan());
        assert!(mean(&[]).is_nan());
    }

    #[test]
    fn bars_cover_every_evaluated_quote_and_puts_sit_left_of_calls() {
        let report = sample_report();
        let bars = residual_bars(&report);
        let evaluated = report.residuals.iter().filter(|q| q.residual_vol_pts.is_some()).count();
        assert_eq!(bars.len(), evaluated);
        assert!(bars.iter().any(|b| b.used) && bars.iter().any(|b| !b.used));
        for b in &bars {
            assert!(b.width_k > 0.0 && b.hover.starts_with(&b.instrument));
            assert!((b.x - b.k).abs() <= b.width_k, "{} drawn at {} for k = {}", b.instrument, b.x, b.k);
            let is_put = b.instrument.ends_with("-P");
            assert_eq!(b.x < b.k, is_put, "{}", b.instrument);
        }
    }
}
