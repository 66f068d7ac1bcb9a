//! How Go's `encoding/json` reads a string and matches a key to a struct field. Strings:
//! escapes decoded, and what is not valid text replaced by U+FFFD instead of refused (a byte
//! of invalid UTF-8 at a time, as `utf8.DecodeRune` steps; a `\u` surrogate without its
//! pair). Keys: the same bytes as the field's name, or the same once folded (`foldName`). No
//! I/O.

const REPLACEMENT: char = char::REPLACEMENT_CHARACTER;

/// The text of a string token, quotes included, that the scanner accepted.
pub fn unquote(token: &[u8]) -> String {
    let inner = token
        .get(1..token.len().saturating_sub(1))
        .unwrap_or_default();
    let mut text = String::with_capacity(inner.len());
    let mut at = 0;
    while let Some(&byte) = inner.get(at) {
        at += match byte {
            b'\\' => escape(inner, at, &mut text),
            0..=0x7f => {
                text.push(char::from(byte));
                1
            }
            _ => utf8_char(&inner[at..], &mut text),
        };
    }
    text
}

/// Decodes the escape at `at`; returns how many bytes it took.
fn escape(inner: &[u8], at: usize, text: &mut String) -> usize {
    let decoded = match inner.get(at + 1) {
        Some(b'b') => '\u{8}',
        Some(b'f') => '\u{c}',
        Some(b'n') => '\n',
        Some(b'r') => '\r',
        Some(b't') => '\t',
        Some(b'u') => return unicode_escape(inner, at, text),
        // `\"`, `\\` and `\/`: the scanner allows no other.
        Some(&other) => char::from(other),
        None => return 1,
    };
    text.push(decoded);
    2
}

/// `\uXXXX`, or a surrogate pair written as two; a surrogate without its pair is U+FFFD and
/// what follows it is read on its own.
fn unicode_escape(inner: &[u8], at: usize, text: &mut String) -> usize {
    let Some(first) = hex_escape(inner, at) else {
        return 2;
    };
    if !(0xd800..0xe000).contains(&first) {
        text.push(char::from_u32(first).unwrap_or(REPLACEMENT));
        return 6;
    }
    let second = hex_escape(inner, at + 6).unwrap_or(0);
    if (0xd800..0xdc00).contains(&first) && (0xdc00..0xe000).contains(&second) {
        let code = 0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00);
        text.push(char::from_u32(code).unwrap_or(REPLACEMENT));
        return 12;
    }
    text.push(REPLACEMENT);
    6
}

/// The code unit of a `\uXXXX` starting at `at`, if one does (Go's `getu4`).
fn hex_escape(inner: &[u8], at: usize) -> Option<u32> {
    let escape = inner.get(at..at + 6)?;
    let (prefix, digits) = escape.split_at(2);
    if prefix != b"\\u" || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

/// One character of UTF-8, or U+FFFD for one byte that does not start a valid one.
fn utf8_char(rest: &[u8], text: &mut String) -> usize {
    let width = match rest.first() {
        Some(0xc2..=0xdf) => 2,
        Some(0xe0..=0xef) => 3,
        Some(0xf0..=0xf4) => 4,
        _ => 0,
    };
    let valid = rest
        .get(..width)
        .filter(|_| width > 0)
        .and_then(|bytes| std::str::from_utf8(bytes).ok());
    match valid {
        Some(character) => {
            text.push_str(character);
            width
        }
        None => {
            text.push(REPLACEMENT);
            1
        }
    }
}

/// Whether a body key names the struct field `field` (its JSON name, ASCII) as Go's decoder
/// decides: the same text, or the same once each character is folded to the smallest of
/// its Unicode simple case folding (`foldName`). For an ASCII name that is ASCII letters in
/// either case, plus the only two other characters that fold to ASCII letters: `ſ` (U+017F,
/// long s) and `K` (U+212A, Kelvin sign).
pub fn names_field(key: &str, field: &str) -> bool {
    key == field || key.chars().map(fold).eq(field.chars().map(fold))
}

fn fold(character: char) -> char {
    match character {
        'ſ' => 'S',
        '\u{212a}' => 'K',
        other => other.to_ascii_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_decode_as_in_go() {
        let token = br#""a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00""#;
        assert_eq!(unquote(token), "a\"b\\c/d\u{8}\u{c}\n\r\té😀");
    }

    #[test]
    fn a_surrogate_without_its_pair_becomes_one_replacement_character() {
        assert_eq!(unquote(br#""\ud800""#), "\u{fffd}");
        assert_eq!(unquote(br#""\udc00x""#), "\u{fffd}x");
        assert_eq!(unquote(br#""\ud800\u0041""#), "\u{fffd}A");
        assert_eq!(unquote(br#""\ud800\n""#), "\u{fffd}\n");
        assert_eq!(unquote(br#""\udc00\ud800\udc00""#), "\u{fffd}\u{10000}");
    }

    #[test]
    fn invalid_utf8_is_replaced_a_byte_at_a_time() {
        assert_eq!(unquote(b"\"a\xffb\""), "a\u{fffd}b");
        // A truncated sequence: two bytes, two replacements (Go steps one byte at a time).
        assert_eq!(unquote(b"\"\xe2\x82A\""), "\u{fffd}\u{fffd}A");
        // Surrogates and overlong forms written in UTF-8 are invalid too.
        assert_eq!(unquote(b"\"\xed\xa0\x80\""), "\u{fffd}\u{fffd}\u{fffd}");
        assert_eq!(unquote(b"\"\xc0\xaf\""), "\u{fffd}\u{fffd}");
        assert_eq!(unquote("\"é€😀\"".as_bytes()), "é€😀");
    }

    #[test]
    fn keys_name_a_field_by_go_s_case_folding() {
        assert!(names_field("script_type", "script_type"));
        assert!(names_field("Script_TYPE", "script_type"));
        assert!(names_field("ſcript_type", "script_type"));
        assert!(names_field("project_\u{212a}ey", "project_key"));
        assert!(!names_field("scrİpt_type", "script_type"));
        assert!(!names_field("scrıpt_type", "script_type"));
        assert!(!names_field("script-type", "script_type"));
        assert!(!names_field("script_typ", "script_type"));
    }
}
