//! The status bar (load error, last message, autosave and settings errors, the chain's summary, fit totals,
//! the warnings button), the warnings window and the drop hint.

use egui::{RichText, Ui};

use crate::gui::action::Action;
use crate::gui::app::VolscopeApp;
use crate::gui::jobs::loaded_chain::LoadedChain;
use crate::gui::theme;
use crate::market::time::format_utc;
use crate::market::QuoteStatus;

/// The status bar; the warnings button toggles the warnings window.
pub(crate) fn status_bar_ui(ui: &mut Ui, app: &VolscopeApp, out: &mut Vec<Action>) {
    let pal = theme::palette(ui);
    ui.horizontal(|ui| {
        if let Some(e) = app.error() {
            ui.label(RichText::new(format!("Load failed: {}", e.lines().next().unwrap_or(""))).color(pal.error))
                .on_hover_text(e);
            ui.separator();
        }
        if let Some(message) = app.message() {
            ui.label(message);
            ui.separator();
        }
        for e in [app.edits().autosave().last_error.as_ref(), app.view().settings_error()].into_iter().flatten() {
            ui.label(RichText::new(e).color(pal.warning));
            ui.separator();
        }
        let Some(chain) = app.chain() else { return };
        ui.label(status_line(chain)).on_hover_text(chain.report().describe());
        if let Some(f) = app.fits() {
            let used: usize = f.reports.iter().map(|r| r.n_quotes).sum();
            ui.separator();
            ui.label(format!(
                "{used} / {} quotes used · last fit {:.1} ms",
                chain.snapshot.quote_count(),
                f.elapsed_ms
            ));
        }
        let n = warning_count(app);
        let label = if n == 1 { "1 warning".to_owned() } else { format!("{n} warnings") };
        if n > 0 && ui.button(RichText::new(label).color(pal.warning)).clicked() {
            out.push(Action::ShowWarnings(!app.view().show_warnings()));
        }
    });
}

/// Load, build and fit warnings.
fn warning_count(app: &VolscopeApp) -> usize {
    let Some(chain) = app.chain() else { return 0 };
    let fit_warnings = app.shown_reports().iter().filter(|r| !r.status.is_usable() || !r.butterfly.ok).count();
    chain.snapshot.warnings.len() + chain.report().rejected_count() + fit_warnings
}

/// The warnings window and the drop hint.
pub(crate) fn windows(ctx: &egui::Context, app: &VolscopeApp, out: &mut Vec<Action>) {
    warnings_window(ctx, app, out);
    if ctx.input(|i| !i.raw.hovered_files.is_empty()) {
        egui::Area::new(egui::Id::unique("drop_hint")).anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0]).show(
            ctx,
            |ui| {
                egui::Frame::popup(ui.style()).show(ui, |ui| ui.heading("Drop the file to open it"));
            },
        );
    }
}

fn warnings_window(ctx: &egui::Context, app: &VolscopeApp, out: &mut Vec<Action>) {
    let Some(chain) = app.chain().filter(|_| app.view().show_warnings()) else { return };
    let reports = app.shown_reports();
    let mut open = app.view().show_warnings();
    egui::Window::new("Load, build and fit warnings").open(&mut open).show(ctx, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| {
            ui.monospace(chain.report().describe());
            for w in &chain.snapshot.warnings {
                ui.label(w);
            }
            for r in reports.iter() {
                if let crate::calibrate::FitStatus::Failed { reason } = &r.status {
                    ui.label(format!("{}: fit failed: {reason}", r.expiry));
                } else if !r.butterfly.ok {
                    ui.label(format!(
                        "{}: butterfly arbitrage, g = {:.3e} at k = {:.3}",
                        r.expiry, r.butterfly.min_g, r.butterfly.k_at_min_g
                    ));
                }
            }
        });
    });
    if open != app.view().show_warnings() {
        out.push(Action::ShowWarnings(open));
    }
}

/// One-line status of the loaded chain.
fn status_line(chain: &LoadedChain) -> String {
    let s = &chain.snapshot;
    let ok = s.status_counts().get(&QuoteStatus::Ok).copied().unwrap_or(0);
    format!(
        "{}  ·  {}  ·  {}  ·  {}  ·  {} expiries  ·  {ok} usable of {} quotes",
        chain.name,
        s.source,
        s.underlying,
        format_utc(s.time_ms),
        s.slices.len(),
        s.quote_count()
    )
}
