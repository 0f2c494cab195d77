//! The desktop app (feature `gui`): the only module that imports egui.
//!
//! The explorer: expiry list, smile with bid/ask and the fitted curve, model and constraints panel with
//! manual mode, tables (residuals, Greeks, surface, arbitrage, parameters), sessions with autosave, and a
//! Black-76 calculator. The parts, one folder each:
//!
//! - `app/`: the state, split by concern, and `apply` (every change the user asks for);
//! - `panels/`: menu bar, status bar, expiry list, model panel and constraints, calculator, time picker;
//! - `tabs/`: residuals, Greeks, surface, arbitrage and parameters tabs;
//! - `plots/`: the smile plot (quotes, hover, click-to-exclude, curve drag);
//! - `jobs/`: background loads, the fit worker, settings and autosave, PNG and fit exports;
//!
//! and `action.rs` (what the user asks, as data), `theme.rs` (every colour).

mod action;
mod app;
mod jobs;
mod panels;
mod plots;
mod tabs;
mod theme;

use std::path::Path;

pub use app::VolscopeApp;
pub use jobs::load_job::LoadJob;
pub use jobs::loaded_chain::LoadedChain;
pub use panels::CalculatorApp;

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
            let legacy = jobs::settings::legacy_settings(cc.storage);
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
    Some(jobs::settings::set_aside_message("the window state file", &path, &why.to_string()).0)
}
