//! The module table of ARCHITECTURE.md is the law: every `crate::X` a file of module M names must be in M's
//! "may depend on" column (or M itself), and the core never imports egui (only `src/gui/`, and the thin
//! `src/main.rs` behind the `gui` feature, may).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The crate module a source file belongs to (`src/io/load.rs` → `io`, `src/surface.rs` → `surface`).
fn module_of(file: &Path) -> String {
    let rel = file.strip_prefix(src()).unwrap();
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_owned()
}

/// ARCHITECTURE.md's table: module → the modules it may depend on (backticked words of the last column that
/// name a crate module).
fn allowed_table() -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md")).unwrap();
    let mut table = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with("| `src/")) {
        let cells: Vec<&str> = line.split(" | ").collect();
        let module = cells[0].trim_start_matches("| `src/").split(['`', '/']).next().unwrap().trim_end_matches(".rs");
        let deps: BTreeSet<String> = cells
            .last()
            .unwrap()
            .split('`')
            .skip(1)
            .step_by(2)
            .map(|d| d.split("::").next().unwrap().to_owned())
            .collect();
        table.insert(module.to_owned(), deps);
    }
    table
}

/// The crate modules a file names through `crate::X` (in `use` lines and in paths), outside `#[cfg(test)]`
/// blocks at the end of the file.
fn crate_modules_named(text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    // Comments (doc links included) are not dependencies.
    let code: String = code.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    let code = code.as_str();
    let mut named = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let word: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if modules.contains(&word) {
            named.insert(word);
        }
    }
    // `use crate::{a, b::c}`: the braces name several.
    for group in code.split("use crate::{").skip(1) {
        let inside = group.split('}').next().unwrap_or("");
        for item in inside.split(',') {
            let word = item.trim().split("::").next().unwrap_or("").to_owned();
            if modules.contains(&word) {
                named.insert(word);
            }
        }
    }
    named
}

#[test]
fn every_module_depends_only_on_what_architecture_md_allows() {
    let table = allowed_table();
    let modules: BTreeSet<String> = table.keys().cloned().collect();
    for required in ["pricing", "market", "io", "models", "calibrate", "arbitrage", "gui", "cli", "session", "surface"]
    {
        assert!(modules.contains(required), "ARCHITECTURE.md lists no `src/{required}`");
    }
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut offences = Vec::new();
    for file in &files {
        let module = module_of(file);
        let Some(allowed) = table.get(&module) else {
            offences.push(format!("{}: module `{module}` is not in ARCHITECTURE.md's table", file.display()));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for used in crate_modules_named(&text, &modules) {
            if used != module && !allowed.contains(&used) {
                offences.push(format!("{}: `{module}` uses `{used}`, not in its \"may depend on\"", file.display()));
            }
        }
    }
    assert!(offences.is_empty(), "{}", offences.join("\n"));
}

#[test]
fn only_the_gui_module_imports_egui() {
    let src = src();
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

#[test]
fn the_files_of_io_have_no_import_cycle() {
    let io = src().join("io");
    let mut files = Vec::new();
    rust_files(&io, &mut files);
    let name = |p: &Path| p.file_stem().unwrap().to_string_lossy().into_owned();
    let names: BTreeSet<String> = files.iter().map(|p| name(p)).filter(|n| n != "mod").collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files.iter().filter(|p| name(p) != "mod") {
        let text = std::fs::read_to_string(file).unwrap();
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
        let used = code
            .split("super::")
            .skip(1)
            .map(|rest| rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>())
            .filter(|n| names.contains(n) && *n != name(file));
        edges.entry(name(file)).or_default().extend(used);
    }
    // Depth-first search for a back edge.
    fn visit(n: &str, edges: &BTreeMap<String, BTreeSet<String>>, path: &mut Vec<String>, done: &mut BTreeSet<String>) {
        if done.contains(n) {
            return;
        }
        if let Some(i) = path.iter().position(|p| p == n) {
            panic!("import cycle in src/io: {} -> {n}", path[i..].join(" -> "));
        }
        path.push(n.to_owned());
        for m in edges.get(n).into_iter().flatten() {
            visit(m, edges, path, done);
        }
        path.pop();
        done.insert(n.to_owned());
    }
    let mut done = BTreeSet::new();
    for n in edges.keys() {
        visit(n, &edges, &mut Vec::new(), &mut done);
    }
}
