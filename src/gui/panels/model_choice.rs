//! The models the GUI offers: the core's one list (`ModelKind::ALL`, with `ModelKind::label`).

use crate::models::ModelKind;

/// The models offered, in menu order: every model a user can pick ([`ModelKind::ALL`]).
pub(crate) const MODEL_CHOICES: [ModelKind; ModelKind::ALL.len()] = ModelKind::ALL;

/// A model's menu label.
pub(crate) fn kind_label(kind: ModelKind) -> &'static str {
    kind.label()
}

/// A combo box of [`MODEL_CHOICES`] showing `kind`; returns the model chosen this frame, if another.
pub(crate) fn model_combo_ui(
    ui: &mut egui::Ui,
    combo: egui::ComboBox,
    kind: ModelKind,
) -> (Option<ModelKind>, egui::Response) {
    let mut chosen = kind;
    let response = combo.selected_text(kind_label(kind)).show_ui(ui, |ui| {
        for k in MODEL_CHOICES {
            ui.selectable_value(&mut chosen, k, k.label());
        }
    });
    ((chosen != kind).then_some(chosen), response.response)
}
