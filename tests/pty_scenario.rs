//! The deployment guide played end to end in real terminals at 80×24, as
//! an operator would, reading every fact from the screen: the demo world
//! (`modeldeck demo --serve`), one console that acts and a second that
//! only watches. The weight is read from the list row before each step
//! (5 → 10 → 25 → 50 → 100), then abort, promote and its undo, a
//! blue-green switch and back, and 2.1.1 released twice with kubectl: the
//! guard acts both times. The watching console shows each change too.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn required() -> bool {
    std::env::var_os("MODELDECK_REQUIRE_SERVERS").is_some_and(|v| v == "1")
}

/// The demo world and two consoles in tmux panes of 80×24.
struct Scenario {
    demo: Child,
    dir: tempfile::TempDir,
    socket: String,
    kubeconfig: PathBuf,
}

impl Drop for Scenario {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.socket, "kill-server"]).output();
        let _ = self.demo.kill();
        let _ = self.demo.wait();
    }
}

impl Scenario {
    fn start() -> Option<Scenario> {
        for tool in ["tmux", "kubectl"] {
            if Command::new(tool).arg("-V").output().is_err()
                && Command::new(tool).arg("version").arg("--client").output().is_err()
            {
                assert!(
                    !required(),
                    "{tool} is required (MODELDECK_REQUIRE_SERVERS=1) but is not installed"
                );
                eprintln!("skipping: {tool} is not installed");
                return None;
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let bin = env!("CARGO_BIN_EXE_modeldeck");
        let info = dir.path().join("info.json");
        let demo = Command::new(bin)
            .args(["demo", "--serve", "--speed", "20", "--info-file"])
            .arg(&info)
            .arg("--dir")
            .arg(dir.path().join("world"))
            .env("MODELDECK_STATE_DIR", dir.path().join("demo-state"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let info: serde_json::Value = serde_json::from_str(&wait_for_file(&info)).unwrap();
        let config = std::fs::read_to_string(info["config"].as_str().unwrap()).unwrap();
        // The guide's rule, held seconds rather than a minute.
        let acting = config.replace("for = \"1m\"", "for = \"6s\"");
        assert_ne!(acting, config, "the demo's config holds ModelAccuracyDegraded for 1m");
        // The watching console has no guard: one guard acts, not two.
        let watching = acting[..acting.find("[guard.").unwrap()].to_owned();
        let unique = dir.path().file_name().unwrap().to_string_lossy().into_owned();
        let scenario = Scenario {
            demo,
            socket: format!("modeldeck-scenario-{unique}"),
            kubeconfig: PathBuf::from(info["kubeconfig"].as_str().unwrap()),
            dir,
        };
        for (name, text) in [("acting", acting), ("watching", watching)] {
            let d = scenario.dir.path();
            std::fs::write(d.join(format!("{name}.toml")), text).unwrap();
            let console = format!(
                "cd {} && MODELDECK_CONFIG_DIR={d}/none MODELDECK_STATE_DIR={d}/{name} TERM=xterm-256color \
                 {bin} --config {d}/{name}.toml; sleep 600",
                env!("CARGO_MANIFEST_DIR"),
                d = d.display()
            );
            let new = if name == "acting" { "new-session" } else { "new-window" };
            let mut args = vec![new, "-d"];
            if new == "new-session" {
                args.extend(["-s", "s", "-x", "80", "-y", "24"]);
            } else {
                args.extend(["-t", "s"]);
            }
            args.extend(["-n", name, "sh", "-c", &console]);
            scenario.tmux(&args);
        }
        Some(scenario)
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self, pane: &str) -> String {
        self.tmux(&["capture-pane", "-p", "-t", &format!("s:{pane}")])
    }

    fn keys(&self, pane: &str, keys: &[&str]) {
        let target = format!("s:{pane}");
        let mut args = vec!["send-keys", "-t", target.as_str()];
        args.extend(keys);
        self.tmux(&args);
    }

    /// Types a `:` command and runs it.
    fn command(&self, pane: &str, text: &str) {
        self.keys(pane, &[":"]);
        self.keys(pane, &["-l", text]);
        self.keys(pane, &["Enter"]);
    }

    /// Waits until `pane`'s screen satisfies `done` (a condition with a
    /// generous deadline for a loaded machine, never a fixed sleep).
    fn wait(&self, pane: &str, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let screen = self.screen(pane);
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{pane}: timed out waiting for {what}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_text(&self, pane: &str, text: &str) -> String {
        self.wait(pane, text, |s| s.contains(text))
    }

    /// Both consoles show `text` in the facts under `row`.
    fn both_read(&self, row: &str, text: &str) {
        for pane in ["acting", "watching"] {
            self.wait(pane, &format!("{text:?} under {row}"), |s| facts(s, row).contains(text));
        }
    }

    fn kubectl(&self, args: &[&str]) -> String {
        let out = Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(["-n", "ml-serving"])
            .args(args)
            .env("KUBECACHEDIR", self.dir.path().join("kube-cache"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "kubectl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn guard_actions(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("acting/audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("\"reason\":\"guard: "))
            .count()
    }

    /// Answers the open dialog (titled `title`) with y, and waits for the
    /// status line to say it is done.
    fn confirm(&self, title: &str) -> String {
        let dialog = self.wait_text("acting", title);
        assert!(dialog.contains("y yes, do it"), "{dialog}");
        self.keys("acting", &["y"]);
        self.wait("acting", "the dialog to close", |s| !s.contains("y yes, do it"));
        self.wait("acting", "done: on the status line", |s| {
            let lines: Vec<&str> = s.lines().collect();
            lines.len() >= 2 && lines[lines.len() - 2].starts_with(" done:")
        });
        dialog
    }
}

fn wait_for_file(path: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && !text.is_empty()
        {
            return text;
        }
        assert!(Instant::now() < deadline, "no {}", path.display());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The row of deployment `name` and the facts line under it.
fn row<'a>(screen: &'a str, name: &str) -> (&'a str, &'a str) {
    let lines: Vec<&str> = screen.lines().collect();
    // Rows are inside the list's border; the notice line may name one too.
    match lines
        .iter()
        .position(|l| l.starts_with('│') && l.contains(&format!(" {name} ")))
    {
        Some(i) => (lines[i], lines.get(i + 1).copied().unwrap_or_default()),
        None => ("", ""),
    }
}

fn facts<'a>(screen: &'a str, name: &str) -> &'a str {
    row(screen, name).1
}

#[test]
fn the_guide_played_at_80x24_with_a_second_console_in_sync() {
    let Some(s) = Scenario::start() else { return };
    for pane in ["acting", "watching"] {
        s.wait_text(pane, "Models · 1 model");
        s.keys(pane, &["2"]);
    }
    s.both_read("malaria-predictor", "stable 90% · canary 10% 2/5 · shadow 50%");

    // To the ladder's first rung, then step by step, reading the row first.
    s.command("acting", "canary set 5");
    s.confirm("Set the canary?");
    s.both_read("malaria-predictor", "canary 5% 1/5");
    for (percent, rung) in [(10, 2), (25, 3), (50, 4), (100, 5)] {
        let before = s.screen("acting");
        assert!(facts(&before, "malaria-predictor").contains("canary "), "{before}");
        s.keys("acting", &["+"]);
        let dialog = s.confirm("Step the canary?");
        assert!(dialog.contains(&format!("to {percent}%")), "{dialog}");
        s.both_read("malaria-predictor", &format!("canary {percent}% {rung}/5"));
    }
    // At the top, + cannot act: it says why instead of asking.
    s.keys("acting", &["+"]);
    s.wait_text("acting", "the top of the ladder");

    s.keys("acting", &["a"]);
    s.confirm("Abort the canary?");
    s.both_read("malaria-predictor", "stable 100% · canary 0%");

    // Promote: the stable side runs 2.1.0 on its own pods.
    s.keys("acting", &["P"]);
    let dialog = s.confirm("Promote the canary?");
    assert!(dialog.contains("takes the canary's pod template"), "{dialog}");
    for pane in ["acting", "watching"] {
        s.wait(pane, "2.1.0 on the stable row", |screen| {
            row(screen, "malaria-predictor").0.contains(" 2.1.0 ")
        });
    }
    // One key undoes it.
    s.keys("acting", &["u"]);
    s.confirm("Undo the promotion?");
    for pane in ["acting", "watching"] {
        s.wait(pane, "2.0.5 back on the stable row", |screen| {
            row(screen, "malaria-predictor").0.contains(" 2.0.5 ")
        });
    }

    // Blue-green: switch the stable Service to 2.1.0, then back with b.
    s.command("acting", "switch malaria-predictor-blue 2.1.0");
    s.confirm("Switch blue-green?");
    s.wait_text("watching", "malaria-predictor-blue → version=v2.1.0");
    s.keys("acting", &["b"]);
    s.confirm("Switch blue-green?");
    for pane in ["acting", "watching"] {
        s.wait_text(pane, "malaria-predictor-blue → version=v2.0.5");
    }

    // A bad release into the canary, twice: the guard acts both times.
    s.command("acting", "canary set 25");
    s.confirm("Set the canary?");
    s.both_read("malaria-predictor", "canary 25% 3/5");
    for release in 1..=2 {
        s.kubectl(&[
            "set",
            "image",
            "deployment/malaria-predictor-canary",
            "predictor=ghcr.io/modeldeck/malaria-predictor:2.1.1",
        ]);
        s.wait("watching", "2.1.1 on the canary row", |screen| {
            row(screen, "malaria-predictor-canary").0.contains("2.1.1")
        });
        let deadline = Instant::now() + Duration::from_secs(180);
        while s.guard_actions() < release {
            assert!(
                Instant::now() < deadline,
                "the guard did not act on release {release}:\n{}",
                s.screen("acting")
            );
            std::thread::sleep(Duration::from_millis(250));
        }
        let screen = s.wait_text("acting", "guard done: undo malaria-predictor-canary 2.1.1");
        assert!(
            screen.lines().nth(1).unwrap().contains("guard done"),
            "on the notice line:\n{screen}"
        );
        for pane in ["acting", "watching"] {
            s.wait(pane, "2.1.0 back on the canary row", |screen| {
                row(screen, "malaria-predictor-canary").0.contains(" 2.1.0 ")
            });
        }
        // The guard's state is on the canary's row.
        s.wait("acting", "the guard's state on the row", |screen| {
            facts(screen, "malaria-predictor-canary").contains("guard acted")
        });
        s.keys("acting", &["Escape"]);
    }
    assert_eq!(s.guard_actions(), 2, "one action per release");
}
