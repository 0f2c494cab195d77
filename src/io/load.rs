//! Opening a quote file: format detection from content, dispatch to the loader, and the raw chain it gives.

use std::io::Read;
use std::path::Path;

use super::csv_input::InputError;
use super::report::LoadReport;
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
        }
    }

    /// Adds a loaded row.
    pub fn push(&mut self, row: RawQuote) {
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
        snapshot.warnings.extend(self.report.notes.iter().cloned());
        Ok(snapshot)
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
}

/// Size of the prefix used to detect a format.
const SNIFF_BYTES: usize = 16 * 1024;

/// Opens a file for reading (decompressing gzip) and detects its format from the first bytes; the returned
/// reader starts at the beginning of the (decompressed) content.
pub fn open_detected(path: &Path) -> Result<(SourceFormat, Box<dyn Read + Send>), LoadError> {
    let name = path.display().to_string();
    let io_err = |source| LoadError::Io { path: name.clone(), source };
    let file = std::fs::File::open(path).map_err(io_err)?;
    let mut reader = super::gz::maybe_gunzip(std::io::BufReader::with_capacity(1 << 20, file)).map_err(io_err)?;
    let mut prefix = Vec::with_capacity(SNIFF_BYTES);
    (&mut reader).take(SNIFF_BYTES as u64).read_to_end(&mut prefix).map_err(io_err)?;
    let format = super::detect::detect(&prefix).map_err(|message| LoadError::UnknownFormat { path: name, message })?;
    Ok((format, Box::new(std::io::Cursor::new(prefix).chain(reader))))
}

/// Reads a whole file (decompressing gzip) and loads it; Tardis files are streamed.
pub fn load_path(path: &Path, options: &LoadOptions) -> Result<RawChain, LoadError> {
    let (format, input) = open_detected(path)?;
    load_reader(input, format, options).map_err(|error| LoadError::Input { path: path.display().to_string(), error })
}

/// Loads in-memory content (detecting the format).
pub fn load_bytes(bytes: &[u8], name: &str, options: &LoadOptions) -> Result<RawChain, LoadError> {
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
