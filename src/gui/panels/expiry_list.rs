//! The expiry list: one row per expiry with its forward, quote counts and fit quality; a click selects it.

use egui::{RichText, Ui};

use crate::calibrate::{FitStatus, SliceFitReport};
use crate::gui::theme::{self};
use crate::market::time::format_date;
use crate::market::Snapshot;

/// Expiry table (with each slice's fit when `reports` is given, and the comparison model's RMSE when
/// `compare` is); returns the newly clicked slice index.
pub fn expiry_list_ui(
    ui: &mut Ui,
    snapshot: &Snapshot,
    reports: Option<&[SliceFitReport]>,
    compare: Option<&[SliceFitReport]>,
    selected: usize,
) -> Option<usize> {
    let mut clicked = None;
    let columns = 7 + usize::from(compare.is_some());
    egui::Grid::new("expiries").striped(true).num_columns(columns).spacing([10.0, 3.0]).show(ui, |ui| {
        for h in ["Expiry", "Days", "Forward", "Source", "OK / all", "RMSE", "Inside"] {
            ui.label(RichText::new(h).strong());
        }
        if let Some(c) = compare {
            let model = c.iter().find(|r| !r.model.is_empty()).map_or("", |r| r.model.as_str());
            ui.label(RichText::new(format!("RMSE {model}")).strong())
                .on_hover_text("RMSE (vol points) of the comparison model (View > Compare with)");
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
            if let Some(c) = compare {
                match c.get(i).filter(|r| r.status.is_usable()) {
                    Some(r) => ui.label(format!("{:.2}", r.rmse_vol_pts)),
                    None => ui.label(RichText::new("failed").color(theme::palette(ui).error)),
                };
            }
            ui.end_row();
        }
    });
    clicked
}

/// What a status means, for the hover text.
fn status_text(status: &FitStatus) -> String {
    match status {
        FitStatus::NeighbourShape => {
            "nb: too few quotes for its own shape: the surface's shape from the neighbouring expiries, its level \
             through the quote nearest the money"
                .to_owned()
        }
        FitStatus::ProjectedAtm { moved_vol_pts } => format!(
            "^: the market's ATM variance lies below the previous expiry's; the surface raised this expiry's ATM \
             vol by {moved_vol_pts:.2} vol points to stay free of calendar arbitrage"
        ),
        other => other.label().to_owned(),
    }
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
        Some(r) if r.status == FitStatus::Interpolated => {
            ui.label(RichText::new("interp.").color(theme::palette(ui).fit_alt))
                .on_hover_text("no usable quote: the surface's slice, interpolated between the neighbouring expiries");
            ui.label("");
        }
        Some(r) => {
            let text = match r.status {
                FitStatus::NeighbourShape => format!("{:.2} nb", r.rmse_vol_pts),
                FitStatus::ProjectedAtm { .. } => format!("{:.2} ^", r.rmse_vol_pts),
                _ => format!("{:.2}", r.rmse_vol_pts),
            };
            let rmse = if r.butterfly.ok {
                ui.label(text)
            } else {
                ui.label(RichText::new(format!("{text} !")).color(theme::palette(ui).warning))
            };
            rmse.on_hover_text(format!(
                "{}; butterfly {} (min g {:.3}); {} µs",
                status_text(&r.status),
                if r.butterfly.ok { "ok" } else { "violated" },
                r.butterfly.min_g,
                r.fit_time_us.round()
            ));
            ui.label(format!("{:.0} %", 100.0 * r.inside_spread_share));
        }
    }
}
