//! Hovering and clicking quotes in the smile plot: the nearest point within the pick radius, and the
//! tooltip of one quote (prices, vols, status, use in the fit, residual, the curves' model IVs).

use egui::{RichText, Ui};
use egui_plot::{PlotPoint, PlotUi};

use crate::calibrate::{QuoteResidual, QuoteUse};
use crate::gui::theme::Palette;
use crate::market::{PremiumCurrency, Quote, QuoteSide};

use super::quote_marks::{PointKind, Target};

/// How close (pixels) the pointer must be to a quote's mid, bid, ask or mark point to hover it, and to a mid
/// for a click to toggle it.
pub(super) const PICK_RADIUS_PX: f32 = 12.0;
/// Decimals of a coin premium in the hover details (Deribit's tick is 0.0001 coin; mids and marks are finer).
const COIN_DECIMALS: usize = 5;
/// Decimals of a USD premium in the hover details.
const USD_DECIMALS: usize = 2;

/// The target nearest to `pointer` in screen space within `PICK_RADIUS_PX` (mids only with `mids_only`).
pub(super) fn nearest_target(
    targets: &[Target],
    to_screen: impl Fn([f64; 2]) -> egui::Pos2,
    pointer: egui::Pos2,
    mids_only: bool,
) -> Option<Target> {
    targets
        .iter()
        .filter(|t| !mids_only || t.kind == PointKind::Mid)
        .map(|t| (t, to_screen(t.point).distance(pointer)))
        .filter(|(_, d)| *d <= PICK_RADIUS_PX)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(t, _)| *t)
}

/// What the pointer does in the plot this frame: (hovered target, index of the quote whose mid was clicked).
pub(super) fn pick(plot: &PlotUi<'_>, targets: &[Target]) -> (Option<Target>, Option<usize>) {
    let response = plot.response();
    let transform = *plot.transform();
    let to_screen = |p: [f64; 2]| transform.position_from_point(&PlotPoint::new(p[0], p[1]));
    let hovered = match response.hover_pos() {
        Some(pointer) if !response.dragged() => nearest_target(targets, to_screen, pointer, false),
        _ => None,
    };
    // The second click of a double click (the view reset) does not toggle again.
    let clicked = response.clicked() && !response.double_clicked();
    let toggled = match response.interact_pointer_pos().or_else(|| response.hover_pos()) {
        Some(pointer) if clicked => nearest_target(targets, to_screen, pointer, true).map(|t| t.quote),
        _ => None,
    };
    (hovered, toggled)
}

/// What the hover tooltip shows about one quote.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct QuoteDetails {
    /// Instrument name.
    pub(super) instrument: String,
    /// `true` for status `ok`.
    pub(super) status_ok: bool,
    /// (label, value) rows: type, strike, k, status, use in the fit, model IVs, residual.
    pub(super) facts: Vec<(String, String)>,
    /// Header of the price table: side, coin (coin-premium quotes only), USD, IV.
    pub(super) price_header: Vec<&'static str>,
    /// Bid, ask, mid and mark rows, aligned with the header.
    pub(super) prices: Vec<Vec<String>>,
    /// What a click on the mid would do, when the quote has a mid.
    pub(super) click_hint: Option<&'static str>,
}

/// The tooltip's content for quote `q` with its fit residual, the user's exclusion and the curves' model IVs.
pub(super) fn quote_details(
    q: &Quote,
    residual: Option<&QuoteResidual>,
    user_excluded: bool,
    curve_ivs: &[(String, f64)],
) -> QuoteDetails {
    let coin = q.premium_currency == PremiumCurrency::Coin;
    let premium = if coin { "premium in coin (inverse)" } else { "premium in USD" };
    let mut facts = vec![
        ("type".to_owned(), format!("{}  ·  {premium}", q.kind.as_str())),
        ("strike".to_owned(), format!("{}", q.strike)),
        ("k".to_owned(), format!("{:+.4}", q.k)),
        ("status".to_owned(), q.status.as_str().to_owned()),
        ("fit".to_owned(), fit_use_text(residual, user_excluded)),
    ];
    for (label, iv) in curve_ivs {
        facts.push((format!("model IV ({label})"), percent(Some(*iv))));
    }
    if let Some(r) = residual.filter(|r| r.residual_vol_pts.is_some() || r.residual_spread_units.is_some()) {
        facts.push(("residual".to_owned(), residual_text(r)));
    }
    let sides = [("bid", &q.bid), ("ask", &q.ask), ("mid", &q.mid), ("mark", &q.mark)];
    let prices = sides.iter().map(|(name, side)| price_row(name, side, coin)).collect();
    let price_header = if coin { vec!["", "coin", "USD", "IV"] } else { vec!["", "USD", "IV"] };
    let click_hint =
        q.mid.iv.map(|_| if user_excluded { "click: include again" } else { "click: exclude from the fit" });
    QuoteDetails {
        instrument: q.instrument.to_string(),
        status_ok: q.status.is_usable(),
        facts,
        price_header,
        prices,
        click_hint,
    }
}

/// Whether the fit used the quote, or why not.
pub(super) fn fit_use_text(residual: Option<&QuoteResidual>, user_excluded: bool) -> String {
    match (residual.map(|r| &r.used), user_excluded) {
        (Some(QuoteUse::Used), true) => "used (your exclusion applies at the next fit)".to_owned(),
        (Some(QuoteUse::Used), false) => "used".to_owned(),
        (Some(QuoteUse::Excluded(reason)), _) => format!("not used: {reason}"),
        (None, true) => "excluded by you (no fit yet)".to_owned(),
        (None, false) => "no fit".to_owned(),
    }
}

/// Model − mid in vol points and in spread units, and whether the model lies inside the spread.
pub(super) fn residual_text(r: &QuoteResidual) -> String {
    let mut parts = Vec::new();
    if let Some(v) = r.residual_vol_pts {
        parts.push(format!("{v:+.2} vol pts"));
    }
    if let Some(s) = r.residual_spread_units {
        parts.push(format!("{s:+.2} spreads"));
    }
    match r.inside_spread {
        Some(true) => parts.push("inside bid/ask".to_owned()),
        Some(false) => parts.push("outside bid/ask".to_owned()),
        None => {}
    }
    parts.join("  ·  ")
}

/// One side's row: name, [coin price,] USD price, IV (or why there is none).
pub(super) fn price_row(name: &str, side: &QuoteSide, coin: bool) -> Vec<String> {
    let mut row = vec![name.to_owned()];
    if coin {
        row.push(side.price_coin.map_or_else(dash, |p| format!("{p:.COIN_DECIMALS$}")));
    }
    row.push(side.price_usd.map_or_else(dash, |p| format!("{p:.USD_DECIMALS$}")));
    row.push(match (side.iv, side.iv_status) {
        (Some(iv), _) => percent(Some(iv)),
        (None, Some(status)) => status.as_str().to_owned(),
        (None, None) => dash(),
    });
    row
}

/// A decimal vol as `52.31 %`, or a dash.
pub(super) fn percent(vol: Option<f64>) -> String {
    vol.filter(|v| v.is_finite()).map_or_else(dash, |v| format!("{:.2} %", 100.0 * v))
}

/// The placeholder for a missing value.
pub(super) fn dash() -> String {
    "—".to_owned()
}

/// Draws the tooltip of one quote.
pub(super) fn quote_details_ui(ui: &mut Ui, d: &QuoteDetails, pal: &Palette) {
    ui.label(RichText::new(&d.instrument).strong());
    egui::Grid::new("quote_facts").num_columns(2).spacing([10.0, 2.0]).show(ui, |ui| {
        for (label, value) in &d.facts {
            ui.label(RichText::new(label).color(pal.bid_ask_unusable));
            if label == "status" && !d.status_ok {
                ui.label(RichText::new(value).color(pal.warning));
            } else {
                ui.label(value);
            }
            ui.end_row();
        }
    });
    ui.separator();
    egui::Grid::new("quote_prices").num_columns(d.price_header.len()).spacing([12.0, 2.0]).show(ui, |ui| {
        for h in &d.price_header {
            ui.label(RichText::new(*h).strong());
        }
        ui.end_row();
        for row in &d.prices {
            for cell in row {
                ui.label(cell);
            }
            ui.end_row();
        }
    });
    if let Some(hint) = d.click_hint {
        ui.small(hint);
    }
}
