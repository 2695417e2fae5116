//! ONNX Runtime through `ort` (load-dynamic) on the demo models: the
//! probabilities modeldeck computes equal onnxruntime's own in Python, the
//! referee, for the same 32 held-out rows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use modeldeck::backends::onnx::{Model, runtime};

fn require_servers() -> bool {
    std::env::var_os("MODELDECK_REQUIRE_SERVERS").is_some_and(|v| v == "1")
}

#[test]
fn probabilities_match_onnxruntime_in_python() {
    let env = |name: &str| std::env::var(name).ok();
    let library = match runtime(&env) {
        Ok(library) => library,
        Err(e) => {
            assert!(!require_servers(), "ONNX Runtime is required: {e}");
            eprintln!("skipping: {e}");
            return;
        }
    };
    let sample: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("config/samples/batch_32.json").unwrap()).unwrap();
    let rows: Vec<f32> = sample["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .flat_map(|step| step.as_array().unwrap().iter())
        })
        .map(|v| v.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(rows.len(), 32 * 8 * 4);
    // The Python that ships the same library is the referee.
    let capi = library.parent().unwrap();
    let site = capi.parent().unwrap().parent().unwrap();
    for version in ["2.0.5", "2.1.1"] {
        let path = format!("models/malaria_lstm/{version}.onnx");
        let model = Model::load(std::path::Path::new(&path), 1).unwrap();
        assert_eq!(model.row_len(), 32);
        let ours = model.run(&rows).unwrap();
        assert_eq!(ours.len(), 32);
        let script = format!(
            "import sys, json; sys.path.insert(0, {site:?}); import numpy as np, onnxruntime as ort\n\
             x = np.array(json.load(open('config/samples/batch_32.json'))['inputs'], dtype=np.float32)\n\
             s = ort.InferenceSession({path:?}, providers=['CPUExecutionProvider'])\n\
             print(json.dumps(s.run(None, {{'input': x}})[0].ravel().tolist()))",
            site = site.display().to_string()
        );
        let python = if std::path::Path::new(".venv/bin/python").exists() {
            ".venv/bin/python"
        } else {
            "python3"
        };
        let out = Command::new(python).args(["-c", &script]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let theirs: Vec<f64> = serde_json::from_slice(&out.stdout).unwrap();
        // One answer per row of the batch, from both: a short answer fails.
        assert_eq!((ours.len(), theirs.len()), (32, 32), "{version}: answers per row");
        for (a, b) in ours.iter().zip(&theirs) {
            assert!((f64::from(*a) - b).abs() < 1e-6, "{version}: {a} vs {b}");
            assert!((0.0..=1.0).contains(a));
        }
    }
    // A wrong row length is refused, not run.
    let model = Model::load(std::path::Path::new("models/malaria_lstm/2.0.5.onnx"), 1).unwrap();
    assert_eq!(
        model.run(&[0.0; 31]).unwrap_err().to_string(),
        "expected rows of 32 values, found 31 values"
    );
    assert!(matches!(
        model.run(&[0.0; 31]),
        Err(modeldeck::backends::onnx::OnnxError::Rows { per_row: 32, found: 31 })
    ));
}

#[test]
fn the_demo_traffic_is_answered_by_the_models() {
    use modeldeck::backends::scrape;
    use modeldeck::sim::traffic::Traffic;
    use modeldeck::sim::traffic::inference::Inference;

    let env = |name: &str| std::env::var(name).ok();
    let inference = match Inference::load(std::path::Path::new("models/malaria_lstm"), &env) {
        Ok(inference) => inference,
        Err(e) => {
            assert!(!require_servers(), "ONNX Runtime is required: {e}");
            return;
        }
    };
    let cluster = modeldeck::sim::settled_demo().unwrap();
    let traffic = Traffic::new(1000.0, 11).with_inference(inference);
    assert!(
        traffic.answered_by().starts_with("ONNX Runtime (/"),
        "{}",
        traffic.answered_by()
    );
    for _ in 0..30 {
        traffic.step(&cluster.lock(), 0.1);
    }
    // Each version's accuracy over its last 500 answers is its held-out
    // accuracy from models/registry.toml, within sampling noise.
    let samples = scrape::parse(&traffic.render(None)).unwrap();
    let accuracy = |version: &str| {
        samples
            .iter()
            .find(|s| s.name == "model_accuracy" && s.labels.iter().any(|(k, v)| k == "version" && v == version))
            .map(|s| s.value)
            .unwrap()
    };
    for (version, held_out) in [("2.0.5", 0.896), ("2.1.0", 0.909), ("2.1.1", 0.729)] {
        let measured = accuracy(version);
        assert!(
            (measured - held_out).abs() < 0.06,
            "{version}: {measured} vs {held_out}"
        );
    }
    assert!(accuracy("2.1.1") < 0.85);
}
