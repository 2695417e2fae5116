//! Discovery documents: what kubectl reads first to learn which resources
//! exist, their kinds, verbs and short names. Plain (non-aggregated) JSON,
//! which kubectl accepts when it asked for aggregated discovery.

use serde_json::{Value, json};

use crate::sim::resources::{self, RESOURCES, ResourceInfo};

pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "32",
        "gitVersion": "v1.32.0-modeldeck-sim",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-11-30T00:00:00Z",
        "goVersion": "n/a (modeldeck simulated cluster)",
        "compiler": "rustc",
        "platform": "linux/amd64",
    })
}

pub fn core_versions() -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
    })
}

fn group_doc(group: &str) -> Value {
    let versions: Vec<Value> = resources::group_versions()
        .into_iter()
        .filter(|(g, _)| *g == group)
        .map(|(g, v)| json!({"groupVersion": format!("{g}/{v}"), "version": v}))
        .collect();
    json!({
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": group,
        "preferredVersion": versions.first().cloned().unwrap_or(Value::Null),
        "versions": versions,
    })
}

pub fn groups() -> Value {
    let mut names: Vec<&str> = Vec::new();
    for (group, _) in resources::group_versions() {
        if !group.is_empty() && !names.contains(&group) {
            names.push(group);
        }
    }
    let groups: Vec<Value> = names.into_iter().map(group_doc).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

pub fn group(group: &str) -> Option<Value> {
    resources::group_versions()
        .iter()
        .any(|(g, _)| *g == group && !group.is_empty())
        .then(|| group_doc(group))
}

pub fn resource_list(group: &str, version: &str) -> Option<Value> {
    let served: Vec<&ResourceInfo> = RESOURCES
        .iter()
        .filter(|r| r.ty.group == group && r.ty.version == version)
        .collect();
    if served.is_empty() {
        return None;
    }
    let mut list = Vec::new();
    for r in served {
        list.push(json!({
            "name": r.ty.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": r.verbs,
            "shortNames": r.short_names,
            "categories": r.categories,
        }));
        for sub in r.subresources {
            let entry = match *sub {
                "scale" => json!({
                    "name": format!("{}/scale", r.ty.plural),
                    "singularName": "",
                    "namespaced": r.namespaced,
                    "group": "autoscaling",
                    "version": "v1",
                    "kind": "Scale",
                    "verbs": ["get", "patch", "update"],
                }),
                _ => json!({
                    "name": format!("{}/{sub}", r.ty.plural),
                    "singularName": "",
                    "namespaced": r.namespaced,
                    "kind": r.kind,
                    "verbs": ["get", "patch", "update"],
                }),
            };
            list.push(entry);
        }
    }
    let group_version = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": list,
    }))
}

/// `/openapi/v3`: the document of each group version. kubectl reads these
/// only to learn whether the server validates fields itself
/// (`fieldValidation`), which spares it downloading full schemas.
pub fn openapi_root() -> Value {
    let mut paths = serde_json::Map::new();
    for (group, version) in resources::group_versions() {
        let path = if group.is_empty() {
            format!("api/{version}")
        } else {
            format!("apis/{group}/{version}")
        };
        let url = format!("/openapi/v3/{path}?hash=modeldeck-sim-1");
        paths.insert(path, json!({"serverRelativeURL": url}));
    }
    json!({"paths": paths})
}

/// A group version's OpenAPI v3 document, reduced to what clients use: the
/// PATCH operation of each kind with its `fieldValidation` parameter and
/// `x-kubernetes-group-version-kind` (as kubectl's query-parameter verifier
/// reads them). No schemas: the sim does not validate unknown fields.
pub fn openapi_group_version(group: &str, version: &str) -> Option<Value> {
    let mut paths = serde_json::Map::new();
    for r in RESOURCES
        .iter()
        .filter(|r| r.ty.group == group && r.ty.version == version)
    {
        let prefix = if group.is_empty() {
            format!("/api/{version}")
        } else {
            format!("/apis/{group}/{version}")
        };
        let path = if r.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", r.ty.plural)
        } else {
            format!("{prefix}/{}/{{name}}", r.ty.plural)
        };
        let operation = json!({
            "parameters": [{"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}}],
            "x-kubernetes-action": "patch",
            "x-kubernetes-group-version-kind": {"group": group, "version": version, "kind": r.kind},
        });
        paths.insert(path, json!({"patch": operation}));
    }
    if paths.is_empty() {
        return None;
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "modeldeck simulated cluster", "version": "v1.32.0"},
        "paths": paths,
        "components": {"schemas": {}},
    }))
}
