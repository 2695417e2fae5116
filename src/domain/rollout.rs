//! A deployment's rollout as the console shows it: status, revisions, pods.

use serde::Serialize;

use super::version::Versioned;
use crate::text::Clean;

/// Where a rollout stands, in Argo's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RolloutPhase {
    /// The controller has not seen the latest spec yet, or pods are moving.
    Progressing,
    /// Every replica is updated and available.
    Healthy,
    /// Paused by an operator.
    Paused,
    /// Past `progressDeadlineSeconds` without progress.
    Degraded,
}

impl RolloutPhase {
    /// Argo Rollouts' word for the phase.
    pub fn word(self) -> &'static str {
        match self {
            RolloutPhase::Progressing => "Progressing",
            RolloutPhase::Healthy => "Healthy",
            RolloutPhase::Paused => "Paused",
            RolloutPhase::Degraded => "Degraded",
        }
    }
}

/// The status of a rollout, with kubectl's own wording in `message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RolloutStatus {
    pub phase: RolloutPhase,
    /// Exactly what `kubectl rollout status` prints for this state.
    pub message: String,
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rollout {
    pub namespace: Clean,
    pub name: Clean,
    pub status: RolloutStatus,
    pub replicas: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
    pub revision: i64,
    /// What the pod template runs, by the site's version rule.
    #[serde(flatten)]
    pub version: Versioned,
    /// The pod template's labels (its track among them).
    #[serde(skip)]
    pub labels: std::collections::BTreeMap<Clean, Clean>,
    pub images: Vec<Clean>,
    pub strategy: Clean,
    /// The pod template's probes ("ready GET /health/ready :8000"); a
    /// pod's readiness is its readiness probe's verdict.
    pub probes: Vec<Clean>,
    pub paused: bool,
    pub created: Option<jiff::Timestamp>,
}

/// A rollout by (namespace, name): with every namespace listed, the name
/// alone does not say which one.
pub type RolloutKey = (String, String);

impl Rollout {
    /// The rollout's (namespace, name).
    pub fn key(&self) -> RolloutKey {
        (self.namespace.to_string(), self.name.to_string())
    }
}

/// What the cluster's watch last saw: every rollout, each configured
/// rollout's traffic, and what each Deployment is to those rollouts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClusterState {
    /// Sorted by (namespace, name).
    pub rollouts: Vec<Rollout>,
    pub traffic: std::collections::BTreeMap<RolloutKey, super::traffic::Traffic>,
    pub roles: std::collections::BTreeMap<RolloutKey, super::traffic::Role>,
    /// Every Service, by (namespace, name).
    pub services: Vec<RolloutKey>,
    /// Changes whenever any Service does (its resourceVersion): a
    /// blue-green switch changes a selector, not the list of names.
    pub services_changed: u64,
}

/// One entry of `kubectl rollout history`: a ReplicaSet of the deployment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Revision {
    pub number: i64,
    pub replica_set: Clean,
    pub images: Vec<Clean>,
    #[serde(flatten)]
    pub version: Versioned,
    pub change_cause: Option<Clean>,
    pub replicas: i32,
    pub ready: i32,
    pub created: Option<jiff::Timestamp>,
    /// Whether this is the revision the deployment runs now.
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PodSummary {
    pub name: Clean,
    pub ready: bool,
    /// Ready containers out of all, as kubectl shows "1/1".
    pub ready_containers: (usize, usize),
    pub restarts: i32,
    /// Phase, or the waiting reason (CrashLoopBackOff, ContainerCreating).
    pub status: Clean,
    pub revision_hash: Option<Clean>,
    pub created: Option<jiff::Timestamp>,
}
