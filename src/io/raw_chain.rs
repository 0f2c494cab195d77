//! What a loader produces: the raw chain of a file (its rows, format, time, report), the options a loader
//! takes, and the checks every row passes on its way in. A leaf of `io`: the loaders and `load.rs` build on it.

use super::csv_input::InputError;
use super::report::LoadReport;
use crate::market::{build_snapshot, BuildError, BuildOptions, RawQuote, RowTimes, Snapshot};
use crate::pricing::OptionKind;

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
        let named = crate::market::instrument_terms(&row.instrument);
        self.push_named(row, named);
    }

    /// [`RawChain::push`] for a loader that has parsed the row's instrument name already (`named`: its
    /// expiry, strike and type, or `None` when it is not an option name).
    pub fn push_named(&mut self, row: RawQuote, named: Option<(i64, f64, OptionKind)>) {
        if let Err(problem) = check_row(&row) {
            self.report.reject_with("impossible value", problem);
            return;
        }
        if let Some(what) = named.and_then(|terms| contradiction(&row, terms)) {
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

/// Which column of a row contradicts the terms its instrument name states, if any.
fn contradiction(row: &RawQuote, (expiry_ms, strike, kind): (i64, f64, OptionKind)) -> Option<&'static str> {
    if expiry_ms != row.expiry_ms {
        Some("the expiry column contradicts the instrument name (the column is used)")
    } else if (strike - row.strike).abs() > 1e-9 * row.strike.abs() {
        Some("the strike column contradicts the instrument name (the column is used)")
    } else if kind != row.kind {
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
