//! What a view's update may touch besides its own state: where the
//! console points, the mode, the clock, the status line and the log. Each
//! view's update takes its own state and this, so views never reach into
//! one another; `update` passes what one view needs of another.

use super::ViewId;
use super::screen::Mode;
use crate::text::Clean;

/// Where the console is pointed: cluster context, namespace, safety mode.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub context: Option<Clean>,
    pub namespace: Clean,
    /// Whether the namespace was chosen (flag, setting, `:ns`) rather than
    /// left to the kubeconfig context.
    pub namespace_set: bool,
    pub readonly: bool,
    pub registry_location: std::path::PathBuf,
    pub audit_path: std::path::PathBuf,
}

impl Session {
    /// Where the settings point the console; the audit log is at `audit`.
    pub fn new(settings: &crate::config::Settings, audit_path: std::path::PathBuf) -> Session {
        Session {
            context: Some(Clean::new(&settings.kubernetes.context)).filter(|c| !c.is_empty()),
            namespace: Clean::new(&settings.kubernetes.namespace_or_default()),
            namespace_set: !settings.kubernetes.namespace.is_empty(),
            readonly: settings.kubernetes.readonly,
            registry_location: settings.registry.path.clone(),
            audit_path,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub level: Level,
    pub text: Clean,
}

/// A message kept in the log: what happened, how bad, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The console's clock when it came (update reads no clock itself).
    pub at: Option<jiff::Zoned>,
    pub level: Level,
    pub text: Clean,
}

/// What the notice line (in place of the tabs) says until dismissed: the
/// guard's last action, a rejected configuration, its warnings.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// What `esc` remembers as dismissed.
    pub key: String,
    pub level: Level,
    pub text: Clean,
    /// More notices wait behind it.
    pub more: usize,
}

/// Messages kept at most; the oldest go first.
const MESSAGES_KEPT: usize = 500;

/// The rest of the console, lent to one view's update.
pub struct Shared<'a> {
    pub session: &'a mut Session,
    pub view: ViewId,
    pub mode: &'a mut Mode,
    pub clock: Option<&'a jiff::Zoned>,
    pub status: &'a mut Option<Status>,
    pub messages: &'a mut Vec<Message>,
}

impl Shared<'_> {
    /// A passing hint on the status line (completion candidates, the range
    /// shown): not kept in the log. Cleaned: it often names what the
    /// cluster or a server said.
    pub fn set_status(&mut self, level: Level, text: impl AsRef<str>) {
        *self.status = Some(Status {
            level,
            text: Clean::new(text.as_ref()),
        });
    }

    /// A message worth keeping — an action's outcome, a refusal, an error,
    /// what the guard did: on the status line, and whole in the log.
    pub fn note(&mut self, level: Level, text: impl AsRef<str>) {
        let text = Clean::new(text.as_ref());
        if self.messages.len() == MESSAGES_KEPT {
            self.messages.remove(0);
        }
        self.messages.push(Message {
            at: self.clock.cloned(),
            level,
            text: text.clone(),
        });
        *self.status = Some(Status { level, text });
    }

    /// The console's clock in Unix seconds (set by ticks).
    pub fn now(&self) -> Option<f64> {
        unix_seconds(self.clock)
    }
}

/// `clock` in Unix seconds.
pub fn unix_seconds(clock: Option<&jiff::Zoned>) -> Option<f64> {
    clock.map(|c| c.timestamp().as_millisecond() as f64 / 1000.0)
}
