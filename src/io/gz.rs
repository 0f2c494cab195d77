//! Transparent gzip: a reader that decompresses when the content starts with the gzip magic bytes, with a
//! guard against decompression bombs.

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Most bytes of output per compressed byte read, beyond the first [`BOMB_FREE_BYTES`]: real quote files
/// compress 5–20×; a stream of one repeated byte compresses ~1,000× and is refused.
pub const MAX_GZIP_RATIO: u64 = 100;
/// Output allowed before the ratio is checked.
pub const BOMB_FREE_BYTES: u64 = 16 << 20;

/// `input`, decompressed when it starts with the gzip magic bytes (1f 8b); the decoder fails with an error once
/// it has given more than [`MAX_GZIP_RATIO`] × the compressed bytes read (after the first
/// [`BOMB_FREE_BYTES`]). The one gzip entry of every reader (whole-file loads and the Tardis streamer).
pub fn gunzip_if_needed<R: Read>(mut input: R) -> std::io::Result<MaybeGz<R>> {
    let mut head = Vec::with_capacity(2);
    (&mut input).take(2).read_to_end(&mut head)?;
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    let whole = std::io::Cursor::new(head).chain(input);
    Ok(if gzip { MaybeGz::Gz(Box::new(gunzip_guarded(whole))) } else { MaybeGz::Plain(whole) })
}

/// The first bytes read to detect gzip, put back in front of the rest.
type Rejoined<R> = std::io::Chain<std::io::Cursor<Vec<u8>>, R>;

/// Plain or decompressed content (see [`gunzip_if_needed`]).
pub enum MaybeGz<R: Read> {
    /// Not gzip: the bytes as they are.
    Plain(Rejoined<R>),
    /// Gzip: decompressed, with the bomb guard.
    Gz(Box<BombGuard<flate2::read::MultiGzDecoder<Counted<Rejoined<R>>>>>),
}

impl<R: Read> Read for MaybeGz<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            MaybeGz::Plain(r) => r.read(buf),
            MaybeGz::Gz(r) => r.read(buf),
        }
    }
}

/// A streaming gzip decoder of `compressed` (members concatenated) that fails once its output outgrows the
/// compressed bytes read by more than [`MAX_GZIP_RATIO`] (after the first [`BOMB_FREE_BYTES`]).
pub fn gunzip_guarded<R: Read>(compressed: R) -> BombGuard<flate2::read::MultiGzDecoder<Counted<R>>> {
    let count = Arc::new(AtomicU64::new(0));
    let counted = Counted { inner: compressed, count: Arc::clone(&count) };
    BombGuard { inner: flate2::read::MultiGzDecoder::new(counted), compressed: count, out: 0 }
}

/// Counts the bytes read through it.
pub struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Fails a decompression whose output outgrows its input by more than [`MAX_GZIP_RATIO`].
pub struct BombGuard<R> {
    inner: R,
    compressed: Arc<AtomicU64>,
    out: u64,
}

impl<R: Read> Read for BombGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        let compressed = self.compressed.load(Ordering::Relaxed).max(1);
        if self.out > BOMB_FREE_BYTES && self.out > MAX_GZIP_RATIO * compressed {
            return Err(std::io::Error::other(format!(
                "gzip content expands more than {MAX_GZIP_RATIO}× ({} bytes from {compressed}): not a quote file \
                 (a decompression bomb?)",
                self.out
            )));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, data).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn a_decompression_bomb_is_an_error_and_real_ratios_pass() {
        // 40 MiB of one repeated CSV line: ~1,000× smaller compressed.
        let line = b"2026-03-16T09:00:00Z,BTC-27MAR26-70000-C,70000,call,0.05,0.051\n";
        let bomb: Vec<u8> = line.iter().copied().cycle().take(40 << 20).collect();
        let mut out = Vec::new();
        let err = gunzip_guarded(gzip(&bomb).as_slice()).read_to_end(&mut out).unwrap_err();
        assert!(err.to_string().contains("expands more than 100×"), "{err}");
        assert!(out.len() < (20 << 20), "stopped soon after the free allowance");
        // The bundled sample (text with varied numbers, ~5× like real files) passes whole.
        let sample = crate::sample::SAMPLE_CSV.repeat(30);
        let mut out = Vec::new();
        gunzip_guarded(gzip(sample.as_bytes()).as_slice()).read_to_end(&mut out).unwrap();
        assert_eq!(out, sample.as_bytes());
    }
}
