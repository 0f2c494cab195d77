//! The Arbitrage tab: Durrleman's g(k) of the selected fit, negative regions shaded.

use egui::Ui;

use crate::calibrate::SliceFitReport;
use crate::gui::theme;
use crate::models::FittedSmile;

/// Durrleman's g(k) of the selected fit on the butterfly grid, negative regions shaded.
pub fn arbitrage_ui(ui: &mut Ui, smile: Option<&FittedSmile>, report: &SliceFitReport) {
    use egui_plot::{HLine, Line, Plot, Polygon};
    let Some(smile) = smile.filter(|_| !report.params.is_empty()) else {
        ui.label("No fitted parameters.");
        return;
    };
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
        .map(|k| [k, crate::arbitrage::durrleman_g(smile.model(), smile.params(), k)])
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
