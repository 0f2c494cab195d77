//! A loaded file: its raw rows, the snapshot built from them (one underlying, one time) and what can be
//! rebuilt (another underlying, another time of a multi-snapshot file).

use crate::io::{LoadReport, RawChain};
use crate::market::{BuildOptions, Snapshot};

/// A loaded file: the raw rows (to rebuild for another underlying) and the snapshot shown.
pub struct LoadedChain {
    /// Display name of the file.
    pub name: String,
    /// Rows as read.
    pub raw: RawChain,
    /// The snapshot shown (shared with the fit worker without a copy).
    pub snapshot: std::sync::Arc<Snapshot>,
    /// Underlyings in the file.
    pub underlyings: Vec<String>,
}

impl LoadedChain {
    /// Builds the default snapshot (first underlying, last time) of a raw chain.
    pub fn new(name: String, raw: RawChain) -> Result<Self, String> {
        let snapshot =
            raw.snapshot(&BuildOptions::default()).map_err(|e| format!("{name}: {e}\n{}", raw.report.describe()))?;
        let underlyings = crate::market::underlyings(&raw.rows);
        Ok(LoadedChain { name, raw, snapshot: std::sync::Arc::new(snapshot), underlyings })
    }

    /// Rebuilds for another underlying.
    pub fn select_underlying(&mut self, underlying: &str) -> Result<(), String> {
        let options = BuildOptions { underlying: Some(underlying.to_owned()), ..BuildOptions::default() };
        self.snapshot = std::sync::Arc::new(self.raw.snapshot(&options).map_err(|e| e.to_string())?);
        Ok(())
    }

    /// The load report.
    pub fn report(&self) -> &LoadReport {
        &self.raw.report
    }
}
