//! What the user asks of the app. Panels, menus, keys and drops read the state and return [`Action`]s; the
//! frame hands them to `VolscopeApp::apply`, the one place that changes the state, records undo steps, marks
//! the autosave and requests fits.

use std::path::PathBuf;

use crate::calibrate::FitConfig;
use crate::gui::jobs::export_menu::ExportKind;
use crate::gui::plots::{CurveDrag, XAxis};
use crate::gui::tabs::Tab;
use crate::gui::theme::ThemeChoice;
use crate::models::ModelKind;

/// One thing the user did, as data.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    // Edits: undoable.
    /// The menu bar's model for every expiry without its own setup: an undo step of its own, refits.
    SetAllModel(ModelKind),
    /// The model panel's model of one expiry (`Some`: its own setup, created from the all-expiry one) or of
    /// all expiries (`None`); refits when Auto is on; the undo step is recorded when the user lets go.
    SetModel {
        /// Expiry (UTC ms) whose own setup is edited, or `None` for the all-expiry setup.
        expiry: Option<i64>,
        /// The new model.
        kind: ModelKind,
    },
    /// The model panel's fit configuration (bounds, fixed values, weights, filters, loss, solver) of one
    /// expiry or of all, as [`Action::SetModel`].
    SetConfig {
        /// Expiry (UTC ms) whose own setup is edited, or `None` for the all-expiry setup.
        expiry: Option<i64>,
        /// The whole new configuration.
        config: FitConfig,
    },
    /// The selected expiry goes back to the all-expiry setup; an undo step; refits.
    ClearExpirySetup,
    /// Excludes a quote (by instrument) from the fits, or includes it again; an undo step; refits.
    ToggleExclusion(String),
    /// Includes every excluded quote again; an undo step; refits.
    IncludeAllQuotes,
    /// Puts the selected expiry in manual mode from its shown parameters; an undo step.
    EnterManual,
    /// Sets hand-set parameter `index` of the selected expiry (a slider); re-evaluated at once.
    SetManualParam {
        /// Parameter index, in the model's order.
        index: usize,
        /// New value.
        value: f64,
    },
    /// Drags the selected expiry's hand-set curve (the smile plot in manual mode).
    DragManualCurve(CurveDrag),
    /// Leaves manual mode on the selected expiry; an undo step; refits (from the hand-set parameters when
    /// `refit_from_here`).
    LeaveManual {
        /// Start the expiry's fit at the hand-set parameters.
        refit_from_here: bool,
    },
    /// The edit state was changed in place (`VolscopeApp::setup_mut`, by a driver such as a test): hand-set
    /// reports are re-evaluated, the autosave marked, and every expiry refitted when `refit`.
    EditedInPlace {
        /// Request a fit.
        refit: bool,
    },
    /// Undoes the last edit.
    Undo,
    /// Redoes the last undone edit.
    Redo,
    // Fits.
    /// The model panel's Calibrate: the pending edits become an undo step, every expiry is refitted.
    Calibrate,
    /// The menu bar's Refit: every expiry is refitted.
    Refit,
    /// Fits a second model beside the shown one (`None`: no comparison): drawn dashed on the smile, its RMSE
    /// in the expiry list, and in place of a failed fit; refits.
    SetCompare(Option<ModelKind>),
    // View.
    /// Selects the expiry of that slice index (ignored when out of range).
    Select(usize),
    /// The model panel edits the selected expiry's own setup (`true`) or the all-expiry one.
    SetScopeThisExpiry(bool),
    /// Shows a table tab.
    SetTab(Tab),
    /// The smile's x axis.
    SetAxis(XAxis),
    /// Dark or light theme.
    SetTheme(ThemeChoice),
    /// Refit on every model panel edit.
    SetAutoFit(bool),
    /// Opens or closes the Black-76 calculator.
    ShowCalculator(bool),
    /// Opens or closes the warnings window.
    ShowWarnings(bool),
    // Files and background jobs.
    /// Opens a market-data file in the background.
    Open(PathBuf),
    /// Opens the bundled synthetic sample.
    OpenSample,
    /// Restores a session file (its source loads in the background).
    OpenSession(PathBuf),
    /// Saves the session to a file.
    SaveSession(PathBuf),
    /// Writes an export of the shown fits.
    Export(ExportKind, PathBuf),
    /// Exports the smile plot as PNG (from the next screenshot).
    ExportPng(PathBuf),
    /// Cancels the background load.
    CancelLoad,
    /// Shows another underlying of the file.
    ChooseUnderlying(String),
    /// Shows another snapshot time of the file (UTC ms).
    ChooseTime(i64),
}
