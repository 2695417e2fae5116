//! The top lines: where the console points, how its sources are, the time,
//! the view tabs, and a banner when the configuration has problems.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::widgets::marks;
use crate::app::resource::Load;
use crate::app::{State, ViewId};
use crate::config::Theme;

pub fn draw_header(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let m = marks(state.ascii);
    let session = &state.session;
    let mut left = vec![
        Span::styled(" modeldeck ", theme.header.add_modifier(ratatui::style::Modifier::BOLD)),
        Span::styled(" ctx ", theme.header),
        Span::styled(session.context.clone().unwrap_or_else(|| "none".into()), theme.header),
        Span::styled("  ns ", theme.header),
        Span::styled(session.namespace.clone(), theme.header),
        Span::styled(" ", theme.header),
    ];
    if session.readonly {
        left.push(Span::styled(" READ-ONLY ", theme.readonly_badge));
    }
    let registry = match &state.models.registry.load {
        Load::Loaded(load) if load.problems.is_empty() => (m.ok, "registry", theme.ok),
        Load::Loaded(_) => (m.warn, "registry", theme.warn),
        Load::Failed(_) => (m.failed, "registry", theme.error),
        Load::Loading | Load::NotLoaded => (m.pending, "registry", theme.header),
    };
    // The health colour on the header's background.
    let mut registry_style = theme.header;
    if let Some(fg) = registry.2.fg {
        registry_style = registry_style.fg(fg);
    }
    let mut right = vec![Span::styled(format!("{} {}", registry.0, registry.1), registry_style)];
    for name in ["kube", "metrics", "onnx"] {
        right.push(Span::styled(format!("  {} {name}", m.off), theme.header));
    }
    if let Some(clock) = state.clock {
        right.push(Span::styled(format!("  {} ", clock.strftime("%H:%M:%S")), theme.header));
    } else {
        right.push(Span::styled(" ", theme.header));
    }
    let right_width: u16 = right.iter().map(|s| s.width() as u16).sum();
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(right_width)]).areas(area);
    frame.render_widget(Paragraph::new(Line::from(left)).style(theme.header), left_area);
    frame.render_widget(Paragraph::new(Line::from(right)).style(theme.header), right_area);
}

pub fn draw_tabs(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut spans = Vec::new();
    for (i, view) in ViewId::ALL.into_iter().enumerate() {
        let style = if view == state.view {
            theme.tab_active
        } else {
            theme.tab
        };
        spans.push(Span::styled(format!(" {} {} ", i + 1, view.title()), style));
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// How many lines the configuration banner takes (0 when all is well).
pub fn banner_lines(state: &State) -> u16 {
    u16::from(state.config_error.is_some()) + u16::from(!state.config_warnings.is_empty())
}

pub fn draw_banner(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let m = marks(state.ascii);
    let mut lines = Vec::new();
    if let Some(error) = &state.config_error {
        lines.push(Line::styled(
            format!(" {} config error, running on built-in defaults: {error}", m.failed),
            theme.error,
        ));
    }
    if let Some(first) = state.config_warnings.first() {
        let more = state.config_warnings.len() - 1;
        let tail = if more > 0 {
            format!(" (+{more} more: modeldeck info)")
        } else {
            String::new()
        };
        lines.push(Line::styled(format!(" {} {first}{tail}", m.warn), theme.warn));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
