//! The expiry list: one row per expiry with its forward, quote counts and fit quality; a click selects it.

use egui::{RichText, Ui};

use crate::calibrate::{FitStatus, SliceFitReport};
use crate::gui::theme::{self};
use crate::market::time::format_date;
use crate::market::Snapshot;

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
