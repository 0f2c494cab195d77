//! How the smile plot draws the quotes: bid/ask bars, one-sided vols, marks, and mids by class (excluded by
//! the user, unusable, left out by a filter, in the money, OTM call or put); every point a pick target.

use egui_plot::{Line, MarkerShape, PlotUi, Points};

use crate::calibrate::{QuoteResidual, QuoteUse, SliceFitReport};
use crate::gui::theme::Palette;
use crate::market::{ExpirySlice, Quote};
use crate::pricing::OptionKind;

use super::smile_plot::XAxis;

/// How a quote's mid is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum QuoteClass {
    /// Excluded by the user: a cross.
    UserExcluded,
    /// Not usable for its status (one-sided, below intrinsic, outlier, …): hollow and grey.
    Unusable,
    /// Usable, but a fit filter left it out (k or delta range, wide spread): a hollow square.
    Filtered,
    /// In the money: small, hollow and faint.
    InTheMoney,
    /// Out-of-the-money call.
    OtmCall,
    /// Out-of-the-money put.
    OtmPut,
}

impl QuoteClass {
    /// Drawing order (later on top).
    const ALL: [QuoteClass; 6] = [
        QuoteClass::InTheMoney,
        QuoteClass::Unusable,
        QuoteClass::Filtered,
        QuoteClass::OtmCall,
        QuoteClass::OtmPut,
        QuoteClass::UserExcluded,
    ];

    /// The class of quote `q`: the user's exclusion first, then its status, the fit's use, its moneyness.
    pub(super) fn of(q: &Quote, user_excluded: bool, used: Option<&QuoteUse>) -> QuoteClass {
        if user_excluded {
            return QuoteClass::UserExcluded;
        }
        if !q.status.is_usable() {
            return QuoteClass::Unusable;
        }
        if let Some(QuoteUse::Excluded(reason)) = used {
            if reason.is_filter() {
                return QuoteClass::Filtered;
            }
        }
        match (q.is_otm(), q.kind) {
            (false, _) => QuoteClass::InTheMoney,
            (true, OptionKind::Call) => QuoteClass::OtmCall,
            (true, OptionKind::Put) => QuoteClass::OtmPut,
        }
    }

    /// The plot series of this class's mids.
    pub(super) fn series<'a>(self, pal: &Palette, points: Vec<[f64; 2]>) -> Points<'a> {
        let (name, colour) = match self {
            QuoteClass::UserExcluded => ("excluded by you", pal.error),
            QuoteClass::Unusable => ("mid (not usable)", pal.bid_ask_unusable),
            QuoteClass::Filtered => ("mid (left out by a fit filter)", pal.filtered),
            QuoteClass::InTheMoney => ("mid (in the money)", pal.mid_itm),
            QuoteClass::OtmCall => ("mid (call)", pal.mid_call),
            QuoteClass::OtmPut => ("mid (put)", pal.mid_put),
        };
        let points = Points::new(name, points).color(colour);
        match self {
            QuoteClass::UserExcluded => points.shape(MarkerShape::Cross).radius(5.0),
            QuoteClass::Unusable => points.radius(3.0).filled(false),
            QuoteClass::Filtered => points.shape(MarkerShape::Square).radius(4.0).filled(false),
            QuoteClass::InTheMoney => points.radius(2.0).filled(false),
            QuoteClass::OtmCall | QuoteClass::OtmPut => points.radius(3.0),
        }
    }
}

/// Which of a quote's points a pick target is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum PointKind {
    Mid,
    Bid,
    Ask,
    Mark,
}

/// One drawn point of a quote, for hovering and clicking.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Target {
    /// Index of the quote in the slice.
    pub(super) quote: usize,
    /// Plot coordinates (x, vol in percent).
    pub(super) point: [f64; 2],
    /// Which point of the quote.
    pub(super) kind: PointKind,
}

/// Everything the plot draws for the quotes, in plot coordinates (vols in percent).
#[derive(Default)]
pub(super) struct QuoteSeries {
    /// Bid-to-ask vol bars, and whether the quote is usable.
    pub(super) bars: Vec<([[f64; 2]; 2], bool)>,
    /// Mids with their class.
    pub(super) mids: Vec<(QuoteClass, [f64; 2])>,
    /// The one vol of quotes with a single side: (point, `true` for a bid).
    pub(super) one_sided: Vec<([f64; 2], bool)>,
    /// Exchange marks.
    pub(super) marks: Vec<[f64; 2]>,
    /// Every point above, with its quote.
    pub(super) targets: Vec<Target>,
}

/// The report's residual of the quote at `index` named `instrument` (the residuals follow the slice's order;
/// searched by name when they do not).
pub(super) fn residual_for<'r>(
    report: Option<&'r SliceFitReport>,
    index: usize,
    instrument: &str,
) -> Option<&'r QuoteResidual> {
    let residuals = &report?.residuals;
    match residuals.get(index) {
        Some(r) if r.instrument == instrument => Some(r),
        _ => residuals.iter().find(|r| r.instrument == instrument),
    }
}

/// `true` when the user excluded `instrument`.
pub(super) fn is_user_excluded(excluded: &[String], instrument: &str) -> bool {
    excluded.iter().any(|e| e == instrument)
}

/// The quotes' bars, mids, one-sided vols, marks and pick targets on `axis`.
pub(super) fn quote_series(
    slice: &ExpirySlice,
    axis: XAxis,
    report: Option<&SliceFitReport>,
    excluded: &[String],
) -> QuoteSeries {
    let mut s = QuoteSeries::default();
    for (i, q) in slice.quotes.iter().enumerate() {
        let x = axis.x(slice, q.k, q.display_iv().unwrap_or(0.5));
        let target = |kind, vol: f64, s: &mut QuoteSeries| {
            let point = [x, 100.0 * vol];
            s.targets.push(Target { quote: i, point, kind });
            point
        };
        match (q.bid.iv, q.ask.iv) {
            (Some(b), Some(a)) => {
                let bar = [target(PointKind::Bid, b, &mut s), target(PointKind::Ask, a, &mut s)];
                s.bars.push((bar, q.status.is_usable()));
            }
            (Some(b), None) => {
                let p = target(PointKind::Bid, b, &mut s);
                s.one_sided.push((p, true));
            }
            (None, Some(a)) => {
                let p = target(PointKind::Ask, a, &mut s);
                s.one_sided.push((p, false));
            }
            (None, None) => {}
        }
        if let Some(m) = q.mid.iv {
            let used = residual_for(report, i, &q.instrument).map(|r| &r.used);
            let class = QuoteClass::of(q, is_user_excluded(excluded, &q.instrument), used);
            let p = target(PointKind::Mid, m, &mut s);
            s.mids.push((class, p));
        }
        if let Some(m) = q.mark.iv {
            let p = target(PointKind::Mark, m, &mut s);
            s.marks.push(p);
        }
    }
    s
}

/// Draws the quotes: bid/ask bars, one-sided vols, marks and mids by class.
pub(super) fn draw_quotes(plot: &mut PlotUi<'_>, series: &QuoteSeries, pal: &Palette) {
    for (bar, usable) in &series.bars {
        let (name, colour) =
            if *usable { ("bid/ask", pal.bid_ask_ok) } else { ("bid/ask (not usable)", pal.bid_ask_unusable) };
        plot.line(Line::new(name, bar.to_vec()).color(colour).width(2.0));
    }
    for (is_bid, shape) in [(true, MarkerShape::Up), (false, MarkerShape::Down)] {
        let points: Vec<[f64; 2]> = series.one_sided.iter().filter(|(_, b)| *b == is_bid).map(|(p, _)| *p).collect();
        plot.points(
            Points::new("bid or ask only (not usable)", points)
                .color(pal.bid_ask_unusable)
                .shape(shape)
                .radius(4.0)
                .filled(false),
        );
    }
    plot.points(Points::new("mark", series.marks.clone()).color(pal.mark).shape(MarkerShape::Diamond).radius(2.0));
    for class in QuoteClass::ALL {
        let points: Vec<[f64; 2]> = series.mids.iter().filter(|(c, _)| *c == class).map(|(_, p)| *p).collect();
        plot.points(class.series(pal, points));
    }
}
