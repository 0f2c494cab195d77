//! The market data shown: the loaded chain, the background load that will replace it, the session waiting
//! for that load, and the last load error.

use std::path::PathBuf;

use crate::gui::jobs::load_job::LoadJob;
use crate::gui::jobs::loaded_chain::LoadedChain;
use crate::market::ExpirySlice;
use crate::session::Session;

/// The loaded chain and what is loading.
#[derive(Default)]
pub(crate) struct LoadedData {
    chain: Option<LoadedChain>,
    /// A file loading in the background (progress and Cancel are shown; the current chain stays meanwhile).
    job: Option<LoadJob>,
    /// The session (and its file's path) to apply when the background load of its source ends.
    pending_session: Option<(Session, PathBuf)>,
    /// The last load error, if any.
    error: Option<String>,
}

impl LoadedData {
    /// The loaded chain, if any.
    pub(crate) fn chain(&self) -> Option<&LoadedChain> {
        self.chain.as_ref()
    }

    /// The loaded chain, to rebuild for another underlying or time.
    pub(super) fn chain_mut(&mut self) -> Option<&mut LoadedChain> {
        self.chain.as_mut()
    }

    /// Slice `i` of the loaded chain.
    pub(crate) fn slice(&self, i: usize) -> Option<&ExpirySlice> {
        self.chain.as_ref().and_then(|c| c.snapshot.slices.get(i))
    }

    /// Shows `chain`; the load error is cleared.
    pub(super) fn install(&mut self, chain: LoadedChain) {
        self.chain = Some(chain);
        self.error = None;
    }

    /// The background load, if one runs.
    pub(crate) fn job(&self) -> Option<&LoadJob> {
        self.job.as_ref()
    }

    /// The background load, to poll.
    pub(super) fn job_mut(&mut self) -> Option<&mut LoadJob> {
        self.job.as_mut()
    }

    /// Runs `job` in the background (`None`: drops, and so cancels, the one running).
    pub(super) fn set_job(&mut self, job: Option<LoadJob>) {
        self.job = job;
    }

    /// Takes the background load away (to cancel it or after it answered).
    pub(super) fn take_job(&mut self) -> Option<LoadJob> {
        self.job.take()
    }

    /// Keeps `session` (read from `path`) until the background load of its source ends.
    pub(super) fn set_pending_session(&mut self, session: Session, path: PathBuf) {
        self.pending_session = Some((session, path));
    }

    /// Takes the session waiting for the background load.
    pub(super) fn take_pending_session(&mut self) -> Option<(Session, PathBuf)> {
        self.pending_session.take()
    }

    /// The last load error, if any.
    pub(crate) fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Shows a load error (the chain stays).
    pub(super) fn set_error(&mut self, error: String) {
        self.error = Some(error);
    }
}
