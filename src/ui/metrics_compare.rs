//! The A/B comparison: two versions side by side over the same window,
//! each panel's mean, the difference, and whether it is beyond noise, with
//! the test that says so named on every row.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line as TextLine, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::Ui;
use super::widgets::panel;
use crate::app::metrics::{MetricsState, PanelView};
use crate::config::metrics::{PanelKind, duration_seconds};
use crate::domain::ab::{self, Comparison};
use crate::text::{clean, format_value};

pub fn draw(frame: &mut Frame, area: Rect, m: &MetricsState, ui: &Ui) {
    let t = ui.theme;
    let sep = ui.glyphs.separator;
    let Some(((a, a_track), (b, b_track))) = m.ab_pair() else {
        let block = panel(" A/B comparison ", false, ui);
        let text = "Two versions with data are needed to compare; only one (or none) has answered so far.";
        frame.render_widget(Paragraph::new(text).style(t.muted).block(block), area);
        return;
    };
    let title = format!(
        " A/B {sep} A = {} {a_track} {sep} B = {} {b_track} {sep} last {} ",
        clean(&a),
        clean(&b),
        m.range_label()
    );
    let block = panel(title, false, ui)
        .title_bottom(" means over the range; Welch over non-overlapping windows; beyond noise: p < 0.05 (two-sided) ");
    // Requests served over the span with data, for the proportion tests.
    let served = |series: (&str, &str)| -> Option<f64> {
        let rate = m.panels.iter().find(|p| p.settings.kind == PanelKind::Rate)?;
        let points = &rate.line(series, "")?.points;
        let span = points.last()?.0 - points.first()?.0 + window_seconds(rate);
        let values: Vec<f64> = points.iter().map(|p| p.1).collect();
        ab::mean(&values).map(|r| r * span)
    };
    let (a, b) = ((a.as_str(), a_track.as_str()), (b.as_str(), b_track.as_str()));
    let counts = served(a).zip(served(b));
    let rows: Vec<Row> = m
        .rows()
        .into_iter()
        .map(|(i, stat)| {
            let p = &m.panels[i];
            let values = |series: (&str, &str)| -> Vec<f64> {
                p.line(series, &stat)
                    .map(|l| ab::independent(&l.points, window_seconds(p)))
                    .unwrap_or_default()
            };
            let proportion = matches!(p.settings.kind, PanelKind::Ratio)
                || (p.settings.kind == PanelKind::Gauge && p.settings.unit.is_empty());
            let name = format!("{} {stat}", clean(&p.settings.title)).trim_end().to_owned();
            let Some(c) = ab::compare(&values(a), &values(b), proportion, counts) else {
                return Row::new(vec![Cell::from(name), Cell::from(ui.glyphs.none)]).style(t.muted);
            };
            // A version's request rate is its share of the traffic: it
            // measures the weight, not the version, so it is no verdict.
            if p.settings.kind == PanelKind::Rate {
                return Row::new(vec![
                    Cell::from(name),
                    Cell::from(format_value(c.a, &p.settings.unit)),
                    Cell::from(format_value(c.b, &p.settings.unit)),
                    Cell::from(difference(&c, &p.settings.unit)),
                    Cell::from(TextLine::styled("no verdict: follows the weight", t.muted)),
                ]);
            }
            Row::new(vec![
                Cell::from(name),
                Cell::from(format_value(c.a, &p.settings.unit)),
                Cell::from(format_value(c.b, &p.settings.unit)),
                Cell::from(difference(&c, &p.settings.unit)),
                Cell::from(verdict(&c, ui)),
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

fn window_seconds(panel: &PanelView) -> f64 {
    duration_seconds(panel.settings.window()).unwrap_or(60.0)
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
