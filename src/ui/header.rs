//! The top lines: where the console points, how its sources are, the time,
//! the view tabs, or in their place a notice (what the guard did, the
//! configuration's problems) until `esc` dismisses it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Ui;
use crate::app::predict::Runtime;
use crate::app::resource::Load;
use crate::app::shared::Level;
use crate::app::{State, ViewId};

pub fn draw_header(frame: &mut Frame, area: Rect, state: &State, ui: &Ui) {
    let theme = ui.theme;
    let m = ui.glyphs;
    let session = &state.session;
    let mut left = vec![Span::styled(
        " modeldeck ",
        theme.header.add_modifier(ratatui::style::Modifier::BOLD),
    )];
    // First, so a long context or namespace name never cuts it.
    if session.readonly {
        left.push(Span::styled(" READ-ONLY ", theme.readonly_badge));
    }
    left.extend([
        Span::styled(" ctx ", theme.header),
        Span::styled(session.context.as_deref().unwrap_or("none").to_owned(), theme.header),
        Span::styled("  ns ", theme.header),
        Span::styled(session.namespace.to_string(), theme.header),
        Span::styled(" ", theme.header),
    ]);
    let registry = match &state.models.registry.load {
        Load::Loaded(load) if load.problems.is_empty() => (m.ok, theme.ok),
        Load::Loaded(_) => (m.warn, theme.warn),
        Load::Failed(_) => (m.failed, theme.error),
        Load::Loading | Load::NotLoaded => (m.pending, theme.header),
    };
    let kube = match (&state.rollouts.kube.load, state.rollouts.stale.why()) {
        (Load::Loaded(_), None) => (m.ok, theme.ok),
        (Load::Loaded(_), Some(_)) if state.rollouts.list.loaded().is_none() => (m.failed, theme.error),
        (Load::Loaded(_), Some(_)) => (m.warn, theme.warn),
        (Load::Failed(_), _) => (m.failed, theme.error),
        (Load::Loading, _) => (m.pending, theme.header),
        (Load::NotLoaded, _) => (m.off, theme.header),
    };
    let metrics = {
        let mm = &state.metrics;
        let alerts = &state.alerts;
        let answered = mm.panels.iter().any(|p| p.data.is_some()) || alerts.at.is_some();
        let failing = mm.panels.iter().any(|p| p.error.is_failing()) || alerts.error.is_failing();
        match (mm.setup_error.is_some(), mm.configured, answered, failing) {
            (true, _, _, _) => (m.failed, theme.error),
            (false, false, _, _) => (m.off, theme.header),
            (false, true, true, false) => (m.ok, theme.ok),
            (false, true, true, true) => (m.warn, theme.warn),
            (false, true, false, true) => (m.failed, theme.error),
            (false, true, false, false) => (m.pending, theme.header),
        }
    };
    let onnx = match &state.predict.runtime {
        Runtime::Ready(_) => (m.ok, theme.ok),
        Runtime::Missing(_) => (m.failed, theme.error),
        Runtime::Finding => (m.pending, theme.header),
    };
    // Health colours on the header's background.
    let on_header = |(mark, style): (&'static str, Style)| {
        let mut s = theme.header;
        if let Some(fg) = style.fg {
            s = s.fg(fg);
        }
        (mark, s)
    };
    let marks = [
        on_header(registry),
        on_header(kube),
        on_header(metrics),
        on_header(onnx),
    ];
    let left_width: usize = left.iter().map(Span::width).sum();
    let clock = state.clock.as_ref().map(|c| c.strftime("%H:%M:%S").to_string());
    // Long names when they fit beside the left part, short ones when not,
    // and the clock goes first when even those do not.
    let mut right = Vec::new();
    for (names, with_clock) in [(LONG_NAMES, true), (SHORT_NAMES, true), (SHORT_NAMES, false)] {
        right = health_spans(names, marks);
        if with_clock && let Some(clock) = &clock {
            right.push(Span::styled(format!(" {clock}"), theme.header));
        }
        right.push(Span::styled(" ", theme.header));
        let width: usize = right.iter().map(Span::width).sum();
        if left_width + width <= area.width as usize {
            break;
        }
    }
    let right_width: u16 = right.iter().map(|s| s.width() as u16).sum();
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(right_width)]).areas(area);
    frame.render_widget(Paragraph::new(Line::from(left)).style(theme.header), left_area);
    frame.render_widget(Paragraph::new(Line::from(right)).style(theme.header), right_area);
}

const LONG_NAMES: [&str; 4] = ["registry", "kube", "metrics", "onnx"];
const SHORT_NAMES: [&str; 4] = ["reg", "kube", "met", "onnx"];

/// Health of each source: the registry, the cluster, the metrics source
/// and ONNX Runtime (found, missing, still looking).
fn health_spans<'a>(names: [&str; 4], marks: [(&str, Style); 4]) -> Vec<Span<'a>> {
    let mut spans = Vec::new();
    for (i, (name, (mark, style))) in names.iter().zip(marks).enumerate() {
        let gap = if i == 0 { " " } else { "  " };
        spans.push(Span::styled(format!("{gap}{mark} {name}"), style));
    }
    spans
}

/// The tabs, or in their place the first notice not dismissed: one line
/// either way, so nothing below moves when a notice comes or goes.
pub fn draw_tabs(frame: &mut Frame, area: Rect, state: &State, ui: &Ui) {
    let theme = ui.theme;
    if let Some(notice) = state.notices().first() {
        let (mark, style) = match notice.level {
            Level::Error => (ui.glyphs.failed, theme.error),
            Level::Warn | Level::Info => (ui.glyphs.warn, theme.warn),
        };
        let more = if notice.more > 0 {
            format!(", +{}", notice.more)
        } else {
            String::new()
        };
        let log = super::widgets::log_key(ui);
        let tail = format!(" (esc{more}; {log}: log)");
        let mut room = (area.width as usize).saturating_sub(tail.chars().count() + 3);
        let cut = if notice.text.chars().count() > room {
            room = room.saturating_sub(ui.glyphs.ellipsis.chars().count());
            ui.glyphs.ellipsis
        } else {
            ""
        };
        let text: String = crate::text::clean(&notice.text).chars().take(room).collect();
        let line = Line::from(vec![
            Span::styled(format!(" {mark} {text}{cut}"), style),
            Span::styled(tail, theme.muted),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
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
