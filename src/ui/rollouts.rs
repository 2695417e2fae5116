//! Rollouts: deployments, revisions and traffic. No cluster backend exists
//! in this build, so the view says so plainly.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::Ui;
use super::widgets::{field, line, not_connected};
use crate::app::State;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, ui: &Ui) {
    let theme = ui.theme;
    let session = &state.session;
    let lines = vec![
        line("Not connected to a Kubernetes cluster.", theme.warn),
        Line::default(),
        line(
            "Rollout status, revision history, rollback, blue-green and canary traffic need the \
             Kubernetes backend, which this build of modeldeck does not have yet.",
            theme.text,
        ),
        Line::default(),
        field(
            "context",
            session.context.clone().unwrap_or_else(|| "none".into()),
            theme,
        ),
        field("namespace", session.namespace.clone(), theme),
    ];
    not_connected(frame, area, ui, "Rollouts", lines);
}
