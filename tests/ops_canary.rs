//! Canary traffic through `ops` and the Gateway API router, against the
//! simulated cluster, with kubectl reading the HTTPRoute as referee.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

mod sim_common;

use sim_common::Sim;

const NS: [&str; 2] = ["-n", "ml-serving"];

fn weights(sim: &Sim) -> String {
    let jsonpath = "jsonpath={.spec.rules[0].backendRefs[*].weight}";
    sim.ok(&[&NS[..], &["get", "httproute", "malaria-predictor", "-o", jsonpath]].concat())
}

fn modeldeck(sim: &Sim, args: &[&str]) -> (i32, String, String) {
    sim.modeldeck(&[&NS[..], args].concat())
}

fn started() -> Option<Sim> {
    let sim = Sim::start()?;
    sim.configure_demo_router();
    sim.rolled_out("malaria-predictor-canary", Some(NS[1]));
    Some(sim)
}

#[test]
fn step_climbs_the_ladder_and_stops_at_the_top() {
    let Some(sim) = started() else { return };
    assert_eq!(weights(&sim), "90 10");
    for expected in ["75 25", "50 50", "0 100"] {
        let (code, _, err) = modeldeck(&sim, &["canary", "step", "malaria-predictor", "--yes"]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(weights(&sim), expected);
    }
    let (code, out, _) = modeldeck(&sim, &["canary", "step", "malaria-predictor", "--yes"]);
    assert_eq!(code, 0);
    assert!(out.contains("at 100%, the top of the ladder"), "{out}");
    let (_, status, _) = modeldeck(&sim, &["canary", "status", "malaria-predictor", "-o", "json"]);
    let split: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(
        (split["stable"].as_u64(), split["canary"].as_u64()),
        (Some(0), Some(100))
    );
}

#[test]
fn set_any_percent_and_abort() {
    let Some(sim) = started() else { return };
    let (code, out, err) = modeldeck(&sim, &["canary", "set", "malaria-predictor", "5", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("malaria-predictor-blue 90% -> 95%, malaria-predictor-green 10% -> 5%"),
        "{out}"
    );
    assert_eq!(weights(&sim), "95 5");
    let (code, _, _) = modeldeck(&sim, &["canary", "abort", "malaria-predictor", "--yes"]);
    assert_eq!(code, 0);
    assert_eq!(weights(&sim), "100 0");
    let (code, out, _) = modeldeck(&sim, &["canary", "abort", "malaria-predictor", "--yes"]);
    assert_eq!(code, 0);
    assert!(out.contains("already gets 0%"), "{out}");
}

#[test]
fn promote_gives_the_stable_side_the_canarys_version_at_its_own_capacity_and_u_undoes_it() {
    let Some(sim) = started() else { return };
    let get = |what: &[&str]| sim.ok(&[&NS[..], what].concat());
    let blue = || {
        get(&[
            "get",
            "svc",
            "malaria-predictor-blue",
            "-o",
            "jsonpath={.spec.selector.version}",
        ])
    };
    let stable = |path: &str| get(&["get", "deploy", "malaria-predictor", "-o", &format!("jsonpath={path}")]);
    let (code, out, err) = modeldeck(&sim, &["canary", "promote", "malaria-predictor", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(
            "deployment malaria-predictor takes the canary's pod template (2.1.0) and rolls out at 3 replicas"
        ),
        "{out}"
    );
    assert!(out.contains("at least 3 ready pods throughout"), "{out}");
    // The stable Deployment runs the canary's version on its own three pods,
    // still under its own selector, and all traffic is back on it.
    assert_eq!(
        stable("{.spec.template.spec.containers[0].image}"),
        "ghcr.io/modeldeck/malaria-predictor:2.1.0"
    );
    assert_eq!(stable("{.spec.replicas} {.status.readyReplicas}"), "3 3");
    assert_eq!(stable("{.spec.template.metadata.labels.track}"), "stable");
    assert_eq!(weights(&sim), "100 0");
    assert_eq!(blue(), "v2.1.0");
    let ready_blue = get(&[
        "get",
        "pods",
        "-l",
        "app=malaria-predictor,version=v2.1.0,track=stable",
        "-o",
        "name",
    ]);
    assert_eq!(
        ready_blue.lines().count(),
        3,
        "the stable Service has the stable side's pods: {ready_blue}"
    );
    let audit = || -> Vec<serde_json::Value> {
        std::fs::read_to_string(sim.dir.path().join("state/audit.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let lines = audit();
    assert_eq!(lines.len(), 1, "one audit line for the writes of one action");
    assert_eq!(lines[0]["action"], "canary.promote");
    assert_eq!(lines[0]["after"]["stable_version"], "2.1.0");

    // What promote changed is recorded: one rollback puts all of it back.
    let (code, out, err) = modeldeck(&sim, &["rollback", "malaria-predictor", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("undo the promotion of deployment ml-serving/malaria-predictor"),
        "{out}"
    );
    assert_eq!(
        stable("{.spec.template.spec.containers[0].image}"),
        "ghcr.io/modeldeck/malaria-predictor:2.0.5"
    );
    assert_eq!(blue(), "v2.0.5");
    assert_eq!(weights(&sim), "90 10");
    assert_eq!(audit().len(), 2);
}

#[test]
fn bad_percents_missing_routers_and_one_backend_routes_are_refused() {
    let Some(sim) = started() else { return };
    for bad in ["150", "-5", "ten"] {
        let (code, _, err) = modeldeck(&sim, &["canary", "set", "malaria-predictor", bad, "--yes"]);
        assert_eq!(code, 2, "{bad}: {err}");
    }
    let (code, _, err) = modeldeck(&sim, &["canary", "set", "malaria-predictor-canary", "20", "--yes"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("no traffic router is configured for deployment \"malaria-predictor-canary\""),
        "{err}"
    );

    let one_backend = r#"[{"op":"remove","path":"/spec/rules/0/backendRefs/1"}]"#;
    sim.ok(&[
        &NS[..],
        &[
            "patch",
            "httproute",
            "malaria-predictor",
            "--type=json",
            "-p",
            one_backend,
        ],
    ]
    .concat());
    let (code, _, err) = modeldeck(&sim, &["canary", "set", "malaria-predictor", "20", "--yes"]);
    assert_eq!(code, 1);
    assert!(err.contains("has no second backend"), "{err}");
    assert_eq!(weights(&sim), "90", "nothing written");
}

#[test]
fn status_names_the_shadow_the_route_mirrors_to() {
    let Some(sim) = started() else { return };
    let row = |out: &str, side: &str| {
        out.lines()
            .find(|l| l.starts_with(side))
            .unwrap_or_else(|| panic!("no {side} row:\n{out}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    // The demo's route mirrors half the requests to the shadow Service;
    // kubectl reads the same backend from it.
    let mirror = sim.ok(&[
        &NS[..],
        &[
            "get",
            "httproute",
            "malaria-predictor",
            "-o",
            "jsonpath={.spec.rules[0].filters[0].requestMirror.backendRef.name}",
        ],
    ]
    .concat());
    assert_eq!(mirror, "malaria-predictor-shadow");
    let (code, out, err) = modeldeck(&sim, &["canary", "status", "malaria-predictor"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(row(&out, "stable")[1..3], ["malaria-predictor-blue", "90%"], "{out}");
    assert_eq!(row(&out, "shadow")[1..3], ["malaria-predictor-shadow", "50%"], "{out}");
    let (_, json, _) = modeldeck(&sim, &["canary", "status", "malaria-predictor", "-o", "json"]);
    let split: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(split["shadow_backend"], "malaria-predictor-shadow");

    // Not mirroring: the configured shadow, said to be off.
    let (code, _, err) = modeldeck(&sim, &["shadow", "off", "malaria-predictor", "--yes"]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = modeldeck(&sim, &["canary", "status", "malaria-predictor"]);
    let shadow = row(&out, "shadow").join(" ");
    assert_eq!(
        shadow, "shadow malaria-predictor-shadow 0% configured, not mirroring",
        "{out}"
    );
}
