//! `volscope quotes` end to end: the tidy chain CSV, --list-times, --underlying, --at, errors.

mod common;

use std::process::Command;

use volscope::io::chain_csv::CHAIN_COLUMNS;

fn volscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_volscope"))
}

#[test]
fn writes_the_sample_chain_as_tidy_csv() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("chain.csv");
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(volscope::sample::SAMPLE_PATH);
    let run = volscope().arg("quotes").arg(&sample).arg("--output").arg(&out).output().unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("1382 rows read, 1382 loaded, 0 rejected"), "{stderr}");
    let mut reader = csv::Reader::from_path(&out).unwrap();
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), CHAIN_COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1382);
    let col = |name: &str| CHAIN_COLUMNS.iter().position(|c| *c == name).unwrap();
    let first = &rows[0];
    assert_eq!(&first[col("snapshot_time")], "2026-03-16T09:00:00Z");
    assert_eq!(&first[col("expiry")], "2026-03-17T08:00:00Z");
    assert_eq!(&first[col("forward_source")], "marks");
    assert_eq!(&first[col("premium_currency")], "coin");
    for r in &rows {
        let status = &r[col("status")];
        assert!(!status.is_empty());
        if status == "ok" {
            let (bid, ask, mid): (f64, f64, f64) = (
                r[col("bid_iv")].parse().unwrap(),
                r[col("ask_iv")].parse().unwrap(),
                r[col("mid_iv")].parse().unwrap(),
            );
            assert!(bid <= mid && mid <= ask, "{r:?}");
            let (coin, usd, f): (f64, f64, f64) = (
                r[col("mid_coin")].parse().unwrap(),
                r[col("mid_usd")].parse().unwrap(),
                r[col("forward_used")].parse().unwrap(),
            );
            assert!((coin * f - usd).abs() <= 1e-9 * usd);
        }
    }
}

#[test]
fn lists_times_and_picks_one() {
    let Some(dir) = common::shared_dir() else { return };
    let file = dir.join("data/deribit_btc_iv_hourly_20260123.csv");
    let run = volscope().arg("quotes").arg(&file).arg("--list-times").output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success());
    assert!(stdout.starts_with("underlyings: BTC\n2026-01-23T01:00:00Z\n"), "{stdout}");
    assert_eq!(stdout.lines().count(), 1 + 37);
    let run = volscope().arg("quotes").arg(&file).args(["--at", "2026-01-23T05:30:00Z"]).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.lines().nth(1).unwrap().starts_with("2026-01-23T05:00:00Z,BTC,"),
        "{}",
        stdout.lines().nth(1).unwrap()
    );
}

#[test]
fn picks_the_underlying_and_reports_errors() {
    let Some(dir) = common::shared_dir() else { return };
    let file = dir.join("data/deribit_btc_eth_20260316T161206Z.csv");
    let run = volscope().arg("quotes").arg(&file).args(["--underlying", "eth"]).output().unwrap();
    assert!(run.status.success());
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.lines().skip(1).all(|l| l.contains(",ETH,ETH-")), "all rows ETH");
    let run = volscope().arg("quotes").arg(&file).args(["--underlying", "DOGE"]).output().unwrap();
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("no quotes for underlying DOGE; the file has: BTC, ETH"));
    let run = volscope().arg("quotes").arg(&file).args(["--at", "yesterday"]).output().unwrap();
    assert!(String::from_utf8_lossy(&run.stderr).contains("--at yesterday: not an ISO 8601 time"));
}

#[test]
fn lists_a_tardis_files_times_by_hour_and_builds_at_a_time() {
    let header = "exchange,symbol,timestamp,local_timestamp,type,strike_price,expiration,open_interest,last_price,\
                  bid_price,bid_amount,bid_iv,ask_price,ask_amount,ask_iv,mark_price,mark_iv,underlying_index,\
                  underlying_price,delta,gamma,vega,theta,rho";
    // The documented sample row, then a later update of the same symbol an hour on.
    let row1 = "deribit,BTC-9JUN20-9875-P,1591574399413000,1591574400196008,put,9875,1591689600000000,0.1,0.0295,\
                0.0205,15.0,55.91,0.0235,15.0,68.94,0.02210436,62.89,SYN.BTC-9JUN20,9756.36,-0.61752,0.00103,2.24964,\
                -53.05655,-0.22796";
    let row2 = row1
        .replace("1591574399413000,1591574400196008", "1591578000000000,1591578000100000")
        .replace(",0.0205,", ",0.0210,");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tardis.csv");
    std::fs::write(&file, format!("{header}\n{row1}\n{row2}\n")).unwrap();
    let run = volscope().arg("quotes").arg(&file).arg("--list-times").output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(stdout.starts_with("first 2020-06-07T23:59:59.413Z  last 2020-06-08T01:00:00Z  rows 2\n"), "{stdout}");
    assert!(
        stdout.contains("2020-06-07T23:00:00Z  1 rows") && stdout.contains("2020-06-08T01:00:00Z  1 rows"),
        "{stdout}"
    );
    let run = volscope().arg("quotes").arg(&file).args(["--at", "2020-06-08T00:30:00Z"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let line = stdout.lines().nth(1).unwrap();
    assert!(line.starts_with("2020-06-08T00:30:00Z,BTC,BTC-9JUN20-9875-P,2020-06-09T08:00:00Z,"), "{line}");
    assert!(line.contains(",0.0205,0.0235,"), "the update at or before 00:30 is the first one: {line}");
}

#[test]
fn every_file_in_shared_data_goes_through_volscope_quotes() {
    let Some(dir) = common::shared_dir() else { return };
    let mut files: Vec<_> = std::fs::read_dir(dir.join("data"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 9, "the nine data files of ../shared/data");
    for file in &files {
        let run = volscope().arg("quotes").arg(file).output().unwrap();
        let (stdout, stderr) = (String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
        assert!(run.status.success(), "{}: {stderr}", file.display());
        assert!(stderr.contains("rows read"), "{}: no load report in {stderr}", file.display());
        assert!(stdout.lines().count() > 50, "{}: only {} lines", file.display(), stdout.lines().count());
        let first = stdout.lines().next().unwrap();
        assert!(first.starts_with("snapshot_time,underlying,instrument,expiry,t_years,forward"), "{first}");
    }
}
