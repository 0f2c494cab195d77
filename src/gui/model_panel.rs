//! The right-hand panel: which expiries an edit applies to, the model, per-parameter bounds and fixing,
//! weights, Calibrate and Auto, and manual mode (parameter sliders that move the smile, the residuals and
//! g(k) in the same frame).

use egui::{RichText, Slider, Ui};

use super::app::VolscopeApp;
use super::app_ui::{kind_label, MODEL_CHOICES};
use super::constraints::{constraints_ui, ParamRow};
use super::theme;
use crate::calibrate::FitStatus;

impl VolscopeApp {
    /// Draws the model panel.
    pub(super) fn model_panel_ui(&mut self, ui: &mut Ui) {
        let Some(slice) = self.slice(self.selected) else { return };
        let (expiry_ms, label) = (slice.expiry_ms, crate::market::time::format_date(slice.expiry_ms));
        self.scope_ui(ui, expiry_ms, &label);
        ui.separator();
        let mut changed = self.panel_model_picker(ui);
        changed |= self.constraints_section(ui);
        ui.separator();
        ui.horizontal(|ui| {
            if ui.button("Calibrate").on_hover_text("Fit every expiry with these settings").clicked() {
                self.commit();
                self.request_fit();
            }
            ui.checkbox(&mut self.settings.auto_fit, "Auto").on_hover_text("Refit on every edit");
        });
        if changed {
            self.edited(self.settings.auto_fit);
        }
        ui.separator();
        self.manual_ui(ui);
        ui.separator();
        self.fit_status_ui(ui);
    }

    /// "All expiries" or "this expiry only", and whether this expiry has its own setup.
    fn scope_ui(&mut self, ui: &mut Ui, expiry_ms: i64, label: &str) {
        let own = self.edit.per_expiry.contains_key(&expiry_ms);
        let mut this_expiry = self.scope_this_expiry;
        ui.horizontal(|ui| {
            ui.label("Edit");
            ui.selectable_value(&mut this_expiry, false, "all expiries");
            ui.selectable_value(&mut this_expiry, true, format!("{label} only"));
        });
        self.set_scope_this_expiry(this_expiry);
        if own {
            ui.horizontal(|ui| {
                ui.label(RichText::new(format!("{label} has its own model and bounds")).italics());
                if ui.small_button("use the all-expiry settings").clicked() {
                    self.clear_expiry_setup();
                    self.commit();
                }
            });
        } else if this_expiry {
            ui.label(RichText::new(format!("an edit gives {label} its own settings")).italics());
        }
    }

    /// The model of the edited scope; `true` when it changed.
    fn panel_model_picker(&mut self, ui: &mut Ui) -> bool {
        let current = self.edit_scope_kind();
        let mut kind = current;
        egui::ComboBox::from_id_salt("panel_model").selected_text(kind_label(kind)).show_ui(ui, |ui| {
            for k in MODEL_CHOICES {
                ui.selectable_value(&mut kind, k, kind_label(k));
            }
        });
        if kind == current {
            return false;
        }
        self.setup_mut().kind = kind;
        // Bounds and fixed values are per parameter name; a new model's names differ.
        true
    }

    /// The model the panel edits (without creating a per-expiry setup).
    fn edit_scope_kind(&self) -> crate::models::ModelKind {
        match self.slice(self.selected) {
            Some(s) if self.scope_this_expiry => self.edit.setup_for(s.expiry_ms).kind,
            _ => self.edit.all.kind,
        }
    }

    /// Bounds, fixed values, weights; `true` when something changed.
    fn constraints_section(&mut self, ui: &mut Ui) -> bool {
        let Some(slice) = self.slice(self.selected) else { return false };
        let kind = self.edit_scope_kind();
        let model = kind.for_slice(slice);
        let defaults = model.default_bounds();
        let fitted = self
            .report(self.selected)
            .filter(|r| !r.params.is_empty() && self.report_kind(self.selected) == Some(kind))
            .map(|r| r.params.clone());
        let rows: Vec<ParamRow<'_>> = model
            .param_names()
            .iter()
            .enumerate()
            .map(|(i, name)| ParamRow {
                name,
                default_bounds: defaults[i],
                fitted: fitted.as_ref().and_then(|p| p.get(i).copied()),
            })
            .collect();
        // Edit a copy so that looking at "this expiry" does not create its own setup until something changes.
        let expiry = self.scope_this_expiry.then_some(slice.expiry_ms);
        let mut config = match expiry {
            Some(e) => self.edit.setup_for(e).config.clone(),
            None => self.edit.all.config.clone(),
        };
        let changed = constraints_ui(ui, &mut config, &rows);
        if changed {
            self.setup_mut().config = config;
        }
        changed
    }

    /// Manual mode: sliders per parameter of the selected expiry.
    fn manual_ui(&mut self, ui: &mut Ui) {
        let Some(slice) = self.slice(self.selected) else { return };
        let model = self.edit.setup_for(slice.expiry_ms).kind.for_slice(slice);
        let names = model.param_names();
        let bounds = model.default_bounds();
        let Some(params) = self.manual_params().map(<[f64]>::to_vec) else {
            ui.horizontal(|ui| {
                if ui.button("Manual mode").on_hover_text("Set this expiry's parameters by hand").clicked() {
                    self.enter_manual();
                }
                ui.label(RichText::new("drag the parameters, watch the smile").weak());
            });
            return;
        };
        ui.label(RichText::new("Manual mode: the smile, residuals and g(k) follow the sliders").strong());
        for (i, name) in names.iter().enumerate() {
            let mut value = params[i];
            let (lo, hi) = slider_range(bounds[i], value);
            let slider = Slider::new(&mut value, lo..=hi).text(*name).max_decimals(5).smart_aim(false);
            if ui.add(slider).changed() {
                self.set_manual_param(i, value);
            }
        }
        ui.horizontal(|ui| {
            if ui.button("Fit from here").on_hover_text("Leave manual mode and refit from these values").clicked() {
                self.leave_manual(true);
            }
            if ui.button("Discard").on_hover_text("Leave manual mode; the fit comes back").clicked() {
                self.leave_manual(false);
            }
        });
    }

    /// Status and notes of the selected expiry's report.
    fn fit_status_ui(&self, ui: &mut Ui) {
        let Some(r) = self.report(self.selected) else { return };
        let pal = theme::palette(ui);
        ui.label(format!(
            "{}: {} · RMSE {:.3} vol pts · {:.0}% inside bid/ask · {} quotes",
            r.model,
            r.status.label(),
            r.rmse_vol_pts,
            100.0 * r.inside_spread_share,
            r.n_quotes
        ));
        if let FitStatus::Failed { reason } = &r.status {
            ui.label(RichText::new(reason).color(pal.error));
        }
        if !r.butterfly.ok {
            ui.label(
                RichText::new(format!(
                    "butterfly arbitrage: g = {:.3e} at k = {:.3}",
                    r.butterfly.min_g, r.butterfly.k_at_min_g
                ))
                .color(pal.warning),
            );
        }
        for note in &r.notes {
            ui.small(note);
        }
    }
}

/// A slider's range: the model's bounds where finite, else a span around the value.
fn slider_range((lo, hi): (f64, f64), value: f64) -> (f64, f64) {
    let span = value.abs().max(0.1) * 2.0;
    let lo = if lo.is_finite() { lo.min(value) } else { value - span };
    let hi = if hi.is_finite() { hi.max(value) } else { value + span };
    (lo, hi)
}
