//! Controllers that make the simulated cluster behave like a real one:
//! Deployments roll out through ReplicaSets, ReplicaSets keep their pods,
//! pods become ready after a while (or never, for an image tagged to fail),
//! and objects whose owner is gone are collected. Each pass reads the store
//! and writes back; time comes from the store's clock, so tests step it.

mod deployment;
pub(crate) mod pod;
mod replicaset;

use std::collections::HashSet;
use std::time::Duration;

use serde_json::Value;

use super::resources::{self, ResourceType};
use super::store::{ObjectKey, Store};

/// How the simulated workloads behave.
#[derive(Debug, Clone)]
pub struct Behaviour {
    /// Simulated time from pod creation to ready.
    pub pod_ready_after: Duration,
    /// Images whose tag contains this never become ready (CrashLoopBackOff).
    pub failing_tag: String,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            pod_ready_after: Duration::from_secs(5),
            failing_tag: "fail".into(),
        }
    }
}

/// One pass of every controller. Several passes may be needed to settle:
/// like the real controllers, each reacts to what the previous one wrote.
pub fn reconcile(store: &mut Store, behaviour: &Behaviour) {
    collect_garbage(store);
    deployment::reconcile_all(store);
    replicaset::reconcile_all(store);
    pod::reconcile_all(store, behaviour);
    // Status of ReplicaSets and Deployments after pods moved.
    replicaset::reconcile_all(store);
    deployment::reconcile_all(store);
}

/// Deletes ReplicaSets and pods whose controlling owner no longer exists,
/// as the garbage collector does after a background-propagation delete.
fn collect_garbage(store: &mut Store) {
    let mut uids = HashSet::new();
    for ty in [resources::DEPLOYMENTS, resources::REPLICASETS] {
        for object in store.list(ty, None) {
            if let Some(uid) = object["metadata"]["uid"].as_str() {
                uids.insert(uid.to_owned());
            }
        }
    }
    for ty in [resources::REPLICASETS, resources::PODS] {
        let orphans: Vec<ObjectKey> = store
            .list(ty, None)
            .into_iter()
            .filter(|o| controller_uid(o).is_some_and(|uid| !uids.contains(uid)))
            .map(|o| key_of(ty, o))
            .collect();
        for key in orphans {
            let _ = store.delete(&key);
        }
    }
}

/// The uid in an object's controlling ownerReference.
pub(crate) fn controller_uid(object: &Value) -> Option<&str> {
    object["metadata"]["ownerReferences"]
        .as_array()?
        .iter()
        .find(|r| r["controller"] == true)
        .and_then(|r| r["uid"].as_str())
}

pub(crate) fn key_of(ty: ResourceType, object: &Value) -> ObjectKey {
    ObjectKey::new(
        ty,
        object["metadata"]["namespace"].as_str().unwrap_or_default(),
        object["metadata"]["name"].as_str().unwrap_or_default(),
    )
}

/// An ownerReference marking `owner` as the controller.
pub(crate) fn owner_reference(owner: &Value) -> Value {
    serde_json::json!({
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": true,
        "blockOwnerDeletion": true,
    })
}

pub(crate) fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

/// Seconds between two RFC 3339 timestamps held in objects (0 when either
/// is missing or unreadable).
pub(crate) fn seconds_since(then: &Value, now: jiff::Timestamp) -> i64 {
    then.as_str()
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map_or(0, |t| now.as_second() - t.as_second())
}
