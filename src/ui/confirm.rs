//! The confirmation dialog: exactly what the action will change, and the
//! two keys that answer it. Nothing is written before "y". The dialog is
//! titled in words, its text wraps under its labels, and the y/n line is
//! always its last line, however long the plan: an answer is never asked
//! for where it cannot be seen.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::Ui;
use super::widgets::{panel, wrap};
use crate::app::State;
use crate::domain::audit::{action_words, capitalised};

pub fn draw(frame: &mut Frame, area: Rect, state: &State, ui: &Ui) {
    let Some(prepared) = &state.rollouts.pending else {
        return;
    };
    let theme = ui.theme;
    let width = area.width.saturating_sub(4).min(90);
    let inner = width.saturating_sub(2) as usize;
    let mut body = vec![
        Line::styled(prepared.plan.summary.to_string(), theme.text),
        Line::default(),
    ];
    for change in &prepared.plan.changes {
        body.push(Line::from(vec![
            Span::styled(format!("  {}: ", change.what), theme.warn),
            Span::styled(format!("{} {} {}", change.from, ui.glyphs.arrow, change.to), theme.warn),
        ]));
    }
    body.push(Line::default());
    if let Some(info) = state.rollouts.kube.loaded() {
        body.push(Line::styled(
            format!("as {} in context {}", info.user, info.context),
            theme.muted,
        ));
    }
    let mut body = wrap(body, inner, 4);
    let answer = Line::from(vec![
        Span::styled("y", theme.key),
        Span::styled(" yes, do it    ", theme.text),
        Span::styled("n", theme.key),
        Span::styled(" no, change nothing", theme.text),
    ]);
    // Room for the borders and the answer line; the plan's end is cut
    // before the answer ever is.
    let room = area.height.saturating_sub(3) as usize;
    if body.len() > room {
        body.truncate(room.saturating_sub(1));
        body.push(Line::styled(
            format!(
                "{} (cut to fit: a taller window shows the whole plan)",
                ui.glyphs.ellipsis
            ),
            theme.muted,
        ));
    }
    body.push(answer);
    let height = (body.len() as u16 + 2).min(area.height);
    let [row] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [dialog] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(row);
    frame.render_widget(Clear, dialog);
    let title = format!(" {} ", capitalised(&words(prepared.action, &prepared.plan.summary)));
    frame.render_widget(Paragraph::new(body).block(panel(title, true, ui)), dialog);
}

/// The dialog's title: the action in words, the undo of a promotion named
/// as such.
fn words(action: &str, summary: &str) -> String {
    if summary.starts_with("undo the promotion") {
        return "undo the promotion?".into();
    }
    format!("{}?", action_words(action))
}
