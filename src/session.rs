//! What a user did to a chain, as data: the model and constraints for all expiries or one, the exclusions,
//! hand-set parameters (manual mode); and the session file that saves it with the source and the last fits.
//!
//! The GUI keeps one [`EditState`]: undo and redo restore it whole, the autosave writes it, and a fit request
//! is built from it with [`EditState::plans`]. A session file is JSON (`*.volscope.json`), written atomically.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::calibrate::{fit_slice, fit_surface_slices, FitConfig, SliceFitReport};
use crate::market::{ExpirySlice, Snapshot};
use crate::models::ModelKind;

/// A model and its fit configuration (bounds, fixed parameters, weights, filters, solver).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SliceSetup {
    /// The model.
    pub kind: ModelKind,
    /// Its configuration (`excluded_instruments` is ignored here: exclusions live in [`EditState::excluded`]).
    pub config: FitConfig,
}

/// Everything the user edited on a chain.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EditState {
    /// Model and configuration of every expiry without its own.
    pub all: SliceSetup,
    /// Expiries with their own model and configuration, by expiry time (UTC ms).
    pub per_expiry: BTreeMap<i64, SliceSetup>,
    /// Instruments excluded from the fits (exact names).
    pub excluded: Vec<String>,
    /// Hand-set parameters by expiry time (UTC ms): these expiries show these parameters, not a fit.
    #[serde(with = "crate::json_num")]
    pub manual: BTreeMap<i64, Vec<f64>>,
}

/// What to do with one slice in a fit request.
#[derive(Clone, Debug, PartialEq)]
pub struct SlicePlan {
    /// The model.
    pub kind: ModelKind,
    /// The configuration, exclusions included.
    pub config: FitConfig,
    /// Start the solver here (e.g. from hand-set parameters).
    pub warm_start: Option<Vec<f64>>,
}

/// Fits every slice of `snapshot` by its plan (`plans` in slice order): slices whose model is a surface
/// model are fitted together, one surface per model kind, with the configuration of the first of them; the
/// others one by one. The reports come back in slice order.
pub fn fit_plans(snapshot: &Snapshot, plans: &[SlicePlan]) -> Vec<SliceFitReport> {
    let mut reports: Vec<Option<SliceFitReport>> = vec![None; snapshot.slices.len()];
    for kind in ModelKind::ALL {
        let Some(surface) = kind.surface() else { continue };
        let members: Vec<usize> =
            (0..plans.len().min(snapshot.slices.len())).filter(|&i| plans[i].kind == kind).collect();
        let Some(&first) = members.first() else { continue };
        let slices: Vec<&ExpirySlice> = members.iter().map(|&i| &snapshot.slices[i]).collect();
        let warm = surface_warm_start(surface.as_ref(), snapshot, plans, &members);
        let fit = fit_surface_slices(surface.as_ref(), &slices, &plans[first].config, warm.as_ref());
        for (i, report) in members.into_iter().zip(fit.reports) {
            reports[i] = Some(report);
        }
    }
    snapshot
        .slices
        .iter()
        .zip(plans)
        .zip(reports)
        .map(|((slice, plan), done)| {
            done.unwrap_or_else(|| {
                let model = plan.kind.for_slice(slice);
                fit_slice(model.as_ref(), slice, &plan.config, plan.warm_start.as_deref())
            })
        })
        .collect()
}

/// A surface's warm start from its members' plans: every live member's warm start (an earlier fit's smile),
/// in increasing T, read back by the model; `None` when one is missing or the model cannot read them.
fn surface_warm_start(
    surface: &dyn crate::models::SurfaceModel,
    snapshot: &Snapshot,
    plans: &[SlicePlan],
    members: &[usize],
) -> Option<crate::models::SurfaceParams> {
    let mut live: Vec<usize> =
        members.iter().copied().filter(|&i| crate::calibrate::is_live(&snapshot.slices[i])).collect();
    live.sort_by(|&a, &b| snapshot.slices[a].t_years.total_cmp(&snapshot.slices[b].t_years));
    let smiles: Vec<&[f64]> = live.iter().map(|&i| plans[i].warm_start.as_deref()).collect::<Option<_>>()?;
    surface.params_from_smiles(&smiles)
}

impl EditState {
    /// The setup that applies to an expiry.
    pub fn setup_for(&self, expiry_ms: i64) -> &SliceSetup {
        self.per_expiry.get(&expiry_ms).unwrap_or(&self.all)
    }

    /// The setup to edit: the expiry's own (created as a copy of the all-expiry one) when `expiry_ms` is
    /// given, else the all-expiry one.
    pub fn setup_mut(&mut self, expiry_ms: Option<i64>) -> &mut SliceSetup {
        match expiry_ms {
            Some(e) => self.per_expiry.entry(e).or_insert_with(|| self.all.clone()),
            None => &mut self.all,
        }
    }

    /// The configuration a slice is fitted with: its setup's, with the user's exclusions.
    pub fn config_for(&self, expiry_ms: i64) -> FitConfig {
        let mut config = self.setup_for(expiry_ms).config.clone();
        config.excluded_instruments = self.excluded.clone();
        config
    }

    /// One plan per slice of `snapshot`, in slice order; `warm` gives a start for a slice (by index).
    ///
    /// Bounds and fixed values are kept by parameter name across model switches (switching back finds them
    /// again); a plan carries only those of names its model has, so an SVI bound on `b` does not fail a SABR
    /// fit. A name two models share (`rho`) applies to both.
    pub fn plans(&self, snapshot: &Snapshot, warm: impl Fn(usize, &ExpirySlice) -> Option<Vec<f64>>) -> Vec<SlicePlan> {
        snapshot
            .slices
            .iter()
            .enumerate()
            .map(|(i, slice)| {
                let kind = self.setup_for(slice.expiry_ms).kind;
                let names = kind.for_slice(slice).param_names();
                let mut config = self.config_for(slice.expiry_ms);
                config.bounds.retain(|name, _| names.contains(&name.as_str()));
                config.fixed.retain(|name, _| names.contains(&name.as_str()));
                SlicePlan { kind, config, warm_start: warm(i, slice) }
            })
            .collect()
    }

    /// Excludes `instrument`, or includes it again; returns `true` when it is now excluded.
    pub fn toggle_exclusion(&mut self, instrument: &str) -> bool {
        match self.excluded.iter().position(|e| e == instrument) {
            Some(i) => {
                self.excluded.remove(i);
                false
            }
            None => {
                self.excluded.push(instrument.to_owned());
                true
            }
        }
    }
}

/// Version written in session files; a newer one is refused with a clear message.
pub const SESSION_VERSION: u32 = 1;

/// A saved session: the source, what was edited, and the fits shown when it was saved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// File format version ([`SESSION_VERSION`]).
    pub version: u32,
    /// The quote file, or `None` for the bundled sample.
    pub source: Option<PathBuf>,
    /// Underlying shown.
    pub underlying: Option<String>,
    /// Snapshot time chosen in a multi-snapshot file (UTC ms), `None` for the file's own.
    pub at_ms: Option<i64>,
    /// Expiry shown (UTC ms).
    pub selected_expiry_ms: Option<i64>,
    /// Models, constraints, exclusions and hand-set parameters.
    pub edit: EditState,
    /// The fits shown when saved (one per slice, in slice order), so a restored session shows them at once.
    #[serde(default)]
    pub fits: Vec<SliceFitReport>,
    /// When it was saved (UTC ms).
    pub saved_at_ms: i64,
}

/// Why a session could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Not a session file, or a malformed one.
    #[error("{path}: line {line}, column {column}: {message}")]
    Malformed {
        /// The file.
        path: String,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What serde_json saw.
        message: String,
    },
    /// Written by a newer Volscope.
    #[error("{path}: session version {found} is newer than this Volscope reads ({SESSION_VERSION})")]
    TooNew {
        /// The file.
        path: String,
        /// Version in the file.
        found: u32,
    },
}

impl Session {
    /// Writes the session as pretty JSON, atomically (a crash mid-write leaves the previous file intact).
    pub fn save(&self, path: &Path) -> Result<(), SessionError> {
        let io = |source| SessionError::Io { path: path.display().to_string(), source };
        crate::io::write_atomically(path, |w| serde_json::to_writer_pretty(w, self).map_err(std::io::Error::from))
            .map_err(io)
    }

    /// Reads a session file; a malformed one gives its line and column.
    pub fn load(path: &Path) -> Result<Session, SessionError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| SessionError::Io { path: name.clone(), source })?;
        Session::from_json(&text, &name)
    }

    /// Parses session JSON (`name` is used in errors).
    pub fn from_json(text: &str, name: &str) -> Result<Session, SessionError> {
        let malformed = |e: serde_json::Error| SessionError::Malformed {
            path: name.to_owned(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        };
        let value: serde_json::Value = serde_json::from_str(text).map_err(malformed)?;
        let found = value.get("version").and_then(serde_json::Value::as_u64).unwrap_or(0);
        if found > u64::from(SESSION_VERSION) {
            return Err(SessionError::TooNew { path: name.to_owned(), found: found as u32 });
        }
        serde_json::from_str(text).map_err(malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surface_plans_fit_together_and_smile_plans_alone() {
        let csv = crate::sample::generate_sample_csv(7);
        let raw = crate::io::load_bytes(csv.as_bytes(), "sample.csv", &crate::io::LoadOptions::default()).unwrap();
        let snapshot = raw.snapshot(&crate::market::BuildOptions::default()).unwrap();
        let mut plans: Vec<SlicePlan> = snapshot
            .slices
            .iter()
            .map(|_| SlicePlan { kind: ModelKind::Ssvi, config: FitConfig::default(), warm_start: None })
            .collect();
        plans[1].kind = ModelKind::Svi;
        let reports = fit_plans(&snapshot, &plans);
        assert_eq!(reports.len(), snapshot.slices.len());
        for (i, (r, s)) in reports.iter().zip(&snapshot.slices).enumerate() {
            assert_eq!(r.expiry_ms, s.expiry_ms, "slice order kept");
            if s.t_years > 0.0 {
                assert!(r.status.is_usable(), "{i}: {:?}", r.status);
                assert_eq!(r.model, if i == 1 { "svi" } else { "ssvi" });
                assert!(r.smile(plans[i].kind).is_some(), "an SSVI slice reads as raw SVI");
            }
        }
    }

    fn edited() -> EditState {
        let mut edit = EditState::default();
        edit.all.config.fixed.insert("rho".into(), -0.2);
        edit.setup_mut(Some(1_774_598_400_000)).kind = ModelKind::Sabr { beta: Some(1.0) };
        edit.setup_mut(Some(1_774_598_400_000)).config.bounds.insert("nu".into(), (0.1, 3.0));
        edit.toggle_exclusion("BTC-27MAR26-70000-P");
        edit.manual.insert(1_775_203_200_000, vec![0.01, 0.1, -0.3, 0.0, 0.2]);
        edit
    }

    #[test]
    fn a_per_expiry_setup_starts_as_a_copy_of_the_all_expiry_one() {
        let edit = edited();
        let own = edit.setup_for(1_774_598_400_000);
        assert_eq!(own.kind, ModelKind::Sabr { beta: Some(1.0) });
        assert_eq!(own.config.fixed.get("rho"), Some(&-0.2), "copied from the all-expiry setup");
        assert_eq!(edit.setup_for(1).kind, ModelKind::Svi, "other expiries use the all-expiry setup");
        assert_eq!(edit.config_for(1).excluded_instruments, ["BTC-27MAR26-70000-P"]);
    }

    #[test]
    fn a_plan_keeps_only_the_bounds_its_model_has() {
        let raw = crate::io::load_bytes(crate::sample::SAMPLE_CSV.as_bytes(), "s", &Default::default()).unwrap();
        let snapshot = raw.snapshot(&Default::default()).unwrap();
        let mut edit = EditState::default();
        edit.all.config.bounds.insert("b".into(), (0.0, 0.1));
        edit.all.config.fixed.insert("rho".into(), -0.2);
        edit.all.kind = ModelKind::Sabr { beta: Some(1.0) };
        let plan = &edit.plans(&snapshot, |_, _| None)[0];
        assert!(plan.config.bounds.is_empty(), "SABR has no b");
        assert_eq!(plan.config.fixed.get("rho"), Some(&-0.2), "both models have rho");
        assert!(edit.all.config.bounds.contains_key("b"), "kept for a switch back to SVI");
    }

    #[test]
    fn exclusions_toggle() {
        let mut edit = EditState::default();
        assert!(edit.toggle_exclusion("X"));
        assert!(!edit.toggle_exclusion("X"));
        assert!(edit.excluded.is_empty());
    }

    #[test]
    fn a_session_round_trips_through_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.volscope.json");
        let session = Session {
            version: SESSION_VERSION,
            source: Some(PathBuf::from("../shared/data/x.csv")),
            underlying: Some("BTC".into()),
            at_ms: Some(5),
            selected_expiry_ms: Some(1_774_598_400_000),
            edit: edited(),
            fits: Vec::new(),
            saved_at_ms: 7,
        };
        session.save(&path).unwrap();
        assert_eq!(Session::load(&path).unwrap(), session);
    }

    #[test]
    fn a_malformed_or_newer_session_is_a_clear_error() {
        let err = Session::from_json("{\n  \"version\": 1,\n  \"edit\": [}\n", "s.json").unwrap_err();
        assert!(matches!(err, SessionError::Malformed { line: 3, .. }), "{err}");
        let err = Session::from_json("{\"version\": 9}", "s.json").unwrap_err();
        assert!(err.to_string().contains("newer"), "{err}");
        let err = Session::from_json("{\"version\": 1}", "s.json").unwrap_err();
        assert!(err.to_string().contains("missing field"), "{err}");
    }
}
