//! The Deployment controller: one ReplicaSet per pod template, numbered by
//! `deployment.kubernetes.io/revision`; rolling updates bounded by
//! `maxSurge`/`maxUnavailable` (or Recreate); paused deployments left alone;
//! old sets pruned to `revisionHistoryLimit`; status and the
//! Available/Progressing conditions kept as `kubectl rollout status` reads
//! them, including ProgressDeadlineExceeded.

use serde_json::{Value, json};

use super::{controller_uid, int, key_of, owner_reference, seconds_since};
use crate::sim::resources;
use crate::sim::store::{Part, Store};
use crate::zero::semantic;

pub const REVISION: &str = "deployment.kubernetes.io/revision";
const HASH_LABEL: &str = "pod-template-hash";
const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";

pub fn reconcile_all(store: &mut Store) {
    let deployments: Vec<Value> = store.list(resources::DEPLOYMENTS, None).into_iter().cloned().collect();
    for deployment in deployments {
        reconcile(store, &deployment);
    }
}

fn owned_sets(store: &Store, deployment: &Value) -> Vec<Value> {
    let uid = deployment["metadata"]["uid"].as_str();
    let namespace = deployment["metadata"]["namespace"].as_str();
    let mut sets: Vec<Value> = store
        .list(resources::REPLICASETS, namespace)
        .into_iter()
        .filter(|rs| controller_uid(rs).is_some() && controller_uid(rs) == uid)
        .cloned()
        .collect();
    sets.sort_by_key(revision);
    sets
}

pub fn revision(object: &Value) -> i64 {
    object["metadata"]["annotations"][REVISION]
        .as_str()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

/// The template without the hash label the controller adds and without Go
/// zero values, to compare a set's template with the deployment's the way
/// the real controller does (semantically): `rollout undo` sends back a
/// template carrying `creationTimestamp: null` and `resources: {}`.
fn template_without_hash(template: &Value) -> Value {
    let mut template = semantic(template);
    if let Some(labels) = template["metadata"]["labels"].as_object_mut() {
        labels.remove(HASH_LABEL);
    }
    template
}

/// FNV-32a of the template's canonical JSON, spelled in Kubernetes's safe
/// alphabet (no vowels, no look-alikes), as `pod-template-hash` is.
pub fn template_hash(template: &Value) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut hash: u32 = 0x811c_9dc5;
    for byte in semantic(template).to_string().bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash.to_string()
        .bytes()
        .map(|b| ALPHABET[usize::from(b) % ALPHABET.len()] as char)
        .collect()
}

/// Resolves an int-or-percent against `total`, rounding up or down.
fn int_or_percent(value: &Value, total: i64, round_up: bool) -> i64 {
    match value {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(s) => match s.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) {
            Some(p) if round_up => p.saturating_mul(total).saturating_add(99) / 100,
            Some(p) => p.saturating_mul(total) / 100,
            None => s.parse().unwrap_or(0),
        },
        _ => 0,
    }
}

fn reconcile(store: &mut Store, deployment: &Value) {
    let template = &deployment["spec"]["template"];
    let replicas = int(&deployment["spec"]["replicas"]).max(0);
    let paused = deployment["spec"]["paused"] == true;
    let mut sets = owned_sets(store, deployment);
    let max_revision = sets.iter().map(revision).max().unwrap_or(0);
    let current = sets
        .iter()
        .position(|rs| template_without_hash(&rs["spec"]["template"]) == template_without_hash(template));
    let mut created_set = None;

    let new_index = match current {
        Some(i) => {
            // Rolling back to an older template makes it the newest revision.
            if revision(&sets[i]) < max_revision && !paused {
                let mut rs = sets[i].clone();
                rs["metadata"]["annotations"][REVISION] = json!((max_revision + 1).to_string());
                copy_change_cause(deployment, &mut rs);
                if let Ok(updated) = store.replace(&key_of(resources::REPLICASETS, &rs), rs, Part::Whole) {
                    sets[i] = updated;
                }
            }
            Some(i)
        }
        None if !paused => match create_set(store, deployment, max_revision + 1) {
            Some(rs) => {
                created_set = rs["metadata"]["name"].as_str().map(str::to_owned);
                sets.push(rs);
                Some(sets.len() - 1)
            }
            None => None,
        },
        None => None,
    };

    if !paused && let Some(n) = new_index {
        scale(store, deployment, &mut sets, n, replicas);
        prune_history(store, deployment, &sets, n);
        sets = owned_sets(store, deployment);
    }
    let new_set = sets
        .iter()
        .find(|rs| template_without_hash(&rs["spec"]["template"]) == template_without_hash(template));
    write_status(store, deployment, &sets, new_set, created_set.as_deref());
}

fn copy_change_cause(deployment: &Value, rs: &mut Value) {
    if let Some(cause) = deployment["metadata"]["annotations"].get(CHANGE_CAUSE) {
        rs["metadata"]["annotations"][CHANGE_CAUSE] = cause.clone();
    }
}

fn create_set(store: &mut Store, deployment: &Value, revision: i64) -> Option<Value> {
    let name = deployment["metadata"]["name"].as_str()?;
    let namespace = deployment["metadata"]["namespace"].as_str()?;
    let template = &deployment["spec"]["template"];
    let hash = template_hash(template);
    let mut rs_template = template.clone();
    rs_template["metadata"]["labels"][HASH_LABEL] = json!(hash);
    let mut selector = deployment["spec"]["selector"].clone();
    selector["matchLabels"][HASH_LABEL] = json!(hash);
    let mut labels = template["metadata"]["labels"].clone();
    labels[HASH_LABEL] = json!(hash);
    let replicas = int(&deployment["spec"]["replicas"]);
    let mut rs = json!({
        "metadata": {
            "name": format!("{name}-{hash}"),
            "labels": labels,
            "annotations": {
                REVISION: revision.to_string(),
                "deployment.kubernetes.io/desired-replicas": replicas.to_string(),
                "deployment.kubernetes.io/max-replicas": replicas.to_string(),
            },
            "ownerReferences": [owner_reference(deployment)],
        },
        "spec": {
            "replicas": 0,
            "minReadySeconds": deployment["spec"]["minReadySeconds"].as_i64().unwrap_or(0),
            "selector": selector,
            "template": rs_template,
        },
    });
    copy_change_cause(deployment, &mut rs);
    store.create(resources::REPLICASETS, namespace, rs).ok()
}

fn set_replicas(store: &mut Store, rs: &mut Value, replicas: i64) {
    if int(&rs["spec"]["replicas"]) == replicas {
        return;
    }
    let mut next = rs.clone();
    next["spec"]["replicas"] = json!(replicas);
    if let Ok(updated) = store.replace(&key_of(resources::REPLICASETS, rs), next, Part::Whole) {
        *rs = updated;
    }
}

/// Moves replicas from the old sets to the new one within the strategy's
/// bounds, as the real controller's reconcileNewReplicaSet and
/// reconcileOldReplicaSets do.
fn scale(store: &mut Store, deployment: &Value, sets: &mut [Value], new: usize, replicas: i64) {
    let strategy = &deployment["spec"]["strategy"];
    let old: Vec<usize> = (0..sets.len()).filter(|&i| i != new).collect();
    if strategy["type"] == "Recreate" {
        for &i in &old {
            set_replicas(store, &mut sets[i], 0);
        }
        let old_pods: i64 = old.iter().map(|&i| int(&sets[i]["status"]["replicas"])).sum();
        if old_pods == 0 {
            set_replicas(store, &mut sets[new], replicas);
        }
        return;
    }
    let rolling = &strategy["rollingUpdate"];
    let surge = int_or_percent(&rolling["maxSurge"], replicas, true);
    let mut unavailable = int_or_percent(&rolling["maxUnavailable"], replicas, false);
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    let spec_total = |sets: &[Value]| sets.iter().map(|rs| int(&rs["spec"]["replicas"])).sum::<i64>();

    // Scale up the new set, up to replicas + maxSurge in all.
    let new_replicas = int(&sets[new]["spec"]["replicas"]);
    let old_total: i64 = old.iter().map(|&i| int(&sets[i]["spec"]["replicas"])).sum();
    let target = if old_total == 0 {
        replicas
    } else if new_replicas < replicas {
        let room = replicas.saturating_add(surge).saturating_sub(spec_total(sets)).max(0);
        (new_replicas + room).min(replicas)
    } else {
        replicas
    };
    set_replicas(store, &mut sets[new], target);

    // Scale down old sets while at least replicas - maxUnavailable stay
    // available: unhealthy old pods first, then the oldest sets.
    let min_available = replicas - unavailable;
    let new_unavailable = int(&sets[new]["spec"]["replicas"]) - available_within_spec(&sets[new]);
    let mut budget = spec_total(sets) - min_available - new_unavailable;
    for &i in &old {
        if budget <= 0 {
            break;
        }
        let spec = int(&sets[i]["spec"]["replicas"]);
        let unhealthy = (spec - available_within_spec(&sets[i])).clamp(0, budget);
        if unhealthy > 0 {
            set_replicas(store, &mut sets[i], spec - unhealthy);
            budget -= unhealthy;
        }
    }
    // A set's status may still count pods its lowered spec has condemned;
    // counting them would scale down twice on one observation.
    let available: i64 = sets.iter().map(available_within_spec).sum();
    let mut budget = available - min_available;
    for &i in &old {
        if budget <= 0 {
            break;
        }
        let spec = int(&sets[i]["spec"]["replicas"]);
        let down = spec.min(budget);
        if down > 0 {
            set_replicas(store, &mut sets[i], spec - down);
            budget -= down;
        }
    }
}

fn available_within_spec(rs: &Value) -> i64 {
    int(&rs["status"]["availableReplicas"]).min(int(&rs["spec"]["replicas"]))
}

/// Deletes the oldest scaled-down sets beyond `revisionHistoryLimit`.
fn prune_history(store: &mut Store, deployment: &Value, sets: &[Value], new: usize) {
    let limit = deployment["spec"]["revisionHistoryLimit"].as_i64().unwrap_or(10).max(0) as usize;
    let idle: Vec<&Value> = sets
        .iter()
        .enumerate()
        .filter(|(i, rs)| *i != new && int(&rs["spec"]["replicas"]) == 0 && int(&rs["status"]["replicas"]) == 0)
        .map(|(_, rs)| rs)
        .collect();
    if idle.len() > limit {
        // `sets` is in revision order, so the first idle ones are the oldest.
        for rs in &idle[..idle.len() - limit] {
            let _ = store.delete(&key_of(resources::REPLICASETS, rs));
        }
    }
}

fn write_status(store: &mut Store, deployment: &Value, sets: &[Value], new: Option<&Value>, created: Option<&str>) {
    let now = store.now();
    let replicas = int(&deployment["spec"]["replicas"]);
    let sum = |field: &str| sets.iter().map(|rs| int(&rs["status"][field])).sum::<i64>();
    let (total, ready, available) = (sum("replicas"), sum("readyReplicas"), sum("availableReplicas"));
    let updated = new.map_or(0, |rs| int(&rs["status"]["replicas"]));
    let unavailable = int_or_percent(
        &deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"],
        replicas,
        false,
    );
    let new_name = new.and_then(|rs| rs["metadata"]["name"].as_str()).unwrap_or_default();
    let old = &deployment["status"];

    let available_ok = available >= replicas - unavailable;
    let available_condition = condition(
        old,
        "Available",
        available_ok,
        if available_ok {
            "MinimumReplicasAvailable"
        } else {
            "MinimumReplicasUnavailable"
        },
        if available_ok {
            "Deployment has minimum availability."
        } else {
            "Deployment does not have minimum availability."
        },
        now,
        false,
    );

    let complete = updated == replicas && available == replicas && total == replicas && new.is_some();
    let progressed = old["updatedReplicas"] != json!(updated)
        || old["availableReplicas"] != json!(available)
        || old["readyReplicas"] != json!(ready)
        || old["replicas"] != json!(total)
        || created.is_some();
    let previous = find_condition(old, "Progressing");
    let deadline = deployment["spec"]["progressDeadlineSeconds"].as_i64().unwrap_or(600);
    let progressing = if deployment["spec"]["paused"] == true {
        condition(
            old,
            "Progressing",
            None::<bool>,
            "DeploymentPaused",
            "Deployment is paused",
            now,
            false,
        )
    } else if let Some(name) = created {
        condition(
            old,
            "Progressing",
            true,
            "NewReplicaSetCreated",
            &format!("Created new replica set \"{name}\""),
            now,
            true,
        )
    } else if complete {
        let message = format!("ReplicaSet \"{new_name}\" has successfully progressed.");
        condition(
            old,
            "Progressing",
            true,
            "NewReplicaSetAvailable",
            &message,
            now,
            progressed,
        )
    } else if previous.is_some_and(|c| c["reason"] == "ProgressDeadlineExceeded") && !progressed {
        previous.cloned().unwrap_or(Value::Null)
    } else if !progressed && previous.is_some_and(|c| seconds_since(&c["lastUpdateTime"], now) > deadline) {
        let message = format!("ReplicaSet \"{new_name}\" has timed out progressing.");
        condition(
            old,
            "Progressing",
            false,
            "ProgressDeadlineExceeded",
            &message,
            now,
            true,
        )
    } else {
        let message = format!("ReplicaSet \"{new_name}\" is progressing.");
        condition(old, "Progressing", true, "ReplicaSetUpdated", &message, now, progressed)
    };

    let mut status = json!({
        "observedGeneration": deployment["metadata"]["generation"],
        "replicas": total,
        "updatedReplicas": updated,
        "readyReplicas": ready,
        "availableReplicas": available,
        "conditions": [available_condition, progressing],
    });
    if replicas - available > 0 {
        status["unavailableReplicas"] = json!(replicas - available);
    }
    let mut next = deployment.clone();
    if let Some(rev) = new.map(revision).filter(|r| *r > 0) {
        next["metadata"]["annotations"][REVISION] = json!(rev.to_string());
    }
    next["status"] = status;
    if next != *deployment {
        let _ = store.replace(&key_of(resources::DEPLOYMENTS, deployment), next, Part::Whole);
    }
}

fn find_condition<'a>(status: &'a Value, kind: &str) -> Option<&'a Value> {
    status["conditions"].as_array()?.iter().find(|c| c["type"] == kind)
}

/// A condition; transition time moves when the status does, update time
/// when `touched` (progress was made) or the reason changed.
fn condition(
    old_status: &Value,
    kind: &str,
    value: impl Into<Option<bool>>,
    reason: &str,
    message: &str,
    now: jiff::Timestamp,
    touched: bool,
) -> Value {
    let status = match value.into() {
        Some(true) => "True",
        Some(false) => "False",
        None => "Unknown",
    };
    let old = find_condition(old_status, kind);
    let now = json!(now.to_string());
    let same_status = old.is_some_and(|c| c["status"] == status);
    let same_reason = old.is_some_and(|c| c["reason"] == reason);
    json!({
        "type": kind,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": if same_status { old.map_or(now.clone(), |c| c["lastTransitionTime"].clone()) } else { now.clone() },
        "lastUpdateTime": if same_status && same_reason && !touched { old.map_or(now.clone(), |c| c["lastUpdateTime"].clone()) } else { now },
    })
}
