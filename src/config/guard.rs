//! `[[alerts]]`: alert rules modeldeck evaluates itself over panel data
//! (for the Alerts view without Prometheus, and for the guard), and
//! `[guard.DEPLOYMENT]`: the opt-in automated rollback that acts when one
//! of those rules fires for a watched version.

use serde::{Deserialize, Serialize};

use super::metrics::{MetricsSettings, duration_seconds};
use super::problem::Problem;
use super::tree::Segment;
use crate::domain::traffic::Track;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertRuleSettings {
    pub name: String,
    /// The panel whose value is watched, and for a quantile panel which
    /// stat ("p95").
    pub panel: String,
    pub stat: String,
    /// Holds when the value is below (or above) this; exactly one is set.
    pub below: Option<f64>,
    pub above: Option<f64>,
    /// How long it must hold before it fires, a Prometheus duration.
    #[serde(rename = "for")]
    pub hold: String,
    pub summary: String,
}

pub use crate::domain::guard::GuardAction;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GuardSettings {
    /// The rule (from [[alerts]]) whose firing triggers the action.
    pub alert: String,
    /// Which versions it watches, by track label (default "canary").
    pub track: String,
    pub action: GuardAction,
    /// For switch-back: the Service to switch back.
    pub service: String,
}

impl GuardSettings {
    /// The track it watches: "canary" unless set.
    pub fn track(&self) -> &str {
        if self.track.is_empty() {
            Track::Canary.name()
        } else {
            &self.track
        }
    }
}

impl AlertRuleSettings {
    /// (holds when below, threshold)
    pub fn condition(&self) -> (bool, f64) {
        match (self.below, self.above) {
            (Some(t), _) => (true, t),
            (None, Some(t)) => (false, t),
            (None, None) => (true, f64::NAN),
        }
    }

    pub fn hold_seconds(&self) -> f64 {
        duration_seconds(&self.hold).unwrap_or(0.0)
    }

    /// "accuracy < 0.85 for 5m"
    pub fn describe(&self) -> String {
        let (below, t) = self.condition();
        let stat = if self.stat.is_empty() {
            String::new()
        } else {
            format!(" {}", self.stat)
        };
        format!(
            "{}{stat} {} {t} for {}",
            self.panel,
            if below { "<" } else { ">" },
            self.hold
        )
    }
}

/// The first rule or guard that cannot work with these panels and rules,
/// with the key at fault: that entry is left out. A rule on a panel that is
/// not there (the panels replaced, the rules kept) is one; a guard whose
/// rule is gone is then another, so the loss of automation is said aloud.
pub(super) fn problem(
    rules: &[AlertRuleSettings],
    guards: &std::collections::BTreeMap<String, GuardSettings>,
    metrics: &MetricsSettings,
) -> Option<Problem> {
    rules
        .iter()
        .enumerate()
        .find_map(|(i, rule)| rule_problem(rule, metrics).map(|(field, m)| (i, field, m)))
        .map(|(i, field, message)| {
            let entry = vec![Segment::key("alerts"), Segment::Index(i)];
            Problem::entry(entry, &[Segment::key(field)], message)
        })
        .or_else(|| {
            guards.iter().find_map(|(deployment, guard)| {
                guard_problem(guard, rules).map(|(field, message)| {
                    let entry = vec![Segment::key("guard"), Segment::key(deployment)];
                    Problem::entry(entry, &[Segment::key(field)], message)
                        .meaning(format!("{deployment} has no automated rollback"))
                })
            })
        })
}

fn rule_problem(rule: &AlertRuleSettings, metrics: &MetricsSettings) -> Option<(&'static str, String)> {
    if rule.name.is_empty() {
        return Some(("name", "expected a name, found none".into()));
    }
    let Some(panel) = metrics.panels.iter().find(|p| p.name == rule.panel) else {
        let names: Vec<&str> = metrics.panels.iter().map(|p| p.name.as_str()).collect();
        return Some((
            "panel",
            format!(
                "expected one of the panels {}, found {:?}",
                names.join(", "),
                rule.panel
            ),
        ));
    };
    if panel.kind == super::metrics::PanelKind::Quantile {
        let stats: Vec<String> = panel
            .quantiles
            .iter()
            .map(|q| crate::domain::series::quantile_stat(*q))
            .collect();
        if !stats.contains(&rule.stat) {
            return Some((
                "stat",
                format!("expected one of {}, found {:?}", stats.join(", "), rule.stat),
            ));
        }
    }
    if rule.below.is_some() == rule.above.is_some() {
        let found = if rule.below.is_some() { "both" } else { "neither" };
        return Some((
            "below",
            format!("expected exactly one of below or above, found {found}"),
        ));
    }
    if duration_seconds(&rule.hold).is_none() {
        return Some(("for", format!("expected a duration like \"5m\", found {:?}", rule.hold)));
    }
    None
}

fn guard_problem(guard: &GuardSettings, rules: &[AlertRuleSettings]) -> Option<(&'static str, String)> {
    if !rules.iter().any(|r| r.name == guard.alert) {
        let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
        return Some((
            "alert",
            format!(
                "expected the name of one of the [[alerts]] ({}), found {:?}",
                names.join(", "),
                guard.alert
            ),
        ));
    }
    if guard.action == GuardAction::SwitchBack && guard.service.is_empty() {
        return Some((
            "action",
            "switch-back needs service = \"NAME\" (the Service to switch back)".into(),
        ));
    }
    None
}
