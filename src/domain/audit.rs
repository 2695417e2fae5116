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

/// An action's audit name in words, for dialog titles and the Audit view:
/// "canary.step" → "step the canary".
pub fn action_words(action: &str) -> &str {
    match action {
        "rollback" => "roll back",
        "bluegreen.switch" => "switch blue-green",
        "canary.set" => "set the canary",
        "canary.step" => "step the canary",
        "canary.abort" => "abort the canary",
        "canary.promote" => "promote the canary",
        "shadow.on" => "mirror to the shadow",
        "shadow.off" => "stop mirroring",
        other => other,
    }
}

/// `words` with its first letter capitalised, for a title.
pub fn capitalised(words: &str) -> String {
    let mut chars = words.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
