//! One frame of the window: take what the background threads finished, act on keys and drops, draw the
//! panels, apply the actions they returned, make an undo step once the user lets go, tick the autosave.

use egui::Ui;

use super::{Action, VolscopeApp};
use crate::gui::panels::panels_ui;

impl eframe::App for VolscopeApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn save(&mut self, _storage: &mut dyn eframe::Storage) {
        // eframe keeps the window's geometry; the settings have their own file, written when they change.
        self.view.save_settings();
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
        let ctx = ui.ctx().clone();
        let mut actions = self.keyboard(ui);
        actions.extend(dropped_file(ui));
        self.apply_all(&ctx, actions);
        let (actions, plot_rect) = panels_ui(ui, self);
        self.view.set_plot_rect(plot_rect);
        self.calculator_window(&ctx);
        self.apply_all(&ctx, actions);
        self.png_export(&ctx);
        self.settle_edits(&ctx);
    }

    /// Applies the worker's answer to the latest request, if it has come (new fits are autosaved).
    pub(crate) fn poll_fits(&mut self) {
        if self.fits.poll() {
            self.edits.mark_unsaved();
        }
    }

    /// Applies `actions` in order, shows the theme they chose, and asks for a frame that shows their outcome.
    fn apply_all(&mut self, ctx: &egui::Context, actions: Vec<Action>) {
        if actions.is_empty() {
            return;
        }
        for action in actions {
            self.apply(action);
        }
        if let Some(theme) = self.view.theme_to_show() {
            theme.apply(ctx);
        }
        ctx.request_repaint();
    }

    /// The calculator window (it keeps its own state; closing it is an action of the next frame's panels).
    fn calculator_window(&mut self, ctx: &egui::Context) {
        let mut open = self.view.show_calculator();
        egui::Window::new("Black-76 calculator").open(&mut open).show(ctx, |ui| self.calculator.calculator_ui(ui));
        if open != self.view.show_calculator() {
            self.apply(Action::ShowCalculator(open));
        }
    }

    /// Starts and finishes PNG exports of the smile plot.
    fn png_export(&mut self, ctx: &egui::Context) {
        let (rect, ready) = (self.view.plot_rect(), !self.fitting());
        let png = self.jobs.png_mut();
        png.start_export_if_due(ctx, rect, ready);
        if let Some(done) = png.poll(ctx) {
            self.view
                .say(done.map_or_else(|e| format!("PNG export failed: {e}"), |p| format!("exported {}", p.display())));
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
        let n = self.chain().map_or(0, |c| c.snapshot.slices.len());
        let mut selected = self.selected();
        if down && selected + 1 < n {
            selected += 1;
        }
        if up && selected > 0 {
            selected -= 1;
        }
        if selected != self.selected() {
            actions.push(Action::Select(selected));
        }
        actions
    }

    /// Makes an undo step of the edits once the user lets go (no drag, no text being typed), and autosaves:
    /// the session when an edit, an open or the selected expiry changed it, the settings when they changed.
    /// The window wakes when the next autosave is due, even if the user does nothing.
    fn settle_edits(&mut self, ctx: &egui::Context) {
        let busy = ctx.input(|i| i.pointer.any_down()) || ctx.text_edit_focused();
        if !busy {
            self.let_go();
        }
        let view = self.slice(self.selected()).map(|s| s.expiry_ms);
        self.edits.note_view(view);
        self.view.save_settings();
        if self.edits.autosave_mut().due() {
            let session = self.session();
            self.edits.autosave_mut().save_in_background(session);
        }
        if let Some(wait) = self.edits.autosave().next_due_in() {
            ctx.request_repaint_after(wait);
        }
    }

    /// What the app does on exit: the last edits become an undo step and the session is written now (unless a
    /// restore holds the autosave).
    pub fn flush_autosave_on_exit(&mut self) {
        self.let_go();
        self.view.save_settings();
        let session = self.session();
        self.edits.autosave_mut().flush(session);
    }
}

/// Opens a file dropped on the window (the first one): a session, or market data.
fn dropped_file(ui: &Ui) -> Option<Action> {
    let path = ui.input(|i| i.raw.dropped_files.first().map(|f| f.path().to_path_buf()))?;
    Some(if path.to_string_lossy().ends_with(".volscope.json") {
        Action::OpenSession(path)
    } else {
        Action::Open(path)
    })
}
