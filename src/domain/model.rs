//! Registered models and their versions, whichever registry they came from.

use std::collections::BTreeMap;
use std::path::PathBuf;

use semver::Version;

/// A registered model with its versions, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub name: String,
    pub description: String,
    pub versions: Vec<ModelVersion>,
}

impl Model {
    /// Sorts versions newest first by semantic version precedence, so 2.1.10
    /// comes before 2.1.9.
    pub fn sort_versions(&mut self) {
        self.versions.sort_by(|a, b| b.version.cmp(&a.version));
    }

    /// True when version `index` (newest-first order) starts a new major
    /// version compared to the next older one: a breaking change in the
    /// seed's versioning scheme, worth an operator's second look.
    pub fn is_major_jump(&self, index: usize) -> bool {
        match (self.versions.get(index), self.versions.get(index + 1)) {
            (Some(newer), Some(older)) => newer.version.major > older.version.major,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModelVersion {
    pub version: Version,
    pub stage: Stage,
    pub aliases: Vec<String>,
    /// Where the ONNX file should be; `file_present` says whether it is.
    pub file: PathBuf,
    pub file_present: bool,
    pub created: Option<jiff::Timestamp>,
    pub run_id: String,
    pub description: String,
    pub metrics: RunMetrics,
    /// Where `version` came from: registries differ in what they know.
    pub version_from: VersionFrom,
    /// The registry's own word for where the model is (MLflow's `source`,
    /// e.g. `runs:/<run>/model`); empty for the local registry.
    pub source: String,
}

/// Where a version's semantic version was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VersionFrom {
    /// The local registry's manifest says it.
    #[default]
    Manifest,
    /// MLflow: the version's `semver` tag.
    SemverTag,
    /// MLflow: no `semver` tag, so its version number N, sorted as N.0.0.
    RegistryNumber,
}

/// MLflow's classic model stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stage {
    #[default]
    None,
    Staging,
    Production,
    Archived,
}

impl Stage {
    pub fn parse(s: &str) -> Option<Stage> {
        match s.to_ascii_lowercase().as_str() {
            "none" | "" => Some(Stage::None),
            "staging" => Some(Stage::Staging),
            "production" => Some(Stage::Production),
            "archived" => Some(Stage::Archived),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::None => "None",
            Stage::Staging => "Staging",
            Stage::Production => "Production",
            Stage::Archived => "Archived",
        }
    }
}

/// Run metrics logged with a version. The seed's three are named; any other
/// numeric metric is kept in `other`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunMetrics {
    pub accuracy: Option<f64>,
    pub f1_score: Option<f64>,
    pub inference_time_ms: Option<f64>,
    pub other: BTreeMap<String, f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(v: &str) -> ModelVersion {
        ModelVersion {
            version: Version::parse(v).unwrap(),
            stage: Stage::None,
            aliases: vec![],
            file: PathBuf::new(),
            file_present: true,
            created: None,
            run_id: String::new(),
            description: String::new(),
            metrics: RunMetrics::default(),
            version_from: VersionFrom::Manifest,
            source: String::new(),
        }
    }

    #[test]
    fn versions_sort_by_semver_not_by_text() {
        let mut model = Model {
            name: "m".into(),
            description: String::new(),
            versions: ["2.1.9", "10.0.0", "2.1.10", "2.1.10-rc.1", "1.9.3"]
                .into_iter()
                .map(version)
                .collect(),
        };
        model.sort_versions();
        let order: Vec<String> = model.versions.iter().map(|v| v.version.to_string()).collect();
        assert_eq!(order, ["10.0.0", "2.1.10", "2.1.10-rc.1", "2.1.9", "1.9.3"]);
        assert!(model.is_major_jump(0));
        assert!(!model.is_major_jump(1));
        assert!(model.is_major_jump(3));
        assert!(!model.is_major_jump(4));
    }
}

/// What a load found: the models, and the problems that did not stop it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RegistryLoad {
    pub manifest: PathBuf,
    pub models: Vec<Model>,
    pub problems: Vec<String>,
}

/// A model version a prediction runs: the file, and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelChoice {
    /// `malaria_lstm@2.1.0`, or the file's path.
    pub label: String,
    pub file: PathBuf,
    /// The registry's version, when it came from the registry.
    pub version: Option<Version>,
}

impl RegistryLoad {
    /// `NAME@VERSION` or `NAME@ALIAS` in this registry.
    pub fn choose(&self, spec: &str) -> Result<ModelChoice, String> {
        let Some((name, which)) = spec.split_once('@') else {
            return Err(format!("expected a file or NAME@VERSION or NAME@ALIAS, found {spec:?}"));
        };
        let names = || {
            self.models
                .iter()
                .map(|m| m.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let model = self.models.iter().find(|m| m.name == name).ok_or_else(|| {
            format!(
                "model {name:?}: expected one of the registry's ({}), found none",
                names()
            )
        })?;
        let version = model
            .versions
            .iter()
            .find(|v| Version::parse(which).is_ok_and(|w| w == v.version) || v.aliases.iter().any(|a| a == which))
            .ok_or_else(|| {
                let known: Vec<String> = model
                    .versions
                    .iter()
                    .map(|v| match v.aliases.as_slice() {
                        [] => v.version.to_string(),
                        aliases => format!("{} ({})", v.version, aliases.join(", ")),
                    })
                    .collect();
                format!("{spec}: expected a version or alias of {name}: {}", known.join(", "))
            })?;
        version.choice(name)
    }
}

impl ModelVersion {
    /// This version as a model to run (NAME@VERSION), if its file is there.
    pub fn choice(&self, model: &str) -> Result<ModelChoice, String> {
        if !self.file_present {
            return Err(format!(
                "{model}@{}: its ONNX file {} is missing",
                self.version,
                self.file.display()
            ));
        }
        Ok(ModelChoice {
            label: format!("{model}@{}", self.version),
            file: self.file.clone(),
            version: Some(self.version.clone()),
        })
    }
}
