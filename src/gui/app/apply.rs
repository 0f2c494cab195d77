//! [`VolscopeApp::apply`]: the one place where the user's actions change the state, record undo steps,
//! re-evaluate hand-set parameters, mark the autosave and request fits.

use super::{Action, VolscopeApp};
use crate::calibrate::evaluate_slice;

/// What follows an action ([`VolscopeApp::follow_up`]).
#[derive(Default)]
pub(super) struct FollowUp {
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
    pub(super) fn edit(fit: Refit) -> Self {
        FollowUp { step: false, reevaluate: Reevaluate::All, save: true, fit }
    }

    /// [`FollowUp::edit`], recorded as an undo step at once.
    pub(super) fn step(fit: Refit) -> Self {
        FollowUp { step: true, ..FollowUp::edit(fit) }
    }

    /// After a chain was installed: the autosave marked, every expiry fitted.
    pub(super) fn new_chain() -> Self {
        FollowUp { save: true, fit: Refit::All, ..FollowUp::default() }
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
pub(super) enum Refit {
    #[default]
    None,
    /// Every expiry.
    All,
    /// Every expiry, when Auto is on.
    IfAuto,
    /// Every expiry, slice `.0` starting at `.1`.
    From(usize, Vec<f64>),
}

impl VolscopeApp {
    /// Does what the user asked (see [`Action`]): the one place that changes the state on the user's behalf,
    /// records undo steps, marks the autosave and requests fits.
    pub(crate) fn apply(&mut self, action: Action) {
        let follow_up = self.perform(action);
        self.follow_up(follow_up);
    }

    /// The user let go (no pointer down, no field being typed in): the edits since the last undo step become
    /// one, so a slider drag is one step.
    pub(crate) fn let_go(&mut self) {
        self.follow_up(FollowUp { step: true, ..FollowUp::default() });
    }

    /// What every action shares, in one place: the undo step, hand-set re-evaluation, autosave, fit.
    pub(super) fn follow_up(&mut self, f: FollowUp) {
        if f.step {
            self.edits.record_step();
        }
        match f.reevaluate {
            Reevaluate::None => {}
            Reevaluate::Selected => self.evaluate_hand_set(self.selected()),
            Reevaluate::All => self.evaluate_every_hand_set(),
        }
        if f.save {
            self.edits.mark_unsaved();
        }
        match f.fit {
            Refit::None => {}
            Refit::IfAuto if !self.view.settings().auto_fit => {}
            Refit::All | Refit::IfAuto => self.request_fit(None),
            Refit::From(i, params) => self.request_fit(Some((i, params))),
        }
    }

    /// Changes the state for `action`; what must follow is returned.
    fn perform(&mut self, action: Action) -> FollowUp {
        match action {
            Action::SetAllModel(kind) if kind != self.edits.state().all.kind => {
                self.edits.state_mut().all.kind = kind;
                FollowUp::step(Refit::All)
            }
            Action::SetModel { expiry, kind } => {
                // Bounds and fixed values are per parameter name; a new model's names differ.
                self.edits.state_mut().setup_mut(expiry).kind = kind;
                FollowUp::edit(Refit::IfAuto)
            }
            Action::SetConfig { expiry, config } => {
                self.edits.state_mut().setup_mut(expiry).config = config;
                FollowUp::edit(Refit::IfAuto)
            }
            Action::ClearExpirySetup => self.clear_expiry_setup(),
            Action::ToggleExclusion(instrument) => self.flip_exclusion(&instrument),
            Action::IncludeAllQuotes => {
                self.edits.state_mut().excluded.clear();
                FollowUp::step(Refit::All)
            }
            Action::EnterManual => self.enter_manual(),
            Action::SetManualParam { index, value } => self.set_hand_param(index, value),
            Action::DragManualCurve(drag) => self.drag_hand_set_curve(drag),
            Action::LeaveManual { refit_from_here } => self.leave_manual(refit_from_here),
            Action::EditedInPlace { refit } => FollowUp::edit(if refit { Refit::All } else { Refit::None }),
            Action::Undo => self.undo(false),
            Action::Redo => self.undo(true),
            Action::Calibrate => FollowUp { step: true, fit: Refit::All, ..FollowUp::default() },
            Action::Refit => FollowUp { fit: Refit::All, ..FollowUp::default() },
            Action::SetCompare(_) => {
                self.view.set(&action);
                FollowUp { fit: Refit::All, ..FollowUp::default() }
            }
            Action::Select(i) => {
                if self.slice(i).is_some() {
                    self.view.select(i);
                }
                FollowUp::default()
            }
            other if self.view.set(&other) => FollowUp::default(),
            other => self.perform_file_action(other),
        }
    }

    /// Fits every slice of the loaded chain on the worker thread (the current fits stay until it answers),
    /// starting the solver of slice `warm.0` at `warm.1`. A surface model starts from its last fit (each
    /// expiry's shown smile, when it was fitted by the same surface model).
    fn request_fit(&mut self, warm: Option<(usize, Vec<f64>)>) {
        if let Some(chain) = self.data.chain() {
            let state = self.edits.state();
            let plans = state.plans(&chain.snapshot, |i, slice| {
                if let Some(w) = warm.as_ref().filter(|w| w.0 == i) {
                    return Some(w.1.clone());
                }
                let kind = state.setup_for(slice.expiry_ms).kind;
                kind.surface()?;
                let report = self.report(i).filter(|r| r.status.is_usable() && self.report_kind(i) == Some(kind))?;
                Some(report.params.clone())
            });
            let compare = self.view.compare().map(|kind| {
                // The same configuration and exclusions, every expiry with the comparison model.
                let mut other = state.clone();
                other.all.kind = kind;
                other.per_expiry.clear();
                other.manual.clear();
                other.plans(&chain.snapshot, |_, _| None)
            });
            self.fits.request(&chain.snapshot, plans, compare);
        }
    }

    /// The selected expiry goes back to the all-expiry setup.
    fn clear_expiry_setup(&mut self) -> FollowUp {
        let expiry = self.slice(self.selected()).map(|s| s.expiry_ms);
        match expiry.and_then(|e| self.edits.state_mut().per_expiry.remove(&e)) {
            Some(_) => FollowUp::step(Refit::All),
            None => FollowUp { step: true, ..FollowUp::default() },
        }
    }

    /// Undoes the last edit (`redo`: redoes one): models, constraints, exclusions and hand-set parameters.
    fn undo(&mut self, redo: bool) -> FollowUp {
        if !self.edits.undo(redo) {
            return FollowUp::default();
        }
        self.view.say(if redo { "redone" } else { "undone (ctrl+Y redoes)" }.to_owned());
        FollowUp::edit(Refit::All)
    }

    /// Excludes a quote from the fits, or includes it again.
    fn flip_exclusion(&mut self, instrument: &str) -> FollowUp {
        let now_excluded = self.edits.state_mut().toggle_exclusion(instrument);
        self.view.say(if now_excluded {
            format!("{instrument} excluded (ctrl+Z undoes)")
        } else {
            format!("{instrument} included again")
        });
        FollowUp::step(Refit::All)
    }

    /// Puts the selected expiry in manual mode, starting from its shown parameters (a message says why not
    /// when it has none).
    fn enter_manual(&mut self) -> FollowUp {
        let i = self.selected();
        let Some(e) = self.slice(i).map(|s| s.expiry_ms) else { return FollowUp::default() };
        let kind = self.edits.state().setup_for(e).kind;
        let params = self
            .report(i)
            .filter(|r| !r.params.is_empty() && self.report_kind(i) == Some(kind))
            .map(|r| r.params.clone());
        match params {
            Some(p) => {
                self.edits.state_mut().manual.insert(e, p);
                FollowUp::step(Refit::None)
            }
            None => {
                self.view.say("manual mode needs parameters to start from: fit this expiry first".into());
                FollowUp::default()
            }
        }
    }

    /// Sets hand-set parameter `index` of the selected expiry; its report is re-evaluated at once.
    fn set_hand_param(&mut self, index: usize, value: f64) -> FollowUp {
        let Some(e) = self.slice(self.selected()).map(|s| s.expiry_ms) else { return FollowUp::default() };
        match self.edits.state_mut().manual.get_mut(&e).and_then(|p| p.get_mut(index)) {
            Some(p) => {
                *p = value;
                FollowUp::hand_set()
            }
            None => FollowUp::default(),
        }
    }

    /// Drags the selected expiry's hand-set smile: through vol `drag.vol` (decimal) at `drag.k`, or, when
    /// `drag.dk` is given, along k by `dk`. A move the model cannot make (outside its domain) is ignored.
    fn drag_hand_set_curve(&mut self, drag: crate::gui::plots::CurveDrag) -> FollowUp {
        let (Some(slice), Some(params)) = (self.slice(self.selected()), self.manual_params()) else {
            return FollowUp::default();
        };
        let kind = self.edits.state().setup_for(slice.expiry_ms).kind;
        let inputs = crate::models::SliceInputs { t_years: slice.t_years, forward: slice.forward };
        let Ok(smile) = crate::models::FittedSmile::new(kind, inputs, params.to_vec()) else {
            return FollowUp::default();
        };
        let moved = match drag.dk {
            Some(dk) => smile.shifted(dk),
            None => smile.dragged_to(drag.k, drag.vol),
        };
        let Some(moved) = moved.map(|m| m.params().to_vec()) else { return FollowUp::default() };
        let e = slice.expiry_ms;
        self.edits.state_mut().manual.insert(e, moved);
        FollowUp::hand_set()
    }

    /// Leaves manual mode on the selected expiry; `refit_from_here` starts its fit at the hand-set parameters.
    fn leave_manual(&mut self, refit_from_here: bool) -> FollowUp {
        let i = self.selected();
        let Some(e) = self.slice(i).map(|s| s.expiry_ms) else { return FollowUp::default() };
        let Some(params) = self.edits.state_mut().manual.remove(&e) else { return FollowUp::default() };
        let fit = if refit_from_here { Refit::From(i, params) } else { Refit::All };
        FollowUp { step: true, reevaluate: Reevaluate::Selected, save: true, fit }
    }

    /// Re-evaluates every hand-set expiry (after an undo, a constraint edit or a restore).
    fn evaluate_every_hand_set(&mut self) {
        self.fits.clear_manual();
        let Some(chain) = self.data.chain() else { return };
        let manual = &self.edits.state().manual;
        let indices: Vec<usize> = (0..chain.snapshot.slices.len())
            .filter(|&i| manual.contains_key(&chain.snapshot.slices[i].expiry_ms))
            .collect();
        for i in indices {
            self.evaluate_hand_set(i);
        }
    }

    /// Evaluates slice `i`'s hand-set parameters (or shows the worker's fit again when it has none).
    fn evaluate_hand_set(&mut self, i: usize) {
        let Some(slice) = self.data.slice(i) else { return };
        let edit = self.edits.state();
        let evaluated = edit.manual.get(&slice.expiry_ms).map(|params| {
            let kind = edit.setup_for(slice.expiry_ms).kind;
            let model = kind.for_slice(slice);
            (kind, evaluate_slice(model.as_ref(), slice, &edit.config_for(slice.expiry_ms), params))
        });
        self.fits.set_manual(i, evaluated);
    }
}
