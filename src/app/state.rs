//! Everything the console shows, as plain data. Views render from it; only
//! `update` changes it.

use super::ViewId;
use super::alerts::AlertsState;
use super::list_cursor::ListCursor;
use super::metrics::MetricsState;
use super::predict::PredictState;
pub use super::registry_rows::{VersionRow, version_rows};
use super::resource::Resource;
use super::rollouts::RolloutsState;
use super::screen::{Measure, Mode, Pane};
use super::shared::{Level, Message, Notice, Session, Shared, Status};
use crate::backends::audit_log::AuditRead;
use crate::domain::RegistryLoad;
use crate::text::Clean;

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub view: ViewId,
    /// Views left with a view switch, for `esc`.
    pub history: Vec<ViewId>,
    pub mode: Mode,
    pub help_scroll: u16,
    pub session: Session,
    pub models: ModelsState,
    pub rollouts: RolloutsState,
    pub audit: AuditState,
    pub metrics: MetricsState,
    pub alerts: AlertsState,
    pub predict: PredictState,
    pub status: Option<Status>,
    /// Every message of the session, oldest first (the status line shows
    /// the newest's gist; the Log view shows them whole).
    pub messages: Vec<Message>,
    pub log: LogState,
    /// Commands run this session, oldest first, for up/down in `:` mode.
    pub command_history: Vec<String>,
    /// Position while walking the history; `None` when editing a new line.
    pub history_index: Option<usize>,
    /// Warnings from loading the configuration, shown in a banner.
    pub config_warnings: Vec<String>,
    /// A rejected user configuration: the console runs on the defaults.
    pub config_error: Option<String>,
    /// Notices the operator dismissed (`esc`), by their key.
    pub dismissed: Vec<String>,
    /// Local wall-clock time, set by ticks (rendering never reads a clock).
    pub clock: Option<jiff::Zoned>,
    /// Terminal size in cells.
    pub size: (u16, u16),
    /// What the last frame measured of its scrollable panes.
    pub measured: Measure,
    pub quit: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogState {
    pub cursor: ListCursor,
}

impl LogState {
    /// Indexes of the messages that pass the filter, newest first.
    pub fn rows(&self, messages: &[Message]) -> Vec<usize> {
        (0..messages.len())
            .rev()
            .filter(|&i| self.cursor.matches([messages[i].text.as_str()]))
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelsState {
    pub registry: Resource<RegistryLoad>,
    pub cursor: ListCursor,
    pub focus: Pane,
    pub detail_scroll: u16,
}

impl ModelsState {
    /// The versions that pass the filter, newest first within each model.
    pub fn rows(&self) -> Vec<VersionRow> {
        version_rows(self.registry.loaded(), &self.cursor)
    }
}

impl ModelsState {
    /// How far the detail pane may scroll: its fixed fields plus one line
    /// per extra run metric, so scrolling never runs into blank space.
    pub fn detail_scroll_limit(&self) -> u16 {
        const FIXED_LINES: usize = 9;
        let rows = self.rows();
        let extra = rows
            .get(self.cursor.selected)
            .zip(self.registry.loaded())
            .map_or(0, |(row, load)| {
                load.models[row.model].versions[row.version].metrics.other.len()
            });
        (extra + FIXED_LINES).saturating_sub(4) as u16
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuditState {
    pub log: Resource<AuditRead>,
    pub cursor: ListCursor,
    /// The selected entry shown whole (`enter`; `esc` closes it).
    pub open: bool,
}

impl AuditState {
    /// Indexes of the entries that pass the filter, newest first.
    pub fn rows(&self) -> Vec<usize> {
        let Some(read) = self.log.loaded() else {
            return Vec::new();
        };
        (0..read.entries.len())
            .rev()
            .filter(|&i| {
                let e = &read.entries[i];
                self.cursor.matches([
                    e.user.as_str(),
                    e.action.as_str(),
                    e.target.as_str(),
                    e.outcome.as_str(),
                ])
            })
            .collect()
    }
}

impl State {
    pub fn new(session: Session, start_view: ViewId) -> State {
        State {
            view: start_view,
            history: Vec::new(),
            mode: Mode::Normal,
            help_scroll: 0,
            session,
            models: ModelsState::default(),
            rollouts: RolloutsState::default(),
            audit: AuditState::default(),
            metrics: MetricsState::default(),
            alerts: AlertsState::default(),
            predict: PredictState::default(),
            status: None,
            messages: Vec::new(),
            log: LogState::default(),
            command_history: Vec::new(),
            history_index: None,
            config_warnings: Vec::new(),
            config_error: None,
            dismissed: Vec::new(),
            clock: None,
            size: (80, 24),
            measured: Measure::default(),
            quit: false,
        }
    }

    /// The list cursor of the current view, if it has a list.
    pub fn cursor_mut(&mut self) -> Option<&mut ListCursor> {
        match self.view {
            ViewId::Models => Some(&mut self.models.cursor),
            ViewId::Rollouts => Some(&mut self.rollouts.cursor),
            ViewId::Metrics => Some(&mut self.metrics.cursor),
            ViewId::Alerts => Some(&mut self.alerts.cursor),
            ViewId::Predict => Some(&mut self.predict.cursor),
            ViewId::Audit => Some(&mut self.audit.cursor),
            ViewId::Log => Some(&mut self.log.cursor),
        }
    }

    pub fn cursor(&self) -> Option<&ListCursor> {
        match self.view {
            ViewId::Models => Some(&self.models.cursor),
            ViewId::Rollouts => Some(&self.rollouts.cursor),
            ViewId::Metrics => Some(&self.metrics.cursor),
            ViewId::Alerts => Some(&self.alerts.cursor),
            ViewId::Predict => Some(&self.predict.cursor),
            ViewId::Audit => Some(&self.audit.cursor),
            ViewId::Log => Some(&self.log.cursor),
        }
    }

    /// Number of rows in the current view's list.
    pub fn row_count(&self) -> usize {
        match self.view {
            ViewId::Models => self.models.rows().len(),
            ViewId::Rollouts => self.rollouts.rows().len(),
            ViewId::Metrics => self.metrics.rows().len(),
            ViewId::Alerts => self.alerts.rows().len(),
            ViewId::Predict => self.predict.rows(self.models.registry.loaded()).len(),
            ViewId::Audit => self.audit.rows().len(),
            ViewId::Log => self.log.rows(&self.messages).len(),
        }
    }

    /// The notices not dismissed, most urgent first: what the guard did
    /// (an automated rollback must never go unnoticed), then the
    /// configuration's problems.
    pub fn notices(&self) -> Vec<Notice> {
        let mut all = Vec::new();
        if let Some(event) = self.alerts.guard_events.last() {
            let time = jiff::Timestamp::from_millisecond((event.at * 1000.0) as i64)
                .map(|t| {
                    let zone = self
                        .clock
                        .as_ref()
                        .map_or(jiff::tz::TimeZone::UTC, |c| c.time_zone().clone());
                    t.to_zoned(zone).strftime("%H:%M:%S").to_string()
                })
                .unwrap_or_default();
            all.push(Notice {
                key: format!("guard {} {}", event.at, event.deployment),
                level: if event.outcome.is_ok() {
                    Level::Warn
                } else {
                    Level::Error
                },
                // What it did and how it ended first; the whole story is in
                // the log and the Alerts view.
                text: Clean::new(&format!(
                    "{time} guard {}: {} {} {}, as {} fired",
                    if event.outcome.is_ok() { "done" } else { "FAILED" },
                    event.action.word(),
                    event.deployment,
                    event.version,
                    event.rule
                )),
                more: 0,
            });
        }
        if let Some(headline) = self.rollouts.stale.headline("cluster") {
            let shown = if self.rollouts.list.loaded().is_some() {
                "the list is as it was then"
            } else {
                "nothing read yet"
            };
            all.push(Notice {
                key: format!("cluster {}", self.rollouts.stale.why().unwrap_or_default()),
                level: Level::Error,
                text: Clean::new(&format!("{headline}; {shown}, retrying")),
                more: 0,
            });
        }
        if let Some(notice) = self.metrics.outage_notice() {
            all.push(notice);
        }
        if let Some(headline) = self.alerts.error.headline("alerts") {
            let shown = if self.alerts.at.is_some() {
                "the list is as it was then"
            } else {
                "nothing read yet"
            };
            all.push(Notice {
                key: format!("alerts {}", self.alerts.error.why().unwrap_or_default()),
                level: Level::Error,
                text: Clean::new(&format!("{headline}; {shown}, retrying")),
                more: 0,
            });
        }
        if let Some(error) = &self.config_error {
            all.push(Notice {
                key: "config error".into(),
                level: Level::Error,
                text: Clean::new(&format!("config error: {error}; running on built-in defaults")),
                more: 0,
            });
        }
        if let Some(first) = self.config_warnings.first() {
            let n = self.config_warnings.len();
            all.push(Notice {
                key: "config warnings".into(),
                level: Level::Warn,
                text: Clean::new(&if n == 1 {
                    format!("config: {first}")
                } else {
                    format!("config: {n} warnings, the first: {first}")
                }),
                more: 0,
            });
        }
        all.retain(|n| !self.dismissed.contains(&n.key));
        let total = all.len();
        for (i, notice) in all.iter_mut().enumerate() {
            notice.more = total - i - 1;
        }
        all
    }

    /// The rest of the console, lent to a view's update beside its state.
    fn shared(&mut self) -> (Views<'_>, Shared<'_>) {
        (
            Views {
                rollouts: &mut self.rollouts,
                metrics: &mut self.metrics,
                alerts: &mut self.alerts,
                predict: &mut self.predict,
                models: &self.models,
            },
            Shared {
                session: &mut self.session,
                view: self.view,
                mode: &mut self.mode,
                clock: self.clock.as_ref(),
                status: &mut self.status,
                messages: &mut self.messages,
            },
        )
    }

    /// Runs a Rollouts update on its state and the shared rest.
    pub fn with_rollouts<T>(&mut self, f: impl FnOnce(&mut RolloutsState, &mut Shared) -> T) -> T {
        let (views, mut shared) = self.shared();
        f(views.rollouts, &mut shared)
    }

    /// Runs a Metrics update on its state and the shared rest.
    pub fn with_metrics<T>(&mut self, f: impl FnOnce(&mut MetricsState, &mut Shared) -> T) -> T {
        let (views, mut shared) = self.shared();
        f(views.metrics, &mut shared)
    }

    /// Runs an Alerts update on its state and the shared rest.
    pub fn with_alerts<T>(&mut self, f: impl FnOnce(&mut AlertsState, &mut Shared) -> T) -> T {
        let (views, mut shared) = self.shared();
        f(views.alerts, &mut shared)
    }

    /// Runs a Predict update on its state, the registry and the shared rest.
    pub fn with_predict<T>(&mut self, f: impl FnOnce(&mut PredictState, &mut Shared, Option<&RegistryLoad>) -> T) -> T {
        let (views, mut shared) = self.shared();
        f(views.predict, &mut shared, views.models.registry.loaded())
    }

    /// See [`Shared::set_status`].
    pub fn set_status(&mut self, level: Level, text: impl AsRef<str>) {
        self.shared().1.set_status(level, text);
    }

    /// See [`Shared::note`].
    pub fn note(&mut self, level: Level, text: impl AsRef<str>) {
        self.shared().1.note(level, text);
    }

    /// The console's clock in Unix seconds (set by ticks).
    pub fn now(&self) -> Option<f64> {
        super::shared::unix_seconds(self.clock.as_ref())
    }
}

/// The views' states, borrowed apart from the shared rest.
struct Views<'a> {
    rollouts: &'a mut RolloutsState,
    metrics: &'a mut MetricsState,
    alerts: &'a mut AlertsState,
    predict: &'a mut PredictState,
    models: &'a ModelsState,
}
