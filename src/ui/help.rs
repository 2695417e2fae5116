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

/// Side by side when there is room, one column otherwise.
const TWO_COLUMNS: u16 = 100;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, ui: &Ui) {
    let theme = ui.theme;
    frame.render_widget(Clear, area);
    let (lines, visible) = measure(area, ui);
    let sep = ui.glyphs.separator;
    let hint = if lines > visible {
        let last = (state.help_scroll + visible).min(lines);
        format!(
            " lines {}-{last} of {lines} {sep} j/k ctrl-f/ctrl-b g/G scroll {sep} esc close ",
            state.help_scroll + 1
        )
    } else {
        " esc close ".to_owned()
    };
    let block = panel(" Help ", true, ui).title_bottom(Line::styled(hint, theme.muted));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let keys = key_lines(ui.keymap, theme);
    let commands = command_lines(theme);
    if inner.width >= TWO_COLUMNS {
        let [left, right] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(inner);
        frame.render_widget(Paragraph::new(keys).scroll((state.help_scroll, 0)), left);
        frame.render_widget(Paragraph::new(commands).scroll((state.help_scroll, 0)), right);
    } else {
        let all: Vec<Line> = keys.into_iter().chain(commands).collect();
        frame.render_widget(Paragraph::new(all).scroll((state.help_scroll, 0)), inner);
    }
}

/// (lines, visible rows) of the help drawn in `area`.
pub fn measure(area: Rect, ui: &Ui) -> (u16, u16) {
    let inner_width = area.width.saturating_sub(2);
    let keys = key_lines(ui.keymap, ui.theme).len();
    let commands = command_lines(ui.theme).len();
    let lines = if inner_width >= TWO_COLUMNS {
        keys.max(commands)
    } else {
        keys + commands
    };
    (lines as u16, area.height.saturating_sub(2))
}

/// Every binding, by context, then the fixed keys of the input line.
pub fn key_lines<'a>(keymap: &Keymap, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    for (context, heading) in [
        (KeyContext::Global, "Everywhere"),
        (KeyContext::List, "In lists"),
        (KeyContext::Rollouts, "In Rollouts (each asks first)"),
        (KeyContext::Metrics, "In Metrics"),
        (KeyContext::Predict, "In Predict"),
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
    for spec in COMMANDS {
        let command = format!(":{} {}", spec.name, spec.args);
        lines.push(entry(command.trim_end(), spec.help, theme));
    }
    lines.push(entry("tab", "completes names and arguments", theme));
    lines
}

fn entry<'a>(key: &str, desc: &str, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::raw("   "),
        Span::styled(format!("{key:<KEY_COLUMN$}"), theme.key),
        Span::styled(desc.to_owned(), theme.text),
    ])
}
