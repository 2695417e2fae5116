//! A deployment's traffic split through its router: which router, reading
//! the split, where it lives, and the writes that change it. Shared by
//! canary moves, promotion, shadow and the guard.

use serde_json::Value;

use super::permission::Permission;
use super::{OpsError, Write, precondition};
use crate::backends::kube::Connection;
use crate::backends::kube::objects;
use crate::backends::kube::routers::{self, Router, TrafficSplit};
use crate::config::settings::RolloutSettings;

/// Patching the first object the deployment's router writes (its route);
/// without a router, the deployment itself.
pub fn traffic_permission(conn: &Connection, deployment: &str, settings: Option<&RolloutSettings>) -> Permission {
    let first = settings.and_then(|s| routers::for_rollout(s).objects().into_iter().next());
    match first {
        Some((kind, name)) => Permission::patch(&kind, &conn.namespace, &name),
        None => Permission::patch(&objects::DEPLOYMENT, &conn.namespace, deployment),
    }
}

/// The router of a deployment, or why there is none.
pub fn router_of(deployment: &str, settings: Option<&RolloutSettings>) -> Result<Box<dyn Router>, OpsError> {
    settings.map(routers::for_rollout).ok_or_else(|| {
        OpsError::Refused(format!(
            "no traffic router is configured for deployment {deployment:?}: add [rollouts.{deployment}] with router, \
             route, stable and canary to the configuration (modeldeck info shows which file)"
        ))
    })
}

/// The router's objects as read, and the split they hold.
pub async fn split(conn: &Connection, router: &dyn Router) -> Result<(Vec<Value>, TrafficSplit), OpsError> {
    let mut read = Vec::new();
    for (kind, name) in router.objects() {
        read.push(objects::get(conn, kind, &name).await?);
    }
    let split = router.split(&read)?;
    Ok((read, split))
}

/// "httproute ml-serving/web", or "deployments ml-serving/a and b".
pub fn where_split(conn: &Connection, router: &dyn Router) -> String {
    let objects = router.objects();
    match objects.as_slice() {
        [(kind, name)] => format!("{} {}/{name}", kind.noun(), conn.namespace),
        _ => {
            let names: Vec<&str> = objects.iter().map(|(_, n)| n.as_str()).collect();
            format!("{}s {}/{}", objects[0].0.noun(), conn.namespace, names.join(" and "))
        }
    }
}

/// The writes for per-object patches, each conditioned on its object's
/// version as read.
pub fn writes_for(router: &dyn Router, read: &[Value], patches: Vec<(usize, Vec<Value>)>) -> Vec<Write> {
    let objects = router.objects();
    patches
        .into_iter()
        .filter(|(_, ops)| !ops.is_empty())
        .filter_map(|(i, mut ops)| {
            let (kind, name) = objects.get(i)?.clone();
            ops.push(precondition(read.get(i)?));
            Some(Write::new(kind, &name, Value::Array(ops)))
        })
        .collect()
}
