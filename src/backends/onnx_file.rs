//! The top of an ONNX file (a protobuf `ModelProto`), read without the
//! runtime: ONNX Runtime's C API reports neither the IR version nor the
//! opsets, and a file that is not ONNX, or is cut short, is named here
//! before the runtime is asked to load it.
//!
//! Only the top-level fields are decoded (onnx.proto: 1 ir_version,
//! 2 producer_name, 3 producer_version, 6 doc_string, 7 graph, 8
//! opset_import, 14 metadata_props); the graph is skipped by its length.
//! Protobuf's wire format is a handful of rules, so no generated types.

use std::path::{Path, PathBuf};

use super::protowire::{Fields, Wire, WireError};
use crate::domain::signature::Provenance;
use crate::text::Clean;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FileError {
    #[error("{}: {reason}", path.display())]
    Read { path: PathBuf, reason: String },
    #[error("{}: expected an ONNX model, found an empty file", path.display())]
    Empty { path: PathBuf },
    #[error("{}: expected an ONNX model (a protobuf ModelProto), found {found}", path.display())]
    NotOnnx { path: PathBuf, found: String },
    #[error("{}: expected a whole ONNX model, found one cut short (a field runs past its {size} bytes)", path.display())]
    Truncated { path: PathBuf, size: usize },
}

/// A file larger than this is not read whole to look at its header.
const MAX_MODEL_BYTES: u64 = 2 << 30;

/// Reads and checks the header of the model at `path`.
pub fn read_header(path: &Path) -> Result<Provenance, FileError> {
    let fail = |reason: String| FileError::Read {
        path: path.to_owned(),
        reason,
    };
    let size = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?.len();
    if size > MAX_MODEL_BYTES {
        return Err(fail(format!(
            "expected a model of at most 2 GiB (protobuf's limit), found {size} bytes"
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    parse_header(&bytes).map_err(|e| e.at(path))
}

/// Why bytes are not a ModelProto, before the path is known.
#[derive(Debug, PartialEq)]
pub enum Malformed {
    Empty,
    NotOnnx(String),
    Truncated { size: usize },
}

impl Malformed {
    fn at(self, path: &Path) -> FileError {
        let path = path.to_owned();
        match self {
            Malformed::Empty => FileError::Empty { path },
            Malformed::NotOnnx(found) => FileError::NotOnnx { path, found },
            Malformed::Truncated { size } => FileError::Truncated { path, size },
        }
    }
}

pub fn parse_header(bytes: &[u8]) -> Result<Provenance, Malformed> {
    if bytes.is_empty() {
        return Err(Malformed::Empty);
    }
    read_header_fields(bytes).map_err(|e| match e {
        WireError::Truncated | WireError::TruncatedVarint => Malformed::Truncated { size: bytes.len() },
        other => Malformed::NotOnnx(format!("not a protobuf message ({other})")),
    })?
}

/// The header, or (the outer error) bytes that are not protobuf at all.
fn read_header_fields(bytes: &[u8]) -> Result<Result<Provenance, Malformed>, WireError> {
    let mut header = Provenance::default();
    let mut graph = false;
    let mut fields = Fields::new(bytes);
    while let Some((number, value)) = fields.field()? {
        match (number, value) {
            (1, Wire::Varint(v)) => header.ir_version = Some(v as i64),
            (2, Wire::Bytes(b)) => header.producer = text(b),
            (3, Wire::Bytes(b)) => header.producer_version = text(b),
            (6, Wire::Bytes(b)) => header.description = text(b),
            (7, Wire::Bytes(_)) => graph = true,
            (8, Wire::Bytes(b)) => {
                let (domain, version) = pair(b)?;
                header.opsets.push((text(domain), version.map_or(0, |v| v as i64)));
            }
            (14, Wire::Bytes(b)) => {
                let (key, value) = string_pair(b)?;
                header.metadata.insert(key, value);
            }
            _ => {}
        }
    }
    if header.ir_version.is_none() || !graph {
        return Ok(Err(Malformed::NotOnnx(
            "a protobuf message without an IR version and a graph".into(),
        )));
    }
    Ok(Ok(header))
}

fn text(bytes: &[u8]) -> Clean {
    Clean::new(&String::from_utf8_lossy(bytes))
}

/// OperatorSetIdProto: 1 domain (string), 2 version (int64).
fn pair(bytes: &[u8]) -> Result<(&[u8], Option<u64>), WireError> {
    let mut domain: &[u8] = &[];
    let mut version = None;
    let mut fields = Fields::new(bytes);
    while let Some(field) = fields.field()? {
        match field {
            (1, Wire::Bytes(b)) => domain = b,
            (2, Wire::Varint(v)) => version = Some(v),
            _ => {}
        }
    }
    Ok((domain, version))
}

/// StringStringEntryProto: 1 key, 2 value.
fn string_pair(bytes: &[u8]) -> Result<(Clean, Clean), WireError> {
    let mut key = Clean::default();
    let mut value = Clean::default();
    let mut fields = Fields::new(bytes);
    while let Some(field) = fields.field()? {
        match field {
            (1, Wire::Bytes(b)) => key = text(b),
            (2, Wire::Bytes(b)) => value = text(b),
            _ => {}
        }
    }
    Ok((key, value))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn demo() -> Vec<u8> {
        std::fs::read("models/malaria_lstm/2.0.5.onnx").unwrap()
    }

    #[test]
    fn the_demo_models_header_is_read() {
        let header = parse_header(&demo()).unwrap();
        assert_eq!(header.ir_version, Some(8));
        assert_eq!(header.opsets, [(Clean::new(""), 14)]);
        assert_eq!(header.producer, "modeldeck make_demo_models.py");
    }

    #[test]
    fn what_is_not_a_whole_model_is_named() {
        assert_eq!(parse_header(b""), Err(Malformed::Empty));
        let bytes = demo();
        let cut = &bytes[..bytes.len() / 2];
        assert_eq!(parse_header(cut), Err(Malformed::Truncated { size: cut.len() }));
        assert!(matches!(
            parse_header(b"version,rows\n1,2\n"),
            Err(Malformed::NotOnnx(_))
        ));
        assert!(matches!(parse_header(b"{\"inputs\": []}"), Err(Malformed::NotOnnx(_))));
    }
}
