//! Revision history: the deployment's ReplicaSets, numbered by their
//! revision annotation, counted only when the deployment controls them
//! (as `kubectl rollout history` counts them).

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use kube::Api;
use kube::api::ListParams;
use kube::core::Selector;

use super::rollouts::{REVISION_ANNOTATION, template_labels};
use super::{Connection, KubeError};
use crate::domain::rollout::Revision;
use crate::domain::version::VersionRule;
use crate::text::{Clean, clean};

pub const CHANGE_CAUSE_ANNOTATION: &str = "kubernetes.io/change-cause";

pub fn revision_number(rs: &ReplicaSet) -> i64 {
    rs.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(REVISION_ANNOTATION))
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

/// Objects of kind `K` in the deployment's namespace that its selector
/// selects (its ReplicaSets, its pods).
pub async fn selected_by<K>(conn: &Connection, deployment: &Deployment) -> Result<Vec<K>, KubeError>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    <K as kube::Resource>::DynamicType: Default,
{
    // kube's own selector type writes the query syntax, as the API
    // server parses it (an operator it does not know is refused here).
    let name = deployment.metadata.name.as_deref().unwrap_or_default();
    let selector = deployment
        .spec
        .as_ref()
        .map(|s| Selector::try_from(s.selector.clone()))
        .transpose()
        .map_err(|e| {
            KubeError::Other(format!(
                "deployment {name}: its selector cannot be read: {}",
                clean(&e.to_string())
            ))
        })?
        .unwrap_or_default();
    let namespace = deployment.metadata.namespace.as_deref().unwrap_or(&conn.namespace);
    let api: Api<K> = Api::namespaced(conn.client.clone(), namespace);
    let list = api
        .list(&ListParams::default().labels_from(&selector))
        .await
        .map_err(|e| KubeError::from_kube(e, &conn.server))?;
    Ok(list.items)
}

/// The ReplicaSets the deployment controls, oldest revision first.
pub async fn replica_sets(conn: &Connection, deployment: &Deployment) -> Result<Vec<ReplicaSet>, KubeError> {
    let uid = deployment.metadata.uid.as_deref();
    let mut sets: Vec<ReplicaSet> = selected_by::<ReplicaSet>(conn, deployment)
        .await?
        .into_iter()
        .filter(|rs| {
            rs.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.controller == Some(true) && Some(o.uid.as_str()) == uid)
        })
        .collect();
    sets.sort_by_key(revision_number);
    Ok(sets)
}

pub fn revision_of(rs: &ReplicaSet, current: i64, versions: &VersionRule) -> Revision {
    let number = revision_number(rs);
    let template = rs.spec.as_ref().and_then(|s| s.template.clone()).unwrap_or_default();
    let labels = template_labels(template.metadata.as_ref());
    let images: Vec<Clean> = template
        .spec
        .iter()
        .flat_map(|s| s.containers.iter())
        .filter_map(|c| c.image.as_deref().map(Clean::new))
        .collect();
    let status = rs.status.clone().unwrap_or_default();
    Revision {
        number,
        replica_set: Clean::new(rs.metadata.name.as_deref().unwrap_or_default()),
        version: versions.of(&labels, &images),
        images,
        change_cause: rs
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(CHANGE_CAUSE_ANNOTATION))
            .map(|c| Clean::new(c)),
        replicas: status.replicas,
        ready: status.ready_replicas.unwrap_or(0),
        created: rs.metadata.creation_timestamp.as_ref().map(|t| t.0),
        current: number == current && number > 0,
    }
}

pub fn history(current: i64, sets: &[ReplicaSet], versions: &VersionRule) -> Vec<Revision> {
    sets.iter()
        .filter(|rs| revision_number(rs) > 0)
        .map(|rs| revision_of(rs, current, versions))
        .collect()
}
