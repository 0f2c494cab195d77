//! Command-line interface: argument definitions and the headless commands.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};

pub(crate) mod fit;

use crate::io::{chain_csv, iv_csv, load_path, open_detected, write_atomically, LoadOptions, SourceFormat};
use crate::market::time::{format_utc, parse_iso};
use crate::market::{snapshot_times, underlyings, BuildOptions, DayCount, UsdConversion};

/// Volscope: implied-volatility smiles and surfaces for crypto options.
///
/// With no command, opens the desktop app (when built with the `gui` feature).
#[derive(Debug, Parser)]
#[command(name = "volscope", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// Quote file to open in the app (default: the bundled synthetic sample).
    pub file: Option<PathBuf>,
    /// Headless command to run; none opens the desktop app.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Headless commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Batch implied vols, deltas and vegas for a CSV of option prices.
    ///
    /// Columns: F, K, T (years), price, type (call/put), optional D (discount factor, default 1) and optional
    /// currency (coin or usd; a coin price is price × F in USD). Writes the input columns plus iv, status,
    /// delta and vega (and delta_pa when a currency column is present).
    Iv {
        /// Input CSV file.
        #[arg(long, short)]
        input: PathBuf,
        /// Output CSV file (written atomically).
        #[arg(long, short)]
        output: PathBuf,
    },
    /// Load a quote file (format detected from its content) and write the normalised chain as a tidy CSV.
    ///
    /// One row per quote: snapshot, instrument, expiry, T, forward and its source, strike, k, type,
    /// bid/ask/mid/mark in coin and USD, their implied vols, delta and status. The load report goes to stderr.
    Quotes(QuotesArgs),
    /// Fit a smile model to every expiry of a quote file and export the fit.
    ///
    /// Writes fit.json (schema version, per slice: status, params, RMSE, inside-spread share, fit time,
    /// butterfly check; the calendar check), optionally the fitted surface grid and the per-quote residuals.
    Fit(FitArgs),
    /// Write the bundled synthetic BTC sample chain (Deribit collector CSV) from its documented recipe.
    Sample {
        /// Output CSV file (written atomically).
        #[arg(long, short, default_value = crate::sample::SAMPLE_PATH)]
        output: PathBuf,
    },
}

/// Arguments of `volscope quotes`.
#[derive(Debug, clap::Args)]
pub struct QuotesArgs {
    /// Quote file (any supported format; gzip is decompressed).
    pub file: PathBuf,
    /// Underlying to keep (default: the first in the file).
    #[arg(long)]
    pub underlying: Option<String>,
    /// Snapshot time for multi-snapshot files, ISO 8601 UTC (default: the last time in the file).
    #[arg(long)]
    pub at: Option<String>,
    /// List the snapshot times (and underlyings) the file holds instead of writing the chain.
    #[arg(long)]
    pub list_times: bool,
    /// Output CSV file (written atomically); standard output when absent.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Day count for T.
    #[arg(long, value_enum, default_value_t = DayCountArg::Act365)]
    pub day_count: DayCountArg,
    /// Coin → USD conversion of inverse premiums.
    #[arg(long, value_enum, default_value_t = UsdArg::Forward)]
    pub usd_conversion: UsdArg,
}

/// Arguments of `volscope fit`.
#[derive(Debug, clap::Args)]
pub struct FitArgs {
    /// Quote file (any supported format).
    pub file: PathBuf,
    /// Model: svi, svi-jw, sabr (β = 1), sabr-free-beta (per expiry), or ssvi (one surface over every expiry).
    #[arg(long, default_value = "svi")]
    pub model: String,
    /// Underlying to fit (default: the first in the file).
    #[arg(long)]
    pub underlying: Option<String>,
    /// Snapshot time for multi-snapshot files, ISO 8601 UTC.
    #[arg(long)]
    pub at: Option<String>,
    /// Residual weights.
    #[arg(long, value_enum)]
    pub weights: Option<WeightsArg>,
    /// JSON file of bounds by parameter name: {"b": [0, 1.5], "rho": [-0.9, 0.9]}.
    #[arg(long)]
    pub bounds: Option<PathBuf>,
    /// Fix a parameter: --fix beta=0.5 (repeatable).
    #[arg(long = "fix", value_name = "NAME=VALUE")]
    pub fix: Vec<String>,
    /// Penalise butterfly arbitrage (g(k) < 0) during the fit.
    #[arg(long)]
    pub no_arb: bool,
    /// Solver.
    #[arg(long, value_enum, default_value_t = SolverArg::Lm)]
    pub solver: SolverArg,
    /// A whole FitConfig as JSON (flags given as well override it).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// fit.json output (written atomically).
    #[arg(long, short)]
    pub output: PathBuf,
    /// Fitted surface grid CSV output.
    #[arg(long)]
    pub grid: Option<PathBuf>,
    /// Per-quote residuals CSV output.
    #[arg(long)]
    pub residuals: Option<PathBuf>,
    /// Grid: first k.
    #[arg(long, default_value_t = -1.0, allow_hyphen_values = true)]
    pub k_min: f64,
    /// Grid: last k.
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    pub k_max: f64,
    /// Grid: k step.
    #[arg(long, default_value_t = 0.05)]
    pub k_step: f64,
    /// Grid on call deltas instead of k, comma-separated: --deltas 0.1,0.25,0.5,0.75,0.9.
    #[arg(long, value_delimiter = ',')]
    pub deltas: Option<Vec<f64>>,
    /// Constant-maturity tenors of a surface model (days `d`, weeks `w`, months `m` = 30 d, years `y` =
    /// 365 d), comma-separated: --tenors 1d,7d,30d,90d. They are fit.json's read-outs (default 1d, 7d, 30d,
    /// 60d, 90d, 180d, 1y) and add rows to grid.csv.
    #[arg(long, value_delimiter = ',')]
    pub tenors: Option<Vec<String>>,
}

/// `--weights` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum WeightsArg {
    /// All quotes alike.
    Equal,
    /// Black vega.
    Vega,
    /// Inverse bid/ask vol spread (the default).
    Spread,
}

/// `--solver` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SolverArg {
    /// Levenberg–Marquardt with bounds.
    Lm,
    /// Projected L-BFGS (quasi-Newton).
    Lbfgs,
}

/// `--day-count` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DayCountArg {
    /// ACT/365 fixed on exact timestamps.
    #[value(name = "act365")]
    Act365,
    /// ACT/365.25 on exact timestamps.
    #[value(name = "act365.25")]
    Act36525,
}

/// `--usd-conversion` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum UsdArg {
    /// USD = coin × forward.
    Forward,
    /// USD = coin × index.
    Index,
}

/// Runs a headless command; returns a line for stderr describing what was done.
pub fn run(command: &Command) -> anyhow::Result<String> {
    match command {
        Command::Iv { input, output } => run_iv(input, output),
        Command::Quotes(args) => run_quotes(args),
        Command::Fit(args) => fit::run_fit(args),
        Command::Sample { output } => {
            let text = crate::sample::generate_sample_csv(crate::sample::SAMPLE_SEED);
            write_atomically(output, |w| std::io::Write::write_all(w, text.as_bytes()))
                .with_context(|| format!("writing {}", output.display()))?;
            Ok(format!("wrote the synthetic sample ({} rows) to {}", text.lines().count() - 1, output.display()))
        }
    }
}

/// Checks output paths before anything runs: each names a file in an existing directory (not a directory),
/// none is the input file, and no two are the same. `outputs` pairs each option with its path, if given.
pub(crate) fn check_outputs(input: &Path, outputs: &[(&str, Option<&PathBuf>)]) -> anyhow::Result<()> {
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let input = canonical(input);
    let mut seen: Vec<(&str, PathBuf)> = Vec::new();
    for (option, path) in outputs.iter().filter_map(|(o, p)| p.map(|p| (*o, p))) {
        if path.is_dir() {
            anyhow::bail!("{option} {}: is a directory, not a file", path.display());
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            anyhow::bail!("{option} {}: the directory {} does not exist", path.display(), dir.display());
        }
        let full = canonical(dir).join(path.file_name().unwrap_or_default());
        if full == input {
            anyhow::bail!("{option} {}: is the input file", path.display());
        }
        if let Some((other, _)) = seen.iter().find(|(_, p)| *p == full) {
            anyhow::bail!("{option} {}: is also given to {other}", path.display());
        }
        seen.push((option, full));
    }
    Ok(())
}

/// `--list-times` of a Tardis file: streamed, first/last time and rows per hour (a file has one row per quote
/// update, so every distinct time would be millions of lines).
fn list_tardis_times(path: &Path, input: Box<dyn std::io::Read + Send>) -> anyhow::Result<String> {
    let times = crate::io::tardis::list_times(input).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let (Some(first), Some(last)) = (times.first_ms, times.last_ms) else {
        anyhow::bail!("{}: no readable timestamp", path.display());
    };
    println!("first {}  last {}  rows {}", format_utc(first), format_utc(last), times.rows);
    for (hour, rows) in times.hours() {
        println!("{}  {rows} rows", format_utc(hour));
    }
    for p in &times.problems {
        eprintln!("warning: {}: {p}", path.display());
    }
    Ok(format!(
        "{}: any time from {} to {} can be picked with --at",
        path.display(),
        format_utc(first),
        format_utc(last)
    ))
}

/// `volscope quotes`.
pub fn run_quotes(args: &QuotesArgs) -> anyhow::Result<String> {
    let at_ms = match &args.at {
        Some(text) => Some(parse_iso(text).ok_or_else(|| anyhow::anyhow!("--at {text}: not an ISO 8601 time"))?),
        None => None,
    };
    check_outputs(&args.file, &[("--output", args.output.as_ref())])?;
    if args.list_times {
        if let (SourceFormat::TardisCsv, input) = open_detected(&args.file)? {
            return list_tardis_times(&args.file, input);
        }
    }
    let only = if args.list_times { None } else { args.underlying.clone() };
    let raw = load_path(&args.file, &LoadOptions { at_ms, underlying: only })?;
    if args.list_times {
        let times = snapshot_times(&raw.rows);
        println!("underlyings: {}", underlyings(&raw.rows).join(", "));
        match (raw.file_time_ms, times.is_empty()) {
            (Some(t), true) => println!("{}", format_utc(t)),
            _ => times.iter().for_each(|t| println!("{}", format_utc(*t))),
        }
        return Ok(raw.report.describe());
    }
    let options = BuildOptions {
        underlying: args.underlying.clone(),
        at_ms,
        day_count: match args.day_count {
            DayCountArg::Act365 => DayCount::Act365Fixed,
            DayCountArg::Act36525 => DayCount::Act36525,
        },
        usd_conversion: match args.usd_conversion {
            UsdArg::Forward => UsdConversion::Forward,
            UsdArg::Index => UsdConversion::Index,
        },
    };
    let snapshot = raw
        .snapshot(&options)
        .map_err(|e| anyhow::anyhow!("{}: {e}\n{}", args.file.display(), raw.report.describe()))?;
    match &args.output {
        Some(path) => {
            write_atomically(path, |w| chain_csv::write_chain_csv(&snapshot, w).map_err(std::io::Error::other))
                .with_context(|| format!("writing {}", path.display()))?
        }
        None => chain_csv::write_chain_csv(&snapshot, std::io::stdout().lock())?,
    }
    for w in &snapshot.warnings {
        eprintln!("warning: {w}");
    }
    let counts: Vec<String> = snapshot.status_counts().iter().map(|(s, n)| format!("{s} {n}")).collect();
    Ok(format!(
        "{}\n{} {} at {}: {} expiries, {} quotes ({})",
        raw.report.describe(),
        snapshot.underlying,
        snapshot.source,
        format_utc(snapshot.time_ms),
        snapshot.slices.len(),
        snapshot.quote_count(),
        counts.join(", ")
    ))
}

/// `volscope iv`: reads `input`, writes `output` atomically, prints field warnings to stderr.
pub fn run_iv(input: &Path, output: &Path) -> anyhow::Result<String> {
    check_outputs(input, &[("--output", Some(&output.to_path_buf()))])?;
    let file = std::fs::File::open(input).with_context(|| format!("cannot open {}", input.display()))?;
    let reader = std::io::BufReader::with_capacity(1 << 16, file);
    let summary = write_atomically(output, |w| -> anyhow::Result<_> {
        iv_csv::iv_batch(reader, w).map_err(|e| anyhow::anyhow!("{}: {e}", input.display()))
    })
    .with_context(|| format!("no output written to {}", output.display()))?;
    for warning in &summary.warnings {
        eprintln!("warning: {}: {warning}", input.display());
    }
    if summary.warning_count > summary.warnings.len() {
        eprintln!("warning: … and {} more", summary.warning_count - summary.warnings.len());
    }
    Ok(format!("{}: {} → {}", input.display(), summary.describe(), output.display()))
}
