//! Reading exchange JSON responses: located syntax errors, and typed access to record fields that exchanges
//! send as numbers or as numeric strings.

use std::io::Read;

use serde_json::Value;

use super::csv_input::InputError;

/// Parses a whole JSON document; a syntax error names its line and column.
pub fn parse<R: Read>(input: R) -> Result<Value, InputError> {
    serde_json::from_reader(input).map_err(|e| InputError {
        line: e.line() as u64,
        column: Some(e.column()),
        column_name: None,
        message: format!("invalid JSON: {e}"),
    })
}

/// The array at `path` (e.g. `["result"]`, `["result", "list"]`); an empty path means the document itself.
pub fn array_at<'a>(doc: &'a Value, path: &[&str]) -> Result<&'a Vec<Value>, InputError> {
    let mut v = doc;
    for key in path {
        v = v
            .get(key)
            .ok_or_else(|| InputError::at_line(0, format!("no \"{key}\" field where the records should be")))?;
    }
    v.as_array().ok_or_else(|| InputError::at_line(0, format!("\"{}\" is not an array of records", path.join("."))))
}

/// One record (a JSON object) of a response, with located field access.
pub struct Record<'a> {
    value: &'a Value,
    /// 0-based index in its array.
    pub index: usize,
}

impl<'a> Record<'a> {
    /// Wraps the `index`-th record.
    pub fn new(value: &'a Value, index: usize) -> Self {
        Record { value, index }
    }

    /// An error about field `key` of this record (JSON carries no line numbers once parsed: the record is
    /// named by its position and instrument).
    pub fn error(&self, key: &str, message: impl std::fmt::Display) -> InputError {
        let name = self.text("instrument_name").or(self.text("instId")).or(self.text("symbol")).unwrap_or("?");
        InputError::at_line(0, format!("record {} ({name}), field \"{key}\": {message}", self.index + 1))
    }

    /// A string field (None when absent, null or not a string).
    pub fn text(&self, key: &str) -> Option<&'a str> {
        self.value.get(key).and_then(Value::as_str)
    }

    /// A number given as a JSON number or a numeric string; absent, null and "" are None.
    pub fn opt_f64(&self, key: &str) -> Result<Option<f64>, InputError> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => {
                s.trim().parse::<f64>().map(Some).map_err(|_| self.error(key, format!("'{s}' is not a number")))
            }
            Some(other) => Err(self.error(key, format!("{other} is not a number"))),
        }
    }

    /// A required number.
    pub fn f64(&self, key: &str) -> Result<f64, InputError> {
        self.opt_f64(key)?.ok_or_else(|| self.error(key, "missing, a number is required"))
    }

    /// A required string.
    pub fn req_text(&self, key: &str) -> Result<&'a str, InputError> {
        self.text(key).ok_or_else(|| self.error(key, "missing, a string is required"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_deeper_than_128_is_an_error_not_a_stack_overflow() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let err = parse(deep.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("recursion limit exceeded"), "{err}");
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(parse(ok.as_bytes()).is_ok());
    }
}
