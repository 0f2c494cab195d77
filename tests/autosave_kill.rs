#![cfg(feature = "gui")]
//! The autosave's promise, end to end, with a real SIGKILL: a child process runs the app (the real
//! `VolscopeApp`, its frame loop, autosave and restore, driven headless by egui_kittest), opens a file and
//! edits it, and is killed with SIGKILL after the autosave interval; a second child starts the app as a user
//! would (no file argument) and reports what it shows. Cases: a file with no failed fit, an edit that leaves
//! failed fits, a Tardis file at a chosen time, only an open and an expiry selection (no edit), and a session
//! whose file has since been moved.
//!
//! The children are this test binary run again on the ignored test `child` with a job in `VOLSCOPE_E2E_JOB`.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use serde::{Deserialize, Serialize};
use volscope::calibrate::{FitStatus, QuoteUse, SliceFitReport};
use volscope::gui::VolscopeApp;
use volscope::io::{load_path, LoadOptions};
use volscope::session::Session;

/// The job a child reads from this variable (JSON); without it the `child` test does nothing.
const JOB_ENV: &str = "VOLSCOPE_E2E_JOB";
/// Snapshot used by most cases.
const SNAPSHOT: &str = "deribit_btc_eth_20260316T161206Z.csv";
/// Longest wait for a load, a fit or a file (debug build, busy machine).
const DEADLINE: Duration = Duration::from_secs(90);
/// The app's autosave interval (`AUTOSAVE_INTERVAL`) plus a margin for the background write.
const AUTOSAVE_WAIT: Duration = Duration::from_millis(2_000 + 3_000);

/// What a child does.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Job {
    autosave: PathBuf,
    settings: PathBuf,
    /// Opened as a command-line argument (`None`: a start without a file, which restores the autosave).
    file: Option<PathBuf>,
    actions: Vec<Action>,
    /// `Edit`: do the actions, write `out`, then run until killed. `Show`: write what the app shows to `out`.
    mode: Mode,
    out: PathBuf,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
enum Mode {
    Edit,
    Show,
}

/// A user action, done through the app's own methods.
#[derive(Clone, Debug, Serialize, Deserialize)]
enum Action {
    /// Select the expiry at this index.
    Select(usize),
    /// Fix a parameter for all expiries (the Fixed box of the model panel).
    FixAll(String, f64),
    /// Bound a parameter for all expiries.
    BoundAll(String, f64, f64),
    /// Exclude the first used quote of the selected expiry.
    ExcludeOne,
    /// Choose a snapshot time of a multi-snapshot file (UTC ms).
    Time(i64),
}

/// What a child reports.
#[derive(Debug, Serialize, Deserialize)]
struct Shown {
    /// The app's session (source, time, edits, selection, fits).
    session: Session,
    /// The fits shown right after the restore, before the refit answered.
    restored_fits: Option<Vec<SliceFitReport>>,
    message: Option<String>,
    error: Option<String>,
    chain_name: Option<String>,
    snapshot_ms: Option<i64>,
}

type App = Harness<'static, VolscopeApp>;

fn step(h: &mut App) {
    h.step();
    std::thread::sleep(Duration::from_millis(5));
}

/// Steps frames until no load runs and the latest fit is applied.
fn settle(h: &mut App) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        step(h);
        let app = h.state();
        if !app.loading() && app.fits().is_some() && !app.fitting() {
            return;
        }
        assert!(Instant::now() < deadline, "the app did not settle within {DEADLINE:?}");
    }
}

fn act(h: &mut App, action: &Action) {
    let app = h.state_mut();
    match action {
        Action::Select(i) => app.select(*i),
        Action::FixAll(name, value) => {
            app.set_scope_this_expiry(false);
            app.setup_mut().config.fixed.insert(name.clone(), *value);
            app.commit();
            app.edited(true);
        }
        Action::BoundAll(name, lo, hi) => {
            app.set_scope_this_expiry(false);
            app.setup_mut().config.bounds.insert(name.clone(), (*lo, *hi));
            app.commit();
            app.edited(true);
        }
        Action::ExcludeOne => {
            let report = app.report(app.selected()).expect("a fit");
            let q = report.residuals.iter().find(|q| q.used == QuoteUse::Used).expect("a used quote");
            let instrument = q.instrument.clone();
            app.toggle_exclusion(&instrument);
        }
        Action::Time(at_ms) => app.choose_time(*at_ms),
    }
    settle(h);
}

/// The child's side: runs a job (see [`Job`]).
fn run_child(job: Job) {
    let mut app = VolscopeApp::start_with(
        job.file.as_deref(),
        egui::Context::default(),
        None,
        Some(job.autosave.clone()),
        Some(job.settings.clone()),
    );
    // The fits shown when the restore lands are the session's (the refit answers later): the load is polled
    // as a frame does, before any frame runs, so that no refit can land in between.
    let deadline = Instant::now() + DEADLINE;
    while app.loading() {
        app.poll_load();
        assert!(Instant::now() < deadline, "no load within {DEADLINE:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
    let restored_fits = app.fits().map(|f| f.reports.clone());
    let mut h: App =
        Harness::builder().with_size([1400.0, 860.0]).build_ui_state(|ui, app: &mut VolscopeApp| app.show(ui), app);
    settle(&mut h);
    for action in &job.actions {
        act(&mut h, action);
    }
    let app = h.state();
    let shown = Shown {
        session: app.session(),
        restored_fits,
        message: app.message().map(str::to_owned),
        error: app.error().map(str::to_owned),
        chain_name: app.chain().map(|c| c.name.clone()),
        snapshot_ms: app.chain().map(|c| c.snapshot.time_ms),
    };
    // Written whole, then renamed: the parent never reads half a report.
    let tmp = job.out.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec(&shown).unwrap()).unwrap();
    std::fs::rename(&tmp, &job.out).unwrap();
    if job.mode == Mode::Edit {
        loop {
            step(&mut h); // the frame loop goes on (autosave ticks) until the parent kills the process
        }
    }
}

/// The entry point of the child processes; does nothing in a normal test run.
#[test]
#[ignore = "run by the other tests of this file as a child process"]
fn child() {
    if let Ok(job) = std::env::var(JOB_ENV) {
        run_child(serde_json::from_str(&job).expect("a job"));
    }
}

fn spawn(job: &Job) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["child", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(JOB_ENV, serde_json::to_string(job).unwrap())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the test binary starts again")
}

/// Waits for a child's report at `out`.
fn wait_for_report(child: &mut Child, out: &Path) -> Shown {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Ok(text) = std::fs::read_to_string(out) {
            if let Ok(shown) = serde_json::from_str(&text) {
                return shown;
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the child exited ({status}) without a report");
        }
        assert!(Instant::now() < deadline, "no report within {DEADLINE:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A test's files: the autosave and settings in a temporary directory.
struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new() -> Case {
        Case { dir: tempfile::tempdir().unwrap() }
    }

    fn autosave(&self) -> PathBuf {
        self.dir.path().join("autosave.volscope.json")
    }

    fn job(&self, file: Option<&Path>, actions: Vec<Action>, mode: Mode, out: &str) -> Job {
        Job {
            autosave: self.autosave(),
            settings: self.dir.path().join("settings.json"),
            file: file.map(Path::to_path_buf),
            actions,
            mode,
            out: self.dir.path().join(out),
        }
    }

    /// Runs the app on `file` with `actions`, kills it with SIGKILL once the autosave interval has passed
    /// since the edits, and returns what it showed.
    fn edit_and_kill(&self, file: &Path, actions: Vec<Action>) -> Shown {
        let job = self.job(Some(file), actions, Mode::Edit, "edited.json");
        let mut child = spawn(&job);
        let shown = wait_for_report(&mut child, &job.out);
        std::thread::sleep(AUTOSAVE_WAIT);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        shown
    }

    /// Starts the app as a user would, with no file, and returns what it shows once settled.
    fn restart(&self) -> Shown {
        let job = self.job(None, vec![], Mode::Show, "restarted.json");
        let mut child = spawn(&job);
        let shown = wait_for_report(&mut child, &job.out);
        assert!(child.wait().unwrap().success());
        shown
    }
}

/// A fit without its wall time (which differs between two runs of the same fit).
fn timeless(r: &SliceFitReport) -> String {
    format!("{:?}", SliceFitReport { fit_time_us: 0.0, ..r.clone() })
}

/// The restarted app shows the killed one's file, time, underlying, expiry, edits and fits.
fn assert_restored(before: &Shown, after: &Shown) {
    let (a, b) = (&before.session, &after.session);
    assert!(after.error.is_none(), "{:?}", after.error);
    assert!(after.message.as_deref().is_some_and(|m| m.contains("session restored")), "{:?}", after.message);
    assert_eq!(b.source, a.source, "the file");
    assert_eq!(
        (b.underlying.as_deref(), b.at_ms, after.snapshot_ms),
        (a.underlying.as_deref(), a.at_ms, before.snapshot_ms)
    );
    assert_eq!(b.selected_expiry_ms, a.selected_expiry_ms, "the selected expiry");
    assert_eq!(format!("{:?}", b.edit), format!("{:?}", a.edit), "the edits");
    // The fits the killed app showed are shown at once, bit for bit (failed ones included)...
    let restored = after.restored_fits.as_ref().expect("fits shown at the restore");
    assert_same_fits(restored, &a.fits, "the saved fits", |r| format!("{r:?}"));
    // ...and the refit from the restored edits gives them again.
    assert_same_fits(&b.fits, &a.fits, "the refit", timeless);
}

/// The same fits, compared through `show`; a difference names the expiry and the first differing text.
fn assert_same_fits(got: &[SliceFitReport], want: &[SliceFitReport], what: &str, show: fn(&SliceFitReport) -> String) {
    assert_eq!(got.len(), want.len(), "{what}: number of fits");
    for (g, w) in got.iter().zip(want) {
        let (g_text, w_text) = (show(g), show(w));
        if g_text != w_text {
            let at = g_text.bytes().zip(w_text.bytes()).position(|(x, y)| x != y).unwrap_or(0);
            let from = at.saturating_sub(150);
            let excerpt = |t: &str| t.get(from..(at + 150).min(t.len())).unwrap_or_default().to_owned();
            panic!("{what}: expiry {} differs\n got: …{}…\nwant: …{}…", w.expiry, excerpt(&g_text), excerpt(&w_text));
        }
    }
}

fn snapshot() -> Option<PathBuf> {
    Some(common::shared_dir()?.join("data").join(SNAPSHOT).canonicalize().unwrap())
}

fn failed(shown: &Shown) -> usize {
    shown.session.fits.iter().filter(|r| matches!(r.status, FitStatus::Failed { .. })).count()
}

#[test]
fn edits_on_a_file_survive_a_kill() {
    let Some(file) = snapshot() else { return };
    let case = Case::new();
    let before =
        case.edit_and_kill(&file, vec![Action::Select(4), Action::ExcludeOne, Action::BoundAll("b".into(), 0.0, 2.0)]);
    assert_eq!(failed(&before), 0, "no failed fit in this case");
    assert!(!before.session.edit.excluded.is_empty());
    assert_restored(&before, &case.restart());
}

#[test]
fn an_edit_that_leaves_failed_fits_survives_a_kill() {
    let Some(file) = snapshot() else { return };
    let case = Case::new();
    // Fixing ρ at +0.9 for all expiries fails the fits whose smile cannot take that skew.
    let before = case.edit_and_kill(&file, vec![Action::Select(2), Action::FixAll("rho".into(), 0.9)]);
    assert!(failed(&before) > 0, "the case needs a failed fit");
    let text = std::fs::read_to_string(case.autosave()).unwrap();
    assert!(text.contains("\"rmse_vol_pts\": null"), "a failed fit's statistics are null in the file");
    assert_restored(&before, &case.restart());
}

#[test]
fn an_open_and_a_selection_alone_are_saved() {
    let Some(file) = snapshot() else { return };
    let case = Case::new();
    let before = case.edit_and_kill(&file, vec![Action::Select(5)]);
    assert_eq!(before.session.edit, Default::default(), "no edit");
    let after = case.restart();
    assert_restored(&before, &after);
}

#[test]
fn a_tardis_file_at_a_chosen_time_survives_a_kill() {
    let Some(shared) = common::shared_dir() else { return };
    let case = Case::new();
    let (file, times) = write_tardis(&shared, case.dir.path());
    let before = case.edit_and_kill(&file, vec![Action::Time(times[0]), Action::Select(3), Action::ExcludeOne]);
    assert_eq!(before.session.at_ms, Some(times[0]), "the chosen time, not the file's last");
    assert_eq!(before.snapshot_ms, Some(times[0]));
    assert_restored(&before, &case.restart());
}

#[test]
fn a_session_whose_file_was_moved_is_kept_and_said() {
    let Some(shared) = common::shared_dir() else { return };
    let case = Case::new();
    let file = case.dir.path().join("snapshot.csv");
    std::fs::copy(shared.join("data").join(SNAPSHOT), &file).unwrap();
    case.edit_and_kill(&file, vec![Action::Select(3), Action::FixAll("rho".into(), -0.2)]);
    let saved = std::fs::read(case.autosave()).unwrap();
    std::fs::rename(&file, case.dir.path().join("moved.csv")).unwrap();

    let after = case.restart();
    let message = after.message.expect("a message");
    assert!(message.contains(&file.display().to_string()), "names the missing file: {message}");
    let kept = aside_files(case.dir.path());
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(message.contains(&kept[0].display().to_string()), "names where the session is kept: {message}");
    assert_eq!(std::fs::read(&kept[0]).unwrap(), saved, "the session is kept as it was");
    assert!(after.chain_name.unwrap().contains("synthetic sample"));
}

/// Files set aside in `dir`.
fn aside_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".unreadable-"))
        .collect();
    files.sort();
    files
}

/// A Tardis file of the real snapshot's quotes at two times (the first with prices 10 % off); returns it and
/// the two times (ms).
fn write_tardis(shared: &Path, dir: &Path) -> (PathBuf, [i64; 2]) {
    use common::tardis::{tardis_row, HEADER};
    let source = load_path(&shared.join("data").join(SNAPSHOT), &LoadOptions::default()).unwrap();
    let at_ms = source.file_time_ms.unwrap();
    let times = [at_ms - 3_600_000, at_ms];
    let mut seen = HashSet::new();
    let mut text = format!("{HEADER}\n");
    for (t, scale) in times.iter().zip([0.9, 1.0]) {
        for q in source.rows.iter().filter(|q| q.instrument.starts_with("BTC-")) {
            if seen.insert((q.instrument.clone(), *t)) {
                text.push_str(&tardis_row(q, t * 1000 - 1000, scale));
            }
        }
    }
    let path = dir.join("tardis_options_chain.csv");
    std::fs::write(&path, text).unwrap();
    (path.canonicalize().unwrap(), times)
}
