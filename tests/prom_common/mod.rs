//! The demo world with traffic, and a real Prometheus (Debian package
//! `prometheus`) scraping its /metrics every second on a free loopback
//! port; both stopped when dropped.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use modeldeck::sim::clock::ScaledClock;
use modeldeck::sim::controller::Behaviour;
use modeldeck::sim::traffic::inference::Inference;
use modeldeck::sim::traffic::{MetricsServer, Traffic};
use modeldeck::sim::{Cluster, SimServer, world};

pub fn require_servers() -> bool {
    std::env::var_os("MODELDECK_REQUIRE_SERVERS").is_some_and(|v| v == "1")
}

pub struct World {
    pub sim: SimServer,
    pub metrics: MetricsServer,
    pub urls: Vec<String>,
    pub runtime: tokio::runtime::Runtime,
}

impl World {
    /// The demo world at 20× speed with `rate` requests per second per route.
    pub fn start(rate: f64) -> World {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let cluster = Arc::new(Cluster::new(Arc::new(ScaledClock::new(20.0)), Behaviour::default()));
        world::seed(&mut cluster.lock()).unwrap();
        let sim = runtime
            .block_on(SimServer::start("127.0.0.1:0".parse().unwrap(), cluster.clone()))
            .unwrap();
        // Real inference where ONNX Runtime is installed, as in the demo.
        let mut traffic = Traffic::new(rate, 3);
        let env = |name: &str| std::env::var(name).ok();
        let models = concat!(env!("CARGO_MANIFEST_DIR"), "/models/malaria_lstm");
        if let Ok(inference) = Inference::load(std::path::Path::new(models), &env) {
            traffic = traffic.with_inference(inference);
        }
        let traffic = Arc::new(traffic);
        let metrics = runtime
            .block_on(MetricsServer::start(
                "127.0.0.1:0".parse().unwrap(),
                cluster.clone(),
                traffic,
            ))
            .unwrap();
        let urls = metrics.urls(&cluster.lock());
        World {
            sim,
            metrics,
            urls,
            runtime,
        }
    }
}

pub struct Prometheus {
    pub url: String,
    pub dir: tempfile::TempDir,
    child: Child,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The shipped alert rules with every `for:` shortened to `hold`, so a test
/// sees them fire in seconds.
pub fn rules_with_hold(hold: &str) -> String {
    let shipped =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/prometheus/alerts.yml")).unwrap();
    shipped
        .lines()
        .map(|l| match l.find("for: ") {
            Some(i) => format!("{}for: {hold}", &l[..i]),
            None => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

impl Prometheus {
    /// `None` (the test skips) when Prometheus is not installed and servers
    /// are not required.
    pub fn start(targets: &[String], rules: Option<&str>) -> Option<Prometheus> {
        if Command::new("prometheus").arg("--version").output().is_err() {
            assert!(
                !require_servers(),
                "prometheus is required (MODELDECK_REQUIRE_SERVERS=1) but is not installed"
            );
            eprintln!("skipping: prometheus is not installed (Debian package prometheus)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut config = String::from("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n");
        if let Some(rules) = rules {
            std::fs::write(dir.path().join("rules.yml"), rules).unwrap();
            config.push_str("rule_files: [rules.yml]\n");
        }
        config.push_str("scrape_configs:\n  - job_name: modeldeck\n    static_configs:\n");
        for target in targets {
            let rest = target.strip_prefix("http://").unwrap();
            let (host, path) = rest.split_once('/').unwrap();
            config.push_str(&format!(
                "      - targets: [\"{host}\"]\n        labels: {{__metrics_path__: \"/{path}\"}}\n"
            ));
        }
        let config_file = dir.path().join("prometheus.yml");
        std::fs::write(&config_file, config).unwrap();
        let port = free_port();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config_file.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("prometheus.log")).unwrap())
            .spawn()
            .unwrap();
        let prometheus = Prometheus {
            url: format!("http://127.0.0.1:{port}"),
            dir,
            child,
        };
        prometheus.wait_until("ready", |p| p.get("/-/ready").is_some_and(|(code, _)| code == 200));
        Some(prometheus)
    }

    /// A plain GET (status, body) through curl-free std networking.
    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        use std::io::{Read, Write};
        let host = self.url.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(host).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        let code = response.split_whitespace().nth(1)?.parse().ok()?;
        let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
        Some((code, body))
    }

    /// Polls `done` every 200 ms; fails the test after a minute with the
    /// server's log, which is where its reasons are.
    pub fn wait_until(&self, what: &str, done: impl Fn(&Prometheus) -> bool) {
        let start = Instant::now();
        while !done(self) {
            if start.elapsed() > Duration::from_secs(60) {
                let log = std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default();
                panic!("Prometheus: not {what} after 60 s; its log:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `promtool query instant -o json URL EXPR --time T`, parsed.
    pub fn promtool_instant(&self, expr: &str, time: f64) -> serde_json::Value {
        let out = Command::new("promtool")
            .args([
                "query",
                "instant",
                "-o",
                "json",
                &format!("--time={time:.3}"),
                &self.url,
                expr,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether kubectl can be run; when it cannot and servers are required,
/// the test fails here.
pub fn have_kubectl() -> bool {
    if Command::new("kubectl").args(["version", "--client"]).output().is_ok() {
        return true;
    }
    assert!(
        !require_servers(),
        "kubectl is required (MODELDECK_REQUIRE_SERVERS=1) but is not installed"
    );
    eprintln!("skipping: kubectl is not installed");
    false
}

impl World {
    /// Writes a kubeconfig for the world's API server into `dir`.
    pub fn kubeconfig(&self, dir: &std::path::Path) -> PathBuf {
        let path = dir.join("kubeconfig");
        modeldeck::sim::kubeconfig::write(&path, &self.sim.url(), &self.sim.ca_pem, world::NAMESPACE).unwrap();
        path
    }

    /// The guide's bad release: 2.1.1 into the canary with one kubectl
    /// command, as an operator would type it.
    pub fn release_bad_canary(&self, dir: &std::path::Path) {
        self.kubectl(
            dir,
            &[
                "set",
                "image",
                "deployment/malaria-predictor-canary",
                "predictor=ghcr.io/modeldeck/malaria-predictor:2.1.1",
            ],
        );
    }

    /// kubectl in the demo namespace with the kubeconfig in `dir`; its stdout.
    pub fn kubectl(&self, dir: &std::path::Path, args: &[&str]) -> String {
        let out = Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(dir.join("kubeconfig"))
            .arg("--cache-dir")
            .arg(dir.join("cache"))
            .args(["-n", world::NAMESPACE])
            .args(args)
            .env("HOME", dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "kubectl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// A loopback HTTP server that answers every connection with `answer`
/// (None: accepts and never answers).
pub fn fake_server(answer: Option<Vec<u8>>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for mut stream in listener.incoming().flatten() {
            use std::io::{Read, Write};
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            match &answer {
                Some(bytes) => {
                    let _ = stream.write_all(bytes);
                }
                None => held.push(stream),
            }
        }
    });
    url
}
