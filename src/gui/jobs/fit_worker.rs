//! Fits run on a worker thread: the UI sends a request and keeps drawing; a result is applied only if it
//! answers the latest request (an older one is discarded), and a panic in a fit comes back as an error.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::time::Instant;

use crate::calibrate::SliceFitReport;
use crate::market::Snapshot;
use crate::models::ModelKind;
use crate::session::{fit_plans, SlicePlan};

/// What to fit.
pub struct FitRequest {
    /// Request number (increasing).
    pub id: u64,
    /// The chain.
    pub snapshot: Arc<Snapshot>,
    /// Model, configuration and start of each slice, in slice order.
    pub plans: Vec<SlicePlan>,
    /// A second model's plans, fitted after the first for comparison.
    pub compare: Option<Vec<SlicePlan>>,
}

/// What a fit produced.
pub struct FitResult {
    /// The request it answers.
    pub id: u64,
    /// The model fitted to each slice.
    pub kinds: Vec<ModelKind>,
    /// One report per slice, or why the whole fit failed (a panic is caught and reported).
    pub reports: Result<Vec<SliceFitReport>, String>,
    /// Wall time of the whole fit, ms.
    pub elapsed_ms: f64,
    /// The comparison model's kinds and reports (when asked for and it did not fail as a whole).
    pub compare: Option<(Vec<ModelKind>, Vec<SliceFitReport>)>,
}

/// The worker thread and the bookkeeping of which request is the latest.
pub struct FitWorker {
    requests: Sender<FitRequest>,
    results: Receiver<FitResult>,
    latest: u64,
}

impl FitWorker {
    /// Starts the worker; `repaint` is called after each result (to wake the UI).
    pub fn spawn(repaint: impl Fn() + Send + 'static) -> Self {
        let (requests, inbox) = channel::<FitRequest>();
        let (outbox, results) = channel::<FitResult>();
        std::thread::Builder::new()
            .name("volscope-fit".into())
            .spawn(move || {
                while let Ok(mut request) = inbox.recv() {
                    // Only the newest queued request is worth running.
                    while let Ok(newer) = inbox.try_recv() {
                        request = newer;
                    }
                    if outbox.send(run(request)).is_err() {
                        break;
                    }
                    repaint();
                }
            })
            .expect("the fit worker thread starts");
        FitWorker { requests, results, latest: 0 }
    }

    /// Queues a fit; returns its id.
    pub fn request(&mut self, snapshot: Arc<Snapshot>, plans: Vec<SlicePlan>, compare: Option<Vec<SlicePlan>>) -> u64 {
        self.latest += 1;
        let _ = self.requests.send(FitRequest { id: self.latest, snapshot, plans, compare });
        self.latest
    }

    /// Id of the latest request.
    pub fn latest(&self) -> u64 {
        self.latest
    }

    /// The result of the latest request if it has arrived; older results are dropped.
    pub fn poll(&mut self) -> Option<FitResult> {
        let mut answer = None;
        while let Ok(result) = self.results.try_recv() {
            answer = accept_latest(self.latest, result).or(answer);
        }
        answer
    }
}

/// Keeps a result only when it answers request `latest`.
pub fn accept_latest(latest: u64, result: FitResult) -> Option<FitResult> {
    (result.id == latest).then_some(result)
}

fn run(request: FitRequest) -> FitResult {
    let start = Instant::now();
    let FitRequest { id, snapshot, plans, compare } = request;
    let kinds: Vec<ModelKind> = plans.iter().map(|p| p.kind).collect();
    // Smile models slice by slice, surface models (SSVI, eSSVI) over all their slices at once.
    let reports = caught_fit(&snapshot, &plans);
    let elapsed_ms = start.elapsed().as_secs_f64() * 1e3;
    let compare =
        compare.and_then(|plans| Some((plans.iter().map(|p| p.kind).collect(), caught_fit(&snapshot, &plans).ok()?)));
    FitResult { id, kinds, reports, elapsed_ms, compare }
}

/// `fit_plans` with a panic caught and reported.
fn caught_fit(snapshot: &Snapshot, plans: &[SlicePlan]) -> Result<Vec<SliceFitReport>, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fit_plans(snapshot, plans))).map_err(|panic| {
        let what =
            panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned());
        format!("the fit panicked: {}", what.unwrap_or_else(|| "unknown reason".to_owned()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: u64) -> FitResult {
        FitResult { id, kinds: Vec::new(), reports: Ok(Vec::new()), elapsed_ms: 0.0, compare: None }
    }

    #[test]
    fn a_stale_result_is_discarded() {
        assert!(accept_latest(3, result(2)).is_none());
        assert_eq!(accept_latest(3, result(3)).map(|r| r.id), Some(3));
    }

    #[test]
    fn the_worker_answers_the_latest_request_only() {
        let raw = crate::io::load_bytes(crate::sample::SAMPLE_CSV.as_bytes(), "sample", &Default::default()).unwrap();
        let snapshot = Arc::new(raw.snapshot(&Default::default()).unwrap());
        let mut worker = FitWorker::spawn(|| {});
        let plans = |kind| {
            let mut edit = crate::session::EditState::default();
            edit.all.kind = kind;
            edit.plans(&snapshot, |_, _| None)
        };
        let first = worker.request(snapshot.clone(), plans(ModelKind::Svi), None);
        let second = worker.request(snapshot.clone(), plans(ModelKind::Sabr { beta: Some(1.0) }), None);
        assert!(second > first);
        let deadline = Instant::now() + std::time::Duration::from_secs(60);
        let answer = loop {
            if let Some(r) = worker.poll() {
                break r;
            }
            assert!(Instant::now() < deadline, "no fit result within 60 s");
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        assert_eq!(answer.id, second, "only the latest request's result is applied");
        assert!(answer.kinds.iter().all(|k| *k == ModelKind::Sabr { beta: Some(1.0) }));
        assert_eq!(answer.reports.unwrap().len(), 10);
    }
}
