//! Small pieces shared by the views.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};

use super::MIN_SIZE;
use crate::config::Theme;

/// Status marks, Argo style, with a plain-ASCII fallback.
#[derive(Clone, Copy)]
pub struct Marks {
    pub ok: &'static str,
    pub failed: &'static str,
    pub pending: &'static str,
    pub off: &'static str,
    pub warn: &'static str,
    pub jump: &'static str,
    pub missing: &'static str,
}

pub fn marks(ascii: bool) -> Marks {
    if ascii {
        Marks {
            ok: "*",
            failed: "x",
            pending: "~",
            off: "-",
            warn: "!",
            jump: "^",
            missing: "!",
        }
    } else {
        Marks {
            ok: "●",
            failed: "✖",
            pending: "◌",
            off: "○",
            warn: "⚠",
            jump: "▲",
            missing: "✖",
        }
    }
}

/// A bordered panel; `focused` lights the border.
pub fn panel<'a>(title: impl Into<Line<'a>>, focused: bool, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Plain)
        .border_style(if focused { theme.border_focus } else { theme.border })
        .title(title)
        .title_style(theme.title)
}

/// An honest panel for a view whose source is not connected: what is
/// missing and what would connect it. Never fake data.
pub fn not_connected(frame: &mut Frame, area: Rect, theme: &Theme, title: &str, lines: Vec<Line<'_>>) {
    let block = panel(format!(" {title} "), true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let text: Vec<Line> = std::iter::once(Line::from("")).chain(lines).collect();
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: false }).style(theme.text),
        inner.inner(ratatui::layout::Margin::new(2, 0)),
    );
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

pub fn too_small(frame: &mut Frame, area: Rect, theme: &Theme) {
    let message = vec![
        Line::styled("Terminal too small", theme.error),
        Line::styled(
            format!(
                "{}×{} cells; modeldeck needs at least {}×{}.",
                area.width, area.height, MIN_SIZE.0, MIN_SIZE.1
            ),
            theme.text,
        ),
        Line::styled("Enlarge the window, or press q to quit.", theme.muted),
    ];
    let [_, middle, _] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(4), Constraint::Fill(1)]).areas(area);
    frame.render_widget(
        Paragraph::new(message)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        middle,
    );
}

/// `n` with the right form of its noun, for titles ("4 versions").
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}
