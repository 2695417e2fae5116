//! Every file in tests/configs/valid loads; every file in
//! tests/configs/invalid is refused with an error naming the file and the
//! line given by its `# error-line:` comment.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

use std::path::{Path, PathBuf};

use modeldeck::app::{KeyAction, ViewId};
use modeldeck::config::{self, Key, KeyContext, LoadOptions};

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
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("# {name}:")))
        .map(|v| v.trim().to_owned())
}

#[test]
fn every_valid_file_loads() {
    for file in files("tests/configs/valid") {
        if let Err(e) = config::load(&options(&file)) {
            panic!("{} should load: {e}", file.display());
        }
    }
}

#[test]
fn every_invalid_file_is_refused_with_file_and_line() {
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
        assert_eq!(err.file, file, "{message}");
        assert!(
            message.starts_with(&format!("{}:{line}:", file.display())),
            "message names file and line: {message}"
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
    let loaded = config::load(&options(Path::new("tests/configs/valid/unknown_key.toml"))).unwrap();
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
fn unknown_keys_and_themes_are_warnings() {
    let loaded = config::load(&options(Path::new("tests/configs/valid/unknown_key.toml"))).unwrap();
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    assert!(
        loaded.warnings[0].contains("unknown key `ui.colour`"),
        "{:?}",
        loaded.warnings
    );
    assert!(
        loaded.warnings[0].contains("unknown_key.toml"),
        "names the file: {:?}",
        loaded.warnings
    );

    let loaded = config::load(&options(Path::new("tests/configs/valid/unknown_theme.toml"))).unwrap();
    assert_eq!(loaded.config.theme.name, "default");
    assert!(
        loaded.warnings[0].contains("unknown theme \"solarized\""),
        "{:?}",
        loaded.warnings
    );
}

#[test]
fn no_color_forces_the_mono_theme() {
    let mut opts = options(Path::new("tests/configs/valid/full.toml"));
    opts.no_color = Some("NO_COLOR is set".into());
    assert_eq!(config::load(&opts).unwrap().config.theme.name, "mono");
}

#[test]
fn a_rejected_file_leaves_the_defaults_running_with_the_error() {
    let loaded = config::load_or_defaults(&options(Path::new("tests/configs/invalid/wrong_type.toml")));
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
