//! Atomic file writes: write a sibling temporary file, flush it to disk, then rename it over the target.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Writes `path` atomically: `fill` writes into a temporary file in the same directory, which is synced and
/// renamed over `path` only if `fill` succeeds. An interrupted or failed write never leaves a half file at
/// `path` (the temporary file is removed on failure).
pub fn write_atomically<T, E>(path: &Path, fill: impl FnOnce(&mut BufWriter<File>) -> Result<T, E>) -> Result<T, E>
where
    E: From<io::Error>,
{
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp_path = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut writer = BufWriter::new(File::create(&tmp_path)?);
        let value = fill(&mut writer)?;
        writer.flush()?;
        writer.get_ref().sync_all()?;
        drop(writer);
        fs::rename(&tmp_path, path)?;
        Ok(value)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp_path);
    }
    result
}
