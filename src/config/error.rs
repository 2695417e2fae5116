//! Configuration errors point at the file, line, column and key to fix.

use std::path::{Path, PathBuf};

use crate::text::line_col;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ConfigError {
    pub file: PathBuf,
    /// 1-based; 0 when the fault is the whole file (it cannot be read).
    pub line: usize,
    pub col: usize,
    /// Dotted path of the key at fault, when one is known.
    pub key: Option<String>,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.col)?;
        }
        if let Some(key) = &self.key {
            write!(f, ": `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl ConfigError {
    /// An error at byte `offset` of `text`, the contents of `file`.
    pub fn at(file: &Path, text: &str, offset: usize, message: impl Into<String>) -> ConfigError {
        let (line, col) = line_col(text, offset);
        ConfigError {
            file: file.to_path_buf(),
            line,
            col,
            key: key_at(text, offset),
            message: message.into(),
        }
    }

    /// An error about a whole file (it could not be read).
    pub fn file(file: &Path, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: file.to_path_buf(),
            line: 0,
            col: 0,
            key: None,
            message: message.into(),
        }
    }

    pub fn from_toml(file: &Path, text: &str, err: &toml::de::Error) -> ConfigError {
        let offset = err.span().map_or(0, |s| s.start);
        ConfigError::at(file, text, offset, err.message().trim())
    }
}

/// The dotted key whose line holds `offset`: the nearest `[table]` header
/// above it joined with the key before `=` on that line.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset.min(text.len()))?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    // A broken `[table]` header is about that table, not the one above.
    if line.trim_start().starts_with('[') {
        let header = line.trim().trim_matches(|c| c == '[' || c == ']').trim();
        return Some(header.to_owned()).filter(|h| !h.is_empty());
    }
    let key = line.split_once('=').map(|(k, _)| k.trim().trim_matches('"'));
    let table = before[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim());
    match (table, key) {
        (Some(t), Some(k)) if !k.is_empty() => Some(format!("{t}.{k}")),
        (None, Some(k)) if !k.is_empty() => Some(k.to_owned()),
        (Some(t), _) => Some(t.to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_line_and_key() {
        let text = "[ui]\ntheme = \"x\"\nframe_rate = \"fast\"\n";
        let offset = text.find("\"fast\"").unwrap();
        let err = ConfigError::at(Path::new("c.toml"), text, offset, "expected a number");
        assert_eq!(err.line, 3);
        assert_eq!(err.key.as_deref(), Some("ui.frame_rate"));
        assert_eq!(err.to_string(), "c.toml:3:14: `ui.frame_rate`: expected a number");
        let unread = ConfigError::file(Path::new("c.toml"), "cannot read configuration file: denied");
        assert_eq!(unread.to_string(), "c.toml: cannot read configuration file: denied");
    }
}
