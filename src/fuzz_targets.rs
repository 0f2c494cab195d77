//! Fuzz targets: one function per kind of user file, taking its raw bytes and going through the library exactly
//! as opening that file does, never panicking on its own (every error is a normal outcome and is dropped).
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
];

/// The function of the target `name`, if there is one.
pub fn target(name: &str) -> Option<fn(&[u8])> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|&(_, f)| f)
}
