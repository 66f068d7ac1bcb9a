//! Diagnostics as text for people (coloured on request), Markdown for pull-request comments,
//! and JSON for CI. Pure.
//!
//! The JSON shape is a contract with users' CI scripts (documented in `docs/file-format.md`):
//! `{"version":1,"errors":N,"warnings":N,"diagnostics":[{"severity","code","file","line",
//! "column","message"}]}`; `file`, `line` and `column` are `null` when a problem has no place.
//! The documents of `plan` and `apply` carry the same diagnostic objects.

use std::fmt::Write as _;

use serde::Serialize;

use crate::load::diagnostic::{Diagnostic, Severity};
use crate::report::escape;
use crate::report::paint::Painter;
use crate::report::words::count;

/// One line per diagnostic: `path:line:col: error[code]: message`.
pub fn render_text(diagnostics: &[Diagnostic]) -> String {
    render_text_colored(diagnostics, false)
}

/// [`render_text`], the place and the severity coloured when `color` is on.
pub fn render_text_colored(diagnostics: &[Diagnostic], color: bool) -> String {
    let paint = Painter { color };
    let mut out = String::new();
    for d in diagnostics {
        if let Some(origin) = &d.origin {
            let place = escape::deceptive(&origin.to_string()).into_owned();
            let _ = write!(out, "{}: ", paint.apply("1", &place));
        }
        let severity = format!("{}[{}]", d.severity, d.code);
        let code = match d.severity {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
        };
        // A message quotes the files: a name in it must read as the characters it holds.
        let message = escape::deceptive(&d.message);
        let _ = writeln!(out, "{}: {message}", paint.apply(code, &severity));
    }
    out
}

/// The diagnostics of a run stopped by them (`command` is `plan`, `apply` or `validate`) as a
/// pull-request comment: a heading, the counts, one list item per diagnostic.
pub fn render_markdown(command: &str, diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let mut out = format!("### zadig-sync {command}\n\n");
    let counts = format!("{}, {}", count(errors, "error"), count(warnings, "warning"));
    let outcome = match (errors, command) {
        (0, _) => format!("The build files are valid ({counts})."),
        (_, "validate") => format!("The build files are invalid ({counts})."),
        _ => format!(
            "The build files are invalid ({counts}); nothing was read from or written to Zadig."
        ),
    };
    let _ = writeln!(out, "**{outcome}**\n");
    for d in diagnostics {
        let place = d
            .origin
            .as_ref()
            .map(|o| format!("{} ", super::escape::code(&o.to_string())))
            .unwrap_or_default();
        let message = super::escape::markdown(&d.message).replace('\n', " ");
        let _ = writeln!(out, "- {place}**{}** `{}`: {message}", d.severity, d.code);
    }
    out
}

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

#[derive(Serialize)]
pub(crate) struct JsonDiagnostic<'a> {
    severity: Severity,
    code: &'a str,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    message: &'a str,
}

impl<'a> From<&'a Diagnostic> for JsonDiagnostic<'a> {
    fn from(d: &'a Diagnostic) -> Self {
        Self {
            severity: d.severity,
            code: d.code,
            file: d.origin.as_ref().map(|o| o.path.display().to_string()),
            line: d.origin.as_ref().map(|o| o.line),
            column: d.origin.as_ref().map(|o| o.column),
            message: &d.message,
        }
    }
}

/// The diagnostic objects of a JSON document, in order.
pub(crate) fn json_diagnostics(diagnostics: &[Diagnostic]) -> Vec<JsonDiagnostic<'_>> {
    diagnostics.iter().map(JsonDiagnostic::from).collect()
}

/// The diagnostics as one pretty-printed JSON object (see the module docs for the shape).
pub fn render_json(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let report = JsonReport {
        version: 1,
        errors,
        warnings: diagnostics.len() - errors,
        diagnostics: json_diagnostics(diagnostics),
    };
    // Serialising plain strings and numbers cannot fail; an empty object is a safe fallback.
    serde_json::to_string_pretty(&report).unwrap_or_else(|_| String::from("{}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::desired::Origin;
    use std::path::PathBuf;

    fn at(line: usize, column: usize) -> Option<Origin> {
        Some(Origin {
            path: PathBuf::from("builds.d/a.yaml"),
            line,
            column,
        })
    }

    #[test]
    fn text_has_place_severity_code_and_message() {
        let diagnostics = [
            Diagnostic::error("unknown-field", at(3, 5), "unknown field `nmae`"),
            Diagnostic::warning("empty-file", None, "nothing here"),
        ];
        assert_eq!(
            render_text(&diagnostics),
            "builds.d/a.yaml:3:5: error[unknown-field]: unknown field `nmae`\n\
             warning[empty-file]: nothing here\n"
        );
    }

    #[test]
    fn json_counts_and_places() {
        let diagnostics = [
            Diagnostic::error("bad", at(1, 2), "m1"),
            Diagnostic::warning("meh", None, "m2"),
        ];
        let json: serde_json::Value =
            serde_json::from_str(&render_json(&diagnostics)).expect("valid JSON");
        assert_eq!(json["version"], 1);
        assert_eq!(json["errors"], 1);
        assert_eq!(json["warnings"], 1);
        assert_eq!(json["diagnostics"][0]["file"], "builds.d/a.yaml");
        assert_eq!(json["diagnostics"][0]["line"], 1);
        assert_eq!(json["diagnostics"][0]["column"], 2);
        assert_eq!(json["diagnostics"][0]["severity"], "error");
        assert_eq!(json["diagnostics"][1]["file"], serde_json::Value::Null);
        assert_eq!(json["diagnostics"][1]["severity"], "warning");
    }
}
