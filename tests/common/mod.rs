//! Helpers shared by the integration tests: locating ../shared and reading its CSV files.
#![allow(dead_code)]

pub mod smiles;
pub mod tardis;

use std::path::PathBuf;

/// The `shared` directory beside the repository (`../shared`), or `VOLSCOPE_SHARED_DIR`.
///
/// Returns `None` (and says the test is skipped) when it is absent, unless `VOLSCOPE_REQUIRE_SHARED=1`, in
/// which case a missing directory fails the test: CI sets it so these tests always run there.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("VOLSCOPE_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("shared"));
    if dir.join("reference").is_dir() {
        return Some(dir);
    }
    let required = std::env::var("VOLSCOPE_REQUIRE_SHARED").is_ok_and(|v| v == "1");
    assert!(!required, "VOLSCOPE_REQUIRE_SHARED=1 but {} is missing", dir.display());
    eprintln!("SKIPPED: {} is absent (set VOLSCOPE_REQUIRE_SHARED=1 to make this a failure)", dir.display());
    None
}

/// The five real Deribit collector snapshots of ../shared/data (BTC and ETH in each), by file name.
pub const DERIBIT_SNAPSHOTS: [&str; 5] = [
    "deribit_btc_eth_20260102T162624Z.csv",
    "deribit_btc_eth_20260316T050739Z.csv",
    "deribit_btc_eth_20260316T095742Z.csv",
    "deribit_btc_eth_20260316T161206Z.csv",
    "deribit_btc_eth_20260316T214018Z.csv",
];

/// Path of a file under `shared/reference`, or `None` when the shared directory is absent.
pub fn reference_file(name: &str) -> Option<PathBuf> {
    shared_dir().map(|d| d.join("reference").join(name))
}

/// Reads every row of a CSV file into `T`.
pub fn read_csv<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> Vec<T> {
    let mut reader = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    reader.deserialize().map(|r| r.unwrap_or_else(|e| panic!("{}: {e}", path.display()))).collect()
}
