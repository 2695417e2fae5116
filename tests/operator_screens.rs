//! What an operator reads at 80×24, headless: the message log keeps every
//! message whole with its time while the status line keeps the gist; a
//! notice takes the tabs' line (nothing below moves) until esc dismisses
//! it; `:ctx` and `:ns` refuse names that do not exist and list the real
//! ones; the Audit view names its rows in words and opens an entry whole.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

mod common;

use modeldeck::app::Action;
use modeldeck::app::action::{KubeAction, MetricsAction};
use modeldeck::app::shared::Level;
use modeldeck::config::guard::GuardAction;
use modeldeck::domain::guard::GuardEvent;

fn line_with<'a>(screen: &'a str, text: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(text))
        .unwrap_or_else(|| panic!("no line with {text:?}:\n{screen}"))
}

#[test]
fn a_long_outcome_is_a_gist_on_the_status_line_and_whole_in_the_log() {
    let mut h = common::rollouts::connected();
    let long = "roll back deployment ml-serving/malaria-predictor from revision 4 (2.0.5, \
                ghcr.io/modeldeck/malaria-predictor:2.0.5) to revision 3 (2.0.4, \
                ghcr.io/modeldeck/malaria-predictor:2.0.4)";
    h.dispatch(Action::Kube(KubeAction::Finished(Ok(long.into()))));
    let screen = h.render(80, 24);
    let status = screen.lines().nth(22).unwrap();
    assert!(status.contains("done: roll back deployment"), "{screen}");
    assert!(status.contains("(7: log)"), "the gist says where the rest is: {status}");
    h.press("7");
    let log = h.render(80, 24);
    assert!(log.contains("Log · 1 message"), "{log}");
    // Whole, wrapped under itself, with its time.
    assert!(line_with(&log, "done: roll back").contains("12:34:56  info"), "{log}");
    assert!(log.contains("ghcr.io/modeldeck/malaria-predictor:2.0.4)"), "{log}");
}

#[test]
fn the_guard_notice_takes_the_tabs_line_and_esc_dismisses_it() {
    let mut h = common::rollouts::connected();
    let before = h.render(80, 24);
    let at = h.state.clock.as_ref().unwrap().timestamp().as_second() as f64;
    h.dispatch(Action::Metrics(MetricsAction::Guards {
        reports: vec![],
        events: vec![GuardEvent {
            at,
            deployment: "malaria-predictor-canary".into(),
            rule: "ModelAccuracyDegraded".into(),
            version: "2.1.1".into(),
            action: GuardAction::Undo,
            outcome: Ok("roll back deployment ml-serving/malaria-predictor-canary to revision 1".into()),
        }],
    }));
    let with = h.render(80, 24);
    let notice = with.lines().nth(1).unwrap();
    assert!(
        notice.contains("12:34:56 guard done: undo malaria-predictor-canary 2.1.1"),
        "{with}"
    );
    assert!(notice.contains("(esc; 7: log)"), "{notice}");
    // Nothing below moved: the rows are where they were.
    let rows = |s: &str| s.lines().skip(2).take(8).map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(rows(&before), rows(&with));
    h.press("esc");
    let after = h.render(80, 24);
    assert!(after.lines().nth(1).unwrap().contains("1 Models"), "{after}");
    assert_eq!(
        h.state.view,
        modeldeck::app::ViewId::Rollouts,
        "esc dismissed, it did not go back"
    );
    assert!(
        h.state
            .messages
            .iter()
            .any(|m| m.level == Level::Warn && m.text.contains("guard"))
    );
}

#[test]
fn ctx_and_ns_refuse_names_that_do_not_exist_and_list_the_real_ones() {
    let mut h = common::rollouts::connected();
    h.press(":");
    h.type_text("ctx nosuch");
    h.press("enter");
    assert_eq!(
        h.state.session.context.as_deref(),
        Some("prod-eu"),
        "the current context is kept"
    );
    let screen = h.render(80, 24);
    assert!(
        screen.contains("no context \"nosuch\" in the kubeconfig: staying in prod-eu"),
        "{screen}"
    );
    assert!(h.state.rollouts.kube.loaded().is_some(), "still connected");
    h.press(":");
    h.type_text("ctx");
    h.press("enter");
    assert!(h.render(80, 24).contains("contexts: prod-eu  staging"));
    h.press(":");
    h.type_text("ns nowhere");
    h.press("enter");
    assert_eq!(h.state.session.namespace, "ml-serving");
    assert!(h.render(80, 24).contains("no namespace \"nowhere\""));
    // Arguments complete from what is known.
    h.press(":");
    h.type_text("ctx st");
    h.press("tab");
    let screen = h.render(80, 24);
    assert_eq!(screen.lines().nth(22).unwrap().trim_matches('"').trim(), ":ctx staging");
    h.press("esc :");
    h.type_text("canary set 2");
    h.press("tab");
    assert!(h.render(80, 24).contains(":canary set 25"));
    h.press("esc :");
    h.type_text("switch malaria-predictor-g");
    h.press("tab");
    assert!(h.render(80, 24).contains(":switch malaria-predictor-green "));
}

#[test]
fn audit_rows_read_in_words_and_enter_opens_one_whole() {
    let mut h = common::Harness::new();
    h.press("6");
    let screen = h.render(80, 24);
    assert!(!screen.contains("canary.step"), "actions in words:\n{screen}");
    h.press("enter");
    let entry = h.render(80, 24);
    assert!(entry.contains("Audit entry"), "{entry}");
    for label in ["time", "action", "target", "outcome", "user", "before", "after"] {
        assert!(
            entry.lines().any(|l| l.contains(&format!("│{label} "))),
            "{label}:\n{entry}"
        );
    }
    h.press("esc");
    assert!(h.render(80, 24).contains("UTC"), "esc goes back to the list");
}

#[test]
fn the_read_only_badge_is_never_cut() {
    let mut h = common::rollouts::connected();
    h.state.session.readonly = true;
    h.state.session.context = Some("arn:aws:eks:eu-west-1:123456789012:cluster/production-inference".into());
    h.state.session.namespace = "ml-serving-production-eu-west".into();
    let screen = h.render(80, 24);
    assert!(screen.lines().next().unwrap().contains("READ-ONLY"), "{screen}");
}

#[test]
fn what_the_cluster_says_is_drawn_without_its_escapes() {
    use modeldeck::backends::kube::rollouts::rollout_of;
    use modeldeck::domain::version::VersionRule;
    // A Deployment whose strings carry a terminal title escape, a colour
    // and a right-to-left override: the Rollout made from it holds them
    // cleaned, so no view can draw them.
    let deployment: k8s_openapi::api::apps::v1::Deployment = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "fraud-\u{1b}[31mscorer", "namespace": "ml-serving",
                     "annotations": {"deployment.kubernetes.io/revision": "2"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "fraud-scorer"}},
            "template": {
                "metadata": {"labels": {"app": "fraud-scorer", "version": "3.1.0\u{202E}"}},
                "spec": {"containers": [{"name": "model",
                    "image": "ghcr.io/modeldeck/fraud-scorer:3.1.0\u{1b}]0;owned\u{7}"}]}
            }
        },
        "status": {"replicas": 2, "readyReplicas": 2, "availableReplicas": 2, "updatedReplicas": 2}
    }))
    .unwrap();
    let rollout = rollout_of(&deployment, &VersionRule::default());
    assert_eq!(rollout.name, "fraud-scorer");
    assert_eq!(rollout.version.name.as_deref(), Some("3.1.0"));
    assert_eq!(rollout.images, ["ghcr.io/modeldeck/fraud-scorer:3.1.0"]);
    let mut h = common::rollouts::connected();
    h.dispatch(common::rollouts::snapshot(
        &h,
        vec![rollout],
        Default::default(),
        Default::default(),
    ));
    let screen = h.render(80, 24);
    assert!(!screen.contains(['\u{1b}', '\u{7}', '\u{202E}']), "{screen:?}");
    let row = line_with(&screen, "fraud-scorer");
    assert!(row.contains("3.1.0"), "{screen}");
}
