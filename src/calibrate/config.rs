//! Fit configuration: objective, weights, quote selection and filters, bounds and fixed parameters, solver.
//!
//! [`FitConfig`] is what a user writes (serde, every field defaulted); [`FitConfig::validate`] checks it
//! against one model and resolves parameter names into per-index bounds and fixed values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::models::SmileModel;

/// What the residuals measure.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Model IV − mid IV (decimals).
    #[default]
    Vol,
    /// Model price − mid price, undiscounted and divided by the forward (coin units for inverse options).
    Price,
}

/// Weight of each residual (`FitConfig`'s default is `Spread`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weighting {
    /// All quotes alike (the reference objective of scipy and QuantLib).
    Equal,
    /// Black vega at the mid vol (normalised so that the largest is 1).
    Vega,
    /// Inverse bid/ask vol spread (normalised so that the median is 1).
    #[default]
    Spread,
}

/// Which quotes enter the fit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteSelection {
    /// Out-of-the-money quotes (puts below the forward, calls at or above) with status `ok`.
    #[default]
    OtmOnly,
    /// Every quote with status `ok` (calls and puts of a strike both enter).
    TwoSidedAll,
}

/// Loss applied to each residual, measured in bid/ask spread units z = (model − mid) / (ask − bid) (the
/// threshold `loss_scale` is in those units; quotes without a spread keep the plain square).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// Plain least squares.
    Linear,
    /// Huber: quadratic for |z| ≤ scale, linear beyond (a few stale quotes cannot bend the curve much).
    Huber,
    /// Soft-L1: 2·(√(1 + (z/scale)²) − 1), smooth everywhere, linear far out.
    SoftL1,
    /// Huber with spread weights, plain least squares with other weights (whose residuals are not measured
    /// against the spreads).
    #[default]
    Auto,
}

/// Least-squares solver.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Solver {
    /// Levenberg–Marquardt with box bounds (projection) and the analytic Jacobian.
    #[default]
    Lm,
    /// Projected L-BFGS (quasi-Newton, bounds by gradient projection) on the same cost and starts.
    Lbfgs,
}

/// A slice fit's configuration. Every field has a default, so `{}` is a valid configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FitConfig {
    /// Residual measure.
    pub objective: Objective,
    /// Residual weights.
    pub weights: Weighting,
    /// Quote selection.
    pub selection: QuoteSelection,
    /// Keep only quotes with k = ln(K/F) in [lo, hi].
    #[serde(with = "crate::json_num")]
    pub k_range: Option<(f64, f64)>,
    /// Keep only quotes with |Black delta| in [lo, hi] (quotes without a delta are excluded when set).
    #[serde(with = "crate::json_num")]
    pub abs_delta_range: Option<(f64, f64)>,
    /// Instruments the user excluded (exact names).
    pub excluded_instruments: Vec<String>,
    /// Exclude quotes whose bid/ask vol spread exceeds this multiple of the median spread of the candidates
    /// (stale, very wide wing quotes). `None` = no such filter; default 5 (each exclusion is reported with its
    /// multiple, and the inside-spread share still counts the excluded quotes).
    #[serde(with = "crate::json_num")]
    pub max_spread_multiple: Option<f64>,
    /// Loss on the residuals (in spread units).
    pub loss: Loss,
    /// Threshold of the robust loss in spread units (0.5 = the model at the bid or the ask).
    #[serde(with = "crate::json_num")]
    pub loss_scale: f64,
    /// Bounds per parameter name, overriding the model's defaults.
    #[serde(with = "crate::json_num")]
    pub bounds: BTreeMap<String, (f64, f64)>,
    /// Fixed parameters (name → value), removed from the problem.
    #[serde(with = "crate::json_num")]
    pub fixed: BTreeMap<String, f64>,
    /// Solver.
    pub solver: Solver,
    /// Penalise butterfly arbitrage (Durrleman's g(k) < 0) on a grid during the fit.
    pub no_arbitrage: bool,
    /// Solver iteration limit.
    pub max_iterations: usize,
    /// Degenerate-fit check: the fitted ATM vol must lie within this factor of the market's ATM mid vol.
    #[serde(with = "crate::json_num")]
    pub atm_vol_factor: f64,
}

impl Default for FitConfig {
    fn default() -> Self {
        FitConfig {
            objective: Objective::Vol,
            weights: Weighting::Spread,
            selection: QuoteSelection::OtmOnly,
            k_range: None,
            abs_delta_range: None,
            excluded_instruments: Vec::new(),
            max_spread_multiple: Some(5.0),
            loss: Loss::Auto,
            loss_scale: 0.5,
            bounds: BTreeMap::new(),
            fixed: BTreeMap::new(),
            solver: Solver::Lm,
            no_arbitrage: false,
            max_iterations: 500,
            atm_vol_factor: 1.5,
        }
    }
}

/// A configuration checked against one model: per-index bounds and fixed values.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedConfig {
    /// The configuration it came from.
    pub config: FitConfig,
    /// (lower, upper) per parameter, in the model's order (a fixed parameter's bounds are kept as checked).
    pub bounds: Vec<(f64, f64)>,
    /// Fixed value per parameter, `None` for free ones.
    pub fixed: Vec<Option<f64>>,
}

impl ResolvedConfig {
    /// Indices of the free parameters.
    pub fn free_indices(&self) -> Vec<usize> {
        (0..self.fixed.len()).filter(|&i| self.fixed[i].is_none()).collect()
    }
}

fn check_range(what: &str, range: Option<(f64, f64)>) -> Result<(), String> {
    match range {
        Some((lo, hi)) if lo.is_nan() || hi.is_nan() => Err(format!("{what}: a bound is NaN")),
        Some((lo, hi)) if lo > hi => Err(format!("{what}: lower {lo} > upper {hi}")),
        _ => Ok(()),
    }
}

impl FitConfig {
    /// The loss actually used ([`Loss::Auto`] resolved against the weighting).
    pub fn effective_loss(&self) -> Loss {
        match (self.loss, self.weights) {
            (Loss::Auto, Weighting::Spread) => Loss::Huber,
            (Loss::Auto, _) => Loss::Linear,
            (other, _) => other,
        }
    }

    /// Checks what does not depend on the slice, against `model`'s parameters: every name is the model's;
    /// bounds are not NaN, lower ≤ upper, and meet the model's limits ([`SmileModel::param_limits`], e.g.
    /// ρ ∈ [−1, 1]); fixed values are finite and within those limits; the k and |delta| ranges are ordered
    /// (the |delta| range meets [0, 1]); the iteration limit is at least 1; the factors are positive. The CLI
    /// runs it before reading the quote file, so a bad configuration is an error, never a run of failed fits.
    pub fn check(&self, model: &dyn SmileModel) -> Result<(), String> {
        let names = model.param_names();
        let limits = model.param_limits();
        for (name, &(lo, hi)) in &self.bounds {
            let i = param_index(model, name)?;
            let (min, max) = limits[i];
            if lo.is_nan() || hi.is_nan() {
                return Err(format!("bounds of `{name}`: a bound is NaN"));
            }
            if lo > hi {
                return Err(format!("bounds of `{name}`: lower {lo} > upper {hi}"));
            }
            if hi < min || lo > max {
                return Err(format!("bounds of `{name}` [{lo}, {hi}] lie outside its range [{min}, {max}]"));
            }
        }
        for (name, &value) in &self.fixed {
            let i = param_index(model, name)?;
            let (min, max) = limits[i];
            if !value.is_finite() {
                return Err(format!("fixed `{name}` = {value} is not finite"));
            }
            if value < min || value > max {
                return Err(format!("fixed `{name}` = {value} lies outside its range [{min}, {max}]"));
            }
        }
        debug_assert_eq!(names.len(), limits.len());
        check_range("k range", self.k_range)?;
        check_range("|delta| range", self.abs_delta_range)?;
        if let Some((lo, hi)) = self.abs_delta_range.filter(|&(lo, hi)| hi < 0.0 || lo > 1.0) {
            return Err(format!("|delta| range [{lo}, {hi}] does not meet [0, 1]"));
        }
        if self.max_iterations == 0 {
            return Err("max_iterations must be at least 1".to_owned());
        }
        if !(self.atm_vol_factor > 1.0) {
            return Err(format!("atm_vol_factor = {} must be > 1", self.atm_vol_factor));
        }
        if !(self.loss_scale > 0.0 && self.loss_scale.is_finite()) {
            return Err(format!("loss_scale = {} must be > 0 and finite", self.loss_scale));
        }
        if let Some(m) = self.max_spread_multiple {
            if !(m > 0.0) {
                return Err(format!("max_spread_multiple = {m} must be > 0"));
            }
        }
        Ok(())
    }

    /// Checks the configuration against `model` (see [`FitConfig::check`]) and resolves names into indices:
    /// the user's bounds replace the slice's defaults (clipped to the model's limits), and a fixed value must
    /// lie within its slice's bounds.
    pub fn validate(&self, model: &dyn SmileModel) -> Result<ResolvedConfig, String> {
        self.check(model)?;
        let names = model.param_names();
        let mut bounds = model.default_bounds();
        if bounds.len() != names.len() {
            return Err(format!("model {} gives {} bounds for {} parameters", model.name(), bounds.len(), names.len()));
        }
        let limits = model.param_limits();
        for (name, &(lo, hi)) in &self.bounds {
            let i = param_index(model, name)?;
            bounds[i] = (lo.max(limits[i].0), hi.min(limits[i].1));
        }
        let mut fixed = vec![None; names.len()];
        for (name, &value) in &self.fixed {
            let i = param_index(model, name)?;
            let (lo, hi) = bounds[i];
            if value < lo || value > hi {
                return Err(format!("fixed `{name}` = {value} lies outside its bounds [{lo}, {hi}]"));
            }
            fixed[i] = Some(value);
        }
        Ok(ResolvedConfig { config: self.clone(), bounds, fixed })
    }
}

/// Index of parameter `name` in `model`, or an error listing the model's parameters.
fn param_index(model: &dyn SmileModel, name: &str) -> Result<usize, String> {
    let names = model.param_names();
    names.iter().position(|n| *n == name).ok_or_else(|| {
        format!("unknown parameter `{name}` for model {} (parameters: {})", model.name(), names.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::Svi;

    #[test]
    fn defaults_validate_and_parse_from_empty_json() {
        let config: FitConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(config, FitConfig::default());
        let resolved = config.validate(&Svi).unwrap();
        assert_eq!(resolved.free_indices(), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn errors_are_clear() {
        let mut c = FitConfig::default();
        c.bounds.insert("beta".into(), (0.0, 1.0));
        assert!(c.validate(&Svi).unwrap_err().contains("unknown parameter `beta`"));
        let mut c = FitConfig::default();
        c.bounds.insert("b".into(), (1.0, 0.5));
        assert!(c.validate(&Svi).unwrap_err().contains("lower 1 > upper 0.5"));
        let mut c = FitConfig::default();
        c.bounds.insert("m".into(), (f64::NAN, 0.5));
        assert!(c.validate(&Svi).unwrap_err().contains("NaN"));
        let mut c = FitConfig::default();
        c.fixed.insert("rho".into(), 1.5);
        assert!(c.check(&Svi).unwrap_err().contains("fixed `rho` = 1.5 lies outside its range [-1, 1]"));
        let mut c = FitConfig::default();
        c.fixed.insert("rho".into(), 0.9995);
        assert!(c.validate(&Svi).unwrap_err().contains("outside its bounds [-0.999, 0.999]"), "the slice's bounds");
        let mut c = FitConfig::default();
        c.bounds.insert("rho".into(), (2.0, 3.0));
        assert!(c.check(&Svi).unwrap_err().contains("outside its range"));
        let mut c = FitConfig::default();
        c.bounds.insert("rho".into(), (-5.0, 5.0));
        assert_eq!(c.validate(&Svi).unwrap().bounds[2], (-1.0, 1.0), "clipped to the model's range");
        let mut c = FitConfig::default();
        c.fixed.insert("a".into(), f64::NAN);
        assert!(c.check(&Svi).unwrap_err().contains("not finite"));
        let c = FitConfig { max_iterations: 0, ..FitConfig::default() };
        assert!(c.check(&Svi).unwrap_err().contains("max_iterations"));
        let c = FitConfig { abs_delta_range: Some((1.5, 2.0)), ..FitConfig::default() };
        assert!(c.check(&Svi).unwrap_err().contains("[0, 1]"));
        let mut c = FitConfig::default();
        c.fixed.insert("rho".into(), -0.5);
        let r = c.validate(&Svi).unwrap();
        assert_eq!(r.free_indices(), vec![0, 1, 3, 4]);
        assert_eq!(r.fixed[2], Some(-0.5));
    }
}
