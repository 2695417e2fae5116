//! The app core driven headless by key sequences: the real keymap, update
//! and effects, no terminal.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

mod common;

use common::Harness;
use modeldeck::app::input::Input;
use modeldeck::app::screen::{Mode, Pane};
use modeldeck::app::shared::Level;
use modeldeck::app::{Action, ViewId};

fn selected_version(h: &Harness) -> String {
    let rows = h.state.models.rows();
    let row = rows[h.state.models.cursor.selected];
    let load = h.state.models.registry.loaded().expect("registry loaded");
    load.models[row.model].versions[row.version].version.to_string()
}

#[test]
fn navigation_moves_and_stops_at_the_ends() {
    let mut h = Harness::new();
    assert_eq!(selected_version(&h), "2.1.1", "newest version first");
    h.press("j j");
    assert_eq!(selected_version(&h), "2.0.5");
    h.press("j j j");
    assert_eq!(selected_version(&h), "1.9.3", "stops at the last row");
    h.press("g");
    assert_eq!(selected_version(&h), "2.1.1");
    h.press("G");
    assert_eq!(selected_version(&h), "1.9.3");
    h.press("k up");
    assert_eq!(selected_version(&h), "2.1.0");
}

#[test]
fn filter_narrows_the_list_live_and_esc_clears_it() {
    let mut h = Harness::new();
    h.press("/");
    assert!(matches!(h.state.mode, Mode::Filter(_)));
    h.type_text("champ");
    assert_eq!(h.state.models.rows().len(), 1, "filter applies as typed");
    assert_eq!(selected_version(&h), "2.0.5");
    h.press("enter");
    assert_eq!(h.state.mode, Mode::Normal);
    assert_eq!(h.state.models.cursor.filter, "champ", "enter keeps the filter");
    h.press("esc");
    assert_eq!(h.state.models.cursor.filter, "", "esc clears the filter first");
    assert_eq!(h.state.models.rows().len(), 4);

    h.press("/");
    h.type_text("2.1");
    h.press("esc");
    assert_eq!(h.state.mode, Mode::Normal);
    assert_eq!(h.state.models.rows().len(), 4, "esc in the filter line cancels it");
}

#[test]
fn filter_with_no_match_leaves_an_empty_list_that_moves_safely() {
    let mut h = Harness::new();
    h.press("/");
    h.type_text("zzz");
    h.press("enter j k G g");
    assert_eq!(h.state.models.rows().len(), 0);
    assert_eq!(h.state.models.cursor.selected, 0);
}

#[test]
fn command_mode_switches_views_and_esc_goes_back() {
    let mut h = Harness::new();
    for (command, view) in [
        ("rollouts", ViewId::Rollouts),
        ("metrics", ViewId::Metrics),
        ("predict", ViewId::Predict),
        ("alerts", ViewId::Alerts),
        ("audit", ViewId::Audit),
        ("models", ViewId::Models),
    ] {
        h.press(":");
        h.type_text(command);
        h.press("enter");
        assert_eq!(h.state.view, view, ":{command}");
        assert_eq!(h.state.mode, Mode::Normal);
    }
    h.press("esc");
    assert_eq!(h.state.view, ViewId::Audit, "esc returns to the previous view");
    h.press("esc");
    assert_eq!(h.state.view, ViewId::Alerts);
}

#[test]
fn number_keys_switch_views() {
    let mut h = Harness::new();
    for (key, view) in [("2", ViewId::Rollouts), ("6", ViewId::Audit), ("1", ViewId::Models)] {
        h.press(key);
        assert_eq!(h.state.view, view);
    }
}

#[test]
fn namespace_and_context_commands_change_the_session() {
    let mut h = Harness::new();
    h.press(":");
    h.type_text("ns prod");
    h.press("enter");
    assert_eq!(h.state.session.namespace, "prod");
    h.press(":");
    h.type_text("ctx staging");
    h.press("enter");
    assert_eq!(h.state.session.context.as_deref(), Some("staging"));
}

#[test]
fn a_bad_command_says_what_is_wrong_and_changes_nothing() {
    let mut h = Harness::new();
    h.press(":");
    h.type_text("ns Not_Valid");
    h.press("enter");
    assert_eq!(h.state.session.namespace, "default");
    let status = h.state.status.clone().expect("an error message");
    assert_eq!(status.level, Level::Error);
    assert!(
        status.text.contains("namespace \"Not_Valid\" is not valid"),
        "{}",
        status.text
    );
    h.press("j");
    assert!(h.state.status.is_none(), "the next key retires the message");
}

#[test]
fn help_opens_scrolls_and_closes() {
    let mut h = Harness::new();
    h.press("?");
    assert_eq!(h.state.mode, Mode::Help);
    // The console draws (and measures) before the next key arrives.
    h.render(80, 24);
    h.press("j j");
    assert_eq!(h.state.help_scroll, 2);
    assert_eq!(selected_version(&h), "2.1.1", "keys scroll the help, not the list");
    h.press("esc");
    assert_eq!(h.state.mode, Mode::Normal);
    h.press(":");
    h.type_text("help");
    h.press("enter");
    assert_eq!(h.state.mode, Mode::Help);
    h.press("q");
    assert_eq!(h.state.mode, Mode::Normal, "q closes help rather than quitting");
    assert!(!h.state.quit);
}

#[test]
fn tab_moves_focus_to_the_detail_pane_and_esc_back() {
    let mut h = Harness::new();
    h.press("tab");
    assert_eq!(h.state.models.focus, Pane::Detail);
    h.press("j j");
    assert_eq!(selected_version(&h), "2.1.1", "j scrolls the detail pane");
    assert_eq!(h.state.models.detail_scroll, 2);
    h.press("esc");
    assert_eq!(h.state.models.focus, Pane::List);
}

#[test]
fn quit_by_key_by_command_and_by_ctrl_c() {
    for keys in ["q", ": q enter", "ctrl-c"] {
        let mut h = Harness::new();
        h.press(keys);
        assert!(h.state.quit, "{keys}");
    }
    let mut h = Harness::new();
    h.press("/");
    h.press("q");
    assert!(!h.state.quit, "q in the filter line is text");
    h.press("ctrl-c");
    assert!(h.state.quit, "ctrl-c quits from text input too");
}

#[test]
fn stale_registry_answers_are_dropped() {
    let mut h = Harness::new();
    let before = h.state.models.registry.clone();
    h.dispatch(Action::RegistryLoaded {
        generation: 999,
        result: Err("late answer from an old fetch".into()),
    });
    assert_eq!(h.state.models.registry, before);
}

#[test]
fn the_audit_view_reads_the_log_newest_first_and_reports_bad_lines() {
    let mut h = Harness::new();
    h.press("6");
    let read = h.state.audit.log.loaded().expect("audit log read");
    assert_eq!(read.entries.len(), 3);
    assert_eq!(read.problems.len(), 1);
    let rows = h.state.audit.rows();
    assert_eq!(read.entries[rows[0]].action, "rollback", "newest first");
    h.press("/");
    h.type_text("refused");
    assert_eq!(h.state.audit.rows().len(), 1);
}

#[test]
fn a_registry_with_problems_still_lists_its_good_versions() {
    let h = Harness::with_registry("tests/fixtures/bad_registry");
    let load = h.state.models.registry.loaded().expect("loaded despite problems");
    assert_eq!(load.models[0].versions.len(), 1, "the non-semver version is skipped");
    assert_eq!(
        load.models[0].description, "gradient-boosted fraud scorer",
        "escapes stripped"
    );
    let problems = load.problems.join("\n");
    assert!(
        problems.contains("registry.toml:9: version \"3.1\" of fraud_gbm is not semantic"),
        "{problems}"
    );
    assert!(problems.contains("stage \"Shipping\""), "{problems}");
    assert!(
        problems.contains("ONNX file of fraud_gbm 3.0.2 is missing"),
        "{problems}"
    );
}

#[test]
fn a_missing_registry_is_an_error_on_the_models_view_and_refresh_retries() {
    let mut h = Harness::with_registry("tests/fixtures/no_such_registry");
    let error = match &h.state.models.registry.load {
        modeldeck::app::resource::Load::Failed(e) => e.clone(),
        other => panic!("expected a failure, got {other:?}"),
    };
    assert!(error.contains("no_such_registry/registry.toml"), "{error}");
    h.press("ctrl-r");
    assert!(matches!(
        h.state.models.registry.load,
        modeldeck::app::resource::Load::Failed(_)
    ));
}

#[test]
fn command_history_recalls_earlier_commands() {
    let mut h = Harness::new();
    for command in ["ns prod", "audit", "models"] {
        h.press(":");
        h.type_text(command);
        h.press("enter");
    }
    h.press(": up");
    assert_eq!(h.state.mode, Mode::Command(Input::with_text("models")));
    h.press("up up up");
    assert_eq!(
        h.state.mode,
        Mode::Command(Input::with_text("ns prod")),
        "stops at the oldest"
    );
    h.press("down");
    assert_eq!(h.state.mode, Mode::Command(Input::with_text("audit")));
    h.press("down down");
    assert_eq!(
        h.state.mode,
        Mode::Command(Input::default()),
        "past the newest: an empty line"
    );
}

#[test]
fn tab_completes_command_names() {
    let mut h = Harness::new();
    h.press(":");
    h.type_text("ro");
    h.press("tab");
    assert_eq!(
        h.state.mode,
        Mode::Command(Input::with_text("roll")),
        "the shared prefix is filled"
    );
    assert_eq!(
        h.state.status.as_ref().map(|s| s.text.as_str()),
        Some("rollouts  rollback")
    );
    h.type_text("o");
    h.press("tab");
    assert_eq!(h.state.mode, Mode::Command(Input::with_text("rollouts")));
    h.press("enter");
    assert_eq!(h.state.view, ViewId::Rollouts);

    h.press(":");
    h.type_text("m");
    h.press("tab");
    assert_eq!(
        h.state.mode,
        Mode::Command(Input::with_text("m")),
        "ambiguous: unchanged"
    );
    assert_eq!(
        h.state.status.as_ref().map(|s| s.text.as_str()),
        Some("models  metrics")
    );
}

#[test]
fn keys_do_nothing_behind_the_terminal_too_small_notice() {
    use modeldeck::ops::Plan;
    let mut h = common::rollouts::connected();
    h.dispatch(Action::Resize(40, 10));
    let screen = h.render(40, 10);
    assert!(screen.contains("Terminal too small"), "{screen}");
    assert!(screen.contains("but q (quit)"), "{screen}");
    // A canary step would open a dialog nobody can see.
    h.press("+ u a P b : tab j");
    assert_eq!(h.state.mode, Mode::Normal);
    assert_eq!(h.state.rollouts.busy, None, "no action was planned");
    assert_eq!(h.state.rollouts.cursor.selected, 0, "not even movement");

    // A dialog open when the window shrank cannot be answered blind.
    let plan = Plan {
        summary: modeldeck::text::Clean::new("set the canary to 25%"),
        changes: vec![],
        before: serde_json::Value::Null,
        after: serde_json::Value::Null,
        read: vec![],
        writes: vec![],
    };
    h.dispatch(Action::Resize(80, 24));
    h.dispatch(common::rollouts::step_ready(plan));
    assert_eq!(h.state.mode, Mode::Confirm);
    h.dispatch(Action::Resize(40, 10));
    h.press("y enter");
    assert_eq!(h.state.mode, Mode::Confirm, "y is not taken unseen");
    assert!(h.state.rollouts.pending.is_some());
    h.dispatch(Action::Resize(80, 24));
    assert!(
        h.render(80, 24).contains("set the canary to 25%"),
        "the dialog is back, unanswered"
    );
    h.dispatch(Action::Resize(40, 10));
    h.press("q");
    assert!(h.state.quit, "quitting still works");
}

#[test]
fn help_scrolls_only_as_far_as_it_has_text() {
    let mut h = Harness::new();
    h.press("?");
    let first = h.render(80, 24);
    let hint = first
        .lines()
        .find(|l| l.contains("lines 1-"))
        .expect("the help says how long it is");
    assert!(hint.contains("g/G"), "{hint}");
    h.press("G");
    let end = h.render(80, 24);
    let (lines, visible) = h.state.measured.help;
    assert!(lines > visible, "the help is longer than 80x24 shows");
    assert_eq!(h.state.help_scroll, lines - visible);
    assert!(end.contains(&format!("of {lines} ")), "{end}");
    assert!(end.contains(":q"), "the last command shows:\n{end}");
    h.press("j j ctrl-f");
    assert_eq!(h.state.help_scroll, lines - visible, "no scrolling into blank space");
    h.press("ctrl-b");
    assert_eq!(h.state.help_scroll, lines - visible - (visible.min(lines - visible)));
    h.press("g");
    assert_eq!(h.state.help_scroll, 0);
}
