//! Everything that can change the state: operator intents (from keys) and
//! answers from the world (from effects, ticks, the terminal).

use super::KeyAction;
use super::input::Edit;
use crate::backends::audit_log::AuditRead;
use crate::backends::local::RegistryLoad;

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A keymap action.
    Key(KeyAction),
    /// An edit of the command or filter line.
    Edit(Edit),
    /// Enter in command or filter mode.
    Submit,
    /// Esc in command or filter mode.
    Cancel,
    /// Up/down in command mode: walk the commands run before.
    HistoryBack,
    HistoryForward,
    /// Tab in command mode: complete the command name.
    Complete,
    /// The clock moved (local wall-clock time).
    Tick(jiff::civil::DateTime),
    Resize(u16, u16),
    RegistryLoaded {
        generation: u64,
        result: Result<RegistryLoad, String>,
    },
    AuditLoaded {
        generation: u64,
        result: Result<AuditRead, String>,
    },
}

/// Work `update` asks for; the effects runner does it and answers with an
/// `Action` carrying the same generation.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadRegistry {
        generation: u64,
        location: std::path::PathBuf,
    },
    LoadAudit {
        generation: u64,
        path: std::path::PathBuf,
    },
}
