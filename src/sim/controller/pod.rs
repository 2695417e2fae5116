//! The kubelet's part: pods get a node and an IP, start, and become ready
//! after `pod_ready_after` of simulated time, unless their image is tagged
//! to fail, in which case they crash-loop and never become ready.

use serde_json::{Value, json};

use super::{Behaviour, key_of, seconds_since};
use crate::sim::resources;
use crate::sim::store::{Part, Store};

/// Simulated seconds between restarts of a crash-looping container.
const RESTART_EVERY_SECS: i64 = 10;

pub fn reconcile_all(store: &mut Store, behaviour: &Behaviour) {
    let now = store.now();
    let pods: Vec<Value> = store.list(resources::PODS, None).into_iter().cloned().collect();
    for pod in pods {
        let status = desired_status(&pod, now, behaviour);
        if pod["status"] != status || pod["spec"]["nodeName"].is_null() {
            let mut next = pod.clone();
            next["spec"]["nodeName"] = json!("sim-node-1");
            next["status"] = status;
            let _ = store.replace(&key_of(resources::PODS, &pod), next, Part::Whole);
        }
    }
}

fn desired_status(pod: &Value, now: jiff::Timestamp, behaviour: &Behaviour) -> Value {
    let created = &pod["metadata"]["creationTimestamp"];
    let age = seconds_since(created, now);
    let ready_after = behaviour.pod_ready_after.as_secs() as i64;
    let containers = pod["spec"]["containers"].as_array().cloned().unwrap_or_default();
    let failing = containers
        .iter()
        .any(|c| image_tag(c["image"].as_str().unwrap_or_default()).contains(&behaviour.failing_tag));
    let ready = !failing && age >= ready_after;
    let previous = &pod["status"];
    // Keep transition times stable: they change only when the value does.
    let since = |condition: &str, value: bool| -> Value {
        let old = previous["conditions"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["type"] == condition))
            .cloned()
            .unwrap_or(Value::Null);
        if old["status"] == bool_str(value) {
            old["lastTransitionTime"].clone()
        } else {
            json!(now.to_string())
        }
    };
    let restarts = if failing { (age / RESTART_EVERY_SECS).max(0) } else { 0 };
    let container_statuses: Vec<Value> = containers
        .iter()
        .map(|c| {
            let state = if failing {
                json!({"waiting": {"reason": "CrashLoopBackOff", "message": "back-off restarting failed container"}})
            } else if ready {
                json!({"running": {"startedAt": created}})
            } else {
                json!({"waiting": {"reason": "ContainerCreating"}})
            };
            json!({
                "name": c["name"],
                "image": c["image"],
                "imageID": "",
                "ready": ready,
                "started": ready,
                "restartCount": restarts,
                "state": state,
            })
        })
        .collect();
    let ip_seed = pod["metadata"]["uid"].as_str().unwrap_or_default().len() as u64
        + pod["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .bytes()
            .map(u64::from)
            .sum::<u64>();
    json!({
        "phase": "Running",
        "hostIP": "10.0.0.10",
        "podIP": format!("10.244.{}.{}", (ip_seed / 250) % 250, ip_seed % 250 + 2),
        "startTime": created,
        "conditions": [
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": created},
            {"type": "Initialized", "status": "True", "lastTransitionTime": created},
            {"type": "ContainersReady", "status": bool_str(ready), "lastTransitionTime": since("ContainersReady", ready)},
            {"type": "Ready", "status": bool_str(ready), "lastTransitionTime": since("Ready", ready)},
        ],
        "containerStatuses": container_statuses,
    })
}

fn bool_str(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// The tag of an image reference (`repo:tag`, digest-free), or "".
pub(crate) fn image_tag(image: &str) -> &str {
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split_once(':').map_or("", |(_, tag)| tag)
}

/// Whether a pod is ready, and since when (its Ready condition).
pub fn ready_since(pod: &Value) -> Option<&Value> {
    pod["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == "Ready" && c["status"] == "True")
        .map(|c| &c["lastTransitionTime"])
}

#[cfg(test)]
mod tests {
    use super::image_tag;

    #[test]
    fn tags_come_from_the_last_path_part() {
        assert_eq!(image_tag("ghcr.io/acme/model:2.1.1-fail"), "2.1.1-fail");
        assert_eq!(image_tag("registry:5000/model"), "");
        assert_eq!(image_tag("model"), "");
    }
}
