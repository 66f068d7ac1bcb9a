//! Everything the binary prints goes through here, and how: the format, colour (`--color`,
//! `NO_COLOR`, `CLICOLOR_FORCE`, whether the stream is a terminal) and `--show-kept`, decided
//! once per run.
//!
//! `print!` panics when stdout is a closed pipe (`zadig-sync apply | head -n1`), which would
//! end a run after its writes with exit 101 and no report; these helpers drop what can no
//! longer be read instead, so the run finishes and exits with the code it earned. Other write
//! errors are dropped as well: output is not worth failing a run that changed Zadig, and its
//! outcome is still in the exit code.

use std::fmt::Display;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cli::ShowArgs;
use crate::load::diagnostic::Diagnostic;
use crate::report::paint::ColorChoice;
use crate::report::{self, Document, Format, Stage, Style};

/// Whether this process printed its document on stdout yet: a run that ends in an error
/// afterwards must not print a second one.
static DOCUMENT_PRINTED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to stdout and flushes it; a closed stdout is ignored.
pub fn out(text: impl Display) {
    let mut stdout = std::io::stdout().lock();
    let _ = write!(stdout, "{text}").and_then(|()| stdout.flush());
}

/// [`out`] followed by a newline.
pub fn outln(text: impl Display) {
    out(format_args!("{text}\n"));
}

/// Writes `text` to stderr; a closed stderr is ignored.
pub fn err(text: impl Display) {
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "{text}").and_then(|()| stderr.flush());
}

/// [`err`] followed by a newline.
pub fn errln(text: impl Display) {
    err(format_args!("{text}\n"));
}

/// How this run prints.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub format: Format,
    /// Colour on stdout (text only).
    pub color: bool,
    /// Colour on stderr, decided apart: one of the two may be a pipe.
    pub color_stderr: bool,
    pub show_kept: bool,
    /// Progress bars on stderr (text output, stderr a terminal).
    pub progress: bool,
}

impl Output {
    pub fn new(format: Format, choice: ColorChoice) -> Self {
        Output {
            format,
            color: format == Format::Text && resolve(choice, std::io::stdout().is_terminal()),
            color_stderr: resolve(choice, std::io::stderr().is_terminal()),
            show_kept: false,
            progress: super::progress::wanted(format, std::io::stderr().is_terminal()),
        }
    }

    /// For the commands that show plans (`--output`, `--show-kept`).
    pub fn for_plans(show: &ShowArgs, choice: ColorChoice) -> Self {
        Output {
            show_kept: show.show_kept,
            ..Output::new(show.output.into(), choice)
        }
    }

    pub fn style<'a>(&self, warnings: &'a [Diagnostic]) -> Style<'a> {
        Style {
            color: self.color,
            show_kept: self.show_kept,
            warnings,
        }
    }

    /// Renders `document` in this run's format, on stdout.
    pub fn print(&self, document: Document<'_>, warnings: &[Diagnostic]) {
        DOCUMENT_PRINTED.store(true, Ordering::Relaxed);
        out(report::render_styled(
            document,
            self.format,
            &self.style(warnings),
        ));
    }

    /// Warnings about the files, as text on stderr (the JSON documents carry them instead).
    pub fn warn(&self, warnings: &[Diagnostic]) {
        if warnings.is_empty() || self.format == Format::Json {
            return;
        }
        let style = Style {
            color: self.color_stderr,
            ..Style::default()
        };
        err(report::render_styled(
            Document::Diagnostics(warnings),
            Format::Text,
            &style,
        ));
    }
}

/// `--color` for one stream, with `NO_COLOR` and `CLICOLOR_FORCE` from the environment.
pub fn resolve(choice: ColorChoice, terminal: bool) -> bool {
    let no_color = std::env::var("NO_COLOR").ok();
    let force = std::env::var("CLICOLOR_FORCE").ok();
    choice.resolve(terminal, no_color.as_deref(), force.as_deref())
}

/// With `--output json|markdown`, a `stage` command that ended in an error before printing its
/// document (Zadig unreachable, the token refused, a saved plan unreadable) prints the
/// document carrying the error, so that a script or a pull-request comment still gets one.
pub fn document_on_error(
    result: anyhow::Result<super::Exit>,
    stage: Stage,
    format: Format,
) -> anyhow::Result<super::Exit> {
    if let Err(error) = &result
        && format != Format::Text
        && !DOCUMENT_PRINTED.load(Ordering::Relaxed)
    {
        let text = describe(error);
        out(report::render(
            Document::Failed(stage, &text),
            format,
            false,
        ));
    }
    result
}

/// The error and its causes on one line, leaving out a cause whose text the message before it
/// already quotes (many messages name their cause, which would otherwise print twice), with
/// every secret known to this process redacted.
pub fn describe(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    crate::logs::redact(&text)
}
