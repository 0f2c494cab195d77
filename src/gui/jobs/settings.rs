//! What persists between runs: the settings file and the autosaved session, both in eframe's storage directory.
//!
//! The autosave is a session file (`crate::session`), rewritten atomically at most every [`AUTOSAVE_INTERVAL`]
//! while something changed (an edit, an open, the selected expiry), and restored when the app starts without
//! a file. `VOLSCOPE_AUTOSAVE=<path>` moves it; `VOLSCOPE_AUTOSAVE=off` turns it off (screenshots, demos).
//! The settings (`settings.json`; `VOLSCOPE_SETTINGS` moves it or turns it off) are written whenever they
//! change. A file of either kind that cannot be read is set aside as `NAME.unreadable-<time>.json`, never
//! written over.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::gui::plots::XAxis;
use crate::gui::tabs::Tab;
use crate::gui::theme::ThemeChoice;
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

/// Where the settings go: `VOLSCOPE_SETTINGS`, else `settings.json` in eframe's storage directory; `None`
/// when off.
pub fn settings_path() -> Option<PathBuf> {
    match std::env::var_os("VOLSCOPE_SETTINGS") {
        Some(v) if v == "off" => None,
        Some(v) => Some(PathBuf::from(v)),
        None => eframe::storage_dir("Volscope").map(|d| d.join("settings.json")),
    }
}

/// Now, UTC ms.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// Moves an unreadable file the app would otherwise write over out of the way; the message names both paths
/// (`what` says which file it was).
pub fn set_aside_message(what: &str, path: &Path, why: &str) -> (String, bool) {
    match crate::io::set_aside(path, now_ms()) {
        Ok(aside) => {
            (format!("{what} {} could not be used: {why}; it is kept as {}", path.display(), aside.display()), true)
        }
        Err(e) => (
            format!(
                "{what} {} could not be used: {why}; nor moved aside ({e}), so it will not be written",
                path.display()
            ),
            false,
        ),
    }
}

/// The settings file: read at start, written (atomically) whenever the settings change. An unreadable file is
/// set aside, never written over.
pub struct SettingsFile {
    path: Option<PathBuf>,
    saved: Settings,
    /// The last write's failure, shown in the status bar.
    pub last_error: Option<String>,
}

impl SettingsFile {
    /// Reads the settings at `path` (`None`: defaults, never written). `fallback` is used when the file does
    /// not exist (the settings earlier versions kept in eframe's storage). Returns the store, the settings and
    /// a message for the status bar when the file could not be read.
    pub fn open(path: Option<PathBuf>, fallback: Option<Settings>) -> (SettingsFile, Settings, Option<String>) {
        let mut message = None;
        let mut path = path;
        let settings = match path.as_deref().filter(|p| p.exists()) {
            None => fallback.unwrap_or_default(),
            Some(p) => match read_settings(p) {
                Ok(s) => s,
                Err(why) => {
                    let (text, moved) = set_aside_message("the settings file", p, &why);
                    if !moved {
                        path = None;
                    }
                    message = Some(text);
                    Settings::default()
                }
            },
        };
        (SettingsFile { path, saved: settings.clone(), last_error: None }, settings, message)
    }

    /// Writes `settings` when they differ from the last written ones.
    pub fn save_if_changed(&mut self, settings: &Settings) {
        let Some(path) = &self.path else { return };
        if *settings == self.saved {
            return;
        }
        self.saved = settings.clone();
        let write = || -> Result<(), String> {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            crate::io::write_atomically(path, |w| {
                serde_json::to_writer_pretty(w, settings).map_err(std::io::Error::from)
            })
            .map_err(|e| format!("{}: {e}", path.display()))
        };
        self.last_error = write().err().map(|e| format!("settings not saved: {e}"));
    }
}

/// Reads a settings file; the error says where it is malformed.
fn read_settings(path: &Path) -> Result<Settings, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

/// `NAME.previous.EXT` beside `path`: where the first autosave of a run keeps the session it replaces.
pub fn previous_path(path: &Path) -> PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = path.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
    path.with_file_name(format!("{stem}.previous{ext}"))
}

/// Writes the session in the background when it changed and the last write is old enough.
///
/// While it is *held* (a session or file is restoring in the background) nothing is written: the file on
/// disk is the user's last state, and the placeholder shown meanwhile must not replace it. The first write of
/// a run that did not restore the autosave keeps the file it replaces as [`previous_path`]. Writes are ordered:
/// an older session never lands after a newer one.
pub struct Autosave {
    path: Option<PathBuf>,
    dirty: bool,
    held: bool,
    /// The file on disk is not this run's: keep it as `NAME.previous` before the first write.
    keep_previous: bool,
    last_write: Option<Instant>,
    /// The last write's failure, shown in the status bar.
    pub last_error: Option<String>,
    errors: std::sync::mpsc::Receiver<String>,
    error_sender: std::sync::mpsc::Sender<String>,
    /// Held while a write runs; holds the sequence number of the newest session written.
    written: Arc<Mutex<u64>>,
    sequence: u64,
}

impl Autosave {
    /// Autosaves to `path` (`None`: never).
    pub fn new(path: Option<PathBuf>) -> Self {
        let (error_sender, errors) = std::sync::mpsc::channel();
        Autosave {
            path,
            dirty: false,
            held: false,
            keep_previous: true,
            last_write: None,
            last_error: None,
            errors,
            error_sender,
            written: Arc::new(Mutex::new(0)),
            sequence: 0,
        }
    }

    /// `true` when `path` is the autosave file.
    pub fn is_file(&self, path: &Path) -> bool {
        self.path.as_deref().is_some_and(|p| p == path)
    }

    /// Something worth saving changed.
    pub fn mark_dirty(&mut self) {
        self.dirty = true;
    }

    /// Writes nothing until [`Autosave::release`] (a restore or start-up open is in flight).
    pub fn hold(&mut self) {
        self.held = true;
    }

    /// `true` while held.
    pub fn is_held(&self) -> bool {
        self.held
    }

    /// Writing may go on; `changed` marks the state for a write (a chain was opened or restored).
    pub fn release(&mut self, changed: bool) {
        self.held = false;
        self.dirty |= changed;
    }

    /// The autosave file was restored in this run: it is this run's, no `.previous` copy is needed.
    pub fn restored(&mut self) {
        self.keep_previous = false;
    }

    /// The autosave file could not be restored: it is set aside (never written over) and the message says
    /// where it went. Autosave stops for this run if it cannot be moved.
    pub fn set_aside(&mut self, why: &str) -> String {
        self.held = false;
        let Some(path) = self.path.clone().filter(|p| p.exists()) else { return why.to_owned() };
        let (message, moved) = set_aside_message("the autosaved session", &path, why);
        if !moved {
            self.path = None;
        }
        message
    }

    /// `true` when something changed, nothing holds the file, and the last write is old enough (then call
    /// [`Autosave::save_in_background`]).
    pub fn due(&mut self) -> bool {
        if let Ok(e) = self.errors.try_recv() {
            self.last_error = Some(e);
        }
        self.dirty && !self.held && self.path.is_some() && self.wait().is_zero()
    }

    /// How long until a write may happen (zero when it may now).
    fn wait(&self) -> Duration {
        self.last_write.map_or(Duration::ZERO, |t| AUTOSAVE_INTERVAL.saturating_sub(t.elapsed()))
    }

    /// When a pending change will be due: the window must wake then even if the user does nothing.
    pub fn next_due_in(&self) -> Option<Duration> {
        (self.dirty && !self.held && self.path.is_some()).then(|| self.wait())
    }

    /// Writes `session` on a background thread (serialising and writing a chain's fits takes a few ms).
    pub fn save_in_background(&mut self, session: Session) {
        let Some(job) = self.job() else { return };
        let errors = self.error_sender.clone();
        std::thread::spawn(move || {
            if let Err(e) = job.run(&session) {
                let _ = errors.send(e);
            }
        });
    }

    /// Saves now, on this thread (on exit), unless held or unchanged.
    pub fn flush(&mut self, session: Session) {
        if self.held {
            return;
        }
        if let Some(job) = self.job() {
            if let Err(e) = job.run(&session) {
                self.last_error = Some(e);
            }
        }
    }

    /// The next write, if one is wanted.
    fn job(&mut self) -> Option<WriteJob> {
        let path = self.path.clone().filter(|_| self.dirty && !self.held)?;
        self.dirty = false;
        self.last_write = Some(Instant::now());
        self.sequence += 1;
        let keep_previous = std::mem::replace(&mut self.keep_previous, false);
        Some(WriteJob { path, sequence: self.sequence, keep_previous, written: Arc::clone(&self.written) })
    }
}

/// One autosave write.
struct WriteJob {
    path: PathBuf,
    sequence: u64,
    keep_previous: bool,
    written: Arc<Mutex<u64>>,
}

impl WriteJob {
    /// Writes the session unless a newer one was written meanwhile (creating the directory; keeping the
    /// file it replaces as `.previous` when asked).
    fn run(self, session: &Session) -> Result<(), String> {
        let mut written = self.written.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if *written > self.sequence {
            return Ok(());
        }
        let path = &self.path;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("autosave failed: {}: {e}", dir.display()))?;
        }
        if self.keep_previous && path.exists() {
            let previous = previous_path(path);
            std::fs::copy(path, &previous)
                .map_err(|e| format!("autosave failed: keeping {} as {}: {e}", path.display(), previous.display()))?;
        }
        session.save(path).map_err(|e| format!("autosave failed: {e}"))?;
        *written = self.sequence;
        Ok(())
    }
}

/// The settings older versions kept in eframe's storage (used when there is no settings file yet).
pub fn legacy_settings(storage: Option<&dyn eframe::Storage>) -> Option<Settings> {
    storage.and_then(|s| eframe::get_value(s, SETTINGS_KEY))
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

    fn session(n: i64) -> Session {
        Session {
            version: crate::session::SESSION_VERSION,
            source: None,
            underlying: None,
            at_ms: None,
            selected_expiry_ms: Some(n),
            edit: Default::default(),
            fits: Vec::new(),
            saved_at_ms: n,
        }
    }

    #[test]
    fn a_held_autosave_writes_nothing_and_writes_land_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.volscope.json");
        let mut autosave = Autosave::new(Some(path.clone()));
        autosave.hold();
        autosave.mark_dirty();
        assert!(!autosave.due() && autosave.next_due_in().is_none());
        autosave.flush(session(1));
        assert!(!path.exists(), "held: not even on exit");
        autosave.release(false);
        assert!(autosave.due(), "the change made while held is saved once released");
        // An older write that runs late never replaces a newer one.
        let older = autosave.job().unwrap();
        autosave.mark_dirty();
        let newer = autosave.job().unwrap();
        newer.run(&session(3)).unwrap();
        older.run(&session(2)).unwrap();
        assert_eq!(Session::load(&path).unwrap().saved_at_ms, 3);
        autosave.mark_dirty();
        let wait = autosave.next_due_in().unwrap();
        assert!(wait > Duration::ZERO && wait <= AUTOSAVE_INTERVAL, "the window wakes when the next write is due");
    }

    #[test]
    fn settings_are_written_when_they_change_and_an_unreadable_file_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        let (mut file, mut settings, message) = SettingsFile::open(Some(path.clone()), None);
        assert!(message.is_none());
        file.save_if_changed(&settings);
        assert!(!path.exists(), "unchanged defaults are not written");
        settings.auto_fit = false;
        file.save_if_changed(&settings);
        assert_eq!(SettingsFile::open(Some(path.clone()), None).1, settings);

        std::fs::write(&path, "{ \"auto_fit\": \"maybe\" }").unwrap();
        let (mut file, settings, message) = SettingsFile::open(Some(path.clone()), None);
        let message = message.unwrap();
        assert!(message.contains("settings.json") && message.contains(".unreadable-"), "{message}");
        assert_eq!(settings, Settings::default());
        let kept: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
        assert!(kept.iter().any(|p| std::fs::read_to_string(p).unwrap().contains("maybe")), "{kept:?}");
        file.save_if_changed(&Settings { auto_fit: false, ..settings });
        assert!(path.exists(), "a fresh file beside the kept one");
    }
}
