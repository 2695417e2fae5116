//! Turning the command line and the environment into what the console and
//! the subcommands run with, in one place so both agree.

use std::path::PathBuf;

use crate::app::kube_runner::KubeConfig;
use crate::app::state::Session;
use crate::backends::kube::KubeTarget;
use crate::cli::Cli;
use crate::config::paths::{self, EnvFn};
use crate::config::{LoadOptions, Loaded, Settings};
use crate::ops::ReadOnlyRule;

pub const AUDIT_FILE: &str = "audit.jsonl";
pub const LOG_FILE: &str = "modeldeck.log";

pub fn load_options(cli: &Cli, env: EnvFn) -> LoadOptions {
    LoadOptions {
        config_file: cli.config.clone(),
        config_dir: paths::config_dir(env),
        theme: cli.theme.clone(),
        no_color: no_color_reason(env),
    }
}

/// Why colour must be off, if it must: <https://no-color.org> and dumb
/// terminals.
pub fn no_color_reason(env: EnvFn) -> Option<String> {
    if env("NO_COLOR").is_some() {
        return Some("NO_COLOR is set".into());
    }
    match env("TERM") {
        Some(term) if term == "dumb" => Some("TERM=dumb".into()),
        _ => None,
    }
}

/// Settings after the command line's overrides.
pub fn effective_settings(cli: &Cli, loaded: &Loaded) -> Settings {
    let mut settings = loaded.config.settings.clone();
    if let Some(path) = &cli.registry {
        settings.registry.path = path.clone();
    }
    if let Some(context) = &cli.context {
        settings.kubernetes.context = context.clone();
    }
    if let Some(namespace) = &cli.namespace {
        settings.kubernetes.namespace = namespace.clone();
    }
    settings.kubernetes.readonly |= cli.readonly;
    settings.ui.ascii |= cli.ascii;
    settings
}

pub fn session(settings: &Settings, env: EnvFn) -> Session {
    Session {
        context: Some(settings.kubernetes.context.clone()).filter(|c| !c.is_empty()),
        namespace: Some(settings.kubernetes.namespace.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "default".into()),
        namespace_set: !settings.kubernetes.namespace.is_empty(),
        readonly: settings.kubernetes.readonly,
        registry_location: settings.registry.path.clone(),
        audit_path: audit_file(env),
    }
}

/// Which cluster, context and namespace: the command line over the
/// settings; empty settings defer to the kubeconfig.
pub fn kube_target(cli: &Cli, settings: &Settings) -> KubeTarget {
    let non_empty = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
    KubeTarget {
        kubeconfig: cli
            .kubeconfig
            .clone()
            .or_else(|| non_empty(&settings.kubernetes.kubeconfig).map(PathBuf::from)),
        context: cli.context.clone().or_else(|| non_empty(&settings.kubernetes.context)),
        namespace: cli
            .namespace
            .clone()
            .or_else(|| non_empty(&settings.kubernetes.namespace)),
        timeout: cli
            .request_timeout
            .or(Some(settings.kubernetes.request_timeout).filter(|s| *s > 0))
            .map(std::time::Duration::from_secs),
        versions: version_rule(settings),
    }
}

/// How a template's version is read, from `kubernetes.version_from`.
pub fn version_rule(settings: &Settings) -> crate::domain::version::VersionRule {
    let default = crate::domain::version::VersionRule::default();
    crate::domain::version::VersionRule {
        source: settings.kubernetes.version_from,
        label: Some(settings.kubernetes.version_label.clone())
            .filter(|l| !l.is_empty())
            .unwrap_or(default.label),
    }
}

/// Where mutating actions are refused, from the command line and settings.
pub fn readonly_rule(cli: &Cli, settings: &Settings) -> ReadOnlyRule {
    let everywhere = if cli.readonly {
        Some("read-only mode (--readonly)".into())
    } else if settings.kubernetes.readonly {
        Some("read-only mode (kubernetes.readonly in the configuration)".into())
    } else {
        None
    };
    ReadOnlyRule {
        everywhere,
        contexts: settings
            .contexts
            .iter()
            .filter(|(_, c)| c.readonly)
            .map(|(name, _)| name.clone())
            .collect(),
    }
}

/// The operator's login, for the audit log.
pub fn login(env: EnvFn) -> String {
    env("USER")
        .or_else(|| env("LOGNAME"))
        .map(|u| u.to_string_lossy().into_owned())
        .filter(|u| !u.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| uid_of(&s))
        })
        .unwrap_or_default()
}

/// "uid 1000" from /proc/self/status: who ran it, when the environment
/// (a cron job, a container) names nobody.
fn uid_of(status: &str) -> Option<String> {
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    let real = line.split_whitespace().nth(1)?;
    real.parse::<u32>().ok().map(|uid| format!("uid {uid}"))
}

/// What the console's cluster runner needs.
pub fn kube_config(cli: &Cli, settings: &Settings, env: EnvFn) -> KubeConfig {
    KubeConfig {
        target: kube_target(cli, settings),
        readonly: readonly_rule(cli, settings),
        rollouts: settings.rollouts.clone(),
        ladder: settings.canary.ladder.clone(),
        audit: audit_file(env),
        login: login(env),
    }
}

pub fn audit_file(env: EnvFn) -> PathBuf {
    paths::state_dir(env).join(AUDIT_FILE)
}

pub fn log_file(env: EnvFn) -> PathBuf {
    paths::state_dir(env).join(LOG_FILE)
}

/// The metrics source the settings describe, and the Metrics view's state
/// for it; a source that cannot be set up is reported in the view, and the
/// console runs on without it.
pub fn metrics(
    settings: &Settings,
    env: EnvFn,
) -> (
    Option<std::sync::Arc<crate::backends::metrics::MetricsBackend>>,
    crate::app::metrics::MetricsState,
) {
    use crate::app::metrics::MetricsState;
    use crate::backends::metrics::MetricsBackend;
    let text_env = |name: &str| env(name).and_then(|v| v.into_string().ok());
    match MetricsBackend::new(&settings.metrics, &text_env) {
        Ok(backend) => {
            let state = MetricsState::new(&settings.metrics, backend.describe(), None);
            (Some(std::sync::Arc::new(backend)), state)
        }
        Err(e) => (None, MetricsState::new(&settings.metrics, String::new(), Some(e))),
    }
}

/// What every mutating action runs with: the connection, the read-only
/// rule for its context, the audit log and the operator's login.
pub fn ops_context(
    cli: &Cli,
    settings: &Settings,
    conn: crate::backends::kube::Connection,
    env: EnvFn,
) -> crate::ops::OpsContext {
    kube_config(cli, settings, env).ops_context(conn)
}

/// The Alerts view before its first answer: where alerts come from, each
/// rule's unit (its panel's), and the track label.
pub fn alerts_state(settings: &Settings) -> crate::app::alerts::AlertsState {
    let units = settings
        .alerts
        .iter()
        .filter_map(|rule| {
            let panel = settings.metrics.panels.iter().find(|p| p.name == rule.panel)?;
            Some((rule.name.clone(), panel.unit.clone()))
        })
        .collect();
    crate::app::alerts::AlertsState {
        source: alert_source(settings),
        units,
        track_label: settings.metrics.track_label.clone(),
        ..Default::default()
    }
}

/// Where the Alerts view's alerts come from, for its title.
pub fn alert_source(settings: &Settings) -> String {
    use crate::config::metrics::MetricsSource;
    match settings.metrics.source {
        MetricsSource::Prometheus => "Prometheus".into(),
        MetricsSource::Scrape => "modeldeck's [[alerts]] rules".into(),
        MetricsSource::None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_unnamed_operator_is_audited_by_uid() {
        let status = "Name:\tmodeldeck\nUid:\t1000\t1000\t1000\t1000\nGid:\t100\n";
        assert_eq!(super::uid_of(status), Some("uid 1000".to_owned()));
        assert_eq!(super::uid_of("Name:\tx\n"), None);
        let nobody = |_: &str| None;
        assert!(super::login(&nobody).starts_with("uid "));
        let named = |k: &str| (k == "LOGNAME").then(|| std::ffi::OsString::from("ops"));
        assert_eq!(super::login(&named), "ops");
    }
}
