//! Fuzz targets: one function per kind of user file, taking its raw bytes and going through the library exactly
//! as opening that file does, never panicking on its own (every error is a normal outcome and is dropped); and
//! [`fit_grid`], the grid options of `volscope fit` as the command line reads and checks them, which asserts
//! the promises of an accepted grid.
//!
//! They are shared by the cargo-fuzz crate (`fuzz/`, nightly) and the corpus replay test
//! (`tests/fuzz_corpus.rs`, stable), through [`TARGETS`]: a panic, a hang or a runaway allocation in one of
//! them is a bug of the library.

use crate::io::{self, LoadOptions, SourceFormat};
use crate::market::BuildOptions;
use crate::models::{ModelKind, SliceInputs};

/// How many bytes format detection sees (the prefix `io::load_bytes` and `io::open_detected` sniff).
const SNIFF_BYTES: usize = 16 * 1024;

/// Loads `bytes` as a file of `format` ([`io::load_reader`] with default [`LoadOptions`]) and, when it loads,
/// builds the snapshot of every underlying it has with default [`BuildOptions`]: first the default one (the
/// file's first underlying, as the app opens it), then each underlying by name (the app's underlying picker).
/// Also lists the snapshot times the chain offers; for a Tardis file, first reads its times alone
/// ([`io::tardis::list_times`], the time picker's pass).
pub fn load_format(format: SourceFormat, bytes: &[u8]) {
    if format == SourceFormat::TardisCsv {
        if let Ok(times) = io::tardis::list_times(bytes) {
            let _ = times.hours();
            let _ = io::tardis_snapshot_times(&times);
        }
    }
    let Ok(raw) = io::load_reader(bytes, format, &LoadOptions::default()) else {
        return;
    };
    let _ = io::snapshot_times(&raw);
    let _ = raw.report.describe();
    let _ = raw.snapshot(&BuildOptions::default());
    for underlying in crate::market::underlyings(&raw.rows) {
        let _ = raw.snapshot(&BuildOptions { underlying: Some(underlying), ..BuildOptions::default() });
    }
}

/// Opens content of unknown format as the app does ([`io::load_bytes`]): detects the format from its first
/// 16 KiB ([`io::detect`]) and, when one is recognised, loads and builds it as [`load_format`] does.
pub fn detect(bytes: &[u8]) {
    if let Ok(format) = io::detect(&bytes[..bytes.len().min(SNIFF_BYTES)]) {
        load_format(format, bytes);
    }
}

/// Reads a session file ([`crate::session::Session::from_json`], the bytes read as UTF-8 with invalid
/// sequences replaced) and, when it parses, restores it onto the bundled sample's snapshot as the app does:
/// the fit plan of every slice ([`crate::session::EditState::plans`]) checked against its model
/// ([`crate::calibrate::FitConfig::validate`]), and the hand-set parameters of the right length evaluated
/// ([`crate::calibrate::evaluate_slice`]; the app drops the others). No fit is run.
pub fn session(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let Ok(session) = crate::session::Session::from_json(&text, "fuzz") else {
        return;
    };
    let Some(snapshot) = sample_snapshot() else {
        return;
    };
    let edit = &session.edit;
    for (plan, slice) in edit.plans(snapshot, |_, _| None).iter().zip(&snapshot.slices) {
        let _ = plan.config.validate(plan.kind.for_slice(slice).as_ref());
    }
    for slice in &snapshot.slices {
        let Some(params) = edit.manual.get(&slice.expiry_ms) else {
            continue;
        };
        let model = edit.setup_for(slice.expiry_ms).kind.for_slice(slice);
        if params.len() == model.param_names().len() {
            let _ = crate::calibrate::evaluate_slice(model.as_ref(), slice, &edit.config_for(slice.expiry_ms), params);
        }
    }
}

/// The bundled sample's default snapshot, built once.
fn sample_snapshot() -> Option<&'static crate::market::Snapshot> {
    static SNAPSHOT: std::sync::OnceLock<Option<crate::market::Snapshot>> = std::sync::OnceLock::new();
    SNAPSHOT
        .get_or_init(|| {
            let raw = io::load_bytes(crate::sample::SAMPLE_CSV.as_bytes(), "sample", &LoadOptions::default()).ok()?;
            raw.snapshot(&BuildOptions::default()).ok()
        })
        .as_ref()
}

/// Parses a fit configuration ([`crate::calibrate::FitConfig`], JSON as `--config` and the GUI read it) and,
/// when it parses, validates it against every model ([`ModelKind`]) for a few typical slices.
pub fn fit_config(bytes: &[u8]) {
    let Ok(config) = serde_json::from_slice::<crate::calibrate::FitConfig>(bytes) else {
        return;
    };
    let _ = config.effective_loss();
    for kind in ModelKind::ALL {
        for inputs in typical_inputs() {
            let _ = config.validate(kind.for_inputs(inputs).as_ref());
        }
    }
}

/// Checks the surface grid options of `volscope fit` as the command line does: the input, read as UTF-8 with
/// invalid sequences replaced, gives up to four lines, the values of `--k-min`, `--k-max`, `--k-step` and
/// `--deltas` (comma-separated; an empty or missing line leaves that option out), parsed by the command line
/// ([`crate::cli::Cli`]) and checked as `volscope fit` checks them ([`crate::export::GridSpec::k`] or
/// [`crate::export::GridSpec::deltas`]). An accepted grid is written as `--grid` writes it
/// ([`crate::export::write_grid_csv`], for one SVI fit) and must keep its promises: a delta grid of at most
/// [`crate::export::MAX_GRID_POINTS`] deltas, each strictly between 0 and 1; a k grid of finite bounds and a
/// positive step; at least one and at most `MAX_GRID_POINTS` rows, every k finite.
pub fn fit_grid(bytes: &[u8]) {
    use crate::export::{write_grid_csv, GridSpec, MAX_GRID_POINTS};
    use clap::Parser;

    let text = String::from_utf8_lossy(bytes);
    let mut args: Vec<String> =
        ["volscope", "fit", "quotes.csv", "--output", "fit.json", "--grid", "grid.csv"].map(String::from).to_vec();
    for (option, value) in ["--k-min", "--k-max", "--k-step", "--deltas"].into_iter().zip(text.splitn(4, '\n')) {
        if !value.is_empty() {
            args.push(format!("{option}={value}"));
        }
    }
    let Ok(crate::cli::Cli { command: Some(crate::cli::Command::Fit(fit)), .. }) =
        crate::cli::Cli::try_parse_from(&args)
    else {
        return;
    };
    let Ok(Some(grid)) = crate::cli::fit::grid_spec(&fit) else {
        return;
    };
    match &grid {
        GridSpec::Deltas(deltas) => {
            assert!(!deltas.is_empty() && deltas.len() <= MAX_GRID_POINTS, "{} deltas accepted", deltas.len());
            assert!(deltas.iter().all(|d| *d > 0.0 && *d < 1.0), "a delta outside (0, 1) accepted: {deltas:?}");
        }
        GridSpec::K { min, max, step } => assert!(
            min.is_finite() && max.is_finite() && step.is_finite() && *step > 0.0 && max >= min,
            "k grid [{min}, {max}] step {step} accepted"
        ),
    }
    let report = grid_fit_report();
    let mut csv = Vec::new();
    write_grid_csv(&[(&report, &crate::models::Svi)], &grid, &mut csv).expect("writing to memory");
    let csv = String::from_utf8(csv).expect("grid.csv is UTF-8");
    let mut rows = 0usize;
    for row in csv.lines().skip(1) {
        rows += 1;
        let k = row.split(',').nth(3).and_then(|k| k.parse::<f64>().ok());
        assert!(k.is_some_and(f64::is_finite), "grid row with a k that is not finite: {row} (grid {grid:?})");
    }
    assert!(rows <= MAX_GRID_POINTS, "{rows} grid rows for one expiry");
    if let GridSpec::K { .. } = grid {
        assert!(rows >= 1, "an accepted k grid without a point: {grid:?}");
    }
}

/// A usable SVI fit of a 0.1-year BTC expiry, as [`fit_grid`] writes its grid.
fn grid_fit_report() -> crate::calibrate::SliceFitReport {
    use crate::calibrate::{ButterflySummary, FitStatus, SliceFitReport};
    SliceFitReport {
        expiry: "2026-03-27T08:00:00Z".into(),
        expiry_ms: 1_774_598_400_000,
        t_years: 0.1,
        forward: 70_000.0,
        model: "svi".into(),
        status: FitStatus::Converged,
        param_names: ["a", "b", "rho", "m", "sigma"].map(String::from).to_vec(),
        params: vec![0.02, 0.1, -0.3, 0.0, 0.1],
        rmse_vol_pts: 0.0,
        max_abs_err_vol_pts: 0.0,
        inside_spread_share: 1.0,
        mean_err_spread_units: 0.0,
        n_quotes: 0,
        iterations: 0,
        function_evals: 0,
        fit_time_us: 0.0,
        butterfly: ButterflySummary { ok: true, min_g: 0.0, k_at_min_g: 0.0, negative_ranges: vec![] },
        residuals: vec![],
        notes: vec![],
    }
}

/// Slice inputs a model is built for: a one-day BTC expiry and a two-year low-priced one (the models' default
/// bounds depend on T and F; validation needs nothing else).
fn typical_inputs() -> [SliceInputs; 2] {
    [SliceInputs { t_years: 1.0 / 365.0, forward: 70_000.0 }, SliceInputs { t_years: 2.0, forward: 0.5 }]
}

/// Every source format, in declaration order; each has a `load_<format>` target.
pub const ALL_FORMATS: [SourceFormat; 11] = [
    SourceFormat::DeribitCollectorCsv,
    SourceFormat::DeribitBookSummaryCsv,
    SourceFormat::DeribitBookSummaryJson,
    SourceFormat::DeribitHourlyIvCsv,
    SourceFormat::TardisCsv,
    SourceFormat::GenericCsv,
    SourceFormat::CboeCsv,
    SourceFormat::BinanceMarksCsv,
    SourceFormat::OkxJson,
    SourceFormat::BybitJson,
    SourceFormat::BinanceEapiJson,
];

/// The name of the fuzz target loading `format` (`load_` and the variant's name in snake_case).
pub fn target_name(format: SourceFormat) -> &'static str {
    // Exhaustive: a new format fails to compile here until it has a name, a target and an `ALL_FORMATS` entry.
    match format {
        SourceFormat::DeribitCollectorCsv => "load_deribit_collector_csv",
        SourceFormat::DeribitBookSummaryCsv => "load_deribit_book_summary_csv",
        SourceFormat::DeribitBookSummaryJson => "load_deribit_book_summary_json",
        SourceFormat::DeribitHourlyIvCsv => "load_deribit_hourly_iv_csv",
        SourceFormat::TardisCsv => "load_tardis_csv",
        SourceFormat::GenericCsv => "load_generic_csv",
        SourceFormat::CboeCsv => "load_cboe_csv",
        SourceFormat::BinanceMarksCsv => "load_binance_marks_csv",
        SourceFormat::OkxJson => "load_okx_json",
        SourceFormat::BybitJson => "load_bybit_json",
        SourceFormat::BinanceEapiJson => "load_binance_eapi_json",
    }
}

/// Defines one `load_<format>` function per format: [`load_format`] with that format.
macro_rules! format_targets {
    ($($name:ident => $format:ident),* $(,)?) => {
        $(
            #[doc = concat!("[`load_format`] with [`SourceFormat::", stringify!($format), "`].")]
            pub fn $name(bytes: &[u8]) {
                load_format(SourceFormat::$format, bytes);
            }
        )*
    };
}

format_targets! {
    load_deribit_collector_csv => DeribitCollectorCsv,
    load_deribit_book_summary_csv => DeribitBookSummaryCsv,
    load_deribit_book_summary_json => DeribitBookSummaryJson,
    load_deribit_hourly_iv_csv => DeribitHourlyIvCsv,
    load_tardis_csv => TardisCsv,
    load_generic_csv => GenericCsv,
    load_cboe_csv => CboeCsv,
    load_binance_marks_csv => BinanceMarksCsv,
    load_okx_json => OkxJson,
    load_bybit_json => BybitJson,
    load_binance_eapi_json => BinanceEapiJson,
}

/// A fuzz target: its name and the function it runs on an input.
pub type Target = (&'static str, fn(&[u8]));

/// Every fuzz target by name (the name of its `fuzz/fuzz_targets/<name>.rs`, its `fuzz/corpus/<name>/` and
/// `fuzz/regressions/<name>/` directories) and the function it runs.
pub const TARGETS: &[Target] = &[
    ("load_deribit_collector_csv", load_deribit_collector_csv),
    ("load_deribit_book_summary_csv", load_deribit_book_summary_csv),
    ("load_deribit_book_summary_json", load_deribit_book_summary_json),
    ("load_deribit_hourly_iv_csv", load_deribit_hourly_iv_csv),
    ("load_tardis_csv", load_tardis_csv),
    ("load_generic_csv", load_generic_csv),
    ("load_cboe_csv", load_cboe_csv),
    ("load_binance_marks_csv", load_binance_marks_csv),
    ("load_okx_json", load_okx_json),
    ("load_bybit_json", load_bybit_json),
    ("load_binance_eapi_json", load_binance_eapi_json),
    ("detect", detect),
    ("session", session),
    ("fit_config", fit_config),
    ("fit_grid", fit_grid),
];

/// The function of the target `name`, if there is one.
pub fn target(name: &str) -> Option<fn(&[u8])> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|&(_, f)| f)
}
