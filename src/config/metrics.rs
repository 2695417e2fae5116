//! `[metrics]`: where live metrics come from (Prometheus or a direct scrape
//! of `/metrics` URLs) and the panels the Metrics view draws.

use serde::{Deserialize, Serialize};

use super::problem::Problem;
use super::tree::Segment;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    pub source: MetricsSource,
    /// Seconds between refreshes.
    pub refresh: u64,
    /// Seconds before one query (or one scrape) counts as failed.
    pub timeout: u64,
    /// Queries of one refresh in flight at once.
    pub concurrency: usize,
    /// Label matchers every panel's series must carry; `{namespace}` and
    /// `{deployment}` are replaced by the rollout's.
    pub matchers: String,
    /// The label telling model versions apart.
    pub version_label: String,
    /// The label naming a version's role (stable, canary, shadow); may be absent.
    pub track_label: String,
    pub prometheus: PrometheusSettings,
    pub scrape: ScrapeSettings,
    pub panels: Vec<PanelSettings>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricsSource {
    /// No metrics: the Metrics view says how to set a source up.
    #[default]
    None,
    Prometheus,
    Scrape,
}

/// Prometheus's HTTP API. Credentials come from an environment variable or
/// a file, never from the command line (where `ps` would show them).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrometheusSettings {
    /// e.g. http://127.0.0.1:9090 or https://prometheus.example/prom
    pub url: String,
    /// Bearer token: the name of an environment variable, or a file.
    pub token_env: String,
    pub token_file: String,
    /// Basic auth: user name, and the password from a variable or a file.
    pub username: String,
    pub password_env: String,
    pub password_file: String,
    /// Extra CA certificate (PEM) to trust; TLS is always verified.
    pub ca_file: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScrapeSettings {
    /// `/metrics` URLs read at every refresh.
    pub urls: Vec<String>,
    /// Samples kept per series (a ring): refresh × samples = history.
    pub samples: usize,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PanelSettings {
    /// Short name, used by `modeldeck plot NAME` and the view's tabs.
    pub name: String,
    pub title: String,
    pub kind: PanelKind,
    /// The metric (for histograms, the family name without `_bucket`).
    pub metric: String,
    /// For `quantile`: which, each in (0, 1).
    pub quantiles: Vec<f64>,
    /// For `ratio`: counters summed into the denominator.
    pub denominator: Vec<String>,
    /// For `promql`: the expression; `{matchers}`, `{namespace}` and
    /// `{deployment}` are filled in. Needs source = "prometheus".
    pub promql: String,
    /// Rate window, a Prometheus duration ("1m").
    pub window: String,
    /// Shown on the y axis: "req/s", "s", "ratio", ...
    pub unit: String,
    /// A line drawn across the chart (an alert threshold), if any.
    pub threshold: Option<f64>,
    /// Which side of the threshold is bad: "above" (latency, errors; the
    /// default) or "below" (accuracy).
    pub breach: Breach,
}

/// The side of a panel's threshold where a value is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Breach {
    #[default]
    Above,
    Below,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PanelKind {
    /// Per-second rate of a counter.
    #[default]
    Rate,
    /// Percentiles of a histogram, from its cumulative `le` buckets.
    Quantile,
    /// Mean of a histogram's observations (rate of _sum over rate of _count).
    Mean,
    /// A gauge's value.
    Gauge,
    /// Rate of `metric` over the summed rates of `denominator`.
    Ratio,
    /// Custom PromQL (Prometheus only).
    Promql,
}

impl PanelSettings {
    /// Whether `value` is on the bad side of the threshold (never without
    /// one).
    pub fn breached(&self, value: f64) -> bool {
        self.threshold.is_some_and(|limit| match self.breach {
            Breach::Above => value > limit,
            Breach::Below => value < limit,
        })
    }

    /// The rate window; "1m" when the panel leaves it out.
    pub fn window(&self) -> &str {
        if self.window.is_empty() { "1m" } else { &self.window }
    }
}

impl MetricsSettings {
    /// The first panel that cannot be drawn, with the key at fault: that
    /// panel is left out.
    pub(super) fn panel_problem(&self) -> Option<Problem> {
        let mut seen = std::collections::BTreeSet::new();
        self.panels.iter().enumerate().find_map(|(i, panel)| {
            let entry = vec![Segment::key("metrics"), Segment::key("panels"), Segment::Index(i)];
            let problem =
                |field: &str, message: String| Some(Problem::entry(entry.clone(), &[Segment::key(field)], message));
            if panel.name.is_empty() {
                return problem("name", "expected a name, found none".into());
            }
            if !seen.insert(&panel.name) {
                return problem("name", format!("the name {:?} is used by an earlier panel", panel.name));
            }
            if panel.kind != PanelKind::Promql && !is_metric_name(&panel.metric) {
                return problem("metric", format!("expected a metric name, found {:?}", panel.metric));
            }
            match panel.kind {
                PanelKind::Quantile if panel.quantiles.is_empty() => {
                    return problem("kind", "a quantile panel needs quantiles, e.g. [0.5, 0.95]".into());
                }
                PanelKind::Quantile => {
                    if let Some(q) = panel.quantiles.iter().find(|q| !(**q > 0.0 && **q < 1.0)) {
                        return problem("quantiles", format!("expected quantiles between 0 and 1, found {q}"));
                    }
                }
                PanelKind::Ratio => {
                    if let Some(bad) = panel.denominator.iter().find(|m| !is_metric_name(m)) {
                        return problem("denominator", format!("expected metric names, found {bad:?}"));
                    }
                    if panel.denominator.is_empty() {
                        return problem("kind", "a ratio panel needs a denominator".into());
                    }
                }
                PanelKind::Promql if panel.promql.trim().is_empty() => {
                    return problem("kind", "a promql panel needs a promql expression".into());
                }
                _ => {}
            }
            if !panel.window.is_empty() && !is_duration(&panel.window) {
                return problem(
                    "window",
                    format!("expected a window like \"1m\" or \"30s\", found {:?}", panel.window),
                );
            }
            None
        })
    }
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`, Prometheus's metric name rule.
pub fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// A Prometheus duration of one unit: digits then s, m, h or d.
pub fn is_duration(text: &str) -> bool {
    duration_seconds(text).is_some()
}

pub fn duration_seconds(text: &str) -> Option<f64> {
    let unit = text.chars().last()?;
    let digits = &text[..text.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: f64 = digits.parse().ok()?;
    let scale = match unit {
        's' => 1.0,
        'm' => 60.0,
        'h' => 3600.0,
        'd' => 86400.0,
        _ => return None,
    };
    (n > 0.0).then_some(n * scale)
}
