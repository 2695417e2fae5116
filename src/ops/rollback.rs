//! Rollback with `kubectl rollout undo` semantics: the previous revision by
//! default or a chosen one; refused for a paused deployment; skipped when
//! the template already is that revision. The template and annotations are
//! restored with the same JSON Patch kubectl sends, plus the
//! resourceVersion that was read, so a concurrent change is a conflict.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use serde_json::{Value, json};

use super::permission::Permission;
use super::{Change, Operation, OpsError, Plan, PlanOrSkip, Write, precondition, promote};
use crate::backends::kube::Connection;
use crate::backends::kube::history::{replica_sets, revision_number};
use crate::backends::kube::objects;
use crate::backends::kube::rollouts::{self, REVISION_ANNOTATION};
use crate::domain::version::VersionRule;
use crate::text::Clean;
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
    /// The deployment's traffic settings: undoing a promotion also gives
    /// the canary its old weight back through them.
    pub traffic: Option<crate::config::settings::RolloutSettings>,
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

/// A revision as the plan and the audit line name it: its number, images
/// and version (by the site's rule, with a disagreeing label named).
fn summary_of(template: &Value, revision: i64, versions: &VersionRule) -> Value {
    let images: Vec<&Value> = template["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| &c["image"])
        .collect();
    let mut summary = json!({"revision": revision, "images": images});
    if let Ok(Value::Object(version)) = serde_json::to_value(objects::version_of(versions, template)) {
        summary
            .as_object_mut()
            .into_iter()
            .for_each(|s| s.extend(version.clone()));
    }
    summary
}

/// "revision 2 (2.1.1, label version=v2.1.0 disagrees; ghcr.io/…:2.1.1)".
fn describe(summary: &Value) -> String {
    let images: Vec<&str> = summary["images"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let images = images.join(", ");
    let revision = &summary["revision"];
    match (summary["version"].as_str(), summary["version_disagrees"].as_str()) {
        (Some(version), Some(other)) => format!("revision {revision} ({version}, {other} disagrees; {images})"),
        (Some(version), None) => format!("revision {revision} ({version}, {images})"),
        (None, _) => format!("revision {revision} ({images})"),
    }
}

pub fn plan_rollback(
    deployment: &Deployment,
    sets: &[ReplicaSet],
    to: Option<i64>,
    versions: &VersionRule,
) -> Result<PlanOrSkip, OpsError> {
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
    let before = summary_of(&d["spec"]["template"], current_revision, versions);
    let after = summary_of(&template, target_revision, versions);
    let summary = format!(
        "roll back deployment {namespace}/{name} from {} to {}",
        describe(&before),
        describe(&after)
    );
    let mut changes = Vec::new();
    let version = |s: &Value| {
        let name = s["version"].as_str().unwrap_or("-");
        match s["version_disagrees"].as_str() {
            Some(other) => format!("{name} ({other} disagrees)"),
            None => name.to_owned(),
        }
    };
    let images = |s: &Value| {
        s["images"].as_array().map_or(String::new(), |i| {
            i.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")
        })
    };
    if before["images"] != after["images"] {
        changes.push(Change::new("images", images(&before), images(&after)));
    }
    if version(&before) != version(&after) {
        changes.push(Change::new("version", version(&before), version(&after)));
    }
    let patch = json!([
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
        precondition(&d),
    ]);
    Ok(PlanOrSkip::Plan(Box::new(Plan {
        summary: Clean::new(&summary),
        changes,
        before,
        after,
        read: vec![d],
        writes: vec![Write::new(objects::DEPLOYMENT, &name, patch)],
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
        Permission::patch(&objects::DEPLOYMENT, &conn.namespace, &self.deployment)
    }

    async fn plan(&self, conn: &Connection) -> Result<PlanOrSkip, OpsError> {
        let deployment = rollouts::get(conn, &self.deployment).await?;
        let sets = replica_sets(conn, &deployment).await?;
        let plan = plan_rollback(&deployment, &sets, self.to_revision, &conn.versions)?;
        // Undoing a promotion undoes all of it: Service and weight too.
        let d = serde_json::to_value(&deployment).map_err(|e| OpsError::Refused(e.to_string()))?;
        match (plan, promote::recorded(&d, &conn.versions)) {
            (PlanOrSkip::Plan(plan), Some(record)) if plan.after["revision"].as_i64() == Some(record.from_revision) => {
                let router = self.traffic.as_ref().map(crate::backends::kube::routers::for_rollout);
                promote::undo_plan(conn, &d, &record, *plan, router.as_deref()).await
            }
            (plan, _) => Ok(plan),
        }
    }
}
