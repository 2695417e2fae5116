//! Where modeldeck reads its configuration and keeps its state.

use std::ffi::OsString;
use std::path::PathBuf;

/// Environment lookup, passed in so tests need not touch the process's.
pub type EnvFn<'a> = &'a dyn Fn(&str) -> Option<OsString>;

pub fn process_env(name: &str) -> Option<OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

/// `$MODELDECK_CONFIG_DIR`, else `$XDG_CONFIG_HOME/modeldeck`, else
/// `~/.config/modeldeck`.
pub fn config_dir(env: EnvFn) -> PathBuf {
    if let Some(dir) = env("MODELDECK_CONFIG_DIR") {
        return dir.into();
    }
    xdg(env, "XDG_CONFIG_HOME", ".config").join("modeldeck")
}

/// `$MODELDECK_STATE_DIR`, else `$XDG_STATE_HOME/modeldeck`, else
/// `~/.local/state/modeldeck`: the log file and the audit log live here.
pub fn state_dir(env: EnvFn) -> PathBuf {
    if let Some(dir) = env("MODELDECK_STATE_DIR") {
        return dir.into();
    }
    xdg(env, "XDG_STATE_HOME", ".local/state").join("modeldeck")
}

fn xdg(env: EnvFn, var: &str, under_home: &str) -> PathBuf {
    match env(var) {
        Some(dir) => dir.into(),
        None => env("HOME")
            .map_or_else(|| PathBuf::from("."), PathBuf::from)
            .join(under_home),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.into())
    }

    #[test]
    fn override_then_xdg_then_home() {
        let env = env_of(&[
            ("MODELDECK_CONFIG_DIR", "/o"),
            ("XDG_CONFIG_HOME", "/x"),
            ("HOME", "/h"),
        ]);
        assert_eq!(config_dir(&env), PathBuf::from("/o"));
        let env = env_of(&[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")]);
        assert_eq!(config_dir(&env), PathBuf::from("/x/modeldeck"));
        let env = env_of(&[("HOME", "/h")]);
        assert_eq!(config_dir(&env), PathBuf::from("/h/.config/modeldeck"));
        assert_eq!(state_dir(&env), PathBuf::from("/h/.local/state/modeldeck"));
    }
}
