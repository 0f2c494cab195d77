//! Reading header-based CSV tables row by row, with every problem located by line and column.
//!
//! Built on the fast splitter of [`super::lines`] (not the `csv` crate's record reader, which cost most of a
//! snapshot's load time): RFC 4180 quotes are honoured within a line; a quoted field spanning lines is not
//! supported (no exchange format has one).

use std::io::Read;

use super::csv_input::{ColumnMap, InputError};
use super::lines::{self, is_blank, parse_simple_f64, Fields, LineReader, LineRef};
use super::raw_chain::RawChain;

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

/// What [`CsvTable::next_row_if`] found.
#[derive(Debug)]
pub enum Filtered {
    /// What [`CsvTable::next_row`] would have returned.
    Next(Next),
    /// A row the filter rejected, at this 1-based line (not checked further).
    Skipped(u64),
}

/// A CSV file with a header line, read one record at a time.
pub struct CsvTable<R: Read> {
    lines: LineReader<R>,
    fields: Fields,
    columns: ColumnMap,
    current: Option<LineRef>,
    line_offset: u64,
}

impl<R: Read> CsvTable<R> {
    /// Reads the header (the first non-blank line). `line_offset` is the number of lines consumed before
    /// `input` starts (so that reported line numbers are the file's). Errors: empty input, a one-column header
    /// in another delimiter, an unreadable header.
    pub fn new(input: R, line_offset: u64) -> Result<Self, InputError> {
        let mut lines = LineReader::new(input);
        let mut fields = Fields::default();
        let header = loop {
            let io = |e: std::io::Error| InputError::at_line(line_offset + 1, format!("read error: {e}"));
            let Some(line) = lines.next_line().map_err(io)? else {
                return Err(InputError::at_line(line_offset + 1, "the file is empty: expected a header line"));
            };
            let bytes = lines.bytes(&line);
            if is_blank(bytes) {
                continue;
            }
            let at = line_offset + line.number;
            fields.split(bytes, usize::MAX).map_err(|m| InputError::at_line(at, format!("header: {m}")))?;
            let row = fields.of(bytes);
            let names: Result<Vec<&str>, String> = (0..fields.len()).map(|c| row.text(c)).collect();
            break csv::StringRecord::from(names.map_err(|m| InputError::at_line(at, format!("header: {m}")))?);
        };
        let columns = ColumnMap::new(header);
        columns.check_delimiter().map_err(|mut e| {
            e.line += line_offset;
            e
        })?;
        Ok(CsvTable { lines, fields, columns, current: None, line_offset })
    }

    /// The header.
    pub fn columns(&self) -> &ColumnMap {
        &self.columns
    }

    /// Index of a required column (error on the header line naming it).
    pub fn require(&self, what: &str, aliases: &[&str]) -> Result<usize, InputError> {
        self.columns.require(what, aliases).map_err(|mut e| {
            e.line += self.line_offset;
            e
        })
    }

    /// Index of an optional column.
    pub fn find(&self, aliases: &[&str]) -> Option<usize> {
        self.columns.find(aliases)
    }

    /// Advances to the next non-blank record. `Err` only for an unreadable stream (I/O error).
    pub fn next_row(&mut self) -> Result<Next, InputError> {
        let Some(line) = self.next_nonblank_line()? else { return Ok(Next::End) };
        self.fields.reset();
        Ok(self.finish_row(line))
    }

    /// Like [`CsvTable::next_row`], but a row whose field `col` fails `keep` is skipped after splitting only
    /// up to that field (a cheap filter, e.g. on the underlying of a file that holds several). `keep` sees the
    /// trimmed raw bytes of the field.
    pub fn next_row_if(&mut self, col: usize, mut keep: impl FnMut(&[u8]) -> bool) -> Result<Filtered, InputError> {
        let Some(line) = self.next_nonblank_line()? else { return Ok(Filtered::Next(Next::End)) };
        let bytes = self.lines.bytes(&line);
        if self.fields.split(bytes, col + 1).is_ok() && self.fields.len() > col && !keep(self.fields.of(bytes).get(col))
        {
            let number = self.line_offset + line.number;
            self.current = Some(line);
            return Ok(Filtered::Skipped(number));
        }
        Ok(Filtered::Next(self.finish_row(line)))
    }

    /// The next line that is not blank, `None` at the end.
    fn next_nonblank_line(&mut self) -> Result<Option<LineRef>, InputError> {
        loop {
            let line = self
                .lines
                .next_line()
                .map_err(|e| InputError::at_line(self.line_offset + self.lines.line + 1, format!("read error: {e}")))?;
            match line {
                None => {
                    self.current = None;
                    return Ok(None);
                }
                Some(line) if is_blank(self.lines.bytes(&line)) => continue,
                Some(line) => return Ok(Some(line)),
            }
        }
    }

    /// Splits the rest of `line` (the fields may be split partly already) and checks it as a record.
    fn finish_row(&mut self, line: LineRef) -> Next {
        let bytes = self.lines.bytes(&line);
        let number = self.line_offset + line.number;
        let expected = self.columns.headers().len();
        let outcome = match self.fields.split_more(bytes, expected + 1) {
            Err(message) => Next::Bad(self.problem(number, self.fields.len().max(1), message)),
            Ok(()) if self.fields.len() != expected => Next::Bad(self.problem(
                number,
                self.fields.len().min(expected) + 1,
                format!(
                    "found {} fields but the header has {expected} (truncated row or stray delimiter)",
                    count_fields(bytes, self.fields.len(), expected)
                ),
            )),
            Ok(()) => match first_invalid_utf8_field(&self.fields, bytes) {
                Some(col) => Next::Bad(self.problem(number, col + 1, "field is not valid UTF-8 text".to_owned())),
                None => Next::Row(number),
            },
        };
        self.current = Some(line);
        outcome
    }

    /// Reads every remaining row into `chain`: counts the rows read, rejects malformed ones ("malformed row")
    /// and hands each readable one to `on_row`, which pushes its quotes or rejects it.
    pub fn read_all(
        &mut self,
        chain: &mut RawChain,
        mut on_row: impl FnMut(&Row<'_>, &mut RawChain),
    ) -> Result<(), InputError> {
        loop {
            let next = self.next_row()?;
            if !matches!(next, Next::End) {
                chain.report.rows_read += 1;
            }
            match next {
                Next::End => return Ok(()),
                Next::Bad(e) => chain.report.reject_with("malformed row", e),
                Next::Row(line) => on_row(&self.row(line), chain),
            }
        }
    }

    fn problem(&self, line: u64, column: usize, message: String) -> InputError {
        InputError {
            line,
            column: Some(column),
            column_name: self.columns.headers().get(column - 1).map(str::to_owned),
            message,
        }
    }

    /// The current record (after [`CsvTable::next_row`] returned `Next::Row(line)`).
    pub fn row(&self, line: u64) -> Row<'_> {
        let bytes = self.current.as_ref().map_or(&[][..], |l| self.lines.bytes(l));
        Row { fields: self.fields.of(bytes), headers: self.columns.headers(), line }
    }
}

/// Number of fields on a line split with a limit of `expected + 1` (count the rest only when there are more).
fn count_fields(bytes: &[u8], split: usize, expected: usize) -> usize {
    if split <= expected {
        split
    } else {
        let mut all = Fields::default();
        all.split(bytes, usize::MAX).map_or(split, |()| all.len())
    }
}

/// Index of the first field that is not UTF-8 (the whole line is checked at once first).
fn first_invalid_utf8_field(fields: &Fields, bytes: &[u8]) -> Option<usize> {
    if std::str::from_utf8(bytes).is_ok() {
        return None;
    }
    let row = fields.of(bytes);
    (0..fields.len()).find(|&c| row.text(c).is_err())
}

/// One record of a [`CsvTable`], with typed, located field access.
pub struct Row<'a> {
    fields: lines::Row<'a>,
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

    /// Trimmed text of a field ("" when absent; rows reach here only when valid UTF-8).
    pub fn text(&self, col: usize) -> &str {
        self.fields.text(col).unwrap_or("")
    }

    /// Optional number: empty, `nan` or `-` → None; otherwise it must parse.
    pub fn opt_f64(&self, col: usize) -> Result<Option<f64>, InputError> {
        if let Some(x) = parse_simple_f64(self.fields.get(col)) {
            return Ok(Some(x));
        }
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
