//! The main window: menu, expiry list, smile plot and status bar around the loaded chain.

use std::path::Path;

use egui::{RichText, Ui};

use super::calculator::CalculatorApp;
use super::chain_view::{expiry_list_ui, smile_plot_ui, status_line, LoadedChain};
use super::theme;
use crate::io::{load_bytes, load_path, LoadOptions};
use crate::sample::{SAMPLE_CSV, SAMPLE_PATH};

/// Application state.
pub struct VolscopeApp {
    chain: Option<LoadedChain>,
    selected: usize,
    error: Option<String>,
    calculator: CalculatorApp,
    show_calculator: bool,
    show_warnings: bool,
}

impl VolscopeApp {
    /// Opens `file`, or the bundled sample when none is given.
    pub fn new(file: Option<&Path>) -> Self {
        let mut app = VolscopeApp {
            chain: None,
            selected: 0,
            error: None,
            calculator: CalculatorApp::default(),
            show_calculator: false,
            show_warnings: false,
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
            }
            Err(e) => self.error = Some(e),
        }
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
            });
            ui.menu_button("Tools", |ui| {
                if ui.button("Black-76 calculator").clicked() {
                    ui.close();
                    self.show_calculator = true;
                }
            });
            self.underlying_ui(ui);
        });
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
                Ok(()) => self.selected = first_live_slice(chain),
                Err(e) => self.error = Some(e),
            }
        }
    }

    fn status_bar_ui(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            if let Some(e) = &self.error {
                ui.label(RichText::new(format!("Load failed: {}", e.lines().next().unwrap_or(""))).color(theme::ERROR))
                    .on_hover_text(e.as_str());
            }
            let Some(chain) = &self.chain else { return };
            ui.label(status_line(chain)).on_hover_text(chain.report().describe());
            let n = chain.snapshot.warnings.len() + chain.report().rejected_count();
            let label = if n == 1 { "1 warning".to_owned() } else { format!("{n} warnings") };
            if n > 0 && ui.button(RichText::new(label).color(theme::WARNING)).clicked() {
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
        self.keyboard(ui);
        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui));
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar_ui(ui));
        if let Some(chain) = &self.chain {
            let mut clicked = None;
            egui::Panel::left("expiries").resizable(true).show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .show(ui, |ui| clicked = expiry_list_ui(ui, &chain.snapshot, self.selected));
            });
            if let Some(i) = clicked {
                self.selected = i;
            }
        }
        egui::CentralPanel::default().show(ui, |ui| {
            match self.chain.as_ref().and_then(|c| c.snapshot.slices.get(self.selected)) {
                Some(slice) => smile_plot_ui(ui, slice),
                None => {
                    ui.label("No chain loaded: File → Open…");
                }
            }
        });
        let ctx = ui.ctx().clone();
        self.warnings_window(&ctx);
        let mut open = self.show_calculator;
        egui::Window::new("Black-76 calculator").open(&mut open).show(&ctx, |ui| self.calculator.calculator_ui(ui));
        self.show_calculator = open;
    }
}
