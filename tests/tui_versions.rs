//! The version a rollout runs is the version shown, planned and audited:
//! after the deployment guide's own `kubectl set image …:2.1.1`, the
//! template's `version` label still says v2.1.0, and the console, the plans
//! and the CLI must say 2.1.1 — and that the label disagrees.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

mod console_common;
mod sim_common;

use console_common::{Attach, Console};
use modeldeck::app::screen::Mode;
use sim_common::Sim;

const BAD: &str = "predictor=ghcr.io/modeldeck/malaria-predictor:2.1.1";

fn console(sim: &Sim) -> Console {
    Console::start(Attach::operator(sim.kubeconfig.clone(), sim.dir.path()))
}

fn audit(sim: &Sim) -> Vec<serde_json::Value> {
    std::fs::read_to_string(sim.dir.path().join("state/audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The screen line that names `text`.
fn line_with<'a>(screen: &'a str, text: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(text))
        .unwrap_or_else(|| panic!("no line with {text:?}:\n{screen}"))
}

#[test]
fn set_image_shows_plans_and_audits_the_version_that_runs() {
    let Some(sim) = Sim::start() else { return };
    sim.rolled_out("malaria-predictor-canary", Some("ml-serving"));
    sim.ok(&[
        "-n",
        "ml-serving",
        "set",
        "image",
        "deploy/malaria-predictor-canary",
        BAD,
    ]);
    sim.rolled_out("malaria-predictor-canary", Some("ml-serving"));
    let mut console = console(&sim);
    console.open_rollouts();
    console.until("the canary at revision 2", |s| {
        s.rollouts.list.loaded().is_some_and(|l| {
            l.iter()
                .any(|r| r.name == "malaria-predictor-canary" && r.revision == 2)
        })
    });
    console.press("j");
    console.until("the canary's detail", |s| {
        matches!(&s.rollouts.detail.load, modeldeck::app::resource::Load::Loaded(d)
            if d.name == "malaria-predictor-canary" && d.revisions.len() == 2)
    });
    let screen = console.render(80, 24);
    let row = line_with(&screen, "malaria-predictor-canary ");
    assert!(row.contains("2.1.1⚠"), "the row shows what runs, marked: {row}");
    assert!(!row.contains("2.1.0"), "{row}");
    assert!(
        screen.contains("2.1.1 (label version=v2.1.0 disagrees)"),
        "the detail says how:\n{screen}"
    );

    console.press("u");
    console.until("the confirmation", |s| s.mode == Mode::Confirm);
    let summary = console.state.rollouts.pending.as_ref().unwrap().plan.summary.clone();
    assert!(
        summary.contains("from revision 2 (2.1.1, label version=v2.1.0 disagrees;")
            && summary.contains("to revision 1 (2.1.0, ghcr.io/modeldeck/malaria-predictor:2.1.0)"),
        "{summary}"
    );
    console.press("y");
    console.until("the undo", |s| s.rollouts.busy.is_none() && s.status.is_some());
    let entry = audit(&sim).pop().unwrap();
    assert_eq!(
        (entry["before"]["version"].as_str(), entry["after"]["version"].as_str()),
        (Some("2.1.1"), Some("2.1.0")),
        "{entry}"
    );

    // Undo of the undo: the bad model must not come back under a good name.
    console.until("revision 3", |s| {
        s.rollouts
            .selected()
            .is_some_and(|r| r.revision == 3 && r.version.name.as_deref() == Some("2.1.0"))
    });
    console.press("u");
    console.until("the confirmation", |s| s.mode == Mode::Confirm);
    let summary = console.state.rollouts.pending.as_ref().unwrap().plan.summary.clone();
    assert!(
        summary.contains("to revision 2 (2.1.1, label version=v2.1.0 disagrees;"),
        "{summary}"
    );
    console.press("n");
}

#[test]
fn the_cli_says_which_version_runs_and_that_the_label_disagrees() {
    let Some(sim) = Sim::start() else { return };
    sim.ok(&[
        "-n",
        "ml-serving",
        "set",
        "image",
        "deploy/malaria-predictor-canary",
        BAD,
    ]);
    sim.rolled_out("malaria-predictor-canary", Some("ml-serving"));
    let (code, out, err) = sim.modeldeck(&["status", "-n", "ml-serving"]);
    assert_eq!(code, 0, "{err}");
    let row = line_with(&out, "malaria-predictor-canary ");
    assert!(row.contains(" 2.1.1! "), "{out}");
    assert!(
        out.contains("! malaria-predictor-canary: runs 2.1.1 (label version=v2.1.0 disagrees)"),
        "{out}"
    );
    let (code, out, err) = sim.modeldeck(&["history", "malaria-predictor-canary", "-n", "ml-serving"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("! revision 2 runs 2.1.1 (label version=v2.1.0 disagrees)"),
        "{out}"
    );
    let (code, out, err) = sim.modeldeck(&["bluegreen", "status", "-n", "ml-serving"]);
    assert_eq!(code, 0, "{err}");
    let green = line_with(&out, "malaria-predictor-green ");
    assert!(green.contains("version=v2.1.0") && green.contains("2.1.1!"), "{out}");
}
