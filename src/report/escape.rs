//! Escaping for every string that may have come from Zadig (names, values, scripts, error
//! texts), one function per output format, used by every rendering. Zadig stores whatever it
//! is sent, so a build name or script may hold ESC sequences (which would set a terminal's
//! title or clear its screen), CR, newlines or `|` (which would break a Markdown table).
//! JSON needs nothing here: serde escapes every control character. Pure.

/// For a terminal: every control character but tab is shown as its Rust escape (`\u{1b}`,
/// `\n`, `\r`), so the text stays on its line and cannot drive the terminal.
pub fn text(raw: &str) -> String {
    let mut escaped = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c.is_control() && c != '\t' {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    escaped
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

/// A Markdown code span that survives backticks inside the text.
pub fn code(text: &str) -> String {
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
    fn markdown_keeps_a_name_in_its_cell() {
        let shown = markdown("x|y\n| evil | row |\r\u{1b}<img src=x>");
        assert!(!shown.contains('\n') && !shown.contains('\r') && !shown.contains('\u{1b}'));
        assert!(
            !shown.contains('<') && !shown.replace("\\|", "").contains('|'),
            "{shown}"
        );
    }
}
