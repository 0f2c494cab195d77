//! A loaded file: its raw rows, the snapshot built from them (one underlying, one time) and what can be
//! rebuilt (another underlying, another time of a multi-snapshot file).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::io::{snapshot_times, LoadReport, RawChain};
use crate::market::{BuildOptions, RowTimes, Snapshot};

/// A loaded file: the raw rows (to rebuild for another underlying or time) and the snapshot shown.
pub struct LoadedChain {
    /// Display name of the file.
    pub name: String,
    /// The file read (`None` for the bundled sample or in-memory content).
    pub source: Option<PathBuf>,
    /// Rows as read.
    pub raw: RawChain,
    /// The snapshot shown (shared with the fit worker without a copy).
    pub snapshot: Arc<Snapshot>,
    /// Underlyings in the file.
    pub underlyings: Vec<String>,
    /// Snapshot times the file offers, UTC ms ascending (from the rows, or a Tardis file's listing); fewer
    /// than two: nothing to pick.
    pub times: Vec<i64>,
    /// The time asked for, UTC ms (`None`: the file's default, its last time). The snapshot's own time is
    /// `snapshot.time_ms` (the snapshot at or before this one).
    pub at_ms: Option<i64>,
    /// Day count and USD conversion the snapshot is built with (underlying and time are taken from the
    /// snapshot and `at_ms`).
    build: BuildOptions,
}

impl LoadedChain {
    /// Builds the default snapshot (first underlying, last time) of a raw chain.
    pub fn new(name: String, raw: RawChain) -> Result<Self, String> {
        Self::with_options(name, raw, BuildOptions::default())
    }

    /// Builds the snapshot `build` asks for (underlying, time, conventions); the error names the file and
    /// carries the load report.
    pub fn with_options(name: String, raw: RawChain, build: BuildOptions) -> Result<Self, String> {
        let snapshot = raw.snapshot(&build).map_err(|e| format!("{name}: {e}\n{}", raw.report.describe()))?;
        let underlyings = crate::market::underlyings(&raw.rows);
        let times = snapshot_times(&raw);
        let at_ms = build.at_ms;
        Ok(LoadedChain {
            name,
            source: None,
            raw,
            snapshot: Arc::new(snapshot),
            underlyings,
            times,
            at_ms,
            build: BuildOptions { underlying: None, at_ms: None, ..build },
        })
    }

    /// Records the file the chain was read from, as an absolute path (a session saved from it restores from any
    /// working directory).
    pub fn with_source(mut self, path: PathBuf) -> Self {
        self.source = Some(std::fs::canonicalize(&path).unwrap_or(path));
        self
    }

    /// The file the chain was read from, if any.
    pub fn source(&self) -> Option<&Path> {
        self.source.as_deref()
    }

    /// The options the shown snapshot was built with (current underlying and time included).
    pub fn build_options(&self) -> BuildOptions {
        BuildOptions { underlying: Some(self.snapshot.underlying.clone()), at_ms: self.at_ms, ..self.build.clone() }
    }

    /// Rebuilds for another underlying, at the selected time.
    pub fn select_underlying(&mut self, underlying: &str) -> Result<(), String> {
        let options = BuildOptions { underlying: Some(underlying.to_owned()), ..self.build_options() };
        self.rebuild(options)
    }

    /// Whether showing another time needs the file read again (a Tardis file: only the rows at or before the
    /// load time were kept): then start a load with `LoadOptions::at_ms` instead of [`Self::select_time`].
    pub fn needs_reload_for_time(&self) -> bool {
        self.raw.row_times == RowTimes::Updates
    }

    /// Rebuilds the snapshot at `at_ms` (UTC ms; the snapshot at or before it) for the current underlying.
    /// A file that [needs a reload](Self::needs_reload_for_time) gives an error and is left unchanged, as is the
    /// chain when the build fails.
    pub fn select_time(&mut self, at_ms: i64) -> Result<(), String> {
        if self.needs_reload_for_time() {
            return Err(format!(
                "{}: another time needs the file read again (a Tardis file keeps only the rows up to the load time)",
                self.name
            ));
        }
        self.rebuild(BuildOptions { at_ms: Some(at_ms), ..self.build_options() })?;
        self.at_ms = Some(at_ms);
        Ok(())
    }

    /// The load report.
    pub fn report(&self) -> &LoadReport {
        &self.raw.report
    }

    /// Replaces the snapshot with the one `options` give (unchanged on error).
    fn rebuild(&mut self, options: BuildOptions) -> Result<(), String> {
        let snapshot = self.raw.snapshot(&options).map_err(|e| format!("{}: {e}", self.name))?;
        self.snapshot = Arc::new(snapshot);
        Ok(())
    }
}

#[cfg(test)]
pub(in crate::gui) mod tests {
    use super::*;
    use crate::io::{load_bytes, LoadOptions};

    /// A generic CSV with the same two quotes at two times (BTC) and one ETH quote at the later time.
    pub(in crate::gui) const TWO_TIMES: &str = "timestamp,underlying,expiry,strike,type,bid,ask,forward\n\
        2026-03-16T09:00:00Z,BTC,2026-06-26,70000,call,5000,5100,72000\n\
        2026-03-16T09:00:00Z,BTC,2026-06-26,70000,put,3000,3100,72000\n\
        2026-03-16T10:00:00Z,BTC,2026-06-26,70000,call,5200,5300,72300\n\
        2026-03-16T10:00:00Z,BTC,2026-06-26,70000,put,2900,3000,72300\n\
        2026-03-16T10:00:00Z,ETH,2026-06-26,2000,call,200,210,2100\n";

    /// The chain of a CSV text (its first underlying, last time).
    pub(in crate::gui) fn chain(text: &str) -> LoadedChain {
        let raw = load_bytes(text.as_bytes(), "two_times.csv", &LoadOptions::default()).unwrap();
        LoadedChain::new("two_times.csv".into(), raw).unwrap()
    }

    #[test]
    fn a_time_is_selected_and_kept_across_underlyings() {
        let mut chain = chain(TWO_TIMES);
        let (nine, ten) = (chain.times[0], chain.times[1]);
        assert_eq!(chain.times.len(), 2);
        assert_eq!((chain.snapshot.time_ms, chain.at_ms, chain.needs_reload_for_time()), (ten, None, false));
        chain.select_time(nine).unwrap();
        assert_eq!((chain.snapshot.time_ms, chain.at_ms), (nine, Some(nine)));
        assert_eq!(chain.snapshot.slices[0].forward, 72000.0);
        let err = chain.select_underlying("ETH").unwrap_err();
        assert!(err.contains("no quotes at or before"), "ETH has no quote at 09:00: {err}");
        assert_eq!(chain.snapshot.underlying, "BTC", "a failed rebuild keeps the snapshot");
        chain.select_time(ten).unwrap();
        chain.select_underlying("ETH").unwrap();
        assert_eq!((chain.snapshot.underlying.as_str(), chain.snapshot.time_ms), ("ETH", ten));
        assert_eq!(chain.build_options().at_ms, Some(ten));
    }

    #[test]
    fn a_single_snapshot_file_has_no_times_and_the_sample_no_source() {
        let raw = load_bytes(crate::sample::SAMPLE_CSV.as_bytes(), "sample", &LoadOptions::default()).unwrap();
        let chain = LoadedChain::new("sample".into(), raw).unwrap();
        assert!(chain.times.is_empty() && chain.source().is_none() && chain.at_ms.is_none());
        let chain = chain.with_source(PathBuf::from("x.csv"));
        assert_eq!(chain.source(), Some(Path::new("x.csv")));
    }
}
