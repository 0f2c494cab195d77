//! Everything Volscope writes, it reads back: random sessions (failed fits, NaN and infinite statistics, empty
//! parameter lists, per-expiry setups, exclusions, hand-set parameters) through the session file, and random
//! fit reports through fit.json, grid.csv and res.csv with the documented representation of non-finite
//! numbers (`volscope::json_num`: NaN is JSON null or an empty CSV cell, infinities are `inf` / `-inf`).
//!
//! Values are compared through their `Debug` text: it prints every f64 exactly (shortest round-trip form) and
//! NaN as `NaN`, so equal text means the same bits up to NaN payloads.

use std::collections::BTreeMap;
use std::path::PathBuf;

use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use volscope::calibrate::{
    ButterflySummary, Exclusion, FitConfig, FitStatus, Loss, Objective, QuoteResidual, QuoteSelection, QuoteUse,
    SliceFitReport, Solver, Weighting,
};
use volscope::export::{fit_json, write_grid_csv, write_residuals_csv, FitSource, GridSpec, RESIDUAL_COLUMNS};
use volscope::json_num::Num;
use volscope::market::QuoteStatus;
use volscope::models::{ModelKind, SmileModel, Svi};
use volscope::pricing::OptionKind;
use volscope::session::{EditState, Session, SliceSetup, SESSION_VERSION};

/// Any f64, with the special values drawn often.
fn num() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => any::<f64>(),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(-0.0),
        1 => Just(f64::MIN_POSITIVE / 4.0),
        2 => -10.0..10.0f64,
    ]
}

/// An optional f64: `None`, or any value but NaN (a `Some(NaN)` is written as null and reads back as `None`,
/// as documented).
fn opt_num() -> impl Strategy<Value = Option<f64>> {
    option::of(num().prop_filter("Some(NaN) reads back as None", |x| !x.is_nan()))
}

fn text() -> impl Strategy<Value = String> {
    ".{0,10}"
}

fn exclusion() -> BoxedStrategy<Exclusion> {
    prop_oneof![
        proptest::sample::select(QuoteStatus::ALL.to_vec()).prop_map(Exclusion::Status),
        Just(Exclusion::InTheMoney),
        Just(Exclusion::NoMidIv),
        Just(Exclusion::User),
        Just(Exclusion::OutsideKRange),
        Just(Exclusion::NoDelta),
        Just(Exclusion::OutsideDeltaRange),
        // One decimal is what the text keeps.
        (0..10_000u32).prop_map(|m| Exclusion::WideSpread { multiple: f64::from(m) / 10.0 }),
        "[a-z ]{1,12}".prop_map(|t| Exclusion::from(t.as_str())),
    ]
    .boxed()
}

fn status() -> BoxedStrategy<FitStatus> {
    prop_oneof![
        Just(FitStatus::Converged),
        Just(FitStatus::MaxIterations),
        Just(FitStatus::Manual),
        vec(text(), 0..3).prop_map(|params| FitStatus::AtBound { params }),
        text().prop_map(|reason| FitStatus::Failed { reason }),
    ]
    .boxed()
}

fn residual() -> BoxedStrategy<QuoteResidual> {
    (
        (text(), num(), num(), prop_oneof![Just(OptionKind::Call), Just(OptionKind::Put)]),
        (opt_num(), opt_num(), opt_num(), opt_num(), opt_num(), opt_num()),
        option::of(any::<bool>()),
        prop_oneof![Just(QuoteUse::Used), exclusion().prop_map(QuoteUse::Excluded)],
    )
        .prop_map(|((instrument, strike, k, kind), (bid, ask, mid, model, vol_pts, spread), inside, used)| {
            QuoteResidual {
                instrument,
                strike,
                k,
                kind,
                bid_iv: bid,
                ask_iv: ask,
                mid_iv: mid,
                model_iv: model,
                residual_vol_pts: vol_pts,
                residual_spread_units: spread,
                inside_spread: inside,
                used,
            }
        })
        .boxed()
}

fn report() -> BoxedStrategy<SliceFitReport> {
    (
        (text(), any::<i64>(), num(), num(), text(), status()),
        (vec(text(), 0..6), vec(num(), 0..6)),
        (num(), num(), num(), num()),
        (any::<usize>(), any::<usize>(), any::<usize>(), num()),
        (any::<bool>(), num(), num(), vec((num(), num()), 0..3)),
        (vec(residual(), 0..4), vec(text(), 0..3)),
    )
        .prop_map(|(head, (param_names, params), stats, counts, fly, (residuals, notes))| {
            let (expiry, expiry_ms, t_years, forward, model, status) = head;
            let (rmse_vol_pts, max_abs_err_vol_pts, inside_spread_share, mean_err_spread_units) = stats;
            let (n_quotes, iterations, function_evals, fit_time_us) = counts;
            let (ok, min_g, k_at_min_g, negative_ranges) = fly;
            SliceFitReport {
                expiry,
                expiry_ms,
                t_years,
                forward,
                model,
                status,
                param_names,
                params,
                rmse_vol_pts,
                max_abs_err_vol_pts,
                inside_spread_share,
                mean_err_spread_units,
                n_quotes,
                iterations,
                function_evals,
                fit_time_us,
                butterfly: ButterflySummary { ok, min_g, k_at_min_g, negative_ranges },
                residuals,
                notes,
            }
        })
        .boxed()
}

fn kind() -> BoxedStrategy<ModelKind> {
    prop_oneof![Just(ModelKind::Svi), Just(ModelKind::SviJw), opt_num().prop_map(|beta| ModelKind::Sabr { beta })]
        .boxed()
}

fn config() -> BoxedStrategy<FitConfig> {
    (
        (0..2usize, 0..3usize, 0..2usize, 0..4usize, 0..2usize),
        (option::of((num(), num())), option::of((num(), num())), opt_num(), num(), num()),
        (btree_map(text(), (num(), num()), 0..3), btree_map(text(), num(), 0..3)),
        (any::<bool>(), any::<usize>(), vec(text(), 0..2)),
    )
        .prop_map(|(choice, ranges, (bounds, fixed), (no_arbitrage, max_iterations, excluded))| {
            let (objective, weights, selection, loss, solver) = choice;
            let (k_range, abs_delta_range, max_spread_multiple, loss_scale, atm_vol_factor) = ranges;
            FitConfig {
                objective: [Objective::Vol, Objective::Price][objective],
                weights: [Weighting::Equal, Weighting::Vega, Weighting::Spread][weights],
                selection: [QuoteSelection::OtmOnly, QuoteSelection::TwoSidedAll][selection],
                k_range,
                abs_delta_range,
                excluded_instruments: excluded,
                max_spread_multiple,
                loss: [Loss::Linear, Loss::Huber, Loss::SoftL1, Loss::Auto][loss],
                loss_scale,
                bounds,
                fixed,
                solver: [Solver::Lm, Solver::Lbfgs][solver],
                no_arbitrage,
                max_iterations,
                atm_vol_factor,
            }
        })
        .boxed()
}

fn setup() -> BoxedStrategy<SliceSetup> {
    (kind(), config()).prop_map(|(kind, config)| SliceSetup { kind, config }).boxed()
}

fn edit_state() -> BoxedStrategy<EditState> {
    (
        setup(),
        btree_map(any::<i64>(), setup(), 0..3),
        vec(text(), 0..4),
        btree_map(any::<i64>(), vec(num(), 0..6), 0..3),
    )
        .prop_map(|(all, per_expiry, excluded, manual)| EditState { all, per_expiry, excluded, manual })
        .boxed()
}

fn session() -> BoxedStrategy<Session> {
    (
        option::of(text().prop_map(PathBuf::from)),
        option::of(text()),
        option::of(any::<i64>()),
        option::of(any::<i64>()),
        edit_state(),
        vec(report(), 0..4),
        any::<i64>(),
    )
        .prop_map(|(source, underlying, at_ms, selected_expiry_ms, edit, fits, saved_at_ms)| Session {
            version: SESSION_VERSION,
            source,
            underlying,
            at_ms,
            selected_expiry_ms,
            edit,
            fits,
            saved_at_ms,
        })
        .boxed()
}

/// The same value, bit for bit (NaN payloads aside).
fn same<T: std::fmt::Debug>(a: &T, b: &T) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

/// A JSON value read back as an f64 the way Volscope reads its own files.
fn read_num(value: &serde_json::Value) -> f64 {
    serde_json::from_value::<Num>(value.clone()).expect("a number in Volscope's representation").0
}

/// A CSV cell read back by the documented rule: empty is NaN, else Rust's float syntax (`inf`, `-inf`).
fn read_cell(cell: &str) -> f64 {
    if cell.is_empty() {
        f64::NAN
    } else {
        cell.parse().unwrap_or_else(|_| panic!("not a number: {cell:?}"))
    }
}

/// An optional CSV cell: empty is `None`.
fn read_opt_cell(cell: &str) -> Option<f64> {
    (!cell.is_empty()).then(|| read_cell(cell))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn a_session_reads_back_equal(session in session()) {
        let text = serde_json::to_string_pretty(&session).unwrap();
        let back = Session::from_json(&text, "s.json").unwrap_or_else(|e| panic!("{e}\n{text}"));
        prop_assert!(same(&back, &session), "{back:#?}\n!=\n{session:#?}");
    }

    #[test]
    fn fit_json_reads_back_every_number(reports in vec(report(), 1..4)) {
        let doc = fit_json(&FitSource::default(), &reports, &[]);
        let text = serde_json::to_string_pretty(&doc).unwrap();
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        for (r, s) in reports.iter().zip(back["slices"].as_array().unwrap()) {
            let stats = [
                ("t_years", r.t_years),
                ("forward", r.forward),
                ("rmse_vol_pts", r.rmse_vol_pts),
                ("max_abs_err_vol_pts", r.max_abs_err_vol_pts),
                ("inside_spread_share", r.inside_spread_share),
                ("mean_err_spread_units", r.mean_err_spread_units),
                ("fit_time_us", r.fit_time_us),
                ("min_g", r.butterfly.min_g),
                ("k_at_min_g", r.butterfly.k_at_min_g),
            ];
            for (key, want) in stats {
                prop_assert!(same(&read_num(&s[key]), &want), "{key}: {} vs {want:?}", s[key]);
            }
            // Parameters are keyed by name: the last of a repeated name wins.
            let mut params = BTreeMap::new();
            for (name, p) in r.param_names.iter().zip(&r.params) {
                params.insert(name.clone(), *p);
            }
            for (name, want) in params {
                prop_assert!(same(&read_num(&s["params"][&name]), &want), "param {name}");
            }
            let ranges = s["butterfly_negative_ranges"].as_array().unwrap();
            for ((lo, hi), got) in r.butterfly.negative_ranges.iter().zip(ranges) {
                prop_assert!(same(&(read_num(&got[0]), read_num(&got[1])), &(*lo, *hi)));
            }
        }
    }

    #[test]
    fn res_csv_reads_back_every_number(reports in vec(report(), 1..3)) {
        let mut out = Vec::new();
        write_residuals_csv(&reports, &mut out).unwrap();
        let mut reader = csv::Reader::from_reader(out.as_slice());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let quotes: Vec<(&SliceFitReport, &QuoteResidual)> =
            reports.iter().flat_map(|r| r.residuals.iter().map(move |q| (r, q))).collect();
        prop_assert_eq!(rows.len(), quotes.len());
        let col = |name: &str| RESIDUAL_COLUMNS.iter().position(|c| *c == name).unwrap();
        for (row, (r, q)) in rows.iter().zip(quotes) {
            prop_assert!(same(&read_cell(&row[col("t_years")]), &r.t_years));
            prop_assert!(same(&read_cell(&row[col("strike")]), &q.strike));
            prop_assert!(same(&read_cell(&row[col("k")]), &q.k));
            let optional = [
                ("bid_iv", q.bid_iv),
                ("ask_iv", q.ask_iv),
                ("mid_iv", q.mid_iv),
                ("model_iv", q.model_iv),
                ("residual_vol_pts", q.residual_vol_pts),
                ("residual_spread_units", q.residual_spread_units),
            ];
            for (name, want) in optional {
                prop_assert!(same(&read_opt_cell(&row[col(name)]), &want), "{name}");
            }
            prop_assert_eq!(&row[col("instrument")], q.instrument.as_str());
        }
    }

    #[test]
    fn grid_csv_reads_back_the_model(
        params in (0.0..0.1f64, -0.1..0.5f64, -0.99..0.99f64, -0.3..0.3f64, -0.05..0.3f64),
        t_years in prop_oneof![Just(0.0), 1e-4..3.0f64],
    ) {
        // Some of these smiles are invalid (b < 0, sigma ≤ 0, w < 0): their cells are NaN or infinite.
        let (a, b, rho, m, sigma) = params;
        let params = vec![a, b, rho, m, sigma];
        let mut r = SliceFitReport {
            expiry: "2026-03-27T08:00:00Z".into(),
            expiry_ms: 0,
            t_years,
            forward: 70_000.0,
            model: "svi".into(),
            status: FitStatus::Converged,
            param_names: Svi.param_names().iter().map(|s| s.to_string()).collect(),
            params,
            rmse_vol_pts: f64::NAN,
            max_abs_err_vol_pts: f64::NAN,
            inside_spread_share: f64::NAN,
            mean_err_spread_units: f64::NAN,
            n_quotes: 0,
            iterations: 0,
            function_evals: 0,
            fit_time_us: 0.0,
            butterfly: ButterflySummary { ok: true, min_g: 0.0, k_at_min_g: 0.0, negative_ranges: vec![] },
            residuals: vec![],
            notes: vec![],
        };
        r.status = FitStatus::Manual;
        let fits: [(&SliceFitReport, &dyn SmileModel); 1] = [(&r, &Svi)];
        let mut out = Vec::new();
        write_grid_csv(&fits, &GridSpec::K { min: -1.0, max: 1.0, step: 0.25 }, &mut out).unwrap();
        let mut reader = csv::Reader::from_reader(out.as_slice());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        prop_assert_eq!(rows.len(), 9);
        for row in &rows {
            let k = read_cell(&row[3]);
            prop_assert!(same(&read_cell(&row[6]), &Svi.implied_vol(&r.params, k, t_years)), "iv at {k}");
            prop_assert!(same(&read_cell(&row[7]), &Svi.total_variance(&r.params, k)), "w at {k}");
        }
    }
}

#[test]
fn a_session_with_a_failed_fit_reads_back_through_its_file() {
    let failed = SliceFitReport {
        expiry: "2026-03-27T08:00:00Z".into(),
        expiry_ms: 1_774_598_400_000,
        t_years: 0.03,
        forward: 70_000.0,
        model: "svi".into(),
        status: FitStatus::Failed { reason: "too few quotes".into() },
        param_names: vec!["a".into(), "b".into(), "rho".into(), "m".into(), "sigma".into()],
        params: vec![],
        rmse_vol_pts: f64::NAN,
        max_abs_err_vol_pts: f64::NAN,
        inside_spread_share: f64::NAN,
        mean_err_spread_units: f64::NAN,
        n_quotes: 2,
        iterations: 0,
        function_evals: 0,
        fit_time_us: 12.0,
        butterfly: ButterflySummary { ok: false, min_g: f64::NAN, k_at_min_g: f64::NAN, negative_ranges: vec![] },
        residuals: vec![],
        notes: vec![],
    };
    let mut edit = EditState::default();
    edit.all.config.fixed.insert("rho".into(), -0.5);
    edit.all.config.bounds.insert("b".into(), (0.0, f64::INFINITY));
    let session = Session {
        version: SESSION_VERSION,
        source: Some(PathBuf::from("/data/deribit.csv")),
        underlying: Some("BTC".into()),
        at_ms: None,
        selected_expiry_ms: Some(1_774_598_400_000),
        edit,
        fits: vec![failed],
        saved_at_ms: 1,
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.volscope.json");
    session.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"rmse_vol_pts\": null") && text.contains("\"inf\""), "{text}");
    assert!(same(&Session::load(&path).unwrap(), &session));
    // Files written before this representation existed (NaN as null everywhere) read too.
    let old = text.replace("\"inf\"", "null");
    let back = Session::from_json(&old, "old.json").unwrap();
    assert!(back.edit.all.config.bounds["b"].1.is_nan());
}
