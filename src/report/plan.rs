//! A plan for people and programs: text like `terraform plan` (ANSI colour only when the caller
//! asks), JSON (the serialised [`Plan`], versioned by `format_version`), and Markdown for a
//! pull-request comment. Pure, no I/O: the caller decides colour from the TTY and `NO_COLOR`.
//!
//! Sensitive values never reach these functions: `diff` withholds credentials and the planner
//! redacts `${env:…}` values, and a sensitive change is printed as `(sensitive value changed)`.

use std::fmt::Write;

use crate::reconcile::marker::escape_controls;
use crate::reconcile::plan::{Action, Change, FieldChange, Plan, Step};

const SENSITIVE: &str = "(sensitive value changed)";
const NO_CHANGES: &str = "No changes. Zadig matches the files.";

/// The plan as terminal text: project-level errors, one block per step (unchanged builds only counted),
/// destructive steps first, then a summary line.
pub fn plan_text(plan: &Plan, color: bool) -> String {
    let paint = Painter { color };
    let mut out = String::new();
    for error in &plan.errors {
        let _ = writeln!(out, "{}: {error}", paint.apply("1;31", "Error"));
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
        let _ = writeln!(out, "Note: {note}");
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
        let _ = writeln!(out, "> **Note:** {}\n", escape_markdown(note));
    }
    for error in &plan.errors {
        let _ = writeln!(out, "> **Error:** {}\n", escape_markdown(error));
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
            code(symbol(step.action)),
            code(&format!("{}/{}", step.project, step.name)).replace('|', "\\|"),
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
        escape_controls(&step.project),
        escape_controls(&step.name),
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
        let _ = writeln!(out, "      note: {note}");
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
        } => ("+", "32", new.clone()),
        Change::Set {
            old: Some(old),
            new: None,
        } => ("-", "31", old.clone()),
        Change::Set { old, new } => ("~", "33", format!("{} → {}", or_none(old), or_none(new))),
    };
    let label = paint.apply(color, &format!("{mark} {}:", change.path));
    let separator = if value.is_empty() { "" } else { " " };
    let _ = writeln!(out, "      {label}{separator}{value}");
    if let Change::Text { diff } = &change.change {
        for diff_line in diff.lines() {
            let color = match diff_line.chars().next() {
                Some('+') => "32",
                Some('-') => "31",
                Some('@') => "36",
                _ => "0",
            };
            let painted = if color == "0" {
                diff_line.to_string()
            } else {
                paint.apply(color, diff_line)
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
        escape_html(&name),
        verb(step.action)
    );
    if let Some(origin) = &step.origin {
        let _ = writeln!(out, "From {}\n", code(origin));
    }
    for change in &step.changes {
        write_change_markdown(out, change);
    }
    for note in &step.notes {
        let _ = writeln!(out, "- _note:_ {}", escape_markdown(note));
    }
    out.push_str("\n</details>\n");
}

fn write_change_markdown(out: &mut String, change: &FieldChange) {
    let path = code(&change.path);
    let _ = match &change.change {
        Change::Sensitive => writeln!(out, "- {path}: {SENSITIVE}"),
        Change::Text { diff } => {
            let fence = fence_for(diff);
            writeln!(
                out,
                "- {path}:\n\n{fence}diff\n{}{fence}\n",
                ensure_newline(diff)
            )
        }
        Change::Set {
            old: None,
            new: Some(new),
        } => writeln!(out, "- {path}: added {}", code(new)),
        Change::Set {
            old: Some(old),
            new: None,
        } => writeln!(out, "- {path}: removed {}", code(old)),
        Change::Set { old, new } => writeln!(
            out,
            "- {path}: {} → {}",
            code(or_none(old)),
            code(or_none(new))
        ),
    };
}

fn ensure_newline(text: &str) -> String {
    if text.ends_with('\n') {
        text.to_string()
    } else {
        format!("{text}\n")
    }
}

/// A Markdown code span that survives backticks inside the text.
fn code(text: &str) -> String {
    let ticks = "`".repeat(longest_run(text, '`') + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{text}{pad}{ticks}")
}

/// A code fence longer than any run of backticks in the text.
fn fence_for(text: &str) -> String {
    "`".repeat(longest_run(text, '`').max(2) + 1)
}

fn longest_run(text: &str, wanted: char) -> usize {
    let (mut longest, mut current) = (0, 0);
    for c in text.chars() {
        current = if c == wanted { current + 1 } else { 0 };
        longest = longest.max(current);
    }
    longest
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Notes and errors are prose: keep them from opening HTML tags or tables.
fn escape_markdown(text: &str) -> String {
    escape_html(text).replace('|', "\\|")
}
