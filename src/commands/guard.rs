//! `modeldeck guard`: the guard as a headless process, for a bastion host
//! or a pod. Watches until interrupted; prints each rule's state changes
//! for the watched versions and every action, one line each, stamped with
//! the time (RFC 3339, UTC, as the audit log's `time`).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::backends::metrics::MetricsBackend;
use crate::backends::scraper::unix_now;
use crate::config::Settings;
use crate::domain::alerting::RuleState;
use crate::ops::OpsContext;
use crate::ops::guard::Watcher;

/// Runs until `stop` resolves; `say` gets every line worth printing.
pub async fn watch(
    settings: &Settings,
    ctx: OpsContext,
    env: &dyn Fn(&str) -> Option<String>,
    stop: impl std::future::Future<Output = ()>,
    mut say_line: impl FnMut(&str),
) -> Result<(), String> {
    let mut say = |line: &str| say_line(&stamped(jiff::Timestamp::now(), line));
    if settings.guard.is_empty() {
        return Err("no [guard.DEPLOYMENT] entry in the configuration: nothing to guard (see modeldeck info)".into());
    }
    let backend = Arc::new(MetricsBackend::new(&settings.metrics, env).map_err(|e| e.to_string())?);
    if let Some(scraper) = backend.scraper() {
        tokio::spawn(scraper.run());
    }
    let namespace = ctx.conn.namespace.clone();
    let mut watcher = Watcher::new(backend.clone(), settings.clone(), namespace.clone());
    for (deployment, guard) in &settings.guard {
        say(&format!(
            "guarding {namespace}/{deployment}: when {} fires for a {} version, {} (source: {})",
            guard.alert,
            guard.track(),
            guard.action.describe(),
            backend.describe()
        ));
    }
    let mut tick = watcher.ticks();
    let mut last: BTreeMap<(String, String, String), RuleState> = BTreeMap::new();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => return Ok(()),
            _ = tick.tick() => {}
        }
        let now = unix_now();
        // One evaluation of each guard's rule serves the report and the action.
        let tick = watcher.check_guards(Ok(&ctx), now).await;
        for (_, statuses) in &tick.statuses {
            for status in statuses {
                match status {
                    Ok(s) => {
                        let key = (s.rule.clone(), s.version.clone(), s.track.clone());
                        if last.insert(key, s.eval.state) != Some(s.eval.state) {
                            let value = s.eval.value.map_or(String::new(), |v| format!(" (value {v:.3})"));
                            say(&format!(
                                "{} is {} for version {} {}{value}",
                                s.rule,
                                s.eval.state.name(),
                                s.version,
                                s.track
                            ));
                        }
                    }
                    Err(e) => say(&format!("cannot evaluate: {e}")),
                }
            }
        }
        for event in &tick.events {
            say(&event.describe());
        }
    }
}

/// `2026-12-01T21:45:53Z line`: when it happened, first, so the lines
/// read against the audit log and the cluster's events.
pub fn stamped(at: jiff::Timestamp, line: &str) -> String {
    format!("{} {line}", at.strftime("%Y-%m-%dT%H:%M:%SZ"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_start_with_their_time() {
        let at = jiff::Timestamp::from_second(1_796_161_553).unwrap_or_default();
        assert_eq!(super::stamped(at, "guarding x"), "2026-12-01T21:45:53Z guarding x");
    }
}
