//! Reading the audit log (JSON lines). Writing it belongs to `ops/`, the
//! only place mutating actions happen.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::domain::AuditEntry;
use crate::text::clean;

/// The entries of a log, oldest first, and the lines that did not parse.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuditRead {
    pub path: PathBuf,
    pub entries: Vec<AuditEntry>,
    pub problems: Vec<String>,
}

/// The log exists but cannot be read (permissions, a directory, bad
/// UTF-8).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot read audit log {path}: {reason}")]
pub struct AuditReadError {
    pub path: String,
    pub reason: String,
}

/// Reads the log at `path`. A log that does not exist yet is empty.
pub fn read(path: &Path) -> Result<AuditRead, AuditReadError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(AuditReadError {
                path: path.display().to_string(),
                reason: e.to_string(),
            });
        }
    };
    let mut read = AuditRead {
        path: path.to_path_buf(),
        ..AuditRead::default()
    };
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<AuditEntry>(line) {
            Ok(mut entry) => {
                for field in [
                    &mut entry.user,
                    &mut entry.context,
                    &mut entry.action,
                    &mut entry.target,
                    &mut entry.outcome,
                ] {
                    *field = clean(field);
                }
                read.entries.push(entry);
            }
            Err(e) => read.problems.push(format!(
                "{}:{}: not an audit entry ({e}); skipped",
                path.display(),
                i + 1
            )),
        }
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_log_is_empty_and_bad_lines_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        assert_eq!(read(&path).unwrap().entries.len(), 0);
        std::fs::write(
            &path,
            concat!(
                r#"{"time":"2026-11-30T10:00:00Z","user":"ana\u001b[31m","action":"canary.set","target":"deploy/x","outcome":"done"}"#,
                "\nnot json\n"
            ),
        )
        .unwrap();
        let read = read(&path).unwrap();
        assert_eq!(read.entries.len(), 1);
        assert_eq!(read.entries[0].user, "ana");
        assert_eq!(read.problems.len(), 1);
        assert!(read.problems[0].contains("audit.jsonl:2:"), "{:?}", read.problems);
    }
}
