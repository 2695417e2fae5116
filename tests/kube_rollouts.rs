//! modeldeck's rollout reading (kube-rs) against the simulated cluster,
//! with kubectl as referee: the same status words, the same history.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

mod sim_common;

use serde_json::Value;
use sim_common::Sim;

fn status_json(sim: &Sim, name: &str) -> Value {
    let (code, out, err) = sim.modeldeck(&["status", name, "-o", "json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn kubectl_status(sim: &Sim, name: &str) -> String {
    let out = sim.kubectl(&["rollout", "status", &format!("deploy/{name}"), "--watch=false"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    text.trim().trim_start_matches("error: ").to_owned()
}

#[test]
fn status_words_match_kubectl_in_every_state() {
    let Some(sim) = Sim::start() else { return };
    sim.ok(&["create", "deployment", "web", "--image=web:1", "--replicas=3"]);
    sim.rolled_out("web", None);
    let healthy = status_json(&sim, "web");
    assert_eq!(healthy["status"]["message"], kubectl_status(&sim, "web"));
    assert_eq!(healthy["status"]["phase"], "healthy");
    assert_eq!(healthy["ready"], 3);

    // A failing image freezes the rollout mid-way: both must read it alike.
    // (120 simulated seconds of deadline: 6 s real, ample between two reads.)
    sim.ok(&[
        "patch",
        "deploy",
        "web",
        "--type=merge",
        "-p",
        r#"{"spec":{"progressDeadlineSeconds":120}}"#,
    ]);
    sim.ok(&["set", "image", "deploy/web", "web=web:2-fail"]);
    sim.settle();
    let stuck = status_json(&sim, "web");
    assert_eq!(stuck["status"]["phase"], "progressing");
    assert_eq!(stuck["status"]["message"], kubectl_status(&sim, "web"));

    // Past the deadline, kubectl and `modeldeck status --watch` both fail.
    let (code, _, err) = sim.modeldeck(&["status", "web", "--watch"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("deployment \"web\" exceeded its progress deadline"),
        "{err}"
    );
    let degraded = status_json(&sim, "web");
    assert_eq!(degraded["status"]["phase"], "degraded");
    assert_eq!(degraded["status"]["message"], kubectl_status(&sim, "web"));
}

#[test]
fn watch_follows_a_rollout_to_the_end() {
    let Some(sim) = Sim::start() else { return };
    sim.ok(&["create", "deployment", "api", "--image=api:1", "--replicas=2"]);
    sim.rolled_out("api", None);
    sim.ok(&["set", "image", "deploy/api", "api=api:2"]);
    let (code, out, err) = sim.modeldeck(&["status", "api", "--watch"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.lines().last(),
        Some("deployment \"api\" successfully rolled out"),
        "{out}"
    );
}

#[test]
fn history_lists_the_revisions_kubectl_lists() {
    let Some(sim) = Sim::start() else { return };
    sim.ok(&["create", "deployment", "h", "--image=h:1"]);
    for tag in ["2", "3"] {
        sim.ok(&["set", "image", "deploy/h", &format!("h=h:{tag}")]);
        sim.rolled_out("h", None);
    }
    sim.ok(&["rollout", "undo", "deploy/h", "--to-revision=1"]);
    sim.rolled_out("h", None);
    let kubectl: Vec<i64> = sim
        .ok(&["rollout", "history", "deploy/h"])
        .lines()
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    let (code, out, err) = sim.modeldeck(&["history", "h", "-o", "json"]);
    assert_eq!(code, 0, "{err}");
    let revisions: Vec<Value> = serde_json::from_str(&out).unwrap();
    let ours: Vec<i64> = revisions.iter().map(|r| r["number"].as_i64().unwrap()).collect();
    assert_eq!(ours, kubectl);
    let current: Vec<&Value> = revisions.iter().filter(|r| r["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(
        current[0]["images"][0], "h:1",
        "the undone-to template is the current revision"
    );
}

#[test]
fn unknown_deployment_and_context_fail_with_the_reason() {
    let Some(sim) = Sim::start() else { return };
    let (code, _, err) = sim.modeldeck(&["status", "ghost"]);
    assert_eq!(code, 1);
    assert!(err.contains("deployments.apps \"ghost\" not found"), "{err}");
    let (code, _, err) = sim.modeldeck(&["--context", "prod", "status"]);
    assert_eq!(code, 1);
    assert!(err.contains("context \"prod\" is not in the kubeconfig"), "{err}");
    assert!(
        err.contains("modeldeck-sim-readonly"),
        "lists the contexts there are: {err}"
    );
}

#[test]
fn an_unreachable_cluster_and_a_bad_token_are_explained() {
    let Some(sim) = Sim::start() else { return };
    let config = std::fs::read_to_string(&sim.kubeconfig).unwrap();
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let port = sim.server.addr.port().to_string();
    let unreachable = sim.write_file("unreachable.kubeconfig", &config.replace(&port, &closed.to_string()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_modeldeck"))
        .args(["--kubeconfig", &unreachable, "status"])
        .env("MODELDECK_CONFIG_DIR", sim.dir.path().join("none"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("cannot reach the cluster at https://127.0.0.1:{closed}")),
        "{err}"
    );

    let bad_token = sim.write_file(
        "token.kubeconfig",
        &config.replace("modeldeck-sim-admin-token", "stolen-token"),
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_modeldeck"))
        .args(["--kubeconfig", &bad_token, "status"])
        .env("MODELDECK_CONFIG_DIR", sim.dir.path().join("none"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("401") && err.contains("Unauthorized"), "{err}");
}

/// Every cell of every row starts in its header's column, as kubectl's do.
fn assert_aligned(table: &str) {
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    let starts: Vec<usize> = header
        .char_indices()
        .filter(|(i, c)| *c != ' ' && (*i == 0 || header.as_bytes()[i - 1] == b' '))
        .map(|(i, _)| i)
        .collect();
    for line in lines {
        for start in &starts[1..] {
            let before = line.as_bytes().get(start - 1);
            assert!(
                before == Some(&b' ') && line.as_bytes().get(*start).is_some_and(|c| *c != b' '),
                "a cell out of its column at {start}:\n{table}"
            );
        }
    }
}

#[test]
fn status_across_all_namespaces() {
    let Some(sim) = Sim::start() else { return };
    sim.ok(&["create", "deployment", "web", "--image=web:1"]);
    let (code, out, err) = sim.modeldeck(&["status", "-A"]);
    assert_eq!(code, 0, "{err}");
    // As `kubectl get deployments -A`: a NAMESPACE column, then the name.
    assert!(out.starts_with("NAMESPACE "), "{out}");
    let row = |name: &str| {
        out.lines()
            .find(|l| l.split_whitespace().nth(1) == Some(name))
            .unwrap_or_else(|| panic!("no row for {name}:\n{out}"))
            .to_owned()
    };
    assert!(row("web").starts_with("default "), "{out}");
    assert!(row("malaria-predictor-canary").starts_with("ml-serving "), "{out}");
    assert_aligned(&out);
    let (code, out, _) = sim.modeldeck(&["-n", "all", "status", "-o", "json"]);
    assert_eq!(code, 0);
    let rollouts: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert!(rollouts.len() >= 4, "{out}");
    let predictor = rollouts.iter().find(|r| r["name"] == "malaria-predictor").unwrap();
    assert_eq!(
        predictor["probes"],
        serde_json::json!(["live GET /health/live :8000", "ready GET /health/ready :8000"])
    );
}

/// The cluster's clock is the one ages are measured on: kubectl's AGE
/// (printed by the server) is the referee. The simulated cluster runs 20
/// times faster than the local clock, so a local "now" is wrong both ways:
/// too young for an old object, and 0s for one made after a while.
#[test]
fn ages_are_the_ones_kubectl_shows() {
    let Some(sim) = Sim::start() else { return };
    sim.ok(&["create", "deployment", "h", "--image=m:1"]);
    sim.rolled_out("h", None);
    sim.ok(&["set", "image", "deploy/h", "m=m:2"]);
    sim.rolled_out("h", None);
    let newest = sim.ok(&[
        "get",
        "rs",
        "-l",
        "app=h",
        "--sort-by=.metadata.creationTimestamp",
        "-o",
        "jsonpath={.items[-1:].metadata.name}",
    ]);
    // Old enough that a wrong clock cannot pass for the right one.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while sim.kubectl_age("rs", &newest) < 60 {
        assert!(std::time::Instant::now() < deadline, "the ReplicaSet never aged");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }

    let before = sim.kubectl_age("rs", &newest);
    let (code, out, err) = sim.modeldeck(&["history", "h"]);
    let after = sim.kubectl_age("rs", &newest);
    assert_eq!(code, 0, "{err}");
    let current = out
        .lines()
        .find(|l| l.starts_with('*'))
        .unwrap_or_else(|| panic!("{out}"));
    let cells: Vec<&str> = current.split_whitespace().collect();
    assert_eq!(cells[1], "2", "{out}");
    let age = sim_common::age_seconds(cells[5]);
    // The server's Date header is whole seconds: one second of slack.
    assert!(
        (before - 1..=after + 1).contains(&age),
        "modeldeck says {age}s, kubectl {before}s then {after}s:\n{out}"
    );

    let before = sim.kubectl_age("deploy", "h");
    let (code, out, err) = sim.modeldeck(&["status", "h"]);
    let after = sim.kubectl_age("deploy", "h");
    assert_eq!(code, 0, "{err}");
    let row = out
        .lines()
        .find(|l| l.starts_with("h "))
        .unwrap_or_else(|| panic!("{out}"));
    let age = sim_common::age_seconds(row.split_whitespace().last().unwrap());
    assert!(
        (before - 1..=after + 1).contains(&age),
        "modeldeck says {age}s, kubectl {before}s then {after}s:\n{out}"
    );
}

#[test]
fn server_errors_and_slow_answers_are_explained() {
    let Some(sim) = Sim::start() else { return };
    sim.server.cluster.fail_next(500, 1);
    let (code, _, err) = sim.modeldeck(&["status"]);
    assert_eq!(code, 1);
    assert!(err.contains("500") && err.contains("InternalError"), "{err}");
    let (code, _, err) = sim.modeldeck(&["status"]);
    assert_eq!(code, 0, "the next request goes through: {err}");

    sim.server.cluster.slow_down(Some(std::time::Duration::from_secs(3)));
    let (code, _, err) = sim.modeldeck(&["--request-timeout", "1", "status"]);
    sim.server.cluster.slow_down(None);
    assert_eq!(code, 1);
    assert!(
        err.contains("cannot reach the cluster") || err.contains("timed out"),
        "{err}"
    );
}
