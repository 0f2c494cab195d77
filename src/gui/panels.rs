//! The panels around the smile: the menu bar, the status bar, the expiry list, the model panel (with its
//! constraints grid), the calculator and the time picker; and the layout of the window that places them and
//! the tabs and the smile plot. Every panel reads the app and returns [`Action`]s.

mod calculator;
mod constraints;
mod expiry_list;
mod menu_bar;
mod model_choice;
mod model_panel;
mod status_bar;
mod time_picker;

use egui::Ui;

use crate::gui::action::Action;
use crate::gui::app::VolscopeApp;
pub use calculator::CalculatorApp;

use crate::gui::jobs::load_job::progress_ui;
use crate::gui::plots::{fit_curve, smile_plot_ui, Curve, CurveStyle, SmileInteraction, XAxis};
use crate::gui::tabs::tables_ui;
use expiry_list::expiry_list_ui;
use menu_bar::menu_ui;
use model_panel::model_panel_ui;
use status_bar::{status_bar_ui, windows};

/// Draws the panels and windows; returns what the user did in them and where the smile plot was drawn.
pub(crate) fn panels_ui(ui: &mut Ui, app: &VolscopeApp) -> (Vec<Action>, Option<egui::Rect>) {
    let mut actions = Vec::new();
    let out = &mut actions;
    egui::Panel::top("menu").show(ui, |ui| menu_ui(ui, app, out));
    if let Some(job) = app.data().job() {
        egui::Panel::top("loading").show(ui, |ui| {
            if progress_ui(ui, job) {
                out.push(Action::CancelLoad);
            }
        });
    }
    egui::Panel::bottom("status").show(ui, |ui| status_bar_ui(ui, app, out));
    if app.chain().is_some() {
        egui::Panel::bottom("tables")
            .resizable(true)
            .default_size(250.0)
            .min_size(160.0)
            .show(ui, |ui| tables_ui(ui, app, out));
        egui::Panel::right("model").resizable(true).default_size(340.0).show(ui, |ui| {
            egui::ScrollArea::vertical().id_salt("model_panel").show(ui, |ui| model_panel_ui(ui, app, out));
        });
        expiry_panel_ui(ui, app, out);
    }
    let plot_rect = egui::CentralPanel::default().show(ui, |ui| smile_ui(ui, app, out)).inner;
    let ctx = ui.ctx().clone();
    windows(&ctx, app, out);
    (actions, plot_rect)
}

/// The comparison model's curve of slice `i`: dashed beside the fit, or, where the shown fit has no curve
/// (it failed), the comparison's slice in its place, marked as such.
fn compare_curve(app: &VolscopeApp, i: usize, in_place: bool) -> Option<Curve<'_>> {
    let fits = app.compare_fits()?;
    let mut curve = fit_curve(fits.reports.get(i)?, fits.smiles.get(i)?.as_ref())?;
    let name = curve.smile.kind().name();
    if in_place {
        curve.label = format!("{name} (in place of the failed fit)");
        curve.style = CurveStyle::SurfaceFill;
    } else {
        curve.label = format!("{name} (compare)");
        curve.style = CurveStyle::Alt;
    }
    Some(curve)
}

fn expiry_panel_ui(ui: &mut Ui, app: &VolscopeApp, out: &mut Vec<Action>) {
    let Some(chain) = app.chain() else { return };
    let reports = app.shown_reports();
    let reports = (!reports.is_empty()).then_some(&*reports);
    egui::Panel::left("expiries").resizable(true).show(ui, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| {
            let compare = app.compare_fits().map(|f| f.reports.as_slice());
            if let Some(i) = expiry_list_ui(ui, &chain.snapshot, reports, compare, app.selected()) {
                out.push(Action::Select(i));
            }
        });
    });
}

/// The smile of the selected expiry; returns where the plot was drawn.
fn smile_ui(ui: &mut Ui, app: &VolscopeApp, out: &mut Vec<Action>) -> Option<egui::Rect> {
    let Some(slice) = app.slice(app.selected()) else {
        ui.label("No chain loaded: File > Open… or drop a file on the window.");
        return None;
    };
    let mut axis = app.view().axis();
    ui.horizontal(|ui| {
        ui.label("x axis:");
        for a in [XAxis::LogMoneyness, XAxis::Strike, XAxis::Delta] {
            ui.selectable_value(&mut axis, a, a.label());
        }
    });
    let i = app.selected();
    let report = app.report(i);
    let mut curves: Vec<Curve<'_>> = Vec::new();
    if let Some(curve) = report.and_then(|r| fit_curve(r, app.smile(i))) {
        curves.push(curve);
    }
    if let Some(curve) = compare_curve(app, i, curves.is_empty()) {
        curves.push(curve);
    }
    if app.manual_params().is_some() {
        // The hand-set curve is the main one; the worker's last fit stays visible, dashed, for comparison.
        if let Some(mut curve) = app.fits().and_then(|f| fit_curve(f.reports.get(i)?, f.smiles.get(i)?.as_ref())) {
            curve.label = format!("{} (last fit)", curve.label);
            curve.style = CurveStyle::Alt;
            curves.push(curve);
        }
    }
    let interaction =
        SmileInteraction { drag_curve: app.manual_params().is_some(), hover: !app.jobs().png().is_pending() };
    let action = smile_plot_ui(ui, slice, report, &curves, app.view().axis(), app.excluded(), interaction);
    if let Some(drag) = action.curve_drag {
        out.push(Action::DragManualCurve(drag));
    }
    if axis != app.view().axis() {
        out.push(Action::SetAxis(axis));
    }
    if let Some(instrument) = action.toggled {
        out.push(Action::ToggleExclusion(instrument));
    }
    action.plot_rect
}
