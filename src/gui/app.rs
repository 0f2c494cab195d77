//! The main window: menu, expiry list, smile plot and status bar around the loaded chain.

use std::path::Path;
use std::sync::Arc;

use egui::{RichText, Ui};

use super::calculator::CalculatorApp;
use super::chain_view::{expiry_list_ui, fit_curve, smile_plot_ui, status_line, XAxis};
use super::constraints::{constraints_ui, ParamRow};
use super::export::{export_fit_json, export_grid_csv, export_residuals_csv, ExportInputs};
use super::fit_worker::FitWorker;
use super::loaded::LoadedChain;
use super::png_export::PlotPng;
use super::tables::{arbitrage_ui, greeks_ui, parameters_ui, residuals_ui, Tab};
use super::theme;
use crate::calibrate::{FitConfig, SliceFitReport};
use crate::io::{load_bytes, load_path, LoadOptions};
use crate::models::ModelKind;
use crate::sample::{SAMPLE_CSV, SAMPLE_PATH};

/// The fits of the loaded chain, one report per slice in slice order.
pub struct FitView {
    /// Model fitted.
    pub kind: ModelKind,
    /// Reports, aligned with the snapshot's slices.
    pub reports: Vec<SliceFitReport>,
    /// Wall time of the whole fit, ms.
    pub elapsed_ms: f64,
}

/// Application state.
pub struct VolscopeApp {
    chain: Option<LoadedChain>,
    selected: usize,
    error: Option<String>,
    calculator: CalculatorApp,
    show_calculator: bool,
    show_warnings: bool,
    worker: FitWorker,
    model_kind: ModelKind,
    fits: Option<FitView>,
    fit_error: Option<String>,
    /// Id of the last fit request whose answer was applied.
    applied_fit: u64,
    /// Fit configuration used for every slice.
    config: FitConfig,
    /// Table shown under the smile.
    tab: Tab,
    /// Outcome of the last export or edit, for the status bar.
    last_message: Option<String>,
    /// x axis of the smile.
    axis: XAxis,
    /// Exclusion lists before each change (ctrl+Z), and undone ones (ctrl+Y).
    undo: Vec<Vec<String>>,
    redo: Vec<Vec<String>>,
    /// Refit on every constraint edit.
    auto_fit: bool,
    /// PNG export of the smile plot in flight (and the start-up export of `VOLSCOPE_EXPORT_PNG_ON_START`).
    png: PlotPng,
}

impl VolscopeApp {
    /// Opens `file`, or the bundled sample when none is given; `ctx` is woken when a fit arrives.
    pub fn new(file: Option<&Path>, ctx: Option<egui::Context>) -> Self {
        let worker = FitWorker::spawn(move || {
            if let Some(ctx) = &ctx {
                ctx.request_repaint();
            }
        });
        let mut app = VolscopeApp {
            chain: None,
            selected: 0,
            error: None,
            calculator: CalculatorApp::default(),
            show_calculator: false,
            show_warnings: false,
            worker,
            model_kind: ModelKind::Svi,
            fits: None,
            fit_error: None,
            applied_fit: 0,
            config: FitConfig::default(),
            tab: Tab::default(),
            last_message: None,
            axis: XAxis::default(),
            undo: Vec::new(),
            redo: Vec::new(),
            auto_fit: true,
            png: PlotPng::from_env(),
        };
        match file {
            Some(path) => app.open(path),
            None => app.open_sample(),
        }
        app
    }

    /// Loads a file; on failure the error is shown and the current chain stays.
    pub fn open(&mut self, path: &Path) {
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        let loaded = load_path(path, &LoadOptions::default())
            .map_err(|e| e.to_string())
            .and_then(|raw| LoadedChain::new(name, raw));
        self.install(loaded);
    }

    fn open_sample(&mut self) {
        let name = format!("{} (synthetic sample)", SAMPLE_PATH.trim_start_matches("assets/"));
        let loaded = load_bytes(SAMPLE_CSV.as_bytes(), &name, &LoadOptions::default())
            .map_err(|e| e.to_string())
            .and_then(|raw| LoadedChain::new(name, raw));
        self.install(loaded);
    }

    fn install(&mut self, loaded: Result<LoadedChain, String>) {
        match loaded {
            Ok(chain) => {
                self.selected = first_live_slice(&chain);
                self.chain = Some(chain);
                self.error = None;
                self.request_fit();
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Fits every slice of the loaded chain on the worker thread (the current fits stay until it answers).
    pub fn request_fit(&mut self) {
        if let Some(chain) = &self.chain {
            self.worker.request(Arc::clone(&chain.snapshot), self.model_kind, self.config.clone());
        }
    }

    /// Applies the worker's answer to the latest request, if it has come.
    fn poll_fits(&mut self) {
        if let Some(result) = self.worker.poll() {
            self.applied_fit = result.id;
            match result.reports {
                Ok(reports) => {
                    self.fits = Some(FitView { kind: result.kind, reports, elapsed_ms: result.elapsed_ms });
                    self.fit_error = None;
                }
                Err(e) => self.fit_error = Some(e),
            }
        }
    }

    /// `true` while a fit is running for the latest request.
    pub fn fitting(&self) -> bool {
        self.worker.latest() != self.applied_fit
    }

    /// The fits, if any.
    pub fn fits(&self) -> Option<&FitView> {
        self.fits.as_ref()
    }

    /// The loaded chain, if any.
    pub fn chain(&self) -> Option<&LoadedChain> {
        self.chain.as_ref()
    }

    /// The last load error, if any.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    fn menu_ui(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            ui.menu_button("File", |ui| {
                if ui.button("Open…").clicked() {
                    ui.close();
                    if let Some(path) = rfd::FileDialog::new().pick_file() {
                        self.open(&path);
                    }
                }
                if ui.button("Open the synthetic sample").clicked() {
                    ui.close();
                    self.open_sample();
                }
                ui.separator();
                ui.add_enabled_ui(self.fits.is_some(), |ui| {
                    if ui.button("Export fit JSON…").clicked() {
                        ui.close();
                        self.export("fit.json", export_fit_json);
                    }
                    if ui.button("Export surface grid CSV…").clicked() {
                        ui.close();
                        self.export("grid.csv", export_grid_csv);
                    }
                    if ui.button("Export residuals CSV…").clicked() {
                        ui.close();
                        self.export("residuals.csv", export_residuals_csv);
                    }
                });
            });
            ui.menu_button("Tools", |ui| {
                if ui.button("Black-76 calculator").clicked() {
                    ui.close();
                    self.show_calculator = true;
                }
            });
            self.underlying_ui(ui);
            ui.separator();
            self.model_ui(ui);
        });
    }

    fn model_ui(&mut self, ui: &mut Ui) {
        let mut kind = self.model_kind;
        egui::ComboBox::from_label("Model").selected_text(kind.name()).show_ui(ui, |ui| {
            for k in [ModelKind::Svi, ModelKind::SviJw, ModelKind::Sabr { beta: Some(1.0) }] {
                ui.selectable_value(&mut kind, k, k.name());
            }
        });
        if kind != self.model_kind {
            self.model_kind = kind;
            self.request_fit();
        }
        if ui.button("Refit").clicked() {
            self.request_fit();
        }
        if self.fitting() {
            ui.spinner();
            ui.label("fitting…");
        } else if let Some(f) = &self.fits {
            let failed = f.reports.iter().filter(|r| !r.status.is_usable()).count();
            ui.label(format!("{} fitted in {:.1} ms, {failed} failed", f.kind.name(), f.elapsed_ms));
        }
        if let Some(e) = &self.fit_error {
            ui.label(RichText::new(e).color(theme::palette(ui).error));
        }
    }

    /// Excludes a quote from the fits, or includes it again; undoable; refits.
    pub fn toggle_exclusion(&mut self, instrument: &str) {
        let excluded = &mut self.config.excluded_instruments;
        self.undo.push(excluded.clone());
        self.redo.clear();
        match excluded.iter().position(|e| e == instrument) {
            Some(i) => {
                excluded.remove(i);
                self.last_message = Some(format!("{instrument} included again"));
            }
            None => {
                excluded.push(instrument.to_owned());
                self.last_message = Some(format!("{instrument} excluded (ctrl+Z undoes)"));
            }
        }
        self.request_fit();
    }

    /// Undoes the last exclusion change (ctrl+Z); `redo` redoes (ctrl+Y).
    pub fn undo_exclusion(&mut self, redo: bool) {
        let (from, to) = if redo { (&mut self.redo, &mut self.undo) } else { (&mut self.undo, &mut self.redo) };
        if let Some(previous) = from.pop() {
            to.push(std::mem::replace(&mut self.config.excluded_instruments, previous));
            self.request_fit();
        }
    }

    /// The fit configuration (bounds, fixed values, weights); call [`VolscopeApp::request_fit`] after a change.
    pub fn config_mut(&mut self) -> &mut FitConfig {
        &mut self.config
    }

    /// Instruments the user excluded.
    pub fn excluded(&self) -> &[String] {
        &self.config.excluded_instruments
    }

    /// Asks for a path and writes an export there (atomically); the outcome goes to the status bar.
    fn export(&mut self, default_name: &str, write: fn(&ExportInputs<'_>, &Path) -> std::io::Result<()>) {
        let (Some(chain), Some(fits)) = (&self.chain, &self.fits) else { return };
        let Some(path) = rfd::FileDialog::new().set_file_name(default_name).save_file() else { return };
        let inputs = ExportInputs {
            file: &chain.name,
            snapshot: &chain.snapshot,
            kind: fits.kind,
            config: &self.config,
            reports: &fits.reports,
        };
        self.last_message = Some(match write(&inputs, &path) {
            Ok(()) => format!("exported {}", path.display()),
            Err(e) => format!("export to {} failed: {e}", path.display()),
        });
    }

    /// The right-hand panel: the model's parameters with bounds and fixing, weights, Calibrate and Auto.
    fn model_panel_ui(&mut self, ui: &mut Ui) {
        let Some(chain) = &self.chain else { return };
        let Some(slice) = chain.snapshot.slices.get(self.selected).or(chain.snapshot.slices.first()) else { return };
        let model = self.model_kind.for_slice(slice);
        let defaults = model.default_bounds();
        let fitted = self
            .fits
            .as_ref()
            .filter(|f| f.kind == self.model_kind)
            .and_then(|f| f.reports.get(self.selected))
            .filter(|r| !r.params.is_empty())
            .map(|r| r.params.clone());
        let rows: Vec<ParamRow<'_>> = model
            .param_names()
            .iter()
            .enumerate()
            .map(|(i, name)| ParamRow {
                name,
                default_bounds: defaults[i],
                fitted: fitted.as_ref().and_then(|p| p.get(i).copied()),
            })
            .collect();
        ui.heading(format!("Model: {}", self.model_kind.name()));
        let changed = constraints_ui(ui, &mut self.config, &rows);
        ui.separator();
        ui.horizontal(|ui| {
            if ui.button("Calibrate").clicked() {
                self.request_fit();
            }
            ui.checkbox(&mut self.auto_fit, "Auto");
        });
        if changed && self.auto_fit {
            self.request_fit();
        }
        if let Some(r) = self.fits.as_ref().and_then(|f| f.reports.get(self.selected)) {
            ui.separator();
            ui.label(format!("status: {}", r.status.label()));
            if let crate::calibrate::FitStatus::Failed { reason } = &r.status {
                ui.label(RichText::new(reason).color(theme::palette(ui).error));
            }
            for note in &r.notes {
                ui.small(note);
            }
        }
    }

    fn tables_ui(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.tab, Tab::Residuals, "Residuals");
            ui.selectable_value(&mut self.tab, Tab::Parameters, "Parameters");
            ui.selectable_value(&mut self.tab, Tab::Greeks, "Greeks");
            ui.selectable_value(&mut self.tab, Tab::Arbitrage, "Arbitrage");
        });
        ui.separator();
        let slice = self.chain.as_ref().and_then(|c| c.snapshot.slices.get(self.selected));
        if let (Tab::Greeks, Some(slice)) = (self.tab, slice) {
            greeks_ui(ui, slice);
            return;
        }
        let Some(fits) = &self.fits else {
            ui.label(if self.fitting() { "fitting…" } else { "No fit." });
            return;
        };
        match self.tab {
            Tab::Residuals => match fits.reports.get(self.selected) {
                Some(report) => residuals_ui(ui, report),
                None => {
                    ui.label("No expiry selected.");
                }
            },
            Tab::Parameters => parameters_ui(ui, &fits.reports),
            Tab::Arbitrage => match (slice, fits.reports.get(self.selected)) {
                (Some(slice), Some(report)) => arbitrage_ui(ui, fits.kind, slice, report),
                _ => {
                    ui.label("No expiry selected.");
                }
            },
            Tab::Greeks => {}
        }
    }

    fn underlying_ui(&mut self, ui: &mut Ui) {
        let Some(chain) = &mut self.chain else { return };
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
            match chain.select_underlying(&chosen) {
                Ok(()) => {
                    self.selected = first_live_slice(chain);
                    self.fits = None;
                }
                Err(e) => self.error = Some(e),
            }
            self.request_fit();
        }
    }

    fn status_bar_ui(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            if let Some(e) = &self.error {
                ui.label(
                    RichText::new(format!("Load failed: {}", e.lines().next().unwrap_or("")))
                        .color(theme::palette(ui).error),
                )
                .on_hover_text(e.as_str());
            }
            if let Some(message) = &self.last_message {
                ui.label(message);
                ui.separator();
            }
            let Some(chain) = &self.chain else { return };
            ui.label(status_line(chain)).on_hover_text(chain.report().describe());
            let n = chain.snapshot.warnings.len() + chain.report().rejected_count();
            let label = if n == 1 { "1 warning".to_owned() } else { format!("{n} warnings") };
            if n > 0 && ui.button(RichText::new(label).color(theme::palette(ui).warning)).clicked() {
                self.show_warnings = !self.show_warnings;
            }
        });
    }

    fn warnings_window(&mut self, ctx: &egui::Context) {
        let Some(chain) = &self.chain else { return };
        let mut open = self.show_warnings;
        egui::Window::new("Load and build warnings").open(&mut open).show(ctx, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                ui.monospace(chain.report().describe());
                for w in &chain.snapshot.warnings {
                    ui.label(w);
                }
            });
        });
        self.show_warnings = open;
    }

    fn keyboard(&mut self, ui: &Ui) {
        let (undo, redo) = ui.input(|i| {
            let z = i.modifiers.command && i.key_pressed(egui::Key::Z);
            (z && !i.modifiers.shift, (z && i.modifiers.shift) || (i.modifiers.command && i.key_pressed(egui::Key::Y)))
        });
        if undo || redo {
            self.undo_exclusion(redo);
        }
        let Some(chain) = &self.chain else { return };
        let n = chain.snapshot.slices.len();
        ui.input(|i| {
            if i.key_pressed(egui::Key::ArrowDown) && self.selected + 1 < n {
                self.selected += 1;
            }
            if i.key_pressed(egui::Key::ArrowUp) && self.selected > 0 {
                self.selected -= 1;
            }
        });
    }
}

/// Index of the first slice that has not expired.
fn first_live_slice(chain: &LoadedChain) -> usize {
    chain.snapshot.slices.iter().position(|s| s.t_years > 0.0).unwrap_or(0)
}

impl eframe::App for VolscopeApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }
}

impl VolscopeApp {
    /// Draws one frame of the whole window into `ui` (what `eframe::App::ui` does; tests drive it directly).
    pub fn show(&mut self, ui: &mut Ui) {
        self.poll_fits();
        self.keyboard(ui);
        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui));
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar_ui(ui));
        if self.chain.is_some() {
            egui::Panel::bottom("tables")
                .resizable(true)
                .default_size(240.0)
                .min_size(160.0)
                .show(ui, |ui| self.tables_ui(ui));
        }
        if self.chain.is_some() {
            egui::Panel::right("model").resizable(true).default_size(330.0).show(ui, |ui| {
                egui::ScrollArea::vertical().id_salt("model_panel").show(ui, |ui| self.model_panel_ui(ui));
            });
        }
        if let Some(chain) = &self.chain {
            let mut clicked = None;
            let reports = self.fits.as_ref().map(|f| f.reports.as_slice());
            egui::Panel::left("expiries").resizable(true).show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .show(ui, |ui| clicked = expiry_list_ui(ui, &chain.snapshot, reports, self.selected));
            });
            if let Some(i) = clicked {
                self.selected = i;
            }
        }
        let mut toggled = None;
        let mut plot_rect = None;
        let mut axis = self.axis;
        egui::CentralPanel::default().show(ui, |ui| {
            match self.chain.as_ref().and_then(|c| c.snapshot.slices.get(self.selected)) {
                Some(slice) => {
                    ui.horizontal(|ui| {
                        ui.label("x axis:");
                        for a in [XAxis::LogMoneyness, XAxis::Strike, XAxis::Delta] {
                            ui.selectable_value(&mut axis, a, a.label());
                        }
                    });
                    let fit = self.fits.as_ref().and_then(|f| f.reports.get(self.selected).map(|r| (f.kind, r)));
                    let curves: Vec<_> = fit.and_then(|(kind, r)| fit_curve(kind, r)).into_iter().collect();
                    let excluded = &self.config.excluded_instruments;
                    let action = smile_plot_ui(ui, slice, fit.map(|(_, r)| r), &curves, self.axis, excluded);
                    (toggled, plot_rect) = (action.toggled, action.plot_rect);
                }
                None => {
                    ui.label("No chain loaded: File → Open…");
                }
            }
        });
        self.axis = axis;
        if let Some(instrument) = toggled {
            self.toggle_exclusion(&instrument);
        }
        let ctx = ui.ctx().clone();
        self.png.start_export_if_due(&ctx, plot_rect, !self.fitting());
        if let Some(done) = self.png.poll(&ctx) {
            self.last_message =
                Some(done.map_or_else(|e| format!("PNG export failed: {e}"), |p| format!("exported {}", p.display())));
        }
        self.warnings_window(&ctx);
        let mut open = self.show_calculator;
        egui::Window::new("Black-76 calculator").open(&mut open).show(&ctx, |ui| self.calculator.calculator_ui(ui));
        self.show_calculator = open;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibrate::QuoteUse;

    /// Polls the app until the latest fit has been applied.
    fn wait_for_fit(app: &mut VolscopeApp) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while app.fitting() {
            app.poll_fits();
            assert!(std::time::Instant::now() < deadline, "no fit within 60 s");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    #[test]
    fn the_sample_opens_fitted_and_an_exclusion_refits_and_undoes() {
        let mut app = VolscopeApp::new(None, None);
        assert!(app.chain().is_some() && app.error().is_none());
        wait_for_fit(&mut app);
        let fits = app.fits().expect("the sample is fitted on open");
        assert_eq!(fits.reports.len(), 10);
        assert!(fits.reports.iter().all(|r| r.status.is_usable()));
        let instrument = "BTC-27MAR26-70000-P";
        let before = fits.reports[3].clone();
        assert!(before.residuals.iter().any(|q| q.instrument == instrument && q.used == QuoteUse::Used));

        app.toggle_exclusion(instrument);
        assert_eq!(app.excluded(), [instrument]);
        wait_for_fit(&mut app);
        let after = &app.fits().unwrap().reports[3];
        let q = after.residuals.iter().find(|q| q.instrument == instrument).unwrap();
        assert_eq!(q.used, QuoteUse::Excluded("excluded by user".into()));
        assert_eq!(after.n_quotes + 1, before.n_quotes, "the fit report changed accordingly");

        app.undo_exclusion(false);
        assert!(app.excluded().is_empty());
        app.undo_exclusion(true);
        assert_eq!(app.excluded(), [instrument]);
    }

    #[test]
    fn a_bound_and_a_fixed_parameter_change_the_fit() {
        let mut app = VolscopeApp::new(None, None);
        wait_for_fit(&mut app);
        let b_before = app.fits().unwrap().reports[5].params[1];
        app.config_mut().fixed.insert("rho".into(), -0.3);
        app.config_mut().bounds.insert("b".into(), (0.0, 0.5 * b_before));
        app.request_fit();
        wait_for_fit(&mut app);
        let r = &app.fits().unwrap().reports[5];
        assert_eq!(r.params[2], -0.3, "rho fixed");
        assert!(r.params[1] <= 0.5 * b_before + 1e-12, "b within its new upper bound");
        assert!(matches!(r.status, crate::calibrate::FitStatus::AtBound { .. }), "{:?}", r.status);
        app.config_mut().bounds.insert("b".into(), (1.0, 0.5));
        app.request_fit();
        wait_for_fit(&mut app);
        let r = &app.fits().unwrap().reports[5];
        assert_eq!(r.status.label(), "failed", "a bad bound is a clear failure, not a panic");
    }

    #[test]
    fn a_file_that_fails_to_load_keeps_the_current_chain() {
        let mut app = VolscopeApp::new(None, None);
        let before = app.chain().unwrap().snapshot.quote_count();
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, "expiry;strike;type\n1;2;3\n").unwrap();
        app.open(&bad);
        assert!(app.error().unwrap().contains("another delimiter"), "{:?}", app.error());
        assert_eq!(app.chain().unwrap().snapshot.quote_count(), before);
    }
}
