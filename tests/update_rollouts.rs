//! The Rollouts view's update driven headless: detail reads and their
//! generations, focus and scrolling of the detail, snapshots across a
//! namespace switch, and which mutating keys reach ops.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

mod common;

use common::Harness;
use modeldeck::app::screen::Pane;
use modeldeck::app::{Action, ViewId};

#[test]
fn a_refresh_asked_for_while_a_read_is_out_is_not_lost() {
    use modeldeck::app::action::{Effect, KubeAction, KubeEffect};
    use modeldeck::app::cluster_reads::{KubeInfo, RolloutDetail};
    use modeldeck::app::update;
    use modeldeck::domain::rollout::{Rollout, RolloutPhase, RolloutStatus};

    let mut h = Harness::new();
    h.press("2");
    let generation = h.state.rollouts.kube.generation();
    let info = KubeInfo {
        context: "c".into(),
        namespace: "ns".into(),
        server: "https://x".into(),
        user: "u".into(),
        readonly: None,
        all_namespaces: false,
        contexts: vec!["prod-eu".into(), "staging".into()],
        namespaces: Some(vec!["default".into(), "ml-serving".into()]),
    };
    update(
        &mut h.state,
        Action::Kube(KubeAction::Connected {
            generation,
            result: Ok(info),
        }),
    );
    let rollout = Rollout {
        namespace: "ns".into(),
        name: "web".into(),
        status: RolloutStatus {
            phase: RolloutPhase::Healthy,
            message: String::new(),
            done: true,
        },
        replicas: 1,
        updated: 1,
        ready: 1,
        available: 1,
        revision: 1,
        version: Default::default(),
        labels: Default::default(),
        images: vec![],
        strategy: "RollingUpdate".into(),
        probes: vec![],
        paused: false,
        created: None,
    };
    let snapshot = common::rollouts::snapshot(&h, vec![rollout], Default::default(), Default::default());
    let effects = update(&mut h.state, snapshot);
    let first = match effects.as_slice() {
        [Effect::Kube(KubeEffect::LoadDetail { generation, .. })] => *generation,
        other => panic!("expected a detail read, got {other:?}"),
    };
    // An action finishes while that read is out: a fresh read is due.
    let queued = update(&mut h.state, Action::Kube(KubeAction::Finished(Ok("done".into()))));
    assert!(queued.is_empty(), "coalesced, not sent twice: {queued:?}");
    let detail = RolloutDetail {
        namespace: "ns".into(),
        name: "web".into(),
        ..RolloutDetail::default()
    };
    let effects = update(
        &mut h.state,
        Action::Kube(KubeAction::Detail {
            generation: first,
            result: Ok(detail),
        }),
    );
    assert!(
        matches!(effects.as_slice(), [Effect::Kube(KubeEffect::LoadDetail { generation, .. })] if *generation > first),
        "the queued refresh goes out when the old read answers: {effects:?}"
    );
}

#[test]
fn a_list_that_arrived_on_another_view_gets_its_detail_when_rollouts_opens() {
    use modeldeck::app::action::{Effect, KubeAction, KubeEffect};
    use modeldeck::app::{KeyAction, update};
    use modeldeck::domain::rollout::RolloutPhase;
    let mut h = Harness::new();
    let generation = h.state.rollouts.kube.generation();
    let info = modeldeck::app::cluster_reads::KubeInfo {
        context: "c".into(),
        namespace: "ml-serving".into(),
        server: "https://x".into(),
        user: "u".into(),
        readonly: None,
        all_namespaces: false,
        contexts: vec!["prod-eu".into(), "staging".into()],
        namespaces: Some(vec!["default".into(), "ml-serving".into()]),
    };
    h.dispatch(Action::Kube(KubeAction::Connected {
        generation,
        result: Ok(info),
    }));
    // The console starts on Models; the watch's first list arrives there.
    let web = common::rollouts::rollout("web", "v1.0.0", RolloutPhase::Healthy, "", 1);
    let snapshot = common::rollouts::snapshot(&h, vec![web], Default::default(), Default::default());
    let effects = update(&mut h.state, snapshot);
    assert!(effects.is_empty(), "nothing shows a detail yet: {effects:?}");
    let effects = update(&mut h.state, Action::Key(KeyAction::View(ViewId::Rollouts)));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Kube(KubeEffect::LoadDetail { deployment, .. }) if deployment == "web")),
        "opening Rollouts reads the selection's detail: {effects:?}"
    );
}

#[test]
fn the_rollout_detail_is_focused_scrolled_and_opened_full_screen_by_keys() {
    let mut h = common::rollouts::connected();
    let screen = h.render(80, 24);
    assert!(
        !screen.contains("CrashLoopBackOff"),
        "the pods are below the fold at 80x24"
    );
    h.press("tab");
    assert_eq!(h.state.rollouts.focus, Pane::Detail);
    h.press("G");
    let bottom = h.render(80, 24);
    assert!(bottom.contains("CrashLoopBackOff"), "G reaches the last pod:\n{bottom}");
    let (lines, visible) = h.state.measured.rollout_detail;
    assert_eq!(h.state.rollouts.detail_scroll, lines - visible);
    h.press("j j");
    assert_eq!(
        h.state.rollouts.detail_scroll,
        lines - visible,
        "stops at the last line"
    );
    assert_eq!(
        h.state.rollouts.cursor.selected, 0,
        "j scrolls the detail, not the list"
    );
    h.press("g");
    assert_eq!(h.state.rollouts.detail_scroll, 0);
    // enter: the whole detail on one screen.
    h.press("enter");
    let full = h.render(80, 24);
    assert!(!full.contains("NAME "), "the list makes room:\n{full}");
    assert!(
        full.contains("stable       90%") && full.contains("lines 1-18 of 19"),
        "{full}"
    );
    h.press("G");
    assert!(h.render(80, 24).contains("CrashLoopBackOff"));
    h.press("esc");
    assert!(h.render(80, 24).contains("NAME "), "esc brings the list back");
    h.press("esc");
    assert_eq!(h.state.rollouts.focus, Pane::List);
    h.press("j");
    assert_eq!(h.state.rollouts.cursor.selected, 1, "the list has the keys again");
}

/// Under a stream of changes elsewhere in the namespace the selected
/// rollout's detail is not read again for each snapshot: only when what
/// it shows changed (its row, its traffic, the Services).
#[test]
fn the_detail_is_read_again_only_when_the_selected_rollout_changed() {
    use modeldeck::app::action::{Effect, KubeEffect};
    use modeldeck::app::update;
    let mut h = common::rollouts::connected();
    assert_eq!(h.state.rollouts.selected().unwrap().name, "malaria-predictor");
    let reads = |effects: &[Effect]| {
        effects
            .iter()
            .filter(|e| matches!(e, Effect::Kube(KubeEffect::LoadDetail { .. })))
            .count()
    };
    let list = h.state.rollouts.list.loaded().unwrap().clone();
    let traffic = h.state.rollouts.traffic.clone();
    let roles = h.state.rollouts.roles.clone();
    // Another rollout changes, then the same snapshot comes again.
    let mut others = list.clone();
    others[1].ready = 0;
    for _ in 0..2 {
        let s = common::rollouts::snapshot(&h, others.clone(), traffic.clone(), roles.clone());
        let effects = update(&mut h.state, s);
        assert_eq!(reads(&effects), 0, "{effects:?}");
    }
    // The selected one changes: its detail is read.
    let mut selected = others.clone();
    selected[0].ready = 2;
    let s = common::rollouts::snapshot(&h, selected, traffic.clone(), roles.clone());
    let effects = update(&mut h.state, s);
    assert_eq!(reads(&effects), 1, "{effects:?}");
}

#[test]
fn a_late_snapshot_of_the_old_namespace_never_shows_as_the_new_ones_list() {
    use modeldeck::domain::rollout::RolloutPhase;
    let mut h = common::rollouts::connected();
    let old = h.state.rollouts.kube.generation();
    h.press(":");
    h.type_text("ns default");
    h.press("enter");
    assert_eq!(h.state.session.namespace, "default");
    assert_ne!(h.state.rollouts.kube.generation(), old, "switching reconnects");
    // The old watch's answer, still on its way when the switch happened.
    let stray = common::rollouts::rollout("stray-from-ml-serving", "v9.9.9", RolloutPhase::Healthy, "", 1);
    let mut late = common::rollouts::snapshot(&h, vec![stray], Default::default(), Default::default());
    if let Action::Kube(modeldeck::app::action::KubeAction::Snapshot { generation, .. }) = &mut late {
        *generation = old;
    }
    h.dispatch(late);
    assert!(h.state.rollouts.list.loaded().is_none(), "the late list was taken");
    let screen = h.render(80, 24);
    assert!(!screen.contains("stray-from"), "{screen}");
    assert!(screen.contains("ns default"), "{screen}");
}

#[test]
fn read_only_refuses_every_mutating_key_through_ops_whatever_has_loaded() {
    use modeldeck::app::action::{Effect, KubeAction, KubeEffect};
    use modeldeck::app::cluster_reads::RolloutDetail;
    use modeldeck::app::update::update;
    use modeldeck::domain::key_action::KeyAction;
    let mut h = common::rollouts::connected();
    // The detail says there is nothing to roll back to; read-only must
    // still be the answer, from ops (which audits it), not that.
    let generation = h.state.rollouts.detail.generation();
    h.dispatch(Action::Kube(KubeAction::Detail {
        generation,
        result: Ok(RolloutDetail {
            namespace: "ml-serving".into(),
            name: "malaria-predictor".into(),
            ..RolloutDetail::default()
        }),
    }));
    h.state.session.readonly = true;
    for key in [
        KeyAction::Undo,
        KeyAction::CanaryStep,
        KeyAction::Promote,
        KeyAction::SwitchBack,
    ] {
        let effects = update(&mut h.state, Action::Key(key));
        assert!(
            matches!(effects.as_slice(), [Effect::Kube(KubeEffect::Prepare(_))]),
            "{key:?} goes to ops to be refused: {effects:?}, status {:?}",
            h.state.status
        );
        h.state.rollouts.busy = None;
    }
}
