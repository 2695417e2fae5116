//! Audit: the log of operator actions, newest first.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::Ui;
use super::widgets::{count, list_table, panel, wrap};
use crate::app::State;
use crate::app::resource::Load;
use crate::domain::audit::action_words;
use crate::text::clean;

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
    let total = read.entries.len();
    let shown = if state.audit.cursor.filter.is_empty() {
        count(total, "entry", "entries")
    } else {
        format!("{} of {total} match {:?}", rows.len(), state.audit.cursor.filter)
    };
    let mut title = format!(" Audit {sep} {shown} ");
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
    if state.audit.open
        && let Some(entry) = rows.get(state.audit.cursor.selected).map(|&i| &read.entries[i])
    {
        return draw_entry(frame, area, entry, ui);
    }
    let header = ["UTC", "USER", "ACTION", "TARGET", "OUTCOME"].map(|h| Cell::from(h).style(theme.table_header));
    let table_rows = rows.iter().map(|&i| {
        let e = &read.entries[i];
        Row::new([
            e.time.strftime("%m-%d %H:%M:%S").to_string(),
            clean(&e.user),
            action_words(&e.action).to_owned(),
            target(&e.target, &state.session.namespace),
            // The guard's actions carry its reason: say who decided.
            clean(&if e.reason.is_empty() {
                e.outcome.clone()
            } else {
                format!("{} ({})", e.outcome, e.reason)
            }),
        ])
        .style(theme.text)
    });
    let widths = [
        Constraint::Length(14),
        Constraint::Length(9),
        Constraint::Length(18),
        Constraint::Fill(2),
        Constraint::Fill(1),
    ];
    let block = block.title_bottom(Line::styled(" enter: the whole entry ", theme.muted).right_aligned());
    let table = Table::new(table_rows, widths).header(Row::new(header)).block(block);
    list_table(frame, area, table, state.audit.cursor.selected, ui);
}

/// The part of "deployment/ml-serving/malaria-predictor-canary" that tells
/// rows apart comes first: the name, then its kind, then its namespace
/// when it is not the one shown.
fn target(target: &str, namespace: &str) -> String {
    let parts: Vec<&str> = target.splitn(3, '/').collect();
    let text = match parts.as_slice() {
        [kind, ns, name] if *ns == namespace => format!("{name} ({kind})"),
        [kind, ns, name] => format!("{name} ({kind} in {ns})"),
        _ => target.to_owned(),
    };
    clean(&text)
}

/// One entry whole: every field, wrapped under its label.
fn draw_entry(frame: &mut Frame, area: Rect, e: &crate::domain::AuditEntry, ui: &Ui) {
    let theme = ui.theme;
    let field = |label: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{label:<10}"), theme.muted),
            Span::styled(clean(&value), theme.text),
        ])
    };
    let json = |v: &serde_json::Value| if v.is_null() { "-".to_owned() } else { v.to_string() };
    let mut lines = vec![
        field("time", e.time.to_string()),
        field("action", format!("{} ({})", action_words(&e.action), e.action)),
        field("target", e.target.clone()),
        field("outcome", e.outcome.clone()),
        field("user", e.user.clone()),
        field("login", e.login.clone()),
        field("context", e.context.clone()),
        field("before", json(&e.before)),
        field("after", json(&e.after)),
    ];
    if !e.reason.is_empty() {
        lines.insert(4, field("reason", e.reason.clone()));
    }
    let lines = wrap(lines, area.width.saturating_sub(2) as usize, 10);
    let block = panel(" Audit entry ", true, ui).title_bottom(Line::styled(" esc: back to the list ", theme.muted));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
