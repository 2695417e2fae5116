//! Audit: the log of operator actions, newest first.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::Ui;
use super::widgets::{count, list_table, panel};
use crate::app::State;
use crate::app::resource::Load;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, ui: &Ui) {
    let theme = ui.theme;
    let path = state.session.audit_path.display().to_string();
    let read = match &state.audit.log.load {
        Load::Loaded(read) => read,
        Load::Failed(error) => {
            let lines = vec![Line::styled(error.clone(), theme.error)];
            let block = panel(" Audit ", true, ui);
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), area);
            return;
        }
        Load::Loading | Load::NotLoaded => {
            let block = panel(" Audit ", true, ui);
            frame.render_widget(
                Paragraph::new(format!("Reading {path} {}", ui.glyphs.ellipsis))
                    .style(theme.muted)
                    .block(block),
                area,
            );
            return;
        }
    };
    let rows = state.audit.rows();
    let sep = ui.glyphs.separator;
    let mut title = format!(" Audit {sep} {} ", count(read.entries.len(), "entry", "entries"));
    if !read.problems.is_empty() {
        title.push_str(&format!("{sep} {} unreadable ", read.problems.len()));
    }
    let block = panel(title, true, ui).title_bottom(Line::styled(format!(" {path} "), theme.muted));
    if rows.is_empty() {
        let text = if read.entries.is_empty() {
            "No operator actions recorded yet.".to_owned()
        } else {
            format!(
                "No entry matches the filter {:?}. esc clears it.",
                state.audit.cursor.filter
            )
        };
        frame.render_widget(Paragraph::new(text).style(theme.muted).block(block), area);
        return;
    }
    let header = ["UTC", "USER", "ACTION", "TARGET", "OUTCOME"].map(|h| Cell::from(h).style(theme.table_header));
    let table_rows = rows.iter().map(|&i| {
        let e = &read.entries[i];
        Row::new([
            e.time.strftime("%m-%d %H:%M:%S").to_string(),
            e.user.clone(),
            e.action.clone(),
            e.target.clone(),
            // The guard's actions carry its reason: say who decided.
            if e.reason.is_empty() {
                e.outcome.clone()
            } else {
                format!("{} ({})", e.outcome, e.reason)
            },
        ])
        .style(theme.text)
    });
    let widths = [
        Constraint::Length(14),
        Constraint::Length(10),
        Constraint::Length(14),
        Constraint::Fill(2),
        Constraint::Fill(1),
    ];
    let table = Table::new(table_rows, widths).header(Row::new(header)).block(block);
    list_table(frame, area, table, state.audit.cursor.selected, ui);
}
