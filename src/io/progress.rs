//! Progress and cancellation of a file load: a handle shared between the thread that reads and the one that
//! shows a progress bar, and a reader that counts the file's bytes and stops once the load is cancelled.
//!
//! The bytes counted are those of the file on disk (compressed bytes for a gzip file), so the fraction is
//! exact whatever the format; a loader that reads the whole file ends at 100 %.

use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// `total_bytes` value meaning "not known yet".
const UNKNOWN_TOTAL: u64 = u64::MAX;

/// The message of the I/O error a cancelled read returns (the loaders report it as a read error; the load
/// functions turn it into `LoadError::Cancelled` by checking [`LoadProgress::is_cancelled`]).
pub const CANCELLED_MESSAGE: &str = "the load was cancelled";

/// Progress of a load, shared by cloning (every clone is a handle to the same counters, kept in an `Arc`).
///
/// Bytes accumulate over every pass made with the same handle; the total is set by the first pass that knows
/// its file's size unless the caller set it beforehand with [`LoadProgress::set_total_bytes`] (a caller
/// that reads a file twice, e.g. a Tardis load then its time listing, sets twice the file size).
#[derive(Clone, Debug, Default)]
pub struct LoadProgress {
    shared: Arc<Counters>,
}

/// The counters behind a [`LoadProgress`].
#[derive(Debug)]
struct Counters {
    /// Bytes read from the file so far.
    bytes_read: AtomicU64,
    /// Expected bytes, or [`UNKNOWN_TOTAL`].
    total_bytes: AtomicU64,
    /// Set once the load is cancelled.
    cancelled: AtomicBool,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            bytes_read: AtomicU64::new(0),
            total_bytes: AtomicU64::new(UNKNOWN_TOTAL),
            cancelled: AtomicBool::new(false),
        }
    }
}

impl LoadProgress {
    /// A fresh progress: nothing read, total unknown, not cancelled.
    pub fn new() -> Self {
        LoadProgress::default()
    }

    /// Bytes read from the file(s) so far.
    pub fn bytes_read(&self) -> u64 {
        self.shared.bytes_read.load(Ordering::Relaxed)
    }

    /// Expected total bytes, when known.
    pub fn total_bytes(&self) -> Option<u64> {
        Some(self.shared.total_bytes.load(Ordering::Relaxed)).filter(|&t| t != UNKNOWN_TOTAL)
    }

    /// Sets the expected total bytes (replacing any earlier value).
    pub fn set_total_bytes(&self, total_bytes: u64) {
        self.shared.total_bytes.store(total_bytes.min(UNKNOWN_TOTAL - 1), Ordering::Relaxed);
    }

    /// Sets the expected total bytes only when it is not known yet (what a load does with its file size).
    pub fn set_total_bytes_if_unknown(&self, total_bytes: u64) {
        let total = total_bytes.min(UNKNOWN_TOTAL - 1);
        let _ = self.shared.total_bytes.compare_exchange(UNKNOWN_TOTAL, total, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Fraction read, in [0, 1] (`None` while the total is unknown; an empty file is complete).
    pub fn fraction(&self) -> Option<f32> {
        let total = self.total_bytes()?;
        if total == 0 {
            return Some(1.0);
        }
        Some((self.bytes_read() as f64 / total as f64).clamp(0.0, 1.0) as f32)
    }

    /// Asks the load to stop: the next read of the file fails.
    pub fn cancel(&self) {
        self.shared.cancelled.store(true, Ordering::Relaxed);
    }

    /// Whether [`LoadProgress::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.shared.cancelled.load(Ordering::Relaxed)
    }

    /// Counts `bytes` as read.
    fn add_bytes(&self, bytes: usize) {
        self.shared.bytes_read.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

/// A reader that counts the bytes it returns into a [`LoadProgress`] and fails with an I/O error (kind
/// `Other`, message [`CANCELLED_MESSAGE`]) once the load is cancelled.
///
/// Put it directly over the file (under any buffering or decompression) so that it counts file bytes and
/// is called once per buffer fill (≈ 1 MiB): the cost is two relaxed atomic operations per fill.
#[derive(Debug)]
pub struct ProgressReader<R> {
    inner: R,
    progress: LoadProgress,
}

impl<R> ProgressReader<R> {
    /// Wraps `inner`, counting into `progress` (a handle to the same counters).
    pub fn new(inner: R, progress: &LoadProgress) -> Self {
        ProgressReader { inner, progress: progress.clone() }
    }
}

impl<R: Read> Read for ProgressReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.progress.is_cancelled() {
            return Err(cancelled_error());
        }
        let n = self.inner.read(buf)?;
        self.progress.add_bytes(n);
        Ok(n)
    }
}

/// The error a cancelled read returns (not `Interrupted`, which readers retry).
fn cancelled_error() -> std::io::Error {
    std::io::Error::other(CANCELLED_MESSAGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_bytes_and_stops_once_cancelled() {
        let progress = LoadProgress::new();
        assert_eq!(progress.fraction(), None);
        progress.set_total_bytes_if_unknown(10);
        progress.set_total_bytes_if_unknown(99);
        assert_eq!(progress.total_bytes(), Some(10), "the first total stays");
        let mut reader = ProgressReader::new(&b"0123456789"[..], &progress);
        let mut buf = [0u8; 4];
        assert_eq!(reader.read(&mut buf).unwrap(), 4);
        assert_eq!((progress.bytes_read(), progress.fraction()), (4, Some(0.4)));
        progress.clone().cancel();
        assert!(progress.is_cancelled(), "clones share the flag");
        let err = reader.read(&mut buf).unwrap_err();
        assert_eq!(err.to_string(), CANCELLED_MESSAGE);
        assert_ne!(err.kind(), std::io::ErrorKind::Interrupted);
        assert_eq!(progress.bytes_read(), 4);
    }

    #[test]
    fn fraction_is_clamped_and_an_empty_file_is_complete() {
        let progress = LoadProgress::new();
        progress.set_total_bytes(0);
        assert_eq!(progress.fraction(), Some(1.0));
        progress.set_total_bytes(2);
        progress.add_bytes(5);
        assert_eq!(progress.fraction(), Some(1.0));
    }
}
