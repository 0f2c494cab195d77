//! The tabs under the smile: residuals of the selected expiry and the parameters of every expiry.

use egui::{RichText, Ui};

use super::theme;
use crate::calibrate::{QuoteUse, SliceFitReport};

/// Which table is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Tab {
    /// Per-quote residuals of the selected expiry.
    #[default]
    Residuals,
    /// Fitted parameters of every expiry.
    Parameters,
}

fn opt(x: Option<f64>, scale: f64, decimals: usize) -> String {
    x.map(|v| format!("{:.*}", decimals, v * scale)).unwrap_or_default()
}

/// Residuals of one slice's fit: market vols, model vol, residual in vol points and spread units, use.
pub fn residuals_ui(ui: &mut Ui, report: &SliceFitReport) {
    let used: Vec<f64> =
        report.residuals.iter().filter(|q| q.used == QuoteUse::Used).filter_map(|q| q.residual_vol_pts).collect();
    ui.label(format!(
        "{} used quotes · RMSE {:.3} vol pts · max |err| {:.3} · inside spread {:.1} % · mean {:.2} spread units",
        used.len(),
        report.rmse_vol_pts,
        report.max_abs_err_vol_pts,
        100.0 * report.inside_spread_share,
        report.mean_err_spread_units
    ));
    egui::ScrollArea::vertical().id_salt("residuals").show(ui, |ui| {
        egui::Grid::new("residual_grid").striped(true).num_columns(9).spacing([12.0, 2.0]).show(ui, |ui| {
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
                    QuoteUse::Excluded(why) => ui.label(RichText::new(why).color(theme::BID_ASK_UNUSABLE)),
                };
                ui.end_row();
            }
        });
    });
}

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
