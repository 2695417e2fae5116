//! Bad requests get the answers a real API server gives: a Status with the
//! right code and reason, never a crash or a hang.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

mod sim_common;

use sim_common::Sim;

fn fails_with(sim: &Sim, args: &[&str], expected: &[&str]) {
    let out = sim.kubectl(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "kubectl {} should fail", args.join(" "));
    for e in expected {
        assert!(err.contains(e), "kubectl {}: {e:?} not in {err}", args.join(" "));
    }
}

#[test]
fn malformed_bodies_unknown_paths_and_invalid_objects() {
    let Some(sim) = Sim::start() else { return };
    let bad = sim.write_file("bad.json", "{not json");
    fails_with(
        &sim,
        &[
            "create",
            "--raw",
            "/apis/apps/v1/namespaces/default/deployments",
            "-f",
            &bad,
        ],
        &["BadRequest"],
    );
    let yaml = sim.write_file("bad.yaml", "kind: [unclosed");
    fails_with(
        &sim,
        &[
            "create",
            "--raw",
            "/apis/apps/v1/namespaces/default/deployments",
            "-f",
            &yaml,
        ],
        &["BadRequest"],
    );
    fails_with(
        &sim,
        &["get", "--raw", "/apis/apps/v1/namespaces/default/widgets"],
        &["NotFound"],
    );
    fails_with(
        &sim,
        &["get", "--raw", "/apis/apps/v9/namespaces/default/deployments"],
        &["NotFound"],
    );
    fails_with(
        &sim,
        &["get", "deploy", "nope"],
        &["NotFound", "deployments.apps \"nope\" not found"],
    );
    fails_with(&sim, &["delete", "deploy", "nope"], &["NotFound"]);
    fails_with(
        &sim,
        &[
            "get",
            "--raw",
            "/api/v1/namespaces/default/pods?labelSelector=a%20in%20(",
        ],
        &["BadRequest"],
    );

    let mismatch = r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"m"},
        "spec":{"selector":{"matchLabels":{"app":"a"}},"template":{"metadata":{"labels":{"app":"b"}},
        "spec":{"containers":[{"name":"c","image":"c:1"}]}}}}"#;
    let file = sim.write_file("mismatch.json", mismatch);
    fails_with(
        &sim,
        &["create", "-f", &file],
        &["is invalid", "selector` does not match template `labels`"],
    );
    let bad_name =
        r#"{"apiVersion":"v1","kind":"Service","metadata":{"name":"Bad_Name"},"spec":{"ports":[{"port":80}]}}"#;
    let file = sim.write_file("badname.json", bad_name);
    fails_with(&sim, &["create", "-f", &file], &["is invalid", "RFC 1123"]);
    fails_with(&sim, &["get", "pods", "--token=not-a-token"], &["Unauthorized"]);
}

#[test]
fn patches_that_do_not_apply_and_stale_writes_are_refused() {
    let Some(sim) = Sim::start() else { return };
    fn patch<'a>(args: &[&'a str]) -> Vec<&'a str> {
        [&["-n", "ml-serving"][..], args].concat()
    }
    for bad in [
        r#"[{"op":"test","path":"/spec/replicas","value":99}]"#,
        r#"[{"op":"remove","path":"/spec/nothing"}]"#,
    ] {
        let args = patch(&["patch", "deploy", "malaria-predictor", "--type=json", "-p", bad]);
        fails_with(&sim, &args, &["is invalid"]);
    }
    fails_with(
        &sim,
        &patch(&["patch", "deploy", "malaria-predictor", "--type=merge", "-p", "[1,2]"]),
        &["BadRequest"],
    );
    assert_eq!(
        sim.ok(&patch(&[
            "get",
            "deploy",
            "malaria-predictor",
            "-o",
            "jsonpath={.spec.replicas}"
        ])),
        "3",
        "nothing half-written"
    );

    // A write from an old read: 409 Conflict, as kubectl replace shows it.
    let old = sim.ok(&patch(&["get", "svc", "malaria-predictor-blue", "-o", "json"]));
    sim.ok(&patch(&["label", "svc", "malaria-predictor-blue", "tier=web"]));
    let file = sim.write_file("old.json", &old);
    fails_with(
        &sim,
        &patch(&["replace", "-f", &file]),
        &["Conflict", "the object has been modified"],
    );
}

#[test]
fn watches_stream_events_and_a_compacted_version_is_gone() {
    let Some(sim) = Sim::start() else { return };
    let url = "/apis/apps/v1/namespaces/ml-serving/deployments?watch=true&timeoutSeconds=1";
    let events = sim.ok(&["get", "--raw", url]);
    let first: serde_json::Value = serde_json::from_str(events.lines().next().unwrap()).unwrap();
    assert_eq!(first["type"], "ADDED");
    assert_eq!(first["object"]["kind"], "Deployment");

    sim.server.cluster.lock().set_history_limit(8);
    for n in 1..=12 {
        sim.ok(&[
            "label",
            "svc",
            "malaria-predictor-blue",
            "-n",
            "ml-serving",
            &format!("round={n}"),
            "--overwrite",
        ]);
    }
    let gone = sim.ok(&[
        "get",
        "--raw",
        "/api/v1/namespaces/ml-serving/services?watch=true&resourceVersion=2&timeoutSeconds=1",
    ]);
    let event: serde_json::Value = serde_json::from_str(gone.lines().next().unwrap()).unwrap();
    assert_eq!(event["type"], "ERROR", "{gone}");
    assert_eq!(event["object"]["code"], 410);
    assert_eq!(event["object"]["reason"], "Expired");
}

#[test]
fn wrongly_shaped_objects_are_refused_and_the_controllers_keep_running() {
    let Some(sim) = Sim::start() else { return };
    let ns = ["-n", "ml-serving"];
    for (patch, field) in [
        (
            r#"{"spec":{"template":{"spec":"x"}}}"#,
            "spec.template.spec: expected an object",
        ),
        (
            r#"{"metadata":{"annotations":"x"}}"#,
            "metadata.annotations: expected an object",
        ),
        (r#"{"spec":"x"}"#, "spec: expected an object"),
    ] {
        let args = [
            &ns[..],
            &[
                "patch",
                "deployment",
                "malaria-predictor",
                "--type",
                "merge",
                "-p",
                patch,
            ],
        ]
        .concat();
        fails_with(&sim, &args, &[field]);
    }
    fails_with(
        &sim,
        &[
            &ns[..],
            &["scale", "deployment", "malaria-predictor", "--replicas=3000000000"],
        ]
        .concat(),
        &["must be less than or equal to 2147483647"],
    );
    // The controllers still answer: a scale rolls out.
    sim.ok(&[&ns[..], &["scale", "deployment", "malaria-predictor", "--replicas=4"]].concat());
    sim.rolled_out("malaria-predictor", Some("ml-serving"));
}
