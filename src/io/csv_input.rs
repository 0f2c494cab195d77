//! Shared helpers for reading user CSV files: header lookup by aliases and errors that name line and column.

use std::fmt;

/// Longest message an [`InputError`] displays (longer ones, quoting a huge field, are cut).
const MAX_MESSAGE_CHARS: usize = 400;

/// A problem in an input file, located by 1-based line and (when known) 1-based column.
#[derive(Debug, Clone, PartialEq, thiserror::Error, serde::Serialize)]
pub struct InputError {
    /// 1-based line number in the file (0 when not known: a JSON record, an unopened file).
    pub line: u64,
    /// 1-based column number, when the problem is in one field.
    pub column: Option<usize>,
    /// Header name of that column, when known.
    pub column_name: Option<String>,
    /// What is wrong, for a human.
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut location = Vec::new();
        if self.line > 0 {
            location.push(format!("line {}", self.line));
        }
        if let Some(col) = self.column {
            match &self.column_name {
                Some(name) => location.push(format!("column {col} ({name})")),
                None => location.push(format!("column {col}")),
            }
        }
        // A message quotes what it saw: kept to one readable line whatever the input held.
        let message = super::excerpt(&self.message, MAX_MESSAGE_CHARS);
        if location.is_empty() {
            f.write_str(&message)
        } else {
            write!(f, "{}: {}", location.join(", "), message)
        }
    }
}

impl InputError {
    /// An error for a whole line.
    pub fn at_line(line: u64, message: impl Into<String>) -> Self {
        InputError { line, column: None, column_name: None, message: message.into() }
    }

    /// Converts a `csv` crate error, keeping its position; `headers` names the columns when known.
    pub fn from_csv(err: &csv::Error, headers: Option<&csv::StringRecord>) -> Self {
        use csv::ErrorKind;
        let line = err.position().map(|p| p.line()).unwrap_or(0);
        match err.kind() {
            ErrorKind::UnequalLengths { expected_len, len, pos } => {
                let line = pos.as_ref().map(|p| p.line()).unwrap_or(line);
                let column = (*len as usize).min(*expected_len as usize) + 1;
                InputError {
                    line,
                    column: Some(column),
                    column_name: headers.and_then(|h| h.get(column - 1)).map(str::to_owned),
                    message: format!(
                        "found {len} fields but the header has {expected_len} (truncated row or stray delimiter)"
                    ),
                }
            }
            ErrorKind::Utf8 { pos, err } => {
                let column = err.field() + 1;
                InputError {
                    line: pos.as_ref().map(|p| p.line()).unwrap_or(line),
                    column: Some(column),
                    column_name: headers.and_then(|h| h.get(column - 1)).map(str::to_owned),
                    message: "field is not valid UTF-8 text".to_owned(),
                }
            }
            ErrorKind::Io(io) => InputError::at_line(line, format!("read error: {io}")),
            _ => InputError::at_line(line, err.to_string()),
        }
    }
}

/// Positions of the named columns of a CSV header, looked up case-insensitively by aliases.
#[derive(Debug, Clone)]
pub struct ColumnMap {
    headers: csv::StringRecord,
}

impl ColumnMap {
    /// Wraps a header record.
    pub fn new(headers: csv::StringRecord) -> Self {
        ColumnMap { headers }
    }

    /// The header record.
    pub fn headers(&self) -> &csv::StringRecord {
        &self.headers
    }

    /// Index of the first column whose trimmed name equals one of `aliases` (ASCII case-insensitive).
    pub fn find(&self, aliases: &[&str]) -> Option<usize> {
        aliases.iter().find_map(|alias| {
            self.headers.iter().position(|h| h.trim().trim_start_matches('\u{feff}').eq_ignore_ascii_case(alias))
        })
    }

    /// Like [`ColumnMap::find`], but a missing column is an error on line 1 naming what was expected and found.
    pub fn require(&self, what: &str, aliases: &[&str]) -> Result<usize, InputError> {
        self.find(aliases).ok_or_else(|| {
            let found: Vec<&str> = self.headers.iter().collect();
            InputError::at_line(
                1,
                format!(
                    "missing column {what} (expected a header named one of: {}); the header has: {}",
                    aliases.join(", "),
                    found.join(", ")
                ),
            )
        })
    }

    /// Checks the header looks like comma-separated values: one column holding `;`, tab or `|` means the
    /// file uses another delimiter.
    pub fn check_delimiter(&self) -> Result<(), InputError> {
        if self.headers.len() == 1 {
            let only = self.headers.get(0).unwrap_or("");
            if let Some(d) = [';', '\t', '|'].into_iter().find(|d| only.contains(*d)) {
                let shown = if d == '\t' { "tab".to_owned() } else { format!("'{d}'") };
                return Err(InputError::at_line(
                    1,
                    format!("the header is one column separated by {shown}: Volscope expects comma-separated values"),
                ));
            }
        }
        Ok(())
    }
}
