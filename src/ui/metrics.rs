//! Metrics: live per-version charts. No metrics source exists in this
//! build, so the view says so plainly.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::Ui;
use super::widgets::{line, not_connected};
use crate::app::State;

pub fn draw(frame: &mut Frame, area: Rect, _state: &State, ui: &Ui) {
    let theme = ui.theme;
    let lines = vec![
        line("No metrics source connected.", theme.warn),
        Line::default(),
        line(
            "Request rate, latency percentiles, confidence and accuracy per model version come from \
             Prometheus or from scraping /metrics endpoints; neither source is in this build yet.",
            theme.text,
        ),
    ];
    not_connected(frame, area, ui, "Metrics", lines);
}
