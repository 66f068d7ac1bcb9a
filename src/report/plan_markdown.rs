//! A plan as a pull-request comment (`--output markdown`): the summary, a table of the steps,
//! then a `<details>` block per step with changes or notes, with Markdown's and HTML's escaping
//! for every string from the files or from Zadig. Pure.

use std::fmt::Write;

use crate::reconcile::plan::{Change, FieldChange, Plan, Step};
use crate::report::plan::{SENSITIVE, kept_line, or_none, shown_steps, summary, symbol, verb};
use crate::report::{Style, added, escape};

/// The plan as a pull-request comment, kept builds counted (see [`plan_markdown_styled`]).
pub fn plan_markdown(plan: &Plan) -> String {
    plan_markdown_styled(plan, &Style::default())
}

/// The plan as a pull-request comment: summary, a table of the steps, then per step with
/// changes or notes a `<details>` block (script diffs in ```diff blocks).
pub fn plan_markdown_styled(plan: &Plan, style: &Style<'_>) -> String {
    let mut out = String::from("### zadig-sync plan\n\n");
    let _ = writeln!(out, "**{}**\n", summary(plan));
    if let Some(kept) = kept_line(plan, style) {
        let _ = writeln!(out, "{}\n", escape::markdown(&kept));
    }
    for note in &plan.notes {
        let _ = writeln!(out, "> **Note:** {}\n", escape::markdown(note));
    }
    for error in &plan.errors {
        let _ = writeln!(out, "> **Error:** {}\n", escape::markdown(error));
    }
    let shown = shown_steps(plan, style);
    if shown.is_empty() {
        return out;
    }
    out.push_str("| | build | action | kind | changes |\n|---|---|---|---|---|\n");
    for step in &shown {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            escape::code(symbol(step.action())),
            escape::code(&escape::text(&step.build.to_string())).replace('|', "\\|"),
            verb(step.action()),
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

fn write_step_markdown(out: &mut String, step: &Step) {
    let name = step.build.to_string();
    let _ = writeln!(
        out,
        "<details><summary><code>{}</code>: {}</summary>\n",
        escape::markdown(&name),
        verb(step.action())
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
    let path = match &change.via {
        Some(via) => format!("{} (via {})", escape::code(&change.path), escape::code(via)),
        None => escape::code(&change.path),
    };
    let _ = match &change.change {
        Change::Sensitive => writeln!(out, "- {path}: {SENSITIVE}"),
        Change::Text { diff } => {
            let diff: String = diff.lines().map(|line| escape::text(line) + "\n").collect();
            let fence = fence_for(&diff);
            writeln!(out, "- {path}:\n\n{fence}diff\n{diff}{fence}\n")
        }
        Change::Set {
            old: None,
            new: Some(new),
        } => {
            let (value, mark) = added::shown(&change.path, new);
            let value = escape::code(&escape::text(&value));
            writeln!(out, "- {path}: added {value}{mark}")
        }
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
