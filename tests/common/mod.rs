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
    /// The Predict view's runner, when a test asks for real predictions.
    predict: Option<Predict>,
}

/// Predictions run for real: the runner, and its answers.
struct Predict {
    runner: modeldeck::app::predict_runner::PredictRunner,
    sender: tokio::sync::mpsc::UnboundedSender<Action>,
    answers: tokio::sync::mpsc::UnboundedReceiver<Action>,
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
        state.predict = modeldeck::app::predict::PredictState::for_settings(&config.settings.predict);
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
            predict: None,
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

    /// The console with ONNX Runtime found and every prediction run for
    /// real, each answered before the next key (as the runtime's own
    /// discovery, the signatures, the run to its end).
    pub fn with_predictions() -> Harness {
        let mut h = Harness::new();
        let (sender, answers) = tokio::sync::mpsc::unbounded_channel();
        h.predict = Some(Predict {
            runner: Default::default(),
            sender,
            answers,
        });
        let effects = modeldeck::app::predict::init(&h.state.predict);
        h.run_effects(effects);
        h
    }

    /// Performs a Predict effect and dispatches its answers until the
    /// ones that end it have come (progress along the way included).
    fn run_predict(&mut self, effect: modeldeck::app::action::PredictEffect) {
        use modeldeck::app::action::{PredictAction, PredictEffect};
        let Some(predict) = self.predict.as_mut() else {
            return;
        };
        let mut pending = match &effect {
            PredictEffect::Discover { .. } | PredictEffect::Run { .. } => 1,
            PredictEffect::Signatures { files, .. } => files.len(),
            PredictEffect::Stop { .. } => 0,
        };
        {
            let _guard = self.runtime.enter();
            predict.runner.perform(effect, &predict.sender);
        }
        while pending > 0 {
            let predict = self.predict.as_mut().expect("still there");
            let answer = self
                .runtime
                .block_on(async {
                    tokio::time::timeout(std::time::Duration::from_secs(60), predict.answers.recv()).await
                })
                .expect("the predictions runner answered within a minute")
                .expect("the channel is open");
            if !matches!(answer, Action::Predict(PredictAction::Progress { .. })) {
                pending -= 1;
            }
            self.dispatch(answer);
        }
    }

    fn run_effects(&mut self, effects: Vec<modeldeck::app::Effect>) {
        // Cluster effects are left unanswered: the harness has no cluster,
        // so the Rollouts view stays "connecting" unless a test feeds it.
        // Predict effects too, unless the test asked for predictions.
        for effect in effects {
            if let modeldeck::app::Effect::Predict(effect) = effect {
                self.run_predict(effect);
                continue;
            }
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
