//! The chain viewer: expiry list, smile plot of the selected expiry, status bar.

use egui::{RichText, Ui};
use egui_plot::{Legend, Line, MarkerShape, Plot, Points, VLine};

use super::loaded::LoadedChain;
use super::theme;
use crate::calibrate::{FitStatus, SliceFitReport};

use crate::market::time::{format_date, format_utc};
use crate::market::{ExpirySlice, QuoteStatus, Snapshot};
use crate::models::ModelKind;
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

/// Points of the fitted curve.
const CURVE_POINTS: usize = 200;
/// How close (pixels) a click must be to a quote's mid to toggle it.
const CLICK_RADIUS_PX: f32 = 12.0;

/// What the smile's x axis shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
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

/// The fitted curve over the slice's quoted k range (widened by a tenth each side), vols in percent.
fn fitted_curve(kind: ModelKind, slice: &ExpirySlice, report: &SliceFitReport, axis: XAxis) -> Vec<[f64; 2]> {
    let model = kind.for_slice(slice);
    let (lo, hi) =
        slice.quotes.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), q| (lo.min(q.k), hi.max(q.k)));
    if !(hi > lo) || report.params.is_empty() {
        return Vec::new();
    }
    let pad = 0.1 * (hi - lo);
    (0..CURVE_POINTS)
        .map(|i| lo - pad + (hi - lo + 2.0 * pad) * i as f64 / (CURVE_POINTS - 1) as f64)
        .map(|k| (k, model.implied_vol(&report.params, k, slice.t_years)))
        .filter(|(_, v)| v.is_finite())
        .map(|(k, v)| [axis.x(slice, k, v), 100.0 * v])
        .collect()
}

/// What the user did in the smile plot.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SmileAction {
    /// Instrument whose mid the user clicked (to exclude or include it).
    pub toggled: Option<String>,
}

/// Smile of one slice: bid/ask vol bars, mids, marks, the forward and the fitted curve, on the chosen x axis.
/// Quotes in `excluded` are drawn as crosses; clicking a mid toggles it.
pub fn smile_plot_ui(
    ui: &mut Ui,
    slice: &ExpirySlice,
    fit: Option<(ModelKind, &SliceFitReport)>,
    axis: XAxis,
    excluded: &[String],
) -> SmileAction {
    let title = format!(
        "{}  ·  T = {:.2} d  ·  F = {:.2} ({})  ·  click a mid to exclude or include it",
        format_utc(slice.expiry_ms),
        slice.t_years * 365.0,
        slice.forward,
        slice.forward_source.label()
    );
    ui.label(RichText::new(title).strong());
    let pal = theme::palette(ui);
    let mut action = SmileAction::default();
    Plot::new("smile").legend(Legend::default()).x_axis_label(axis.label()).y_axis_label("implied vol (%)").show(
        ui,
        |plot| {
            let mut mids: Vec<(&str, [f64; 2])> = Vec::new();
            let (mut calls, mut puts, mut itm, mut marks, mut user_excluded) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for q in &slice.quotes {
                let vol_for_x = q.mid.iv.or(q.mark.iv).unwrap_or(0.5);
                let x = axis.x(slice, q.k, vol_for_x);
                if let (Some(b), Some(a)) = (q.bid.iv, q.ask.iv) {
                    let (name, colour) = if q.status == QuoteStatus::Ok {
                        ("bid/ask", pal.bid_ask_ok)
                    } else {
                        ("bid/ask (not usable)", pal.bid_ask_unusable)
                    };
                    plot.line(Line::new(name, vec![[x, 100.0 * b], [x, 100.0 * a]]).color(colour).width(2.0));
                }
                if let Some(m) = q.mid.iv {
                    let point = [x, 100.0 * m];
                    mids.push((&q.instrument, point));
                    let target = if excluded.iter().any(|e| e.as_str() == &*q.instrument) {
                        &mut user_excluded
                    } else {
                        match (q.is_otm(), q.kind) {
                            (false, _) => &mut itm,
                            (true, OptionKind::Call) => &mut calls,
                            (true, OptionKind::Put) => &mut puts,
                        }
                    };
                    target.push(point);
                }
                if let Some(m) = q.mark.iv {
                    marks.push([x, 100.0 * m]);
                }
            }
            plot.points(Points::new("mark", marks).color(pal.mark).shape(MarkerShape::Diamond).radius(2.0));
            plot.points(Points::new("mid (call)", calls).color(pal.mid_call).radius(3.0));
            plot.points(Points::new("mid (put)", puts).color(pal.mid_put).radius(3.0));
            plot.points(Points::new("mid (in the money)", itm).color(pal.mid_itm).radius(2.0).filled(false));
            plot.points(
                Points::new("excluded by you", user_excluded).color(pal.error).shape(MarkerShape::Cross).radius(5.0),
            );
            plot.vline(VLine::new("forward", axis.x(slice, 0.0, 0.5)).color(pal.atm));
            if let Some((kind, report)) = fit.filter(|(_, r)| r.status.is_usable()) {
                let curve = fitted_curve(kind, slice, report, axis);
                plot.line(Line::new(format!("{} fit", kind.name()), curve).color(pal.fit).width(2.0));
            }
            if plot.response().clicked() {
                action.toggled = nearest_mid(plot, &mids);
            }
        },
    );
    action
}

/// The instrument whose mid is within `CLICK_RADIUS_PX` of the pointer, nearest first.
fn nearest_mid(plot: &egui_plot::PlotUi<'_>, mids: &[(&str, [f64; 2])]) -> Option<String> {
    let pointer = plot.response().interact_pointer_pos().or_else(|| plot.response().hover_pos())?;
    let transform = plot.transform();
    mids.iter()
        .map(|(name, p)| {
            let pos = transform.position_from_point(&egui_plot::PlotPoint::new(p[0], p[1]));
            (name, pos.distance(pointer))
        })
        .filter(|(_, d)| *d <= CLICK_RADIUS_PX)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(name, _)| (*name).to_owned())
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
