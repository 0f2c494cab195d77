//! The Parameters tab: the fitted parameters, status, RMSE, inside-spread share, iterations and time of every
//! expiry.

use egui::{RichText, Ui};

use crate::calibrate::SliceFitReport;

/// Parameters and status of every expiry's fit.
pub fn parameters_ui(ui: &mut Ui, reports: &[SliceFitReport]) {
    let Some(first) = reports.iter().find(|r| !r.param_names.is_empty()) else {
        ui.label("No fit yet.");
        return;
    };
    egui::ScrollArea::both().id_salt("parameters").show(ui, |ui| {
        egui::Grid::new("param_grid").striped(true).spacing([12.0, 2.0]).show(ui, |ui| {
            ui.label(RichText::new("Expiry").strong());
            ui.label(RichText::new("Status").strong());
            for name in &first.param_names {
                ui.label(RichText::new(name).strong());
            }
            for h in ["RMSE", "Inside", "Iter", "µs"] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for r in reports {
                ui.label(&r.expiry[..10.min(r.expiry.len())]);
                ui.label(r.status.label());
                for i in 0..first.param_names.len() {
                    ui.label(r.params.get(i).map(|p| format!("{p:.6}")).unwrap_or_default());
                }
                ui.label(format!("{:.3}", r.rmse_vol_pts));
                ui.label(format!("{:.0} %", 100.0 * r.inside_spread_share));
                ui.label(r.iterations.to_string());
                ui.label(format!("{:.0}", r.fit_time_us));
                ui.end_row();
            }
        });
    });
}
