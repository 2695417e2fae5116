//! Predict: local ONNX predictions on sample inputs. The ONNX Runtime
//! backend is not in this build, so the view says so plainly and names the
//! models that will be available.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::Ui;
use super::widgets::{line, not_connected};
use crate::app::State;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, ui: &Ui) {
    let theme = ui.theme;
    let mut lines = vec![
        line("ONNX Runtime is not loaded.", theme.warn),
        Line::default(),
        line(
            "Running a model version on sample inputs needs the ONNX Runtime backend, which this \
             build of modeldeck does not have yet.",
            theme.text,
        ),
    ];
    if let Some(load) = state.models.registry.loaded() {
        let files = load
            .models
            .iter()
            .flat_map(|m| m.versions.iter())
            .filter(|v| v.file_present)
            .count();
        lines.push(Line::default());
        lines.push(line(
            format!("The registry has {files} ONNX files ready for it."),
            theme.muted,
        ));
    }
    not_connected(frame, area, ui, "Predict", lines);
}
