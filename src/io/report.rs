//! The load report: what a loader read, used and rejected, with line numbers.

use std::collections::BTreeMap;

use serde::Serialize;

use super::csv_input::InputError;

/// How many located problems a report keeps (the count of all of them stays exact).
const MAX_PROBLEMS_KEPT: usize = 500;

/// What loading one file did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LoadReport {
    /// Format the file was read as.
    pub format: String,
    /// Data rows (or JSON records) read.
    pub rows_read: usize,
    /// Rows turned into option quotes.
    pub rows_loaded: usize,
    /// Rejected rows by reason → their 1-based line numbers (1-based record numbers for JSON).
    pub rejected: BTreeMap<String, Vec<u64>>,
    /// Located problems (line, column, what): the first 500.
    pub problems: Vec<InputError>,
    /// Total number of located problems.
    pub problem_count: usize,
    /// What the format cannot provide or what the loader assumed (e.g. "no bid/ask: marks only").
    pub notes: Vec<String>,
    /// Rows loaded with a warning, by warning → (number of rows, their first line numbers).
    pub warned: BTreeMap<String, (usize, Vec<u64>)>,
}

/// How many line numbers a warning keeps (its row count stays exact).
const MAX_WARNED_LINES: usize = 8;

impl LoadReport {
    /// An empty report for a format.
    pub fn new(format: &str) -> Self {
        LoadReport { format: format.to_owned(), ..Default::default() }
    }

    /// Records a rejected row.
    pub fn reject(&mut self, reason: &str, line: u64) {
        self.rejected.entry(reason.to_owned()).or_default().push(line);
    }

    /// Records a rejected row with the located problem that caused it.
    pub fn reject_with(&mut self, reason: &str, problem: InputError) {
        let line = problem.line;
        self.reject_record(reason, line, problem);
    }

    /// Records a rejected JSON record under its 1-based position (JSON problems carry no line).
    pub fn reject_record(&mut self, reason: &str, record: u64, problem: InputError) {
        self.reject(reason, record);
        self.problem_count += 1;
        if self.problems.len() < MAX_PROBLEMS_KEPT {
            self.problems.push(problem);
        }
    }

    /// Adds a note once.
    pub fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// A row that loads with a warning (a contradiction between its columns, a field that was ignored).
    pub fn warn_line(&mut self, warning: &str, line: u64) {
        let (count, lines) = self.warned.entry(warning.to_owned()).or_default();
        *count += 1;
        if lines.len() < MAX_WARNED_LINES {
            lines.push(line);
        }
    }

    /// The notes, then one line per row warning with its count and first lines.
    pub fn all_notes(&self) -> Vec<String> {
        let warned = self.warned.iter().map(|(warning, (count, lines))| {
            let shown: Vec<String> = lines.iter().map(u64::to_string).collect();
            let more = if *count > lines.len() { ", …" } else { "" };
            let rows = if *count == 1 { "1 row".to_owned() } else { format!("{count} rows") };
            format!("{warning}: {rows} (line {}{more})", shown.join(", "))
        });
        self.notes.iter().cloned().chain(warned).collect()
    }

    /// Number of rejected rows.
    pub fn rejected_count(&self) -> usize {
        self.rejected.values().map(Vec::len).sum()
    }

    /// Multi-line human summary.
    pub fn describe(&self) -> String {
        let mut out = format!(
            "{}: {} rows read, {} loaded, {} rejected",
            self.format,
            self.rows_read,
            self.rows_loaded,
            self.rejected_count()
        );
        for (reason, lines) in &self.rejected {
            let shown: Vec<String> = lines.iter().take(8).map(u64::to_string).collect();
            let more = if lines.len() > 8 { format!(", … ({} in all)", lines.len()) } else { String::new() };
            out.push_str(&format!("\n  rejected, {reason}: line {}{more}", shown.join(", ")));
        }
        for p in self.problems.iter().take(10) {
            out.push_str(&format!("\n  {p}"));
        }
        for n in self.all_notes() {
            out.push_str(&format!("\n  note: {n}"));
        }
        out
    }
}
