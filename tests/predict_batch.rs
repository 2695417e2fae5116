//! Batch (offline) predictions: a large file streams through with flat
//! memory, and SIGTERM mid-file leaves a complete output of the rows done.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

mod predict_common;

use std::path::Path;
use std::time::{Duration, Instant};

use predict_common::*;

/// Runs modeldeck on `input` into `out`; (exit code, peak RSS in KiB).
/// The peak is the kernel's own count for that one process, read through
/// Python's `resource.getrusage(RUSAGE_CHILDREN)` after it is reaped
/// (the crate forbids the unsafe code a direct wait4 would take).
fn run_file(input: &Path, out: &Path) -> (Option<i32>, i64) {
    let binary = env!("CARGO_BIN_EXE_modeldeck");
    let args = [
        "predict",
        "--model",
        "malaria_lstm@2.0.5",
        "--compare",
        "malaria_lstm@2.1.1",
        "--input",
        &input.display().to_string(),
        "--out",
        &out.display().to_string(),
    ]
    .map(|a| format!("{a:?}"))
    .join(", ");
    let doc = python_json(&format!(
        "import json, resource, subprocess\n\
         p = subprocess.run([{binary:?}, {args}], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, \
         env={{'MODELDECK_CONFIG_DIR': '/nonexistent/modeldeck-test-config', 'PATH': '/usr/bin:/bin'}})\n\
         print(json.dumps([p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))"
    ));
    (doc[0].as_i64().map(|c| c as i32), doc[1].as_i64().unwrap())
}

#[test]
fn two_hundred_thousand_rows_stream_with_flat_memory() {
    if !runtime_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (small, large) = (dir.path().join("small.csv"), dir.path().join("large.csv"));
    write_csv(&small, &rows(2_000, 5));
    write_csv(&large, &rows(200_000, 5));
    let input_bytes = std::fs::metadata(&large).unwrap().len() as i64;
    let (code, small_rss) = run_file(&small, &dir.path().join("small_out.csv"));
    assert_eq!(code, Some(0));
    let out = dir.path().join("large_out.csv");
    let (code, large_rss) = run_file(&large, &out);
    assert_eq!(code, Some(0));
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 200_001, "a header and every row");
    assert!(text.ends_with('\n'));
    assert!(text.lines().last().unwrap().starts_with("200000,"));
    // Reading the input whole would add its size (~48 MB of text, 25 MB
    // as floats); streaming adds next to nothing. The bound is far above
    // streaming's cost and far below what holding the input would cost.
    let grown_kib = large_rss - small_rss;
    eprintln!("peak RSS: {small_rss} KiB at 2,000 rows, {large_rss} KiB at 200,000 ({input_bytes} bytes in)");
    assert!(
        grown_kib < 16 * 1024,
        "RSS grew by {grown_kib} KiB from 2,000 to 200,000 rows; expected flat"
    );
}

/// Waits until `path` exists with at least `bytes`, or panics.
fn wait_for_bytes(path: &Path, bytes: u64) {
    let started = Instant::now();
    while std::fs::metadata(path).map_or(0, |m| m.len()) < bytes {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{} never grew",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_mid_file_leaves_a_complete_output_of_the_rows_done() {
    if !runtime_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    write_csv(&input, &rows(200_000, 9));
    for format in ["jsonl", "csv"] {
        let out = dir.path().join(format!("out.{format}"));
        let mut partial = out.as_os_str().to_owned();
        partial.push(".partial");
        // Batches of one row make the run long enough to stop mid-file.
        let child = command(&[
            "predict",
            "--model",
            "malaria_lstm@2.0.5",
            "--input",
            &input.display().to_string(),
            "--batch-size",
            "1",
            "--out",
            &out.display().to_string(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
        wait_for_bytes(Path::new(&partial), 200_000);
        let kill = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let done = child.wait_with_output().unwrap();
        let said = String::from_utf8_lossy(&done.stderr).into_owned();
        assert_eq!(done.status.code(), Some(1), "{said}");
        assert!(!Path::new(&partial).exists(), "the partial file became the output");
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.ends_with('\n'), "no torn last line");
        let rows: Vec<u64> = match format {
            "jsonl" => text
                .lines()
                .map(|l| {
                    serde_json::from_str::<serde_json::Value>(l).unwrap()["row"]
                        .as_u64()
                        .unwrap()
                })
                .collect(),
            _ => {
                let mut reader = csv::Reader::from_reader(text.as_bytes());
                reader
                    .records()
                    .map(|r| {
                        let r = r.unwrap();
                        assert_eq!(r.len(), 2);
                        r[1].parse::<f64>().unwrap();
                        r[0].parse().unwrap()
                    })
                    .collect()
            }
        };
        let n = rows.len() as u64;
        assert!(n > 0 && n < 200_000, "stopped mid-file, at {n}");
        assert_eq!(rows, (1..=n).collect::<Vec<_>>(), "every row done, in order, once");
        let want = format!(
            "stopped by SIGTERM after {n} rows; {} is complete (rows 1-{n})",
            out.display()
        );
        assert!(said.contains(&want), "{want:?} in {said}");
        assert!(
            said.contains(&format!("{n} rows of {} (stopped)", input.display())),
            "{said}"
        );
        assert!(
            !said.contains("eta"),
            "no progress bar when stderr is not a terminal: {said}"
        );
    }
}
