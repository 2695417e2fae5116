//! The confirmation dialog: exactly what the action will change, and the
//! two keys that answer it. Nothing is written before "y".

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::Ui;
use super::widgets::panel;
use crate::app::State;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, ui: &Ui) {
    let Some(prepared) = &state.rollouts.pending else {
        return;
    };
    let theme = ui.theme;
    let mut lines = vec![Line::styled(prepared.plan.summary.clone(), theme.text), Line::default()];
    for (what, from, to) in &prepared.plan.changes {
        lines.push(Line::styled(format!("  {what}: {from} -> {to}"), theme.warn));
    }
    lines.push(Line::default());
    if let Some(info) = state.rollouts.kube.loaded() {
        lines.push(Line::styled(
            format!("as {} in context {}", info.user, info.context),
            theme.muted,
        ));
    }
    lines.push(Line::styled("y yes, do it    n no, change nothing", theme.key));
    let width = area.width.saturating_sub(8).min(90);
    let height = (lines.len() as u16 + 4).min(area.height);
    let [row] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [dialog] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(row);
    frame.render_widget(Clear, dialog);
    let title = format!(" Confirm {} ", prepared.action);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(panel(title, true, ui)),
        dialog,
    );
}
