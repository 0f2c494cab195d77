//! Drawing the main window: menu, expiry list, smile, model panel, tables and status bar; keyboard shortcuts,
//! drag-and-drop, undo steps and the autosave tick.

use egui::{RichText, Ui};

use super::action::Action;
use super::app::VolscopeApp;
use super::chain_view::{
    expiry_list_ui, fit_curve, smile_plot_ui, status_line, Curve, CurveStyle, SmileInteraction, XAxis,
};
use super::export::ExportKind;
use super::load_job::progress_ui;
use super::model_panel::model_panel_ui;
use super::settings::{Settings, SETTINGS_KEY};
use super::surface::surface_ui;
use super::tables::{arbitrage_ui, greeks_ui, parameters_ui, residuals_ui, Tab};
use super::theme::{self, ThemeChoice};
use super::time_picker::time_picker_ui;
use crate::models::ModelKind;

/// Session files' extension (a JSON document).
const SESSION_FILTER: (&str, &[&str]) = ("Volscope session", &["json"]);

/// Draws the panels and windows; returns what the user did in them and where the smile plot was drawn.
pub(super) fn panels_ui(ui: &mut Ui, app: &VolscopeApp) -> (Vec<Action>, Option<egui::Rect>) {
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

fn expiry_panel_ui(ui: &mut Ui, app: &VolscopeApp, out: &mut Vec<Action>) {
    let Some(chain) = app.chain() else { return };
    let reports = app.shown_reports();
    let reports = (!reports.is_empty()).then_some(&*reports);
    egui::Panel::left("expiries").resizable(true).show(ui, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| {
            if let Some(i) = expiry_list_ui(ui, &chain.snapshot, reports, app.selected()) {
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
    if let Some(curve) = report.zip(app.report_kind(i)).and_then(|(r, k)| fit_curve(k, r)) {
        curves.push(curve);
    }
    if app.manual_params().is_some() {
        // The hand-set curve is the main one; the worker's last fit stays visible, dashed, for comparison.
        if let Some(mut curve) = app.fits().and_then(|f| fit_curve(*f.kinds.get(i)?, f.reports.get(i)?)) {
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

fn menu_ui(ui: &mut Ui, app: &VolscopeApp, out: &mut Vec<Action>) {
    ui.horizontal(|ui| {
        ui.menu_button("File", |ui| file_menu_ui(ui, app, out));
        ui.menu_button("Edit", |ui| edit_menu_ui(ui, app, out));
        ui.menu_button("View", |ui| view_menu_ui(ui, app, out));
        ui.menu_button("Tools", |ui| {
            if ui.button("Black-76 calculator").clicked() {
                ui.close();
                out.push(Action::ShowCalculator(true));
            }
        });
        underlying_ui(ui, app, out);
        if let Some(at_ms) = app.chain().and_then(|c| time_picker_ui(ui, c)) {
            out.push(Action::ChooseTime(at_ms));
        }
        ui.separator();
        model_ui(ui, app, out);
    });
}

fn file_menu_ui(ui: &mut Ui, app: &VolscopeApp, out: &mut Vec<Action>) {
    if ui.button("Open…").clicked() {
        ui.close();
        if let Some(path) = rfd::FileDialog::new().pick_file() {
            out.push(Action::Open(path));
        }
    }
    ui.menu_button("Open recent", |ui| {
        if app.view().settings().recent.is_empty() {
            ui.label("No recent files.");
        }
        for path in &app.view().settings().recent {
            if ui.button(path.display().to_string()).clicked() {
                ui.close();
                out.push(Action::Open(path.clone()));
            }
        }
    });
    if ui.button("Open the synthetic sample").clicked() {
        ui.close();
        out.push(Action::OpenSample);
    }
    ui.separator();
    if ui.button("Open session…").clicked() {
        ui.close();
        if let Some(path) = rfd::FileDialog::new().add_filter(SESSION_FILTER.0, SESSION_FILTER.1).pick_file() {
            out.push(Action::OpenSession(path));
        }
    }
    if ui.add_enabled(app.chain().is_some(), egui::Button::new("Save session…")).clicked() {
        ui.close();
        let dialog = rfd::FileDialog::new().add_filter(SESSION_FILTER.0, SESSION_FILTER.1);
        if let Some(path) = dialog.set_file_name("session.volscope.json").save_file() {
            out.push(Action::SaveSession(path));
        }
    }
    ui.separator();
    ui.add_enabled_ui(app.fits().is_some(), |ui| {
        for kind in ExportKind::ALL {
            if ui.button(kind.label()).clicked() {
                ui.close();
                if let Some(path) = rfd::FileDialog::new().set_file_name(kind.file_name()).save_file() {
                    out.push(Action::Export(kind, path));
                }
            }
        }
    });
    if ui.add_enabled(app.view().plot_rect().is_some(), egui::Button::new("Export plot PNG…")).clicked() {
        ui.close();
        if let Some(path) = rfd::FileDialog::new().set_file_name("smile.png").save_file() {
            out.push(Action::ExportPng(path));
        }
    }
}

fn edit_menu_ui(ui: &mut Ui, app: &VolscopeApp, out: &mut Vec<Action>) {
    if ui.button("Undo (ctrl+Z)").clicked() {
        ui.close();
        out.push(Action::Undo);
    }
    if ui.button("Redo (ctrl+Y)").clicked() {
        ui.close();
        out.push(Action::Redo);
    }
    ui.separator();
    if ui.add_enabled(!app.excluded().is_empty(), egui::Button::new("Include every excluded quote")).clicked() {
        ui.close();
        out.push(Action::IncludeAllQuotes);
    }
}

fn view_menu_ui(ui: &mut Ui, app: &VolscopeApp, out: &mut Vec<Action>) {
    for choice in [ThemeChoice::Dark, ThemeChoice::Light] {
        if ui.radio(app.view().settings().theme == choice, format!("{} theme", choice.label())).clicked() {
            ui.close();
            out.push(Action::SetTheme(choice));
        }
    }
    ui.separator();
    if ui.button("Load and fit warnings").clicked() {
        ui.close();
        out.push(Action::ShowWarnings(true));
    }
}

/// The all-expiry model picker, Refit, and the fit state.
fn model_ui(ui: &mut Ui, app: &VolscopeApp, out: &mut Vec<Action>) {
    let mut kind = app.edit_state().all.kind;
    egui::ComboBox::from_label("Model").selected_text(kind_label(kind)).show_ui(ui, |ui| {
        for k in MODEL_CHOICES {
            ui.selectable_value(&mut kind, k, kind_label(k));
        }
    });
    if kind != app.edit_state().all.kind {
        out.push(Action::SetAllModel(kind));
    }
    if ui.button("Refit").clicked() {
        out.push(Action::Refit);
    }
    if app.fitting() {
        ui.spinner();
        ui.label("fitting…");
    } else if let Some(f) = app.fits() {
        let failed = f.reports.iter().filter(|r| !r.status.is_usable()).count();
        ui.label(format!("{} expiries fitted in {:.1} ms, {failed} failed", f.reports.len(), f.elapsed_ms));
    }
    if let Some(e) = app.fit_state().error() {
        ui.label(RichText::new(e).color(theme::palette(ui).error));
    }
}

fn tables_ui(ui: &mut Ui, app: &VolscopeApp, out: &mut Vec<Action>) {
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
        let fit = app.report(app.selected()).zip(app.report_kind(app.selected())).map(|(r, k)| (k, r));
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
        Tab::Arbitrage => match (slice, report, app.report_kind(app.selected())) {
            (Some(slice), Some(report), Some(kind)) => arbitrage_ui(ui, kind, slice, report),
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

fn underlying_ui(ui: &mut Ui, app: &VolscopeApp, out: &mut Vec<Action>) {
    let Some(chain) = app.chain() else { return };
    if chain.underlyings.len() < 2 {
        return;
    }
    let current = chain.snapshot.underlying.clone();
    let mut chosen = current.clone();
    egui::ComboBox::from_label("Underlying").selected_text(&current).show_ui(ui, |ui| {
        for u in &chain.underlyings {
            ui.selectable_value(&mut chosen, u.clone(), u);
        }
    });
    if chosen != current {
        out.push(Action::ChooseUnderlying(chosen));
    }
}

fn status_bar_ui(ui: &mut Ui, app: &VolscopeApp, out: &mut Vec<Action>) {
    let pal = theme::palette(ui);
    ui.horizontal(|ui| {
        if let Some(e) = app.error() {
            ui.label(RichText::new(format!("Load failed: {}", e.lines().next().unwrap_or(""))).color(pal.error))
                .on_hover_text(e);
            ui.separator();
        }
        if let Some(message) = app.message() {
            ui.label(message);
            ui.separator();
        }
        for e in [app.edits().autosave().last_error.as_ref(), app.view().settings_error()].into_iter().flatten() {
            ui.label(RichText::new(e).color(pal.warning));
            ui.separator();
        }
        let Some(chain) = app.chain() else { return };
        ui.label(status_line(chain)).on_hover_text(chain.report().describe());
        if let Some(f) = app.fits() {
            let used: usize = f.reports.iter().map(|r| r.n_quotes).sum();
            ui.separator();
            ui.label(format!(
                "{used} / {} quotes used · last fit {:.1} ms",
                chain.snapshot.quote_count(),
                f.elapsed_ms
            ));
        }
        let n = warning_count(app);
        let label = if n == 1 { "1 warning".to_owned() } else { format!("{n} warnings") };
        if n > 0 && ui.button(RichText::new(label).color(pal.warning)).clicked() {
            out.push(Action::ShowWarnings(!app.view().show_warnings()));
        }
    });
}

/// Load, build and fit warnings.
fn warning_count(app: &VolscopeApp) -> usize {
    let Some(chain) = app.chain() else { return 0 };
    let fit_warnings = app.shown_reports().iter().filter(|r| !r.status.is_usable() || !r.butterfly.ok).count();
    chain.snapshot.warnings.len() + chain.report().rejected_count() + fit_warnings
}

/// The warnings window and the drop hint.
fn windows(ctx: &egui::Context, app: &VolscopeApp, out: &mut Vec<Action>) {
    warnings_window(ctx, app, out);
    if ctx.input(|i| !i.raw.hovered_files.is_empty()) {
        egui::Area::new(egui::Id::unique("drop_hint")).anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0]).show(
            ctx,
            |ui| {
                egui::Frame::popup(ui.style()).show(ui, |ui| ui.heading("Drop the file to open it"));
            },
        );
    }
}

fn warnings_window(ctx: &egui::Context, app: &VolscopeApp, out: &mut Vec<Action>) {
    let Some(chain) = app.chain().filter(|_| app.view().show_warnings()) else { return };
    let reports = app.shown_reports();
    let mut open = app.view().show_warnings();
    egui::Window::new("Load, build and fit warnings").open(&mut open).show(ctx, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| {
            ui.monospace(chain.report().describe());
            for w in &chain.snapshot.warnings {
                ui.label(w);
            }
            for r in reports.iter() {
                if let crate::calibrate::FitStatus::Failed { reason } = &r.status {
                    ui.label(format!("{}: fit failed: {reason}", r.expiry));
                } else if !r.butterfly.ok {
                    ui.label(format!(
                        "{}: butterfly arbitrage, g = {:.3e} at k = {:.3}",
                        r.expiry, r.butterfly.min_g, r.butterfly.k_at_min_g
                    ));
                }
            }
        });
    });
    if open != app.view().show_warnings() {
        out.push(Action::ShowWarnings(open));
    }
}

/// The models offered, in menu order.
pub(super) const MODEL_CHOICES: [ModelKind; 4] =
    [ModelKind::Svi, ModelKind::SviJw, ModelKind::Sabr { beta: Some(1.0) }, ModelKind::Sabr { beta: None }];

/// A model's menu label.
pub(super) fn kind_label(kind: ModelKind) -> &'static str {
    match kind {
        ModelKind::Svi => "SVI",
        ModelKind::SviJw => "SVI-JW",
        ModelKind::Sabr { beta: Some(_) } => "SABR (beta 1)",
        ModelKind::Sabr { beta: None } => "SABR (free beta)",
    }
}

/// The settings older versions kept in eframe's storage (used when there is no settings file yet).
pub fn legacy_settings(storage: Option<&dyn eframe::Storage>) -> Option<Settings> {
    storage.and_then(|s| eframe::get_value(s, SETTINGS_KEY))
}
