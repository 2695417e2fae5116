//! The A/B comparison: two versions side by side over the same window,
//! each panel's mean, the difference, and whether it is beyond noise, with
//! the test that says so named on every row.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line as TextLine, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::Ui;
use super::widgets::panel;
use crate::app::metrics::MetricsState;
use crate::domain::ab::{self, Comparison};
use crate::text::{clean, format_value};

pub fn draw(frame: &mut Frame, area: Rect, m: &MetricsState, ui: &Ui) {
    let t = ui.theme;
    let sep = ui.glyphs.separator;
    let Some(table) = &m.ab else {
        let block = panel(" A/B comparison ", false, ui);
        let text = "Two versions with data are needed to compare; only one (or none) has answered so far.";
        frame.render_widget(Paragraph::new(text).style(t.muted).block(block), area);
        return;
    };
    let ((a, a_track), (b, b_track)) = (&table.a, &table.b);
    let title = format!(
        " A/B {sep} A = {} {} {sep} B = {} {} {sep} last {} ",
        clean(a),
        clean(a_track),
        clean(b),
        clean(b_track),
        m.range_label()
    );
    let block = panel(title, false, ui)
        .title_bottom(" means over the range; Welch over non-overlapping windows; beyond noise: p < 0.05 (two-sided) ");
    let rows: Vec<Row> = table
        .rows
        .iter()
        .map(|row| {
            let name = Cell::from(row.name.clone());
            let Some(c) = &row.comparison else {
                return Row::new(vec![name, Cell::from(ui.glyphs.none)]).style(t.muted);
            };
            let verdict = if row.follows_weight {
                TextLine::styled("no verdict: follows the weight", t.muted)
            } else {
                verdict(c, ui)
            };
            Row::new(vec![
                name,
                Cell::from(format_value(c.a, &row.unit)),
                Cell::from(format_value(c.b, &row.unit)),
                Cell::from(difference(c, &row.unit)),
                Cell::from(verdict),
            ])
        })
        .collect();
    let header = Row::new(["PANEL", "A", "B", "B - A", "VERDICT"]).style(t.table_header);
    let widths = [
        Constraint::Length(20),
        Constraint::Length(12),
        Constraint::Length(12),
        Constraint::Length(18),
        Constraint::Fill(1),
    ];
    frame.render_widget(Table::new(rows, widths).header(header).block(block), area);
}

fn difference(c: &Comparison, unit: &str) -> String {
    let sign = if c.difference >= 0.0 { "+" } else { "-" };
    let relative = if c.a.abs() > 1e-12 {
        format!(" ({sign}{:.0}%)", (c.difference / c.a).abs() * 100.0)
    } else {
        String::new()
    };
    format!("{sign}{}{relative}", format_value(c.difference.abs(), unit))
}

fn verdict<'a>(c: &Comparison, ui: &Ui) -> TextLine<'a> {
    let t = ui.theme;
    let p = c.p_value.map_or(String::new(), |p| {
        if p < 0.001 {
            ", p < 0.001".to_owned()
        } else {
            format!(", p = {p:.3}")
        }
    });
    let stat = match (c.test, c.statistic, c.df) {
        (ab::Test::Welch, Some(s), Some(df)) if df.is_finite() => format!("t = {s:.2}, df {df:.1}{p}"),
        (ab::Test::Welch, Some(s), _) => format!("t = {s:.2}{p}"),
        (ab::Test::TwoProportion, Some(s), _) => format!("z = {s:.2}{p}"),
        (_, None, _) => String::new(),
    };
    let (text, style) = match c.beyond_noise {
        Some(true) => ("beyond noise", t.warn),
        Some(false) => ("within noise", t.ok),
        None => ("too little data", t.muted),
    };
    TextLine::from(vec![
        Span::styled(text, style),
        Span::styled(format!("  {} {stat}", c.test.name()).trim_end().to_owned(), t.muted),
    ])
}
