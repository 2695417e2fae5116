//! The cluster as the console shows it, live from watches (never polling):
//! Deployments, Services, and the objects that hold each configured
//! rollout's traffic split (HTTPRoutes, VirtualServices, Ingresses,
//! InferenceServices). Each watch reconnects by itself after a drop.
//!
//! Whatever has arrived is taken in at once and sent as one snapshot: no
//! wait between events, so a steady stream of changes never queues up
//! behind the console (it used to sleep after each event and fell seconds
//! behind `kubectl get -w` under four writers).

use std::collections::{BTreeMap, BTreeSet};

use futures_util::stream::{BoxStream, select_all};
use futures_util::{FutureExt, StreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Service;
use kube::api::{Api, DynamicObject};
use kube::runtime::reflector::{self, Store, reflector, store::Writer};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::Value;
use tokio::task::JoinHandle;

use super::Connection;
use super::error::WatchError;
use super::objects::{DEPLOYMENT, Kind};
use super::rollouts::rollout_of;
use super::routers::{self, Router};
use crate::config::settings::{RolloutSettings, RouterKind, TrafficSettings, ladder_for};
use crate::domain::rollout::{ClusterState, Rollout, RolloutKey};
use crate::domain::traffic::{Role, SplitError, Track, Traffic};
use crate::text::clean;

/// Most events taken in before a snapshot goes out, so a flood of changes
/// still shows progress.
const DRAIN_LIMIT: usize = 4096;

pub type Snapshot = Result<ClusterState, WatchError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    Deployments,
    Services,
    Kind(usize),
}

/// What one watch event changed.
enum Step {
    Changed,
    Initializing,
    Ready,
    Failed(WatchError),
}

fn step<K>(event: Result<watcher::Event<K>, watcher::Error>, server: &str) -> Step {
    match event {
        Ok(watcher::Event::Init) => Step::Initializing,
        Ok(watcher::Event::InitDone) => Step::Ready,
        Ok(_) => Step::Changed,
        Err(e) => Step::Failed(WatchError::from_watcher(&e, server)),
    }
}

/// Watches the connection's namespace (or all of them); `send` gets each
/// snapshot, or each error of the Deployments or Services watch (the
/// console keeps its data, marked stale). Stops when `send` returns false
/// (nobody listens) or the task is aborted.
pub fn watch_cluster(
    conn: &Connection,
    plan: TrafficSettings,
    send: impl Fn(Snapshot) -> bool + Send + 'static,
) -> JoinHandle<()> {
    let client = conn.client.clone();
    let namespace = conn.namespace.clone();
    let all = conn.all_namespaces;
    let versions = conn.versions.clone();
    let typed = |client: kube::Client| -> (Api<Deployment>, Api<Service>) {
        if all {
            (Api::all(client.clone()), Api::all(client))
        } else {
            (
                Api::namespaced(client.clone(), &namespace),
                Api::namespaced(client, &namespace),
            )
        }
    };
    let (deployment_api, service_api) = typed(client.clone());
    let (deployments, deployment_writer) = reflector::store();
    let (services, service_writer) = reflector::store();
    let config = watcher::Config::default;
    let mut streams: Vec<BoxStream<'static, (Source, Step)>> = vec![
        reflector(deployment_writer, watcher(deployment_api, config()).default_backoff())
            .map({
                let server = conn.server.clone();
                move |e| (Source::Deployments, step(e, &server))
            })
            .boxed(),
        reflector(service_writer, watcher(service_api, config()).default_backoff())
            .map({
                let server = conn.server.clone();
                move |e| (Source::Services, step(e, &server))
            })
            .boxed(),
    ];
    // One watch per kind of object that holds a configured split.
    let kinds: Vec<Kind> = plan
        .rollouts
        .values()
        .flat_map(|s| routers::for_rollout(s).objects())
        .map(|(kind, _)| kind)
        .filter(|kind| *kind != DEPLOYMENT)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut objects: Vec<(Kind, Store<DynamicObject>)> = Vec::new();
    for (i, kind) in kinds.iter().enumerate() {
        let resource = kind.resource();
        let api: Api<DynamicObject> = if all {
            Api::all_with(client.clone(), &resource)
        } else {
            Api::namespaced_with(client.clone(), &namespace, &resource)
        };
        let writer = Writer::new(resource);
        objects.push((*kind, writer.as_reader()));
        streams.push(
            reflector(writer, watcher(api, config()).default_backoff())
                .map({
                    let server = conn.server.clone();
                    move |e| (Source::Kind(i), step(e, &server))
                })
                .boxed(),
        );
    }
    let stream = select_all(streams);
    tokio::spawn(async move {
        struct Seen {
            errors: BTreeMap<Source, WatchError>,
            /// Watches whose list is not read yet: until each has been read
            /// (or failed), a snapshot would show a route as missing.
            initializing: BTreeSet<Source>,
        }
        let mut seen = Seen {
            errors: BTreeMap::new(),
            initializing: [Source::Deployments, Source::Services]
                .into_iter()
                .chain((0..objects.len()).map(Source::Kind))
                .collect(),
        };
        let take = |seen: &mut Seen, (source, step): (Source, Step)| {
            let Seen { errors, initializing } = seen;
            match step {
                Step::Changed => {
                    errors.remove(&source);
                }
                Step::Initializing => {
                    initializing.insert(source);
                }
                Step::Ready => {
                    initializing.remove(&source);
                    errors.remove(&source);
                }
                Step::Failed(e) => {
                    // A kind the cluster does not serve fails for good; its
                    // routes say so rather than hold up the rest.
                    initializing.remove(&source);
                    errors.insert(source, e);
                }
            }
            !initializing.is_empty()
        };
        let flush = move |seen: &mut Seen| {
            let errors = &seen.errors;
            let core = [Source::Deployments, Source::Services];
            if let Some(e) = core.iter().find_map(|s| errors.get(s)) {
                return send(Err(e.clone()));
            }
            let mut rollouts: Vec<Rollout> = deployments.state().iter().map(|d| rollout_of(d, &versions)).collect();
            rollouts.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
            send(Ok(cluster_state(
                rollouts,
                &deployments,
                &services,
                &objects,
                errors,
                &plan,
            )))
        };
        pump(stream, &mut seen, take, flush).await;
    })
}

/// Takes every event that has arrived (up to [`DRAIN_LIMIT`]) with `take`,
/// then sends one snapshot with `flush`, and waits for the next event —
/// never for a timer. `take` says whether a list is half read (its
/// snapshot would pass for the whole cluster, so none is sent yet).
/// Ends when the stream does or `flush` returns false.
async fn pump<S: futures_util::Stream + Unpin, T>(
    mut stream: S,
    seen: &mut T,
    mut take: impl FnMut(&mut T, S::Item) -> bool,
    mut flush: impl FnMut(&mut T) -> bool,
) {
    loop {
        let Some(first) = stream.next().await else { return };
        let mut half_read = take(seen, first);
        for _ in 0..DRAIN_LIMIT {
            match stream.next().now_or_never() {
                Some(Some(event)) => half_read = take(seen, event),
                _ => break,
            }
        }
        if !half_read && !flush(seen) {
            return;
        }
    }
}

/// The snapshot: every rollout, each configured one's traffic, and what
/// each Deployment is to those.
fn cluster_state(
    rollouts: Vec<Rollout>,
    deployments: &Store<Deployment>,
    services: &Store<Service>,
    objects: &[(Kind, Store<DynamicObject>)],
    errors: &BTreeMap<Source, WatchError>,
    plan: &TrafficSettings,
) -> ClusterState {
    let mut traffic = BTreeMap::new();
    let mut roles = BTreeMap::new();
    for rollout in &rollouts {
        let Some(settings) = plan.rollouts.get(rollout.name.as_str()) else {
            continue;
        };
        let router = routers::for_rollout(settings);
        let split = read_split(router.as_ref(), &rollout.namespace, deployments, objects, errors);
        traffic.insert(
            rollout.key(),
            Traffic {
                split,
                ladder: ladder_for(Some(settings), &plan.ladder).to_vec(),
            },
        );
        for (track, backend) in backends(settings) {
            for member in members(settings.router, &backend, &rollout.namespace, &rollouts, services) {
                if member != rollout.name {
                    let role = Role {
                        rollout: rollout.name.to_string(),
                        track,
                    };
                    roles.insert((rollout.namespace.to_string(), member), role);
                }
            }
        }
    }
    // One pass: each Service's key with its resourceVersion, sorted, so
    // the hash changes exactly when some Service does.
    let mut with_versions: Vec<(RolloutKey, String)> = services
        .state()
        .iter()
        .map(|s| {
            let meta = &s.metadata;
            let key = (
                clean(meta.namespace.as_deref().unwrap_or_default()),
                clean(meta.name.as_deref().unwrap_or_default()),
            );
            (key, meta.resource_version.clone().unwrap_or_default())
        })
        .collect();
    with_versions.sort();
    let services_changed = {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        with_versions.hash(&mut hasher);
        hasher.finish()
    };
    let services = with_versions.into_iter().map(|(key, _)| key).collect();
    ClusterState {
        rollouts,
        traffic,
        roles,
        services,
        services_changed,
    }
}

/// The split from the watched objects, as the router reads it.
fn read_split(
    router: &dyn Router,
    namespace: &str,
    deployments: &Store<Deployment>,
    objects: &[(Kind, Store<DynamicObject>)],
    errors: &BTreeMap<Source, WatchError>,
) -> Result<crate::domain::traffic::TrafficSplit, SplitError> {
    let mut read = Vec::new();
    for (kind, name) in router.objects() {
        let found: Option<Value> = if kind == DEPLOYMENT {
            deployments
                .state()
                .iter()
                .find(|d| {
                    d.metadata.name.as_deref() == Some(&name) && d.metadata.namespace.as_deref() == Some(namespace)
                })
                .and_then(|d| serde_json::to_value(d.as_ref()).ok())
        } else {
            let Some(i) = objects.iter().position(|(k, _)| *k == kind) else {
                return Err(SplitError::NotWatched { noun: kind.noun() });
            };
            if let Some(e) = errors.get(&Source::Kind(i)) {
                return Err(SplitError::Unwatchable {
                    noun: kind.noun(),
                    error: e.to_string(),
                });
            }
            objects[i]
                .1
                .state()
                .iter()
                .find(|o| {
                    o.metadata.name.as_deref() == Some(&name) && o.metadata.namespace.as_deref() == Some(namespace)
                })
                .and_then(|o| serde_json::to_value(o.as_ref()).ok())
        };
        match found {
            Some(object) => read.push(object),
            None => {
                return Err(SplitError::NotFound {
                    noun: kind.noun(),
                    namespace: namespace.to_owned(),
                    name,
                });
            }
        }
    }
    router.split(&read).map(|mut split| {
        split.stable_backend = clean(&split.stable_backend);
        split.canary_backend = clean(&split.canary_backend);
        split
    })
}

/// The backends a rollout's settings name, by track.
fn backends(settings: &RolloutSettings) -> Vec<(Track, String)> {
    [
        (Track::Stable, &settings.stable),
        (Track::Canary, &settings.canary),
        (Track::Shadow, &settings.shadow),
    ]
    .into_iter()
    .filter(|(_, b)| !b.is_empty())
    .map(|(t, b)| (t, b.clone()))
    .collect()
}

/// The Deployments a backend stands for: the Deployment itself for the
/// replicas router; else those whose pods the backend's Service selects
/// (Istio hosts name a Service by their first DNS label; subsets and
/// KServe predictors name no Service).
fn members(
    router: RouterKind,
    backend: &str,
    namespace: &str,
    rollouts: &[Rollout],
    services: &Store<Service>,
) -> Vec<String> {
    let service = match router {
        RouterKind::Replicas => return vec![backend.to_owned()],
        RouterKind::KServe => return Vec::new(),
        RouterKind::Istio => backend.split('.').next().unwrap_or(backend),
        RouterKind::GatewayApi | RouterKind::IngressNginx => backend,
    };
    let selector = services
        .state()
        .iter()
        .find(|s| s.metadata.name.as_deref() == Some(service) && s.metadata.namespace.as_deref() == Some(namespace))
        .and_then(|s| s.spec.as_ref()?.selector.clone())
        .unwrap_or_default();
    if selector.is_empty() {
        return Vec::new();
    }
    rollouts
        .iter()
        .filter(|r| r.namespace == namespace)
        .filter(|r| {
            selector
                .iter()
                .all(|(k, v)| r.labels.get(k.as_str()).is_some_and(|l| l == v))
        })
        .map(|r| r.name.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_changes_goes_out_as_one_snapshot_without_waiting() {
        let start = tokio::time::Instant::now();
        let events = futures_util::stream::iter(0..500);
        let mut counts = (0, 0);
        pump(
            events,
            &mut counts,
            |(taken, _), _| {
                *taken += 1;
                false
            },
            |(_, sent)| {
                *sent += 1;
                true
            },
        )
        .await;
        let (taken, sent) = counts;
        assert_eq!((taken, sent), (500, 1), "everything arrived goes into one snapshot");
        // With the clock paused, any sleep would have moved it.
        assert_eq!(tokio::time::Instant::now(), start, "no timer between events");
    }

    #[tokio::test(start_paused = true)]
    async fn a_half_read_list_is_not_sent() {
        // One event at a time: the first two arrive while the list is read.
        let mut sent = 0;
        for half_read in [true, true, false] {
            pump(
                futures_util::stream::iter([half_read]),
                &mut sent,
                |_, half| half,
                |sent| {
                    *sent += 1;
                    true
                },
            )
            .await;
        }
        assert_eq!(sent, 1);
    }
}
