//! Every colour the app draws with, in one place.

use egui::Color32;

/// Bid/ask vol bar of a usable quote.
pub const BID_ASK_OK: Color32 = Color32::from_rgb(90, 160, 230);
/// Bid/ask vol bar of a quote that is not usable (one-sided, outlier, …).
pub const BID_ASK_UNUSABLE: Color32 = Color32::from_rgb(150, 150, 150);
/// Mid vol of a call.
pub const MID_CALL: Color32 = Color32::from_rgb(80, 200, 120);
/// Mid vol of a put.
pub const MID_PUT: Color32 = Color32::from_rgb(240, 150, 60);
/// Mid vol of an in-the-money option (tick-rounded, loosely pinned: drawn faint).
pub const MID_ITM: Color32 = Color32::from_rgb(110, 110, 110);
/// Exchange mark vol.
pub const MARK: Color32 = Color32::from_rgb(200, 120, 220);
/// Fitted smile curve.
pub const FIT: Color32 = Color32::from_rgb(240, 90, 90);
/// Forward (ATM) marker.
pub const ATM: Color32 = Color32::from_rgb(220, 200, 80);
/// Warning text.
pub const WARNING: Color32 = Color32::from_rgb(230, 160, 60);
/// Error text.
pub const ERROR: Color32 = Color32::from_rgb(230, 80, 80);
