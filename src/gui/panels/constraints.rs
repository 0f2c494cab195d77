//! The model and constraints panel: per-parameter fitted value, bounds and fixing, weights and auto refit.

use egui::{DragValue, Grid, RichText, Ui};

use crate::calibrate::{FitConfig, Weighting};

/// One parameter row's inputs.
pub struct ParamRow<'a> {
    /// Name.
    pub name: &'a str,
    /// The model's default bounds.
    pub default_bounds: (f64, f64),
    /// The selected expiry's fitted value, if any.
    pub fitted: Option<f64>,
}

/// Draws the panel; returns `true` when the configuration changed (the caller refits when auto is on).
pub fn constraints_ui(ui: &mut Ui, config: &mut FitConfig, rows: &[ParamRow<'_>], scope: &str) -> bool {
    let mut changed = false;
    ui.label(RichText::new(format!("Parameters (bounds apply to {scope})")).strong());
    Grid::new("constraints").num_columns(5).striped(true).spacing([8.0, 3.0]).show(ui, |ui| {
        for h in ["", "Fitted", "Lower", "Upper", "Fixed"] {
            ui.label(RichText::new(h).strong());
        }
        ui.end_row();
        for row in rows {
            changed |= param_row_ui(ui, config, row);
            ui.end_row();
        }
    });
    ui.separator();
    ui.horizontal(|ui| {
        ui.label("Weights");
        for (w, label) in [(Weighting::Spread, "spread"), (Weighting::Vega, "vega"), (Weighting::Equal, "equal")] {
            changed |= ui.selectable_value(&mut config.weights, w, label).changed();
        }
    });
    changed |= ui.checkbox(&mut config.no_arbitrage, "No butterfly arbitrage").changed();
    let edited = !config.bounds.is_empty() || !config.fixed.is_empty();
    if edited && ui.button("Reset bounds and fixed values").clicked() {
        config.bounds.clear();
        config.fixed.clear();
        changed = true;
    }
    changed
}

/// An editable number named `name` for accessibility (e.g. "rho lower"); `true` when it changed.
fn value_ui(ui: &mut Ui, value: &mut f64, speed: f64, name: String) -> bool {
    ui.add(DragValue::new(value).speed(speed).max_decimals(5)).accessible_name(name).changed()
}

/// One parameter: fitted value, editable bounds, fixed checkbox (fixing at the fitted value, or the middle of
/// the bounds), editable fixed value. Accessible names: "<name> lower", "<name> upper", "<name> fixed" (the
/// checkbox) and "<name> fixed value".
fn param_row_ui(ui: &mut Ui, config: &mut FitConfig, row: &ParamRow<'_>) -> bool {
    let mut changed = false;
    let name = row.name;
    ui.label(name);
    ui.label(row.fitted.map(|v| format!("{v:.5}")).unwrap_or_default());
    let (mut lo, mut hi) = config.bounds.get(name).copied().unwrap_or(row.default_bounds);
    let speed = ((hi - lo).abs() / 200.0).max(1e-5);
    let lo_changed = value_ui(ui, &mut lo, speed, format!("{name} lower"));
    let hi_changed = value_ui(ui, &mut hi, speed, format!("{name} upper"));
    if lo_changed || hi_changed {
        config.bounds.insert(name.to_owned(), (lo, hi));
        changed = true;
    }
    ui.horizontal(|ui| {
        let mut fixed = config.fixed.contains_key(name);
        if ui.checkbox(&mut fixed, "").accessible_name(format!("{name} fixed")).changed() {
            if fixed {
                let value = row.fitted.unwrap_or(0.5 * (lo + hi)).clamp(lo.min(hi), hi.max(lo));
                config.fixed.insert(name.to_owned(), value);
            } else {
                config.fixed.remove(name);
            }
            changed = true;
        }
        if let Some(value) = config.fixed.get_mut(name) {
            changed |= value_ui(ui, value, speed, format!("{name} fixed value"));
        }
    });
    changed
}
