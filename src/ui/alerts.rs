//! Alerts: pending and firing alerts (Prometheus's, or modeldeck's own
//! rules over scraped data), with the selected one's labels, and what the
//! guard did this session.
//!
//! ```text
//! ┌ Alerts · Prometheus · 1 firing · 1 pending · updated 2s ago ┐
//! │ STATE    ALERT                  VERSION  TRACK  VALUE  SINCE │
//! │ ✖ firing ModelAccuracyDegraded  2.1.1    shadow 0.729  5m    │
//! └──────────────────────────────────────────────────────────────┘
//! ┌ Guard ───────────────────────────────────────────────────────┐
//! │ 12:01:05 guard malaria-predictor-canary: … undo the rollout  │
//! └──────────────────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::Ui;
use super::widgets::{line, list_table, not_connected, panel};
use crate::app::State;
use crate::domain::alerting::RuleState;

use crate::text::{Clean, clean, human_age};

pub fn draw(frame: &mut Frame, area: Rect, state: &State, ui: &Ui) {
    let t = ui.theme;
    let a = &state.alerts;
    if !state.metrics.configured {
        let lines = vec![
            line("No alert source is configured.", t.warn),
            Line::default(),
            line(
                "With [metrics] source = \"prometheus\", Prometheus's own alerts are shown; with source = \"scrape\", \
                 modeldeck evaluates the [[alerts]] rules (ModelAccuracyDegraded, HighPredictionLatency) itself.",
                t.text,
            ),
        ];
        return not_connected(frame, area, ui, "Alerts", lines);
    }
    let guard_height = if a.guard_events.is_empty() && a.guards.is_empty() {
        0
    } else {
        // A guard line is long: give each two rows to wrap into.
        (2 * a.guard_events.len() as u16 + a.guards.len() as u16 + 2).min(area.height / 3)
    };
    // The selected alert whole: its summary and every label, wrapped.
    let detail_height = if area.height >= 20 { 5 } else { 3 };
    let [list_area, detail_area, guard_area] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(detail_height),
        Constraint::Length(guard_height),
    ])
    .areas(area);
    let now = state.now().unwrap_or_default();
    draw_list(frame, list_area, state, now, ui);
    draw_detail(frame, detail_area, state, ui);
    if guard_height > 0 {
        draw_guard(frame, guard_area, state, ui);
    }
}

fn draw_list(frame: &mut Frame, area: Rect, state: &State, now: f64, ui: &Ui) {
    let (t, g) = (ui.theme, ui.glyphs);
    let a = &state.alerts;
    let rows = a.rows();
    let firing = a.firing();
    let pending = rows
        .iter()
        .filter(|r| r.state == RuleState::Pending && a.resolved(r).is_none())
        .count();
    let sep = g.separator;
    let source = if a.source.is_empty() {
        String::new()
    } else {
        format!("{sep} {} ", clean(&a.source))
    };
    let filtered = if a.cursor.filter.is_empty() {
        String::new()
    } else {
        let all = a.alerts.as_ref().map_or(0, Vec::len);
        format!("{sep} {} of {all} match {:?} ", rows.len(), a.cursor.filter)
    };
    let mut title = vec![Span::styled(
        format!(" Alerts {source}{sep} {firing} firing {sep} {pending} pending {filtered}"),
        t.title,
    )];
    match (a.error.why(), a.at) {
        (Some(e), Some(at)) => title.push(Span::styled(
            format!("{sep} stale, {} old: {} ", human_age((now - at) as i64), clean(e)),
            t.warn,
        )),
        (Some(e), None) => title.push(Span::styled(format!("{sep} {} ", clean(e)), t.error)),
        (None, Some(at)) => title.push(Span::styled(
            format!("{sep} updated {} ago ", human_age((now - at) as i64)),
            t.muted,
        )),
        (None, None) => {}
    }
    let block = panel(Line::from(title), true, ui);
    if rows.is_empty() {
        let text = match (&a.alerts, a.error.why()) {
            (None, None) => format!("Evaluating{}", g.ellipsis),
            (None, Some(_)) => "No alerts could be read yet.".to_owned(),
            (Some(_), _) if !a.cursor.filter.is_empty() => {
                format!("No alert matches the filter {:?}.", a.cursor.filter)
            }
            (Some(_), _) => "Nothing pending or firing.".to_owned(),
        };
        frame.render_widget(Paragraph::new(text).style(t.muted).block(block), area);
        return;
    }
    let header = ["STATE", "ALERT", "VERSION", "TRACK", "VALUE", "SINCE", "SUMMARY"]
        .map(|h| Cell::from(h).style(t.table_header));
    let body = rows.iter().map(|alert| {
        let resolved = a.resolved(alert);
        let (mark, style, word) = match (resolved.is_some(), alert.state) {
            (true, _) => (g.ok, t.muted, "resolved"),
            (false, RuleState::Firing) => (g.failed, t.error, RuleState::Firing.name()),
            (false, _) => (g.pending, t.warn, RuleState::Pending.name()),
        };
        let label = |k: &str| alert.labels.get(k).map_or("", Clean::as_str).to_owned();
        let since = alert
            .active_at
            .parse::<jiff::Timestamp>()
            .map(|ts| human_age((now - ts.as_millisecond() as f64 / 1000.0) as i64))
            .unwrap_or_default();
        let unit = a.units.get(alert.name.as_str()).map_or("", String::as_str);
        Row::new([
            Cell::from(Span::styled(format!("{mark} {word}"), style)),
            Cell::from(alert.name.as_str()),
            Cell::from(label("version")),
            Cell::from(label(&a.track_label)),
            Cell::from(if alert.value.is_finite() {
                crate::text::format_value(alert.value, unit)
            } else {
                g.none.to_owned()
            }),
            Cell::from(since),
            Cell::from(resolved.clone().unwrap_or_else(|| alert.summary.to_string())),
        ])
        .style(if resolved.is_some() { t.muted } else { t.text })
    });
    let widths = [
        Constraint::Length(10),
        Constraint::Length(24),
        Constraint::Length(9),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(7),
        Constraint::Fill(1),
    ];
    let table = Table::new(body, widths).header(Row::new(header)).block(block);
    list_table(frame, area, table, a.cursor.selected, ui);
}

/// Every label of the selected alert.
fn draw_detail(frame: &mut Frame, area: Rect, state: &State, ui: &Ui) {
    let t = ui.theme;
    let rows = state.alerts.rows();
    let Some(alert) = rows.get(state.alerts.cursor.selected) else {
        return;
    };
    let labels: Vec<Span> = alert
        .labels
        .iter()
        .flat_map(|(k, v)| {
            [
                // key=value, as kubectl prints labels: a wrap never parts them.
                Span::styled(format!("{k}="), t.muted),
                Span::styled(format!("{v}  "), t.text),
            ]
        })
        .collect();
    let summary = Line::from(vec![
        Span::styled("summary ", t.muted),
        Span::styled(alert.summary.as_str(), t.text),
    ]);
    let block = panel(" Alert ", false, ui);
    frame.render_widget(
        Paragraph::new(vec![summary, Line::from(labels)])
            .wrap(Wrap { trim: true })
            .block(block),
        area,
    );
}

fn draw_guard(frame: &mut Frame, area: Rect, state: &State, ui: &Ui) {
    let t = ui.theme;
    let a = &state.alerts;
    let mut lines: Vec<Line> = a
        .guard_events
        .iter()
        .rev()
        .map(|e| {
            let style = if e.outcome.is_ok() { t.warn } else { t.error };
            Line::styled(clean(&e.describe()), style)
        })
        .collect();
    let clock = |at: f64| crate::ui::widgets::local_time(state, at);
    for (i, guard) in a.guards.iter().enumerate() {
        let style = match &guard.state {
            crate::domain::guard::GuardState::Off(_) => t.warn,
            _ if guard.failed() => t.error,
            _ => t.text,
        };
        lines.insert(
            i,
            Line::styled(
                clean(&format!(
                    "{} ({}): {}",
                    guard.deployment,
                    guard.rule,
                    guard.describe(&clock)
                )),
                style,
            ),
        );
    }
    let block = panel(" Guard (this session; the audit log has every action) ", false, ui);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }).block(block), area);
}
