//! ONNX Runtime: finding the shared library (it is loaded at run time, as
//! no runtime can be linked at build time here), and running models.
//! Discovery order: ORT_DYLIB_PATH, beside the modeldeck binary, the
//! project's .venv, then the onnxruntime Python package python3 imports.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use std::time::Instant;

use ort::session::Session;
use ort::value::{Outlet, TensorElementType, TensorRef, ValueType};

use super::onnx_file::{FileError, read_header};
use crate::domain::prediction::{Batch, OutputValues, Ran};
use crate::domain::signature::{Dim, Signature, TensorSpec};
use crate::text::{Clean, clean};

const LIBRARY_PREFIX: &str = "libonnxruntime.so";

/// How to get the runtime, said wherever it is missing.
const GET_RUNTIME: &str = "set ORT_DYLIB_PATH to libonnxruntime.so, or install the Python package \
     (python3 -m pip install onnxruntime==1.31.1)";

/// Why the runtime or a model cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OnnxError {
    #[error("ORT_DYLIB_PATH={} is not a file; {GET_RUNTIME}", .0.display())]
    NotAFile(PathBuf),
    #[error("ONNX Runtime not found: {GET_RUNTIME}")]
    NotFound,
    #[error("cannot load {}: {reason}; {GET_RUNTIME}", path.display())]
    Runtime { path: PathBuf, reason: String },
    #[error(transparent)]
    File(#[from] FileError),
    #[error("cannot load model {}: {reason}", path.display())]
    Model { path: PathBuf, reason: String },
    #[error("expected rows of {per_row} values, found {found} values")]
    Rows { per_row: usize, found: usize },
    /// The runtime refused the input or gave no usable output.
    #[error("{0}")]
    Run(String),
}

/// Where the runtime was found and how, or why it was not.
static RUNTIME: OnceLock<Result<PathBuf, OnnxError>> = OnceLock::new();

/// The shared library's path, by the documented order.
pub fn discover(env: &dyn Fn(&str) -> Option<String>) -> Result<PathBuf, OnnxError> {
    if let Some(path) = env("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(OnnxError::NotAFile(path))
        };
    }
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().and_then(library_in));
    let venv = || {
        let lib = Path::new(".venv/lib");
        std::fs::read_dir(lib)
            .ok()?
            .flatten()
            .find_map(|python| library_in(&python.path().join("site-packages/onnxruntime/capi")))
    };
    let python = || {
        let out = Command::new("python3")
            .args([
                "-c",
                "import os, onnxruntime; print(os.path.dirname(onnxruntime.__file__))",
            ])
            .output()
            .ok()?;
        let dir = String::from_utf8(out.stdout).ok()?;
        library_in(&Path::new(dir.trim()).join("capi"))
    };
    let found = beside.or_else(venv).or_else(python);
    // Absolute, so messages and the demo's info say exactly which library.
    found
        .map(|p| std::fs::canonicalize(&p).unwrap_or(p))
        .ok_or(OnnxError::NotFound)
}

/// The newest `libonnxruntime.so*` in `dir`.
fn library_in(dir: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(LIBRARY_PREFIX))
        })
        .collect();
    found.sort();
    found.pop()
}

/// Loads the runtime once per process; later calls give the first result.
/// A library older than the API `ort` needs, or not ONNX Runtime at all,
/// is an error from `ort::init_from` (its load_dynamic::LoadError:
/// BadVersion, MissingApi, Dlopen), never a panic.
pub fn runtime(env: &dyn Fn(&str) -> Option<String>) -> Result<PathBuf, OnnxError> {
    RUNTIME
        .get_or_init(|| {
            let path = discover(env)?;
            let builder = ort::init_from(&path).map_err(|e| OnnxError::Runtime {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            builder.with_name("modeldeck").commit();
            Ok(path)
        })
        .clone()
}

/// One model, ready to run. Sessions need `&mut` to run: a mutex makes
/// one shareable between the tasks that call it. Made once per model file
/// and reused for every call.
pub struct Model {
    session: Mutex<Session>,
    pub signature: Signature,
    pub path: PathBuf,
}

/// ONNX's words for element types (`float32`, `int64`), as onnx.helper
/// and Netron write them.
fn element_word(ty: TensorElementType) -> String {
    use TensorElementType as T;
    match ty {
        T::Float32 => "float32",
        T::Float64 => "float64",
        T::Float16 => "float16",
        T::Bfloat16 => "bfloat16",
        T::Int8 => "int8",
        T::Int16 => "int16",
        T::Int32 => "int32",
        T::Int64 => "int64",
        T::Uint8 => "uint8",
        T::Uint16 => "uint16",
        T::Uint32 => "uint32",
        T::Uint64 => "uint64",
        T::Bool => "bool",
        T::String => "string",
        other => return other.to_string(),
    }
    .to_owned()
}

fn spec(outlet: &Outlet) -> TensorSpec {
    let name = Clean::new(outlet.name());
    match outlet.dtype() {
        ValueType::Tensor {
            ty,
            shape,
            dimension_symbols,
        } => TensorSpec {
            name,
            element: element_word(*ty),
            dims: shape
                .iter()
                .enumerate()
                .map(|(i, d)| match u64::try_from(*d) {
                    Ok(n) => Dim::Fixed(n),
                    Err(_) => match dimension_symbols.get(i).filter(|s| !s.is_empty()) {
                        Some(symbol) => Dim::Named(Clean::new(symbol)),
                        None => Dim::Any,
                    },
                })
                .collect(),
        },
        other => TensorSpec {
            name,
            element: clean(&other.to_string()),
            dims: Vec::new(),
        },
    }
}

/// ONNX Runtime's message without the C++ source place and function
/// signature it starts with ("/onnxruntime_src/…/model.cc:256
/// onnxruntime::Model::Model(…) Unsupported model IR version: 99, …"):
/// what is left is what the operator can act on.
fn runtime_words(message: &str) -> String {
    let Some(at) = message.find(".cc:").or_else(|| message.find(".h:")) else {
        return message.to_owned();
    };
    let rest = &message[at..];
    // The signature follows the place; its parentheses balance.
    let mut depth = 0usize;
    for (i, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    let words = rest[i + 1..].trim();
                    return if words.is_empty() {
                        message.to_owned()
                    } else {
                        words.to_owned()
                    };
                }
            }
            _ => {}
        }
    }
    message.to_owned()
}

impl Model {
    /// Loads the model at `path` with `threads` intra-op threads (0: the
    /// runtime's choice). The file's header is checked first, so a file
    /// that is not ONNX is named as such rather than as the runtime's
    /// parse error. Needs [`runtime`] to have succeeded.
    pub fn load(path: &Path, threads: usize) -> Result<Model, OnnxError> {
        let header = read_header(path)?;
        let fail = |e: &dyn std::fmt::Display| OnnxError::Model {
            path: path.to_owned(),
            reason: runtime_words(&clean(&e.to_string())),
        };
        let bytes = std::fs::read(path).map_err(|e| fail(&e))?;
        let session = Session::builder()
            .and_then(|mut b| {
                if threads > 0 {
                    b = b.with_intra_threads(threads)?;
                }
                b.commit_from_memory(&bytes)
            })
            .map_err(|e| fail(&e))?;
        let signature = Signature {
            inputs: session.inputs().iter().map(spec).collect(),
            outputs: session.outputs().iter().map(spec).collect(),
            provenance: header,
        };
        Ok(Model {
            session: Mutex::new(session),
            signature,
            path: path.to_owned(),
        })
    }

    /// Values per row of the first input.
    pub fn row_len(&self) -> usize {
        self.signature
            .inputs
            .first()
            .and_then(|i| i.row_len().ok())
            .unwrap_or(0)
    }

    /// Runs a batch (already checked against the signature) and gives every
    /// output, and the time the runtime took.
    pub fn run_batch(&self, batch: &Batch) -> Result<Ran, OnnxError> {
        let mut named = Vec::with_capacity(batch.inputs.len());
        for (spec, values) in self.signature.inputs.iter().zip(&batch.inputs) {
            let row = spec.row_shape().map_err(|e| OnnxError::Run(e.to_string()))?;
            if values.len() != batch.rows * row.iter().product::<usize>() {
                return Err(OnnxError::Rows {
                    per_row: row.iter().product(),
                    found: values.len(),
                });
            }
            let shape: Vec<i64> = std::iter::once(batch.rows)
                .chain(row)
                .map(|d| i64::try_from(d).unwrap_or(i64::MAX))
                .collect();
            // A view of the batch, not a copy of it.
            let tensor =
                TensorRef::from_array_view((shape, values.as_slice())).map_err(|e| OnnxError::Run(e.to_string()))?;
            named.push((spec.name.to_string(), tensor));
        }
        if named.len() != self.signature.inputs.len() {
            return Err(OnnxError::Run(format!(
                "expected {} inputs, found {}",
                self.signature.inputs.len(),
                named.len()
            )));
        }
        let mut session = self
            .session
            .lock()
            .map_err(|_| OnnxError::Run("the model's session is unusable".to_owned()))?;
        let started = Instant::now();
        let outputs = session
            .run(named)
            .map_err(|e| OnnxError::Run(runtime_words(&clean(&e.to_string()))))?;
        let elapsed = started.elapsed();
        let mut values = Vec::with_capacity(self.signature.outputs.len());
        for spec in &self.signature.outputs {
            let output = outputs
                .get(spec.name.as_str())
                .ok_or_else(|| OnnxError::Run(format!("the model gave no output {:?}", spec.name.as_str())))?;
            let flat: Vec<f64> = if let Ok((_, v)) = output.try_extract_tensor::<f32>() {
                v.iter().map(|x| f64::from(*x)).collect()
            } else if let Ok((_, v)) = output.try_extract_tensor::<i64>() {
                v.iter().map(|x| *x as f64).collect()
            } else if let Ok((_, v)) = output.try_extract_tensor::<f64>() {
                v.to_vec()
            } else {
                return Err(OnnxError::Run(format!(
                    "output {:?} is {}; expected float32, float64 or int64",
                    spec.name.as_str(),
                    spec.element
                )));
            };
            let per_row = flat.len() / batch.rows.max(1);
            values.push(OutputValues {
                name: spec.name.clone(),
                per_row,
                values: flat,
            });
        }
        Ok(Ran {
            rows: batch.rows,
            outputs: values,
            elapsed,
        })
    }

    /// Runs `rows` (each `row_len` floats) of a one-input model as one
    /// batch; the first output, flattened (one value per row for a
    /// single-output model).
    pub fn run(&self, rows: &[f32]) -> Result<Vec<f32>, OnnxError> {
        let per_row = self.row_len();
        if per_row == 0 || !rows.len().is_multiple_of(per_row) {
            return Err(OnnxError::Rows {
                per_row,
                found: rows.len(),
            });
        }
        let batch = Batch {
            first_row: 0,
            rows: rows.len() / per_row,
            inputs: vec![rows.to_vec()],
        };
        let ran = self.run_batch(&batch)?;
        let first = ran
            .outputs
            .into_iter()
            .next()
            .ok_or_else(|| OnnxError::Run("the model has no output".to_owned()))?;
        Ok(first.values.into_iter().map(|v| v as f32).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::runtime_words;

    #[test]
    fn the_source_place_and_signature_go() {
        let ort = "/onnxruntime_src/onnxruntime/core/graph/model.cc:256 onnxruntime::Model::Model(onnx::ModelProto&&, const onnxruntime::PathString&, const onnxruntime::logging::Logger&) Unsupported model IR version: 99, max supported IR version: 13";
        assert_eq!(
            runtime_words(ort),
            "Unsupported model IR version: 99, max supported IR version: 13"
        );
        assert_eq!(runtime_words("Got invalid dimensions"), "Got invalid dimensions");
    }
}
