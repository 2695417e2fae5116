//! The local file registry: a folder with a `registry.toml` manifest that
//! lists models, their versions, aliases, stages, run metrics and ONNX files.
//!
//! A manifest that cannot be read or parsed is an error. A version that is
//! wrong on its own (not semantic, unknown stage) or whose ONNX file is
//! missing is a problem: reported with file and line, while every other
//! version still loads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::domain::{Model, ModelVersion, RegistryLoad, RunMetrics, Stage};
use crate::text::clean;
use crate::text::line_col;

pub const MANIFEST: &str = "registry.toml";

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RegistryError {
    #[error("cannot read registry manifest {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("{path}:{line}:{col}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    schema: Spanned<u32>,
    #[serde(default)]
    models: Vec<ModelEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelEntry {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    versions: Vec<VersionEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionEntry {
    version: Spanned<String>,
    #[serde(default)]
    stage: Option<Spanned<String>>,
    #[serde(default)]
    aliases: Vec<String>,
    file: String,
    #[serde(default)]
    created: Option<Spanned<String>>,
    #[serde(default)]
    run_id: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    metrics: BTreeMap<String, f64>,
}

/// The manifest path for `location`, which may name the folder or the file.
pub fn manifest_path(location: &Path) -> PathBuf {
    if location.extension().is_some_and(|e| e == "toml") {
        location.to_path_buf()
    } else {
        location.join(MANIFEST)
    }
}

/// Reads and checks the registry at `location` (a folder or its manifest).
pub fn load(location: &Path) -> Result<RegistryLoad, RegistryError> {
    let manifest = manifest_path(location);
    let text = std::fs::read_to_string(&manifest).map_err(|e| RegistryError::Unreadable {
        path: manifest.clone(),
        reason: e.to_string(),
    })?;
    parse(&manifest, &text)
}

/// Parses manifest `text`; `manifest` names it in messages and anchors the
/// relative ONNX file paths.
pub fn parse(manifest: &Path, text: &str) -> Result<RegistryLoad, RegistryError> {
    let invalid = |offset: usize, message: String| {
        let (line, col) = line_col(text, offset);
        RegistryError::Invalid {
            path: manifest.to_path_buf(),
            line,
            col,
            message,
        }
    };
    let file: ManifestFile = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        invalid(offset, e.message().trim().to_owned())
    })?;
    if *file.schema.get_ref() != 1 {
        return Err(invalid(
            file.schema.span().start,
            format!("schema {} is not supported; expected schema = 1", file.schema.get_ref()),
        ));
    }
    let base = manifest.parent().unwrap_or(Path::new("."));
    let mut load = RegistryLoad {
        manifest: manifest.to_path_buf(),
        ..RegistryLoad::default()
    };
    let at = |offset: usize| {
        let (line, _) = line_col(text, offset);
        format!("{}:{line}", manifest.display())
    };
    for entry in file.models {
        let name = clean(&entry.name);
        let mut model = Model {
            name: name.clone(),
            description: clean(&entry.description),
            versions: Vec::new(),
        };
        for v in entry.versions {
            let raw = v.version.get_ref();
            let version = match semver::Version::parse(raw.trim()) {
                Ok(version) => version,
                Err(e) => {
                    load.problems.push(format!(
                        "{}: version {:?} of {name} is not semantic major.minor.patch ({e}); skipped",
                        at(v.version.span().start),
                        clean(raw),
                    ));
                    continue;
                }
            };
            let stage = match &v.stage {
                None => Stage::None,
                Some(s) => Stage::parse(s.get_ref()).unwrap_or_else(|| {
                    load.problems.push(format!(
                        "{}: stage {:?} of {name} {version} is not one of None, Staging, Production, Archived; shown as None",
                        at(s.span().start),
                        clean(s.get_ref()),
                    ));
                    Stage::None
                }),
            };
            let created = v.created.as_ref().and_then(|c| match c.get_ref().parse() {
                Ok(t) => Some(t),
                Err(e) => {
                    load.problems.push(format!(
                        "{}: created {:?} of {name} {version} is not an RFC 3339 time ({e})",
                        at(c.span().start),
                        clean(c.get_ref()),
                    ));
                    None
                }
            });
            let file = base.join(&v.file);
            let file_present = file.is_file();
            if !file_present {
                load.problems.push(format!(
                    "{}: ONNX file of {name} {version} is missing: {}",
                    at(v.version.span().start),
                    file.display()
                ));
            }
            model.versions.push(ModelVersion {
                version,
                stage,
                aliases: v.aliases.iter().map(|a| clean(a)).collect(),
                file,
                file_present,
                created,
                run_id: clean(&v.run_id),
                description: clean(&v.description),
                metrics: run_metrics(v.metrics),
                version_from: crate::domain::model::VersionFrom::Manifest,
                source: String::new(),
            });
        }
        model.sort_versions();
        load.models.push(model);
    }
    load.models.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(load)
}

pub(crate) fn run_metrics(mut all: BTreeMap<String, f64>) -> RunMetrics {
    RunMetrics {
        accuracy: all.remove("accuracy"),
        f1_score: all.remove("f1_score"),
        inference_time_ms: all.remove("inference_time_ms"),
        other: all.into_iter().map(|(k, v)| (clean(&k), v)).collect(),
    }
}
