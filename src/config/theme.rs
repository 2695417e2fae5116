//! Themes: named styles for every part of the screen. Built-in themes are
//! the files in `themes/`, embedded; a user's `<config dir>/themes/NAME.toml`
//! of the same name wins. Every theme is laid over `default`, style by style.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use toml::Spanned;

use crate::text::line_col;

const BUILT_IN: [(&str, &str); 4] = [
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
    ("mono", include_str!("../../themes/mono.toml")),
];

pub fn built_in_names() -> impl Iterator<Item = &'static str> {
    BUILT_IN.iter().map(|(name, _)| *name)
}

/// Declares the theme's style slots once: the struct, the slot names, and
/// how a slot map fills the struct.
macro_rules! theme_slots {
    ($($slot:ident),* $(,)?) => {
        #[derive(Debug, Clone, PartialEq)]
        pub struct Theme {
            pub name: String,
            $(pub $slot: Style,)*
        }

        const SLOTS: &[&str] = &[$(stringify!($slot)),*];

        impl Theme {
            fn from_slots(name: &str, slots: &BTreeMap<String, Style>) -> Theme {
                Theme {
                    name: name.to_owned(),
                    $($slot: slots.get(stringify!($slot)).copied().unwrap_or_default(),)*
                }
            }
        }
    };
}

theme_slots!(
    text,
    muted,
    title,
    border,
    border_focus,
    header,
    tab,
    tab_active,
    key,
    selection,
    table_header,
    readonly_badge,
    ok,
    warn,
    error,
    major_jump,
    stage_production,
    stage_staging,
    stage_archived,
    stage_none,
    input,
    series_stable,
    series_canary,
    series_shadow,
    series_other,
);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    /// Each style read on its own, so one typo costs only that style.
    #[serde(default)]
    styles: BTreeMap<String, Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StyleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underline: bool,
    #[serde(default)]
    reversed: bool,
}

/// Where a theme was found.
#[derive(Debug, Clone, PartialEq)]
pub enum ThemeSource {
    BuiltIn,
    File(PathBuf),
}

/// A loaded theme, where it came from, and warnings for the UI.
pub struct ThemeLoad {
    pub theme: Theme,
    pub source: ThemeSource,
    pub warnings: Vec<String>,
}

impl Theme {
    /// The built-in default theme.
    pub fn default_theme() -> Theme {
        match parse_slots(Path::new("themes/default.toml"), BUILT_IN[0].1) {
            Ok((slots, _)) => Theme::from_slots("default", &slots),
            // The embedded file is checked by tests; this keeps a bad edit
            // from ever crashing the console.
            Err(_) => Theme::from_slots("default", &BTreeMap::new()),
        }
    }

    /// Loads theme `name`; an unknown or broken theme falls back to
    /// `default` with a warning saying why.
    pub fn load(name: &str, config_dir: &Path) -> ThemeLoad {
        let fallback = |warning: String| ThemeLoad {
            theme: Theme::default_theme(),
            source: ThemeSource::BuiltIn,
            warnings: vec![warning],
        };
        let user_file = config_dir.join("themes").join(format!("{name}.toml"));
        let (file, text, source) = if user_file.is_file() {
            match std::fs::read_to_string(&user_file) {
                Ok(text) => (user_file.clone(), text, ThemeSource::File(user_file)),
                Err(e) => {
                    return fallback(format!(
                        "cannot read theme {}: {e}; using the default theme",
                        user_file.display()
                    ));
                }
            }
        } else if let Some((_, text)) = BUILT_IN.iter().find(|(n, _)| *n == name) {
            (
                PathBuf::from(format!("themes/{name}.toml")),
                (*text).to_owned(),
                ThemeSource::BuiltIn,
            )
        } else {
            let known: Vec<&str> = built_in_names().collect();
            return fallback(format!(
                "unknown theme {name:?}: expected one of {} or a file {}; using the default theme",
                known.join(", "),
                user_file.display()
            ));
        };
        let mut warnings = Vec::new();
        let mut slots = match parse_slots(Path::new("themes/default.toml"), BUILT_IN[0].1) {
            Ok((slots, _)) => slots,
            Err(e) => return fallback(e),
        };
        match parse_slots(&file, &text) {
            Ok((theme_slots, unusable)) => {
                warnings.extend(unusable);
                for (slot, style) in theme_slots {
                    if SLOTS.contains(&slot.as_str()) {
                        slots.insert(slot, style);
                    } else {
                        warnings.push(format!(
                            "{}: unknown style `styles.{slot}` ignored; known styles: {}",
                            file.display(),
                            SLOTS.join(", ")
                        ));
                    }
                }
            }
            Err(e) => return fallback(format!("{e}; using the default theme")),
        }
        ThemeLoad {
            theme: Theme::from_slots(name, &slots),
            source,
            warnings,
        }
    }
}

/// The styles of a theme file, and a warning for each style that cannot
/// be used (that style is left to the default theme's); an error only for
/// a file that is not a theme at all.
fn parse_slots(file: &Path, text: &str) -> Result<(BTreeMap<String, Style>, Vec<String>), String> {
    let at = |offset: usize| {
        let (line, col) = line_col(text, offset);
        format!("{}:{line}:{col}", file.display())
    };
    let parsed: ThemeFile =
        toml::from_str(text).map_err(|e| format!("{}: {}", at(e.span().map_or(0, |s| s.start)), e.message().trim()))?;
    let mut slots = BTreeMap::new();
    let mut warnings = Vec::new();
    for (name, spec) in parsed.styles {
        let start = spec.span().start;
        match style_of(spec.into_inner()) {
            Ok(style) => {
                slots.insert(name, style);
            }
            Err(why) => warnings.push(format!(
                "{}: style `styles.{name}`: {why}; it keeps the default theme's",
                at(start)
            )),
        }
    }
    Ok((slots, warnings))
}

fn style_of(value: toml::Value) -> Result<Style, String> {
    let spec = StyleSpec::deserialize(value).map_err(|e| e.message().trim().to_owned())?;
    let colour = |c: &Option<String>| -> Result<Option<Color>, String> {
        match c {
            None => Ok(None),
            Some(c) => Color::from_str(c)
                .map(Some)
                .map_err(|_| format!("colour {c:?} is not a colour name, \"#rrggbb\", a 0-255 index or \"reset\"")),
        }
    };
    let mut style = Style::default();
    if let Some(fg) = colour(&spec.fg)? {
        style = style.fg(fg);
    }
    if let Some(bg) = colour(&spec.bg)? {
        style = style.bg(bg);
    }
    for (on, modifier) in [
        (spec.bold, Modifier::BOLD),
        (spec.dim, Modifier::DIM),
        (spec.italic, Modifier::ITALIC),
        (spec.underline, Modifier::UNDERLINED),
        (spec.reversed, Modifier::REVERSED),
    ] {
        if on {
            style = style.add_modifier(modifier);
        }
    }
    Ok(style)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_theme_loads_cleanly_and_fills_every_slot() {
        let dir = tempfile::tempdir().unwrap();
        for name in built_in_names() {
            let (own, unusable) =
                parse_slots(Path::new(name), BUILT_IN.iter().find(|(n, _)| *n == name).unwrap().1).unwrap();
            assert!(unusable.is_empty(), "{name}: {unusable:?}");
            assert!(
                own.keys().all(|k| SLOTS.contains(&k.as_str())),
                "{name} has an unknown slot"
            );
            let load = Theme::load(name, dir.path());
            assert!(load.warnings.is_empty(), "{name}: {:?}", load.warnings);
            assert_eq!(load.theme.name, name);
        }
        let (default, _) = parse_slots(Path::new("default"), BUILT_IN[0].1).unwrap();
        assert_eq!(default.len(), SLOTS.len(), "default must define every slot");
    }

    #[test]
    fn mono_uses_no_colour() {
        let dir = tempfile::tempdir().unwrap();
        let mono = Theme::load("mono", dir.path()).theme;
        let (slots, _) = parse_slots(Path::new("mono"), BUILT_IN[3].1).unwrap();
        assert_eq!(slots.len(), SLOTS.len(), "mono must override every slot");
        for style in slots.values() {
            assert!(matches!(style.fg, None | Some(Color::Reset)));
            assert!(matches!(style.bg, None | Some(Color::Reset)));
        }
        assert!(mono.selection.add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn unknown_and_broken_themes_fall_back_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let load = Theme::load("solarized", dir.path());
        assert_eq!(load.theme.name, "default");
        assert!(
            load.warnings[0].contains("unknown theme \"solarized\""),
            "{:?}",
            load.warnings
        );

        std::fs::create_dir_all(dir.path().join("themes")).unwrap();
        std::fs::write(
            dir.path().join("themes/mine.toml"),
            "[styles]\n\ntext = { fg = \"blurple\" }\nok = { bodl = true }\ntitle = { fg = \"red\" }\n",
        )
        .unwrap();
        // One typo costs its style alone: the rest of the theme applies.
        let load = Theme::load("mine", dir.path());
        assert_eq!(load.theme.name, "mine");
        assert_eq!(load.theme.title.fg, Some(Color::Red));
        assert_eq!(load.theme.text, Theme::default_theme().text);
        assert_eq!(load.warnings.len(), 2, "{:?}", load.warnings);
        assert!(load.warnings[0].contains("mine.toml:4:"), "{:?}", load.warnings);
        assert!(
            load.warnings[0].contains("`styles.ok`: unknown field `bodl`"),
            "{:?}",
            load.warnings
        );
        assert!(load.warnings[1].contains("mine.toml:3:"), "{:?}", load.warnings);
        assert!(load.warnings[1].contains("blurple"), "{:?}", load.warnings);

        std::fs::write(dir.path().join("themes/mine.toml"), "[styles\n").unwrap();
        let load = Theme::load("mine", dir.path());
        assert_eq!(load.theme.name, "default", "not a theme at all");
    }
}
