//! File input and output: readers for quote and price files, exports, atomic writes.

mod atomic;
mod csv_input;
pub mod iv_csv;

pub use atomic::write_atomically;
pub use csv_input::{ColumnMap, InputError};
