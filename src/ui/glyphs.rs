//! Every non-ASCII character the console draws, with a plain-ASCII twin for
//! terminals and fonts without Unicode (`--ascii`, `ui.ascii = true`).
//! Status marks follow Argo Rollouts.

use ratatui::symbols::border;

#[derive(Debug, Clone, Copy)]
pub struct Glyphs {
    /// Plain ASCII only (charts redraw their axes).
    pub ascii: bool,
    pub ok: &'static str,
    pub failed: &'static str,
    pub pending: &'static str,
    pub off: &'static str,
    pub paused: &'static str,
    pub warn: &'static str,
    pub jump: &'static str,
    pub missing: &'static str,
    pub selected: &'static str,
    /// A value that is not there.
    pub none: &'static str,
    pub separator: &'static str,
    pub ellipsis: &'static str,
    pub times: &'static str,
    pub arrow: &'static str,
    /// "at least", before a value bounded from below.
    pub at_least: &'static str,
    pub border: border::Set<'static>,
}

const ASCII_BORDER: border::Set<'static> = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

impl Glyphs {
    pub const UNICODE: Glyphs = Glyphs {
        ascii: false,
        ok: "●",
        failed: "✖",
        pending: "◌",
        off: "○",
        paused: "॥",
        warn: "⚠",
        jump: "▲",
        missing: "✖",
        selected: "▶ ",
        none: "—",
        separator: "·",
        ellipsis: "…",
        times: "×",
        arrow: "→",
        at_least: "≥",
        border: border::PLAIN,
    };

    pub const ASCII: Glyphs = Glyphs {
        ascii: true,
        ok: "*",
        failed: "x",
        pending: "~",
        off: "-",
        paused: "=",
        warn: "!",
        jump: "^",
        missing: "!",
        selected: "> ",
        none: "-",
        separator: "|",
        ellipsis: "...",
        times: "x",
        arrow: "->",
        at_least: ">=",
        border: ASCII_BORDER,
    };

    pub fn new(ascii: bool) -> Glyphs {
        if ascii { Glyphs::ASCII } else { Glyphs::UNICODE }
    }
}
