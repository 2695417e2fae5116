//! The Predict view's lower half: the run shown (latency, agreement, the
//! rows), a gauge while one runs, or what is needed before anything can.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Gauge, Paragraph, Row, Table, Wrap};

use super::Ui;
use super::widgets::{line, panel};
use crate::app::KeyAction;
use crate::app::predict::{PredictState, RunEntry, Running, Runtime};
use crate::app::screen::Pane;
use crate::config::KeyContext;
use crate::domain::prediction::agrees;
use crate::domain::prediction_run::{RunReport, values_words, vs_words};

pub fn draw(frame: &mut Frame, area: Rect, p: &PredictState, ui: &Ui) {
    let theme = ui.theme;
    let focused = p.focus == Pane::Detail;
    if let Runtime::Missing(why) = &p.runtime {
        let lines = vec![
            line("ONNX Runtime is not loaded: nothing can run here.", theme.warn),
            line(why.to_string(), theme.text),
            line(
                "In a checkout, scripts/onnxruntime installs it into .venv. The other views work without it.",
                theme.muted,
            ),
        ];
        let block = panel(" Run ", focused, ui);
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), area);
        return;
    }
    if let Some(running) = &p.running {
        return draw_running(frame, area, running, ui);
    }
    let Some(entry) = p.shown_run() else {
        let key = |a: KeyAction| {
            ui.keymap
                .key_for(KeyContext::Predict, a)
                .map_or_else(|| "(unbound)".to_owned(), |k| k.to_string())
        };
        let lines = vec![
            line(
                format!(
                    "{} marks a version A, then B; {} picks the input; {} runs them.",
                    key(KeyAction::Mark),
                    key(KeyAction::NextInput),
                    key(KeyAction::Run)
                ),
                theme.text,
            ),
            line(
                "With nothing marked, the selected version runs alone. :input PATH adds a file (.json, .jsonl, .csv, .npy).",
                theme.muted,
            ),
        ];
        let block = panel(" Run ", focused, ui);
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), area);
        return;
    };
    let sep = ui.glyphs.separator;
    let place = format!("Run {} of {}", p.shown + 1, p.runs.len());
    match entry {
        RunEntry::Failed { labels, input, why } => {
            let title = format!(" {place} {sep} {} {sep} {input} {sep} FAILED ", vs_words(labels));
            let block = panel(title, focused, ui).title_style(theme.error);
            let text = Paragraph::new(line(why.to_string(), theme.error)).wrap(Wrap { trim: false });
            frame.render_widget(text.block(block), area);
        }
        RunEntry::Done(report) => {
            let title = format!(" {place} {sep} {} {sep} {} ", vs_words(&report.labels), report.input);
            let mut block = panel(title, focused, ui);
            if report.rows.len() > 1 {
                // Says in words where j/k go now, for terminals without colour.
                let how = if focused {
                    "j/k scroll, esc back".to_owned()
                } else {
                    let key = ui
                        .keymap
                        .key_for(KeyContext::Global, KeyAction::NextPane)
                        .map_or_else(String::new, |k| k.to_string());
                    format!("{key} here, then j/k scroll")
                };
                let first = p.scroll + 1;
                block = block.title_bottom(Line::styled(
                    format!(" from row {first} of {} {sep} {how} ", report.rows.len()),
                    theme.muted,
                ));
            }
            let inner = block.inner(area);
            frame.render_widget(block, area);
            draw_report(frame, inner, p, report, ui);
        }
    }
}

fn draw_running(frame: &mut Frame, area: Rect, running: &Running, ui: &Ui) {
    let theme = ui.theme;
    let title = format!(
        " Running {} {} {} ",
        vs_words(&running.labels),
        ui.glyphs.separator,
        running.input
    );
    let block = panel(title, false, ui);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [gauge_area, words_area] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    let (ratio, label) = match running.total {
        Some(total) if total > 0 => (
            (running.rows as f64 / total as f64).clamp(0.0, 1.0),
            format!("{}/{total} rows", running.rows),
        ),
        _ => (0.0, format!("{} rows", running.rows)),
    };
    let gauge = Gauge::default()
        .ratio(ratio)
        .label(label)
        .gauge_style(theme.ok)
        .use_unicode(!ui.glyphs.ascii);
    frame.render_widget(gauge, gauge_area);
    let key = ui
        .keymap
        .key_for(KeyContext::Predict, KeyAction::Run)
        .map_or_else(String::new, |k| k.to_string());
    let words = if running.stopping {
        "stopping after the batch in flight".to_owned()
    } else {
        format!("{key} stops after the batch in flight; what is done is kept")
    };
    frame.render_widget(Paragraph::new(line(words, theme.muted)), words_area);
}

fn draw_report(frame: &mut Frame, area: Rect, p: &PredictState, report: &RunReport, ui: &Ui) {
    let theme = ui.theme;
    let letters = ["A", "B"];
    let mut lines: Vec<Line> = Vec::new();
    for ((letter, label), latency) in letters.iter().zip(&report.labels).zip(&report.summary.latency) {
        lines.push(Line::from(vec![
            Span::styled(format!("{letter} "), theme.key),
            Span::styled(format!("{label}: "), theme.text),
            Span::styled(latency.words(), theme.muted),
        ]));
    }
    if let Some(a) = &report.summary.agreement {
        let style = if a.agreeing == a.rows { theme.ok } else { theme.warn };
        lines.push(line(a.words(), style));
        lines.push(line(a.most_different_words(area.width as usize), theme.text));
    }
    if report.summary.stopped {
        lines.push(line(format!("stopped after {} rows", report.summary.rows), theme.warn));
    }
    let summary_height = (lines.len() as u16).min(area.height);
    let [summary_area, table_area] =
        Layout::vertical([Constraint::Length(summary_height), Constraint::Min(0)]).areas(area);
    frame.render_widget(Paragraph::new(lines), summary_area);
    if table_area.height < 2 || report.rows.is_empty() {
        return;
    }
    let two = report.labels.len() == 2;
    let differ = if ui.glyphs.ascii { "!=" } else { "≠" };
    let mut header = vec!["ROW", "A"];
    if two {
        header.extend(["B", "|DIFF|", ""]);
    }
    let threshold = report.summary.agreement.as_ref().map_or(0.5, |a| a.threshold);
    let rows = report.rows.iter().skip(p.scroll).map(|r| {
        let mut cells = vec![Cell::from(r.row.to_string())];
        cells.extend(r.values.iter().map(|v| Cell::from(values_words(v))));
        let mut style = theme.text;
        if let (Some(d), [a, b]) = (r.diff, r.values.as_slice()) {
            cells.push(Cell::from(format!("{d:.4}")));
            if !agrees(a, b, threshold) {
                cells.push(Cell::from(differ));
                style = theme.warn;
            }
        }
        Row::new(cells).style(style)
    });
    let mut widths = vec![Constraint::Length(7), Constraint::Length(14)];
    if two {
        widths.extend([Constraint::Length(14), Constraint::Length(8), Constraint::Length(2)]);
    }
    let more = report.summary.rows.saturating_sub(report.rows.len());
    let header_row = Row::new(header.into_iter().map(|h| Cell::from(h).style(theme.table_header)));
    let table = Table::new(rows, widths).header(header_row);
    frame.render_widget(table, table_area);
    if more > 0 && p.scroll + table_area.height as usize > report.rows.len() {
        let note = format!("{more} more rows not kept here; modeldeck predict --out writes them all");
        let last = Rect::new(table_area.x, table_area.bottom() - 1, table_area.width, 1);
        frame.render_widget(Paragraph::new(line(note, theme.muted)), last);
    }
}
