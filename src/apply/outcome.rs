//! What an apply run did: one outcome per step and the counts (rendered by `report::outcome`).
//! Pure data.

use std::fmt::Write as _;

use serde::{Serialize, Serializer};

use crate::reconcile::BuildId;
use crate::reconcile::plan::Action;
use crate::reconcile::redact::Secrets;

/// Bumped whenever the JSON shape of `apply --output json` changes incompatibly.
pub const APPLY_FORMAT_VERSION: u32 = 1;

/// What became of one step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepOutcome {
    pub build: BuildId,
    pub action: Action,
    pub status: OutcomeStatus,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OutcomeStatus {
    /// The write was made and Zadig now matches the file.
    Done,
    /// Nothing was left to do: what the step would make is already so (a build already
    /// deleted). Not counted as a change.
    AlreadyDone(String),
    /// The write was made, but reading the build back to check it failed.
    Unverified(String),
    /// The step was not executed, on purpose: stale, or refused by the plan's policy.
    Refused(String),
    /// The step was tried and failed, or the plan could not plan it.
    Failed(Failure),
    /// The step was not started: the run was asked to stop first (the daemon's shutdown).
    NotStarted(String),
}

/// A failed step: the stable word of what went wrong (Zadig's error kind, `not_converged`,
/// `read_failed`, …: bounded, for metrics and scripts) and the whole reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: String,
    pub reason: String,
}

impl Failure {
    pub fn new(kind: impl Into<String>, reason: impl Into<String>) -> Self {
        Failure {
            kind: kind.into(),
            reason: reason.into(),
        }
    }
}

impl OutcomeStatus {
    /// The status as users read it, the same as in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            OutcomeStatus::Done => "done",
            OutcomeStatus::AlreadyDone(_) => "already_done",
            OutcomeStatus::Unverified(_) => "unverified",
            OutcomeStatus::Refused(_) => "refused",
            OutcomeStatus::Failed(_) => "failed",
            OutcomeStatus::NotStarted(_) => "not_started",
        }
    }

    /// The reason, for every status but `done`.
    pub fn reason(&self) -> Option<&str> {
        match self {
            OutcomeStatus::Done => None,
            OutcomeStatus::AlreadyDone(reason)
            | OutcomeStatus::Unverified(reason)
            | OutcomeStatus::Refused(reason)
            | OutcomeStatus::NotStarted(reason) => Some(reason),
            OutcomeStatus::Failed(failure) => Some(&failure.reason),
        }
    }

    fn reason_mut(&mut self) -> Option<&mut String> {
        match self {
            OutcomeStatus::Done => None,
            OutcomeStatus::AlreadyDone(reason)
            | OutcomeStatus::Unverified(reason)
            | OutcomeStatus::Refused(reason)
            | OutcomeStatus::NotStarted(reason) => Some(reason),
            OutcomeStatus::Failed(failure) => Some(&mut failure.reason),
        }
    }

    /// The same status with its reason passed through `escape` (for a rendering).
    pub fn escaped(&self, escape: impl Fn(&str) -> String) -> OutcomeStatus {
        let mut escaped = self.clone();
        if let Some(reason) = escaped.reason_mut() {
            *reason = escape(reason);
        }
        escaped
    }

    /// Whether the write this step asked for was made (checked or not).
    pub fn wrote(&self) -> bool {
        matches!(self, OutcomeStatus::Done | OutcomeStatus::Unverified(_))
    }
}

/// In JSON, one flat object: `project`, `name`, `action`, `status`, and (except for `done`)
/// `reason`, with `kind` for a failure.
impl Serialize for StepOutcome {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Flat<'a> {
            project: &'a str,
            name: &'a str,
            action: Action,
            status: &'static str,
            #[serde(skip_serializing_if = "Option::is_none")]
            reason: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            kind: Option<&'a str>,
        }
        let kind = match &self.status {
            OutcomeStatus::Failed(failure) => Some(failure.kind.as_str()),
            _ => None,
        };
        Flat {
            project: &self.build.project,
            name: &self.build.name,
            action: self.action,
            status: self.status.as_str(),
            reason: self.status.reason(),
            kind,
        }
        .serialize(serializer)
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
    /// Steps that found nothing left to do (a build already deleted).
    #[serde(skip_serializing_if = "is_zero")]
    pub already_done: usize,
    /// Steps not started because the run was stopped.
    #[serde(skip_serializing_if = "is_zero")]
    pub not_started: usize,
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

impl ApplyReport {
    /// Whether the run must exit 1: a step failed, was refused, could not be verified, or
    /// was not started.
    pub fn has_failures(&self) -> bool {
        self.outcomes.iter().any(|o| {
            !matches!(
                o.status,
                OutcomeStatus::Done | OutcomeStatus::AlreadyDone(_)
            )
        })
    }

    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for outcome in &self.outcomes {
            match &outcome.status {
                OutcomeStatus::Failed(_) => counts.failed += 1,
                OutcomeStatus::Refused(_) => counts.refused += 1,
                OutcomeStatus::AlreadyDone(_) => counts.already_done += 1,
                OutcomeStatus::NotStarted(_) => counts.not_started += 1,
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
    /// `, N unverified`, `, N already deleted`, `, N not started` when there are any).
    pub fn summary(&self) -> String {
        let c = self.counts();
        let mut text = format!(
            "{} created, {} updated, {} replaced, {} deleted, {} failed, {} refused",
            c.created, c.updated, c.replaced, c.deleted, c.failed, c.refused
        );
        for (count, what) in [
            (c.unverified, "unverified"),
            (c.already_done, "already done"),
            (c.not_started, "not started"),
        ] {
            if count > 0 {
                let _ = write!(text, ", {count} {what}");
            }
        }
        text
    }

    /// Hides every secret in the reasons (Zadig's errors can quote what was sent).
    pub fn redact(&mut self, secrets: &Secrets) {
        for outcome in &mut self.outcomes {
            if let Some(reason) = outcome.status.reason_mut() {
                *reason = secrets.redact(reason).into_owned();
            }
        }
    }
}
