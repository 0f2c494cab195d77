//! Transparent gzip: a reader that decompresses when the content starts with the gzip magic bytes.

use std::io::{BufRead, Read};

/// Wraps `reader` in a streaming gzip decoder when its first bytes are the gzip magic (1f 8b).
pub fn maybe_gunzip<R: BufRead + Send + 'static>(mut reader: R) -> std::io::Result<Box<dyn Read + Send>> {
    let head = reader.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(flate2::bufread::MultiGzDecoder::new(reader)))
    } else {
        Ok(Box::new(reader))
    }
}
