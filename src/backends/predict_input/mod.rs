//! Prediction inputs: JSON, JSON lines, CSV, NumPy `.npy`, the named
//! samples and generated rows, each read as a stream of batches checked
//! against the model's signature before the runtime sees them. A bad value
//! is named by where it is, what was expected and what was found.

mod csv_rows;
mod json_rows;
mod npy_rows;

use std::path::Path;

use crate::domain::prediction::Batch;
use crate::domain::signature::{ShapeError, Signature};

pub use crate::domain::prediction_run::InputSource;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InputError {
    /// The model takes inputs modeldeck cannot feed.
    #[error(transparent)]
    Model(#[from] ShapeError),
    #[error("{input}: {reason}")]
    Read { input: String, reason: String },
    /// A value or a shape that is not what the model takes.
    #[error("{input}: {at}expected {expected}, found {found}")]
    Bad {
        input: String,
        /// "row 17, column 5: " or empty.
        at: String,
        expected: String,
        found: String,
    },
}

/// A checked stream of rows.
pub trait Rows: Send {
    /// Up to `max` more rows, or `None` when the input is done.
    fn next_batch(&mut self, max: usize) -> Result<Option<Batch>, InputError>;
    /// Rows in the whole input, when known before reading it all.
    fn total_rows(&self) -> Option<usize>;
    /// (bytes read, file size), for a progress bar over a streamed file.
    fn bytes(&self) -> Option<(u64, u64)> {
        None
    }
}

/// The inputs' names and row lengths, in the signature's order.
#[derive(Debug, Clone)]
pub(crate) struct Shapes {
    pub names: Vec<String>,
    pub row_shapes: Vec<Vec<usize>>,
    pub lens: Vec<usize>,
}

impl Shapes {
    pub fn of(signature: &Signature) -> Result<Shapes, InputError> {
        let mut shapes = Shapes {
            names: Vec::new(),
            row_shapes: Vec::new(),
            lens: Vec::new(),
        };
        for input in &signature.inputs {
            let row = input.row_shape()?;
            shapes.names.push(input.name.to_string());
            shapes.lens.push(row.iter().product());
            shapes.row_shapes.push(row);
        }
        if shapes.names.is_empty() {
            return Err(InputError::Read {
                input: "the model".into(),
                reason: "it declares no inputs".into(),
            });
        }
        Ok(shapes)
    }

    /// A batch under construction, with room for `rows` rows.
    pub fn batch(&self, first_row: usize, rows: usize) -> Batch {
        Batch {
            first_row,
            rows: 0,
            inputs: self.lens.iter().map(|len| Vec::with_capacity(len * rows)).collect(),
        }
    }

    /// The one input of a one-input model, or why a format needs one.
    pub fn single(&self, input: &str, format: &str) -> Result<usize, InputError> {
        if self.names.len() == 1 {
            return Ok(self.lens[0]);
        }
        Err(InputError::Bad {
            input: input.to_owned(),
            at: String::new(),
            expected: format!("a model with one input for {format} (use JSON to give several)"),
            found: format!("{} inputs: {}", self.names.len(), self.names.join(", ")),
        })
    }
}

/// A value as the runtime takes it, or what is wrong with it.
pub(crate) fn finite(value: f64) -> Result<f32, String> {
    let v = value as f32;
    if v.is_finite() {
        Ok(v)
    } else if value.is_finite() {
        Err(format!("{value:e}, beyond float32"))
    } else {
        Err(value.to_string())
    }
}

/// "row 3, " style positions are 1-based, as in a spreadsheet.
pub(crate) fn row_words(index: usize) -> String {
    format!("row {}", index + 1)
}

/// Opens `source` for a model of `signature`; samples are read from
/// `samples`. Nothing is run: a file is checked as it is read.
pub fn open(source: &InputSource, signature: &Signature, samples: &Path) -> Result<Box<dyn Rows>, InputError> {
    let shapes = Shapes::of(signature)?;
    match source {
        InputSource::File(path) => open_file(path, shapes),
        InputSource::Sample(name) => {
            let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
            let path = samples.join(format!("{name}.json"));
            if !valid || !path.is_file() {
                return Err(InputError::Bad {
                    input: format!("sample {name:?}"),
                    at: String::new(),
                    expected: format!("one of: {}", sample_names(samples).join(", ")),
                    found: format!("no {}", path.display()),
                });
            }
            json_rows::open(&path, shapes, false)
        }
        InputSource::Random { rows, seed } => Ok(Box::new(Random {
            shapes,
            rng: fastrand::Rng::with_seed(*seed),
            left: *rows,
            total: *rows,
        })),
    }
}

fn open_file(path: &Path, shapes: Shapes) -> Result<Box<dyn Rows>, InputError> {
    let name = path.display().to_string();
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match extension.as_str() {
        "json" => json_rows::open(path, shapes, false),
        "jsonl" | "ndjson" => json_rows::open(path, shapes, true),
        "csv" => csv_rows::open(path, shapes),
        "npy" => npy_rows::open(path, shapes),
        _ => Err(InputError::Bad {
            input: name,
            at: String::new(),
            expected: "a file ending in .json, .jsonl, .csv or .npy".into(),
            found: if extension.is_empty() {
                "no extension".into()
            } else {
                format!(".{extension}")
            },
        }),
    }
}

/// The samples there are, by name.
pub fn sample_names(samples: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(samples)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let path = e.path();
            (path.extension()? == "json").then(|| path.file_stem()?.to_str().map(crate::text::clean))?
        })
        .collect();
    names.sort();
    names
}

/// Opens a file for reading, with its size, naming it when it cannot be.
pub(crate) fn open_read(path: &Path) -> Result<(std::fs::File, u64), InputError> {
    let fail = |e: std::io::Error| InputError::Read {
        input: path.display().to_string(),
        reason: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(fail)?;
    let size = file.metadata().map_err(fail)?.len();
    if size == 0 {
        return Err(InputError::Bad {
            input: path.display().to_string(),
            at: String::new(),
            expected: "rows of input".into(),
            found: "an empty file".into(),
        });
    }
    Ok((file, size))
}

/// `--random N`: standard normal draws, as the demo's standardised
/// features are; for a smoke test, not for accuracy.
struct Random {
    shapes: Shapes,
    rng: fastrand::Rng,
    left: usize,
    total: usize,
}

impl Rows for Random {
    fn next_batch(&mut self, max: usize) -> Result<Option<Batch>, InputError> {
        let rows = self.left.min(max.max(1));
        if rows == 0 {
            return Ok(None);
        }
        let mut batch = self.shapes.batch(self.total - self.left, rows);
        for (values, len) in batch.inputs.iter_mut().zip(&self.shapes.lens) {
            values.extend((0..rows * len).map(|_| crate::domain::draw::normal(&mut self.rng) as f32));
        }
        batch.rows = rows;
        self.left -= rows;
        Ok(Some(batch))
    }

    fn total_rows(&self) -> Option<usize> {
        Some(self.total)
    }
}

#[cfg(test)]
mod tests;
