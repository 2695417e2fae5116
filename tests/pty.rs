//! The real binary in a real terminal (tmux): start it, type `?`,
//! `:models`, `q`, and check the terminal was restored — alternate screen
//! left, cursor shown, line discipline back to cooked mode. Also for
//! SIGTERM and SIGHUP, the ways a bastion session usually ends, and for the
//! terminal itself going away (the tmux window killed, as an SSH drop does):
//! no panic, and what was confirmed finishes and is audited.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

mod predict_common;
mod sim_common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use sim_common::{Sim, require_servers};

/// tmux on a private socket, killed when dropped.
struct Tmux {
    socket: String,
    dir: tempfile::TempDir,
}

impl Tmux {
    /// Starts the console in a 100×30 pane that stays open after it exits;
    /// `None` when tmux is missing and servers are not required.
    fn start(extra_args: &str) -> Option<Tmux> {
        Tmux::launch(extra_args, Pane::Kept)
    }

    /// Starts the console in a pane that a test kills (`kill-window`,
    /// `kill-server`): only the console's exit code is recorded, by a shell
    /// that ignores the hangup the console itself gets.
    fn start_to_kill(extra_args: &str) -> Option<Tmux> {
        Tmux::launch(extra_args, Pane::Killed)
    }

    fn launch(extra_args: &str, pane: Pane) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            if require_servers() {
                panic!("tmux is required (MODELDECK_REQUIRE_SERVERS=1) but is not installed");
            }
            eprintln!("skipping: tmux is not installed");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        // The temp dir's name is unique, so parallel tests get their own server.
        let unique = dir
            .path()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let socket = format!("modeldeck-test-{unique}");
        let tmux = Tmux { socket, dir };
        let bin = env!("CARGO_BIN_EXE_modeldeck");
        let repo = env!("CARGO_MANIFEST_DIR");
        let d = tmux.dir.path().display();
        let console = format!(
            "MODELDECK_CONFIG_DIR={d}/config MODELDECK_STATE_DIR={d}/state TERM=xterm-256color {bin} {extra_args}"
        );
        let script = match pane {
            // After the console exits, the shell records how it ended and
            // the terminal's mode, then waits so the pane can be inspected.
            Pane::Kept => format!(
                "cd {repo} && {console}; echo \"exit=$?\" > {d}/exit; stty -a > {d}/stty; \
                 echo restored-shell; sleep 600"
            ),
            // The console gets the hangup as it would over SSH (its
            // subshell restores the default); the shell outlives the
            // terminal to record the exit code.
            Pane::Killed => {
                format!("cd {repo} && trap '' HUP; (trap - HUP; exec env {console}); echo \"exit=$?\" > {d}/exit")
            }
        };
        tmux.run(&["new-session", "-d", "-x", "100", "-y", "30", "sh", "-c", &script]);
        Some(tmux)
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p"])
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend(keys);
        self.run(&args);
    }

    /// Waits until the screen contains `text`, up to a generous deadline
    /// (a loaded CI machine runs four consoles and worlds at once)
    /// (a condition, not a sleep: fast machines do not wait).
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn wait_for_file(&self, path: &Path) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(text) = std::fs::read_to_string(path)
                && !text.is_empty()
            {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {}; screen:\n{}",
                path.display(),
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The console's pid: the pane's shell's child.
    fn console_pid(&self) -> String {
        let shell = self.run(&["display", "-p", "#{pane_pid}"]).trim().to_owned();
        let out = Command::new("pgrep").args(["-P", &shell]).output().unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    fn assert_restored(&self, expected_exit: &str) {
        let exit = self.wait_for_file(&self.file("exit"));
        assert_eq!(exit.trim(), expected_exit);
        let stty = self.wait_for_file(&self.file("stty"));
        let flags: Vec<&str> = stty.split_whitespace().collect();
        for flag in ["icanon", "echo", "isig"] {
            assert!(flags.contains(&flag), "terminal left without {flag}: {stty}");
        }
        self.wait_for("restored-shell");
        let modes = self.run(&["display", "-p", "#{alternate_on} #{cursor_flag}"]);
        assert_eq!(modes.trim(), "0 1", "alternate screen left and cursor shown");
    }
}

/// What happens to the pane when the console exits.
#[derive(Clone, Copy)]
enum Pane {
    Kept,
    Killed,
}

impl Tmux {
    /// After the pane was killed: the console exited 1 (stopped, not
    /// panicked: a panic exits 101), and its log names no panic.
    fn assert_ended_cleanly(&self) {
        let exit = self.wait_for_file(&self.file("exit"));
        let log = std::fs::read_to_string(self.file("state/modeldeck.log")).unwrap_or_default();
        assert_eq!(exit.trim(), "exit=1", "log:\n{log}");
        assert!(!log.contains("panic"), "the console panicked:\n{log}");
        assert!(
            log.contains("the terminal went away") || log.contains("stopped by SIGHUP"),
            "{log}"
        );
    }

    /// The audit log's lines, parsed.
    fn audit(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.file("state/audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    /// Waits until the screen satisfies `done`, as [`Tmux::wait_for`].
    fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The console's arguments for `sim`'s cluster, its malaria predictor's
/// traffic going through the route.
fn attached_to(sim: &Sim) -> String {
    sim.configure_demo_router();
    format!(
        "--kubeconfig {} --config {} -n ml-serving",
        sim.kubeconfig.display(),
        sim.dir.path().join("config/config.toml").display()
    )
}

/// Opens the Rollouts view and the canary step's confirmation dialog.
fn open_the_step_dialog(tmux: &Tmux) {
    tmux.wait_for("Models · 1 model");
    tmux.keys(&["2"]);
    tmux.wait_for("10%  malaria-predictor-green");
    tmux.keys(&["+"]);
    tmux.wait_for("y yes, do it");
}

/// Confirms the step with the cluster answering slowly, so it is still in
/// flight when this returns: the dialog has closed and nothing is audited.
fn confirm_slowly(sim: &Sim, tmux: &Tmux) {
    sim.server.cluster.slow_down(Some(Duration::from_secs(5)));
    tmux.keys(&["y"]);
    tmux.wait_until("the dialog to close", |screen| !screen.contains("y yes, do it"));
    assert!(tmux.audit().is_empty(), "the step is already done: {:?}", tmux.audit());
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

#[test]
fn help_command_mode_and_quit_leave_the_terminal_restored() {
    let Some(tmux) = Tmux::start("") else { return };
    tmux.wait_for("Models · 1 model · 4 versions");
    tmux.keys(&["?"]);
    tmux.wait_for("Everywhere");
    tmux.keys(&["Escape"]);
    // A key sent right after esc would read as alt-key: wait for the
    // normal-mode footer first, as a person would see the help close.
    tmux.wait_for(": command");
    tmux.keys(&["3"]);
    tmux.wait_for("No metrics source is configured");
    tmux.keys(&[":", "models", "Enter"]);
    let screen = tmux.wait_for("Models · 1 model");
    assert!(screen.contains("2.0.5 ▲"), "{screen}");
    tmux.keys(&["q"]);
    tmux.assert_restored("exit=0");
}

#[test]
fn a_user_config_that_is_not_toml_is_shown_and_the_console_still_runs() {
    let Some(tmux) = Tmux::start("--config tests/configs/invalid/syntax.toml") else {
        return;
    };
    let screen = tmux.wait_for("config error");
    assert!(screen.contains("syntax.toml:4:17"), "{screen}");
    tmux.wait_for("Models · 1 model");
    tmux.keys(&["q"]);
    tmux.assert_restored("exit=0");
}

#[test]
fn a_typo_in_the_user_config_is_a_warning_and_the_rest_of_it_applies() {
    let Some(tmux) = Tmux::start("--config tests/configs/warn/typo.toml") else {
        return;
    };
    let screen = tmux.wait_for("typo.toml:13: unknown key `metrics.refesh` ignored");
    assert!(!screen.contains("config error"), "{screen}");
    assert!(screen.contains("ns ml-serving"), "the file's namespace: {screen}");
    // The notice has the gist; the log has the warning whole.
    tmux.keys(&["7"]);
    tmux.wait_for("mean `refresh`?");
    tmux.keys(&["2"]);
    tmux.wait_for("kubeconfig /nonexistent/modeldeck-typo/kubeconfig: cannot read it");
    tmux.keys(&["q"]);
    tmux.assert_restored("exit=0");
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() {
    for signal in ["TERM", "HUP"] {
        let Some(tmux) = Tmux::start("") else { return };
        tmux.wait_for("Models · 1 model");
        let pid = tmux.console_pid();
        assert!(!pid.is_empty(), "console pid not found");
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap();
        assert!(status.success());
        tmux.assert_restored("exit=1");
    }
}

#[test]
fn losing_the_terminal_ends_the_console_without_a_panic() {
    for kill in ["kill-window", "kill-server"] {
        let Some(tmux) = Tmux::start_to_kill("") else { return };
        tmux.wait_for("Models · 1 model");
        tmux.run(&[kill]);
        tmux.assert_ended_cleanly();
    }
}

#[test]
fn a_step_in_flight_when_the_terminal_goes_away_finishes_and_is_audited_once() {
    let Some(sim) = Sim::start() else { return };
    let Some(tmux) = Tmux::start_to_kill(&attached_to(&sim)) else {
        return;
    };
    open_the_step_dialog(&tmux);
    confirm_slowly(&sim, &tmux);
    tmux.run(&["kill-window"]);
    tmux.assert_ended_cleanly();
    let audit = tmux.audit();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["action"], "canary.step");
    assert_eq!(audit[0]["outcome"], "done", "{audit:?}");
    sim.server.cluster.slow_down(None);
    let weights = sim.ok(&[
        "get",
        "httproute",
        "malaria-predictor",
        "-n",
        "ml-serving",
        "-o",
        "jsonpath={.spec.rules[0].backendRefs[*].weight}",
    ]);
    assert_eq!(weights, "75 25", "the step went through");
}

#[test]
fn quitting_with_a_step_in_flight_waits_for_it_and_says_so() {
    let Some(sim) = Sim::start() else { return };
    let Some(tmux) = Tmux::start(&attached_to(&sim)) else {
        return;
    };
    open_the_step_dialog(&tmux);
    confirm_slowly(&sim, &tmux);
    tmux.keys(&["q"]);
    tmux.wait_for("waiting for confirmed actions to finish");
    tmux.assert_restored("exit=0");
    let audit = tmux.audit();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["outcome"], "done", "{audit:?}");
}

#[test]
fn a_dialog_open_when_the_terminal_goes_away_is_declined_and_audited() {
    let Some(sim) = Sim::start() else { return };
    let Some(tmux) = Tmux::start_to_kill(&attached_to(&sim)) else {
        return;
    };
    open_the_step_dialog(&tmux);
    tmux.run(&["kill-server"]);
    tmux.assert_ended_cleanly();
    let audit = tmux.audit();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["action"], "canary.step");
    assert_eq!(audit[0]["outcome"], "cancelled", "{audit:?}");
}

#[test]
fn the_demo_opens_on_the_simulated_world_and_a_canary_step_goes_through() {
    let Some(tmux) = Tmux::start("demo --speed 20") else {
        return;
    };
    tmux.wait_for("Models · 1 model");
    tmux.keys(&["2"]);
    tmux.wait_for("malaria-predictor-canary");
    tmux.wait_for("10%  malaria-predictor-green");
    tmux.keys(&["+"]);
    tmux.wait_for("y yes, do it");
    tmux.keys(&["y"]);
    tmux.wait_for("25%  malaria-predictor-green");
    tmux.keys(&["q"]);
    tmux.assert_restored("exit=0");
    let audit = std::fs::read_to_string(tmux.file("state/audit.jsonl")).unwrap();
    assert!(
        audit.contains("\"action\":\"canary.step\"") && audit.contains("\"outcome\":\"done\""),
        "{audit}"
    );
}

#[test]
fn the_demo_metrics_view_shows_each_version_live() {
    let Some(tmux) = Tmux::start("demo --speed 20 --rate 50") else {
        return;
    };
    tmux.wait_for("Models · 1 model");
    tmux.keys(&["3"]);
    // Columns appear as their versions' series arrive, which on a loaded
    // machine need not be one frame.
    tmux.wait_until("a column per version", |screen| {
        ["2.1.1 shadow", "2.0.5 stable", "2.1.0 canary"]
            .iter()
            .all(|column| screen.contains(column))
    });
    // The rate row carries a value per version, and it moves as requests
    // keep coming (the scrape runs every 2 s in the demo's config).
    let rate_row = |screen: &str| {
        screen
            .lines()
            .find(|l| l.contains("Request rate"))
            .unwrap_or_default()
            .to_owned()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = rate_row(&tmux.screen());
    while !seen.contains("/s") {
        assert!(Instant::now() < deadline, "no rate: {}", tmux.screen());
        std::thread::sleep(Duration::from_millis(200));
        seen = rate_row(&tmux.screen());
    }
    loop {
        let now = rate_row(&tmux.screen());
        if now != seen {
            break;
        }
        assert!(Instant::now() < deadline, "the rate did not update: {now}");
        std::thread::sleep(Duration::from_millis(200));
    }
    // The chart of the selected row is drawn, with the shadow marked.
    let screen = tmux.wait_for("shadow: serves no answers");
    assert!(screen.contains("Request rate (req/s)"), "{screen}");
    tmux.keys(&["q"]);
    tmux.assert_restored("exit=0");
}

#[test]
fn the_predict_view_runs_two_versions_in_a_real_terminal() {
    if !predict_common::runtime_or_skip() {
        return;
    }
    let Some(tmux) = Tmux::start("demo --speed 20") else {
        return;
    };
    tmux.wait_for("Models · 1 model");
    tmux.keys(&["4"]);
    tmux.wait_for("file says version 2.1.1");
    // B is the candidate, A the stable version; then run.
    tmux.keys(&["space", "j", "j", "space"]);
    tmux.wait_for("A malaria_lstm@2.1.1   B malaria_lstm@2.0.5");
    tmux.keys(&["r"]);
    let screen = tmux.wait_for("agreement at 0.5: 28/32 rows (87.5%)");
    assert!(
        screen.contains("Run 1 of 1 · malaria_lstm@2.1.1 vs malaria_lstm@2.0.5"),
        "{screen}"
    );
    tmux.keys(&["q"]);
    tmux.assert_restored("exit=0");
}

#[test]
fn a_batch_job_on_a_terminal_shows_its_progress_and_ends_with_the_summary() {
    if !predict_common::runtime_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (input, out) = (dir.path().join("in.csv"), dir.path().join("out.csv"));
    let row: Vec<String> = (0..32).map(|i| format!("0.{i}")).collect();
    let line = format!("{}\n", row.join(","));
    std::fs::write(&input, line.repeat(100_000)).unwrap();
    // Batches of one make it long enough to watch.
    let Some(tmux) = Tmux::start(&format!(
        "predict --model malaria_lstm@2.0.5 --input {} --batch-size 1 --out {}",
        input.display(),
        out.display()
    )) else {
        return;
    };
    let screen = tmux.wait_until("the progress bar", |s| s.contains("rows/s") && s.contains("eta"));
    assert!(screen.contains('%'), "{screen}");
    tmux.assert_restored("exit=0");
    let screen = tmux.screen();
    assert!(screen.contains("100000 rows of"), "{screen}");
    assert!(!screen.contains("eta"), "the bar is cleared at the end: {screen}");
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 100_001);
}
