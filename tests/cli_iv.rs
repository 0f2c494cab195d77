//! `volscope iv`: the batch implied-vol command, on the reference file and on malformed inputs.

mod common;

use std::path::Path;
use std::process::Command;

use volscope::io::iv_csv::{iv_batch, INVALID_INPUT_STATUS};

fn volscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_volscope"))
}

/// Runs `iv_batch` on text; returns (output CSV, summary) or the error text.
fn batch(input: &str) -> Result<(String, volscope::io::iv_csv::IvBatchSummary), String> {
    let mut out = Vec::new();
    iv_batch(input.as_bytes(), &mut out).map(|s| (String::from_utf8(out).unwrap(), s)).map_err(|e| e.to_string())
}

#[test]
fn reference_file_gets_a_vol_or_a_status_on_every_row() {
    let Some(input) = common::reference_file("black76_iv.csv") else { return };
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("ivs.csv");
    let run = volscope().args(["iv", "--input"]).arg(&input).arg("--output").arg(&output).output().unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "volscope iv failed: {stderr}");
    assert!(stderr.contains("11232 rows"), "summary missing: {stderr}");

    let mut reader = csv::Reader::from_path(&output).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    let (iv, status, well_posed, sigma, delta, vega) =
        (col("iv"), col("status"), col("iv_well_posed"), col("sigma"), col("delta"), col("vega"));
    assert_eq!(headers.len(), 20 + 4, "input columns plus iv, status, delta, vega");
    let mut n = 0;
    for rec in reader.records() {
        let rec = rec.unwrap();
        n += 1;
        let st = &rec[status];
        assert!(!st.is_empty(), "row {n} has no status");
        let has_vol = !rec[iv].is_empty();
        assert_eq!(has_vol, st == "ok" || st == "ill_conditioned", "row {n}: iv '{}' with status {st}", &rec[iv]);
        assert_eq!(has_vol, !rec[delta].is_empty() && !rec[vega].is_empty());
        if &rec[well_posed] == "true" {
            let (v, s): (f64, f64) = (rec[iv].parse().unwrap(), rec[sigma].parse().unwrap());
            assert!((v - s).abs() / s < 1e-6, "row {n}: {v} vs {s}");
        }
    }
    assert_eq!(n, 11_232);
}

#[test]
fn coin_currency_rows_convert_with_the_forward_and_add_premium_adjusted_delta() {
    use volscope::pricing::{price_coin, OptionKind, OptionSpec};
    let spec = OptionSpec::undiscounted(OptionKind::Put, 65_000.0, 55_000.0, 30.0 / 365.0);
    let pc = price_coin(&spec, 0.65);
    let input = format!(
        "F,K,T,price,type,currency\n65000,55000,{},{pc},put,coin\n65000,55000,0.08,0.01,put,eur\n",
        spec.t_years
    );
    let (out, summary) = batch(&input).unwrap();
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    assert_eq!(reader.headers().unwrap().iter().last(), Some("delta_pa"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let iv: f64 = rows[0][6].parse().unwrap();
    assert!((iv - 0.65).abs() < 1e-12, "{iv}");
    assert_eq!(&rows[0][7], "ok");
    assert_eq!(&rows[1][7], INVALID_INPUT_STATUS);
    assert_eq!(summary.warnings.len(), 1);
    assert_eq!(summary.warnings[0].to_string(), "line 3, column 6 (currency): 'eur' is not a currency (coin or usd)");
}

#[test]
fn bad_rows_get_a_status_and_the_run_goes_on() {
    let input = "F,K,T,price,type\n\
                 100,110,0.5,abc,call\n\
                 100,110,0.5,5,straddle\n\
                 100,110,0.5,0,call\n\
                 100,90,0.5,5,call\n\
                 100,110,0,5,call\n\
                 100,110,0.5,5,call\n\
                 100,110,0.5,,call\n";
    let (out, summary) = batch(input).unwrap();
    let statuses: Vec<String> =
        csv::Reader::from_reader(out.as_bytes()).records().map(|r| r.unwrap()[6].to_owned()).collect();
    assert_eq!(
        statuses,
        [
            INVALID_INPUT_STATUS,
            INVALID_INPUT_STATUS,
            "zero_or_negative_price",
            "below_intrinsic",
            "expired",
            "ok",
            INVALID_INPUT_STATUS
        ]
    );
    let warnings: Vec<String> = summary.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "line 2, column 4 (price): 'abc' is not a number",
            "line 3, column 5 (type): 'straddle' is not an option type (call/put or c/p)",
            "line 8, column 4 (price): empty field, a number is required",
        ]
    );
}

#[test]
fn malformed_files_give_errors_naming_line_and_column() {
    let cases: &[(&str, &str, &str)] = &[
        ("empty file", "", "line 1"),
        ("header only", "F,K,T,price,type\n", "line 2: the file has a header but no data rows"),
        ("missing column", "F,K,T,type\n100,100,1,call\n", "line 1: missing column price"),
        ("semicolons", "F;K;T;price;type\n100;100;1;5;call\n", "line 1: the header is one column separated by ';'"),
        ("tabs", "F\tK\tT\tprice\ttype\n", "separated by tab"),
        (
            "truncated row",
            "F,K,T,price,type\n100,100,1,5,call\n100,100,1\n",
            "line 3, column 4 (price): found 3 fields",
        ),
        (
            "extra field",
            "F,K,T,price,type\n100,100,1,5,call,9\n",
            "line 2, column 6: found 6 fields but the header has 5",
        ),
    ];
    for (what, input, expected) in cases {
        let err = batch(input).expect_err(what);
        assert!(err.starts_with(expected) || err.contains(expected), "{what}: got '{err}', expected '{expected}'");
    }
    let bad_utf8 = b"F,K,T,price,type\n100,100,1,5,c\xffall\n";
    let mut out = Vec::new();
    let err = iv_batch(&bad_utf8[..], &mut out).unwrap_err().to_string();
    assert_eq!(err, "line 2, column 5 (type): field is not valid UTF-8 text");
}

#[test]
fn a_failed_run_leaves_no_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad.csv");
    std::fs::write(&input, "F;K;T;price;type\n").unwrap();
    let output = dir.path().join("out.csv");
    let run = volscope().arg("iv").arg("--input").arg(&input).arg("--output").arg(&output).output().unwrap();
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("line 1"), "{stderr}");
    assert!(!output.exists(), "a failed run must not leave an output file");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "temporary file left behind: {leftovers:?}");
    assert!(Path::new(&input).exists());
}
