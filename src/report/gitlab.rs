//! Diagnostics as a GitLab Code Quality report (`validate --output gitlab`), the JSON array
//! a job names under `artifacts:reports:codequality`, which GitLab shows in the merge
//! request. Pure.
//!
//! Each entry has the fields GitLab requires: `description`, `check_name` (the diagnostic's
//! code), `fingerprint`, `severity` (`major` for an error, `minor` for a warning, as ESLint's
//! GitLab formatter does) and `location.path` with `location.lines.begin`. GitLab compares
//! the fingerprints of the merge request with those of its target branch to tell new problems
//! from fixed ones, so a fingerprint depends on the problem and its file, not on its line
//! (an edit above it would make it "new"), and the n-th repeat of the same problem in a file
//! gets a fingerprint of its own (GitLab drops duplicates).

use std::collections::HashMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::load::diagnostic::{Diagnostic, Severity};

#[derive(Serialize)]
struct Issue<'a> {
    description: &'a str,
    check_name: &'a str,
    fingerprint: String,
    severity: &'static str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
}

/// The report, pretty-printed. A diagnostic without a place (a missing folder, say) is put at
/// line 1 of `unplaced`, the folder that was validated: GitLab requires a path.
pub fn code_quality(diagnostics: &[Diagnostic], unplaced: &str) -> String {
    let mut seen: HashMap<(String, &str, &str), usize> = HashMap::new();
    let issues: Vec<Issue<'_>> = diagnostics
        .iter()
        .map(|diagnostic| {
            let (path, line) = match &diagnostic.origin {
                Some(origin) => (origin.path.display().to_string(), origin.line),
                None => (unplaced.to_string(), 1),
            };
            let repeat = seen
                .entry((path.clone(), diagnostic.code, &diagnostic.message))
                .or_insert(0);
            *repeat += 1;
            Issue {
                description: &diagnostic.message,
                check_name: diagnostic.code,
                fingerprint: fingerprint(&path, diagnostic, *repeat),
                severity: match diagnostic.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                },
                location: Location {
                    path,
                    lines: Lines { begin: line },
                },
            }
        })
        .collect();
    // Serialising plain strings and numbers cannot fail; an empty report is a safe fallback.
    serde_json::to_string_pretty(&issues).unwrap_or_else(|_| String::from("[]"))
}

/// SHA-256 of the file, the code, the message and which repeat this is, NUL-separated so that
/// no two different problems hash the same text.
fn fingerprint(path: &str, diagnostic: &Diagnostic, repeat: usize) -> String {
    let mut hasher = Sha256::new();
    for part in [
        path,
        diagnostic.code,
        &diagnostic.message,
        &repeat.to_string(),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::desired::Origin;
    use std::path::PathBuf;

    fn at(line: usize) -> Option<Origin> {
        Some(Origin {
            path: PathBuf::from("builds.d/a.yaml"),
            line,
            column: 7,
        })
    }

    fn report(diagnostics: &[Diagnostic]) -> serde_json::Value {
        serde_json::from_str(&code_quality(diagnostics, "builds.d")).expect("valid JSON")
    }

    #[test]
    fn each_diagnostic_is_an_issue_with_the_fields_gitlab_requires() {
        let json = report(&[
            Diagnostic::error("unknown-field", at(3), "unknown field `nmae`"),
            Diagnostic::warning("empty-file", None, "no build here"),
        ]);
        assert_eq!(json[0]["description"], "unknown field `nmae`");
        assert_eq!(json[0]["check_name"], "unknown-field");
        assert_eq!(json[0]["severity"], "major");
        assert_eq!(json[0]["location"]["path"], "builds.d/a.yaml");
        assert_eq!(json[0]["location"]["lines"]["begin"], 3);
        assert_eq!(json[0]["fingerprint"].as_str().map(str::len), Some(64));
        assert_eq!(json[1]["severity"], "minor");
        assert_eq!(json[1]["location"]["path"], "builds.d");
        assert_eq!(json[1]["location"]["lines"]["begin"], 1);
    }

    #[test]
    fn fingerprints_ignore_the_line_but_tell_repeats_apart() {
        let moved = report(&[Diagnostic::error("bad", at(9), "m")]);
        let twice = report(&[
            Diagnostic::error("bad", at(3), "m"),
            Diagnostic::error("bad", at(5), "m"),
        ]);
        assert_eq!(moved[0]["fingerprint"], twice[0]["fingerprint"]);
        assert_ne!(twice[0]["fingerprint"], twice[1]["fingerprint"]);
        let other = report(&[Diagnostic::error("bad", at(3), "n")]);
        assert_ne!(other[0]["fingerprint"], twice[0]["fingerprint"]);
    }

    #[test]
    fn no_diagnostic_is_an_empty_report() {
        assert_eq!(report(&[]), serde_json::json!([]));
    }
}
