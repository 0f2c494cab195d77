//! What persists between runs: the settings (eframe storage) and the autosaved session.
//!
//! The autosave is a session file (`crate::session`) in eframe's storage directory, rewritten atomically at
//! most every [`AUTOSAVE_INTERVAL`] while something changed, and restored when the app starts without a file.
//! `VOLSCOPE_AUTOSAVE=<path>` moves it; `VOLSCOPE_AUTOSAVE=off` turns it off (screenshots, demos).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::chain_view::XAxis;
use super::tables::Tab;
use super::theme::ThemeChoice;
use crate::session::Session;

/// Key of the settings in eframe's storage.
pub const SETTINGS_KEY: &str = "volscope-settings";
/// Most files kept in File → Recent.
pub const MAX_RECENT: usize = 10;
/// Least time between two autosaves.
pub const AUTOSAVE_INTERVAL: Duration = Duration::from_secs(2);

/// Settings persisted by eframe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Dark or light.
    pub theme: ThemeChoice,
    /// Recently opened files, newest first.
    pub recent: Vec<PathBuf>,
    /// Refit on every constraint edit.
    pub auto_fit: bool,
    /// Table tab shown under the smile.
    pub tab: Tab,
    /// x axis of the smile.
    pub axis: XAxis,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            theme: ThemeChoice::default(),
            recent: Vec::new(),
            auto_fit: true,
            tab: Tab::default(),
            axis: XAxis::default(),
        }
    }
}

impl Settings {
    /// Puts `path` first in the recent files (once), keeping at most [`MAX_RECENT`].
    pub fn remember(&mut self, path: &Path) {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.recent.retain(|p| p != &path);
        self.recent.insert(0, path);
        self.recent.truncate(MAX_RECENT);
    }
}

/// Where the autosave goes: `VOLSCOPE_AUTOSAVE`, else eframe's storage directory; `None` when off.
pub fn autosave_path() -> Option<PathBuf> {
    match std::env::var_os("VOLSCOPE_AUTOSAVE") {
        Some(v) if v == "off" => None,
        Some(v) => Some(PathBuf::from(v)),
        None => eframe::storage_dir("Volscope").map(|d| d.join("autosave.volscope.json")),
    }
}

/// Writes the session in the background when it changed and the last write is old enough.
pub struct Autosave {
    path: Option<PathBuf>,
    dirty: bool,
    last_write: Option<Instant>,
    /// The last write's failure, shown in the status bar.
    pub last_error: Option<String>,
    errors: std::sync::mpsc::Receiver<String>,
    error_sender: std::sync::mpsc::Sender<String>,
}

impl Autosave {
    /// Autosaves to `path` (`None`: never).
    pub fn new(path: Option<PathBuf>) -> Self {
        let (error_sender, errors) = std::sync::mpsc::channel();
        Autosave { path, dirty: false, last_write: None, last_error: None, errors, error_sender }
    }

    /// Something worth saving changed.
    pub fn mark_dirty(&mut self) {
        self.dirty = true;
    }

    /// `true` when something changed and the last write is old enough (then call
    /// [`Autosave::save_in_background`]).
    pub fn due(&mut self) -> bool {
        if let Ok(e) = self.errors.try_recv() {
            self.last_error = Some(e);
        }
        let due = self.last_write.is_none_or(|t| t.elapsed() >= AUTOSAVE_INTERVAL);
        self.dirty && due && self.path.is_some()
    }

    /// Writes `session` on a background thread (serialising and writing a chain's fits takes a few ms).
    pub fn save_in_background(&mut self, session: Session) {
        let Some(path) = self.path.clone() else { return };
        self.dirty = false;
        self.last_write = Some(Instant::now());
        let errors = self.error_sender.clone();
        std::thread::spawn(move || {
            if let Err(e) = save(&session, &path) {
                let _ = errors.send(e);
            }
        });
    }

    /// Saves now, on this thread (on exit).
    pub fn flush(&mut self, session: Session) {
        if let (true, Some(path)) = (self.dirty, self.path.clone()) {
            self.dirty = false;
            if let Err(e) = save(&session, &path) {
                self.last_error = Some(e);
            }
        }
    }
}

/// Writes the autosave (creating its directory).
fn save(session: &Session, path: &Path) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("autosave failed: {}: {e}", dir.display()))?;
    }
    session.save(path).map_err(|e| format!("autosave failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_files_are_unique_newest_first_and_bounded() {
        let mut s = Settings::default();
        for i in 0..15 {
            s.remember(Path::new(&format!("/nonexistent/f{i}.csv")));
        }
        s.remember(Path::new("/nonexistent/f3.csv"));
        assert_eq!(s.recent.len(), MAX_RECENT);
        assert_eq!(s.recent[0], Path::new("/nonexistent/f3.csv"));
        assert_eq!(s.recent.iter().filter(|p| p.ends_with("f3.csv")).count(), 1);
    }
}
