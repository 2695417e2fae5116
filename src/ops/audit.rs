//! The audit log: one JSON line per attempted action, appended and synced
//! to disk before the outcome is reported, so a crash or a dropped session
//! never loses the record of a change that happened.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;

use crate::domain::AuditEntry;

/// The audit log could not take an entry: the action's outcome must say
/// so, since the record of it is missing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot write the audit log {path}: {reason}")]
pub struct AuditWriteError {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    pub fn new(path: impl Into<PathBuf>) -> AuditLog {
        AuditLog { path: path.into() }
    }

    /// Appends one entry and syncs it, on tokio's blocking pool: opening,
    /// writing and `fsync` can wait on the disk (or a slow network share),
    /// and must not hold up the runtime's threads meanwhile.
    pub async fn write(&self, entry: AuditEntry) -> Result<(), AuditWriteError> {
        let log = self.clone();
        tokio::task::spawn_blocking(move || log.append(&entry))
            .await
            .unwrap_or_else(|e| Err(self.failed(&e)))
    }

    fn failed(&self, reason: &dyn std::fmt::Display) -> AuditWriteError {
        AuditWriteError {
            path: self.path.display().to_string(),
            reason: reason.to_string(),
        }
    }

    /// Appends one entry and syncs it, blocking the calling thread. One
    /// `write` of a whole line to a file opened for appending keeps
    /// concurrent writers from interleaving.
    pub fn append(&self, entry: &AuditEntry) -> Result<(), AuditWriteError> {
        let fail = |e: &dyn std::fmt::Display| self.failed(e);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> AuditEntry {
        AuditEntry {
            time: jiff::Timestamp::UNIX_EPOCH,
            user: "u".into(),
            login: "l".into(),
            context: "c".into(),
            action: "canary.step".into(),
            target: "deployment/ml/web".into(),
            before: serde_json::Value::Null,
            after: serde_json::Value::Null,
            outcome: "done".into(),
            reason: String::new(),
        }
    }

    /// A FIFO's open for writing waits until a reader opens it. The reader
    /// here is a task on the same one-thread runtime: if the write held the
    /// runtime's thread while it waited, the reader could never start.
    #[test]
    fn writing_waits_off_the_runtime_threads() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("audit.jsonl");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success());
        let (done, finished) = std::sync::mpsc::channel();
        let path = fifo.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let read = runtime.block_on(async move {
                let reader =
                    tokio::spawn(
                        async move { tokio::task::spawn_blocking(move || std::fs::read_to_string(path)).await },
                    );
                // fsync of a FIFO is refused (EINVAL); what is tested here is
                // that the write waited without holding the thread.
                let _ = AuditLog::new(&fifo).write(entry()).await;
                reader.await
            });
            let _ = done.send(read);
        });
        // A generous bound only so a regression fails instead of hanging.
        let read = finished
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the audit write blocked the runtime's only thread");
        let line = read.unwrap().unwrap().unwrap();
        assert!(line.contains("\"canary.step\""), "{line}");
    }
}
