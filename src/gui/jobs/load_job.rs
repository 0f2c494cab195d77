//! Loading a file on a background thread, so that the window never freezes: the job reports the bytes read,
//! can be cancelled, and hands back a built [`LoadedChain`] (or the located error) when done. A panic in the
//! thread comes back as an error.
//!
//! A Tardis file's times (for the time picker) are listed by the load's own pass (`RawChain::listed_times`);
//! [`LoadJob::reload_at`] reads it again at another time, and that read lists the times again.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, TryRecvError};

use crate::io::{load_path_with_progress, LoadError, LoadOptions, LoadProgress, SourceFormat};
use crate::market::BuildOptions;

use crate::gui::jobs::loaded_chain::LoadedChain;

/// Bytes in a MiB, for the progress label.
const BYTES_PER_MIB: f64 = 1_048_576.0;
/// How often the progress bar is redrawn while a load runs, ms.
const PROGRESS_REPAINT_MS: u64 = 100;

/// What a job loads and builds.
struct JobSpec {
    path: PathBuf,
    options: LoadOptions,
    build: BuildOptions,
}

/// A load running on its own thread. Dropping the job cancels it.
pub struct LoadJob {
    path: PathBuf,
    progress: LoadProgress,
    result: Receiver<Result<LoadedChain, String>>,
    finished: bool,
}

impl LoadJob {
    /// Starts loading `path` with `options` on a background thread and building its snapshot with `build`
    /// (for a Tardis file, a `build.at_ms` of `None` means `options.at_ms`); `repaint` is called once the
    /// result is ready (to wake the UI).
    pub fn spawn(
        path: PathBuf,
        options: LoadOptions,
        build: BuildOptions,
        repaint: impl Fn() + Send + 'static,
    ) -> Self {
        Self::start(JobSpec { path, options, build }, LoadProgress::new(), repaint)
    }

    /// Reads `chain`'s file again at `at_ms` (UTC ms) for the same underlying and conventions (the read lists
    /// the same times again): what a time change of a Tardis file needs ([`LoadedChain::needs_reload_for_time`]).
    /// Errors when the chain has no source file (the bundled sample).
    pub fn reload_at(chain: &LoadedChain, at_ms: i64, repaint: impl Fn() + Send + 'static) -> Result<Self, String> {
        let path =
            chain.source().ok_or_else(|| format!("{}: not read from a file, cannot be read again", chain.name))?;
        let options = LoadOptions { at_ms: Some(at_ms), underlying: None };
        let build = BuildOptions { at_ms: Some(at_ms), ..chain.build_options() };
        let spec = JobSpec { path: path.to_path_buf(), options, build };
        Ok(Self::start(spec, LoadProgress::new(), repaint))
    }

    fn start(spec: JobSpec, progress: LoadProgress, repaint: impl Fn() + Send + 'static) -> Self {
        let (outbox, result) = channel();
        let path = spec.path.clone();
        let shared = progress.clone();
        let fallback = outbox.clone();
        let spawned = std::thread::Builder::new().name("volscope-load".into()).spawn(move || {
            let answer = catch_panics(&spec.path, || run(&spec, &shared));
            let _ = outbox.send(answer);
            repaint();
        });
        if let Err(e) = spawned {
            let _ = fallback.send(Err(format!("{}: cannot start the load thread: {e}", path.display())));
        }
        LoadJob { path, progress, result, finished: false }
    }

    /// Fraction of the file(s) read so far (`None` while unknown) and bytes read.
    pub fn progress(&self) -> (Option<f32>, u64) {
        (self.progress.fraction(), self.progress.bytes_read())
    }

    /// Asks the load to stop; [`LoadJob::poll`] then gives a "cancelled" error (soon: within one read).
    pub fn cancel(&self) {
        self.progress.cancel();
    }

    /// The result once it has come (given once; `None` before and after). Never blocks.
    pub fn poll(&mut self) -> Option<Result<LoadedChain, String>> {
        if self.finished {
            return None;
        }
        let answer = match self.result.try_recv() {
            Ok(answer) => answer,
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => Err(format!("{}: the load thread stopped", self.path.display())),
        };
        self.finished = true;
        Some(answer)
    }

    /// The file being loaded.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file name, for labels.
    pub fn file_name(&self) -> String {
        display_name(&self.path)
    }
}

impl Drop for LoadJob {
    fn drop(&mut self) {
        self.progress.cancel();
    }
}

/// The file name of a path (the whole path when it has none).
fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// Runs `work`, a panic becoming an error that names the file.
fn catch_panics(path: &Path, work: impl FnOnce() -> Result<LoadedChain, String>) -> Result<LoadedChain, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|panic| {
        let what =
            panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned());
        let what = what.unwrap_or_else(|| "unknown reason".to_owned());
        Err(format!("{}: the load failed unexpectedly: {what}", path.display()))
    })
}

/// Loads, builds, and lists the times of a Tardis file; stops with "cancelled" when asked.
fn run(spec: &JobSpec, progress: &LoadProgress) -> Result<LoadedChain, String> {
    let raw = load_path_with_progress(&spec.path, &spec.options, progress).map_err(|e| e.to_string())?;
    let mut build = spec.build.clone();
    if raw.format == SourceFormat::TardisCsv {
        build.at_ms = build.at_ms.or(spec.options.at_ms);
    }
    // A Tardis load lists the file's times in its own pass (`RawChain::listed_times`).
    let chain = LoadedChain::with_options(display_name(&spec.path), raw, build)?.with_source(spec.path.clone());
    if progress.is_cancelled() {
        return Err(LoadError::Cancelled { path: spec.path.display().to_string() }.to_string());
    }
    Ok(chain)
}

/// Draws "Loading <file>… NN % (x MiB)" with a progress bar and a Cancel button, and keeps the window
/// redrawing while the job runs. Returns `true` when Cancel was clicked (the caller cancels or drops the job).
pub fn progress_ui(ui: &mut egui::Ui, job: &LoadJob) -> bool {
    let (fraction, bytes) = job.progress();
    ui.ctx().request_repaint_after(std::time::Duration::from_millis(PROGRESS_REPAINT_MS));
    let mib = bytes as f64 / BYTES_PER_MIB;
    let label = match fraction {
        Some(f) => format!("Loading {}… {:.0} % ({mib:.1} MiB)", job.file_name(), 100.0 * f),
        None => format!("Loading {}… ({mib:.1} MiB)", job.file_name()),
    };
    let mut cancel = false;
    ui.horizontal(|ui| {
        ui.label(label);
        ui.add(egui::ProgressBar::new(fraction.unwrap_or(0.0)).desired_width(200.0).animate(fraction.is_none()));
        cancel = ui.button("Cancel").clicked();
    });
    cancel
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use egui_kittest::kittest::Queryable as _;

    use super::*;

    /// Polls `job` until it answers (at most 60 s).
    fn wait(job: &mut LoadJob) -> Result<LoadedChain, String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(answer) = job.poll() {
                return answer;
            }
            assert!(Instant::now() < deadline, "no answer from the load job within 60 s");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn spawn(path: &Path) -> LoadJob {
        LoadJob::spawn(path.to_path_buf(), LoadOptions::default(), BuildOptions::default(), || {})
    }

    #[test]
    fn a_job_on_a_small_file_completes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sample.csv");
        std::fs::write(&path, crate::sample::SAMPLE_CSV).unwrap();
        let mut job = spawn(&path);
        assert_eq!(job.path(), path);
        let chain = wait(&mut job).expect("the sample loads");
        assert_eq!(chain.snapshot.slices.len(), 10);
        assert_eq!(chain.source(), Some(path.as_path()));
        assert_eq!(job.progress(), (Some(1.0), crate::sample::SAMPLE_CSV.len() as u64));
        assert!(job.poll().is_none(), "the answer is given once");
    }

    #[test]
    fn a_job_on_a_malformed_file_gives_the_located_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.json");
        let text = "{\"result\": [\n  {\"instrument_name\": \"ETH-26JAN24-1200-P\", \"underlying_price\": 2241.65,\n  \"bid_price\": 0.0004,, }\n]}";
        std::fs::write(&path, text).unwrap();
        let err = wait(&mut spawn(&path)).err().expect("a syntax error");
        assert!(err.starts_with(&format!("{}: line 3, column 23: invalid JSON", path.display())), "{err}");
    }

    #[test]
    fn a_cancelled_job_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sample.csv");
        std::fs::write(&path, crate::sample::SAMPLE_CSV).unwrap();
        let spec = JobSpec { path: path.clone(), options: LoadOptions::default(), build: BuildOptions::default() };
        let cancelled = LoadProgress::new();
        cancelled.cancel();
        let mut job = LoadJob::start(spec, cancelled, || {});
        assert_eq!(wait(&mut job).err(), Some(format!("{}: the load was cancelled", path.display())));
    }

    #[test]
    fn a_panic_in_the_job_is_an_error() {
        let err = catch_panics(Path::new("x.csv"), || panic!("boom")).err();
        assert_eq!(err.as_deref(), Some("x.csv: the load failed unexpectedly: boom"));
    }

    #[test]
    fn a_reload_keeps_the_listed_times_and_needs_a_file() {
        let raw =
            crate::io::load_bytes(crate::sample::SAMPLE_CSV.as_bytes(), "sample", &LoadOptions::default()).unwrap();
        let chain = LoadedChain::new("sample".into(), raw).unwrap();
        assert!(LoadJob::reload_at(&chain, 0, || {}).err().unwrap().contains("not read from a file"));
    }

    #[test]
    fn the_progress_line_shows_the_file_and_cancel_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sample.csv");
        std::fs::write(&path, crate::sample::SAMPLE_CSV).unwrap();
        let mut job = spawn(&path);
        wait(&mut job).expect("the sample loads");
        let mut harness = egui_kittest::Harness::new_ui_state(
            |ui, state: &mut (LoadJob, bool)| state.1 |= progress_ui(ui, &state.0),
            (job, false),
        );
        harness.run();
        let mib = crate::sample::SAMPLE_CSV.len() as f64 / BYTES_PER_MIB;
        harness.get_by_label(&format!("Loading sample.csv… 100 % ({mib:.1} MiB)"));
        assert!(!harness.state().1);
        harness.get_by_label("Cancel").click();
        harness.run();
        assert!(harness.state().1, "the click is reported");
    }

    /// A Tardis file of 4 BTC calls updated every minute from 00:30 to 03:29 UTC on 2026-03-16.
    fn write_tardis(path: &Path) {
        let mut text = String::from(
            "exchange,symbol,timestamp,local_timestamp,type,strike_price,expiration,open_interest,last_price,\
             bid_price,bid_amount,bid_iv,ask_price,ask_amount,ask_iv,mark_price,mark_iv,underlying_index,\
             underlying_price,delta,gamma,vega,theta,rho\n",
        );
        let start_us: i64 = 1_773_619_200_000_000 + 1_800_000_000;
        for minute in 0..180 {
            for (n, strike) in [60_000, 70_000, 80_000, 90_000].into_iter().enumerate() {
                let ts = start_us + minute * 60_000_000 + n as i64;
                let mark = 0.2 - 0.04 * n as f64 + 0.0001 * minute as f64;
                text.push_str(&format!(
                    "deribit,BTC-26JUN26-{strike}-C,{ts},{ts},call,{strike},1782460800000000,1,,{:.4},1,,{:.4},1,,\
                     {mark:.4},,SYN.BTC-26JUN26,{:.1},,,,,\n",
                    mark - 0.001,
                    mark + 0.001,
                    72_000.0 + minute as f64,
                ));
            }
        }
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn a_tardis_job_lists_its_times_and_reloads_at_another() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("options_chain.csv");
        write_tardis(&path);
        let mut job = spawn(&path);
        let chain = wait(&mut job).expect("the Tardis file loads");
        let size = std::fs::metadata(&path).unwrap().len();
        assert_eq!(job.progress(), (Some(1.0), size), "one pass: the load lists the times too");
        let hour_ms = 3_600_000;
        let day_ms = 1_773_619_200_000;
        let last_ms = day_ms + hour_ms / 2 + 179 * 60_000;
        assert_eq!(chain.times, [day_ms + hour_ms, day_ms + 2 * hour_ms, day_ms + 3 * hour_ms, last_ms]);
        assert!(chain.needs_reload_for_time());
        assert_eq!((chain.snapshot.time_ms, chain.at_ms), (last_ms, None));
        let mut moved = LoadedChain::new(chain.name.clone(), chain.raw.clone()).unwrap();
        assert!(moved.select_time(day_ms + hour_ms).unwrap_err().contains("read again"));

        let mut reload = LoadJob::reload_at(&chain, day_ms + hour_ms, || {}).unwrap();
        let earlier = wait(&mut reload).expect("the reload at 01:00 loads");
        assert_eq!((earlier.snapshot.time_ms, earlier.at_ms), (day_ms + hour_ms, Some(day_ms + hour_ms)));
        assert_eq!(earlier.times, chain.times, "the listed times are kept");
        assert_eq!(reload.progress(), (Some(1.0), size), "one pass");
        let forward = earlier.snapshot.slices[0].quotes[0].forward_used;
        assert_eq!(forward, 72_000.0 + 30.0, "the 01:00 snapshot ends with the updates stamped 01:00");
    }
}
