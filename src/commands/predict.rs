//! `modeldeck inspect` and `modeldeck predict`: the Predict view's
//! signature and runs, for scripts. Rows print as they are computed (a
//! table, CSV, or one JSON document), or stream to a file with `--out`.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::json;

use super::predict_out::{Labels, RowWriter, writer_for};
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

/// Runs the request, writing rows to stdout (or `--out`) as they come.
/// Returns the report for stderr (with `--out`) or to follow the rows.
pub fn predict(req: &PredictRequest, registry: &Path, settings: &PredictSettings) -> Result<String, String> {
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
    let mut rows =
        predict_input::open(&req.source, &models[0].model.signature, &settings.samples).map_err(|e| e.to_string())?;
    if let [a, b] = models.as_slice()
        && a.model.signature.inputs != b.model.signature.inputs
    {
        return Err(format!(
            "{} and {} take different inputs; expected the same signature to compare them",
            a.label, b.label
        ));
    }
    let labels = Labels::of(&models);
    let threshold = req.threshold.unwrap_or(settings.threshold);
    let batch_size = req.batch_size.unwrap_or(settings.batch_size);
    let (mut writer, target): (Box<dyn RowWriter>, Option<PathBuf>) = match &req.out {
        Some(path) => (writer_for(path, labels, create_partial(path)?)?, Some(path.clone())),
        None => (
            super::predict_out::stdout_writer(req.output, labels, Box::new(std::io::stdout().lock())),
            None,
        ),
    };
    let mut failed: Option<String> = None;
    let summary = prediction::run(
        &models,
        rows.as_mut(),
        batch_size,
        threshold,
        |batch, answers, _| match writer.rows(batch, answers) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                failed = Some(e);
                ControlFlow::Break(())
            }
        },
    );
    let summary = summary.map_err(|e| e.to_string())?;
    if let Some(e) = failed {
        return Err(e);
    }
    writer.finish(&summary, &report_json(&models, &summary))?;
    if let Some(path) = target {
        std::fs::rename(partial(&path), &path).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(report(&models, &req.source, &summary))
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
        out.push_str(&format!(
            "{}: {} in {}, {:.3} ms per call, {:.4} ms per row\n",
            m.label,
            crate::text::count(latency.rows, "row", "rows"),
            crate::text::count(latency.calls, "call", "calls"),
            latency.per_call_ms(),
            latency.per_row_ms(),
        ));
    }
    if let Some(a) = &summary.agreement {
        out.push_str(&format!(
            "agreement at {}: {}/{} rows ({:.1}%), max |diff| {:.4}, mean |diff| {:.4}\n",
            a.threshold,
            a.agreeing,
            a.rows,
            a.rate() * 100.0,
            a.max_abs_diff,
            a.mean_abs_diff
        ));
        let rows: Vec<String> = a
            .most_different
            .iter()
            .map(|(row, diff)| format!("{} ({diff:.4})", row + 1))
            .collect();
        out.push_str(&format!("rows that differ most: {}\n", rows.join(", ")));
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
