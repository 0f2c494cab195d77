#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| volscope::fuzz_targets::fit_grid(data));
