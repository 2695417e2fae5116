//! The Metrics view's state and its part of `update`: which panels are
//! shown over which range for which rollout, when to fetch (each panel on
//! its own, so a slow one never holds the others back), and what to keep
//! when a fetch fails (the old lines, marked stale, never a blank).

use super::ViewId;
use super::action::{Effect, MetricsEffect};
use super::list_cursor::ListCursor;
use super::shared::{Level, Shared};
use crate::backends::metrics::PanelData;
use crate::backends::panels::Scope;
use crate::config::metrics::{MetricsSettings, MetricsSource, PanelKind, PanelSettings};
use crate::domain::rollout::Rollout;
use crate::domain::series::{Line, quantile_stat};
use crate::domain::traffic::Track;
use crate::text::Clean;

/// The time ranges the range keys step through, in seconds.
pub const RANGES: [(u32, &str); 4] = [(300, "5m"), (900, "15m"), (3600, "1h"), (21600, "6h")];

#[derive(Debug, Clone, PartialEq)]
pub struct PanelView {
    pub settings: PanelSettings,
    pub data: Option<PanelData>,
    /// Why the fetches fail and since when; the data before is kept.
    pub error: super::outage::Outage,
    pub in_flight: bool,
    pub requested_at: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetricsState {
    /// Where the data comes from ("Prometheus http://…", "3 scraped URLs").
    pub source: String,
    pub configured: bool,
    /// The source could not be set up (bad URL, missing token variable).
    pub setup_error: Option<String>,
    pub panels: Vec<PanelView>,
    pub cursor: ListCursor,
    /// Index into [`RANGES`].
    pub range: usize,
    pub paused: bool,
    /// Showing the A/B comparison instead of the selected chart.
    pub compare: bool,
    /// Seconds between fetches of a panel.
    pub refresh: f64,
    /// The rollout the panels show; a new one clears them.
    pub scope: Option<Scope>,
    /// The version the A/B comparison sets against A, when the operator
    /// picked one (else the canary, or the shadow).
    pub compare_with: Option<(String, String)>,
    /// The A/B table while the comparison is shown, computed when data
    /// arrives ([`MetricsState::refresh_ab`]).
    pub ab: Option<crate::domain::ab::AbTable>,
    /// Whether the matchers or a panel name `{deployment}`: only then does
    /// the selected rollout change what is fetched.
    pub uses_deployment: bool,
    generation: u64,
}

impl MetricsState {
    /// The metrics source the settings describe, and the view's state for
    /// it; a source that cannot be set up is reported in the view, and the
    /// console runs on without it. `env` gives the environment's text
    /// values (credentials named in the settings).
    pub fn with_source(
        settings: &MetricsSettings,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> (
        Option<std::sync::Arc<crate::backends::metrics::MetricsBackend>>,
        MetricsState,
    ) {
        use crate::backends::metrics::MetricsBackend;
        match MetricsBackend::new(settings, env) {
            Ok(backend) => {
                let state = MetricsState::new(settings, backend.describe(), None);
                (Some(std::sync::Arc::new(backend)), state)
            }
            Err(e) => (None, MetricsState::new(settings, String::new(), Some(e.to_string()))),
        }
    }

    pub fn new(settings: &MetricsSettings, source: String, setup_error: Option<String>) -> MetricsState {
        MetricsState {
            source,
            configured: settings.source != MetricsSource::None && setup_error.is_none(),
            setup_error,
            panels: settings
                .panels
                .iter()
                .map(|p| PanelView {
                    settings: p.clone(),
                    data: None,
                    error: Default::default(),
                    in_flight: false,
                    requested_at: None,
                })
                .collect(),
            refresh: settings.refresh.max(1) as f64,
            uses_deployment: settings.matchers.contains("{deployment}")
                || settings.panels.iter().any(|p| p.promql.contains("{deployment}")),
            ..MetricsState::default()
        }
    }

    /// The versions seen in any panel, in version order, with their track.
    pub fn versions(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .panels
            .iter()
            .filter_map(|p| p.data.as_ref())
            .flat_map(|d| d.lines.iter().map(|l| (l.version.clone(), l.track.clone())))
            .collect();
        out.sort_by(|a, b| crate::domain::version::order(&a.0, &b.0).then_with(|| a.1.cmp(&b.1)));
        out.dedup();
        out
    }

    /// The A/B pair: A is the stable version; B the one picked, else the
    /// canary, else the shadow, else the next version.
    pub fn ab_pair(&self) -> Option<((String, String), (String, String))> {
        let all = self.versions();
        let find = |track: Track| all.iter().find(|(_, t)| Track::of_label(t) == Some(track)).cloned();
        let a = find(Track::Stable).or_else(|| all.first().cloned())?;
        let picked = self.compare_with.clone().filter(|b| all.contains(b) && *b != a);
        let b = picked
            .or_else(|| find(Track::Canary))
            .or_else(|| find(Track::Shadow))
            .or_else(|| all.iter().find(|v| **v != a).cloned())?;
        (a != b).then_some((a, b))
    }

    /// The notice while panels fail: how many, the first reason, and since
    /// when the first of them has been failing.
    pub fn outage_notice(&self) -> Option<super::shared::Notice> {
        let failing: Vec<&PanelView> = self.panels.iter().filter(|p| p.error.is_failing()).collect();
        let first = failing.iter().min_by_key(|p| p.error.since().map(|t| t.timestamp()))?;
        let why = first.error.why()?;
        let headline = first.error.headline("metrics")?;
        let which = if failing.len() == self.panels.len() {
            "every panel".to_owned()
        } else {
            format!("{} of {} panels", failing.len(), self.panels.len())
        };
        let kept = if failing.iter().any(|p| p.data.is_some()) {
            "the charts are as they were then"
        } else {
            "nothing read yet"
        };
        Some(super::shared::Notice {
            key: format!("metrics {why}"),
            level: Level::Error,
            text: Clean::new(&format!("{headline} ({which}); {kept}, retrying")),
            more: 0,
        })
    }

    pub fn range_seconds(&self) -> f64 {
        f64::from(RANGES[self.range.min(RANGES.len() - 1)].0)
    }

    pub fn range_label(&self) -> &'static str {
        RANGES[self.range.min(RANGES.len() - 1)].1
    }

    /// The rows of the stat table: each panel once per stat (a quantile
    /// panel once per quantile), as (panel index, stat), filtered.
    pub fn rows(&self) -> Vec<(usize, String)> {
        let mut rows = Vec::new();
        for (i, panel) in self.panels.iter().enumerate() {
            let stats: Vec<String> = match panel.settings.kind {
                PanelKind::Quantile => panel.settings.quantiles.iter().map(|q| quantile_stat(*q)).collect(),
                _ => vec![String::new()],
            };
            for stat in stats {
                let label = format!("{} {stat}", panel.settings.title);
                if self.cursor.matches([panel.settings.name.as_str(), label.as_str()]) {
                    rows.push((i, stat));
                }
            }
        }
        rows
    }

    /// The selected row's panel and stat.
    pub fn selected(&self) -> Option<(&PanelView, String)> {
        let (i, stat) = self.rows().into_iter().nth(self.cursor.selected)?;
        Some((self.panels.get(i)?, stat))
    }

    /// How far back the data shown goes, from `now`: the oldest point of
    /// any panel (a 6h range over 24 minutes of scraping says so).
    pub fn covered(&self, now: f64) -> Option<f64> {
        self.panels
            .iter()
            .filter_map(|p| p.data.as_ref())
            .flat_map(|d| d.lines.iter().filter_map(|l| l.points.first().map(|p| p.0)))
            .fold(None, |oldest: Option<f64>, t| Some(oldest.map_or(t, |o| o.min(t))))
            .map(|oldest| (now - oldest).max(0.0))
    }

    /// How old data may be before it is stale: three refreshes and slack.
    pub fn stale_after(&self) -> f64 {
        stale_after(self.refresh)
    }

    /// Whether `version` stopped reporting on `track` while the source
    /// still answers: its newest point, in any panel, is stale though the
    /// panels' newest is not (a shadow that was removed, a canary
    /// promoted to stable).
    pub fn ended(&self, version: &str, track: &str, now: f64) -> bool {
        let newest = |matching: &dyn Fn(&Line) -> bool| {
            self.panels
                .iter()
                .filter_map(|p| p.data.as_ref())
                .flat_map(|d| d.lines.iter().filter(|l| matching(l)))
                .filter_map(|l| l.points.last().map(|p| p.0))
                .fold(None, |acc: Option<f64>, t| Some(acc.map_or(t, |a| a.max(t))))
        };
        let (Some(series), Some(any)) = (newest(&|l| l.version == version && l.track == track), newest(&|_| true))
        else {
            return false;
        };
        let limit = self.stale_after();
        now - series > limit && now - any <= limit
    }

    pub fn panel(&self, name: &str) -> Option<&PanelView> {
        self.panels.iter().find(|p| p.settings.name == name)
    }
}

impl PanelView {
    /// The line of `version` on `track` for `stat`, if it has one: one
    /// version may run on two tracks (stable now, shadow before), and their
    /// series are different series.
    pub fn line(&self, (version, track): (&str, &str), stat: &str) -> Option<&Line> {
        self.data
            .as_ref()?
            .lines
            .iter()
            .find(|l| l.version == version && l.track == track && l.stat == stat)
    }

    /// Whether the lines shown are older than they should be: the last
    /// fetch failed, or nothing new came for three refreshes.
    pub fn is_stale(&self, now: f64, refresh: f64) -> bool {
        self.error.is_failing() || self.age(now).is_some_and(|age| age > stale_after(refresh))
    }

    /// Seconds since the newest data point.
    pub fn age(&self, now: f64) -> Option<f64> {
        self.data.as_ref()?.newest.map(|t| (now - t).max(0.0))
    }
}

pub use crate::domain::alerting::stale_after;

/// The rollout the panels are drawn for: the one selected in Rollouts, or
/// the session's namespace (the Deployment only when a panel's query
/// depends on it, so moving through the list does not refetch the same
/// series).
pub fn scope(m: &MetricsState, selected: Option<&Rollout>, namespace: &str) -> Scope {
    match selected {
        Some(rollout) => Scope {
            namespace: rollout.namespace.to_string(),
            deployment: if m.uses_deployment {
                rollout.name.to_string()
            } else {
                String::new()
            },
        },
        None => Scope {
            namespace: namespace.to_owned(),
            deployment: String::new(),
        },
    }
}

/// Asks for every panel that is due: not in flight, not paused, and not
/// fetched within the refresh interval (or all of them when `force`).
pub fn fetch_due(m: &mut MetricsState, shared: &Shared, scope: Scope, force: bool) -> Vec<Effect> {
    let Some(now) = shared.now() else { return Vec::new() };
    let view = shared.view;
    // Rollouts shows the rate as sparklines and each version's headline
    // values beside the rollout; both views need the panels.
    let shown = matches!(view, ViewId::Metrics | ViewId::Rollouts);
    if !m.configured || m.paused || !shown || m.panels.is_empty() {
        return Vec::new();
    }
    if m.scope.as_ref() != Some(&scope) {
        // Another rollout's lines must not pass for this one's.
        m.generation += 1;
        for panel in &mut m.panels {
            panel.in_flight = false;
            panel.data = None;
            // The source's failure, and since when, outlives the switch.
            panel.requested_at = None;
        }
        m.scope = Some(scope.clone());
        m.refresh_ab();
    }
    let refresh = m.refresh;
    let mut names = Vec::new();
    for panel in &mut m.panels {
        let due = panel.requested_at.is_none_or(|t| now - t >= refresh);
        if !panel.in_flight && (force || due) {
            panel.in_flight = true;
            panel.requested_at = Some(now);
            names.push(panel.settings.name.clone());
        }
    }
    if names.is_empty() {
        return Vec::new();
    }
    vec![Effect::Metrics(MetricsEffect::Fetch {
        generation: m.generation,
        panels: names,
        scope,
        end: now,
        range: m.range_seconds(),
    })]
}

/// Starts over: a new range, rollout or resume makes every answer on its
/// way stale, and every panel due now.
pub fn restart(m: &mut MetricsState, shared: &Shared, scope: Scope) -> Vec<Effect> {
    m.generation += 1;
    for panel in &mut m.panels {
        panel.in_flight = false;
    }
    fetch_due(m, shared, scope, true)
}

/// One panel's lines, or why there are none; answers for an older
/// generation (range, rollout, pause) are dropped.
pub fn receive_panel(
    m: &mut MetricsState,
    shared: &mut Shared,
    generation: u64,
    name: &str,
    result: Result<PanelData, String>,
) {
    {
        {
            if generation != m.generation {
                return;
            }
            let was_failing = m.panels.iter().any(|p| p.error.is_failing());
            let seen = |e: &str| m.panels.iter().any(|p| p.error.why() == Some(e));
            let new_reason = result
                .as_ref()
                .err()
                .map(|e| crate::text::clean(e))
                .filter(|e| !seen(e));
            let Some(panel) = m.panels.iter_mut().find(|p| p.settings.name == name) else {
                return;
            };
            panel.in_flight = false;
            match result {
                Ok(data) => {
                    panel.data = Some(data);
                    panel.error.clear();
                }
                Err(e) => {
                    panel.error.fail(&e, shared.clock);
                }
            }
            m.refresh_ab();
            let failing = m.panels.iter().any(|p| p.error.is_failing());
            if let Some(why) = new_reason {
                let text = format!("cannot read the metrics ({name} panel): {why}");
                shared.note(Level::Error, text);
            } else if was_failing && !failing {
                shared.note(Level::Info, "metrics: every panel answers again");
            }
        }
    }
}

pub fn range_step(m: &mut MetricsState, shared: &mut Shared, scope: Scope, longer: bool) -> Vec<Effect> {
    m.range = if longer {
        (m.range + 1).min(RANGES.len() - 1)
    } else {
        m.range.saturating_sub(1)
    };
    let label = m.range_label();
    shared.set_status(Level::Info, format!("showing the last {label}"));
    restart(m, shared, scope)
}

pub fn set_range(m: &mut MetricsState, shared: &mut Shared, scope: Scope, label: &str) -> Vec<Effect> {
    match RANGES.iter().position(|(_, l)| *l == label) {
        Some(i) => {
            m.range = i;
            shared.set_status(Level::Info, format!("showing the last {label}"));
            restart(m, shared, scope)
        }
        None => {
            let known: Vec<&str> = RANGES.iter().map(|(_, l)| *l).collect();
            shared.set_status(
                Level::Error,
                format!("range: expected one of {}, found {label:?}", known.join(", ")),
            );
            Vec::new()
        }
    }
}

/// Shows the comparison, or, when shown, sets the next version against A.
pub fn compare_next(m: &mut MetricsState, shared: &mut Shared) {
    if !m.compare {
        m.compare = true;
        m.refresh_ab();
        return;
    }
    let Some((a, b)) = m.ab_pair() else { return };
    let others: Vec<(String, String)> = m.versions().into_iter().filter(|v| *v != a).collect();
    let next = others
        .iter()
        .position(|v| *v == b)
        .map_or(0, |i| (i + 1) % others.len().max(1));
    if let Some(v) = others.get(next) {
        let text = format!("comparing {} {} with {} {}", a.0, a.1, v.0, v.1);
        m.compare_with = Some(v.clone());
        m.refresh_ab();
        shared.set_status(Level::Info, text);
    }
}

pub fn toggle_pause(m: &mut MetricsState, shared: &mut Shared, scope: Scope) -> Vec<Effect> {
    m.paused = !m.paused;
    if m.paused {
        shared.set_status(
            Level::Info,
            "metrics paused: the charts hold still (press again to resume)",
        );
        Vec::new()
    } else {
        shared.set_status(Level::Info, "metrics resumed");
        restart(m, shared, scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::metrics::MetricsSettings;

    #[test]
    fn versions_are_listed_in_version_order_not_text_order() {
        let settings = MetricsSettings::default();
        let mut m = MetricsState::new(&settings, String::new(), None);
        let line = |version: &str, track: &str| Line {
            version: version.into(),
            track: track.into(),
            stat: "rate".into(),
            points: vec![],
        };
        m.panels = vec![PanelView {
            settings: PanelSettings::default(),
            data: Some(PanelData {
                lines: vec![
                    line("2.10.0", "canary"),
                    line("2.9.0", "stable"),
                    line("2.9.0", "shadow"),
                ],
                newest: None,
                warning: None,
                top_bucket: None,
            }),
            error: Default::default(),
            in_flight: false,
            requested_at: None,
        }];
        let versions: Vec<(String, String)> = m.versions();
        let shown: Vec<(&str, &str)> = versions.iter().map(|(v, t)| (v.as_str(), t.as_str())).collect();
        assert_eq!(shown, [("2.9.0", "shadow"), ("2.9.0", "stable"), ("2.10.0", "canary")]);
    }
}
