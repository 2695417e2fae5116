//! `modeldeck models`: the Models view's list, for scripts.

use std::fmt::Write as _;

use serde::Serialize;

use crate::backends::local;
use crate::cli::Output;
use crate::domain::RegistryLoad;

#[derive(Serialize)]
struct VersionOut<'a> {
    model: &'a str,
    version: String,
    stage: &'static str,
    aliases: &'a [String],
    accuracy: Option<f64>,
    f1_score: Option<f64>,
    inference_time_ms: Option<f64>,
    created: Option<String>,
    file: String,
    file_present: bool,
    major_jump: bool,
}

/// The listing, and the problems to print on stderr. A registry that cannot
/// be read is an error.
pub fn list(location: &std::path::Path, output: Output) -> Result<(String, Vec<String>), String> {
    let load = local::load(location).map_err(|e| e.to_string())?;
    let text = match output {
        Output::Json => {
            let rows = rows(&load);
            serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())? + "\n"
        }
        Output::Table => table(&load),
    };
    Ok((text, load.problems))
}

fn rows(load: &RegistryLoad) -> Vec<VersionOut<'_>> {
    load.models
        .iter()
        .flat_map(|m| {
            m.versions.iter().enumerate().map(move |(i, v)| VersionOut {
                model: &m.name,
                version: v.version.to_string(),
                stage: v.stage.as_str(),
                aliases: &v.aliases,
                accuracy: v.metrics.accuracy,
                f1_score: v.metrics.f1_score,
                inference_time_ms: v.metrics.inference_time_ms,
                created: v.created.map(|t| t.to_string()),
                file: v.file.display().to_string(),
                file_present: v.file_present,
                major_jump: m.is_major_jump(i),
            })
        })
        .collect()
}

fn table(load: &RegistryLoad) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<16} {:<10} {:<11} {:<12} {:>6} {:>6} {:>8}  NOTE",
        "MODEL", "VERSION", "STAGE", "ALIASES", "ACC", "F1", "MS/ROW"
    );
    let num = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.3}"));
    for row in rows(load) {
        let mut note = Vec::new();
        if row.major_jump {
            note.push("major version jump");
        }
        if !row.file_present {
            note.push("ONNX file missing");
        }
        let _ = writeln!(
            out,
            "{:<16} {:<10} {:<11} {:<12} {:>6} {:>6} {:>8}  {}",
            row.model,
            row.version,
            row.stage,
            row.aliases.join(","),
            num(row.accuracy),
            num(row.f1_score),
            num(row.inference_time_ms),
            note.join("; ")
        );
    }
    out
}
