//! The desktop app (feature `gui`): the only module that imports egui.
//!
//! Today a chain viewer (expiry list, smile of the selected expiry, load report) and a Black-76 calculator;
//! fitting and the full explorer arrive with the calibration and GUI issues.

mod app;
mod calculator;
mod chain_view;
mod constraints;
mod export;
mod fit_worker;
mod loaded;
pub mod surface;
mod tables;
mod theme;

use std::path::Path;

pub use app::VolscopeApp;
pub use calculator::CalculatorApp;
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
    eframe::run_native(
        "Volscope",
        options,
        Box::new(move |cc| Ok(Box::new(VolscopeApp::new(file.as_deref(), Some(cc.egui_ctx.clone()))))),
    )
}
