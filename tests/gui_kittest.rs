#![cfg(feature = "gui")]
//! The whole window driven through its accessibility tree with egui_kittest (no GPU, no snapshot images) on a
//! real Deribit snapshot: select an expiry, switch the model, bound and fix parameters, exclude a quote, fail a
//! load, and outrun a fit. Widgets are found by their accessible names, never by coordinates; every test has
//! its own app (and fit worker), so the tests run in parallel.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui::accesskit::{Role, Toggled};
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use egui_kittest::Harness;
use volscope::calibrate::{QuoteUse, SliceFitReport};
use volscope::gui::VolscopeApp;
use volscope::market::time::{format_date, format_utc};
use volscope::models::ModelKind;

/// The snapshot every test loads (BTC and ETH; the app shows the first underlying).
const SNAPSHOT: &str = "deribit_btc_eth_20260316T161206Z.csv";
/// How long a fit of the whole chain may take (debug build, two busy cores).
const FIT_DEADLINE: Duration = Duration::from_secs(60);
/// Pause between frames while the fit worker runs.
const POLL: Duration = Duration::from_millis(5);

type App = Harness<'static, VolscopeApp>;

/// Path of the snapshot, or `None` (test skipped) when ../shared is absent.
fn snapshot_path() -> Option<PathBuf> {
    let path = common::shared_dir()?.join("data").join(SNAPSHOT);
    assert!(path.is_file(), "{} is missing", path.display());
    Some(path)
}

/// The app on `path` in a 1600×1000 window, with its first fit applied.
fn open_app(path: &Path) -> App {
    let app = VolscopeApp::new(Some(path), None);
    assert!(app.error().is_none(), "{:?}", app.error());
    let mut harness =
        Harness::builder().with_size([1600.0, 1000.0]).build_ui_state(|ui, app: &mut VolscopeApp| app.show(ui), app);
    wait_for_fit(&mut harness);
    harness
}

/// Steps frames (the app polls the worker in each) until the latest request's fit is applied, then lets the
/// UI settle (which also checks that every input widget has an accessible name).
fn wait_for_fit(harness: &mut App) {
    let deadline = Instant::now() + FIT_DEADLINE;
    loop {
        harness.step();
        let app = harness.state();
        if app.fits().is_some() && !app.fitting() {
            break;
        }
        assert!(Instant::now() < deadline, "no fit within {FIT_DEADLINE:?}");
        std::thread::sleep(POLL);
    }
    harness.run();
}

/// Processes the queued input and a few frames more (popups open, focus moves); never waits for a fit.
fn settle(harness: &mut App) {
    let _ = harness.run_ok();
}

/// The report of the selected expiry.
fn selected_report(harness: &App) -> &SliceFitReport {
    let app = harness.state();
    &app.fits().expect("fitted").reports[app.selected()]
}

/// Index of parameter `name` in a report.
fn param_index(report: &SliceFitReport, name: &str) -> usize {
    report.param_names.iter().position(|n| n == name).unwrap_or_else(|| panic!("no parameter {name}"))
}

/// A live expiry other than the selected one, with the most quotes in its fit: the one the tests select.
fn busiest_other_expiry(harness: &App) -> usize {
    let app = harness.state();
    let snapshot = &app.chain().expect("loaded").snapshot;
    let reports = &app.fits().expect("fitted").reports;
    (0..snapshot.slices.len())
        .filter(|&i| i != app.selected() && snapshot.slices[i].t_years > 0.0 && reports[i].status.is_usable())
        .max_by_key(|&i| reports[i].n_quotes)
        .expect("a second fitted expiry")
}

/// Clicks the expiry list's row of slice `index` (its label is the expiry date).
fn click_expiry(harness: &mut App, index: usize) {
    let label = format_date(harness.state().chain().unwrap().snapshot.slices[index].expiry_ms);
    harness.get_by_role_and_label(Role::Button, &label).click();
    settle(harness);
}

/// Opens the "Model" combo box in the menu bar and picks `name` (`svi`, `svi-jw`, `sabr`); does not wait for
/// the fit.
fn choose_model(harness: &mut App, name: &str) {
    harness.get_by_role_and_label(Role::ComboBox, "Model").click();
    settle(harness);
    harness.get_by_role_and_label(Role::Button, name).click();
    settle(harness);
}

/// Types `text` into the number field with accessible name `name`: a click turns it into a text edit with its
/// text selected, the text replaces it, Enter commits.
fn type_number(harness: &mut App, name: &str, text: &str) {
    harness.get_by_label(name).click();
    settle(harness);
    let field = harness.get_by_label(name);
    assert!(field.is_focused(), "{name} is being edited");
    field.type_text(text);
    harness.key_press(egui::Key::Enter);
    settle(harness);
}

#[test]
fn clicking_an_expiry_in_the_list_selects_it() {
    let Some(path) = snapshot_path() else { return };
    let mut harness = open_app(&path);
    let before = harness.state().selected();
    let target = busiest_other_expiry(&harness);

    click_expiry(&mut harness, target);

    assert_ne!(before, target);
    assert_eq!(harness.state().selected(), target);
    let label = format_date(harness.state().chain().unwrap().snapshot.slices[target].expiry_ms);
    let row = harness.get_by_role_and_label(Role::Button, &label);
    assert_eq!(row.accesskit_node().toggled(), Some(Toggled::True), "the clicked row is shown selected");
    let expected = &harness.state().fits().unwrap().reports[target].expiry;
    assert_eq!(&selected_report(&harness).expiry, expected);
}

#[test]
fn switching_the_model_in_the_menu_refits_with_it() {
    let Some(path) = snapshot_path() else { return };
    let mut harness = open_app(&path);
    assert!(harness.state().fits().unwrap().kinds.iter().all(|k| *k == ModelKind::Svi));

    choose_model(&mut harness, "SABR (beta 1)");
    wait_for_fit(&mut harness);

    let fits = harness.state().fits().unwrap();
    assert!(fits.kinds.iter().all(|k| *k == ModelKind::Sabr { beta: Some(1.0) }), "every expiry");
    assert!(fits.reports.iter().any(|r| r.status.is_usable()), "some SABR fits succeed");
    let report = selected_report(&harness);
    assert!(report.param_names.iter().any(|n| n == "alpha"), "{:?}", report.param_names);
    let combo = harness.get_by_role_and_label(Role::ComboBox, "Model");
    assert_eq!(combo.value().as_deref(), Some("SABR (beta 1)"));
    harness.get_by_label_contains(&format!("sabr: {} ·", report.status.label()));
}

#[test]
fn a_bound_and_a_fixed_value_typed_in_the_model_panel_hold_in_the_fit() {
    let Some(path) = snapshot_path() else { return };
    let mut harness = open_app(&path);
    let target = busiest_other_expiry(&harness);
    click_expiry(&mut harness, target);
    let report = selected_report(&harness);
    let (b, rho) = (param_index(report, "b"), param_index(report, "rho"));
    let upper_text = format!("{:.6}", 0.5 * report.params[b]);
    let upper: f64 = upper_text.parse().unwrap();

    type_number(&mut harness, "b upper", &upper_text);
    assert_eq!(harness.state().edit_state().all.config.bounds.get("b").map(|bounds| bounds.1), Some(upper));
    harness.get_by_label("rho fixed").click();
    settle(&mut harness);
    assert!(harness.state().edit_state().all.config.fixed.contains_key("rho"), "the checkbox fixes rho");
    type_number(&mut harness, "rho fixed value", "-0.3");
    assert_eq!(harness.state().edit_state().all.config.fixed.get("rho"), Some(&-0.3));
    harness.get_by_role_and_label(Role::Button, "Calibrate").click();
    wait_for_fit(&mut harness);

    assert_eq!(harness.state().selected(), target);
    let report = selected_report(&harness);
    assert_eq!(report.params[rho], -0.3, "rho is fixed at the typed value");
    assert!(report.params[b] <= upper + 1e-12, "b = {} within its new upper bound {upper}", report.params[b]);
    assert_eq!(report.status.label(), "at_bound", "{:?}", report.status);
    harness.get_by_label_contains("svi: at_bound ·");
}

#[test]
fn the_exclude_button_in_the_residuals_table_leaves_the_quote_out() {
    let Some(path) = snapshot_path() else { return };
    let mut harness = open_app(&path);
    let before = selected_report(&harness).clone();
    let instrument =
        before.residuals.iter().find(|q| q.used == QuoteUse::Used).expect("a used quote").instrument.clone();

    let (exclude, include) = (format!("exclude {instrument}"), format!("include {instrument}"));
    harness.get_by_label(&exclude).scroll_to_me();
    settle(&mut harness);
    harness.get_by_label(&exclude).click();
    settle(&mut harness);
    assert_eq!(harness.state().excluded(), [instrument.as_str()]);
    wait_for_fit(&mut harness);

    let after = selected_report(&harness);
    assert_eq!(after.expiry, before.expiry);
    assert_eq!(after.n_quotes + 1, before.n_quotes, "one quote fewer in the fit");
    let q = after.residuals.iter().find(|q| q.instrument == instrument).unwrap();
    assert_eq!(q.used, QuoteUse::Excluded("excluded by user".into()));
    harness.get_by_label(&include);
    let message = format!("{instrument} excluded");
    harness.get_by_label_contains(&message);
}

#[test]
fn a_malformed_file_shows_the_error_and_keeps_the_chain() {
    let Some(path) = snapshot_path() else { return };
    let mut harness = open_app(&path);
    let quotes = harness.state().chain().unwrap().snapshot.quote_count();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "expiry;strike;type\n1;2;3\n").unwrap();

    harness.state_mut().open(&bad);
    harness.step();

    assert!(harness.state().error().is_some());
    harness.get_by_label_contains("Load failed");
    assert_eq!(harness.state().chain().unwrap().snapshot.quote_count(), quotes, "the chain is kept");
    let status = format!("of {quotes} quotes");
    harness.get_by_label_contains(&status);
}

#[test]
fn of_two_quick_requests_only_the_last_ones_fit_is_shown() {
    let Some(path) = snapshot_path() else { return };
    let mut harness = open_app(&path);
    let before = selected_report(&harness).clone();
    let instrument =
        before.residuals.iter().find(|q| q.used == QuoteUse::Used).expect("a used quote").instrument.clone();
    let exclude = format!("exclude {instrument}");
    harness.get_by_label(&exclude).scroll_to_me();
    settle(&mut harness);

    // The exclusion's request, and two frames later (no pause) the undo's (ctrl+Z), while the first fit
    // usually still runs.
    harness.get_by_label(&exclude).click();
    harness.step();
    assert_eq!(harness.state().excluded(), [instrument.as_str()]);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.step();
    assert!(harness.state().excluded().is_empty(), "undone");
    let excluded_in_view = |harness: &App| {
        let q = selected_report(harness).residuals.iter().find(|q| q.instrument == instrument).unwrap();
        q.used != QuoteUse::Used
    };
    let stale_already_shown = excluded_in_view(&harness);
    if stale_already_shown {
        eprintln!("note: the first fit came back before the undo; no stale answer was left to discard");
    }
    let deadline = Instant::now() + FIT_DEADLINE;
    while harness.state().fitting() {
        harness.step();
        assert!(stale_already_shown || !excluded_in_view(&harness), "the stale fit (quote excluded) was shown");
        assert!(Instant::now() < deadline, "no fit within {FIT_DEADLINE:?}");
        std::thread::sleep(POLL);
    }
    wait_for_fit(&mut harness);

    let after = selected_report(&harness);
    assert_eq!(after.n_quotes, before.n_quotes, "the last request's fit: nothing excluded");
    assert!(!excluded_in_view(&harness));
    harness.get_by_label(&exclude);
}

#[test]
fn a_bound_for_one_expiry_only_leaves_the_others_and_ctrl_z_undoes_it() {
    let Some(path) = snapshot_path() else { return };
    let mut harness = open_app(&path);
    let target = busiest_other_expiry(&harness);
    click_expiry(&mut harness, target);
    let expiry_ms = harness.state().slice(target).unwrap().expiry_ms;
    let others_before: Vec<Vec<f64>> =
        harness.state().fits().unwrap().reports.iter().map(|r| r.params.clone()).collect();
    let label = format!("{} only", format_date(expiry_ms));
    harness.get_by_role_and_label(Role::Button, &label).click();
    settle(&mut harness);

    let report = selected_report(&harness);
    let b = param_index(report, "b");
    let upper_text = format!("{:.6}", 0.5 * report.params[b]);
    type_number(&mut harness, "b upper", &upper_text);
    wait_for_fit(&mut harness);

    let app = harness.state();
    let own = app.edit_state().per_expiry.get(&expiry_ms).expect("the expiry has its own setup");
    assert!(own.config.bounds.contains_key("b"));
    assert!(app.edit_state().all.config.bounds.is_empty(), "the all-expiry bounds are untouched");
    let reports = &app.fits().unwrap().reports;
    assert!(reports[target].params[b] <= upper_text.parse::<f64>().unwrap() + 1e-12);
    for (i, r) in reports.iter().enumerate().filter(|(i, _)| *i != target) {
        assert_eq!(r.params, others_before[i], "expiry {i} is fitted as before");
    }
    harness.get_by_label_contains("has its own model and bounds");

    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    wait_for_fit(&mut harness);
    assert!(harness.state().edit_state().per_expiry.is_empty(), "ctrl+Z undoes the bound");
    assert_eq!(selected_report(&harness).params, others_before[target]);
}

#[test]
fn manual_mode_moves_the_report_at_once_and_fit_from_here_refits() {
    let Some(path) = snapshot_path() else { return };
    let mut harness = open_app(&path);
    let fitted = selected_report(&harness).clone();
    harness.get_by_role_and_label(Role::Button, "Manual mode").click();
    settle(&mut harness);
    let i = harness.state().selected();
    assert_eq!(harness.state().report(i).unwrap().status.label(), "manual");
    harness.get_by_label_contains(": manual ·");

    // A slider edit (through the app, as a drag would) changes the shown report in the same frame.
    harness.state_mut().set_manual_param(0, fitted.params[0] + 2e-3);
    harness.step();
    let manual = harness.state().report(i).unwrap().clone();
    assert!(manual.rmse_vol_pts > fitted.rmse_vol_pts, "{} vs {}", manual.rmse_vol_pts, fitted.rmse_vol_pts);
    assert_ne!(manual.residuals, fitted.residuals);

    harness.get_by_role_and_label(Role::Button, "Fit from here").click();
    settle(&mut harness);
    wait_for_fit(&mut harness);
    let refit = selected_report(&harness);
    assert_ne!(refit.status.label(), "manual");
    assert!(refit.rmse_vol_pts <= manual.rmse_vol_pts);
    assert!(harness.state().manual_params().is_none());
}

/// Steps frames until the background load is over (60 s deadline).
fn wait_for_load(harness: &mut App) {
    let deadline = Instant::now() + FIT_DEADLINE;
    while harness.state().loading() {
        harness.step();
        assert!(Instant::now() < deadline, "no load within {FIT_DEADLINE:?}");
        std::thread::sleep(POLL);
    }
}

#[test]
fn a_background_load_replaces_the_chain_and_a_time_pick_rebuilds_it() {
    let Some(dir) = common::shared_dir() else { return };
    let mut harness = open_app(&dir.join("data").join(SNAPSHOT));
    let hourly = dir.join("data").join("deribit_btc_iv_hourly_20260123.csv");
    harness.state_mut().open_in_background(&hourly);
    assert!(harness.state().loading());
    wait_for_load(&mut harness);
    wait_for_fit(&mut harness);
    let app = harness.state();
    assert!(app.error().is_none(), "{:?}", app.error());
    let chain = app.chain().unwrap();
    assert_eq!(chain.source(), Some(hourly.canonicalize().unwrap().as_path()), "the source is kept absolute");
    assert!(chain.times.len() >= 3, "the hourly file has several snapshot times");
    let (first, last) = (chain.times[0], chain.snapshot.time_ms);

    let combo = harness.get_by_role_and_label(Role::ComboBox, "Snapshot time");
    combo.click();
    settle(&mut harness);
    harness.get_by_role_and_label(Role::Button, &format_utc(first)).click();
    settle(&mut harness);
    wait_for_fit(&mut harness);
    let app = harness.state();
    assert_eq!(app.chain().unwrap().snapshot.time_ms, first, "rebuilt at the picked time (was {last})");
    assert_eq!(app.fits().unwrap().reports.len(), app.chain().unwrap().snapshot.slices.len());
}

#[test]
fn a_cancelled_or_failed_background_load_keeps_the_chain() {
    let Some(path) = snapshot_path() else { return };
    let mut harness = open_app(&path);
    let before = harness.state().chain().unwrap().snapshot.quote_count();
    harness.state_mut().open_in_background(&path.with_file_name("no-such-file.csv"));
    wait_for_load(&mut harness);
    settle(&mut harness);
    harness.get_by_label_contains("Load failed");
    assert_eq!(harness.state().chain().unwrap().snapshot.quote_count(), before);

    harness.state_mut().open_in_background(&path);
    harness.state_mut().cancel_load();
    settle(&mut harness);
    assert!(!harness.state().loading());
    harness.get_by_label_contains("cancelled");
    assert_eq!(harness.state().chain().unwrap().snapshot.quote_count(), before);
}

#[test]
fn arrow_keys_move_between_expiries() {
    let Some(path) = snapshot_path() else { return };
    let mut harness = open_app(&path);
    let start = harness.state().selected();
    harness.key_press(egui::Key::ArrowDown);
    settle(&mut harness);
    harness.key_press(egui::Key::ArrowDown);
    settle(&mut harness);
    assert_eq!(harness.state().selected(), start + 2);
    harness.key_press(egui::Key::ArrowUp);
    settle(&mut harness);
    assert_eq!(harness.state().selected(), start + 1);
}

#[test]
fn switching_to_eth_refits_and_drops_hand_set_parameters() {
    let Some(path) = snapshot_path() else { return };
    let mut harness = open_app(&path);
    assert_eq!(harness.state().chain().unwrap().snapshot.underlying, "BTC");
    harness.get_by_role_and_label(Role::Button, "Manual mode").click();
    settle(&mut harness);
    assert!(harness.state().manual_params().is_some());

    harness.get_by_role_and_label(Role::ComboBox, "Underlying").click();
    settle(&mut harness);
    harness.get_by_role_and_label(Role::Button, "ETH").click();
    settle(&mut harness);
    wait_for_fit(&mut harness);
    let app = harness.state();
    assert_eq!(app.chain().unwrap().snapshot.underlying, "ETH");
    assert!(app.manual_params().is_none() && app.edit_state().manual.is_empty());
    let report = selected_report(&harness);
    assert!(report.residuals.iter().all(|q| q.instrument.starts_with("ETH-")), "the fits are ETH's");
}

#[test]
fn a_session_restores_in_the_background_with_its_edits() {
    let Some(path) = snapshot_path() else { return };
    let mut harness = open_app(&path);
    let target = busiest_other_expiry(&harness);
    click_expiry(&mut harness, target);
    let instrument =
        selected_report(&harness).residuals.iter().find(|q| q.used == QuoteUse::Used).unwrap().instrument.clone();
    harness.state_mut().toggle_exclusion(&instrument);
    wait_for_fit(&mut harness);
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("s.volscope.json");
    harness.state_mut().save_session(&session);

    let mut other = Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_ui_state(|ui, app: &mut VolscopeApp| app.show(ui), VolscopeApp::new(None, None));
    wait_for_fit(&mut other);
    other.state_mut().restore_session_in_background(&session).unwrap();
    assert!(other.state().loading(), "the session's file loads in the background");
    wait_for_load(&mut other);
    wait_for_fit(&mut other);
    let (a, b) = (harness.state(), other.state());
    assert_eq!(b.chain().unwrap().source(), Some(path.canonicalize().unwrap().as_path()));
    assert_eq!(b.edit_state(), a.edit_state());
    assert_eq!(b.selected(), target);
    assert_eq!(b.fits().unwrap().reports[target].n_quotes, a.fits().unwrap().reports[target].n_quotes);
    other.get_by_label_contains("session restored");
}

#[test]
fn a_comparison_model_is_fitted_beside_the_shown_one() {
    let Some(path) = snapshot_path() else { return };
    let mut harness = open_app(&path);
    assert!(harness.state().compare_fits().is_none());

    harness.get_by_role_and_label(Role::ComboBox, "Compare").click();
    settle(&mut harness);
    harness.get_by_role_and_label(Role::Button, "eSSVI (surface)").click();
    settle(&mut harness);
    wait_for_fit(&mut harness);

    let app = harness.state();
    assert!(app.fits().unwrap().kinds.iter().all(|k| *k == ModelKind::Svi), "the shown model stays");
    let compare = app.compare_fits().expect("the comparison is fitted");
    assert!(compare.kinds.iter().all(|k| *k == ModelKind::Essvi));
    let live = app.chain().unwrap().snapshot.slices.iter().filter(|s| s.t_years > 0.0).count();
    assert_eq!(compare.reports.iter().filter(|r| r.status.is_usable()).count(), live, "eSSVI leaves no hole");
    harness.get_by_label("RMSE essvi");
    let combo = harness.get_by_role_and_label(Role::ComboBox, "Compare");
    assert_eq!(combo.value().as_deref(), Some("eSSVI (surface)"));
}
