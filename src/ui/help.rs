//! The `?` screen, generated from the keymap and the command table, so it
//! always says what the keys really do.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::Ui;
use super::widgets::panel;
use crate::app::State;
use crate::app::command::COMMANDS;
use crate::config::{KeyContext, Keymap, Theme};

const KEY_COLUMN: usize = 16;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, ui: &Ui) {
    let theme = ui.theme;
    frame.render_widget(Clear, area);
    let hint = format!(" j/k scroll {} esc close ", ui.glyphs.separator);
    let block = panel(" Help ", true, ui).title_bottom(Line::styled(hint, theme.muted));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let keys = key_lines(ui.keymap, theme);
    let commands = command_lines(theme);
    // Side by side when there is room, one scrolled column otherwise.
    if inner.width >= 100 {
        let [left, right] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(inner);
        frame.render_widget(Paragraph::new(keys).scroll((state.help_scroll, 0)), left);
        frame.render_widget(Paragraph::new(commands).scroll((state.help_scroll, 0)), right);
    } else {
        let all: Vec<Line> = keys.into_iter().chain(commands).collect();
        frame.render_widget(Paragraph::new(all).scroll((state.help_scroll, 0)), inner);
    }
}

/// Every binding, by context, then the fixed keys of the input line.
pub fn key_lines<'a>(keymap: &Keymap, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    for (context, heading) in [
        (KeyContext::Global, "Everywhere"),
        (KeyContext::List, "In lists"),
        (KeyContext::Rollouts, "In Rollouts (each asks first)"),
        (KeyContext::Metrics, "In Metrics"),
        (KeyContext::Help, "In this help"),
    ] {
        lines.push(Line::styled(format!(" {heading}"), theme.table_header));
        for binding in keymap.bindings(context) {
            let keys: Vec<String> = binding.keys.iter().map(ToString::to_string).collect();
            lines.push(entry(&keys.join(" "), &binding.desc, theme));
        }
        lines.push(Line::default());
    }
    lines.push(Line::styled(" Command and filter line", theme.table_header));
    for (key, desc) in [
        ("enter", "run the command / keep the filter"),
        ("esc", "cancel / clear the filter"),
        ("ctrl-u", "clear the line"),
        ("ctrl-w", "delete the word before the cursor"),
        ("ctrl-a ctrl-e", "start / end of the line"),
        ("tab", "complete the command name"),
        ("up down", "earlier / later commands"),
        ("ctrl-c", "quit, from anywhere"),
    ] {
        lines.push(entry(key, desc, theme));
    }
    lines.push(Line::default());
    lines
}

fn command_lines<'a>(theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = vec![Line::styled(" Commands", theme.table_header)];
    for (command, desc) in COMMANDS {
        lines.push(entry(command, desc, theme));
    }
    lines
}

fn entry<'a>(key: &str, desc: &str, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::raw("   "),
        Span::styled(format!("{key:<KEY_COLUMN$}"), theme.key),
        Span::styled(desc.to_owned(), theme.text),
    ])
}
