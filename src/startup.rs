//! Turning the command line and the environment into what the console and
//! the subcommands run with, in one place so both agree.

use std::path::PathBuf;

use crate::backends::kube::KubeTarget;
use crate::cli::Cli;
use crate::config::paths::{self, EnvFn};
use crate::config::{LoadOptions, Loaded, Settings};
use crate::ops::ReadOnlyRule;
use crate::ops::op::OpsConfig;

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

/// What every mutating action runs with, in the CLI, the console and the
/// guard alike.
pub fn ops_config(cli: &Cli, settings: &Settings, env: EnvFn) -> OpsConfig {
    OpsConfig {
        target: kube_target(cli, settings),
        readonly: readonly_rule(cli, settings),
        settings: settings.into(),
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
