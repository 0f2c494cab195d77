//! The desktop app (feature `gui`): the only module that imports egui.
//!
//! This first window is a Black-76 calculator over the pricing core; the chain explorer replaces it as the
//! market-data and calibration layers land.

mod calculator;

pub use calculator::CalculatorApp;

/// Opens the main window and runs until it is closed.
pub fn run() -> eframe::Result {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Volscope")
            .with_inner_size([1100.0, 720.0])
            .with_min_inner_size([640.0, 420.0]),
        ..Default::default()
    };
    eframe::run_native("Volscope", options, Box::new(|_cc| Ok(Box::new(CalculatorApp::default()))))
}
