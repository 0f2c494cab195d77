//! Volscope: implied-volatility smiles and surfaces for crypto options.
//!
//! The core (this library without the `gui` feature) holds the pricing, and grows to market data, models,
//! calibration and IO; it never depends on egui. The desktop app ([`gui`], feature `gui`) and the command
//! line ([`cli`]) are clients of it.

pub mod arbitrage;
pub mod calibrate;
pub mod cli;
pub mod continuous;
pub mod export;
#[doc(hidden)]
pub mod fuzz_targets;
pub mod io;
pub mod json_num;
pub mod market;
pub mod models;
pub mod numeric;
pub mod pricing;
pub mod sample;
pub mod session;
pub mod surface;

#[cfg(feature = "gui")]
pub mod gui;
