//! The API verbs: get, list, watch, create, update, patch, delete, and the
//! scale subresource, each checked for authentication and permission first.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Request, Response};
use serde_json::{Value, json};

use super::patch::{self, PatchError, PatchKind};
use super::protobuf;
use super::route::{self, Route, Target};
use super::selector::{FieldSelector, LabelSelector};
use super::watch::{self, WatchRequest};
use super::{Body, auth, discovery, json_response, table};
use crate::sim::Cluster;
use crate::sim::error::ApiError;
use crate::sim::store::{ObjectKey, Part, Store};

/// The API server's own limit on request bodies.
const MAX_BODY: usize = 3 * 1024 * 1024;

pub async fn dispatch(cluster: &Arc<Cluster>, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let (parts, body) = req.into_parts();
    let method = parts.method.as_str();
    let target = match route::parse(parts.uri.path())? {
        Route::Version => return discovery_answer(method, Some(discovery::version())),
        Route::Health => return Ok(super::text_response("ok")),
        Route::CoreVersions => return discovery_answer(method, Some(discovery::core_versions())),
        Route::Groups => return discovery_answer(method, Some(discovery::groups())),
        Route::Group { group } => return discovery_answer(method, discovery::group(&group)),
        Route::Resources { group, version } => {
            return discovery_answer(method, discovery::resource_list(&group, &version));
        }
        Route::OpenApiRoot => return discovery_answer(method, Some(discovery::openapi_root())),
        Route::OpenApi { group, version } => {
            return discovery_answer(method, discovery::openapi_group_version(&group, &version));
        }
        Route::Resource(target) => target,
    };
    let (delay, fail) = cluster.fault();
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    if let Some(code) = fail {
        return Err(ApiError::injected(code));
    }
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let user = cluster.users.authenticate(Some(&header("authorization")))?.clone();
    let q = route::query(parts.uri.query());
    let watching = q.get("watch").is_some_and(|w| w == "true" || w == "1");
    let verb = auth::verb(method, &target, watching);
    if !target.info.verbs.contains(&verb) {
        return Err(ApiError::method_not_allowed(method));
    }
    auth::authorize(&user, verb, &target)?;
    if q.get("dryRun").is_some_and(|d| !d.is_empty()) {
        return Err(ApiError::bad_request(
            "dryRun is not supported by the modeldeck simulated cluster",
        ));
    }
    let content_type = header("content-type");
    let protobuf = media_type(&content_type) == protobuf::CONTENT_TYPE;
    if matches!(verb, "create" | "update") && !protobuf && !json_or_yaml(&content_type) {
        return Err(ApiError::unsupported_media_type(&content_type));
    }
    let body = read_body(body).await?;
    // kubectl's typed commands send protobuf and do not fall back to JSON;
    // the decoded object goes on as JSON.
    let body = if protobuf {
        Bytes::from(decode_protobuf(&body)?.to_string())
    } else {
        body
    };
    let as_table = header("accept").contains("as=Table");
    let answer = match verb {
        "get" => get(cluster, &target, as_table),
        "list" => list(cluster, &target, &q, as_table),
        "watch" => return watch_request(cluster, target, &q, as_table),
        "create" if target.info.ty.plural == "selfsubjectaccessreviews" => {
            let review = patch::parse_body(&body).map_err(bad_body)?;
            Ok((201, auth::access_review(&user, review)))
        }
        "create" => create(cluster, &target, &body),
        "update" => update(cluster, &target, &body),
        "patch" => patch_object(cluster, &target, &header("content-type"), &body),
        "delete" => delete(cluster, &target, &body),
        _ => Err(ApiError::method_not_allowed(method)),
    }?;
    if verb != "get" && verb != "list" {
        cluster.kick();
    }
    Ok(json_response(answer.0, &answer.1))
}

fn media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or_default().trim()
}

fn json_or_yaml(content_type: &str) -> bool {
    matches!(
        media_type(content_type),
        "" | "application/json" | "application/yaml" | "*/*"
    )
}

fn decode_protobuf(body: &[u8]) -> Result<Value, ApiError> {
    match protobuf::decode(body) {
        Ok(mut object) => {
            crate::zero::omit_empty(&mut object, &["replicas"]);
            Ok(object)
        }
        Err(protobuf::DecodeError::UnsupportedKind(kind)) => Err(ApiError::unsupported_media_type(&format!(
            "{} for {kind}; send JSON",
            protobuf::CONTENT_TYPE
        ))),
        Err(e) => Err(ApiError::bad_request(format!("cannot decode the protobuf body: {e}"))),
    }
}

fn discovery_answer(method: &str, doc: Option<Value>) -> Result<Response<Body>, ApiError> {
    if method != "GET" {
        return Err(ApiError::method_not_allowed(method));
    }
    doc.map(|d| json_response(200, &d))
        .ok_or_else(|| ApiError::path_not_found("discovery"))
}

async fn read_body(body: Incoming) -> Result<Bytes, ApiError> {
    let limited = http_body_util::Limited::new(body, MAX_BODY);
    match limited.collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) => Err(ApiError::bad_request(format!("cannot read the request body: {e}"))),
    }
}

fn bad_body(e: PatchError) -> ApiError {
    match e {
        PatchError::Malformed(m) => ApiError::bad_request(m),
        PatchError::NotApplicable(m) => ApiError::bad_request(m),
    }
}

fn key(target: &Target) -> ObjectKey {
    ObjectKey::new(
        target.info.ty,
        target.namespace.as_deref().unwrap_or_default(),
        target.name.as_deref().unwrap_or_default(),
    )
}

type Answer = Result<(u16, Value), ApiError>;

fn get(cluster: &Cluster, target: &Target, as_table: bool) -> Answer {
    let store = cluster.lock();
    let object = store.get(&key(target))?;
    if target.subresource.as_deref() == Some("scale") {
        return Ok((200, to_scale(object)));
    }
    if as_table {
        return Ok((200, table::table(target.info, &[object], store.revision(), store.now())));
    }
    Ok((200, object.clone()))
}

fn selectors(q: &HashMap<String, String>) -> Result<(LabelSelector, FieldSelector), ApiError> {
    let labels = LabelSelector::parse(q.get("labelSelector").map_or("", String::as_str))
        .map_err(|e| ApiError::bad_request(format!("unable to parse labelSelector: {e}")))?;
    let fields = FieldSelector::parse(q.get("fieldSelector").map_or("", String::as_str))
        .map_err(|e| ApiError::bad_request(format!("unable to parse fieldSelector: {e}")))?;
    Ok((labels, fields))
}

fn list(cluster: &Cluster, target: &Target, q: &HashMap<String, String>, as_table: bool) -> Answer {
    let (labels, fields) = selectors(q)?;
    let store = cluster.lock();
    let items: Vec<&Value> = store
        .list(target.info.ty, target.namespace.as_deref())
        .into_iter()
        .filter(|o| labels.matches(o) && fields.matches(o))
        .collect();
    if as_table {
        return Ok((200, table::table(target.info, &items, store.revision(), store.now())));
    }
    Ok((
        200,
        json!({
            "kind": format!("{}List", target.info.kind),
            "apiVersion": target.info.ty.api_version(),
            "metadata": {"resourceVersion": store.revision().to_string()},
            "items": items,
        }),
    ))
}

fn watch_request(
    cluster: &Arc<Cluster>,
    target: Target,
    q: &HashMap<String, String>,
    as_table: bool,
) -> Result<Response<Body>, ApiError> {
    let (labels, fields) = selectors(q)?;
    let since = match q.get("resourceVersion").map(String::as_str) {
        None | Some("") => None,
        Some(rv) => Some(rv.parse::<u64>().map_err(|_| {
            ApiError::bad_request(format!(
                "resourceVersion {rv:?} is not a resource version this server issued"
            ))
        })?),
    };
    let timeout = q
        .get("timeoutSeconds")
        .and_then(|t| t.parse().ok())
        .map(Duration::from_secs);
    let bookmarks = q.get("allowWatchBookmarks").is_some_and(|b| b == "true");
    Ok(watch::start_or_error_event(
        cluster,
        WatchRequest {
            target,
            labels,
            fields,
            since,
            bookmarks,
            timeout,
            as_table,
        },
    ))
}

fn check_namespace(target: &Target, object: &Value) -> Result<(), ApiError> {
    if let (Some(ns), Some(body_ns)) = (&target.namespace, object["metadata"]["namespace"].as_str())
        && !body_ns.is_empty()
        && ns != body_ns
    {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    Ok(())
}

fn check_kind(target: &Target, object: &Value) -> Result<(), ApiError> {
    let kind = object["kind"].as_str().unwrap_or(target.info.kind);
    let api_version = object["apiVersion"]
        .as_str()
        .map_or_else(|| target.info.ty.api_version(), str::to_owned);
    if kind != target.info.kind || api_version != target.info.ty.api_version() {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({}) or kind {kind} is not {}",
            target.info.ty.api_version(),
            target.info.kind
        )));
    }
    Ok(())
}

fn create(cluster: &Cluster, target: &Target, body: &[u8]) -> Answer {
    if target.name.is_some() {
        return Err(ApiError::method_not_allowed("POST"));
    }
    let object = patch::parse_body(body).map_err(bad_body)?;
    check_namespace(target, &object)?;
    check_kind(target, &object)?;
    let mut store = cluster.lock();
    let created = store.create(target.info.ty, target.namespace.as_deref().unwrap_or_default(), object)?;
    Ok((201, created))
}

fn update(cluster: &Cluster, target: &Target, body: &[u8]) -> Answer {
    let object = patch::parse_body(body).map_err(bad_body)?;
    check_namespace(target, &object)?;
    let mut store = cluster.lock();
    if target.subresource.as_deref() == Some("scale") {
        return scale_write(&mut store, target, object);
    }
    check_kind(target, &object)?;
    let part = if target.subresource.as_deref() == Some("status") {
        Part::Status
    } else {
        Part::Main
    };
    Ok((200, store.replace(&key(target), object, part)?))
}

fn patch_object(cluster: &Cluster, target: &Target, content_type: &str, body: &[u8]) -> Answer {
    let kind =
        PatchKind::from_content_type(content_type).ok_or_else(|| ApiError::unsupported_media_type(content_type))?;
    let mut store = cluster.lock();
    let key = key(target);
    let current = match store.get(&key) {
        Ok(current) => current.clone(),
        // Server-side apply creates what does not exist yet.
        Err(e) if e.code == 404 && kind == PatchKind::Apply && target.subresource.is_none() => {
            let mut object = patch::parse_body(body).map_err(bad_body)?;
            crate::sim::store::check_shape(&object)?;
            check_kind(target, &object)?;
            object["metadata"]["name"] = json!(key.name);
            let created = store.create(target.info.ty, &key.namespace, object)?;
            return Ok((201, created));
        }
        Err(e) => return Err(e),
    };
    let name = target.name.as_deref().unwrap_or_default();
    let is_scale = target.subresource.as_deref() == Some("scale");
    let base = if is_scale { to_scale(&current) } else { current };
    let patched = patch::apply(kind, &base, body).map_err(|e| match e {
        PatchError::Malformed(m) => ApiError::bad_request(m),
        PatchError::NotApplicable(m) => ApiError::invalid(&target.info.ty, name, m),
    })?;
    if is_scale {
        return scale_write(&mut store, target, patched);
    }
    let part = if target.subresource.as_deref() == Some("status") {
        Part::Status
    } else {
        Part::Main
    };
    Ok((200, store.replace(&key, patched, part)?))
}

fn delete(cluster: &Cluster, target: &Target, body: &[u8]) -> Answer {
    let mut store = cluster.lock();
    let key = key(target);
    let current = store.get(&key)?;
    if !body.is_empty() {
        let options = patch::parse_body(body).map_err(bad_body)?;
        let preconditions = &options["preconditions"];
        for field in ["resourceVersion", "uid"] {
            if let Some(want) = preconditions[field].as_str()
                && current["metadata"][field].as_str() != Some(want)
            {
                return Err(ApiError::conflict(&key.ty, &key.name));
            }
        }
    }
    let deleted = store.delete(&key)?;
    Ok((
        200,
        json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": {
                "name": key.name,
                "group": key.ty.group,
                "kind": key.ty.plural,
                "uid": deleted["metadata"]["uid"],
            },
        }),
    ))
}

/// A deployment or replica set seen through its `scale` subresource.
fn to_scale(object: &Value) -> Value {
    let selector = LabelSelector::from_value(&object["spec"]["selector"])
        .map(|s| s.to_string())
        .unwrap_or_default();
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": object["metadata"]["name"],
            "namespace": object["metadata"]["namespace"],
            "uid": object["metadata"]["uid"],
            "resourceVersion": object["metadata"]["resourceVersion"],
            "creationTimestamp": object["metadata"]["creationTimestamp"],
        },
        "spec": {"replicas": object["spec"]["replicas"]},
        "status": {"replicas": object["status"]["replicas"].as_i64().unwrap_or(0), "selector": selector},
    })
}

fn scale_write(store: &mut Store, target: &Target, scale: Value) -> Answer {
    let key = key(target);
    let mut object = store.get(&key)?.clone();
    let replicas = scale["spec"]["replicas"].as_i64().ok_or_else(|| {
        ApiError::invalid(
            &key.ty,
            &key.name,
            "spec.replicas: Required value: a scale needs spec.replicas",
        )
    })?;
    if replicas < 0 {
        return Err(ApiError::invalid(
            &key.ty,
            &key.name,
            format!("spec.replicas: Invalid value: {replicas}: must be greater than or equal to 0"),
        ));
    }
    object["spec"]["replicas"] = json!(replicas);
    object["metadata"]["resourceVersion"] = scale["metadata"]["resourceVersion"].clone();
    let updated = store.replace(&key, object, Part::Main)?;
    Ok((200, to_scale(&updated)))
}
