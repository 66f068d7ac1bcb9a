//! What an apply run did: one outcome per step, the counts, and their rendering as text and
//! JSON. Pure.

use std::fmt::Write as _;

use serde::Serialize;

use crate::plan::{Action, Plan};
use crate::redact::Redactor;

/// Bumped whenever the JSON shape of `apply --output json` changes incompatibly.
pub const APPLY_FORMAT_VERSION: u32 = 1;

/// What became of one step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepOutcome {
    pub project: String,
    pub name: String,
    pub action: Action,
    /// In JSON, `status` and (except for `done`) `reason` sit beside the other fields.
    #[serde(flatten)]
    pub status: OutcomeStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
pub enum OutcomeStatus {
    /// The write was made and Zadig now matches the file.
    Done,
    /// The write was made, but reading the build back to check it failed.
    Unverified(String),
    /// The step was not executed, on purpose: stale, or refused by the plan's policy.
    Refused(String),
    /// The step was tried and failed, or the plan could not plan it.
    Failed(String),
}

/// Every outcome of one apply run, in plan order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ApplyReport {
    pub outcomes: Vec<StepOutcome>,
}

/// How many steps ended how. A write that could not be verified counts as made (under its
/// action) and again under `unverified`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub created: usize,
    pub updated: usize,
    pub replaced: usize,
    pub deleted: usize,
    pub unverified: usize,
    pub failed: usize,
    pub refused: usize,
}

impl ApplyReport {
    /// Whether the run must exit 1: a step failed, was refused, or could not be verified.
    pub fn has_failures(&self) -> bool {
        self.outcomes
            .iter()
            .any(|o| o.status != OutcomeStatus::Done)
    }

    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for outcome in &self.outcomes {
            match &outcome.status {
                OutcomeStatus::Failed(_) => counts.failed += 1,
                OutcomeStatus::Refused(_) => counts.refused += 1,
                OutcomeStatus::Done | OutcomeStatus::Unverified(_) => {
                    counts.unverified += usize::from(outcome.status != OutcomeStatus::Done);
                    match outcome.action {
                        Action::Create => counts.created += 1,
                        Action::Update => counts.updated += 1,
                        Action::Replace => counts.replaced += 1,
                        Action::Delete => counts.deleted += 1,
                        _ => {}
                    }
                }
            }
        }
        counts
    }

    /// `3 created, 2 updated, 0 replaced, 1 deleted, 1 failed, 0 refused` (and
    /// `, N unverified` when there are any).
    pub fn summary(&self) -> String {
        let c = self.counts();
        let mut text = format!(
            "{} created, {} updated, {} replaced, {} deleted, {} failed, {} refused",
            c.created, c.updated, c.replaced, c.deleted, c.failed, c.refused
        );
        if c.unverified > 0 {
            let _ = write!(text, ", {} unverified", c.unverified);
        }
        text
    }

    /// Hides every secret in the reasons (Zadig's errors can quote what was sent).
    pub fn redact(&mut self, redactor: &Redactor) {
        for outcome in &mut self.outcomes {
            if let OutcomeStatus::Unverified(reason)
            | OutcomeStatus::Refused(reason)
            | OutcomeStatus::Failed(reason) = &mut outcome.status
            {
                *reason = redactor.redact(reason).into_owned();
            }
        }
    }
}

/// The outcomes as terminal text, one line a step, then `Apply: <summary>.`
pub fn outcomes_text(report: &ApplyReport) -> String {
    let mut out = String::new();
    if !report.outcomes.is_empty() {
        out.push('\n');
    }
    for outcome in &report.outcomes {
        let target = format!("{}/{}", outcome.project, outcome.name);
        let action = format!("{:?}", outcome.action).to_lowercase();
        let _ = match &outcome.status {
            OutcomeStatus::Done => writeln!(out, "  ok      {action:<8} {target}"),
            OutcomeStatus::Unverified(reason) => {
                writeln!(out, "  ok?     {action:<8} {target}: {reason}")
            }
            OutcomeStatus::Refused(reason) => writeln!(out, "  refused {target}: {reason}"),
            OutcomeStatus::Failed(reason) => writeln!(out, "  failed  {target}: {reason}"),
        };
    }
    let _ = writeln!(out, "\nApply: {}.", report.summary());
    out
}

/// The outcomes for a pull-request comment (`apply --output markdown`), after the plan.
pub fn outcomes_markdown(report: &ApplyReport) -> String {
    let mut out = String::from("\n### zadig-sync apply\n\n");
    let _ = writeln!(out, "**Apply: {}.**\n", report.summary());
    for outcome in &report.outcomes {
        let target = format!("`{}/{}`", outcome.project, outcome.name);
        let action = format!("{:?}", outcome.action).to_lowercase();
        let line = match &outcome.status {
            OutcomeStatus::Done => format!("- ok: {action} {target}"),
            OutcomeStatus::Unverified(reason) => {
                format!("- unverified: {action} {target}: {reason}")
            }
            OutcomeStatus::Refused(reason) => format!("- refused: {target}: {reason}"),
            OutcomeStatus::Failed(reason) => format!("- **failed**: {target}: {reason}"),
        };
        let _ = writeln!(out, "{}", line.replace('\n', " "));
    }
    out
}

/// `apply --output json`: the plan, the outcomes and the counts, versioned.
pub fn apply_json(plan: &Plan, report: &ApplyReport) -> String {
    let document = serde_json::json!({
        "format_version": APPLY_FORMAT_VERSION,
        "plan": plan,
        "outcomes": report.outcomes,
        "summary": report.counts(),
    });
    serde_json::to_string_pretty(&document).unwrap_or_else(|error| {
        serde_json::json!({ "format_version": APPLY_FORMAT_VERSION, "error": error.to_string() })
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(name: &str, action: Action, status: OutcomeStatus) -> StepOutcome {
        StepOutcome {
            project: "shop".into(),
            name: name.into(),
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
                    OutcomeStatus::Failed("403 s3cr3t-v".into()),
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
        report.redact(&Redactor::new(&["s3cr3t-v".to_string()]));
        let plan = Plan {
            format_version: 1,
            projects: vec!["shop".into()],
            steps: vec![],
            errors: vec![],
        };
        for text in [
            outcomes_text(&report),
            outcomes_markdown(&report),
            apply_json(&plan, &report),
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
        };
        let json: serde_json::Value =
            serde_json::from_str(&apply_json(&plan, &report())).expect("JSON");
        assert_eq!(json["format_version"], APPLY_FORMAT_VERSION);
        assert_eq!(json["summary"]["created"], 2);
        assert_eq!(json["outcomes"][1]["status"], "unverified");
        assert_eq!(json["outcomes"][1]["reason"], "read failed");
    }
}
