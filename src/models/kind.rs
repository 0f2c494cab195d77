//! Choosing a model by name and building it for a slice.

use serde::{Deserialize, Serialize};

use super::{Sabr, SliceInputs, SmileModel, Svi, SviJw};
use crate::market::ExpirySlice;

/// The per-expiry smile models a user can pick.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case", tag = "model")]
pub enum ModelKind {
    /// Raw SVI (a, b, rho, m, sigma).
    #[default]
    Svi,
    /// SVI jump-wings (v, psi, p, c, v_tilde).
    SviJw,
    /// SABR (alpha, beta, rho, nu); β fixed at `beta` when given (default 1).
    Sabr {
        /// Fixed β, or None to fit it.
        #[serde(default, with = "crate::json_num")]
        beta: Option<f64>,
    },
}

impl ModelKind {
    /// Parses `svi`, `svi-jw`, `sabr` (β fixed at 1); `sabr-free-beta` fits β too.
    pub fn parse(name: &str) -> Option<ModelKind> {
        match name.trim().to_ascii_lowercase().as_str() {
            "svi" | "raw-svi" => Some(ModelKind::Svi),
            "svi-jw" | "svijw" | "jw" => Some(ModelKind::SviJw),
            "sabr" => Some(ModelKind::Sabr { beta: Some(1.0) }),
            "sabr-free-beta" => Some(ModelKind::Sabr { beta: None }),
            _ => None,
        }
    }

    /// The model for one slice.
    pub fn for_slice(self, slice: &ExpirySlice) -> Box<dyn SmileModel> {
        self.for_inputs(SliceInputs { t_years: slice.t_years, forward: slice.forward })
    }

    /// The model for a slice's T and forward.
    pub fn for_inputs(self, inputs: SliceInputs) -> Box<dyn SmileModel> {
        let SliceInputs { t_years, forward } = inputs;
        match self {
            ModelKind::Svi => Box::new(Svi),
            ModelKind::SviJw => Box::new(SviJw::new(t_years)),
            ModelKind::Sabr { beta: Some(b) } => Box::new(Sabr::new(t_years, forward).with_fixed_beta(b)),
            ModelKind::Sabr { beta: None } => Box::new(Sabr::new(t_years, forward)),
        }
    }

    /// The model on a nominal slice (T = 1 y, F = 1), for what does not depend on the slice: parameter names,
    /// their limits, a configuration check before any file is read.
    pub fn nominal(self) -> Box<dyn SmileModel> {
        self.for_inputs(SliceInputs { t_years: 1.0, forward: 1.0 })
    }

    /// Name as accepted by [`ModelKind::parse`].
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Svi => "svi",
            ModelKind::SviJw => "svi-jw",
            ModelKind::Sabr { beta: Some(_) } => "sabr",
            ModelKind::Sabr { beta: None } => "sabr-free-beta",
        }
    }
}
