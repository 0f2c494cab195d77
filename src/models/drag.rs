//! Moving a fitted smile by hand (the GUI's curve drag in manual mode): a vertical drag sets the vol at one
//! k, a horizontal drag (raw SVI and SVI-JW) shifts the smile along k. Each model moves the way its
//! parameters allow:
//!
//! - raw SVI: the level `a` takes the total-variance change at k (exact: the vol at k becomes the target);
//!   `m` moves along k;
//! - SVI-JW: mapped to raw SVI, moved there, and mapped back (same result as raw SVI);
//! - SABR: α is scaled by target / current vol at k (exact at the money for β = 1, close elsewhere).

use super::capabilities::vol_at;
use super::svi::SviParams;
use super::svi_jw::{jw_to_raw, raw_to_jw, JwParams};
use super::{Drag, ModelKind, Sabr, SliceInputs, SmileModel, Svi, SviJw};

/// Parameters of `model` (of kind `kind`, built for the slice) whose smile has vol `to_vol` (decimal) at
/// log-moneyness `k`, from `params` (expiry `t_years`), or `None` when the move leaves the model's domain, the
/// model cannot be dragged, or the inputs are not usable.
pub fn set_vol_at(
    _kind: ModelKind,
    model: &dyn SmileModel,
    params: &[f64],
    t_years: f64,
    k: f64,
    to_vol: f64,
) -> Option<Vec<f64>> {
    if !(to_vol > 0.0 && t_years > 0.0 && k.is_finite()) {
        return None;
    }
    let moved = model.drag()?.set_vol_at(params, t_years, k, to_vol)?;
    moved.iter().all(|p| p.is_finite()).then_some(moved)
}

/// Parameters of `kind` with the smile moved by `dk` along k (raw SVI and SVI-JW; `None` for SABR, whose
/// smile is anchored at the forward).
pub fn shift_k(kind: ModelKind, params: &[f64], t_years: f64, dk: f64) -> Option<Vec<f64>> {
    if !(dk.is_finite() && t_years > 0.0) {
        return None;
    }
    let model = kind.for_inputs(SliceInputs { t_years, forward: 1.0 });
    let moved = model.drag()?.shift_k(params, t_years, dk)?;
    moved.iter().all(|p| p.is_finite()).then_some(moved)
}

/// Raw SVI: the level `a` takes the total-variance change at k; `m` moves along k.
impl Drag for Svi {
    fn set_vol_at(&self, params: &[f64], t_years: f64, k: f64, to_vol: f64) -> Option<Vec<f64>> {
        Some(raw_with_vol_at(&raw(params)?, t_years, k, to_vol)?.to_array().to_vec())
    }

    fn shift_k(&self, params: &[f64], _t_years: f64, dk: f64) -> Option<Vec<f64>> {
        Some(SviParams { m: raw(params)?.m + dk, ..raw(params)? }.to_array().to_vec())
    }
}

/// SVI-JW: mapped to raw SVI, moved there, and mapped back.
impl Drag for SviJw {
    fn set_vol_at(&self, params: &[f64], t_years: f64, k: f64, to_vol: f64) -> Option<Vec<f64>> {
        let raw = jw_to_raw(&jw(params)?, t_years).ok()?;
        Some(raw_to_jw(&raw_with_vol_at(&raw, t_years, k, to_vol)?, t_years).to_array().to_vec())
    }

    fn shift_k(&self, params: &[f64], t_years: f64, dk: f64) -> Option<Vec<f64>> {
        let raw = jw_to_raw(&jw(params)?, t_years).ok()?;
        Some(raw_to_jw(&SviParams { m: raw.m + dk, ..raw }, t_years).to_array().to_vec())
    }
}

/// SABR: α scaled by target / current vol at k; no move along k (the smile is anchored at the forward).
impl Drag for Sabr {
    fn set_vol_at(&self, params: &[f64], t_years: f64, k: f64, to_vol: f64) -> Option<Vec<f64>> {
        let (from_vol, [alpha, rest @ ..]) = (vol_at(self, params, t_years, k)?, params) else { return None };
        Some(std::iter::once(alpha * to_vol / from_vol).chain(rest.iter().copied()).collect())
    }
}

/// Raw SVI with `a` moved so that the vol at `k` is `to_vol`; `None` if the minimum variance turns negative.
fn raw_with_vol_at(raw: &SviParams, t_years: f64, k: f64, to_vol: f64) -> Option<SviParams> {
    let moved = SviParams { a: raw.a + to_vol * to_vol * t_years - raw.total_variance(k), ..*raw };
    (moved.min_total_variance() >= 0.0).then_some(moved)
}

fn raw(params: &[f64]) -> Option<SviParams> {
    (params.len() == 5).then(|| SviParams::from_slice(params))
}

fn jw(params: &[f64]) -> Option<JwParams> {
    (params.len() == 5).then(|| JwParams::from_slice(params))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: f64 = 0.25;
    const RAW: [f64; 5] = [0.01, 0.1, -0.4, 0.05, 0.2];

    fn model(kind: ModelKind) -> Box<dyn SmileModel> {
        match kind {
            ModelKind::Svi | ModelKind::Ssvi | ModelKind::Essvi => Box::new(super::super::Svi),
            ModelKind::SviJw => Box::new(super::super::SviJw::new(T)),
            ModelKind::Sabr { beta } => {
                Box::new(super::super::Sabr::new(T, 70_000.0).with_fixed_beta(beta.unwrap_or(1.0)))
            }
        }
    }

    fn vol(kind: ModelKind, params: &[f64], k: f64) -> f64 {
        vol_at(model(kind).as_ref(), params, T, k).unwrap()
    }

    fn set(kind: ModelKind, params: &[f64], k: f64, to: f64) -> Option<Vec<f64>> {
        set_vol_at(kind, model(kind).as_ref(), params, T, k, to)
    }

    #[test]
    fn a_vertical_drag_puts_the_svi_smile_through_the_pointer() {
        for k in [-0.5, 0.0, 0.3] {
            let moved = set(ModelKind::Svi, &RAW, k, vol(ModelKind::Svi, &RAW, k) + 0.05).unwrap();
            assert!((vol(ModelKind::Svi, &moved, k) - vol(ModelKind::Svi, &RAW, k) - 0.05).abs() < 1e-12);
            assert_eq!(moved[1..], RAW[1..], "only a moves");
            let jw = raw_to_jw(&SviParams::from_slice(&RAW), T).to_array();
            let moved_jw = set(ModelKind::SviJw, &jw, k, 0.5).unwrap();
            assert!((vol(ModelKind::SviJw, &moved_jw, k) - 0.5).abs() < 1e-10);
        }
    }

    #[test]
    fn a_horizontal_drag_moves_the_svi_smile_along_k() {
        let moved = shift_k(ModelKind::Svi, &RAW, T, 0.1).unwrap();
        assert!((vol(ModelKind::Svi, &moved, 0.2) - vol(ModelKind::Svi, &RAW, 0.1)).abs() < 1e-12);
        assert!(shift_k(ModelKind::Sabr { beta: Some(1.0) }, &[0.5, 1.0, -0.3, 1.0], T, 0.1).is_none());
    }

    #[test]
    fn sabr_alpha_scales_the_level() {
        let p = [0.6, 1.0, -0.3, 1.2];
        let kind = ModelKind::Sabr { beta: Some(1.0) };
        let moved = set(kind, &p, 0.0, 0.7).unwrap();
        assert!((vol(kind, &moved, 0.0) - 0.7).abs() < 2e-3, "{}", vol(kind, &moved, 0.0));
        assert_eq!(moved[1..], p[1..]);
    }

    #[test]
    fn impossible_drags_are_refused() {
        assert!(set(ModelKind::Svi, &RAW, 0.0, -0.1).is_none());
        assert!(set(ModelKind::Svi, &RAW, 0.0, 1e-4).is_none(), "negative minimum variance");
        assert!(set(ModelKind::Svi, &RAW[..3], 0.0, 0.5).is_none());
        assert!(shift_k(ModelKind::Svi, &RAW, T, f64::NAN).is_none());
    }
}
