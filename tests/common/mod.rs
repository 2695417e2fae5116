//! A headless console: the real state, keymap, update and effects, driven
//! by key names, rendered on ratatui's TestBackend.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

pub mod rollouts;

use modeldeck::app::effects::perform;
use modeldeck::app::shared::Session;
use modeldeck::app::{Action, State, ViewId, keys, update};
use modeldeck::config::{self, Config, Key, LoadOptions};
use modeldeck::ui::{self, Ui};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub struct Harness {
    pub state: State,
    pub config: Config,
    /// Draw with plain-ASCII glyphs.
    pub ascii: bool,
    runtime: tokio::runtime::Runtime,
}

impl Harness {
    /// The console on the bundled demo registry and the fixture audit log.
    pub fn new() -> Harness {
        Harness::with_registry("models")
    }

    pub fn with_registry(registry: &str) -> Harness {
        let opts = LoadOptions {
            config_dir: PathBuf::from("/nonexistent/modeldeck-test-config"),
            ..LoadOptions::default()
        };
        let config = config::load(&opts).expect("built-in configuration loads").config;
        let session = Session {
            context: None,
            namespace: "default".into(),
            namespace_set: false,
            readonly: false,
            registry_location: registry.into(),
            audit_path: "tests/fixtures/audit.jsonl".into(),
        };
        let mut state = State::new(session, ViewId::Models);
        // As the console starts: the Alerts view knows its rules' units and
        // the track label.
        state.alerts = modeldeck::app::alerts::AlertsState::for_settings(&config.settings);
        state.clock = Some(
            jiff::civil::date(2026, 11, 30)
                .at(12, 34, 56, 0)
                .to_zoned(jiff::tz::TimeZone::UTC)
                .unwrap(),
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let mut harness = Harness {
            state,
            config,
            ascii: false,
            runtime,
        };
        let effects = modeldeck::app::update::init(&mut harness.state);
        harness.run_effects(effects);
        harness
    }

    /// Sends one action and performs the effects it asks for, to the end.
    pub fn dispatch(&mut self, action: Action) {
        let effects = update(&mut self.state, action);
        self.run_effects(effects);
    }

    fn run_effects(&mut self, effects: Vec<modeldeck::app::Effect>) {
        // Cluster effects are left unanswered: the harness has no cluster,
        // so the Rollouts view stays "connecting" unless a test feeds it.
        for effect in effects {
            if let Some(answer) = self.runtime.block_on(perform(effect)) {
                self.dispatch(answer);
            }
        }
    }

    /// Presses keys given by keymap names, separated by spaces: "j j tab".
    pub fn press(&mut self, keys: &str) {
        for name in keys.split(' ').filter(|k| !k.is_empty()) {
            let key = Key::parse(name).expect("key name");
            let modifiers = if matches!(key.code, KeyCode::Char(c) if c.is_ascii_uppercase()) {
                key.mods | KeyModifiers::SHIFT
            } else {
                key.mods
            };
            self.key(KeyEvent::new(key.code, modifiers));
        }
    }

    /// Types text character by character, as into the command line.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    pub fn key(&mut self, event: KeyEvent) {
        if let Some(action) = keys::resolve(&self.state, &self.config.keymap, &event) {
            self.dispatch(action);
        }
    }

    /// The screen as text, at `width`×`height`.
    pub fn render(&mut self, width: u16, height: u16) -> String {
        self.state.size = (width, height);
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
        let ui = Ui {
            theme: &self.config.theme,
            keymap: &self.config.keymap,
            glyphs: modeldeck::ui::Glyphs::new(self.ascii),
        };
        terminal.draw(|frame| ui::draw(frame, &self.state, &ui)).expect("draw");
        // As the event loop does: what the frame measured goes back in.
        let measured = ui::measure(&self.state, &ui, (width, height));
        let screen = terminal.backend().to_string();
        if measured != self.state.measured {
            self.dispatch(Action::Measured(measured));
        }
        screen
    }
}
