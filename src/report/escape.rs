//! Escaping for every string that may have come from Zadig (names, values, scripts, error
//! texts), one function per output format, used by every rendering. Zadig stores whatever it
//! is sent, so a build name or script may hold ESC sequences (which would set a terminal's
//! title or clear its screen), CR, newlines or `|` (which would break a Markdown table),
//! and bidirectional controls or zero-width characters, which make one name render as
//! another (`api` followed by U+202E and `dliub` reads `apibuild`): those are shown as
//! escapes too, in text, Markdown and log lines. JSON needs nothing here: serde escapes every
//! control character, and a program reads the characters, not their rendering. Pure.

use std::borrow::Cow;

/// For a terminal: every control character but tab, and every [`is_deceptive`] character, is
/// shown as its Rust escape (`\u{1b}`, `\n`, `\u{202e}`), so the text stays on its line,
/// cannot drive the terminal, and renders as the characters it holds.
pub fn text(raw: &str) -> String {
    escaped_where(raw, |c| (c.is_control() && c != '\t') || is_deceptive(c))
}

/// `raw` with every character `escape` picks shown as its Rust escape.
fn escaped_where(raw: &str, escape: impl Fn(char) -> bool) -> String {
    let mut escaped = String::with_capacity(raw.len());
    for c in raw.chars() {
        if escape(c) {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    escaped
}

/// Bidirectional-text controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) and
/// zero-width characters (U+200B–U+200D, U+2060, U+FEFF): invisible, yet they change how the
/// text around them reads.
pub fn is_deceptive(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// `raw` with only the [`is_deceptive`] characters escaped: for a log line, whose own line
/// breaks must stay (its fields are escaped by the log formatter).
pub fn deceptive(raw: &str) -> Cow<'_, str> {
    if raw.chars().any(is_deceptive) {
        Cow::Owned(escaped_where(raw, is_deceptive))
    } else {
        Cow::Borrowed(raw)
    }
}

/// For Markdown prose and table cells: as [`text`], and no HTML tag can open (`<`, `>`, `&`)
/// and no table cell can end (`|`).
pub fn markdown(raw: &str) -> String {
    text(raw)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
}

/// A Markdown code span that survives backticks inside the text (and shows any
/// [`is_deceptive`] character as an escape).
pub fn code(text: &str) -> String {
    let text = &deceptive(text);
    let ticks = "`".repeat(longest_run(text, '`') + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{text}{pad}{ticks}")
}

/// The longest run of `wanted` in `text`.
pub fn longest_run(text: &str, wanted: char) -> usize {
    let (mut longest, mut current) = (0, 0);
    for c in text.chars() {
        current = if c == wanted { current + 1 } else { 0 };
        longest = longest.max(current);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_text_keeps_no_control_character_but_tab() {
        let hostile = "a\u{1b}]0;pwned\u{7}\u{1b}[2J\r\nb\tc\u{9b}";
        let shown = text(hostile);
        assert!(
            !shown.chars().any(|c| c.is_control() && c != '\t'),
            "{shown:?}"
        );
        assert!(
            shown.contains("\\u{1b}]0;pwned") && shown.contains("b\tc"),
            "{shown}"
        );
    }

    #[test]
    fn bidirectional_and_zero_width_characters_are_shown_as_escapes() {
        let hostile = "api\u{202e}dliub\u{200b}x\u{2066}\u{feff}\u{61c}\u{200e}\u{2060}";
        for shown in [
            text(hostile),
            markdown(hostile),
            deceptive(hostile).into_owned(),
        ] {
            assert!(!shown.chars().any(is_deceptive), "{shown:?}");
            assert!(shown.starts_with("api\\u{202e}dliub\\u{200b}x"), "{shown}");
        }
        assert!(matches!(
            deceptive("plain\nline"),
            Cow::Borrowed("plain\nline")
        ));
        assert_eq!(text("é 项 ✓"), "é 项 ✓");
    }

    #[test]
    fn markdown_keeps_a_name_in_its_cell() {
        let shown = markdown("x|y\n| evil | row |\r\u{1b}<img src=x>");
        assert!(!shown.contains('\n') && !shown.contains('\r') && !shown.contains('\u{1b}'));
        assert!(
            !shown.contains('<') && !shown.replace("\\|", "").contains('|'),
            "{shown}"
        );
    }
}
