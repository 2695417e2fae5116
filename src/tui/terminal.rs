//! Entering and leaving the terminal modes the console needs. Whatever ends
//! the console — quit, panic, a signal, a lost SSH session — leaves raw
//! mode off, the alternate screen left and the cursor shown.

use std::io::{self, Stdout, stdout};
use std::mem::ManuallyDrop;
use std::sync::Once;

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::cursor::{Hide, Show};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Restores the terminal when dropped, so every way out of the event loop,
/// early returns and `?` included, goes through the restore.
pub struct TerminalGuard {
    /// Never dropped: ratatui's `Drop` shows a hidden cursor and reports a
    /// failure with `eprintln!`, which panics when stderr went away with the
    /// terminal (an SSH drop). [`restore`] shows the cursor instead, and
    /// the rest of a `Terminal` is memory the exiting process gives back.
    pub terminal: ManuallyDrop<Term>,
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

pub fn enter() -> io::Result<TerminalGuard> {
    install_panic_hook();
    enable_raw_mode()?;
    if let Err(e) = execute!(stdout(), EnterAlternateScreen, Hide) {
        restore();
        return Err(e);
    }
    match Terminal::new(CrosstermBackend::new(stdout())) {
        Ok(terminal) => Ok(TerminalGuard {
            terminal: ManuallyDrop::new(terminal),
        }),
        Err(e) => {
            restore();
            Err(e)
        }
    }
}

/// Best effort: the terminal may already be gone (a dropped SSH session), so
/// errors are ignored rather than turned into a second failure.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(stdout(), LeaveAlternateScreen, Show);
}

/// Restores the terminal before the previous hook prints the panic, so the
/// message lands on a usable screen. The log file gets it too, with the
/// backtrace: when the terminal is gone, the log is all that is left.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            tracing::error!("panic: {info}\n{}", std::backtrace::Backtrace::force_capture());
            previous(info);
        }));
    });
}
