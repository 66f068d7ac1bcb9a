//! Apply's outcomes as text, Markdown and versioned JSON. Pure.

use std::fmt::Write as _;

use super::escape;
use crate::apply::outcome::{APPLY_FORMAT_VERSION, ApplyReport, OutcomeStatus, StepOutcome};
use crate::load::diagnostic::Diagnostic;
use crate::reconcile::plan::Plan;
use crate::report::diagnostic::json_diagnostics;

/// The outcomes as terminal text, one line a step (a failed or refused step also names the
/// file that describes the build), then `Apply: <summary>.`
pub fn outcomes_text(plan: &Plan, report: &ApplyReport) -> String {
    let mut out = String::new();
    if !report.outcomes.is_empty() {
        out.push('\n');
    }
    for outcome in &report.outcomes {
        let target = escape::text(&outcome.build.to_string());
        let action = outcome.action.as_str();
        let from = escape::text(&from_file(plan, outcome));
        let _ = match &outcome.status.escaped(escape::text) {
            OutcomeStatus::Done => writeln!(out, "  ok      {action:<8} {target}"),
            OutcomeStatus::Unverified(reason) => {
                writeln!(out, "  ok?     {action:<8} {target}{from}: {reason}")
            }
            OutcomeStatus::AlreadyDone(reason) => {
                writeln!(out, "  done    {action:<8} {target}: {reason}")
            }
            OutcomeStatus::Refused(reason) => writeln!(out, "  refused {target}{from}: {reason}"),
            OutcomeStatus::Failed(failure) => {
                writeln!(out, "  failed  {target}{from}: {}", failure.reason)
            }
            OutcomeStatus::NotStarted(reason) => {
                writeln!(out, "  skipped {action:<8} {target}: {reason}")
            }
        };
    }
    let _ = writeln!(out, "\nApply: {}.", report.summary());
    out
}

/// ` (builds.d/a.yaml:3:1)` for a step whose build a file describes, else nothing.
fn from_file(plan: &Plan, outcome: &StepOutcome) -> String {
    plan.steps
        .iter()
        .find(|s| s.build == outcome.build)
        .and_then(|s| s.origin.as_deref())
        .map(|origin| format!(" ({origin})"))
        .unwrap_or_default()
}

/// The outcomes for a pull-request comment (`apply --output markdown`), after the plan.
pub fn outcomes_markdown(plan: &Plan, report: &ApplyReport) -> String {
    let mut out = String::from("\n### zadig-sync apply\n\n");
    let _ = writeln!(out, "**Apply: {}.**\n", report.summary());
    for outcome in &report.outcomes {
        let target = escape::code(&escape::text(&outcome.build.to_string()));
        let target = format!("{target}{}", escape::markdown(&from_file(plan, outcome)));
        let action = outcome.action.as_str();
        let line = match &outcome.status.escaped(escape::markdown) {
            OutcomeStatus::Done => format!("- ok: {action} {target}"),
            OutcomeStatus::Unverified(reason) => {
                format!("- unverified: {action} {target}: {reason}")
            }
            OutcomeStatus::AlreadyDone(reason) => format!("- done: {action} {target}: {reason}"),
            OutcomeStatus::Refused(reason) => format!("- refused: {target}: {reason}"),
            OutcomeStatus::Failed(failure) => {
                format!("- **failed**: {target}: {}", failure.reason)
            }
            OutcomeStatus::NotStarted(reason) => {
                format!("- not started: {action} {target}: {reason}")
            }
        };
        let _ = writeln!(out, "{}", line.replace('\n', " "));
    }
    out
}

/// `apply --output json`: the plan (with no step when the files stopped the run before one
/// was made), the outcomes, the counts and the diagnostics of the files, versioned.
pub fn apply_json(plan: &Plan, report: &ApplyReport, diagnostics: &[Diagnostic]) -> String {
    let document = serde_json::json!({
        "format_version": APPLY_FORMAT_VERSION,
        "plan": plan,
        "outcomes": report.outcomes,
        "summary": report.counts(),
        "diagnostics": json_diagnostics(diagnostics),
    });
    serde_json::to_string_pretty(&document).unwrap_or_else(|error| {
        serde_json::json!({ "format_version": APPLY_FORMAT_VERSION, "error": error.to_string() })
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::outcome::{Failure, StepOutcome};
    use crate::reconcile::BuildId;
    use crate::reconcile::plan::Action;
    use crate::reconcile::redact::Secrets;

    fn outcome(name: &str, action: Action, status: OutcomeStatus) -> StepOutcome {
        StepOutcome {
            build: BuildId::new("shop", name),
            action,
            status,
        }
    }

    fn report() -> ApplyReport {
        ApplyReport {
            outcomes: vec![
                outcome("a", Action::Create, OutcomeStatus::Done),
                outcome(
                    "b",
                    Action::Create,
                    OutcomeStatus::Unverified("read failed".into()),
                ),
                outcome("c", Action::Update, OutcomeStatus::Done),
                outcome("d", Action::Delete, OutcomeStatus::Refused("stale".into())),
                outcome(
                    "e",
                    Action::Update,
                    OutcomeStatus::Failed(Failure::new("forbidden", "403 s3cr3t-v")),
                ),
            ],
        }
    }

    #[test]
    fn unverified_writes_count_as_made_and_as_unverified() {
        let counts = report().counts();
        assert_eq!((counts.created, counts.updated, counts.deleted), (2, 1, 0));
        assert_eq!(
            (counts.unverified, counts.failed, counts.refused),
            (1, 1, 1)
        );
        assert_eq!(
            report().summary(),
            "2 created, 1 updated, 0 replaced, 0 deleted, 1 failed, 1 refused, 1 unverified"
        );
        assert!(report().has_failures());
        let clean = ApplyReport {
            outcomes: vec![outcome("a", Action::Create, OutcomeStatus::Done)],
        };
        assert!(!clean.has_failures());
        assert!(!clean.summary().contains("unverified"));
    }

    #[test]
    fn reasons_are_redacted_in_every_rendering() {
        let mut report = report();
        report.redact(&Secrets::new(&["s3cr3t-v".to_string()]));
        let plan = Plan {
            format_version: 1,
            projects: vec!["shop".into()],
            steps: vec![],
            errors: vec![],
            notes: vec![],
            prune: false,
        };
        for text in [
            outcomes_text(&plan, &report),
            outcomes_markdown(&plan, &report),
            apply_json(&plan, &report, &[]),
        ] {
            assert!(!text.contains("s3cr3t-v"), "{text}");
            assert!(text.contains("403 (sensitive)"), "{text}");
        }
    }

    #[test]
    fn the_json_document_is_versioned_with_counts() {
        let plan = Plan {
            format_version: 1,
            projects: vec![],
            steps: vec![],
            errors: vec![],
            notes: vec![],
            prune: false,
        };
        let json: serde_json::Value =
            serde_json::from_str(&apply_json(&plan, &report(), &[])).expect("JSON");
        assert_eq!(json["format_version"], APPLY_FORMAT_VERSION);
        assert_eq!(json["summary"]["created"], 2);
        assert_eq!(json["outcomes"][1]["status"], "unverified");
        assert_eq!(json["outcomes"][1]["reason"], "read failed");
        assert_eq!(json["outcomes"][4]["kind"], "forbidden");
        assert!(json["outcomes"][0].get("reason").is_none());
    }
}
