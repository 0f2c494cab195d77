//! A fitted surface model as one continuous surface: the smile at any T (before the first expiry, between
//! expiries, beyond the last: [`SurfaceModel::interpolate`]), constant-maturity read-outs (ATM vol, 25Δ and
//! 10Δ risk reversal and butterfly at fixed tenors), and the arbitrage certificate: butterfly g(k) ≥ 0 on a
//! dense k grid per expiry and w(k, T) non-decreasing between adjacent expiries and at times between them,
//! with the kind of guarantee (the model's coordinates, or the scan alone).

use crate::arbitrage::butterfly_check;
use crate::calibrate::fit::butterfly_range;
use crate::calibrate::SurfaceFit;
use crate::models::{FittedSmile, SliceInputs, SurfaceModel, SurfaceParams};
use crate::numeric::{bracket, Bracket};
use crate::surface::{delta_quotes, DeltaQuotes};

/// The tenors of the constant-maturity read-outs, days.
pub const DEFAULT_TENORS_DAYS: [f64; 7] = [1.0, 7.0, 30.0, 60.0, 90.0, 180.0, 365.0];
/// Points of the dense scan: per expiry for the butterfly check, per pair of times for the calendar check.
pub const SCAN_POINTS: usize = 401;
/// The calendar scan covers k ∈ [−this, this] (and each expiry's butterfly scan at least as much).
pub const SCAN_K_HALF_WIDTH: f64 = 2.0;
/// Times checked between each pair of adjacent expiries (besides the expiries themselves).
pub const SCAN_TIMES_BETWEEN: usize = 3;

/// A fitted surface model over its expiries.
pub struct ContinuousSurface<'a> {
    model: &'a dyn SurfaceModel,
    params: SurfaceParams,
    t_years: Vec<f64>,
    forwards: Vec<f64>,
}

impl<'a> ContinuousSurface<'a> {
    /// The surface of `fit` (made by `model`); `forwards` per expiry of `fit.expiries_ms`. `None` when the fit
    /// failed or an expiry has no parameters.
    pub fn new(model: &'a dyn SurfaceModel, fit: &SurfaceFit, forwards: Vec<f64>) -> Option<Self> {
        let params = fit.params.clone()?;
        let complete = params.per_expiry.iter().all(|p| !p.is_empty())
            && params.per_expiry.len() == fit.t_years.len()
            && forwards.len() == fit.t_years.len()
            && !fit.t_years.is_empty();
        complete.then(|| ContinuousSurface { model, params, t_years: fit.t_years.clone(), forwards })
    }

    /// The surface through the fitted smiles of `reports` (aligned with `slices`; the usable, live ones, read
    /// back with [`SurfaceModel::params_from_smiles`]), as the GUI holds a surface fit. `None` when fewer than
    /// one usable report or the model cannot read its smiles back.
    pub fn from_reports(
        model: &'a dyn SurfaceModel,
        slices: &[crate::market::ExpirySlice],
        reports: &[crate::calibrate::SliceFitReport],
    ) -> Option<Self> {
        let mut live: Vec<(&crate::market::ExpirySlice, &crate::calibrate::SliceFitReport)> = slices
            .iter()
            .zip(reports)
            .filter(|(s, r)| crate::calibrate::is_live(s) && r.status.is_usable() && !r.params.is_empty())
            .collect();
        live.sort_by(|a, b| a.0.t_years.total_cmp(&b.0.t_years));
        live.dedup_by(|a, b| a.0.t_years == b.0.t_years);
        let smiles: Vec<&[f64]> = live.iter().map(|(_, r)| r.params.as_slice()).collect();
        let params = model.params_from_smiles(&smiles)?;
        let t_years: Vec<f64> = live.iter().map(|(s, _)| s.t_years).collect();
        let forwards: Vec<f64> = live.iter().map(|(s, _)| s.forward).collect();
        (!t_years.is_empty()).then_some(ContinuousSurface { model, params, t_years, forwards })
    }

    /// The expiries' T, years (increasing).
    pub fn expiry_times(&self) -> &[f64] {
        &self.t_years
    }

    /// The forward at `t`: log-linear in T between expiries, flat beyond them.
    pub fn forward_at(&self, t: f64) -> f64 {
        let (ts, fs) = (&self.t_years, &self.forwards);
        match bracket(ts, t) {
            Bracket::First => fs[0],
            Bracket::Last => fs[fs.len() - 1],
            Bracket::Between { upper: j, weight } => (fs[j - 1].ln() + weight * (fs[j].ln() - fs[j - 1].ln())).exp(),
        }
    }

    /// The smile at time `t` (years > 0): an expiry's own slice at its T, else the model's interpolation.
    pub fn smile_at(&self, t: f64) -> Option<FittedSmile> {
        if !(t > 0.0 && t.is_finite()) {
            return None;
        }
        let smile_params = match self.t_years.iter().position(|&ti| ti == t) {
            Some(i) => self.model.smile_params(&self.params, i),
            None => {
                let own = self.model.interpolate(&self.params, &self.t_years, t, None)?;
                let one = SurfaceParams { global: self.params.global.clone(), per_expiry: vec![own] };
                self.model.smile_params(&one, 0)
            }
        };
        let inputs = SliceInputs { t_years: t, forward: self.forward_at(t) };
        FittedSmile::new(self.model.slice_kind(), inputs, smile_params).ok()
    }

    /// Total implied variance at (k, T); NaN where the surface has none.
    pub fn total_variance(&self, k: f64, t: f64) -> f64 {
        self.smile_at(t).map_or(f64::NAN, |s| s.total_variance(k))
    }

    /// Implied vol at (k, T); NaN where the surface has none.
    pub fn implied_vol(&self, k: f64, t: f64) -> f64 {
        self.smile_at(t).map_or(f64::NAN, |s| s.implied_vol(k))
    }
}

/// The constant-maturity read-outs of one tenor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TenorReadout {
    /// Tenor, days (T = days / 365).
    pub tenor_days: f64,
    /// 25Δ quotes (ATM vol included).
    pub d25: DeltaQuotes,
    /// 10Δ quotes.
    pub d10: DeltaQuotes,
}

/// The read-outs at each tenor (days) of `tenors_days`; a tenor where the surface has no smile is left out.
pub fn tenor_readouts(surface: &ContinuousSurface<'_>, tenors_days: &[f64]) -> Vec<TenorReadout> {
    tenors_days
        .iter()
        .filter_map(|&days| {
            let smile = surface.smile_at(days / 365.0)?;
            Some(TenorReadout { tenor_days: days, d25: delta_quotes(&smile, 0.25), d10: delta_quotes(&smile, 0.10) })
        })
        .collect()
}

/// The surface's term structures on a T grid (T in days): ATM vol and 25Δ risk reversal and butterfly,
/// and the read-outs at the constant maturities.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TermCurves {
    /// (T days, ATM vol %).
    pub atm_vol_pct: Vec<[f64; 2]>,
    /// (T days, 25Δ RR vol points).
    pub rr25_vol_pts: Vec<[f64; 2]>,
    /// (T days, 25Δ BF vol points).
    pub bf25_vol_pts: Vec<[f64; 2]>,
    /// The read-outs at [`DEFAULT_TENORS_DAYS`] up to the grid's end.
    pub tenors: Vec<TenorReadout>,
}

/// [`TermCurves`] of `surface` on `points` times from near 0 to `t_max_days` (denser at short T).
pub fn term_curves(surface: &ContinuousSurface<'_>, t_max_days: f64, points: usize) -> TermCurves {
    let mut out = TermCurves::default();
    let first = surface.expiry_times().first().map_or(1.0, |t| t * 365.0);
    let t0 = (0.1 * first).min(t_max_days / points.max(1) as f64).max(1e-3);
    for i in 0..points.max(2) {
        let f = i as f64 / (points.max(2) - 1) as f64;
        let days = t0 + (t_max_days - t0) * f * f;
        let Some(smile) = surface.smile_at(days / 365.0) else { continue };
        let q = delta_quotes(&smile, 0.25);
        let push = |v: Option<f64>, series: &mut Vec<[f64; 2]>| {
            if let Some(v) = v {
                series.push([days, v]);
            }
        };
        push(q.atm_vol_pct, &mut out.atm_vol_pct);
        push(q.rr_vol_pts, &mut out.rr25_vol_pts);
        push(q.bf_vol_pts, &mut out.bf25_vol_pts);
    }
    let tenors: Vec<f64> = DEFAULT_TENORS_DAYS.iter().copied().filter(|d| *d <= t_max_days).collect();
    out.tenors = tenor_readouts(surface, &tenors);
    out
}

/// How the absence of arbitrage is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guarantee {
    /// The model's parameters lie in its arbitrage-free set (its calibration coordinates are a box of it), and
    /// the scan agrees.
    Construction,
    /// Only the dense scan says so.
    Scan,
}

impl Guarantee {
    /// `construction` or `scan`.
    pub fn label(self) -> &'static str {
        match self {
            Guarantee::Construction => "construction",
            Guarantee::Scan => "scan",
        }
    }
}

/// The arbitrage certificate of a surface.
#[derive(Clone, Debug, PartialEq)]
pub struct Certificate {
    /// g(k) ≥ 0 at every scanned point of every expiry.
    pub butterfly_ok: bool,
    /// w(k, T) non-decreasing at every scanned point between adjacent scanned times.
    pub calendar_ok: bool,
    /// How it is known (a failed scan is never `Construction`).
    pub guarantee: Guarantee,
    /// Points per expiry (butterfly) and per pair of times (calendar).
    pub scan_points: usize,
    /// Times scanned (the expiries and [`SCAN_TIMES_BETWEEN`] between each adjacent pair).
    pub scan_times: usize,
    /// Smallest g(k) found, and where (k, T).
    pub min_g: (f64, f64, f64),
    /// Largest decrease of w(k, T) from one scanned time to the next, and where (k, T of the later time); 0
    /// when none.
    pub worst_calendar: (f64, f64, f64),
}

/// Scans `surface` (module docs). `by_construction` says whether the model guarantees the result (its
/// parameters came from its arbitrage-free coordinates).
pub fn certify(surface: &ContinuousSurface<'_>, by_construction: bool) -> Certificate {
    let ts = surface.expiry_times();
    let mut min_g = (f64::INFINITY, f64::NAN, f64::NAN);
    let mut butterfly_ok = true;
    for &t in ts {
        let Some(smile) = surface.smile_at(t) else {
            butterfly_ok = false;
            continue;
        };
        let (lo, hi) = butterfly_range(t, [-SCAN_K_HALF_WIDTH, SCAN_K_HALF_WIDTH].into_iter());
        let check = butterfly_check(smile.model(), smile.params(), lo, hi, SCAN_POINTS);
        butterfly_ok &= check.ok;
        if check.min_g < min_g.0 || !check.min_g.is_finite() {
            min_g = (check.min_g, check.k_at_min_g, t);
        }
    }
    let mut times: Vec<f64> = ts.to_vec();
    for pair in ts.windows(2) {
        let step = (pair[1] - pair[0]) / (SCAN_TIMES_BETWEEN + 1) as f64;
        times.extend((1..=SCAN_TIMES_BETWEEN).map(|j| pair[0] + step * j as f64));
    }
    times.sort_by(f64::total_cmp);
    let grid = crate::numeric::linspace(-SCAN_K_HALF_WIDTH, SCAN_K_HALF_WIDTH, SCAN_POINTS);
    let mut worst_calendar = (0.0, f64::NAN, f64::NAN);
    let mut calendar_ok = true;
    let mut previous: Option<Vec<f64>> = None;
    for &t in &times {
        let w: Vec<f64> = match surface.smile_at(t) {
            Some(smile) => grid.iter().map(|&k| smile.total_variance(k)).collect(),
            None => vec![f64::NAN; grid.len()],
        };
        if let Some(prev) = &previous {
            for ((&k, &w0), &w1) in grid.iter().zip(prev).zip(&w) {
                let drop = w0 - w1;
                if !(w1 >= w0 * (1.0 - 1e-12)) {
                    calendar_ok = false;
                    if !(drop <= worst_calendar.0) {
                        worst_calendar = (drop, k, t);
                    }
                }
            }
        }
        previous = Some(w);
    }
    let ok = butterfly_ok && calendar_ok;
    Certificate {
        butterfly_ok,
        calendar_ok,
        guarantee: if ok && by_construction { Guarantee::Construction } else { Guarantee::Scan },
        scan_points: SCAN_POINTS,
        scan_times: times.len(),
        min_g,
        worst_calendar,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::essvi::EssviSlice;
    use crate::models::Essvi;

    fn fit_of(slices: &[EssviSlice], ts: &[f64]) -> SurfaceFit {
        SurfaceFit {
            model: "essvi",
            global_names: Vec::new(),
            per_expiry_names: vec!["theta".into(), "rho".into(), "psi".into()],
            params: Some(SurfaceParams { global: Vec::new(), per_expiry: slices.iter().map(|s| s.to_vec()).collect() }),
            expiries_ms: (0..ts.len() as i64).collect(),
            reports: Vec::new(),
            stop: String::new(),
            iterations: 0,
            evaluations: 0,
            fit_time_us: 0.0,
            t_years: ts.to_vec(),
        }
    }

    #[test]
    fn a_calendar_free_surface_is_certified_by_construction_and_reads_out_at_any_tenor() {
        let slices = Essvi::slices_at(&[0.001, 0.02, 0.03, 0.002, 0.05, 0.04, 0.01, 0.1, 0.08]);
        let fit = fit_of(&slices, &[0.02, 0.1, 0.5]);
        let surface = ContinuousSurface::new(&Essvi, &fit, vec![70_000.0, 70_500.0, 72_000.0]).unwrap();
        let c = certify(&surface, true);
        assert!(c.butterfly_ok && c.calendar_ok, "{c:?}");
        assert_eq!(c.guarantee, Guarantee::Construction);
        assert_eq!(c.scan_times, 3 + 2 * SCAN_TIMES_BETWEEN);
        let r = tenor_readouts(&surface, &DEFAULT_TENORS_DAYS);
        assert_eq!(r.len(), 7);
        let atm: Vec<f64> = r.iter().map(|x| x.d25.atm_vol_pct.unwrap()).collect();
        // ATM total variance increases with the tenor.
        for pair in r.windows(2).zip(atm.windows(2)) {
            let ((a, b), (va, vb)) = ((pair.0[0], pair.0[1]), (pair.1[0], pair.1[1]));
            assert!(vb * vb * b.tenor_days >= va * va * a.tenor_days * (1.0 - 1e-12));
        }
        // At an expiry the surface is that expiry's slice.
        let s = surface.smile_at(0.1).unwrap();
        assert!((s.total_variance(0.3) - slices[1].total_variance(0.3)).abs() < 1e-15);
        assert!((surface.forward_at(0.3) - (70_500.0f64.ln() * 0.5 + 72_000.0f64.ln() * 0.5).exp()).abs() < 1e-9);
    }

    #[test]
    fn a_calendar_spread_is_found_by_the_scan() {
        // The later slice has a lower ATM variance: the scan must say so, whatever the caller claims.
        let a = EssviSlice { theta: 0.02, rho: -0.2, psi: 0.1 };
        let b = EssviSlice { theta: 0.015, rho: -0.2, psi: 0.1 };
        let fit = fit_of(&[a, b], &[0.1, 0.2]);
        let surface = ContinuousSurface::new(&Essvi, &fit, vec![1.0, 1.0]).unwrap();
        let c = certify(&surface, true);
        assert!(!c.calendar_ok && c.guarantee == Guarantee::Scan, "{c:?}");
        assert!(c.worst_calendar.0 > 0.0);
    }
}
