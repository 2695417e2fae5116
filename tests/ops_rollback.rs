//! Rollback through `ops`, against the simulated cluster with kubectl as
//! referee: the same result as `kubectl rollout undo`, and every safety
//! rule — read-only, permission, confirmation, concurrency, audit — held.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

mod sim_common;

use serde_json::Value;
use sim_common::Sim;

/// Two deployments with the same three revisions.
fn twins(sim: &Sim) {
    for name in ["a", "b"] {
        sim.ok(&["create", "deployment", name, "--image=m:1", "--replicas=2"]);
        for tag in ["2", "3"] {
            sim.ok(&["set", "image", &format!("deploy/{name}"), &format!("m=m:{tag}")]);
            sim.rolled_out(name, None);
        }
    }
}

fn template(sim: &Sim, name: &str) -> Value {
    let d: Value = serde_json::from_str(&sim.ok(&["get", "deploy", name, "-o", "json"])).unwrap();
    let mut t = d["spec"]["template"].clone();
    // The twins differ only in their names.
    t["metadata"]["labels"]["app"] = Value::Null;
    t["spec"]["containers"][0]["name"] = Value::Null;
    modeldeck::zero::semantic(&t)
}

fn audit(sim: &Sim) -> Vec<Value> {
    let path = sim.dir.path().join("state/audit.jsonl");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn rollback_ends_where_kubectl_rollout_undo_ends() {
    let Some(sim) = Sim::start() else { return };
    twins(&sim);
    sim.ok(&["rollout", "undo", "deploy/a"]);
    let (code, out, err) = sim.modeldeck(&["rollback", "b", "--yes"]);
    assert_eq!(code, 0, "{err}");
    // It ends with the outcome, as every twin does, not with the plan alone.
    assert_eq!(
        out.lines().last(),
        Some("done: roll back deployment default/b from revision 3 (3, m:3) to revision 2 (2, m:2)"),
        "{out}"
    );
    assert_eq!(template(&sim, "a"), template(&sim, "b"));

    sim.ok(&["rollout", "undo", "deploy/a", "--to-revision=1"]);
    let (code, _, err) = sim.modeldeck(&["rollback", "b", "--to-revision", "1", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(template(&sim, "a"), template(&sim, "b"));
    sim.rolled_out("b", None);
    let history = |name: &str| sim.ok(&["rollout", "history", &format!("deploy/{name}")]);
    assert_eq!(
        history("a").replace("deployment.apps/a", ""),
        history("b").replace("deployment.apps/b", "")
    );

    let entries = audit(&sim);
    assert_eq!(entries.len(), 2, "one audit line per action: {entries:?}");
    assert_eq!(entries[0]["action"], "rollback");
    assert_eq!(entries[0]["target"], "deployment/default/b");
    assert_eq!(entries[0]["outcome"], "done");
    assert_eq!(entries[0]["before"]["revision"], 3);
    assert_eq!(entries[0]["after"]["revision"], 2);
    assert_eq!(entries[0]["context"], "modeldeck-sim");
    assert_eq!(entries[0]["user"], "operator");
}

#[test]
fn rollback_refuses_paused_skips_current_and_names_missing_revisions() {
    let Some(sim) = Sim::start() else { return };
    twins(&sim);
    let (code, out, _) = sim.modeldeck(&["rollback", "a", "--to-revision", "3", "--yes"]);
    assert_eq!(code, 0);
    assert_eq!(
        out.lines().last(),
        Some("skipped: rollback of deployment default/a: the current template already matches revision 3"),
        "{out}"
    );
    let (code, _, err) = sim.modeldeck(&["rollback", "a", "--to-revision", "9", "--yes"]);
    assert_eq!(code, 1);
    assert!(err.contains("unable to find specified revision 9"), "{err}");
    sim.ok(&["create", "deployment", "fresh", "--image=f:1"]);
    let (code, _, err) = sim.modeldeck(&["rollback", "fresh", "--yes"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("no rollout history found for deployment \"fresh\""),
        "{err}"
    );
    sim.ok(&["rollout", "pause", "deploy/a"]);
    let (code, _, err) = sim.modeldeck(&["rollback", "a", "--yes"]);
    assert_eq!(code, 1);
    assert!(err.contains("deployment default/a is paused"), "{err}");
    assert_eq!(sim.image("a"), "m:3", "nothing written");
}

#[test]
fn without_a_terminal_or_yes_nothing_is_written() {
    let Some(sim) = Sim::start() else { return };
    twins(&sim);
    let (code, _, err) = sim.modeldeck(&["rollback", "a"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("roll back deployment default/a from revision 3"),
        "the plan is shown: {err}"
    );
    assert!(err.contains("pass --yes"), "{err}");
    assert_eq!(sim.image("a"), "m:3");
    assert_eq!(audit(&sim)[0]["outcome"], "cancelled");
}

#[test]
fn every_action_is_refused_in_read_only_mode_with_one_audit_line_each() {
    let Some(sim) = Sim::start() else { return };
    twins(&sim);
    // Every mutating action there is, as a CLI invocation ("-n ml-serving"
    // is added to those that act on the demo world).
    let table: &[(&str, &str)] = &[
        ("rollback", "rollback a --yes"),
        (
            "bluegreen.switch",
            "bluegreen switch malaria-predictor-blue --to 2.1.0 --yes",
        ),
        ("bluegreen.switch", "bluegreen back malaria-predictor-blue --yes"),
        ("canary.set", "canary set malaria-predictor 30 --yes"),
        ("canary.step", "canary step malaria-predictor --yes"),
        ("canary.abort", "canary abort malaria-predictor --yes"),
        ("canary.promote", "canary promote malaria-predictor --yes"),
        ("shadow.on", "shadow on malaria-predictor 20 --yes"),
        ("shadow.off", "shadow off malaria-predictor --yes"),
    ];
    let mut actions: Vec<&str> = table.iter().map(|(a, _)| *a).collect();
    actions.dedup();
    assert_eq!(actions, modeldeck::ops::ACTIONS, "the table covers every action");
    for (how, readonly) in [
        ("--readonly", vec!["--readonly"]),
        ("read-only context", vec!["--context", "modeldeck-sim"]),
    ] {
        let before = audit(&sim).len();
        for (action, args) in table {
            let mut full = readonly.clone();
            if *action != "rollback" {
                full.extend(["-n", "ml-serving"]);
            }
            full.extend(args.split(' '));
            if how == "read-only context" {
                std::fs::create_dir_all(sim.dir.path().join("config")).unwrap();
                std::fs::write(
                    sim.dir.path().join("config/config.toml"),
                    "[contexts.modeldeck-sim]\nreadonly = true\n",
                )
                .unwrap();
            }
            let (code, _, err) = sim.modeldeck(&full);
            assert_eq!(code, 1, "{action} via {how}");
            assert!(err.contains("refused: "), "{action} via {how}: {err}");
            assert!(err.contains("read-only"), "{action} via {how}: {err}");
        }
        let entries = audit(&sim);
        assert_eq!(
            entries.len() - before,
            table.len(),
            "one line per refused action ({how})"
        );
        assert!(
            entries[before..]
                .iter()
                .all(|e| e["outcome"].as_str().unwrap().starts_with("refused: "))
        );
    }
    assert_eq!(sim.image("a"), "m:3", "nothing written");
}

#[test]
fn a_user_without_permission_is_refused_before_any_write() {
    let Some(sim) = Sim::start() else { return };
    twins(&sim);
    let (code, _, err) = sim.modeldeck(&["--context", "modeldeck-sim-readonly", "rollback", "a", "--yes"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("refused: user \"viewer\" may not patch deployments \"a\""),
        "{err}"
    );
    assert_eq!(sim.image("a"), "m:3");
    assert_eq!(audit(&sim)[0]["user"], "viewer");
}

#[test]
fn a_concurrent_change_is_a_conflict_that_names_what_changed() {
    let Some(sim) = Sim::start() else { return };
    twins(&sim);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let target = modeldeck::backends::kube::KubeTarget {
            kubeconfig: Some(sim.kubeconfig.clone()),
            ..Default::default()
        };
        let conn = modeldeck::backends::kube::connect(&target).await.unwrap();
        let ctx = modeldeck::ops::OpsContext {
            conn,
            readonly: None,
            audit: modeldeck::ops::AuditLog::new(sim.dir.path().join("state/audit.jsonl")),
            login: "tester".into(),
            reason: None,
        };
        let op = modeldeck::ops::rollback::Rollback {
            deployment: "a".into(),
            to_revision: None,
            traffic: None,
        };
        let modeldeck::ops::Ready::Confirm(prepared) = modeldeck::ops::prepare(&ctx, &op).await.unwrap() else {
            panic!("a rollback to plan")
        };
        let prepared = *prepared;
        // Someone else scales the deployment between the read and the write.
        sim.ok(&["scale", "deploy/a", "--replicas=4"]);
        let err = modeldeck::ops::execute(&ctx, prepared).await.unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("deployment default/a changed since it was read"),
            "{message}"
        );
        assert!(message.contains("/spec/replicas: 2 -> 4"), "{message}");
    });
    assert_eq!(sim.image("a"), "m:3", "the rollback was not written");
    let entries = audit(&sim);
    assert!(
        entries[0]["outcome"].as_str().unwrap().starts_with("failed: "),
        "{entries:?}"
    );
}
