//! Command-line interface: argument definitions and the headless commands.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::io::{iv_csv, write_atomically};

/// Volscope: implied-volatility smiles and surfaces for crypto options.
///
/// With no command, opens the desktop app (when built with the `gui` feature).
#[derive(Debug, Parser)]
#[command(name = "volscope", version, about, long_about = None)]
pub struct Cli {
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
}

/// Runs a headless command; returns a line for stderr describing what was done.
pub fn run(command: &Command) -> anyhow::Result<String> {
    match command {
        Command::Iv { input, output } => run_iv(input, output),
    }
}

/// `volscope iv`: reads `input`, writes `output` atomically, prints field warnings to stderr.
pub fn run_iv(input: &Path, output: &Path) -> anyhow::Result<String> {
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
