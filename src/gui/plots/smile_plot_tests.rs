//! Tests of the smile plot: quote classes, hover details, picking, curves, tooltips and clicks.

use super::super::quote_hover::*;
use super::super::quote_marks::*;
use super::*;
use crate::calibrate::{fit_slice, FitConfig, FitStatus};
use crate::gui::jobs::loaded_chain::LoadedChain;
use crate::io::{load_bytes, LoadOptions};
use crate::market::{PremiumCurrency, Quote, QuoteStatus, Snapshot};
use crate::models::ModelKind;
use crate::pricing::OptionKind;
use crate::sample::SAMPLE_CSV;
use egui_kittest::kittest::Queryable;
use std::sync::Arc;

/// The bundled sample's snapshot.
fn sample() -> Arc<Snapshot> {
    let raw = load_bytes(SAMPLE_CSV.as_bytes(), "sample", &LoadOptions::default()).unwrap();
    LoadedChain::new("sample".into(), raw).unwrap().snapshot
}

/// Slice 3 of the sample fitted with SVI under `config`.
fn fitted(snapshot: &Snapshot, config: &FitConfig) -> (ExpirySlice, SliceFitReport) {
    let slice = snapshot.slices[3].clone();
    let report = fit_slice(ModelKind::Svi.for_slice(&slice).as_ref(), &slice, config, None);
    assert!(report.status.is_usable(), "{:?}", report.status);
    (slice, report)
}

/// The class the plot gives quote `q` (index `i`).
fn class(q: &Quote, i: usize, report: &SliceFitReport, excluded: &[String]) -> QuoteClass {
    let used = residual_for(Some(report), i, &q.instrument).map(|r| &r.used);
    QuoteClass::of(q, is_user_excluded(excluded, &q.instrument), used)
}

#[test]
fn quotes_are_classed_by_the_users_exclusion_their_status_and_the_fits_use() {
    let snapshot = sample();
    let user = "BTC-27MAR26-70000-P".to_owned();
    let config =
        FitConfig { k_range: Some((-0.2, 0.2)), excluded_instruments: vec![user.clone()], ..FitConfig::default() };
    let (slice, report) = fitted(&snapshot, &config);
    let excluded = &config.excluded_instruments;
    let mut seen = std::collections::BTreeSet::new();
    for (i, q) in slice.quotes.iter().enumerate() {
        let c = class(q, i, &report, excluded);
        seen.insert(format!("{c:?}"));
        let expected = if *q.instrument == *user {
            QuoteClass::UserExcluded
        } else if q.status != QuoteStatus::Ok {
            QuoteClass::Unusable
        } else if !q.is_otm() {
            QuoteClass::InTheMoney
        } else if q.k.abs() > 0.2 {
            QuoteClass::Filtered
        } else if q.kind == OptionKind::Call {
            QuoteClass::OtmCall
        } else {
            QuoteClass::OtmPut
        };
        assert_eq!(c, expected, "{} (k {:.3}, {})", q.instrument, q.k, q.status);
    }
    assert_eq!(seen.len(), 6, "the sample's slice shows every class: {seen:?}");

    let series = quote_series(&slice, XAxis::LogMoneyness, Some(&report), excluded);
    let count = |f: fn(&Quote) -> bool| slice.quotes.iter().filter(|q| f(q)).count();
    assert_eq!(series.mids.len(), count(|q| q.mid.iv.is_some()));
    assert_eq!(series.marks.len(), count(|q| q.mark.iv.is_some()));
    assert_eq!(series.bars.len(), count(|q| q.bid.iv.is_some() && q.ask.iv.is_some()));
    assert_eq!(series.one_sided.len(), count(|q| q.bid.iv.is_some() != q.ask.iv.is_some()));
    let sides = series.mids.len() + series.marks.len() + 2 * series.bars.len() + series.one_sided.len();
    assert_eq!(series.targets.len(), sides, "every drawn point can be hovered");
}

#[test]
fn the_details_of_a_coin_quote_give_coin_and_usd_prices_vols_and_the_residual() {
    let snapshot = sample();
    let (slice, report) = fitted(&snapshot, &FitConfig::default());
    let (i, q) = slice.quotes.iter().enumerate().find(|(_, q)| q.status == QuoteStatus::Ok && q.is_otm()).unwrap();
    assert_eq!(q.premium_currency, PremiumCurrency::Coin);
    let r = residual_for(Some(&report), i, &q.instrument).unwrap();
    let d = quote_details(q, Some(r), false, &[("svi fit".to_owned(), 0.5)]);
    assert_eq!(d.instrument, &*q.instrument);
    assert_eq!(d.price_header, ["", "coin", "USD", "IV"]);
    let bid = &d.prices[0];
    assert_eq!(bid[0], "bid");
    assert_eq!(bid[1], format!("{:.5}", q.bid.price_coin.unwrap()));
    assert_eq!(bid[2], format!("{:.2}", q.bid.price_usd.unwrap()));
    assert_eq!(bid[3], format!("{:.2} %", 100.0 * q.bid.iv.unwrap()));
    assert_eq!(d.prices.iter().map(|row| row[0].as_str()).collect::<Vec<_>>(), ["bid", "ask", "mid", "mark"]);
    let fact = |name: &str| d.facts.iter().find(|(l, _)| l == name).map(|(_, v)| v.clone());
    assert_eq!(fact("status").as_deref(), Some("ok"));
    assert_eq!(fact("fit").as_deref(), Some("used"));
    assert_eq!(fact("model IV (svi fit)").as_deref(), Some("50.00 %"));
    let residual = fact("residual").unwrap();
    assert!(residual.contains("vol pts") && residual.contains("spreads"), "{residual}");
    assert_eq!(d.click_hint, Some("click: exclude from the fit"));

    let mut usd = q.clone();
    usd.premium_currency = PremiumCurrency::Quote;
    let d = quote_details(&usd, None, true, &[]);
    assert_eq!(d.price_header, ["", "USD", "IV"]);
    assert!(d.prices.iter().all(|row| row.len() == 3));
    assert_eq!(d.prices[0][1], format!("{:.2}", q.bid.price_usd.unwrap()));
    assert!(d.facts.iter().any(|(l, v)| l == "fit" && v == "excluded by you (no fit yet)"));
    assert_eq!(d.click_hint, Some("click: include again"));
}

#[test]
fn the_details_of_an_unusable_quote_name_its_status_and_why_the_fit_left_it_out() {
    let snapshot = sample();
    let (slice, report) = fitted(&snapshot, &FitConfig::default());
    let (i, q) = slice.quotes.iter().enumerate().find(|(_, q)| q.status != QuoteStatus::Ok).unwrap();
    let d = quote_details(q, residual_for(Some(&report), i, &q.instrument), false, &[]);
    assert!(!d.status_ok);
    assert!(d.facts.contains(&("status".to_owned(), q.status.as_str().to_owned())));
    let why = format!("not used: status {}", q.status.as_str());
    assert!(d.facts.iter().any(|(l, v)| l == "fit" && *v == why), "{:?}", d.facts);
    for (row, side) in d.prices.iter().zip([&q.bid, &q.ask, &q.mid, &q.mark]) {
        let expected = match (side.iv, side.iv_status) {
            (Some(_), _) => "%",
            (None, Some(s)) => s.as_str(),
            (None, None) => "—",
        };
        assert!(row[3].contains(expected), "{row:?}");
    }
}

#[test]
fn the_nearest_point_within_the_pick_radius_wins() {
    let t = |quote, x, kind| Target { quote, point: [x, 0.0], kind };
    let targets = [t(0, 0.0, PointKind::Mid), t(1, 1.0, PointKind::Bid), t(2, 1.1, PointKind::Mark)];
    let to_screen = |p: [f64; 2]| egui::pos2(100.0 * p[0] as f32, 50.0 + p[1] as f32);
    let at = |x: f32| egui::pos2(x, 50.0);
    assert_eq!(nearest_target(&targets, to_screen, at(5.0), false).map(|t| t.quote), Some(0));
    assert_eq!(nearest_target(&targets, to_screen, at(97.0), false).map(|t| t.quote), Some(1));
    assert_eq!(nearest_target(&targets, to_screen, at(108.0), false).map(|t| t.quote), Some(2));
    assert_eq!(nearest_target(&targets, to_screen, at(97.0), true), None, "a click picks mids only");
    assert_eq!(nearest_target(&targets, to_screen, at(50.0), false), None, "nothing within 12 px");
    assert_eq!(nearest_target(&[], to_screen, at(0.0), false), None);
}

#[test]
fn a_failed_fit_has_no_curve_and_parameters_of_another_model_draw_nothing() {
    let snapshot = sample();
    let (slice, mut report) = fitted(&snapshot, &FitConfig::default());
    let smile = report.smile(ModelKind::Svi);
    let curve = fit_curve(&report, smile.as_ref()).unwrap();
    assert_eq!((curve.label.as_str(), curve.style), ("svi fit", CurveStyle::Fit));
    assert_eq!(curve_ivs(&[curve], 0.0).len(), 1);
    // Parameters of another model make no smile, so no curve (the check is FittedSmile's, made once).
    let inputs = crate::models::SliceInputs { t_years: slice.t_years, forward: slice.forward };
    let sabr = FittedSmile::new(ModelKind::SviJw, inputs, vec![0.1, 0.2]);
    assert!(sabr.is_err(), "two parameters for a five-parameter model");
    assert!(fit_curve(&report, sabr.as_ref().ok()).is_none());
    report.status = FitStatus::Failed { reason: "test".into() };
    assert!(fit_curve(&report, smile.as_ref()).is_none());
}

/// A harness drawing the smile of `slice` with `report`'s fit and a dashed alternative curve; its state is the
/// last frame's action.
fn smile_harness(
    slice: ExpirySlice,
    report: SliceFitReport,
    excluded: Vec<String>,
) -> egui_kittest::Harness<'static, SmileAction> {
    let alt: Vec<f64> = report.params.iter().enumerate().map(|(i, p)| if i == 0 { p * 1.2 } else { *p }).collect();
    let smile = report.smile(ModelKind::Svi);
    let inputs = crate::models::SliceInputs { t_years: report.t_years, forward: report.forward };
    let alt = FittedSmile::new(ModelKind::Svi, inputs, alt).unwrap();
    let mut harness = egui_kittest::Harness::builder().with_size(egui::vec2(900.0, 600.0)).build_ui_state(
        move |ui, action: &mut SmileAction| {
            let mut curves: Vec<Curve<'_>> = fit_curve(&report, smile.as_ref()).into_iter().collect();
            curves.push(Curve { label: "manual".into(), smile: &alt, style: CurveStyle::Alt });
            *action = smile_plot_ui(
                ui,
                &slice,
                Some(&report),
                &curves,
                XAxis::LogMoneyness,
                &excluded,
                SmileInteraction::default(),
            );
        },
        SmileAction::default(),
    );
    harness.run_steps(4);
    harness
}

/// Moves the pointer over the plot on a grid fine enough to come within the pick radius of every point;
/// the first position where `found` holds for the frame's action.
fn scan(
    harness: &mut egui_kittest::Harness<'_, SmileAction>,
    found: impl Fn(&SmileAction) -> bool,
) -> Option<egui::Pos2> {
    let rect = harness.state().plot_rect.expect("the plot reports its rect");
    let step_px = PICK_RADIUS_PX * 1.3;
    let (nx, ny) = ((rect.width() / step_px) as usize, (rect.height() / step_px) as usize);
    for j in 0..ny {
        // Rows from the middle outwards: the smile lies across the middle of the plot.
        let row = if j % 2 == 0 { ny / 2 + j / 2 } else { ny / 2 - j.div_ceil(2) };
        for i in 0..nx {
            let pos = rect.min + egui::vec2(i as f32 + 0.5, row as f32 + 0.5) * step_px;
            harness.hover_at(pos);
            harness.step();
            if found(harness.state()) {
                return Some(pos);
            }
        }
    }
    None
}

#[test]
fn hovering_a_quote_shows_its_details_in_a_tooltip() {
    let snapshot = sample();
    let (slice, report) = fitted(&snapshot, &FitConfig::default());
    let mut harness = smile_harness(slice.clone(), report, Vec::new());
    assert!(harness.state().hovered.is_none(), "nothing hovered without a pointer");
    scan(&mut harness, |a| a.hovered.is_some()).expect("some quote can be hovered");
    let instrument = harness.state().hovered.clone().unwrap();
    let q = slice.quotes.iter().find(|q| *q.instrument == instrument).unwrap();
    // A tooltip's first frame only sizes it; it is drawn from the next one on.
    harness.step();
    assert_eq!(harness.state().hovered.as_ref(), Some(&instrument), "the pointer has not moved");
    assert!(harness.query_by_value(&instrument).is_some(), "the tooltip names the instrument");
    assert!(harness.query_by_value(q.status.as_str()).is_some(), "and its status");
    assert!(harness.query_by_value("model IV (manual)").is_some(), "and each curve's model IV");
    assert!(harness.query_by_value("coin").is_some() && harness.query_by_value("USD").is_some());
    assert!(harness.state().toggled.is_none(), "hovering toggles nothing");
}

#[test]
fn clicking_a_mid_toggles_that_quote() {
    let snapshot = sample();
    let (mut slice, report) = fitted(&snapshot, &FitConfig::default());
    // Mids only, so the hovered point is the one a click picks.
    for q in &mut slice.quotes {
        (q.bid.iv, q.ask.iv, q.mark.iv) = (None, None, None);
    }
    let excluded = vec![slice.quotes[0].instrument.to_string()];
    let mut harness = smile_harness(slice, report, excluded);
    let pos = scan(&mut harness, |a| a.hovered.is_some()).expect("some mid can be hovered");
    let hovered = harness.state().hovered.clone();
    harness.drag_at(pos);
    harness.step();
    harness.event(egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    harness.step();
    assert_eq!(harness.state().toggled, hovered);
}
