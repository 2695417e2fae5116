//! A real MLflow tracking server (the `mlflow` Python package in .venv,
//! installed by scripts/mlflow) on a free loopback port with its own
//! SQLite store and artifact root, filled as the deployment guide fills
//! it; stopped, with its workers, when dropped.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

pub struct MlflowServer {
    pub uri: String,
    child: Child,
    pub dir: tempfile::TempDir,
    /// What the seed made: per semver, {"version", "run_id", "source"}.
    pub made: serde_json::Value,
}

fn mlflow_binary() -> PathBuf {
    Path::new(ROOT).join(".venv/bin/mlflow")
}

impl MlflowServer {
    /// The seeded server; `None` (the test skips) when MLflow is not
    /// installed and servers are not required.
    pub fn start() -> Option<MlflowServer> {
        let binary = mlflow_binary();
        if !binary.exists() {
            let required = std::env::var_os("MODELDECK_REQUIRE_SERVERS").is_some_and(|v| v == "1");
            assert!(!required, "MLflow is required: run scripts/mlflow");
            eprintln!("skipping: MLflow is not installed (scripts/mlflow installs it)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let child = Command::new(&binary)
            .args([
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--workers",
                "1",
            ])
            .arg("--backend-store-uri")
            .arg(format!("sqlite:///{}/mlflow.db", dir.path().display()))
            .arg("--artifacts-destination")
            .arg(dir.path().join("artifacts"))
            .stdout(Stdio::null())
            .stderr(log)
            // Its own group, so the workers it starts go with it.
            .process_group(0)
            .spawn()
            .unwrap();
        let mut server = MlflowServer {
            uri: format!("http://127.0.0.1:{port}"),
            child,
            dir,
            made: serde_json::Value::Null,
        };
        server.wait_healthy();
        server.made = server.seed();
        Some(server)
    }

    fn wait_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        let addr = self.uri.trim_start_matches("http://").to_owned();
        loop {
            if let Ok(mut stream) = std::net::TcpStream::connect(&addr) {
                use std::io::{Read, Write};
                let _ = write!(stream, "GET /health HTTP/1.0\r\nHost: {addr}\r\n\r\n");
                let mut answer = String::new();
                let _ = stream.read_to_string(&mut answer);
                if answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200") {
                    return;
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("mlflow server exited ({status}): {}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "mlflow server never answered /health: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn seed(&self) -> serde_json::Value {
        let out = Command::new(Path::new(ROOT).join(".venv/bin/python"))
            .arg(Path::new(ROOT).join("tests/fixtures/mlflow_seed.py"))
            .arg(Path::new(ROOT).join("models/malaria_lstm"))
            .env("MLFLOW_TRACKING_URI", &self.uri)
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "seeding MLflow: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let json = text
            .lines()
            .rev()
            .find(|l| l.starts_with('{'))
            .expect("the seed's JSON line");
        serde_json::from_str(json).unwrap()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for MlflowServer {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.child.wait();
    }
}
