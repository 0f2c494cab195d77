//! Exports of a snapshot fit (`volscope fit`, the GUI's Export menu): fit.json, the fitted surface grid
//! (grid.csv) and the per-quote residuals (res.csv). Written by the caller through `io::StagedFiles` or
//! `io::write_atomically`.

use std::io::Write;

use serde_json::{json, Map, Value};

use crate::arbitrage::CalendarViolation;
use crate::calibrate::{QuoteUse, SliceFitReport, SurfaceFit};
use crate::continuous::{Certificate, TenorReadout};
use crate::io::iv_csv::fmt_f64;
use crate::models::{FittedSmile, SmileModel};
use crate::pricing::{black_delta, OptionKind, OptionSpec};

/// Version of the fit.json layout; bumped on any incompatible change.
pub const FIT_JSON_SCHEMA_VERSION: u32 = 1;

/// What a fit.json says about where the fit came from.
#[derive(Clone, Debug, Default)]
pub struct FitSource {
    /// Quote file.
    pub file: String,
    /// Its format.
    pub format: String,
    /// Underlying.
    pub underlying: String,
    /// Snapshot time, ISO 8601 UTC.
    pub snapshot_time: String,
    /// Model name.
    pub model: String,
    /// The fit configuration, as JSON.
    pub config: Value,
}

/// The fit.json document: schema version, source, one object per slice, the calendar check.
pub fn fit_json(source: &FitSource, reports: &[SliceFitReport], calendar: &[CalendarViolation]) -> Value {
    let slices: Vec<Value> = reports.iter().map(slice_json).collect();
    let violations: Vec<Value> = calendar
        .iter()
        .map(|c| json!({"k": num(c.k), "t_short": num(c.t_short), "t_long": num(c.t_long), "w_short": num(c.w_short), "w_long": num(c.w_long)}))
        .collect();
    json!({
        "schema_version": FIT_JSON_SCHEMA_VERSION,
        "generator": format!("volscope {}", env!("CARGO_PKG_VERSION")),
        "source": {
            "file": source.file,
            "format": source.format,
            "underlying": source.underlying,
            "snapshot_time": source.snapshot_time,
        },
        "model": source.model,
        "config": source.config,
        "slices": slices,
        "calendar": {"ok": calendar.is_empty(), "violations": violations},
    })
}

/// The `surface` object of fit.json for a surface model: its name, global parameters, the per-expiry
/// parameters of each live expiry, the solver's stop and time, the arbitrage certificate of the continuous
/// surface and its constant-maturity read-outs.
pub fn surface_json(fit: &SurfaceFit, certificate: Option<&Certificate>, tenors: &[TenorReadout]) -> Value {
    let global: Map<String, Value> = match &fit.params {
        Some(p) => fit.global_names.iter().cloned().zip(p.global.iter().map(|v| num(*v))).collect(),
        None => Map::new(),
    };
    let expiries: Vec<Value> = match &fit.params {
        Some(p) => fit
            .expiries_ms
            .iter()
            .zip(&p.per_expiry)
            .map(|(ms, values)| {
                let mut object: Map<String, Value> =
                    fit.per_expiry_names.iter().cloned().zip(values.iter().map(|v| num(*v))).collect();
                object.insert("expiry".to_owned(), json!(crate::market::time::format_utc(*ms)));
                Value::Object(object)
            })
            .collect(),
        None => Vec::new(),
    };
    let mut object = json!({
        "model": fit.model,
        "ok": fit.params.is_some(),
        "solver_stop": fit.stop,
        "iterations": fit.iterations,
        "fit_time_us": num(fit.fit_time_us),
        "global": global,
        "expiries": expiries,
    });
    if let (Some(c), Some(map)) = (certificate, object.as_object_mut()) {
        map.insert("butterfly_ok".to_owned(), json!(c.butterfly_ok));
        map.insert("calendar_ok".to_owned(), json!(c.calendar_ok));
        map.insert("guarantee".to_owned(), json!(c.guarantee.label()));
        map.insert("scan_points".to_owned(), json!(c.scan_points));
        map.insert("scan_times".to_owned(), json!(c.scan_times));
        map.insert("min_g".to_owned(), num(c.min_g.0));
        map.insert("tenors".to_owned(), Value::Array(tenors.iter().map(tenor_json).collect()));
    }
    object
}

/// One constant-maturity read-out in fit.json (vols in percent, RR/BF in vol points; null where none).
fn tenor_json(r: &TenorReadout) -> Value {
    let opt = |x: Option<f64>| x.map_or(Value::Null, num);
    json!({
        "tenor_days": num(r.tenor_days),
        "atm_vol_pct": opt(r.d25.atm_vol_pct),
        "rr25_vol_pts": opt(r.d25.rr_vol_pts),
        "bf25_vol_pts": opt(r.d25.bf_vol_pts),
        "rr10_vol_pts": opt(r.d10.rr_vol_pts),
        "bf10_vol_pts": opt(r.d10.bf_vol_pts),
    })
}

/// One slice's object in fit.json.
fn slice_json(r: &SliceFitReport) -> Value {
    let params: Map<String, Value> = r.param_names.iter().cloned().zip(r.params.iter().map(|p| num(*p))).collect();
    let reason = match &r.status {
        crate::calibrate::FitStatus::Failed { reason } => Some(reason.clone()),
        crate::calibrate::FitStatus::AtBound { params } => Some(format!("at a bound: {}", params.join(", "))),
        _ => None,
    };
    json!({
        "expiry": r.expiry,
        "t_years": num(r.t_years),
        "forward": num(r.forward),
        "model": r.model,
        "status": r.status.label(),
        "status_reason": reason,
        "params": params,
        "rmse_vol_pts": num(r.rmse_vol_pts),
        "max_abs_err_vol_pts": num(r.max_abs_err_vol_pts),
        "inside_spread_share": num(r.inside_spread_share),
        "mean_err_spread_units": num(r.mean_err_spread_units),
        "n_quotes": r.n_quotes,
        "iterations": r.iterations,
        "function_evals": r.function_evals,
        "fit_time_us": num(r.fit_time_us),
        "butterfly_ok": r.butterfly.ok,
        "min_g": num(r.butterfly.min_g),
        "k_at_min_g": num(r.butterfly.k_at_min_g),
        "butterfly_negative_ranges": r.butterfly.negative_ranges.iter().map(|&(lo, hi)| json!([num(lo), num(hi)])).collect::<Vec<_>>(),
        "notes": r.notes,
    })
}

/// A number in Volscope's JSON representation ([`crate::json_num`]: NaN is null, infinities "inf"/"-inf").
fn num(x: f64) -> Value {
    crate::json_num::value(x)
}

/// Where the fitted surface is sampled.
#[derive(Clone, Debug, PartialEq)]
pub enum GridSpec {
    /// Log-moneyness from `min` to `max` (inclusive) in steps of `step`.
    K {
        /// First k.
        min: f64,
        /// Last k.
        max: f64,
        /// Step.
        step: f64,
    },
    /// Call forward deltas (e.g. 0.10, 0.25, 0.50, 0.75, 0.90): the k where the model's call delta equals each.
    Deltas(Vec<f64>),
}

// Build a `GridSpec` with [`GridSpec::k`] or [`GridSpec::deltas`] to have it checked.

/// Most points of a surface grid per expiry (a k grid of step 0.0002 over [−1, 1] has 10,001): a grid request
/// beyond it is an error before anything runs, so no request can make the program allocate without bound.
pub const MAX_GRID_POINTS: usize = 10_001;

/// Which part of a grid request is wrong (the CLI names its option).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GridField {
    /// The first k.
    KMin,
    /// The last k.
    KMax,
    /// The k step.
    KStep,
    /// The call deltas.
    Deltas,
}

/// A grid request that cannot be honoured: the field and the rule it breaks.
#[derive(Clone, Debug, PartialEq)]
pub struct GridError {
    /// The field at fault.
    pub field: GridField,
    /// The rule it breaks.
    pub message: String,
}

impl GridSpec {
    /// A k grid from `min` to `max` in steps of `step`: all finite, `step` > 0, `max` ≥ `min`, at most
    /// [`MAX_GRID_POINTS`] points.
    pub fn k(min: f64, max: f64, step: f64) -> Result<GridSpec, GridError> {
        let fail = |field, message: String| Err(GridError { field, message });
        for (field, x) in [(GridField::KMin, min), (GridField::KMax, max), (GridField::KStep, step)] {
            if !x.is_finite() {
                return fail(field, format!("{x} is not a finite number"));
            }
        }
        if step <= 0.0 {
            return fail(GridField::KStep, format!("{step} must be positive"));
        }
        if max < min {
            return fail(GridField::KMax, format!("{max} is below the first k {min}"));
        }
        let points = (max - min) / step + 1.0;
        if !(points <= MAX_GRID_POINTS as f64) {
            return fail(
                GridField::KStep,
                format!("{step} over [{min}, {max}] gives {points:.3e} points per expiry; at most {MAX_GRID_POINTS}"),
            );
        }
        Ok(GridSpec::K { min, max, step })
    }

    /// A grid at call deltas: each in (0, 1), at least one, at most [`MAX_GRID_POINTS`].
    pub fn deltas(deltas: Vec<f64>) -> Result<GridSpec, GridError> {
        let fail = |message: String| Err(GridError { field: GridField::Deltas, message });
        if deltas.is_empty() {
            return fail("no delta given".to_owned());
        }
        if deltas.len() > MAX_GRID_POINTS {
            return fail(format!("{} deltas; at most {MAX_GRID_POINTS}", deltas.len()));
        }
        if let Some(bad) = deltas.iter().find(|d| !(**d > 0.0 && **d < 1.0)) {
            return fail(format!("{bad} is not a call delta strictly between 0 and 1"));
        }
        Ok(GridSpec::Deltas(deltas))
    }

    /// The k points of a K grid (empty for a delta grid or an invalid request). A point that rounding takes
    /// past `max` is `max`: near the largest finite numbers `min + i·step` would otherwise overflow to infinity.
    fn k_points(&self) -> Vec<f64> {
        match *self {
            GridSpec::K { min, max, step }
                if step > 0.0 && max >= min && (max - min) / step < MAX_GRID_POINTS as f64 =>
            {
                let n = ((max - min) / step + 1e-9).floor() as usize;
                (0..=n).map(|i| (min + i as f64 * step).min(max)).collect()
            }
            _ => Vec::new(),
        }
    }
}

/// Column names of grid.csv.
pub const GRID_COLUMNS: [&str; 8] = ["expiry", "t_years", "forward", "k", "strike", "delta", "iv", "total_variance"];

/// A constant-maturity smile of a continuous surface, for grid.csv: its label (`30d`, written in the `expiry`
/// column) and the surface's smile at that T.
#[derive(Clone, Debug)]
pub struct TenorSmile {
    /// The tenor as given (`30d`).
    pub label: String,
    /// The smile at T = days/365.
    pub smile: FittedSmile,
}

/// Writes the fitted surface (usable fits only) as a tidy CSV with [`GRID_COLUMNS`]; `delta` is the Black
/// call delta at the model vol.
pub fn write_grid_csv<W: Write>(
    fits: &[(&SliceFitReport, &dyn SmileModel)],
    grid: &GridSpec,
    out: W,
) -> csv::Result<()> {
    write_grid_csv_with_tenors(fits, &[], grid, out)
}

/// [`write_grid_csv`], then one block of rows per constant-maturity smile of `tenors`.
pub fn write_grid_csv_with_tenors<W: Write>(
    fits: &[(&SliceFitReport, &dyn SmileModel)],
    tenors: &[TenorSmile],
    grid: &GridSpec,
    out: W,
) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(GRID_COLUMNS)?;
    for (report, model) in fits.iter().filter(|(r, _)| r.status.is_usable() && !r.params.is_empty()) {
        let slice = GridSlice { label: &report.expiry, t_years: report.t_years, forward: report.forward };
        grid_rows(&mut w, &slice, *model, &report.params, grid)?;
    }
    for tenor in tenors {
        let slice = GridSlice { label: &tenor.label, t_years: tenor.smile.t_years(), forward: tenor.smile.forward() };
        grid_rows(&mut w, &slice, tenor.smile.model(), tenor.smile.params(), grid)?;
    }
    w.flush()?;
    Ok(())
}

/// What a block of grid rows is written for.
struct GridSlice<'a> {
    label: &'a str,
    t_years: f64,
    forward: f64,
}

/// The grid rows of one smile.
fn grid_rows<W: Write>(
    w: &mut csv::Writer<W>,
    slice: &GridSlice<'_>,
    model: &dyn SmileModel,
    params: &[f64],
    grid: &GridSpec,
) -> csv::Result<()> {
    let t = slice.t_years;
    let ks = match grid {
        GridSpec::Deltas(deltas) => deltas
            .iter()
            .take(MAX_GRID_POINTS)
            .filter_map(|d| crate::surface::k_at_call_delta(model, params, t, *d))
            .collect(),
        _ => grid.k_points(),
    };
    for k in ks {
        let total_variance = model.total_variance(params, k);
        let iv = model.implied_vol(params, k, t);
        let strike = slice.forward * k.exp();
        let spec = OptionSpec::undiscounted(OptionKind::Call, slice.forward, strike, t);
        let delta = if iv.is_finite() { black_delta(&spec, iv) } else { f64::NAN };
        w.write_record([
            slice.label.to_owned(),
            fmt_f64(t),
            fmt_f64(slice.forward),
            fmt_f64(k),
            fmt_f64(strike),
            fmt_f64(delta),
            fmt_f64(iv),
            fmt_f64(total_variance),
        ])?;
    }
    Ok(())
}

/// Column names of res.csv.
pub const RESIDUAL_COLUMNS: [&str; 15] = [
    "expiry",
    "t_years",
    "instrument",
    "strike",
    "k",
    "type",
    "bid_iv",
    "ask_iv",
    "mid_iv",
    "model_iv",
    "residual_vol_pts",
    "residual_spread_units",
    "inside_spread",
    "used",
    "excluded_reason",
];

/// Writes one row per quote of every slice: market and model vols, residuals, used or excluded and why.
pub fn write_residuals_csv<W: Write>(reports: &[SliceFitReport], out: W) -> csv::Result<()> {
    let opt = |x: Option<f64>| x.map(fmt_f64).unwrap_or_default();
    let mut w = csv::Writer::from_writer(out);
    w.write_record(RESIDUAL_COLUMNS)?;
    for r in reports {
        for q in &r.residuals {
            let (used, reason) = match &q.used {
                QuoteUse::Used => ("true", String::new()),
                QuoteUse::Excluded(why) => ("false", why.to_string()),
            };
            w.write_record([
                r.expiry.clone(),
                fmt_f64(r.t_years),
                q.instrument.clone(),
                fmt_f64(q.strike),
                fmt_f64(q.k),
                q.kind.as_str().to_owned(),
                opt(q.bid_iv),
                opt(q.ask_iv),
                opt(q.mid_iv),
                opt(q.model_iv),
                opt(q.residual_vol_pts),
                opt(q.residual_spread_units),
                q.inside_spread.map(|b| b.to_string()).unwrap_or_default(),
                used.to_owned(),
                reason,
            ])?;
        }
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibrate::{ButterflySummary, FitStatus, QuoteResidual};
    use crate::models::Svi;

    fn report() -> SliceFitReport {
        SliceFitReport {
            expiry: "2026-03-27T08:00:00Z".into(),
            expiry_ms: 0,
            t_years: 0.1,
            forward: 70_000.0,
            model: "svi".into(),
            status: FitStatus::Converged,
            param_names: vec!["a".into(), "b".into(), "rho".into(), "m".into(), "sigma".into()],
            params: vec![0.02, 0.1, -0.3, 0.0, 0.1],
            rmse_vol_pts: 0.4,
            max_abs_err_vol_pts: 1.1,
            inside_spread_share: 0.97,
            mean_err_spread_units: f64::NAN,
            n_quotes: 20,
            iterations: 7,
            function_evals: 9,
            fit_time_us: 42.0,
            butterfly: ButterflySummary { ok: true, min_g: 0.3, k_at_min_g: 0.5, negative_ranges: vec![] },
            residuals: vec![QuoteResidual {
                instrument: "BTC-27MAR26-70000-C".into(),
                strike: 70_000.0,
                k: 0.0,
                kind: OptionKind::Call,
                bid_iv: Some(0.49),
                ask_iv: Some(0.51),
                mid_iv: Some(0.5),
                model_iv: Some(0.501),
                residual_vol_pts: Some(0.1),
                residual_spread_units: Some(0.05),
                inside_spread: Some(true),
                used: QuoteUse::Excluded("excluded by user".into()),
            }],
            notes: vec![],
        }
    }

    #[test]
    fn fit_json_has_the_documented_fields_and_no_nan() {
        let r = report();
        let doc = fit_json(&FitSource::default(), std::slice::from_ref(&r), &[]);
        assert_eq!(doc["schema_version"], 1);
        let s = &doc["slices"][0];
        for key in [
            "expiry",
            "t_years",
            "forward",
            "status",
            "params",
            "rmse_vol_pts",
            "max_abs_err_vol_pts",
            "inside_spread_share",
            "n_quotes",
            "fit_time_us",
            "butterfly_ok",
            "min_g",
        ] {
            assert!(!s[key].is_null(), "{key}");
        }
        assert_eq!(s["params"]["rho"], -0.3);
        assert!(s["mean_err_spread_units"].is_null(), "NaN becomes null");
        assert_eq!(doc["calendar"]["ok"], true);
    }

    #[test]
    fn grid_on_k_and_on_deltas_reproduce_the_model() {
        let r = report();
        let mut out = Vec::new();
        let fits: [(&SliceFitReport, &dyn SmileModel); 1] = [(&r, &Svi)];
        write_grid_csv(&fits, &GridSpec::K { min: -0.5, max: 0.5, step: 0.25 }, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1 + 5);
        let atm: Vec<&str> = text.lines().nth(3).unwrap().split(',').collect();
        assert_eq!(atm[3], "0.0");
        let w: f64 = atm[7].parse().unwrap();
        assert!((w - (0.02 + 0.1 * 0.1)).abs() < 1e-15, "w(m) = a + b·sigma");
        let mut out = Vec::new();
        write_grid_csv(&fits, &GridSpec::Deltas(vec![0.25, 0.5, 0.75]), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let deltas: Vec<f64> = text.lines().skip(1).map(|l| l.split(',').nth(5).unwrap().parse().unwrap()).collect();
        for (got, want) in deltas.iter().zip([0.25, 0.5, 0.75]) {
            assert!((got - want).abs() < 1e-9, "{got} vs {want}");
        }
    }

    #[test]
    fn a_k_grid_near_the_largest_floats_stays_finite_and_within_its_bounds() {
        // Found by the fit_grid fuzz target's assertions (fuzz/regressions/fit_grid/k_grid_overflows_to_inf):
        // 3 · (f64::MAX / 3) rounds above f64::MAX, so the last point was +inf.
        for (min, max) in [(0.0, f64::MAX), (-f64::MAX, 0.0), (f64::MAX / 2.0, f64::MAX)] {
            let step = (max - min) / 3.0;
            let grid = GridSpec::k(min, max, step).unwrap();
            let ks = grid.k_points();
            assert_eq!(ks.len(), 4, "[{min}, {max}] step {step}");
            assert!(ks.iter().all(|k| k.is_finite() && *k >= min && *k <= max), "{ks:?}");
        }
        let ks = GridSpec::k(-1.0, 1.0, 0.05).unwrap().k_points();
        assert_eq!((ks.len(), ks[0], ks[40]), (41, -1.0, 1.0));
    }

    #[test]
    fn residuals_say_why_a_quote_was_left_out() {
        let mut out = Vec::new();
        write_residuals_csv(&[report()], &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().next().unwrap(), RESIDUAL_COLUMNS.join(","));
        assert!(text.lines().nth(1).unwrap().ends_with(",true,false,excluded by user"));
    }
}
