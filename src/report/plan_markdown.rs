//! A plan as a pull-request comment (`--output markdown`): the summary, a table of the steps,
//! then a `<details>` block per step with changes or notes, with Markdown's and HTML's escaping
//! for every string from the files or from Zadig. Pure.

use std::fmt::Write;

use crate::reconcile::plan::{Change, FieldChange, Plan, Step};
use crate::report::plan::{SENSITIVE, kept_line, or_none, shown_steps, summary, symbol, verb};
use crate::report::{Style, added};

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
        let _ = writeln!(out, "{}\n", escape_markdown(&kept));
    }
    for note in &plan.notes {
        let _ = writeln!(out, "> **Note:** {}\n", escape_markdown(note));
    }
    for error in &plan.errors {
        let _ = writeln!(out, "> **Error:** {}\n", escape_markdown(error));
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
        } => {
            let (value, mark) = added::shown(&change.path, new);
            writeln!(out, "- {path}: added {}{mark}", code(&value))
        }
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
pub(crate) fn code(text: &str) -> String {
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
pub(crate) fn escape_markdown(text: &str) -> String {
    escape_html(text).replace('|', "\\|")
}
