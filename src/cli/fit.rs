//! `volscope fit`: load, fit every expiry, check calendar arbitrage, export fit.json / grid.csv / res.csv.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{anyhow, bail, Context};

use super::{FitArgs, SolverArg, WeightsArg};
use crate::arbitrage::calendar_check;
use crate::calibrate::{fit_snapshot, FitConfig, SliceFitReport, Solver, Weighting};
use crate::io::fit_export::{fit_json, write_grid_csv, write_residuals_csv, CalendarRow, FitSource, GridSpec};
use crate::io::{load_path, write_atomically, LoadOptions};
use crate::market::time::{format_utc, parse_iso};
use crate::market::{BuildOptions, Snapshot};
use crate::models::{ModelKind, SmileModel};

/// Points of each pair's calendar-check grid.
const CALENDAR_POINTS: usize = 21;

/// Runs `volscope fit`.
pub fn run_fit(args: &FitArgs) -> anyhow::Result<String> {
    let kind = ModelKind::parse(&args.model)
        .ok_or_else(|| anyhow!("--model {}: expected svi, svi-jw, sabr or sabr-free-beta", args.model))?;
    let config = fit_config(args)?;
    let at_ms = match &args.at {
        Some(text) => Some(parse_iso(text).ok_or_else(|| anyhow!("--at {text}: not an ISO 8601 time"))?),
        None => None,
    };
    let raw = load_path(&args.file, &LoadOptions { at_ms, underlying: args.underlying.clone() })?;
    let build = BuildOptions { underlying: args.underlying.clone(), at_ms, ..BuildOptions::default() };
    let snapshot =
        raw.snapshot(&build).map_err(|e| anyhow!("{}: {e}\n{}", args.file.display(), raw.report.describe()))?;
    let reports = fit_snapshot(&snapshot, |slice| kind.for_slice(slice), &config);
    let models: Vec<Box<dyn SmileModel>> = snapshot.slices.iter().map(|s| kind.for_slice(s)).collect();
    let calendar = calendar_rows(&reports, &models);
    let source = FitSource {
        file: args.file.display().to_string(),
        format: snapshot.source.clone(),
        underlying: snapshot.underlying.clone(),
        snapshot_time: format_utc(snapshot.time_ms),
        model: kind.name().to_owned(),
        config: serde_json::to_value(&config)?,
    };
    let doc = fit_json(&source, &reports, &calendar);
    write_atomically(&args.output, |w| serde_json::to_writer_pretty(w, &doc).map_err(std::io::Error::other))
        .with_context(|| format!("writing {}", args.output.display()))?;
    write_optional_exports(args, &reports, &models)?;
    Ok(summary(&snapshot, &reports, calendar.len(), &args.output))
}

/// The FitConfig from --config, then the flags on top.
fn fit_config(args: &FitArgs) -> anyhow::Result<FitConfig> {
    let mut config: FitConfig = match &args.config {
        Some(path) => read_json(path)?,
        None => FitConfig::default(),
    };
    if let Some(w) = args.weights {
        config.weights = match w {
            WeightsArg::Equal => Weighting::Equal,
            WeightsArg::Vega => Weighting::Vega,
            WeightsArg::Spread => Weighting::Spread,
        };
    }
    if let Some(path) = &args.bounds {
        let bounds: BTreeMap<String, (f64, f64)> = read_json(path)?;
        config.bounds.extend(bounds);
    }
    for fix in &args.fix {
        let (name, value) = fix.split_once('=').ok_or_else(|| anyhow!("--fix {fix}: expected NAME=VALUE"))?;
        let value: f64 = value.trim().parse().map_err(|_| anyhow!("--fix {fix}: '{value}' is not a number"))?;
        config.fixed.insert(name.trim().to_owned(), value);
    }
    config.no_arbitrage |= args.no_arb;
    config.solver = match args.solver {
        SolverArg::Lm => Solver::Lm,
        SolverArg::Lbfgs => Solver::Lbfgs,
    };
    Ok(config)
}

/// Reads a JSON file into `T`, naming the file, line and column on error.
fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| anyhow!("{}: line {}, column {}: {e}", path.display(), e.line(), e.column()))
}

/// Calendar violations between consecutive usable fits, checked where both smiles are quoted: on
/// `CALENDAR_POINTS` k points over the overlap of the two slices' used-quote k ranges (extrapolated wings of a
/// one-day smile say nothing about arbitrage).
pub(crate) fn calendar_rows(reports: &[SliceFitReport], models: &[Box<dyn SmileModel>]) -> Vec<CalendarRow> {
    let mut usable: Vec<(&SliceFitReport, &dyn SmileModel)> = reports
        .iter()
        .zip(models)
        .filter(|(r, _)| r.status.is_usable() && !r.params.is_empty())
        .map(|(r, m)| (r, m.as_ref()))
        .collect();
    usable.sort_by(|a, b| a.0.t_years.total_cmp(&b.0.t_years));
    usable
        .windows(2)
        .flat_map(|pair| {
            let (lo, hi) = overlap(quoted_k_range(pair[0].0), quoted_k_range(pair[1].0));
            let grid: Vec<f64> = if hi > lo {
                (0..CALENDAR_POINTS).map(|i| lo + (hi - lo) * i as f64 / (CALENDAR_POINTS - 1) as f64).collect()
            } else {
                Vec::new()
            };
            let slices: Vec<(f64, &dyn SmileModel, &[f64])> =
                pair.iter().map(|(r, m)| (r.t_years, *m, r.params.as_slice())).collect();
            calendar_check(&slices, &grid)
        })
        .map(|v| CalendarRow { k: v.k, t_short: v.t_short, t_long: v.t_long, w_short: v.w_short, w_long: v.w_long })
        .collect()
}

/// k range of the quotes a fit used.
fn quoted_k_range(r: &SliceFitReport) -> (f64, f64) {
    r.residuals
        .iter()
        .filter(|q| matches!(q.used, crate::calibrate::QuoteUse::Used))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), q| (lo.min(q.k), hi.max(q.k)))
}

fn overlap(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    (a.0.max(b.0), a.1.min(b.1))
}

fn write_optional_exports(
    args: &FitArgs,
    reports: &[SliceFitReport],
    models: &[Box<dyn SmileModel>],
) -> anyhow::Result<()> {
    if let Some(path) = &args.grid {
        let grid = match &args.deltas {
            Some(d) => GridSpec::Deltas(d.clone()),
            None => {
                if !(args.k_step > 0.0 && args.k_max >= args.k_min) {
                    bail!(
                        "--k-min {} --k-max {} --k-step {}: need k-max ≥ k-min and a positive step",
                        args.k_min,
                        args.k_max,
                        args.k_step
                    );
                }
                GridSpec::K { min: args.k_min, max: args.k_max, step: args.k_step }
            }
        };
        let fits: Vec<(&SliceFitReport, &dyn SmileModel)> =
            reports.iter().zip(models).map(|(r, m)| (r, m.as_ref())).collect();
        write_atomically(path, |w| write_grid_csv(&fits, &grid, w).map_err(std::io::Error::other))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.residuals {
        write_atomically(path, |w| write_residuals_csv(reports, w).map_err(std::io::Error::other))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// One line per slice, then totals.
fn summary(snapshot: &Snapshot, reports: &[SliceFitReport], calendar_violations: usize, output: &Path) -> String {
    let mut lines = Vec::new();
    for r in reports {
        let reason = match &r.status {
            crate::calibrate::FitStatus::Failed { reason } => format!(" ({reason})"),
            _ => String::new(),
        };
        lines.push(format!(
            "{} T={:.4} {:<14} n={:>3} RMSE {:>6.3} vol pts, inside {:>5.1} %, butterfly {}, {:>6.0} µs{reason}",
            r.expiry,
            r.t_years,
            r.status.label(),
            r.n_quotes,
            r.rmse_vol_pts,
            100.0 * r.inside_spread_share,
            if r.butterfly.ok { "ok" } else { "VIOLATED" },
            r.fit_time_us
        ));
    }
    let failed = reports.iter().filter(|r| !r.status.is_usable()).count();
    lines.push(format!(
        "{} {}: {} slices fitted, {failed} failed, {calendar_violations} calendar violations → {}",
        snapshot.underlying,
        format_utc(snapshot.time_ms),
        reports.len(),
        output.display()
    ));
    lines.join("\n")
}
