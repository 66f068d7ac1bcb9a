//! Text as YAML scalars that load back to exactly that text: plain when nothing in it could be
//! read otherwise, a literal block (`|`) for multi-line text such as scripts, double-quoted
//! for everything else. Pure, no I/O. Every text value of a build file is also scanned for
//! `${env:…}`/`${file:…}` by the loader, so [`escape_references`] comes first for text that is
//! not meant as a reference.

/// A scalar written after `key:` (or `- `).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scalar {
    /// Written on the key's line as is (plain or double-quoted).
    Inline(String),
    /// A literal block: the header (`|`, `|-`, `|+`, with an indentation digit when needed)
    /// and the lines of text, written below the key, indented.
    Block { header: String, lines: Vec<String> },
}

/// `$${` for every `${`, so that the loader reads the text back instead of a reference.
pub fn escape_references(text: &str) -> String {
    text.replace("${", "$${")
}

/// How `text` is written. A block's lines go two spaces deeper than its key.
pub fn scalar(text: &str) -> Scalar {
    if text.contains('\n') && literal_is_exact(text) {
        return literal(text);
    }
    if is_plain_safe(text) {
        Scalar::Inline(text.to_string())
    } else {
        Scalar::Inline(double_quoted(text))
    }
}

/// How much deeper than its key a literal block's lines are written.
pub const BLOCK_INDENT: usize = 2;

/// Words a YAML 1.1 or 1.2 reader may take for something other than text.
const RESERVED: [&str; 12] = [
    "null", "~", "true", "false", "yes", "no", "on", "off", "y", "n", "<<", "=",
];

/// Plain only when no YAML reader could take it for anything but this text: it starts with a
/// letter, `_`, `/` or `$` (not a digit, so never a number or a date), holds only letters,
/// digits, spaces and a few safe punctuation marks, and no `: ` or ` #`.
fn is_plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    let starts_well = first.is_alphabetic() || matches!(first, '_' | '/' | '$');
    let safe_char = |c: char| c.is_alphanumeric() || " _-./$:{}@+=(),".contains(c);
    starts_well
        && text.chars().all(safe_char)
        && !text.ends_with([' ', ':'])
        && !text.contains(": ")
        && !text.contains(" #")
        && !RESERVED.iter().any(|word| text.eq_ignore_ascii_case(word))
}

/// Whether a literal block reads back as exactly `text`: only printable characters (tabs and
/// line breaks included, no carriage return, which YAML turns into a line break), some
/// non-space content, and no spaces or tabs at its very end (a reader may take a last line of
/// only blanks for trailing empty lines).
fn literal_is_exact(text: &str) -> bool {
    let body = text.trim_end_matches('\n');
    !body.trim().is_empty()
        && !body.ends_with([' ', '\t'])
        && text
            .chars()
            .all(|c| c == '\n' || c == '\t' || is_printable(c))
}

fn literal(text: &str) -> Scalar {
    let body = text.trim_end_matches('\n');
    let chomp = match text.len() - body.len() {
        0 => "-",
        1 => "",
        _ => "+",
    };
    // The reader takes the indentation from the first line with content; leading blanks or
    // blank lines before it would be eaten: say the indentation outright.
    let first = body.lines().find(|line| !line.trim().is_empty());
    let leading_blank = body.starts_with([' ', '\t', '\n'])
        || first.is_some_and(|line| line.starts_with([' ', '\t']));
    let header = if leading_blank {
        format!("|{BLOCK_INDENT}{chomp}")
    } else {
        format!("|{chomp}")
    };
    let mut lines: Vec<String> = body.split('\n').map(str::to_string).collect();
    // `|+` keeps every line break after the text: one per extra empty line.
    lines.extend(std::iter::repeat_n(
        String::new(),
        (text.len() - body.len()).saturating_sub(1),
    ));
    Scalar::Block { header, lines }
}

/// YAML's printable set (c-printable), minus the byte-order mark.
fn is_printable(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{7E}' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
        && c != '\u{FEFF}'
}

/// A double-quoted scalar: `\` and `"` escaped, every character outside the printable set as
/// an escape, line separators included.
pub fn double_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if is_printable(c) && c != '\u{85}' && !matches!(c, '\u{2028}' | '\u{2029}') => {
                out.push(c)
            }
            c if (c as u32) <= 0xFF => out.push_str(&format!("\\x{:02X}", c as u32)),
            c if (c as u32) <= 0xFFFF => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push_str(&format!("\\U{:08X}", c as u32)),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml::parse_documents;
    use proptest::prelude::*;

    /// `text` written as the value of `key:` inside a mapping two levels deep, read back by
    /// the loader's YAML parser.
    fn read_back(text: &str) -> String {
        let mut yaml = String::from("outer:\n  inner:\n    key: ");
        match scalar(text) {
            Scalar::Inline(inline) => {
                yaml.push_str(&inline);
                yaml.push('\n');
            }
            Scalar::Block { header, lines } => {
                yaml.push_str(&header);
                yaml.push('\n');
                for line in lines {
                    if !line.is_empty() {
                        yaml.push_str("      ");
                        yaml.push_str(&line);
                    }
                    yaml.push('\n');
                }
            }
        }
        yaml.push_str("    after: x\n");
        let docs = parse_documents(&yaml).unwrap_or_else(|e| panic!("{yaml}\n{e:?}"));
        let inner = docs[0].get("outer").and_then(|o| o.get("inner")).unwrap();
        assert_eq!(
            inner.get("after").and_then(|n| n.text()),
            Some("x"),
            "{yaml}"
        );
        inner
            .get("key")
            .and_then(|n| n.text())
            .unwrap_or_default()
            .to_string()
    }

    #[test]
    fn plain_only_where_nothing_else_could_be_read() {
        for plain in [
            "ubuntu 20.04",
            "go",
            "${env:A_B}",
            "随机调度",
            "/workspace",
            "$WORKSPACE",
        ] {
            assert_eq!(scalar(plain), Scalar::Inline(plain.into()), "{plain}");
        }
        for quoted in [
            "1.20", "yes", "No", "", " x", "a: b", "a #b", "-x", "*a", "x:", "~",
        ] {
            assert!(
                matches!(scalar(quoted), Scalar::Inline(s) if s.starts_with('"')),
                "{quoted}"
            );
        }
    }

    #[test]
    fn scripts_are_literal_blocks_with_the_right_chomping() {
        let block = |text| match scalar(text) {
            Scalar::Block { header, .. } => header,
            other => panic!("{other:?}"),
        };
        assert_eq!(block("a\nb"), "|-");
        assert_eq!(block("a\nb\n"), "|");
        assert_eq!(block("a\nb\n\n"), "|+");
        assert_eq!(block("  a\nb\n"), "|2");
        assert_eq!(block("\nb\n"), "|2");
    }

    #[test]
    fn edge_cases_read_back_exactly() {
        for text in [
            "#!/bin/bash\nset -e\n\n  indented\n\tTab\n",
            "  leading\nx",
            "\n\nafter blank lines\n\n\n",
            "trailing spaces   \nx",
            "ends with spaces\n   ",
            "crlf\r\nline",
            "only\n\n",
            "\n",
            "quote \" and \\ and \u{7f} and \u{2028} and \u{feff}",
            "key: value\n- item\n# comment",
            "$${literal} ${SHELL_VAR}",
        ] {
            assert_eq!(read_back(text), text, "{text:?}");
        }
    }

    proptest! {
        #[test]
        fn any_text_reads_back_exactly(text in "[a-z #:\\-\"'\\\\\n\t\r ${}|>\u{80}-\u{a0}é]{0,40}") {
            prop_assert_eq!(read_back(&text), text);
        }
    }
}
