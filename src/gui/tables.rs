//! The tabs under the smile: residuals of the selected expiry and the parameters of every expiry.

use egui::{RichText, Ui};

use super::theme;
use crate::calibrate::{QuoteResidual, QuoteUse, SliceFitReport};

/// Which table is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
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

fn opt(x: Option<f64>, scale: f64, decimals: usize) -> String {
    x.map(|v| format!("{:.*}", decimals, v * scale)).unwrap_or_default()
}

/// The reason the fit gives for a quote the user left out.
const EXCLUDED_BY_USER: &str = "excluded by user";

/// Residuals of one slice's fit: market vols, model vol, residual in vol points and spread units, use, and
/// an exclude / include toggle; returns the instrument whose toggle was clicked.
pub fn residuals_ui(ui: &mut Ui, report: &SliceFitReport) -> Option<String> {
    let mut toggled = None;
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
                    QuoteUse::Excluded(why) => ui.label(RichText::new(why).color(theme::palette(ui).bid_ask_unusable)),
                };
                if exclusion_toggle_ui(ui, q) {
                    toggled = Some(q.instrument.clone());
                }
                ui.end_row();
            }
        });
    });
    toggled
}

/// "exclude" for a used quote, "include" for one the user left out (accessible name: the action and the
/// instrument, e.g. "exclude BTC-17APR26-80000-C"), nothing for a quote excluded for another reason; `true`
/// when clicked.
fn exclusion_toggle_ui(ui: &mut Ui, q: &QuoteResidual) -> bool {
    let (action, hover) = match &q.used {
        QuoteUse::Used => ("exclude", "Leave this quote out of the fit (ctrl+Z undoes)"),
        QuoteUse::Excluded(why) if why == EXCLUDED_BY_USER => ("include", "Put this quote back into the fit"),
        QuoteUse::Excluded(_) => {
            ui.label("");
            return false;
        }
    };
    ui.small_button(action).accessible_name(format!("{action} {}", q.instrument)).on_hover_text(hover).clicked()
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
        .map(|k| [k, crate::calibrate::fit::durrleman_g(model.as_ref(), &report.params, k)])
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

/// Greeks of every quote of the slice at its mid vol (else its mark vol), in USD and in coin; copyable.
pub fn greeks_ui(ui: &mut Ui, slice: &crate::market::ExpirySlice) {
    use crate::pricing::{greeks, OptionSpec};
    let rows: Vec<(String, [f64; 9])> = slice
        .quotes
        .iter()
        .filter_map(|q| {
            let vol = q.display_iv()?;
            let spec = OptionSpec::undiscounted(q.kind, q.forward_used, q.strike, slice.t_years);
            let g = greeks(&spec, vol);
            let c = g.to_coin(q.forward_used);
            Some((
                q.instrument.to_string(),
                [
                    100.0 * vol,
                    g.delta,
                    c.delta_coin,
                    g.gamma,
                    g.vega_per_vol_point(),
                    g.theta_per_day(),
                    g.vanna,
                    g.volga,
                    c.value_coin,
                ],
            ))
        })
        .collect();
    const HEADERS: [&str; 10] = [
        "Instrument",
        "Vol %",
        "Delta",
        "Delta (PA)",
        "Gamma",
        "Vega/pt",
        "Theta/day",
        "Vanna",
        "Volga",
        "Value (coin)",
    ];
    if ui.button("Copy as CSV").clicked() {
        let mut text = HEADERS.join(",");
        for (name, v) in &rows {
            text.push('\n');
            text.push_str(name);
            for x in v {
                text.push_str(&format!(",{x}"));
            }
        }
        ui.ctx().copy_text(text);
    }
    egui::ScrollArea::vertical().id_salt("greeks").show(ui, |ui| {
        egui::Grid::new("greeks_grid").striped(true).num_columns(HEADERS.len()).spacing([12.0, 2.0]).show(ui, |ui| {
            for h in HEADERS {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for (name, v) in &rows {
                ui.label(name);
                ui.label(format!("{:.2}", v[0]));
                ui.label(format!("{:.4}", v[1]));
                ui.label(format!("{:.4}", v[2]));
                ui.label(format!("{:.3e}", v[3]));
                ui.label(format!("{:.2}", v[4]));
                ui.label(format!("{:.2}", v[5]));
                ui.label(format!("{:.4}", v[6]));
                ui.label(format!("{:.1}", v[7]));
                ui.label(format!("{:.6}", v[8]));
                ui.end_row();
            }
        });
    });
}
