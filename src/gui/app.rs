//! The application state and what the user can do to it: open a chain, fit it on the worker, edit models and
//! constraints (for all expiries or one), exclude quotes, set parameters by hand, undo and redo, save and
//! restore sessions. Drawing lives in `app_ui.rs` and `model_panel.rs`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::action::Action;
use super::calculator::CalculatorApp;
use super::chain_view::{CurveDrag, XAxis};
use super::export::{ExportInputs, ExportKind};
use super::fit_worker::FitWorker;
use super::load_job::LoadJob;
use super::loaded::LoadedChain;
use super::png_export::PlotPng;
use super::settings::{autosave_path, settings_path, Autosave, Settings, SettingsFile};
use super::tables::Tab;
use super::theme::ThemeChoice;
use crate::calibrate::{evaluate_slice, SliceFitReport};
use crate::io::{load_bytes, load_path, LoadOptions};
use crate::market::time::format_utc;
use crate::market::BuildOptions;
use crate::market::ExpirySlice;
use crate::models::{drag, ModelKind};
use crate::sample::{SAMPLE_CSV, SAMPLE_PATH};
use crate::session::{EditState, Session, SliceSetup, SESSION_VERSION};

/// The worker's fits of the loaded chain, one report per slice in slice order.
pub struct FitView {
    /// Model fitted to each slice.
    pub kinds: Vec<ModelKind>,
    /// Reports, aligned with the snapshot's slices.
    pub reports: Vec<SliceFitReport>,
    /// Wall time of the whole fit, ms.
    pub elapsed_ms: f64,
}

/// Application state.
pub struct VolscopeApp {
    pub(super) chain: Option<LoadedChain>,
    /// A file loading in the background (progress and Cancel are shown; the current chain stays meanwhile).
    pub(super) load_job: Option<LoadJob>,
    /// The session (and its file's path) to apply when the background load of its source ends.
    pending_session: Option<(Session, PathBuf)>,
    /// Woken when a background job finishes (`None` in tests without a window).
    ctx: Option<egui::Context>,
    pub(super) selected: usize,
    pub(super) error: Option<String>,
    pub(super) calculator: CalculatorApp,
    pub(super) show_calculator: bool,
    pub(super) show_warnings: bool,
    worker: FitWorker,
    pub(super) fits: Option<FitView>,
    /// Reports of hand-set parameters (manual mode), by slice index; shown instead of the worker's.
    manual_reports: BTreeMap<usize, SliceFitReport>,
    pub(super) fit_error: Option<String>,
    /// Id of the last fit request whose answer was applied.
    applied_fit: u64,
    /// What the user edited (models, constraints, exclusions, hand-set parameters).
    pub(super) edit: EditState,
    /// The edit state of the last undo step.
    committed: EditState,
    undo: Vec<EditState>,
    redo: Vec<EditState>,
    /// The model panel edits the selected expiry's own setup (else the all-expiry one).
    pub(super) scope_this_expiry: bool,
    /// Table shown under the smile.
    pub(super) tab: Tab,
    /// x axis of the smile.
    pub(super) axis: XAxis,
    /// Outcome of the last action, for the status bar.
    pub(super) last_message: Option<String>,
    /// Persisted settings.
    pub(super) settings: Settings,
    pub(super) autosave: Autosave,
    /// Where the settings are written when they change.
    pub(super) settings_file: SettingsFile,
    /// The selected expiry (UTC ms) as last autosaved: a change of selection is saved too.
    pub(super) saved_view: Option<i64>,
    /// PNG export of the smile plot in flight (and the start-up export of `VOLSCOPE_EXPORT_PNG_ON_START`).
    pub(super) png: PlotPng,
    /// Where the smile plot was drawn last frame (what "Export plot PNG" captures).
    pub(super) plot_rect: Option<egui::Rect>,
    /// The theme whose visuals egui has (a [`Action::SetTheme`] is shown by the frame).
    pub(super) shown_theme: ThemeChoice,
}

impl VolscopeApp {
    /// Opens `file`, or the bundled sample when none is given; `ctx` is woken when a fit arrives. No autosave.
    pub fn new(file: Option<&Path>, ctx: Option<egui::Context>) -> Self {
        let mut app = VolscopeApp::empty(ctx, Settings::default(), None);
        match file {
            Some(path) => app.open(path),
            None => app.open_sample(),
        }
        app
    }

    /// The desktop start: the settings file (`legacy`: the settings older versions kept in eframe's storage,
    /// used when there is no settings file), autosave on, and the file given, or the autosaved session when
    /// there is one, or the sample.
    pub fn start(file: Option<&Path>, ctx: egui::Context, legacy: Option<Settings>) -> Self {
        Self::start_with(file, ctx, legacy, autosave_path(), settings_path())
    }

    /// [`VolscopeApp::start`] with the autosave and settings files given (`None`: not kept).
    ///
    /// The sample shows at once; a file or the autosaved session replaces it when loaded. Until then the
    /// autosave is held, so the sample never replaces what is on disk. An autosave or settings file that
    /// cannot be read (or an autosave that cannot be restored) is set aside, never written over.
    pub fn start_with(
        file: Option<&Path>,
        ctx: egui::Context,
        legacy: Option<Settings>,
        autosave: Option<PathBuf>,
        settings_file: Option<PathBuf>,
    ) -> Self {
        let (settings_file, settings, settings_message) = SettingsFile::open(settings_file, legacy);
        settings.theme.apply(&ctx);
        let mut app = VolscopeApp::empty(Some(ctx), settings, autosave.clone());
        app.settings_file = settings_file;
        app.open_sample();
        match (file, autosave.filter(|p| p.exists())) {
            (Some(path), _) => {
                app.open_in_background(path);
                app.autosave.hold();
            }
            (None, Some(saved)) => {
                app.autosave.hold();
                app.autosave.restored();
                if let Err(e) = app.restore_session_in_background(&saved) {
                    app.last_message = Some(e);
                }
            }
            (None, None) => {}
        }
        if let Some(m) = settings_message {
            app.last_message = Some(match app.last_message.take() {
                Some(first) => format!("{first} · {m}"),
                None => m,
            });
        }
        app
    }

    fn empty(ctx: Option<egui::Context>, settings: Settings, autosave: Option<PathBuf>) -> Self {
        let worker = FitWorker::spawn(repainter(ctx.clone()));
        VolscopeApp {
            chain: None,
            load_job: None,
            pending_session: None,
            ctx: ctx.clone(),
            selected: 0,
            error: None,
            calculator: CalculatorApp::default(),
            show_calculator: false,
            show_warnings: false,
            worker,
            fits: None,
            manual_reports: BTreeMap::new(),
            fit_error: None,
            applied_fit: 0,
            edit: EditState::default(),
            committed: EditState::default(),
            undo: Vec::new(),
            redo: Vec::new(),
            scope_this_expiry: false,
            tab: settings.tab,
            axis: settings.axis,
            last_message: None,
            autosave: Autosave::new(autosave),
            settings_file: SettingsFile::open(None, None).0,
            saved_view: None,
            png: PlotPng::from_env(),
            plot_rect: None,
            shown_theme: settings.theme,
            settings,
        }
    }

    /// Loads a file; on failure the error is shown and the current chain stays. Exclusions and hand-set
    /// parameters belong to the old chain and are dropped; models and constraints stay.
    pub fn open(&mut self, path: &Path) {
        self.load_job = None; // dropping a job cancels it
        self.abandon_pending_session();
        let name = display_name(path);
        let loaded = load_path(path, &LoadOptions::default())
            .map_err(|e| e.to_string())
            .and_then(|raw| LoadedChain::new(name, raw))
            .map(|chain| chain.with_source(path.to_path_buf()));
        if loaded.is_ok() {
            self.settings.remember(path);
        }
        self.install(loaded);
    }

    /// Loads a file on a background thread (the window stays live, shows progress and offers Cancel); the
    /// chain is replaced when the load succeeds, and a failure is shown with the current chain kept.
    pub fn open_in_background(&mut self, path: &Path) {
        let job = LoadJob::spawn(
            path.to_path_buf(),
            LoadOptions::default(),
            BuildOptions::default(),
            repainter(self.ctx.clone()),
        );
        self.load_job = Some(job);
        self.abandon_pending_session();
    }

    /// `true` while a background load runs.
    pub fn loading(&self) -> bool {
        self.load_job.is_some()
    }

    /// Cancels the background load; the current chain stays.
    pub fn cancel_load(&mut self) {
        self.abandon_pending_session();
        if let Some(job) = self.load_job.take() {
            job.cancel();
            self.last_message = Some(format!("loading {} cancelled", job.file_name()));
        }
    }

    /// Installs the background load's chain, or shows its error, once it has come.
    pub fn poll_load(&mut self) {
        let Some(job) = &mut self.load_job else { return };
        let Some(answer) = job.poll() else { return };
        let path = job.path().to_path_buf();
        self.load_job = None;
        match (answer, self.pending_session.take()) {
            (Ok(chain), Some((session, session_path))) => self.apply_session(chain, session, &session_path),
            (Err(e), Some((session, session_path))) => {
                let source = session.source.as_deref().map_or_else(String::new, |p| p.display().to_string());
                let why = format!("its file {source} could not be loaded: {e}");
                self.session_not_restored(&session_path, &why);
            }
            (answer, None) => {
                if answer.is_ok() {
                    self.settings.remember(&path);
                }
                self.install(answer);
            }
        }
        self.autosave.release(false);
    }

    /// A session could not be restored: the autosave is set aside (never written over), a session file the
    /// user opened stays where it is; the message says what happened and where the session is.
    fn session_not_restored(&mut self, session_path: &Path, why: &str) {
        self.last_message = Some(if self.autosave.is_file(session_path) {
            let kept = self.autosave.set_aside(why);
            format!("{kept}; File > Open session… opens it (once its file is there)")
        } else {
            format!("could not restore the session {}: {why}", session_path.display())
        });
    }

    /// Drops the session waiting for its file's load (another file was opened, or the load cancelled).
    fn abandon_pending_session(&mut self) {
        if let Some((_, path)) = self.pending_session.take() {
            self.session_not_restored(&path, "its restore was cancelled");
        }
        self.autosave.release(false);
    }

    /// Shows another underlying of the file (BTC, ETH); hand-set parameters are dropped (they were set on
    /// the other underlying's smiles, which share expiry dates).
    fn show_underlying(&mut self, underlying: &str) -> FollowUp {
        let Some(chain) = &mut self.chain else { return FollowUp::default() };
        match chain.select_underlying(underlying) {
            Ok(()) => {
                self.selected = first_live_slice(chain);
                self.fits = None;
                self.edit.manual.clear();
                FollowUp::step(Refit::All)
            }
            Err(e) => {
                self.error = Some(e);
                FollowUp::default()
            }
        }
    }

    /// Shows another snapshot time of a multi-snapshot file (a Tardis file is read again in the background).
    fn show_time(&mut self, at_ms: i64) -> FollowUp {
        let Some(chain) = &mut self.chain else { return FollowUp::default() };
        if chain.needs_reload_for_time() {
            match LoadJob::reload_at(chain, at_ms, repainter(self.ctx.clone())) {
                Ok(job) => self.load_job = Some(job),
                Err(e) => self.error = Some(e),
            }
            return FollowUp::default();
        }
        match chain.select_time(at_ms) {
            Ok(()) => {
                self.fits = None;
                self.last_message = Some(format!("snapshot at {}", format_utc(chain.snapshot.time_ms)));
                FollowUp::edit(Refit::All)
            }
            Err(e) => {
                self.error = Some(e);
                FollowUp::default()
            }
        }
    }

    /// Opens the bundled synthetic sample.
    pub fn open_sample(&mut self) {
        let name = format!("{} (synthetic sample)", SAMPLE_PATH.trim_start_matches("assets/"));
        let loaded = load_bytes(SAMPLE_CSV.as_bytes(), &name, &LoadOptions::default())
            .map_err(|e| e.to_string())
            .and_then(|raw| LoadedChain::new(name, raw));
        self.install(loaded);
    }

    fn install(&mut self, loaded: Result<LoadedChain, String>) {
        match loaded {
            Ok(chain) => {
                self.selected = first_live_slice(&chain);
                self.chain = Some(chain);
                self.error = None;
                self.fits = None;
                self.manual_reports.clear();
                // Exclusions and hand-set parameters belong to the old chain; models and bounds carry over.
                // A new chain starts a new undo history.
                self.edit.excluded.clear();
                self.edit.manual.clear();
                self.committed = self.edit.clone();
                self.undo.clear();
                self.redo.clear();
                self.follow_up(FollowUp { save: true, fit: Refit::All, ..FollowUp::default() });
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Fits every slice of the loaded chain on the worker thread (the current fits stay until it answers),
    /// starting the solver of slice `warm.0` at `warm.1`.
    fn request_fit_from(&mut self, warm: Option<(usize, Vec<f64>)>) {
        if let Some(chain) = &self.chain {
            let plans =
                self.edit.plans(&chain.snapshot, |i, _| warm.as_ref().filter(|w| w.0 == i).map(|w| w.1.clone()));
            self.worker.request(Arc::clone(&chain.snapshot), plans);
        }
    }

    /// Applies the worker's answer to the latest request, if it has come.
    pub(super) fn poll_fits(&mut self) {
        if let Some(result) = self.worker.poll() {
            self.applied_fit = result.id;
            match result.reports {
                Ok(reports) => {
                    self.fits = Some(FitView { kinds: result.kinds, reports, elapsed_ms: result.elapsed_ms });
                    self.fit_error = None;
                    self.autosave.mark_dirty();
                }
                Err(e) => self.fit_error = Some(e),
            }
        }
    }

    /// `true` while a fit is running for the latest request.
    pub fn fitting(&self) -> bool {
        self.worker.latest() != self.applied_fit
    }

    /// The worker's fits, if any (without hand-set overlays; see [`VolscopeApp::report`]).
    pub fn fits(&self) -> Option<&FitView> {
        self.fits.as_ref()
    }

    /// The report shown for slice `i`: its hand-set evaluation in manual mode, else the worker's fit.
    pub fn report(&self, i: usize) -> Option<&SliceFitReport> {
        self.manual_reports.get(&i).or_else(|| self.fits.as_ref().and_then(|f| f.reports.get(i)))
    }

    /// The model of slice `i`'s shown report.
    pub fn report_kind(&self, i: usize) -> Option<ModelKind> {
        if self.manual_reports.contains_key(&i) {
            return self.slice(i).map(|s| self.edit.setup_for(s.expiry_ms).kind);
        }
        self.fits.as_ref().and_then(|f| f.kinds.get(i).copied())
    }

    /// Reports shown for every slice (manual overlays applied), in slice order. Borrowed from the worker's
    /// fits unless an expiry is hand-set (the usual case costs no copy; it runs several times per frame).
    pub fn shown_reports(&self) -> Cow<'_, [SliceFitReport]> {
        let Some(fits) = &self.fits else { return Cow::Borrowed(&[]) };
        if self.manual_reports.is_empty() {
            return Cow::Borrowed(&fits.reports);
        }
        Cow::Owned((0..fits.reports.len()).filter_map(|i| self.report(i).cloned()).collect())
    }

    /// Models of [`VolscopeApp::shown_reports`].
    pub fn shown_kinds(&self) -> Vec<ModelKind> {
        let n = self.fits.as_ref().map_or(0, |f| f.reports.len());
        (0..n).filter_map(|i| self.report_kind(i)).collect()
    }

    /// The loaded chain, if any.
    pub fn chain(&self) -> Option<&LoadedChain> {
        self.chain.as_ref()
    }

    /// Slice `i` of the loaded chain.
    pub fn slice(&self, i: usize) -> Option<&ExpirySlice> {
        self.chain.as_ref().and_then(|c| c.snapshot.slices.get(i))
    }

    /// Index of the selected expiry.
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// Shows the table tab of that label ("Residuals", "Greeks", "Arbitrage", "Parameters"; others ignored).
    pub fn set_tab(&mut self, label: &str) {
        if let Some(tab) = Tab::from_label(label) {
            self.apply(Action::SetTab(tab));
        }
    }

    /// Selects an expiry (ignored when out of range).
    pub fn select(&mut self, i: usize) {
        self.apply(Action::Select(i));
    }

    /// Edits apply to the selected expiry only (`true`) or to all expiries without their own setup.
    pub fn set_scope_this_expiry(&mut self, this_expiry: bool) {
        self.apply(Action::SetScopeThisExpiry(this_expiry));
    }

    /// Excludes a quote from the fits, or includes it again; undoable; refits.
    pub fn toggle_exclusion(&mut self, instrument: &str) {
        self.apply(Action::ToggleExclusion(instrument.to_owned()));
    }

    /// Shows another snapshot time of a multi-snapshot file (a Tardis file is read again in the background).
    pub fn choose_time(&mut self, at_ms: i64) {
        self.apply(Action::ChooseTime(at_ms));
    }

    /// Sets hand-set parameter `index` of the selected expiry (manual mode); its report is re-evaluated at once.
    pub fn set_manual_param(&mut self, index: usize, value: f64) {
        self.apply(Action::SetManualParam { index, value });
    }

    /// The setup the model panel edits, for drivers that edit it in place (tests; the panel itself returns
    /// actions): the selected expiry's own (created from the all-expiry one) when the scope is "this expiry",
    /// else the all-expiry one. Call [`VolscopeApp::edited`] after a change.
    pub fn setup_mut(&mut self) -> &mut SliceSetup {
        let expiry = self.scope_expiry();
        self.edit.setup_mut(expiry)
    }

    /// After an edit in place through [`VolscopeApp::setup_mut`]: hand-set reports are re-evaluated, and a fit
    /// is requested when `refit`.
    pub fn edited(&mut self, refit: bool) {
        self.apply(Action::EditedInPlace { refit });
    }

    /// Records the edits as an undo step now, as when the user lets go.
    pub fn commit(&mut self) {
        self.let_go();
    }

    /// Shows a message in the status bar.
    pub fn show_message(&mut self, message: String) {
        self.last_message = Some(message);
    }

    /// The status bar's message, if any.
    pub fn message(&self) -> Option<&str> {
        self.last_message.as_deref()
    }

    /// The last load error, if any.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Everything the user edited.
    pub fn edit_state(&self) -> &EditState {
        &self.edit
    }

    /// The expiry whose own setup the model panel edits (the selected one, when the scope is "this expiry"),
    /// or `None` when it edits the all-expiry setup.
    pub(super) fn scope_expiry(&self) -> Option<i64> {
        self.scope_this_expiry.then(|| self.slice(self.selected).map(|s| s.expiry_ms)).flatten()
    }

    /// Instruments the user excluded.
    pub fn excluded(&self) -> &[String] {
        &self.edit.excluded
    }

    /// Hand-set parameters of the selected expiry, if it is in manual mode.
    pub fn manual_params(&self) -> Option<&[f64]> {
        let e = self.slice(self.selected)?.expiry_ms;
        self.edit.manual.get(&e).map(Vec::as_slice)
    }

    /// Does what the user asked (see [`Action`]): the one place that changes the state on the user's behalf,
    /// records undo steps, marks the autosave and requests fits.
    pub(crate) fn apply(&mut self, action: Action) {
        let follow_up = self.perform(action);
        self.follow_up(follow_up);
    }

    /// The user let go (no pointer down, no field being typed in): the edits since the last undo step become
    /// one, so a slider drag is one step.
    pub(super) fn let_go(&mut self) {
        self.follow_up(FollowUp { step: true, ..FollowUp::default() });
    }

    /// The edits every action shares, in one place: the undo step, hand-set re-evaluation, autosave, fit.
    fn follow_up(&mut self, f: FollowUp) {
        if f.step {
            self.record_step();
        }
        match f.reevaluate {
            Reevaluate::None => {}
            Reevaluate::Selected => self.refresh_manual_slice(self.selected),
            Reevaluate::All => self.refresh_manual(),
        }
        if f.save {
            self.autosave.mark_dirty();
        }
        match f.fit {
            Refit::None => {}
            Refit::IfAuto if !self.settings.auto_fit => {}
            Refit::All | Refit::IfAuto => self.request_fit_from(None),
            Refit::From(i, params) => self.request_fit_from(Some((i, params))),
        }
    }

    /// Changes the state for `action`; what must follow is returned.
    fn perform(&mut self, action: Action) -> FollowUp {
        match action {
            Action::SetAllModel(kind) if kind != self.edit.all.kind => {
                self.edit.all.kind = kind;
                FollowUp::step(Refit::All)
            }
            Action::SetAllModel(_) => FollowUp::default(),
            Action::SetModel { expiry, kind } => {
                // Bounds and fixed values are per parameter name; a new model's names differ.
                self.edit.setup_mut(expiry).kind = kind;
                FollowUp::edit(Refit::IfAuto)
            }
            Action::SetConfig { expiry, config } => {
                self.edit.setup_mut(expiry).config = config;
                FollowUp::edit(Refit::IfAuto)
            }
            Action::ClearExpirySetup => self.clear_expiry_setup(),
            Action::ToggleExclusion(instrument) => self.flip_exclusion(&instrument),
            Action::IncludeAllQuotes => {
                self.edit.excluded.clear();
                FollowUp::step(Refit::All)
            }
            Action::EnterManual => self.enter_manual(),
            Action::SetManualParam { index, value } => self.set_hand_param(index, value),
            Action::DragManualCurve(drag) => self.drag_manual_curve(drag),
            Action::LeaveManual { refit_from_here } => self.leave_manual(refit_from_here),
            Action::Undo => self.undo(false),
            Action::Redo => self.undo(true),
            Action::EditedInPlace { refit } => FollowUp::edit(if refit { Refit::All } else { Refit::None }),
            Action::Calibrate => FollowUp { step: true, fit: Refit::All, ..FollowUp::default() },
            Action::Refit => FollowUp { fit: Refit::All, ..FollowUp::default() },
            other => {
                self.perform_view_or_job(other);
                FollowUp::default()
            }
        }
    }

    /// View changes, files and background jobs (they follow up themselves when they install a chain).
    fn perform_view_or_job(&mut self, action: Action) {
        match action {
            Action::Select(i) if self.slice(i).is_some() => self.selected = i,
            Action::SetScopeThisExpiry(this_expiry) => self.scope_this_expiry = this_expiry,
            Action::SetTab(tab) => self.tab = tab,
            Action::SetAxis(axis) => self.axis = axis,
            Action::SetTheme(choice) => self.settings.theme = choice,
            Action::SetAutoFit(on) => self.settings.auto_fit = on,
            Action::ShowCalculator(show) => self.show_calculator = show,
            Action::ShowWarnings(show) => self.show_warnings = show,
            Action::Open(path) => self.open_in_background(&path),
            Action::OpenSample => self.open_sample(),
            Action::OpenSession(path) => {
                if let Err(e) = self.restore_session_in_background(&path) {
                    self.error = Some(e);
                }
            }
            Action::SaveSession(path) => self.save_session(&path),
            Action::Export(kind, path) => self.export_to(&path, kind),
            Action::ExportPng(path) => {
                if let Some(rect) = self.plot_rect {
                    self.png.queue(rect, path);
                }
            }
            Action::CancelLoad => self.cancel_load(),
            Action::ChooseUnderlying(underlying) => {
                let follow_up = self.show_underlying(&underlying);
                self.follow_up(follow_up);
            }
            Action::ChooseTime(at_ms) => {
                let follow_up = self.show_time(at_ms);
                self.follow_up(follow_up);
            }
            _ => {}
        }
    }

    /// The selected expiry goes back to the all-expiry setup.
    fn clear_expiry_setup(&mut self) -> FollowUp {
        let expiry = self.slice(self.selected).map(|s| s.expiry_ms);
        match expiry.and_then(|e| self.edit.per_expiry.remove(&e)) {
            Some(_) => FollowUp::step(Refit::All),
            None => FollowUp { step: true, ..FollowUp::default() },
        }
    }

    /// Records the current edit state as an undo step when it changed since the last one.
    fn record_step(&mut self) {
        if self.edit != self.committed {
            self.undo.push(std::mem::replace(&mut self.committed, self.edit.clone()));
            self.redo.clear();
            self.autosave.mark_dirty();
        }
    }

    /// Undoes the last edit (`redo`: redoes one): models, constraints, exclusions and hand-set parameters.
    fn undo(&mut self, redo: bool) -> FollowUp {
        self.record_step();
        let (from, to) = if redo { (&mut self.redo, &mut self.undo) } else { (&mut self.undo, &mut self.redo) };
        let Some(previous) = from.pop() else { return FollowUp::default() };
        to.push(std::mem::replace(&mut self.edit, previous));
        self.committed = self.edit.clone();
        self.last_message = Some(if redo { "redone" } else { "undone (ctrl+Y redoes)" }.to_owned());
        FollowUp::edit(Refit::All)
    }

    /// Excludes a quote from the fits, or includes it again.
    fn flip_exclusion(&mut self, instrument: &str) -> FollowUp {
        let now_excluded = self.edit.toggle_exclusion(instrument);
        self.last_message = Some(if now_excluded {
            format!("{instrument} excluded (ctrl+Z undoes)")
        } else {
            format!("{instrument} included again")
        });
        FollowUp::step(Refit::All)
    }

    /// Puts the selected expiry in manual mode, starting from its shown parameters (a message says why not
    /// when it has none).
    fn enter_manual(&mut self) -> FollowUp {
        let Some(e) = self.slice(self.selected).map(|s| s.expiry_ms) else { return FollowUp::default() };
        let kind = self.edit.setup_for(e).kind;
        let params = self
            .report(self.selected)
            .filter(|r| !r.params.is_empty() && self.report_kind(self.selected) == Some(kind))
            .map(|r| r.params.clone());
        match params {
            Some(p) => {
                self.edit.manual.insert(e, p);
                FollowUp::step(Refit::None)
            }
            None => {
                self.last_message = Some("manual mode needs parameters to start from: fit this expiry first".into());
                FollowUp::default()
            }
        }
    }

    /// Sets hand-set parameter `index` of the selected expiry; its report is re-evaluated at once.
    fn set_hand_param(&mut self, index: usize, value: f64) -> FollowUp {
        let Some(e) = self.slice(self.selected).map(|s| s.expiry_ms) else { return FollowUp::default() };
        match self.edit.manual.get_mut(&e).and_then(|p| p.get_mut(index)) {
            Some(p) => {
                *p = value;
                FollowUp::hand_set()
            }
            None => FollowUp::default(),
        }
    }

    /// Drags the selected expiry's hand-set smile: through vol `drag.vol` (decimal) at `drag.k`, or, when
    /// `drag.dk` is given, along k by `dk`. A move the model cannot make (outside its domain) is ignored.
    fn drag_manual_curve(&mut self, drag: CurveDrag) -> FollowUp {
        let (Some(slice), Some(params)) = (self.slice(self.selected), self.manual_params()) else {
            return FollowUp::default();
        };
        let kind = self.edit.setup_for(slice.expiry_ms).kind;
        let model = kind.for_slice(slice);
        let moved = match drag.dk {
            Some(dk) => drag::shift_k(kind, params, slice.t_years, dk),
            None => drag::set_vol_at(kind, model.as_ref(), params, slice.t_years, drag.k, drag.vol),
        };
        match moved {
            Some(moved) => {
                let e = slice.expiry_ms;
                self.edit.manual.insert(e, moved);
                FollowUp::hand_set()
            }
            None => FollowUp::default(),
        }
    }

    /// Leaves manual mode on the selected expiry; `refit_from_here` starts its fit at the hand-set parameters.
    fn leave_manual(&mut self, refit_from_here: bool) -> FollowUp {
        let Some(e) = self.slice(self.selected).map(|s| s.expiry_ms) else { return FollowUp::default() };
        let Some(params) = self.edit.manual.remove(&e) else { return FollowUp::default() };
        let fit = if refit_from_here { Refit::From(self.selected, params) } else { Refit::All };
        FollowUp { step: true, reevaluate: Reevaluate::Selected, save: true, fit }
    }

    /// Re-evaluates every hand-set expiry (after an undo, a constraint edit or a restore).
    fn refresh_manual(&mut self) {
        self.manual_reports.clear();
        let Some(chain) = &self.chain else { return };
        let indices: Vec<usize> = (0..chain.snapshot.slices.len())
            .filter(|&i| self.edit.manual.contains_key(&chain.snapshot.slices[i].expiry_ms))
            .collect();
        for i in indices {
            self.refresh_manual_slice(i);
        }
    }

    fn refresh_manual_slice(&mut self, i: usize) {
        let Some(slice) = self.slice(i) else { return };
        let Some(params) = self.edit.manual.get(&slice.expiry_ms) else {
            self.manual_reports.remove(&i);
            return;
        };
        let model = self.edit.setup_for(slice.expiry_ms).kind.for_slice(slice);
        let report = evaluate_slice(model.as_ref(), slice, &self.edit.config_for(slice.expiry_ms), params);
        self.manual_reports.insert(i, report);
    }

    /// Writes an export of the shown fits (atomically) to `path`; the outcome goes to the status bar.
    fn export_to(&mut self, path: &Path, kind: ExportKind) {
        let (Some(chain), Some(_)) = (&self.chain, &self.fits) else { return };
        let (reports, kinds) = (self.shown_reports(), self.shown_kinds());
        let config = if self.edit.per_expiry.is_empty() {
            serde_json::to_value(self.edit.config_for(i64::MIN)).unwrap_or_default()
        } else {
            serde_json::to_value(&self.edit).unwrap_or_default()
        };
        let inputs =
            ExportInputs { file: &chain.name, snapshot: &chain.snapshot, kinds: &kinds, config, reports: &reports };
        let outcome = kind.write(&inputs, path);
        self.last_message = Some(match outcome {
            Ok(()) => format!("exported {}", path.display()),
            Err(e) => format!("export to {} failed: {e}", path.display()),
        });
    }

    /// The session of the current state.
    pub fn session(&self) -> Session {
        Session {
            version: SESSION_VERSION,
            source: self.chain.as_ref().and_then(|c| c.source().map(Path::to_path_buf)),
            underlying: self.chain.as_ref().map(|c| c.snapshot.underlying.clone()),
            at_ms: self.chain.as_ref().and_then(|c| c.at_ms),
            selected_expiry_ms: self.slice(self.selected).map(|s| s.expiry_ms),
            edit: self.edit.clone(),
            fits: self.shown_reports().into_owned(),
            saved_at_ms: super::settings::now_ms(),
        }
    }

    /// Saves the session to `path` (atomically).
    pub fn save_session(&mut self, path: &Path) {
        self.last_message = Some(match self.session().save(path) {
            Ok(()) => format!("session saved to {}", path.display()),
            Err(e) => format!("session not saved: {e}"),
        });
    }

    /// Opens a session file: its source, underlying and edits; its fits are shown until the refit answers.
    /// On failure the current state stays.
    pub fn restore_session(&mut self, path: &Path) -> Result<(), String> {
        let session = self.read_session(path)?;
        self.load_job = None; // dropping a job cancels it
        self.abandon_pending_session();
        let chain = match session_chain(&session) {
            Ok(chain) => chain,
            Err(e) if self.autosave.is_file(path) => return Err(self.autosave.set_aside(&e)),
            Err(e) => return Err(e),
        };
        self.apply_session(chain, session, path);
        Ok(())
    }

    /// Reads a session file; the autosave file, if unreadable, is set aside (never written over).
    fn read_session(&mut self, path: &Path) -> Result<Session, String> {
        Session::load(path).map_err(|e| match self.autosave.is_file(path) {
            true => self.autosave.set_aside(&e.to_string()),
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
        let held = self.autosave.is_held();
        self.abandon_pending_session();
        if held {
            self.autosave.hold();
        }
        self.load_job = Some(LoadJob::spawn(source, options, build, repainter(self.ctx.clone())));
        self.pending_session = Some((session, path.to_path_buf()));
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
        self.selected = session
            .selected_expiry_ms
            .and_then(|e| expiries.iter().position(|x| *x == e))
            .unwrap_or_else(|| first_live_slice(&chain));
        self.chain = Some(chain);
        self.error = None;
        self.edit = session.edit;
        self.committed = self.edit.clone();
        self.undo.clear();
        self.redo.clear();
        self.fits = fits_match.then(|| FitView {
            kinds: expiries.iter().map(|e| self.edit.setup_for(*e).kind).collect(),
            reports: session.fits,
            elapsed_ms: 0.0,
        });
        self.last_message = Some(format!("session restored from {}", path.display()));
        self.autosave.release(true);
        self.follow_up(FollowUp::edit(Refit::All));
    }
}

/// What follows an action ([`VolscopeApp::follow_up`]).
#[derive(Default)]
struct FollowUp {
    /// Record the edits as an undo step now (else when the user lets go).
    step: bool,
    /// Which hand-set reports to evaluate again.
    reevaluate: Reevaluate,
    /// Mark the autosave.
    save: bool,
    /// Which fit to request.
    fit: Refit,
}

impl FollowUp {
    /// After an edit: hand-set reports re-evaluated, the autosave marked, `fit` requested; the undo step is
    /// recorded when the user lets go.
    fn edit(fit: Refit) -> Self {
        FollowUp { step: false, reevaluate: Reevaluate::All, save: true, fit }
    }

    /// [`FollowUp::edit`], recorded as an undo step at once.
    fn step(fit: Refit) -> Self {
        FollowUp { step: true, ..FollowUp::edit(fit) }
    }

    /// After a hand-set parameter moved: the selected expiry re-evaluated, the autosave marked.
    fn hand_set() -> Self {
        FollowUp { reevaluate: Reevaluate::Selected, save: true, ..FollowUp::default() }
    }
}

/// Which hand-set reports to evaluate again.
#[derive(Default)]
enum Reevaluate {
    #[default]
    None,
    /// The selected expiry's.
    Selected,
    /// Every hand-set expiry's.
    All,
}

/// Which fit to request.
#[derive(Default)]
enum Refit {
    #[default]
    None,
    /// Every expiry.
    All,
    /// Every expiry, when Auto is on.
    IfAuto,
    /// Every expiry, slice `.0` starting at `.1`.
    From(usize, Vec<f64>),
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

/// A callback that wakes the window (nothing without one).
fn repainter(ctx: Option<egui::Context>) -> impl Fn() + Send + Sync + 'static {
    move || {
        if let Some(ctx) = &ctx {
            ctx.request_repaint();
        }
    }
}

/// A file's name for display.
fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// Index of the first slice that has not expired.
pub(super) fn first_live_slice(chain: &LoadedChain) -> usize {
    chain.snapshot.slices.iter().position(|s| s.t_years > 0.0).unwrap_or(0)
}

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;
