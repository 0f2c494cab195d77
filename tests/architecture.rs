//! The core never imports egui: only `src/gui/` (and the thin `src/main.rs`, behind the `gui` feature) may.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn only_the_gui_module_imports_egui() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let gui = src.join("gui");
    let offenders: Vec<String> = files
        .iter()
        .filter(|p| !p.starts_with(&gui))
        .filter(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            ["egui::", "eframe::", "egui_plot::", "rfd::", "use egui", "use eframe"].iter().any(|s| text.contains(s))
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "egui/eframe/rfd used outside src/gui: {offenders:?}");
}
