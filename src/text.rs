//! Cleaning of strings that came from outside (registry manifests, clusters,
//! metric servers) before anything draws them: an escape sequence in a model
//! description must never reach the operator's terminal.

/// `n` and the right form of its noun: "1 pod", "3 pods".
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Returns `s` without terminal escape sequences, control characters or
/// bidirectional overrides; tabs become spaces.
pub fn clean(s: &str) -> String {
    // Fast path: most strings are plain.
    if !s.chars().any(needs_cleaning) {
        return s.to_owned();
    }
    // Tabs first: the stripper would drop them with the other controls.
    strip_ansi_escapes::strip_str(s.replace('\t', " "))
        .chars()
        .filter(|&c| !needs_cleaning(c))
        .collect()
}

fn needs_cleaning(c: char) -> bool {
    c.is_control() || is_format(c)
}

/// Unicode's format characters (general category Cf), which
/// `char::is_control` does not cover: bidirectional overrides and marks
/// can make drawn text read differently from what it is ("Trojan
/// Source"), zero-width ones hide text; all are dropped. The ranges are
/// Cf as of Unicode 15.
fn is_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{0600}'..='\u{0605}' | '\u{061C}' | '\u{06DD}' | '\u{070F}' | '\u{0890}'..='\u{0891}'
        | '\u{08E2}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}'
        | '\u{110BD}' | '\u{110CD}' | '\u{13430}'..='\u{1343F}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0001}' | '\u{E0020}'..='\u{E007F}')
}

/// Text from outside, cleaned: only [`Clean::new`] (through [`clean`])
/// makes one, so a field of this type cannot hold an escape sequence, a
/// control or a format character.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Clean(String);

// As a string: messages quote names with `{:?}` ("deployment \"x\"").
impl std::fmt::Debug for Clean {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.0.as_str(), f)
    }
}

impl Clean {
    pub fn new(s: &str) -> Clean {
        Clean(clean(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Clean {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Clean {
    // `pad`, not `write_str`: table columns format with widths (`{:<35}`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(&self.0)
    }
}

impl PartialEq<str> for Clean {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Clean {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<Clean> for String {
    fn eq(&self, other: &Clean) -> bool {
        *self == other.0
    }
}

impl PartialEq<Clean> for str {
    fn eq(&self, other: &Clean) -> bool {
        *self == other.0
    }
}

impl PartialEq<String> for Clean {
    fn eq(&self, other: &String) -> bool {
        self.0 == *other
    }
}

// Hash, Eq and Ord are the string's own, so a map keyed by Clean can be
// looked up by &str.
impl std::borrow::Borrow<str> for Clean {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for Clean {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Converting cleans: there is no way round [`clean`].
impl From<&str> for Clean {
    fn from(s: &str) -> Clean {
        Clean::new(s)
    }
}

impl From<String> for Clean {
    fn from(s: String) -> Clean {
        Clean::new(&s)
    }
}

impl From<Clean> for String {
    fn from(c: Clean) -> String {
        c.0
    }
}

/// 1-based line and column of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Age the way kubectl prints it: `45s`, `3m20s`, `17m`, `5h12m`, `3d4h`.
pub fn human_age(seconds: i64) -> String {
    let s = seconds.max(0);
    let (m, h, d) = (s / 60, s / 3600, s / 86400);
    if s < 120 {
        format!("{s}s")
    } else if m < 10 {
        if s % 60 == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{}s", s % 60)
        }
    } else if h < 3 {
        format!("{m}m")
    } else if h < 8 {
        if m % 60 == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{}m", m % 60)
        }
    } else if h < 48 {
        format!("{h}h")
    } else if d < 8 {
        if h % 24 == 0 {
            format!("{d}d")
        } else {
            format!("{d}d{}h", h % 24)
        }
    } else if d < 365 * 2 {
        format!("{d}d")
    } else {
        format!("{}y", d / 365)
    }
}

/// An error and its causes on one line ("a: b: c"): reqwest's own message
/// ("error sending request") says little without them. Repeated causes are
/// written once.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

/// A metric value in its panel's unit, short enough for a table cell:
/// seconds as ms below 1 s, "ratio" as a percent, rates per second.
pub fn format_value(value: f64, unit: &str) -> String {
    if !value.is_finite() {
        return if value.is_nan() {
            "NaN".into()
        } else if value > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let short = |v: f64| {
        let a = v.abs();
        if a >= 100.0 || a == 0.0 {
            format!("{v:.0}")
        } else if a >= 10.0 {
            format!("{v:.1}")
        } else if a >= 0.01 {
            format!("{v:.2}")
        } else {
            format!("{v:.1e}")
        }
    };
    match unit {
        "s" if value.abs() < 1.0 => format!("{} ms", short(value * 1000.0)),
        "s" => format!("{} s", short(value)),
        "ratio" => format!("{}%", short(value * 100.0)),
        "req/s" => format!("{}/s", short(value)),
        "" => {
            if (0.0..=1.0).contains(&value) {
                format!("{value:.3}")
            } else {
                short(value)
            }
        }
        other => format!("{} {other}", short(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::{Clean, clean, human_age, line_col};

    #[test]
    fn clean_text_pads_like_a_string_in_table_columns() {
        assert_eq!(
            format!("[{:<6}|{:>4}]", Clean::new("pod"), Clean::new("ok")),
            "[pod   |  ok]"
        );
        assert_eq!(format!("{:?}", Clean::new("x")), "\"x\"", "messages quote names");
    }

    #[test]
    fn ages_read_like_kubectl() {
        assert_eq!(human_age(45), "45s");
        assert_eq!(human_age(200), "3m20s");
        assert_eq!(human_age(17 * 60), "17m");
        assert_eq!(human_age(5 * 3600 + 12 * 60), "5h12m");
        assert_eq!(human_age(20 * 3600), "20h");
        assert_eq!(human_age(3 * 86400 + 4 * 3600), "3d4h");
    }

    #[test]
    fn plain_text_is_unchanged() {
        assert_eq!(clean("malaria_lstm 2.1.0 ✔"), "malaria_lstm 2.1.0 ✔");
    }

    #[test]
    fn escape_sequences_and_controls_are_removed() {
        assert_eq!(clean("\x1b[31mred\x1b[0m"), "red");
        assert_eq!(clean("title\x1b]0;pwned\x07ok"), "titleok");
        assert_eq!(clean("a\rb\nc\u{7}d\u{9b}e"), "abcde");
        assert_eq!(clean("tab\there"), "tab here");
        assert_eq!(clean("abc\u{202E}fed"), "abcfed");
        // Format characters is_control misses: the Arabic letter mark (a
        // bidi mark), zero-width joiners and spaces, a byte-order mark.
        assert_eq!(clean("a\u{061C}b\u{200B}c\u{2066}d\u{FEFF}e\u{E0041}f"), "abcdef");
        // Letters of right-to-left scripts stay: only the controls go.
        assert_eq!(clean("نموذج"), "نموذج");
        assert_eq!(super::Clean::new("x\u{1b}[31my"), "xy");
    }

    #[test]
    fn metric_values_read_in_their_units() {
        assert_eq!(super::format_value(0.0451, "s"), "45.1 ms");
        assert_eq!(super::format_value(2.5, "s"), "2.50 s");
        assert_eq!(super::format_value(0.002, "ratio"), "0.20%");
        assert_eq!(super::format_value(18.04, "req/s"), "18.0/s");
        assert_eq!(super::format_value(0.8954, ""), "0.895");
        assert_eq!(super::format_value(f64::NAN, "s"), "NaN");
        assert_eq!(super::format_value(f64::INFINITY, ""), "+Inf");
    }

    #[test]
    fn offsets_map_to_lines_and_columns() {
        let text = "a = 1\nbb = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, 9), (2, 4));
        assert_eq!(line_col(text, 999), (3, 1));
    }
}
