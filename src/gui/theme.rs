//! Every colour the app draws with, in one place: a dark and a light palette, and the egui visuals of each.
//!
//! Drawing code asks [`palette`] for the palette of the current visuals (`ui.visuals().dark_mode`), so a theme
//! switch recolours everything in the next frame.

use egui::{Color32, Ui};
use serde::{Deserialize, Serialize};

/// The user's theme choice (persisted with the settings).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThemeChoice {
    /// Dark background (default: trading desks run dark screens).
    #[default]
    Dark,
    /// Light background.
    Light,
}

impl ThemeChoice {
    /// Menu label.
    pub fn label(self) -> &'static str {
        match self {
            ThemeChoice::Dark => "Dark",
            ThemeChoice::Light => "Light",
        }
    }

    /// Applies the egui visuals of this theme.
    pub fn apply(self, ctx: &egui::Context) {
        ctx.set_visuals(match self {
            ThemeChoice::Dark => egui::Visuals::dark(),
            ThemeChoice::Light => egui::Visuals::light(),
        });
    }
}

/// The colours of one theme.
#[derive(Clone, Debug, PartialEq)]
pub struct Palette {
    /// Bid/ask vol bar of a usable quote.
    pub bid_ask_ok: Color32,
    /// Bid/ask vol bar of a quote that is not usable (one-sided, outlier, …), and muted text.
    pub bid_ask_unusable: Color32,
    /// Mid vol of a call.
    pub mid_call: Color32,
    /// Mid vol of a put.
    pub mid_put: Color32,
    /// Mid vol of an in-the-money option (tick-rounded, loosely pinned: drawn faint).
    pub mid_itm: Color32,
    /// Exchange mark vol.
    pub mark: Color32,
    /// Mid of a usable quote a fit filter left out (k or delta range, wide spread): hollow marker.
    pub filtered: Color32,
    /// Ring around the quote under the pointer.
    pub hover: Color32,
    /// Fitted smile curve.
    pub fit: Color32,
    /// A second curve (manual parameters, the previous fit, a comparison).
    pub fit_alt: Color32,
    /// Forward (ATM) marker and zero lines.
    pub atm: Color32,
    /// Warning text and marks.
    pub warning: Color32,
    /// Error text, user-excluded quotes, arbitrage regions.
    pub error: Color32,
    /// Good news (a fit inside the spread, an arbitrage check passed).
    pub ok: Color32,
    /// Low and high ends of the heatmap scale (IV surface).
    pub heat_low: Color32,
    /// High end of the heatmap scale.
    pub heat_high: Color32,
    /// Heatmap cell without a value (no vol, no strike for that delta).
    pub heat_missing: Color32,
    /// The selected expiry, marked across the surface plots.
    pub selected: Color32,
}

/// Palette on a dark background.
pub const DARK: Palette = Palette {
    bid_ask_ok: Color32::from_rgb(90, 160, 230),
    bid_ask_unusable: Color32::from_rgb(150, 150, 150),
    mid_call: Color32::from_rgb(80, 200, 120),
    mid_put: Color32::from_rgb(240, 150, 60),
    mid_itm: Color32::from_rgb(110, 110, 110),
    mark: Color32::from_rgb(200, 120, 220),
    filtered: Color32::from_rgb(250, 110, 160),
    hover: Color32::from_rgb(240, 240, 240),
    fit: Color32::from_rgb(240, 90, 90),
    fit_alt: Color32::from_rgb(120, 220, 230),
    atm: Color32::from_rgb(220, 200, 80),
    warning: Color32::from_rgb(230, 160, 60),
    error: Color32::from_rgb(230, 80, 80),
    ok: Color32::from_rgb(100, 200, 120),
    heat_low: Color32::from_rgb(30, 60, 150),
    heat_high: Color32::from_rgb(240, 200, 60),
    heat_missing: Color32::from_rgb(55, 55, 55),
    selected: Color32::from_rgb(240, 240, 240),
};

/// Palette on a light background (darker, more saturated strokes).
pub const LIGHT: Palette = Palette {
    bid_ask_ok: Color32::from_rgb(30, 100, 190),
    bid_ask_unusable: Color32::from_rgb(140, 140, 140),
    mid_call: Color32::from_rgb(20, 140, 60),
    mid_put: Color32::from_rgb(210, 110, 10),
    mid_itm: Color32::from_rgb(160, 160, 160),
    mark: Color32::from_rgb(150, 60, 170),
    filtered: Color32::from_rgb(190, 30, 110),
    hover: Color32::from_rgb(20, 20, 20),
    fit: Color32::from_rgb(200, 30, 30),
    fit_alt: Color32::from_rgb(0, 140, 160),
    atm: Color32::from_rgb(160, 130, 0),
    warning: Color32::from_rgb(190, 110, 0),
    error: Color32::from_rgb(200, 30, 30),
    ok: Color32::from_rgb(20, 140, 60),
    heat_low: Color32::from_rgb(40, 80, 200),
    heat_high: Color32::from_rgb(250, 180, 30),
    heat_missing: Color32::from_rgb(220, 220, 220),
    selected: Color32::from_rgb(20, 20, 20),
};

/// The palette of the visuals `ui` draws with.
pub fn palette(ui: &Ui) -> &'static Palette {
    if ui.visuals().dark_mode {
        &DARK
    } else {
        &LIGHT
    }
}

/// Linear blend from `heat_low` (t = 0) to `heat_high` (t = 1), through a neutral middle.
pub fn heat(palette: &Palette, t: f64) -> Color32 {
    let t = if t.is_finite() { t.clamp(0.0, 1.0) as f32 } else { 0.0 };
    let (a, b) = (palette.heat_low, palette.heat_high);
    let mix = |x: u8, y: u8| (x as f32 + (y as f32 - x as f32) * t).round() as u8;
    Color32::from_rgb(mix(a.r(), b.r()), mix(a.g(), b.g()), mix(a.b(), b.b()))
}
