//! Black-76 prices, coin prices and Greeks against the 60-digit truth in ../shared/reference/black76_grid.csv.
//!
//! Tolerance: relative error ≤ 1e-12 wherever the truth is not negligible. A value is *negligible* when its
//! magnitude is below 1e-13 of the quantity's natural scale (price: F; coin price: 1; delta: 1; gamma:
//! 1/(F·σ√T); vega: F√T; theta: F·σ/√T; vanna: 1/σ; volga: F√T/σ — the scales of black76_summary.json). At
//! that size a relative error is meaningless (one ulp of the natural-scale terms that make it up is already
//! 1e-16 of the scale), so those rows are checked in absolute terms instead: error ≤ 1e-15 × scale.

mod common;

use volscope::pricing::{greeks, price, price_coin, OptionKind, OptionSpec};

const REL_TOL: f64 = 1e-12;
const NEGLIGIBLE_OF_SCALE: f64 = 1e-13;
const ABS_TOL_OF_SCALE: f64 = 1e-15;

#[derive(serde::Deserialize)]
struct GridRow {
    id: usize,
    #[serde(rename = "F")]
    f: f64,
    #[serde(rename = "K")]
    k: f64,
    #[serde(rename = "T")]
    t: f64,
    sigma: f64,
    #[serde(rename = "D")]
    d: f64,
    call: f64,
    put: f64,
    call_coin: f64,
    put_coin: f64,
    delta_call: f64,
    delta_put: f64,
    gamma: f64,
    vega: f64,
    theta_call: f64,
    theta_put: f64,
    vanna: f64,
    volga: f64,
    delta_call_pa: f64,
    delta_put_pa: f64,
}

/// Worst errors seen per quantity, for the failure message and the log.
#[derive(Default)]
struct Tally {
    checked_rel: usize,
    checked_abs: usize,
    worst_rel: f64,
    worst_abs_over_scale: f64,
    failures: Vec<String>,
}

impl Tally {
    fn check(&mut self, what: &str, id: usize, got: f64, truth: f64, scale: f64) {
        let err = (got - truth).abs();
        if truth.abs() > NEGLIGIBLE_OF_SCALE * scale {
            self.checked_rel += 1;
            let rel = err / truth.abs();
            self.worst_rel = self.worst_rel.max(rel);
            if !(rel <= REL_TOL) {
                self.failures.push(format!("row {id} {what}: got {got:e}, truth {truth:e}, rel err {rel:e}"));
            }
        } else {
            self.checked_abs += 1;
            let e = err / scale;
            self.worst_abs_over_scale = self.worst_abs_over_scale.max(e);
            if !(e <= ABS_TOL_OF_SCALE) {
                self.failures
                    .push(format!("row {id} {what}: got {got:e}, truth {truth:e} (negligible), abs/scale {e:e}"));
            }
        }
    }
}

#[test]
fn black76_grid_matches_truth_on_every_row() {
    let Some(path) = common::reference_file("black76_grid.csv") else { return };
    let rows: Vec<GridRow> = common::read_csv(&path);
    assert_eq!(rows.len(), 5616, "black76_grid.csv should have 5616 rows");
    let mut tallies: std::collections::BTreeMap<&str, Tally> = Default::default();
    for r in &rows {
        let stddev = r.sigma * r.t.sqrt();
        let call = OptionSpec { kind: OptionKind::Call, forward: r.f, strike: r.k, t_years: r.t, discount: r.d };
        let put = OptionSpec { kind: OptionKind::Put, ..call };
        let gc = greeks(&call, r.sigma);
        let gp = greeks(&put, r.sigma);
        let mut check = |what: &'static str, got: f64, truth: f64, scale: f64| {
            tallies.entry(what).or_default().check(what, r.id, got, truth, scale);
        };
        check("call", price(&call, r.sigma), r.call, r.f);
        check("put", price(&put, r.sigma), r.put, r.f);
        check("call (greeks.value)", gc.value, r.call, r.f);
        check("put (greeks.value)", gp.value, r.put, r.f);
        check("call_coin", price_coin(&call, r.sigma), r.call_coin, 1.0);
        check("put_coin", price_coin(&put, r.sigma), r.put_coin, 1.0);
        check("call_coin (to_coin)", gc.to_coin(r.f).value_coin, r.call_coin, 1.0);
        check("delta_call", gc.delta, r.delta_call, 1.0);
        check("delta_put", gp.delta, r.delta_put, 1.0);
        check("gamma (call)", gc.gamma, r.gamma, 1.0 / (r.f * stddev));
        check("gamma (put)", gp.gamma, r.gamma, 1.0 / (r.f * stddev));
        check("vega", gc.vega, r.vega, r.f * r.t.sqrt());
        check("theta_call", gc.theta_per_year, r.theta_call, r.f * r.sigma / r.t.sqrt());
        check("theta_put", gp.theta_per_year, r.theta_put, r.f * r.sigma / r.t.sqrt());
        check("vanna", gc.vanna, r.vanna, 1.0 / r.sigma);
        check("volga", gc.volga, r.volga, r.f * r.t.sqrt() / r.sigma);
        check("delta_call_pa", gc.delta_premium_adjusted, r.delta_call_pa, 1.0);
        check("delta_put_pa", gp.delta_premium_adjusted, r.delta_put_pa, 1.0);
        check("delta_put_pa (to_coin)", gp.to_coin(r.f).delta_coin, r.delta_put_pa, 1.0);
    }
    let mut failures = Vec::new();
    for (what, t) in &tallies {
        eprintln!(
            "{what:>24}: {} rows relative (worst {:.2e}), {} negligible rows absolute (worst {:.2e} of scale)",
            t.checked_rel, t.worst_rel, t.checked_abs, t.worst_abs_over_scale
        );
        assert_eq!(t.checked_rel + t.checked_abs, rows.len());
        failures.extend(t.failures.iter().take(5).cloned());
    }
    assert!(failures.is_empty(), "{} mismatches, first ones:\n{}", failures.len(), failures.join("\n"));
}
