//! Rollback with `kubectl rollout undo` semantics: the previous revision by
//! default or a chosen one; refused for a paused deployment; skipped when
//! the template already is that revision. The template and annotations are
//! restored with the same JSON Patch kubectl sends, plus the
//! resourceVersion that was read, so a concurrent change is a conflict.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use serde_json::{Value, json};

use super::permission::Permission;
use super::{Operation, OpsError, Plan, PlanOrSkip, Write, precondition};
use crate::backends::kube::Connection;
use crate::backends::kube::history::{replica_sets, revision_number};
use crate::backends::kube::objects;
use crate::backends::kube::rollouts::{self, REVISION_ANNOTATION};
use crate::zero::semantic;

pub const ACTION: &str = "rollback";
const HASH_LABEL: &str = "pod-template-hash";

/// Annotations kubectl keeps from the deployment instead of copying them
/// from the ReplicaSet.
const KEEP_FROM_DEPLOYMENT: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION_ANNOTATION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Rollback {
    pub deployment: String,
    /// None: the previous revision.
    pub to_revision: Option<i64>,
}

/// The set of the chosen revision, as kubectl's deploymentRevision picks it.
fn pick(sets: &[ReplicaSet], name: &str, to: Option<i64>) -> Result<ReplicaSet, OpsError> {
    if let Some(to) = to {
        return sets
            .iter()
            .find(|rs| revision_number(rs) == to)
            .cloned()
            .ok_or_else(|| {
                OpsError::NotFound(format!(
                    "unable to find specified revision {to} in the history of deployment {name:?}"
                ))
            });
    }
    let mut by_revision: Vec<&ReplicaSet> = sets.iter().filter(|rs| revision_number(rs) > 0).collect();
    by_revision.sort_by_key(|rs| std::cmp::Reverse(revision_number(rs)));
    by_revision
        .get(1)
        .map(|rs| (*rs).clone())
        .ok_or_else(|| OpsError::NotFound(format!("no rollout history found for deployment {name:?}")))
}

fn without_hash(template: &Value) -> Value {
    let mut template = template.clone();
    if let Some(labels) = template["metadata"]["labels"].as_object_mut() {
        labels.remove(HASH_LABEL);
    }
    template
}

fn summary_of(template: &Value, revision: i64) -> Value {
    let images: Vec<&Value> = template["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| &c["image"])
        .collect();
    json!({"revision": revision, "images": images, "version": template["metadata"]["labels"]["version"]})
}

fn describe(summary: &Value) -> String {
    let images: Vec<&str> = summary["images"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    match summary["version"].as_str() {
        Some(version) => format!("revision {} ({version}, {})", summary["revision"], images.join(", ")),
        None => format!("revision {} ({})", summary["revision"], images.join(", ")),
    }
}

pub fn plan_rollback(deployment: &Deployment, sets: &[ReplicaSet], to: Option<i64>) -> Result<PlanOrSkip, OpsError> {
    let name = deployment.metadata.name.clone().unwrap_or_default();
    let namespace = deployment.metadata.namespace.clone().unwrap_or_default();
    let d = serde_json::to_value(deployment).map_err(|e| OpsError::Refused(e.to_string()))?;
    if d["spec"]["paused"] == true {
        return Err(OpsError::Refused(format!(
            "deployment {namespace}/{name} is paused; resume it (kubectl rollout resume deployment/{name}) before rolling back"
        )));
    }
    let rs = pick(sets, &name, to)?;
    let target_revision = revision_number(&rs);
    let rs = serde_json::to_value(&rs).map_err(|e| OpsError::Refused(e.to_string()))?;
    let template = without_hash(&rs["spec"]["template"]);
    if semantic(&template) == semantic(&d["spec"]["template"]) {
        return Ok(PlanOrSkip::Skip(format!(
            "rollback of deployment {namespace}/{name}: the current template already matches revision {target_revision}"
        )));
    }
    let mut annotations: BTreeMap<String, Value> = BTreeMap::new();
    for key in KEEP_FROM_DEPLOYMENT {
        if let Some(v) = d["metadata"]["annotations"].get(key) {
            annotations.insert(key.to_owned(), v.clone());
        }
    }
    for (k, v) in rs["metadata"]["annotations"].as_object().into_iter().flatten() {
        if !KEEP_FROM_DEPLOYMENT.contains(&k.as_str()) {
            annotations.insert(k.clone(), v.clone());
        }
    }
    let current_revision = d["metadata"]["annotations"][REVISION_ANNOTATION]
        .as_str()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    let before = summary_of(&d["spec"]["template"], current_revision);
    let after = summary_of(&template, target_revision);
    let summary = format!(
        "roll back deployment {namespace}/{name} from {} to {}",
        describe(&before),
        describe(&after)
    );
    let mut changes = Vec::new();
    for key in ["images", "version"] {
        if before[key] != after[key] {
            changes.push((key.to_owned(), before[key].to_string(), after[key].to_string()));
        }
    }
    let patch = json!([
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
        precondition(&d),
    ]);
    Ok(PlanOrSkip::Plan(Box::new(Plan {
        summary,
        changes,
        before,
        after,
        read: vec![d],
        writes: vec![Write {
            kind: objects::DEPLOYMENT,
            name,
            patch,
        }],
    })))
}

impl Operation for Rollback {
    fn action(&self) -> &'static str {
        ACTION
    }

    fn target(&self, conn: &Connection) -> String {
        format!("deployment/{}/{}", conn.namespace, self.deployment)
    }

    fn permission(&self, conn: &Connection) -> Permission {
        Permission {
            verb: "patch",
            group: "apps",
            resource: "deployments",
            subresource: None,
            namespace: conn.namespace.clone(),
            name: self.deployment.clone(),
        }
    }

    async fn plan(&self, conn: &Connection) -> Result<PlanOrSkip, OpsError> {
        let deployment = rollouts::get(conn, &self.deployment).await?;
        let sets = replica_sets(conn, &deployment).await?;
        plan_rollback(&deployment, &sets, self.to_revision)
    }
}
