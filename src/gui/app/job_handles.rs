//! What runs beside the frame and reports back: the window's waker for background threads, and PNG exports
//! of the smile plot.

use crate::gui::jobs::png_export::PlotPng;

/// The window's context (to wake it from background threads) and the PNG export in flight.
pub(crate) struct Jobs {
    /// Woken when a background job finishes (`None` in tests without a window).
    ctx: Option<egui::Context>,
    /// PNG export of the smile plot in flight (and the start-up export of `VOLSCOPE_EXPORT_PNG_ON_START`).
    png: PlotPng,
}

impl Jobs {
    /// Jobs that wake `ctx` (none without one).
    pub(super) fn new(ctx: Option<egui::Context>) -> Self {
        Jobs { ctx, png: PlotPng::from_env() }
    }

    /// A callback that wakes the window (nothing without one).
    pub(super) fn repainter(&self) -> impl Fn() + Send + Sync + 'static {
        let ctx = self.ctx.clone();
        move || {
            if let Some(ctx) = &ctx {
                ctx.request_repaint();
            }
        }
    }

    /// The PNG export.
    pub(crate) fn png(&self) -> &PlotPng {
        &self.png
    }

    /// The PNG export, to queue, start or poll.
    pub(super) fn png_mut(&mut self) -> &mut PlotPng {
        &mut self.png
    }
}
