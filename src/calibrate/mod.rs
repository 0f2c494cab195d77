//! Calibration of smile models to one expiry slice at a time: configuration (bounds, fixed parameters,
//! weights, quote selection, solver), the solver, robust starts, and the fit report.

pub mod report;

pub use report::{ButterflySummary, FitStatus, QuoteResidual, QuoteUse, SliceFitReport};
