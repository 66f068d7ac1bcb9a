//! What an apply run did: one outcome per step and the counts (rendered by `report::outcome`).
//! Pure data.

use serde::Serialize;

use std::fmt::Write as _;

use crate::reconcile::plan::Action;
use crate::reconcile::redact::Secrets;

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

impl OutcomeStatus {
    /// The status as users read it, the same as in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            OutcomeStatus::Done => "done",
            OutcomeStatus::Unverified(_) => "unverified",
            OutcomeStatus::Refused(_) => "refused",
            OutcomeStatus::Failed(_) => "failed",
        }
    }

    /// The same status with its reason passed through `escape` (for a rendering).
    pub fn escaped(&self, escape: impl Fn(&str) -> String) -> OutcomeStatus {
        match self {
            OutcomeStatus::Done => OutcomeStatus::Done,
            OutcomeStatus::Unverified(reason) => OutcomeStatus::Unverified(escape(reason)),
            OutcomeStatus::Refused(reason) => OutcomeStatus::Refused(escape(reason)),
            OutcomeStatus::Failed(reason) => OutcomeStatus::Failed(escape(reason)),
        }
    }
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
    pub fn redact(&mut self, secrets: &Secrets) {
        for outcome in &mut self.outcomes {
            if let OutcomeStatus::Unverified(reason)
            | OutcomeStatus::Refused(reason)
            | OutcomeStatus::Failed(reason) = &mut outcome.status
            {
                *reason = secrets.redact(reason).into_owned();
            }
        }
    }
}
