//! Watches: newline-delimited `{"type":…,"object":…}` events, from a
//! resourceVersion or from a synthetic ADDED for every current object, with
//! BOOKMARK events when asked, ending at `timeoutSeconds`.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream;
use http_body_util::{BodyExt, StreamBody};
use hyper::Response;
use hyper::body::Frame;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use super::route::Target;
use super::selector::{FieldSelector, LabelSelector};
use super::{Body, error_response, table};
use crate::sim::Cluster;
use crate::sim::error::ApiError;
use crate::sim::store::{EventType, WatchEvent};

/// Real time between bookmarks.
const BOOKMARK_EVERY: Duration = Duration::from_secs(1);
/// Longest watch when the client gives no timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);

pub struct WatchRequest {
    pub target: Target,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    /// None or 0: start with the current objects.
    pub since: Option<u64>,
    pub bookmarks: bool,
    pub timeout: Option<Duration>,
    /// `kubectl get -w` asks for each event's object as a one-row Table.
    pub as_table: bool,
}

impl WatchRequest {
    /// An event line, its object as the client asked for it.
    fn event(&self, kind: &str, object: &Value, revision: u64, now: jiff::Timestamp) -> Bytes {
        if self.as_table {
            line(kind, &table::table(self.target.info, &[object], revision, now))
        } else {
            line(kind, object)
        }
    }

    fn matches(&self, event: &WatchEvent) -> bool {
        event.key.ty == self.target.info.ty
            && self
                .target
                .namespace
                .as_ref()
                .is_none_or(|ns| *ns == event.key.namespace)
            && self.target.name.as_ref().is_none_or(|n| *n == event.key.name)
            && self.labels.matches(&event.object)
            && self.fields.matches(&event.object)
    }
}

fn line(kind: &str, object: &Value) -> Bytes {
    let mut text = json!({"type": kind, "object": object}).to_string();
    text.push('\n');
    Bytes::from(text)
}

pub fn start(cluster: &Arc<Cluster>, request: WatchRequest) -> Result<Response<Body>, ApiError> {
    let (initial, mut events) = {
        let store = cluster.lock();
        match request.since.filter(|rv| *rv > 0) {
            Some(rv) => {
                let (past, events) = store.watch(rv)?;
                let lines: Vec<Bytes> = past
                    .iter()
                    .filter(|e| request.matches(e))
                    .map(|e| request.event(e.kind.as_str(), &e.object, e.revision, store.now()))
                    .collect();
                (lines, events)
            }
            None => {
                let (_, events) = store.watch(store.revision())?;
                let ty = request.target.info.ty;
                let lines: Vec<Bytes> = store
                    .list(ty, request.target.namespace.as_deref())
                    .into_iter()
                    .filter(|o| {
                        request
                            .target
                            .name
                            .as_ref()
                            .is_none_or(|n| o["metadata"]["name"] == **n)
                    })
                    .filter(|o| request.labels.matches(o) && request.fields.matches(o))
                    .map(|o| request.event(EventType::Added.as_str(), o, store.revision(), store.now()))
                    .collect();
                (lines, events)
            }
        }
    };
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    let mut epoch = cluster.watch_epoch();
    let cluster = cluster.clone();
    let info = request.target.info;
    tokio::spawn(async move {
        for l in initial {
            if tx.send(l).await.is_err() {
                return;
            }
        }
        let deadline = tokio::time::sleep(request.timeout.unwrap_or(DEFAULT_TIMEOUT));
        tokio::pin!(deadline);
        let mut bookmark = tokio::time::interval(BOOKMARK_EVERY);
        bookmark.tick().await;
        loop {
            let next = tokio::select! {
                event = events.recv() => match event {
                    Ok(event) if request.matches(&event) => {
                        let now = cluster.lock().now();
                        request.event(event.kind.as_str(), &event.object, event.revision, now)
                    }
                    Ok(_) => continue,
                    // A watcher too slow to keep up is closed; it re-lists,
                    // as clients of a real API server do.
                    Err(broadcast::error::RecvError::Lagged(_) | broadcast::error::RecvError::Closed) => return,
                },
                _ = bookmark.tick(), if request.bookmarks => {
                    let rv = cluster.lock().revision();
                    let object = json!({
                        "kind": info.kind,
                        "apiVersion": info.ty.api_version(),
                        "metadata": {"resourceVersion": rv.to_string()},
                    });
                    line("BOOKMARK", &object)
                }
                _ = &mut deadline => return,
                _ = tx.closed() => return,
                _ = epoch.changed() => {
                    cluster.watch_dropped();
                    return;
                }
            };
            if tx.send(next).await.is_err() {
                return;
            }
        }
    });
    let body = stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|bytes| (Ok::<_, std::convert::Infallible>(Frame::data(bytes)), rx))
    });
    let mut response = Response::new(StreamBody::new(body).boxed());
    response.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// A watch that cannot start answers with the error as its only event, as
/// the API server does for a too-old resourceVersion.
pub fn start_or_error_event(cluster: &Arc<Cluster>, request: WatchRequest) -> Response<Body> {
    match start(cluster, request) {
        Ok(response) => response,
        Err(error) if error.code == 410 => {
            let mut response = Response::new(super::full(line("ERROR", &error.to_status())));
            response.headers_mut().insert(
                "content-type",
                hyper::header::HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(error) => error_response(&error),
    }
}
