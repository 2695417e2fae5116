//! The guard: the deployment guide's automated rollback. modeldeck's own
//! alert rules are evaluated over panel data for every version; when the
//! rule a guard names fires for a version on the guard's track, the
//! guard's action runs through `ops` (read-only mode, permission,
//! concurrency, audit), once per deployment and version, with the rule as
//! the audit line's reason. The configuration entry is the operator's
//! consent, given ahead; stale data never fires a rule.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use super::bluegreen::{BlueGreenSwitch, SwitchTo};
use super::canary::{Canary, Move};
use super::rollback::Rollback;
use super::{Operation, OpsContext, Outcome};
use crate::backends::metrics::MetricsBackend;
use crate::backends::panels::Scope;
use crate::backends::prometheus::ActiveAlert;
use crate::config::Settings;
use crate::config::guard::{AlertRuleSettings, GuardAction, GuardSettings};
use crate::domain::alerting::{self, Evaluation, RuleState};

/// One rule's state for one version.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleStatus {
    pub rule: String,
    pub summary: String,
    pub version: String,
    pub track: String,
    pub eval: Evaluation,
}

impl RuleStatus {
    /// As Prometheus would list it in /api/v1/alerts (pending or firing only).
    pub fn as_alert(&self, namespace: &str) -> Option<ActiveAlert> {
        if !matches!(self.eval.state, RuleState::Pending | RuleState::Firing) {
            return None;
        }
        let active_at = self
            .eval
            .since
            .and_then(|t| jiff::Timestamp::from_millisecond((t * 1000.0) as i64).ok())
            .map(|t| t.to_string())
            .unwrap_or_default();
        let labels = [
            ("alertname", &self.rule),
            ("namespace", &namespace.to_owned()),
            ("version", &self.version),
            ("track", &self.track),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect();
        Some(ActiveAlert {
            name: self.rule.clone(),
            state: self.eval.state.name().to_owned(),
            active_at,
            value: self.eval.value.unwrap_or(f64::NAN),
            labels,
            summary: self.summary.clone(),
        })
    }
}

/// What a guard did.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardEvent {
    pub deployment: String,
    pub rule: String,
    pub version: String,
    pub action: GuardAction,
    /// The change made (or why none was needed), or why it failed.
    pub outcome: Result<String, String>,
}

impl GuardEvent {
    pub fn describe(&self) -> String {
        let head = format!(
            "guard {}: {} fired for version {}, so: {}",
            self.deployment,
            self.rule,
            self.version,
            self.action.describe()
        );
        match &self.outcome {
            Ok(done) => format!("{head}: {done}"),
            Err(e) => format!("{head}: FAILED: {e}"),
        }
    }
}

pub struct Watcher {
    backend: Arc<MetricsBackend>,
    settings: Settings,
    namespace: String,
    /// (deployment, version) pairs already acted on: never twice.
    acted: HashSet<(String, String)>,
}

impl Watcher {
    pub fn new(backend: Arc<MetricsBackend>, settings: Settings, namespace: String) -> Watcher {
        Watcher {
            backend,
            settings,
            namespace,
            acted: HashSet::new(),
        }
    }

    pub fn has_work(&self) -> bool {
        !self.settings.alerts.is_empty()
    }

    /// How old data may be and still count: three refreshes and some slack.
    fn max_age(&self) -> f64 {
        3.0 * self.settings.metrics.refresh.max(1) as f64 + 10.0
    }

    /// Every rule for every version of `deployment`'s scope (the namespace
    /// when empty), at `now`.
    pub async fn evaluate(&self, deployment: &str, now: f64) -> Vec<Result<RuleStatus, String>> {
        self.evaluate_rules(deployment, now, None).await
    }

    /// As [`Watcher::evaluate`], for one rule only when `only` names it:
    /// only that rule's panel is fetched.
    pub async fn evaluate_rules(
        &self,
        deployment: &str,
        now: f64,
        only: Option<&str>,
    ) -> Vec<Result<RuleStatus, String>> {
        let scope = Scope {
            namespace: self.namespace.clone(),
            deployment: deployment.to_owned(),
        };
        let mut by_panel: BTreeMap<&str, Vec<&AlertRuleSettings>> = BTreeMap::new();
        for rule in self
            .settings
            .alerts
            .iter()
            .filter(|r| only.is_none_or(|name| r.name == name))
        {
            by_panel.entry(rule.panel.as_str()).or_default().push(rule);
        }
        let mut out = Vec::new();
        for (panel_name, rules) in by_panel {
            let Some(panel) = self.settings.metrics.panels.iter().find(|p| p.name == panel_name) else {
                continue;
            };
            let hold = rules.iter().map(|r| r.hold_seconds()).fold(0.0, f64::max);
            let range = hold + 4.0 * self.settings.metrics.refresh.max(1) as f64 + 60.0;
            let data = match self.backend.fetch(panel, &scope, now, range).await {
                Ok(data) => data,
                Err(e) => {
                    out.extend(rules.iter().map(|r| Err(format!("{}: {e}", r.name))));
                    continue;
                }
            };
            // The source's own age: a scrape that stopped answering leaves
            // old points behind that must not fire anything.
            let source_stale = data.newest.is_none_or(|t| now - t > self.max_age());
            for rule in rules {
                let (below, threshold) = rule.condition();
                for line in data.lines.iter().filter(|l| l.stat == rule.stat) {
                    let mut eval =
                        alerting::evaluate(&line.points, below, threshold, rule.hold_seconds(), now, self.max_age());
                    if source_stale {
                        eval.state = RuleState::Stale;
                    }
                    out.push(Ok(RuleStatus {
                        rule: rule.name.clone(),
                        summary: rule.summary.clone(),
                        version: line.version.clone(),
                        track: line.track.clone(),
                        eval,
                    }));
                }
            }
        }
        out
    }

    /// Checks every guard once: evaluates its rule and, where it fires for
    /// a watched version not acted on before, runs the action.
    pub async fn check_guards(&mut self, ctx: &OpsContext, now: f64) -> Vec<GuardEvent> {
        let mut events = Vec::new();
        for (deployment, guard) in self.settings.guard.clone() {
            let statuses = self.evaluate_rules(&deployment, now, Some(&guard.alert)).await;
            events.extend(self.act_on(ctx, &deployment, &guard, &statuses).await);
        }
        events
    }

    /// Acts for one guard on its rule's `statuses` (evaluated by the
    /// caller): once for each watched version where the rule fires.
    pub async fn act_on(
        &mut self,
        ctx: &OpsContext,
        deployment: &str,
        guard: &GuardSettings,
        statuses: &[Result<RuleStatus, String>],
    ) -> Vec<GuardEvent> {
        let mut events = Vec::new();
        let deployment = deployment.to_owned();
        let track = guard.track();
        let firing: Vec<RuleStatus> = statuses
            .iter()
            .flatten()
            .filter(|s| s.rule == guard.alert && s.track == track && s.eval.state == RuleState::Firing)
            .cloned()
            .collect();
        for status in firing {
            let key = (deployment.clone(), status.version.clone());
            if !self.acted.insert(key) {
                continue;
            }
            let reason = format!(
                "guard: {} ({}) fired for version {} at {}",
                guard.alert,
                self.settings
                    .alerts
                    .iter()
                    .find(|r| r.name == guard.alert)
                    .map(AlertRuleSettings::describe)
                    .unwrap_or_default(),
                status.version,
                status.eval.value.map_or("?".to_owned(), |v| format!("{v:.3}")),
            );
            let ctx = OpsContext {
                reason: Some(reason),
                ..ctx.clone()
            };
            let outcome = self.act(&ctx, &deployment, guard.action, &guard.service).await;
            events.push(GuardEvent {
                deployment: deployment.clone(),
                rule: guard.alert.clone(),
                version: status.version,
                action: guard.action,
                outcome,
            });
        }
        events
    }

    async fn act(
        &self,
        ctx: &OpsContext,
        deployment: &str,
        action: GuardAction,
        service: &str,
    ) -> Result<String, String> {
        match action {
            GuardAction::CanaryAbort => {
                let op = Canary::new(
                    deployment,
                    self.settings.rollouts.get(deployment),
                    &self.settings.canary.ladder,
                    Move::Abort,
                );
                run(ctx, &op).await
            }
            GuardAction::SwitchBack => {
                let op = BlueGreenSwitch {
                    service: service.to_owned(),
                    to: SwitchTo::Back,
                };
                run(ctx, &op).await
            }
            GuardAction::Undo => {
                let op = Rollback {
                    deployment: deployment.to_owned(),
                    to_revision: None,
                };
                run(ctx, &op).await
            }
        }
    }
}

/// Prepare and execute with no dialog: the guard's configuration is the
/// consent. Every check of `prepare` still applies.
async fn run<O: Operation>(ctx: &OpsContext, op: &O) -> Result<String, String> {
    match super::prepare(ctx, op).await.map_err(|e| e.to_string())? {
        Ok(prepared) => match super::execute(ctx, prepared).await.map_err(|e| e.to_string())? {
            Outcome::Done(summary) | Outcome::Skipped(summary) => Ok(summary),
        },
        Err(Outcome::Skipped(why) | Outcome::Done(why)) => Ok(format!("nothing to do: {why}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backends::scrape::Sample;
    use crate::config::metrics::MetricsSource;
    use crate::config::{LoadOptions, load};

    fn settings() -> Settings {
        let opts = LoadOptions {
            config_dir: "/nonexistent".into(),
            ..Default::default()
        };
        let mut settings = load(&opts).unwrap().config.settings;
        settings.metrics.source = MetricsSource::Scrape;
        settings.metrics.refresh = 1;
        settings.metrics.scrape.urls = vec!["http://127.0.0.1:1/metrics".into()];
        settings.alerts.retain(|r| r.name == "ModelAccuracyDegraded");
        settings.alerts[0].hold = "5s".into();
        settings
    }

    fn accuracy(version: &str, track: &str, value: f64) -> Sample {
        let labels = [("namespace", "ml"), ("track", track), ("version", version)];
        Sample {
            name: "model_accuracy".into(),
            labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            value,
        }
    }

    /// Eleven scrapes, one a second from t0: 2.1.1 below 0.85 throughout.
    fn watcher(t0: f64) -> Watcher {
        let settings = settings();
        let backend = Arc::new(MetricsBackend::new(&settings.metrics, &|_| None).unwrap());
        let scraper = backend.scraper().unwrap();
        for i in 0..=10 {
            let samples = vec![accuracy("2.1.1", "canary", 0.72), accuracy("2.0.5", "stable", 0.9)];
            scraper.ingest(0, Ok(samples), t0 + f64::from(i));
        }
        Watcher::new(backend, settings, "ml".into())
    }

    fn state_of(statuses: &[Result<RuleStatus, String>], version: &str) -> RuleState {
        statuses
            .iter()
            .flatten()
            .find(|s| s.version == version)
            .map(|s| s.eval.state)
            .unwrap()
    }

    #[tokio::test]
    async fn fresh_bad_data_fires_and_stale_data_never_does() {
        let t0 = 1_800_000_000.0;
        let w = watcher(t0);
        let now = w.evaluate("", t0 + 10.0).await;
        assert_eq!(state_of(&now, "2.1.1"), RuleState::Firing);
        assert_eq!(state_of(&now, "2.0.5"), RuleState::Inactive);
        let alert = now
            .iter()
            .flatten()
            .find(|s| s.version == "2.1.1")
            .unwrap()
            .as_alert("ml")
            .unwrap();
        assert_eq!(
            (alert.state.as_str(), alert.labels["track"].as_str()),
            ("firing", "canary")
        );
        // A minute later with no scrape since: the same points are stale.
        let later = w.evaluate("", t0 + 70.0).await;
        assert_eq!(state_of(&later, "2.1.1"), RuleState::Stale);
    }

    #[tokio::test]
    async fn a_failing_scrape_makes_old_points_stale() {
        let t0 = 1_800_000_000.0;
        let w = watcher(t0);
        let scraper = w.backend.scraper().unwrap();
        // The URL stops answering; its last good scrape ages.
        for i in 11..40 {
            scraper.ingest(
                0,
                Err("http://127.0.0.1:1/metrics: connection refused".into()),
                t0 + f64::from(i),
            );
        }
        let statuses = w.evaluate("", t0 + 40.0).await;
        assert_eq!(state_of(&statuses, "2.1.1"), RuleState::Stale);
    }
}
