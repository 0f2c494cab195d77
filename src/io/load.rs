//! Opening a quote file: format detection from content, dispatch to the loader, and the raw chain it gives;
//! loads with progress and cancellation ([`load_path_with_progress`]) and the snapshot times a file offers.

use std::io::Read;
use std::path::Path;

use super::csv_input::InputError;
use super::progress::{LoadProgress, ProgressReader};
use super::report::LoadReport;
use super::tardis::{self, TardisTimes};
use crate::market::{build_snapshot, BuildError, BuildOptions, RawQuote, RowTimes, Snapshot};

/// Every supported file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SourceFormat {
    /// Deribit collector CSV (`deribit_btc_eth_*.csv`).
    DeribitCollectorCsv,
    /// Deribit `get_book_summary_by_currency` saved by pandas.
    DeribitBookSummaryCsv,
    /// Deribit `get_book_summary_by_currency` raw JSON response (`{"result": [...]}`).
    DeribitBookSummaryJson,
    /// Deribit hourly exchange IVs, long format, many snapshots.
    DeribitHourlyIvCsv,
    /// Tardis `options_chain` CSV (plain or gzip), streamed.
    TardisCsv,
    /// Volscope's documented generic CSV.
    GenericCsv,
    /// CBOE delayed-quotes export.
    CboeCsv,
    /// Binance European options mark prices CSV.
    BinanceMarksCsv,
    /// OKX `public/opt-summary` and/or `market/tickers` JSON.
    OkxJson,
    /// Bybit v5 `market/tickers?category=option` JSON.
    BybitJson,
    /// Binance `eapi/v1/mark` and/or `eapi/v1/ticker` JSON.
    BinanceEapiJson,
}

impl SourceFormat {
    /// snake_case name used in reports and exports.
    pub fn name(self) -> &'static str {
        match self {
            SourceFormat::DeribitCollectorCsv => "deribit_collector_csv",
            SourceFormat::DeribitBookSummaryCsv => "deribit_book_summary_csv",
            SourceFormat::DeribitBookSummaryJson => "deribit_book_summary_json",
            SourceFormat::DeribitHourlyIvCsv => "deribit_hourly_iv_csv",
            SourceFormat::TardisCsv => "tardis_options_chain_csv",
            SourceFormat::GenericCsv => "generic_csv",
            SourceFormat::CboeCsv => "cboe_quotedata_csv",
            SourceFormat::BinanceMarksCsv => "binance_marks_csv",
            SourceFormat::OkxJson => "okx_json",
            SourceFormat::BybitJson => "bybit_json",
            SourceFormat::BinanceEapiJson => "binance_eapi_json",
        }
    }
}

/// The rows a loader read, before normalisation.
#[derive(Clone, Debug)]
pub struct RawChain {
    /// Format read.
    pub format: SourceFormat,
    /// Snapshot time stated by the file (single-snapshot formats), UTC ms.
    pub file_time_ms: Option<i64>,
    /// Option rows.
    pub rows: Vec<RawQuote>,
    /// What the rows' own times mean (set by `load_reader` from the format).
    pub row_times: RowTimes,
    /// Underlyings present in the file but skipped on request (`LoadOptions::underlying`).
    pub skipped_underlyings: Vec<String>,
    /// What was read, used and rejected.
    pub report: LoadReport,
    /// Snapshot times a streamed multi-snapshot file covers (Tardis: the inner hour starts and the last
    /// time, listed in the load's own pass); empty for other formats, whose rows carry their times.
    pub listed_times: Vec<i64>,
}

impl RawChain {
    /// An empty chain of a format.
    pub fn new(format: SourceFormat) -> Self {
        RawChain {
            format,
            file_time_ms: None,
            rows: Vec::new(),
            row_times: RowTimes::Snapshots,
            skipped_underlyings: Vec::new(),
            report: LoadReport::new(format.name()),
            listed_times: Vec::new(),
        }
    }

    /// Adds a loaded row, unless it holds an impossible value (a strike that is not a positive number, a time
    /// outside [`SANE_YEARS`]): then it is rejected with its line. A row whose instrument name contradicts
    /// its expiry, strike or type columns loads with a warning naming its line (the columns are used).
    pub fn push(&mut self, row: RawQuote) {
        if let Err(problem) = check_row(&row) {
            self.report.reject_with("impossible value", problem);
            return;
        }
        if let Some(what) = contradiction(&row) {
            self.report.warn_line(what, row.line);
        }
        self.report.rows_loaded += 1;
        self.rows.push(row);
    }

    /// Adds a parsed row, or rejects it as "unreadable field" with its located problem.
    pub fn push_or_reject(&mut self, parsed: Result<RawQuote, InputError>) {
        match parsed {
            Ok(row) => self.push(row),
            Err(e) => self.report.reject_with("unreadable field", e),
        }
    }

    /// Builds the normalised snapshot of one underlying at one time.
    pub fn snapshot(&self, options: &BuildOptions) -> Result<Snapshot, BuildError> {
        if let Some(wanted) = options.underlying.as_deref().filter(|_| !self.skipped_underlyings.is_empty()) {
            let mut all = crate::market::underlyings(&self.rows);
            all.extend(self.skipped_underlyings.iter().cloned());
            if !all.iter().any(|u| u.eq_ignore_ascii_case(wanted)) {
                return Err(BuildError::UnknownUnderlying { wanted: wanted.to_owned(), available: all.join(", ") });
            }
        }
        let mut snapshot = build_snapshot(&self.rows, self.file_time_ms, self.row_times, self.format.name(), options)?;
        snapshot.warnings.extend(self.report.all_notes());
        Ok(snapshot)
    }
}

/// Years a file's times may lie in (snapshot times, expiries): a time outside them is a typo or a unit
/// error (a timestamp in µs read as ms), never data.
pub const SANE_YEARS: (i64, i64) = (1990, 2199);

/// `Err` naming the problem when `ms` lies outside [`SANE_YEARS`].
pub fn check_time(what: &str, ms: i64) -> Result<(), String> {
    let (first, last) = SANE_YEARS;
    let lo = crate::market::time::utc_ms(first, 1, 1, 0, 0, 0);
    let hi = crate::market::time::utc_ms(last + 1, 1, 1, 0, 0, 0);
    if (lo..hi).contains(&ms) {
        Ok(())
    } else {
        let year = crate::market::time::civil_from_days(ms.div_euclid(crate::market::time::MS_PER_DAY)).0;
        Err(format!("{what} in year {year} lies outside {first}–{last}"))
    }
}

/// The impossible values of a row, located by its line.
fn check_row(row: &RawQuote) -> Result<(), InputError> {
    let at = |name: &str, message: String| InputError {
        line: row.line,
        column: None,
        column_name: Some(name.to_owned()),
        message: format!("{}: {message}", row.instrument),
    };
    if !(row.strike.is_finite() && row.strike > 0.0) {
        return Err(at("strike", format!("strike {} is not a positive number", row.strike)));
    }
    check_time("expiry", row.expiry_ms).map_err(|m| at("expiry", m))?;
    if let Some(t) = row.time_ms {
        check_time("timestamp", t).map_err(|m| at("timestamp", m))?;
    }
    Ok(())
}

/// Which column of a row contradicts its instrument name, if any.
fn contradiction(row: &RawQuote) -> Option<&'static str> {
    let named = crate::market::parse_instrument(&row.instrument)?;
    if named.expiry_ms != row.expiry_ms {
        Some("the expiry column contradicts the instrument name (the column is used)")
    } else if (named.strike - row.strike).abs() > 1e-9 * row.strike.abs() {
        Some("the strike column contradicts the instrument name (the column is used)")
    } else if named.kind != row.kind {
        Some("the call/put column contradicts the instrument name (the column is used)")
    } else {
        None
    }
}

/// Options a loader itself needs (streamed formats filter while reading).
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Snapshot time for streamed multi-snapshot files (Tardis): keep the latest row per symbol at or before.
    pub at_ms: Option<i64>,
    /// Keep only this underlying's rows where a format holds several (the Deribit collector CSV): other rows
    /// are skipped before their numbers are parsed and counted in the report as skipped. `None` keeps all.
    pub underlying: Option<String>,
}

/// Why a file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The content is malformed at a located place.
    #[error("{path}: {error}")]
    Input {
        /// The file.
        path: String,
        /// Where and what.
        error: InputError,
    },
    /// Not a format Volscope reads.
    #[error("{path}: {message}")]
    UnknownFormat {
        /// The file.
        path: String,
        /// What was seen and what is supported.
        message: String,
    },
    /// Read, but no chain could be built from it.
    #[error("{path}: {error}\n{report}")]
    Build {
        /// The file.
        path: String,
        /// Why.
        error: BuildError,
        /// The load report (what was rejected and why).
        report: String,
    },
    /// The load was cancelled (`LoadProgress::cancel`) before it finished.
    #[error("{path}: the load was cancelled")]
    Cancelled {
        /// The file.
        path: String,
    },
}

/// Size of the prefix used to detect a format.
const SNIFF_BYTES: usize = 16 * 1024;

/// Opens a file for reading (decompressing gzip) and detects its format from the first bytes; the returned
/// reader starts at the beginning of the (decompressed) content.
pub fn open_detected(path: &Path) -> Result<(SourceFormat, Box<dyn Read + Send>), LoadError> {
    open_detected_with_progress(path, &LoadProgress::new())
}

/// [`open_detected`] counting the file's bytes into `progress` (whose total becomes the file size if it is not
/// known yet); once `progress` is cancelled, reads fail with an I/O error saying so
/// ([`super::CANCELLED_MESSAGE`]; [`load_path_with_progress`] turns any failure then into [`LoadError::Cancelled`]).
pub fn open_detected_with_progress(
    path: &Path,
    progress: &LoadProgress,
) -> Result<(SourceFormat, Box<dyn Read + Send>), LoadError> {
    let name = path.display().to_string();
    let io_err = |source| LoadError::Io { path: name.clone(), source };
    let file = std::fs::File::open(path).map_err(io_err)?;
    if let Some(size_bytes) = file.metadata().ok().filter(|m| m.is_file()).map(|m| m.len()) {
        progress.set_total_bytes_if_unknown(size_bytes);
    }
    let counted = std::io::BufReader::with_capacity(1 << 20, ProgressReader::new(file, progress));
    let mut reader = super::gz::gunzip_if_needed(counted).map_err(io_err)?;
    let mut prefix = Vec::with_capacity(SNIFF_BYTES);
    (&mut reader).take(SNIFF_BYTES as u64).read_to_end(&mut prefix).map_err(io_err)?;
    let cr_only = has_cr_line_ends_only(&prefix);
    if cr_only {
        cr_to_lf(&mut prefix);
    }
    let format = super::detect::detect(&prefix).map_err(|message| LoadError::UnknownFormat { path: name, message })?;
    let input = std::io::Cursor::new(prefix).chain(reader);
    Ok((format, if cr_only { Box::new(CrToLf(input)) } else { Box::new(input) }))
}

/// `true` when the text's lines end with a lone CR (classic Mac OS): a CR and no LF in the first bytes.
fn has_cr_line_ends_only(prefix: &[u8]) -> bool {
    prefix.contains(&b'\r') && !prefix.contains(&b'\n')
}

/// Turns every CR into LF (for text whose lines end with a lone CR).
fn cr_to_lf(bytes: &mut [u8]) {
    bytes.iter_mut().filter(|b| **b == b'\r').for_each(|b| *b = b'\n');
}

/// A reader of text whose lines end with a lone CR, giving LF line ends.
struct CrToLf<R>(R);

impl<R: Read> Read for CrToLf<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        cr_to_lf(&mut buf[..n]);
        Ok(n)
    }
}

/// Reads a whole file (decompressing gzip) and loads it; Tardis files are streamed.
pub fn load_path(path: &Path, options: &LoadOptions) -> Result<RawChain, LoadError> {
    load_path_with_progress(path, options, &LoadProgress::new())
}

/// [`load_path`] reporting the bytes of the file read so far into `progress` (its total becomes the file size,
/// compressed for gzip, unless set already) and stopping soon after `progress` is cancelled (within one
/// ≈ 1 MiB read of the file; the normalisation that follows a load is not part of it).
///
/// Once cancelled, the result is [`LoadError::Cancelled`] whatever the loader made of the failed read, and even
/// when the load had just finished: a cancelled load never hands back a chain.
pub fn load_path_with_progress(
    path: &Path,
    options: &LoadOptions,
    progress: &LoadProgress,
) -> Result<RawChain, LoadError> {
    let result = open_detected_with_progress(path, progress).and_then(|(format, input)| {
        load_reader(input, format, options)
            .map_err(|error| LoadError::Input { path: path.display().to_string(), error })
    });
    unless_cancelled(path, progress, result)
}

/// `result`, or [`LoadError::Cancelled`] when `progress` was cancelled.
fn unless_cancelled<T>(path: &Path, progress: &LoadProgress, result: Result<T, LoadError>) -> Result<T, LoadError> {
    if progress.is_cancelled() {
        return Err(LoadError::Cancelled { path: path.display().to_string() });
    }
    result
}

/// Loads in-memory content (detecting the format).
pub fn load_bytes(bytes: &[u8], name: &str, options: &LoadOptions) -> Result<RawChain, LoadError> {
    let translated;
    let bytes = if has_cr_line_ends_only(&bytes[..bytes.len().min(SNIFF_BYTES)]) {
        let mut copy = bytes.to_vec();
        cr_to_lf(&mut copy);
        translated = copy;
        &translated[..]
    } else {
        bytes
    };
    let sniff = &bytes[..bytes.len().min(SNIFF_BYTES)];
    let format =
        super::detect::detect(sniff).map_err(|message| LoadError::UnknownFormat { path: name.to_owned(), message })?;
    load_reader(bytes, format, options).map_err(|error| LoadError::Input { path: name.to_owned(), error })
}

/// Dispatches to the loader of `format`.
pub fn load_reader<R: Read>(input: R, format: SourceFormat, options: &LoadOptions) -> Result<RawChain, InputError> {
    use super::*;
    let mut chain = match format {
        SourceFormat::DeribitCollectorCsv => deribit_csv::load_collector(input, options.underlying.as_deref()),
        SourceFormat::DeribitBookSummaryCsv => deribit_book::load_csv(input),
        SourceFormat::DeribitBookSummaryJson => deribit_book::load_json(input),
        SourceFormat::DeribitHourlyIvCsv => deribit_hourly::load(input),
        SourceFormat::GenericCsv => generic_csv::load(input),
        SourceFormat::TardisCsv => tardis::load(input, options.at_ms),
        SourceFormat::CboeCsv => cboe::load(input),
        SourceFormat::BinanceMarksCsv => binance_marks::load(input),
        SourceFormat::OkxJson => okx::load(input),
        SourceFormat::BybitJson => bybit::load(input),
        SourceFormat::BinanceEapiJson => binance_eapi::load(input),
    }?;
    if format == SourceFormat::TardisCsv {
        chain.row_times = RowTimes::Updates;
    }
    if chain.report.rows_read == 0 {
        return Err(InputError::at_line(2, "no data rows: the file has a header (or an empty list of records) only"));
    }
    if let Some(t) = chain.file_time_ms {
        check_time("the file's snapshot time", t).map_err(|m| InputError::at_line(0, m))?;
    }
    Ok(chain)
}

/// Loads a file and builds its snapshot; the report and any build error come back together.
pub fn open_snapshot(
    path: &Path,
    load: &LoadOptions,
    build: &BuildOptions,
) -> Result<(Snapshot, LoadReport), LoadError> {
    let raw = load_path(path, load)?;
    let snapshot = raw.snapshot(build).map_err(|error| LoadError::Build {
        path: path.display().to_string(),
        error,
        report: raw.report.describe(),
    })?;
    Ok((snapshot, raw.report))
}

// ---------------------------------------------------------------------------------------------------------------
// Snapshot times (for a time picker)
// ---------------------------------------------------------------------------------------------------------------

/// The snapshot times a loaded chain offers, ascending: the distinct row times of a multi-snapshot file whose
/// rows carry their own time ([`RowTimes::Snapshots`]: the Deribit hourly IV file, a generic CSV with several
/// timestamps), or the times a Tardis load listed in its own pass ([`RawChain::listed_times`]: its kept rows
/// are only the latest per symbol at the load time). Empty for a single-snapshot file.
pub fn snapshot_times(raw: &RawChain) -> Vec<i64> {
    match raw.row_times {
        RowTimes::Snapshots => crate::market::snapshot_times(&raw.rows),
        RowTimes::Updates => raw.listed_times.clone(),
    }
}

/// The snapshot times of a file that has to be read again to be seen at another time (a Tardis file, streamed:
/// its loader keeps only the rows at or before `LoadOptions::at_ms`), reading only its timestamps, without
/// loading it: see [`tardis_snapshot_times`] (a load lists the same times, [`snapshot_times`]). Any other format gives an empty list after reading its first bytes only: its
/// times come from the loaded rows, [`snapshot_times`].
pub fn list_snapshot_times_path(path: &Path) -> Result<Vec<i64>, LoadError> {
    list_snapshot_times_path_with_progress(path, &LoadProgress::new())
}

/// [`list_snapshot_times_path`] with progress and cancellation as [`load_path_with_progress`] has them.
pub fn list_snapshot_times_path_with_progress(path: &Path, progress: &LoadProgress) -> Result<Vec<i64>, LoadError> {
    let result = open_detected_with_progress(path, progress).and_then(|(format, input)| match format {
        SourceFormat::TardisCsv => tardis::list_times(input)
            .map(|times| tardis_snapshot_times(&times))
            .map_err(|error| LoadError::Input { path: path.display().to_string(), error }),
        _ => Ok(Vec::new()),
    });
    unless_cancelled(path, progress, result)
}

/// The times offered for a Tardis file, ascending: the start of every UTC hour that has rows and begins after
/// the first row (a snapshot at an earlier instant would be empty or nearly), then the last row's time (the
/// snapshot loaded by default). Empty when no timestamp could be read.
pub fn tardis_snapshot_times(times: &TardisTimes) -> Vec<i64> {
    let (Some(first_ms), Some(last_ms)) = (times.first_ms, times.last_ms) else {
        return Vec::new();
    };
    let mut out: Vec<i64> =
        times.hours().into_iter().map(|(hour_ms, _)| hour_ms).filter(|&h| h > first_ms && h < last_ms).collect();
    out.push(last_ms);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tardis_times_are_the_inner_hour_starts_and_the_last_time() {
        let hour_ms = 3_600_000;
        let times = TardisTimes {
            first_ms: Some(hour_ms + 5),
            last_ms: Some(4 * hour_ms + 7),
            minutes: vec![(hour_ms, 3), (2 * hour_ms + 60_000, 1), (4 * hour_ms, 2)],
            ..TardisTimes::default()
        };
        assert_eq!(tardis_snapshot_times(&times), vec![2 * hour_ms, 4 * hour_ms, 4 * hour_ms + 7]);
        assert!(tardis_snapshot_times(&TardisTimes::default()).is_empty());
    }

    #[test]
    fn a_pre_cancelled_load_is_cancelled_even_for_a_tiny_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sample.csv");
        std::fs::write(&path, crate::sample::SAMPLE_CSV).unwrap();
        let progress = LoadProgress::new();
        assert!(load_path_with_progress(&path, &LoadOptions::default(), &progress).is_ok());
        assert_eq!(progress.fraction(), Some(1.0));
        progress.cancel();
        let err = load_path_with_progress(&path, &LoadOptions::default(), &progress).unwrap_err();
        assert!(matches!(err, LoadError::Cancelled { .. }), "{err:?}");
        assert_eq!(err.to_string(), format!("{}: the load was cancelled", path.display()));
    }
}
