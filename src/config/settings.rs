//! The settings in `config/modeldeck.toml` and users' files.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use super::guard::{AlertRuleSettings, GuardSettings};
use super::keymap::KeymapFile;
pub use super::metrics::MetricsSettings;
use super::problem::Problem;
use super::tree::Segment;
use crate::domain::view_id::ViewId;

/// A whole configuration file, as the built-in defaults and the user's
/// file settle into it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub ui: UiSettings,
    pub registry: RegistrySettings,
    pub kubernetes: KubeSettings,
    pub logging: LoggingSettings,
    pub predict: PredictSettings,
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
    /// `[keymap]` as written; the bindings in force are the `Keymap`
    /// resolved from it and the built-in ones.
    #[serde(skip_serializing)]
    pub keymap: KeymapFile,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CanarySettings {
    /// Canary percents `canary step` moves through.
    pub ladder: Vec<u32>,
}

/// The traffic side of the settings: each rollout's `[rollouts.NAME]` and
/// `[canary] ladder` for rollouts without their own. What the watch reads
/// splits with and what operations are shaped by.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrafficSettings {
    pub rollouts: std::collections::BTreeMap<String, RolloutSettings>,
    pub ladder: Vec<u32>,
}

impl From<&Settings> for TrafficSettings {
    fn from(settings: &Settings) -> Self {
        TrafficSettings {
            rollouts: settings.rollouts.clone(),
            ladder: settings.canary.ladder.clone(),
        }
    }
}

impl TrafficSettings {
    /// The ladder `deployment`'s canary steps along.
    pub fn ladder_of(&self, deployment: &str) -> &[u32] {
        ladder_for(self.rollouts.get(deployment), &self.ladder)
    }
}

/// The ladder a deployment's canary steps along: its own when its settings
/// name one, else `default_ladder` (`[canary]`'s). The one place that
/// decides it; `modeldeck info` prints what this returns.
pub fn ladder_for<'a>(settings: Option<&'a RolloutSettings>, default_ladder: &'a [u32]) -> &'a [u32] {
    settings
        .map(|s| s.ladder.as_slice())
        .filter(|l| !l.is_empty())
        .unwrap_or(default_ladder)
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
#[serde(default, deny_unknown_fields)]
pub struct ContextSettings {
    /// Every mutating action refused in this context.
    pub readonly: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
#[serde(default, deny_unknown_fields)]
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

impl KubeSettings {
    /// The namespace to work in: the configured one, else `default`, as
    /// kubectl does without one.
    pub fn namespace_or_default(&self) -> String {
        Some(self.namespace.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "default".into())
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
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

/// Local ONNX predictions: where the named samples are, and how models run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PredictSettings {
    /// The folder of named samples (`--sample NAME` is NAME.json there).
    pub samples: PathBuf,
    /// Intra-op threads of each model's session.
    pub threads: usize,
    /// Rows per runtime call.
    pub batch_size: usize,
    /// Two versions agree on a row when both scores fall on the same side.
    pub threshold: f64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
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

pub const FRAME_RATE_RANGE: std::ops::RangeInclusive<u16> = 1..=120;

/// The first number out of its range: it falls back to the built-in value
/// (or, in a `[rollouts.NAME]`, leaves that rollout out).
pub(super) fn range_problem(file: &Settings) -> Option<Problem> {
    let key = |path: &[&str]| path.iter().map(|k| Segment::key(k)).collect::<Vec<_>>();
    let at_least = |path: &[&str], min: u64, found: u64| {
        (found < min).then(|| Problem::key(key(path), format!("expected {min} or more, found {found}")))
    };
    let rate = file.ui.frame_rate;
    if !FRAME_RATE_RANGE.contains(&rate) {
        let (low, high) = (FRAME_RATE_RANGE.start(), FRAME_RATE_RANGE.end());
        return Some(Problem::key(
            key(&["ui", "frame_rate"]),
            format!("expected a rate from {low} to {high} per second, found {rate}"),
        ));
    }
    let metrics = &file.metrics;
    at_least(&["metrics", "refresh"], 1, metrics.refresh)
        .or_else(|| at_least(&["metrics", "timeout"], 1, metrics.timeout))
        .or_else(|| at_least(&["metrics", "concurrency"], 1, metrics.concurrency as u64))
        .or_else(|| at_least(&["metrics", "scrape", "samples"], 2, metrics.scrape.samples as u64))
        .or_else(|| at_least(&["predict", "threads"], 1, file.predict.threads as u64))
        .or_else(|| at_least(&["predict", "batch_size"], 1, file.predict.batch_size as u64))
        .or_else(|| ladder_problem(&file.canary.ladder).map(|m| Problem::key(key(&["canary", "ladder"]), m)))
        .or_else(|| {
            file.rollouts.iter().find_map(|(name, rollout)| {
                ladder_problem(&rollout.ladder)
                    .map(|m| Problem::entry(key(&["rollouts", name]), &[Segment::key("ladder")], m))
            })
        })
}

fn ladder_problem(ladder: &[u32]) -> Option<String> {
    let bad = ladder.iter().find(|p| !(1..=100).contains(*p))?;
    Some(format!("expected percents from 1 to 100, found {bad}"))
}
