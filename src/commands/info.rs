//! `modeldeck info`: every path read and the settings in effect, so an
//! operator can see why the console behaves as it does.

use std::fmt::Write as _;

use crate::backends::local;
use crate::cli::Cli;
use crate::config::paths::{self, EnvFn};
use crate::config::{self, DEFAULT_CONFIG_NAME, ThemeSource};
use crate::startup;

/// The report, or the configuration error (exit 1).
pub fn report(cli: &Cli, env: EnvFn) -> Result<String, config::ConfigError> {
    let opts = startup::load_options(cli, env);
    let loaded = config::load(&opts)?;
    let mut settings = startup::effective_settings(cli, &loaded);
    // A deployment without a ladder of its own steps along [canary]'s:
    // print the ladder each one uses, not the empty field.
    let default_ladder = settings.canary.ladder.clone();
    for rollout in settings.rollouts.values_mut() {
        rollout.ladder = crate::config::settings::ladder_for(Some(rollout), &default_ladder).to_vec();
    }
    let mut out = String::new();
    let row = |out: &mut String, label: &str, value: String| {
        let _ = writeln!(out, "{label:<16}{value}");
    };
    row(&mut out, "modeldeck", env!("CARGO_PKG_VERSION").to_owned());
    row(&mut out, "config dir", opts.config_dir.display().to_string());
    row(&mut out, "defaults", DEFAULT_CONFIG_NAME.to_owned());
    let user = match (&loaded.user_file, &opts.config_file) {
        (Some(file), _) => format!("{} (read)", file.display()),
        (None, _) => format!(
            "{} (not found; defaults only)",
            opts.config_dir.join(config::USER_CONFIG_FILE).display()
        ),
    };
    row(&mut out, "user config", user);
    let theme_source = match &loaded.theme_source {
        ThemeSource::BuiltIn => "built in".to_owned(),
        ThemeSource::File(file) => file.display().to_string(),
    };
    let mut theme = format!("{} ({theme_source})", loaded.config.theme.name);
    if let Some(reason) = &opts.no_color {
        theme.push_str(&format!("; colour off: {reason}"));
    }
    row(&mut out, "theme", theme);
    row(&mut out, "state dir", paths::state_dir(env).display().to_string());
    row(&mut out, "log file", startup::log_file(env).display().to_string());
    row(&mut out, "audit log", startup::audit_file(env).display().to_string());
    let manifest = local::manifest_path(&settings.registry.path);
    let found = if manifest.is_file() { "found" } else { "not found" };
    row(&mut out, "registry", format!("local {} ({found})", manifest.display()));
    // Where the Predict view and `predict` would load ONNX Runtime from
    // (found, not loaded: info never starts the runtime).
    let onnx = match crate::backends::onnx::discover(&|name: &str| env(name).and_then(|v| v.into_string().ok())) {
        Ok(path) => format!("{} (found)", path.display()),
        Err(e) => e.to_string(),
    };
    row(&mut out, "onnx runtime", onnx);
    if !loaded.warnings.is_empty() {
        out.push_str("\nwarnings\n");
        for warning in &loaded.warnings {
            let _ = writeln!(out, "  {warning}");
        }
    }
    out.push_str("\n# effective settings\n");
    out.push_str(&toml::to_string_pretty(&settings).unwrap_or_else(|e| format!("# cannot print settings: {e}\n")));
    Ok(out)
}
