//! The audit log: one JSON line per attempted action, appended and synced
//! to disk before the outcome is reported, so a crash or a dropped session
//! never loses the record of a change that happened.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;

use crate::domain::AuditEntry;

#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    pub fn new(path: impl Into<PathBuf>) -> AuditLog {
        AuditLog { path: path.into() }
    }

    /// Appends one entry and syncs it. One `write` of a whole line to a file
    /// opened for appending keeps concurrent writers from interleaving.
    pub fn append(&self, entry: &AuditEntry) -> Result<(), String> {
        let fail = |e: &dyn std::fmt::Display| format!("cannot write the audit log {}: {e}", self.path.display());
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
        }
        let mut line = serde_json::to_string(entry).map_err(|e| fail(&e))?;
        line.push('\n');
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| fail(&e))?;
        file.write_all(line.as_bytes()).map_err(|e| fail(&e))?;
        file.sync_data().map_err(|e| fail(&e))
    }
}
