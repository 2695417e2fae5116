//! Blue-green switching through `ops` against the simulated cluster, with
//! kubectl reading the Service's selector as referee.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

mod sim_common;

use sim_common::Sim;

const NS: [&str; 2] = ["-n", "ml-serving"];

fn selector_version(sim: &Sim, service: &str) -> String {
    sim.ok(&[
        &NS[..],
        &["get", "svc", service, "-o", "jsonpath={.spec.selector.version}"],
    ]
    .concat())
}

fn modeldeck(sim: &Sim, args: &[&str]) -> (i32, String, String) {
    sim.modeldeck(&[&NS[..], args].concat())
}

#[test]
fn switch_and_back_move_the_selector_kubectl_sees() {
    let Some(sim) = Sim::start() else { return };
    sim.rolled_out("malaria-predictor-canary", Some(NS[1]));
    assert_eq!(selector_version(&sim, "malaria-predictor-blue"), "v2.0.5");
    let (code, out, err) = modeldeck(
        &sim,
        &[
            "bluegreen",
            "switch",
            "malaria-predictor-blue",
            "--to",
            "2.1.0",
            "--yes",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("from version=v2.0.5 (3 ready pods) to version=v2.1.0 (1 ready pod)"),
        "{out}"
    );
    assert_eq!(
        selector_version(&sim, "malaria-predictor-blue"),
        "v2.1.0",
        "2.1.0 found the pods labelled v2.1.0"
    );

    let (_, status, _) = modeldeck(&sim, &["bluegreen", "status", "-o", "json"]);
    let sides: serde_json::Value = serde_json::from_str(&status).unwrap();
    let blue = sides
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "malaria-predictor-blue")
        .unwrap();
    // The selector's label, and what the pods it selects run.
    assert_eq!(
        (
            blue["selector_version"].as_str(),
            blue["version"].as_str(),
            blue["previous"].as_str()
        ),
        (Some("v2.1.0"), Some("2.1.0"), Some("v2.0.5"))
    );

    let (code, _, err) = modeldeck(&sim, &["bluegreen", "back", "malaria-predictor-blue", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(selector_version(&sim, "malaria-predictor-blue"), "v2.0.5");
    let (code, out, _) = modeldeck(
        &sim,
        &[
            "bluegreen",
            "switch",
            "malaria-predictor-blue",
            "--to",
            "v2.0.5",
            "--yes",
        ],
    );
    assert_eq!(code, 0);
    assert!(out.contains("already points to version=v2.0.5"), "{out}");
}

#[test]
fn switching_to_nothing_ready_or_without_a_version_key_is_refused() {
    let Some(sim) = Sim::start() else { return };
    let (code, _, err) = modeldeck(
        &sim,
        &[
            "bluegreen",
            "switch",
            "malaria-predictor-blue",
            "--to",
            "9.9.9",
            "--yes",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("no pods match app=malaria-predictor,version=9.9.9"),
        "{err}"
    );

    // Pods of 3.0.0 exist but never become ready (their image is tagged to fail).
    let broken = r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"broken"},
      "spec":{"replicas":2,"selector":{"matchLabels":{"app":"malaria-predictor","track":"broken"}},
      "template":{"metadata":{"labels":{"app":"malaria-predictor","track":"broken","version":"v3.0.0"}},
      "spec":{"containers":[{"name":"p","image":"p:3.0.0-fail"}]}}}}"#;
    let file = sim.write_file("broken.json", broken);
    sim.ok(&[&NS[..], &["create", "-f", &file]].concat());
    sim.settle();
    let (code, _, err) = modeldeck(
        &sim,
        &[
            "bluegreen",
            "switch",
            "malaria-predictor-blue",
            "--to",
            "3.0.0",
            "--yes",
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("none of the 2 pods with version=v3.0.0"), "{err}");

    sim.ok(&[&NS[..], &["create", "service", "clusterip", "plain", "--tcp=80:8000"]].concat());
    let (code, _, err) = modeldeck(&sim, &["bluegreen", "switch", "plain", "--to", "2.1.0", "--yes"]);
    assert_eq!(code, 1);
    assert!(err.contains("with no \"version\" key"), "{err}");
    let (code, _, err) = modeldeck(&sim, &["bluegreen", "back", "malaria-predictor-green", "--yes"]);
    assert_eq!(code, 1);
    assert!(err.contains("no previous version recorded"), "{err}");
    assert_eq!(
        selector_version(&sim, "malaria-predictor-blue"),
        "v2.0.5",
        "nothing written"
    );
}
