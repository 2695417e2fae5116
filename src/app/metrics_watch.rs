//! The console's background watch: every refresh, the active alerts for
//! the Alerts view (Prometheus's, or modeldeck's rules over the scraped
//! data), and the guard's check, acting through ops on its own connection.
//! Runs whatever view is shown: the guard must not depend on where the
//! operator is looking.

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use super::action::{Action, MetricsAction};
use crate::backends::kube::connect;
use crate::backends::metrics::MetricsBackend;
use crate::backends::prometheus::ActiveAlert;
use crate::backends::scraper::unix_now;
use crate::config::Settings;
use crate::ops::OpsContext;
use crate::ops::guard::Watcher;
use crate::ops::op::OpsConfig;

/// What the watch needs beyond the metrics source.
#[derive(Clone)]
pub struct WatchSetup {
    pub settings: Settings,
    pub kube: OpsConfig,
    pub namespace: String,
}

pub(super) async fn run(
    backend: Arc<MetricsBackend>,
    setup: WatchSetup,
    answers: UnboundedSender<Action>,
    actions: super::in_flight::InFlight,
) {
    let mut watcher = Watcher::new(backend.clone(), setup.settings.clone(), setup.namespace.clone());
    let guarding = !setup.settings.guard.is_empty();
    let mut ctx: Result<OpsContext, String> = Err("connecting to the cluster".into());
    let mut tick = watcher.ticks();
    loop {
        tick.tick().await;
        let now = unix_now();
        let result = match backend.alerts().await {
            Some(result) => result.map_err(|e| e.to_string()),
            None => local_alerts(&mut watcher, &setup.namespace, now).await,
        };
        let send = |action| answers.send(Action::Metrics(action)).is_ok();
        if !send(MetricsAction::Alerts { result, at: now }) {
            return;
        }
        if !guarding {
            continue;
        }
        if ctx.is_err() {
            ctx = connect(&setup.kube.target)
                .await
                .map(|conn| setup.kube.context(conn))
                .map_err(|e| format!("cannot reach the cluster: {e}"));
        }
        // A rollback the guard starts finishes, audited, before the
        // console exits.
        let running = actions.start("the guard's check (a rollback it started finishes)".into());
        let tick = watcher.check_guards(ctx.as_ref().map_err(String::as_str), now).await;
        drop(running);
        if !send(MetricsAction::Guards {
            reports: tick.reports,
            events: tick.events,
        }) {
            return;
        }
    }
}

/// modeldeck's rules over the source's data, as Prometheus would list
/// them; an error only when no rule could be evaluated at all.
async fn local_alerts(watcher: &mut Watcher, namespace: &str, now: f64) -> Result<Vec<ActiveAlert>, String> {
    if !watcher.has_work() {
        return Ok(Vec::new());
    }
    let statuses = watcher.evaluate("", now).await;
    let first_error = statuses.iter().find_map(|s| s.as_ref().err().map(ToString::to_string));
    let evaluated: Vec<_> = statuses.into_iter().flatten().collect();
    match (evaluated.is_empty(), first_error) {
        (true, Some(e)) => Err(e),
        _ => Ok(evaluated.iter().filter_map(|s| s.as_alert(namespace)).collect()),
    }
}
