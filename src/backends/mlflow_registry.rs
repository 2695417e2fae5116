//! An MLflow tracking server's registry as the console's `RegistryLoad`,
//! the one shape both registries give: each registered model's versions
//! with stage, aliases, run metrics and the semantic version they sort by.
//!
//! The semantic version is the version's `semver` tag; without one, its
//! MLflow version number N sorts as N.0.0 and `version_from` says so (the
//! file's own `version` metadata is the next rule, once artifacts are
//! fetched). Aliases come from the registered model: search leaves them
//! out of its versions.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::local::run_metrics;
use super::mlflow::{Mlflow, MlflowError, ModelVersion as WireVersion, RegisteredModel, Run};
use crate::domain::model::{Model, ModelVersion, RegistryLoad, Stage, VersionFrom};
use crate::text::clean;

/// Run reads in flight at once.
const RUNS_AT_ONCE: usize = 8;

/// Every registered model with its versions and their runs' metrics. A
/// run that cannot be read is a problem on the load, not a failure of it.
pub async fn load(mlflow: &Mlflow) -> Result<RegistryLoad, MlflowError> {
    let mut read = Vec::new();
    let mut problems = Vec::new();
    for model in mlflow.all_registered_models(None).await? {
        let versions = mlflow.all_model_versions(&model.name).await?;
        let mut with_runs = Vec::with_capacity(versions.len());
        for chunk in versions.chunks(RUNS_AT_ONCE) {
            let runs = futures_util::future::join_all(chunk.iter().map(|v| async move {
                if v.run_id.is_empty() {
                    return Ok(None);
                }
                mlflow.get_run(&v.run_id).await.map(Some)
            }))
            .await;
            for (v, run) in chunk.iter().zip(runs) {
                let run = run.unwrap_or_else(|e| {
                    problems.push(format!("{}/{}: run {}: {e}", model.name, v.version, v.run_id));
                    None
                });
                with_runs.push((v.clone(), run));
            }
        }
        read.push((model, with_runs));
    }
    let mut load = registry_from(mlflow.uri(), read);
    load.problems.splice(0..0, problems.into_iter().map(|p| clean(&p)));
    Ok(load)
}

/// One registered model as read: its versions, each with its run.
pub type ModelRead = (RegisteredModel, Vec<(WireVersion, Option<Run>)>);

/// The registry from what was read (pure).
pub fn registry_from(uri: &str, read: Vec<ModelRead>) -> RegistryLoad {
    let mut load = RegistryLoad {
        manifest: PathBuf::from(uri),
        ..RegistryLoad::default()
    };
    for (registered, versions) in read {
        let name = clean(&registered.name);
        let mut aliases: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for a in &registered.aliases {
            aliases.entry(a.version.as_str()).or_default().push(clean(&a.alias));
        }
        let mut model = Model {
            name: name.clone(),
            description: clean(&registered.description),
            versions: Vec::new(),
        };
        for (v, run) in versions {
            let Some((version, version_from)) = semantic_version(&v) else {
                load.problems.push(format!(
                    "{name} version {:?}: expected a semver tag or a version number; skipped",
                    clean(&v.version)
                ));
                continue;
            };
            if version_from == VersionFrom::RegistryNumber {
                load.problems.push(format!(
                    "{name} version {}: no semver tag; sorted as {version}",
                    clean(&v.version)
                ));
            }
            let stage = Stage::parse(&v.current_stage).unwrap_or_else(|| {
                load.problems.push(format!(
                    "{name} version {}: unknown stage {:?}; shown as None",
                    clean(&v.version),
                    clean(&v.current_stage)
                ));
                Stage::None
            });
            let metrics = run
                .map(|r| r.data.metrics.iter().map(|m| (m.key.clone(), m.value)).collect())
                .unwrap_or_default();
            model.versions.push(ModelVersion {
                version,
                stage,
                aliases: aliases.get(v.version.as_str()).cloned().unwrap_or_default(),
                // The artifact is not fetched here.
                file: PathBuf::new(),
                file_present: false,
                created: jiff::Timestamp::from_millisecond(v.creation_timestamp).ok(),
                run_id: clean(&v.run_id),
                description: clean(&v.description),
                metrics: run_metrics(metrics),
                version_from,
                source: clean(&v.source),
            });
        }
        model.sort_versions();
        load.models.push(model);
    }
    load.models.sort_by(|a, b| a.name.cmp(&b.name));
    load
}

/// The `semver` tag, else the version number N as N.0.0.
fn semantic_version(v: &WireVersion) -> Option<(semver::Version, VersionFrom)> {
    if let Some(tag) = v.tag("semver")
        && let Ok(version) = semver::Version::parse(tag.trim().trim_start_matches('v'))
    {
        return Some((version, VersionFrom::SemverTag));
    }
    let n: u64 = v.version.trim().parse().ok()?;
    Some((semver::Version::new(n, 0, 0), VersionFrom::RegistryNumber))
}
