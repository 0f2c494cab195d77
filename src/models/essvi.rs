//! eSSVI (Hendriks & Martini 2019): SSVI with its own θ_i, ρ_i and ψ_i = θ_i·φ_i per expiry,
//!
//! w_i(k) = ½ (θ_i + ρ_i ψ_i k + √((ψ_i k + θ_i ρ_i)² + θ_i² (1 − ρ_i²))),
//!
//! each slice exactly raw SVI ([`super::ssvi::ssvi_to_raw`] with φ = ψ/θ), so every smile read-out works on it
//! unchanged. SSVI is the special case ρ_i = ρ and ψ_i = θ_i φ(θ_i).
//!
//! **Butterfly** (Gatheral–Jacquier 2014, Theorem 4.2, per slice): with p = ψ(1 + ρ) and c = ψ(1 − ρ) (twice
//! the right and left wing slopes of w), max(p, c) < 4 and ψ·max(p, c) ≤ 4θ.
//!
//! **Calendar** between consecutive slices 1 → 2 (our sufficient condition, proved here; Hendriks–Martini's
//! characterisation was corrected by Pasquazzi 2023): p₂ ≥ p₁, c₂ ≥ c₁ and φ₂ ≤ φ₁ (so θ₂ ≥ θ₁·ψ₂/ψ₁ ≥ θ₁).
//! *Proof.* Write q = ρψ, S = √(ψ²k² + 2θqk + θ²), so w = ½(θ + qk + S). Move from slice 1 to slice 2 in two
//! legs. (i) p and c to their new values with θ = ψ/φ₁ (φ constant). Along it, dp, dc ≥ 0 and
//! dθ = θ dψ/ψ; since 2S dw = dθ (S + θ + qk) + dq k (S + θ) + dψ ψ k² is linear in (dp, dc), it is enough
//! that it is ≥ 0 for dp = 1, dc = 0 and for dp = 0, dc = 1 (dψ = ½, dq = ±½). For the first, with u = −k and
//! A = ψu − θ, 4ψS dw = S² + S(θ + ψk) + θk(ψ − q), and S² − A² = 2θu(ψ − q), so for k < 0 it is
//! S² − SA − (S² − A²)/2 = (S − A)²/2 ≥ 0 (for k ≥ 0 every term is ≥ 0); the second is its mirror (k → −k,
//! q → −q). (ii) θ up to θ₂ at fixed p, c: ∂w/∂θ = ½(1 + (θ + qk)/S) ≥ 0 because S ≥ |θ + qk|. ∎
//!
//! **Coordinates** (Mingone 2022's idea, with the conditions above): per expiry, in maturity order,
//! (x_θ, u_p, u_c) ∈ [0, 25] × [ε, 1]²: p = p_prev + u_p (P_MAX − p_prev), c likewise (p_prev = c_prev = 0 before
//! the first), ψ = (p + c)/2, ρ = (p − c)/(p + c), θ = θ_min + x_θ with
//! θ_min = max(ψ/φ_prev, ψ·max(p, c)/4). Every point of the box is a surface free of static arbitrage.
//!
//! **Between expiries** ([`Essvi::interpolate`]): p, c and 1/φ linear in T between the neighbours (so θ = ψ/φ
//! increases, φ decreases, and the butterfly bound holds because max(p, c) is convex and 4/φ linear in T);
//! before the first expiry the first slice scaled by T/T₁ (θ → 0 as T → 0); after the last one the last
//! slice's p and c with θ growing as T.

use super::ssvi::ssvi_to_raw;
use super::surface_model::{ChainedSurface, SurfaceModel, SurfaceParams};
use super::ModelKind;
use crate::numeric::{bracket, Bracket};

/// Per-expiry parameter names.
pub const ESSVI_EXPIRY_PARAMS: [&str; 3] = ["theta", "rho", "psi"];

/// Largest wing parameter p or c (the butterfly bound max(p, c) < 4, with a margin).
pub const P_MAX: f64 = 3.999;
/// Smallest fraction u of the room left (keeps ψ > 0 on the first slice).
const U_MIN: f64 = 1e-8;
/// Largest θ excess over its lower bound (total variance).
const THETA_EXCESS_MAX: f64 = 25.0;
/// Smallest θ.
const THETA_MIN: f64 = 1e-10;

/// eSSVI: θ, ρ, ψ per expiry; no global parameters.
#[derive(Clone, Copy, Debug, Default)]
pub struct Essvi;

/// One eSSVI slice.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EssviSlice {
    /// ATM total variance θ.
    pub theta: f64,
    /// Correlation ρ ∈ (−1, 1): the skew.
    pub rho: f64,
    /// ψ = θφ: the ATM curvature scale (twice the mean wing slope of w).
    pub psi: f64,
}

impl EssviSlice {
    /// From `[theta, rho, psi]`.
    pub fn from_slice(p: &[f64]) -> Self {
        EssviSlice { theta: p[0], rho: p[1], psi: p[2] }
    }

    /// As `[theta, rho, psi]`.
    pub fn to_vec(self) -> Vec<f64> {
        vec![self.theta, self.rho, self.psi]
    }

    /// From θ and the wing parameters p = ψ(1 + ρ), c = ψ(1 − ρ).
    pub fn from_wings(theta: f64, p: f64, c: f64) -> Self {
        let psi = 0.5 * (p + c);
        let rho = if psi > 0.0 { ((p - c) / (p + c)).clamp(-1.0, 1.0) } else { 0.0 };
        EssviSlice { theta, rho, psi }
    }

    /// The eSSVI slice a raw SVI slice is, when it is one (θ = w(0), ρ, ψ = 2b); no check that `raw` has
    /// the SSVI shape (m = −ρσ/√(1 − ρ²)).
    pub fn from_raw_svi(raw: &[f64]) -> Option<Self> {
        let svi = super::SviParams::from_slice(raw.get(..5)?);
        Some(EssviSlice { theta: svi.total_variance(0.0), rho: svi.rho, psi: 2.0 * svi.b })
    }

    /// ATM vol σ(0), its slope ∂σ/∂k and curvature ∂²σ/∂k² at k = 0 for a slice of T `t_years` (vol as a
    /// decimal per unit k): the level, skew and curvature a trader reads.
    pub fn atm_readout(&self, t_years: f64) -> (f64, f64, f64) {
        // w(0) = θ, w'(0) = ρψ, w''(0) = ψ²(1 − ρ²)/(2θ); σ = √(w/T).
        let (w, dw, d2w) =
            (self.theta, self.rho * self.psi, self.psi.powi(2) * (1.0 - self.rho.powi(2)) / (2.0 * self.theta));
        let sigma = (w / t_years).sqrt();
        let dsigma = dw / (2.0 * sigma * t_years);
        let d2sigma = d2w / (2.0 * sigma * t_years) - dsigma * dsigma / sigma;
        (sigma, dsigma, d2sigma)
    }

    /// p = ψ(1 + ρ): twice the right wing slope of w.
    pub fn p(&self) -> f64 {
        self.psi * (1.0 + self.rho)
    }

    /// c = ψ(1 − ρ): twice the left wing slope of w.
    pub fn c(&self) -> f64 {
        self.psi * (1.0 - self.rho)
    }

    /// φ = ψ/θ.
    pub fn phi(&self) -> f64 {
        self.psi / self.theta
    }

    /// Total variance at k.
    pub fn total_variance(&self, k: f64) -> f64 {
        let (t, r, s) = (self.theta, self.rho, self.psi);
        0.5 * (t + r * s * k + ((s * k + t * r).powi(2) + t * t * (1.0 - r * r)).sqrt())
    }

    /// The raw SVI parameters of the slice.
    pub fn raw_svi(&self) -> [f64; 5] {
        ssvi_to_raw(self.theta, self.rho, self.phi()).to_array()
    }

    /// Gatheral–Jacquier's butterfly condition (with the margin of [`P_MAX`]).
    pub fn butterfly_free(&self) -> bool {
        let m = self.p().max(self.c());
        m <= P_MAX * (1.0 + 1e-12) && self.psi * m <= 4.0 * self.theta * (1.0 + 1e-12)
    }

    /// The sufficient calendar condition from `self` (earlier) to `later`: p, c non-decreasing and φ
    /// non-increasing (module docs).
    pub fn calendar_free_to(&self, later: &EssviSlice) -> bool {
        let tol = 1e-12;
        later.p() >= self.p() * (1.0 - tol) - tol * 1e-6
            && later.c() >= self.c() * (1.0 - tol) - tol * 1e-6
            && later.phi() <= self.phi() * (1.0 + tol)
    }

    /// θ such that the slice (with this ρ and ψ) passes through total variance `w` at `k` (Corbetta et al.
    /// 2019: θ = ((2w − ρψk)² − ψ²k²)/(4w)); `None` when no positive θ does.
    pub fn theta_through(rho: f64, psi: f64, k: f64, w: f64) -> Option<f64> {
        if !(w > 0.0 && w.is_finite()) {
            return None;
        }
        let a = 2.0 * w - rho * psi * k;
        let theta = (a * a - psi * psi * k * k) / (4.0 * w);
        // The square root in w must be the positive branch: 2w − θ − ρψk ≥ 0.
        (theta > 0.0 && a - theta >= 0.0 && theta.is_finite()).then_some(theta)
    }
}

/// The lower bound of θ for wings (p, c) after `prev`: the calendar bound ψ/φ_prev and the butterfly bound.
fn theta_floor(prev: Option<&EssviSlice>, p: f64, c: f64) -> f64 {
    let psi = 0.5 * (p + c);
    let butterfly = psi * p.max(c) / 4.0;
    let calendar = prev.map_or(0.0, |s| psi / s.phi());
    butterfly.max(calendar).max(THETA_MIN)
}

/// The previous slice's wings (0 before the first).
fn prev_wings(prev: Option<&EssviSlice>) -> (f64, f64) {
    prev.map_or((0.0, 0.0), |s| (s.p(), s.c()))
}

impl Essvi {
    /// Slice at coordinates `x` = (x_θ, u_p, u_c) after `prev`.
    pub fn link(prev: Option<&EssviSlice>, x: &[f64]) -> EssviSlice {
        let (p0, c0) = prev_wings(prev);
        let p = p0 + x[1] * (P_MAX - p0).max(0.0);
        let c = c0 + x[2] * (P_MAX - c0).max(0.0);
        EssviSlice::from_wings(theta_floor(prev, p, c) + x[0], p, c)
    }

    /// The coordinates of `slice` after `prev`, projected into the box (wings no lower than the previous
    /// slice's, θ no lower than its floor).
    pub fn link_coordinates(prev: Option<&EssviSlice>, slice: &EssviSlice) -> [f64; 3] {
        let (p0, c0) = prev_wings(prev);
        let frac = |v: f64, v0: f64| {
            let room = P_MAX - v0;
            if room > 0.0 {
                ((v - v0) / room).clamp(U_MIN, 1.0)
            } else {
                U_MIN
            }
        };
        let (u_p, u_c) = (frac(slice.p(), p0), frac(slice.c(), c0));
        let (p, c) = (p0 + u_p * (P_MAX - p0).max(0.0), c0 + u_c * (P_MAX - c0).max(0.0));
        let excess = (slice.theta - theta_floor(prev, p, c)).clamp(0.0, THETA_EXCESS_MAX);
        [if excess.is_finite() { excess } else { 0.0 }, u_p, u_c]
    }

    /// The slices of every expiry at coordinates `x` (3 per expiry, increasing T).
    pub fn slices_at(x: &[f64]) -> Vec<EssviSlice> {
        let mut out: Vec<EssviSlice> = Vec::with_capacity(x.len() / 3);
        for chunk in x.chunks_exact(3) {
            let next = Essvi::link(out.last(), chunk);
            out.push(next);
        }
        out
    }

    /// The slice at time `t` (years) on the surface through `slices` at times `ts` (increasing; module docs):
    /// between expiries p, c and 1/φ linear in T, before the first the first slice scaled by T/T₁, after the
    /// last the last slice's wings with θ ∝ T. `anchor` (k, w), when given, sets θ instead (a thin slice's own
    /// quote), clamped to what keeps the neighbours calendar-free.
    pub fn interpolate(slices: &[EssviSlice], ts: &[f64], t: f64, anchor: Option<(f64, f64)>) -> Option<EssviSlice> {
        let (first, last) = (slices.first()?, slices.last()?);
        let slice = match bracket(ts, t) {
            Bracket::First => {
                let t1 = ts[0];
                let through = anchor.and_then(|(k, w)| EssviSlice::theta_through(first.rho, first.psi, k, w));
                let lambda = match through {
                    Some(theta) => (theta / first.theta).clamp(1e-6, 1.0),
                    None => (t / t1).clamp(1e-9, 1.0),
                };
                EssviSlice { theta: first.theta * lambda, rho: first.rho, psi: first.psi * lambda }
            }
            Bracket::Last => {
                let tn = *ts.last()?;
                let through = anchor.and_then(|(k, w)| EssviSlice::theta_through(last.rho, last.psi, k, w));
                let theta = through.unwrap_or(last.theta * t / tn).max(last.theta);
                EssviSlice { theta, ..*last }
            }
            Bracket::Between { upper: j, weight: f } => {
                let (a, b) = (&slices[j - 1], &slices[j]);
                let lin = |x: f64, y: f64| x + f * (y - x);
                let (p, c) = (lin(a.p(), b.p()), lin(a.c(), b.c()));
                let psi = 0.5 * (p + c);
                let inv_phi = lin(1.0 / a.phi(), 1.0 / b.phi());
                let shape = EssviSlice::from_wings(psi * inv_phi, p, c);
                let theta = match anchor.and_then(|(k, w)| EssviSlice::theta_through(shape.rho, shape.psi, k, w)) {
                    Some(theta) => {
                        let floor = (psi / a.phi()).max(psi * p.max(c) / 4.0);
                        theta.clamp(floor, (psi / b.phi()).max(floor))
                    }
                    None => shape.theta,
                };
                EssviSlice { theta, ..shape }
            }
        };
        (slice.theta.is_finite() && slice.psi.is_finite() && slice.theta > 0.0).then_some(slice)
    }
}

impl SurfaceModel for Essvi {
    fn name(&self) -> &'static str {
        "essvi"
    }

    fn slice_kind(&self) -> ModelKind {
        ModelKind::Svi
    }

    fn global_names(&self) -> &'static [&'static str] {
        &[]
    }

    fn per_expiry_names(&self) -> &'static [&'static str] {
        &ESSVI_EXPIRY_PARAMS
    }

    fn coordinate_bounds(&self, n: usize) -> Vec<(f64, f64)> {
        [(0.0, THETA_EXCESS_MAX), (U_MIN, 1.0), (U_MIN, 1.0)].iter().copied().cycle().take(3 * n).collect()
    }

    fn params_at(&self, x: &[f64], _n: usize) -> SurfaceParams {
        SurfaceParams {
            global: Vec::new(),
            per_expiry: Essvi::slices_at(x).into_iter().map(EssviSlice::to_vec).collect(),
        }
    }

    fn coordinates_of(&self, params: &SurfaceParams) -> Option<Vec<f64>> {
        let mut x = Vec::with_capacity(3 * params.per_expiry.len());
        let mut prev: Option<EssviSlice> = None;
        for p in &params.per_expiry {
            let [theta, rho, psi] = p[..] else { return None };
            let want = EssviSlice { theta, rho, psi };
            let coords = Essvi::link_coordinates(prev.as_ref(), &want);
            prev = Some(Essvi::link(prev.as_ref(), &coords));
            x.extend(coords);
        }
        x.iter().all(|v| v.is_finite()).then_some(x)
    }

    /// The monotone ATM total variances with ρ = 0 and ψ = √θ (φ = θ^−½, the power law's typical shape),
    /// and with ρ = ∓0.3.
    fn starts(&self, atm_total_variance: &[f64]) -> Vec<SurfaceParams> {
        let thetas = super::ssvi::monotone_atm(atm_total_variance);
        [0.0, -0.3, 0.3]
            .iter()
            .map(|&rho| SurfaceParams {
                global: Vec::new(),
                per_expiry: thetas.iter().map(|&t| vec![t, rho, (0.8 * t.sqrt()).min(1.5)]).collect(),
            })
            .collect()
    }

    fn smile_params(&self, params: &SurfaceParams, i: usize) -> Vec<f64> {
        EssviSlice::from_slice(&params.per_expiry[i]).raw_svi().to_vec()
    }

    fn min_points(&self) -> usize {
        3
    }

    fn params_from_smiles(&self, smiles: &[&[f64]]) -> Option<SurfaceParams> {
        let per_expiry =
            smiles.iter().map(|s| EssviSlice::from_raw_svi(s).map(EssviSlice::to_vec)).collect::<Option<_>>()?;
        Some(SurfaceParams { global: Vec::new(), per_expiry })
    }

    fn chained(&self) -> Option<&dyn ChainedSurface> {
        Some(self)
    }

    fn interpolate(&self, params: &SurfaceParams, ts: &[f64], t: f64, anchor: Option<(f64, f64)>) -> Option<Vec<f64>> {
        let slices: Vec<EssviSlice> = params.per_expiry.iter().map(|p| EssviSlice::from_slice(p)).collect();
        Essvi::interpolate(&slices, ts, t, anchor).map(EssviSlice::to_vec)
    }
}

impl ChainedSurface for Essvi {
    fn link_len(&self) -> usize {
        3
    }

    fn link_params(&self, prev: Option<&[f64]>, x: &[f64]) -> Vec<f64> {
        let prev = prev.map(EssviSlice::from_slice);
        Essvi::link(prev.as_ref(), x).to_vec()
    }

    /// θ through the anchor for the shape (u_p, u_c), clamped to its floor (x_θ = 0 there).
    fn pinned_link(&self, prev: Option<&[f64]>, shape: &[f64], anchor: (f64, f64)) -> Vec<f64> {
        let prev = prev.map(EssviSlice::from_slice);
        let base = Essvi::link(prev.as_ref(), &[0.0, shape[0], shape[1]]);
        let excess = EssviSlice::theta_through(base.rho, base.psi, anchor.0, anchor.1)
            .map_or(0.0, |theta| (theta - base.theta).clamp(0.0, THETA_EXCESS_MAX));
        vec![excess, shape[0], shape[1]]
    }

    fn shape_starts(&self, prev: Option<&[f64]>, level: f64) -> Vec<Vec<f64>> {
        let prev = prev.map(EssviSlice::from_slice);
        let psi0 = (0.8 * level.max(1e-8).sqrt()).min(1.5);
        let mut out = Vec::new();
        if let Some(p) = prev {
            // The previous slice's own shape (as close as the box allows).
            let x = Essvi::link_coordinates(Some(&p), &EssviSlice { theta: level, ..p });
            out.push(vec![x[1], x[2]]);
        }
        // A few shapes around the power law's typical one; fewer after the first expiry, where the previous
        // shape is the best guess.
        let guesses: &[(f64, f64)] = if prev.is_some() {
            &[(0.0, 1.0), (-0.3, 1.0)]
        } else {
            &[(0.0, 1.0), (-0.3, 1.0), (0.3, 1.0), (0.0, 2.5)]
        };
        for &(rho, scale) in guesses {
            let want = EssviSlice { theta: level, rho, psi: psi0 * scale };
            let x = Essvi::link_coordinates(prev.as_ref(), &want);
            out.push(vec![x[1], x[2]]);
        }
        out
    }

    fn shape_bounds(&self) -> Vec<(f64, f64)> {
        vec![(U_MIN, 1.0), (U_MIN, 1.0)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng(seed: &mut u64) -> f64 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }

    #[test]
    fn the_slice_is_its_raw_svi() {
        let s = EssviSlice { theta: 0.03, rho: -0.4, psi: 0.2 };
        let raw = crate::models::SviParams::from_slice(&s.raw_svi());
        for k in [-1.5, -0.2, 0.0, 0.4, 2.0] {
            assert!((raw.total_variance(k) - s.total_variance(k)).abs() < 1e-15, "{k}");
        }
        assert!((s.total_variance(0.0) - 0.03).abs() < 1e-16);
        let theta = EssviSlice::theta_through(s.rho, s.psi, 0.07, s.total_variance(0.07)).unwrap();
        assert!((theta - 0.03).abs() < 1e-15, "{theta}");
        let back = EssviSlice::from_raw_svi(&s.raw_svi()).unwrap();
        assert!(
            (back.theta - s.theta).abs() < 1e-15
                && (back.rho - s.rho).abs() < 1e-15
                && (back.psi - s.psi).abs() < 1e-15
        );
        // The ATM read-out against differences of σ(k) = √(w(k)/T).
        let t = 0.1;
        let vol = |k: f64| (s.total_variance(k) / t).sqrt();
        let (sigma, skew, curv) = s.atm_readout(t);
        let h = 1e-4;
        assert!((sigma - vol(0.0)).abs() < 1e-15);
        assert!((skew - (vol(h) - vol(-h)) / (2.0 * h)).abs() < 1e-7, "{skew}");
        assert!((curv - (vol(h) - 2.0 * vol(0.0) + vol(-h)) / (h * h)).abs() < 1e-4 * curv.abs(), "{curv}");
    }

    /// Every point of the coordinate box is butterfly-free per slice and calendar-free between slices, by the
    /// conditions and by a dense scan of w.
    #[test]
    fn the_box_is_arbitrage_free() {
        let mut seed = 7;
        let ks: Vec<f64> = (0..2001).map(|i| -20.0 + 40.0 * i as f64 / 2000.0).collect();
        for _ in 0..400 {
            let x: Vec<f64> = (0..12)
                .map(|j| {
                    let u = rng(&mut seed);
                    if j % 3 == 0 {
                        0.2 * u * u
                    } else {
                        U_MIN + u * u * (1.0 - U_MIN)
                    }
                })
                .collect();
            let slices = Essvi::slices_at(&x);
            for s in &slices {
                assert!(s.butterfly_free(), "{s:?}");
            }
            for pair in slices.windows(2) {
                assert!(pair[0].calendar_free_to(&pair[1]), "{pair:?}");
                for &k in &ks {
                    let (a, b) = (pair[0].total_variance(k), pair[1].total_variance(k));
                    assert!(b >= a * (1.0 - 1e-12), "k = {k}: {a} > {b} in {pair:?}");
                }
            }
            // Coordinates round-trip.
            let params = Essvi.params_at(&x, 4);
            let back = Essvi.coordinates_of(&params).unwrap();
            for (a, b) in x.iter().zip(&back) {
                assert!((a - b).abs() < 1e-9 * a.abs().max(1e-6), "{x:?} vs {back:?}");
            }
        }
    }

    /// The interpolated slices at any T keep the whole chain calendar- and butterfly-free.
    #[test]
    fn interpolation_is_arbitrage_free() {
        let mut seed = 11;
        let ts = [0.01, 0.05, 0.2, 1.0];
        for _ in 0..200 {
            let x: Vec<f64> =
                (0..12).map(|j| if j % 3 == 0 { 0.05 * rng(&mut seed) } else { rng(&mut seed).max(U_MIN) }).collect();
            let slices = Essvi::slices_at(&x);
            let mut prev: Option<EssviSlice> = None;
            for i in 0..=300 {
                let t = 0.001 + 2.0 * (i as f64 / 300.0).powi(2);
                let s = Essvi::interpolate(&slices, &ts, t, None).unwrap();
                assert!(s.butterfly_free(), "t = {t}: {s:?}");
                if let Some(p) = prev {
                    assert!(p.calendar_free_to(&s), "t = {t}: {p:?} -> {s:?}");
                }
                prev = Some(s);
            }
            for (j, &t) in ts.iter().enumerate() {
                let s = Essvi::interpolate(&slices, &ts, t, None).unwrap();
                assert!(
                    (s.theta - slices[j].theta).abs() < 1e-12 * slices[j].theta.max(1e-9),
                    "{s:?} vs {:?}",
                    slices[j]
                );
            }
        }
    }
}
