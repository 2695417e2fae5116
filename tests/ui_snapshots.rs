//! Every view, the help screen and the edge states, rendered on ratatui's
//! TestBackend at 80×24 (the smallest supported) and 200×60.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

mod common;

use common::Harness;
use insta::assert_snapshot;

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 60)];

fn snapshot_at_both_sizes(name: &str, h: &mut Harness) {
    for (w, h_) in SIZES {
        assert_snapshot!(format!("{name}_{w}x{h_}"), h.render(w, h_));
    }
}

#[test]
fn models_view() {
    let mut h = Harness::new();
    h.press("j j");
    snapshot_at_both_sizes("models", &mut h);
}

#[test]
fn rollouts_view() {
    let mut h = Harness::new();
    h.press("2");
    snapshot_at_both_sizes("rollouts", &mut h);
}

#[test]
fn metrics_view() {
    let mut h = Harness::new();
    h.press("3");
    snapshot_at_both_sizes("metrics", &mut h);
}

#[test]
fn predict_view() {
    let mut h = Harness::new();
    h.press("4");
    snapshot_at_both_sizes("predict", &mut h);
}

#[test]
fn alerts_view() {
    let mut h = Harness::new();
    h.press("5");
    snapshot_at_both_sizes("alerts", &mut h);
}

#[test]
fn audit_view() {
    let mut h = Harness::new();
    h.press("6");
    snapshot_at_both_sizes("audit", &mut h);
}

#[test]
fn help_screen() {
    let mut h = Harness::new();
    h.press("?");
    snapshot_at_both_sizes("help", &mut h);
}

#[test]
fn command_line_and_filter_line() {
    let mut h = Harness::new();
    h.press(":");
    h.type_text("ns pro");
    assert_snapshot!("command_line_80x24", h.render(80, 24));
    h.press("esc /");
    h.type_text("2.1");
    assert_snapshot!("filter_line_80x24", h.render(80, 24));
}

#[test]
fn registry_with_problems() {
    let mut h = Harness::with_registry("tests/fixtures/bad_registry");
    assert_snapshot!("registry_problems_80x24", h.render(80, 24));
}

#[test]
fn registry_unreadable() {
    let mut h = Harness::with_registry("tests/fixtures/no_such_registry");
    assert_snapshot!("registry_unreadable_80x24", h.render(80, 24));
}

#[test]
fn configuration_error_and_warning_banner() {
    let mut h = Harness::new();
    h.state.config_error = Some("/home/ana/.config/modeldeck/config.toml:3:14: `ui.frame_rate`: invalid type".into());
    h.state.config_warnings = vec![
        "unknown theme \"solarized\"; using the default theme".into(),
        "second".into(),
    ];
    h.state.session.readonly = true;
    assert_snapshot!("config_banner_readonly_80x24", h.render(80, 24));
}

#[test]
fn terminal_too_small() {
    let mut h = Harness::new();
    assert_snapshot!("too_small_60x20", h.render(60, 20));
}

#[test]
fn ascii_marks() {
    let mut h = Harness::new();
    h.ascii = true;
    h.press("j j");
    assert_snapshot!("models_ascii_80x24", h.render(80, 24));
}

#[test]
fn rollouts_view_connected() {
    let mut h = common::rollouts::connected();
    snapshot_at_both_sizes("rollouts_connected", &mut h);
}

#[test]
fn rollouts_confirmation_dialog() {
    use modeldeck::backends::kube::objects;
    use modeldeck::ops::{Change, Plan, Write};
    use modeldeck::text::Clean;
    let mut h = common::rollouts::connected();
    let plan = Plan {
        // What the cluster said may carry escapes and bidi controls: a
        // plan holds only cleaned text, so the dialog cannot draw them.
        summary: Clean::new(
            "set the canary of deployment ml-serving/malaria-predictor to 25% on httproute \
             ml-serving/malaria-predictor: malaria-predictor-blue 90% -> 75%, malaria-predictor-green\u{1b}[2J 10% -> 25%",
        ),
        changes: vec![Change::new("canary\u{202E} weight", "10%", "25%")],
        before: serde_json::Value::Null,
        after: serde_json::Value::Null,
        read: vec![],
        writes: vec![Write::new(
            objects::HTTPROUTE,
            "malaria-predictor",
            serde_json::json!([]),
        )],
    };
    h.dispatch(common::rollouts::step_ready(plan));
    assert_snapshot!("rollouts_confirm_80x24", h.render(80, 24));
}

#[test]
fn rollouts_not_connected() {
    use modeldeck::app::Action;
    use modeldeck::app::action::KubeAction;
    let mut h = Harness::new();
    h.press("2");
    let generation = h.state.rollouts.kube.generation();
    h.dispatch(Action::Kube(KubeAction::Connected {
        generation,
        result: Err("kubeconfig /home/ana/.kube/config: No such file or directory (os error 2)".into()),
    }));
    assert_snapshot!("rollouts_not_connected_80x24", h.render(80, 24));
}
