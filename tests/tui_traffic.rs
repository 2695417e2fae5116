//! Traffic as the operator reads it, against the simulated cluster: the
//! weight is on the list row of every console attached (routes are
//! watched, not read once), a row that is a rollout's canary acts on that
//! rollout, and a key that cannot act says why instead of asking.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

mod console_common;
mod sim_common;

use console_common::{Attach, Console};
use modeldeck::app::screen::Mode;
use modeldeck::app::shared::Level;
use sim_common::Sim;

fn console(sim: &Sim, readonly: Option<&str>) -> Console {
    Console::start(Attach {
        readonly: readonly.map(str::to_owned),
        ..Attach::operator(sim.kubeconfig.clone(), sim.dir.path())
    })
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

fn audit_lines(sim: &Sim) -> usize {
    std::fs::read_to_string(sim.dir.path().join("state/audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .count()
}

fn row<'a>(screen: &'a str, name: &str) -> (&'a str, &'a str) {
    let lines: Vec<&str> = screen.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.contains(&format!(" {name} ")))
        .unwrap_or_else(|| panic!("no row {name}:\n{screen}"));
    (lines[i], lines.get(i + 1).copied().unwrap_or_default())
}

#[test]
fn a_second_console_reads_every_change_of_weight_from_its_list() {
    let Some(sim) = Sim::start() else { return };
    let mut acting = console(&sim, None);
    let mut watching = console(&sim, None);
    acting.open_rollouts();
    watching.open_rollouts();
    watching.until("the first weights", |s| {
        s.rollouts
            .traffic
            .values()
            .any(|t| t.split.as_ref().is_ok_and(|s| s.canary == 10))
    });
    let screen = watching.render(80, 24);
    let (_, facts) = row(&screen, "malaria-predictor");
    assert!(facts.contains("stable 90% · canary 10% 2/5 · shadow 50%"), "{facts}");

    acting.press("+");
    acting.until("the confirmation", |s| s.mode == Mode::Confirm);
    acting.press("y");
    acting.until("the step", |s| s.rollouts.busy.is_none() && s.status.is_some());
    assert_eq!(weights(&sim), "75 25");
    // The other console was not touched: its watch brings the route's change.
    watching.until("25% in the other console", |s| {
        s.rollouts
            .traffic
            .values()
            .any(|t| t.split.as_ref().is_ok_and(|s| s.canary == 25))
    });
    let screen = watching.render(80, 24);
    let (_, facts) = row(&screen, "malaria-predictor");
    assert!(facts.contains("canary 25% 3/5"), "{screen}");
    let (_, canary_facts) = row(&screen, "malaria-predictor-canary");
    assert!(
        canary_facts.contains("canary of malaria-predictor: 25% 3/5"),
        "{screen}"
    );

    acting.press("a");
    acting.until("the confirmation", |s| s.mode == Mode::Confirm);
    acting.press("y");
    acting.until("the abort", |s| s.rollouts.busy.is_none() && s.status.is_some());
    watching.until("0% in the other console", |w| canary_of(w) == Some(0));
    let screen = watching.render(80, 24);
    let (_, facts) = row(&screen, "malaria-predictor");
    assert!(facts.contains("stable 100% · canary 0%"), "{facts}");
}

fn canary_of(state: &modeldeck::app::State) -> Option<u32> {
    let key = ("ml-serving".to_owned(), "malaria-predictor".to_owned());
    state.rollouts.traffic.get(&key)?.split.as_ref().ok().map(|s| s.canary)
}

#[test]
fn the_canary_row_moves_its_rollouts_traffic() {
    let Some(sim) = Sim::start() else { return };
    let mut console = console(&sim, None);
    console.open_rollouts();
    console.until("the roles", |s| !s.rollouts.roles.is_empty());
    // The row an operator naturally picks: the -canary Deployment.
    console.press("j");
    console.until("the canary row", |s| {
        s.rollouts
            .selected()
            .is_some_and(|r| r.name == "malaria-predictor-canary")
    });
    let screen = console.render(80, 24);
    assert!(
        screen.contains("role        canary of rollout malaria-predictor"),
        "the detail says whose canary it is:\n{screen}"
    );
    console.press("+");
    console.until("the confirmation", |s| s.mode == Mode::Confirm);
    let summary = console.state.rollouts.pending.as_ref().unwrap().plan.summary.clone();
    assert!(
        summary.starts_with("set the canary of deployment ml-serving/malaria-predictor to 25%"),
        "{summary}"
    );
    console.press("y");
    console.until("the step", |s| s.rollouts.busy.is_none() && s.status.is_some());
    assert_eq!(weights(&sim), "75 25", "{}", console.status());
    console.until("25% on the row", |s| canary_of(s) == Some(25));
}

#[test]
fn a_key_that_cannot_act_is_dimmed_and_says_why() {
    let Some(sim) = Sim::start() else { return };
    let mut console = console(&sim, None);
    console.open_rollouts();
    console.command("canary set 100");
    console.until("100% on the row", |s| canary_of(s) == Some(100));
    let lines = audit_lines(&sim);
    console.press("+");
    assert_ne!(console.state.mode, Mode::Confirm, "nothing to confirm");
    let status = console.state.status.clone().unwrap();
    assert_eq!(status.level, Level::Warn);
    assert!(
        status.text.contains("at 100%, the top of the ladder: promote it"),
        "{}",
        status.text
    );
    assert_eq!(audit_lines(&sim), lines, "nothing was attempted");
    let buffer = console.render_buffer(80, 24);
    let (plus, abort) = (footer_key_style(&buffer, "+"), footer_key_style(&buffer, "a"));
    assert_ne!(plus, abort, "+ is dimmed beside an abort that can act");

    // The shadow row has no router of its own, but serves one: its traffic
    // keys act there too. A row with neither says so.
    sim.ok(&[
        "create",
        "deployment",
        "batch-scorer",
        "--image=ghcr.io/modeldeck/batch:1.0.0",
        "-n",
        "ml-serving",
    ]);
    console.until("the new row", |s| {
        s.rollouts
            .list
            .loaded()
            .is_some_and(|l| l.iter().any(|r| r.name == "batch-scorer"))
    });
    console.press("g");
    console.until("batch-scorer selected", |s| {
        s.rollouts.selected().is_some_and(|r| r.name == "batch-scorer")
    });
    console.press("a");
    assert!(
        console
            .status()
            .contains("no traffic router is configured for deployment \"batch-scorer\""),
        "{}",
        console.status()
    );
}

/// The style of `key` in the footer (the last line).
fn footer_key_style(buffer: &ratatui::buffer::Buffer, key: &str) -> ratatui::style::Style {
    let y = buffer.area.height - 1;
    let cells: Vec<String> = (0..buffer.area.width)
        .map(|x| buffer[(x, y)].symbol().to_owned())
        .collect();
    let x = (1..cells.len().saturating_sub(1))
        .find(|&x| cells[x] == key && cells[x - 1] == " " && cells[x + 1] == " ")
        .unwrap_or_else(|| panic!("no {key:?} in the footer: {}", cells.concat()));
    buffer[(x as u16, y)].style()
}
