//! `modeldeck inspect` and `modeldeck predict`: the Predict view's
//! signature and runs, for scripts. Rows print as they are computed (a
//! table, CSV, or one JSON document), or stream to a file with `--out`.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::json;

use super::predict_out::{Labels, RowWriter, check_out, writer_for};
use super::predict_progress::{Progress, StopSignal};
use crate::backends::onnx::{self, Model};
use crate::backends::predict_input::{self, InputSource};
use crate::backends::prediction::{self, Runnable, Summary};
use crate::cli::{Output, PredictOutput};
use crate::config::settings::PredictSettings;
use crate::domain::model::ModelChoice;
use crate::domain::signature::{Signature, TensorSpec};

/// A model ready to run: the runtime loaded, the file found and checked.
fn load(spec: &str, registry: &Path, threads: usize) -> Result<(ModelChoice, Arc<Model>), String> {
    let env = |name: &str| std::env::var(name).ok();
    onnx::runtime(&env).map_err(|e| e.to_string())?;
    let choice = prediction::resolve(spec, registry)?;
    let model = Model::load(&choice.file, threads).map_err(|e| e.to_string())?;
    Ok((choice, Arc::new(model)))
}

pub fn inspect(spec: &str, registry: &Path, output: Output) -> Result<String, String> {
    let (choice, model) = load(spec, registry, 1)?;
    let signature = &model.signature;
    let mismatch = choice.version.as_ref().and_then(|v| signature.version_mismatch(v));
    Ok(match output {
        Output::Json => {
            let tensors = |specs: &[TensorSpec]| -> Vec<serde_json::Value> {
                specs
                    .iter()
                    .map(|t| {
                        json!({
                            "name": t.name,
                            "element_type": t.element,
                            "shape": t.dims.iter().map(|d| match d {
                                crate::domain::signature::Dim::Fixed(n) => json!(n),
                                other => json!(other.to_string()),
                            }).collect::<Vec<_>>(),
                        })
                    })
                    .collect()
            };
            let doc = json!({
                "model": choice.label,
                "file": choice.file.display().to_string(),
                "registry_version": choice.version.as_ref().map(ToString::to_string),
                "inputs": tensors(&signature.inputs),
                "outputs": tensors(&signature.outputs),
                "ir_version": signature.provenance.ir_version,
                "opsets": signature.provenance.opsets.iter().map(|(d, v)| json!({"domain": d, "version": v})).collect::<Vec<_>>(),
                "producer": signature.provenance.producer,
                "producer_version": signature.provenance.producer_version,
                "metadata": signature.provenance.metadata,
                "version_mismatch": mismatch,
            });
            serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())? + "\n"
        }
        Output::Table => signature_text(&choice, signature, mismatch.as_deref()),
    })
}

/// The signature as the CLI prints it (the view draws the same facts).
fn signature_text(choice: &ModelChoice, sig: &Signature, mismatch: Option<&str>) -> String {
    let mut out = format!("MODEL     {}\nFILE      {}\n", choice.label, choice.file.display());
    let tensor_rows = |title: &str, specs: &[TensorSpec], out: &mut String| {
        out.push_str(&format!("{title}\n"));
        for t in specs {
            out.push_str(&format!("  {:<16} {:<8} {}\n", t.name, t.element, t.shape_words()));
        }
    };
    tensor_rows("INPUTS", &sig.inputs, &mut out);
    tensor_rows("OUTPUTS", &sig.outputs, &mut out);
    let ir = sig.provenance.ir_version.map_or("-".to_owned(), |v| v.to_string());
    out.push_str(&format!("IR        {ir}\nOPSETS    {}\n", sig.opset_words()));
    let producer = format!("{} {}", sig.provenance.producer, sig.provenance.producer_version);
    out.push_str(&format!("PRODUCER  {}\n", producer.trim()));
    if !sig.provenance.metadata.is_empty() {
        out.push_str("METADATA\n");
        for (k, v) in &sig.provenance.metadata {
            out.push_str(&format!("  {k} = {v}\n"));
        }
    }
    if let Some(mismatch) = mismatch {
        out.push_str(&format!("WARNING   {mismatch}\n"));
    }
    out
}

/// What `modeldeck predict` was asked.
pub struct PredictRequest {
    pub model: String,
    pub compare: Option<String>,
    pub source: InputSource,
    pub batch_size: Option<usize>,
    pub threads: Option<usize>,
    pub threshold: Option<f64>,
    pub output: PredictOutput,
    pub out: Option<PathBuf>,
}

/// How a run ended: its report (for stderr, or to follow a table), and
/// whether a signal stopped it before the input's end.
pub struct Finished {
    pub report: String,
    pub stopped_by: Option<&'static str>,
    pub rows: usize,
    pub out: Option<PathBuf>,
}

impl Finished {
    /// "stopped by SIGTERM after 4096 rows; predictions.csv holds rows 1-4096".
    pub fn stop_words(&self) -> Option<String> {
        let signal = self.stopped_by?;
        let rows = crate::text::count(self.rows, "row", "rows");
        Some(match &self.out {
            Some(path) if self.rows > 0 => format!(
                "stopped by {signal} after {rows}; {} is complete (rows 1-{})",
                path.display(),
                self.rows
            ),
            Some(path) => format!("stopped by {signal} before any row; {} holds no rows", path.display()),
            None => format!("stopped by {signal} after {rows}"),
        })
    }
}

/// Runs the request, writing rows to stdout (or `--out`) as they come,
/// until the input ends or SIGINT/SIGTERM asks it to stop.
pub fn predict(req: &PredictRequest, registry: &Path, settings: &PredictSettings) -> Result<Finished, String> {
    let threads = req.threads.unwrap_or(settings.threads);
    let (choice, model) = load(&req.model, registry, threads)?;
    let mut models = vec![Runnable {
        label: choice.label.clone(),
        model,
    }];
    if let Some(other) = &req.compare {
        let (choice, model) = load(other, registry, threads)?;
        models.push(Runnable {
            label: choice.label,
            model,
        });
    }
    prediction::check_comparable(&models).map_err(|e| e.to_string())?;
    let mut rows =
        predict_input::open(&req.source, &models[0].model.signature, &settings.samples).map_err(|e| e.to_string())?;
    let labels = Labels::of(&models);
    let threshold = req.threshold.unwrap_or(settings.threshold);
    let batch_size = req.batch_size.unwrap_or(settings.batch_size);
    let target = req.out.clone();
    let writer: Box<dyn RowWriter> = match &target {
        Some(path) => {
            check_out(path)?;
            writer_for(path, labels, create_partial(path)?)?
        }
        None => super::predict_out::stdout_writer(req.output, labels, Box::new(std::io::stdout().lock())),
    };
    let stop = StopSignal::listen();
    let run = RunSpec {
        models: &models,
        batch_size,
        threshold,
        progress: Progress::start(rows.as_ref(), target.is_none()),
    };
    let ran = run_into(&run, rows.as_mut(), writer, &stop);
    run.progress.finish();
    let summary = match (ran, &target) {
        (Ok(summary), Some(path)) => {
            std::fs::rename(partial(path), path).map_err(|e| format!("{}: {e}", path.display()))?;
            summary
        }
        (Ok(summary), None) => summary,
        // Nothing half-written stays behind.
        (Err(e), Some(path)) => {
            let _ = std::fs::remove_file(partial(path));
            return Err(e);
        }
        (Err(e), None) => return Err(e),
    };
    Ok(Finished {
        report: report(&models, &req.source, &summary),
        stopped_by: stop.caught().filter(|_| summary.stopped),
        rows: summary.rows,
        out: target,
    })
}

struct RunSpec<'a> {
    models: &'a [Runnable],
    batch_size: usize,
    threshold: f64,
    progress: Progress,
}

/// Every batch into `writer`, stopping between batches on a signal; the
/// writer is finished (a whole document) whether or not it stopped.
fn run_into(
    run: &RunSpec,
    rows: &mut dyn predict_input::Rows,
    mut writer: Box<dyn RowWriter>,
    stop: &StopSignal,
) -> Result<Summary, String> {
    let mut failed: Option<String> = None;
    let summary = prediction::run(
        run.models,
        rows,
        run.batch_size,
        run.threshold,
        |batch, answers, done| {
            if let Err(e) = writer.rows(batch, answers) {
                failed = Some(e);
                return ControlFlow::Break(());
            }
            run.progress.update(done);
            if stop.caught().is_some() {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        },
    )
    .map_err(|e| e.to_string())?;
    if let Some(e) = failed {
        return Err(e);
    }
    writer.finish(&summary, &report_json(run.models, &summary))?;
    Ok(summary)
}

/// `FILE.partial`: rows go there, and it becomes FILE only when whole.
fn partial(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

fn create_partial(path: &Path) -> Result<Box<dyn Write>, String> {
    let file = std::fs::File::create(partial(path)).map_err(|e| format!("{}: {e}", partial(path).display()))?;
    Ok(Box::new(std::io::BufWriter::new(file)))
}

/// The report in words: latency per model, and how two agreed.
pub fn report(models: &[Runnable], source: &InputSource, summary: &Summary) -> String {
    let mut out = format!(
        "{} of {}{}\n",
        crate::text::count(summary.rows, "row", "rows"),
        source.words(),
        if summary.stopped { " (stopped)" } else { "" }
    );
    for (m, latency) in models.iter().zip(&summary.latency) {
        out.push_str(&format!("{}: {}\n", m.label, latency.words()));
    }
    if let Some(a) = &summary.agreement {
        out.push_str(&format!("{}\n{}\n", a.words(), a.most_different_words(usize::MAX)));
    }
    out
}

fn report_json(models: &[Runnable], summary: &Summary) -> serde_json::Value {
    json!({
        "rows": summary.rows,
        "stopped": summary.stopped,
        "latency": models.iter().zip(&summary.latency).map(|(m, l)| json!({
            "model": m.label,
            "calls": l.calls,
            "ms_per_call": l.per_call_ms(),
            "ms_per_row": l.per_row_ms(),
        })).collect::<Vec<_>>(),
        "agreement": summary.agreement.as_ref().map(|a| json!({
            "threshold": a.threshold,
            "rows": a.rows,
            "agreeing": a.agreeing,
            "rate": a.rate(),
            "max_abs_diff": a.max_abs_diff,
            "mean_abs_diff": a.mean_abs_diff,
            "most_different": a.most_different.iter().map(|(r, d)| json!({"row": r + 1, "abs_diff": d})).collect::<Vec<_>>(),
        })),
    })
}
