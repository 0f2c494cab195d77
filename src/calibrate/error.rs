//! Why a fit has no usable result, as a value: the report's `status_reason` is its text (the same strings
//! fit.json always had), and code can match on the kind.

/// Why a slice (or surface) fit failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FitError {
    /// The expiry has passed (T ≤ 0 or not a number).
    #[error("expired")]
    Expired,
    /// The slice's forward is not a positive number.
    #[error("bad forward {0}")]
    BadForward(f64),
    /// The configuration does not fit the model (bounds, fixed values, limits).
    #[error("bad configuration: {0}")]
    BadConfiguration(String),
    /// Quotes exist, but each has only a bid or an ask.
    #[error("one-sided slice: no two-sided quote ({one_sided} of {total} quotes have only a bid or an ask)")]
    OneSided {
        /// Quotes with one side only.
        one_sided: usize,
        /// All quotes of the slice.
        total: usize,
    },
    /// No quote has both sides.
    #[error("no two-sided quote among {0} quotes")]
    NoTwoSided(usize),
    /// Fewer used quotes than the free parameters need.
    #[error("too few quotes: {used} used, need at least {needed} for {} free parameters", needed - 1)]
    TooFewQuotes {
        /// Quotes the selection kept.
        used: usize,
        /// Quotes needed (free parameters + 1).
        needed: usize,
    },
    /// No start lies inside the model's domain.
    #[error("no starting point inside the model's domain")]
    NoStart,
    /// The solver gave up (its reason).
    #[error("solver failed: {0}")]
    Solver(String),
    /// The best fit is a shape no trader would accept (the text says which).
    #[error("{0}")]
    Degenerate(String),
}
