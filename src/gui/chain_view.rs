//! The chain viewer: expiry list, smile plot of the selected expiry, status bar.

use egui::{RichText, Ui};
use egui_plot::{Legend, Line, MarkerShape, Plot, Points, VLine};

use super::theme;
use crate::calibrate::{FitStatus, SliceFitReport};
use crate::io::{LoadReport, RawChain};
use crate::market::time::{format_date, format_utc};
use crate::market::{BuildOptions, ExpirySlice, QuoteStatus, Snapshot};
use crate::models::ModelKind;
use crate::pricing::OptionKind;

/// A loaded file: the raw rows (to rebuild for another underlying) and the snapshot shown.
pub struct LoadedChain {
    /// Display name of the file.
    pub name: String,
    /// Rows as read.
    pub raw: RawChain,
    /// The snapshot shown.
    pub snapshot: Snapshot,
    /// Underlyings in the file.
    pub underlyings: Vec<String>,
}

impl LoadedChain {
    /// Builds the default snapshot (first underlying, last time) of a raw chain.
    pub fn new(name: String, raw: RawChain) -> Result<Self, String> {
        let snapshot =
            raw.snapshot(&BuildOptions::default()).map_err(|e| format!("{name}: {e}\n{}", raw.report.describe()))?;
        let underlyings = crate::market::underlyings(&raw.rows);
        Ok(LoadedChain { name, raw, snapshot, underlyings })
    }

    /// Rebuilds for another underlying.
    pub fn select_underlying(&mut self, underlying: &str) -> Result<(), String> {
        let options = BuildOptions { underlying: Some(underlying.to_owned()), ..BuildOptions::default() };
        self.snapshot = self.raw.snapshot(&options).map_err(|e| e.to_string())?;
        Ok(())
    }

    /// The load report.
    pub fn report(&self) -> &LoadReport {
        &self.raw.report
    }
}

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
            ui.label(RichText::new("failed").color(theme::ERROR)).on_hover_text(reason);
            ui.label("");
        }
        Some(r) => {
            let text = format!("{:.2}", r.rmse_vol_pts);
            let rmse = if r.butterfly.ok {
                ui.label(text)
            } else {
                ui.label(RichText::new(format!("{text} !")).color(theme::WARNING))
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

/// The fitted curve over the slice's quoted k range (widened by a tenth each side), vols in percent.
fn fitted_curve(kind: ModelKind, slice: &ExpirySlice, report: &SliceFitReport) -> Vec<[f64; 2]> {
    let model = kind.for_slice(slice);
    let (lo, hi) =
        slice.quotes.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), q| (lo.min(q.k), hi.max(q.k)));
    if !(hi > lo) || report.params.is_empty() {
        return Vec::new();
    }
    let pad = 0.1 * (hi - lo);
    (0..CURVE_POINTS)
        .map(|i| lo - pad + (hi - lo + 2.0 * pad) * i as f64 / (CURVE_POINTS - 1) as f64)
        .map(|k| [k, 100.0 * model.implied_vol(&report.params, k, slice.t_years)])
        .filter(|p| p[1].is_finite())
        .collect()
}

/// Smile of one slice against k = ln(K/F): bid/ask vol bars, mids, marks, the forward, and the fitted curve.
pub fn smile_plot_ui(ui: &mut Ui, slice: &ExpirySlice, fit: Option<(ModelKind, &SliceFitReport)>) {
    let title = format!(
        "{}  ·  T = {:.2} d  ·  F = {:.2} ({})",
        format_utc(slice.expiry_ms),
        slice.t_years * 365.0,
        slice.forward,
        slice.forward_source.label()
    );
    ui.label(RichText::new(title).strong());
    Plot::new("smile").legend(Legend::default()).x_axis_label("k = ln(K/F)").y_axis_label("implied vol (%)").show(
        ui,
        |plot| {
            let mut mids_call = Vec::new();
            let mut mids_put = Vec::new();
            let mut mids_itm = Vec::new();
            let mut marks = Vec::new();
            for q in &slice.quotes {
                if let (Some(b), Some(a)) = (q.bid.iv, q.ask.iv) {
                    let (name, colour) = if q.status == QuoteStatus::Ok {
                        ("bid/ask", theme::BID_ASK_OK)
                    } else {
                        ("bid/ask (not usable)", theme::BID_ASK_UNUSABLE)
                    };
                    plot.line(Line::new(name, vec![[q.k, 100.0 * b], [q.k, 100.0 * a]]).color(colour).width(2.0));
                }
                if let Some(m) = q.mid.iv {
                    let target = match (q.is_otm(), q.kind) {
                        (false, _) => &mut mids_itm,
                        (true, OptionKind::Call) => &mut mids_call,
                        (true, OptionKind::Put) => &mut mids_put,
                    };
                    target.push([q.k, 100.0 * m]);
                }
                if let Some(m) = q.mark.iv {
                    marks.push([q.k, 100.0 * m]);
                }
            }
            plot.points(Points::new("mark", marks).color(theme::MARK).shape(MarkerShape::Diamond).radius(2.0));
            plot.points(Points::new("mid (call)", mids_call).color(theme::MID_CALL).radius(3.0));
            plot.points(Points::new("mid (put)", mids_put).color(theme::MID_PUT).radius(3.0));
            plot.points(Points::new("mid (in the money)", mids_itm).color(theme::MID_ITM).radius(2.0).filled(false));
            plot.vline(VLine::new("forward", 0.0).color(theme::ATM));
            if let Some((kind, report)) = fit.filter(|(_, r)| r.status.is_usable()) {
                let curve = fitted_curve(kind, slice, report);
                plot.line(Line::new(format!("{} fit", kind.name()), curve).color(theme::FIT).width(2.0));
            }
        },
    );
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
