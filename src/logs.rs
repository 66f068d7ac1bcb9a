//! Where log lines go: stderr, through the same redaction as everything printed on stdout.
//! Zadig's error texts can quote a value an `${env:…}` reference resolved to, and such a text
//! is logged (at INFO, an apply step's outcome) before any report redacts it; so every line is
//! redacted here, at the one door all of them pass, with the secrets known so far. The same
//! door escapes bidirectional and zero-width characters (`report::escape::deceptive`), so that
//! a build name from Zadig cannot render as another one in a log line.
//!
//! `main` installs [`RedactingStderr`] as the log writer; `session::Connection::secrets`
//! calls [`hide`] as soon as the files are loaded and the token is read, before any request
//! is sent.

use std::io::Write;
use std::sync::{PoisonError, RwLock};

use tracing_subscriber::fmt::MakeWriter;

use crate::reconcile::redact::{KnownSecrets, Secrets};

/// The secrets of this process, for every log line written after they became known.
static SECRETS: RwLock<KnownSecrets> = RwLock::new(KnownSecrets::new());
static REDACTOR: RwLock<Option<Secrets>> = RwLock::new(None);

/// Adds `secrets` to what log lines hide from now on (nothing to redo when all are known).
pub fn hide(secrets: &[String]) {
    let mut known = SECRETS.write().unwrap_or_else(PoisonError::into_inner);
    if known.add(secrets) {
        let redactor = Secrets::new(&known.values());
        *REDACTOR.write().unwrap_or_else(PoisonError::into_inner) = Some(redactor);
    }
}

/// `line` as it may be logged.
pub fn redact(line: &str) -> String {
    let redactor = REDACTOR.read().unwrap_or_else(PoisonError::into_inner);
    match redactor.as_ref() {
        Some(redactor) => redactor.redact(line).into_owned(),
        None => line.to_owned(),
    }
}

/// The log writer: one buffer per event, redacted and written to stderr when dropped, so a
/// secret cannot be split across two writes.
#[derive(Debug, Clone, Copy, Default)]
pub struct RedactingStderr;

impl<'a> MakeWriter<'a> for RedactingStderr {
    type Writer = EventBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        EventBuffer(Vec::new())
    }
}

/// One event's text, on its way to stderr.
#[derive(Debug)]
pub struct EventBuffer(Vec<u8>);

impl Write for EventBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for EventBuffer {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        let line = redact(&String::from_utf8_lossy(&self.0));
        // A build name from Zadig must not render as another one in the log either.
        let line = crate::report::escape::deceptive(&line);
        // A closed stderr leaves nowhere to report anything; the line is dropped.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_hide_secrets_once_known_in_every_escaped_form() {
        assert_eq!(redact("nothing to hide"), "nothing to hide");
        hide(&["s3cr\"et-value".to_owned()]);
        let line = redact(r#"{"reason":"cluster s3cr\"et-value not found"} s3cr"et-value"#);
        assert!(!line.contains("et-value"), "{line}");
    }
}
