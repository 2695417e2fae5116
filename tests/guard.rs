//! The guard, headless (`modeldeck guard`), against the demo world with
//! traffic: a bad candidate released into the canary is rolled back on its
//! own, once, through ops, and the audit log says which rule did it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod prom_common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use modeldeck::sim::world;
use prom_common::World;

struct Guard {
    child: Child,
    out: PathBuf,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> Option<String>) -> String {
    let start = Instant::now();
    loop {
        if let Some(found) = done() {
            return found;
        }
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Writes a config (scrape source, ModelAccuracyDegraded held 4 s, the
/// given guard section) and starts `modeldeck guard` on it.
fn start_guard(world: &World, dir: &Path, guard: &str) -> Guard {
    start_guard_with(world, dir, guard, &[])
}

fn start_guard_with(world: &World, dir: &Path, guard: &str, flags: &[&str]) -> Guard {
    let kubeconfig = world.kubeconfig(dir);
    let urls: Vec<String> = world.urls.iter().map(|u| format!("{u:?}")).collect();
    let config = dir.join("modeldeck.toml");
    std::fs::write(
        &config,
        format!(
            "[kubernetes]\nkubeconfig = {:?}\nnamespace = \"{}\"\n\n\
             [metrics]\nsource = \"scrape\"\nrefresh = 1\n[metrics.scrape]\nurls = [{}]\n\n\
             [[alerts]]\nname = \"ModelAccuracyDegraded\"\npanel = \"accuracy\"\nbelow = 0.85\nfor = \"4s\"\n\
             summary = \"Model accuracy below threshold\"\n\n{guard}",
            kubeconfig.display().to_string(),
            world::NAMESPACE,
            urls.join(", ")
        ),
    )
    .unwrap();
    let out = dir.join("guard.out");
    Guard {
        child: Command::new(env!("CARGO_BIN_EXE_modeldeck"))
            .args(["--config", config.to_str().unwrap()])
            .args(flags)
            .arg("guard")
            .env("MODELDECK_CONFIG_DIR", dir.join("config"))
            .env("MODELDECK_STATE_DIR", dir.join("state"))
            .env("USER", "operator")
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
        out,
    }
}

/// The guard's whole lines without their timestamps, checking that each
/// starts with one (RFC 3339, UTC) no older than `since`.
fn unstamped(text: &str, since: jiff::Timestamp) -> Vec<String> {
    let whole = text.rfind('\n').map_or("", |end| &text[..end]);
    whole
        .lines()
        .map(|line| {
            let (stamp, rest) = line.split_once(' ').unwrap_or_default();
            let at: jiff::Timestamp = stamp
                .parse()
                .unwrap_or_else(|e| panic!("no timestamp at the start of {line:?}: {e}"));
            assert!(
                at.as_second() >= since.as_second() && at <= jiff::Timestamp::now(),
                "{line:?} is not stamped with the time it was said"
            );
            rest.to_owned()
        })
        .collect()
}

fn guard_audit(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("state/audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["reason"].as_str().is_some_and(|r| r.starts_with("guard: ")))
        .collect()
}

#[test]
fn the_guard_rolls_back_a_bad_canary_once_and_says_so() {
    if !prom_common::have_kubectl() {
        return;
    }
    let world = World::start(100.0);
    let dir = tempfile::tempdir().unwrap();
    let k = |args: &[&str]| world.kubectl(dir.path(), args);
    let since = jiff::Timestamp::now();
    let mut guard = start_guard(
        &world,
        dir.path(),
        "[guard.malaria-predictor-canary]\nalert = \"ModelAccuracyDegraded\"\ntrack = \"canary\"\naction = \"undo\"\n",
    );
    world.release_bad_canary(dir.path());
    let said = |g: &Guard| unstamped(&std::fs::read_to_string(&g.out).unwrap_or_default(), since).join("\n");
    let report = wait_for("the guard to act", Duration::from_secs(90), || {
        let text = said(&guard);
        text.lines()
            .find(|l| l.starts_with("guard malaria-predictor-canary: ModelAccuracyDegraded fired for version 2.1.1"))
            .map(str::to_owned)
    });
    assert!(report.contains("so: undo the rollout: "), "{report}");
    assert!(!report.contains("FAILED"), "{report}");
    let text = said(&guard);
    assert!(
        text.contains("guarding ml-serving/malaria-predictor-canary: when ModelAccuracyDegraded fires"),
        "{text}"
    );
    assert!(
        text.contains("ModelAccuracyDegraded is pending for version 2.1.1 canary"),
        "{text}"
    );

    // The canary is back on 2.1.0.
    let version = k(&[
        "get",
        "deployment",
        "malaria-predictor-canary",
        "-o",
        "jsonpath={.spec.template.spec.containers[0].image}",
    ]);
    assert_eq!(version, "ghcr.io/modeldeck/malaria-predictor:2.1.0");

    // The audit log has one rollback, by the guard, with its reason; a few
    // more checks later there is still one (the rule still fires on the
    // old 2.1.1 series, but a version is acted on once).
    let guard_lines = || guard_audit(dir.path());
    let lines = guard_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let entry = &lines[0];
    assert_eq!(entry["action"], "rollback");
    assert_eq!(entry["outcome"], "done");
    assert_eq!(entry["target"], "deployment/ml-serving/malaria-predictor-canary");
    assert_eq!(entry["login"], "operator");
    let reason = entry["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("guard: ModelAccuracyDegraded (accuracy < 0.85 for 4s) fired for version 2.1.1 at 0."),
        "{reason}"
    );
    // Five more checks (refresh = 1 s): absence takes waiting to show.
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(guard_lines().len(), 1, "acted twice: {}", said(&guard));
    eprintln!("{}", said(&guard));
    let _ = guard.child.kill();
    let stderr = {
        let mut s = String::new();
        if let Some(mut e) = guard.child.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut s);
        }
        s
    };
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn a_guard_can_abort_the_canary_through_its_router_instead() {
    if !prom_common::have_kubectl() {
        return;
    }
    let world = World::start(100.0);
    let dir = tempfile::tempdir().unwrap();
    let mut guard = start_guard(
        &world,
        dir.path(),
        "[rollouts.malaria-predictor]\nrouter = \"gateway-api\"\nroute = \"malaria-predictor\"\n\
         stable = \"malaria-predictor-blue\"\ncanary = \"malaria-predictor-green\"\n\n\
         [guard.malaria-predictor]\nalert = \"ModelAccuracyDegraded\"\naction = \"canary-abort\"\n",
    );
    world.release_bad_canary(dir.path());
    let weights = || {
        world.kubectl(
            dir.path(),
            &[
                "get",
                "httproute",
                "malaria-predictor",
                "-o",
                "jsonpath={.spec.rules[0].backendRefs[*].weight}",
            ],
        )
    };
    assert_eq!(weights(), "90 10");
    wait_for("the canary at 0%", Duration::from_secs(90), || {
        (weights() == "100 0").then(String::new)
    });
    // The audit line is written once the write is answered: it may come
    // a moment after kubectl sees the weights.
    wait_for("the guard's audit line", Duration::from_secs(30), || {
        (!guard_audit(dir.path()).is_empty()).then(String::new)
    });
    let lines = guard_audit(dir.path());
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["action"], "canary.abort");
    assert_eq!(lines[0]["outcome"], "done");
    // The guard prints its event once the action has returned.
    let expected = "guard malaria-predictor: ModelAccuracyDegraded fired for version 2.1.1, so: abort the canary";
    wait_for("the guard's line", Duration::from_secs(30), || {
        std::fs::read_to_string(&guard.out)
            .unwrap_or_default()
            .contains(expected)
            .then(String::new)
    });
    let _ = guard.child.kill();
}

#[test]
fn in_read_only_mode_the_guard_is_refused_and_says_so() {
    if !prom_common::have_kubectl() {
        return;
    }
    let world = World::start(100.0);
    let dir = tempfile::tempdir().unwrap();
    let since = jiff::Timestamp::now();
    let mut guard = start_guard_with(
        &world,
        dir.path(),
        "[guard.malaria-predictor-canary]\nalert = \"ModelAccuracyDegraded\"\naction = \"undo\"\n",
        &["--readonly"],
    );
    world.release_bad_canary(dir.path());
    let report = wait_for("the guard's refusal", Duration::from_secs(90), || {
        unstamped(&std::fs::read_to_string(&guard.out).unwrap_or_default(), since)
            .into_iter()
            .find(|l| l.starts_with("guard malaria-predictor-canary:"))
    });
    assert!(report.contains("FAILED: refused: read-only mode"), "{report}");
    // Nothing was written; the refusal is audited with the guard's reason.
    let image = world.kubectl(
        dir.path(),
        &[
            "get",
            "deployment",
            "malaria-predictor-canary",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}",
        ],
    );
    assert_eq!(image, "ghcr.io/modeldeck/malaria-predictor:2.1.1");
    let lines = guard_audit(dir.path());
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0]["outcome"]
            .as_str()
            .unwrap()
            .starts_with("refused: read-only mode"),
        "{lines:?}"
    );
    let _ = guard.child.kill();
}
