//! The snapshot time picker of a multi-snapshot file.

use crate::gui::jobs::loaded_chain::LoadedChain;
use crate::market::time::format_utc;

/// A "Snapshot time" combo box listing the chain's times (UTC); returns the time the user just chose, if any.
/// Draws nothing when the file offers fewer than two times.
///
/// Apply the choice with [`LoadedChain::select_time`], or, when [`LoadedChain::needs_reload_for_time`], with a
/// load at that time (`LoadJob::reload_at`).
pub fn time_picker_ui(ui: &mut egui::Ui, chain: &LoadedChain) -> Option<i64> {
    if chain.times.len() < 2 {
        return None;
    }
    let current_ms = chain.snapshot.time_ms;
    let mut chosen_ms = current_ms;
    egui::ComboBox::from_label("Snapshot time").selected_text(format_utc(current_ms)).show_ui(ui, |ui| {
        for &t in &chain.times {
            ui.selectable_value(&mut chosen_ms, t, format_utc(t));
        }
    });
    (chosen_ms != current_ms).then_some(chosen_ms)
}

#[cfg(test)]
mod tests {
    use egui::accesskit::Role;
    use egui_kittest::kittest::Queryable as _;
    use egui_kittest::Harness;

    use super::*;
    use crate::gui::jobs::loaded_chain::tests::{chain, TWO_TIMES};
    use crate::io::{load_bytes, LoadOptions};

    /// The chain and the times the picker returned.
    type State = (LoadedChain, Vec<i64>);

    fn picker_ui(ui: &mut egui::Ui, state: &mut State) {
        if let Some(at_ms) = time_picker_ui(ui, &state.0) {
            state.0.select_time(at_ms).expect("a listed time builds");
            state.1.push(at_ms);
        }
    }

    #[test]
    fn choosing_a_time_returns_it_once() {
        let chain = chain(TWO_TIMES);
        let (nine, ten) = (chain.times[0], chain.times[1]);
        let mut harness = Harness::new_ui_state(picker_ui, (chain, Vec::new()));
        harness.run();
        assert!(harness.state().1.is_empty(), "nothing chosen yet");
        harness.get_by_role_and_label(Role::ComboBox, "Snapshot time").click();
        harness.run();
        harness.get_by_label(&format_utc(nine)).click();
        harness.run();
        assert_eq!(harness.state().1, [nine], "returned once, when chosen");
        assert_eq!(harness.state().0.snapshot.time_ms, nine);
        assert_ne!(nine, ten);
    }

    #[test]
    fn a_single_snapshot_file_shows_no_picker() {
        let raw = load_bytes(crate::sample::SAMPLE_CSV.as_bytes(), "sample", &LoadOptions::default()).unwrap();
        let chain = LoadedChain::new("sample".into(), raw).unwrap();
        let mut harness = Harness::new_ui_state(picker_ui, (chain, Vec::new()));
        harness.run();
        assert!(harness.query_by_label("Snapshot time").is_none());
    }
}
