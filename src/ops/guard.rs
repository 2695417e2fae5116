//! The guard: the deployment guide's automated rollback. modeldeck's own
//! alert rules are evaluated over panel data for every version; when the
//! rule a guard names fires for a version on the guard's track, the
//! guard's action runs through `ops` (read-only mode, permission,
//! concurrency, audit), once per deployment and version, with the rule as
//! the audit line's reason. The configuration entry is the operator's
//! consent, given ahead; stale data never fires a rule.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::op::RolloutOp;
use super::{Operation, OpsContext, OpsError};
use crate::backends::kube::rollouts::{self, rollout_of};
use crate::backends::metrics::MetricsBackend;
use crate::backends::panels::Scope;
use crate::backends::prometheus::ActiveAlert;
use crate::config::Settings;
use crate::config::guard::{AlertRuleSettings, GuardAction, GuardSettings};
use crate::config::settings::TrafficSettings;
use crate::domain::alerting::{self, Evaluation, RuleState};
pub use crate::domain::guard::{GuardEvent, GuardReport, GuardState};
use crate::domain::operation::OpKind;
use crate::text::Clean;

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
        .map(|(k, v)| (Clean::new(k), Clean::new(v)))
        .collect();
        Some(ActiveAlert {
            name: Clean::new(&self.rule),
            state: self.eval.state,
            active_at,
            value: self.eval.value.unwrap_or(f64::NAN),
            labels,
            summary: Clean::new(&self.summary),
        })
    }
}

pub struct Watcher {
    backend: Arc<MetricsBackend>,
    settings: Settings,
    namespace: String,
    /// What each (deployment, version) was acted on at: the generation or
    /// version of the object the action writes. The same release is never
    /// acted on twice (nor retried after a failure); a new release of the
    /// same version is a new one.
    acted: HashMap<(String, String), String>,
    /// When each (rule, version, track) became active, kept while it stays
    /// pending or firing (as Prometheus keeps `activeAt`): the fetched
    /// window alone would cap how long ago that can be.
    active_since: HashMap<(String, String, String), f64>,
    /// Each guard's last event, by deployment.
    last: HashMap<String, GuardEvent>,
}

/// A rule that could not be evaluated: its panel's data did not come.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{rule}: {error}")]
pub struct RuleError {
    pub rule: String,
    pub error: crate::backends::metrics::MetricsError,
}

/// One check of every guard: what each rule said, what was done, and each
/// guard's state.
#[derive(Debug, Default)]
pub struct GuardTick {
    pub statuses: Vec<(String, Vec<Result<RuleStatus, RuleError>>)>,
    pub events: Vec<GuardEvent>,
    pub reports: Vec<GuardReport>,
}

impl Watcher {
    pub fn new(backend: Arc<MetricsBackend>, settings: Settings, namespace: String) -> Watcher {
        Watcher {
            backend,
            settings,
            namespace,
            acted: HashMap::new(),
            active_since: HashMap::new(),
            last: HashMap::new(),
        }
    }

    /// A tick every metrics refresh, the one pace of every guard loop (the
    /// console's and `modeldeck guard`'s); a late tick is skipped, not
    /// caught up in a burst of checks.
    pub fn ticks(&self) -> tokio::time::Interval {
        let refresh = std::time::Duration::from_secs(self.settings.metrics.refresh.max(1));
        let mut tick = tokio::time::interval(refresh);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        tick
    }

    pub fn has_work(&self) -> bool {
        !self.settings.alerts.is_empty()
    }

    /// How old data may be and still count: the one staleness rule.
    fn max_age(&self) -> f64 {
        crate::domain::alerting::stale_after(self.settings.metrics.refresh.max(1) as f64)
    }

    /// Every rule for every version of `deployment`'s scope (the namespace
    /// when empty), at `now`.
    pub async fn evaluate(&mut self, deployment: &str, now: f64) -> Vec<Result<RuleStatus, RuleError>> {
        self.evaluate_rules(deployment, now, None).await
    }

    /// As [`Watcher::evaluate`], for one rule only when `only` names it:
    /// only that rule's panel is fetched.
    pub async fn evaluate_rules(
        &mut self,
        deployment: &str,
        now: f64,
        only: Option<&str>,
    ) -> Vec<Result<RuleStatus, RuleError>> {
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
                    out.extend(rules.iter().map(|r| {
                        Err(RuleError {
                            rule: r.name.clone(),
                            error: e.clone(),
                        })
                    }));
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
                    let key = (rule.name.clone(), line.version.clone(), line.track.clone());
                    if matches!(eval.state, RuleState::Pending | RuleState::Firing) {
                        let since = self.active_since.entry(key).or_insert(eval.since.unwrap_or(now));
                        *since = since.min(eval.since.unwrap_or(now));
                        eval.since = Some(*since);
                        if now - *since >= rule.hold_seconds() {
                            eval.state = RuleState::Firing;
                        }
                    } else {
                        self.active_since.remove(&key);
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

    /// Checks every guard once: evaluates its rule and, where it fires
    /// for a watched version that runs where the action would change it
    /// (and was not acted on in this release), runs the action. Without
    /// `ctx` (no cluster) every guard is off, for `why`.
    pub async fn check_guards(&mut self, ctx: Result<&OpsContext, &str>, now: f64) -> GuardTick {
        let mut tick = GuardTick::default();
        for (deployment, guard) in self.settings.guard.clone() {
            let statuses = self.evaluate_rules(&deployment, now, Some(&guard.alert)).await;
            let (events, state) = match ctx {
                Ok(ctx) => self.act_on(ctx, &deployment, &guard, &statuses, now).await,
                Err(why) => (Vec::new(), GuardState::Off(why.to_owned())),
            };
            if let Some(event) = events.last() {
                self.last.insert(deployment.clone(), event.clone());
            }
            tick.events.extend(events);
            tick.reports.push(GuardReport {
                deployment: deployment.clone(),
                rule: guard.alert.clone(),
                track: guard.track().to_owned(),
                action: guard.action,
                state,
                last: self.last.get(&deployment).cloned(),
            });
            tick.statuses.push((deployment, statuses));
        }
        tick
    }

    /// Acts for one guard on its rule's `statuses`: once for each release
    /// of a watched version where the rule fires. Returns what it did and
    /// the guard's state.
    async fn act_on(
        &mut self,
        ctx: &OpsContext,
        deployment: &str,
        guard: &GuardSettings,
        statuses: &[Result<RuleStatus, RuleError>],
        now: f64,
    ) -> (Vec<GuardEvent>, GuardState) {
        let track = guard.track();
        if let Some(Err(e)) = statuses.iter().find(|s| s.is_err()) {
            return (Vec::new(), GuardState::Off(format!("cannot evaluate: {e}")));
        }
        let watched: Vec<&RuleStatus> = statuses
            .iter()
            .flatten()
            .filter(|s| s.rule == guard.alert && s.track == track)
            .collect();
        let mut events = Vec::new();
        let mut state = GuardState::Armed;
        for status in watched.iter().filter(|s| s.eval.state == RuleState::Firing) {
            let version = status.version.clone();
            let key = (deployment.to_owned(), version.clone());
            let release = match self.release(ctx, deployment, guard, &version).await {
                Ok(Some(release)) => release,
                // The version no longer runs where the action would act.
                Ok(None) => {
                    if self.acted.contains_key(&key) {
                        state = GuardState::Acted { version };
                    }
                    continue;
                }
                Err(e) => return (events, GuardState::Off(format!("cannot read {deployment}: {e}"))),
            };
            if self.acted.get(&key) == Some(&release) {
                state = GuardState::Acted { version };
                continue;
            }
            self.acted.insert(key, release);
            let reason = format!(
                "guard: {} ({}) fired for version {version} at {}",
                guard.alert,
                self.settings
                    .alerts
                    .iter()
                    .find(|r| r.name == guard.alert)
                    .map(AlertRuleSettings::describe)
                    .unwrap_or_default(),
                status.eval.value.map_or("?".to_owned(), |v| format!("{v:.3}")),
            );
            let ctx = OpsContext {
                reason: Some(reason),
                ..ctx.clone()
            };
            // The event is a record, kept and drawn as words.
            let outcome = self
                .act(&ctx, deployment, guard.action, &guard.service)
                .await
                .map_err(|e| e.to_string());
            events.push(GuardEvent {
                at: now,
                deployment: deployment.to_owned(),
                rule: guard.alert.clone(),
                version: version.clone(),
                action: guard.action,
                outcome,
            });
            state = GuardState::Acted { version };
        }
        if state == GuardState::Armed {
            if let Some(reason) = &ctx.readonly {
                state = GuardState::Off(reason.clone());
            } else if let Some(pending) = watched.iter().find(|s| s.eval.state == RuleState::Pending) {
                let hold = self
                    .settings
                    .alerts
                    .iter()
                    .find(|r| r.name == guard.alert)
                    .map_or(0.0, AlertRuleSettings::hold_seconds);
                state = GuardState::Pending {
                    version: pending.version.clone(),
                    held: pending.eval.since.map_or(0.0, |t| (now - t).max(0.0)),
                    hold,
                };
            }
        }
        (events, state)
    }

    /// Which release of `version` the guard's action would change, if the
    /// version runs there now: the deployment's generation for an undo,
    /// the route's resourceVersion for a canary abort (while the canary
    /// gets traffic), the Service's selector for a switch back. `None` when
    /// the version no longer runs there (the action was taken, by the
    /// guard or someone else).
    async fn release(
        &self,
        ctx: &OpsContext,
        deployment: &str,
        guard: &GuardSettings,
        version: &str,
    ) -> Result<Option<String>, OpsError> {
        let conn = &ctx.conn;
        let runs = |v: Option<&str>| v.is_some_and(|v| crate::domain::version::same(v, version));
        match guard.action {
            GuardAction::Undo => {
                let d = rollouts::get(conn, deployment).await?;
                let rollout = rollout_of(&d, &conn.versions);
                Ok(runs(rollout.version.name.as_deref())
                    .then(|| format!("generation {}", d.metadata.generation.unwrap_or_default())))
            }
            GuardAction::CanaryAbort => {
                let router = super::split::router_of(deployment, self.settings.rollouts.get(deployment))?;
                let (read, split) = super::split::split(conn, router.as_ref()).await?;
                let versions: Vec<&str> = read
                    .iter()
                    .filter_map(|o| o["metadata"]["resourceVersion"].as_str())
                    .collect();
                Ok((split.canary > 0).then(|| versions.join(",")))
            }
            GuardAction::SwitchBack => {
                let sides = super::bluegreen::sides(conn).await?;
                Ok(sides
                    .into_iter()
                    .find(|s| s.service == guard.service && runs(s.runs.name.as_deref()))
                    .map(|s| format!("{:?} {:?}", s.selector_version, s.previous)))
            }
        }
    }

    async fn act(
        &self,
        ctx: &OpsContext,
        deployment: &str,
        action: GuardAction,
        service: &str,
    ) -> Result<String, OpsError> {
        let kind = match action {
            GuardAction::CanaryAbort => OpKind::CanaryAbort,
            GuardAction::SwitchBack => OpKind::BlueGreenBack {
                service: service.to_owned(),
            },
            GuardAction::Undo => OpKind::Rollback(None),
        };
        let op = RolloutOp::new(&kind, deployment, &TrafficSettings::from(&self.settings));
        run(ctx, &op).await
    }
}

/// Prepare and execute with no dialog: the guard's configuration is the
/// consent. Every check of `prepare` still applies.
async fn run<O: Operation>(ctx: &OpsContext, op: &O) -> Result<String, OpsError> {
    match super::prepare(ctx, op).await? {
        super::Ready::Confirm(prepared) => super::execute(ctx, *prepared).await,
        super::Ready::Skipped(why) => Ok(format!("nothing to do: {why}")),
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

    fn state_of(statuses: &[Result<RuleStatus, RuleError>], version: &str) -> RuleState {
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
        let mut w = watcher(t0);
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
            (alert.state, alert.labels["track"].as_str()),
            (RuleState::Firing, "canary")
        );
        // A minute later with no scrape since: the same points are stale.
        let later = w.evaluate("", t0 + 70.0).await;
        assert_eq!(state_of(&later, "2.1.1"), RuleState::Stale);
    }

    #[tokio::test]
    async fn an_alert_stays_active_since_its_start_however_long_ago() {
        let t0 = 1_800_000_000.0;
        let mut w = watcher(t0);
        let scraper = w.backend.scraper().unwrap();
        // Three minutes of bad accuracy: longer than the window fetched
        // for a 5 s rule (5 + 4 refreshes + 60 s).
        for i in 11..=180 {
            let samples = vec![accuracy("2.1.1", "canary", 0.72)];
            scraper.ingest(0, Ok(samples), t0 + f64::from(i));
            if i % 10 == 0 {
                w.evaluate("", t0 + f64::from(i)).await;
            }
        }
        let statuses = w.evaluate("", t0 + 180.0).await;
        let bad = statuses.iter().flatten().find(|s| s.version == "2.1.1").unwrap();
        assert_eq!(bad.eval.state, RuleState::Firing);
        assert_eq!(bad.eval.since, Some(t0), "active since the first bad point");
    }

    #[tokio::test]
    async fn a_failing_scrape_makes_old_points_stale() {
        let t0 = 1_800_000_000.0;
        let mut w = watcher(t0);
        let scraper = w.backend.scraper().unwrap();
        // The URL stops answering; its last good scrape ages.
        for i in 11..40 {
            scraper.ingest(
                0,
                Err(crate::backends::scraper::ScrapeError::Request(
                    "connection refused at http://127.0.0.1:1/metrics".into(),
                )),
                t0 + f64::from(i),
            );
        }
        let statuses = w.evaluate("", t0 + 40.0).await;
        assert_eq!(state_of(&statuses, "2.1.1"), RuleState::Stale);
    }
}
