//! The ReplicaSet controller: as many pods as `spec.replicas`, created from
//! the template and owned by the set; extra ones removed, not-ready first.

use serde_json::{Value, json};

use super::pod::ready_since;
use super::{controller_uid, int, key_of, owner_reference, seconds_since};
use crate::sim::resources;
use crate::sim::store::{Part, Store};

pub fn reconcile_all(store: &mut Store) {
    let sets: Vec<Value> = store.list(resources::REPLICASETS, None).into_iter().cloned().collect();
    for rs in sets {
        reconcile(store, &rs);
    }
}

fn reconcile(store: &mut Store, rs: &Value) {
    let Some(uid) = rs["metadata"]["uid"].as_str() else {
        return;
    };
    let namespace = rs["metadata"]["namespace"].as_str().unwrap_or_default();
    let mut pods: Vec<Value> = store
        .list(resources::PODS, Some(namespace))
        .into_iter()
        .filter(|p| controller_uid(p) == Some(uid))
        .cloned()
        .collect();
    let want = int(&rs["spec"]["replicas"]).max(0) as usize;
    if pods.len() < want {
        let name = rs["metadata"]["name"].as_str().unwrap_or_default();
        for _ in pods.len()..want {
            let template = &rs["spec"]["template"];
            let pod = json!({
                "metadata": {
                    "generateName": format!("{name}-"),
                    "labels": template["metadata"]["labels"],
                    "annotations": template["metadata"]["annotations"],
                    "ownerReferences": [owner_reference(rs)],
                },
                "spec": template["spec"],
            });
            if let Ok(created) = store.create(resources::PODS, namespace, pod) {
                pods.push(created);
            }
        }
    } else if pods.len() > want {
        // Not-ready pods go first, then the youngest, as the real controller
        // prefers to keep the pods that serve.
        pods.sort_by_key(|p| {
            (
                ready_since(p).is_some(),
                std::cmp::Reverse(
                    p["metadata"]["creationTimestamp"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                ),
            )
        });
        let extra = pods.len() - want;
        for pod in pods.drain(..extra) {
            let _ = store.delete(&key_of(resources::PODS, &pod));
        }
    }
    let now = store.now();
    let min_ready = int(&rs["spec"]["minReadySeconds"]);
    let ready = pods.iter().filter(|p| ready_since(p).is_some()).count();
    let available = pods
        .iter()
        .filter(|p| ready_since(p).is_some_and(|since| seconds_since(since, now) >= min_ready))
        .count();
    let status = json!({
        "replicas": pods.len(),
        "fullyLabeledReplicas": pods.len(),
        "readyReplicas": ready,
        "availableReplicas": available,
        "observedGeneration": rs["metadata"]["generation"],
    });
    if rs["status"] != status {
        let mut next = rs.clone();
        next["status"] = status;
        let _ = store.replace(&key_of(resources::REPLICASETS, rs), next, Part::Status);
    }
}
