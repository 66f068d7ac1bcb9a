//! Diagnostics as GitHub Actions workflow commands (`validate --output github`): one
//! `::error file=…,line=…,col=…,title=…::message` line per diagnostic (`::warning` for a
//! warning), which GitHub turns into annotations on the changed lines of a pull request. Pure.
//!
//! GitHub reads every line of a step's output that starts with `::` as a command, so each
//! value is escaped by the runner's own rules (the toolkit's `escapeData` and
//! `escapeProperty`): `%`, CR and LF are percent-encoded everywhere, and `:` and `,` in the
//! properties too. A build file can then never end a command early or start one of its own.
//! Other control characters are shown as their Rust escapes, as in text output.

use std::fmt::Write as _;

use crate::load::diagnostic::{Diagnostic, Severity};

/// One workflow command per diagnostic, in order; paths as the diagnostics carry them (run
/// `validate` from the repository's root with a relative `--dir`, so that they match the
/// files of the pull request).
pub fn annotations(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        let _ = writeln!(out, "{}", annotation(diagnostic));
    }
    out
}

fn annotation(diagnostic: &Diagnostic) -> String {
    let command = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut properties = Vec::new();
    if let Some(origin) = &diagnostic.origin {
        properties.push(format!(
            "file={}",
            property(&origin.path.display().to_string())
        ));
        properties.push(format!("line={}", origin.line));
        properties.push(format!("col={}", origin.column));
    }
    properties.push(format!(
        "title={}",
        property(&format!("zadig-sync {}", diagnostic.code))
    ));
    format!(
        "::{command} {}::{}",
        properties.join(","),
        data(&diagnostic.message)
    )
}

/// The message of a command: `%`, CR and LF percent-encoded (GitHub shows `%0A` as a line
/// break), other control characters escaped so that they cannot drive the log viewer.
fn data(raw: &str) -> String {
    let mut escaped = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '%' => escaped.push_str("%25"),
            '\r' => escaped.push_str("%0D"),
            '\n' => escaped.push_str("%0A"),
            c if c.is_control() && c != '\t' => escaped.extend(c.escape_default()),
            c => escaped.push(c),
        }
    }
    escaped
}

/// A property value: as [`data`], and `:` and `,`, which end a property, percent-encoded.
fn property(raw: &str) -> String {
    data(raw).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::desired::Origin;
    use std::path::PathBuf;

    fn at(path: &str, line: usize, column: usize) -> Option<Origin> {
        Some(Origin {
            path: PathBuf::from(path),
            line,
            column,
        })
    }

    #[test]
    fn an_error_is_annotated_at_its_file_line_and_column() {
        let diagnostics = [
            Diagnostic::error(
                "unknown-field",
                at("builds.d/a.yaml", 3, 5),
                "unknown `nmae`",
            ),
            Diagnostic::warning("unresolved-reference", None, "ZADIG_X is not set"),
        ];
        assert_eq!(
            annotations(&diagnostics),
            "::error file=builds.d/a.yaml,line=3,col=5,title=zadig-sync unknown-field::unknown `nmae`\n\
             ::warning title=zadig-sync unresolved-reference::ZADIG_X is not set\n"
        );
    }

    #[test]
    fn a_hostile_message_or_path_cannot_start_a_command_of_its_own() {
        let diagnostics = [Diagnostic::error(
            "bad",
            at("builds.d/a,b:c%.yaml", 1, 1),
            "50% done\r\n::add-mask::x\n::set-env name=A::B\u{1b}[2J",
        )];
        let shown = annotations(&diagnostics);
        assert_eq!(shown.lines().count(), 1, "{shown}");
        assert!(
            shown.starts_with("::error file=builds.d/a%2Cb%3Ac%25.yaml,line=1,col=1,"),
            "{shown}"
        );
        assert!(
            shown.ends_with("::50%25 done%0D%0A::add-mask::x%0A::set-env name=A::B\\u{1b}[2J\n"),
            "{shown}"
        );
    }
}
