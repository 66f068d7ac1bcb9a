//! [`Secrets`]: the values never to show — what `${env:…}` references resolved to (any of them
//! may be a secret, wherever it sits: `build_args: --build-arg TOKEN=${env:NPM_TOKEN}`) and the
//! API token — and their redaction to `(sensitive)`. Built once per run by the command and
//! passed explicitly to whatever renders text that could hold one (the plan, apply's outcomes,
//! logs). Fingerprints never use it: they leave credentials out structurally. Pure, no I/O.
//!
//! Values are matched verbatim and also in the escaped forms the plan's renderings use (JSON
//! string escapes, Rust's `{:?}`) and those a server may echo them in (Go's JSON, which also
//! escapes `<`, `>` and `&`, and HTML entities), so a secret holding a quote, a `<` or a line
//! break cannot slip through a rendered value, a note or an error text. Every occurrence is
//! replaced in one pass over the text, so a short secret cannot match inside `(sensitive)`.
//!
//! [`KnownSecrets`] keeps every value handed over in a long-lived process (the log writer, a
//! daemon's client), so that a value is still hidden after it was rotated away.

use std::borrow::Cow;
use std::collections::BTreeSet;

/// What every occurrence of a secret is replaced with.
pub const REDACTED: &str = "(sensitive)";

/// The secrets to hide, longest first so that a secret containing another is hidden whole.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    /// Every form to replace: each secret verbatim, then its escaped forms.
    patterns: Vec<String>,
}

/// Counts the patterns instead of printing them: a debug log must not undo the redaction.
impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("patterns", &self.patterns.len())
            .finish()
    }
}

/// Values shorter than this are not redacted in what is shown: hiding `t` or `1` everywhere
/// would garble every plan, and so short a value cannot keep anything secret anyway.
pub const MIN_REDACTED_LEN: usize = 4;

impl Secrets {
    /// For what is shown: values shorter than [`MIN_REDACTED_LEN`] are left alone.
    pub fn new<S: AsRef<str>>(secrets: &[S]) -> Self {
        Self::with_min_len(secrets, MIN_REDACTED_LEN)
    }

    /// For the error texts a server sends back: every non-empty value is hidden, however
    /// short, since such a text exists only to be shown and may echo exactly what was sent.
    pub fn of_every_length<S: AsRef<str>>(secrets: &[S]) -> Self {
        Self::with_min_len(secrets, 1)
    }

    fn with_min_len<S: AsRef<str>>(secrets: &[S], min_len: usize) -> Self {
        let mut patterns: Vec<String> = secrets
            .iter()
            .map(AsRef::as_ref)
            .filter(|s| s.chars().count() >= min_len)
            .flat_map(escaped_forms)
            .collect();
        patterns.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        patterns.dedup();
        Secrets { patterns }
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// `text` with every occurrence of every secret replaced by [`REDACTED`]: from left to
    /// right, the longest secret where several start at one place.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let present: Vec<&str> = (self.patterns.iter())
            .map(String::as_str)
            .filter(|pattern| text.contains(pattern))
            .collect();
        if present.is_empty() {
            return Cow::Borrowed(text);
        }
        // Where each pattern next occurs at or after `cursor`; found again only once passed.
        let mut next: Vec<Option<usize>> = present.iter().map(|p| text.find(p)).collect();
        let (mut redacted, mut cursor) = (String::with_capacity(text.len()), 0);
        while let Some((at, len)) = leftmost_longest(&present, &next) {
            redacted.push_str(&text[cursor..at]);
            redacted.push_str(REDACTED);
            cursor = at + len;
            for (slot, pattern) in next.iter_mut().zip(&present) {
                if slot.is_some_and(|found| found < cursor) {
                    *slot = text[cursor..].find(pattern).map(|found| found + cursor);
                }
            }
        }
        redacted.push_str(&text[cursor..]);
        Cow::Owned(redacted)
    }

    /// Redacts in place every string in a JSON value (object keys are left alone: they are
    /// field names and identities from the file, not resolved values).
    pub fn redact_json(&self, value: &mut serde_json::Value) {
        use serde_json::Value;
        match value {
            Value::String(text) => {
                if let Cow::Owned(redacted) = self.redact(text) {
                    *text = redacted;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.redact_json(item)),
            Value::Object(map) => map.values_mut().for_each(|item| self.redact_json(item)),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    pub fn redact_all(&self, texts: &mut [String]) {
        for text in texts {
            if let Cow::Owned(redacted) = self.redact(text) {
                *text = redacted;
            }
        }
    }
}

/// The place and length of the match that comes first, the longest among those at one place.
fn leftmost_longest(patterns: &[&str], next: &[Option<usize>]) -> Option<(usize, usize)> {
    (next.iter().zip(patterns))
        .filter_map(|(at, pattern)| at.map(|at| (at, pattern.len())))
        .min_by_key(|&(at, len)| (at, std::cmp::Reverse(len)))
}

/// Every form `secret` may be shown in: as it is, inside a JSON string (serde's escapes, and
/// Go's, which also escape `<`, `>`, `&`), inside Rust's `{:?}`, and HTML-escaped (the
/// entities of Go's `html.EscapeString`, and the named ones).
fn escaped_forms(secret: &str) -> Vec<String> {
    let json = json_escaped(secret);
    let go_json = json
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029");
    let html = |quote: &str, apostrophe: &str| {
        secret
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', quote)
            .replace('\'', apostrophe)
    };
    vec![
        secret.to_string(),
        json,
        go_json,
        debug_escaped(secret),
        html("&#34;", "&#39;"),
        html("&quot;", "&#39;"),
        html("&quot;", "&#x27;"),
    ]
}

/// The secret as it appears inside a JSON string literal.
fn json_escaped(secret: &str) -> String {
    let quoted = serde_json::Value::String(secret.to_string()).to_string();
    quoted[1..quoted.len() - 1].to_string()
}

/// The secret as it appears inside `{:?}` of a string.
fn debug_escaped(secret: &str) -> String {
    let quoted = format!("{secret:?}");
    quoted[1..quoted.len() - 1].to_string()
}

/// Every distinct secret value handed over so far, in a process that lives longer than one
/// run: the daemon hands the same values over at every pass, for months, and a rotated value
/// stays hidden.
#[derive(Default)]
pub struct KnownSecrets(BTreeSet<String>);

impl KnownSecrets {
    pub const fn new() -> Self {
        KnownSecrets(BTreeSet::new())
    }

    /// Adds `secrets`; whether any of them was new (and the redaction must be rebuilt).
    pub fn add(&mut self, secrets: &[String]) -> bool {
        let before = self.0.len();
        self.0
            .extend(secrets.iter().filter(|s| !s.is_empty()).cloned());
        self.0.len() > before
    }

    /// Every value known, sorted.
    pub fn values(&self) -> Vec<&str> {
        self.0.iter().map(String::as_str).collect()
    }
}

/// Counts the values instead of printing them.
impl std::fmt::Debug for KnownSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KnownSecrets({} values)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor(secrets: &[&str]) -> Secrets {
        let owned: Vec<String> = secrets.iter().map(|s| s.to_string()).collect();
        Secrets::new(&owned)
    }

    #[test]
    fn every_occurrence_is_replaced_and_the_longest_secret_first() {
        let r = redactor(&["abcd", "abcdef"]);
        assert_eq!(r.redact("x=abcdef y=abcd"), "x=(sensitive) y=(sensitive)");
    }

    #[test]
    fn values_too_short_to_hide_are_ignored_and_text_without_secrets_is_borrowed() {
        let r = redactor(&["", "t", "abc"]);
        assert!(r.is_empty());
        assert!(matches!(r.redact("abc t"), Cow::Borrowed("abc t")));
    }

    #[test]
    fn escaped_forms_are_redacted_too() {
        let r = redactor(&["a\"b\nc"]);
        let json = serde_json::Value::String("x a\"b\nc".into()).to_string();
        assert_eq!(r.redact(&json), "\"x (sensitive)\"");
        assert_eq!(r.redact(&format!("{:?}", "a\"b\nc")), "\"(sensitive)\"");
    }

    #[test]
    fn forms_a_server_echoes_are_redacted_too() {
        let r = redactor(&[r#"p<a"s&'w"#]);
        for echoed in [
            r#"p\u003ca\"s\u0026'w"#,
            "p&lt;a&#34;s&amp;&#39;w",
            "p&lt;a&quot;s&amp;&#39;w",
            "p&lt;a&quot;s&amp;&#x27;w",
        ] {
            assert_eq!(
                r.redact(&format!("[{echoed}]")),
                "[(sensitive)]",
                "{echoed}"
            );
        }
    }

    #[test]
    fn in_error_texts_values_of_every_length_are_redacted_in_one_pass() {
        let r = Secrets::of_every_length(&["e", "abc", ""]);
        assert_eq!(r.redact("abc: e!"), "(sensitive): (sensitive)!");
        assert!(Secrets::of_every_length(&[""]).is_empty());
    }

    #[test]
    fn redaction_is_leftmost_then_longest_and_handles_repeats() {
        let r = redactor(&["abcd", "bcdefg"]);
        assert_eq!(
            r.redact("xabcdefg abcd bcdefg"),
            "x(sensitive)efg (sensitive) (sensitive)"
        );
        let many = "tok1-".repeat(10_000);
        assert_eq!(
            redactor(&["tok1"]).redact(&many),
            "(sensitive)-".repeat(10_000)
        );
    }

    #[test]
    fn known_secrets_grow_only_with_new_values() {
        let mut known = KnownSecrets::default();
        let pass = ["token".to_owned(), "db-password".to_owned(), String::new()];
        assert!(known.add(&pass));
        for _ in 0..100 {
            assert!(
                !known.add(&pass),
                "nothing new: the redactor is not rebuilt"
            );
        }
        assert_eq!(known.values(), ["db-password", "token"]);
        assert!(known.add(&["rotated".to_owned()]));
    }

    #[test]
    fn debug_does_not_print_the_secrets() {
        assert_eq!(
            format!("{:?}", redactor(&["token"])),
            "Secrets { patterns: 1 }"
        );
    }

    #[test]
    fn json_strings_are_redacted_at_any_depth_and_keys_are_kept() {
        let r = redactor(&["tok1"]);
        let mut value = serde_json::json!({"tok1": ["a tok1", {"k": "tok1"}], "n": 1});
        r.redact_json(&mut value);
        assert_eq!(
            value,
            serde_json::json!({"tok1": ["a (sensitive)", {"k": "(sensitive)"}], "n": 1})
        );
    }
}
