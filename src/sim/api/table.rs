//! `meta.k8s.io/v1` Table answers, so `kubectl get` prints the usual
//! columns for each kind (it asks for a Table and prints only NAME and AGE
//! from a plain list).

use serde_json::{Value, json};

use crate::sim::resources::ResourceInfo;
use crate::text::human_age;

/// (name, type, priority: 0 always shown, 1 only with `-o wide`)
type Column = (&'static str, &'static str, u8);

fn columns(kind: &str) -> Vec<Column> {
    let mut columns = vec![("Name", "string", 0)];
    columns.extend(match kind {
        "Deployment" => vec![
            ("Ready", "string", 0),
            ("Up-to-date", "integer", 0),
            ("Available", "integer", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        "ReplicaSet" => vec![
            ("Desired", "integer", 0),
            ("Current", "integer", 0),
            ("Ready", "integer", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        "Pod" => vec![
            ("Ready", "string", 0),
            ("Status", "string", 0),
            ("Restarts", "string", 0),
            ("Age", "string", 0),
            ("IP", "string", 1),
            ("Node", "string", 1),
        ],
        "Service" => vec![
            ("Type", "string", 0),
            ("Cluster-IP", "string", 0),
            ("External-IP", "string", 0),
            ("Port(s)", "string", 0),
            ("Age", "string", 0),
            ("Selector", "string", 1),
        ],
        "Namespace" => vec![("Status", "string", 0), ("Age", "string", 0)],
        "HTTPRoute" => vec![("Hostnames", "string", 0), ("Age", "string", 0)],
        "Ingress" => vec![
            ("Class", "string", 0),
            ("Hosts", "string", 0),
            ("Address", "string", 0),
            ("Ports", "string", 0),
            ("Age", "string", 0),
        ],
        "VirtualService" => vec![("Gateways", "string", 0), ("Hosts", "string", 0), ("Age", "string", 0)],
        "InferenceService" => vec![("URL", "string", 0), ("Ready", "string", 0), ("Age", "string", 0)],
        _ => vec![("Age", "string", 0)],
    });
    columns
}

pub fn table(info: &ResourceInfo, objects: &[&Value], resource_version: u64, now: jiff::Timestamp) -> Value {
    let columns = columns(info.kind);
    let definitions: Vec<Value> = columns
        .iter()
        .map(|(name, kind, priority)| {
            json!({"name": name, "type": kind, "format": if *name == "Name" { "name" } else { "" }, "description": "", "priority": priority})
        })
        .collect();
    let rows: Vec<Value> = objects
        .iter()
        .map(|o| {
            let cells: Vec<Value> = columns
                .iter()
                .map(|(name, _, _)| cell(info.kind, name, o, now))
                .collect();
            json!({"cells": cells, "object": o})
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version.to_string()},
        "columnDefinitions": definitions,
        "rows": rows,
    })
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn join(values: impl Iterator<Item = String>) -> String {
    let joined: Vec<String> = values.collect();
    if joined.is_empty() {
        "<none>".into()
    } else {
        joined.join(",")
    }
}

fn strings(v: &Value) -> impl Iterator<Item = String> + '_ {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_owned))
}

fn selector(v: &Value) -> String {
    let labels = if v.get("matchLabels").is_some() {
        &v["matchLabels"]
    } else {
        v
    };
    join(
        labels
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())),
    )
}

fn cell(kind: &str, column: &str, o: &Value, now: jiff::Timestamp) -> Value {
    let spec = &o["spec"];
    let status = &o["status"];
    let containers = || {
        spec["template"]["spec"]["containers"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    match (kind, column) {
        (_, "Name") => o["metadata"]["name"].clone(),
        (_, "Age") => {
            let created = o["metadata"]["creationTimestamp"]
                .as_str()
                .and_then(|t| t.parse::<jiff::Timestamp>().ok());
            json!(created.map_or("<unknown>".into(), |t| human_age(now.as_second() - t.as_second())))
        }
        ("Deployment", "Ready") => json!(format!("{}/{}", int(&status["readyReplicas"]), int(&spec["replicas"]))),
        ("Deployment", "Up-to-date") => json!(int(&status["updatedReplicas"])),
        ("Deployment", "Available") => json!(int(&status["availableReplicas"])),
        ("ReplicaSet", "Desired") => json!(int(&spec["replicas"])),
        ("ReplicaSet", "Current") => json!(int(&status["replicas"])),
        ("ReplicaSet", "Ready") => json!(int(&status["readyReplicas"])),
        ("Deployment" | "ReplicaSet", "Containers") => {
            json!(join(
                containers()
                    .iter()
                    .filter_map(|c| c["name"].as_str().map(str::to_owned))
            ))
        }
        ("Deployment" | "ReplicaSet", "Images") => {
            json!(join(
                containers()
                    .iter()
                    .filter_map(|c| c["image"].as_str().map(str::to_owned))
            ))
        }
        ("Deployment" | "ReplicaSet", "Selector") | ("Service", "Selector") => json!(selector(&spec["selector"])),
        ("Pod", "Ready") => {
            let statuses = status["containerStatuses"].as_array().cloned().unwrap_or_default();
            let ready = statuses.iter().filter(|c| c["ready"] == true).count();
            let total = spec["containers"].as_array().map_or(0, Vec::len);
            json!(format!("{ready}/{total}"))
        }
        ("Pod", "Status") => {
            let waiting = status["containerStatuses"]
                .as_array()
                .into_iter()
                .flatten()
                .find_map(|c| c["state"]["waiting"]["reason"].as_str());
            json!(waiting.or(status["phase"].as_str()).unwrap_or("Pending"))
        }
        ("Pod", "Restarts") => {
            let restarts: i64 = status["containerStatuses"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| int(&c["restartCount"]))
                .sum();
            json!(restarts.to_string())
        }
        ("Pod", "IP") => json!(status["podIP"].as_str().unwrap_or("<none>")),
        ("Pod", "Node") => json!(spec["nodeName"].as_str().unwrap_or("<none>")),
        ("Service", "Type") => spec["type"].clone(),
        ("Service", "Cluster-IP") => json!(spec["clusterIP"].as_str().unwrap_or("<none>")),
        ("Service", "External-IP") => json!("<none>"),
        ("Service", "Port(s)") => json!(join(spec["ports"].as_array().into_iter().flatten().map(|p| format!(
            "{}/{}",
            int(&p["port"]),
            p["protocol"].as_str().unwrap_or("TCP")
        )))),
        ("Namespace", "Status") => json!(status["phase"].as_str().unwrap_or("Active")),
        ("HTTPRoute", "Hostnames") => json!(join(strings(&spec["hostnames"]))),
        ("Ingress", "Class") => json!(spec["ingressClassName"].as_str().unwrap_or("<none>")),
        ("Ingress", "Hosts") => {
            json!(join(
                spec["rules"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|r| r["host"].as_str().map(str::to_owned))
            ))
        }
        ("Ingress", "Address") => json!(""),
        ("Ingress", "Ports") => json!("80"),
        ("VirtualService", "Gateways") => json!(join(strings(&spec["gateways"]))),
        ("VirtualService", "Hosts") => json!(join(strings(&spec["hosts"]))),
        ("InferenceService", "URL") => json!(status["url"].as_str().unwrap_or("")),
        ("InferenceService", "Ready") => {
            let ready = status["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|c| c["type"] == "Ready");
            json!(ready.and_then(|c| c["status"].as_str()).unwrap_or("Unknown"))
        }
        _ => json!(""),
    }
}
