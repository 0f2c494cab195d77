//! Writes that never lose a file: atomic writes (a sibling temporary file, flushed to disk, then renamed over
//! the target) and setting aside a file that could not be read, so that nothing is written over it.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes `path` atomically: `fill` writes into a temporary file in the same directory, which is synced and
/// renamed over `path` only if `fill` succeeds. An interrupted or failed write never leaves a half file at
/// `path` (the temporary file is removed on failure).
pub fn write_atomically<T, E>(path: &Path, fill: impl FnOnce(&mut BufWriter<File>) -> Result<T, E>) -> Result<T, E>
where
    E: From<io::Error>,
{
    let mut staged = StagedFiles::new();
    let value = staged.stage(path, fill)?;
    staged.commit()?;
    Ok(value)
}

/// Files written together, all or nothing: each is written to a temporary file beside its target and synced;
/// [`StagedFiles::commit`] then renames them all into place. Dropped before that (an error, a panic), it
/// removes its temporary files and no target changes.
#[derive(Debug, Default)]
pub struct StagedFiles {
    /// (temporary file, target), in staging order.
    staged: Vec<(PathBuf, PathBuf)>,
}

impl StagedFiles {
    /// Nothing staged yet.
    pub fn new() -> Self {
        StagedFiles::default()
    }

    /// Writes the future content of `path` with `fill` into a synced temporary file beside it; on failure the
    /// temporary file is removed.
    pub fn stage<T, E>(&mut self, path: &Path, fill: impl FnOnce(&mut BufWriter<File>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<io::Error>,
    {
        let tmp_path = temporary_path(path);
        let result = (|| {
            let mut writer = BufWriter::new(File::create(&tmp_path)?);
            let value = fill(&mut writer)?;
            writer.flush()?;
            writer.get_ref().sync_all()?;
            Ok(value)
        })();
        match result {
            Ok(value) => {
                self.staged.push((tmp_path, path.to_path_buf()));
                Ok(value)
            }
            Err(e) => {
                let _ = fs::remove_file(&tmp_path);
                Err(e)
            }
        }
    }

    /// Renames every staged file over its target.
    pub fn commit(mut self) -> io::Result<()> {
        let staged = std::mem::take(&mut self.staged);
        let mut pending = staged.iter();
        for (tmp, target) in pending.by_ref() {
            if let Err(e) = fs::rename(tmp, target) {
                for (tmp, _) in pending {
                    let _ = fs::remove_file(tmp);
                }
                let _ = fs::remove_file(tmp);
                return Err(io::Error::new(e.kind(), format!("{}: {e}", target.display())));
            }
        }
        Ok(())
    }
}

impl Drop for StagedFiles {
    fn drop(&mut self) {
        for (tmp, _) in &self.staged {
            let _ = fs::remove_file(tmp);
        }
    }
}

/// A temporary file beside `path`, unique per write: two writes of one file in flight (an autosave and a
/// Save session) never share it.
fn temporary_path(path: &Path) -> PathBuf {
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    dir.join(format!(".{file_name}.tmp-{}-{n}", std::process::id()))
}

/// Moves a file that could not be read out of the way, keeping it beside its old place as
/// `NAME.unreadable-<UTC time>.EXT` (`autosave.volscope.json` → `autosave.volscope.unreadable-20261203T174500Z.json`;
/// a numbered suffix is added if that name exists). Returns the new path. The caller can then write a fresh
/// file at `path` without destroying what the user had.
pub fn set_aside(path: &Path, now_ms: i64) -> io::Result<PathBuf> {
    let aside = free_aside_name(path, now_ms);
    fs::rename(path, &aside)?;
    Ok(aside)
}

/// The first `NAME.unreadable-<time>[-n].EXT` beside `path` that does not exist.
fn free_aside_name(path: &Path, now_ms: i64) -> PathBuf {
    let stamp = crate::market::time::format_utc(now_ms - now_ms.rem_euclid(1000)).replace(['-', ':'], "");
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = path.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
    (0..)
        .map(|n| {
            let suffix = if n == 0 { String::new() } else { format!("-{n}") };
            path.with_file_name(format!("{stem}.unreadable-{stamp}{suffix}{ext}"))
        })
        .find(|p| !p.exists())
        .expect("an unbounded sequence of names has a free one")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_files_land_together_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.json"), dir.path().join("b.csv"));
        fs::write(&a, "old a").unwrap();
        fs::write(&b, "old b").unwrap();
        {
            let mut staged = StagedFiles::new();
            staged.stage(&a, |w| w.write_all(b"new a")).unwrap();
            let failed: io::Result<()> = staged.stage(&b, |_| Err(io::Error::other("no")));
            assert!(failed.is_err());
        } // dropped without commit
        assert_eq!(
            (fs::read_to_string(&a).unwrap(), fs::read_to_string(&b).unwrap()),
            ("old a".into(), "old b".into())
        );
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2, "no temporary file left");
        let mut staged = StagedFiles::new();
        staged.stage(&a, |w| w.write_all(b"new a")).unwrap();
        staged.stage(&b, |w| w.write_all(b"new b")).unwrap();
        staged.commit().unwrap();
        assert_eq!(
            (fs::read_to_string(&a).unwrap(), fs::read_to_string(&b).unwrap()),
            ("new a".into(), "new b".into())
        );
    }

    #[test]
    fn an_unreadable_file_is_kept_under_a_new_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("autosave.volscope.json");
        fs::write(&path, "{ broken").unwrap();
        let now = crate::market::time::utc_ms(2026, 12, 3, 17, 45, 0);
        let aside = set_aside(&path, now).unwrap();
        assert_eq!(aside.file_name().unwrap(), "autosave.volscope.unreadable-20261203T174500Z.json");
        assert_eq!(fs::read_to_string(&aside).unwrap(), "{ broken");
        assert!(!path.exists());
        fs::write(&path, "again").unwrap();
        let second = set_aside(&path, now).unwrap();
        assert_eq!(second.file_name().unwrap(), "autosave.volscope.unreadable-20261203T174500Z-1.json");
        assert_eq!(fs::read_to_string(&aside).unwrap(), "{ broken", "the first one stays");
    }
}
