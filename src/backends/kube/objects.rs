//! Any kind as JSON, through kube's dynamic API: Services, Gateway API
//! routes, Istio and KServe objects have no typed structs here, and the
//! traffic routers read and patch them all the same way.

use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams};
use kube::discovery::ApiResource;
use serde_json::Value;

use super::writes::FIELD_MANAGER;
use super::{Connection, KubeError};
use crate::domain::version::{VersionRule, Versioned};
use crate::text::Clean;

/// The version a pod, or a pod template, runs by `versions`: its labels
/// and container images as JSON (`metadata.labels`, `spec.containers`).
pub fn version_of(versions: &VersionRule, pod_or_template: &Value) -> Versioned {
    let labels = pod_or_template["metadata"]["labels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (Clean::new(k), Clean::new(v.as_str().unwrap_or_default())))
        .collect();
    let images: Vec<Clean> = pod_or_template["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["image"].as_str().map(Clean::new))
        .collect();
    versions.of(&labels, &images)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Kind {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
}

impl Kind {
    pub(crate) fn resource(&self) -> ApiResource {
        ApiResource {
            group: self.group.into(),
            version: self.version.into(),
            api_version: if self.group.is_empty() {
                self.version.into()
            } else {
                format!("{}/{}", self.group, self.version)
            },
            kind: self.kind.into(),
            plural: self.plural.into(),
        }
    }

    /// `deployment`, `httproute`: how messages name the kind.
    pub fn noun(&self) -> String {
        self.kind.to_ascii_lowercase()
    }
}

pub const DEPLOYMENT: Kind = Kind {
    group: "apps",
    version: "v1",
    kind: "Deployment",
    plural: "deployments",
};
pub const SERVICE: Kind = Kind {
    group: "",
    version: "v1",
    kind: "Service",
    plural: "services",
};
pub const POD: Kind = Kind {
    group: "",
    version: "v1",
    kind: "Pod",
    plural: "pods",
};
pub const HTTPROUTE: Kind = Kind {
    group: "gateway.networking.k8s.io",
    version: "v1",
    kind: "HTTPRoute",
    plural: "httproutes",
};

fn api(conn: &Connection, kind: Kind) -> Api<DynamicObject> {
    Api::namespaced_with(conn.client.clone(), &conn.namespace, &kind.resource())
}

fn to_json(object: &DynamicObject) -> Result<Value, KubeError> {
    serde_json::to_value(object).map_err(|e| KubeError::Other(e.to_string()))
}

pub async fn get(conn: &Connection, kind: Kind, name: &str) -> Result<Value, KubeError> {
    let object = api(conn, kind)
        .get(name)
        .await
        .map_err(|e| KubeError::from_kube(e, &conn.server))?;
    to_json(&object)
}

pub async fn list(conn: &Connection, kind: Kind, labels: &str) -> Result<Vec<Value>, KubeError> {
    let list = api(conn, kind)
        .list(&ListParams::default().labels(labels))
        .await
        .map_err(|e| KubeError::from_kube(e, &conn.server))?;
    list.items.iter().map(to_json).collect()
}

/// Applies a JSON Patch (RFC 6902) and returns the object as written.
pub async fn json_patch(conn: &Connection, kind: Kind, name: &str, patch: &Value) -> Result<Value, KubeError> {
    let patch: json_patch::Patch =
        serde_json::from_value(patch.clone()).map_err(|e| KubeError::Other(format!("invalid JSON Patch: {e}")))?;
    let params = PatchParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..PatchParams::default()
    };
    let object = api(conn, kind)
        .patch(name, &params, &Patch::<()>::Json(patch))
        .await
        .map_err(|e| KubeError::from_kube(e, &conn.server))?;
    to_json(&object)
}
