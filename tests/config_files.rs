//! The fixture directories under tests/configs:
//! - valid: loads with no warning at all;
//! - warn: loads, with exactly the warnings its `# warning: LINE: TEXT`
//!   comments give (LINE `built-in` for the built-in file, `-` for none;
//!   TEXT ending in `...` is a prefix), and with the settings its
//!   `# setting: PATH = VALUE` and bindings its `# binding: CONTEXT KEY =
//!   ACTION` comments give: what was wrong is left out, the rest applies;
//! - invalid: not TOML at all, refused whole with one error naming the
//!   file (once), the line of its `# error-line:` comment, and the column.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

use std::path::{Path, PathBuf};
use std::process::Command;

use modeldeck::app::{KeyAction, ViewId};
use modeldeck::config::{self, DEFAULT_CONFIG_NAME, Key, KeyContext, LoadOptions};

fn options(file: &Path) -> LoadOptions {
    LoadOptions {
        config_file: Some(file.to_path_buf()),
        config_dir: PathBuf::from("/nonexistent/modeldeck-test-config"),
        ..LoadOptions::default()
    }
}

fn files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no files in {dir}");
    files
}

fn expectation(text: &str, name: &str) -> Option<String> {
    expectations(text, name).into_iter().next()
}

fn expectations(text: &str, name: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix(&format!("# {name}:")))
        .map(|v| v.trim().to_owned())
        .collect()
}

/// Whether `warning` is the one `expected` (`LINE: TEXT`) describes.
fn warning_matches(file: &Path, expected: &str, warning: &str) -> bool {
    let (line, text) = expected.split_once(": ").unwrap();
    let rest = match line {
        "-" => Some(warning),
        "built-in" => warning
            .strip_prefix(&format!("{DEFAULT_CONFIG_NAME}:"))
            .and_then(|w| w.split_once(": "))
            .map(|(_, rest)| rest),
        line => warning.strip_prefix(&format!("{}:{line}: ", file.display())),
    };
    match (rest, text.strip_suffix("...")) {
        (Some(rest), Some(prefix)) => rest.starts_with(prefix),
        (Some(rest), None) => rest == text,
        (None, _) => false,
    }
}

/// The effective setting at a dotted path (numbers index lists).
fn setting(settings: &toml::Value, path: &str) -> Option<toml::Value> {
    path.split('.')
        .try_fold(settings, |value, key| match key.parse::<usize>() {
            Ok(index) => value.get(index),
            Err(_) => value.get(key),
        })
        .cloned()
}

#[test]
fn every_valid_file_loads_without_warnings() {
    for file in files("tests/configs/valid") {
        match config::load(&options(&file)) {
            Ok(loaded) => assert!(loaded.warnings.is_empty(), "{}: {:?}", file.display(), loaded.warnings),
            Err(e) => panic!("{} should load: {e}", file.display()),
        }
    }
}

#[test]
fn every_warn_file_loads_with_its_warnings_and_the_rest_applies() {
    for file in files("tests/configs/warn") {
        let text = std::fs::read_to_string(&file).unwrap();
        let loaded = config::load(&options(&file)).unwrap_or_else(|e| panic!("{} should load: {e}", file.display()));
        let expected = expectations(&text, "warning");
        assert!(!expected.is_empty(), "{} lacks # warning:", file.display());
        assert_eq!(
            loaded.warnings.len(),
            expected.len(),
            "{}: expected {expected:#?}, found {:#?}",
            file.display(),
            loaded.warnings
        );
        for (expected, warning) in expected.iter().zip(&loaded.warnings) {
            assert!(
                warning_matches(&file, expected, warning),
                "{}:\nexpected {expected}\nfound    {warning}",
                file.display()
            );
        }

        let settings = toml::Value::try_from(&loaded.config.settings).unwrap();
        for line in expectations(&text, "setting") {
            let (path, value) = line.split_once(" = ").unwrap();
            let value: toml::Value = toml::from_str::<toml::Table>(&format!("v = {value}")).unwrap()["v"].clone();
            assert_eq!(
                setting(&settings, path),
                Some(value),
                "{}: setting {path}",
                file.display()
            );
        }
        for line in expectations(&text, "binding") {
            let (context_key, action) = line.split_once(" = ").unwrap();
            let (context, key) = context_key.split_once(' ').unwrap();
            let context = KeyContext::ALL.into_iter().find(|c| c.name() == context).unwrap();
            assert_eq!(
                loaded.config.keymap.lookup(&[context], Key::parse(key).unwrap()),
                Some(KeyAction::from_name(action).unwrap()),
                "{}: binding {line}",
                file.display()
            );
        }
    }
}

#[test]
fn every_invalid_file_is_refused_with_file_line_and_column() {
    for file in files("tests/configs/invalid") {
        let text = std::fs::read_to_string(&file).unwrap();
        let line: usize = expectation(&text, "error-line")
            .unwrap_or_else(|| panic!("{} lacks # error-line:", file.display()))
            .parse()
            .unwrap();
        let contains = expectation(&text, "error-contains").unwrap_or_default();
        let err = match config::load(&options(&file)) {
            Ok(_) => panic!("{} should be refused", file.display()),
            Err(e) => e,
        };
        let message = err.to_string();
        assert_eq!(err.line, line, "{}: {message}", file.display());
        assert!(err.col > 0, "{message}");
        assert_eq!(err.file, file, "{message}");
        assert!(
            message.starts_with(&format!("{}:{line}:{}: ", file.display(), err.col)),
            "message names file, line and column: {message}"
        );
        assert_eq!(
            message.matches(&*file.display().to_string()).count(),
            1,
            "the path once: {message}"
        );
        assert!(
            message.contains(&contains),
            "{}: {message:?} lacks {contains:?}",
            file.display()
        );
    }
}

#[test]
fn the_built_in_defaults_load_without_warnings_or_key_clashes() {
    let loaded = config::load(&LoadOptions::default()).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let settings = &loaded.config.settings;
    assert_eq!(settings.ui.theme, "default");
    assert_eq!(settings.ui.start_view.0, ViewId::Models);
    assert_eq!(settings.registry.path, PathBuf::from("models"));
    assert_eq!(settings.metrics.panels.len(), 6);
    assert_eq!(settings.alerts.len(), 2);
    for context in KeyContext::ALL {
        let mut seen = Vec::new();
        for binding in loaded.config.keymap.bindings(context) {
            assert!(!binding.desc.is_empty());
            for key in &binding.keys {
                assert!(!seen.contains(key), "{key} bound twice in {}", context.name());
                seen.push(*key);
            }
        }
    }
}

#[test]
fn user_settings_merge_over_the_defaults() {
    let loaded = config::load(&options(Path::new("tests/configs/valid/full.toml"))).unwrap();
    let s = &loaded.config.settings;
    assert_eq!(s.ui.frame_rate, 60);
    assert!(s.ui.ascii && s.kubernetes.readonly);
    assert_eq!(s.kubernetes.namespace, "ml-serving");
    assert_eq!(loaded.config.theme.name, "high-contrast");

    // A file that sets one thing keeps every other default.
    let loaded = config::load(&options(Path::new("tests/configs/warn/unknown_key.toml"))).unwrap();
    assert_eq!(loaded.config.settings.ui.theme, "light");
    assert_eq!(loaded.config.settings.ui.frame_rate, 30);
    assert_eq!(
        loaded.config.settings.kubernetes.namespace, "",
        "empty: the context decides"
    );
}

#[test]
fn user_bindings_replace_and_add_keys() {
    let loaded = config::load(&options(Path::new("tests/configs/valid/keymap.toml"))).unwrap();
    let keymap = &loaded.config.keymap;
    let list = [KeyContext::List, KeyContext::Global];
    let key = |k: &str| Key::parse(k).unwrap();
    assert_eq!(keymap.lookup(&list, key("n")), Some(KeyAction::Down));
    assert_eq!(
        keymap.lookup(&list, key("j")),
        None,
        "the user's binding replaced j/down"
    );
    assert_eq!(keymap.lookup(&list, key("f5")), Some(KeyAction::Refresh));
    assert_eq!(keymap.lookup(&list, key("ctrl-r")), Some(KeyAction::Refresh));
    assert_eq!(
        keymap.lookup(&list, key("q")),
        Some(KeyAction::Quit),
        "untouched bindings stay"
    );
}

#[test]
fn unknown_themes_fall_back_to_the_default_theme() {
    let loaded = config::load(&options(Path::new("tests/configs/warn/unknown_theme.toml"))).unwrap();
    assert_eq!(loaded.config.theme.name, "default");
}

#[test]
fn no_color_forces_the_mono_theme() {
    let mut opts = options(Path::new("tests/configs/valid/full.toml"));
    opts.no_color = Some("NO_COLOR is set".into());
    assert_eq!(config::load(&opts).unwrap().config.theme.name, "mono");
}

#[test]
fn a_file_that_is_not_toml_leaves_the_defaults_running_with_the_error() {
    let loaded = config::load_or_defaults(&options(Path::new("tests/configs/invalid/syntax.toml")));
    let err = loaded.error.expect("the error is kept for the UI");
    assert_eq!(err.line, 4);
    assert_eq!(loaded.config.settings.ui.frame_rate, 30);
}

#[test]
fn a_named_config_file_that_does_not_exist_is_an_error() {
    let err = config::load(&options(Path::new("tests/configs/nope.toml"))).unwrap_err();
    assert!(err.to_string().contains("nope.toml"), "{err}");
    assert!(err.to_string().contains("cannot read"), "{err}");
}

const TYPO: &str = "tests/configs/warn/typo.toml";
const TYPO_KUBECONFIG: &str = "/nonexistent/modeldeck-typo/kubeconfig";

fn modeldeck(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_modeldeck"))
        .args(args)
        .env("MODELDECK_CONFIG_DIR", "/nonexistent/modeldeck-test-config")
        .env(
            "MODELDECK_STATE_DIR",
            std::env::temp_dir().join("modeldeck-config-files-state"),
        )
        .env_remove("KUBECONFIG")
        .output()
        .unwrap()
}

#[test]
fn a_typo_keeps_the_kubeconfig_and_the_rest_of_the_file() {
    let loaded = config::load_or_defaults(&options(Path::new(TYPO)));
    assert!(loaded.error.is_none(), "{:?}", loaded.error);
    let s = &loaded.config.settings;
    assert_eq!(s.kubernetes.kubeconfig, TYPO_KUBECONFIG);
    assert_eq!(s.kubernetes.namespace, "ml-serving");
    assert_eq!((s.metrics.refresh, s.metrics.timeout), (5, 3));
    assert_eq!(
        loaded.warnings,
        [format!(
            "{TYPO}:13: unknown key `metrics.refesh` ignored; did you mean `refresh`?"
        )]
    );
}

#[test]
fn info_shows_the_typo_as_a_warning_over_the_settings_in_effect() {
    let out = modeldeck(&["--config", TYPO, "info"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "\nwarnings\n  {TYPO}:13: unknown key `metrics.refesh` ignored; did you mean `refresh`?\n"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("kubeconfig = \"{TYPO_KUBECONFIG}\"")),
        "{stdout}"
    );
    assert!(stdout.contains("namespace = \"ml-serving\""), "{stdout}");
}

#[test]
fn a_command_with_the_typo_uses_its_kubeconfig_and_names_it_once() {
    let out = modeldeck(&["--config", TYPO, "status"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("configuration error"), "{stderr}");
    assert!(
        stderr.contains(&format!("kubeconfig {TYPO_KUBECONFIG}: cannot read it: ")),
        "{stderr}"
    );
    assert_eq!(stderr.matches(TYPO_KUBECONFIG).count(), 1, "the path once: {stderr}");
}
