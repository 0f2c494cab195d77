//! Replays the fuzzers' committed inputs on the stable toolchain: for every target of
//! `volscope::fuzz_targets::TARGETS`, every file of `fuzz/corpus/<target>/` (the minimised corpus of the last
//! fuzzing pass) and of `fuzz/regressions/<target>/` (inputs that once crashed, hung or ran out of memory, kept so
//! that their fixes stay tested) goes through the target's function. Each input runs under `catch_unwind` on a
//! thread of its own; the test goes through all of them and then fails listing every input that panicked (with
//! the panic message, its location and the top frames in this crate) or took more than 1 s. It runs under plain
//! `cargo test` and `cargo test --no-default-features`; `cargo test --test fuzz_corpus` runs it alone.
//!
//! # Fuzzing
//!
//! The fuzz targets live in `fuzz/` (cargo-fuzz, libFuzzer; needs a nightly toolchain and
//! `cargo install cargo-fuzz`). Each `fuzz/fuzz_targets/<target>.rs` calls the function of the same name in
//! `volscope::fuzz_targets`: one `load_<format>` per source format (the loader, then the snapshot of every
//! underlying), `detect` (format detection then that format's load, as opening an unknown file does),
//! `session` (a session file restored onto the bundled sample), `fit_config` (a fit configuration JSON
//! checked against every model) and `fit_grid` (the `--k-min/--k-max/--k-step/--deltas` values of `volscope
//! fit`, one per line, parsed and checked as the command line does, and an accepted grid written). From the
//! repository root:
//!
//! ```text
//! cargo +nightly fuzz list
//! cargo +nightly fuzz run load_tardis_csv -- -max_total_time=300 -rss_limit_mb=512 -timeout=1 -max_len=65536
//! cargo +nightly fuzz cmin load_tardis_csv              # minimise fuzz/corpus/load_tardis_csv afterwards
//! cargo +nightly fuzz run load_tardis_csv fuzz/artifacts/load_tardis_csv/crash-…   # reproduce one input
//! ```
//!
//! A run grows `fuzz/corpus/<target>/` and writes what failed to `fuzz/artifacts/<target>/` (not committed).
//! Copy a failing input to `fuzz/regressions/<target>/<short-descriptive-name>` so that this test keeps it;
//! minimise a corpus with `cmin` before committing it (keep it to a few hundred small files per target).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use volscope::fuzz_targets::{target_name, ALL_FORMATS, TARGETS};

/// An input slower than this fails (the fuzzers run with `-timeout=1`).
const SLOW: Duration = Duration::from_secs(1);
/// An input still running after this is abandoned (its thread is left running) so the others can be replayed.
const GIVE_UP: Duration = Duration::from_secs(10);
/// Frames of this crate shown per panic.
const FRAMES: usize = 6;

/// Panics seen by the hook since the last `take_panics`: location, message and the crate's frames. Panics of
/// threads an input spawned (the snapshot builds slices on scoped threads) are recorded too.
static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = payload_text(info.payload());
        let location = info.location().map_or_else(|| "unknown location".to_owned(), |l| l.to_string());
        let backtrace = std::backtrace::Backtrace::force_capture().to_string();
        let frames: Vec<String> = backtrace
            .lines()
            .map(str::trim)
            .filter_map(|l| l.strip_prefix("at "))
            .filter(|l| is_own_source(l))
            .take(FRAMES)
            .map(str::to_owned)
            .collect();
        let mut text = format!("panicked at {location}: {message}");
        for frame in frames {
            text.push_str("\n        at ");
            text.push_str(&frame);
        }
        PANICS.lock().unwrap_or_else(|e| e.into_inner()).push(text);
    }));
}

/// Whether a backtrace frame's file is this crate's (`src/…`, not a dependency, the standard library or this test).
fn is_own_source(file: &str) -> bool {
    let manifest = env!("CARGO_MANIFEST_DIR");
    let relative = file.strip_prefix(manifest).map(|r| r.trim_start_matches('/')).unwrap_or(file);
    let relative = relative.strip_prefix("./").unwrap_or(relative);
    relative.starts_with("src/")
}

fn take_panics() -> Vec<String> {
    std::mem::take(&mut *PANICS.lock().unwrap_or_else(|e| e.into_inner()))
}

fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(non-text panic payload)".to_owned())
}

/// The files of `dir`, sorted; none when it does not exist.
fn files_of(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

/// How one input went.
enum Outcome {
    Finished(Duration),
    Panicked(String),
    GaveUp,
}

/// Runs `run` on `bytes` on a thread of its own, under `catch_unwind`, waiting at most [`GIVE_UP`].
fn replay(run: fn(&[u8]), bytes: Vec<u8>) -> Outcome {
    let (done, finished) = mpsc::channel();
    let clock = Instant::now();
    std::thread::spawn(move || {
        let result = catch_unwind(AssertUnwindSafe(|| run(&bytes)));
        let _ = done.send(result.map_err(|payload| payload_text(payload.as_ref())));
    });
    match finished.recv_timeout(GIVE_UP) {
        Ok(Ok(())) => Outcome::Finished(clock.elapsed()),
        Ok(Err(payload)) => {
            let seen = take_panics();
            Outcome::Panicked(if seen.is_empty() { format!("panicked: {payload}") } else { seen.join("\n    ") })
        }
        Err(_) => Outcome::GaveUp,
    }
}

#[test]
fn every_committed_fuzz_input_runs_without_panicking_or_hanging() {
    install_panic_hook();
    let fuzz_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut failures = Vec::new();
    let mut total = 0usize;
    let clock = Instant::now();
    for &(name, run) in TARGETS {
        let mut inputs = files_of(&fuzz_dir.join("corpus").join(name));
        inputs.extend(files_of(&fuzz_dir.join("regressions").join(name)));
        let target_clock = Instant::now();
        for path in &inputs {
            let shown = path.strip_prefix(&fuzz_dir).unwrap_or(path).display().to_string();
            let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{shown}: {e}"));
            take_panics();
            match replay(run, bytes) {
                Outcome::Finished(took) if took > SLOW => failures.push(format!(
                    "fuzz/{shown}: took {:.2} s (limit {} s)",
                    took.as_secs_f64(),
                    SLOW.as_secs()
                )),
                Outcome::Finished(_) => {}
                Outcome::Panicked(message) => failures.push(format!("fuzz/{shown}: {message}")),
                Outcome::GaveUp => failures
                    .push(format!("fuzz/{shown}: still running after {} s (a hang?); abandoned", GIVE_UP.as_secs())),
            }
        }
        total += inputs.len();
        eprintln!("{name}: {} inputs in {:.2} s", inputs.len(), target_clock.elapsed().as_secs_f64());
    }
    eprintln!("{total} inputs in {:.2} s", clock.elapsed().as_secs_f64());
    let _ = std::panic::take_hook();
    assert!(failures.is_empty(), "{} of {total} fuzz inputs failed:\n  {}", failures.len(), failures.join("\n  "));
}

#[test]
fn every_format_has_a_target_with_a_corpus() {
    let fuzz_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
    for format in ALL_FORMATS {
        let name = target_name(format);
        assert!(names.contains(&name), "{format:?}: no target {name} in TARGETS");
    }
    for name in names {
        let source = fuzz_dir.join("fuzz_targets").join(format!("{name}.rs"));
        let text = std::fs::read_to_string(&source).unwrap_or_else(|e| panic!("{}: {e}", source.display()));
        assert!(
            text.contains(&format!("volscope::fuzz_targets::{name}(")),
            "{} calls another target",
            source.display()
        );
        assert!(!files_of(&fuzz_dir.join("corpus").join(name)).is_empty(), "fuzz/corpus/{name} is empty");
    }
}
