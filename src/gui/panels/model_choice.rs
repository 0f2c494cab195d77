//! The models the GUI offers, in one list: a new `ModelKind` variant needs one line here.

use crate::models::ModelKind;

/// The models offered, in menu order, with their menu labels.
pub(crate) const MODEL_CHOICES: [(ModelKind, &str); 4] = [
    (ModelKind::Svi, "SVI"),
    (ModelKind::SviJw, "SVI-JW"),
    (ModelKind::Sabr { beta: Some(1.0) }, "SABR (beta 1)"),
    (ModelKind::Sabr { beta: None }, "SABR (free beta)"),
];

/// A model's menu label (its name for a model not in [`MODEL_CHOICES`]).
pub(crate) fn kind_label(kind: ModelKind) -> &'static str {
    MODEL_CHOICES.iter().find(|(k, _)| *k == kind).map_or_else(|| kind.name(), |(_, label)| label)
}

/// A combo box of [`MODEL_CHOICES`] showing `kind`; returns the model chosen this frame, if another.
pub(crate) fn model_combo_ui(
    ui: &mut egui::Ui,
    combo: egui::ComboBox,
    kind: ModelKind,
) -> (Option<ModelKind>, egui::Response) {
    let mut chosen = kind;
    let response = combo.selected_text(kind_label(kind)).show_ui(ui, |ui| {
        for (k, label) in MODEL_CHOICES {
            ui.selectable_value(&mut chosen, k, label);
        }
    });
    ((chosen != kind).then_some(chosen), response.response)
}
