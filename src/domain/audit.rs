//! One line of the audit log: who did what to which object, and how it ended.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub time: jiff::Timestamp,
    /// The cluster user the action ran as.
    pub user: String,
    /// The operator's login on the machine the console ran on.
    #[serde(default)]
    pub login: String,
    #[serde(default)]
    pub context: String,
    pub action: String,
    pub target: String,
    #[serde(default)]
    pub before: serde_json::Value,
    #[serde(default)]
    pub after: serde_json::Value,
    pub outcome: String,
    /// Why, when it was not an operator's key press (the guard's rule).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}
