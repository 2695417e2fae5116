//! The real kubectl against the simulated cluster: every command the
//! rollout features rely on must work, and agree with what the sim holds.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

mod sim_common;

use serde_json::Value;
use sim_common::Sim;

#[test]
fn get_prints_every_kind_as_a_table_and_as_json() {
    let Some(sim) = Sim::start() else { return };
    let out = sim.ok(&["get", "deploy,rs,pods,svc", "-n", "ml-serving"]);
    for expected in [
        "READY   UP-TO-DATE   AVAILABLE   AGE",
        "DESIRED   CURRENT   READY   AGE",
        "READY   STATUS",
        "deployment.apps/malaria-predictor ",
        "replicaset.apps/malaria-predictor-",
        "service/malaria-predictor-blue ",
        "CLUSTER-IP",
        "80/TCP",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    assert!(out.contains("pod/malaria-predictor-"), "{out}");

    let route = sim.ok(&["get", "httproutes", "-n", "ml-serving"]);
    assert!(
        route.contains("malaria-predictor") && route.contains("malaria.example.internal"),
        "{route}"
    );
    for kind in ["ingresses", "virtualservices", "inferenceservices"] {
        let out = sim.kubectl(&["get", kind, "-n", "ml-serving"]);
        assert!(out.status.success(), "{kind}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("No resources found"),
            "{kind}"
        );
    }

    let json: Value =
        serde_json::from_str(&sim.ok(&["get", "deploy", "malaria-predictor", "-n", "ml-serving", "-o", "json"]))
            .unwrap();
    assert_eq!(json["spec"]["replicas"], 3);
    assert_eq!(json["spec"]["template"]["metadata"]["labels"]["version"], "v2.0.5");
    let weights = sim.ok(&[
        "get",
        "httproute",
        "malaria-predictor",
        "-n",
        "ml-serving",
        "-o",
        "jsonpath={.spec.rules[0].backendRefs[*].weight}",
    ]);
    assert_eq!(weights, "90 10");
    let wide = sim.ok(&["get", "deploy", "-n", "ml-serving", "-o", "wide"]);
    assert!(wide.contains("ghcr.io/modeldeck/malaria-predictor:2.0.5"), "{wide}");
}

#[test]
fn create_set_image_rollout_history_and_undo() {
    let Some(sim) = Sim::start() else { return };
    sim.ok(&["create", "deployment", "web", "--image=nginx:1", "--replicas=3"]);
    let status = sim.rolled_out("web", None);
    assert!(status.contains("successfully rolled out"), "{status}");
    for tag in ["2", "3"] {
        sim.ok(&["set", "image", "deploy/web", &format!("nginx=nginx:{tag}")]);
        let status = sim.rolled_out("web", None);
        assert!(status.contains("successfully rolled out"), "{status}");
    }
    let history = sim.ok(&["rollout", "history", "deploy/web"]);
    assert_eq!(revisions(&history), [1, 2, 3], "{history}");
    assert_eq!(sim.image("web"), "nginx:3");

    sim.ok(&["rollout", "undo", "deploy/web"]);
    sim.rolled_out("web", None);
    assert_eq!(sim.image("web"), "nginx:2");
    assert_eq!(revisions(&sim.ok(&["rollout", "history", "deploy/web"])), [1, 3, 4]);

    sim.ok(&["rollout", "undo", "deploy/web", "--to-revision=1"]);
    sim.rolled_out("web", None);
    assert_eq!(sim.image("web"), "nginx:1");
    assert_eq!(revisions(&sim.ok(&["rollout", "history", "deploy/web"])), [3, 4, 5]);
    let detail = sim.ok(&["rollout", "history", "deploy/web", "--revision=4"]);
    assert!(detail.contains("nginx:2"), "{detail}");

    let missing = sim.kubectl(&["rollout", "undo", "deploy/web", "--to-revision=99"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("unable to find specified revision"));

    // Pods follow: three ready pods of the undone template, none older.
    let pods = sim.ok(&[
        "get",
        "pods",
        "-l",
        "app=web",
        "-o",
        "jsonpath={.items[*].spec.containers[0].image}",
    ]);
    assert_eq!(pods.split_whitespace().collect::<Vec<_>>(), ["nginx:1"; 3], "{pods}");
}

#[test]
fn restart_pause_resume_and_scale() {
    let Some(sim) = Sim::start() else { return };
    sim.ok(&["create", "deployment", "api", "--image=api:1", "--replicas=2"]);
    sim.rolled_out("api", None);

    sim.ok(&["rollout", "restart", "deploy/api"]);
    sim.rolled_out("api", None);
    let restarted = sim.ok(&[
        "get",
        "deploy",
        "api",
        "-o",
        "jsonpath={.spec.template.metadata.annotations}",
    ]);
    assert!(restarted.contains("kubectl.kubernetes.io/restartedAt"), "{restarted}");
    assert_eq!(revisions(&sim.ok(&["rollout", "history", "deploy/api"])), [1, 2]);

    sim.ok(&["rollout", "pause", "deploy/api"]);
    sim.ok(&["set", "image", "deploy/api", "api=api:2"]);
    sim.settle();
    assert_eq!(
        revisions(&sim.ok(&["rollout", "history", "deploy/api"])),
        [1, 2],
        "paused: no new revision"
    );
    sim.ok(&["rollout", "resume", "deploy/api"]);
    sim.rolled_out("api", None);
    assert_eq!(revisions(&sim.ok(&["rollout", "history", "deploy/api"])), [1, 2, 3]);

    sim.ok(&["scale", "deploy/api", "--replicas=5"]);
    sim.rolled_out("api", None);
    let ready = sim.ok(&[
        "get",
        "deploy",
        "api",
        "-o",
        "jsonpath={.status.readyReplicas}/{.spec.replicas}",
    ]);
    assert_eq!(ready, "5/5");
}

#[test]
fn patch_in_every_type_replace_apply_and_delete() {
    let Some(sim) = Sim::start() else { return };
    sim.ok(&["create", "deployment", "p", "--image=p:1", "--replicas=1"]);
    sim.ok(&[
        "patch",
        "deploy",
        "p",
        "--type=merge",
        "-p",
        r#"{"spec":{"replicas":2}}"#,
    ]);
    assert_eq!(sim.ok(&["get", "deploy", "p", "-o", "jsonpath={.spec.replicas}"]), "2");
    sim.ok(&[
        "patch",
        "deploy",
        "p",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/spec/replicas","value":3}]"#,
    ]);
    assert_eq!(sim.ok(&["get", "deploy", "p", "-o", "jsonpath={.spec.replicas}"]), "3");
    sim.ok(&[
        "patch",
        "deploy",
        "p",
        "--type=strategic",
        "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"p","image":"p:2"}]}}}}"#,
    ]);
    assert_eq!(sim.image("p"), "p:2");

    // Read after the rollout settles: mid-rollout the controller's status
    // writes move the resourceVersion and replace would rightly get 409.
    sim.rolled_out("p", None);
    let json = sim.ok(&["get", "deploy", "p", "-o", "json"]);
    let mut object: Value = serde_json::from_str(&json).unwrap();
    object["spec"]["replicas"] = 4.into();
    let file = sim.write_file("p.json", &object.to_string());
    sim.ok(&["replace", "-f", &file]);
    assert_eq!(sim.ok(&["get", "deploy", "p", "-o", "jsonpath={.spec.replicas}"]), "4");

    let manifest = r#"{"apiVersion":"v1","kind":"Service","metadata":{"name":"p"},
        "spec":{"selector":{"app":"p"},"ports":[{"port":80,"targetPort":8080}]}}"#;
    let file = sim.write_file("svc.json", manifest);
    sim.ok(&["apply", "--server-side", "-f", &file]);
    assert_eq!(
        sim.ok(&["get", "svc", "p", "-o", "jsonpath={.spec.ports[0].targetPort}"]),
        "8080"
    );
    sim.ok(&["apply", "--server-side", "-f", &file]);

    sim.ok(&["delete", "deploy", "p"]);
    sim.settle();
    let left = sim.ok(&["get", "rs,pods", "-l", "app=p", "-o", "name"]);
    assert!(left.trim().is_empty(), "owned objects are collected: {left}");
    sim.ok(&["delete", "svc", "p"]);
}

#[test]
fn a_read_only_user_is_refused_writes_with_403() {
    let Some(sim) = Sim::start() else { return };
    let viewer = ["--context", "modeldeck-sim-readonly"];
    let get = sim.kubectl(&[&viewer[..], &["get", "deploy", "-n", "ml-serving"]].concat());
    assert!(get.status.success(), "reads are allowed");
    let out = sim.kubectl(
        &[
            &viewer[..],
            &["scale", "deploy/malaria-predictor", "-n", "ml-serving", "--replicas=1"],
        ]
        .concat(),
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("forbidden") && err.contains("User \"viewer\" cannot patch"),
        "{err}"
    );
    assert_eq!(
        sim.ok(&["auth", "can-i", "patch", "deployments", "-n", "ml-serving"]),
        "yes"
    );
    let no = sim.kubectl(
        &[
            &viewer[..],
            &["auth", "can-i", "patch", "deployments", "-n", "ml-serving"],
        ]
        .concat(),
    );
    let answer = String::from_utf8_lossy(&no.stdout);
    assert!(answer.starts_with("no - user \"viewer\" is read-only"), "{answer}");
    assert_eq!(
        sim.ok(&[
            "get",
            "deploy",
            "malaria-predictor",
            "-n",
            "ml-serving",
            "-o",
            "jsonpath={.spec.replicas}"
        ]),
        "3"
    );
}

#[test]
fn a_failing_image_exceeds_the_progress_deadline() {
    let Some(sim) = Sim::start() else { return };
    sim.ok(&["create", "deployment", "bad", "--image=bad:1", "--replicas=2"]);
    sim.rolled_out("bad", None);
    sim.ok(&[
        "patch",
        "deploy",
        "bad",
        "--type=merge",
        "-p",
        r#"{"spec":{"progressDeadlineSeconds":30}}"#,
    ]);
    sim.ok(&["set", "image", "deploy/bad", "bad=bad:2-fail"]);
    let out = sim.kubectl(&["rollout", "status", "deploy/bad", "--timeout=60s"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("exceeded its progress deadline"), "{err}");
    let pods = sim.ok(&["get", "pods", "-l", "app=bad"]);
    assert!(pods.contains("CrashLoopBackOff"), "{pods}");
    // The old pods keep serving: maxUnavailable holds.
    assert_eq!(
        sim.ok(&["get", "deploy", "bad", "-o", "jsonpath={.status.availableReplicas}"]),
        "2"
    );
}

/// Revision numbers from `kubectl rollout history`.
fn revisions(history: &str) -> Vec<u32> {
    history
        .lines()
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

#[test]
fn typed_create_commands_send_protobuf_that_the_sim_understands() {
    let Some(sim) = Sim::start() else { return };
    sim.ok(&["create", "namespace", "team-a"]);
    sim.ok(&[
        "create",
        "service",
        "clusterip",
        "svc1",
        "--tcp=80:8080",
        "-n",
        "team-a",
    ]);
    let svc: Value = serde_json::from_str(&sim.ok(&["get", "svc", "svc1", "-n", "team-a", "-o", "json"])).unwrap();
    assert_eq!(svc["spec"]["ports"][0]["targetPort"], 8080);
    assert!(
        svc["spec"]["clusterIP"].as_str().unwrap().starts_with("10.96."),
        "a cluster IP is allocated: {svc}"
    );
    sim.ok(&[
        "create",
        "deployment",
        "web",
        "--image=nginx:1.27",
        "--replicas=0",
        "-n",
        "team-a",
    ]);
    assert_eq!(
        sim.ok(&[
            "get",
            "deploy",
            "web",
            "-n",
            "team-a",
            "-o",
            "jsonpath={.spec.replicas}"
        ]),
        "0",
        "an explicit 0 stays 0"
    );
    let strategy = sim.ok(&[
        "get",
        "deploy",
        "web",
        "-n",
        "team-a",
        "-o",
        "jsonpath={.spec.strategy.rollingUpdate.maxSurge}",
    ]);
    assert_eq!(strategy, "25%", "defaults fill what protobuf sent empty");
}

#[test]
fn get_watch_prints_table_rows_as_changes_happen_and_bookmarks_arrive() {
    let Some(sim) = Sim::start() else { return };
    sim.rolled_out("malaria-predictor-canary", Some("ml-serving"));
    let mut watch = std::process::Command::new("kubectl")
        .args(["--kubeconfig"])
        .arg(&sim.kubeconfig)
        .args([
            "get",
            "deploy",
            "malaria-predictor-canary",
            "-n",
            "ml-serving",
            "-w",
            "--request-timeout=20s",
        ])
        .env("HOME", sim.dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = watch.stdout.take().unwrap();
    let lines = std::thread::spawn(move || {
        use std::io::BufRead;
        // Read until the scaled-up deployment shows 2/2 ready.
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .take_while(|l| !l.contains("2/2"))
            .collect::<Vec<_>>()
    });
    sim.ok(&[
        "scale",
        "deploy/malaria-predictor-canary",
        "-n",
        "ml-serving",
        "--replicas=2",
    ]);
    let seen = lines.join().unwrap();
    let _ = watch.kill();
    let _ = watch.wait();
    assert!(
        seen[0].starts_with("NAME") && seen[0].contains("UP-TO-DATE"),
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|l| l.contains("1/2")),
        "rows follow the change: {seen:?}"
    );
    assert!(
        !seen[1..].iter().any(|l| l.starts_with("NAME")),
        "one header, as on a real cluster: {seen:?}"
    );

    let url = "/apis/apps/v1/namespaces/ml-serving/deployments?watch=true&allowWatchBookmarks=true&timeoutSeconds=2";
    let events = sim.ok(&["get", "--raw", url]);
    assert!(events.lines().any(|l| l.contains(r#""type":"BOOKMARK""#)), "{events}");
}

#[test]
fn the_example_manifests_apply_and_roll_out() {
    let Some(sim) = Sim::start() else { return };
    sim.ok(&["create", "namespace", "ml-serving-example"]);
    for file in [
        "config/k8s/deployment.yaml",
        "config/k8s/services.yaml",
        "config/k8s/httproute.yaml",
    ] {
        let text = std::fs::read_to_string(file)
            .unwrap()
            .replace("namespace: ml-serving\n", "namespace: ml-serving-example\n");
        let path = sim.write_file(file.rsplit('/').next().unwrap(), &text);
        sim.ok(&["apply", "--server-side", "-f", &path]);
    }
    let ns = ["-n", "ml-serving-example"];
    sim.rolled_out("malaria-predictor", Some(ns[1]));
    let probe = sim.ok(&[
        &ns[..],
        &[
            "get",
            "deploy",
            "malaria-predictor",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].readinessProbe.httpGet.path}",
        ],
    ]
    .concat());
    assert_eq!(probe, "/health/ready");
    let weights = sim.ok(&[
        &ns[..],
        &[
            "get",
            "httproute",
            "malaria-predictor",
            "-o",
            "jsonpath={.spec.rules[0].backendRefs[*].weight}",
        ],
    ]
    .concat());
    assert_eq!(weights, "90 10");
}
