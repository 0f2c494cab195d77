//! What the user edited, as one value, with its undo history and the autosave that keeps it on disk.

use crate::gui::jobs::settings::Autosave;
use crate::session::EditState;

/// The edit state (models, constraints, exclusions, hand-set parameters), its undo and redo history, and
/// the autosave marking: an undo step is recorded when the user lets go, the autosave writes what changed.
pub(crate) struct Edits {
    /// What the user edited.
    state: EditState,
    /// The edit state of the last undo step.
    committed: EditState,
    undo: Vec<EditState>,
    redo: Vec<EditState>,
    /// Writes the session in the background when something changed.
    autosave: Autosave,
    /// The selected expiry (UTC ms) as last autosaved: a change of selection is saved too.
    saved_view: Option<i64>,
}

impl Edits {
    /// Empty edits, autosaved by `autosave`.
    pub(super) fn new(autosave: Autosave) -> Self {
        Edits {
            state: EditState::default(),
            committed: EditState::default(),
            undo: Vec::new(),
            redo: Vec::new(),
            autosave,
            saved_view: None,
        }
    }

    /// What the user edited.
    pub(crate) fn state(&self) -> &EditState {
        &self.state
    }

    /// The edit state, to change; the change becomes an undo step at the next [`Edits::record_step`].
    pub(super) fn state_mut(&mut self) -> &mut EditState {
        &mut self.state
    }

    /// Records the current edit state as an undo step when it changed since the last one.
    pub(super) fn record_step(&mut self) {
        if self.state != self.committed {
            self.undo.push(std::mem::replace(&mut self.committed, self.state.clone()));
            self.redo.clear();
            self.autosave.mark_dirty();
        }
    }

    /// Undoes the last step (`redo`: redoes one), the pending edits recorded first; `false` when there was
    /// nothing to undo.
    pub(super) fn undo(&mut self, redo: bool) -> bool {
        self.record_step();
        let (from, to) = if redo { (&mut self.redo, &mut self.undo) } else { (&mut self.undo, &mut self.redo) };
        let Some(previous) = from.pop() else { return false };
        to.push(std::mem::replace(&mut self.state, previous));
        self.committed = self.state.clone();
        true
    }

    /// Starts a new undo history at `state` (a new chain or a restored session).
    pub(super) fn restart(&mut self, state: EditState) {
        self.state = state;
        self.committed = self.state.clone();
        self.undo.clear();
        self.redo.clear();
    }

    /// Something worth autosaving changed.
    pub(super) fn mark_unsaved(&mut self) {
        self.autosave.mark_dirty();
    }

    /// The selected expiry (UTC ms) now; a change from the last one marks the autosave.
    pub(super) fn note_view(&mut self, view: Option<i64>) {
        if view != self.saved_view {
            self.saved_view = view;
            self.autosave.mark_dirty();
        }
    }

    /// The autosave.
    pub(crate) fn autosave(&self) -> &Autosave {
        &self.autosave
    }

    /// The autosave, to hold, release, set aside or write.
    pub(super) fn autosave_mut(&mut self) -> &mut Autosave {
        &mut self.autosave
    }
}
