//! Choosing a model by name and building it for a slice.

use serde::{Deserialize, Serialize};

use super::{Essvi, Sabr, SliceInputs, SmileModel, Ssvi, SurfaceModel, Svi, SviJw};
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
    /// SSVI with a power-law φ: one surface over every expiry (global ρ, η, γ and θ per expiry), whose slices
    /// are raw SVI.
    Ssvi,
    /// eSSVI: one surface over every expiry with θ, ρ and ψ per expiry (Hendriks–Martini), arbitrage-free by
    /// construction; its slices are raw SVI.
    Essvi,
}

impl ModelKind {
    /// Every model a user can pick, in the order menus list them (β fixed at 1 and free for SABR).
    pub const ALL: [ModelKind; 6] = [
        ModelKind::Svi,
        ModelKind::SviJw,
        ModelKind::Sabr { beta: Some(1.0) },
        ModelKind::Sabr { beta: None },
        ModelKind::Ssvi,
        ModelKind::Essvi,
    ];

    /// The label menus show.
    pub fn label(self) -> &'static str {
        // A new variant fails to compile here: add it to `ALL` too.
        match self {
            ModelKind::Svi => "SVI",
            ModelKind::SviJw => "SVI-JW",
            ModelKind::Sabr { beta: Some(_) } => "SABR (beta 1)",
            ModelKind::Sabr { beta: None } => "SABR (free beta)",
            ModelKind::Ssvi => "SSVI (surface)",
            ModelKind::Essvi => "eSSVI (surface)",
        }
    }

    /// Parses `svi`, `svi-jw`, `sabr` (β fixed at 1), `ssvi`, `essvi`; `sabr-free-beta` fits β too.
    pub fn parse(name: &str) -> Option<ModelKind> {
        match name.trim().to_ascii_lowercase().as_str() {
            "svi" | "raw-svi" => Some(ModelKind::Svi),
            "svi-jw" | "svijw" | "jw" => Some(ModelKind::SviJw),
            "sabr" => Some(ModelKind::Sabr { beta: Some(1.0) }),
            "sabr-free-beta" => Some(ModelKind::Sabr { beta: None }),
            "ssvi" => Some(ModelKind::Ssvi),
            "essvi" => Some(ModelKind::Essvi),
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
            ModelKind::Svi | ModelKind::Ssvi | ModelKind::Essvi => Box::new(Svi),
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
            ModelKind::Ssvi => "ssvi",
            ModelKind::Essvi => "essvi",
        }
    }

    /// The surface model, for kinds fitted to every expiry at once (`None` for per-expiry smile models).
    pub fn surface(self) -> Option<Box<dyn SurfaceModel>> {
        match self {
            ModelKind::Ssvi => Some(Box::new(Ssvi)),
            ModelKind::Essvi => Some(Box::new(Essvi)),
            _ => None,
        }
    }
}
