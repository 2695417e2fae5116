#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use super::*;
use crate::domain::signature::{Dim, TensorSpec};
use crate::text::Clean;

/// The demo LSTM's signature: input [batch_size, 2, 3] here, to keep rows short.
fn signature() -> Signature {
    Signature {
        inputs: vec![TensorSpec {
            name: Clean::new("input"),
            element: "float32".into(),
            dims: vec![Dim::Named(Clean::new("batch_size")), Dim::Fixed(2), Dim::Fixed(3)],
        }],
        ..Signature::default()
    }
}

fn two_inputs() -> Signature {
    let mut sig = signature();
    sig.inputs.push(TensorSpec {
        name: Clean::new("mask"),
        element: "float32".into(),
        dims: vec![Dim::Any, Dim::Fixed(2)],
    });
    sig
}

fn file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn read_all(path: &Path, sig: &Signature, batch: usize) -> Result<Vec<crate::domain::prediction::Batch>, InputError> {
    let mut rows = open(&InputSource::File(path.to_owned()), sig, Path::new("."))?;
    let mut out = Vec::new();
    while let Some(b) = rows.next_batch(batch)? {
        out.push(b);
    }
    Ok(out)
}

fn error(path: &Path, sig: &Signature) -> String {
    read_all(path, sig, 10).unwrap_err().to_string()
}

const ROW_A: [f32; 6] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];

#[test]
fn json_takes_named_rows_lists_of_rows_flat_rows_and_samples() {
    let dir = tempfile::tempdir().unwrap();
    let forms = [
        r#"{"input": [[[1,2,3],[4,5,6]], [[0,0,0],[0,0,0]]]}"#,
        r#"[{"input": [[1,2,3],[4,5,6]]}, {"input": [0,0,0,0,0,0]}]"#,
        r#"[[[1,2,3],[4,5,6]], [0,0,0,0,0,0]]"#,
        r#"{"description": "d", "input_name": "input", "inputs": [[[1,2,3],[4,5,6]], [[0,0,0],[0,0,0]]], "labels": [1, 0]}"#,
    ];
    for (i, form) in forms.iter().enumerate() {
        let path = file(&dir, &format!("f{i}.json"), form.as_bytes());
        let batches = read_all(&path, &signature(), 1).unwrap();
        assert_eq!(batches.len(), 2, "{form}");
        assert_eq!(batches[0].inputs[0], ROW_A, "{form}");
        assert_eq!(batches[1].first_row, 1);
        assert_eq!(batches[1].inputs[0], [0.0; 6]);
    }
    let lines = file(&dir, "rows.jsonl", b"[1,2,3,4,5,6]\n\n{\"input\": [[0,0,0],[0,0,0]]}\n");
    let batches = read_all(&lines, &signature(), 10).unwrap();
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].rows, 2);
}

#[test]
fn json_misfits_name_the_row_the_place_the_expected_and_the_found() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            r#"{"input": [[[1,2,3],[4,5,6]], [[1,2,3],[4,"x",6]]]}"#,
            r#"row 2, input "input"[1][1]: expected a number, found "x""#,
        ),
        (
            r#"{"input": [[[1,2,3]]]}"#,
            r#"row 1, input "input": expected a list of 2 items, found a list of 1 item"#,
        ),
        (
            r#"{"input": [[[1,2,3],[4,5]]]}"#,
            r#"row 1, input "input"[1]: expected a list of 3 items, found a list of 2 items"#,
        ),
        (
            r#"{"inptu": []}"#,
            r#"expected keys that name inputs (input), found "inptu""#,
        ),
        (r#"{"input": []}"#, "expected rows of input, found none"),
        (
            r#"{"input": [[[1,2,3],[4,5,6e39]]]}"#,
            "expected a finite number, found 6e39, beyond float32",
        ),
        (
            r#"{"input": [[[1,2,3],[4,5,NaN]]]}"#,
            "line 1, column 26: expected valid JSON, found a syntax error: expected value",
        ),
        (
            "42",
            "expected an object of input name → rows, or a list of rows, found 42",
        ),
    ];
    for (i, (text, want)) in cases.iter().enumerate() {
        let path = file(&dir, &format!("bad{i}.json"), text.as_bytes());
        let got = error(&path, &signature());
        assert!(got.starts_with(&format!("{}: ", path.display())), "{got}");
        assert!(got.contains(want), "{text}\n  got: {got}\n want: {want}");
    }
    let path = file(&dir, "two.json", br#"{"input": [[1,2,3,4,5,6]]}"#);
    assert!(error(&path, &two_inputs()).contains(r#"expected a key for every input (input, mask), found no "mask""#));
}

#[test]
fn csv_rows_stream_with_or_without_a_header() {
    let dir = tempfile::tempdir().unwrap();
    let plain = file(&dir, "plain.csv", b"1,2,3,4,5,6\n0,0,0,0,0,0\n");
    let header = file(
        &dir,
        "header.csv",
        b"input_0,input_1,input_2,input_3,input_4,input_5\n1,2,3,4,5,6\n0,0,0,0,0,0\n",
    );
    for path in [plain, header] {
        let batches = read_all(&path, &signature(), 1).unwrap();
        assert_eq!(batches.len(), 2);
        assert_eq!(batches[0].inputs[0], ROW_A);
    }
    // Two inputs: the header says which columns feed which.
    let both = file(
        &dir,
        "both.csv",
        b"mask_a,input0,input1,input2,mask_b,input3,input4,input5\n9,1,2,3,8,4,5,6\n",
    );
    let batches = read_all(&both, &two_inputs(), 10).unwrap();
    assert_eq!(batches[0].inputs[0], ROW_A);
    assert_eq!(batches[0].inputs[1], [9.0, 8.0]);
}

#[test]
fn csv_misfits_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 6] = [
        (
            "string.csv",
            b"1,2,3,4,5,6\n1,2,3,4,zz,6\n",
            r#"row 2 (line 2), column 5: expected a number, found "zz""#,
        ),
        (
            "ragged.csv",
            b"1,2,3,4,5,6\n1,2,3\n",
            "row 2 (line 2): expected 6 columns, found 3",
        ),
        ("empty.csv", b"", "expected rows of input, found an empty file"),
        (
            "nan.csv",
            b"1,2,3,4,5,NaN\n",
            "row 1 (line 1), column 6: expected a finite number, found NaN",
        ),
        (
            "header.csv",
            b"a,b,c,d,e,f\n1,2,3,4,5,6\n",
            r#"header, column 1: expected a column named after an input (input), found "a""#,
        ),
        (
            "short.csv",
            b"input_0,input_1\n1,2\n",
            r#"header: expected 6 columns for input "input", found 2"#,
        ),
    ];
    for (name, bytes, want) in cases {
        let path = file(&dir, name, bytes);
        let got = error(&path, &signature());
        assert!(got.contains(want), "{name}\n  got: {got}\n want: {want}");
    }
}

/// A version 1.0 .npy file of little-endian float32 values.
fn npy(shape: &[usize], values: &[f32], descr: &str) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let shape = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&u16::try_from(header.len()).unwrap().to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

#[test]
fn npy_rows_are_read_in_both_shapes_and_misfits_named() {
    let dir = tempfile::tempdir().unwrap();
    let values: Vec<f32> = ROW_A.iter().chain(&[0.0; 6]).copied().collect();
    for shape in [&[2usize, 2, 3][..], &[2, 6]] {
        let path = file(&dir, "x.npy", &npy(shape, &values, "<f4"));
        let batches = read_all(&path, &signature(), 1).unwrap();
        assert_eq!(batches.len(), 2);
        assert_eq!(batches[0].inputs[0], ROW_A);
    }
    let wrong = file(&dir, "wrong.npy", &npy(&[2, 3, 2], &values, "<f4"));
    assert!(error(&wrong, &signature()).contains("expected shape [rows, 2, 3] or [rows, 6], found [2, 3, 2]"));
    let ints = file(&dir, "ints.npy", &npy(&[2, 6], &values, "<i4"));
    let got = error(&ints, &signature());
    assert!(
        got.contains("expected float32 or float64 values, found dtype '<i4'"),
        "{got}"
    );
    let nan: Vec<f32> = values.iter().map(|v| if *v == 5.0 { f32::NAN } else { *v }).collect();
    let nan = file(&dir, "nan.npy", &npy(&[2, 6], &nan, "<f4"));
    assert!(error(&nan, &signature()).contains("row 1, value 5: expected a finite number, found NaN"));
    let cut = npy(&[2, 6], &values, "<f4");
    let cut = file(&dir, "cut.npy", &cut[..cut.len() - 8]);
    assert!(
        error(&cut, &signature()).contains("row 2, value 5"),
        "{}",
        error(&cut, &signature())
    );
    let text = file(&dir, "text.npy", b"1,2,3\n");
    assert!(error(&text, &signature()).contains("expected a NumPy .npy file"));
    assert!(error(&wrong, &two_inputs()).contains("expected a model with one input for a .npy file"));
}

#[test]
fn samples_random_rows_and_unknown_formats() {
    let sig = signature();
    let mut random = open(&InputSource::Random { rows: 5, seed: 3 }, &sig, Path::new(".")).unwrap();
    let first = random.next_batch(3).unwrap().unwrap();
    assert_eq!((first.rows, first.inputs[0].len()), (3, 18));
    assert_eq!(random.next_batch(3).unwrap().unwrap().rows, 2);
    assert!(random.next_batch(3).unwrap().is_none());
    let again = open(&InputSource::Random { rows: 5, seed: 3 }, &sig, Path::new("."))
        .unwrap()
        .next_batch(3)
        .unwrap()
        .unwrap();
    assert_eq!(again, first, "a seed gives the same rows");

    let samples = Path::new("config/samples");
    assert_eq!(
        sample_names(samples),
        ["batch_32", "single_negative", "single_positive"]
    );
    let missing = open(&InputSource::Sample("nope".into()), &sig, samples).err().unwrap();
    assert!(
        missing
            .to_string()
            .contains("expected one of: batch_32, single_negative, single_positive")
    );
    let txt = open(&InputSource::File("rows.txt".into()), &sig, samples)
        .err()
        .unwrap();
    assert_eq!(
        txt.to_string(),
        "rows.txt: expected a file ending in .json, .jsonl, .csv or .npy, found .txt"
    );
    let ints = Signature {
        inputs: vec![TensorSpec {
            name: Clean::new("ids"),
            element: "int64".into(),
            dims: vec![Dim::Any, Dim::Fixed(4)],
        }],
        ..Signature::default()
    };
    let refused = open(&InputSource::Random { rows: 1, seed: 0 }, &ints, samples)
        .err()
        .unwrap();
    assert!(refused.to_string().contains("expected float32"));
}
