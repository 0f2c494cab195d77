//! The fits shown: the worker's latest answer, and the evaluations of hand-set parameters laid over it.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::calibrate::SliceFitReport;
use crate::gui::jobs::fit_worker::FitWorker;
use crate::market::Snapshot;
use crate::models::{FittedSmile, ModelKind, SliceInputs};
use crate::session::SlicePlan;

/// The worker's fits of the loaded chain, one report per slice in slice order.
pub struct FitView {
    /// Model fitted to each slice.
    pub kinds: Vec<ModelKind>,
    /// Reports, aligned with the snapshot's slices.
    pub reports: Vec<SliceFitReport>,
    /// Wall time of the whole fit, ms.
    pub elapsed_ms: f64,
    /// Each report's smile, built once when the fits arrive (`None` without parameters of its model).
    pub smiles: Vec<Option<FittedSmile>>,
}

impl FitView {
    /// The fits of `kinds` with their `reports`, each report's smile built once.
    pub fn new(kinds: Vec<ModelKind>, reports: Vec<SliceFitReport>, elapsed_ms: f64) -> Self {
        let smiles = kinds.iter().zip(&reports).map(|(kind, r)| smile_of(*kind, r)).collect();
        FitView { kinds, reports, elapsed_ms, smiles }
    }
}

/// The smile of a report's parameters under `kind` (whatever the fit's status: callers that draw a fit check
/// it), or `None` when they make none.
pub(crate) fn smile_of(kind: ModelKind, report: &SliceFitReport) -> Option<FittedSmile> {
    let inputs = SliceInputs { t_years: report.t_years, forward: report.forward };
    FittedSmile::new(kind, inputs, report.params.clone()).ok()
}

/// The fit worker, its latest fits, and the reports of hand-set parameters (manual mode) by slice index,
/// shown instead of the worker's.
pub(crate) struct Fits {
    worker: FitWorker,
    latest: Option<FitView>,
    /// The comparison model's latest fits, if one is asked for.
    compare: Option<FitView>,
    /// Hand-set evaluations by slice index, with their model and smile.
    manual: BTreeMap<usize, (ModelKind, SliceFitReport, Option<FittedSmile>)>,
    /// Why the last fit failed as a whole.
    error: Option<String>,
    /// Id of the last fit request whose answer was applied.
    applied: u64,
}

impl Fits {
    /// No fits yet; `repaint` wakes the window when the worker answers.
    pub(super) fn new(repaint: impl Fn() + Send + 'static) -> Self {
        Fits {
            worker: FitWorker::spawn(repaint),
            latest: None,
            compare: None,
            manual: BTreeMap::new(),
            error: None,
            applied: 0,
        }
    }

    /// Fits `plans` of `snapshot` on the worker, then `compare` when given (the current fits stay until it
    /// answers).
    pub(super) fn request(&mut self, snapshot: &Arc<Snapshot>, plans: Vec<SlicePlan>, compare: Option<Vec<SlicePlan>>) {
        self.worker.request(Arc::clone(snapshot), plans, compare);
    }

    /// Takes the worker's answer to the latest request, if it has come; `true` when new fits arrived.
    pub(super) fn poll(&mut self) -> bool {
        let Some(result) = self.worker.poll() else { return false };
        self.applied = result.id;
        match result.reports {
            Ok(reports) => {
                self.latest = Some(FitView::new(result.kinds, reports, result.elapsed_ms));
                self.compare = result.compare.map(|(kinds, reports)| FitView::new(kinds, reports, 0.0));
                self.error = None;
                true
            }
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }

    /// `true` while a fit is running for the latest request.
    pub(crate) fn fitting(&self) -> bool {
        self.worker.latest() != self.applied
    }

    /// The worker's latest fits, if any (without hand-set overlays).
    pub(crate) fn latest(&self) -> Option<&FitView> {
        self.latest.as_ref()
    }

    /// Replaces the worker's fits (`None`: a new chain has none yet; a restored session brings its own).
    pub(super) fn set_latest(&mut self, fits: Option<FitView>) {
        self.latest = fits;
        self.compare = None;
    }

    /// The comparison model's fits, if any.
    pub(crate) fn compare(&self) -> Option<&FitView> {
        self.compare.as_ref()
    }

    /// Why the last fit failed as a whole, if it did.
    pub(crate) fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The report shown for slice `i`: its hand-set evaluation in manual mode, else the worker's fit.
    pub(crate) fn report(&self, i: usize) -> Option<&SliceFitReport> {
        self.manual.get(&i).map(|(_, r, _)| r).or_else(|| self.latest.as_ref().and_then(|f| f.reports.get(i)))
    }

    /// The model of slice `i`'s shown report.
    pub(crate) fn report_kind(&self, i: usize) -> Option<ModelKind> {
        match self.manual.get(&i) {
            Some((kind, _, _)) => Some(*kind),
            None => self.latest.as_ref().and_then(|f| f.kinds.get(i).copied()),
        }
    }

    /// The smile of slice `i`'s shown report (hand-set or fitted), when its parameters make one.
    pub(crate) fn smile(&self, i: usize) -> Option<&FittedSmile> {
        match self.manual.get(&i) {
            Some((_, _, smile)) => smile.as_ref(),
            None => self.latest.as_ref().and_then(|f| f.smiles.get(i)?.as_ref()),
        }
    }

    /// Reports shown for every slice (manual overlays applied), in slice order. Borrowed from the worker's
    /// fits unless an expiry is hand-set (the usual case costs no copy; it runs several times per frame).
    pub(crate) fn shown_reports(&self) -> Cow<'_, [SliceFitReport]> {
        let Some(fits) = &self.latest else { return Cow::Borrowed(&[]) };
        if self.manual.is_empty() {
            return Cow::Borrowed(&fits.reports);
        }
        Cow::Owned((0..fits.reports.len()).filter_map(|i| self.report(i).cloned()).collect())
    }

    /// Models of [`Fits::shown_reports`].
    pub(crate) fn shown_kinds(&self) -> Vec<ModelKind> {
        let n = self.latest.as_ref().map_or(0, |f| f.reports.len());
        (0..n).filter_map(|i| self.report_kind(i)).collect()
    }

    /// Shows `report` (hand-set parameters of `kind`) for slice `i`, or the worker's fit again (`None`).
    pub(super) fn set_manual(&mut self, i: usize, evaluated: Option<(ModelKind, SliceFitReport)>) {
        match evaluated {
            Some((kind, report)) => {
                let smile = smile_of(kind, &report);
                self.manual.insert(i, (kind, report, smile))
            }
            None => self.manual.remove(&i),
        };
    }

    /// Forgets every hand-set evaluation.
    pub(super) fn clear_manual(&mut self) {
        self.manual.clear();
    }
}
