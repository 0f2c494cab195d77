//! How the user looks at the chain: the selected expiry, the model panel's scope, the persisted settings
//! (theme, tab, x axis, Auto, recent files), the open windows, the status bar's message.

use crate::gui::jobs::settings::{Settings, SettingsFile};
use crate::gui::plots::XAxis;
use crate::gui::tabs::Tab;
use crate::gui::theme::ThemeChoice;
use crate::models::ModelKind;

/// The view's state; none of it is undoable.
pub(crate) struct ViewState {
    /// Index of the selected expiry.
    selected: usize,
    /// The model panel edits the selected expiry's own setup (else the all-expiry one).
    scope_this_expiry: bool,
    /// Persisted settings (theme, tab, x axis, Auto, recent files).
    settings: Settings,
    /// Where the settings are written when they change.
    settings_file: SettingsFile,
    /// The theme whose visuals egui has (the frame shows a new choice).
    shown_theme: ThemeChoice,
    show_calculator: bool,
    show_warnings: bool,
    /// The model fitted beside the shown one, for comparison.
    compare: Option<ModelKind>,
    /// Where the smile plot was drawn last frame (what "Export plot PNG" captures).
    plot_rect: Option<egui::Rect>,
    /// Outcome of the last action, for the status bar.
    message: Option<String>,
}

impl ViewState {
    /// The view at start: `settings` as read from `settings_file`, their theme already shown.
    pub(super) fn new(settings: Settings, settings_file: SettingsFile) -> Self {
        ViewState {
            selected: 0,
            scope_this_expiry: false,
            shown_theme: settings.theme,
            settings,
            settings_file,
            show_calculator: false,
            show_warnings: false,
            compare: None,
            plot_rect: None,
            message: None,
        }
    }

    /// Index of the selected expiry.
    pub(crate) fn selected(&self) -> usize {
        self.selected
    }

    /// Selects slice `i` (the caller checks the range).
    pub(super) fn select(&mut self, i: usize) {
        self.selected = i;
    }

    /// `true` when the model panel edits the selected expiry's own setup.
    pub(crate) fn scope_this_expiry(&self) -> bool {
        self.scope_this_expiry
    }

    /// The persisted settings.
    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The settings, to change (written by [`ViewState::save_settings`] when they changed).
    pub(super) fn settings_mut(&mut self) -> &mut Settings {
        &mut self.settings
    }

    /// The table tab shown.
    pub(crate) fn tab(&self) -> Tab {
        self.settings.tab
    }

    /// The smile's x axis.
    pub(crate) fn axis(&self) -> XAxis {
        self.settings.axis
    }

    /// `true` while the calculator window is open.
    pub(crate) fn show_calculator(&self) -> bool {
        self.show_calculator
    }

    /// `true` while the warnings window is open.
    pub(crate) fn show_warnings(&self) -> bool {
        self.show_warnings
    }

    /// The model fitted beside the shown one, if any.
    pub(crate) fn compare(&self) -> Option<ModelKind> {
        self.compare
    }

    /// Where the smile plot was drawn last frame.
    pub(crate) fn plot_rect(&self) -> Option<egui::Rect> {
        self.plot_rect
    }

    /// Records where the smile plot was drawn this frame.
    pub(super) fn set_plot_rect(&mut self, rect: Option<egui::Rect>) {
        self.plot_rect = rect;
    }

    /// The status bar's message, if any.
    pub(crate) fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// Shows `message` in the status bar.
    pub(super) fn say(&mut self, message: String) {
        self.message = Some(message);
    }

    /// Why the settings file could not be written, if it could not.
    pub(crate) fn settings_error(&self) -> Option<&String> {
        self.settings_file.last_error.as_ref()
    }

    /// Applies a view-only action; `false` when `action` is not one.
    pub(super) fn set(&mut self, action: &crate::gui::action::Action) -> bool {
        use crate::gui::action::Action;
        match action {
            Action::SetScopeThisExpiry(this_expiry) => self.scope_this_expiry = *this_expiry,
            Action::SetTab(tab) => self.settings.tab = *tab,
            Action::SetAxis(axis) => self.settings.axis = *axis,
            Action::SetTheme(choice) => self.settings.theme = *choice,
            Action::SetAutoFit(on) => self.settings.auto_fit = *on,
            Action::ShowCalculator(show) => self.show_calculator = *show,
            Action::ShowWarnings(show) => self.show_warnings = *show,
            Action::SetCompare(kind) => self.compare = *kind,
            _ => return false,
        }
        true
    }

    /// The theme to show when it changed since egui last got its visuals.
    pub(super) fn theme_to_show(&mut self) -> Option<ThemeChoice> {
        let changed = self.shown_theme != self.settings.theme;
        self.shown_theme = self.settings.theme;
        changed.then_some(self.shown_theme)
    }

    /// Writes the settings file if the settings changed.
    pub(super) fn save_settings(&mut self) {
        self.settings_file.save_if_changed(&self.settings);
    }
}
