//! Batch implied vols for a CSV of option prices (`volscope iv`).
//!
//! Input columns (header names matched case-insensitively; aliases in brackets):
//! `F` [forward], `K` [strike], `T` [t_years] in years, `price`, `type` [option, option_type, cp, call_put]
//! holding call/put or c/p; optional `D` [discount] (default 1) and `currency` (`coin` or `usd`, default usd).
//! A coin price is converted to USD as price × F. Output: every input column, then `iv`, `status`, `delta`,
//! `vega` (vega in the price's currency per 1.00 of vol) and, when the input has a `currency` column,
//! `delta_pa` (premium-adjusted delta Δ − V/F, the hedge of a coin-margined option).

use std::collections::BTreeMap;
use std::io::{Read, Write};

use super::csv_input::{ColumnMap, InputError};
use crate::pricing::{greeks, implied_vol, ImpliedVol, OptionKind, OptionSpec};

/// Status written for a row whose fields could not be read (the warning names line and column).
pub const INVALID_INPUT_STATUS: &str = "invalid_input";

/// How many per-field warnings are kept in a summary (the count of all of them is always exact).
const MAX_WARNINGS_KEPT: usize = 200;

/// What a batch run did.
#[derive(Debug, Default, Clone)]
pub struct IvBatchSummary {
    /// Data rows read and written.
    pub rows: usize,
    /// Row count per status name.
    pub by_status: BTreeMap<String, usize>,
    /// Field-level problems (first 200), each naming line and column.
    pub warnings: Vec<InputError>,
    /// Total number of field-level problems.
    pub warning_count: usize,
}

impl IvBatchSummary {
    /// One-line summary such as `11232 rows: ok 8951, below_intrinsic 31`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self.by_status.iter().map(|(s, n)| format!("{s} {n}")).collect();
        format!("{} rows: {}", self.rows, parts.join(", "))
    }

    fn warn(&mut self, warning: InputError) {
        self.warning_count += 1;
        if self.warnings.len() < MAX_WARNINGS_KEPT {
            self.warnings.push(warning);
        }
    }
}

/// Premium currency of a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Currency {
    Usd,
    Coin,
}

/// Column positions of the recognised inputs.
struct Layout {
    forward: usize,
    strike: usize,
    t_years: usize,
    price: usize,
    kind: usize,
    discount: Option<usize>,
    currency: Option<usize>,
}

impl Layout {
    fn from_headers(columns: &ColumnMap) -> Result<Self, InputError> {
        columns.check_delimiter()?;
        Ok(Layout {
            forward: columns.require("F", &["F", "forward"])?,
            strike: columns.require("K", &["K", "strike"])?,
            t_years: columns.require("T", &["T", "t_years"])?,
            price: columns.require("price", &["price"])?,
            kind: columns.require("type", &["type", "option", "option_type", "cp", "call_put"])?,
            discount: columns.find(&["D", "discount"]),
            currency: columns.find(&["currency"]),
        })
    }
}

/// One parsed row.
struct Row {
    spec: OptionSpec,
    price: f64,
    currency: Currency,
}

/// Reads prices from `input`, writes `input` columns plus iv, status, delta, vega (and delta_pa) to `output`.
///
/// Structural problems (empty file, wrong delimiter, missing column, ragged row, bad UTF-8) stop the run with
/// an error naming line and column. A row with an unreadable field is written with status `invalid_input`
/// and a warning; every other row gets the implied-vol status of its price.
pub fn iv_batch<R: Read, W: Write>(input: R, output: W) -> Result<IvBatchSummary, InputError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(input);
    let headers = reader.headers().map_err(|e| InputError::from_csv(&e, None))?.clone();
    if headers.is_empty() || (headers.len() == 1 && headers.get(0).is_some_and(|h| h.trim().is_empty())) {
        return Err(InputError::at_line(1, "the file is empty: expected a header line"));
    }
    let columns = ColumnMap::new(headers.clone());
    let layout = Layout::from_headers(&columns)?;
    let mut writer = csv::Writer::from_writer(output);
    let mut out_header = headers.clone();
    out_header.extend(["iv", "status", "delta", "vega"]);
    if layout.currency.is_some() {
        out_header.push_field("delta_pa");
    }
    writer.write_record(&out_header).map_err(|e| write_error(&e))?;

    let mut summary = IvBatchSummary::default();
    let mut record = csv::StringRecord::new();
    let mut out = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(InputError::from_csv(&e, Some(&headers))),
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        out.clone_from(&record);
        let status = match parse_row(&record, &layout, &headers, line, &mut summary) {
            Some(row) => append_results(&mut out, &row, layout.currency.is_some()),
            None => {
                append_empty(&mut out, INVALID_INPUT_STATUS, layout.currency.is_some());
                INVALID_INPUT_STATUS
            }
        };
        *summary.by_status.entry(status.to_owned()).or_default() += 1;
        summary.rows += 1;
        writer.write_record(&out).map_err(|e| write_error(&e))?;
    }
    if summary.rows == 0 {
        return Err(InputError::at_line(2, "the file has a header but no data rows"));
    }
    writer.flush().map_err(|e| InputError::at_line(0, format!("write error: {e}")))?;
    Ok(summary)
}

fn write_error(e: &csv::Error) -> InputError {
    InputError::at_line(0, format!("write error: {e}"))
}

/// Parses one row; on failure records a warning per bad field and returns `None`.
fn parse_row(
    record: &csv::StringRecord,
    layout: &Layout,
    headers: &csv::StringRecord,
    line: u64,
    summary: &mut IvBatchSummary,
) -> Option<Row> {
    let mut ok = true;
    let mut problem = |col: usize, message: String| {
        summary.warn(InputError {
            line,
            column: Some(col + 1),
            column_name: headers.get(col).map(str::to_owned),
            message,
        });
        ok = false;
    };
    let mut number = |col: usize, default: Option<f64>| -> f64 {
        let text = record.get(col).unwrap_or("").trim();
        if text.is_empty() {
            if let Some(d) = default {
                return d;
            }
            problem(col, "empty field, a number is required".to_owned());
            return f64::NAN;
        }
        text.parse::<f64>().unwrap_or_else(|_| {
            problem(col, format!("'{text}' is not a number"));
            f64::NAN
        })
    };
    let forward = number(layout.forward, None);
    let strike = number(layout.strike, None);
    let t_years = number(layout.t_years, None);
    let price = number(layout.price, None);
    let discount = layout.discount.map(|c| number(c, Some(1.0))).unwrap_or(1.0);
    let kind_text = record.get(layout.kind).unwrap_or("");
    let kind = OptionKind::parse(kind_text);
    if kind.is_none() {
        problem(layout.kind, format!("'{kind_text}' is not an option type (call/put or c/p)"));
    }
    let currency = match layout.currency.map(|c| (c, record.get(c).unwrap_or("").trim())) {
        None => Currency::Usd,
        Some((_, t)) if t.is_empty() || ["usd", "usdc", "usdt"].iter().any(|u| t.eq_ignore_ascii_case(u)) => {
            Currency::Usd
        }
        Some((_, t)) if t.eq_ignore_ascii_case("coin") => Currency::Coin,
        Some((c, t)) => {
            problem(c, format!("'{t}' is not a currency (coin or usd)"));
            Currency::Usd
        }
    };
    let kind = kind?;
    ok.then_some(Row { spec: OptionSpec { kind, forward, strike, t_years, discount }, price, currency })
}

/// Appends iv, status, delta, vega (and delta_pa) for a parsed row; returns the status name.
fn append_results(out: &mut csv::StringRecord, row: &Row, with_pa: bool) -> &'static str {
    let price_usd = match row.currency {
        Currency::Usd => row.price,
        Currency::Coin => row.price * row.spec.forward,
    };
    let ImpliedVol { vol, status } = implied_vol(&row.spec, price_usd);
    let Some(vol) = vol else {
        append_empty(out, status.as_str(), with_pa);
        return status.as_str();
    };
    let g = greeks(&row.spec, vol);
    let vega = match row.currency {
        Currency::Usd => g.vega,
        Currency::Coin => g.vega / row.spec.forward,
    };
    out.push_field(&fmt_f64(vol));
    out.push_field(status.as_str());
    out.push_field(&fmt_f64(g.delta));
    out.push_field(&fmt_f64(vega));
    if with_pa {
        out.push_field(&fmt_f64(g.delta_premium_adjusted));
    }
    status.as_str()
}

fn append_empty(out: &mut csv::StringRecord, status: &str, with_pa: bool) {
    out.push_field("");
    out.push_field(status);
    out.push_field("");
    out.push_field("");
    if with_pa {
        out.push_field("");
    }
}

/// Shortest text that reads back as the same double (`1e-300`, `0.8`); empty for NaN.
pub fn fmt_f64(x: f64) -> String {
    if x.is_finite() {
        ryu::Buffer::new().format_finite(x).to_owned()
    } else if x.is_nan() {
        String::new()
    } else if x > 0.0 {
        "inf".to_owned()
    } else {
        "-inf".to_owned()
    }
}
