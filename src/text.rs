//! Cleaning of strings that came from outside (registry manifests, clusters,
//! metric servers) before anything draws them: an escape sequence in a model
//! description must never reach the operator's terminal.

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
    c.is_control() || is_bidi_control(c)
}

/// Bidirectional formatting characters can make drawn text read differently
/// from what it is ("Trojan Source"), so they are dropped too.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

#[cfg(test)]
mod tests {
    use super::clean;

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
    }
}
