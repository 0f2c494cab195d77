//! `volscope fit` end to end on the bundled sample: fit.json, grid.csv, res.csv, and its errors.

use std::process::Command;

fn volscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_volscope"))
}

fn sample() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(volscope::sample::SAMPLE_PATH)
}

#[test]
fn fits_every_expiry_and_writes_the_three_exports() {
    let dir = tempfile::tempdir().unwrap();
    let (fit, grid, res) = (dir.path().join("fit.json"), dir.path().join("grid.csv"), dir.path().join("res.csv"));
    let run = volscope()
        .arg("fit")
        .arg(sample())
        .args(["--model", "svi", "--output"])
        .arg(&fit)
        .arg("--grid")
        .arg(&grid)
        .arg("--residuals")
        .arg(&res)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&fit).unwrap()).unwrap();
    assert_eq!(doc["schema_version"], 1);
    let slices = doc["slices"].as_array().unwrap();
    assert_eq!(slices.len(), 10);
    for s in slices {
        assert_ne!(s["status"], "failed", "{s}");
        // The sample is SSVI with 0.3 vol pt noise and half-spreads ≥ 0.8 vol pt: SVI fits it inside the spread.
        assert!(s["rmse_vol_pts"].as_f64().unwrap() < 1.0, "{s}");
        assert!(s["params"]["b"].as_f64().unwrap() >= 0.0);
        assert_eq!(s["butterfly_ok"], true, "{s}");
    }
    let grid_text = std::fs::read_to_string(&grid).unwrap();
    assert_eq!(grid_text.lines().next().unwrap(), "expiry,t_years,forward,k,strike,delta,iv,total_variance");
    assert_eq!(grid_text.lines().count(), 1 + 10 * 41, "41 k points from -1 to 1 per expiry");
    let res_text = std::fs::read_to_string(&res).unwrap();
    assert_eq!(res_text.lines().count(), 1 + 1382, "one row per quote");
    assert!(res_text.contains(",false,status no_bid"), "excluded quotes say why");
}

#[test]
fn bad_bounds_and_bad_flags_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bounds = dir.path().join("b.json");
    std::fs::write(&bounds, r#"{"b": [1.0, 0.5]}"#).unwrap();
    let out = dir.path().join("fit.json");
    let run = volscope().arg("fit").arg(sample()).arg("--bounds").arg(&bounds).arg("-o").arg(&out).output().unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "a bad bound is an error of the run, before any fit: {stderr}");
    assert!(stderr.contains("bounds of `b`: lower 1 > upper 0.5"), "{stderr}");
    assert!(!out.exists(), "nothing written");
    std::fs::write(&bounds, "{\"b\": [0, 1],\n \"rho\": oops}").unwrap();
    let run = volscope().arg("fit").arg(sample()).arg("--bounds").arg(&bounds).arg("-o").arg(&out).output().unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success() && stderr.contains("line 2, column"), "{stderr}");
    let run = volscope().arg("fit").arg(sample()).args(["--model", "heston", "-o"]).arg(&out).output().unwrap();
    assert!(String::from_utf8_lossy(&run.stderr).contains("expected svi, svi-jw, sabr or sabr-free-beta"));
    let run = volscope().arg("fit").arg(sample()).args(["--fix", "rho"]).arg("-o").arg(&out).output().unwrap();
    assert!(String::from_utf8_lossy(&run.stderr).contains("--fix rho: expected NAME=VALUE"));
}

#[test]
fn every_model_fits_every_sample_expiry() {
    let dir = tempfile::tempdir().unwrap();
    for model in ["svi-jw", "sabr", "sabr-free-beta"] {
        let out = dir.path().join(format!("{model}.json"));
        let run = volscope().arg("fit").arg(sample()).args(["--model", model, "-o"]).arg(&out).output().unwrap();
        assert!(run.status.success(), "{model}: {}", String::from_utf8_lossy(&run.stderr));
        let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(doc["model"], model);
        for s in doc["slices"].as_array().unwrap() {
            assert_ne!(s["status"], "failed", "{model}: {s}");
            assert!(s["rmse_vol_pts"].as_f64().unwrap() < 1.5, "{model}: {s}");
        }
    }
}
