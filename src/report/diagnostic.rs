//! Diagnostics as text for people and JSON for CI. Pure.
//!
//! The JSON shape is a contract with users' CI scripts (documented in `docs/file-format.md`):
//! `{"version":1,"errors":N,"warnings":N,"diagnostics":[{"severity","code","file","line",
//! "column","message"}]}`; `file`, `line` and `column` are `null` when a problem has no place.

use serde::Serialize;

use crate::load::diagnostic::{Diagnostic, Severity};

/// One line per diagnostic: `path:line:col: error[code]: message`.
pub fn render_text(diagnostics: &[Diagnostic]) -> String {
    diagnostics.iter().map(|d| format!("{d}\n")).collect()
}

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
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

/// The diagnostics as one pretty-printed JSON object (see the module docs for the shape).
pub fn render_json(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let report = JsonReport {
        version: 1,
        errors,
        warnings: diagnostics.len() - errors,
        diagnostics: diagnostics.iter().map(JsonDiagnostic::from).collect(),
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
