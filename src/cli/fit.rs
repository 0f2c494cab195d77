//! `volscope fit`: load, fit every expiry, check calendar arbitrage, export fit.json / grid.csv / res.csv.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{anyhow, Context};

use super::{FitArgs, SolverArg, WeightsArg};
use crate::calibrate::{fit_snapshot, fit_surface, FitConfig, SliceFitReport, Solver, Weighting};
use crate::continuous::{certify, tenor_readouts, ContinuousSurface, DEFAULT_TENORS_DAYS};
use crate::export::{
    fit_json, surface_json, write_grid_csv_with_tenors, write_residuals_csv, FitSource, GridField, GridSpec, TenorSmile,
};
use crate::io::{load_path, LoadOptions, StagedFiles};
use crate::market::time::{format_utc, parse_iso};
use crate::market::{BuildOptions, Snapshot};
use crate::models::{FittedSmile, ModelKind, SmileModel};

/// Runs `volscope fit`. Everything that can be checked is checked before the file is read (model,
/// configuration, grid, output paths); the outputs are written together at the end, so a failed run leaves
/// every existing file as it was.
pub fn run_fit(args: &FitArgs) -> anyhow::Result<String> {
    let kind = ModelKind::parse(&args.model).ok_or_else(|| {
        anyhow!(
            "--model {}: expected svi, svi-jw, sabr or sabr-free-beta (per expiry), or ssvi or essvi (one surface)",
            args.model
        )
    })?;
    let config = fit_config(args)?;
    config.check(kind.nominal().as_ref()).map_err(|e| anyhow!("invalid configuration for {}: {e}", kind.name()))?;
    let at_ms = match &args.at {
        Some(text) => Some(parse_iso(text).ok_or_else(|| anyhow!("--at {text}: not an ISO 8601 time"))?),
        None => None,
    };
    let grid = grid_spec(args)?;
    let tenors = match &args.tenors {
        Some(list) if kind.surface().is_none() => {
            return Err(anyhow!("--tenors {}: needs a surface model (--model ssvi or essvi)", list.join(",")))
        }
        Some(list) => Some(parse_tenors(list)?),
        None => None,
    };
    let outputs =
        [("--output", Some(&args.output)), ("--grid", args.grid.as_ref()), ("--residuals", args.residuals.as_ref())];
    super::check_outputs(&args.file, &outputs)?;

    let raw = load_path(&args.file, &LoadOptions { at_ms, underlying: args.underlying.clone() })?;
    let build = BuildOptions { underlying: args.underlying.clone(), at_ms, ..BuildOptions::default() };
    let snapshot =
        raw.snapshot(&build).map_err(|e| anyhow!("{}: {e}\n{}", args.file.display(), raw.report.describe()))?;
    let (reports, surface, tenor_smiles) = match kind.surface() {
        Some(model) => {
            let fit = fit_surface(model.as_ref(), &snapshot, &config, None);
            let (object, tenor_smiles) = surface_outputs(model.as_ref(), &fit, &snapshot, tenors.as_deref());
            (fit.reports, Some(object), tenor_smiles)
        }
        None => (fit_snapshot(&snapshot, |slice| kind.for_slice(slice), &config), None, Vec::new()),
    };
    let smiles: Vec<Option<FittedSmile>> = reports.iter().map(|r| r.smile(kind)).collect();
    let fits: Vec<(&SliceFitReport, &FittedSmile)> =
        reports.iter().zip(&smiles).filter_map(|(r, s)| Some((r, s.as_ref()?))).collect();
    let calendar = crate::surface::calendar_violations(&fits);
    let source = FitSource {
        file: args.file.display().to_string(),
        format: snapshot.source.clone(),
        underlying: snapshot.underlying.clone(),
        snapshot_time: format_utc(snapshot.time_ms),
        model: kind.name().to_owned(),
        config: serde_json::to_value(&config)?,
    };
    let mut doc = fit_json(&source, &reports, &calendar);
    if let (Some(surface), Some(object)) = (surface, doc.as_object_mut()) {
        object.insert("surface".to_owned(), surface);
    }
    let mut staged = StagedFiles::new();
    staged
        .stage(&args.output, |w| serde_json::to_writer_pretty(w, &doc).map_err(std::io::Error::other))
        .with_context(|| format!("writing {}", args.output.display()))?;
    stage_optional_exports(args, grid.as_ref(), &reports, &fits, &tenor_smiles, &mut staged)?;
    staged.commit().context("writing the outputs")?;
    Ok(summary(&snapshot, &reports, calendar.len(), &args.output))
}

/// The grid `--grid` asks for (checked even without `--grid`, so a bad request is always an error).
pub(crate) fn grid_spec(args: &FitArgs) -> anyhow::Result<Option<GridSpec>> {
    let spec = match &args.deltas {
        Some(d) => GridSpec::deltas(d.clone()),
        None => GridSpec::k(args.k_min, args.k_max, args.k_step),
    };
    let spec = spec.map_err(|e| {
        let (option, value) = match e.field {
            GridField::KMin => ("--k-min", args.k_min.to_string()),
            GridField::KMax => ("--k-max", args.k_max.to_string()),
            GridField::KStep => ("--k-step", args.k_step.to_string()),
            GridField::Deltas => {
                let deltas = args.deltas.iter().flatten().map(f64::to_string).collect::<Vec<_>>();
                ("--deltas", deltas.join(","))
            }
        };
        anyhow!("{option} {value}: {}", e.message)
    })?;
    Ok(args.grid.as_ref().map(|_| spec))
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

/// fit.json's `surface` object (certificate and constant-maturity read-outs at `tenors`, or the default
/// tenors) and, when `--tenors` was given, the smiles at those tenors for grid.csv.
fn surface_outputs(
    model: &dyn crate::models::SurfaceModel,
    fit: &crate::calibrate::SurfaceFit,
    snapshot: &Snapshot,
    tenors: Option<&[(String, f64)]>,
) -> (serde_json::Value, Vec<TenorSmile>) {
    let forwards = fit
        .expiries_ms
        .iter()
        .map(|ms| snapshot.slices.iter().find(|s| s.expiry_ms == *ms).map_or(f64::NAN, |s| s.forward))
        .collect();
    let continuous = ContinuousSurface::new(model, fit, forwards);
    let certificate = continuous.as_ref().map(|c| certify(c, true));
    let tenor_days: Vec<(String, f64)> = match tenors {
        Some(t) => t.to_vec(),
        None => DEFAULT_TENORS_DAYS.iter().map(|d| (format!("{d}d"), *d)).collect(),
    };
    let days: Vec<f64> = tenor_days.iter().map(|(_, d)| *d).collect();
    let readouts = continuous.as_ref().map(|c| tenor_readouts(c, &days)).unwrap_or_default();
    let smiles = match (&continuous, tenors) {
        (Some(c), Some(_)) => tenor_days
            .iter()
            .filter_map(|(label, d)| Some(TenorSmile { label: label.clone(), smile: c.smile_at(d / 365.0)? }))
            .collect(),
        _ => Vec::new(),
    };
    (surface_json(fit, certificate.as_ref(), &readouts), smiles)
}

/// Most tenors one `--tenors` may list.
pub const MAX_TENORS: usize = 64;

/// Parses `--tenors` values (`1d`, `2w`, `3m` = 90 d, `1y` = 365 d; a bare number is days) into (label, days):
/// each positive, finite and at most 50 years, at most [`MAX_TENORS`] of them.
pub(crate) fn parse_tenors(list: &[String]) -> anyhow::Result<Vec<(String, f64)>> {
    if list.len() > MAX_TENORS {
        return Err(anyhow!("--tenors: {} tenors; at most {MAX_TENORS}", list.len()));
    }
    list.iter()
        .map(|text| {
            let t = text.trim().to_ascii_lowercase();
            let (number, unit) = match t.char_indices().last() {
                Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c),
                _ => (t.as_str(), 'd'),
            };
            let scale = match unit {
                'd' => 1.0,
                'w' => 7.0,
                'm' => 30.0,
                'y' => 365.0,
                _ => return Err(anyhow!("--tenors {text}: the unit must be d, w, m or y")),
            };
            let value: f64 = number.parse().map_err(|_| anyhow!("--tenors {text}: '{number}' is not a number"))?;
            let days = value * scale;
            if !(days > 0.0 && days <= 50.0 * 365.0) {
                return Err(anyhow!("--tenors {text}: a tenor must be more than 0 and at most 50 years"));
            }
            Ok((text.trim().to_owned(), days))
        })
        .collect()
}

/// Stages grid.csv and res.csv when asked for.
fn stage_optional_exports(
    args: &FitArgs,
    grid: Option<&GridSpec>,
    reports: &[SliceFitReport],
    fits: &[(&SliceFitReport, &FittedSmile)],
    tenors: &[TenorSmile],
    staged: &mut StagedFiles,
) -> anyhow::Result<()> {
    if let (Some(path), Some(grid)) = (&args.grid, grid) {
        let fits: Vec<(&SliceFitReport, &dyn SmileModel)> = fits.iter().map(|(r, s)| (*r, s.model())).collect();
        staged
            .stage(path, |w| write_grid_csv_with_tenors(&fits, tenors, grid, w).map_err(std::io::Error::other))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.residuals {
        staged
            .stage(path, |w| write_residuals_csv(reports, w).map_err(std::io::Error::other))
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
