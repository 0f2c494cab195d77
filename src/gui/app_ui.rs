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
use super::settings::{Settings, SETTINGS_KEY};
use super::surface::surface_ui;
use super::tables::{arbitrage_ui, greeks_ui, parameters_ui, residuals_ui, Tab};
use super::theme::{self, ThemeChoice};
use super::time_picker::time_picker_ui;
use crate::models::ModelKind;

/// Session files' extension (a JSON document).
const SESSION_FILTER: (&str, &[&str]) = ("Volscope session", &["json"]);

impl eframe::App for VolscopeApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn save(&mut self, _storage: &mut dyn eframe::Storage) {
        // eframe keeps the window's geometry; the settings have their own file, written when they change.
        self.save_settings();
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.flush_autosave_on_exit();
    }
}

impl VolscopeApp {
    /// Draws one frame of the whole window into `ui` (what `eframe::App::ui` does; tests drive it directly).
    ///
    /// Keys and dropped files act before the drawing; the panels read the state and return [`Action`]s, which
    /// are applied after it (and one more frame shows their outcome).
    pub fn show(&mut self, ui: &mut Ui) {
        self.poll_fits();
        self.poll_load();
        let mut actions = self.keyboard(ui);
        actions.extend(self.dropped_files(ui));
        let ctx = ui.ctx().clone();
        self.apply_all(&ctx, actions);
        let actions = self.panels_ui(ui);
        self.apply_all(&ctx, actions);
        self.png_export(&ctx);
        self.settle_edits(&ctx);
    }

    /// Draws the panels and windows; returns what the user did in them.
    fn panels_ui(&mut self, ui: &mut Ui) -> Vec<Action> {
        let mut actions = Vec::new();
        let out = &mut actions;
        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui, out));
        if let Some(job) = &self.load_job {
            egui::Panel::top("loading").show(ui, |ui| {
                if progress_ui(ui, job) {
                    out.push(Action::CancelLoad);
                }
            });
        }
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar_ui(ui, out));
        if self.chain.is_some() {
            egui::Panel::bottom("tables")
                .resizable(true)
                .default_size(250.0)
                .min_size(160.0)
                .show(ui, |ui| self.tables_ui(ui, out));
            egui::Panel::right("model").resizable(true).default_size(340.0).show(ui, |ui| {
                egui::ScrollArea::vertical().id_salt("model_panel").show(ui, |ui| self.model_panel_ui(ui, out));
            });
            self.expiry_panel(ui, out);
        }
        let plot_rect = egui::CentralPanel::default().show(ui, |ui| self.smile_ui(ui, out)).inner;
        self.plot_rect = plot_rect;
        let ctx = ui.ctx().clone();
        self.windows(&ctx, &mut actions);
        actions
    }

    /// Applies `actions` in order, shows the theme they chose, and asks for a frame that shows their outcome.
    fn apply_all(&mut self, ctx: &egui::Context, actions: Vec<Action>) {
        if actions.is_empty() {
            return;
        }
        for action in actions {
            self.apply(action);
        }
        if self.shown_theme != self.settings.theme {
            self.shown_theme = self.settings.theme;
            self.shown_theme.apply(ctx);
        }
        ctx.request_repaint();
    }

    fn expiry_panel(&self, ui: &mut Ui, out: &mut Vec<Action>) {
        let Some(chain) = &self.chain else { return };
        let reports = self.shown_reports();
        let reports = (!reports.is_empty()).then_some(&*reports);
        egui::Panel::left("expiries").resizable(true).show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                if let Some(i) = expiry_list_ui(ui, &chain.snapshot, reports, self.selected) {
                    out.push(Action::Select(i));
                }
            });
        });
    }

    /// The smile of the selected expiry; returns where the plot was drawn.
    fn smile_ui(&self, ui: &mut Ui, out: &mut Vec<Action>) -> Option<egui::Rect> {
        let Some(slice) = self.slice(self.selected) else {
            ui.label("No chain loaded: File > Open… or drop a file on the window.");
            return None;
        };
        let mut axis = self.axis;
        ui.horizontal(|ui| {
            ui.label("x axis:");
            for a in [XAxis::LogMoneyness, XAxis::Strike, XAxis::Delta] {
                ui.selectable_value(&mut axis, a, a.label());
            }
        });
        let i = self.selected;
        let report = self.report(i);
        let mut curves: Vec<Curve<'_>> = Vec::new();
        if let Some(curve) = report.zip(self.report_kind(i)).and_then(|(r, k)| fit_curve(k, r)) {
            curves.push(curve);
        }
        if self.manual_params().is_some() {
            // The hand-set curve is the main one; the worker's last fit stays visible, dashed, for comparison.
            if let Some(mut curve) = self.fits.as_ref().and_then(|f| fit_curve(*f.kinds.get(i)?, f.reports.get(i)?)) {
                curve.label = format!("{} (last fit)", curve.label);
                curve.style = CurveStyle::Alt;
                curves.push(curve);
            }
        }
        let interaction =
            SmileInteraction { drag_curve: self.manual_params().is_some(), hover: !self.png.is_pending() };
        let action = smile_plot_ui(ui, slice, report, &curves, self.axis, &self.edit.excluded, interaction);
        if let Some(drag) = action.curve_drag {
            out.push(Action::DragManualCurve(drag));
        }
        if axis != self.axis {
            out.push(Action::SetAxis(axis));
        }
        if let Some(instrument) = action.toggled {
            out.push(Action::ToggleExclusion(instrument));
        }
        action.plot_rect
    }

    /// Starts and finishes PNG exports of the smile plot.
    fn png_export(&mut self, ctx: &egui::Context) {
        self.png.start_export_if_due(ctx, self.plot_rect, !self.fitting());
        if let Some(done) = self.png.poll(ctx) {
            self.last_message =
                Some(done.map_or_else(|e| format!("PNG export failed: {e}"), |p| format!("exported {}", p.display())));
        }
    }

    fn menu_ui(&self, ui: &mut Ui, out: &mut Vec<Action>) {
        ui.horizontal(|ui| {
            ui.menu_button("File", |ui| self.file_menu(ui, out));
            ui.menu_button("Edit", |ui| self.edit_menu(ui, out));
            ui.menu_button("View", |ui| self.view_menu(ui, out));
            ui.menu_button("Tools", |ui| {
                if ui.button("Black-76 calculator").clicked() {
                    ui.close();
                    out.push(Action::ShowCalculator(true));
                }
            });
            self.underlying_ui(ui, out);
            if let Some(at_ms) = self.chain.as_ref().and_then(|c| time_picker_ui(ui, c)) {
                out.push(Action::ChooseTime(at_ms));
            }
            ui.separator();
            self.model_ui(ui, out);
        });
    }

    fn file_menu(&self, ui: &mut Ui, out: &mut Vec<Action>) {
        if ui.button("Open…").clicked() {
            ui.close();
            if let Some(path) = rfd::FileDialog::new().pick_file() {
                out.push(Action::Open(path));
            }
        }
        ui.menu_button("Open recent", |ui| {
            if self.settings.recent.is_empty() {
                ui.label("No recent files.");
            }
            for path in &self.settings.recent {
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
        if ui.add_enabled(self.chain.is_some(), egui::Button::new("Save session…")).clicked() {
            ui.close();
            let dialog = rfd::FileDialog::new().add_filter(SESSION_FILTER.0, SESSION_FILTER.1);
            if let Some(path) = dialog.set_file_name("session.volscope.json").save_file() {
                out.push(Action::SaveSession(path));
            }
        }
        ui.separator();
        ui.add_enabled_ui(self.fits.is_some(), |ui| {
            for kind in ExportKind::ALL {
                if ui.button(kind.label()).clicked() {
                    ui.close();
                    if let Some(path) = rfd::FileDialog::new().set_file_name(kind.file_name()).save_file() {
                        out.push(Action::Export(kind, path));
                    }
                }
            }
        });
        if ui.add_enabled(self.plot_rect.is_some(), egui::Button::new("Export plot PNG…")).clicked() {
            ui.close();
            if let Some(path) = rfd::FileDialog::new().set_file_name("smile.png").save_file() {
                out.push(Action::ExportPng(path));
            }
        }
    }

    fn edit_menu(&self, ui: &mut Ui, out: &mut Vec<Action>) {
        if ui.button("Undo (ctrl+Z)").clicked() {
            ui.close();
            out.push(Action::Undo);
        }
        if ui.button("Redo (ctrl+Y)").clicked() {
            ui.close();
            out.push(Action::Redo);
        }
        ui.separator();
        if ui.add_enabled(!self.edit.excluded.is_empty(), egui::Button::new("Include every excluded quote")).clicked() {
            ui.close();
            out.push(Action::IncludeAllQuotes);
        }
    }

    fn view_menu(&self, ui: &mut Ui, out: &mut Vec<Action>) {
        for choice in [ThemeChoice::Dark, ThemeChoice::Light] {
            if ui.radio(self.settings.theme == choice, format!("{} theme", choice.label())).clicked() {
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
    fn model_ui(&self, ui: &mut Ui, out: &mut Vec<Action>) {
        let mut kind = self.edit.all.kind;
        egui::ComboBox::from_label("Model").selected_text(kind_label(kind)).show_ui(ui, |ui| {
            for k in MODEL_CHOICES {
                ui.selectable_value(&mut kind, k, kind_label(k));
            }
        });
        if kind != self.edit.all.kind {
            out.push(Action::SetAllModel(kind));
        }
        if ui.button("Refit").clicked() {
            out.push(Action::Refit);
        }
        if self.fitting() {
            ui.spinner();
            ui.label("fitting…");
        } else if let Some(f) = &self.fits {
            let failed = f.reports.iter().filter(|r| !r.status.is_usable()).count();
            ui.label(format!("{} expiries fitted in {:.1} ms, {failed} failed", f.reports.len(), f.elapsed_ms));
        }
        if let Some(e) = &self.fit_error {
            ui.label(RichText::new(e).color(theme::palette(ui).error));
        }
    }

    fn tables_ui(&self, ui: &mut Ui, out: &mut Vec<Action>) {
        let mut tab = self.tab;
        ui.horizontal(|ui| {
            for t in Tab::ALL {
                ui.selectable_value(&mut tab, t, t.label());
            }
        });
        if tab != self.tab {
            out.push(Action::SetTab(tab));
        }
        ui.separator();
        let slice = self.slice(self.selected);
        if let (Tab::Greeks, Some(slice)) = (self.tab, slice) {
            let fit = self.report(self.selected).zip(self.report_kind(self.selected)).map(|(r, k)| (k, r));
            greeks_ui(ui, slice, fit);
            return;
        }
        if self.fits.is_none() {
            ui.label(if self.fitting() { "fitting…" } else { "No fit." });
            return;
        }
        if self.tab == Tab::Surface {
            self.surface_tab(ui, out);
            return;
        }
        let report = self.report(self.selected);
        let mut toggled = None;
        match self.tab {
            Tab::Residuals => match report {
                Some(report) => toggled = residuals_ui(ui, report),
                None => {
                    ui.label("No expiry selected.");
                }
            },
            Tab::Parameters => parameters_ui(ui, &self.shown_reports()),
            Tab::Arbitrage => match (slice, report, self.report_kind(self.selected)) {
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
    fn surface_tab(&self, ui: &mut Ui, out: &mut Vec<Action>) {
        let Some(chain) = &self.chain else { return };
        let (kinds, reports) = (self.shown_kinds(), self.shown_reports());
        if let Some(i) = surface_ui(ui, &chain.snapshot, &kinds, &reports, self.selected) {
            out.push(Action::Select(i));
        }
    }

    fn underlying_ui(&self, ui: &mut Ui, out: &mut Vec<Action>) {
        let Some(chain) = &self.chain else { return };
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

    fn status_bar_ui(&self, ui: &mut Ui, out: &mut Vec<Action>) {
        let pal = theme::palette(ui);
        ui.horizontal(|ui| {
            if let Some(e) = &self.error {
                ui.label(RichText::new(format!("Load failed: {}", e.lines().next().unwrap_or(""))).color(pal.error))
                    .on_hover_text(e.as_str());
                ui.separator();
            }
            if let Some(message) = &self.last_message {
                ui.label(message);
                ui.separator();
            }
            for e in [&self.autosave.last_error, &self.settings_file.last_error].into_iter().flatten() {
                ui.label(RichText::new(e).color(pal.warning));
                ui.separator();
            }
            let Some(chain) = &self.chain else { return };
            ui.label(status_line(chain)).on_hover_text(chain.report().describe());
            if let Some(f) = &self.fits {
                let used: usize = f.reports.iter().map(|r| r.n_quotes).sum();
                ui.separator();
                ui.label(format!(
                    "{used} / {} quotes used · last fit {:.1} ms",
                    chain.snapshot.quote_count(),
                    f.elapsed_ms
                ));
            }
            let n = self.warning_count();
            let label = if n == 1 { "1 warning".to_owned() } else { format!("{n} warnings") };
            if n > 0 && ui.button(RichText::new(label).color(pal.warning)).clicked() {
                out.push(Action::ShowWarnings(!self.show_warnings));
            }
        });
    }

    /// Load, build and fit warnings.
    fn warning_count(&self) -> usize {
        let Some(chain) = &self.chain else { return 0 };
        let fit_warnings = self.shown_reports().iter().filter(|r| !r.status.is_usable() || !r.butterfly.ok).count();
        chain.snapshot.warnings.len() + chain.report().rejected_count() + fit_warnings
    }

    /// The warnings and calculator windows, and the drop hint. The calculator keeps its own state.
    fn windows(&mut self, ctx: &egui::Context, out: &mut Vec<Action>) {
        self.warnings_window(ctx, out);
        let mut open = self.show_calculator;
        egui::Window::new("Black-76 calculator").open(&mut open).show(ctx, |ui| self.calculator.calculator_ui(ui));
        if open != self.show_calculator {
            out.push(Action::ShowCalculator(open));
        }
        if ctx.input(|i| !i.raw.hovered_files.is_empty()) {
            egui::Area::new(egui::Id::unique("drop_hint")).anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0]).show(
                ctx,
                |ui| {
                    egui::Frame::popup(ui.style()).show(ui, |ui| ui.heading("Drop the file to open it"));
                },
            );
        }
    }

    fn warnings_window(&self, ctx: &egui::Context, out: &mut Vec<Action>) {
        let Some(chain) = self.chain.as_ref().filter(|_| self.show_warnings) else { return };
        let reports = self.shown_reports();
        let mut open = self.show_warnings;
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
        if open != self.show_warnings {
            out.push(Action::ShowWarnings(open));
        }
    }

    /// Undo, redo and the arrow keys (which move the selected expiry).
    fn keyboard(&self, ui: &Ui) -> Vec<Action> {
        // A text field being edited keeps its own ctrl+Z and arrow keys (a focused button or plot does not).
        if ui.ctx().text_edit_focused() {
            return Vec::new();
        }
        let (undo, redo, down, up) = ui.input(|i| {
            let z = i.modifiers.command && i.key_pressed(egui::Key::Z);
            (
                z && !i.modifiers.shift,
                (z && i.modifiers.shift) || (i.modifiers.command && i.key_pressed(egui::Key::Y)),
                i.key_pressed(egui::Key::ArrowDown),
                i.key_pressed(egui::Key::ArrowUp),
            )
        });
        let mut actions = Vec::new();
        if undo || redo {
            actions.push(if redo { Action::Redo } else { Action::Undo });
        }
        let n = self.chain.as_ref().map_or(0, |c| c.snapshot.slices.len());
        let mut selected = self.selected;
        if down && selected + 1 < n {
            selected += 1;
        }
        if up && selected > 0 {
            selected -= 1;
        }
        if selected != self.selected {
            actions.push(Action::Select(selected));
        }
        actions
    }

    /// Opens a file dropped on the window (the first one): a session, or market data.
    fn dropped_files(&self, ui: &Ui) -> Option<Action> {
        let path = ui.input(|i| i.raw.dropped_files.first().map(|f| f.path().to_path_buf()))?;
        Some(if path.to_string_lossy().ends_with(".volscope.json") {
            Action::OpenSession(path)
        } else {
            Action::Open(path)
        })
    }

    /// Makes an undo step of the edits once the user lets go (no drag, no text being typed), and autosaves:
    /// the session when an edit, an open or the selected expiry changed it, the settings when they changed.
    /// The window wakes when the next autosave is due, even if the user does nothing.
    fn settle_edits(&mut self, ctx: &egui::Context) {
        let busy = ctx.input(|i| i.pointer.any_down()) || ctx.text_edit_focused();
        if !busy {
            self.let_go();
        }
        let view = self.slice(self.selected).map(|s| s.expiry_ms);
        if view != self.saved_view {
            self.saved_view = view;
            self.autosave.mark_dirty();
        }
        self.save_settings();
        if self.autosave.due() {
            let session = self.session();
            self.autosave.save_in_background(session);
        }
        if let Some(wait) = self.autosave.next_due_in() {
            ctx.request_repaint_after(wait);
        }
    }

    /// What the app does on exit: the last edits become an undo step and the session is written now (unless a
    /// restore holds the autosave).
    pub fn flush_autosave_on_exit(&mut self) {
        self.let_go();
        self.save_settings();
        let session = self.session();
        self.autosave.flush(session);
    }

    /// Writes the settings file if the settings (tab and x axis included) changed.
    fn save_settings(&mut self) {
        self.settings.tab = self.tab;
        self.settings.axis = self.axis;
        self.settings_file.save_if_changed(&self.settings);
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
