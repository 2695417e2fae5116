//! Deployments as rollouts: their status, revision and version.

use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;
use kube::api::ListParams;

use super::status::rollout_status;
use super::{Connection, KubeError};
use crate::domain::rollout::Rollout;
use crate::domain::version::VersionRule;
use crate::text::{Clean, clean};

pub const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";

/// A deployment as a rollout; its version read by `versions`.
pub fn rollout_of(d: &Deployment, versions: &VersionRule) -> Rollout {
    let spec = d.spec.clone().unwrap_or_default();
    let status = d.status.clone().unwrap_or_default();
    let template_spec = spec.template.spec.clone().unwrap_or_default();
    let images: Vec<Clean> = template_spec
        .containers
        .iter()
        .filter_map(|c| c.image.as_deref().map(Clean::new))
        .collect();
    let labels = template_labels(spec.template.metadata.as_ref());
    Rollout {
        namespace: Clean::new(d.metadata.namespace.as_deref().unwrap_or_default()),
        name: Clean::new(d.metadata.name.as_deref().unwrap_or_default()),
        status: rollout_status(d),
        replicas: spec.replicas.unwrap_or(1),
        updated: status.updated_replicas.unwrap_or(0),
        ready: status.ready_replicas.unwrap_or(0),
        available: status.available_replicas.unwrap_or(0),
        revision: d
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(REVISION_ANNOTATION))
            .and_then(|r| r.parse().ok())
            .unwrap_or(0),
        version: versions.of(&labels, &images),
        labels,
        images,
        strategy: spec
            .strategy
            .and_then(|s| s.type_)
            .map_or_else(|| Clean::new("RollingUpdate"), |s| Clean::new(&s)),
        probes: template_spec
            .containers
            .iter()
            .flat_map(|c| {
                [
                    ("live", c.liveness_probe.as_ref()),
                    ("ready", c.readiness_probe.as_ref()),
                ]
            })
            .filter_map(|(kind, probe)| probe.map(|p| Clean::new(&format!("{kind} {}", probe_target(p)))))
            .collect(),
        paused: spec.paused.unwrap_or(false),
        created: d.metadata.creation_timestamp.as_ref().map(|t| t.0),
    }
}

/// A pod template's labels, cleaned for showing.
pub fn template_labels(
    metadata: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta>,
) -> std::collections::BTreeMap<Clean, Clean> {
    metadata
        .and_then(|m| m.labels.as_ref())
        .map(|labels| labels.iter().map(|(k, v)| (Clean::new(k), Clean::new(v))).collect())
        .unwrap_or_default()
}

/// What a probe checks, as an operator reads it.
fn probe_target(probe: &k8s_openapi::api::core::v1::Probe) -> String {
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    let port = |p: &IntOrString| match p {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => clean(s),
    };
    if let Some(http) = &probe.http_get {
        format!(
            "GET {} :{}",
            clean(http.path.as_deref().unwrap_or("/")),
            port(&http.port)
        )
    } else if let Some(tcp) = &probe.tcp_socket {
        format!("TCP :{}", port(&tcp.port))
    } else if probe.exec.is_some() {
        "exec".into()
    } else {
        "grpc".into()
    }
}

pub async fn get(conn: &Connection, name: &str) -> Result<Deployment, KubeError> {
    let api: Api<Deployment> = Api::namespaced(conn.client.clone(), &conn.namespace);
    api.get(name).await.map_err(|e| KubeError::from_kube(e, &conn.server))
}

pub async fn list(conn: &Connection) -> Result<Vec<Deployment>, KubeError> {
    let api: Api<Deployment> = if conn.all_namespaces {
        Api::all(conn.client.clone())
    } else {
        Api::namespaced(conn.client.clone(), &conn.namespace)
    };
    let list = api
        .list(&ListParams::default())
        .await
        .map_err(|e| KubeError::from_kube(e, &conn.server))?;
    Ok(list.items)
}
