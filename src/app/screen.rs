//! What the screen is doing: the mode keys are read in, which pane has
//! them, and what the last frame measured.

use super::input::Input;

#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    Help,
    Command(Input),
    /// Filtering the current view's list; the filter applies as typed.
    Filter(Input),
    /// A planned change waits for yes or no.
    Confirm,
}

/// Which pane of a two-pane view has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    List,
    Detail,
}

/// How much text a scrollable pane holds and how much of it shows, as the
/// last frame drew it: scrolling stops at the last line, never in blank
/// space. The event loop measures after drawing and sends the measure
/// back as an action when it changed (rendering stays pure, so does update).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Measure {
    /// (lines, visible rows) of the Rollouts detail pane.
    pub rollout_detail: (u16, u16),
    /// (lines, visible rows) of the help screen.
    pub help: (u16, u16),
}

impl Measure {
    /// The furthest a pane of (lines, visible) may scroll.
    pub fn limit((lines, visible): (u16, u16)) -> u16 {
        lines.saturating_sub(visible)
    }
}

/// The smallest terminal the layout is designed for. Below it nothing but
/// a notice is drawn, so no key may act: an action or a dialog answered
/// there would be answered unseen.
pub const MIN_SIZE: (u16, u16) = (80, 24);

/// Whether a terminal of `size` cells shows the console (not the notice).
pub fn fits(size: (u16, u16)) -> bool {
    size.0 >= MIN_SIZE.0 && size.1 >= MIN_SIZE.1
}
