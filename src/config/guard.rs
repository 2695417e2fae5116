//! `[[alerts]]`: alert rules modeldeck evaluates itself over panel data
//! (for the Alerts view without Prometheus, and for the guard), and
//! `[guard.DEPLOYMENT]`: the opt-in automated rollback that acts when one
//! of those rules fires for a watched version.

use serde::{Deserialize, Serialize};

use super::metrics::{MetricsSettings, duration_seconds};

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
        if self.track.is_empty() { "canary" } else { &self.track }
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

/// Rules and guards that make sense with these panels, or what is wrong,
/// naming the entry. A rule on a panel that is not there (panels replaced,
/// rules kept) is dropped with a warning, unless a guard relies on it.
pub fn check(
    rules: &mut Vec<AlertRuleSettings>,
    guards: &std::collections::BTreeMap<String, GuardSettings>,
    metrics: &MetricsSettings,
) -> Result<Vec<String>, String> {
    let mut warnings = Vec::new();
    let mut kept = Vec::new();
    for (i, rule) in std::mem::take(rules).into_iter().enumerate() {
        let at = format!("alerts[{i}] ({:?})", rule.name);
        if rule.name.is_empty() {
            return Err(format!("alerts[{i}]: expected a name, found none"));
        }
        let Some(panel) = metrics.panels.iter().find(|p| p.name == rule.panel) else {
            let names: Vec<&str> = metrics.panels.iter().map(|p| p.name.as_str()).collect();
            let problem = format!("{at}: panel {:?} is not one of {}", rule.panel, names.join(", "));
            if guards.values().any(|g| g.alert == rule.name) {
                return Err(problem);
            }
            warnings.push(format!("{problem}; the rule is ignored"));
            continue;
        };
        if panel.kind == super::metrics::PanelKind::Quantile {
            let stats: Vec<String> = panel
                .quantiles
                .iter()
                .map(|q| crate::backends::panels::quantile_stat(*q))
                .collect();
            if !stats.contains(&rule.stat) {
                return Err(format!(
                    "{at}: stat: expected one of {}, found {:?}",
                    stats.join(", "),
                    rule.stat
                ));
            }
        }
        if rule.below.is_some() == rule.above.is_some() {
            return Err(format!("{at}: expected exactly one of below or above"));
        }
        if duration_seconds(&rule.hold).is_none() {
            return Err(format!(
                "{at}: for: expected a duration like \"5m\", found {:?}",
                rule.hold
            ));
        }
        kept.push(rule);
    }
    *rules = kept;
    let rules: &[AlertRuleSettings] = rules;
    for (deployment, guard) in guards {
        let at = format!("guard.{deployment}");
        if !rules.iter().any(|r| r.name == guard.alert) {
            let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
            return Err(format!(
                "{at}: alert {:?} is not one of the [[alerts]]: {}",
                guard.alert,
                names.join(", ")
            ));
        }
        if guard.action == GuardAction::SwitchBack && guard.service.is_empty() {
            return Err(format!(
                "{at}: switch-back needs service = \"NAME\" (the Service to switch back)"
            ));
        }
    }
    Ok(warnings)
}
