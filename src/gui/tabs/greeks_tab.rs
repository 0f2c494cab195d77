//! The Greeks tab: Black-76 Greeks of every quote of the selected expiry at its market vol or at the fitted
//! smile's vol, in USD and (for coin-margined options) in coin; sortable by any column, copyable as CSV.
//!
//! The rows, their order and the CSV text are computed by pure functions ([`greeks_rows`], [`sort_rows`],
//! [`greeks_csv`]); the drawing only shows them.

use egui::{Button, Id, RichText, Ui};

use crate::calibrate::SliceFitReport;
use crate::market::{ExpirySlice, PremiumCurrency};
use crate::models::FittedSmile;
use crate::pricing::{greeks, CoinGreeks, Greeks, OptionKind, OptionSpec};

/// Where the vol the Greeks are computed at comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VolSource {
    /// The quote's mid vol, else its mark vol.
    #[default]
    Market,
    /// The fitted smile's vol at the quote's k.
    Model,
}

/// The Greeks of one quote.
#[derive(Clone, Debug, PartialEq)]
pub struct GreeksRow {
    /// Instrument name.
    pub instrument: String,
    /// Strike, quote currency.
    pub strike: f64,
    /// Call or put.
    pub kind: OptionKind,
    /// Currency of the premium: coin-margined (inverse) or quote currency (linear).
    pub premium_currency: PremiumCurrency,
    /// The vol the Greeks were computed at (decimal).
    pub vol: f64,
    /// Forward the Greeks were computed on, quote currency.
    pub forward: f64,
    /// Black-76 value and Greeks in quote currency (USD) per one unit of underlying.
    pub usd: Greeks,
    /// The same option as a coin-margined contract valued at V/F coins.
    pub coin: CoinGreeks,
}

impl GreeksRow {
    /// `true` for a coin-margined (inverse) option, whose coin Greeks are the ones a holder hedges.
    pub fn is_coin(&self) -> bool {
        self.premium_currency == PremiumCurrency::Coin
    }
}

/// The shown fit of a slice: its report and the smile of its parameters (when they make one).
pub type ShownFit<'a> = (&'a SliceFitReport, Option<&'a FittedSmile>);

/// Why the fitted smile's vol cannot be used for `slice`, or `None` when it can.
pub fn model_vol_unavailable(slice: &ExpirySlice, fit: Option<ShownFit<'_>>) -> Option<String> {
    let Some((report, smile)) = fit else {
        return Some("No fit for this expiry.".to_owned());
    };
    if report.expiry_ms != slice.expiry_ms {
        return Some("The shown fit is for another expiry.".to_owned());
    }
    if let crate::calibrate::FitStatus::Failed { reason } = &report.status {
        return Some(format!("The fit failed: {reason}"));
    }
    if report.params.is_empty() {
        return Some("The fit has no parameters.".to_owned());
    }
    if smile.is_none() {
        return Some("The fit's parameters do not make a smile for this expiry.".to_owned());
    }
    None
}

/// Greeks of the quotes of `slice`, in slice order, at the vol `source` names: the market vol (mid, else
/// mark) of each quote that has one, or the fitted smile's vol at each quote's k (every quote where it is
/// finite and positive; no rows when [`model_vol_unavailable`]). Priced on the quote's forward with the
/// slice's discount factor (the ones its vols were implied with).
pub fn greeks_rows(slice: &ExpirySlice, fit: Option<ShownFit<'_>>, source: VolSource) -> Vec<GreeksRow> {
    let smile = match (source, fit) {
        (VolSource::Market, _) => None,
        (VolSource::Model, Some((_, Some(smile)))) if model_vol_unavailable(slice, fit).is_none() => Some(smile),
        (VolSource::Model, _) => return Vec::new(),
    };
    slice
        .quotes
        .iter()
        .filter_map(|q| {
            let vol = match smile {
                None => q.display_iv()?,
                Some(smile) => smile.implied_vol(q.k),
            };
            if !(vol.is_finite() && vol > 0.0) {
                return None;
            }
            let spec = OptionSpec {
                kind: q.kind,
                forward: q.forward_used,
                strike: q.strike,
                t_years: slice.t_years,
                discount: slice.discount,
            };
            let usd = greeks(&spec, vol);
            Some(GreeksRow {
                instrument: q.instrument.to_string(),
                strike: q.strike,
                kind: q.kind,
                premium_currency: q.premium_currency,
                vol,
                forward: q.forward_used,
                usd,
                coin: usd.to_coin(q.forward_used),
            })
        })
        .collect()
}

/// A column of the Greeks table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GreeksColumn {
    /// Instrument name.
    Instrument,
    /// Strike.
    Strike,
    /// `call` or `put`.
    Type,
    /// Vol the row was computed at, percent.
    VolPct,
    /// Value V, USD.
    ValueUsd,
    /// Value V/F, coin (coin-margined options only).
    ValueCoin,
    /// Black delta ∂V/∂F.
    Delta,
    /// Premium-adjusted delta Δ − V/F, the coin delta (coin-margined options only).
    DeltaPremiumAdjusted,
    /// ∂²V/∂F², per USD.
    GammaPerUsd,
    /// ∂²(V/F)/∂F², coin per USD² (coin-margined options only).
    GammaCoinPerUsd2,
    /// Vega per vol point, USD.
    VegaUsdPerVolPt,
    /// Theta per calendar day, USD.
    ThetaUsdPerDay,
    /// Vanna: change of delta per vol point.
    VannaPerVolPt,
    /// Volga: change of vega (USD per vol point) per vol point.
    VolgaUsdPerVolPt2,
    /// ∂(V/F)/∂σ per vol point, coin (coin-margined options only).
    VegaCoinPerVolPt,
    /// ∂(V/F)/∂t per calendar day, coin (coin-margined options only).
    ThetaCoinPerDay,
}

impl GreeksColumn {
    /// Every column, in display order.
    pub const ALL: [GreeksColumn; 16] = [
        GreeksColumn::Instrument,
        GreeksColumn::Strike,
        GreeksColumn::Type,
        GreeksColumn::VolPct,
        GreeksColumn::ValueUsd,
        GreeksColumn::ValueCoin,
        GreeksColumn::Delta,
        GreeksColumn::DeltaPremiumAdjusted,
        GreeksColumn::GammaPerUsd,
        GreeksColumn::GammaCoinPerUsd2,
        GreeksColumn::VegaUsdPerVolPt,
        GreeksColumn::ThetaUsdPerDay,
        GreeksColumn::VannaPerVolPt,
        GreeksColumn::VolgaUsdPerVolPt2,
        GreeksColumn::VegaCoinPerVolPt,
        GreeksColumn::ThetaCoinPerDay,
    ];

    /// Header text (also the CSV header).
    pub fn header(self) -> &'static str {
        match self {
            GreeksColumn::Instrument => "Instrument",
            GreeksColumn::Strike => "Strike",
            GreeksColumn::Type => "Type",
            GreeksColumn::VolPct => "Vol %",
            GreeksColumn::ValueUsd => "Value (USD)",
            GreeksColumn::ValueCoin => "Value (coin)",
            GreeksColumn::Delta => "Delta",
            GreeksColumn::DeltaPremiumAdjusted => "Delta PA (coin)",
            GreeksColumn::GammaPerUsd => "Gamma (1/USD)",
            GreeksColumn::GammaCoinPerUsd2 => "Gamma (coin/USD²)",
            GreeksColumn::VegaUsdPerVolPt => "Vega (USD/pt)",
            GreeksColumn::ThetaUsdPerDay => "Theta (USD/day)",
            GreeksColumn::VannaPerVolPt => "Vanna (Δ/pt)",
            GreeksColumn::VolgaUsdPerVolPt2 => "Volga (USD/pt²)",
            GreeksColumn::VegaCoinPerVolPt => "Vega (coin/pt)",
            GreeksColumn::ThetaCoinPerDay => "Theta (coin/day)",
        }
    }

    /// What the column holds (header hover text).
    pub fn description(self) -> &'static str {
        match self {
            GreeksColumn::Instrument => "Exchange instrument name",
            GreeksColumn::Strike => "Strike, USD",
            GreeksColumn::Type => "Call or put",
            GreeksColumn::VolPct => "The vol the row is computed at, percent",
            GreeksColumn::ValueUsd => "Black-76 value V per coin of notional, USD",
            GreeksColumn::ValueCoin => "V/F: the value of the coin-margined contract, coin",
            GreeksColumn::Delta => "Black forward delta ∂V/∂F (what Deribit reports as delta)",
            GreeksColumn::DeltaPremiumAdjusted => {
                "Premium-adjusted delta Δ − V/F = F·∂(V/F)/∂F: coins to hold per coin of notional to hedge a \
                 coin-margined option (blank for USD-premium options)"
            }
            GreeksColumn::GammaPerUsd => "∂²V/∂F²: change of delta per 1 USD move of the forward",
            GreeksColumn::GammaCoinPerUsd2 => "∂²(V/F)/∂F², coin per USD² (blank for USD-premium options)",
            GreeksColumn::VegaUsdPerVolPt => "Change of value per vol point (σ + 0.01), USD",
            GreeksColumn::ThetaUsdPerDay => "Change of value per calendar day (ACT/365), forward and vol fixed, USD",
            GreeksColumn::VannaPerVolPt => "∂²V/∂F∂σ per vol point: change of delta per vol point",
            GreeksColumn::VolgaUsdPerVolPt2 => "∂²V/∂σ² per vol point²: change of vega (USD/pt) per vol point",
            GreeksColumn::VegaCoinPerVolPt => {
                "∂(V/F)/∂σ per vol point: change of the coin value per vol point, coin (blank for USD-premium options)"
            }
            GreeksColumn::ThetaCoinPerDay => {
                "∂(V/F)/∂t per calendar day (ACT/365), coin (blank for USD-premium options)"
            }
        }
    }

    /// `true` for a column that only means something for coin-margined options.
    pub fn coin_only(self) -> bool {
        matches!(
            self,
            GreeksColumn::ValueCoin
                | GreeksColumn::DeltaPremiumAdjusted
                | GreeksColumn::GammaCoinPerUsd2
                | GreeksColumn::VegaCoinPerVolPt
                | GreeksColumn::ThetaCoinPerDay
        )
    }

    /// The number in this column of `row` (`None` for a text column or a blank cell).
    pub fn number(self, row: &GreeksRow) -> Option<f64> {
        let coin = row.is_coin();
        match self {
            GreeksColumn::Instrument | GreeksColumn::Type => None,
            GreeksColumn::Strike => Some(row.strike),
            GreeksColumn::VolPct => Some(100.0 * row.vol),
            GreeksColumn::ValueUsd => Some(row.usd.value),
            GreeksColumn::ValueCoin => coin.then_some(row.coin.value_coin),
            GreeksColumn::Delta => Some(row.usd.delta),
            GreeksColumn::DeltaPremiumAdjusted => coin.then_some(row.coin.delta_coin),
            GreeksColumn::GammaPerUsd => Some(row.usd.gamma),
            GreeksColumn::GammaCoinPerUsd2 => coin.then_some(row.coin.gamma_coin),
            GreeksColumn::VegaUsdPerVolPt => Some(row.usd.vega_per_vol_point()),
            GreeksColumn::ThetaUsdPerDay => Some(row.usd.theta_per_day()),
            GreeksColumn::VannaPerVolPt => Some(row.usd.vanna / 100.0),
            GreeksColumn::VolgaUsdPerVolPt2 => Some(row.usd.volga / 10_000.0),
            GreeksColumn::VegaCoinPerVolPt => coin.then_some(row.coin.vega_coin / 100.0),
            GreeksColumn::ThetaCoinPerDay => coin.then_some(row.coin.theta_coin_per_year / 365.0),
        }
    }

    fn text(self, row: &GreeksRow) -> Option<&str> {
        match self {
            GreeksColumn::Instrument => Some(&row.instrument),
            GreeksColumn::Type => Some(row.kind.as_str()),
            _ => None,
        }
    }

    /// The cell as shown: rounded for reading.
    pub fn display(self, row: &GreeksRow) -> String {
        if let Some(text) = self.text(row) {
            return text.to_owned();
        }
        let Some(x) = self.number(row) else { return String::new() };
        match self {
            GreeksColumn::Strike => format!("{x}"),
            GreeksColumn::VolPct
            | GreeksColumn::ValueUsd
            | GreeksColumn::VegaUsdPerVolPt
            | GreeksColumn::ThetaUsdPerDay => format!("{x:.2}"),
            GreeksColumn::ValueCoin | GreeksColumn::VegaCoinPerVolPt | GreeksColumn::ThetaCoinPerDay => {
                format!("{x:.6}")
            }
            GreeksColumn::Delta | GreeksColumn::DeltaPremiumAdjusted => format!("{x:.4}"),
            GreeksColumn::GammaPerUsd | GreeksColumn::GammaCoinPerUsd2 => format!("{x:.3e}"),
            GreeksColumn::VannaPerVolPt => format!("{x:.5}"),
            GreeksColumn::VolgaUsdPerVolPt2 => format!("{x:.3}"),
            GreeksColumn::Instrument | GreeksColumn::Type => String::new(),
        }
    }

    /// The cell for CSV: full precision (shortest round-trip representation), blank when empty.
    pub fn csv(self, row: &GreeksRow) -> String {
        match (self.text(row), self.number(row)) {
            (Some(text), _) => csv_field(text),
            (None, Some(x)) => format!("{x}"),
            (None, None) => String::new(),
        }
    }

    /// Orders two rows by this column, ascending; blank cells and NaN last.
    fn compare(self, a: &GreeksRow, b: &GreeksRow) -> std::cmp::Ordering {
        if let (Some(x), Some(y)) = (self.text(a), self.text(b)) {
            return x.cmp(y);
        }
        let key = |r: &GreeksRow| self.number(r).filter(|x| !x.is_nan());
        match (key(a), key(b)) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
    }
}

/// Quotes a CSV field when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The column the table is sorted by, and the direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GreeksSort {
    /// Sorted column.
    pub column: GreeksColumn,
    /// `true` for largest first.
    pub descending: bool,
}

impl GreeksSort {
    /// The sort after a click on `column`'s header: ascending by it, or the other direction when it was
    /// already the sorted column.
    pub fn after_click(current: Option<GreeksSort>, column: GreeksColumn) -> GreeksSort {
        match current {
            Some(s) if s.column == column => GreeksSort { column, descending: !s.descending },
            _ => GreeksSort { column, descending: false },
        }
    }
}

/// Sorts `rows` by `sort` (stable; blank cells last in both directions); `None` keeps the slice order.
pub fn sort_rows(rows: &mut [GreeksRow], sort: Option<GreeksSort>) {
    let Some(GreeksSort { column, descending }) = sort else { return };
    rows.sort_by(|a, b| {
        let blank = |r: &GreeksRow| column.text(r).is_none() && column.number(r).is_none_or(f64::is_nan);
        match (blank(a), blank(b)) {
            (false, true) => std::cmp::Ordering::Less,
            (true, false) => std::cmp::Ordering::Greater,
            _ if descending => column.compare(b, a),
            _ => column.compare(a, b),
        }
    });
}

/// The columns shown for `slice`: all of them when any quote is coin-margined, else the USD ones.
pub fn shown_columns(slice: &ExpirySlice) -> Vec<GreeksColumn> {
    let any_coin = slice.quotes.iter().any(|q| q.premium_currency == PremiumCurrency::Coin);
    GreeksColumn::ALL.into_iter().filter(|c| any_coin || !c.coin_only()).collect()
}

/// `rows` as CSV: a header line, then one line per row in the given order, full precision.
pub fn greeks_csv(rows: &[GreeksRow], columns: &[GreeksColumn]) -> String {
    let header: Vec<String> = columns.iter().map(|c| csv_field(c.header())).collect();
    let mut text = header.join(",");
    for row in rows {
        text.push('\n');
        let cells: Vec<String> = columns.iter().map(|c| c.csv(row)).collect();
        text.push_str(&cells.join(","));
    }
    text
}

/// What the user chose in the Greeks tab (kept in egui's temporary memory).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct GreeksView {
    source: VolSource,
    sort: Option<GreeksSort>,
}

fn view_id() -> Id {
    Id::unique("greeks_view")
}

/// Greeks of every quote of the slice at its market vol or at the fitted smile's vol (`fit`: the shown
/// report of this slice and its model), in USD and in coin; headers sort, "Copy as CSV" copies what is shown.
pub fn greeks_ui(ui: &mut Ui, slice: &ExpirySlice, fit: Option<ShownFit<'_>>) {
    let mut view: GreeksView = ui.data(|d| d.get_temp(view_id())).unwrap_or_default();
    let unavailable = model_vol_unavailable(slice, fit);
    let source = if unavailable.is_some() { VolSource::Market } else { view.source };
    let mut rows = greeks_rows(slice, fit, source);
    sort_rows(&mut rows, view.sort);
    let columns = shown_columns(slice);
    ui.horizontal(|ui| {
        source_toggle_ui(ui, &mut view.source, source, unavailable.as_deref());
        ui.separator();
        if ui.button("Copy as CSV").on_hover_text("Copies the rows shown, in the shown order, full precision").clicked()
        {
            ui.ctx().copy_text(greeks_csv(&rows, &columns));
        }
        ui.label(format!("{} quotes · F = {:.2} · T = {:.4} y", rows.len(), slice.forward, slice.t_years));
    });
    egui::ScrollArea::both().id_salt("greeks").auto_shrink([false, false]).show(ui, |ui| {
        egui::Grid::new("greeks_grid").striped(true).num_columns(columns.len()).spacing([12.0, 2.0]).show(ui, |ui| {
            for &column in &columns {
                if header_ui(ui, column, view.sort) {
                    view.sort = Some(GreeksSort::after_click(view.sort, column));
                }
            }
            ui.end_row();
            for row in &rows {
                for &column in &columns {
                    ui.label(column.display(row));
                }
                ui.end_row();
            }
        });
    });
    ui.data_mut(|d| d.insert_temp(view_id(), view));
}

/// "market vol" / "model vol"; the model choice is disabled (hover: why) when the fit cannot give a vol.
fn source_toggle_ui(ui: &mut Ui, chosen: &mut VolSource, shown: VolSource, unavailable: Option<&str>) {
    ui.label("vol:");
    let market = ui.add(Button::selectable(shown == VolSource::Market, "market vol"));
    if market.on_hover_text("Each quote's mid vol, else its mark vol").clicked() {
        *chosen = VolSource::Market;
    }
    let model = ui.add_enabled(unavailable.is_none(), Button::selectable(shown == VolSource::Model, "model vol"));
    let model = match unavailable {
        Some(why) => model.on_disabled_hover_text(why),
        None => model.on_hover_text("The fitted smile's vol at each quote's k (also where the market has no vol)"),
    };
    if model.clicked() {
        *chosen = VolSource::Model;
    }
}

/// A header button (its text is its accessible name), marked "(asc)" / "(desc)" on the sorted column (the
/// default fonts have no arrow glyphs); `true` when clicked.
fn header_ui(ui: &mut Ui, column: GreeksColumn, sort: Option<GreeksSort>) -> bool {
    let marker = match sort {
        Some(s) if s.column == column && s.descending => " (desc)",
        Some(s) if s.column == column => " (asc)",
        _ => "",
    };
    let text = RichText::new(format!("{}{marker}", column.header())).strong();
    ui.add(Button::new(text).frame(false))
        .on_hover_text(format!("{} (click to sort; again to reverse)", column.description()))
        .clicked()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibrate::{fit_slice, FitConfig};
    use crate::market::Snapshot;
    use crate::models::ModelKind;

    fn sample() -> Snapshot {
        let raw = crate::io::load_bytes(crate::sample::SAMPLE_CSV.as_bytes(), "sample", &Default::default()).unwrap();
        raw.snapshot(&Default::default()).unwrap()
    }

    fn busiest(snapshot: &Snapshot) -> &ExpirySlice {
        snapshot.slices.iter().max_by_key(|s| s.usable_count()).unwrap()
    }

    fn svi_fit(slice: &ExpirySlice) -> SliceFitReport {
        let report = fit_slice(ModelKind::Svi.for_slice(slice).as_ref(), slice, &FitConfig::default(), None);
        assert!(report.status.is_usable(), "{:?}", report.status);
        report
    }

    #[test]
    fn market_rows_use_the_mid_else_mark_vol() {
        let snapshot = sample();
        let slice = busiest(&snapshot);
        let rows = greeks_rows(slice, None, VolSource::Market);
        assert!(!rows.is_empty());
        for row in &rows {
            let q = slice.quotes.iter().find(|q| *q.instrument == *row.instrument).unwrap();
            assert_eq!(Some(row.vol), q.display_iv());
        }
    }

    #[test]
    fn model_rows_use_the_fitted_vol_at_k() {
        let snapshot = sample();
        let slice = busiest(&snapshot);
        let report = svi_fit(slice);
        let smile = report.smile(ModelKind::Svi);
        let fit = Some((&report, smile.as_ref()));
        assert_eq!(model_vol_unavailable(slice, fit), None);
        let rows = greeks_rows(slice, fit, VolSource::Model);
        assert!(rows.len() >= greeks_rows(slice, None, VolSource::Market).len());
        let model = ModelKind::Svi.for_slice(slice);
        for row in &rows {
            let q = slice.quotes.iter().find(|q| *q.instrument == *row.instrument).unwrap();
            assert_eq!(row.vol, model.implied_vol(&report.params, q.k, slice.t_years));
            let spec = OptionSpec {
                kind: q.kind,
                forward: q.forward_used,
                strike: q.strike,
                t_years: slice.t_years,
                discount: slice.discount,
            };
            assert_eq!(row.usd, greeks(&spec, row.vol));
        }
    }

    #[test]
    fn model_vol_is_unavailable_without_a_usable_fit_of_this_slice() {
        let snapshot = sample();
        let slice = busiest(&snapshot);
        let mut report = svi_fit(slice);
        assert!(model_vol_unavailable(slice, None).is_some());
        assert!(greeks_rows(slice, None, VolSource::Model).is_empty());
        report.expiry_ms += 1;
        assert!(model_vol_unavailable(slice, Some((&report, report.smile(ModelKind::Svi).as_ref()))).is_some());
        report.expiry_ms -= 1;
        report.status = crate::calibrate::FitStatus::Failed { reason: "test".into() };
        let why = model_vol_unavailable(slice, Some((&report, report.smile(ModelKind::Svi).as_ref()))).unwrap();
        assert!(why.contains("test"));
        assert!(greeks_rows(slice, Some((&report, report.smile(ModelKind::Svi).as_ref())), VolSource::Model).is_empty());
    }

    #[test]
    fn sorting_by_a_column_orders_the_rows_both_ways() {
        let snapshot = sample();
        let slice = busiest(&snapshot);
        let mut rows = greeks_rows(slice, None, VolSource::Market);
        for column in [GreeksColumn::Delta, GreeksColumn::VolPct, GreeksColumn::GammaCoinPerUsd2] {
            let ascending = GreeksSort::after_click(None, column);
            sort_rows(&mut rows, Some(ascending));
            let keys: Vec<f64> = rows.iter().filter_map(|r| column.number(r)).collect();
            assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{column:?} ascending");
            let descending = GreeksSort::after_click(Some(ascending), column);
            assert!(descending.descending);
            sort_rows(&mut rows, Some(descending));
            let keys: Vec<f64> = rows.iter().filter_map(|r| column.number(r)).collect();
            assert!(keys.windows(2).all(|w| w[0] >= w[1]), "{column:?} descending");
        }
        sort_rows(&mut rows, Some(GreeksSort { column: GreeksColumn::Instrument, descending: false }));
        assert!(rows.windows(2).all(|w| w[0].instrument <= w[1].instrument));
    }

    #[test]
    fn blank_and_nan_cells_sort_last_both_ways() {
        let snapshot = sample();
        let slice = busiest(&snapshot);
        let mut rows = greeks_rows(slice, None, VolSource::Market);
        rows.truncate(3);
        rows[0].premium_currency = PremiumCurrency::Quote;
        rows[1].usd.delta = f64::NAN;
        for descending in [false, true] {
            sort_rows(&mut rows, Some(GreeksSort { column: GreeksColumn::ValueCoin, descending }));
            assert!(!rows[2].is_coin());
            sort_rows(&mut rows, Some(GreeksSort { column: GreeksColumn::Delta, descending }));
            assert!(rows[2].usd.delta.is_nan());
        }
    }

    #[test]
    fn csv_has_a_header_and_one_full_precision_line_per_row_in_order() {
        let snapshot = sample();
        let slice = busiest(&snapshot);
        let mut rows = greeks_rows(slice, None, VolSource::Market);
        sort_rows(&mut rows, Some(GreeksSort { column: GreeksColumn::VegaUsdPerVolPt, descending: true }));
        let columns = shown_columns(slice);
        let csv = greeks_csv(&rows, &columns);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), rows.len() + 1);
        assert_eq!(lines[0].split(',').count(), columns.len());
        let delta_at = columns.iter().position(|c| *c == GreeksColumn::Delta).unwrap();
        for (line, row) in lines[1..].iter().zip(&rows) {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells.len(), columns.len());
            assert_eq!(cells[0], row.instrument);
            assert_eq!(cells[delta_at].parse::<f64>().unwrap(), row.usd.delta, "full precision");
        }
    }

    #[test]
    fn coin_columns_are_shown_for_coin_margined_chains_only() {
        let snapshot = sample();
        let mut slice = busiest(&snapshot).clone();
        let coin = slice.quotes.iter().any(|q| q.premium_currency == PremiumCurrency::Coin);
        assert_eq!(shown_columns(&slice).contains(&GreeksColumn::DeltaPremiumAdjusted), coin);
        for q in &mut slice.quotes {
            q.premium_currency = PremiumCurrency::Quote;
        }
        assert_eq!(shown_columns(&slice).len(), GreeksColumn::ALL.len() - 5);
        let rows = greeks_rows(&slice, None, VolSource::Market);
        assert!(rows.iter().all(|r| GreeksColumn::DeltaPremiumAdjusted.display(r).is_empty()));
    }
}
