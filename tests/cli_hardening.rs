//! Hostile command lines (issue "Hardening"): every case exits ≠ 0 with a message naming the option or the
//! path, never panics or aborts, and a run that fails changes no file that existed before it (outputs are
//! all-or-nothing, and no temporary file is left behind).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn volscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_volscope"))
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(volscope::sample::SAMPLE_PATH)
}

/// A directory holding earlier outputs of a run: fit.json, grid.csv and res.csv with known contents.
struct Earlier {
    dir: tempfile::TempDir,
}

impl Earlier {
    fn new() -> Earlier {
        let dir = tempfile::tempdir().unwrap();
        for name in ["fit.json", "grid.csv", "res.csv"] {
            std::fs::write(dir.path().join(name), format!("earlier {name}")).unwrap();
        }
        Earlier { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `volscope fit SAMPLE --output fit.json --grid grid.csv --residuals res.csv` plus `extra`.
    fn fit(&self, extra: &[&str]) -> Output {
        volscope()
            .arg("fit")
            .arg(sample())
            .arg("--output")
            .arg(self.path("fit.json"))
            .arg("--grid")
            .arg(self.path("grid.csv"))
            .arg("--residuals")
            .arg(self.path("res.csv"))
            .args(extra)
            .output()
            .unwrap()
    }

    /// The earlier files are all as they were, and nothing else is in the directory.
    fn assert_untouched(&self) {
        for name in ["fit.json", "grid.csv", "res.csv"] {
            assert_eq!(std::fs::read_to_string(self.path(name)).unwrap(), format!("earlier {name}"), "{name}");
        }
        let mut names: Vec<String> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["fit.json", "grid.csv", "res.csv"], "no temporary file is left");
    }
}

/// Exit code 1 (an error, not a panic's 101 or a signal) and stderr containing every `needles`.
fn assert_error(run: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{needle:?} not in: {stderr}");
    }
    assert!(stderr.len() < 2_000, "a short message: {stderr}");
}

#[test]
fn absurd_grids_are_errors_before_anything_runs() {
    let cases: [(&[&str], &[&str]); 8] = [
        (&["--k-min=-1e308", "--k-max", "1e308", "--k-step", "1e307"], &["--k-step", "at most 10001"]),
        (&["--k-step", "1e-10"], &["--k-step 0.0000000001", "at most 10001"]),
        (&["--k-max", "1e18", "--k-step", "1"], &["--k-step 1", "at most 10001"]),
        (&["--k-step", "1e-9"], &["--k-step", "points per expiry"]),
        (&["--k-step", "0"], &["--k-step 0", "must be positive"]),
        (&["--k-step", "NaN"], &["--k-step NaN", "not a finite"]),
        (&["--k-min", "2", "--k-max", "1"], &["--k-max 1", "below the first k 2"]),
        (&["--deltas", "0,1,1.5,-0.2"], &["--deltas 0,1,1.5,-0.2", "strictly between 0 and 1"]),
    ];
    for (args, needles) in cases {
        let earlier = Earlier::new();
        assert_error(&earlier.fit(args), needles);
        earlier.assert_untouched();
    }
}

#[test]
fn a_failed_run_leaves_every_earlier_output_as_it_was() {
    let earlier = Earlier::new();
    let run = volscope()
        .arg("fit")
        .arg(sample())
        .arg("--output")
        .arg(earlier.path("fit.json"))
        .args(["--grid", "/nonexistent/g.csv"])
        .output()
        .unwrap();
    assert_error(&run, &["--grid /nonexistent/g.csv", "does not exist"]);
    earlier.assert_untouched();

    let run = volscope()
        .arg("fit")
        .arg(sample())
        .arg("--output")
        .arg(earlier.path("fit.json"))
        .arg("--residuals")
        .arg(earlier.dir.path())
        .output()
        .unwrap();
    assert_error(&run, &["--residuals", "is a directory"]);
    earlier.assert_untouched();

    let same = earlier.path("fit.json");
    let run = volscope().arg("fit").arg(sample()).arg("--output").arg(&same).arg("--grid").arg(&same).output().unwrap();
    assert_error(&run, &["--grid", "also given to --output"]);
    earlier.assert_untouched();

    let copy = earlier.path("sample.csv");
    std::fs::copy(sample(), &copy).unwrap();
    let run = volscope().arg("fit").arg(&copy).arg("--output").arg(&copy).output().unwrap();
    assert_error(&run, &["--output", "is the input file"]);
    assert_eq!(std::fs::read(&copy).unwrap(), std::fs::read(sample()).unwrap());
}

#[test]
fn an_invalid_configuration_is_an_error_naming_the_parameter_and_the_rule() {
    let earlier = Earlier::new();
    let bounds = earlier.path("bounds.json");
    let config = earlier.path("config.json");
    let write = |path: &Path, text: &str| std::fs::write(path, text).unwrap();
    let cases: Vec<(Vec<String>, Vec<&str>)> = vec![
        (vec!["--bounds".into(), bounds.display().to_string()], vec!["bounds of `b`", "lower 1 > upper 0.1"]),
        (vec!["--fix".into(), "a=NaN".into()], vec!["fixed `a`", "not finite"]),
        (vec!["--fix".into(), "rho=5".into()], vec!["fixed `rho` = 5", "outside its range [-1, 1]"]),
        (vec!["--fix".into(), "beta=0.5".into()], vec!["unknown parameter `beta`", "a, b, rho, m, sigma"]),
        (vec!["--config".into(), config.display().to_string()], vec!["max_iterations must be at least 1"]),
    ];
    write(&bounds, r#"{"b": [1.0, 0.1]}"#);
    write(&config, r#"{"max_iterations": 0}"#);
    for (args, needles) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = earlier.fit(&args);
        assert_error(&run, &needles);
        assert!(String::from_utf8_lossy(&run.stderr).contains("invalid configuration"));
        std::fs::remove_file(&bounds).ok();
        write(&bounds, r#"{"b": [1.0, 0.1]}"#);
        for name in ["fit.json", "grid.csv", "res.csv"] {
            assert_eq!(std::fs::read_to_string(earlier.path(name)).unwrap(), format!("earlier {name}"));
        }
    }
    // A SABR name in an SVI fit's bounds file is unknown too.
    write(&bounds, r#"{"nu": [0.1, 2]}"#);
    assert_error(&earlier.fit(&["--bounds", bounds.to_str().unwrap()]), &["unknown parameter `nu`"]);
}

#[test]
fn a_single_snapshot_file_is_seen_only_at_its_own_time() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("q.csv");
    let run =
        volscope().arg("quotes").arg(sample()).args(["--at", "2020-01-01T00:00:00Z", "-o"]).arg(&out).output().unwrap();
    assert_error(&run, &["holds one snapshot, at 2026-03-16T09:00:00Z", "cannot be seen at 2020-01-01T00:00:00Z"]);
    assert!(!out.exists());
    let run = volscope()
        .arg("fit")
        .arg(sample())
        .args(["--at", "2027-01-01T00:00:00Z", "--output"])
        .arg(dir.path().join("fit.json"))
        .output()
        .unwrap();
    assert_error(&run, &["holds one snapshot"]);
    // Its own time is fine.
    let run =
        volscope().arg("quotes").arg(sample()).args(["--at", "2026-03-16T09:00:00Z", "-o"]).arg(&out).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
}

#[test]
fn output_errors_name_the_path() {
    let run = volscope().arg("quotes").arg(sample()).args(["-o", "/nonexistent/q.csv"]).output().unwrap();
    assert_error(&run, &["/nonexistent/q.csv", "does not exist"]);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("prices.csv");
    std::fs::write(&input, "F,K,T,price,type\n100,100,1,8,call\n").unwrap();
    let run = volscope().arg("iv").arg("-i").arg(&input).arg("-o").arg(dir.path()).output().unwrap();
    assert_error(&run, &["--output", "is a directory"]);
    let run = volscope().args(["sample", "-o", "/nonexistent/dir/s.csv"]).output().unwrap();
    assert_error(&run, &["/nonexistent/dir/s.csv"]);
}

/// `volscope quotes FILE` on a file of `content`.
fn quotes_on(content: &[u8]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("input.csv");
    std::fs::write(&file, content).unwrap();
    volscope().arg("quotes").arg(&file).arg("-o").arg(dir.path().join("q.csv")).output().unwrap()
}

#[test]
fn binary_input_is_one_short_line() {
    let elf = std::fs::read(env!("CARGO_BIN_EXE_volscope")).unwrap();
    assert_error(&quotes_on(&elf[..1 << 20]), &["binary content", "NUL byte"]);
    assert_error(&quotes_on(&[0u8; 4096]), &["binary content"]);
    let mut nul_field = volscope::sample::SAMPLE_CSV.as_bytes()[..400].to_vec();
    nul_field.extend_from_slice(b"\0\0\0");
    assert_error(&quotes_on(&nul_field), &["binary content", "byte 401"]);
    // A gzip bomb of NUL bytes: refused from its first decompressed bytes.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &vec![0u8; 64 << 20]).unwrap();
    assert_error(&quotes_on(&gz.finish().unwrap()), &["binary content"]);
}

#[test]
fn a_fifty_megabyte_line_is_one_short_line() {
    let mut content = b"timestamp,instrument_name,strike\n".to_vec();
    content.extend(std::iter::repeat_n(b'7', 50 << 20));
    content.push(b'\n');
    let run = quotes_on(&content);
    assert_eq!(run.status.code(), Some(1));
    assert!(run.stderr.len() < 2_000, "{} bytes: {}", run.stderr.len(), String::from_utf8_lossy(&run.stderr[..500]));
    let mut header = vec![b'x'; 50 << 20];
    header.push(b'\n');
    assert_error(&quotes_on(&header), &["unrecognised header", "bytes in all"]);
}

#[test]
fn a_file_with_cr_line_ends_reads_like_lf() {
    let lf = quotes_on(volscope::sample::SAMPLE_CSV.as_bytes());
    let cr = quotes_on(volscope::sample::SAMPLE_CSV.replace('\n', "\r").as_bytes());
    assert!(cr.status.success(), "{}", String::from_utf8_lossy(&cr.stderr));
    let summary = |run: &Output| String::from_utf8_lossy(&run.stderr).lines().next().unwrap_or("").to_owned();
    assert_eq!(summary(&cr), summary(&lf), "the same rows read and loaded");
    assert!(summary(&cr).contains("1382 loaded") || summary(&cr).contains("loaded"), "{}", summary(&cr));
}

#[test]
fn an_hourly_file_without_deltas_or_index_says_so() {
    let header = "date,instrument_name,expiry_name,expiry_date,strike,type,volume,open_interest,rho,theta,vega,gamma,\
                  delta,bid_iv,ask_iv,mark_iv";
    let row = |strike: u32, kind: &str, c: char| {
        format!("2026-01-23T01:00:00.000000,BTC-13FEB26-{strike}-{c},13FEB26,2026-02-13,{strike}.0,{kind},1,1,0,0,0,0,,35.0,36.0,35.5")
    };
    let text = format!("{header}\n{}\n{}\n", row(100000, "call", 'C'), row(90000, "put", 'P'));
    let run = quotes_on(text.as_bytes());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("no index: no forward, so no implied vol"), "{stderr}");
    assert!(!stderr.contains("using the index"), "{stderr}");
}
