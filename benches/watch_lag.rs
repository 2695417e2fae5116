//! How far behind the cluster the console's list is under a steady stream
//! of changes, against `kubectl get -w` watching the same Deployments in
//! the same run (these machines are noisy: only the ratio means much).
//!
//! The simulated cluster runs in its own process (`modeldeck demo --serve`);
//! 40 Deployments, 4 writers each setting a new image on one of its ten
//! every 100 ms. A write is seen when a watcher first shows its image:
//! kubectl's printed line, or the console watch's snapshot (what the list
//! draws from). Run by `scripts/bench`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark may panic on a broken setup

use std::collections::HashMap;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams, PostParams};
use modeldeck::backends::kube::KubeTarget;
use modeldeck::backends::kube::watch::watch_cluster;
use modeldeck::config::settings::TrafficSettings;

const NAMESPACE: &str = "ml-serving";
const DEPLOYMENTS: usize = 40;
const WRITERS: usize = 4;
const INTERVAL: Duration = Duration::from_millis(250);

/// When each (deployment, image) was first seen, by one watcher.
type Seen = Arc<Mutex<HashMap<(String, String), Instant>>>;

struct Demo {
    child: Child,
    _dir: tempfile::TempDir,
    kubeconfig: std::path::PathBuf,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_demo() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let info = dir.path().join("info.json");
    let child = Command::new(env!("CARGO_BIN_EXE_modeldeck"))
        .args(["demo", "--serve", "--rate", "0", "--dir"])
        .arg(dir.path().join("demo"))
        .arg("--info-file")
        .arg(&info)
        .env("MODELDECK_STATE_DIR", dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("modeldeck demo --serve");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !info.exists() {
        assert!(Instant::now() < deadline, "the demo never wrote {}", info.display());
        std::thread::sleep(Duration::from_millis(50));
    }
    let text = std::fs::read_to_string(&info).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let kubeconfig = v["kubeconfig"].as_str().unwrap().into();
    Demo {
        child,
        _dir: dir,
        kubeconfig,
    }
}

fn name(i: usize) -> String {
    format!("lag-{i:02}")
}

fn deployment(name: &str) -> Deployment {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "m", "image": "m:0.0.0"}]}
            }
        }
    }))
    .unwrap()
}

/// `kubectl get -w` printing each Deployment's name and image as it changes.
fn kubectl_watch(demo: &Demo, seen: Seen) -> Child {
    let cache = demo._dir.path().join("kubectl-cache");
    let mut child = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&demo.kubeconfig)
        .arg("--cache-dir")
        .arg(&cache)
        .args([
            "get",
            "deployments",
            "-n",
            NAMESPACE,
            "-w",
            "-o",
            "jsonpath={.metadata.name} {.spec.template.spec.containers[0].image}{\"\\n\"}",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl");
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { return };
            let now = Instant::now();
            if let Some((name, image)) = line.split_once(' ') {
                seen.lock()
                    .unwrap()
                    .entry((name.to_owned(), image.trim().to_owned()))
                    .or_insert(now);
            }
        }
    });
    child
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Each write's lag in ms for one watcher, and how many it never showed.
fn lags(writes: &HashMap<(String, String), Instant>, seen: &Seen) -> (Vec<f64>, usize) {
    let seen = seen.lock().unwrap();
    let mut lags = Vec::new();
    let mut missed = 0;
    for (key, at) in writes {
        match seen.get(key) {
            Some(s) => lags.push(s.saturating_duration_since(*at).as_secs_f64() * 1000.0),
            None => missed += 1,
        }
    }
    lags.sort_by(f64::total_cmp);
    (lags, missed)
}

fn main() {
    // `cargo bench` passes `--bench`; a filter that is not ours skips.
    if let Some(filter) = std::env::args().skip(1).find(|a| !a.starts_with('-'))
        && !"watch_lag".contains(&filter)
    {
        return;
    }
    let seconds: u64 = std::env::var("WATCH_LAG_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let demo = start_demo();
    let target = KubeTarget {
        kubeconfig: Some(demo.kubeconfig.clone()),
        namespace: Some(NAMESPACE.into()),
        ..KubeTarget::default()
    };
    let conn = runtime
        .block_on(modeldeck::backends::kube::client::connect(&target))
        .expect("connect to the demo");
    let api: Api<Deployment> = Api::namespaced(conn.client.clone(), NAMESPACE);
    runtime.block_on(async {
        for i in 0..DEPLOYMENTS {
            api.create(&PostParams::default(), &deployment(&name(i))).await.unwrap();
        }
    });

    let by_kubectl: Seen = Arc::default();
    let by_console: Seen = Arc::default();
    let mut kubectl = kubectl_watch(&demo, by_kubectl.clone());
    let watch = {
        let seen = by_console.clone();
        let _guard = runtime.enter();
        watch_cluster(&conn, TrafficSettings::default(), move |snapshot| {
            let now = Instant::now();
            if let Ok(state) = snapshot {
                let mut seen = seen.lock().unwrap();
                for r in &state.rollouts {
                    if let Some(image) = r.images.first() {
                        seen.entry((r.name.to_string(), image.to_string())).or_insert(now);
                    }
                }
            }
            true
        })
    };
    // Both watchers have listed the Deployments before the writes begin.
    let listed =
        |seen: &Seen| (0..DEPLOYMENTS).all(|i| seen.lock().unwrap().contains_key(&(name(i), "m:0.0.0".into())));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !(listed(&by_kubectl) && listed(&by_console)) {
        assert!(Instant::now() < deadline, "the watchers never listed the Deployments");
        std::thread::sleep(Duration::from_millis(50));
    }

    let writes: Arc<Mutex<HashMap<(String, String), Instant>>> = Arc::default();
    let started = Instant::now();
    runtime.block_on(async {
        let mut tasks = Vec::new();
        for w in 0..WRITERS {
            let api = api.clone();
            let writes = writes.clone();
            tasks.push(tokio::spawn(async move {
                let mut n = 0usize;
                let mut tick = tokio::time::interval(INTERVAL);
                while started.elapsed() < Duration::from_secs(seconds) {
                    tick.tick().await;
                    n += 1;
                    let target = name(w * (DEPLOYMENTS / WRITERS) + n % (DEPLOYMENTS / WRITERS));
                    let image = format!("m:{w}.{n}.0");
                    let patch = serde_json::json!({"spec": {"template": {"spec": {
                        "containers": [{"name": "m", "image": image}]}}}});
                    let at = Instant::now();
                    if api
                        .patch(&target, &PatchParams::default(), &Patch::Merge(&patch))
                        .await
                        .is_ok()
                    {
                        writes.lock().unwrap().insert((target, image), at);
                    }
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    let stopped = Instant::now();
    let writes = writes.lock().unwrap().clone();
    // Until both show every write, or a minute passes.
    let caught_up = |seen: &Seen| writes.keys().all(|k| seen.lock().unwrap().contains_key(k));
    let deadline = stopped + Duration::from_secs(60);
    while !(caught_up(&by_kubectl) && caught_up(&by_console)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    watch.abort();
    let _ = kubectl.kill();
    let _ = kubectl.wait();

    let (kube_lags, kube_missed) = lags(&writes, &by_kubectl);
    let (ours, ours_missed) = lags(&writes, &by_console);
    let rate = writes.len() as f64 / seconds as f64;
    println!(
        "watch_lag: {} writes ({rate:.0}/s) over {DEPLOYMENTS} deployments by {WRITERS} writers in {seconds} s",
        writes.len()
    );
    for (who, lags, missed) in [
        ("kubectl get -w", &kube_lags, kube_missed),
        ("modeldeck", &ours, ours_missed),
    ] {
        println!(
            "  {who:<15} median {:>6.1} ms  p95 {:>6.1} ms  max {:>7.1} ms  never shown {missed}",
            percentile(lags, 0.5),
            percentile(lags, 0.95),
            lags.last().copied().unwrap_or(f64::NAN),
        );
    }
    println!(
        "  modeldeck's median lag is {:.2}x kubectl's, its p95 {:.2}x",
        percentile(&ours, 0.5) / percentile(&kube_lags, 0.5),
        percentile(&ours, 0.95) / percentile(&kube_lags, 0.95),
    );
}
