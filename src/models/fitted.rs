//! A fitted smile as a value (in the spirit of QuantLib's `SmileSection`): the model, its parameters and the
//! slice inputs (T, forward) they belong to, checked once when it is made. Read-outs take a `FittedSmile`
//! instead of rebuilding a model from a kind and re-checking a parameter vector at every site.

use std::sync::Arc;

use super::{ModelKind, SliceInputs, SmileModel};

/// Why parameters do not make a smile.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SmileError {
    /// The parameter vector does not fit the model.
    #[error("{model} takes {expected} parameters, not {given}")]
    WrongLength {
        /// The model's name.
        model: &'static str,
        /// Parameters it takes.
        expected: usize,
        /// Parameters given.
        given: usize,
    },
    /// The expiry has passed, or T is not a number.
    #[error("T = {0} years: no smile for an expiry that has passed")]
    NotLive(f64),
    /// The forward is not a positive number.
    #[error("forward {0} is not a positive number")]
    BadForward(f64),
}

/// A model with its parameters on one expiry slice: cheap to clone, checked once.
#[derive(Clone)]
pub struct FittedSmile {
    kind: ModelKind,
    model: Arc<dyn SmileModel>,
    params: Vec<f64>,
    inputs: SliceInputs,
}

impl std::fmt::Debug for FittedSmile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FittedSmile")
            .field("kind", &self.kind)
            .field("params", &self.params)
            .field("inputs", &self.inputs)
            .finish()
    }
}

impl FittedSmile {
    /// The smile of `kind` with `params` on a slice of `inputs`: T must be positive and finite, the forward
    /// positive and finite, and `params` as long as the model's parameter list. (Parameters outside the
    /// model's domain still make a smile: it gives NaN where it has no vol, as the model does.)
    pub fn new(kind: ModelKind, inputs: SliceInputs, params: Vec<f64>) -> Result<FittedSmile, SmileError> {
        if !(inputs.t_years > 0.0 && inputs.t_years.is_finite()) {
            return Err(SmileError::NotLive(inputs.t_years));
        }
        if !(inputs.forward > 0.0 && inputs.forward.is_finite()) {
            return Err(SmileError::BadForward(inputs.forward));
        }
        let model: Arc<dyn SmileModel> = Arc::from(kind.for_inputs(inputs));
        let expected = model.param_names().len();
        if params.len() != expected {
            return Err(SmileError::WrongLength { model: model.name(), expected, given: params.len() });
        }
        Ok(FittedSmile { kind, model, params, inputs })
    }

    /// The model kind.
    pub fn kind(&self) -> ModelKind {
        self.kind
    }

    /// The model on this slice.
    pub fn model(&self) -> &dyn SmileModel {
        self.model.as_ref()
    }

    /// The parameters, in the model's order.
    pub fn params(&self) -> &[f64] {
        &self.params
    }

    /// Time to expiry, years.
    pub fn t_years(&self) -> f64 {
        self.inputs.t_years
    }

    /// Forward of the slice.
    pub fn forward(&self) -> f64 {
        self.inputs.forward
    }

    /// Total implied variance w(k); NaN where the model gives none.
    pub fn total_variance(&self, k: f64) -> f64 {
        self.model.total_variance(&self.params, k)
    }

    /// Implied vol σ(k) (decimal); NaN where the model gives no positive variance.
    pub fn implied_vol(&self, k: f64) -> f64 {
        self.model.implied_vol(&self.params, k, self.inputs.t_years)
    }

    /// The slice inputs (T, forward).
    pub fn inputs(&self) -> SliceInputs {
        self.inputs
    }

    /// The same model on the same slice with other parameters (checked like [`FittedSmile::new`]).
    pub fn with_params(&self, params: Vec<f64>) -> Result<FittedSmile, SmileError> {
        FittedSmile::new(self.kind, self.inputs, params)
    }

    /// This smile moved by hand through vol `to_vol` (decimal) at `k` ([`super::Drag::set_vol_at`]), or
    /// `None` when the model cannot be dragged or the move leaves its domain.
    pub fn dragged_to(&self, k: f64, to_vol: f64) -> Option<FittedSmile> {
        let moved = super::drag::set_vol_at(self.kind, self.model(), &self.params, self.inputs.t_years, k, to_vol)?;
        self.with_params(moved).ok()
    }

    /// This smile shifted by `dk` along k ([`super::Drag::shift_k`]), or `None` when the model cannot move so.
    pub fn shifted(&self, dk: f64) -> Option<FittedSmile> {
        self.with_params(super::drag::shift_k(self.kind, &self.params, self.inputs.t_years, dk)?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_smile_is_checked_once_and_reads_like_its_model() {
        let inputs = SliceInputs { t_years: 0.25, forward: 70_000.0 };
        let p = vec![0.01, 0.1, -0.3, 0.0, 0.2];
        let smile = FittedSmile::new(ModelKind::Svi, inputs, p.clone()).unwrap();
        assert_eq!(smile.total_variance(0.1), super::super::Svi.total_variance(&p, 0.1));
        assert_eq!(smile.implied_vol(0.0), (smile.total_variance(0.0) / 0.25).sqrt());
        let short = FittedSmile::new(ModelKind::Svi, inputs, vec![0.1, 0.2]).unwrap_err();
        assert_eq!(short.to_string(), "svi takes 5 parameters, not 2");
        let expired = SliceInputs { t_years: 0.0, ..inputs };
        assert!(matches!(FittedSmile::new(ModelKind::Svi, expired, p), Err(SmileError::NotLive(_))));
    }
}
