//! What a guard (the automated rollback) is doing, as plain data: its
//! action, what it did, and the state an operator reads on the rollout's
//! row and in the Alerts view — armed, pending, acted, failed or off.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GuardAction {
    /// The canary's traffic to 0% through its router.
    #[default]
    CanaryAbort,
    /// The blue-green Service back to the version it was switched from.
    SwitchBack,
    /// `rollout undo` of the deployment.
    Undo,
}

impl GuardAction {
    pub fn describe(self) -> &'static str {
        match self {
            GuardAction::CanaryAbort => "abort the canary",
            GuardAction::SwitchBack => "switch the Service back",
            GuardAction::Undo => "undo the rollout",
        }
    }

    /// One word for a narrow column.
    pub fn word(self) -> &'static str {
        match self {
            GuardAction::CanaryAbort => "abort",
            GuardAction::SwitchBack => "switch back",
            GuardAction::Undo => "undo",
        }
    }
}

/// What a guard did.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardEvent {
    /// Unix seconds.
    pub at: f64,
    pub deployment: String,
    pub rule: String,
    pub version: String,
    pub action: GuardAction,
    /// The change made (or why none was needed), or why it failed.
    pub outcome: Result<String, String>,
}

impl GuardEvent {
    pub fn describe(&self) -> String {
        let head = format!(
            "guard {}: {} fired for version {}, so: {}",
            self.deployment,
            self.rule,
            self.version,
            self.action.describe()
        );
        match &self.outcome {
            Ok(done) => format!("{head}: {done}"),
            Err(e) => format!("{head}: FAILED: {e}"),
        }
    }
}

/// Where a guard stands now.
#[derive(Debug, Clone, PartialEq)]
pub enum GuardState {
    /// Watching: its rule holds for no version it would act on.
    Armed,
    /// The rule holds for `version` of the watched track: `held` seconds of
    /// the `hold` it needs before it fires.
    Pending { version: String, held: f64, hold: f64 },
    /// The rule fires for `version`, which the guard acted on already (its
    /// last event says how): it waits for a new release.
    Acted { version: String },
    /// It cannot act: read-only mode, no cluster, no fresh data.
    Off(String),
}

/// One guard's state, with its last event, for the views.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardReport {
    pub deployment: String,
    pub rule: String,
    pub track: String,
    pub action: GuardAction,
    pub state: GuardState,
    pub last: Option<GuardEvent>,
}

impl GuardReport {
    /// In words, for the Alerts view: "armed", "pending 2.1.1: 35s of
    /// 1m", "acted 22:06:01: undo 2.1.1: roll back …", "FAILED 22:06:01:
    /// undo 2.1.1: refused: …", "off: read-only mode". `clock` renders a
    /// Unix time as the operator's local time.
    pub fn describe(&self, clock: &dyn Fn(f64) -> String) -> String {
        let last = self.last.as_ref().map(|e| {
            let (verdict, outcome) = match &e.outcome {
                Ok(done) => ("acted", done),
                Err(e) => ("FAILED", e),
            };
            format!(
                "{verdict} {}: {} {}: {outcome}",
                clock(e.at),
                self.action.word(),
                e.version
            )
        });
        let state = match &self.state {
            GuardState::Off(why) => format!("off: {why}"),
            GuardState::Pending { version, held, hold } => format!(
                "pending {version}: {} of {}",
                crate::text::human_age(*held as i64),
                crate::text::human_age(*hold as i64)
            ),
            GuardState::Acted { .. } | GuardState::Armed => match last {
                // The last event is the state until something newer happens.
                Some(last) if matches!(self.state, GuardState::Acted { .. }) => return last,
                Some(last) => return format!("armed; last {last}"),
                None => "armed".into(),
            },
        };
        match last {
            Some(last) => format!("{state}; last {last}"),
            None => state,
        }
    }

    /// A few words for the rollout's row: "armed", "pending 35s/1m",
    /// "acted 22:06", "FAILED 22:06", "off".
    pub fn short(&self, clock: &dyn Fn(f64) -> String) -> String {
        match (&self.state, &self.last) {
            (GuardState::Off(_), _) => "off".into(),
            (GuardState::Pending { held, hold, .. }, _) => format!(
                "pending {}/{}",
                crate::text::human_age(*held as i64),
                crate::text::human_age(*hold as i64)
            ),
            (GuardState::Acted { .. }, Some(e)) => {
                let verdict = if e.outcome.is_ok() { "acted" } else { "FAILED" };
                format!("{verdict} {}", clock(e.at))
            }
            (GuardState::Acted { .. } | GuardState::Armed, _) => "armed".into(),
        }
    }

    /// Whether its last attempt failed and nothing newer replaced it.
    pub fn failed(&self) -> bool {
        self.last.as_ref().is_some_and(|e| e.outcome.is_err())
    }
}
