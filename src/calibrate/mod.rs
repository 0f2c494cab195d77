//! Calibration of smile models to one expiry slice at a time: configuration (bounds, fixed parameters,
//! weights, quote selection, solver), the solver, robust starts, and the fit report.

pub mod report;

pub use report::{ButterflySummary, Exclusion, FitStatus, QuoteResidual, QuoteUse, SliceFitReport};

mod chain_start;
pub mod config;
pub mod error;
pub mod fit;
pub mod lbfgs;
pub mod lm;
mod problem;
pub mod surface_fit;

/// The starts moved to the models they belong to; the old paths stay.
pub use crate::models::{sabr_start, svi_start};
pub use config::{FitConfig, Loss, Objective, QuoteSelection, ResolvedConfig, Solver, Weighting};
pub use error::FitError;
pub use fit::{evaluate_slice, fit_slice, fit_snapshot};
pub use surface_fit::{fit_surface, fit_surface_slices, is_live, SurfaceFit};
