//! What a command prints for the user, decided once from the flags and the environment: the
//! format, colour (`--color`, `NO_COLOR`, `CLICOLOR_FORCE`, whether the stream is a terminal)
//! and `--show-kept`. Printing goes to stdout; warnings about the files go to stderr.

use std::io::IsTerminal;

use crate::cli::ShowArgs;
use crate::load::diagnostic::Diagnostic;
use crate::report::paint::ColorChoice;
use crate::report::{self, Document, Format, Style};

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
            ..Output::new(show.output, choice)
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
        print!(
            "{}",
            report::render_styled(document, self.format, &self.style(warnings))
        );
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
        eprint!(
            "{}",
            report::render_styled(Document::Diagnostics(warnings), Format::Text, &style)
        );
    }
}

/// `--color` for one stream, with `NO_COLOR` and `CLICOLOR_FORCE` from the environment.
fn resolve(choice: ColorChoice, terminal: bool) -> bool {
    let no_color = std::env::var("NO_COLOR").ok();
    let force = std::env::var("CLICOLOR_FORCE").ok();
    choice.resolve(terminal, no_color.as_deref(), force.as_deref())
}
