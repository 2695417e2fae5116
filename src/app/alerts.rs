//! The Alerts view's state and what the guard reported: active alerts
//! (Prometheus's own, or modeldeck's rules evaluated over scraped data),
//! kept with their age when a refresh fails, and every guard action, which
//! stays in a banner for the session.

use super::list_cursor::ListCursor;
use super::shared::{Level, Shared};
use crate::backends::prometheus::ActiveAlert;
use crate::domain::alerting::RuleState;
use crate::domain::guard::{GuardEvent, GuardReport};
use crate::domain::rollout::Rollout;
use crate::text::Clean;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AlertsState {
    /// The last good list; kept when a refresh fails.
    pub alerts: Option<Vec<ActiveAlert>>,
    /// Why the refreshes fail, and since when, if they do.
    pub error: super::outage::Outage,
    /// Unix seconds of the last good list.
    pub at: Option<f64>,
    /// "Prometheus" or "modeldeck's [[alerts]] rules".
    pub source: String,
    pub cursor: ListCursor,
    /// What the guard did this session, oldest first.
    pub guard_events: Vec<GuardEvent>,
    /// Each guard's state at the last check.
    pub guards: Vec<GuardReport>,
    /// Each alert's unit, by alert name, from the panel its rule watches
    /// (so values read as the Metrics view shows them).
    pub units: std::collections::BTreeMap<String, String>,
    /// The label that names a version's track on series and pods.
    pub track_label: String,
    /// What runs now, from the cluster's watch: (namespace, version, track).
    pub running: Option<Vec<(String, String, Option<String>)>>,
}

impl AlertsState {
    /// The Alerts view before its first answer: where alerts come from,
    /// each rule's unit (its panel's), and the track label.
    pub fn for_settings(settings: &crate::config::Settings) -> AlertsState {
        use crate::config::metrics::MetricsSource;
        let units = settings
            .alerts
            .iter()
            .filter_map(|rule| {
                let panel = settings.metrics.panels.iter().find(|p| p.name == rule.panel)?;
                Some((rule.name.clone(), panel.unit.clone()))
            })
            .collect();
        let source = match settings.metrics.source {
            MetricsSource::Prometheus => "Prometheus".into(),
            MetricsSource::Scrape => "modeldeck's [[alerts]] rules".into(),
            MetricsSource::None => String::new(),
        };
        AlertsState {
            source,
            units,
            track_label: settings.metrics.track_label.clone(),
            ..Default::default()
        }
    }

    /// The alerts that pass the filter: firing first, then pending, then
    /// resolved; by name within each.
    pub fn rows(&self) -> Vec<&ActiveAlert> {
        let mut rows: Vec<&ActiveAlert> = self
            .alerts
            .iter()
            .flatten()
            .filter(|a| {
                let labels = a.labels.values().map(Clean::as_str);
                self.cursor
                    .matches([a.name.as_str(), a.state.name()].into_iter().chain(labels))
            })
            .collect();
        let rank = |a: &ActiveAlert| match (self.resolved(a).is_some(), a.state) {
            (true, _) => 2,
            (false, RuleState::Firing) => 0,
            (false, _) => 1,
        };
        rows.sort_by(|a, b| (rank(a), &a.name).cmp(&(rank(b), &b.name)));
        rows
    }

    /// Why an alert no longer stands, though its source still lists it:
    /// the version it is about no longer runs (on its track) in its
    /// namespace — its series linger for a rate window or a scrape or two.
    pub fn resolved(&self, alert: &ActiveAlert) -> Option<String> {
        let running = self.running.as_ref()?;
        let label = |k: &str| alert.labels.get(k).map(Clean::as_str).filter(|v| !v.is_empty());
        let (namespace, version) = (label("namespace")?, label("version")?);
        // Only a namespace the watch lists can say what runs there.
        if !running.iter().any(|(ns, _, _)| ns == namespace) {
            return None;
        }
        let track = label(&self.track_label);
        let runs = running.iter().any(|(ns, v, t)| {
            ns == namespace
                && crate::domain::version::same(v, version)
                && (track.is_none() || t.is_none() || t.as_deref() == track)
        });
        (!runs).then(|| match track {
            Some(track) => format!("{version} no longer runs on {track}"),
            None => format!("{version} no longer runs"),
        })
    }

    /// Firing alerts that still stand.
    pub fn firing(&self) -> usize {
        self.rows()
            .iter()
            .filter(|a| a.state == RuleState::Firing && self.resolved(a).is_none())
            .count()
    }
}

/// Active alerts, or why they could not be read; `configured`: whether a
/// metrics source is set at all (without one there is nothing to fail).
pub fn receive_alerts(
    a: &mut AlertsState,
    shared: &mut Shared,
    configured: bool,
    result: Result<Vec<ActiveAlert>, String>,
    at: f64,
) {
    match result {
        Ok(list) => {
            a.alerts = Some(list);
            a.at = Some(at);
            if a.error.clear() {
                shared.note(Level::Info, "alerts: answering again; the list is current");
            }
        }
        // Without a metrics source there is nothing to fail: the view
        // says none is configured.
        Err(_) if !configured => {}
        Err(e) => {
            if a.error.fail(&e, shared.clock) {
                let text = format!("cannot read the alerts: {e}");
                shared.note(Level::Error, text);
            }
        }
    }
    let len = a.rows().len();
    a.cursor.clamp(len);
}

/// Every guard's state after a check, and what they did in it: each
/// action in the log, as a warning (an error when it failed).
pub fn receive_guards(a: &mut AlertsState, shared: &mut Shared, reports: Vec<GuardReport>, events: Vec<GuardEvent>) {
    for event in events {
        let level = if event.outcome.is_ok() {
            Level::Warn
        } else {
            Level::Error
        };
        shared.note(level, event.describe());
        a.guard_events.push(event);
    }
    a.guards = reports;
}

/// What runs where, from the watch's list, as the alerts compare it:
/// (namespace, version, track label's value).
pub fn running_of(list: &[Rollout], track_label: &str) -> Vec<(String, String, Option<String>)> {
    list.iter()
        .filter_map(|r| {
            let version = r.version.name.as_ref()?.to_string();
            Some((
                r.namespace.to_string(),
                version,
                r.labels.get(track_label).map(|t| t.to_string()),
            ))
        })
        .collect()
}
