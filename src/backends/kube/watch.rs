//! Live rollouts from a watch (never polling): every change to a
//! deployment in the namespace sends a fresh snapshot. The watcher
//! reconnects with backoff by itself after a drop; each failure is
//! reported so the console can mark its data stale meanwhile.

use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;
use kube::runtime::{WatchStreamExt, reflector, watcher};
use tokio::task::JoinHandle;

use super::Connection;
use super::rollouts::rollout_of;
use crate::domain::rollout::Rollout;

/// Changes closer together than this are sent as one snapshot.
const COALESCE: Duration = Duration::from_millis(100);

pub type Snapshot = Result<Vec<Rollout>, String>;

/// Watches deployments in the connection's namespace; `send` gets each
/// snapshot (sorted by name) or each watch error. Stops when `send`
/// returns false (nobody listens) or the task is aborted.
pub fn watch_rollouts(conn: &Connection, send: impl Fn(Snapshot) -> bool + Send + 'static) -> JoinHandle<()> {
    let api: Api<Deployment> = if conn.all_namespaces {
        Api::all(conn.client.clone())
    } else {
        Api::namespaced(conn.client.clone(), &conn.namespace)
    };
    let versions = conn.versions.clone();
    let (reader, writer) = reflector::store();
    let stream = reflector(writer, watcher(api, watcher::Config::default()).default_backoff());
    tokio::spawn(async move {
        let mut stream = stream.boxed();
        loop {
            let Some(event) = stream.next().await else { return };
            if let Err(e) = event {
                if !send(Err(format!("watch interrupted, reconnecting: {e}"))) {
                    return;
                }
                continue;
            }
            // Let a burst of changes settle, then send one snapshot.
            tokio::time::sleep(COALESCE).await;
            while let Some(Some(Ok(_))) = futures_util::FutureExt::now_or_never(stream.next()) {}
            let mut rollouts: Vec<Rollout> = reader.state().iter().map(|d| rollout_of(d, &versions)).collect();
            rollouts.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
            if !send(Ok(rollouts)) {
                return;
            }
        }
    })
}
