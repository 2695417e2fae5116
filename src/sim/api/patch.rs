//! The four PATCH content types of the Kubernetes API, applied to objects held as JSON values.
//!
//! Strategic merge patch has no schema here: merge keys come from a table of well-known field names
//! (see [`merge_key`]), which covers what `kubectl` sends for the workload kinds the simulator serves.

use serde_json::{Map, Value};

type Object = Map<String, Value>;

/// The PATCH content types a Kubernetes API server accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    Json,
    Merge,
    StrategicMerge,
    Apply,
}

impl PatchKind {
    /// From a Content-Type header value (parameters after ';' ignored):
    /// application/json-patch+json, application/merge-patch+json,
    /// application/strategic-merge-patch+json, application/apply-patch+yaml
    /// (also accept application/apply-patch+json). None for anything else.
    pub fn from_content_type(content_type: &str) -> Option<PatchKind> {
        let media = content_type.split(';').next().unwrap_or_default().trim();
        // Media types are case-insensitive (RFC 9110).
        match media.to_ascii_lowercase().as_str() {
            "application/json-patch+json" => Some(PatchKind::Json),
            "application/merge-patch+json" => Some(PatchKind::Merge),
            "application/strategic-merge-patch+json" => Some(PatchKind::StrategicMerge),
            "application/apply-patch+yaml" | "application/apply-patch+json" => Some(PatchKind::Apply),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            PatchKind::Json => "application/json-patch+json",
            PatchKind::Merge => "application/merge-patch+json",
            PatchKind::StrategicMerge => "application/strategic-merge-patch+json",
            PatchKind::Apply => "application/apply-patch+yaml",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PatchError {
    /// The body is not valid JSON/YAML or not the shape the patch type needs
    /// (the API server answers 400 BadRequest).
    #[error("{0}")]
    Malformed(String),
    /// Well-formed but cannot be applied to this object: a JSON Patch `test`
    /// that fails, a path that does not exist, a `$patch` directive with an
    /// unknown value (the API server answers 422 Invalid for these).
    #[error("{0}")]
    NotApplicable(String),
}

/// Parses a request body as JSON, or as YAML when it is not JSON (YAML is
/// accepted for apply patches and for create/update bodies). Any JSON value but
/// null is returned; callers check that it has the shape they need.
pub fn parse_body(body: &[u8]) -> Result<serde_json::Value, PatchError> {
    let value = serde_json::from_slice(body).or_else(|json_err| {
        serde_norway::from_slice::<Value>(body).map_err(|yaml_err| {
            // A body that starts like JSON was meant as JSON: its error says more than YAML's.
            if matches!(body.trim_ascii_start().first(), Some(b'{' | b'[')) {
                malformed(format!("couldn't get version/kind; json parse error: {json_err}"))
            } else {
                malformed(format!("invalid JSON or YAML body: {yaml_err}"))
            }
        })
    })?;
    // An empty or comment-only YAML document (like JSON `null`) is null, which no request means.
    match value {
        Value::Null => Err(malformed("couldn't get version/kind; json parse error: empty body")),
        value => Ok(value),
    }
}

/// Applies `patch` (the raw request body) of `kind` to `target`, returning the
/// patched object. `target` is not modified.
pub fn apply(kind: PatchKind, target: &serde_json::Value, patch: &[u8]) -> Result<serde_json::Value, PatchError> {
    match kind {
        PatchKind::Json => {
            let ops = parse_json(patch)?;
            if !ops.is_array() {
                return Err(malformed("json patch must be a JSON array of operations"));
            }
            let ops: json_patch::Patch =
                serde_json::from_value(ops).map_err(|e| malformed(format!("invalid json patch: {e}")))?;
            let mut doc = target.clone();
            // `patch_unsafe` leaves `doc` half-patched on error, which is fine: it is our copy and
            // is dropped; unlike `patch` it has no internal panic path for a failed rollback.
            json_patch::patch_unsafe(&mut doc, &ops).map_err(|e| PatchError::NotApplicable(e.to_string()))?;
            Ok(doc)
        }
        PatchKind::Merge => {
            let patch = parse_json(patch)?;
            if !patch.is_object() {
                return Err(malformed("merge patch must be a JSON object"));
            }
            let mut doc = target.clone();
            json_patch::merge(&mut doc, &patch);
            Ok(doc)
        }
        PatchKind::StrategicMerge => strategic(target, &parse_json(patch)?, true),
        // Server-side apply, simplified: the applied configuration is merged in with the strategic
        // merge rules (directives are plain data). Field managers, ownership and conflicts are not
        // modelled, so fields dropped from a later apply are not removed.
        PatchKind::Apply => strategic(target, &parse_body(patch)?, false),
    }
}

fn parse_json(body: &[u8]) -> Result<Value, PatchError> {
    serde_json::from_slice(body).map_err(|e| malformed(format!("invalid JSON patch body: {e}")))
}

fn malformed(message: impl Into<String>) -> PatchError {
    PatchError::Malformed(message.into())
}

fn strategic(target: &Value, patch: &Value, directives: bool) -> Result<Value, PatchError> {
    let Value::Object(patch) = patch else {
        return Err(malformed("patch body must be an object"));
    };
    let base = target.as_object().cloned().unwrap_or_default();
    match merge_map(base, patch, directives)? {
        Some(merged) => Ok(Value::Object(merged)),
        None => Err(PatchError::NotApplicable(
            "$patch: delete cannot remove the whole object".into(),
        )),
    }
}

/// The strategic merge key of list field `field`, or None when the list is replaced wholesale.
/// Mirrors the `patchMergeKey` tags of k8s.io/api; `tolerations` is deliberately absent because
/// PodSpec declares it atomic (kubectl sends the whole list, and merging would keep deleted items).
fn merge_key(field: &str, target: &[Value], patch: &[Value]) -> Option<&'static str> {
    match field {
        "containers" | "initContainers" | "ephemeralContainers" | "env" | "volumes" | "imagePullSecrets" => {
            Some("name")
        }
        "volumeMounts" => Some("mountPath"),
        "volumeDevices" => Some("devicePath"),
        "conditions" => Some("type"),
        "hostAliases" => Some("ip"),
        "ownerReferences" => Some("uid"),
        // ContainerPort is keyed by containerPort, ServicePort by port: tell them apart by content.
        "ports" => ["containerPort", "port"]
            .into_iter()
            .find(|key| patch.iter().chain(target).any(|item| item.get(key).is_some())),
        _ => None,
    }
}

/// Merges `patch` into `target`. Returns None when the patch says `$patch: delete`.
fn merge_map(mut target: Object, patch: &Object, directives: bool) -> Result<Option<Object>, PatchError> {
    // Only these `$` keys are directives; any other key (even `$foo`) is data, as in Kubernetes.
    let directive = |key: &str| {
        directives
            && (key == "$patch"
                || key == "$retainKeys"
                || key.starts_with("$setElementOrder/")
                || key.starts_with("$deleteFromPrimitiveList/"))
    };
    if directives {
        match patch.get("$patch") {
            None => {}
            Some(Value::String(s)) if s == "delete" => return Ok(None),
            Some(Value::String(s)) if s == "replace" => target.clear(),
            Some(other) => return Err(unknown_patch_type(other)),
        }
        // Deletions first, so that a list merged in the same patch can add values back.
        for (key, values) in patch {
            if let Some(field) = key.strip_prefix("$deleteFromPrimitiveList/") {
                let values = directive_list(key, values)?;
                if let Some(Value::Array(items)) = target.get_mut(field) {
                    items.retain(|item| !values.contains(item));
                }
            }
        }
    }
    for (key, value) in patch.iter().filter(|(key, _)| !directive(key)) {
        // Re-inserting an existing key keeps its position, also with serde_json's preserve_order.
        let merged = match value {
            // A non-object (or absent) value is merged as if empty, which also drops nulls and
            // directives from the patch value.
            Value::Object(patch_obj) => {
                merge_map(take_object(target.get_mut(key)), patch_obj, directives)?.map(Value::Object)
            }
            Value::Array(items) => {
                let base = match target.get_mut(key).map(std::mem::take) {
                    Some(Value::Array(list)) => list,
                    _ => Vec::new(),
                };
                Some(Value::Array(merge_list(key, base, items, directives)?))
            }
            Value::Null => None,
            scalar => Some(scalar.clone()),
        };
        match merged {
            Some(merged) => target.insert(key.clone(), merged),
            None => target.remove(key),
        };
    }
    if directives {
        for (key, order) in patch {
            if let Some(field) = key.strip_prefix("$setElementOrder/") {
                let order = directive_list(key, order)?;
                if let Some(Value::Array(items)) = target.get_mut(field) {
                    set_element_order(items, order);
                }
            }
        }
        if let Some(keys) = patch.get("$retainKeys") {
            let keys = directive_list("$retainKeys", keys)?;
            target.retain(|key, _| keys.iter().any(|k| k.as_str() == Some(key)));
        }
    }
    Ok(Some(target))
}

/// Merges patch list `items` of field `field` into `target`.
///
/// Lists with a merge key are merged element by element; to be lenient with patches computed
/// against a schema that treats the list as atomic, a list is replaced wholesale when any of its
/// elements lacks the merge key. An empty patch list leaves a keyed list as it is (as Kubernetes
/// does); `[{"$patch": "replace"}]` clears it.
fn merge_list(field: &str, target: Vec<Value>, items: &[Value], directives: bool) -> Result<Vec<Value>, PatchError> {
    let mut plain = Vec::new();
    let mut deletes = Vec::new();
    let mut replace = false;
    for item in items {
        match item.get("$patch").filter(|_| directives) {
            None => plain.push(item),
            Some(d) if d == "delete" => deletes.push(item),
            Some(d) if d == "replace" => replace = true,
            Some(other) => return Err(unknown_patch_type(other)),
        }
    }
    if replace {
        return Ok(plain.into_iter().cloned().collect());
    }
    // The one primitive list Kubernetes merges as a set (`patchStrategy:"merge"`) instead of replacing.
    if field == "finalizers" {
        let mut merged = target;
        for item in plain {
            if !merged.contains(item) {
                merged.push(item.clone());
            }
        }
        return Ok(merged);
    }
    let key = merge_key(field, &target, items).filter(|_| items.iter().all(Value::is_object));
    let has_key = |item: &&Value| key.is_some_and(|key| item.get(key).is_some());
    if !deletes.iter().all(has_key) {
        return Err(PatchError::NotApplicable(format!(
            "$patch: delete in {field} needs a merge key"
        )));
    }
    let Some(key) = key.filter(|_| plain.iter().all(has_key)) else {
        return Ok(plain.into_iter().cloned().collect());
    };
    let mut merged = target;
    for item in deletes {
        let value = item.get(key);
        merged.retain(|existing| existing.get(key) != value);
    }
    for item in plain {
        let Value::Object(patch_obj) = item else { continue };
        let value = patch_obj.get(key);
        match merged.iter().position(|existing| existing.get(key) == value) {
            Some(i) => match merge_map(take_object(merged.get_mut(i)), patch_obj, directives)? {
                Some(obj) => merged[i] = Value::Object(obj),
                None => drop(merged.remove(i)),
            },
            // New elements are appended; merging into an empty object drops nulls and directives.
            None => {
                if let Some(obj) = merge_map(Object::new(), patch_obj, directives)? {
                    merged.push(Value::Object(obj));
                }
            }
        }
    }
    Ok(merged)
}

/// Orders `items` as `order` lists them: primitives by value, objects by the key the order entries
/// name (`[{"name": "a"}, ...]`). Unlisted elements keep their relative order after the listed ones.
fn set_element_order(items: &mut [Value], order: &[Value]) {
    let key = order.iter().find_map(|entry| entry.as_object()?.keys().next()).cloned();
    let listed = |entry: &Value, item: &Value| match &key {
        Some(key) => entry.get(key).is_some() && entry.get(key) == item.get(key),
        None => entry == item,
    };
    // Stable, so unlisted elements (all ranked usize::MAX) keep their relative order.
    items.sort_by_cached_key(|item| order.iter().position(|entry| listed(entry, item)).unwrap_or(usize::MAX));
}

fn take_object(slot: Option<&mut Value>) -> Object {
    match slot.map(std::mem::take) {
        Some(Value::Object(obj)) => obj,
        _ => Object::new(),
    }
}

fn directive_list<'a>(key: &str, value: &'a Value) -> Result<&'a [Value], PatchError> {
    value
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| malformed(format!("invalid patch: {key} must be a list, got {value}")))
}

fn unknown_patch_type(value: &Value) -> PatchError {
    PatchError::NotApplicable(format!("unknown patch type: {value}"))
}

#[cfg(test)]
mod tests {
    use super::PatchKind::{Apply, Json, Merge, StrategicMerge};
    use super::*;
    use serde_json::json;

    fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {
                "name": "llm", "namespace": "ml", "labels": {"app": "llm"}, "finalizers": ["a/keep", "b/drop"],
                "annotations": {"deployment.kubernetes.io/revision": "2", "team": "infra"}
            },
            "spec": {
                "replicas": 2, "selector": {"matchLabels": {"app": "llm"}},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
                "template": {
                    "metadata": {"labels": {"app": "llm"}, "annotations": {"prometheus.io/scrape": "true"}},
                    "spec": {
                        "containers": [{
                            "name": "c", "image": "img:1", "ports": [{"containerPort": 8080, "name": "http"}],
                            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                            "volumeMounts": [{"name": "models", "mountPath": "/models"}]
                        }, {"name": "sidecar", "image": "proxy:1"}],
                        "volumes": [{"name": "models", "emptyDir": {}}]
        }}}})
    }

    const KINDS: [PatchKind; 4] = [Json, Merge, StrategicMerge, Apply];

    fn smp(target: &Value, patch: Value) -> Result<Value, PatchError> {
        apply(StrategicMerge, target, patch.to_string().as_bytes())
    }

    /// The error variant's name, to keep assertions on one line.
    fn err(result: Result<Value, PatchError>) -> &'static str {
        match result {
            Ok(_) => "ok",
            Err(PatchError::Malformed(_)) => "Malformed",
            Err(PatchError::NotApplicable(_)) => "NotApplicable",
        }
    }

    fn pod_spec(v: &Value) -> &Value {
        &v["spec"]["template"]["spec"]
    }

    fn names(v: &Value) -> Vec<&str> {
        let list = pod_spec(v)["containers"].as_array().unwrap();
        list.iter().map(|c| c["name"].as_str().unwrap()).collect()
    }

    #[test]
    fn content_types_round_trip_and_ignore_parameters() {
        for kind in KINDS {
            assert_eq!(PatchKind::from_content_type(kind.content_type()), Some(kind));
        }
        let merge = PatchKind::from_content_type("application/merge-patch+json; charset=utf-8");
        assert_eq!(merge, Some(Merge));
        let apply_json = PatchKind::from_content_type("Application/Apply-Patch+JSON");
        assert_eq!(apply_json, Some(Apply));
        assert_eq!(PatchKind::from_content_type("application/json"), None);
    }

    #[test]
    fn json_patch_happy_path_and_rollout_undo() {
        let d = deployment();
        let template = json!({"metadata": {"labels": {"app": "llm"}}, "spec": {"containers": [{"name": "c"}]}});
        let annotations = json!({"deployment.kubernetes.io/revision": "1"});
        // The shape `kubectl rollout undo` sends, plus an add.
        let ops = json!([
            {"op": "replace", "path": "/spec/template", "value": template},
            {"op": "replace", "path": "/metadata/annotations", "value": annotations},
            {"op": "add", "path": "/metadata/labels/tier", "value": "gpu"}
        ]);
        let out = apply(Json, &d, ops.to_string().as_bytes()).unwrap();
        assert_eq!(out["spec"]["template"], template);
        assert_eq!(out["metadata"]["annotations"], annotations);
        assert_eq!(out["metadata"]["labels"], json!({"app": "llm", "tier": "gpu"}));
        assert_eq!(d, deployment(), "target is not modified");
    }

    #[test]
    fn json_patch_failures() {
        let d = deployment();
        let test = br#"[{"op":"test","path":"/spec/replicas","value":3}]"#;
        assert_eq!(err(apply(Json, &d, test)), "NotApplicable");
        let missing = br#"[{"op":"replace","path":"/spec/nope/x","value":3}]"#;
        assert_eq!(err(apply(Json, &d, missing)), "NotApplicable");
        let not_array = br#"{"op":"replace","path":"/spec/replicas","value":3}"#;
        assert_eq!(err(apply(Json, &d, not_array)), "Malformed");
        let bad_op = br#"[{"op":"frobnicate","path":"/spec"}]"#;
        assert_eq!(err(apply(Json, &d, bad_op)), "Malformed");
    }

    #[test]
    fn merge_patch_happy_path_and_shape() {
        let d = deployment();
        let patch = br#"{"spec":{"replicas":3},"metadata":{"labels":{"app":null,"tier":"gpu"}}}"#;
        let out = apply(Merge, &d, patch).unwrap();
        assert_eq!(out["spec"]["replicas"], 3);
        assert_eq!(out["metadata"]["labels"], json!({"tier": "gpu"}));
        assert_eq!(out["spec"]["template"], d["spec"]["template"]);
        assert_eq!(err(apply(Merge, &d, b"[1,2]")), "Malformed");
    }

    #[test]
    fn garbage_bodies_are_malformed() {
        let d = deployment();
        for kind in KINDS {
            for body in [&b"\xff\xfe{{"[..], b"{\"spec\":", b"", b"just words"] {
                assert_eq!(err(apply(kind, &d, body)), "Malformed", "{kind:?} {body:?}");
            }
        }
        assert_eq!(err(parse_body(b"# nothing\n")), "Malformed");
        let e = parse_body(b"{\"a\": [1,").unwrap_err();
        assert!(e.to_string().contains("json parse error"), "{e}");
    }

    #[test]
    fn kubectl_set_image_changes_only_that_container() {
        // Byte for byte what `kubectl set image deployment/llm c=img:3` sends.
        let body = concat!(
            r#"{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"c"}],"#,
            r#""containers":[{"image":"img:3","name":"c"}]}}}}"#
        );
        let d = deployment();
        let out = apply(StrategicMerge, &d, body.as_bytes()).unwrap();
        assert_eq!(names(&out), ["c", "sidecar"]);
        let (before, after) = (&pod_spec(&d)["containers"], &pod_spec(&out)["containers"]);
        assert_eq!(after[0]["image"], "img:3");
        assert_eq!(after[0]["env"], before[0]["env"]);
        assert_eq!(after[1], before[1]);
        assert!(!out.to_string().contains("$setElementOrder"));
    }

    #[test]
    fn kubectl_rollout_restart_adds_annotation() {
        let body = r#"{"spec":{"template":{"metadata":{"annotations":{
            "kubectl.kubernetes.io/restartedAt":"2026-11-30T10:00:00Z"}}}}}"#;
        let out = apply(StrategicMerge, &deployment(), body.as_bytes()).unwrap();
        let annotations = &out["spec"]["template"]["metadata"]["annotations"];
        assert_eq!(annotations["kubectl.kubernetes.io/restartedAt"], "2026-11-30T10:00:00Z");
        assert_eq!(annotations["prometheus.io/scrape"], "true");
        assert_eq!(out["metadata"], deployment()["metadata"]);
        assert_eq!(pod_spec(&out), pod_spec(&deployment()));
    }

    #[test]
    fn env_merges_by_name_and_null_deletes() {
        let patch = json!({"metadata":{"labels":{"app":null}},"spec":{"template":{"spec":{"containers":[
            {"name":"c","env":[{"name":"B","value":"20"},{"name":"C","value":"3"}],"ports":[{"containerPort":9090}]}
        ]}}}});
        let out = smp(&deployment(), patch).unwrap();
        assert_eq!(out["metadata"]["labels"], json!({}));
        let c = &pod_spec(&out)["containers"][0];
        let env = json!([{"name":"A","value":"1"},{"name":"B","value":"20"},{"name":"C","value":"3"}]);
        assert_eq!(c["env"], env);
        let ports = json!([{"containerPort": 8080, "name": "http"}, {"containerPort": 9090}]);
        assert_eq!(c["ports"], ports);
    }

    #[test]
    fn service_ports_merge_by_port() {
        let svc = json!({"spec":{"ports":[{"port":80,"targetPort":8080},{"port":443,"targetPort":8443}]}});
        let out = smp(&svc, json!({"spec":{"ports":[{"port":443,"targetPort":9443}]}})).unwrap();
        let expected = json!([{"port":80,"targetPort":8080},{"port":443,"targetPort":9443}]);
        assert_eq!(out["spec"]["ports"], expected);
    }

    #[test]
    fn patch_delete_removes_container_and_object() {
        let patch = json!({"spec":{"strategy":{"$patch":"delete"},
            "template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}});
        let out = smp(&deployment(), patch).unwrap();
        assert_eq!(names(&out), ["c"]);
        assert!(out["spec"].get("strategy").is_none());
    }

    #[test]
    fn patch_replace_on_object_and_list() {
        let patch = json!({"spec":{"strategy":{"$patch":"replace","type":"Recreate"},
            "template":{"spec":{"volumes":[{"$patch":"replace"},{"name":"cache","emptyDir":{}}]}}}});
        let out = smp(&deployment(), patch).unwrap();
        assert_eq!(out["spec"]["strategy"], json!({"type": "Recreate"}));
        assert_eq!(pod_spec(&out)["volumes"], json!([{"name": "cache", "emptyDir": {}}]));
    }

    #[test]
    fn unknown_patch_directive_is_not_applicable() {
        let on_object = json!({"spec":{"strategy":{"$patch":"explode"}}});
        assert_eq!(err(smp(&deployment(), on_object)), "NotApplicable");
        let in_list = json!({"spec":{"template":{"spec":{"containers":[{"name":"c","$patch":"merge"}]}}}});
        assert_eq!(err(smp(&deployment(), in_list)), "NotApplicable");
        let bad_shape = json!({"spec":{"$retainKeys":"type"}});
        assert_eq!(err(smp(&deployment(), bad_shape)), "Malformed");
        assert_eq!(err(smp(&deployment(), json!({"$patch": "delete"}))), "NotApplicable");
        let keyless_delete = json!({"spec":{"template":{"spec":{"containers":[{"$patch":"delete"}]}}}});
        assert_eq!(err(smp(&deployment(), keyless_delete)), "NotApplicable");
    }

    #[test]
    fn set_element_order_reorders_and_appends() {
        let patch = json!({"spec":{"template":{"spec":{
            "$setElementOrder/containers":[{"name":"new"},{"name":"c"}],
            "containers":[{"name":"new","image":"x:1"}]}}}});
        let out = smp(&deployment(), patch).unwrap();
        assert_eq!(names(&out), ["new", "c", "sidecar"]);
    }

    #[test]
    fn retain_keys_drops_unlisted_fields() {
        let patch = json!({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}});
        let out = smp(&deployment(), patch).unwrap();
        assert_eq!(out["spec"]["strategy"], json!({"type": "Recreate"}));
    }

    #[test]
    fn delete_from_primitive_list_and_finalizer_set_merge() {
        let patch = json!({"metadata":{"$deleteFromPrimitiveList/finalizers":["b/drop"],"finalizers":["c/new"]}});
        let out = smp(&deployment(), patch).unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!(["a/keep", "c/new"]));
        let container = json!({"args": ["--a", "--b", "--a"]});
        let out = smp(&container, json!({"$deleteFromPrimitiveList/args": ["--a"]})).unwrap();
        assert_eq!(out, json!({"args": ["--b"]}));
    }

    #[test]
    fn unkeyed_lists_replace_and_lenient_keyless_elements() {
        let d = json!({"spec":{"tolerations":[{"key":"gpu","operator":"Exists"}],"containers":[{"name":"a"}]}});
        let patch = json!({"spec":{"tolerations":[{"key":"tpu","operator":"Exists"}],"containers":[{"image":"x"}]}});
        let out = smp(&d, patch).unwrap();
        assert_eq!(out["spec"]["tolerations"], json!([{"key":"tpu","operator":"Exists"}]));
        assert_eq!(out["spec"]["containers"], json!([{"image": "x"}]));
        let empty = smp(&d, json!({"spec":{"containers":[]}})).unwrap();
        assert_eq!(empty, d, "an empty keyed list is a no-op");
    }

    #[test]
    fn apply_yaml_body_merges_without_directives() {
        let yaml = b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: llm\n  labels:\n    tier: gpu\n\
            spec:\n  replicas: 4\n  template:\n    spec:\n      containers:\n      - name: c\n        image: img:4\n";
        let out = apply(Apply, &deployment(), yaml).unwrap();
        assert_eq!(out["spec"]["replicas"], 4);
        assert_eq!(out["metadata"]["labels"], json!({"app": "llm", "tier": "gpu"}));
        assert_eq!(names(&out), ["c", "sidecar"]);
        assert_eq!(pod_spec(&out)["containers"][0]["image"], "img:4");
        assert_eq!(pod_spec(&out)["containers"][0]["env"][0]["name"], "A");
        let json_body = br#"{"metadata":{"annotations":{"$patch":"x"}}}"#;
        let out = apply(Apply, &deployment(), json_body).unwrap();
        assert_eq!(out["metadata"]["annotations"]["$patch"], "x");
        assert_eq!(err(apply(Apply, &deployment(), b"- a\n- b\n")), "Malformed");
    }
}
