//! ONNX Runtime: finding the shared library (it is loaded at run time, as
//! no runtime can be linked at build time here), and running models.
//! Discovery order: ORT_DYLIB_PATH, beside the modeldeck binary, the
//! project's .venv, then the onnxruntime Python package python3 imports.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use ort::session::Session;
use ort::value::Tensor;

const LIBRARY_PREFIX: &str = "libonnxruntime.so";

/// Why the runtime or a model cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OnnxError {
    #[error("ORT_DYLIB_PATH={} is not a file", .0.display())]
    NotAFile(PathBuf),
    #[error(
        "ONNX Runtime not found: set ORT_DYLIB_PATH to libonnxruntime.so, or install the Python package \
         (python3 -m pip install onnxruntime==1.31.1)"
    )]
    NotFound,
    #[error("cannot load {}: {reason}", path.display())]
    Runtime { path: PathBuf, reason: String },
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
/// one shareable between the tasks that call it.
pub struct Model {
    session: Mutex<Session>,
    pub input_shape: Vec<i64>,
}

impl Model {
    /// Needs [`runtime`] to have succeeded.
    pub fn load(path: &Path) -> Result<Model, OnnxError> {
        let fail = |e: &dyn std::fmt::Display| OnnxError::Model {
            path: path.to_owned(),
            reason: e.to_string(),
        };
        let session = Session::builder()
            .and_then(|mut b| {
                b = b.with_intra_threads(1)?;
                b.commit_from_file(path)
            })
            .map_err(|e| fail(&e))?;
        let input_shape = session
            .inputs()
            .first()
            .and_then(|i| i.dtype().tensor_shape().map(|s| s.to_vec()))
            .ok_or_else(|| fail(&"the model has no tensor input"))?;
        Ok(Model {
            session: Mutex::new(session),
            input_shape,
        })
    }

    /// Values per row: the input shape without its batch axis.
    pub fn row_len(&self) -> usize {
        self.input_shape.iter().skip(1).map(|d| (*d).max(1) as usize).product()
    }

    /// Runs `rows` (each `row_len` floats) as one batch; the first output,
    /// flattened, one value per row for a single-output model.
    pub fn run(&self, rows: &[f32]) -> Result<Vec<f32>, OnnxError> {
        let per_row = self.row_len();
        if per_row == 0 || !rows.len().is_multiple_of(per_row) {
            return Err(OnnxError::Rows {
                per_row,
                found: rows.len(),
            });
        }
        let mut shape: Vec<i64> = self.input_shape.iter().map(|d| (*d).max(1)).collect();
        let Some(batch) = shape.first_mut() else {
            return Err(OnnxError::Run("the model's input has no batch axis".to_owned()));
        };
        *batch = (rows.len() / per_row) as i64;
        let input = Tensor::from_array((shape, rows.to_vec())).map_err(|e| OnnxError::Run(e.to_string()))?;
        let mut session = self
            .session
            .lock()
            .map_err(|_| OnnxError::Run("the model's session is unusable".to_owned()))?;
        let outputs = session
            .run(ort::inputs![input])
            .map_err(|e| OnnxError::Run(e.to_string()))?;
        let output = outputs
            .values()
            .next()
            .ok_or_else(|| OnnxError::Run("the model has no output".to_owned()))?;
        let (_, values) = output
            .try_extract_tensor::<f32>()
            .map_err(|e| OnnxError::Run(e.to_string()))?;
        Ok(values.to_vec())
    }
}
