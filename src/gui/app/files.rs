//! Files and sessions: open a chain (at once or in the background), another underlying or time of it, the
//! sample; save, restore and autosave-restore sessions; write exports of the shown fits.

use std::collections::BTreeMap;
use std::path::Path;

use super::apply::{FollowUp, Refit};
use super::{first_live_slice, Action, FitView, VolscopeApp};
use crate::gui::jobs::export_menu::{ExportInputs, ExportKind};
use crate::gui::jobs::load_job::LoadJob;
use crate::gui::jobs::loaded_chain::LoadedChain;
use crate::io::{load_bytes, load_path, LoadOptions};
use crate::market::time::format_utc;
use crate::market::BuildOptions;
use crate::sample::{SAMPLE_CSV, SAMPLE_PATH};
use crate::session::{Session, SESSION_VERSION};

impl VolscopeApp {
    /// Files, sessions, exports and background loads.
    pub(super) fn perform_file_action(&mut self, action: Action) -> FollowUp {
        match action {
            Action::Open(path) => self.open_in_background(&path),
            Action::OpenSample => self.open_sample(),
            Action::OpenSession(path) => {
                if let Err(e) = self.restore_session_in_background(&path) {
                    self.data.set_error(e);
                }
            }
            Action::SaveSession(path) => self.save_session(&path),
            Action::Export(kind, path) => self.export_to(&path, kind),
            Action::ExportPng(path) => {
                if let Some(rect) = self.view.plot_rect() {
                    self.jobs.png_mut().queue(rect, path);
                }
            }
            Action::CancelLoad => self.cancel_background_load(),
            Action::ChooseUnderlying(underlying) => return self.show_underlying(&underlying),
            Action::ChooseTime(at_ms) => return self.show_time(at_ms),
            _ => {}
        }
        FollowUp::default()
    }

    /// Loads a file; on failure the error is shown and the current chain stays. Exclusions and hand-set
    /// parameters belong to the old chain and are dropped; models and constraints stay.
    pub fn open(&mut self, path: &Path) {
        self.data.set_job(None); // dropping a job cancels it
        self.abandon_pending_session();
        let name = display_name(path);
        let loaded = load_path(path, &LoadOptions::default())
            .map_err(|e| e.to_string())
            .and_then(|raw| LoadedChain::new(name, raw))
            .map(|chain| chain.with_source(path.to_path_buf()));
        if loaded.is_ok() {
            self.view.settings_mut().remember(path);
        }
        self.install(loaded);
    }

    /// Loads a file on a background thread (the window stays live, shows progress and offers Cancel); the
    /// chain is replaced when the load succeeds, and a failure is shown with the current chain kept.
    pub fn open_in_background(&mut self, path: &Path) {
        let job =
            LoadJob::spawn(path.to_path_buf(), LoadOptions::default(), BuildOptions::default(), self.jobs.repainter());
        self.data.set_job(Some(job));
        self.abandon_pending_session();
    }

    /// Cancels the background load; the current chain stays.
    fn cancel_background_load(&mut self) {
        self.abandon_pending_session();
        if let Some(job) = self.data.take_job() {
            job.cancel();
            self.view.say(format!("loading {} cancelled", job.file_name()));
        }
    }

    /// Installs the background load's chain, or shows its error, once it has come.
    pub fn poll_load(&mut self) {
        let Some(answer) = self.data.job_mut().and_then(LoadJob::poll) else { return };
        let path = self.data.take_job().map(|job| job.path().to_path_buf()).unwrap_or_default();
        match (answer, self.data.take_pending_session()) {
            (Ok(chain), Some((session, session_path))) => self.apply_session(chain, session, &session_path),
            (Err(e), Some((session, session_path))) => {
                let source = session.source.as_deref().map_or_else(String::new, |p| p.display().to_string());
                let why = format!("its file {source} could not be loaded: {e}");
                self.session_not_restored(&session_path, &why);
            }
            (answer, None) => {
                if answer.is_ok() {
                    self.view.settings_mut().remember(&path);
                }
                self.install(answer);
            }
        }
        self.edits.autosave_mut().release(false);
    }

    /// A session could not be restored: the autosave is set aside (never written over), a session file the
    /// user opened stays where it is; the message says what happened and where the session is.
    fn session_not_restored(&mut self, session_path: &Path, why: &str) {
        let message = if self.edits.autosave().is_file(session_path) {
            let kept = self.edits.autosave_mut().set_aside(why);
            format!("{kept}; File > Open session… opens it (once its file is there)")
        } else {
            format!("could not restore the session {}: {why}", session_path.display())
        };
        self.view.say(message);
    }

    /// Drops the session waiting for its file's load (another file was opened, or the load cancelled).
    fn abandon_pending_session(&mut self) {
        if let Some((_, path)) = self.data.take_pending_session() {
            self.session_not_restored(&path, "its restore was cancelled");
        }
        self.edits.autosave_mut().release(false);
    }

    /// Shows another underlying of the file (BTC, ETH); hand-set parameters are dropped (they were set on
    /// the other underlying's smiles, which share expiry dates).
    fn show_underlying(&mut self, underlying: &str) -> FollowUp {
        let Some(chain) = self.data.chain_mut() else { return FollowUp::default() };
        match chain.select_underlying(underlying) {
            Ok(()) => {
                let first = first_live_slice(chain);
                self.view.select(first);
                self.fits.set_latest(None);
                self.edits.state_mut().manual.clear();
                FollowUp::step(Refit::All)
            }
            Err(e) => {
                self.data.set_error(e);
                FollowUp::default()
            }
        }
    }

    /// Shows another snapshot time of a multi-snapshot file (a Tardis file is read again in the background).
    fn show_time(&mut self, at_ms: i64) -> FollowUp {
        let repaint = self.jobs.repainter();
        let Some(chain) = self.data.chain_mut() else { return FollowUp::default() };
        if chain.needs_reload_for_time() {
            match LoadJob::reload_at(chain, at_ms, repaint) {
                Ok(job) => self.data.set_job(Some(job)),
                Err(e) => self.data.set_error(e),
            }
            return FollowUp::default();
        }
        match chain.select_time(at_ms) {
            Ok(()) => {
                let message = format!("snapshot at {}", format_utc(chain.snapshot.time_ms));
                self.fits.set_latest(None);
                self.view.say(message);
                FollowUp::edit(Refit::All)
            }
            Err(e) => {
                self.data.set_error(e);
                FollowUp::default()
            }
        }
    }

    /// Opens the bundled synthetic sample.
    pub(super) fn open_sample(&mut self) {
        let name = format!("{} (synthetic sample)", SAMPLE_PATH.trim_start_matches("assets/"));
        let loaded = load_bytes(SAMPLE_CSV.as_bytes(), &name, &LoadOptions::default())
            .map_err(|e| e.to_string())
            .and_then(|raw| LoadedChain::new(name, raw));
        self.install(loaded);
    }

    /// Shows a loaded chain with a new undo history, or the error of a failed load (the chain stays).
    fn install(&mut self, loaded: Result<LoadedChain, String>) {
        match loaded {
            Ok(chain) => {
                self.view.select(first_live_slice(&chain));
                self.data.install(chain);
                self.fits.set_latest(None);
                self.fits.clear_manual();
                // Exclusions and hand-set parameters belong to the old chain; models and bounds carry over.
                // A new chain starts a new undo history.
                let mut edit = self.edits.state().clone();
                edit.excluded.clear();
                edit.manual.clear();
                self.edits.restart(edit);
                self.follow_up(FollowUp::new_chain());
            }
            Err(e) => self.data.set_error(e),
        }
    }

    /// Writes an export of the shown fits (atomically) to `path`; the outcome goes to the status bar.
    fn export_to(&mut self, path: &Path, kind: ExportKind) {
        let (Some(chain), Some(_)) = (self.data.chain(), self.fits.latest()) else { return };
        let (reports, kinds) = (self.shown_reports(), self.shown_kinds());
        let edit = self.edits.state();
        let config = if edit.per_expiry.is_empty() {
            serde_json::to_value(edit.config_for(i64::MIN)).unwrap_or_default()
        } else {
            serde_json::to_value(edit).unwrap_or_default()
        };
        let inputs =
            ExportInputs { file: &chain.name, snapshot: &chain.snapshot, kinds: &kinds, config, reports: &reports };
        let message = match kind.write(&inputs, path) {
            Ok(()) => format!("exported {}", path.display()),
            Err(e) => format!("export to {} failed: {e}", path.display()),
        };
        self.view.say(message);
    }

    /// The session of the current state.
    pub fn session(&self) -> Session {
        let chain = self.data.chain();
        Session {
            version: SESSION_VERSION,
            source: chain.and_then(|c| c.source().map(Path::to_path_buf)),
            underlying: chain.map(|c| c.snapshot.underlying.clone()),
            at_ms: chain.and_then(|c| c.at_ms),
            selected_expiry_ms: self.slice(self.selected()).map(|s| s.expiry_ms),
            edit: self.edits.state().clone(),
            fits: self.shown_reports().into_owned(),
            saved_at_ms: crate::gui::jobs::settings::now_ms(),
        }
    }

    /// Saves the session to `path` (atomically).
    pub fn save_session(&mut self, path: &Path) {
        let message = match self.session().save(path) {
            Ok(()) => format!("session saved to {}", path.display()),
            Err(e) => format!("session not saved: {e}"),
        };
        self.view.say(message);
    }

    /// Opens a session file: its source, underlying and edits; its fits are shown until the refit answers.
    /// On failure the current state stays.
    pub fn restore_session(&mut self, path: &Path) -> Result<(), String> {
        let session = self.read_session(path)?;
        self.data.set_job(None); // dropping a job cancels it
        self.abandon_pending_session();
        let chain = match session_chain(&session) {
            Ok(chain) => chain,
            Err(e) if self.edits.autosave().is_file(path) => return Err(self.edits.autosave_mut().set_aside(&e)),
            Err(e) => return Err(e),
        };
        self.apply_session(chain, session, path);
        Ok(())
    }

    /// Reads a session file; the autosave file, if unreadable, is set aside (never written over).
    fn read_session(&mut self, path: &Path) -> Result<Session, String> {
        Session::load(path).map_err(|e| match self.edits.autosave().is_file(path) {
            true => self.edits.autosave_mut().set_aside(&e.to_string()),
            false => e.to_string(),
        })
    }

    /// Like [`VolscopeApp::restore_session`], but the session's file loads in the background (progress,
    /// Cancel); the session applies when it has loaded. A malformed session file is an error at once.
    pub fn restore_session_in_background(&mut self, path: &Path) -> Result<(), String> {
        let session = self.read_session(path)?;
        let Some(source) = session.source.clone() else { return self.restore_session(path) };
        let options = LoadOptions { at_ms: session.at_ms, underlying: None };
        let build = BuildOptions { underlying: session.underlying.clone(), at_ms: session.at_ms, ..Default::default() };
        let held = self.edits.autosave().is_held();
        self.abandon_pending_session();
        if held {
            self.edits.autosave_mut().hold();
        }
        self.data.set_job(Some(LoadJob::spawn(source, options, build, self.jobs.repainter())));
        self.data.set_pending_session(session, path.to_path_buf());
        Ok(())
    }

    /// Shows `chain` with the session's edits, selection and fits (the fits stay until the refit answers).
    fn apply_session(&mut self, chain: LoadedChain, session: Session, path: &Path) {
        let expiries: Vec<i64> = chain.snapshot.slices.iter().map(|s| s.expiry_ms).collect();
        // A session file is user data: its fits are shown only when they match the chain and their models
        // (expiries, parameter counts); hand-set parameters of the wrong length are dropped.
        let fits_match = session.fits.len() == expiries.len()
            && session.fits.iter().zip(&chain.snapshot.slices).all(|(r, slice)| {
                let names = session.edit.setup_for(slice.expiry_ms).kind.for_slice(slice).param_names().len();
                r.expiry_ms == slice.expiry_ms && (r.params.is_empty() || r.params.len() == names)
            });
        let mut session = session;
        let slices = &chain.snapshot.slices;
        let edit = &mut session.edit;
        let counts: BTreeMap<i64, usize> = slices
            .iter()
            .map(|s| (s.expiry_ms, edit.setup_for(s.expiry_ms).kind.for_slice(s).param_names().len()))
            .collect();
        edit.manual.retain(|e, p| counts.get(e) == Some(&p.len()));
        let selected = session
            .selected_expiry_ms
            .and_then(|e| expiries.iter().position(|x| *x == e))
            .unwrap_or_else(|| first_live_slice(&chain));
        self.view.select(selected);
        self.data.install(chain);
        self.edits.restart(session.edit);
        let edit = self.edits.state();
        self.fits.set_latest(
            fits_match
                .then(|| FitView::new(expiries.iter().map(|e| edit.setup_for(*e).kind).collect(), session.fits, 0.0)),
        );
        self.view.say(format!("session restored from {}", path.display()));
        self.edits.autosave_mut().release(true);
        self.follow_up(FollowUp::edit(Refit::All));
    }
}

/// Loads the chain a session names: its file (or the sample), underlying and snapshot time.
fn session_chain(session: &Session) -> Result<LoadedChain, String> {
    let options = LoadOptions { at_ms: session.at_ms, underlying: None };
    let build = BuildOptions { underlying: session.underlying.clone(), at_ms: session.at_ms, ..Default::default() };
    match &session.source {
        Some(src) => {
            let raw = load_path(src, &options).map_err(|e| e.to_string())?;
            Ok(LoadedChain::with_options(display_name(src), raw, build)?.with_source(src.clone()))
        }
        None => {
            let raw = load_bytes(SAMPLE_CSV.as_bytes(), SAMPLE_PATH, &options).map_err(|e| e.to_string())?;
            LoadedChain::with_options(format!("{SAMPLE_PATH} (synthetic sample)"), raw, build)
        }
    }
}

/// A file's name for display.
fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}
