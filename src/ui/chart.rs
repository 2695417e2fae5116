//! A time chart of panel lines: one line per version, coloured by its
//! track (stable, canary, shadow), braille points, a time axis ending at
//! "now", a y axis in the panel's unit, and the panel's threshold. Without
//! colour each version gets its own marker; in ASCII mode the axes are
//! redrawn in ASCII too.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::Span;
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType};

use super::Ui;
use crate::domain::series::Line;
use crate::domain::traffic::Track;

/// Markers that tell lines apart without colour, in ASCII.
const PLAIN_MARKERS: [char; 5] = ['*', '+', 'o', 'x', '#'];

/// How one version's line is drawn, shared by the chart, its legend and
/// the stat table's header.
#[derive(Debug, Clone)]
pub struct SeriesStyle {
    pub style: Style,
    pub marker: Marker,
    pub swatch: String,
}

/// A style for each (version, track), in order: the track's colour, or,
/// for a second version on the same track (a canary replaced), the next
/// colour not yet taken. Without colour each gets its own marker.
pub fn series_styles(keys: &[(String, String)], ui: &Ui) -> Vec<SeriesStyle> {
    let t = ui.theme;
    let palette = [t.series_other, t.series_canary, t.series_stable, t.series_shadow];
    let plain = ui.glyphs.ascii || t.name == "mono";
    let mut used: Vec<Style> = Vec::new();
    keys.iter()
        .enumerate()
        .map(|(index, (_, track))| {
            let preferred = match Track::of_label(track) {
                Some(Track::Stable) => t.series_stable,
                Some(Track::Canary) => t.series_canary,
                Some(Track::Shadow) => t.series_shadow,
                None => t.series_other,
            };
            let style = if used.contains(&preferred) && !plain {
                palette.iter().copied().find(|s| !used.contains(s)).unwrap_or(preferred)
            } else {
                preferred
            };
            used.push(style);
            let marker_char = PLAIN_MARKERS[index % PLAIN_MARKERS.len()];
            let (marker, swatch) = if plain {
                (Marker::Custom(marker_char), marker_char.to_string())
            } else if ui.glyphs.ascii {
                (Marker::Braille, "-".to_owned())
            } else {
                (Marker::Braille, "━".to_owned())
            };
            SeriesStyle { style, marker, swatch }
        })
        .collect()
}

pub struct TimeChart<'a> {
    pub lines: Vec<&'a Line>,
    /// One per line.
    pub styles: Vec<SeriesStyle>,
    pub unit: &'a str,
    pub start: f64,
    pub end: f64,
    pub threshold: Option<f64>,
}

impl TimeChart<'_> {
    pub fn draw(&self, frame: &mut Frame, area: Rect, block: Block<'_>, ui: &Ui) {
        let points: Vec<Vec<(f64, f64)>> = self
            .lines
            .iter()
            .map(|l| l.points.iter().map(|(t, v)| (t - self.end, *v)).collect())
            .collect();
        let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
        for (_, v) in points.iter().flatten() {
            low = low.min(*v);
            high = high.max(*v);
        }
        if let Some(t) = self.threshold {
            low = low.min(t);
            high = high.max(t);
        }
        if !low.is_finite() {
            (low, high) = (0.0, 1.0);
        }
        // Rates and ratios start at zero; a flat line gets some room.
        if low > 0.0 && low < high * 0.5 {
            low = 0.0;
        }
        let pad = ((high - low) * 0.1).max(high.abs() * 0.05).max(1e-9);
        let (low, high) = (
            (low - pad).max(if low >= 0.0 { 0.0 } else { f64::NEG_INFINITY }),
            high + pad,
        );
        let span = self.end - self.start;
        let threshold_points = self.threshold.map(|t| vec![(-span, t), (0.0, t)]).unwrap_or_default();
        // One dataset per run of points: no line across a stretch without data.
        let mut datasets: Vec<Dataset> = Vec::new();
        for (i, points) in points.iter().enumerate() {
            let Some(s) = self.styles.get(i) else { continue };
            for run in crate::domain::series::segments(points, 2.5) {
                datasets.push(
                    Dataset::default()
                        .marker(s.marker)
                        .graph_type(GraphType::Line)
                        .style(s.style)
                        .data(run),
                );
            }
        }
        if !threshold_points.is_empty() {
            let marker = if ui.glyphs.ascii {
                Marker::Custom('.')
            } else {
                Marker::Braille
            };
            datasets.insert(
                0,
                Dataset::default()
                    .marker(marker)
                    .graph_type(GraphType::Line)
                    .style(ui.theme.error)
                    .data(&threshold_points),
            );
        }
        let t = ui.theme;
        let label = |v: f64| Span::styled(crate::text::format_value(v, self.unit), t.muted);
        let ago = |s: f64| Span::styled(format!("-{}", crate::text::human_age(s as i64)), t.muted);
        let chart = Chart::new(datasets)
            .block(block)
            .style(t.text)
            .hidden_legend_constraints((
                ratatui::layout::Constraint::Length(0),
                ratatui::layout::Constraint::Length(0),
            ))
            .x_axis(Axis::default().bounds([-span, 0.0]).style(t.border).labels([
                ago(span),
                ago(span / 2.0),
                Span::styled("now", t.muted),
            ]))
            .y_axis(Axis::default().bounds([low, high]).style(t.border).labels([
                label(low),
                label((low + high) / 2.0),
                label(high),
            ]));
        frame.render_widget(chart, area);
        if ui.glyphs.ascii {
            asciify(frame, area);
        }
    }
}

/// ratatui draws axes with box-drawing characters; ASCII mode replaces them.
fn asciify(frame: &mut Frame, area: Rect) {
    let buffer = frame.buffer_mut();
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let Some(cell) = buffer.cell_mut((x, y)) else { continue };
            let plain = match cell.symbol() {
                "│" | "┃" => "|",
                "─" | "━" => "-",
                "└" | "┌" | "┐" | "┘" | "┼" | "├" | "┤" | "┬" | "┴" => "+",
                _ => continue,
            };
            cell.set_symbol(plain);
        }
    }
}
