//! A headless console on a real runtime: the real keymap, update, effects
//! runner, kube runner and ops, attached to a simulated cluster (and, when
//! given, a metrics source with its alerts and guard watch).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use modeldeck::app::effects::EffectRunner;
use modeldeck::app::metrics_watch::WatchSetup;
use modeldeck::app::screen::Mode;
use modeldeck::app::shared::Session;
use modeldeck::app::{Action, State, ViewId, keys, update};
use modeldeck::backends::kube::KubeTarget;
use modeldeck::backends::metrics::MetricsBackend;
use modeldeck::config::settings::{RolloutSettings, RouterKind, TrafficSettings};
use modeldeck::config::{self, Config, Key, LoadOptions, Settings};
use modeldeck::ops::ReadOnlyRule;
use modeldeck::ops::op::OpsConfig;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// Where the console attaches.
pub struct Attach {
    pub kubeconfig: PathBuf,
    pub audit: PathBuf,
    pub readonly: Option<String>,
    pub context: Option<String>,
    pub namespace: String,
    /// A metrics source: its settings (the built-in ones when None).
    pub metrics: Option<Settings>,
}

impl Attach {
    /// The operator's connection to a simulated cluster in ml-serving,
    /// auditing into `dir`/state/audit.jsonl, without metrics.
    pub fn operator(kubeconfig: PathBuf, dir: &std::path::Path) -> Attach {
        Attach {
            kubeconfig,
            audit: dir.join("state/audit.jsonl"),
            readonly: None,
            context: None,
            namespace: "ml-serving".into(),
            metrics: None,
        }
    }
}

pub struct Console {
    pub state: State,
    pub config: Config,
    runner: EffectRunner,
    answers: UnboundedReceiver<Action>,
    runtime: tokio::runtime::Runtime,
}

impl Console {
    pub fn start(attach: Attach) -> Console {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut config = config::load(&LoadOptions::default()).unwrap().config;
        let mut rollouts = BTreeMap::new();
        rollouts.insert(
            "malaria-predictor".to_owned(),
            RolloutSettings {
                router: RouterKind::GatewayApi,
                route: "malaria-predictor".into(),
                stable: "malaria-predictor-blue".into(),
                canary: "malaria-predictor-green".into(),
                shadow: "malaria-predictor-shadow".into(),
                ..RolloutSettings::default()
            },
        );
        let kube = OpsConfig {
            target: KubeTarget {
                kubeconfig: Some(attach.kubeconfig.clone()),
                context: attach.context.clone(),
                namespace: Some(attach.namespace.clone()),
                timeout: None,
                versions: Default::default(),
            },
            readonly: ReadOnlyRule {
                everywhere: attach.readonly.clone(),
                contexts: Vec::new(),
            },
            settings: TrafficSettings {
                rollouts: rollouts.clone(),
                ladder: vec![5, 10, 25, 50, 100],
            },
            audit: attach.audit.clone(),
            login: "tester".into(),
        };
        let session = Session {
            context: None,
            namespace: attach.namespace.as_str().into(),
            namespace_set: true,
            readonly: attach.readonly.is_some(),
            registry_location: "models".into(),
            audit_path: attach.audit.clone(),
        };
        let mut state = State::new(session, ViewId::Models);
        state.clock = Some(jiff::Zoned::now());
        let (tx, answers) = unbounded_channel();
        let runner = {
            let _guard = runtime.enter();
            let (backend, watch) = match attach.metrics {
                Some(mut settings) => {
                    settings.rollouts = rollouts;
                    config.settings = settings.clone();
                    let backend = Arc::new(MetricsBackend::new(&settings.metrics, &|_| None).unwrap());
                    state.metrics =
                        modeldeck::app::metrics::MetricsState::new(&settings.metrics, backend.describe(), None);
                    state.alerts = modeldeck::app::alerts::AlertsState::for_settings(&settings);
                    let watch = WatchSetup {
                        settings,
                        kube: kube.clone(),
                        namespace: attach.namespace.clone(),
                    };
                    (Some(backend), Some(watch))
                }
                None => (None, None),
            };
            EffectRunner::new(tx, kube, backend, watch)
        };
        let mut console = Console {
            state,
            config,
            runner,
            answers,
            runtime,
        };
        let effects = modeldeck::app::update::init(&mut console.state);
        console.run(effects);
        console
    }

    /// What the console would wait for on the way out.
    pub fn actions_running(&self) -> Vec<String> {
        self.runner.actions_running()
    }

    /// Quits as the event loop does: no answer is read any more (the
    /// background loops stop at their next one), then what is running gets
    /// up to `within` to finish. Returns what was still running.
    pub fn quit(self, within: Duration) -> Vec<String> {
        let Console {
            runner,
            answers,
            runtime,
            ..
        } = self;
        drop(answers);
        runtime.block_on(runner.finish_actions(within))
    }

    pub fn run(&mut self, effects: Vec<modeldeck::app::Effect>) {
        let _guard = self.runtime.enter();
        for effect in effects {
            self.runner.spawn(effect);
        }
    }

    pub fn press(&mut self, names: &str) {
        for name in names.split(' ') {
            let key = Key::parse(name).unwrap();
            let shift = matches!(key.code, KeyCode::Char(c) if c.is_ascii_uppercase());
            let event = KeyEvent::new(
                key.code,
                if shift {
                    key.mods | KeyModifiers::SHIFT
                } else {
                    key.mods
                },
            );
            if let Some(action) = keys::resolve(&self.state, &self.config.keymap, &event) {
                let effects = update(&mut self.state, action);
                self.run(effects);
            }
        }
    }

    /// Feeds answers into update until `done` holds (a condition with a
    /// deadline, never a fixed sleep).
    pub fn until(&mut self, what: &str, done: impl Fn(&State) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !done(&self.state) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; status: {:?}",
                self.state.status
            );
            let answer = self
                .runtime
                .block_on(async { tokio::time::timeout(Duration::from_millis(200), self.answers.recv()).await });
            if let Ok(Some(action)) = answer {
                let effects = update(&mut self.state, action);
                self.run(effects);
            }
        }
    }

    /// Types a `:` command and runs it.
    pub fn type_command(&mut self, text: &str) {
        self.press(":");
        for c in text.chars() {
            let event = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
            if let Some(action) = keys::resolve(&self.state, &self.config.keymap, &event) {
                let effects = update(&mut self.state, action);
                self.run(effects);
            }
        }
        self.press("enter");
    }

    /// Runs a `:` command, then answers its confirmation with "y".
    pub fn command(&mut self, text: &str) {
        self.type_command(text);
        self.until("the confirmation", |s| {
            // A refusal is an answer too: fail with it rather than wait.
            assert!(
                !s.status
                    .as_ref()
                    .is_some_and(|t| t.level == modeldeck::app::shared::Level::Error),
                "{:?}",
                s.status
            );
            s.mode == Mode::Confirm
        });
        self.press("y");
        self.until("the action", |s| s.rollouts.busy.is_none() && s.status.is_some());
    }

    pub fn open_rollouts(&mut self) {
        self.press("2");
        self.until("the rollouts list", |s| {
            s.rollouts.selected().is_some_and(|r| r.name == "malaria-predictor")
        });
    }

    pub fn status(&self) -> String {
        self.state
            .status
            .as_ref()
            .map(|s| s.text.to_string())
            .unwrap_or_default()
    }
}

impl Console {
    /// The screen as text, at `width`×`height`.
    pub fn render(&mut self, width: u16, height: u16) -> String {
        let buffer = self.render_buffer(width, height);
        let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).unwrap();
        terminal.draw(|frame| frame.buffer_mut().merge(&buffer)).unwrap();
        terminal.backend().to_string()
    }

    /// The screen's cells, styles and all, at `width`×`height`.
    pub fn render_buffer(&mut self, width: u16, height: u16) -> ratatui::buffer::Buffer {
        self.state.size = (width, height);
        let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).unwrap();
        let ui = modeldeck::ui::Ui {
            theme: &self.config.theme,
            keymap: &self.config.keymap,
            glyphs: modeldeck::ui::Glyphs::new(false),
        };
        terminal
            .draw(|frame| modeldeck::ui::draw(frame, &self.state, &ui))
            .unwrap();
        let measured = modeldeck::ui::measure(&self.state, &ui, (width, height));
        let buffer = terminal.backend().buffer().clone();
        if measured != self.state.measured {
            let effects = update(&mut self.state, Action::Measured(measured));
            self.run(effects);
        }
        buffer
    }

    /// A tick of the console's clock, as the event loop sends every second.
    pub fn tick(&mut self) {
        let effects = update(&mut self.state, Action::Tick(jiff::Zoned::now()));
        self.run(effects);
    }
}
