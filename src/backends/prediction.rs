//! Running predictions: the one loop the CLI, the console and the batch
//! job share. Rows are read batch by batch, each batch runs on one or two
//! models, and the caller sees every batch as it is done (to write it, or
//! to keep it) and may stop between batches.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::onnx::{Model, OnnxError};
use super::predict_input::{InputError, Rows};
use crate::domain::model::ModelChoice;
pub use crate::domain::prediction::Summary;
use crate::domain::prediction::{Batch, CompareError, Latency, Ran, compare};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PredictError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("{label}: {error}")]
    Onnx { label: String, error: OnnxError },
    #[error("comparing {a} with {b}: {error}")]
    Compare { a: String, b: String, error: CompareError },
    #[error("{a} and {b} take different inputs; expected the same signature to compare them")]
    Incomparable { a: String, b: String },
}

/// Two models compare only on the same inputs: one rule for the CLI and
/// the console, checked before any row is read.
pub fn check_comparable(models: &[Runnable]) -> Result<(), PredictError> {
    match models {
        [a, b] if a.model.signature.inputs != b.model.signature.inputs => Err(PredictError::Incomparable {
            a: a.label.clone(),
            b: b.label.clone(),
        }),
        _ => Ok(()),
    }
}

/// One model of a run, with the label the operator knows it by.
#[derive(Clone)]
pub struct Runnable {
    pub label: String,
    pub model: Arc<Model>,
}

/// Rows the agreement report keeps as "the rows that differ most".
pub const MOST_DIFFERENT: usize = 5;

/// Runs `rows` through `models` (one, or two to compare) in batches of
/// `batch_size`. `each` sees every batch with each model's answer, and
/// the summary so far; `Break` stops after that batch.
pub fn run(
    models: &[Runnable],
    rows: &mut dyn Rows,
    batch_size: usize,
    threshold: f64,
    mut each: impl FnMut(&Batch, &[Ran], &Summary) -> ControlFlow<()>,
) -> Result<Summary, PredictError> {
    let mut summary = Summary {
        rows: 0,
        latency: vec![Latency::default(); models.len()],
        agreement: None,
        stopped: false,
        read: rows.bytes(),
    };
    // A model that takes one row per call gets batches of one.
    let one_row = models
        .iter()
        .any(|m| m.model.signature.inputs.iter().any(|i| i.one_row_per_call()));
    let batch_size = if one_row { 1 } else { batch_size.max(1) };
    // The next batch is read and checked on its own thread while this one
    // runs: parsing a file costs about what inference does, and on two
    // cores the two overlap. Leaving the loop (the end, a stop, a failure)
    // drops the receiver, which ends the reader after its batch.
    std::thread::scope(|scope| {
        let (batches, arrived) = std::sync::mpsc::sync_channel(READ_AHEAD);
        scope.spawn(move || {
            loop {
                let next = rows.next_batch(batch_size).map(|b| b.map(|b| (b, rows.bytes())));
                let last = !matches!(next, Ok(Some(_)));
                if batches.send(next).is_err() || last {
                    break;
                }
            }
        });
        for next in arrived {
            let Some((batch, read)) = next? else { break };
            let answers = answer(models, &batch, threshold, &mut summary)?;
            summary.rows += batch.rows;
            summary.read = read;
            if each(&batch, &answers, &summary).is_break() {
                summary.stopped = true;
                break;
            }
        }
        Ok(summary)
    })
}

/// Batches read ahead of the one running.
const READ_AHEAD: usize = 2;

/// One batch through every model; their latencies and (for two) their
/// agreement so far go into `summary`.
fn answer(models: &[Runnable], batch: &Batch, threshold: f64, summary: &mut Summary) -> Result<Vec<Ran>, PredictError> {
    let mut answers = Vec::with_capacity(models.len());
    for (m, latency) in models.iter().zip(&mut summary.latency) {
        let ran = m.model.run_batch(batch).map_err(|error| PredictError::Onnx {
            label: m.label.clone(),
            error,
        })?;
        latency.add(&ran);
        answers.push(ran);
    }
    if let [a, b] = models {
        let (Some(oa), Some(ob)) = (answers[0].outputs.first(), answers[1].outputs.first()) else {
            return Err(PredictError::Compare {
                a: a.label.clone(),
                b: b.label.clone(),
                error: CompareError::Rows { a: 0, b: 0 },
            });
        };
        let mut part = compare(oa, ob, threshold, MOST_DIFFERENT).map_err(|error| PredictError::Compare {
            a: a.label.clone(),
            b: b.label.clone(),
            error,
        })?;
        for row in &mut part.most_different {
            row.0 += batch.first_row;
        }
        summary.agreement = Some(match summary.agreement.take() {
            Some(so_far) => so_far.merge(&part, MOST_DIFFERENT),
            None => part,
        });
    }
    Ok(answers)
}

/// Models loaded once per file and intra-op thread count, and reused:
/// a session is costly to make and cheap to run.
#[derive(Default)]
pub struct Sessions {
    loaded: Mutex<Vec<(SessionKey, Arc<Model>)>>,
}

/// A file replaced on disk (a new mtime) is a new session, not the old one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SessionKey {
    path: PathBuf,
    modified: Option<std::time::SystemTime>,
    threads: usize,
}

impl Sessions {
    pub fn get(&self, path: &Path, threads: usize) -> Result<Arc<Model>, OnnxError> {
        let key = SessionKey {
            path: path.to_owned(),
            modified: std::fs::metadata(path).and_then(|m| m.modified()).ok(),
            threads,
        };
        if let Ok(loaded) = self.loaded.lock()
            && let Some((_, model)) = loaded.iter().find(|(k, _)| *k == key)
        {
            return Ok(model.clone());
        }
        let model = Arc::new(Model::load(path, threads)?);
        if let Ok(mut loaded) = self.loaded.lock() {
            loaded.retain(|(k, _)| !(k.path == key.path && k.threads == key.threads));
            loaded.push((key, model.clone()));
        }
        Ok(model)
    }
}

/// A model named on the command line or picked in the console: an ONNX
/// file's path, or NAME@VERSION / NAME@ALIAS in the registry at `registry`.
pub fn resolve(spec: &str, registry: &Path) -> Result<ModelChoice, String> {
    let path = Path::new(spec);
    if path.is_file() {
        return Ok(ModelChoice {
            label: spec.to_owned(),
            file: path.to_owned(),
            version: None,
        });
    }
    if !spec.contains('@') {
        return Err(format!(
            "model {spec:?}: expected an ONNX file or NAME@VERSION or NAME@ALIAS, found no such file"
        ));
    }
    let load = super::local::load(registry).map_err(|e| e.to_string())?;
    load.choose(spec)
}
