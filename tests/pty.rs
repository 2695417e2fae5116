//! The real binary in a real terminal (tmux): start it, type `?`,
//! `:models`, `q`, and check the terminal was restored — alternate screen
//! left, cursor shown, line discipline back to cooked mode. Also for
//! SIGTERM and SIGHUP, the ways a bastion session usually ends.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// tmux on a private socket, killed when dropped.
struct Tmux {
    socket: String,
    dir: tempfile::TempDir,
}

impl Tmux {
    /// Starts the console in a 100×30 pane; `None` when tmux is missing
    /// and servers are not required.
    fn start(extra_args: &str) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            if std::env::var_os("MODELDECK_REQUIRE_SERVERS").is_some_and(|v| v == "1") {
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
        // After the console exits, the shell records how it ended and the
        // terminal's mode, then waits so the pane can be inspected.
        let script = format!(
            "cd {repo} && MODELDECK_CONFIG_DIR={d}/config MODELDECK_STATE_DIR={d}/state TERM=xterm-256color \
             {bin} {extra_args}; echo \"exit=$?\" > {d}/exit; stty -a > {d}/stty; echo restored-shell; sleep 600"
        );
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
    let screen = tmux.wait_for("did you mean `refresh`?");
    assert!(
        screen.contains("typo.toml:13: unknown key `metrics.refesh` ignored"),
        "{screen}"
    );
    assert!(!screen.contains("config error"), "{screen}");
    assert!(screen.contains("ns ml-serving"), "the file's namespace: {screen}");
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
fn the_demo_opens_on_the_simulated_world_and_a_canary_step_goes_through() {
    if std::process::Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_err()
    {
        return;
    }
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
    let first = tmux.wait_for("2.1.1 shadow");
    assert!(
        first.contains("2.0.5 stable") && first.contains("2.1.0 canary"),
        "{first}"
    );
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
