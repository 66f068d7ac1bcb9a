//! [`Secrets`]: the values never to show — what `${env:…}` references resolved to (any of them
//! may be a secret, wherever it sits: `build_args: --build-arg TOKEN=${env:NPM_TOKEN}`) and the
//! API token — and their redaction to `(sensitive)`. Built once per run by the command and
//! passed explicitly to whatever renders text that could hold one (the plan, apply's outcomes,
//! logs). Fingerprints never use it: they leave credentials out structurally. Pure, no I/O.
//!
//! Values are matched verbatim and also in the escaped forms the plan's renderings use (JSON
//! string escapes, Rust's `{:?}`), so a secret holding a quote or a line break cannot slip
//! through a rendered value or a note.

use std::borrow::Cow;

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

/// Values shorter than this are not redacted: hiding `t` or `1` everywhere would garble every
/// message, and so short a value cannot keep anything secret anyway.
const MIN_REDACTED_LEN: usize = 4;

impl Secrets {
    /// For what is shown: values shorter than [`MIN_REDACTED_LEN`] are left alone.
    pub fn new(secrets: &[String]) -> Self {
        Self::with_min_len(secrets, MIN_REDACTED_LEN)
    }

    fn with_min_len(secrets: &[String], min_len: usize) -> Self {
        let mut patterns: Vec<String> = secrets
            .iter()
            .filter(|s| s.chars().count() >= min_len)
            .flat_map(|secret| [secret.clone(), json_escaped(secret), debug_escaped(secret)])
            .collect();
        patterns.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        patterns.dedup();
        Secrets { patterns }
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// `text` with every occurrence of every secret replaced by [`REDACTED`].
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut text = Cow::Borrowed(text);
        for pattern in &self.patterns {
            if text.contains(pattern.as_str()) {
                text = Cow::Owned(text.replace(pattern.as_str(), REDACTED));
            }
        }
        text
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
