//! Alerts: pending and firing alerts. They come from the metrics source,
//! which this build does not have, so the view says so plainly.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::Ui;
use super::widgets::{line, not_connected};
use crate::app::State;

pub fn draw(frame: &mut Frame, area: Rect, _state: &State, ui: &Ui) {
    let theme = ui.theme;
    let lines = vec![
        line("No alert source connected.", theme.warn),
        Line::default(),
        line(
            "Alerts such as ModelAccuracyDegraded and HighPredictionLatency are read from Prometheus \
             or evaluated from scraped metrics; neither source is in this build yet.",
            theme.text,
        ),
    ];
    not_connected(frame, area, ui, "Alerts", lines);
}
