//! Server-side defaults and validation, for the fields the rollout features
//! and kubectl rely on. Unknown fields pass through untouched.

use serde_json::{Value, json};

use super::api::selector::LabelSelector;
use super::error::ApiError;
use super::resources::{self, ResourceType};

/// Fills defaults the way the API server's defaulting does; `suffix` gives
/// the store's next random name suffix (a Service's cluster IP is made from
/// one).
pub fn apply(ty: ResourceType, object: &mut Value, suffix: &mut dyn FnMut() -> String) {
    match ty {
        resources::DEPLOYMENTS => deployment(object),
        resources::REPLICASETS => set_if_missing(&mut object["spec"], "replicas", json!(1)),
        resources::SERVICES => service(object, suffix),
        resources::PODS if object.get("status").is_none_or(Value::is_null) => {
            object["status"] = json!({"phase": "Pending"});
        }
        resources::NAMESPACES => {
            set_if_missing(object, "spec", json!({"finalizers": ["kubernetes"]}));
            set_if_missing(object, "status", json!({"phase": "Active"}));
        }
        _ => {}
    }
}

fn deployment(object: &mut Value) {
    let spec = &mut object["spec"];
    set_if_missing(spec, "replicas", json!(1));
    set_if_missing(spec, "revisionHistoryLimit", json!(10));
    set_if_missing(spec, "progressDeadlineSeconds", json!(600));
    set_if_missing(spec, "strategy", json!({"type": "RollingUpdate"}));
    if spec["strategy"]["type"] == "RollingUpdate" {
        set_if_missing(
            &mut spec["strategy"],
            "rollingUpdate",
            json!({"maxSurge": "25%", "maxUnavailable": "25%"}),
        );
    }
    let pod = &mut spec["template"]["spec"];
    if pod.is_object() {
        set_if_missing(pod, "restartPolicy", json!("Always"));
        set_if_missing(pod, "terminationGracePeriodSeconds", json!(30));
        set_if_missing(pod, "dnsPolicy", json!("ClusterFirst"));
        set_if_missing(pod, "schedulerName", json!("default-scheduler"));
        if let Some(containers) = pod["containers"].as_array_mut() {
            for c in containers {
                let latest = c["image"]
                    .as_str()
                    .is_some_and(|i| !i.contains(':') || i.ends_with(":latest"));
                set_if_missing(
                    c,
                    "imagePullPolicy",
                    json!(if latest { "Always" } else { "IfNotPresent" }),
                );
                set_if_missing(c, "terminationMessagePath", json!("/dev/termination-log"));
                set_if_missing(c, "terminationMessagePolicy", json!("File"));
            }
        }
    }
}

fn service(object: &mut Value, suffix: &mut dyn FnMut() -> String) {
    let spec = &mut object["spec"];
    set_if_missing(spec, "type", json!("ClusterIP"));
    set_if_missing(spec, "sessionAffinity", json!("None"));
    if spec
        .get("clusterIP")
        .is_none_or(|ip| ip.is_null() || ip.as_str() == Some(""))
    {
        let n = suffix()
            .bytes()
            .fold(0u32, |acc, b| acc.wrapping_mul(31).wrapping_add(u32::from(b)));
        let ip = format!("10.96.{}.{}", (n >> 8) % 256, n % 254 + 1);
        spec["clusterIP"] = json!(ip);
        spec["clusterIPs"] = json!([ip]);
    }
    if let Some(ports) = spec["ports"].as_array_mut() {
        for p in ports {
            set_if_missing(p, "protocol", json!("TCP"));
            if p.get("targetPort").is_none_or(Value::is_null) {
                p["targetPort"] = p["port"].clone();
            }
        }
    }
}

fn set_if_missing(object: &mut Value, field: &str, value: Value) {
    if object.is_null() {
        *object = json!({});
    }
    // As in the API server's Go defaulting, an empty string is unset too.
    if let Some(map) = object.as_object_mut()
        && map.get(field).is_none_or(|v| v.is_null() || v.as_str() == Some(""))
    {
        map.insert(field.to_owned(), value);
    }
}

/// Rejects what the API server rejects for the kinds the rollouts use.
pub fn validate(ty: ResourceType, object: &Value) -> Result<(), ApiError> {
    let name = object["metadata"]["name"].as_str().unwrap_or_default();
    if ty == resources::DEPLOYMENTS || ty == resources::REPLICASETS {
        let spec = &object["spec"];
        let selector = spec
            .get("selector")
            .filter(|s| s.is_object())
            .ok_or_else(|| ApiError::invalid(&ty, name, "spec.selector: Required value"))?;
        let selector = LabelSelector::from_value(selector)
            .map_err(|e| ApiError::invalid(&ty, name, format!("spec.selector: {e}")))?;
        if selector.is_empty() {
            return Err(ApiError::invalid(
                &ty,
                name,
                "spec.selector: Invalid value: empty selector is invalid for deployment",
            ));
        }
        let labels = spec["template"]["metadata"].get("labels");
        if !selector.matches_labels(labels) {
            return Err(ApiError::invalid(
                &ty,
                name,
                "spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`",
            ));
        }
        if spec["template"]["spec"]["containers"]
            .as_array()
            .is_none_or(Vec::is_empty)
        {
            return Err(ApiError::invalid(
                &ty,
                name,
                "spec.template.spec.containers: Required value",
            ));
        }
        if let Some(replicas) = spec["replicas"].as_i64()
            && replicas > i64::from(i32::MAX)
        {
            // The API's replicas is an int32.
            return Err(ApiError::invalid(
                &ty,
                name,
                format!(
                    "spec.replicas: Invalid value: {replicas}: must be less than or equal to {}",
                    i32::MAX
                ),
            ));
        }
        if let Some(replicas) = spec["replicas"].as_i64()
            && replicas < 0
        {
            return Err(ApiError::invalid(
                &ty,
                name,
                format!("spec.replicas: Invalid value: {replicas}: must be greater than or equal to 0"),
            ));
        }
    }
    Ok(())
}
