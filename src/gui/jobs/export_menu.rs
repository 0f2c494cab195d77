//! The Export menu: fit JSON, surface grid CSV and residuals CSV, in the formats of `volscope fit`.

use std::path::Path;

use crate::calibrate::SliceFitReport;
use crate::export::{fit_json, write_grid_csv, write_residuals_csv, FitSource, GridSpec};
use crate::io::write_atomically;
use crate::market::time::format_utc;
use crate::market::Snapshot;
use crate::models::{FittedSmile, ModelKind, SmileModel};

/// The exports of the File menu.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    /// fit.json with the calendar check.
    FitJson,
    /// The fitted surface on a k grid.
    GridCsv,
    /// Per-quote residuals.
    ResidualsCsv,
}

impl ExportKind {
    /// Every export, in menu order.
    pub const ALL: [ExportKind; 3] = [ExportKind::FitJson, ExportKind::GridCsv, ExportKind::ResidualsCsv];

    /// The menu entry.
    pub fn label(self) -> &'static str {
        match self {
            ExportKind::FitJson => "Export fit JSON…",
            ExportKind::GridCsv => "Export surface grid CSV…",
            ExportKind::ResidualsCsv => "Export residuals CSV…",
        }
    }

    /// The file name the save dialog proposes.
    pub fn file_name(self) -> &'static str {
        match self {
            ExportKind::FitJson => "fit.json",
            ExportKind::GridCsv => "grid.csv",
            ExportKind::ResidualsCsv => "residuals.csv",
        }
    }

    /// Writes this export of `inputs` to `path` (atomically).
    pub fn write(self, inputs: &ExportInputs<'_>, path: &Path) -> std::io::Result<()> {
        match self {
            ExportKind::FitJson => export_fit_json(inputs, path),
            ExportKind::GridCsv => export_grid_csv(inputs, path),
            ExportKind::ResidualsCsv => export_residuals_csv(inputs, path),
        }
    }
}

/// What an export needs.
pub struct ExportInputs<'a> {
    /// The file the chain came from (display name).
    pub file: &'a str,
    /// The chain.
    pub snapshot: &'a Snapshot,
    /// Model of each slice, in slice order.
    pub kinds: &'a [ModelKind],
    /// The configuration as JSON (the all-expiry one, or the whole edit state when expiries have their own).
    pub config: serde_json::Value,
    /// One report per slice.
    pub reports: &'a [SliceFitReport],
}

/// The fitted smile of each usable report, paired with it.
fn smiles<'a>(inputs: &ExportInputs<'a>) -> Vec<(&'a SliceFitReport, FittedSmile)> {
    inputs.reports.iter().zip(inputs.kinds).filter_map(|(r, k)| Some((r, r.smile(*k)?))).collect()
}

/// The model's name, or "mixed" when expiries use different models (each slice names its own).
fn model_name(kinds: &[ModelKind]) -> String {
    match kinds.first() {
        Some(first) if kinds.iter().all(|k| k == first) => first.name().to_owned(),
        Some(_) => "mixed".to_owned(),
        None => String::new(),
    }
}

/// Writes fit.json (with the calendar check) atomically.
pub fn export_fit_json(inputs: &ExportInputs<'_>, path: &Path) -> std::io::Result<()> {
    let smiles = smiles(inputs);
    let fits: Vec<(&SliceFitReport, &FittedSmile)> = smiles.iter().map(|(r, s)| (*r, s)).collect();
    let calendar = crate::surface::calendar_violations(&fits);
    let source = FitSource {
        file: inputs.file.to_owned(),
        format: inputs.snapshot.source.clone(),
        underlying: inputs.snapshot.underlying.clone(),
        snapshot_time: format_utc(inputs.snapshot.time_ms),
        model: model_name(inputs.kinds),
        config: inputs.config.clone(),
    };
    let doc = fit_json(&source, inputs.reports, &calendar);
    write_atomically(path, |w| serde_json::to_writer_pretty(w, &doc).map_err(std::io::Error::other))
}

/// Writes the fitted surface on k ∈ [−1, 1] step 0.05 atomically.
pub fn export_grid_csv(inputs: &ExportInputs<'_>, path: &Path) -> std::io::Result<()> {
    let smiles = smiles(inputs);
    let fits: Vec<(&SliceFitReport, &dyn SmileModel)> = smiles.iter().map(|(r, s)| (*r, s.model())).collect();
    let grid = GridSpec::K { min: -1.0, max: 1.0, step: 0.05 };
    write_atomically(path, |w| write_grid_csv(&fits, &grid, w).map_err(std::io::Error::other))
}

/// Writes the per-quote residuals atomically.
pub fn export_residuals_csv(inputs: &ExportInputs<'_>, path: &Path) -> std::io::Result<()> {
    write_atomically(path, |w| write_residuals_csv(inputs.reports, w).map_err(std::io::Error::other))
}
