//! The formats `validate` offers beyond the common ones: a CI system's own, so that problems
//! in the build files show where a reviewer looks (GitHub's annotations on the changed lines,
//! GitLab's Code Quality widget in the merge request). Pure.

use super::{Document, Format, Style, github, gitlab, render_styled};
use crate::load::diagnostic::Diagnostic;

/// How diagnostics are printed: in a format every command has, or a CI's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiagnosticsFormat {
    /// Text, JSON or Markdown, as `plan` and `apply` print them.
    Common(Format),
    /// GitHub Actions workflow commands (`::error file=…,line=…,col=…::message`).
    Github,
    /// GitLab's Code Quality report (a JSON array).
    Gitlab,
}

impl DiagnosticsFormat {
    /// Whether the output is one machine-read document, to which nothing may be appended (a
    /// summary line would break the JSON).
    pub fn is_document(self) -> bool {
        matches!(
            self,
            DiagnosticsFormat::Common(Format::Json) | DiagnosticsFormat::Gitlab
        )
    }
}

/// `diagnostics` in `format`. `unplaced` is where GitLab is told a problem without a place
/// is (the folder that was validated); `style` matters for the common formats only.
pub fn render_diagnostics(
    diagnostics: &[Diagnostic],
    format: DiagnosticsFormat,
    style: &Style<'_>,
    unplaced: &str,
) -> String {
    match format {
        DiagnosticsFormat::Common(format) => {
            render_styled(Document::Diagnostics(diagnostics), format, style)
        }
        DiagnosticsFormat::Github => github::annotations(diagnostics),
        DiagnosticsFormat::Gitlab => gitlab::code_quality(diagnostics, unplaced) + "\n",
    }
}
