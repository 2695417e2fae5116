//! The settings in `config/modeldeck.toml` and users' files.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use super::guard::{AlertRuleSettings, GuardSettings};
use super::keymap::KeymapFile;
pub use super::metrics::MetricsSettings;
use crate::app::ViewId;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub ui: UiSettings,
    pub registry: RegistrySettings,
    pub kubernetes: KubeSettings,
    pub logging: LoggingSettings,
    /// Per-context settings, by kubeconfig context name.
    pub contexts: std::collections::BTreeMap<String, ContextSettings>,
    pub canary: CanarySettings,
    /// Per-deployment traffic settings, by deployment name.
    pub rollouts: std::collections::BTreeMap<String, RolloutSettings>,
    pub metrics: MetricsSettings,
    /// Alert rules evaluated by modeldeck itself.
    pub alerts: Vec<AlertRuleSettings>,
    /// The opt-in automated rollback, by deployment name.
    pub guard: std::collections::BTreeMap<String, GuardSettings>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CanarySettings {
    /// Canary percents `canary step` moves through.
    pub ladder: Vec<u32>,
}

/// How a deployment's traffic is split, and between which backends.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RolloutSettings {
    pub router: RouterKind,
    /// The object holding the weights: HTTPRoute, VirtualService, canary
    /// Ingress or InferenceService name.
    pub route: String,
    /// Stable and canary backends (Service names for Gateway API and
    /// ingress-nginx, destination hosts or subsets for Istio).
    pub stable: String,
    pub canary: String,
    /// Overrides `canary.ladder` for this deployment.
    pub ladder: Vec<u32>,
    /// The backend that receives mirrored (shadow) requests.
    pub shadow: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RouterKind {
    /// Gateway API HTTPRoute `backendRefs[].weight`.
    #[default]
    GatewayApi,
    /// Istio VirtualService `http[].route[].weight`.
    Istio,
    /// ingress-nginx canary Ingress `canary-weight` annotation.
    IngressNginx,
    /// KServe InferenceService `spec.predictor.canaryTrafficPercent`.
    #[serde(rename = "kserve")]
    KServe,
    /// Replica ratio of two Deployments (stable, canary) behind one Service.
    Replicas,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ContextSettings {
    /// Every mutating action refused in this context.
    pub readonly: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UiSettings {
    pub theme: String,
    pub frame_rate: u16,
    pub ascii: bool,
    pub start_view: StartView,
}

/// Newtype so the settings can default without `ViewId` needing a default.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StartView(pub ViewId);

impl Default for StartView {
    fn default() -> Self {
        StartView(ViewId::Models)
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RegistrySettings {
    pub kind: RegistryKind,
    pub path: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistryKind {
    #[default]
    Local,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct KubeSettings {
    pub kubeconfig: String,
    /// Seconds to wait for the cluster before giving up.
    pub request_timeout: u64,
    pub context: String,
    pub namespace: String,
    pub readonly: bool,
    /// Where a pod template's version is read: "image" (its tag) or "label".
    pub version_from: crate::domain::version::VersionSource,
    /// The label that carries a version.
    pub version_label: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LoggingSettings {
    pub level: LogLevel,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Error,
    Warn,
    #[default]
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// A whole configuration file: the settings and the keymap.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ConfigFile {
    pub ui: UiSettings,
    pub registry: RegistrySettings,
    pub kubernetes: KubeSettings,
    pub logging: LoggingSettings,
    pub contexts: std::collections::BTreeMap<String, ContextSettings>,
    pub canary: CanarySettings,
    pub rollouts: std::collections::BTreeMap<String, RolloutSettings>,
    pub metrics: MetricsSettings,
    pub alerts: Vec<AlertRuleSettings>,
    pub guard: std::collections::BTreeMap<String, GuardSettings>,
    pub keymap: KeymapFile,
}

pub const FRAME_RATE_RANGE: std::ops::RangeInclusive<u16> = 1..=120;
