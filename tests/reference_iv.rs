//! Implied vols against ../shared/reference/black76_iv.csv (11,232 rows = the Black-76 grid × call/put).
//!
//! - Every well-posed row (as the file marks it) recovers sigma within max(1e-12, 100·iv_cond_rel) relative.
//! - Every row reported `ok` meets the same tolerance, ill-posed or not: an `ok` vol is never wrong.
//! - A row reported `ill_conditioned` carries a vol that reprices the input within a few ulps: it is *a*
//!   correct answer, flagged because the price cannot pin the vol more tightly.
//! - Every other status must be justified by the inputs (e.g. `below_intrinsic` only below intrinsic);
//!   `solver_failed` never occurs.

mod common;

use std::collections::BTreeMap;
use volscope::pricing::{implied_vol, price, IvStatus, OptionKind, OptionSpec};

#[derive(serde::Deserialize)]
struct IvRow {
    id: usize,
    option: String,
    #[serde(rename = "F")]
    f: f64,
    #[serde(rename = "K")]
    k: f64,
    #[serde(rename = "T")]
    t: f64,
    sigma: f64,
    #[serde(rename = "D")]
    d: f64,
    price: f64,
    iv_cond_rel: f64,
    iv_well_posed: bool,
}

fn tolerance(row: &IvRow) -> f64 {
    (100.0 * row.iv_cond_rel).max(1e-12)
}

/// Checks one row; returns a description of the violation, if any.
fn violation(row: &IvRow, spec: &OptionSpec) -> Option<String> {
    let out = implied_vol(spec, row.price);
    let p_undisc = row.price / row.d;
    let intrinsic = (spec.kind.sign() * (row.f - row.k)).max(0.0);
    let max_price = if spec.kind == OptionKind::Call { row.f } else { row.k };
    let rel_err = out.vol.map(|v| (v - row.sigma).abs() / row.sigma);
    let accurate = rel_err.is_some_and(|e| e <= tolerance(row));
    let justified = match out.status {
        IvStatus::Ok => accurate,
        IvStatus::IllConditioned => {
            let v = out.vol.expect("ill_conditioned carries a vol");
            let repriced = price(spec, v);
            accurate || (repriced - row.price).abs() <= 4.0 * f64::EPSILON * row.price.abs() + f64::MIN_POSITIVE
        }
        IvStatus::ZeroOrNegativePrice => row.price <= 0.0,
        IvStatus::PriceTooSmall => p_undisc > 0.0 && p_undisc < f64::MIN_POSITIVE,
        IvStatus::BelowIntrinsic => p_undisc < intrinsic,
        IvStatus::NoTimeValue => p_undisc == intrinsic,
        IvStatus::AboveMaximum => p_undisc >= max_price,
        _ => false,
    };
    if row.iv_well_posed && !accurate {
        return Some(format!(
            "well-posed row {} {}: iv {:?} ({}) vs sigma {}, rel err {:?} > tol {:e}",
            row.id,
            row.option,
            out.vol,
            out.status,
            row.sigma,
            rel_err,
            tolerance(row)
        ));
    }
    if !justified {
        return Some(format!(
            "row {} {} (well_posed={}): status {} with iv {:?} is not justified (sigma {}, price {:e}, rel err {:?}, tol {:e})",
            row.id, row.option, row.iv_well_posed, out.status, out.vol, row.sigma, row.price, rel_err, tolerance(row)
        ));
    }
    None
}

#[test]
fn every_reference_row_recovers_sigma_or_names_why_not() {
    let Some(path) = common::reference_file("black76_iv.csv") else { return };
    let rows: Vec<IvRow> = common::read_csv(&path);
    assert_eq!(rows.len(), 11_232);
    let mut problems = Vec::new();
    let mut statuses: BTreeMap<(bool, IvStatus), usize> = BTreeMap::new();
    for row in &rows {
        let kind = OptionKind::parse(&row.option).expect("option is call or put");
        let spec = OptionSpec { kind, forward: row.f, strike: row.k, t_years: row.t, discount: row.d };
        *statuses.entry((row.iv_well_posed, implied_vol(&spec, row.price).status)).or_default() += 1;
        problems.extend(violation(row, &spec));
    }
    for ((well_posed, status), n) in &statuses {
        eprintln!("well_posed={well_posed:<5} {status:<20} {n}");
    }
    let n_well_posed = rows.iter().filter(|r| r.iv_well_posed).count();
    assert_eq!(n_well_posed, 8612, "the file marks 8612 rows well-posed");
    assert!(
        problems.is_empty(),
        "{} problems, first:\n{}",
        problems.len(),
        problems[..problems.len().min(10)].join("\n")
    );
}
