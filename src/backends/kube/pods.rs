//! The pods of a deployment: readiness, restarts, and why they are not
//! running when they are not.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;

use super::history::selected_by;
use super::{Connection, KubeError};
use crate::domain::rollout::PodSummary;
use crate::text::Clean;

pub fn pod_summary(pod: &Pod) -> PodSummary {
    let status = pod.status.clone().unwrap_or_default();
    let containers = pod.spec.as_ref().map_or(0, |s| s.containers.len());
    let statuses = status.container_statuses.clone().unwrap_or_default();
    let ready_containers = statuses.iter().filter(|c| c.ready).count();
    let waiting = statuses.iter().find_map(|c| {
        c.state
            .as_ref()
            .and_then(|s| s.waiting.as_ref())
            .and_then(|w| w.reason.clone())
    });
    let ready = status
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    PodSummary {
        name: Clean::new(pod.metadata.name.as_deref().unwrap_or_default()),
        ready,
        ready_containers: (ready_containers, containers),
        restarts: statuses.iter().map(|c| c.restart_count).sum(),
        status: Clean::new(&waiting.or(status.phase).unwrap_or_else(|| "Pending".into())),
        revision_hash: pod
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("pod-template-hash"))
            .map(|h| Clean::new(h)),
        created: pod.metadata.creation_timestamp.as_ref().map(|t| t.0),
    }
}

pub async fn pods(conn: &Connection, deployment: &Deployment) -> Result<Vec<PodSummary>, KubeError> {
    Ok(selected_by::<Pod>(conn, deployment)
        .await?
        .iter()
        .map(pod_summary)
        .collect())
}
