//! The smile plot, one concern per file: the plot and its curves (`smile_plot.rs`), the quotes' marks
//! (`quote_marks.rs`), hovering and clicking them (`quote_hover.rs`), dragging the hand-set curve
//! (`curve_drag.rs`). The Surface tab's heatmap and term-structure plots live with that tab.

mod curve_drag;
mod quote_hover;
mod quote_marks;
mod smile_plot;

pub use curve_drag::CurveDrag;
pub use smile_plot::{fit_curve, smile_plot_ui, Curve, CurveStyle, SmileInteraction, XAxis};
