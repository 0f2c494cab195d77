//! The application: its state split by concern, and what reads it. The user's actions change it in one place
//! (`app/apply.rs`); files and sessions open in `app/files.rs`; the frame (`app/frame.rs`) draws the panels,
//! applies their actions and ticks the autosave.
//!
//! - [`LoadedData`]: the loaded chain, the background load, the session waiting for it, the load error.
//! - [`Edits`]: the edit state, undo and redo, the autosave.
//! - [`Fits`]: the fit worker, its latest fits, hand-set evaluations.
//! - [`ViewState`]: selection, scope, settings (theme, tab, x axis), windows, status message.
//! - [`Jobs`]: the window's waker for background threads, PNG exports.

mod apply;
mod edits;
mod files;
mod fits;
mod frame;
mod job_handles;
mod loaded_data;
mod view;

use std::borrow::Cow;
use std::path::{Path, PathBuf};

pub(crate) use edits::Edits;
pub use fits::FitView;
pub(crate) use fits::Fits;
pub(crate) use job_handles::Jobs;
pub(crate) use loaded_data::LoadedData;
pub(crate) use view::ViewState;

use super::action::Action;
use crate::calibrate::SliceFitReport;
use crate::gui::jobs::loaded_chain::LoadedChain;
use crate::gui::jobs::settings::{autosave_path, settings_path, Autosave, Settings, SettingsFile};
use crate::gui::panels::CalculatorApp;
use crate::gui::tabs::Tab;
use crate::market::ExpirySlice;
use crate::models::ModelKind;
use crate::session::{EditState, SliceSetup};

/// Application state, by concern.
pub struct VolscopeApp {
    data: LoadedData,
    edits: Edits,
    fits: Fits,
    view: ViewState,
    jobs: Jobs,
    /// The Black-76 calculator window's own state.
    calculator: CalculatorApp,
}

impl VolscopeApp {
    /// Opens `file`, or the bundled sample when none is given; `ctx` is woken when a fit arrives. No autosave.
    pub fn new(file: Option<&Path>, ctx: Option<egui::Context>) -> Self {
        let mut app = VolscopeApp::empty(ctx, Settings::default(), SettingsFile::open(None, None).0, None);
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
        let mut app = VolscopeApp::empty(Some(ctx), settings, settings_file, autosave.clone());
        app.open_sample();
        match (file, autosave.filter(|p| p.exists())) {
            (Some(path), _) => {
                app.open_in_background(path);
                app.edits.autosave_mut().hold();
            }
            (None, Some(saved)) => {
                app.edits.autosave_mut().hold();
                app.edits.autosave_mut().restored();
                if let Err(e) = app.restore_session_in_background(&saved) {
                    app.view.say(e);
                }
            }
            (None, None) => {}
        }
        if let Some(m) = settings_message {
            let message = match app.view.message() {
                Some(first) => format!("{first} · {m}"),
                None => m,
            };
            app.view.say(message);
        }
        app
    }

    fn empty(
        ctx: Option<egui::Context>,
        settings: Settings,
        settings_file: SettingsFile,
        autosave: Option<PathBuf>,
    ) -> Self {
        let jobs = Jobs::new(ctx);
        VolscopeApp {
            data: LoadedData::default(),
            edits: Edits::new(Autosave::new(autosave)),
            fits: Fits::new(jobs.repainter()),
            view: ViewState::new(settings, settings_file),
            jobs,
            calculator: CalculatorApp::default(),
        }
    }

    /// The loaded data (chain, background load).
    pub(crate) fn data(&self) -> &LoadedData {
        &self.data
    }

    /// The edits and their history.
    pub(crate) fn edits(&self) -> &Edits {
        &self.edits
    }

    /// The fit worker's state and the shown fits.
    pub(crate) fn fit_state(&self) -> &Fits {
        &self.fits
    }

    /// The view state.
    pub(crate) fn view(&self) -> &ViewState {
        &self.view
    }

    /// The background jobs (PNG export).
    pub(crate) fn jobs(&self) -> &Jobs {
        &self.jobs
    }

    /// `true` while a fit is running for the latest request.
    pub fn fitting(&self) -> bool {
        self.fits.fitting()
    }

    /// The worker's fits, if any (without hand-set overlays; see [`VolscopeApp::report`]).
    pub fn fits(&self) -> Option<&FitView> {
        self.fits.latest()
    }

    /// The comparison model's latest fits (View > Compare), if any.
    pub fn compare_fits(&self) -> Option<&FitView> {
        self.fits.compare()
    }

    /// The model fitted for comparison, if one is chosen.
    pub fn compare_kind(&self) -> Option<crate::models::ModelKind> {
        self.view.compare()
    }

    /// The report shown for slice `i`: its hand-set evaluation in manual mode, else the worker's fit.
    pub fn report(&self, i: usize) -> Option<&SliceFitReport> {
        self.fits.report(i)
    }

    /// The model of slice `i`'s shown report.
    pub fn report_kind(&self, i: usize) -> Option<ModelKind> {
        self.fits.report_kind(i)
    }

    /// The smile of slice `i`'s shown report (hand-set or fitted), when its parameters make one.
    pub(crate) fn smile(&self, i: usize) -> Option<&crate::models::FittedSmile> {
        self.fits.smile(i)
    }

    /// Reports shown for every slice (manual overlays applied), in slice order.
    pub fn shown_reports(&self) -> Cow<'_, [SliceFitReport]> {
        self.fits.shown_reports()
    }

    /// Models of [`VolscopeApp::shown_reports`].
    pub fn shown_kinds(&self) -> Vec<ModelKind> {
        self.fits.shown_kinds()
    }

    /// The loaded chain, if any.
    pub fn chain(&self) -> Option<&LoadedChain> {
        self.data.chain()
    }

    /// Slice `i` of the loaded chain.
    pub fn slice(&self, i: usize) -> Option<&ExpirySlice> {
        self.data.slice(i)
    }

    /// Index of the selected expiry.
    pub fn selected(&self) -> usize {
        self.view.selected()
    }

    /// `true` while a background load runs.
    pub fn loading(&self) -> bool {
        self.data.job().is_some()
    }

    /// The status bar's message, if any.
    pub fn message(&self) -> Option<&str> {
        self.view.message()
    }

    /// Shows a message in the status bar.
    pub fn show_message(&mut self, message: String) {
        self.view.say(message);
    }

    /// The last load error, if any.
    pub fn error(&self) -> Option<&str> {
        self.data.error()
    }

    /// Everything the user edited.
    pub fn edit_state(&self) -> &EditState {
        self.edits.state()
    }

    /// Instruments the user excluded.
    pub fn excluded(&self) -> &[String] {
        &self.edits.state().excluded
    }

    /// Hand-set parameters of the selected expiry, if it is in manual mode.
    pub fn manual_params(&self) -> Option<&[f64]> {
        let e = self.slice(self.selected())?.expiry_ms;
        self.edits.state().manual.get(&e).map(Vec::as_slice)
    }

    /// The expiry whose own setup the model panel edits (the selected one, when the scope is "this expiry"),
    /// or `None` when it edits the all-expiry setup.
    pub(crate) fn scope_expiry(&self) -> Option<i64> {
        self.view.scope_this_expiry().then(|| self.slice(self.selected()).map(|s| s.expiry_ms)).flatten()
    }

    // Drivers' shortcuts (tests, benches): each is one action.

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

    /// Cancels the background load; the current chain stays.
    pub fn cancel_load(&mut self) {
        self.apply(Action::CancelLoad);
    }

    /// The setup the model panel edits, for drivers that edit it in place (tests; the panel itself returns
    /// actions): the selected expiry's own (created from the all-expiry one) when the scope is "this expiry",
    /// else the all-expiry one. Call [`VolscopeApp::edited`] after a change.
    pub fn setup_mut(&mut self) -> &mut SliceSetup {
        let expiry = self.scope_expiry();
        self.edits.state_mut().setup_mut(expiry)
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
}

/// Index of the first slice that has not expired.
pub(super) fn first_live_slice(chain: &LoadedChain) -> usize {
    chain.snapshot.slices.iter().position(|s| s.t_years > 0.0).unwrap_or(0)
}

#[cfg(test)]
mod app_tests;
