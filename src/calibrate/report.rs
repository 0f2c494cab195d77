//! What a slice fit reports: parameters, status, fit statistics, residuals per quote, arbitrage checks.

use serde::{Deserialize, Serialize};

pub use crate::arbitrage::ButterflySummary;
use crate::market::QuoteStatus;
use crate::pricing::OptionKind;

/// How a slice fit ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FitStatus {
    /// Converged (a tolerance was met).
    Converged,
    /// Stopped at the iteration limit; the parameters are the best found.
    MaxIterations,
    /// Converged with at least one free parameter on a bound.
    AtBound {
        /// Names of the parameters on a bound.
        params: Vec<String>,
    },
    /// Parameters set by hand (the GUI's manual mode), evaluated without a solve.
    Manual,
    /// A surface slice whose ATM total variance the surface raised above the market's, to stay free of calendar
    /// arbitrage (the market's was below the previous expiry's): by how much, in vol points at the money.
    ProjectedAtm {
        /// Fitted ATM vol minus the market's, vol points.
        #[serde(with = "crate::json_num")]
        moved_vol_pts: f64,
    },
    /// A surface slice on fewer usable quotes than the model has parameters per expiry: its shape from the
    /// neighbouring expiries, its level through its quote nearest the money.
    NeighbourShape,
    /// A surface slice with no usable quote: interpolated between the neighbouring expiries.
    Interpolated,
    /// No usable fit; the reason, and no parameters are trusted.
    Failed {
        /// Why (too few quotes, bad bounds, degenerate result, solver failure, …).
        reason: String,
    },
}

impl FitStatus {
    /// `converged`, `max_iterations`, `at_bound`, `manual`, `projected_atm`, `neighbour_shape`, `interpolated`,
    /// `failed`.
    pub fn label(&self) -> &'static str {
        match self {
            FitStatus::Converged => "converged",
            FitStatus::MaxIterations => "max_iterations",
            FitStatus::AtBound { .. } => "at_bound",
            FitStatus::Manual => "manual",
            FitStatus::ProjectedAtm { .. } => "projected_atm",
            FitStatus::NeighbourShape => "neighbour_shape",
            FitStatus::Interpolated => "interpolated",
            FitStatus::Failed { .. } => "failed",
        }
    }

    /// `true` when the curve is not the expiry's own fit but placed by a surface from its neighbours
    /// ([`FitStatus::NeighbourShape`], [`FitStatus::Interpolated`]): drawn distinctly.
    pub fn is_surface_fill(&self) -> bool {
        matches!(self, FitStatus::NeighbourShape | FitStatus::Interpolated)
    }

    /// `true` unless the fit failed.
    pub fn is_usable(&self) -> bool {
        !matches!(self, FitStatus::Failed { .. })
    }
}

/// Why a quote did or did not take part in a fit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteUse {
    /// In the fit.
    Used,
    /// Left out, and why.
    Excluded(Exclusion),
}

/// Why a quote was left out of a fit. Written (fit.json, res.csv, sessions) as the text of its `Display`
/// (`status no_bid`, `in the money`, `excluded by user`, …), and read back from it.
#[derive(Clone, Debug, PartialEq)]
pub enum Exclusion {
    /// Its status is not `ok` (`status no_bid`).
    Status(QuoteStatus),
    /// In the money while the fit takes out-of-the-money quotes only (`in the money`).
    InTheMoney,
    /// No mid implied vol (`no mid IV`).
    NoMidIv,
    /// The user excluded it (`excluded by user`).
    User,
    /// Outside the configuration's k range (`outside k range`).
    OutsideKRange,
    /// No delta while a |delta| range is set (`no delta (|delta| range set)`).
    NoDelta,
    /// Outside the configuration's |delta| range (`outside |delta| range`).
    OutsideDeltaRange,
    /// Its bid/ask vol spread is this multiple of the slice's median (`bid/ask vol spread 7.2× the median`).
    WideSpread {
        /// Spread over the median spread, to one decimal.
        multiple: f64,
    },
    /// A reason this version does not know (read from a file written by another).
    Other(String),
}

impl Exclusion {
    /// `true` when the fit's quote filters left it out (k or |delta| range, spread, no mid vol), as opposed to
    /// the user, the quote's status or the out-of-the-money selection.
    pub fn is_filter(&self) -> bool {
        !matches!(self, Exclusion::User | Exclusion::InTheMoney | Exclusion::Status(_))
    }
}

impl std::fmt::Display for Exclusion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exclusion::Status(s) => write!(f, "status {s}"),
            Exclusion::InTheMoney => f.write_str("in the money"),
            Exclusion::NoMidIv => f.write_str("no mid IV"),
            Exclusion::User => f.write_str("excluded by user"),
            Exclusion::OutsideKRange => f.write_str("outside k range"),
            Exclusion::NoDelta => f.write_str("no delta (|delta| range set)"),
            Exclusion::OutsideDeltaRange => f.write_str("outside |delta| range"),
            Exclusion::WideSpread { multiple } => write!(f, "bid/ask vol spread {multiple:.1}× the median"),
            Exclusion::Other(text) => f.write_str(text),
        }
    }
}

impl From<&str> for Exclusion {
    /// Reads the text [`Exclusion`]'s `Display` writes (unknown text is kept as [`Exclusion::Other`]).
    fn from(text: &str) -> Exclusion {
        let fixed = [
            Exclusion::InTheMoney,
            Exclusion::NoMidIv,
            Exclusion::User,
            Exclusion::OutsideKRange,
            Exclusion::NoDelta,
            Exclusion::OutsideDeltaRange,
        ];
        if let Some(e) = fixed.into_iter().find(|e| e.to_string() == text) {
            return e;
        }
        if let Some(status) = text.strip_prefix("status ").and_then(QuoteStatus::parse) {
            return Exclusion::Status(status);
        }
        let multiple = text
            .strip_prefix("bid/ask vol spread ")
            .and_then(|rest| rest.strip_suffix("× the median"))
            .and_then(|m| m.parse::<f64>().ok());
        match multiple {
            Some(multiple) => Exclusion::WideSpread { multiple },
            None => Exclusion::Other(text.to_owned()),
        }
    }
}

impl Serialize for Exclusion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Exclusion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Ok(Exclusion::from(text.as_str()))
    }
}

/// One quote's residual after a fit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuoteResidual {
    /// Instrument name.
    pub instrument: String,
    /// Strike.
    #[serde(with = "crate::json_num")]
    pub strike: f64,
    /// Log-moneyness k = ln(K/F).
    #[serde(with = "crate::json_num")]
    pub k: f64,
    /// Call or put (written `call` / `put`).
    pub kind: OptionKind,
    /// Market bid / ask / mid implied vols (decimals), when they exist.
    #[serde(default, with = "crate::json_num")]
    pub bid_iv: Option<f64>,
    /// Ask IV.
    #[serde(default, with = "crate::json_num")]
    pub ask_iv: Option<f64>,
    /// Mid IV.
    #[serde(default, with = "crate::json_num")]
    pub mid_iv: Option<f64>,
    /// Model IV at k.
    #[serde(default, with = "crate::json_num")]
    pub model_iv: Option<f64>,
    /// (model − mid) in vol points.
    #[serde(default, with = "crate::json_num")]
    pub residual_vol_pts: Option<f64>,
    /// (model − mid) / (ask − bid) in vol terms: spread units.
    #[serde(default, with = "crate::json_num")]
    pub residual_spread_units: Option<f64>,
    /// Whether the model IV lies within [bid IV, ask IV] (two-sided quotes only).
    pub inside_spread: Option<bool>,
    /// Used in the fit, or why not.
    pub used: QuoteUse,
}

/// The report of one slice fit (the per-slice object of fit.json).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SliceFitReport {
    /// Expiry, ISO 8601 UTC.
    pub expiry: String,
    /// Expiry instant, UTC ms.
    pub expiry_ms: i64,
    /// Time to expiry, years.
    #[serde(with = "crate::json_num")]
    pub t_years: f64,
    /// Forward.
    #[serde(with = "crate::json_num")]
    pub forward: f64,
    /// Model name (`svi`, `svi-jw`, `sabr`).
    pub model: String,
    /// How the fit ended.
    pub status: FitStatus,
    /// Parameter names, in order.
    pub param_names: Vec<String>,
    /// Fitted parameters, in order (the last good ones for a failed fit with a warm start; empty otherwise).
    #[serde(with = "crate::json_num")]
    pub params: Vec<f64>,
    /// RMSE in vol points of model vs mid IV over the used quotes.
    #[serde(with = "crate::json_num")]
    pub rmse_vol_pts: f64,
    /// Max |model − mid| in vol points over the used quotes.
    #[serde(with = "crate::json_num")]
    pub max_abs_err_vol_pts: f64,
    /// Share of two-sided OTM quotes (used or not) whose model IV lies inside [bid IV, ask IV].
    #[serde(with = "crate::json_num")]
    pub inside_spread_share: f64,
    /// Mean (model − mid)/(ask − bid) over the used quotes.
    #[serde(with = "crate::json_num")]
    pub mean_err_spread_units: f64,
    /// Quotes used in the fit.
    pub n_quotes: usize,
    /// Solver iterations.
    pub iterations: usize,
    /// Model evaluations (residual vectors).
    pub function_evals: usize,
    /// Wall time of the fit, µs.
    #[serde(with = "crate::json_num")]
    pub fit_time_us: f64,
    /// Butterfly check on the fitted smile.
    pub butterfly: ButterflySummary,
    /// Per-quote residuals (all quotes of the slice).
    pub residuals: Vec<QuoteResidual>,
    /// Notes (start used, warnings such as a degenerate ATM level), for the user.
    pub notes: Vec<String>,
}

impl SliceFitReport {
    /// The fitted smile of this report under `kind`, when the fit is usable (not failed, with parameters of the
    /// model's length, on a live slice).
    pub fn smile(&self, kind: crate::models::ModelKind) -> Option<crate::models::FittedSmile> {
        if !self.status.is_usable() || self.params.is_empty() {
            return None;
        }
        let inputs = crate::models::SliceInputs { t_years: self.t_years, forward: self.forward };
        crate::models::FittedSmile::new(kind, inputs, self.params.clone()).ok()
    }
}
