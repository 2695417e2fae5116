//! The console with a live metrics source, through the real app core and
//! runner: the Metrics view fills with every version's panels from the
//! demo world's exporter, the Alerts view shows modeldeck's rules firing
//! for the bad version, and the console's guard undoes a bad canary on its
//! own and keeps saying so in a banner.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod console_common;
mod prom_common;

use std::path::Path;
use std::time::{Duration, Instant};

use console_common::{Attach, Console};
use modeldeck::config::metrics::MetricsSource;
use modeldeck::config::{LoadOptions, Settings, load};
use modeldeck::sim::world;
use prom_common::World;

fn settings(urls: &[String], hold: &str, guard: bool) -> Settings {
    let mut settings = load(&LoadOptions::default()).unwrap().config.settings;
    settings.metrics.source = MetricsSource::Scrape;
    settings.metrics.refresh = 1;
    settings.metrics.scrape.urls = urls.to_vec();
    for rule in &mut settings.alerts {
        rule.hold = hold.into();
    }
    if guard {
        let text = "alert = \"ModelAccuracyDegraded\"\ntrack = \"canary\"\naction = \"undo\"\n";
        settings
            .guard
            .insert("malaria-predictor-canary".into(), toml::from_str(text).unwrap());
    }
    settings
}

fn attach(world: &World, dir: &Path, settings: Settings) -> Console {
    Console::start(Attach {
        kubeconfig: world.kubeconfig(dir),
        audit: dir.join("audit.jsonl"),
        readonly: None,
        context: None,
        namespace: world::NAMESPACE.into(),
        metrics: Some(settings),
    })
}

/// The demo world with the console's guard on the canary, just after the
/// guide's bad release (2.1.1 into the canary, one kubectl command).
fn guarded_after_a_bad_release() -> Option<(World, tempfile::TempDir, Console)> {
    if !prom_common::have_kubectl() {
        return None;
    }
    let world = World::start(100.0);
    let dir = tempfile::tempdir().unwrap();
    let console = attach(&world, dir.path(), settings(&world.urls, "3s", true));
    world.release_bad_canary(dir.path());
    Some((world, dir, console))
}

/// Ticks the console (one a second, as the event loop does) until `done`.
fn ticking_until(console: &mut Console, what: &str, timeout: Duration, done: impl Fn(&modeldeck::app::State) -> bool) {
    let deadline = Instant::now() + timeout;
    loop {
        console.tick();
        let next = Instant::now() + Duration::from_secs(1);
        console.until(what, |s| done(s) || Instant::now() >= next);
        if done(&console.state) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}:\n{}",
            console.render(160, 40)
        );
    }
}

#[test]
fn metrics_and_alerts_views_fill_from_the_exporter() {
    let world = World::start(100.0);
    let dir = tempfile::tempdir().unwrap();
    let mut console = attach(&world, dir.path(), settings(&world.urls, "3s", false));
    console.press("3");
    ticking_until(&mut console, "every version's rate", Duration::from_secs(60), |s| {
        s.metrics
            .panel("rate")
            .and_then(|p| p.data.as_ref())
            .is_some_and(|d| d.lines.iter().filter(|l| !l.points.is_empty()).count() == 3)
    });
    let screen = console.render(160, 40);
    for expected in [
        "2.0.5 stable",
        "2.1.0 canary",
        "2.1.1 shadow",
        "Request rate",
        "3 scraped URLs",
    ] {
        assert!(screen.contains(expected), "{expected:?} missing:\n{screen}");
    }
    console.press("5");
    ticking_until(&mut console, "2.1.1 firing", Duration::from_secs(60), |s| {
        s.alerts.rows().iter().any(|a| {
            a.name == "ModelAccuracyDegraded"
                && a.state == modeldeck::domain::alerting::RuleState::Firing
                && a.labels.get("version").is_some_and(|v| v == "2.1.1")
        })
    });
    let screen = console.render(160, 40);
    assert!(
        screen.contains("modeldeck's [[alerts]] rules") && screen.contains("✖ firing"),
        "{screen}"
    );
    assert!(
        !screen.contains("2.0.5"),
        "a healthy version is not alerting:\n{screen}"
    );
    // The Rollouts list carries each deployment's request rate as a sparkline.
    console.press("2");
    ticking_until(&mut console, "a rate sparkline", Duration::from_secs(60), |s| {
        s.rollouts.list.loaded().is_some_and(|l| l.len() == 3)
            && s.metrics.panel("rate").and_then(|p| p.data.as_ref()).is_some()
    });
    let screen = console.render(160, 40);
    let row = screen
        .lines()
        .find(|l| l.contains("malaria-predictor ") && l.contains("/s"))
        .unwrap_or_default();
    assert!(row.chars().any(|c| ('▁'..='█').contains(&c)), "no sparkline:\n{screen}");
    // Beside the rollout, every version's headline values.
    assert!(
        screen
            .lines()
            .any(|l| l.contains("│metrics ") && l.contains("2.1.1 shadow") && l.contains("rate ")),
        "no metrics beside the rollout:\n{screen}"
    );
}

#[test]
fn the_console_guard_undoes_a_bad_canary_and_says_so() {
    let Some((world, dir, mut console)) = guarded_after_a_bad_release() else {
        return;
    };
    // The operator is looking at Models, not at metrics: the guard watches anyway.
    ticking_until(&mut console, "the guard", Duration::from_secs(90), |s| {
        !s.alerts.guard_events.is_empty()
    });
    let event = &console.state.alerts.guard_events[0];
    assert_eq!(
        (event.deployment.as_str(), event.version.as_str()),
        ("malaria-predictor-canary", "2.1.1")
    );
    let done = event.outcome.clone().unwrap();
    assert!(done.contains("to revision 1") && done.contains("2.1.0"), "{done}");
    let screen = console.render(200, 40);
    assert!(
        screen.contains("guard malaria-predictor-canary: ModelAccuracyDegraded fired for version 2.1.1"),
        "no banner:\n{screen}"
    );
    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    assert_eq!(audit.lines().count(), 1, "{audit}");
    assert!(audit.contains("\"reason\":\"guard: ModelAccuracyDegraded"), "{audit}");

    // The guard's state is in sight: it acted, and when.
    let image = || {
        world.kubectl(
            dir.path(),
            &[
                "get",
                "deployment",
                "malaria-predictor-canary",
                "-o",
                "jsonpath={.spec.template.spec.containers[0].image}",
            ],
        )
    };
    assert_eq!(image(), "ghcr.io/modeldeck/malaria-predictor:2.1.0");
    console.press("5");
    ticking_until(&mut console, "the guard's report", Duration::from_secs(30), |s| {
        s.alerts.guards.iter().any(|g| g.last.is_some())
    });
    let screen = console.render(200, 40);
    assert!(
        screen.contains("malaria-predictor-canary (ModelAccuracyDegraded): acted ")
            && screen.contains(": undo 2.1.1: roll back"),
        "{screen}"
    );

    // A second release of the same bad version is a new event: the guard
    // acts on it too, once.
    world.release_bad_canary(dir.path());
    ticking_until(&mut console, "the guard, again", Duration::from_secs(90), |s| {
        s.alerts.guard_events.len() == 2
    });
    assert_eq!(console.state.alerts.guard_events[1].version, "2.1.1");
    assert!(console.state.alerts.guard_events[1].outcome.is_ok());
    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    assert_eq!(audit.lines().count(), 2, "{audit}");
    ticking_until(&mut console, "2.1.0 back", Duration::from_secs(30), |_| {
        image() == "ghcr.io/modeldeck/malaria-predictor:2.1.0"
    });
    // A few checks later, still two: one action per release (absence
    // takes waiting to show).
    let later = Instant::now() + Duration::from_secs(4);
    ticking_until(&mut console, "four more checks", Duration::from_secs(30), |_| {
        Instant::now() >= later
    });
    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    assert_eq!(audit.lines().count(), 2, "{audit}");
}

/// The console quits while its guard is rolling a bad canary back (the
/// cluster answering slowly): the rollback finishes and is audited before
/// the console is gone, as a confirmed action's would be.
#[test]
fn quitting_while_the_guard_rolls_back_lets_it_finish_and_audit() {
    let Some((world, dir, mut console)) = guarded_after_a_bad_release() else {
        return;
    };
    // The canary's alert fires: the guard's check in the same round acts.
    ticking_until(&mut console, "the canary's alert", Duration::from_secs(90), |s| {
        s.alerts.rows().iter().any(|a| {
            a.name == "ModelAccuracyDegraded"
                && a.state == modeldeck::domain::alerting::RuleState::Firing
                && a.labels.iter().any(|(k, v)| k == "track" && v == "canary")
        })
    });
    world.sim.cluster.slow_down(Some(Duration::from_secs(1)));
    let deadline = Instant::now() + Duration::from_secs(10);
    while console.actions_running().is_empty() {
        assert!(Instant::now() < deadline, "the guard's check never ran");
        std::thread::sleep(Duration::from_millis(5));
    }
    let unfinished = console.quit(Duration::from_secs(60));
    assert!(unfinished.is_empty(), "{unfinished:?}");
    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap_or_default();
    assert_eq!(audit.lines().count(), 1, "{audit}");
    assert!(audit.contains("\"reason\":\"guard: ModelAccuracyDegraded"), "{audit}");
    assert!(audit.contains("\"outcome\":\"done\""), "{audit}");
}

#[test]
fn against_a_real_prometheus_the_views_show_its_data_and_alerts() {
    let world = World::start(100.0);
    let Some(server) = prom_common::Prometheus::start(&world.urls, Some(&prom_common::rules_with_hold("1s"))) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings(&world.urls, "3s", false);
    settings.metrics.source = MetricsSource::Prometheus;
    settings.metrics.prometheus.url = server.url.clone();
    let mut console = attach(&world, dir.path(), settings);
    console.press("3");
    ticking_until(
        &mut console,
        "rate and p95 for every version",
        Duration::from_secs(60),
        |s| {
            ["rate", "latency"].iter().all(|name| {
                s.metrics.panel(name).and_then(|p| p.data.as_ref()).is_some_and(|d| {
                    let versions: std::collections::BTreeSet<&str> = d
                        .lines
                        .iter()
                        .filter(|l| !l.points.is_empty())
                        .map(|l| l.version.as_str())
                        .collect();
                    versions.len() == 3
                })
            })
        },
    );
    let screen = console.render(160, 40);
    assert!(screen.contains(&format!("Prometheus {}", server.url)), "{screen}");
    assert!(
        screen.contains("Latency p95") && screen.contains("2.1.1 shadow"),
        "{screen}"
    );
    console.press("5");
    ticking_until(
        &mut console,
        "Prometheus's firing alert",
        Duration::from_secs(60),
        |s| {
            s.alerts
                .rows()
                .iter()
                .any(|a| a.name == "ModelAccuracyDegraded" && a.state == modeldeck::domain::alerting::RuleState::Firing)
        },
    );
    let screen = console.render(160, 40);
    assert!(screen.contains("Alerts · Prometheus ·"), "{screen}");
}
