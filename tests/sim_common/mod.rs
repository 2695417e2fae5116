//! A simulated cluster on a free loopback port with a kubeconfig for it,
//! and the real kubectl to drive it; stopped when dropped.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use modeldeck::sim::clock::ScaledClock;
use modeldeck::sim::controller::Behaviour;
use modeldeck::sim::{Cluster, SimServer, kubeconfig, world};

/// Simulated seconds per real second: a 5 s pod start takes a quarter of a
/// real second, and kubectl waits on conditions, never on sleeps.
const SPEED: f64 = 20.0;

pub struct Sim {
    pub server: SimServer,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
    runtime: tokio::runtime::Runtime,
}

pub fn require_servers() -> bool {
    std::env::var_os("MODELDECK_REQUIRE_SERVERS").is_some_and(|v| v == "1")
}

impl Sim {
    /// `None` (the test skips) when kubectl is missing and servers are not
    /// required.
    pub fn start() -> Option<Sim> {
        if Command::new("kubectl").arg("version").arg("--client").output().is_err() {
            assert!(
                !require_servers(),
                "kubectl is required (MODELDECK_REQUIRE_SERVERS=1) but is not installed"
            );
            eprintln!("skipping: kubectl is not installed");
            return None;
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let cluster = Arc::new(Cluster::new(Arc::new(ScaledClock::new(SPEED)), Behaviour::default()));
        world::seed(&mut cluster.lock()).unwrap();
        let server = runtime
            .block_on(SimServer::start("127.0.0.1:0".parse().unwrap(), cluster))
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        kubeconfig::write(&kubeconfig, &server.url(), &server.ca_pem, "default").unwrap();
        Some(Sim {
            server,
            dir,
            kubeconfig,
            runtime,
        })
    }

    /// Runs kubectl with this cluster's kubeconfig and a private cache, so a
    /// stale discovery cache from another test never interferes.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(self.dir.path().join("cache"))
            .args(args)
            .env("HOME", self.dir.path())
            .env_remove("KUBECONFIG")
            .output()
            .unwrap()
    }

    /// Runs kubectl, asserting success; returns stdout trimmed.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            out.status.success(),
            "kubectl {} failed:\n{}\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Waits (kubectl rollout status, up to 60 s) until `deployment` has
    /// rolled out, in `namespace` or the kubeconfig's; returns kubectl's
    /// output.
    pub fn rolled_out(&self, deployment: &str, namespace: Option<&str>) -> String {
        let target = format!("deploy/{deployment}");
        let mut args = vec!["rollout", "status", target.as_str(), "--timeout=60s"];
        if let Some(namespace) = namespace {
            args.extend(["-n", namespace]);
        }
        self.ok(&args)
    }

    /// Runs modeldeck against this cluster; returns (exit code, stdout, stderr).
    pub fn modeldeck(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_modeldeck"))
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args)
            .env("MODELDECK_CONFIG_DIR", self.dir.path().join("config"))
            .env("MODELDECK_STATE_DIR", self.dir.path().join("state"))
            .env_remove("KUBECONFIG")
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Writes modeldeck's user config for this cluster's demo world: the
    /// malaria predictor's traffic goes through its HTTPRoute.
    pub fn configure_demo_router(&self) {
        let dir = self.dir.path().join("config");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("config.toml"),
            "[rollouts.malaria-predictor]\nrouter = \"gateway-api\"\nroute = \"malaria-predictor\"\n\
             stable = \"malaria-predictor-blue\"\ncanary = \"malaria-predictor-green\"\n\
             shadow = \"malaria-predictor-shadow\"\n",
        )
        .unwrap();
    }

    pub fn image_in(&self, deployment: &str, namespace: &str) -> String {
        self.ok(&[
            "get",
            "deploy",
            deployment,
            "-n",
            namespace,
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}",
        ])
    }

    pub fn image(&self, deployment: &str) -> String {
        self.ok(&[
            "get",
            "deploy",
            deployment,
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}",
        ])
    }

    /// Lets the controllers run a few passes.
    pub fn settle(&self) {
        for _ in 0..3 {
            self.server.cluster.reconcile();
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The AGE column (the last) of kubectl's row for one object, in seconds.
    pub fn kubectl_age(&self, kind: &str, name: &str) -> i64 {
        let row = self.ok(&["get", kind, name, "--no-headers"]);
        age_seconds(row.split_whitespace().last().unwrap())
    }

    pub fn write_file(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }
}

/// Seconds in an age as kubectl and modeldeck print it (`45s`, `3m20s`, `17m`).
pub fn age_seconds(age: &str) -> i64 {
    let mut total = 0;
    let mut number = String::new();
    for c in age.chars() {
        match c {
            '0'..='9' => number.push(c),
            unit => {
                let n: i64 = number.parse().unwrap_or_else(|_| panic!("not an age: {age:?}"));
                number.clear();
                total += n * match unit {
                    's' => 1,
                    'm' => 60,
                    'h' => 3600,
                    'd' => 86400,
                    _ => panic!("not an age: {age:?}"),
                };
            }
        }
    }
    total
}
