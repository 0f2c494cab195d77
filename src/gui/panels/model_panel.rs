//! The right-hand panel: which expiries an edit applies to, the model, per-parameter bounds and fixing,
//! weights, Calibrate and Auto, and manual mode (parameter sliders that move the smile, the residuals and
//! g(k) in the same frame).

use egui::{RichText, Slider, Ui};

use super::constraints::{constraints_ui, ParamRow};
use super::model_choice::model_combo_ui;
use crate::calibrate::{FitConfig, FitStatus, Loss, Objective, QuoteSelection, Solver};
use crate::gui::action::Action;
use crate::gui::app::VolscopeApp;
use crate::gui::theme;

/// Draws the model panel; what the user did goes to `out`.
pub(super) fn model_panel_ui(ui: &mut Ui, app: &VolscopeApp, out: &mut Vec<Action>) {
    let Some(slice) = app.slice(app.selected()) else { return };
    let (expiry_ms, label) = (slice.expiry_ms, crate::market::time::format_date(slice.expiry_ms));
    scope_ui(ui, app, expiry_ms, &label, out);
    ui.separator();
    panel_model_picker_ui(ui, app, out);
    constraints_section_ui(ui, app, out);
    filters_section_ui(ui, app, out);
    ui.separator();
    ui.horizontal(|ui| {
        if ui.button("Calibrate").on_hover_text("Fit every expiry with these settings").clicked() {
            out.push(Action::Calibrate);
        }
        let mut auto_fit = app.view().settings().auto_fit;
        if ui.checkbox(&mut auto_fit, "Auto").on_hover_text("Refit on every edit").changed() {
            out.push(Action::SetAutoFit(auto_fit));
        }
    });
    ui.separator();
    manual_ui(ui, app, out);
    ui.separator();
    fit_status_ui(ui, app);
}

/// "All expiries" or "this expiry only", and whether this expiry has its own setup.
fn scope_ui(ui: &mut Ui, app: &VolscopeApp, expiry_ms: i64, label: &str, out: &mut Vec<Action>) {
    let own = app.edit_state().per_expiry.contains_key(&expiry_ms);
    let mut this_expiry = app.view().scope_this_expiry();
    let surface = app.edit_state().all.kind.surface().is_some() && !this_expiry;
    ui.horizontal(|ui| {
        ui.label("Edit");
        ui.selectable_value(&mut this_expiry, false, "all expiries");
        ui.add_enabled_ui(!surface, |ui| {
            ui.selectable_value(&mut this_expiry, true, format!("{label} only")).on_disabled_hover_text(format!(
                "{} is one surface over every expiry: its expiries are fitted together, not one by one",
                app.edit_state().all.kind.label()
            ));
        });
    });
    if this_expiry != app.view().scope_this_expiry() {
        out.push(Action::SetScopeThisExpiry(this_expiry));
    }
    if own {
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("{label} has its own model and bounds")).italics());
            if ui.small_button("use the all-expiry settings").clicked() {
                out.push(Action::ClearExpirySetup);
            }
        });
    } else if this_expiry {
        ui.label(RichText::new(format!("an edit gives {label} its own settings")).italics());
    }
}

/// The model of the edited scope.
fn panel_model_picker_ui(ui: &mut Ui, app: &VolscopeApp, out: &mut Vec<Action>) {
    let current = edit_scope_kind(app);
    ui.horizontal(|ui| {
        ui.label("Model");
        let (chosen, response) = model_combo_ui(ui, egui::ComboBox::from_id_salt("panel_model"), current);
        response.accessible_name("Model of the edited expiries");
        if let Some(kind) = chosen {
            out.push(Action::SetModel { expiry: app.scope_expiry(), kind });
        }
    });
}

/// The model the panel edits (without creating a per-expiry setup).
fn edit_scope_kind(app: &VolscopeApp) -> crate::models::ModelKind {
    match app.scope_expiry() {
        Some(e) => app.edit_state().setup_for(e).kind,
        None => app.edit_state().all.kind,
    }
}

/// The configuration the panel edits (a copy: looking at "this expiry" does not create its own setup
/// until something changes).
fn edit_scope_config(app: &VolscopeApp) -> FitConfig {
    match app.scope_expiry() {
        Some(e) => app.edit_state().setup_for(e).config.clone(),
        None => app.edit_state().all.config.clone(),
    }
}

/// Bounds, fixed values, weights.
fn constraints_section_ui(ui: &mut Ui, app: &VolscopeApp, out: &mut Vec<Action>) {
    let Some(slice) = app.slice(app.selected()) else { return };
    let kind = edit_scope_kind(app);
    if let Some(surface) = kind.surface() {
        ui.label(
            RichText::new(format!(
                "{} fits every expiry as one arbitrage-free surface; the rows are this expiry's {} slice. \
                 Bounds and fixed values do not apply to it yet.",
                kind.label(),
                surface.slice_kind().label()
            ))
            .small(),
        );
        surface_readout_ui(ui, app);
    }
    let model = kind.for_slice(slice);
    let defaults = model.default_bounds();
    let fitted = app
        .report(app.selected())
        .filter(|r| !r.params.is_empty() && app.report_kind(app.selected()) == Some(kind))
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
    let expiry = app.scope_expiry();
    let mut config = edit_scope_config(app);
    let scope = match expiry {
        Some(e) => format!("{} only", crate::market::time::format_date(e)),
        None => "every expiry".to_owned(),
    };
    if constraints_ui(ui, &mut config, &rows, &scope) {
        out.push(Action::SetConfig { expiry, config });
    }
}

/// The selected expiry's surface slice as θ, ρ, ψ and as a trader reads it (ATM vol, skew, curvature).
fn surface_readout_ui(ui: &mut Ui, app: &VolscopeApp) {
    let Some(r) = app.report(app.selected()).filter(|r| r.status.is_usable()) else { return };
    let Some(s) = crate::models::EssviSlice::from_raw_svi(&r.params) else { return };
    let (sigma, skew, curvature) = s.atm_readout(r.t_years);
    ui.label(
        RichText::new(format!("θ {:.5}   ρ {:+.3}   ψ {:.4}   ({})", s.theta, s.rho, s.psi, r.status.label()))
            .monospace(),
    )
    .on_hover_text("θ: ATM total variance; ρ: skew; ψ = θφ: ATM curvature scale (twice the mean wing slope of w)");
    ui.label(
        RichText::new(format!(
            "ATM {:.2} %   skew {:+.2} vol pts per 0.1 k   curvature {:.1} vol pts per 0.1 k²",
            100.0 * sigma,
            10.0 * skew,
            curvature
        ))
        .small(),
    )
    .on_hover_text("σ(0), dσ/dk × 0.1 and d²σ/dk² × 0.01 at the money, in vol points");
}

/// Quote filters, objective, loss and solver of the edited scope (collapsed by default).
fn filters_section_ui(ui: &mut Ui, app: &VolscopeApp, out: &mut Vec<Action>) {
    if app.slice(app.selected()).is_none() {
        return;
    }
    let mut config = edit_scope_config(app);
    let before = config.clone();
    egui::CollapsingHeader::new("Quote filters, loss and solver").id_salt("filters").show(ui, |ui| {
        filters_ui(ui, &mut config);
    });
    if config != before {
        out.push(Action::SetConfig { expiry: app.scope_expiry(), config });
    }
}

/// Manual mode: sliders per parameter of the selected expiry.
fn manual_ui(ui: &mut Ui, app: &VolscopeApp, out: &mut Vec<Action>) {
    let Some(slice) = app.slice(app.selected()) else { return };
    let model = app.edit_state().setup_for(slice.expiry_ms).kind.for_slice(slice);
    let names = model.param_names();
    let bounds = model.default_bounds();
    let ranges_id = egui::Id::unique(("manual_ranges", slice.expiry_ms));
    let Some(params) = app.manual_params() else {
        ui.horizontal(|ui| {
            if ui.button("Manual mode").on_hover_text("Set this expiry's parameters by hand").clicked() {
                // Slider ranges are set from the values manual mode starts at.
                ui.data_mut(|d| d.remove::<Vec<(f64, f64)>>(ranges_id));
                out.push(Action::EnterManual);
            }
            ui.label(RichText::new("drag the parameters, watch the smile").weak());
        });
        return;
    };
    if params.len() != names.len() {
        ui.label(format!("hand-set parameters: {} values for {} parameters", params.len(), names.len()));
        if ui.button("Discard").clicked() {
            out.push(Action::LeaveManual { refit_from_here: false });
        }
        return;
    }
    ui.label(RichText::new("Manual mode: the smile, residuals and g(k) follow the sliders").strong());
    let ranges: Vec<(f64, f64)> = ui.data_mut(|d| {
        d.get_temp_mut_or_insert_with(ranges_id, || {
            params.iter().zip(&bounds).map(|(v, b)| slider_range(*b, *v)).collect::<Vec<_>>()
        })
        .clone()
    });
    ui.spacing_mut().slider_width = 170.0;
    for (i, name) in names.iter().enumerate() {
        let mut value = params[i];
        let (lo, hi) = ranges.get(i).copied().unwrap_or_else(|| slider_range(bounds[i], value));
        let (lo, hi) = (lo.min(value), hi.max(value));
        let slider = Slider::new(&mut value, lo..=hi).text(*name).max_decimals(5).smart_aim(false);
        if ui.add(slider).changed() {
            out.push(Action::SetManualParam { index: i, value });
        }
    }
    ui.horizontal(|ui| {
        if ui.button("Fit from here").on_hover_text("Leave manual mode and refit from these values").clicked() {
            out.push(Action::LeaveManual { refit_from_here: true });
        }
        if ui.button("Discard").on_hover_text("Leave manual mode; the fit comes back").clicked() {
            out.push(Action::LeaveManual { refit_from_here: false });
        }
    });
}

/// Status and notes of the selected expiry's report.
fn fit_status_ui(ui: &mut Ui, app: &VolscopeApp) {
    let Some(r) = app.report(app.selected()) else { return };
    let pal = theme::palette(ui);
    if r.rmse_vol_pts.is_finite() {
        ui.label(format!(
            "{}: {} · RMSE {:.3} vol pts · {:.0}% inside bid/ask · {} quotes",
            r.model,
            r.status.label(),
            r.rmse_vol_pts,
            100.0 * r.inside_spread_share,
            r.n_quotes
        ));
    } else {
        ui.label(format!("{}: {} · {} quotes", r.model, r.status.label(), r.n_quotes));
    }
    if let FitStatus::Failed { reason } = &r.status {
        ui.label(RichText::new(reason).color(pal.error));
    }
    if r.status.is_usable() && !r.butterfly.ok {
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

/// The filter, loss and solver widgets.
fn filters_ui(ui: &mut Ui, config: &mut FitConfig) {
    egui::Grid::new("filters_grid").num_columns(2).spacing([8.0, 4.0]).show(ui, |ui| {
        ui.label("Quotes");
        ui.horizontal(|ui| {
            ui.selectable_value(&mut config.selection, QuoteSelection::OtmOnly, "out of the money");
            ui.selectable_value(&mut config.selection, QuoteSelection::TwoSidedAll, "all");
        });
        ui.end_row();
        optional_range_ui(ui, "k range", &mut config.k_range, (-0.5, 0.5), 0.01);
        optional_range_ui(ui, "|delta| range", &mut config.abs_delta_range, (0.05, 0.95), 0.01);
        ui.label("Max spread");
        ui.horizontal(|ui| {
            let mut on = config.max_spread_multiple.is_some();
            ui.checkbox(&mut on, "");
            let mut value = config.max_spread_multiple.unwrap_or(5.0);
            ui.add_enabled(on, egui::DragValue::new(&mut value).speed(0.1).range(1.0..=100.0).suffix(" × median"));
            config.max_spread_multiple = on.then_some(value);
        });
        ui.end_row();
        ui.label("Objective");
        ui.horizontal(|ui| {
            ui.selectable_value(&mut config.objective, Objective::Vol, "vol");
            ui.selectable_value(&mut config.objective, Objective::Price, "price");
        });
        ui.end_row();
        ui.label("Loss");
        ui.horizontal(|ui| {
            for (loss, label) in
                [(Loss::Auto, "auto"), (Loss::Linear, "squares"), (Loss::Huber, "Huber"), (Loss::SoftL1, "soft-L1")]
            {
                ui.selectable_value(&mut config.loss, loss, label);
            }
        });
        ui.end_row();
        ui.label("Loss scale");
        ui.add(egui::DragValue::new(&mut config.loss_scale).speed(0.01).range(0.01..=10.0).suffix(" spreads"));
        ui.end_row();
        ui.label("Solver");
        ui.horizontal(|ui| {
            ui.selectable_value(&mut config.solver, Solver::Lm, "Levenberg-Marquardt");
            ui.selectable_value(&mut config.solver, Solver::Lbfgs, "L-BFGS");
        });
        ui.end_row();
        ui.label("Max iterations");
        ui.add(egui::DragValue::new(&mut config.max_iterations).speed(5.0).range(10..=100_000));
        ui.end_row();
    });
}

/// An optional [lo, hi] filter: a checkbox and two numbers.
fn optional_range_ui(ui: &mut Ui, label: &str, range: &mut Option<(f64, f64)>, default: (f64, f64), speed: f64) {
    ui.label(label);
    ui.horizontal(|ui| {
        let mut on = range.is_some();
        ui.checkbox(&mut on, "");
        let (mut lo, mut hi) = range.unwrap_or(default);
        ui.add_enabled(on, egui::DragValue::new(&mut lo).speed(speed).max_decimals(3));
        ui.add_enabled(on, egui::DragValue::new(&mut hi).speed(speed).max_decimals(3));
        *range = on.then_some((lo, hi));
    });
    ui.end_row();
}

/// A slider's range, fixed when manual mode starts: the value ± its own size (± 1e-3 of the bound width when
/// the value is near zero), within the model's bounds. Parameters such as SVI's a and b scale with T, so a
/// range relative to the value keeps a short expiry's slider as fine as a long one's; the number box beside
/// the slider takes any value.
fn slider_range((lo, hi): (f64, f64), value: f64) -> (f64, f64) {
    let width = if lo.is_finite() && hi.is_finite() { hi - lo } else { 1.0 };
    let span = value.abs().max(1e-3 * width).max(1e-9);
    let (from, to) = (value - span, value + span);
    let from = if lo.is_finite() { from.max(lo) } else { from };
    let to = if hi.is_finite() { to.min(hi) } else { to };
    (from.min(value), to.max(value))
}
