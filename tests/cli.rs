//! The subcommands, run as a script would: output, stderr and exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

use std::process::{Command, Output};

fn modeldeck(args: &[&str]) -> Output {
    let state = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_modeldeck"))
        .args(args)
        .env("MODELDECK_CONFIG_DIR", "/nonexistent/modeldeck-test-config")
        .env("MODELDECK_STATE_DIR", state.path())
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn models_lists_versions_newest_first_as_json() {
    let out = modeldeck(&["models", "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let versions: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["2.1.1", "2.1.0", "2.0.5", "1.9.3"]);
    assert_eq!(rows[2]["major_jump"], true);
    assert_eq!(rows[2]["stage"], "Production");
    assert_eq!(rows[0]["file_present"], true);
}

#[test]
fn models_table_marks_the_major_jump() {
    let out = modeldeck(&["models"]);
    assert!(out.status.success());
    let text = stdout(&out);
    let line = text.lines().find(|l| l.contains("2.0.5")).unwrap();
    assert!(line.contains("major version jump"), "{line}");
}

#[test]
fn a_missing_registry_fails_with_the_path() {
    let out = modeldeck(&["models", "--registry", "tests/fixtures/no_such_registry"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("tests/fixtures/no_such_registry/registry.toml"), "{err}");
    assert!(stdout(&out).is_empty(), "nothing half-written on stdout");
}

#[test]
fn registry_problems_go_to_stderr_and_good_versions_still_list() {
    let out = modeldeck(&["models", "--registry", "tests/fixtures/bad_registry"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("3.0.2"));
    let err = stderr(&out);
    assert!(err.contains("registry.toml:9: version \"3.1\""), "{err}");
    assert!(!err.contains('\u{1b}'), "escape sequences never reach the terminal");
}

#[test]
fn info_prints_paths_and_effective_settings() {
    let out = modeldeck(&["info", "--readonly", "-n", "prod"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for expected in [
        "config dir      /nonexistent/modeldeck-test-config",
        "user config     /nonexistent/modeldeck-test-config/config.toml (not found; defaults only)",
        "theme           default (built in)",
        "audit log",
        "registry        local models/registry.toml (found)",
        "readonly = true",
        "namespace = \"prod\"",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn info_prints_the_ladder_each_deployment_steps_along() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[rollouts.web]\nroute = \"web\"\nstable = \"web-blue\"\ncanary = \"web-green\"\n\n\
         [rollouts.api]\nroute = \"api\"\nstable = \"a\"\ncanary = \"b\"\nladder = [1, 50, 100]\n",
    )
    .unwrap();
    let out = modeldeck(&["--config", config.to_str().unwrap(), "info"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let (_, effective) = text.split_once("# effective settings\n").unwrap();
    let settings: toml::Table = toml::from_str(effective).unwrap();
    let ladder = |name: &str| settings["rollouts"][name]["ladder"].clone();
    // web has no ladder of its own: it steps along [canary]'s, and says so.
    assert_eq!(
        ladder("web"),
        toml::Value::try_from([5, 10, 25, 50, 100]).unwrap(),
        "{effective}"
    );
    assert_eq!(
        ladder("api"),
        toml::Value::try_from([1, 50, 100]).unwrap(),
        "{effective}"
    );
}

#[test]
fn info_refuses_a_config_file_that_is_not_toml_naming_line_and_key() {
    let out = modeldeck(&["info", "--config", "tests/configs/invalid/syntax.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("syntax.toml:4:17: `ui.theme`"), "{err}");
}

#[test]
fn the_console_refuses_to_start_without_a_terminal() {
    let out = modeldeck(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("needs a terminal"), "{}", stderr(&out));
}

#[test]
fn usage_errors_exit_2() {
    let out = modeldeck(&["--frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    // Following a rollout needs its name: a usage error, not a failure.
    let out = modeldeck(&["status", "--watch"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("<DEPLOYMENT>"), "{}", stderr(&out));
}

#[test]
fn completions_are_generated() {
    let out = modeldeck(&["completions", "bash"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("modeldeck"));
}

#[test]
fn demo_serve_writes_files_that_kubectl_and_modeldeck_attach_with() {
    if Command::new("kubectl").arg("version").arg("--client").output().is_err() {
        assert!(
            std::env::var_os("MODELDECK_REQUIRE_SERVERS").is_none_or(|v| v != "1"),
            "kubectl is required"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let info = dir.path().join("info.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_modeldeck"))
        .args(["demo", "--serve", "--speed", "20", "--dir"])
        .arg(dir.path())
        .arg("--info-file")
        .arg(&info)
        .env("MODELDECK_STATE_DIR", dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !info.exists() {
        assert!(std::time::Instant::now() < deadline, "demo --serve wrote no info file");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let info: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&info).unwrap()).unwrap();
    let kubeconfig = info["kubeconfig"].as_str().unwrap();
    assert!(info["api_server"].as_str().unwrap().starts_with("https://127.0.0.1:"));
    let out = Command::new("kubectl")
        .args(["--kubeconfig", kubeconfig, "get", "deploy", "-o", "name"])
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let names = String::from_utf8_lossy(&out.stdout);
    assert!(names.contains("deployment.apps/malaria-predictor"), "{names}");

    let config = info["config"].as_str().unwrap();
    let out = modeldeck(&["--config", config, "info"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("context = \"modeldeck-sim\"") && text.contains("namespace = \"ml-serving\""),
        "{text}"
    );

    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let status = child.wait().unwrap();
    assert!(status.success(), "SIGTERM stops the demo cleanly: {status:?}");
}
