//! A plan for people and programs: text like `terraform plan` (ANSI colour only when the caller
//! asks), JSON (the serialised [`Plan`], versioned by `format_version`), and Markdown for a
//! pull-request comment. Pure, no I/O: the caller decides colour from the TTY and `NO_COLOR`.
//!
//! Sensitive values never reach these functions: `diff` withholds credentials and the planner
//! redacts `${env:…}` values, and a sensitive change is printed as `(sensitive value changed)`.

use std::fmt::Write;

use super::escape;
use crate::reconcile::plan::{Action, Change, FieldChange, Plan, Step};

const SENSITIVE: &str = "(sensitive value changed)";
const NO_CHANGES: &str = "No changes. Zadig matches the files.";

/// The plan as terminal text: project-level errors, one block per step (unchanged builds only counted),
/// destructive steps first, then a summary line.
pub fn plan_text(plan: &Plan, color: bool) -> String {
    let paint = Painter { color };
    let mut out = String::new();
    for error in &plan.errors {
        let _ = writeln!(
            out,
            "{}: {}",
            paint.apply("1;31", "Error"),
            escape::text(error)
        );
    }
    let shown: Vec<&Step> = plan.steps.iter().filter(|s| worth_showing(s)).collect();
    if !plan.errors.is_empty() && !shown.is_empty() {
        out.push('\n');
    }
    for step in shown {
        write_step_text(&mut out, step, paint);
        out.push('\n');
    }
    out.push_str(&summary(plan));
    out.push('\n');
    for note in &plan.notes {
        let _ = writeln!(out, "Note: {}", escape::text(note));
    }
    out
}

/// The plan as pretty JSON, `format_version` first. The schema is in `docs/plan-output.md`.
pub fn plan_json(plan: &Plan) -> String {
    serde_json::to_string_pretty(plan).unwrap_or_else(|error| {
        // Unreachable for this plain data type; still valid JSON for a consumer.
        serde_json::json!({ "format_version": plan.format_version, "error": error.to_string() })
            .to_string()
    })
}

/// The plan as a pull-request comment: summary, a table of the steps, then per step with
/// changes or notes a `<details>` block (script diffs in ```diff blocks).
pub fn plan_markdown(plan: &Plan) -> String {
    let mut out = String::from("### zadig-sync plan\n\n");
    let _ = writeln!(out, "**{}**\n", summary(plan));
    for note in &plan.notes {
        let _ = writeln!(out, "> **Note:** {}\n", escape::markdown(note));
    }
    for error in &plan.errors {
        let _ = writeln!(out, "> **Error:** {}\n", escape::markdown(error));
    }
    let shown: Vec<&Step> = plan.steps.iter().filter(|s| worth_showing(s)).collect();
    if shown.is_empty() {
        return out;
    }
    out.push_str("| | build | action | kind | changes |\n|---|---|---|---|---|\n");
    for step in &shown {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            escape::code(symbol(step.action)),
            escape::code(&escape::text(&format!("{}/{}", step.project, step.name)))
                .replace('|', "\\|"),
            verb(step.action),
            step.kind.as_str(),
            step.changes.len()
        );
    }
    for step in shown
        .into_iter()
        .filter(|s| !s.changes.is_empty() || !s.notes.is_empty())
    {
        out.push('\n');
        write_step_markdown(&mut out, step);
    }
    out
}

/// Unchanged builds are only counted, unless they carry a note (a template input Zadig drops,
/// a strategy the cluster lacks) that the user should read.
fn worth_showing(step: &Step) -> bool {
    step.action != Action::Unchanged || !step.notes.is_empty()
}

/// `Plan: 1 to create, …` or, when nothing would be written and nothing failed, `No changes.`
fn summary(plan: &Plan) -> String {
    let count = |action: Action| plan.steps.iter().filter(|s| s.action == action).count();
    let refused = count(Action::Refused);
    let errors = count(Action::Error) + plan.errors.len();
    if !plan.has_changes() && refused == 0 && errors == 0 {
        return NO_CHANGES.to_string();
    }
    format!(
        "Plan: {} to create, {} to update, {} to replace, {} to delete, {} unchanged, {} kept, \
         {refused} refused, {errors} {}.",
        count(Action::Create),
        count(Action::Update),
        count(Action::Replace),
        count(Action::Delete),
        count(Action::Unchanged),
        count(Action::Kept),
        if errors == 1 { "error" } else { "errors" },
    )
}

fn symbol(action: Action) -> &'static str {
    match action {
        Action::Create => "+",
        Action::Update => "~",
        Action::Replace => "~",
        Action::Delete => "-",
        Action::Unchanged => " ",
        Action::Kept => "=",
        Action::Refused => "x",
        Action::Error => "!",
    }
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Create => "create",
        Action::Update => "update",
        Action::Replace => "replace (converted in place)",
        Action::Delete => "destroy (destructive)",
        Action::Unchanged => "unchanged",
        Action::Kept => "kept",
        Action::Refused => "deletion refused",
        Action::Error => "error",
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
    }
}

#[derive(Clone, Copy)]
struct Painter {
    color: bool,
}

impl Painter {
    fn apply(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_string()
        }
    }
}

fn write_step_text(out: &mut String, step: &Step, paint: Painter) {
    // Names come from Zadig too: a control character must not drive the terminal.
    let header = format!(
        "{:>3} {}/{} ({}): {}",
        symbol(step.action),
        escape::text(&step.project),
        escape::text(&step.name),
        step.kind.as_str(),
        verb(step.action),
    );
    let _ = writeln!(out, "{}", paint.apply(action_color(step.action), &header));
    if let Some(origin) = &step.origin {
        let _ = writeln!(out, "      from {origin}");
    }
    for change in &step.changes {
        write_change_text(out, change, paint);
    }
    for note in &step.notes {
        let _ = writeln!(out, "      note: {}", escape::text(note));
    }
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
        } => ("+", "32", escape::text(new)),
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
    let _ = writeln!(out, "      {label}{separator}{value}");
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

fn or_none(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("(none)")
}

fn write_step_markdown(out: &mut String, step: &Step) {
    let name = format!("{}/{}", step.project, step.name);
    let _ = writeln!(
        out,
        "<details><summary><code>{}</code>: {}</summary>\n",
        escape::markdown(&name),
        verb(step.action)
    );
    if let Some(origin) = &step.origin {
        let _ = writeln!(out, "From {}\n", escape::code(origin));
    }
    for change in &step.changes {
        write_change_markdown(out, change);
    }
    for note in &step.notes {
        let _ = writeln!(out, "- _note:_ {}", escape::markdown(note));
    }
    out.push_str("\n</details>\n");
}

fn write_change_markdown(out: &mut String, change: &FieldChange) {
    let path = escape::code(&change.path);
    let _ = match &change.change {
        Change::Sensitive => writeln!(out, "- {path}: {SENSITIVE}"),
        Change::Text { diff } => {
            let diff: String = diff
                .lines()
                .map(|line| {
                    escape::text(line)
                        + "
"
                })
                .collect();
            let fence = fence_for(&diff);
            writeln!(
                out,
                "- {path}:

{fence}diff
{diff}{fence}
"
            )
        }
        Change::Set {
            old: None,
            new: Some(new),
        } => writeln!(out, "- {path}: added {}", escape::code(&escape::text(new))),
        Change::Set {
            old: Some(old),
            new: None,
        } => writeln!(
            out,
            "- {path}: removed {}",
            escape::code(&escape::text(old))
        ),
        Change::Set { old, new } => writeln!(
            out,
            "- {path}: {} → {}",
            escape::code(&escape::text(or_none(old))),
            escape::code(&escape::text(or_none(new)))
        ),
    };
}

/// A code fence longer than any run of backticks in the text.
fn fence_for(text: &str) -> String {
    "`".repeat(escape::longest_run(text, '`').max(2) + 1)
}
