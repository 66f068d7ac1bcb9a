//! What an error answer said, read defensively: Zadig's own JSON error shapes
//! (`docs/zadig-api.md` §8) with their business codes as named constants, or the first line
//! of whatever else came back (an HTML page from a proxy), or nothing. Every string kept is
//! redacted and then clipped ([`ZadigText::shown`]), so a server sending megabytes of
//! "description" cannot flood a terminal or a log, and a secret it echoes is hidden whole
//! even where the clip falls inside it. Pure.

use std::fmt;

use serde::Deserialize;

use crate::reconcile::redact::Secrets;

/// Zadig's business codes on the build routes (`docs/zadig-api.md` §8).
pub mod codes {
    /// A field check (empty project key, empty name, …): HTTP 400, code 400.
    pub const BAD_REQUEST: i64 = 400;
    /// Zadig's plain "Internal Error: " shape.
    pub const INTERNAL_ERROR: i64 = 500;
    /// Create failed: a lookup, the duplicate name, the GPU spec.
    pub const CREATE_FAILED: i64 = 6520;
    /// Update failed: not found, a lookup, the GPU spec.
    pub const UPDATE_FAILED: i64 = 6521;
    /// List failed in the database.
    pub const LIST_FAILED: i64 = 6522;
    /// Detail of a missing build; template update of a missing build.
    pub const DETAIL_FAILED: i64 = 6523;
    /// Delete failed ("referenced by services" included).
    pub const DELETE_FAILED: i64 = 6524;
    /// No valid licence for the template routes.
    pub const LICENCE_REQUIRED: i64 = 7050;
}

/// At most this many characters of any one text from the server are kept.
pub const MAX_TEXT_CHARS: usize = 500;

/// Zadig's error body. `message` is a short (often Chinese) summary, `description` the detail.
/// The 500 "Internal Error" shape has no `type`/`extra`, which serde ignores anyway.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ZadigMessage {
    pub code: i64,
    pub message: String,
    pub description: String,
}

impl ZadigMessage {
    /// `None` unless the body is a JSON object carrying a code or a message. The texts are
    /// whole (the body is bounded by `--max-body-size`): [`ZadigText::shown`] clips them.
    pub fn parse(body: &[u8]) -> Option<Self> {
        let parsed: ZadigMessage = serde_json::from_slice(body).ok()?;
        let meaningful = parsed.code != 0 || !parsed.message.is_empty();
        meaningful.then_some(parsed)
    }
}

impl fmt::Display for ZadigMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "code {}, {:?}", self.code, self.message)?;
        if !self.description.is_empty() {
            write!(f, ": {:?}", self.description)?;
        }
        Ok(())
    }
}

/// What the server answered, as far as it said anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZadigText {
    /// One of Zadig's JSON error shapes.
    Json(Box<ZadigMessage>),
    /// Anything else: its content type and first non-empty line (clipped).
    Other {
        content_type: String,
        first_line: String,
    },
    Empty,
}

impl ZadigText {
    pub fn from_body(body: &[u8], content_type: Option<&str>) -> Self {
        if let Some(message) = ZadigMessage::parse(body) {
            return ZadigText::Json(Box::new(message));
        }
        let text = String::from_utf8_lossy(body);
        let Some(first_line) = text.lines().map(str::trim).find(|line| !line.is_empty()) else {
            return ZadigText::Empty;
        };
        ZadigText::Other {
            content_type: clip(content_type.unwrap_or("no content type")),
            first_line: first_line.to_owned(),
        }
    }

    /// The text as it may be kept and shown: each string redacted of `secrets` first, then
    /// clipped to [`MAX_TEXT_CHARS`] (clipped first, a secret across the cut would show its
    /// first half).
    pub fn shown(self, secrets: &Secrets) -> Self {
        let shown = |text: &str| clip(&secrets.redact(text));
        match self {
            ZadigText::Json(message) => ZadigText::Json(Box::new(ZadigMessage {
                code: message.code,
                message: shown(&message.message),
                description: shown(&message.description),
            })),
            ZadigText::Other {
                content_type,
                first_line,
            } => ZadigText::Other {
                content_type: shown(&content_type),
                first_line: shown(&first_line),
            },
            ZadigText::Empty => ZadigText::Empty,
        }
    }

    pub fn message(&self) -> Option<&ZadigMessage> {
        match self {
            ZadigText::Json(message) => Some(message),
            _ => None,
        }
    }

    /// Zadig's own plain-text answers (unknown route, wrong method) are `text/plain`; anything
    /// else in another shape came from something in front of Zadig, or not from Zadig at all.
    pub fn is_zadigs(&self) -> bool {
        match self {
            ZadigText::Json(_) | ZadigText::Empty => true,
            ZadigText::Other { content_type, .. } => content_type.starts_with("text/plain"),
        }
    }
}

/// Appended to every message: what Zadig itself said, or that it said nothing. Strings are
/// printed quoted and escaped (`{:?}`), so no control character reaches a terminal.
impl fmt::Display for ZadigText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZadigText::Json(message) => write!(f, " [Zadig: {message}]"),
            ZadigText::Other { first_line, .. } if self.is_zadigs() => {
                write!(f, " [Zadig: {first_line:?}]")
            }
            ZadigText::Other {
                content_type,
                first_line,
            } => write!(f, " [{content_type:?}, first line {first_line:?}]"),
            ZadigText::Empty => f.write_str(" [Zadig sent an empty body]"),
        }
    }
}

/// `text` cut to [`MAX_TEXT_CHARS`] characters, with `…` when something was cut.
pub fn clip(text: &str) -> String {
    let mut chars = text.char_indices();
    match chars.nth(MAX_TEXT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(body: &[u8], content_type: Option<&str>, secrets: &[&str]) -> ZadigText {
        ZadigText::from_body(body, content_type).shown(&Secrets::of_every_length(secrets))
    }

    #[test]
    fn a_huge_description_is_clipped() {
        let body = serde_json::json!({
            "code": codes::CREATE_FAILED, "message": "m", "description": "x".repeat(6_000_000)
        });
        let text = shown(body.to_string().as_bytes(), None, &[]);
        let message = text.message().unwrap();
        assert_eq!(message.description.chars().count(), MAX_TEXT_CHARS + 1);
        assert!(message.description.ends_with('…'));
    }

    #[test]
    fn a_secret_across_the_clip_is_redacted_whole() {
        let secret = "s3cret-value-0123456789";
        let description = format!("{}{secret}", "x".repeat(MAX_TEXT_CHARS - 6));
        let body = serde_json::json!({"code": 6520, "message": "m", "description": description});
        let text = shown(body.to_string().as_bytes(), None, &[secret]).to_string();
        assert!(!text.contains("s3cret"), "{text}");
        let page = format!("<p>{}{secret}</p>", "y".repeat(MAX_TEXT_CHARS - 5));
        let text = shown(page.as_bytes(), Some("text/html"), &[secret]).to_string();
        assert!(!text.contains("s3cret"), "{text}");
    }

    #[test]
    fn escaped_and_short_secrets_in_a_zadig_text_are_redacted() {
        let body = serde_json::json!({
            "code": 6520, "message": "m",
            "description": r#"bad value {"v":"p\"w<d"} or p&#34;w&lt;d and pin 42"#
        });
        let text = shown(body.to_string().as_bytes(), None, &[r#"p"w<d"#, "42"]).to_string();
        assert!(!text.contains("w<d") && !text.contains("w&lt;d"), "{text}");
        assert!(
            !text.contains("42") && text.matches("(sensitive)").count() == 3,
            "{text}"
        );
    }

    #[test]
    fn other_answers_keep_their_content_type_and_first_line() {
        let page = b"\n  <html><head><title>502</title>\n<body>bad gateway</body>";
        let text = ZadigText::from_body(page, Some("text/html"));
        assert_eq!(
            text,
            ZadigText::Other {
                content_type: "text/html".into(),
                first_line: "<html><head><title>502</title>".into()
            }
        );
        assert!(!text.is_zadigs());
        assert!(text.to_string().contains("\"text/html\", first line"));
        assert_eq!(ZadigText::from_body(b" \n ", None), ZadigText::Empty);
    }

    #[test]
    fn control_characters_are_escaped_when_shown() {
        let text = ZadigText::from_body(b"\x1b]0;pwned\x07 \x1b[2J", Some("text/plain"));
        let shown = text.to_string();
        assert!(
            !shown.contains('\x1b') && !shown.contains('\x07'),
            "{shown}"
        );
    }

    #[test]
    fn clip_counts_characters_not_bytes() {
        let long = "项".repeat(MAX_TEXT_CHARS + 3);
        assert_eq!(clip(&long).chars().count(), MAX_TEXT_CHARS + 1);
        assert_eq!(clip("short"), "short");
    }
}
