//! Small pieces shared by the views.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Table, TableState, Wrap};

use super::{MIN_SIZE, Ui};
use crate::config::Theme;
use crate::domain::rollout::RolloutPhase;

/// A bordered panel; `focused` lights the border.
pub fn panel<'a>(title: impl Into<Line<'a>>, focused: bool, ui: &Ui) -> Block<'a> {
    let theme = ui.theme;
    Block::default()
        .borders(Borders::ALL)
        .border_set(ui.glyphs.border)
        .border_style(if focused { theme.border_focus } else { theme.border })
        .title(title)
        .title_style(theme.title)
}

/// An honest panel for a view whose source is not connected: what is
/// missing and what would connect it. Never fake data.
pub fn not_connected(frame: &mut Frame, area: Rect, ui: &Ui, title: &str, lines: Vec<Line<'_>>) {
    let theme = ui.theme;
    let block = panel(format!(" {title} "), true, ui);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let text: Vec<Line> = std::iter::once(Line::from("")).chain(lines).collect();
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: false }).style(theme.text),
        inner.inner(ratatui::layout::Margin::new(2, 0)),
    );
}

/// Renders a list view's table with the selection marked the same way in
/// every view.
pub fn list_table(frame: &mut Frame, area: Rect, table: Table<'_>, selected: usize, ui: &Ui) {
    let table = table
        .row_highlight_style(ui.theme.selection)
        .highlight_symbol(ui.glyphs.selected);
    let mut state = TableState::default().with_selected(Some(selected));
    frame.render_stateful_widget(table, area, &mut state);
}

/// A message line in `style`.
pub fn line<'a>(text: impl Into<String>, style: Style) -> Line<'a> {
    Line::from(Span::styled(text.into(), style))
}

/// "label: value" with the label muted.
pub fn field<'a>(label: &str, value: impl Into<String>, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<12}"), theme.muted),
        Span::styled(value.into(), theme.text),
    ])
}

pub fn too_small(frame: &mut Frame, area: Rect, ui: &Ui) {
    let theme = ui.theme;
    let message = vec![
        Line::styled("Terminal too small", theme.error),
        Line::styled(
            format!(
                "{}{x}{} cells; modeldeck needs at least {}{x}{}.",
                area.width,
                area.height,
                MIN_SIZE.0,
                MIN_SIZE.1,
                x = ui.glyphs.times
            ),
            theme.text,
        ),
        Line::styled(
            match ui
                .keymap
                .key_for(crate::config::KeyContext::Global, crate::app::KeyAction::Quit)
            {
                Some(quit) => format!("Enlarge the window. Until then keys do nothing but {quit} (quit)."),
                None => "Enlarge the window. Until then keys do nothing but ctrl-c (quit).".to_owned(),
            },
            theme.muted,
        ),
    ];
    let [_, middle, _] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(7), Constraint::Fill(1)]).areas(area);
    frame.render_widget(
        Paragraph::new(message)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        middle,
    );
}

pub use crate::text::count;

/// The key that opens the Log view (or `:log` when none is bound), for
/// the places that say the rest of a message is there.
pub fn log_key(ui: &Ui) -> String {
    ui.keymap
        .key_for(
            crate::config::KeyContext::Global,
            crate::app::KeyAction::View(crate::app::ViewId::Log),
        )
        .map_or_else(|| ":log".to_owned(), |k| k.to_string())
}

/// A Unix time as the operator's local wall-clock time ("22:06:01"), in
/// the zone of the console's clock; rendering reads no clock of its own.
pub fn local_time(state: &crate::app::State, at: f64) -> String {
    let zone = state
        .clock
        .as_ref()
        .map_or(jiff::tz::TimeZone::UTC, |c| c.time_zone().clone());
    jiff::Timestamp::from_millisecond((at * 1000.0) as i64)
        .map(|t| t.to_zoned(zone).strftime("%H:%M:%S").to_string())
        .unwrap_or_else(|_| "?".into())
}

/// A sparkline of `values` in `width` cells (the newest at the right), in
/// block characters, or ASCII ones when asked.
pub fn sparkline(values: &[f64], width: usize, ascii: bool) -> String {
    const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    const PLAIN: [char; 8] = ['_', '.', '-', '~', '=', '+', '*', '#'];
    let marks = if ascii { PLAIN } else { BLOCKS };
    let shown = &values[values.len().saturating_sub(width)..];
    let finite = shown.iter().filter(|v| v.is_finite());
    let (low, high) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(*v), h.max(*v)));
    // Rates start at zero, so a steady rate reads as high, not as a floor.
    let low = low.min(0.0);
    shown
        .iter()
        .map(|v| {
            if !v.is_finite() || high <= low {
                return marks[0];
            }
            let level = ((v - low) / (high - low) * 7.0).round() as usize;
            marks[level.min(7)]
        })
        .collect()
}

/// `lines` wrapped at word boundaries to `width` cells, each continuation
/// indented by `indent` cells (so a wrapped value stays under its label);
/// styles are kept. Lines are wrapped here, not by the Paragraph, so the
/// number of lines drawn is known (scrolling stops at the last one).
pub fn wrap(lines: Vec<Line<'static>>, width: usize, indent: usize) -> Vec<Line<'static>> {
    let width = width.max(indent + 8);
    let mut out = Vec::new();
    for line in lines {
        if line.width() <= width {
            out.push(line);
            continue;
        }
        let line_style = line.style;
        // Words with their trailing spaces, in their span's style.
        let mut words: Vec<(String, Style)> = Vec::new();
        for span in &line.spans {
            let mut word = String::new();
            for c in span.content.chars() {
                if c == ' ' && !word.ends_with(' ') && !word.is_empty() {
                    word.push(c);
                    continue;
                }
                if word.ends_with(' ') && c != ' ' {
                    words.push((std::mem::take(&mut word), span.style));
                }
                word.push(c);
            }
            if !word.is_empty() {
                words.push((word, span.style));
            }
        }
        let mut current: Vec<Span<'static>> = Vec::new();
        let mut used = 0;
        let cell = |s: &str| Span::raw(s.to_owned()).width();
        for (word, style) in words {
            let w = cell(word.trim_end());
            if used > 0 && used + w > width {
                out.push(Line::from(std::mem::take(&mut current)).style(line_style));
                current.push(Span::raw(" ".repeat(indent)));
                used = indent;
            }
            // A word longer than a whole line is cut where it must be.
            let mut rest = word.as_str();
            while used + cell(rest.trim_end()) > width {
                let room = width.saturating_sub(used).max(1);
                let cut: String = rest.chars().take(room).collect();
                rest = &rest[cut.len()..];
                current.push(Span::styled(cut, style));
                out.push(Line::from(std::mem::take(&mut current)).style(line_style));
                current.push(Span::raw(" ".repeat(indent)));
                used = indent;
            }
            used += cell(rest);
            current.push(Span::styled(rest.to_owned(), style));
        }
        if !current.is_empty() {
            out.push(Line::from(current).style(line_style));
        }
    }
    out
}

/// The mark and style of a rollout's phase, in the list and its detail.
pub fn phase_mark(phase: RolloutPhase, ui: &Ui) -> (&'static str, Style) {
    let (g, t) = (ui.glyphs, ui.theme);
    match phase {
        RolloutPhase::Healthy => (g.ok, t.ok),
        RolloutPhase::Progressing => (g.pending, t.warn),
        RolloutPhase::Paused => (g.paused, t.warn),
        RolloutPhase::Degraded => (g.failed, t.error),
    }
}

#[cfg(test)]
mod wrap_tests {
    use super::*;

    fn text(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.to_string().trim_end().to_owned()).collect()
    }

    #[test]
    fn wrapped_lines_indent_under_their_label() {
        let line = Line::from(vec![
            Span::raw("metrics     "),
            Span::raw("2.1.1 shadow rate 9.84/s · latency p95 744 ms · accuracy 0.721"),
        ]);
        let wrapped = wrap(vec![line], 40, 12);
        assert_eq!(
            text(&wrapped),
            [
                "metrics     2.1.1 shadow rate 9.84/s ·",
                "            latency p95 744 ms ·",
                "            accuracy 0.721"
            ]
        );
        assert!(wrapped.iter().all(|l| l.width() <= 40));
        let long = wrap(vec![Line::from("x".repeat(50))], 20, 4);
        assert_eq!(long.len(), 3, "{:?}", text(&long));
        assert!(long.iter().all(|l| l.width() <= 20));
    }
}
