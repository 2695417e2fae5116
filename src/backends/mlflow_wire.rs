//! MLflow's REST answers as they come over the wire, decoded defensively:
//! the server leaves out empty fields (a version with no aliases has no
//! `aliases` key), sends int64 as numbers, and a NaN metric as the string
//! "NaN". Every field has a default, so a missing one is never an error.

use serde::{Deserialize, Deserializer};

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// An alias as a registered model lists it.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct AliasEntry {
    pub alias: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct RegisteredModel {
    pub name: String,
    pub description: String,
    pub creation_timestamp: i64,
    pub last_updated_timestamp: i64,
    pub tags: Vec<Tag>,
    pub aliases: Vec<AliasEntry>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct ModelVersion {
    pub name: String,
    pub version: String,
    pub creation_timestamp: i64,
    pub last_updated_timestamp: i64,
    pub current_stage: String,
    pub description: String,
    pub source: String,
    pub run_id: String,
    pub status: String,
    pub status_message: String,
    pub tags: Vec<Tag>,
    pub aliases: Vec<String>,
    pub user_id: String,
    /// MLflow 3: the LoggedModel a version was registered from.
    pub model_id: String,
}

impl ModelVersion {
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags.iter().find(|t| t.key == key).map(|t| t.value.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct Metric {
    pub key: String,
    #[serde(deserialize_with = "number_or_word")]
    pub value: f64,
    pub timestamp: i64,
    pub step: i64,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct RunInfo {
    pub run_id: String,
    pub experiment_id: String,
    pub status: String,
    pub artifact_uri: String,
    pub start_time: i64,
    pub end_time: i64,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct RunData {
    pub metrics: Vec<Metric>,
    pub params: Vec<Tag>,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct Run {
    pub info: RunInfo,
    pub data: RunData,
}

impl Run {
    /// The run's last value of each metric, by name.
    pub fn metric(&self, key: &str) -> Option<f64> {
        self.data.metrics.iter().rev().find(|m| m.key == key).map(|m| m.value)
    }
}

/// MLflow 3's LoggedModel: where a `models:/<model_id>` source lives.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct LoggedModelInfo {
    pub model_id: String,
    pub name: String,
    pub artifact_location: String,
    pub source_run_id: String,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct LoggedModel {
    pub info: LoggedModelInfo,
}

/// One page of a search, and the token for the next (empty: the last).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page_token: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RegisteredModelsPage {
    pub registered_models: Vec<RegisteredModel>,
    pub next_page_token: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ModelVersionsPage {
    pub model_versions: Vec<ModelVersion>,
    pub next_page_token: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct OneRegisteredModel {
    pub registered_model: RegisteredModel,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct OneModelVersion {
    pub model_version: ModelVersion,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct OneRun {
    pub run: Run,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct DownloadUri {
    pub artifact_uri: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct OneLoggedModel {
    pub model: LoggedModel,
}

/// MLflow's error body: `{"error_code": "...", "message": "..."}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ErrorBody {
    pub error_code: String,
    pub message: String,
}

/// A number, or the words JSON cannot carry as one ("NaN", "Infinity").
fn number_or_word<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Number(f64),
        Word(String),
    }
    Ok(match Either::deserialize(d)? {
        Either::Number(n) => n,
        Either::Word(w) => match w.as_str() {
            "Infinity" | "inf" => f64::INFINITY,
            "-Infinity" | "-inf" => f64::NEG_INFINITY,
            other => other.parse().unwrap_or(f64::NAN),
        },
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn missing_fields_and_nan_metrics_decode() {
        let version: OneModelVersion =
            serde_json::from_str(r#"{"model_version": {"name": "m", "version": "3", "current_stage": "None"}}"#)
                .unwrap();
        assert_eq!(version.model_version.version, "3");
        assert!(version.model_version.aliases.is_empty());
        let run: OneRun = serde_json::from_str(
            r#"{"run": {"info": {"run_id": "r"}, "data": {"metrics": [
                {"key": "accuracy", "value": 0.9}, {"key": "loss", "value": "NaN"},
                {"key": "big", "value": "Infinity"}]}}}"#,
        )
        .unwrap();
        assert_eq!(run.run.metric("accuracy"), Some(0.9));
        assert!(run.run.metric("loss").unwrap().is_nan());
        assert_eq!(run.run.metric("big"), Some(f64::INFINITY));
        assert_eq!(run.run.metric("absent"), None);
    }
}
