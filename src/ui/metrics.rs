//! Metrics: per-version live values of every panel, and the selected
//! panel's chart (or the A/B comparison).
//!
//! ```text
//! ┌ Metrics · ml-serving/malaria-predictor · 3 scraped URLs · last 5m ┐
//! │ PANEL          2.0.5 stable    2.1.0 canary    2.1.1 shadow       │
//! │▶ Request rate  18.0/s ↑2%      2.0/s           9.0/s              │
//! └───────────────────────────────────────────────────────────────────┘
//! ┌ Latency p95 · updated 2s ago ─────────────────────────────────────┐
//! │ chart, one line per version                                       │
//! └───────────────────────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line as TextLine, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::Ui;
use super::chart::{SeriesStyle, TimeChart, series_styles};
use super::widgets::{line, list_table, not_connected, panel};
use crate::app::State;
use crate::app::metrics::{MetricsState, PanelView};
use crate::domain::series::Line;
use crate::domain::traffic::Track;
use crate::text::{clean, format_value, human_age};

pub fn draw(frame: &mut Frame, area: Rect, state: &State, ui: &Ui) {
    let theme = ui.theme;
    let m = &state.metrics;
    if let Some(error) = &m.setup_error {
        let lines = vec![
            line("The metrics source could not be set up.", theme.warn),
            TextLine::default(),
            line(clean(error), theme.text),
            TextLine::default(),
            line(
                "Fix [metrics] in the configuration (modeldeck info shows which file), then restart.",
                theme.muted,
            ),
        ];
        return not_connected(frame, area, ui, "Metrics", lines);
    }
    if !m.configured {
        let lines = vec![
            line("No metrics source is configured.", theme.warn),
            TextLine::default(),
            line(
                "Set [metrics] source = \"prometheus\" with [metrics.prometheus] url, or source = \"scrape\" \
                 with [metrics.scrape] urls = [\"http://host:port/metrics\"]. `modeldeck demo` sets up both \
                 the exporter and the config.",
                theme.text,
            ),
        ];
        return not_connected(frame, area, ui, "Metrics", lines);
    }
    let rows = m.rows();
    // Every panel's row in sight (the guide's accuracy and error ratio
    // among them), the chart keeping at least eight lines.
    let table_height = (rows.len() as u16 + 3).min(area.height.saturating_sub(8).max(area.height / 2));
    let [table_area, chart_area] =
        Layout::vertical([Constraint::Length(table_height), Constraint::Fill(1)]).areas(area);
    let now = state.now().unwrap_or_default();
    draw_table(frame, table_area, state, &rows, now, ui);
    if m.compare {
        super::metrics_compare::draw(frame, chart_area, m, ui);
    } else {
        draw_chart(frame, chart_area, m, now, ui);
    }
}

/// A version's headline values, for the Rollouts detail: each rate, gauge
/// and ratio panel, and the p95 of quantile panels that have one.
pub fn version_summary(m: &MetricsState, version: &str, track: &str, ui: &Ui) -> Option<String> {
    use crate::config::metrics::PanelKind;
    let mut parts = Vec::new();
    for p in &m.panels {
        let stat = match p.settings.kind {
            PanelKind::Rate | PanelKind::Gauge | PanelKind::Ratio => String::new(),
            PanelKind::Quantile => {
                let stats: Vec<String> = p
                    .settings
                    .quantiles
                    .iter()
                    .map(|q| crate::domain::series::quantile_stat(*q))
                    .collect();
                // The p95 is the headline; other distributions stay in Metrics.
                match stats.iter().find(|s| *s == "p95") {
                    Some(s) => s.clone(),
                    None => continue,
                }
            }
            PanelKind::Mean | PanelKind::Promql => continue,
        };
        let Some(line) = p.data.as_ref().and_then(|d| {
            d.lines
                .iter()
                .find(|l| l.version == version && l.track == track && l.stat == stat)
        }) else {
            continue;
        };
        if let Some((_, value)) = line.points.last() {
            let name = format!("{} {stat}", p.settings.name).trim_end().to_owned();
            parts.push(format!("{name} {}", format_value(*value, &p.settings.unit)));
        }
    }
    (!parts.is_empty()).then(|| parts.join(&format!(" {} ", ui.glyphs.separator)))
}

fn draw_table(frame: &mut Frame, area: Rect, state: &State, rows: &[(usize, String)], now: f64, ui: &Ui) {
    let m = &state.metrics;
    let t = ui.theme;
    let versions = m.versions();
    let scope = m.scope.as_ref().map_or(String::new(), |s| {
        if s.deployment.is_empty() {
            s.namespace.clone()
        } else {
            format!("{}/{}", s.namespace, s.deployment)
        }
    });
    let sep = ui.glyphs.separator;
    let mut title = vec![Span::styled(
        format!(
            " Metrics {sep} {} {sep} {} {sep} last {} ",
            clean(&scope),
            clean(&m.source),
            m.range_label()
        ),
        t.title,
    )];
    // A range longer than the data says how far back the data goes.
    if let Some(covered) = m.covered(now).filter(|c| *c < m.range_seconds() * 0.9) {
        title.push(Span::styled(format!("(data: {}) ", human_age(covered as i64)), t.warn));
    }
    if !m.cursor.filter.is_empty() {
        let all = m.panels.len();
        title.push(Span::styled(
            format!("{sep} {} rows of {all} panels match {:?} ", rows.len(), m.cursor.filter),
            t.title,
        ));
    }
    if m.paused {
        title.push(Span::styled(format!("{} paused ", ui.glyphs.paused), t.warn));
    }
    if any_bounded(m, &versions) {
        title.push(Span::styled(
            format!("{sep} {} top bucket ", ui.glyphs.at_least),
            t.muted,
        ));
    }
    let block = panel(TextLine::from(title), true, ui);
    let mut header = vec![Cell::from("PANEL")];
    let styles = series_styles(&versions, ui);
    for ((version, track), SeriesStyle { style, swatch, .. }) in versions.iter().zip(&styles) {
        // A track the version no longer serves on keeps its old values,
        // said to be past.
        let role = match (track.is_empty(), m.ended(version, track, now)) {
            (true, _) => String::new(),
            (false, false) => format!(" {}", clean(track)),
            (false, true) => format!(" was {}", clean(track)),
        };
        header.push(Cell::from(TextLine::from(vec![
            Span::styled(format!("{swatch} "), *style),
            Span::styled(format!("{}{role}", clean(version)), t.table_header),
        ])));
    }
    header.push(Cell::from("DATA"));
    let body: Vec<Row> = rows
        .iter()
        .map(|(i, stat)| {
            let p = &m.panels[*i];
            let name = format!("{} {stat}", clean(&p.settings.title)).trim_end().to_owned();
            // The DATA column is cut on narrow terminals: mark trouble here too.
            let name = if p.is_stale(now, m.refresh) {
                TextLine::styled(format!("{name} {}", ui.glyphs.warn), t.warn)
            } else {
                TextLine::from(name)
            };
            let mut cells = vec![Cell::from(name)];
            for (version, track) in &versions {
                let mut cell = value_cell(p, (version, track), stat, ui);
                if m.ended(version, track, now) {
                    cell = cell.style(t.muted);
                }
                cells.push(Cell::from(cell));
            }
            cells.push(Cell::from(data_state(p, now, m.refresh, ui)));
            Row::new(cells)
        })
        .collect();
    let mut widths = vec![Constraint::Length(20)];
    widths.extend(versions.iter().map(|_| Constraint::Length(18)));
    widths.push(Constraint::Fill(1));
    let table = Table::new(body, widths)
        .header(Row::new(header).style(t.table_header))
        .block(block);
    list_table(frame, area, table, m.cursor.selected, ui);
}

/// "18.0/s ↑2%": the newest value and its change over the range.
fn value_cell<'a>(panel: &PanelView, series: (&str, &str), stat: &str, ui: &Ui) -> TextLine<'a> {
    let t = ui.theme;
    let Some(line) = panel.line(series, stat) else {
        return TextLine::styled(ui.glyphs.none, t.muted);
    };
    let (Some(first), Some(last)) = (line.points.first(), line.points.last()) else {
        return TextLine::styled(ui.glyphs.none, t.muted);
    };
    let unit = &panel.settings.unit;
    let breach = panel.settings.breached(last.1);
    // On the highest finite bucket, a quantile is only known to be at least
    // that: histogram_quantile answers the bound itself.
    let bounded = panel
        .data
        .as_ref()
        .and_then(|d| d.top_bucket)
        .is_some_and(|top| (last.1 - top).abs() <= 1e-9 * top.abs().max(1.0));
    let at_least = if bounded { ui.glyphs.at_least } else { "" };
    let mut spans = vec![Span::styled(
        format!("{at_least}{}", format_value(last.1, unit)),
        if breach { t.error } else { t.text },
    )];
    if first.1.abs() > 1e-12 && line.points.len() > 1 {
        let change = (last.1 - first.1) / first.1.abs() * 100.0;
        if change.abs() >= 1.0 {
            let (up, down) = if ui.glyphs.ascii { ("+", "-") } else { ("↑", "↓") };
            let arrow = if change > 0.0 { up } else { down };
            spans.push(Span::styled(format!(" {arrow}{:.0}%", change.abs()), t.muted));
        }
    }
    if breach {
        spans.push(Span::styled(format!(" {}", ui.glyphs.warn), t.error));
    }
    TextLine::from(spans)
}

/// How fresh a panel is: its age, "stale" with the reason, or "loading".
fn data_state<'a>(panel: &PanelView, now: f64, refresh: f64, ui: &Ui) -> TextLine<'a> {
    let t = ui.theme;
    let age = panel.age(now).map(|a| human_age(a as i64));
    match (panel.error.why(), age) {
        (Some(error), Some(age)) => TextLine::styled(format!("stale ({age} old): {}", clean(error)), t.warn),
        (Some(error), None) => TextLine::styled(clean(error), t.error),
        (None, Some(age)) if panel.is_stale(now, refresh) => TextLine::styled(format!("stale, {age} old"), t.warn),
        (None, Some(age)) => TextLine::styled(format!("{age} ago"), t.muted),
        (None, None) if panel.data.is_some() => TextLine::styled("no data yet", t.muted),
        (None, None) => TextLine::styled(format!("loading{}", ui.glyphs.ellipsis), t.muted),
    }
}

fn draw_chart(frame: &mut Frame, area: Rect, m: &MetricsState, now: f64, ui: &Ui) {
    let t = ui.theme;
    let Some((panel_view, stat)) = m.selected() else {
        let block = panel(" Chart ", false, ui);
        frame.render_widget(
            Paragraph::new("No panel matches the filter.")
                .block(block)
                .style(t.muted),
            area,
        );
        return;
    };
    let s = &panel_view.settings;
    let sep = ui.glyphs.separator;
    let unit = if s.unit.is_empty() {
        String::new()
    } else {
        format!(" ({})", s.unit)
    };
    let name = format!("{} {stat}", clean(&s.title));
    let mut title = vec![Span::styled(format!(" {}{unit} ", name.trim_end()), t.title)];
    if panel_view.is_stale(now, m.refresh) {
        let age = panel_view
            .age(now)
            .map_or(String::new(), |a| format!(", {} old", human_age(a as i64)));
        let why = panel_view
            .error
            .why()
            .map_or(String::new(), |e| format!(": {}", clean(e)));
        title.push(Span::styled(format!("{sep} stale{age}{why} "), t.warn));
    }
    let lines: Vec<&Line> = panel_view
        .data
        .as_ref()
        .map(|d| d.lines.iter().filter(|l| l.stat == stat).collect())
        .unwrap_or_default();
    // The same style per version as the table's header.
    let keys = m.versions();
    let all = series_styles(&keys, ui);
    let styles: Vec<SeriesStyle> = lines
        .iter()
        .filter_map(|l| {
            let i = keys.iter().position(|(v, t)| *v == l.version && *t == l.track)?;
            all.get(i).cloned()
        })
        .collect();
    // Shadow versions answer nobody: say so where their line is drawn.
    let legend: Vec<Span> = lines
        .iter()
        .zip(&styles)
        .flat_map(|(l, SeriesStyle { style, swatch, .. })| {
            let style = *style;
            let ended = m.ended(&l.version, &l.track, now);
            let note = if Track::of_label(&l.track) == Some(Track::Shadow) && !ended {
                " (shadow: serves no answers)"
            } else {
                ""
            };
            let was = if ended { "was " } else { "" };
            [
                Span::styled(format!(" {swatch} "), style),
                Span::styled(
                    format!("{} {was}{}{note}", clean(&l.version), clean(&l.track))
                        .trim_end()
                        .to_owned(),
                    t.text,
                ),
            ]
        })
        .collect();
    let block = panel(TextLine::from(title), false, ui).title_bottom(TextLine::from(legend));
    if lines.is_empty() {
        let text = match panel_view.error.why() {
            Some(error) => line(clean(error), t.error),
            None if panel_view.data.is_some() => line("No series match this panel yet.", t.muted),
            None => line(format!("Waiting for the first answer{}", ui.glyphs.ellipsis), t.muted),
        };
        frame.render_widget(Paragraph::new(text).block(block).wrap(Wrap { trim: true }), area);
        return;
    }
    let end = panel_view.requested_at.unwrap_or(now);
    TimeChart {
        lines,
        styles,
        unit: &s.unit,
        start: end - m.range_seconds(),
        end,
        threshold: s.threshold,
    }
    .draw(frame, area, block, ui);
}

/// Whether any shown quantile sits on its panel's highest finite bucket.
fn any_bounded(m: &MetricsState, versions: &[(String, String)]) -> bool {
    m.panels.iter().any(|p| {
        let Some(top) = p.data.as_ref().and_then(|d| d.top_bucket) else {
            return false;
        };
        p.data.as_ref().is_some_and(|d| {
            d.lines.iter().any(|l| {
                versions.iter().any(|(v, t)| *v == l.version && *t == l.track)
                    && l.points
                        .last()
                        .is_some_and(|(_, v)| (v - top).abs() <= 1e-9 * top.abs().max(1.0))
            })
        })
    })
}
