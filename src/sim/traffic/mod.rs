//! Synthetic traffic through the simulated world and the `/metrics` it
//! produces: requests follow the HTTPRoutes' current weights and mirrors to
//! the ready pods of each Service, each request is answered according to
//! its model version's profile, and the counts are served per deployment
//! in the Prometheus text format, for a real Prometheus or a direct scrape.

pub mod inference;
pub mod metrics;
pub mod profile;
pub mod routing;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::Cluster;
use super::resources::DEPLOYMENTS;
use super::store::Store;
use metrics::Metrics;
use profile::Profile;
use routing::Destination;

/// Real time between traffic steps.
const TICK: Duration = Duration::from_millis(100);

/// Requests generated so far, and the fractions of a request carried over
/// so that low shares still get their exact long-run count.
pub struct Traffic {
    /// Requests per second arriving at each HTTPRoute.
    pub route_rate: f64,
    /// The demo models in ONNX Runtime, when it is present.
    inference: Option<inference::Inference>,
    state: Mutex<State>,
}

struct State {
    metrics: Metrics,
    rng: fastrand::Rng,
    carry: HashMap<(String, Destination, bool), f64>,
}

impl Traffic {
    pub fn new(route_rate: f64, seed: u64) -> Traffic {
        Traffic {
            route_rate,
            inference: None,
            state: Mutex::new(State {
                metrics: Metrics::default(),
                rng: fastrand::Rng::with_seed(seed),
                carry: HashMap::new(),
            }),
        }
    }

    /// Answers with the models in ONNX Runtime (versions without a model
    /// keep their profile's draws).
    pub fn with_inference(mut self, inference: inference::Inference) -> Traffic {
        self.inference = Some(inference);
        self
    }

    /// Which runtime answers, for the demo's info.
    pub fn answered_by(&self) -> String {
        match &self.inference {
            Some(i) => format!("ONNX Runtime ({})", i.library),
            None => "synthetic draws (no ONNX Runtime)".into(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sends `seconds` worth of requests along the routes as they are now.
    pub fn step(&self, store: &Store, seconds: f64) {
        let shares = routing::shares(store);
        let mut state = self.lock();
        let State { metrics, rng, carry } = &mut *state;
        metrics.age(seconds);
        for share in shares {
            let key = (share.route, share.destination, share.mirrored);
            let due = carry.get(&key).copied().unwrap_or(0.0) + self.route_rate * seconds * share.fraction;
            let count = due.floor();
            carry.insert(key.clone(), due - count);
            let profile = Profile::for_version(&key.1.version);
            let answers = self
                .inference
                .as_ref()
                .and_then(|i| i.answer(&key.1.version, count as usize, rng));
            match answers {
                Some(Ok(answers)) => {
                    // The model decides confidence and correctness; serving
                    // overhead and failures still come from the profile.
                    for (p, label) in answers.probabilities.iter().zip(&answers.labels) {
                        let mut outcome = profile.draw(rng);
                        let p = f64::from(*p);
                        outcome.latency += answers.seconds_each;
                        outcome.confidence = p.max(1.0 - p);
                        outcome.correct = (p > 0.5) == *label;
                        metrics.record(&key.1, outcome);
                    }
                }
                Some(Err(e)) => tracing::warn!("inference for {} failed: {e}", key.1.version),
                None => {
                    for _ in 0..count as u64 {
                        metrics.record(&key.1, profile.draw(rng));
                    }
                }
            }
        }
    }

    /// The exposition for one deployment, or for all when `deployment` is None.
    pub fn render(&self, deployment: Option<(&str, &str)>) -> String {
        self.lock()
            .metrics
            .render(|d| deployment.is_none_or(|(namespace, name)| d.namespace == namespace && d.deployment == name))
    }
}

/// A running traffic generator and its `/metrics` listener; stopped when dropped.
pub struct MetricsServer {
    pub addr: SocketAddr,
    pub traffic: Arc<Traffic>,
    tasks: Vec<JoinHandle<()>>,
}

impl MetricsServer {
    /// Serves `/metrics` (every series) and `/metrics/NAMESPACE/DEPLOYMENT`
    /// on `addr` over plain HTTP, as model servers do inside a cluster.
    pub async fn start(
        addr: SocketAddr,
        cluster: Arc<Cluster>,
        traffic: Arc<Traffic>,
    ) -> std::io::Result<MetricsServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let generator = {
            let traffic = traffic.clone();
            tokio::spawn(async move {
                let mut last = Instant::now();
                let mut tick = tokio::time::interval(TICK);
                loop {
                    tick.tick().await;
                    let now = Instant::now();
                    traffic.step(&cluster.lock(), (now - last).as_secs_f64());
                    last = now;
                }
            })
        };
        let server = tokio::spawn(serve(listener, traffic.clone()));
        Ok(MetricsServer {
            addr,
            traffic,
            tasks: vec![generator, server],
        })
    }

    /// One scrape URL per deployment in the store, in name order.
    pub fn urls(&self, store: &Store) -> Vec<String> {
        store
            .keys(DEPLOYMENTS, None)
            .into_iter()
            .map(|key| format!("http://{}/metrics/{}/{}", self.addr, key.namespace, key.name))
            .collect()
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

async fn serve(listener: TcpListener, traffic: Arc<Traffic>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let traffic = traffic.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let traffic = traffic.clone();
                async move { Ok::<_, Infallible>(answer(&traffic, &req)) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn answer<B>(traffic: &Traffic, req: &Request<B>) -> Response<Full<Bytes>> {
    let parts: Vec<&str> = req.uri().path().trim_matches('/').split('/').collect();
    let body = match parts.as_slice() {
        ["metrics"] => Some(traffic.render(None)),
        ["metrics", namespace, deployment] => Some(traffic.render(Some((namespace, deployment)))),
        _ => None,
    };
    let (status, content_type, body) = match body {
        Some(body) => (StatusCode::OK, "text/plain; version=0.0.4; charset=utf-8", body),
        None => (
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "not found: use /metrics or /metrics/NAMESPACE/DEPLOYMENT\n".to_owned(),
        ),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backends::scrape;
    use crate::sim::world;

    fn demo() -> Cluster {
        crate::sim::settled_demo().unwrap()
    }

    fn total(text: &str, name: &str, version: &str) -> f64 {
        scrape::parse(text)
            .unwrap()
            .iter()
            .filter(|s| s.name == name && s.labels.iter().any(|(k, v)| k == "version" && v == version))
            .map(|s| s.value)
            .sum()
    }

    #[test]
    fn requests_follow_the_route_weights_and_the_mirror() {
        let cluster = demo();
        let traffic = Traffic::new(100.0, 7);
        for _ in 0..100 {
            traffic.step(&cluster.lock(), 0.1);
        }
        // 1000 requests at 90/10; errors are counted apart from predictions.
        let text = traffic.render(None);
        let answered =
            |v| total(&text, "model_predictions_total", v) + total(&text, "model_prediction_errors_total", v);
        assert_eq!(answered("2.0.5"), 900.0);
        assert_eq!(answered("2.1.0"), 100.0);
        let shares = routing::shares(&cluster.lock());
        let mirrored: f64 = shares.iter().filter(|s| s.mirrored).map(|s| s.fraction).sum();
        assert_eq!(answered("2.1.1"), (1000.0 * mirrored).round());
        // One deployment's URL shows only its own series.
        let stable = traffic.render(Some((world::NAMESPACE, world::APP)));
        assert!(stable.contains("version=\"2.0.5\"") && !stable.contains("2.1.0"));
    }
}
