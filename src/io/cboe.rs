//! Loader placeholder: being written (see load.rs for the dispatch).

use std::io::Read;

use super::csv_input::InputError;
use super::load::RawChain;

/// Not supported yet: always an error saying so.
pub fn load<R: Read>(_input: R) -> Result<RawChain, InputError> {
    Err(InputError::at_line(0, "this format is not supported yet"))
}
