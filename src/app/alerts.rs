//! The Alerts view's state and what the guard reported: active alerts
//! (Prometheus's own, or modeldeck's rules evaluated over scraped data),
//! kept with their age when a refresh fails, and every guard action, which
//! stays in a banner for the session.

use super::action::MetricsAction;
use super::list_cursor::ListCursor;
use super::state::{Level, State};
use crate::backends::prometheus::ActiveAlert;
use crate::ops::guard::GuardEvent;
use crate::text::clean;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AlertsState {
    /// The last good list; kept when a refresh fails.
    pub alerts: Option<Vec<ActiveAlert>>,
    /// Why the last refresh failed, if it did.
    pub error: Option<String>,
    /// Unix seconds of the last good list.
    pub at: Option<f64>,
    /// "Prometheus" or "modeldeck's [[alerts]] rules".
    pub source: String,
    pub cursor: ListCursor,
    /// What the guard did this session, oldest first.
    pub guard_events: Vec<GuardEvent>,
    /// Why the guard cannot act (no connection), if so.
    pub guard_problem: Option<String>,
}

impl AlertsState {
    /// The alerts that pass the filter, firing first, then by name.
    pub fn rows(&self) -> Vec<&ActiveAlert> {
        let mut rows: Vec<&ActiveAlert> = self
            .alerts
            .iter()
            .flatten()
            .filter(|a| {
                let labels = a.labels.values().map(String::as_str);
                self.cursor
                    .matches([a.name.as_str(), a.state.as_str()].into_iter().chain(labels))
            })
            .collect();
        rows.sort_by(|a, b| (a.state != "firing", &a.name).cmp(&(b.state != "firing", &b.name)));
        rows
    }
}

pub fn receive_alerts(state: &mut State, result: Result<Vec<ActiveAlert>, String>, at: f64) {
    let a = &mut state.alerts;
    match result {
        Ok(list) => {
            a.alerts = Some(list);
            a.error = None;
            a.at = Some(at);
        }
        Err(e) => a.error = Some(clean(&e)),
    }
    let len = a.rows().len();
    a.cursor.clamp(len);
}

pub fn receive(state: &mut State, action: MetricsAction) {
    match action {
        MetricsAction::Alerts { result, at } => receive_alerts(state, result, at),
        MetricsAction::Guard(event) => {
            let level = if event.outcome.is_ok() {
                Level::Warn
            } else {
                Level::Error
            };
            state.set_status(level, clean(&event.describe()));
            state.alerts.guard_events.push(event);
        }
        MetricsAction::GuardProblem(problem) => state.alerts.guard_problem = problem.map(|p| clean(&p)),
        MetricsAction::Panel { .. } => {}
    }
}
