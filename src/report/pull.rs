//! What `zadig-sync pull` did, for people (text) and for programs (JSON, versioned): the
//! files changed, each build's fields pulled, and per field what was not pulled and why.
//! Names and texts from Zadig or the files are escaped for a terminal in text. Pure.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use crate::reconcile::export::Inferred;
use crate::reconcile::pull::Skipped;
use crate::reconcile::pull::outcome::{BuildOutcome, Outcome, PullReport};
use crate::report::escape;

/// Bumped whenever the JSON shape changes incompatibly.
pub const PULL_FORMAT_VERSION: u32 = 1;

/// The summary for people. `patch`: nothing was written (the patch is printed apart).
pub fn text(report: &PullReport, patch: bool, errors: &[String]) -> String {
    let mut out = String::new();
    for error in errors {
        let _ = writeln!(out, "Error: {}", escape::text(error));
    }
    let pulled = report.pulled();
    if pulled == 0 && report.builds.is_empty() && report.unknown.is_empty() {
        out.push_str("Nothing to pull: no build the files describe was changed in Zadig.\n");
        return out;
    }
    if pulled > 0 {
        let verb = if patch { "Would pull" } else { "Pulled" };
        pulled_section(&mut out, report, verb);
    }
    section(&mut out, "Not pulled:", &not_pulled(report));
    section(
        &mut out,
        "Written with a value Zadig does not return (check each one):",
        &checks(report),
    );
    if pulled > 0 && !patch {
        out.push_str(
            "\nReview the change (git diff). `zadig-sync plan` now shows each pulled custom \
             build's marker update only; `apply` writes it.\n",
        );
    }
    out
}

/// What was pulled: the files, then each build's fields.
fn pulled_section(out: &mut String, report: &PullReport, verb: &str) {
    let _ = writeln!(
        out,
        "{verb} {} into {}:",
        count(report.pulled(), "build"),
        count(report.changes.len(), "file")
    );
    for change in &report.changes {
        let _ = writeln!(out, "  {}", shown(&change.path));
    }
    for build in &report.builds {
        if let Outcome::Pulled { fields, .. } = &build.result
            && !fields.is_empty()
        {
            let fields = escape::text(&fields.join(", "));
            let _ = writeln!(out, "  {}: {fields}", who(build));
        }
    }
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn shown(path: &Path) -> String {
    escape::text(&path.display().to_string())
}

fn who(build: &BuildOutcome) -> String {
    escape::text(&build.build.to_string())
}

fn section(out: &mut String, title: &str, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{title}");
    for line in lines {
        let _ = writeln!(out, "  {line}");
    }
}

/// Each field and build left as it was, with why.
fn not_pulled(report: &PullReport) -> Vec<String> {
    let mut lines = Vec::new();
    for build in &report.builds {
        match &build.result {
            Outcome::Pulled { skipped, .. } => lines.extend(skipped.iter().map(|s| {
                let path = escape::text(&s.path);
                format!(
                    "{} {path}: {}",
                    who(build),
                    escape::text(&s.why.to_string())
                )
            })),
            Outcome::Left(why) | Outcome::Failed(why) => {
                lines.push(format!("{}: {}", who(build), escape::text(why)));
            }
        }
    }
    lines.extend(report.unknown.iter().map(|name| {
        format!(
            "{}: no build file describes it (`export` writes one)",
            escape::text(name)
        )
    }));
    lines
}

fn checks(report: &PullReport) -> Vec<String> {
    let mut lines = Vec::new();
    for build in &report.builds {
        if let Outcome::Pulled { written, .. } = &build.result {
            lines.extend(written.iter().map(|w| {
                let what = escape::text(&format!("{} = {}: {}", w.path, w.value, w.reason));
                format!("{} {what}", who(build))
            }));
        }
    }
    lines
}

/// The document for programs; `patch` with `--patch`.
pub fn json(report: &PullReport, patch: Option<&str>, errors: &[String]) -> String {
    let builds: Vec<Value> = report.builds.iter().map(build_json).collect();
    let files: Vec<String> = (report.changes.iter())
        .map(|c| c.path.display().to_string())
        .collect();
    let mut document = json!({
        "format_version": PULL_FORMAT_VERSION,
        "builds": builds,
        "files": files,
        "unknown_builds": report.unknown,
        "errors": errors,
    });
    if let Some(patch) = patch {
        document["patch"] = patch.into();
    }
    format!("{document:#}\n")
}

fn build_json(build: &BuildOutcome) -> Value {
    let mut value = json!({
        "project": build.build.project,
        "name": build.build.name,
        "file": build.file.as_ref().map(|f| f.display().to_string()),
    });
    match &build.result {
        Outcome::Pulled {
            fields,
            skipped,
            written,
            ..
        } => {
            value["result"] = "pulled".into();
            value["fields"] = json!(fields);
            value["skipped"] = skipped.iter().map(skipped_json).collect();
            value["check"] = written.iter().map(check_json).collect();
        }
        Outcome::Left(why) => {
            value["result"] = "left".into();
            value["message"] = why.as_str().into();
        }
        Outcome::Failed(why) => {
            value["result"] = "failed".into();
            value["message"] = why.as_str().into();
        }
    }
    value
}

fn skipped_json(skipped: &Skipped) -> Value {
    json!({
        "path": skipped.path,
        "reason": skipped.why.word(),
        "message": skipped.why.to_string(),
    })
}

fn check_json(written: &Inferred) -> Value {
    json!({"path": written.path, "value": written.value, "reason": written.reason})
}
