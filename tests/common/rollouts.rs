//! A console attached (by fed answers, no cluster) to two rollouts.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]
use modeldeck::app::Action;
use modeldeck::app::action::KubeAction;
use modeldeck::app::cluster_reads::{KubeInfo, RolloutDetail};
use modeldeck::domain::rollout::{ClusterState, PodSummary, Revision, Rollout, RolloutPhase, RolloutStatus};
use modeldeck::domain::traffic::{Role, Track, Traffic, TrafficSplit};
use modeldeck::domain::version::Versioned;

use super::Harness;

pub fn rollout(name: &str, version: &str, phase: RolloutPhase, message: &str, ready: i32) -> Rollout {
    Rollout {
        namespace: "ml-serving".into(),
        name: name.into(),
        status: RolloutStatus {
            phase,
            message: message.into(),
            done: phase == RolloutPhase::Healthy,
        },
        replicas: 3,
        updated: 3,
        ready,
        available: ready,
        revision: 4,
        version: Versioned {
            name: Some(modeldeck::domain::version::bare(version).into()),
            disagrees: None,
        },
        labels: Default::default(),
        images: vec![
            format!(
                "ghcr.io/modeldeck/malaria-predictor:{}",
                version.trim_start_matches('v')
            )
            .into(),
        ],
        strategy: "RollingUpdate".into(),
        probes: vec![
            "live GET /health/live :8000".into(),
            "ready GET /health/ready :8000".into(),
        ],
        paused: false,
        created: None,
    }
}

/// The watch's answer for `h`'s connection.
pub fn snapshot(
    h: &Harness,
    rollouts: Vec<Rollout>,
    traffic: std::collections::BTreeMap<(String, String), Traffic>,
    roles: std::collections::BTreeMap<(String, String), Role>,
) -> Action {
    Action::Kube(KubeAction::Snapshot {
        generation: h.state.rollouts.kube.generation(),
        result: Ok(ClusterState {
            rollouts,
            traffic,
            roles,
            services: vec![
                ("ml-serving".into(), "malaria-predictor-blue".into()),
                ("ml-serving".into(), "malaria-predictor-green".into()),
            ],
            services_changed: 0,
        }),
    })
}

/// A console attached to a cluster with two rollouts, the first selected.
pub fn connected() -> Harness {
    let mut h = Harness::new();
    h.press("2");
    let generation = h.state.rollouts.kube.generation();
    h.dispatch(Action::Kube(KubeAction::Connected {
        generation,
        result: Ok(KubeInfo {
            context: "prod-eu".into(),
            namespace: "ml-serving".into(),
            server: "https://10.0.0.1:6443".into(),
            user: "ana".into(),
            readonly: None,
            all_namespaces: false,
            contexts: vec!["prod-eu".into(), "staging".into()],
            namespaces: Some(vec!["default".into(), "ml-serving".into()]),
        }),
    }));
    let traffic = Traffic {
        split: Ok(TrafficSplit {
            stable: 90,
            canary: 10,
            shadow: Some(5),
            stable_backend: "malaria-predictor-blue".into(),
            canary_backend: "malaria-predictor-green".into(),
            shadow_backend: Some("malaria-predictor-shadow".into()),
            effective: None,
        }),
        ladder: vec![5, 10, 25, 50, 100],
    };
    let role = Role {
        rollout: "malaria-predictor".into(),
        track: Track::Canary,
    };
    let key = |name: &str| ("ml-serving".to_owned(), name.to_owned());
    h.dispatch(snapshot(
        &h,
        vec![
            rollout(
                "malaria-predictor",
                "v2.0.5",
                RolloutPhase::Healthy,
                "deployment \"malaria-predictor\" successfully rolled out",
                3,
            ),
            rollout(
                "malaria-predictor-canary",
                "v2.1.1",
                RolloutPhase::Degraded,
                "deployment \"malaria-predictor-canary\" exceeded its progress deadline",
                1,
            ),
        ],
        [(key("malaria-predictor"), traffic)].into(),
        [(key("malaria-predictor-canary"), role)].into(),
    ));
    let generation = h.state.rollouts.detail.generation();
    let revision = |number: i64, version: &str, ready: i32, current: bool| Revision {
        number,
        replica_set: format!("malaria-predictor-{number}").into(),
        images: vec![
            format!(
                "ghcr.io/modeldeck/malaria-predictor:{}",
                version.trim_start_matches('v')
            )
            .into(),
        ],
        version: Versioned {
            name: Some(modeldeck::domain::version::bare(version).into()),
            disagrees: None,
        },
        change_cause: None,
        replicas: ready,
        ready,
        // An hour per revision before the clock's 12:34:56.
        created: Some(jiff::Timestamp::from_second(1_796_042_096 - (5 - number) * 3600).unwrap()),
        current,
    };
    let pod = |suffix: &str, ready: bool, status: &str, restarts: i32| PodSummary {
        name: format!("malaria-predictor-5cc9c64699-{suffix}").into(),
        ready,
        ready_containers: (usize::from(ready), 1),
        restarts,
        status: status.into(),
        revision_hash: None,
        created: None,
    };
    h.dispatch(Action::Kube(KubeAction::Detail {
        generation,
        result: Ok(RolloutDetail {
            namespace: "ml-serving".into(),
            name: "malaria-predictor".into(),
            revisions: vec![
                revision(2, "v1.9.3", 0, false),
                revision(3, "v2.0.4", 0, false),
                revision(4, "v2.0.5", 3, true),
            ],
            pods: vec![
                pod("66nzv", true, "Running", 0),
                pod("vrspf", true, "Running", 0),
                pod("zv7bj", false, "CrashLoopBackOff", 4),
            ],
            denied: vec![],
            clock_skew: None,
            services: vec![modeldeck::ops::bluegreen::Side {
                service: "malaria-predictor-blue".into(),
                selects: [("app".to_owned(), "malaria-predictor".to_owned())].into(),
                selector_version: Some("v2.0.5".into()),
                runs: Versioned {
                    name: Some("2.0.5".into()),
                    disagrees: None,
                },
                previous: Some("v2.1.0".into()),
                ready: 3,
                pods: 3,
            }],
        }),
    }));
    h
}

/// The runner's answer: `plan`, a canary step of malaria-predictor, ready
/// to confirm.
pub fn step_ready(plan: modeldeck::ops::Plan) -> Action {
    Action::Kube(KubeAction::Prepared(Ok(modeldeck::ops::Ready::Confirm(Box::new(
        modeldeck::ops::Prepared {
            action: "canary.step",
            target: "deployment/ml-serving/malaria-predictor".into(),
            namespace: "ml-serving".into(),
            plan,
        },
    )))))
}
