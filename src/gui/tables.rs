//! The tabs under the smile: the tab list, the parameters of every expiry and g(k) of the selected fit; the
//! residuals and Greeks tabs live in `residuals_tab.rs` and `greeks_tab.rs` and are re-exported here.

use egui::{RichText, Ui};

pub use super::greeks_tab::greeks_ui;
pub use super::residuals_tab::residuals_ui;
use super::theme;
use crate::calibrate::SliceFitReport;

/// Which table is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Tab {
    /// Per-quote residuals of the selected expiry.
    #[default]
    Residuals,
    /// Fitted parameters of every expiry.
    Parameters,
    /// Greeks of every quote of the selected expiry.
    Greeks,
    /// g(k) of the selected fit.
    Arbitrage,
    /// The fitted surface: heatmap, ATM term structure, 25-delta RR/BF, calendar check.
    Surface,
}

impl Tab {
    /// Every tab, in display order.
    pub const ALL: [Tab; 5] = [Tab::Residuals, Tab::Greeks, Tab::Surface, Tab::Arbitrage, Tab::Parameters];

    /// The tab's label.
    pub fn label(self) -> &'static str {
        match self {
            Tab::Residuals => "Residuals",
            Tab::Greeks => "Greeks",
            Tab::Arbitrage => "Arbitrage",
            Tab::Parameters => "Parameters",
            Tab::Surface => "Surface",
        }
    }

    /// The tab of a label.
    pub fn from_label(label: &str) -> Option<Tab> {
        Tab::ALL.into_iter().find(|t| t.label() == label)
    }
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

/// Durrleman's g(k) of the selected fit on the butterfly grid, negative regions shaded.
pub fn arbitrage_ui(
    ui: &mut Ui,
    kind: crate::models::ModelKind,
    slice: &crate::market::ExpirySlice,
    report: &SliceFitReport,
) {
    use egui_plot::{HLine, Line, Plot, Polygon};
    if report.params.is_empty() {
        ui.label("No fitted parameters.");
        return;
    }
    let model = kind.for_slice(slice);
    let b = &report.butterfly;
    ui.label(format!(
        "butterfly {} · min g = {:.4} at k = {:.3} · negative on {}",
        if b.ok { "ok" } else { "VIOLATED" },
        b.min_g,
        b.k_at_min_g,
        if b.negative_ranges.is_empty() {
            "no range".to_owned()
        } else {
            b.negative_ranges.iter().map(|(lo, hi)| format!("[{lo:.3}, {hi:.3}]")).collect::<Vec<_>>().join(", ")
        }
    ));
    let (lo, hi) = report.residuals.iter().fold((-0.5f64, 0.5f64), |(lo, hi), q| (lo.min(q.k), hi.max(q.k)));
    let points: Vec<[f64; 2]> = (0..400)
        .map(|i| lo + (hi - lo) * i as f64 / 399.0)
        .map(|k| [k, crate::arbitrage::durrleman_g(model.as_ref(), &report.params, k)])
        .filter(|p| p[1].is_finite())
        .collect();
    let pal = theme::palette(ui);
    Plot::new("g_of_k").x_axis_label("k").y_axis_label("g(k)").show(ui, |plot| {
        for (a, z) in &b.negative_ranges {
            let g_min = b.min_g.min(-1e-3);
            let area = vec![[*a, g_min], [*z, g_min], [*z, 0.0], [*a, 0.0]];
            plot.polygon(Polygon::new("g < 0", area).fill_color(pal.error.gamma_multiply(0.3)));
        }
        plot.hline(HLine::new("0", 0.0).color(pal.atm));
        plot.line(Line::new("g(k)", points).color(pal.fit).width(2.0));
    });
}
