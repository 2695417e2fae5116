//! Where the simulated requests go: the HTTPRoutes' weights and mirror
//! filters, through Services' selectors, to the ready pods that answer, as
//! the gateway and kube-proxy would send them.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::sim::api::selector::LabelSelector;
use crate::sim::controller::pod::{image_tag, ready_since};
use crate::sim::resources::{DEPLOYMENTS, HTTPROUTES, PODS, REPLICASETS, SERVICES};
use crate::sim::store::Store;

/// The series a request is counted in: which deployment answered it and
/// which model version that pod runs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Destination {
    pub namespace: String,
    pub deployment: String,
    pub version: String,
    /// The pod's `track` label (stable, canary, shadow), empty if none.
    pub track: String,
}

/// A destination and the fraction of one route's requests it receives.
/// Mirrored copies come on top of the served traffic, so the shares of one
/// route add up to 1 plus its mirror percentages.
#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    pub route: String,
    pub destination: Destination,
    pub fraction: f64,
    pub mirrored: bool,
}

/// The share of every route's traffic that each (deployment, version) gets
/// now. A backend without ready pods gets nothing (the gateway answers 503);
/// rules of one route split its traffic evenly.
pub fn shares(store: &Store) -> Vec<Share> {
    let mut out = Vec::new();
    for route in store.list(HTTPROUTES, None) {
        let namespace = route["metadata"]["namespace"].as_str().unwrap_or_default();
        let name = format!("{namespace}/{}", route["metadata"]["name"].as_str().unwrap_or_default());
        let rules = route["spec"]["rules"].as_array().map(Vec::as_slice).unwrap_or_default();
        let per_rule = 1.0 / rules.len().max(1) as f64;
        for rule in rules {
            let refs = rule["backendRefs"].as_array().map(Vec::as_slice).unwrap_or_default();
            // Gateway API: weight defaults to 1; all zero means no traffic.
            let weight = |r: &Value| r["weight"].as_f64().unwrap_or(1.0).max(0.0);
            let total: f64 = refs.iter().map(weight).sum();
            for backend in refs {
                if total > 0.0 {
                    let fraction = per_rule * weight(backend) / total;
                    out.extend(split(store, namespace, &name, backend, fraction, false));
                }
            }
            for filter in rule["filters"].as_array().into_iter().flatten() {
                if filter["type"] == "RequestMirror" {
                    let mirror = &filter["requestMirror"];
                    let percent = mirror["percent"].as_f64().unwrap_or(100.0).clamp(0.0, 100.0);
                    let fraction = per_rule * percent / 100.0;
                    out.extend(split(store, namespace, &name, &mirror["backendRef"], fraction, true));
                }
            }
        }
    }
    out
}

/// One backendRef's fraction, spread over the Service's ready pods.
fn split(store: &Store, namespace: &str, route: &str, backend: &Value, fraction: f64, mirrored: bool) -> Vec<Share> {
    let Some(service) = backend["name"]
        .as_str()
        .and_then(|n| find(store, SERVICES, namespace, n))
    else {
        return Vec::new();
    };
    let Ok(selector) = LabelSelector::from_value(&serde_json::json!({"matchLabels": service["spec"]["selector"]}))
    else {
        return Vec::new();
    };
    if selector.is_empty() {
        return Vec::new();
    }
    let mut pods: BTreeMap<Destination, usize> = BTreeMap::new();
    for pod in store.list(PODS, Some(namespace)) {
        if selector.matches(pod) && ready_since(pod).is_some() && pod["metadata"]["deletionTimestamp"].is_null() {
            *pods.entry(destination(store, namespace, pod)).or_default() += 1;
        }
    }
    let ready: usize = pods.values().sum();
    pods.into_iter()
        .map(|(destination, count)| Share {
            route: route.to_owned(),
            destination,
            fraction: fraction * count as f64 / ready as f64,
            mirrored,
        })
        .collect()
}

/// The version a pod serves is the one it runs: its image's tag, as a
/// model server reports the model it loaded (labels can lag behind a
/// `kubectl set image`). The `version` label is the fallback.
fn destination(store: &Store, namespace: &str, pod: &Value) -> Destination {
    let label = |k: &str| pod["metadata"]["labels"][k].as_str().unwrap_or_default();
    let tag = image_tag(pod["spec"]["containers"][0]["image"].as_str().unwrap_or_default());
    let version = if tag.is_empty() { label("version") } else { tag };
    Destination {
        namespace: namespace.to_owned(),
        deployment: owner_deployment(store, namespace, pod).unwrap_or_default(),
        version: version.strip_prefix('v').unwrap_or(version).to_owned(),
        track: label("track").to_owned(),
    }
}

/// Pod → ReplicaSet → Deployment, by owner references.
fn owner_deployment(store: &Store, namespace: &str, pod: &Value) -> Option<String> {
    let owner = |object: &Value, kind: &str| -> Option<String> {
        object["metadata"]["ownerReferences"]
            .as_array()?
            .iter()
            .find(|o| o["kind"] == kind)?["name"]
            .as_str()
            .map(str::to_owned)
    };
    let replicaset = find(store, REPLICASETS, namespace, &owner(pod, "ReplicaSet")?)?;
    let deployment = owner(replicaset, "Deployment")?;
    find(store, DEPLOYMENTS, namespace, &deployment).map(|_| deployment)
}

fn find<'s>(
    store: &'s Store,
    ty: crate::sim::resources::ResourceType,
    namespace: &str,
    name: &str,
) -> Option<&'s Value> {
    store.get(&crate::sim::store::ObjectKey::new(ty, namespace, name)).ok()
}
