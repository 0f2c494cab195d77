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

/// `--model ssvi` fits the sample (itself SSVI plus noise) as one surface: every slice a raw SVI smile of model
/// `ssvi`, no butterfly or calendar arbitrage, a `surface` object with ρ, η, γ and θ per expiry (θ
/// non-decreasing), and grid.csv from the same smiles.
#[test]
fn ssvi_fits_the_sample_as_one_surface() {
    let dir = tempfile::tempdir().unwrap();
    let (out, grid) = (dir.path().join("ssvi.json"), dir.path().join("grid.csv"));
    let run = volscope()
        .arg("fit")
        .arg(sample())
        .args(["--model", "ssvi", "-o"])
        .arg(&out)
        .arg("--grid")
        .arg(&grid)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(doc["model"], "ssvi");
    assert_eq!(doc["calendar"]["ok"], true, "{}", doc["calendar"]);
    let slices = doc["slices"].as_array().unwrap();
    for s in slices {
        assert_eq!(s["model"], "ssvi");
        assert_ne!(s["status"], "failed", "{s}");
        assert!(s["rmse_vol_pts"].as_f64().unwrap() < 1.0, "{s}");
        assert_eq!(s["butterfly_ok"], true, "{s}");
        assert!(s["params"]["sigma"].as_f64().unwrap() > 0.0, "raw SVI parameters: {s}");
    }
    let surface = &doc["surface"];
    assert_eq!(surface["ok"], true, "{surface}");
    let (rho, eta, gamma) = (
        surface["global"]["rho"].as_f64().unwrap(),
        surface["global"]["eta"].as_f64().unwrap(),
        surface["global"]["gamma"].as_f64().unwrap(),
    );
    assert!(eta * (1.0 + rho.abs()) <= 2.0 + 1e-12 && gamma > 0.0 && gamma <= 0.5, "{surface}");
    let thetas: Vec<f64> =
        surface["expiries"].as_array().unwrap().iter().map(|e| e["theta"].as_f64().unwrap()).collect();
    assert_eq!(thetas.len(), slices.len());
    assert!(thetas.windows(2).all(|w| w[1] >= w[0]), "{thetas:?}");
    let rows = std::fs::read_to_string(&grid).unwrap().lines().count();
    assert!(rows > slices.len(), "grid.csv has the SSVI smiles");
}

/// `--model essvi`: one surface, a `surface` section with its certificate and constant-maturity read-outs, and
/// `--tenors` rows in grid.csv; tenors that cannot be read (or a per-expiry model with them) are errors before
/// anything is written.
#[test]
fn essvi_writes_the_surface_section_and_tenor_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (fit, grid) = (dir.path().join("fit.json"), dir.path().join("grid.csv"));
    let run = volscope()
        .arg("fit")
        .arg(sample())
        .args(["--model", "essvi", "--tenors", "7d,1m,1y", "--output"])
        .arg(&fit)
        .arg("--grid")
        .arg(&grid)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&fit).unwrap()).unwrap();
    let surface = &doc["surface"];
    assert_eq!(surface["model"], "essvi");
    assert_eq!(surface["butterfly_ok"], true, "{surface}");
    assert_eq!(surface["calendar_ok"], true, "{surface}");
    assert_eq!(surface["guarantee"], "construction");
    assert_eq!(surface["scan_points"], 401);
    assert!(surface["fit_time_us"].as_f64().unwrap() > 0.0);
    let tenors = surface["tenors"].as_array().unwrap();
    assert_eq!(tenors.iter().map(|t| t["tenor_days"].as_f64().unwrap()).collect::<Vec<_>>(), [7.0, 30.0, 365.0]);
    for t in tenors {
        let atm = t["atm_vol_pct"].as_f64().unwrap();
        assert!(atm > 10.0 && atm < 200.0, "{t}");
        assert!(t["rr25_vol_pts"].is_number() && t["bf10_vol_pts"].is_number(), "{t}");
    }
    for s in doc["slices"].as_array().unwrap() {
        assert_ne!(s["status"], "failed", "{s}");
        assert_eq!(s["butterfly_ok"], true, "{s}");
    }
    assert_eq!(doc["calendar"]["ok"], true);
    let grid_text = std::fs::read_to_string(&grid).unwrap();
    for label in ["7d,", "1m,", "1y,"] {
        assert_eq!(grid_text.lines().filter(|l| l.starts_with(label)).count(), 41, "{label} rows");
    }
    let one_year = grid_text.lines().find(|l| l.starts_with("1y,")).unwrap();
    assert_eq!(one_year.split(',').nth(1), Some("1.0"), "T of the 1y rows: {one_year}");

    for (model, tenors, message) in [
        ("essvi", "7x", "the unit must be d, w, m or y"),
        ("essvi", "0d", "more than 0"),
        ("essvi", "x7d", "is not a number"),
        ("svi", "7d", "needs a surface model"),
    ] {
        let out = dir.path().join("bad.json");
        let run = volscope()
            .arg("fit")
            .arg(sample())
            .args(["--model", model, "--tenors", tenors, "-o"])
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{tenors}: {stderr}");
        assert!(stderr.contains(message), "{tenors}: {stderr}");
        assert!(!out.exists());
    }
}
