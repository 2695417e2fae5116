//! What a panel asks for, in two forms: PromQL for Prometheus, and the
//! same computation done locally over directly scraped samples. Both give
//! one line per (version, stat) so the view cannot tell the sources apart.

use std::collections::BTreeMap;

use super::scrape::{self, Labels, Ring};
use crate::config::metrics::{MetricsSettings, PanelKind, PanelSettings, duration_seconds};
use crate::domain::series::{Line, quantile_stat};

/// The rollout a panel is drawn for: fills `{namespace}` and `{deployment}`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    pub namespace: String,
    pub deployment: String,
}

/// One expression of a panel; `stat` tells its lines apart ("p95"), empty
/// when the panel has a single expression.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelQuery {
    pub stat: String,
    pub promql: String,
}

/// A scraped series: metric name and its labels (sorted).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SeriesKey {
    pub name: String,
    pub labels: Labels,
}

pub fn fill(template: &str, scope: &Scope) -> String {
    template
        .replace("{namespace}", &scope.namespace)
        .replace("{deployment}", &scope.deployment)
}

/// The PromQL of each line group of `panel`.
pub fn promql(panel: &PanelSettings, metrics: &MetricsSettings, scope: &Scope) -> Vec<PanelQuery> {
    let matchers = fill(&metrics.matchers, scope);
    let by = group_labels(metrics).join(", ");
    let w = panel.window();
    let m = &panel.metric;
    let rate = |name: &str| format!("sum by ({by}) (rate({name}{{{matchers}}}[{w}]))");
    let one = |promql: String| {
        vec![PanelQuery {
            stat: String::new(),
            promql,
        }]
    };
    match panel.kind {
        PanelKind::Rate => one(rate(m)),
        PanelKind::Quantile => panel
            .quantiles
            .iter()
            .map(|q| PanelQuery {
                stat: quantile_stat(*q),
                promql: format!("histogram_quantile({q}, sum by (le, {by}) (rate({m}_bucket{{{matchers}}}[{w}])))"),
            })
            .collect(),
        PanelKind::Mean => one(format!(
            "{} / {}",
            rate(&format!("{m}_sum")),
            rate(&format!("{m}_count"))
        )),
        PanelKind::Gauge => one(format!("avg by ({by}) ({m}{{{matchers}}})")),
        PanelKind::Ratio => {
            let denominator: Vec<String> = panel.denominator.iter().map(|d| rate(d)).collect();
            one(format!("{} / ({})", rate(m), denominator.join(" + ")))
        }
        PanelKind::Promql => one(fill(&panel.promql, scope).replace("{matchers}", &matchers)),
    }
}

fn group_labels(metrics: &MetricsSettings) -> Vec<&str> {
    [metrics.version_label.as_str(), metrics.track_label.as_str()]
        .into_iter()
        .filter(|l| !l.is_empty())
        .collect()
}

/// Turns one query's series into lines, by the version and track labels.
pub fn lines_from(
    metrics: &MetricsSettings,
    stat: &str,
    series: impl IntoIterator<Item = (BTreeMap<String, String>, Vec<(f64, f64)>)>,
) -> Vec<Line> {
    let mut lines: Vec<Line> = series
        .into_iter()
        .map(|(labels, points)| Line {
            version: labels.get(&metrics.version_label).cloned().unwrap_or_default(),
            track: labels.get(&metrics.track_label).cloned().unwrap_or_default(),
            stat: stat.to_owned(),
            points,
        })
        .collect();
    lines.sort_by(|a, b| crate::domain::version::order(&a.version, &b.version).then_with(|| a.track.cmp(&b.track)));
    lines
}

/// The values of the grouping labels (version, track) of one line.
type Group = Vec<String>;
type Points = Vec<(f64, f64)>;

/// A label matcher of the direct-scrape subset of PromQL: `=` and `!=`.
#[derive(Debug, Clone, PartialEq)]
struct Matcher {
    label: String,
    value: String,
    equal: bool,
}

/// Parses `a="x", b!="y"`; regex matchers need Prometheus.
fn parse_matchers(text: &str) -> Result<Vec<Matcher>, String> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let name_end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let label = &rest[..name_end];
        let after = rest[name_end..].trim_start();
        let (equal, after) = if let Some(a) = after.strip_prefix("!=") {
            (false, a)
        } else if after.starts_with("=~") || after.starts_with("!~") {
            return Err(format!("{label}: regex matchers need source = \"prometheus\""));
        } else if let Some(a) = after.strip_prefix('=') {
            (true, a)
        } else {
            return Err(format!("expected label=\"value\", found {rest:?}"));
        };
        let after = after.trim_start();
        let Some(quoted) = after.strip_prefix('"') else {
            return Err(format!("{label}: expected a quoted value, found {after:?}"));
        };
        let Some(close) = quoted.find('"') else {
            return Err(format!("{label}: the value's quote is not closed"));
        };
        if label.is_empty() {
            return Err(format!("expected a label name, found {rest:?}"));
        }
        out.push(Matcher {
            label: label.to_owned(),
            value: quoted[..close].to_owned(),
            equal,
        });
        rest = quoted[close + 1..].trim_start().trim_start_matches(',').trim_start();
    }
    Ok(out)
}

fn matches(labels: &Labels, matchers: &[Matcher]) -> bool {
    matchers.iter().all(|m| {
        let value = labels
            .iter()
            .find(|(k, _)| *k == m.label)
            .map_or("", |(_, v)| v.as_str());
        (value == m.value) == m.equal
    })
}

/// How far back a gauge's last sample still counts (Prometheus's lookback).
const LOOKBACK: f64 = 300.0;

/// Why a panel cannot be computed from scraped series.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PanelError {
    #[error("a promql panel needs source = \"prometheus\"")]
    PromqlNeedsPrometheus,
    /// `[metrics] matchers` is not the `=`/`!=` subset a scrape can apply.
    #[error("metrics.matchers: {0}")]
    Matchers(String),
}

/// The panel's lines from scraped samples, at `step` intervals in [start, end].
pub fn evaluate(
    panel: &PanelSettings,
    metrics: &MetricsSettings,
    scope: &Scope,
    ring: &Ring<SeriesKey>,
    (start, end, step): (f64, f64, f64),
) -> Result<Vec<Line>, PanelError> {
    if panel.kind == PanelKind::Promql {
        return Err(PanelError::PromqlNeedsPrometheus);
    }
    let matchers = parse_matchers(&fill(&metrics.matchers, scope)).map_err(PanelError::Matchers)?;
    let window = duration_seconds(panel.window()).unwrap_or(60.0);
    let groups = group_labels(metrics);
    let group_of = |labels: &Labels| -> Group {
        groups
            .iter()
            .map(|g| {
                labels
                    .iter()
                    .find(|(k, _)| k == g)
                    .map_or(String::new(), |(_, v)| v.clone())
            })
            .collect()
    };
    // The panel's series, chosen once (not at every step) with their group
    // and `le`: the ring also holds every other metric the targets expose.
    let needed = |name: &str| name.starts_with(panel.metric.as_str()) || panel.denominator.iter().any(|d| d == name);
    let selected: Vec<_> = ring
        .iter()
        .filter(|(key, _)| needed(&key.name) && matches(&key.labels, &matchers))
        .map(|(key, points)| {
            let le = key
                .labels
                .iter()
                .find(|(k, _)| k == "le")
                .map_or(String::new(), |(_, v)| v.clone());
            (key, group_of(&key.labels), le, points)
        })
        .collect();
    // Sum by group (and by `le` when asked) of each series' rate or last value.
    let sum = |name: &str, t: f64, by_le: bool, last: bool| -> BTreeMap<(Group, String), f64> {
        let mut out = BTreeMap::new();
        for (key, group, series_le, points) in &selected {
            if key.name != name {
                continue;
            }
            let since = t - if last { LOOKBACK } else { window };
            let inside: Vec<(f64, f64)> = points
                .iter()
                .copied()
                .filter(|(pt, _)| *pt >= since && *pt <= t)
                .collect();
            let value = if last {
                inside.last().map(|p| p.1)
            } else {
                scrape::rate(&inside)
            };
            let Some(value) = value else { continue };
            let le = if by_le { series_le.clone() } else { String::new() };
            let entry = out.entry((group.clone(), le)).or_insert((0.0, 0usize));
            entry.0 += value;
            entry.1 += 1;
        }
        out.into_iter()
            .map(|(k, (total, n))| (k, if last { total / n as f64 } else { total }))
            .collect()
    };
    let by_group = |m: BTreeMap<(Group, String), f64>| -> BTreeMap<Group, f64> {
        m.into_iter().map(|((g, _), v)| (g, v)).collect()
    };
    let mut lines: BTreeMap<(String, Group), Points> = BTreeMap::new();
    let steps = if step > 0.0 {
        ((end - start) / step).floor() as usize
    } else {
        0
    };
    for i in 0..=steps.min(10_000) {
        let t = start + i as f64 * step;
        let values: Vec<(String, BTreeMap<Group, f64>)> = match panel.kind {
            PanelKind::Rate => vec![(String::new(), by_group(sum(&panel.metric, t, false, false)))],
            PanelKind::Gauge => vec![(String::new(), by_group(sum(&panel.metric, t, false, true)))],
            PanelKind::Mean => {
                let sums = by_group(sum(&format!("{}_sum", panel.metric), t, false, false));
                let counts = by_group(sum(&format!("{}_count", panel.metric), t, false, false));
                vec![(String::new(), divide(&sums, &counts))]
            }
            PanelKind::Ratio => {
                let numerator = by_group(sum(&panel.metric, t, false, false));
                let mut denominator: BTreeMap<Group, f64> = BTreeMap::new();
                for d in &panel.denominator {
                    for (g, v) in by_group(sum(d, t, false, false)) {
                        *denominator.entry(g).or_default() += v;
                    }
                }
                vec![(String::new(), divide(&numerator, &denominator))]
            }
            PanelKind::Quantile => {
                let buckets = sum(&format!("{}_bucket", panel.metric), t, true, false);
                let mut per_group: BTreeMap<Group, Vec<(f64, f64)>> = BTreeMap::new();
                for ((g, le), v) in buckets {
                    if let Some(le) = scrape::parse_value(&le) {
                        per_group.entry(g).or_default().push((le, v));
                    }
                }
                panel
                    .quantiles
                    .iter()
                    .map(|q| {
                        let values = per_group
                            .iter()
                            .filter_map(|(g, b)| scrape::histogram_quantile(*q, b).map(|v| (g.clone(), v)))
                            .collect();
                        (quantile_stat(*q), values)
                    })
                    .collect()
            }
            PanelKind::Promql => Vec::new(),
        };
        for (stat, per_group) in values {
            for (group, value) in per_group {
                if value.is_finite() {
                    lines.entry((stat.clone(), group)).or_default().push((t, value));
                }
            }
        }
    }
    let mut out: Vec<Line> = lines
        .into_iter()
        .map(|((stat, group), points)| Line {
            version: group.first().cloned().unwrap_or_default(),
            track: group.get(1).cloned().unwrap_or_default(),
            stat,
            points,
        })
        .collect();
    out.sort_by(|a, b| {
        crate::domain::version::order(&a.version, &b.version)
            .then_with(|| (&a.track, &a.stat).cmp(&(&b.track, &b.stat)))
    });
    Ok(out)
}

/// Per group a / b, where b is positive (0/0 is no value, not NaN on a chart).
fn divide(a: &BTreeMap<Group, f64>, b: &BTreeMap<Group, f64>) -> BTreeMap<Group, f64> {
    a.iter()
        .filter_map(|(g, x)| b.get(g).filter(|y| **y > 0.0).map(|y| (g.clone(), x / y)))
        .collect()
}

#[cfg(test)]
#[path = "panels_tests.rs"]
mod tests;

/// The upper bound of a quantile panel's highest finite bucket, from
/// scraped samples: a quantile there is only known to be at least that
/// (histogram_quantile answers the bound itself, Prometheus's too).
pub fn top_bucket(
    panel: &PanelSettings,
    metrics: &MetricsSettings,
    scope: &Scope,
    ring: &Ring<SeriesKey>,
) -> Option<f64> {
    if panel.kind != PanelKind::Quantile {
        return None;
    }
    let matchers = parse_matchers(&fill(&metrics.matchers, scope)).ok()?;
    let name = format!("{}_bucket", panel.metric);
    finite_top(
        ring.iter()
            .filter(|(key, _)| key.name == name && matches(&key.labels, &matchers))
            .filter_map(|(key, _)| key.labels.iter().find(|(k, _)| k == "le").map(|(_, v)| v.clone())),
    )
}

/// The PromQL whose answer lists a quantile panel's bucket bounds.
pub fn bucket_bounds_promql(panel: &PanelSettings, metrics: &MetricsSettings, scope: &Scope) -> Option<String> {
    (panel.kind == PanelKind::Quantile).then(|| {
        let matchers = fill(&metrics.matchers, scope);
        format!("count by (le) ({}_bucket{{{matchers}}})", panel.metric)
    })
}

/// The largest finite `le` among bucket bounds.
pub fn finite_top(les: impl Iterator<Item = String>) -> Option<f64> {
    les.filter_map(|le| scrape::parse_value(&le))
        .filter(|le| le.is_finite())
        .fold(None, |top: Option<f64>, le| Some(top.map_or(le, |t| t.max(le))))
}
