//! The console's Rollouts view driven by keystrokes through the real app
//! core — keymap, update, effects runner, kube runner, ops — against the
//! simulated cluster, with kubectl reading the result.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

mod sim_common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use modeldeck::app::effects::EffectRunner;
use modeldeck::app::kube_runner::KubeConfig;
use modeldeck::app::state::{Mode, Session};
use modeldeck::app::{Action, State, ViewId, keys, update};
use modeldeck::backends::kube::KubeTarget;
use modeldeck::config::settings::{RolloutSettings, RouterKind};
use modeldeck::config::{self, Config, Key, LoadOptions};
use modeldeck::ops::ReadOnlyRule;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use sim_common::Sim;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

struct Console {
    state: State,
    config: Config,
    runner: EffectRunner,
    answers: UnboundedReceiver<Action>,
    runtime: tokio::runtime::Runtime,
}

impl Console {
    fn new(sim: &Sim, readonly: Option<&str>) -> Console {
        Console::with_context(sim, readonly, None)
    }

    fn with_context(sim: &Sim, readonly: Option<&str>, context: Option<&str>) -> Console {
        Console::attached(sim, readonly, context, "ml-serving")
    }

    fn attached(sim: &Sim, readonly: Option<&str>, context: Option<&str>, namespace: &str) -> Console {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let config = config::load(&LoadOptions::default()).unwrap().config;
        let mut rollouts = BTreeMap::new();
        rollouts.insert(
            "malaria-predictor".to_owned(),
            RolloutSettings {
                router: RouterKind::GatewayApi,
                route: "malaria-predictor".into(),
                stable: "malaria-predictor-blue".into(),
                canary: "malaria-predictor-green".into(),
                shadow: "malaria-predictor-shadow".into(),
                ..RolloutSettings::default()
            },
        );
        let kube = KubeConfig {
            target: KubeTarget {
                kubeconfig: Some(sim.kubeconfig.clone()),
                context: context.map(str::to_owned),
                namespace: Some(namespace.into()),
                timeout: None,
            },
            readonly: ReadOnlyRule {
                everywhere: readonly.map(str::to_owned),
                contexts: Vec::new(),
            },
            rollouts,
            ladder: vec![5, 10, 25, 50, 100],
            audit: sim.dir.path().join("state/audit.jsonl"),
            login: "tester".into(),
        };
        let (tx, answers) = unbounded_channel();
        let runner = {
            let _guard = runtime.enter();
            EffectRunner::new(tx, kube, None)
        };
        let session = Session {
            context: None,
            namespace: namespace.into(),
            namespace_set: true,
            readonly: readonly.is_some(),
            registry_location: "models".into(),
            audit_path: sim.dir.path().join("state/audit.jsonl"),
        };
        let mut console = Console {
            state: State::new(session, ViewId::Models),
            config,
            runner,
            answers,
            runtime,
        };
        let effects = modeldeck::app::update::init(&mut console.state);
        console.run(effects);
        console
    }

    fn run(&mut self, effects: Vec<modeldeck::app::Effect>) {
        let _guard = self.runtime.enter();
        for effect in effects {
            self.runner.spawn(effect);
        }
    }

    fn press(&mut self, names: &str) {
        for name in names.split(' ') {
            let key = Key::parse(name).unwrap();
            let shift = matches!(key.code, KeyCode::Char(c) if c.is_ascii_uppercase());
            let event = KeyEvent::new(
                key.code,
                if shift {
                    key.mods | KeyModifiers::SHIFT
                } else {
                    key.mods
                },
            );
            if let Some(action) = keys::resolve(&self.state, &self.config.keymap, &event) {
                let effects = update(&mut self.state, action);
                self.run(effects);
            }
        }
    }

    /// Feeds answers into update until `done` holds (a condition with a
    /// deadline, never a fixed sleep).
    fn until(&mut self, what: &str, done: impl Fn(&State) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !done(&self.state) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; status: {:?}",
                self.state.status
            );
            let answer = self
                .runtime
                .block_on(async { tokio::time::timeout(Duration::from_millis(200), self.answers.recv()).await });
            if let Ok(Some(action)) = answer {
                let effects = update(&mut self.state, action);
                self.run(effects);
            }
        }
    }

    /// Runs a `:` command, then answers its confirmation with "y".
    fn command(&mut self, text: &str) {
        self.press(":");
        for c in text.chars() {
            let event = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
            if let Some(action) = keys::resolve(&self.state, &self.config.keymap, &event) {
                let effects = update(&mut self.state, action);
                self.run(effects);
            }
        }
        self.press("enter");
        self.until("the confirmation", |s| {
            // A refusal is an answer too: fail with it rather than wait.
            assert!(
                !s.status
                    .as_ref()
                    .is_some_and(|t| t.level == modeldeck::app::state::Level::Error),
                "{:?}",
                s.status
            );
            s.mode == Mode::Confirm
        });
        self.press("y");
        self.until("the action", |s| s.rollouts.busy.is_none() && s.status.is_some());
    }

    fn open_rollouts(&mut self) {
        self.press("2");
        self.until("the rollouts list", |s| {
            s.rollouts.selected().is_some_and(|r| r.name == "malaria-predictor")
        });
    }

    fn status(&self) -> String {
        self.state.status.as_ref().map(|s| s.text.clone()).unwrap_or_default()
    }
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
    let mut console = Console::new(&sim, None);
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
    let actions: Vec<String> = audit(&sim)
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["canary.step", "canary.abort", "canary.promote"]);
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
    let mut console = Console::new(&sim, None);
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
    let mut console = Console::new(&sim, Some("read-only mode (--readonly)"));
    console.open_rollouts();
    for key in ["+", "a", "P", "u"] {
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
    assert_eq!(audit(&sim).len(), 4, "one audit line per refused key");
}

#[test]
fn a_viewer_sees_what_it_may_not_do_before_pressing_a_key() {
    let Some(sim) = Sim::start() else { return };
    let mut console = Console::with_context(&sim, None, Some("modeldeck-sim-readonly"));
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
    let mut console = Console::attached(&sim, None, None, "all");
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
    let mut console = Console::new(&sim, None);
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
    let mut console = Console::new(&sim, None);
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
    let mut console = Console::new(&sim, None);
    console.open_rollouts();
    // Every open watch ends, as when an API server restarts.
    sim.server.cluster.drop_watches();
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
