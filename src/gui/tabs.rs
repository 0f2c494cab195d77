//! The tabs under the smile: which tab is shown ([`Tab`]) and the dispatch to each: residuals, Greeks,
//! surface, arbitrage (g(k)) and parameters, one file each.

mod arbitrage_tab;
mod greeks_tab;
mod parameters_tab;
mod residuals_tab;
mod surface_tab;

use egui::Ui;

use crate::gui::action::Action;
use crate::gui::app::VolscopeApp;
use arbitrage_tab::arbitrage_ui;
use greeks_tab::greeks_ui;
use parameters_tab::parameters_ui;
use residuals_tab::residuals_ui;
use surface_tab::surface_ui;

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

/// The tab list and the tab shown.
pub(crate) fn tables_ui(ui: &mut Ui, app: &VolscopeApp, out: &mut Vec<Action>) {
    let mut tab = app.view().tab();
    ui.horizontal(|ui| {
        for t in Tab::ALL {
            ui.selectable_value(&mut tab, t, t.label());
        }
    });
    if tab != app.view().tab() {
        out.push(Action::SetTab(tab));
    }
    ui.separator();
    let slice = app.slice(app.selected());
    if let (Tab::Greeks, Some(slice)) = (app.view().tab(), slice) {
        let fit = app.report(app.selected()).map(|r| (r, app.smile(app.selected())));
        greeks_ui(ui, slice, fit);
        return;
    }
    if app.fits().is_none() {
        ui.label(if app.fitting() { "fitting…" } else { "No fit." });
        return;
    }
    if app.view().tab() == Tab::Surface {
        surface_tab_ui(ui, app, out);
        return;
    }
    let report = app.report(app.selected());
    let mut toggled = None;
    match app.view().tab() {
        Tab::Residuals => match report {
            Some(report) => toggled = residuals_ui(ui, report),
            None => {
                ui.label("No expiry selected.");
            }
        },
        Tab::Parameters => parameters_ui(ui, &app.shown_reports()),
        Tab::Arbitrage => match (slice, report) {
            (Some(_), Some(report)) => arbitrage_ui(ui, app.smile(app.selected()), report),
            _ => {
                ui.label("No expiry selected.");
            }
        },
        Tab::Greeks | Tab::Surface => {}
    }
    if let Some(instrument) = toggled {
        out.push(Action::ToggleExclusion(instrument));
    }
}

/// The Surface tab over the shown fits; a click there selects an expiry.
fn surface_tab_ui(ui: &mut Ui, app: &VolscopeApp, out: &mut Vec<Action>) {
    let Some(chain) = app.chain() else { return };
    let (kinds, reports) = (app.shown_kinds(), app.shown_reports());
    if let Some(i) = surface_ui(ui, &chain.snapshot, &kinds, &reports, app.selected()) {
        out.push(Action::Select(i));
    }
}
