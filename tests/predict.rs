//! `modeldeck predict` and `modeldeck inspect` as a script runs them, on
//! the real ONNX Runtime, with Python's onnxruntime as the referee.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

mod predict_common;

use std::path::Path;

use predict_common::*;

/// Python loads the test's CSV, writes the same rows as .npy, .json and
/// .jsonl, and answers them with each model.
fn referee(dir: &Path, models: &[std::path::PathBuf]) -> serde_json::Value {
    let models: Vec<String> = models.iter().map(|m| m.display().to_string()).collect();
    python_json(&format!(
        "import json, numpy as np, onnxruntime as ort\n\
         d = {dir:?}\n\
         x = np.loadtxt(d + '/rows.csv', delimiter=',', dtype=np.float32).reshape(-1, 8, 4)\n\
         np.save(d + '/rows.npy', x)\n\
         json.dump({{'input': x.tolist()}}, open(d + '/rows.json', 'w'))\n\
         with open(d + '/rows.jsonl', 'w') as f:\n\
         \x20   for row in x.tolist(): f.write(json.dumps({{'input': row}}) + '\\n')\n\
         out = {{}}\n\
         for m in {models:?}:\n\
         \x20   s = ort.InferenceSession(m, providers=['CPUExecutionProvider'])\n\
         \x20   out[m] = s.run(None, {{'input': x}})[0].ravel().tolist()\n\
         print(json.dumps(out))",
        dir = dir.display().to_string(),
    ))
}

fn predict_json(args: &[&str]) -> serde_json::Value {
    let out = modeldeck(&[&["predict", "-o", "json"], args].concat());
    assert!(out.status.success(), "predict {args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn outputs_equal_python_onnxruntime_for_every_model_and_batch_size() {
    if !runtime_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let n = 1030; // more than one batch of 1024, and not a multiple of 7
    write_csv(&dir.path().join("rows.csv"), &rows(n, 7));
    let models = demo_models();
    assert_eq!(models.len(), 4, "{models:?}");
    let expected = referee(dir.path(), &models);
    let csv = dir.path().join("rows.csv").display().to_string();
    for model in &models {
        let label = model.display().to_string();
        let theirs: Vec<f64> = expected[&label]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(theirs.len(), n);
        for batch in ["1", "7", "1024"] {
            let doc = predict_json(&["--model", &label, "--input", &csv, "--batch-size", batch]);
            let ours = json_outputs(&doc, &label, "output");
            assert_eq!(ours.len(), n, "{label} batch {batch}");
            for (i, (row, values)) in ours.iter().enumerate() {
                assert_eq!(*row, i as u64 + 1, "rows carry their input row number");
                let diff = (values[0] - theirs[i]).abs();
                assert!(
                    diff <= 1e-5,
                    "{label} batch {batch} row {row}: {} vs {}",
                    values[0],
                    theirs[i]
                );
            }
            let calls = doc["report"]["latency"][0]["calls"].as_u64().unwrap();
            let per: usize = batch.parse().unwrap();
            assert_eq!(calls as usize, n.div_ceil(per), "{label} batch {batch}");
        }
    }
    // Every input format reads the same rows to the same answers.
    let label = models[2].display().to_string();
    let from_csv = json_outputs(&predict_json(&["--model", &label, "--input", &csv]), &label, "output");
    for format in ["npy", "json", "jsonl"] {
        let input = dir.path().join(format!("rows.{format}")).display().to_string();
        let ours = json_outputs(&predict_json(&["--model", &label, "--input", &input]), &label, "output");
        assert_eq!(ours, from_csv, "{format}");
    }
    // A CSV header of the input's name and positions is optional.
    let header: Vec<String> = (0..32).map(|i| format!("input_{i}")).collect();
    let with_header = dir.path().join("header.csv");
    let body = std::fs::read_to_string(&csv).unwrap();
    std::fs::write(&with_header, format!("{}\n{body}", header.join(","))).unwrap();
    let input = with_header.display().to_string();
    let ours = json_outputs(&predict_json(&["--model", &label, "--input", &input]), &label, "output");
    assert_eq!(ours, from_csv, "with a header");
}

#[test]
fn json_and_csv_outputs_carry_the_same_digits() {
    if !runtime_or_skip() {
        return;
    }
    let args = ["--model", "malaria_lstm@2.0.5", "--random", "5", "--seed", "3"];
    let doc = predict_json(&args);
    let out = modeldeck(&[&["predict", "-o", "csv"], &args[..]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("row,malaria_lstm@2.0.5:output"));
    for (row, values) in json_outputs(&doc, "malaria_lstm@2.0.5", "output") {
        let line = lines.next().unwrap();
        assert_eq!(line, format!("{row},{}", doc_number(&doc, row)), "row {row}");
        assert_eq!(line.split(',').nth(1).unwrap().parse::<f64>().unwrap(), values[0]);
    }
}

/// A row's value as the JSON text has it.
fn doc_number(doc: &serde_json::Value, row: u64) -> String {
    doc["rows"][row as usize - 1]["outputs"]["malaria_lstm@2.0.5"]["output"][0].to_string()
}

#[test]
fn comparing_versions_reports_agreement_that_the_rows_bear_out() {
    if !runtime_or_skip() {
        return;
    }
    let mut rates = Vec::new();
    for candidate in ["malaria_lstm@2.1.0", "malaria_lstm@2.1.1"] {
        let doc = predict_json(&[
            "--model",
            "malaria_lstm@2.0.5",
            "--compare",
            candidate,
            "--sample",
            "batch_32",
        ]);
        let a = json_outputs(&doc, "malaria_lstm@2.0.5", "output");
        let b = json_outputs(&doc, candidate, "output");
        assert_eq!(a.len(), 32);
        // Recomputed from the rows printed: agreement, max, the worst rows.
        let diffs: Vec<(u64, f64)> = a.iter().zip(&b).map(|(x, y)| (x.0, (x.1[0] - y.1[0]).abs())).collect();
        let agreeing = a
            .iter()
            .zip(&b)
            .filter(|(x, y)| (x.1[0] >= 0.5) == (y.1[0] >= 0.5))
            .count();
        let report = &doc["report"]["agreement"];
        assert_eq!(report["rows"], 32);
        assert_eq!(report["threshold"], 0.5);
        assert_eq!(report["agreeing"].as_u64().unwrap() as usize, agreeing, "{candidate}");
        let max = diffs.iter().map(|d| d.1).fold(0.0, f64::max);
        assert!((report["max_abs_diff"].as_f64().unwrap() - max).abs() < 1e-6);
        let mut worst = diffs.clone();
        worst.sort_by(|x, y| y.1.total_cmp(&x.1));
        let reported: Vec<u64> = report["most_different"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["row"].as_u64().unwrap())
            .collect();
        assert_eq!(reported, worst.iter().take(5).map(|d| d.0).collect::<Vec<_>>());
        for row in doc["rows"].as_array().unwrap() {
            let i = row["row"].as_u64().unwrap() as usize - 1;
            assert!((row["abs_diff"].as_f64().unwrap() - diffs[i].1).abs() < 1e-6);
        }
        rates.push((agreeing, max));
    }
    // The demo's story: 2.1.0 agrees with the stable version closely;
    // 2.1.1's disagreement is plain.
    assert!(rates[0].0 >= 30, "2.1.0 agrees on {}/32", rates[0].0);
    assert!(rates[1].0 < rates[0].0 && rates[1].1 > 0.5, "{rates:?}");

    // The words an operator reads say the same.
    let out = modeldeck(&[
        "predict",
        "--model",
        "malaria_lstm@2.0.5",
        "--compare",
        "malaria_lstm@2.1.0",
        "--sample",
        "batch_32",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let pct = rates[0].0 as f64 / 32.0 * 100.0;
    let line = format!("agreement at 0.5: {}/32 rows ({pct:.1}%)", rates[0].0);
    assert!(text.contains(&line), "{line}\n{text}");
    assert!(text.contains("32 rows of sample batch_32"), "{text}");
    assert!(
        text.lines().next().unwrap().starts_with("   ROW  malaria_lstm@2.0.5"),
        "{text}"
    );
    // A higher threshold is a different question, answered differently.
    let strict = predict_json(&[&STABLE_VS_211[..], &["--threshold", "0.9"]].concat());
    assert_eq!(strict["report"]["agreement"]["threshold"], 0.9);
}

#[test]
fn inspect_shows_the_signature_and_flags_a_version_the_file_denies() {
    if !runtime_or_skip() {
        return;
    }
    let out = modeldeck(&["inspect", "malaria_lstm@champion"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for want in [
        "MODEL     malaria_lstm@2.0.5",
        "  input            float32  [batch_size, 8, 4]",
        "  output           float32  [batch_size, 1]",
        "IR        8",
        "OPSETS    ai.onnx 14",
        "  version = 2.0.5",
    ] {
        assert!(text.contains(want), "{want:?} in\n{text}");
    }
    assert!(!text.contains("WARNING"), "{text}");

    // A registry whose 2.1.0 points at 2.1.1's file: the file says otherwise.
    let dir = tempfile::tempdir().unwrap();
    let registry = std::fs::read_to_string(Path::new(ROOT).join("models/registry.toml")).unwrap();
    let registry = registry.replace("malaria_lstm/2.1.0.onnx", "malaria_lstm/2.1.1.onnx");
    assert!(registry.contains("2.1.1.onnx"));
    let models = dir.path().join("models");
    std::fs::create_dir(&models).unwrap();
    std::fs::write(models.join("registry.toml"), registry).unwrap();
    std::os::unix::fs::symlink(Path::new(ROOT).join("models/malaria_lstm"), models.join("malaria_lstm")).unwrap();
    let reg = models.join("registry.toml").display().to_string();
    let out = modeldeck(&["--registry", &reg, "inspect", "malaria_lstm@2.1.0", "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["registry_version"], "2.1.0");
    assert_eq!(doc["metadata"]["version"], "2.1.1");
    let mismatch = doc["version_mismatch"].as_str().unwrap();
    assert!(mismatch.contains("2.1.0") && mismatch.contains("2.1.1"), "{mismatch}");
    assert_eq!(doc["inputs"][0]["shape"], serde_json::json!(["batch_size", 8, 4]));
}

/// Exit 1, nothing on stdout, and stderr saying `want`.
fn refused(args: &[&str], want: &str) {
    let out = modeldeck(args);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
    assert!(out.stdout.is_empty(), "{args:?} printed {}", stdout(&out));
    assert!(
        stderr(&out).contains(want),
        "{args:?}: {want:?} not in {}",
        stderr(&out)
    );
}

#[test]
fn bad_models_and_inputs_are_named_before_anything_runs() {
    if !runtime_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    };
    let model = std::fs::read(Path::new(ROOT).join("models/malaria_lstm/2.0.5.onnx")).unwrap();
    assert_eq!(&model[..2], [0x08, 0x08], "the file starts with its IR version, 8");
    let text = file("text.onnx", b"hello, I am not a model\n");
    let cut = file("cut.onnx", &model[..model.len() / 2]);
    let future = file("future.onnx", &[&[0x08, 0x63][..], &model[2..]].concat());
    let empty = file("empty.onnx", b"");
    for (model, want) in [
        (
            text.as_str(),
            "text.onnx: expected an ONNX model (a protobuf ModelProto), found",
        ),
        (
            cut.as_str(),
            "cut.onnx: expected a whole ONNX model, found one cut short",
        ),
        (
            empty.as_str(),
            "empty.onnx: expected an ONNX model, found an empty file",
        ),
        (future.as_str(), "future.onnx: Unsupported model IR version: 99"),
        (
            "malaria_lstm@9.9.9",
            "expected a version or alias of malaria_lstm: 2.1.1 (candidate)",
        ),
        (
            "nothing-here.onnx",
            "expected an ONNX file or NAME@VERSION or NAME@ALIAS",
        ),
    ] {
        refused(&["predict", "--model", model, "--random", "2"], want);
        refused(&["inspect", model], want);
    }
    // An opset the runtime does not know: the opset entry {domain "", version 14}.
    let entry = [0x42, 0x04, 0x0a, 0x00, 0x10, 0x0e];
    let at = model
        .windows(entry.len())
        .position(|w| w == entry)
        .expect("the opset entry");
    let mut bumped = model.clone();
    bumped[at + 5] = 0x63;
    let opset = file("opset.onnx", &bumped);
    refused(
        &["predict", "--model", &opset, "--random", "2"],
        "Opset 99 is under development",
    );
    // A runtime library that is not ONNX Runtime.
    let not_ort = command(&["predict", "--model", "malaria_lstm@2.0.5", "--random", "2"])
        .env("ORT_DYLIB_PATH", Path::new(ROOT).join("models/malaria_lstm/2.0.5.onnx"))
        .output()
        .unwrap();
    assert_eq!(not_ort.status.code(), Some(1));
    let said = stderr(&not_ort);
    assert!(said.contains("cannot load") && said.contains("2.0.5.onnx"), "{said}");
    assert!(
        said.contains("python3 -m pip install onnxruntime==1.31.1"),
        "says how to get it: {said}"
    );
    let future_out = modeldeck(&["inspect", &future]);
    assert!(
        !stderr(&future_out).contains(".cc:"),
        "no C++ source place: {}",
        stderr(&future_out)
    );

    let row: Vec<String> = (0..32).map(|i| format!("0.{i}")).collect();
    let good = row.join(",");
    let mut zz = row.clone();
    zz[4] = "zz".into();
    let mut nan = row.clone();
    nan[3] = "nan".into();
    let cases = [
        (
            "zz.csv",
            format!("{good}\n{}\n", zz.join(",")),
            "zz.csv: row 2 (line 2), column 5: expected a number, found \"zz\"",
        ),
        (
            "nan.csv",
            format!("{good}\n{good}\n{}\n", nan.join(",")),
            "row 3 (line 3), column 4: expected a finite number, found NaN",
        ),
        (
            "short.csv",
            format!("{good}\n{}\n", row[..31].join(",")),
            "row 2 (line 2): expected 32 columns, found 31",
        ),
        (
            "empty.csv",
            String::new(),
            "empty.csv: expected rows of input, found an empty file",
        ),
        (
            "rank.json",
            "{\"input\": [[[1, 2, 3]]]}".into(),
            "rank.json: row 1, input \"input\": expected a list of 8 items, found a list of 1 item",
        ),
        ("syntax.json", "{\"input\": [".into(), "syntax.json: "),
        ("name.json", "{\"x\": [[[1, 2, 3, 4]]]}".into(), "name.json: "),
        ("type.txt", good.clone(), "type.txt: expected"),
    ];
    for (name, body, want) in cases {
        let path = file(name, body.as_bytes());
        refused(&["predict", "--model", "malaria_lstm@2.0.5", "--input", &path], want);
    }
    // .npy of the wrong element type and of the wrong shape, made by numpy.
    let d = dir.path().display().to_string();
    python_json(&format!(
        "import numpy as np; d = {d:?}\n\
         np.save(d + '/int.npy', np.zeros((3, 8, 4), dtype=np.int64))\n\
         np.save(d + '/shape.npy', np.zeros((3, 8, 3), dtype=np.float32))\n\
         print('null')"
    ));
    refused(
        &[
            "predict",
            "--model",
            "malaria_lstm@2.0.5",
            "--input",
            &format!("{d}/int.npy"),
        ],
        "int.npy: expected",
    );
    refused(
        &[
            "predict",
            "--model",
            "malaria_lstm@2.0.5",
            "--input",
            &format!("{d}/shape.npy"),
        ],
        "shape.npy: expected",
    );
    // 2 GB files (sparse: no disk used) of no lines: a .json is refused by
    // its size before it is read; .csv and .jsonl stream a line at a time,
    // and a line is at most 64 MiB, so neither is ever held whole.
    for (name, want) in [
        (
            "huge.json",
            "huge.json: expected a .json file of at most 256 MiB (stream larger inputs as .jsonl, .csv or .npy), found 2147483648 bytes",
        ),
        (
            "huge.csv",
            "huge.csv: a line longer than 64 MiB from byte 0; expected one row per line",
        ),
        (
            "huge.jsonl",
            "huge.jsonl: line 1: a line longer than 64 MiB from byte 0",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::File::create(&path).unwrap().set_len(2 << 30).unwrap();
        refused(
            &[
                "predict",
                "--model",
                "malaria_lstm@2.0.5",
                "--input",
                &path.display().to_string(),
            ],
            want,
        );
    }
    refused(
        &["predict", "--model", "malaria_lstm@2.0.5", "--sample", "nope"],
        "sample \"nope\": expected one of: batch_32, single_negative, single_positive",
    );
}

#[test]
fn a_bad_row_deep_in_a_file_leaves_no_output_behind() {
    if !runtime_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    write_csv(&input, &rows(3000, 1));
    let mut text = std::fs::read_to_string(&input).unwrap();
    text.push_str("1,2,zz\n");
    std::fs::write(&input, text).unwrap();
    let out_file = dir.path().join("out.csv");
    let (i, o) = (input.display().to_string(), out_file.display().to_string());
    refused(
        &[
            "predict",
            "--model",
            "malaria_lstm@2.0.5",
            "--input",
            &i,
            "--batch-size",
            "100",
            "--out",
            &o,
        ],
        "row 3001 (line 3001)",
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left, ["in.csv"], "no out.csv, no out.csv.partial");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["predict", "--model", "malaria_lstm@2.0.5"][..],
        &["predict", "--model", "m", "--random", "2", "--sample", "batch_32"],
        &["predict", "--model", "m", "--random", "2", "--batch-size", "0"],
        &["predict", "--model", "m", "--random", "2", "--out", "x.txt"],
        &["predict", "--model", "m", "--random", "2", "-o", "yaml"],
        &["inspect"],
    ] {
        let out = modeldeck(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(!Path::new(ROOT).join("x.txt.partial").exists());
    }
}

/// A library that calls itself ONNX Runtime 1.10.0: what an old runtime
/// left on a bastion host looks like to the loader.
const OLD_RUNTIME_C: &str = r#"
typedef struct { const void* (*GetApi)(unsigned); const char* (*GetVersionString)(void); } OrtApiBase;
static const void* get_api(unsigned v) { (void)v; return 0; }
static const char* version(void) { return "1.10.0"; }
static const OrtApiBase base = { get_api, version };
const OrtApiBase* OrtGetApiBase(void) { return &base; }
"#;

#[test]
fn a_runtime_of_the_wrong_version_is_named_with_the_version_wanted() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("old.c");
    let library = dir.path().join("libonnxruntime.so.1.10.0");
    std::fs::write(&source, OLD_RUNTIME_C).unwrap();
    let built = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&library)
        .arg(&source)
        .status();
    if !built.is_ok_and(|s| s.success()) {
        assert!(
            !require_servers(),
            "a C compiler (cc) is required to make the old runtime"
        );
        eprintln!("skipping: no C compiler to make the old runtime");
        return;
    }
    let out = command(&["predict", "--model", "malaria_lstm@2.0.5", "--random", "2"])
        .env("ORT_DYLIB_PATH", &library)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("but got '1.10.0'") && said.contains("expected version >= '1."),
        "{said}"
    );
    assert!(said.contains("python3 -m pip install onnxruntime==1.31.1"), "{said}");
    assert!(!said.contains("panicked"), "{said}");
}

#[test]
fn info_says_where_onnx_runtime_would_come_from() {
    let out = command(&["info"])
        .env("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let line = stdout(&out)
        .lines()
        .find(|l| l.starts_with("onnx runtime"))
        .map(str::to_owned);
    assert_eq!(
        line.as_deref(),
        Some(
            "onnx runtime    ORT_DYLIB_PATH=/nonexistent/libonnxruntime.so is not a file; set ORT_DYLIB_PATH to \
             libonnxruntime.so, or install the Python package (python3 -m pip install onnxruntime==1.31.1)"
        )
    );
}
