//! Settings, keymap and theme. The defaults are the real files in `config/`
//! and `themes/`, built in; the user's file is laid over them. Only a user
//! file that is not TOML at all is refused (an error naming file, line and
//! column); anything else that cannot be used is left out alone with a
//! warning naming file, line and key (see `settle`), and the console and
//! `modeldeck info` show the warnings.

mod de;
pub mod error;
pub mod guard;
pub mod key;
pub mod keymap;
pub mod metrics;
pub mod paths;
mod problem;
pub mod settings;
mod settle;
pub mod theme;
mod tree;

use std::path::{Path, PathBuf};

pub use error::ConfigError;
pub use key::Key;
pub use keymap::{Binding, KeyContext, Keymap};
pub use settings::Settings;
pub use theme::{Theme, ThemeSource};

use tree::Source;

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
    /// Set by [`load_or_defaults`] when the user file was rejected (it
    /// cannot be read, or is not TOML).
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

/// Loads defaults and the user file. Only a user file that cannot be read
/// or is not TOML is an error; anything else in it that cannot be used is
/// left out alone, with a warning in [`Loaded::warnings`].
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
    let mut ids = 0;
    let defaults = tree::parse(DEFAULT_CONFIG, Source::BuiltIn, &mut ids)
        .map_err(|e| ConfigError::from_toml(default_name, DEFAULT_CONFIG, &e))?;
    let user_tree = match &user {
        Some((file, text)) => {
            Some(tree::parse(text, Source::User, &mut ids).map_err(|e| ConfigError::from_toml(file, text, &e))?)
        }
        None => None,
    };
    let user_name = user.as_ref().map_or(default_name, |(file, _)| file.as_path());
    let settled =
        settle::settle(defaults, user_tree, check).map_err(|message| ConfigError::file(user_name, message))?;
    let mut warnings: Vec<String> = settled
        .notices
        .iter()
        .map(|notice| {
            let file = match notice.origin.source {
                Source::BuiltIn => default_name,
                Source::User => user_name,
            };
            format!("{}:{}: {}", file.display(), notice.origin.line, notice.text)
        })
        .collect();
    let mut keymap = Keymap::default();
    for (context, bindings) in settled.bindings {
        keymap.overlay(context, bindings);
    }
    let settings = settled.file;

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

/// The checks beyond types, in the order their entries depend on each
/// other: numbers in range, panels, the rules on them, then bindings.
fn check(file: &settings::Settings) -> Result<Vec<(KeyContext, Vec<Binding>)>, problem::Problem> {
    if let Some(problem) = settings::range_problem(file)
        .or_else(|| file.metrics.panel_problem())
        .or_else(|| guard::problem(&file.alerts, &file.guard, &file.metrics))
    {
        return Err(problem);
    }
    file.keymap.resolve()
}
