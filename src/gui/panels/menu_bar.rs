//! The menu bar: File (open, recent, sample, sessions, exports), Edit (undo, redo, include all), View (theme,
//! warnings), Tools (calculator); the underlying and snapshot time pickers; the all-expiry model box, Refit
//! and the fit state.

use egui::{RichText, Ui};

use crate::gui::action::Action;
use crate::gui::app::VolscopeApp;
use crate::gui::jobs::export_menu::ExportKind;
use crate::gui::panels::model_choice::model_combo_ui;
use crate::gui::panels::time_picker::time_picker_ui;
use crate::gui::theme::{self, ThemeChoice};

/// Session files' extension (a JSON document).
const SESSION_FILTER: (&str, &[&str]) = ("Volscope session", &["json"]);

/// The menu bar; what the user chose goes to `out`.
pub(crate) fn menu_ui(ui: &mut Ui, app: &VolscopeApp, out: &mut Vec<Action>) {
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

/// The comparison model: fitted beside the shown one, drawn dashed, its RMSE in the expiry list.
fn compare_ui(ui: &mut Ui, app: &VolscopeApp, out: &mut Vec<Action>) {
    let current = app.compare_kind();
    let mut chosen = current;
    let text = current.map_or("none", |k| k.label());
    egui::ComboBox::from_label("Compare")
        .selected_text(text)
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut chosen, None, "none");
            for k in crate::gui::panels::model_choice::MODEL_CHOICES {
                ui.selectable_value(&mut chosen, Some(k), k.label());
            }
        })
        .response
        .on_hover_text("a second model fitted beside the shown one: dashed on the smile, its RMSE in the expiry list");
    if chosen != current {
        out.push(Action::SetCompare(chosen));
    }
}

/// The all-expiry model picker, Refit, and the fit state.
fn model_ui(ui: &mut Ui, app: &VolscopeApp, out: &mut Vec<Action>) {
    let (chosen, _) = model_combo_ui(ui, egui::ComboBox::from_label("Model"), app.edit_state().all.kind);
    if let Some(kind) = chosen {
        out.push(Action::SetAllModel(kind));
    }
    if ui.button("Refit").clicked() {
        out.push(Action::Refit);
    }
    compare_ui(ui, app, out);
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
