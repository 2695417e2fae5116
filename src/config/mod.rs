//! Settings, keymap and theme. The defaults are the real files in `config/`
//! and `themes/`, built in; the user's file is laid over them. A broken user
//! file is an error naming the file, line and key; an unknown key or theme
//! is a warning the console shows.

pub mod error;
pub mod guard;
pub mod key;
pub mod keymap;
pub mod metrics;
pub mod paths;
pub mod settings;
pub mod theme;

use std::path::{Path, PathBuf};

pub use error::ConfigError;
pub use key::Key;
pub use keymap::{Binding, KeyContext, Keymap};
pub use settings::Settings;
pub use theme::{Theme, ThemeSource};

use settings::{ConfigFile, FRAME_RATE_RANGE};

pub const DEFAULT_CONFIG: &str = include_str!("../../config/modeldeck.toml");
/// How messages name the built-in defaults.
pub const DEFAULT_CONFIG_NAME: &str = "config/modeldeck.toml (built in)";
pub const USER_CONFIG_FILE: &str = "config.toml";

#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    pub keymap: Keymap,
    pub theme: Theme,
}

/// What to load, decided by the command line and the environment.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--config FILE`: must exist when given.
    pub config_file: Option<PathBuf>,
    /// Where `config.toml` and `themes/` are looked for.
    pub config_dir: PathBuf,
    /// `--theme NAME`, over the file's `ui.theme`.
    pub theme: Option<String>,
    /// Why colour is off (NO_COLOR or TERM=dumb), which forces `mono`.
    pub no_color: Option<String>,
}

/// A loaded configuration with everything `modeldeck info` and the UI report.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    /// The user file that was read, if any.
    pub user_file: Option<PathBuf>,
    pub theme_source: ThemeSource,
    pub warnings: Vec<String>,
    /// Set by [`load_or_defaults`] when the user file was rejected.
    pub error: Option<ConfigError>,
}

/// The user file that applies: `--config` if given, else `config.toml` in
/// the config dir if it exists.
pub fn user_file(opts: &LoadOptions) -> Option<PathBuf> {
    match &opts.config_file {
        Some(file) => Some(file.clone()),
        None => Some(opts.config_dir.join(USER_CONFIG_FILE)).filter(|f| f.is_file()),
    }
}

/// Loads defaults and the user file; any fault in the user file is an error.
pub fn load(opts: &LoadOptions) -> Result<Loaded, ConfigError> {
    let user = match user_file(opts) {
        Some(file) => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| ConfigError::file(&file, format!("cannot read configuration file: {e}")))?;
            Some((file, text))
        }
        None => None,
    };
    load_with(opts, user)
}

/// Like [`load`], but a rejected user file leaves the built-in defaults in
/// force and the error in [`Loaded::error`], so the console still starts.
pub fn load_or_defaults(opts: &LoadOptions) -> Loaded {
    match load(opts) {
        Ok(loaded) => loaded,
        Err(err) => {
            let mut loaded = match load_with(opts, None) {
                Ok(loaded) => loaded,
                // Only a broken build could get here: tests load the defaults.
                Err(_) => Loaded {
                    config: Config {
                        settings: Settings::default(),
                        keymap: Keymap::default(),
                        theme: Theme::default_theme(),
                    },
                    user_file: None,
                    theme_source: ThemeSource::BuiltIn,
                    warnings: Vec::new(),
                    error: None,
                },
            };
            loaded.error = Some(err);
            loaded
        }
    }
}

fn load_with(opts: &LoadOptions, user: Option<(PathBuf, String)>) -> Result<Loaded, ConfigError> {
    let default_name = Path::new(DEFAULT_CONFIG_NAME);
    let mut warnings = Vec::new();
    let (mut default_file, mut merged) = parse_file(default_name, DEFAULT_CONFIG, &mut warnings)?;

    let mut user_keymap = None;
    if let Some((file, text)) = &user {
        let (parsed, table) = parse_file(file, text, &mut warnings)?;
        merge(&mut merged, table);
        user_keymap = Some((file, text, parsed.keymap));
    }
    let settings: Settings = toml::Value::Table(merged)
        .try_into()
        .map_err(|e: toml::de::Error| ConfigError::file(default_name, e.message().to_owned()))?;

    let mut keymap = Keymap::default();
    for context in KeyContext::ALL {
        let bindings = resolve(default_name, DEFAULT_CONFIG, default_file.keymap.take(context))?;
        keymap.overlay(context, bindings);
    }
    if let Some((file, text, mut user_map)) = user_keymap {
        for context in KeyContext::ALL {
            keymap.overlay(context, resolve(file, text, user_map.take(context))?);
        }
    }

    let mut settings = settings;
    if !FRAME_RATE_RANGE.contains(&settings.ui.frame_rate) {
        let clamped = settings
            .ui
            .frame_rate
            .clamp(*FRAME_RATE_RANGE.start(), *FRAME_RATE_RANGE.end());
        warnings.push(format!(
            "ui.frame_rate = {} is outside {}..={}; using {clamped}",
            settings.ui.frame_rate,
            FRAME_RATE_RANGE.start(),
            FRAME_RATE_RANGE.end()
        ));
        settings.ui.frame_rate = clamped;
    }
    let named = user.as_ref().map_or(default_name, |(file, _)| file.as_path());
    settings
        .metrics
        .check()
        .map_err(|message| ConfigError::file(named, message))?;
    let dropped = guard::check(&mut settings.alerts, &settings.guard, &settings.metrics)
        .map_err(|message| ConfigError::file(named, message))?;
    warnings.extend(dropped);

    let theme_name = match (&opts.no_color, &opts.theme) {
        (Some(_), _) => "mono".to_owned(),
        (None, Some(name)) => name.clone(),
        (None, None) => settings.ui.theme.clone(),
    };
    let theme = Theme::load(&theme_name, &opts.config_dir);
    warnings.extend(theme.warnings);

    Ok(Loaded {
        config: Config {
            settings,
            keymap,
            theme: theme.theme,
        },
        user_file: user.map(|(file, _)| file),
        theme_source: theme.source,
        warnings,
        error: None,
    })
}

/// Parses a configuration file twice over: into the typed form (for errors
/// with lines, and unknown keys) and into a table to merge, without its
/// keymap, which is merged binding by binding instead.
fn parse_file(file: &Path, text: &str, warnings: &mut Vec<String>) -> Result<(ConfigFile, toml::Table), ConfigError> {
    let deserializer = toml::Deserializer::parse(text).map_err(|e| ConfigError::from_toml(file, text, &e))?;
    let parsed: ConfigFile = serde_ignored::deserialize(deserializer, |path| {
        warnings.push(format!("{}: unknown key `{path}` ignored", file.display()));
    })
    .map_err(|e| ConfigError::from_toml(file, text, &e))?;
    let mut table: toml::Table = toml::from_str(text).map_err(|e| ConfigError::from_toml(file, text, &e))?;
    table.remove("keymap");
    Ok((parsed, table))
}

fn resolve(file: &Path, text: &str, specs: Vec<keymap::BindingSpec>) -> Result<Vec<Binding>, ConfigError> {
    specs
        .into_iter()
        .map(|spec| {
            spec.resolve()
                .map_err(|(span, message)| ConfigError::at(file, text, span.start, message))
        })
        .collect()
}

/// Lays `over` onto `base`: tables merge key by key, anything else replaces.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}
