//! Black-76 calculator panel: price, Greeks (USD and coin) and implied vol for one option.

use egui::{Grid, RichText, Ui};

use crate::pricing::{greeks, implied_vol, price, OptionKind, OptionSpec};

/// Inputs of the calculator, in the units a trader types.
#[derive(Clone, Debug)]
pub struct CalculatorApp {
    forward_usd: f64,
    strike_usd: f64,
    days_to_expiry: f64,
    vol_pct: f64,
    rate_pct: f64,
    kind: OptionKind,
    /// Coin premium to invert, in coins per contract (Deribit style).
    price_coin_input: f64,
}

impl Default for CalculatorApp {
    fn default() -> Self {
        CalculatorApp {
            forward_usd: 90_000.0,
            strike_usd: 100_000.0,
            days_to_expiry: 30.0,
            vol_pct: 55.0,
            rate_pct: 0.0,
            kind: OptionKind::Call,
            price_coin_input: 0.0125,
        }
    }
}

impl CalculatorApp {
    fn spec(&self) -> OptionSpec {
        let t_years = self.days_to_expiry / 365.0;
        OptionSpec {
            kind: self.kind,
            forward: self.forward_usd,
            strike: self.strike_usd,
            t_years,
            discount: (-self.rate_pct / 100.0 * t_years).exp(),
        }
    }

    fn inputs_ui(&mut self, ui: &mut Ui) {
        Grid::new("calc_inputs").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
            ui.label("Type");
            ui.horizontal(|ui| {
                ui.selectable_value(&mut self.kind, OptionKind::Call, "Call");
                ui.selectable_value(&mut self.kind, OptionKind::Put, "Put");
            });
            ui.end_row();
            number_row_ui(ui, "Forward (USD)", &mut self.forward_usd, 10.0, 0.0..=1e9);
            number_row_ui(ui, "Strike (USD)", &mut self.strike_usd, 10.0, 0.0..=1e9);
            number_row_ui(ui, "Days to expiry", &mut self.days_to_expiry, 0.1, 0.0..=3650.0);
            number_row_ui(ui, "Vol (%)", &mut self.vol_pct, 0.1, 0.0..=1000.0);
            number_row_ui(ui, "Rate (%)", &mut self.rate_pct, 0.01, -50.0..=50.0);
        });
    }

    fn outputs_ui(&self, ui: &mut Ui) {
        let spec = self.spec();
        let vol = self.vol_pct / 100.0;
        let g = greeks(&spec, vol);
        let c = g.to_coin(spec.forward);
        Grid::new("calc_outputs").num_columns(3).striped(true).spacing([24.0, 4.0]).show(ui, |ui| {
            ui.label("");
            ui.label(RichText::new("USD").strong());
            ui.label(RichText::new("coin").strong());
            ui.end_row();
            value_row_ui(ui, "Price", price(&spec, vol), c.value_coin);
            value_row_ui(ui, "Delta (Black / premium-adj.)", g.delta, c.delta_coin);
            value_row_ui(ui, "Gamma", g.gamma, c.gamma_coin);
            value_row_ui(ui, "Vega per vol pt", g.vega_per_vol_point(), c.vega_coin / 100.0);
            value_row_ui(ui, "Theta per day", g.theta_per_day(), c.theta_coin_per_year / 365.0);
            value_row_ui(ui, "Vanna", g.vanna, c.vanna_coin);
            value_row_ui(ui, "Volga", g.volga, c.volga_coin);
        });
    }

    fn implied_vol_ui(&mut self, ui: &mut Ui) {
        let spec = self.spec();
        ui.horizontal(|ui| {
            ui.label("Premium (coin)");
            ui.add(egui::DragValue::new(&mut self.price_coin_input).speed(0.0001).max_decimals(6));
        });
        let iv = implied_vol(&spec, self.price_coin_input * spec.forward);
        let text = match iv.vol {
            Some(v) => format!("Implied vol {:.4} %  ({})", v * 100.0, iv.status),
            None => format!("No implied vol: {}", iv.status),
        };
        ui.label(RichText::new(text).monospace());
    }
}

fn number_row_ui(ui: &mut Ui, label: &str, value: &mut f64, speed: f64, range: std::ops::RangeInclusive<f64>) {
    ui.label(label);
    ui.add(egui::DragValue::new(value).speed(speed).range(range));
    ui.end_row();
}

fn value_row_ui(ui: &mut Ui, label: &str, usd: f64, coin: f64) {
    ui.label(label);
    ui.label(RichText::new(format!("{usd:.6}")).monospace());
    ui.label(RichText::new(format!("{coin:.8}")).monospace());
    ui.end_row();
}

impl CalculatorApp {
    /// The calculator: inputs and implied vol on the left, price and Greeks on the right.
    pub fn calculator_ui(&mut self, ui: &mut Ui) {
        ui.columns(2, |cols| {
            cols[0].heading("Option");
            self.inputs_ui(&mut cols[0]);
            cols[0].separator();
            cols[0].heading("Implied vol from a coin premium");
            self.implied_vol_ui(&mut cols[0]);
            cols[1].heading("Price and Greeks");
            self.outputs_ui(&mut cols[1]);
        });
    }
}
