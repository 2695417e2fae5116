//! Log: every message of this session, newest first, whole and with its
//! time — the status line shows only the newest one's gist.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{List, ListItem, ListState, Paragraph};

use super::Ui;
use super::widgets::{count, panel, wrap};
use crate::app::State;
use crate::app::shared::Level;
use crate::text::clean;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, ui: &Ui) {
    let theme = ui.theme;
    let all = &state.messages;
    let rows = state.log.rows(all);
    let sep = ui.glyphs.separator;
    let shown = if state.log.cursor.filter.is_empty() {
        count(all.len(), "message", "messages")
    } else {
        format!("{} of {} match {:?}", rows.len(), all.len(), state.log.cursor.filter)
    };
    let block = panel(format!(" Log {sep} {shown} {sep} newest first "), true, ui);
    if rows.is_empty() {
        let text = if all.is_empty() {
            "No messages yet: what actions do, refuse or fail is kept here whole, with its time."
        } else {
            "No message matches the filter. esc clears it."
        };
        frame.render_widget(Paragraph::new(text).style(theme.muted).block(block), area);
        return;
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // TIME LEVEL then the text, wrapped under itself.
    const INDENT: usize = 17;
    let width = inner.width.saturating_sub(2) as usize;
    let items: Vec<ListItem> = rows
        .iter()
        .map(|&i| {
            let m = &all[i];
            let (word, style) = match m.level {
                Level::Info => ("info", theme.text),
                Level::Warn => ("warn", theme.warn),
                Level::Error => ("error", theme.error),
            };
            let time =
                m.at.as_ref()
                    .map_or_else(|| "--:--:--".to_owned(), |t| t.strftime("%H:%M:%S").to_string());
            let line = Line::from(vec![
                Span::styled(format!("{time}  {word:<5}  "), theme.muted),
                Span::styled(clean(&m.text), style),
            ]);
            ListItem::new(Text::from(wrap(vec![line], width, INDENT)))
        })
        .collect();
    let list = List::new(items)
        .highlight_style(theme.selection)
        .highlight_symbol(ui.glyphs.selected);
    let mut list_state = ListState::default().with_selected(Some(state.log.cursor.selected));
    frame.render_stateful_widget(list, inner, &mut list_state);
}
