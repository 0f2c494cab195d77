//! File input and output: loaders for exchange and user files (format detected from content), the load
//! report, batch IV CSV, exports and atomic writes.

mod atomic;
pub mod binance_eapi;
pub mod binance_marks;
pub mod bybit;
pub mod cboe;
pub mod chain_csv;
mod csv_input;
pub mod deribit_book;
pub mod deribit_csv;
pub mod deribit_hourly;
mod detect;
pub mod generic_csv;
mod gz;
pub mod iv_csv;
pub mod json;
pub(crate) mod lines;
mod load;
pub mod okx;
mod progress;
mod raw_chain;
mod report;
pub mod table;
pub mod tardis;

pub use atomic::{set_aside, write_atomically, StagedFiles};
pub use csv_input::{ColumnMap, InputError};
pub use detect::detect;
pub use load::{
    list_snapshot_times_path, list_snapshot_times_path_with_progress, load_bytes, load_path, load_path_with_progress,
    load_reader, open_detected, open_detected_with_progress, open_snapshot, snapshot_times, LoadError,
};
pub use raw_chain::{check_time, LoadOptions, RawChain, SourceFormat, SANE_YEARS};
pub use tardis::tardis_snapshot_times;
/// `text` for a one-line message: control characters escaped, at most `max_chars` characters, and a note of
/// the full length when cut (a 50 MB line or a binary file never floods a terminal).
pub fn excerpt(text: &str, max_chars: usize) -> String {
    let mut escaped = String::with_capacity(text.len().min(4 * max_chars));
    for c in text.chars().take(max_chars + 1) {
        if c.is_control() {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    if escaped.chars().count() <= max_chars {
        return escaped;
    }
    let cut: String = escaped.chars().take(max_chars).collect();
    format!("{cut}… ({} bytes in all)", text.len())
}

pub use progress::{LoadProgress, ProgressReader, CANCELLED_MESSAGE};
pub use report::LoadReport;
