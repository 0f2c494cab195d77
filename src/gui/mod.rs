//! The desktop app (feature `gui`): the only module that imports egui.
//!
//! The explorer: expiry list, smile with bid/ask and the fitted curve, model and constraints panel with
//! manual mode, tables (residuals, Greeks, arbitrage, parameters), sessions with autosave, and a Black-76
//! calculator. Fits run on a worker thread (`fit_worker`); the state and its actions are in `app.rs`, the
//! drawing in `app_ui.rs` and `model_panel.rs`.

mod action;
mod app;
mod app_ui;
mod calculator;
mod chain_view;
mod constraints;
mod export;
mod fit_worker;
mod greeks_tab;
mod load_job;
mod loaded;
mod model_panel;
mod png_export;
mod residuals_tab;
mod settings;
mod surface;
mod tables;
mod theme;
mod time_picker;

use std::path::Path;

pub use app::VolscopeApp;
pub use calculator::CalculatorApp;
pub use load_job::LoadJob;
pub use loaded::LoadedChain;

/// Opens the main window on `file` (or the bundled sample) and runs until it is closed.
pub fn run(file: Option<&Path>) -> eframe::Result {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Volscope")
            .with_inner_size([1400.0, 860.0])
            .with_min_inner_size([720.0, 480.0]),
        ..Default::default()
    };
    let file = file.map(Path::to_path_buf);
    let storage_message = check_eframe_storage();
    eframe::run_native(
        "Volscope",
        options,
        Box::new(move |cc| {
            let legacy = app_ui::legacy_settings(cc.storage);
            let mut app = VolscopeApp::start(file.as_deref(), cc.egui_ctx.clone(), legacy);
            if let Some(message) = storage_message {
                app.show_message(message);
            }
            Ok(Box::new(app))
        }),
    )
}

/// eframe keeps the window's geometry in `app.ron` and writes over a file it cannot parse; an unreadable one
/// is set aside first (its name is returned for the status bar).
fn check_eframe_storage() -> Option<String> {
    let path = eframe::storage_dir("Volscope")?.join("app.ron");
    let text = std::fs::read_to_string(&path).ok()?;
    let why = ron::from_str::<std::collections::HashMap<String, String>>(&text).err()?;
    Some(settings::set_aside_message("the window state file", &path, &why.to_string()).0)
}
