//! Rendering, and nothing else: plans, apply outcomes and diagnostics as text (for people,
//! coloured on request), JSON (versioned, for scripts) and Markdown (for pull-request
//! comments), with the escaping each format needs. Pure: callers pass in whatever a rendering
//! depends on (colour, for one) and print the string themselves.

pub mod diagnostic;
pub mod escape;
pub mod outcome;
pub mod plan;

pub use plan::{plan_json, plan_markdown, plan_text};

use crate::apply::outcome::ApplyReport;
use crate::load::diagnostic::Diagnostic;
use crate::reconcile::plan::Plan;

/// The output formats every command offers with `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people: terraform-like, coloured on a terminal.
    Text,
    /// One versioned JSON document, for scripts.
    Json,
    /// For pull-request comments.
    Markdown,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Markdown => "markdown",
        }
    }
}

/// What there is to render.
#[derive(Debug, Clone, Copy)]
pub enum Document<'a> {
    /// A plan (from `plan`, or the preview of `apply`).
    Plan(&'a Plan),
    /// What an apply did; JSON carries the plan beside the outcomes.
    Apply(&'a Plan, &'a ApplyReport),
    /// Problems in the build files.
    Diagnostics(&'a [Diagnostic]),
}

/// The one entry point of rendering: a document in a format. `color` matters for text only.
/// The result always ends with a newline (or is empty).
pub fn render(document: Document<'_>, format: Format, color: bool) -> String {
    let text = match (document, format) {
        (Document::Plan(plan), Format::Text) => plan_text(plan, color),
        (Document::Plan(plan), Format::Json) => plan_json(plan),
        (Document::Plan(plan), Format::Markdown) => plan_markdown(plan),
        (Document::Apply(plan, report), Format::Json) => outcome::apply_json(plan, report),
        (Document::Apply(_, report), Format::Text) => outcome::outcomes_text(report),
        (Document::Apply(_, report), Format::Markdown) => outcome::outcomes_markdown(report),
        (Document::Diagnostics(diagnostics), Format::Json) => diagnostic::render_json(diagnostics),
        (Document::Diagnostics(diagnostics), Format::Text | Format::Markdown) => {
            diagnostic::render_text(diagnostics)
        }
    };
    if text.is_empty() || text.ends_with('\n') {
        text
    } else {
        text + "\n"
    }
}
