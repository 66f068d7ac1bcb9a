//! Rendering, and nothing else: plans, apply outcomes and diagnostics as text (for people,
//! coloured on request), JSON (versioned, for scripts) and Markdown (for pull-request
//! comments), with the escaping each format needs; for `validate`, also GitHub's workflow
//! commands and GitLab's Code Quality report (`ci`). Pure: callers pass in whatever a rendering
//! depends on (colour, for one) and print the string themselves.

pub mod added;
pub mod ci;
pub mod diagnostic;
pub mod escape;
pub mod github;
pub mod gitlab;
pub mod outcome;
pub mod paint;
pub mod plan;
pub mod plan_markdown;
pub mod pull;
pub mod status;
pub mod words;

pub use plan::{plan_json, plan_markdown, plan_text};

use crate::apply::outcome::ApplyReport;
use crate::load::diagnostic::Diagnostic;
use crate::reconcile::plan::Plan;

/// The output formats every command offers with `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// The command whose document is rendered, where it matters (a run stopped by invalid files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Plan,
    Apply,
}

/// What there is to render.
#[derive(Debug, Clone, Copy)]
pub enum Document<'a> {
    /// A plan (from `plan`, or the preview of `apply`).
    Plan(&'a Plan),
    /// What an apply did; JSON carries the plan beside the outcomes.
    Apply(&'a Plan, &'a ApplyReport),
    /// Problems in the build files (`validate`).
    Diagnostics(&'a [Diagnostic]),
    /// `plan` or `apply` stopped before talking to Zadig because the files have errors: the
    /// command's own document (same `format_version`), carrying the diagnostics.
    Stopped(Stage, &'a [Diagnostic]),
    /// `plan` or `apply` ended with an error before its document (Zadig could not be reached,
    /// the token was refused): the command's own document carrying the error in the plan's
    /// `errors`, for JSON and Markdown. Nothing in text: the error goes to stderr.
    Failed(Stage, &'a str),
}

/// How to render, beyond the format.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style<'a> {
    /// ANSI colour (text only).
    pub color: bool,
    /// List the builds in Zadig that the files do not describe (`--show-kept`), instead of
    /// only counting them.
    pub show_kept: bool,
    /// Warnings from loading the files, carried by the JSON documents of plan and apply
    /// (text and Markdown callers print them apart).
    pub warnings: &'a [Diagnostic],
}

/// The one entry point of rendering: a document in a format. `color` matters for text only.
/// The result always ends with a newline (or is empty).
pub fn render(document: Document<'_>, format: Format, color: bool) -> String {
    render_styled(
        document,
        format,
        &Style {
            color,
            ..Style::default()
        },
    )
}

/// [`render`] with every choice spelled out.
pub fn render_styled(document: Document<'_>, format: Format, style: &Style<'_>) -> String {
    let text = match (document, format) {
        (Document::Plan(plan), Format::Text) => plan::plan_text_styled(plan, style),
        (Document::Plan(plan), Format::Json) => plan::plan_json_with(plan, style.warnings),
        (Document::Plan(plan), Format::Markdown) => plan::plan_markdown_styled(plan, style),
        (Document::Apply(plan, report), Format::Json) => {
            outcome::apply_json(plan, report, style.warnings)
        }
        (Document::Apply(plan, report), Format::Text) => outcome::outcomes_text(plan, report),
        (Document::Apply(plan, report), Format::Markdown) => {
            outcome::outcomes_markdown(plan, report)
        }
        (Document::Diagnostics(diagnostics), Format::Json) => diagnostic::render_json(diagnostics),
        (Document::Diagnostics(diagnostics), Format::Text) => {
            diagnostic::render_text_colored(diagnostics, style.color)
        }
        (Document::Diagnostics(diagnostics), Format::Markdown) => {
            diagnostic::render_markdown("validate", diagnostics)
        }
        (Document::Stopped(stage, diagnostics), format) => {
            stopped(stage, diagnostics, format, style)
        }
        (Document::Failed(stage, error), format) => failed(stage, error, format),
    };
    if text.is_empty() || text.ends_with('\n') {
        text
    } else {
        text + "\n"
    }
}

fn failed(stage: Stage, error: &str, format: Format) -> String {
    let plan = Plan {
        errors: vec![error.to_owned()],
        ..Plan::empty()
    };
    match (stage, format) {
        (_, Format::Text) => String::new(),
        (Stage::Plan, Format::Json) => plan::plan_json_with(&plan, &[]),
        (Stage::Apply, Format::Json) => outcome::apply_json(&plan, &ApplyReport::default(), &[]),
        (Stage::Plan, Format::Markdown) => plan_markdown::plan_markdown(&plan),
        (Stage::Apply, Format::Markdown) => format!(
            "### zadig-sync apply\n\n**Apply stopped by an error.**\n\n> **Error:** {}\n",
            escape::markdown(error)
        ),
    }
}

fn stopped(stage: Stage, diagnostics: &[Diagnostic], format: Format, style: &Style<'_>) -> String {
    match (stage, format) {
        (_, Format::Text) => diagnostic::render_text_colored(diagnostics, style.color),
        (Stage::Plan, Format::Markdown) => diagnostic::render_markdown("plan", diagnostics),
        (Stage::Apply, Format::Markdown) => diagnostic::render_markdown("apply", diagnostics),
        (Stage::Plan, Format::Json) => plan::stopped_plan_json(diagnostics),
        (Stage::Apply, Format::Json) => {
            outcome::apply_json(&Plan::empty(), &ApplyReport::default(), diagnostics)
        }
    }
}
