//! What the prediction tests share: the binary run as a script runs it,
//! ONNX Runtime found or the test skipped (failed under
//! MODELDECK_REQUIRE_SERVERS=1), and inputs the test makes itself.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The demo's plain disagreement: the stable 2.0.5 against 2.1.1.
pub const STABLE_VS_211: [&str; 6] = [
    "--model",
    "malaria_lstm@2.0.5",
    "--compare",
    "malaria_lstm@2.1.1",
    "--sample",
    "batch_32",
];

/// Every demo model file, oldest first.
pub fn demo_models() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join("models/malaria_lstm"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "onnx"))
        .collect();
    files.sort();
    files
}

/// MODELDECK_REQUIRE_SERVERS=1 (CI): a missing outside program fails.
pub fn require_servers() -> bool {
    std::env::var_os("MODELDECK_REQUIRE_SERVERS").is_some_and(|v| v == "1")
}

/// True when ONNX Runtime is there; false (the test returns) when it is
/// not and servers are not required.
pub fn runtime_or_skip() -> bool {
    let env = |name: &str| std::env::var(name).ok();
    match modeldeck::backends::onnx::runtime(&env) {
        Ok(_) => true,
        Err(e) => {
            assert!(!require_servers(), "ONNX Runtime is required: {e}");
            eprintln!("skipping: {e}");
            false
        }
    }
}

pub fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_modeldeck"));
    command
        .current_dir(ROOT)
        .args(args)
        .env("MODELDECK_CONFIG_DIR", "/nonexistent/modeldeck-test-config")
        .env("MODELDECK_STATE_DIR", std::env::temp_dir());
    command
}

pub fn modeldeck(args: &[&str]) -> Output {
    command(args).output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Seeded rows of the demo models' shape (8 steps of 4 features each),
/// with values as float32 prints them so every reader parses the same.
pub fn rows(n: usize, seed: u64) -> Vec<[f32; 32]> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..n)
        .map(|_| std::array::from_fn(|_| (rng.f32() * 6.0 - 3.0) * if rng.bool() { 1.0 } else { 0.3 }))
        .collect()
}

pub fn write_csv(path: &Path, rows: &[[f32; 32]]) {
    let mut text = String::new();
    for row in rows {
        let cells: Vec<String> = row.iter().map(f32::to_string).collect();
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

/// Python with onnxruntime: the .venv that scripts/onnxruntime makes.
pub fn python() -> PathBuf {
    let venv = Path::new(ROOT).join(".venv/bin/python");
    if venv.exists() { venv } else { PathBuf::from("python3") }
}

/// Runs `script` in the referee Python; its stdout parsed as JSON.
pub fn python_json(script: &str) -> serde_json::Value {
    let out = Command::new(python())
        .current_dir(ROOT)
        .arg("-c")
        .arg(script)
        .output()
        .unwrap();
    assert!(out.status.success(), "python: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `modeldeck predict -o json`'s rows: per row number, one model's outputs.
pub fn json_outputs(doc: &serde_json::Value, label: &str, output: &str) -> Vec<(u64, Vec<f64>)> {
    doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let values = r["outputs"][label][output].as_array().unwrap();
            (
                r["row"].as_u64().unwrap(),
                values.iter().map(|v| v.as_f64().unwrap()).collect(),
            )
        })
        .collect()
}
