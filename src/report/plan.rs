//! A plan for people and programs: text like `terraform plan` (ANSI colour only when the caller
//! asks) and JSON (the serialised [`Plan`], versioned by `format_version`); the Markdown for a
//! pull-request comment is in `plan_markdown`, sharing the summary and step choice from here. Pure, no I/O: the caller decides colour from the TTY and `NO_COLOR`.
//!
//! Sensitive values never reach these functions: `diff` withholds credentials and the planner
//! redacts `${env:…}` values, and a sensitive change is printed as `(sensitive value changed)`.

use std::fmt::Write;

use super::escape;
use crate::load::diagnostic::Diagnostic;
use crate::reconcile::plan::{Action, Cause, Change, FieldChange, Plan, Planned, Step};
use crate::reconcile::pull::command::pull_command;
use crate::report::{Style, added};
use serde::Serialize;

use crate::report::diagnostic::{JsonDiagnostic, json_diagnostics};
use crate::report::paint::Painter;
use crate::report::words::{count, is_are};

pub use super::plan_markdown::{plan_markdown, plan_markdown_styled};

pub(super) const SENSITIVE: &str = "(sensitive value changed)";
const NO_CHANGES: &str = "No changes. Zadig matches the files.";

/// The plan as terminal text, kept builds counted (see [`plan_text_styled`]).
pub fn plan_text(plan: &Plan, color: bool) -> String {
    plan_text_styled(
        plan,
        &Style {
            color,
            ..Style::default()
        },
    )
}

/// The plan as terminal text: project-level errors, one block per step (unchanged builds
/// only counted, kept builds too unless `show_kept`), destructive steps first, then the
/// summary.
pub fn plan_text_styled(plan: &Plan, style: &Style<'_>) -> String {
    let paint = Painter { color: style.color };
    let mut out = String::new();
    for error in &plan.errors {
        let _ = writeln!(
            out,
            "{}: {}",
            paint.apply("1;31", "Error"),
            escape::text(error)
        );
    }
    let shown = shown_steps(plan, style);
    if !plan.errors.is_empty() && !shown.is_empty() {
        out.push('\n');
    }
    for step in shown {
        write_step_text(&mut out, step, paint);
        out.push('\n');
    }
    out.push_str(&summary(plan));
    out.push('\n');
    if let Some(kept) = kept_line(plan, style) {
        out.push_str(&kept);
        out.push('\n');
    }
    for note in &plan.notes {
        let _ = writeln!(out, "Note: {}", escape::text(note));
    }
    out
}

/// The plan as pretty JSON, `format_version` first, with no diagnostics.
pub fn plan_json(plan: &Plan) -> String {
    plan_json_with(plan, &[])
}

/// The plan as pretty JSON, `format_version` first, and `diagnostics` last: the warnings the
/// files produced (or, for a run stopped by them, every diagnostic). The schema is in
/// `docs/plan-output.md`.
pub fn plan_json_with(plan: &Plan, diagnostics: &[Diagnostic]) -> String {
    let document = PlanDocument {
        plan,
        diagnostics: json_diagnostics(diagnostics),
    };
    serde_json::to_string_pretty(&document).unwrap_or_else(|error| {
        // Unreachable for this plain data type; still valid JSON for a consumer.
        serde_json::json!({ "format_version": plan.format_version, "error": error.to_string() })
            .to_string()
    })
}

/// The plan's own fields, in order, then `diagnostics`.
#[derive(Serialize)]
struct PlanDocument<'a> {
    #[serde(flatten)]
    plan: &'a Plan,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

/// `plan --output json` when the files have errors: the plan document with no step, carrying
/// every diagnostic.
pub fn stopped_plan_json(diagnostics: &[Diagnostic]) -> String {
    plan_json_with(&Plan::empty(), diagnostics)
}

/// The steps worth a block of their own.
pub(super) fn shown_steps<'p>(plan: &'p Plan, style: &Style<'_>) -> Vec<&'p Step> {
    plan.steps
        .iter()
        .filter(|s| worth_showing(s, style.show_kept))
        .collect()
}

/// Unchanged builds are only counted, unless they carry a note (a template input Zadig drops,
/// a strategy the cluster lacks) that the user should read; kept builds are only counted
/// unless the user asked to see them.
fn worth_showing(step: &Step, show_kept: bool) -> bool {
    match step.planned {
        Planned::Unchanged { .. } => !step.notes.is_empty(),
        Planned::Kept { prunable, .. } => show_kept || prunable,
        _ => true,
    }
}

/// `Plan: 1 to create, …` or, when nothing would be written, nothing failed and Zadig holds
/// no build the files leave out, `No changes. Zadig matches the files.`
pub(super) fn summary(plan: &Plan) -> String {
    let counted = |action: Action| plan.count(action);
    let refused = counted(Action::Refused);
    let errors = counted(Action::Error) + plan.errors.len();
    if !plan.has_changes() && refused == 0 && errors == 0 {
        return if counted(Action::Kept) == 0 {
            NO_CHANGES.to_string()
        } else {
            "No changes to the builds these files describe.".to_string()
        };
    }
    format!(
        "Plan: {} to create, {} to update, {} to replace, {} to delete, {} unchanged, \
         {refused} refused, {}.",
        counted(Action::Create),
        counted(Action::Update),
        counted(Action::Replace),
        counted(Action::Delete),
        counted(Action::Unchanged),
        count(errors, "error"),
    )
}

/// `3 builds in Zadig are not managed by these files (--show-kept lists them).`: the kept
/// builds `--prune` would not delete (those it would are shown in full), or nothing when
/// there are none.
pub(super) fn kept_line(plan: &Plan, style: &Style<'_>) -> Option<String> {
    let kept = plan
        .steps
        .iter()
        .filter(|s| {
            matches!(
                s.planned,
                Planned::Kept {
                    prunable: false,
                    ..
                }
            )
        })
        .count();
    (kept > 0).then(|| {
        let hint = if style.show_kept {
            ""
        } else {
            " (--show-kept lists them)"
        };
        format!(
            "{} in Zadig {} not managed by these files{hint}.",
            count(kept, "build"),
            is_are(kept)
        )
    })
}

pub(super) fn symbol(action: Action) -> &'static str {
    match action {
        Action::Create => "+",
        Action::Update => "~",
        Action::Replace => "~",
        Action::Delete => "-",
        Action::Unchanged => " ",
        Action::Kept => "=",
        Action::Refused => "x",
        Action::Error => "!",
        Action::Held => "?",
    }
}

pub(super) fn verb(action: Action) -> &'static str {
    match action {
        Action::Create => "create",
        Action::Update => "update",
        Action::Replace => "replace (converted in place)",
        Action::Delete => "destroy (destructive)",
        Action::Unchanged => "unchanged",
        Action::Kept => "kept",
        Action::Refused => "deletion refused",
        Action::Error => "error",
        Action::Held => "held back",
    }
}

/// The ANSI colour of a step's header.
fn action_color(action: Action) -> &'static str {
    match action {
        Action::Create => "32",
        Action::Update => "33",
        Action::Delete => "31",
        Action::Replace => "35",
        Action::Unchanged | Action::Kept => "36",
        Action::Refused => "35",
        Action::Error => "1;31",
        Action::Held => "35",
    }
}

fn write_step_text(out: &mut String, step: &Step, paint: Painter) {
    // Names come from Zadig too: a control character must not drive the terminal.
    let header = format!(
        "{:>3} {}/{} ({}): {}",
        symbol(step.action()),
        escape::text(&step.build.project),
        escape::text(&step.build.name),
        step.kind.as_str(),
        verb(step.action()),
    );
    let _ = writeln!(out, "{}", paint.apply(action_color(step.action()), &header));
    if let Some(origin) = &step.origin {
        let _ = writeln!(out, "      from {origin}");
    }
    if let Some(drift) = drift_lines(step) {
        for line in drift {
            let _ = writeln!(out, "      {}", escape::text(&line));
        }
    }
    for change in &step.changes {
        write_change_text(out, change, paint);
    }
    for note in &step.notes {
        let _ = writeln!(out, "      note: {}", escape::text(note));
    }
}

/// For an update caused by drift, who changed what in Zadig and both ways out (as Terraform
/// says what changed outside of it): applying writes the file's version back, `pull` keeps
/// Zadig's.
fn drift_lines(step: &Step) -> Option<[String; 2]> {
    if step.cause != Some(Cause::Drift) || step.action() != Action::Update {
        return None;
    }
    let by = (step.updated_by.as_deref())
        .filter(|who| !who.is_empty())
        .map(|who| format!(" by {who}"))
        .unwrap_or_default();
    Some([
        format!("changed in Zadig{by}, not in its file: apply writes the file's version back;"),
        format!(
            "to keep Zadig's version instead: {}",
            pull_command(&step.build.name)
        ),
    ])
}

/// A script diff that only adds lines: the script of a build being created.
fn only_additions(diff: &str) -> bool {
    diff.lines().all(|line| line.starts_with('+'))
}

fn write_change_text(out: &mut String, change: &FieldChange, paint: Painter) {
    let (mark, color, value) = match &change.change {
        Change::Sensitive => ("~", "33", SENSITIVE.to_string()),
        Change::Text { diff } if only_additions(diff) => ("+", "32", String::new()),
        Change::Text { .. } => ("~", "33", String::new()),
        Change::Set {
            old: None,
            new: Some(new),
        } => ("+", "32", escape::text(&added(&change.path, new))),
        Change::Set {
            old: Some(old),
            new: None,
        } => ("-", "31", escape::text(old)),
        Change::Set { old, new } => (
            "~",
            "33",
            format!(
                "{} → {}",
                escape::text(or_none(old)),
                escape::text(or_none(new))
            ),
        ),
    };
    let label = paint.apply(color, &format!("{mark} {}:", change.path));
    let separator = if value.is_empty() { "" } else { " " };
    let via = change
        .via
        .as_deref()
        .map(|file| format!(" (via {})", escape::text(file)))
        .unwrap_or_default();
    let _ = writeln!(out, "      {label}{separator}{value}{via}");
    if let Change::Text { diff } = &change.change {
        for diff_line in diff.lines().map(escape::text) {
            let color = match diff_line.chars().next() {
                Some('+') => "32",
                Some('-') => "31",
                Some('@') => "36",
                _ => "0",
            };
            let painted = if color == "0" {
                diff_line
            } else {
                paint.apply(color, &diff_line)
            };
            let _ = writeln!(out, "          {painted}");
        }
    }
}

/// An added value with its mark, as one string.
fn added(path: &str, value: &str) -> String {
    let (value, mark) = added::shown(path, value);
    format!("{value}{mark}")
}

pub(super) fn or_none(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("(none)")
}
