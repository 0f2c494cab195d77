//! Reading header-based CSV tables row by row, with every problem located by line and column.

use std::io::Read;

use super::csv_input::{ColumnMap, InputError};

/// What the next call to [`CsvTable::next_row`] found.
#[derive(Debug)]
pub enum Next {
    /// A row with as many fields as the header, at this 1-based line; read it with [`CsvTable::row`].
    Row(u64),
    /// A row that cannot be read as a whole (truncated, extra fields, bad UTF-8): reject it.
    Bad(InputError),
    /// End of the file.
    End,
}

/// A CSV file with a header line, read one record at a time.
pub struct CsvTable<R: Read> {
    reader: csv::Reader<R>,
    columns: ColumnMap,
    record: csv::StringRecord,
    line_offset: u64,
}

impl<R: Read> CsvTable<R> {
    /// Reads the header. `line_offset` is the number of lines consumed before `input` starts (so that
    /// reported line numbers are the file's). Errors: empty input, a one-column header in another delimiter.
    pub fn new(input: R, line_offset: u64) -> Result<Self, InputError> {
        let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(input);
        let headers = reader.headers().map_err(|e| offset(InputError::from_csv(&e, None), line_offset))?.clone();
        if headers.iter().all(|h| h.trim().is_empty()) {
            return Err(InputError::at_line(line_offset + 1, "the file is empty: expected a header line"));
        }
        let columns = ColumnMap::new(headers);
        columns.check_delimiter().map_err(|e| offset(e, line_offset))?;
        Ok(CsvTable { reader, columns, record: csv::StringRecord::new(), line_offset })
    }

    /// The header.
    pub fn columns(&self) -> &ColumnMap {
        &self.columns
    }

    /// Index of a required column (error on the header line naming it).
    pub fn require(&self, what: &str, aliases: &[&str]) -> Result<usize, InputError> {
        self.columns.require(what, aliases).map_err(|e| offset(e, self.line_offset))
    }

    /// Index of an optional column.
    pub fn find(&self, aliases: &[&str]) -> Option<usize> {
        self.columns.find(aliases)
    }

    /// Advances to the next record. `Err` only for an unreadable stream (I/O error).
    pub fn next_row(&mut self) -> Result<Next, InputError> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => Ok(Next::End),
            Ok(true) => {
                let line = self.record.position().map_or(0, |p| p.line()) + self.line_offset;
                let expected = self.columns.headers().len();
                if self.record.len() == expected {
                    Ok(Next::Row(line))
                } else if self.record.len() == 1 && self.record.get(0).is_some_and(|f| f.trim().is_empty()) {
                    self.next_row() // a blank line
                } else {
                    let column = self.record.len().min(expected) + 1;
                    Ok(Next::Bad(InputError {
                        line,
                        column: Some(column),
                        column_name: self.columns.headers().get(column - 1).map(str::to_owned),
                        message: format!(
                            "found {} fields but the header has {expected} (truncated row or stray delimiter)",
                            self.record.len()
                        ),
                    }))
                }
            }
            Err(e) => {
                let located = offset(InputError::from_csv(&e, Some(self.columns.headers())), self.line_offset);
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    Err(located)
                } else {
                    Ok(Next::Bad(located))
                }
            }
        }
    }

    /// The current record.
    pub fn row(&self, line: u64) -> Row<'_> {
        Row { record: &self.record, headers: self.columns.headers(), line }
    }
}

fn offset(mut e: InputError, lines: u64) -> InputError {
    if e.line > 0 {
        e.line += lines;
    }
    e
}

/// One record of a [`CsvTable`], with typed, located field access.
pub struct Row<'a> {
    record: &'a csv::StringRecord,
    headers: &'a csv::StringRecord,
    /// 1-based line of the record.
    pub line: u64,
}

impl Row<'_> {
    /// A located error about column `col`.
    pub fn error(&self, col: usize, message: impl Into<String>) -> InputError {
        InputError {
            line: self.line,
            column: Some(col + 1),
            column_name: self.headers.get(col).map(str::to_owned),
            message: message.into(),
        }
    }

    /// Trimmed text of a field ("" when absent).
    pub fn text(&self, col: usize) -> &str {
        self.record.get(col).unwrap_or("").trim()
    }

    /// Optional number: empty → None; otherwise it must parse.
    pub fn opt_f64(&self, col: usize) -> Result<Option<f64>, InputError> {
        let t = self.text(col);
        if t.is_empty() || t.eq_ignore_ascii_case("nan") || t == "-" {
            return Ok(None);
        }
        t.parse::<f64>().map(Some).map_err(|_| self.error(col, format!("'{t}' is not a number")))
    }

    /// Optional number from an optional column.
    pub fn opt_f64_in(&self, col: Option<usize>) -> Result<Option<f64>, InputError> {
        col.map_or(Ok(None), |c| self.opt_f64(c))
    }

    /// Required number.
    pub fn f64(&self, col: usize) -> Result<f64, InputError> {
        self.opt_f64(col)?.ok_or_else(|| self.error(col, "empty field, a number is required"))
    }
}
