//! Tests of the app state driven without a window.

use super::*;
use crate::calibrate::{FitConfig, QuoteUse};
use crate::gui::plots::CurveDrag;
use crate::models::ModelKind;
use crate::session::Session;

/// The configuration the model panel edits, changed by `change` (what editing it in the panel does).
fn set_config(app: &mut VolscopeApp, change: impl FnOnce(&mut FitConfig)) {
    let expiry = app.scope_expiry();
    let mut config = match expiry {
        Some(e) => app.edit_state().setup_for(e).config.clone(),
        None => app.edit_state().all.config.clone(),
    };
    change(&mut config);
    app.apply(Action::SetConfig { expiry, config });
}

/// The model panel's model, set to `kind`.
fn set_model(app: &mut VolscopeApp, kind: ModelKind) {
    app.apply(Action::SetModel { expiry: app.scope_expiry(), kind });
}

/// Polls the app until the latest fit has been applied.
fn wait_for_fit(app: &mut VolscopeApp) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while app.fitting() {
        app.poll_fits();
        assert!(std::time::Instant::now() < deadline, "no fit within 60 s");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[test]
fn the_sample_opens_fitted_and_an_exclusion_refits_and_undoes() {
    let mut app = VolscopeApp::new(None, None);
    assert!(app.chain().is_some() && app.error().is_none());
    wait_for_fit(&mut app);
    let fits = app.fits().expect("the sample is fitted on open");
    assert_eq!(fits.reports.len(), 10);
    assert!(fits.reports.iter().all(|r| r.status.is_usable()));
    let instrument = "BTC-27MAR26-70000-P";
    let before = fits.reports[3].clone();
    assert!(before.residuals.iter().any(|q| q.instrument == instrument && q.used == QuoteUse::Used));

    app.apply(Action::ToggleExclusion(instrument.into()));
    assert_eq!(app.excluded(), [instrument]);
    wait_for_fit(&mut app);
    let after = &app.fits().unwrap().reports[3];
    let q = after.residuals.iter().find(|q| q.instrument == instrument).unwrap();
    assert_eq!(q.used, QuoteUse::Excluded("excluded by user".into()));
    assert_eq!(after.n_quotes + 1, before.n_quotes, "the fit report changed accordingly");

    app.apply(Action::Undo);
    assert!(app.excluded().is_empty());
    app.apply(Action::Redo);
    assert_eq!(app.excluded(), [instrument]);
}

#[test]
fn a_bound_and_a_fixed_parameter_change_the_fit() {
    let mut app = VolscopeApp::new(None, None);
    wait_for_fit(&mut app);
    let b_before = app.fits().unwrap().reports[5].params[1];
    set_config(&mut app, |c| {
        c.fixed.insert("rho".into(), -0.3);
        c.bounds.insert("b".into(), (0.0, 0.5 * b_before));
    });
    wait_for_fit(&mut app);
    let r = &app.fits().unwrap().reports[5];
    assert_eq!(r.params[2], -0.3, "rho fixed");
    assert!(r.params[1] <= 0.5 * b_before + 1e-12, "b within its new upper bound");
    assert!(matches!(r.status, crate::calibrate::FitStatus::AtBound { .. }), "{:?}", r.status);
    set_config(&mut app, |c| {
        c.bounds.insert("b".into(), (1.0, 0.5));
    });
    wait_for_fit(&mut app);
    let r = &app.fits().unwrap().reports[5];
    assert_eq!(r.status.label(), "failed", "a bad bound is a clear failure, not a panic");
}

#[test]
fn a_file_that_fails_to_load_keeps_the_current_chain() {
    let mut app = VolscopeApp::new(None, None);
    let before = app.chain().unwrap().snapshot.quote_count();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "expiry;strike;type\n1;2;3\n").unwrap();
    app.open(&bad);
    assert!(app.error().unwrap().contains("another delimiter"), "{:?}", app.error());
    assert_eq!(app.chain().unwrap().snapshot.quote_count(), before);
}

#[test]
fn one_expiry_gets_its_own_model_and_bounds_and_undo_restores_the_shared_setup() {
    let mut app = VolscopeApp::new(None, None);
    wait_for_fit(&mut app);
    app.apply(Action::Select(4));
    app.apply(Action::SetScopeThisExpiry(true));
    set_model(&mut app, ModelKind::Sabr { beta: Some(1.0) });
    app.let_go();
    wait_for_fit(&mut app);
    let fits = app.fits().unwrap();
    assert_eq!(fits.kinds[4], ModelKind::Sabr { beta: Some(1.0) });
    assert_eq!(fits.reports[4].param_names, ["alpha", "beta", "rho", "nu"]);
    assert!(fits.kinds.iter().enumerate().all(|(i, k)| i == 4 || *k == ModelKind::Svi), "others keep SVI");

    set_config(&mut app, |c| {
        c.bounds.insert("nu".into(), (0.0, 0.2));
    });
    app.let_go();
    wait_for_fit(&mut app);
    assert!(app.fits().unwrap().reports[4].params[3] <= 0.2 + 1e-12, "nu within this expiry's bound");

    app.apply(Action::Undo);
    app.apply(Action::Undo);
    wait_for_fit(&mut app);
    assert!(app.edit_state().per_expiry.is_empty(), "two undos restore the shared setup");
    assert_eq!(app.fits().unwrap().kinds[4], ModelKind::Svi);
    app.apply(Action::Redo);
    assert_eq!(app.edit_state().setup_for(app.slice(4).unwrap().expiry_ms).kind, ModelKind::Sabr { beta: Some(1.0) });
}

#[test]
fn manual_parameters_move_the_report_at_once_and_a_refit_starts_from_them() {
    let mut app = VolscopeApp::new(None, None);
    wait_for_fit(&mut app);
    app.apply(Action::Select(5));
    let fitted = app.report(5).unwrap().clone();
    app.apply(Action::EnterManual);
    assert!(app.manual_params().is_some());
    assert_eq!(app.report(5).unwrap().status, crate::calibrate::FitStatus::Manual);
    assert_eq!(app.report(5).unwrap().rmse_vol_pts, fitted.rmse_vol_pts, "same parameters, same fit quality");
    // Raise the level a (total variance): the smile moves up and the residuals follow in the same call.
    app.apply(Action::SetManualParam { index: 0, value: fitted.params[0] + 0.01 });
    let manual = app.report(5).unwrap();
    assert!(manual.rmse_vol_pts > fitted.rmse_vol_pts + 0.5, "{} vs {}", manual.rmse_vol_pts, fitted.rmse_vol_pts);
    let q = manual.residuals.iter().find(|q| q.residual_vol_pts.is_some()).unwrap();
    assert!(q.residual_vol_pts.unwrap() > 0.0, "the model now sits above the market");
    app.let_go();
    // The worker's answers do not replace a hand-set expiry.
    app.apply(Action::Refit);
    wait_for_fit(&mut app);
    assert_eq!(app.report(5).unwrap().status, crate::calibrate::FitStatus::Manual);

    app.apply(Action::LeaveManual { refit_from_here: true });
    wait_for_fit(&mut app);
    let refit = app.report(5).unwrap();
    assert!(refit.status.is_usable() && refit.status != crate::calibrate::FitStatus::Manual);
    assert!(refit.notes.iter().any(|n| n.contains("warm")), "{:?}", refit.notes);
    assert!((refit.rmse_vol_pts - fitted.rmse_vol_pts).abs() < 1e-6, "back to the optimum");
    app.apply(Action::Undo);
    assert!(app.manual_params().is_some(), "undo brings the hand-set parameters back");
}

#[test]
fn a_saved_session_restores_edits_and_fits() {
    let mut app = VolscopeApp::new(None, None);
    wait_for_fit(&mut app);
    app.apply(Action::ToggleExclusion("BTC-27MAR26-70000-P".into()));
    app.apply(Action::Select(2));
    app.apply(Action::SetScopeThisExpiry(true));
    set_config(&mut app, |c| {
        c.fixed.insert("rho".into(), -0.25);
    });
    app.let_go();
    wait_for_fit(&mut app);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.volscope.json");
    app.save_session(&path);
    let shown = app.shown_reports().into_owned();

    let mut other = VolscopeApp::new(None, None);
    other.restore_session(&path).unwrap();
    assert_eq!(other.edit_state(), app.edit_state());
    assert_eq!(other.selected(), 2);
    let restored = other.shown_reports().into_owned();
    assert_eq!(restored.len(), shown.len(), "the saved fits show before the refit answers");
    for (a, b) in restored.iter().zip(&shown) {
        assert_eq!((a.expiry_ms, &a.status, a.params.len()), (b.expiry_ms, &b.status, b.params.len()));
        assert!(a.params.iter().zip(&b.params).all(|(x, y)| (x - y).abs() <= 1e-12 * y.abs().max(1.0)));
    }
    wait_for_fit(&mut other);
    assert_eq!(other.fits().unwrap().reports[2].params[2], -0.25);

    std::fs::write(&path, "{ \"version\": 1, \"edit\": 3 }").unwrap();
    let err = other.restore_session(&path).unwrap_err();
    assert!(err.contains("line 1"), "{err}");
    assert_eq!(other.edit_state(), app.edit_state(), "a bad session file changes nothing");
}

#[test]
fn dragging_the_manual_curve_puts_it_through_the_pointer() {
    let mut app = VolscopeApp::new(None, None);
    wait_for_fit(&mut app);
    app.apply(Action::Select(6));
    app.apply(Action::EnterManual);
    assert!(app.manual_params().is_some());
    let slice_t = app.slice(6).unwrap().t_years;
    app.apply(Action::DragManualCurve(CurveDrag { k: 0.1, vol: 0.75, dk: None }));
    let r = app.report(6).unwrap();
    let model = ModelKind::Svi.for_slice(app.slice(6).unwrap());
    assert!((model.implied_vol(&r.params, 0.1, slice_t) - 0.75).abs() < 1e-12);
    let m_before = r.params[3];
    app.apply(Action::DragManualCurve(CurveDrag { k: 0.1, vol: 0.75, dk: Some(0.05) }));
    assert!((app.report(6).unwrap().params[3] - m_before - 0.05).abs() < 1e-12, "Shift-drag moves m");
    let before = app.manual_params().unwrap().to_vec();
    app.apply(Action::DragManualCurve(CurveDrag { k: 0.1, vol: -1.0, dk: None }));
    assert_eq!(app.manual_params().unwrap(), before, "an impossible drag is ignored");
}

#[test]
fn an_svi_bound_does_not_fail_a_switch_to_sabr() {
    let mut app = VolscopeApp::new(None, None);
    wait_for_fit(&mut app);
    set_config(&mut app, |c| {
        c.bounds.insert("b".into(), (0.0, 0.5));
    });
    set_model(&mut app, ModelKind::Sabr { beta: Some(1.0) });
    app.let_go();
    wait_for_fit(&mut app);
    let fits = app.fits().unwrap();
    assert!(
        fits.reports.iter().all(|r| r.status.is_usable()),
        "{:?}",
        fits.reports.iter().map(|r| &r.status).collect::<Vec<_>>()
    );
}

#[test]
fn a_tampered_session_is_restored_without_its_inconsistent_parts() {
    let mut app = VolscopeApp::new(None, None);
    wait_for_fit(&mut app);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.volscope.json");
    let mut session = app.session();
    let expiry = app.slice(3).unwrap().expiry_ms;
    session.edit.manual.insert(expiry, vec![0.1, 0.2]);
    session.fits[2].params.truncate(2);
    session.save(&path).unwrap();

    let mut other = VolscopeApp::new(None, None);
    other.restore_session(&path).unwrap();
    assert!(other.edit_state().manual.is_empty(), "hand-set parameters of the wrong length are dropped");
    assert!(other.fits().is_none(), "fits that do not match their models are not shown");
    other.apply(Action::Select(3));
    assert!(other.manual_params().is_none());
    wait_for_fit(&mut other);
    assert_eq!(other.fits().unwrap().reports.len(), 10);
}

/// Steps the app's own autosave tick (what each frame does) for `duration`.
fn tick_autosave(app: &mut VolscopeApp, duration: std::time::Duration) {
    let deadline = std::time::Instant::now() + duration;
    while std::time::Instant::now() < deadline {
        app.poll_fits();
        app.poll_load();
        if app.edits.autosave_mut().due() {
            let session = app.session();
            app.edits.autosave_mut().save_in_background(session);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn an_unreadable_autosave_and_settings_file_are_set_aside_never_written_over() {
    let dir = tempfile::tempdir().unwrap();
    let (autosave, settings) = (dir.path().join("autosave.volscope.json"), dir.path().join("settings.json"));
    let junk = "{\n  \"version\": 1,\n  \"fits\": [ { \"rmse_vol_pts\": nul";
    std::fs::write(&autosave, junk).unwrap();
    std::fs::write(&settings, "{ \"theme\": 7 }").unwrap();
    let mut app =
        VolscopeApp::start_with(None, egui::Context::default(), None, Some(autosave.clone()), Some(settings.clone()));
    let kept: Vec<std::path::PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".unreadable-"))
        .collect();
    assert_eq!(kept.len(), 2, "{kept:?}");
    let kept_autosave = kept.iter().find(|p| p.to_string_lossy().contains("autosave")).unwrap();
    assert_eq!(std::fs::read_to_string(kept_autosave).unwrap(), junk);
    // The settings' message is the last one shown; both name the file and where it went.
    let message = app.message().unwrap().to_owned();
    assert!(message.contains("settings.json") && message.contains(".unreadable-"), "{message}");

    // The app goes on with the sample; its autosave now writes a fresh file beside the kept one.
    app.apply(Action::ToggleExclusion("BTC-27MAR26-70000-P".into()));
    tick_autosave(&mut app, std::time::Duration::from_millis(300));
    assert!(Session::load(&autosave).is_ok(), "a fresh autosave");
    assert_eq!(std::fs::read_to_string(kept_autosave).unwrap(), junk, "the unreadable one is untouched");
}

#[test]
fn nothing_is_autosaved_while_the_autosaved_session_restores() {
    let dir = tempfile::tempdir().unwrap();
    let autosave = dir.path().join("autosave.volscope.json");
    let data = dir.path().join("chain.csv");
    std::fs::write(&data, crate::sample::SAMPLE_CSV).unwrap();
    let mut first = VolscopeApp::new(Some(&data), None);
    wait_for_fit(&mut first);
    first.apply(Action::ToggleExclusion("BTC-27MAR26-70000-P".into()));
    first.session().save(&autosave).unwrap();
    let saved = std::fs::read(&autosave).unwrap();

    let mut app = VolscopeApp::start_with(None, egui::Context::default(), None, Some(autosave.clone()), None);
    assert!(app.loading(), "the session's file loads in the background");
    assert!(!app.edits.autosave_mut().due(), "the sample shown meanwhile is not saved");
    app.flush_autosave_on_exit();
    assert_eq!(std::fs::read(&autosave).unwrap(), saved, "not even on exit");
    tick_autosave(&mut app, std::time::Duration::from_secs(1));
    assert!(!app.loading());
    assert_eq!(app.excluded(), ["BTC-27MAR26-70000-P"], "restored");
    assert!(!dir.path().join("autosave.volscope.previous.json").exists(), "a restored autosave is this run's");
}

#[test]
fn the_first_autosave_of_a_run_keeps_the_session_it_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let autosave = dir.path().join("autosave.volscope.json");
    std::fs::write(&autosave, "{\"earlier\": \"session\"}").unwrap();
    let data = dir.path().join("chain.csv");
    std::fs::write(&data, crate::sample::SAMPLE_CSV).unwrap();
    let mut app = VolscopeApp::start_with(Some(&data), egui::Context::default(), None, Some(autosave.clone()), None);
    assert!(!app.edits.autosave_mut().due(), "nothing is saved before the file has loaded");
    tick_autosave(&mut app, std::time::Duration::from_millis(500));
    let session = Session::load(&autosave).expect("the opened file is autosaved without an edit");
    assert_eq!(session.source.as_deref(), Some(data.canonicalize().unwrap().as_path()));
    let previous = std::fs::read_to_string(dir.path().join("autosave.volscope.previous.json")).unwrap();
    assert_eq!(previous, "{\"earlier\": \"session\"}");
}

#[test]
fn ssvi_from_the_model_box_fits_every_expiry_as_one_surface() {
    let mut app = VolscopeApp::new(None, None);
    wait_for_fit(&mut app);
    set_model(&mut app, ModelKind::Ssvi);
    app.let_go();
    wait_for_fit(&mut app);
    let fits = app.fits().unwrap();
    assert!(fits.kinds.iter().all(|k| *k == ModelKind::Ssvi));
    let live: Vec<_> = fits.reports.iter().filter(|r| r.t_years > 0.0).collect();
    assert!(!live.is_empty());
    for r in live {
        assert_eq!(r.model, "ssvi");
        assert!(r.status.is_usable(), "{}: {:?}", r.expiry, r.status);
        assert_eq!(r.param_names, ["a", "b", "rho", "m", "sigma"], "each expiry's smile is raw SVI");
        assert!(r.butterfly.ok, "{}", r.expiry);
        assert!(r.smile(ModelKind::Ssvi).is_some(), "every read-out gets a smile");
    }
}
