//! The console's Rollouts view driven by keystrokes through the real app
//! core — keymap, update, effects runner, kube runner, ops — against the
//! simulated cluster, with kubectl reading the result.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

mod console_common;
mod sim_common;

use console_common::{Attach, Console};
use modeldeck::app::screen::Mode;
use sim_common::Sim;

/// The console attached to `sim` in ml-serving (or `namespace`).
fn attached(sim: &Sim, readonly: Option<&str>, context: Option<&str>, namespace: &str) -> Console {
    Console::start(Attach {
        kubeconfig: sim.kubeconfig.clone(),
        audit: sim.dir.path().join("state/audit.jsonl"),
        readonly: readonly.map(str::to_owned),
        context: context.map(str::to_owned),
        namespace: namespace.into(),
        metrics: None,
    })
}

fn console(sim: &Sim, readonly: Option<&str>) -> Console {
    attached(sim, readonly, None, "ml-serving")
}

fn weights(sim: &Sim) -> String {
    let jsonpath = "jsonpath={.spec.rules[0].backendRefs[*].weight}";
    sim.ok(&[
        "get",
        "httproute",
        "malaria-predictor",
        "-n",
        "ml-serving",
        "-o",
        jsonpath,
    ])
}

fn audit(sim: &Sim) -> Vec<serde_json::Value> {
    std::fs::read_to_string(sim.dir.path().join("state/audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn canary_step_abort_and_promote_by_keystrokes() {
    let Some(sim) = Sim::start() else { return };
    sim.rolled_out("malaria-predictor-canary", Some("ml-serving"));
    let mut console = console(&sim, None);
    console.open_rollouts();
    console.press("+");
    console.until("the confirmation", |s| s.mode == Mode::Confirm);
    let summary = console.state.rollouts.pending.as_ref().unwrap().plan.summary.clone();
    assert!(summary.contains("to 25%"), "{summary}");
    console.press("y");
    console.until("the step to finish", |s| {
        s.rollouts.busy.is_none() && s.status.is_some()
    });
    assert_eq!(weights(&sim), "75 25", "{}", console.status());

    console.press("a");
    console.until("the confirmation", |s| s.mode == Mode::Confirm);
    console.press("enter");
    console.until("the abort to finish", |s| {
        s.rollouts.busy.is_none() && s.status.as_ref().is_some_and(|t| t.text.contains("0%"))
    });
    assert_eq!(weights(&sim), "100 0");

    console.press("P");
    console.until("the confirmation", |s| s.mode == Mode::Confirm);
    console.press("y");
    console.until("the promotion", |s| {
        s.rollouts.busy.is_none() && s.status.as_ref().is_some_and(|t| t.text.contains("promote"))
    });
    let version = sim.ok(&[
        "get",
        "svc",
        "malaria-predictor-blue",
        "-n",
        "ml-serving",
        "-o",
        "jsonpath={.spec.selector.version}",
    ]);
    assert_eq!(version, "v2.1.0");
    assert_eq!(
        sim.image_in("malaria-predictor", "ml-serving"),
        "ghcr.io/modeldeck/malaria-predictor:2.1.0",
        "the stable side runs the promoted version"
    );
    // One key undoes the promotion, all of it.
    console.until("the promoted revision", |s| {
        s.rollouts.selected().is_some_and(|r| r.revision == 2) && s.rollouts.detail_is_current()
    });
    console.until(
        "its detail",
        |s| matches!(&s.rollouts.detail.load, modeldeck::app::resource::Load::Loaded(d) if d.revisions.len() == 2),
    );
    console.press("u");
    console.until("the confirmation", |s| s.mode == Mode::Confirm);
    let summary = console.state.rollouts.pending.as_ref().unwrap().plan.summary.clone();
    assert!(
        summary.starts_with("undo the promotion of deployment ml-serving/malaria-predictor"),
        "{summary}"
    );
    console.press("y");
    console.until("the undo", |s| s.rollouts.busy.is_none() && s.status.is_some());
    assert_eq!(
        sim.image_in("malaria-predictor", "ml-serving"),
        "ghcr.io/modeldeck/malaria-predictor:2.0.5",
        "{}",
        console.status()
    );
    let actions: Vec<String> = audit(&sim)
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["canary.step", "canary.abort", "canary.promote", "rollback"]);
}

#[test]
fn rollback_by_keystroke_matches_kubectl_and_no_means_no() {
    let Some(sim) = Sim::start() else { return };
    let ns = ["-n", "ml-serving"];
    sim.ok(&[
        &ns[..],
        &[
            "set",
            "image",
            "deploy/malaria-predictor",
            "predictor=ghcr.io/modeldeck/malaria-predictor:2.1.0",
        ],
    ]
    .concat());
    sim.rolled_out("malaria-predictor", Some(ns[1]));
    let mut console = console(&sim, None);
    console.open_rollouts();

    console.press("u");
    console.until("the confirmation", |s| s.mode == Mode::Confirm);
    console.press("n");
    console.until("the decline", |s| {
        s.status.as_ref().is_some_and(|t| t.text.starts_with("cancelled"))
    });
    assert_eq!(
        sim.image_in("malaria-predictor", "ml-serving"),
        "ghcr.io/modeldeck/malaria-predictor:2.1.0",
        "no means no"
    );

    console.press("u");
    console.until("the confirmation", |s| s.mode == Mode::Confirm);
    console.press("y");
    console.until("the rollback", |s| {
        s.rollouts.busy.is_none() && s.status.as_ref().is_some_and(|t| t.text.contains("roll back"))
    });
    assert_eq!(
        sim.image_in("malaria-predictor", "ml-serving"),
        "ghcr.io/modeldeck/malaria-predictor:2.0.5"
    );
    let outcomes: Vec<String> = audit(&sim)
        .iter()
        .map(|e| e["outcome"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(outcomes, ["cancelled", "done"]);
}

#[test]
fn read_only_refuses_from_the_console_too() {
    let Some(sim) = Sim::start() else { return };
    let mut console = console(&sim, Some("read-only mode (--readonly)"));
    console.open_rollouts();
    for key in ["+", "a", "P", "u", "b"] {
        console.press(key);
        console.until("the refusal", |s| s.rollouts.busy.is_none() && s.status.is_some());
        assert!(
            console.status().starts_with("refused: read-only mode"),
            "{key}: {}",
            console.status()
        );
        assert_eq!(
            console.state.mode,
            Mode::Normal,
            "no confirmation is asked for a refused action"
        );
    }
    assert_eq!(weights(&sim), "90 10");
    assert_eq!(audit(&sim).len(), 5, "one audit line per refused key");
}

#[test]
fn a_viewer_sees_what_it_may_not_do_before_pressing_a_key() {
    let Some(sim) = Sim::start() else { return };
    let mut console = attached(&sim, None, Some("modeldeck-sim-readonly"), "ml-serving");
    console.open_rollouts();
    console.until("the detail", |s| {
        matches!(&s.rollouts.detail.load, modeldeck::app::resource::Load::Loaded(d) if d.name == "malaria-predictor")
    });
    let modeldeck::app::resource::Load::Loaded(detail) = &console.state.rollouts.detail.load else {
        unreachable!()
    };
    assert_eq!(detail.denied.len(), 4, "{:?}", detail.denied);
    assert!(
        detail.denied[0].1.contains("user \"viewer\" may not patch deployments"),
        "{:?}",
        detail.denied
    );
    assert!(audit(&sim).is_empty(), "asking is not acting: nothing audited");
}

#[test]
fn all_namespaces_lists_everywhere_and_acts_where_each_rollout_lives() {
    let Some(sim) = Sim::start() else { return };
    sim.ok(&["create", "deployment", "aaa-elsewhere", "--image=x:1"]);
    let mut console = attached(&sim, None, None, "all");
    console.press("2");
    console.until("both namespaces", |s| {
        s.rollouts.list.loaded().is_some_and(|l| {
            l.iter().any(|r| r.namespace == "default") && l.iter().any(|r| r.namespace == "ml-serving")
        })
    });
    assert_eq!(console.state.session.namespace, "all");
    // default/aaa-elsewhere sorts first; move to ml-serving/malaria-predictor.
    console.press("j");
    console.until("the selection", |s| {
        s.rollouts.selected().is_some_and(|r| r.name == "malaria-predictor")
    });
    console.press("+");
    console.until("the confirmation", |s| s.mode == Mode::Confirm);
    console.press("y");
    console.until("the step", |s| s.rollouts.busy.is_none() && s.status.is_some());
    assert_eq!(weights(&sim), "75 25", "{}", console.status());
    assert_eq!(audit(&sim)[0]["target"], "deployment/ml-serving/malaria-predictor");
}

#[test]
fn every_other_action_through_commands() {
    let Some(sim) = Sim::start() else { return };
    let ns = ["-n", "ml-serving"];
    sim.ok(&[
        &ns[..],
        &[
            "set",
            "image",
            "deploy/malaria-predictor",
            "predictor=ghcr.io/modeldeck/malaria-predictor:2.0.6",
        ],
    ]
    .concat());
    sim.rolled_out("malaria-predictor", Some(ns[1]));
    sim.rolled_out("malaria-predictor-canary", Some(ns[1]));
    let mut console = console(&sim, None);
    console.open_rollouts();

    console.command("canary set 30");
    assert_eq!(weights(&sim), "70 30", "{}", console.status());

    console.command("shadow 20");
    let mirror = sim.ok(&[
        &ns[..],
        &[
            "get",
            "httproute",
            "malaria-predictor",
            "-o",
            "jsonpath={.spec.rules[0].filters[0].requestMirror.percent}",
        ],
    ]
    .concat());
    assert_eq!(mirror, "20", "{}", console.status());
    console.command("shadow off");
    let filters = sim.ok(&[
        &ns[..],
        &[
            "get",
            "httproute",
            "malaria-predictor",
            "-o",
            "jsonpath={.spec.rules[0].filters}",
        ],
    ]
    .concat());
    assert_eq!(filters, "[]");

    let version = |sim: &Sim| {
        sim.ok(&[
            "-n",
            "ml-serving",
            "get",
            "svc",
            "malaria-predictor-blue",
            "-o",
            "jsonpath={.spec.selector.version}",
        ])
    };
    console.command("switch malaria-predictor-blue 2.1.0");
    assert_eq!(version(&sim), "v2.1.0", "{}", console.status());
    console.command("back malaria-predictor-blue");
    assert_eq!(version(&sim), "v2.0.5", "{}", console.status());

    console.command("rollback 1");
    assert_eq!(
        sim.image_in("malaria-predictor", "ml-serving"),
        "ghcr.io/modeldeck/malaria-predictor:2.0.5",
        "{}",
        console.status()
    );

    let actions: Vec<String> = audit(&sim)
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        actions,
        [
            "canary.set",
            "shadow.on",
            "shadow.off",
            "bluegreen.switch",
            "bluegreen.switch",
            "rollback"
        ]
    );
}

#[test]
fn b_switches_the_blue_green_service_back_in_one_key() {
    let Some(sim) = Sim::start() else { return };
    sim.rolled_out("malaria-predictor-canary", Some("ml-serving"));
    let mut console = console(&sim, None);
    console.open_rollouts();
    console.command("switch malaria-predictor-blue 2.1.0");
    let version = |sim: &Sim| {
        sim.ok(&[
            "-n",
            "ml-serving",
            "get",
            "svc",
            "malaria-predictor-blue",
            "-o",
            "jsonpath={.spec.selector.version}",
        ])
    };
    assert_eq!(version(&sim), "v2.1.0");
    console.until("the detail to show the switch", |s| {
        matches!(&s.rollouts.detail.load, modeldeck::app::resource::Load::Loaded(d)
            if d.services.iter().any(|side| side.service == "malaria-predictor-blue" && side.previous.as_deref() == Some("v2.0.5")))
    });
    console.press("b");
    console.until("the confirmation", |s| s.mode == Mode::Confirm);
    let summary = console.state.rollouts.pending.as_ref().unwrap().plan.summary.clone();
    assert!(
        summary.contains("switch service ml-serving/malaria-predictor-blue from version=v2.1.0"),
        "{summary}"
    );
    console.press("y");
    console.until("the switch back", |s| {
        s.rollouts.busy.is_none() && s.status.as_ref().is_some_and(|t| t.text.contains("to version=v2.0.5"))
    });
    assert_eq!(version(&sim), "v2.0.5");
}

#[test]
fn a_dropped_watch_reconnects_by_itself() {
    let Some(sim) = Sim::start() else { return };
    let mut console = console(&sim, None);
    console.open_rollouts();
    // Every open watch ends, as when an API server restarts; the change
    // after it can reach the console only over a watch opened again.
    // The list can show before the console's watch requests are open (a
    // reflector lists, then watches): drop again until one was open.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut tries = 0u32;
    while sim.server.cluster.watches_dropped() == 0 {
        assert!(std::time::Instant::now() < deadline, "no watch was ended by the drop");
        if tries.is_multiple_of(25) {
            sim.server.cluster.drop_watches();
        }
        tries += 1;
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    sim.ok(&[
        "scale",
        "deploy/malaria-predictor-canary",
        "-n",
        "ml-serving",
        "--replicas=2",
    ]);
    console.until("the change after the drop", |s| {
        s.rollouts.list.loaded().is_some_and(|l| {
            l.iter()
                .any(|r| r.name == "malaria-predictor-canary" && r.replicas == 2)
        })
    });
}

#[test]
fn ctx_switches_the_cluster_user_and_so_what_may_be_done() {
    let Some(sim) = Sim::start() else { return };
    let mut console = console(&sim, None);
    console.open_rollouts();
    console.until(
        "the operator's detail",
        |s| matches!(&s.rollouts.detail.load, modeldeck::app::resource::Load::Loaded(d) if d.denied.is_empty()),
    );
    console.type_command("ctx modeldeck-sim-readonly");
    console.until("the viewer's connection", |s| {
        s.rollouts
            .kube
            .loaded()
            .is_some_and(|k| k.context == "modeldeck-sim-readonly")
    });
    console.until(
        "the viewer's denials",
        |s| matches!(&s.rollouts.detail.load, modeldeck::app::resource::Load::Loaded(d) if d.denied.len() == 4),
    );
    let info = console.state.rollouts.kube.loaded().unwrap();
    assert_eq!(info.user, "viewer");
    assert_eq!(console.state.session.context.as_deref(), Some("modeldeck-sim-readonly"));
    // An unknown context is refused by name, and the one in use is kept.
    console.type_command("ctx nowhere");
    let screen = console.render(120, 30);
    assert!(
        screen.contains("no context \"nowhere\" in the kubeconfig: staying in modeldeck-sim-readonly"),
        "{screen}"
    );
    assert_eq!(console.state.session.context.as_deref(), Some("modeldeck-sim-readonly"));
    assert!(console.state.rollouts.kube.loaded().is_some(), "still connected");
}

/// Revision ages in the detail pane are the cluster's, as kubectl's AGE
/// column: the simulated cluster runs 20 times faster than the local
/// clock, so an age measured on the local clock is far too young.
#[test]
fn revision_ages_are_the_ones_kubectl_shows() {
    let Some(sim) = Sim::start() else { return };
    sim.ok(&["create", "deployment", "aged", "--image=m:1", "-n", "ml-serving"]);
    sim.rolled_out("aged", Some("ml-serving"));
    let rs = sim.ok(&[
        "get",
        "rs",
        "-n",
        "ml-serving",
        "-l",
        "app=aged",
        "-o",
        "jsonpath={.items[0].metadata.name}",
    ]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let rs_age = || {
        let row = sim.ok(&["get", "rs", &rs, "-n", "ml-serving", "--no-headers"]);
        sim_common::age_seconds(row.split_whitespace().last().unwrap())
    };
    while rs_age() < 120 {
        assert!(std::time::Instant::now() < deadline, "the ReplicaSet never aged");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let mut console = console(&sim, None);
    console.press("2");
    console.until("the list", |s| s.rollouts.list.loaded().is_some());
    // kubectl before the detail is read and after the screen is drawn:
    // the cluster's clock runs 20 times faster than the console's, so the
    // age shown is the one at the read, between the two.
    let before = rs_age();
    console.press("/ a g e d enter");
    console.until("aged's detail", |s| {
        s.rollouts.detail.loaded().is_some_and(|d| d.name == "aged")
    });
    console.tick();
    let screen = console.render(120, 40);
    let after = rs_age();
    let row = screen
        .lines()
        .find(|l| l.contains("m:1") && l.contains("1/1"))
        .unwrap_or_else(|| panic!("{screen}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    let shown = cells.iter().position(|c| *c == "1/1").map(|i| cells[i + 1]).unwrap();
    let shown = sim_common::age_seconds(shown);
    // The margin: ages are whole seconds of a clock 20 times faster, so
    // 50 ms of a loaded machine between a read and its timestamp is one
    // of them. A console reading its own clock would be minutes off.
    assert!(
        (before - 5..=after + 5).contains(&shown),
        "the console says {shown}s, kubectl {before}s then {after}s:\n{screen}"
    );
}
