//! The values a flag chooses among, as clap sees them (their doc comments are the help
//! text), each turned into the plain enum of the module that acts on it. No I/O.

use clap::ValueEnum;

use crate::emulator::Edition;
use crate::reconcile::plan::DriftPolicy;
use crate::report::Format;
use crate::report::ci::DiagnosticsFormat;
use crate::report::paint::ColorChoice;

/// `--output` of `plan`, `apply` and `show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputArg {
    /// For people: terraform-like, coloured on a terminal.
    Text,
    /// One versioned JSON document, for scripts.
    Json,
    /// For pull-request comments.
    Markdown,
}

impl From<OutputArg> for Format {
    fn from(arg: OutputArg) -> Self {
        match arg {
            OutputArg::Text => Format::Text,
            OutputArg::Json => Format::Json,
            OutputArg::Markdown => Format::Markdown,
        }
    }
}

/// `validate --output`: the common formats, and a CI system's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValidateOutputArg {
    /// For people: `file:line:column: error[code]: message`.
    Text,
    /// One versioned JSON document, for scripts.
    Json,
    /// For pull-request comments.
    Markdown,
    /// GitHub Actions workflow commands: annotations on the changed lines of a pull request.
    #[value(name = "github")]
    Github,
    /// GitLab's Code Quality report (JSON), for `artifacts:reports:codequality`.
    #[value(name = "gitlab")]
    Gitlab,
}

impl From<ValidateOutputArg> for DiagnosticsFormat {
    fn from(arg: ValidateOutputArg) -> Self {
        match arg {
            ValidateOutputArg::Text => DiagnosticsFormat::Common(Format::Text),
            ValidateOutputArg::Json => DiagnosticsFormat::Common(Format::Json),
            ValidateOutputArg::Markdown => DiagnosticsFormat::Common(Format::Markdown),
            ValidateOutputArg::Github => DiagnosticsFormat::Github,
            ValidateOutputArg::Gitlab => DiagnosticsFormat::Gitlab,
        }
    }
}

/// `--color`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    /// Colour when the output is a terminal, unless `NO_COLOR` is set (or `CLICOLOR_FORCE` is).
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl From<ColorArg> for ColorChoice {
    fn from(arg: ColorArg) -> Self {
        match arg {
            ColorArg::Auto => ColorChoice::Auto,
            ColorArg::Always => ColorChoice::Always,
            ColorArg::Never => ColorChoice::Never,
        }
    }
}

/// `daemon --drift`: what to do with a build changed in Zadig's UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DriftArg {
    /// Write the file's version back, and log the fields.
    Correct,
    /// Log and count it; write nothing to that build.
    Report,
}

impl From<DriftArg> for DriftPolicy {
    fn from(arg: DriftArg) -> Self {
        match arg {
            DriftArg::Correct => DriftPolicy::Correct,
            DriftArg::Report => DriftPolicy::Report,
        }
    }
}

/// `daemon --log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormatArg {
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// `status --state`: a build's state in the daemon, named as in its status API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum StateArg {
    InSync,
    Pending,
    Drifted,
    Failing,
    Refused,
    Held,
}

impl StateArg {
    /// The state's name in the status API.
    pub fn as_str(self) -> &'static str {
        match self {
            StateArg::InSync => "in_sync",
            StateArg::Pending => "pending",
            StateArg::Drifted => "drifted",
            StateArg::Failing => "failing",
            StateArg::Refused => "refused",
            StateArg::Held => "held",
        }
    }
}

/// `status --output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusOutputArg {
    /// A table like `flux get`, and a one-line summary.
    Text,
    /// The daemon's status document, as it answered.
    Json,
}

/// `emulator --edition`: which Zadig to play.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EditionArg {
    /// Open-source Zadig: template routes answer 7050 (no licence).
    Oss,
    /// ZadigX with a licence: template routes work.
    Enterprise,
}

impl From<EditionArg> for Edition {
    fn from(arg: EditionArg) -> Self {
        match arg {
            EditionArg::Oss => Edition::Oss,
            EditionArg::Enterprise => Edition::Enterprise,
        }
    }
}

/// `pull --output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PullOutputArg {
    /// What was pulled into which file, and per field what was left and why.
    Text,
    /// One document for scripts (docs/pull.md), the patch in it with `--patch`.
    Json,
}
