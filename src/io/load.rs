//! Opening a quote file: format detection from content, dispatch to the loader, and the raw chain it gives;
//! loads with progress and cancellation ([`load_path_with_progress`]) and the snapshot times a file offers.

use std::io::Read;
use std::path::Path;

use super::csv_input::InputError;
use super::progress::{LoadProgress, ProgressReader};
use super::raw_chain::{LoadOptions, RawChain, SourceFormat};
use super::report::LoadReport;
use super::tardis::{self, tardis_snapshot_times};
use crate::market::{BuildError, BuildOptions, RowTimes, Snapshot};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::tardis::TardisTimes;

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
