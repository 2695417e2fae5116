//! The console's views, in tab order.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ViewId {
    Models,
    Rollouts,
    Metrics,
    Predict,
    Alerts,
    Audit,
    /// Every message of the session, whole, with its time.
    Log,
}

impl ViewId {
    pub const ALL: [ViewId; 7] = [
        ViewId::Models,
        ViewId::Rollouts,
        ViewId::Metrics,
        ViewId::Predict,
        ViewId::Alerts,
        ViewId::Audit,
        ViewId::Log,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ViewId::Models => "models",
            ViewId::Rollouts => "rollouts",
            ViewId::Metrics => "metrics",
            ViewId::Predict => "predict",
            ViewId::Alerts => "alerts",
            ViewId::Audit => "audit",
            ViewId::Log => "log",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ViewId::Models => "Models",
            ViewId::Rollouts => "Rollouts",
            ViewId::Metrics => "Metrics",
            ViewId::Predict => "Predict",
            ViewId::Alerts => "Alerts",
            ViewId::Audit => "Audit",
            ViewId::Log => "Log",
        }
    }

    pub fn from_name(name: &str) -> Option<ViewId> {
        ViewId::ALL.into_iter().find(|v| v.name() == name)
    }

    /// Whether the view shows a list that `/` filters and `j`/`k` move in.
    pub fn has_list(self) -> bool {
        matches!(
            self,
            ViewId::Models
                | ViewId::Rollouts
                | ViewId::Metrics
                | ViewId::Predict
                | ViewId::Alerts
                | ViewId::Audit
                | ViewId::Log
        )
    }
}
