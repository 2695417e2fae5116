//! What a model takes and gives, read from its ONNX file before anything
//! runs: the one description the Predict view, `modeldeck inspect` and the
//! input readers' checks all use.

use std::collections::BTreeMap;
use std::fmt;

use crate::text::Clean;

/// One axis of a tensor as the model declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dim {
    Fixed(u64),
    /// A dynamic axis with its name (`batch_size`).
    Named(Clean),
    /// A dynamic axis without a name.
    Any,
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::Fixed(n) => write!(f, "{n}"),
            Dim::Named(name) => write!(f, "{name}"),
            Dim::Any => f.write_str("?"),
        }
    }
}

/// An input or output: name, element type (ONNX's words: float32, int64)
/// and shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorSpec {
    pub name: Clean,
    pub element: String,
    pub dims: Vec<Dim>,
}

/// Why rows cannot be fed to an input: the per-row shape must be fixed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    #[error("input {name:?} is a scalar; expected a batch axis first")]
    NoBatchAxis { name: String },
    #[error("input {name:?} has a fixed batch axis of {size}; expected a dynamic one (or 1)")]
    FixedBatch { name: String, size: u64 },
    #[error("input {name:?} has the dynamic axis {axis} ({dim}) after the batch axis; expected a fixed per-row shape")]
    DynamicRow { name: String, axis: usize, dim: String },
    #[error("input {name:?} is {element}; expected float32 (the only element type modeldeck feeds yet)")]
    Element { name: String, element: String },
}

impl TensorSpec {
    /// `[batch_size, 8, 4]`.
    pub fn shape_words(&self) -> String {
        let dims: Vec<String> = self.dims.iter().map(Dim::to_string).collect();
        format!("[{}]", dims.join(", "))
    }

    /// The shape of one row: every axis after the batch axis, all fixed.
    pub fn row_shape(&self) -> Result<Vec<usize>, ShapeError> {
        let name = || self.name.to_string();
        if self.element != "float32" {
            return Err(ShapeError::Element {
                name: name(),
                element: self.element.clone(),
            });
        }
        match self.dims.first() {
            None => return Err(ShapeError::NoBatchAxis { name: name() }),
            Some(Dim::Fixed(size)) if *size != 1 => {
                return Err(ShapeError::FixedBatch {
                    name: name(),
                    size: *size,
                });
            }
            Some(_) => {}
        }
        self.dims
            .iter()
            .enumerate()
            .skip(1)
            .map(|(axis, dim)| match dim {
                Dim::Fixed(n) => usize::try_from(*n).map_err(|_| ShapeError::DynamicRow {
                    name: name(),
                    axis,
                    dim: dim.to_string(),
                }),
                _ => Err(ShapeError::DynamicRow {
                    name: name(),
                    axis,
                    dim: dim.to_string(),
                }),
            })
            .collect()
    }

    /// Values in one row (the product of the row shape).
    pub fn row_len(&self) -> Result<usize, ShapeError> {
        Ok(self.row_shape()?.iter().product())
    }

    /// True when the model takes one row per call (batch axis fixed at 1).
    pub fn one_row_per_call(&self) -> bool {
        self.dims.first() == Some(&Dim::Fixed(1))
    }
}

/// A model's whole signature and provenance.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Signature {
    pub inputs: Vec<TensorSpec>,
    pub outputs: Vec<TensorSpec>,
    pub provenance: Provenance,
}

/// What an ONNX file says of itself, outside its graph.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Provenance {
    pub ir_version: Option<i64>,
    /// (domain, version); the default domain is "ai.onnx".
    pub opsets: Vec<(Clean, i64)>,
    pub producer: Clean,
    pub producer_version: Clean,
    pub description: Clean,
    /// The model's metadata properties (`version`, `author`, …).
    pub metadata: BTreeMap<Clean, Clean>,
}

impl Signature {
    /// The file's own semantic version (metadata property `version`).
    pub fn declared_version(&self) -> Option<&str> {
        self.provenance
            .metadata
            .iter()
            .find(|(k, _)| k.as_str() == "version")
            .map(|(_, v)| v.as_str())
    }

    /// The registry's version against the file's own: a word for the
    /// operator when they disagree.
    pub fn version_mismatch(&self, registered: &semver::Version) -> Option<String> {
        let declared = self.declared_version()?;
        match semver::Version::parse(declared.trim_start_matches('v')) {
            Ok(v) if v == *registered => None,
            _ => Some(format!(
                "the registry says {registered} but the file's metadata says version {declared}"
            )),
        }
    }

    /// "ai.onnx 14".
    pub fn opset_words(&self) -> String {
        let words: Vec<String> = self
            .provenance
            .opsets
            .iter()
            .map(|(domain, v)| {
                let domain = if domain.is_empty() { "ai.onnx" } else { domain.as_str() };
                format!("{domain} {v}")
            })
            .collect();
        words.join(", ")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn spec(element: &str, dims: Vec<Dim>) -> TensorSpec {
        TensorSpec {
            name: Clean::new("input"),
            element: element.into(),
            dims,
        }
    }

    #[test]
    fn the_row_is_every_axis_after_the_batch_axis() {
        let s = spec(
            "float32",
            vec![Dim::Named(Clean::new("batch_size")), Dim::Fixed(8), Dim::Fixed(4)],
        );
        assert_eq!(s.row_shape().unwrap(), [8, 4]);
        assert_eq!(s.row_len().unwrap(), 32);
        assert_eq!(s.shape_words(), "[batch_size, 8, 4]");
        let seq = spec("float32", vec![Dim::Any, Dim::Named(Clean::new("seq")), Dim::Fixed(4)]);
        assert_eq!(
            seq.row_shape().unwrap_err().to_string(),
            "input \"input\" has the dynamic axis 1 (seq) after the batch axis; expected a fixed per-row shape"
        );
        let ints = spec("int64", vec![Dim::Any, Dim::Fixed(4)]);
        assert!(matches!(ints.row_shape(), Err(ShapeError::Element { .. })));
        let fixed = spec("float32", vec![Dim::Fixed(32), Dim::Fixed(4)]);
        assert!(matches!(
            fixed.row_shape(),
            Err(ShapeError::FixedBatch { size: 32, .. })
        ));
        assert!(spec("float32", vec![Dim::Fixed(1), Dim::Fixed(4)]).one_row_per_call());
    }

    #[test]
    fn a_registry_version_the_file_disagrees_with_is_named() {
        let mut sig = Signature::default();
        let v = semver::Version::parse("2.1.1").unwrap();
        assert_eq!(sig.version_mismatch(&v), None, "no metadata, nothing to disagree with");
        sig.provenance
            .metadata
            .insert(Clean::new("version"), Clean::new("2.1.1"));
        assert_eq!(sig.version_mismatch(&v), None);
        sig.provenance
            .metadata
            .insert(Clean::new("version"), Clean::new("2.1.0"));
        assert_eq!(
            sig.version_mismatch(&v).unwrap(),
            "the registry says 2.1.1 but the file's metadata says version 2.1.0"
        );
    }
}
