//! What runs beside the window or writes files: background loads (`load_job.rs`) of a loaded chain
//! (`loaded_chain.rs`), the fit worker (`fit_worker.rs`), the settings file and the autosave (`settings.rs`),
//! PNG export of the smile plot (`png_export.rs`) and the fit exports of the File menu (`export_menu.rs`).

/// Fit JSON, grid CSV and residuals CSV of the shown fits.
pub(crate) mod export_menu;
/// Fits on a worker thread; only the latest request's answer is applied.
pub(crate) mod fit_worker;
/// Loads on a thread with progress and Cancel.
pub mod load_job;
/// A loaded file and its rebuilds for another underlying or time.
pub mod loaded_chain;
/// Screenshot of the smile plot, cropped, as PNG (atomic).
pub(crate) mod png_export;
/// The settings file and the autosave.
pub(crate) mod settings;
