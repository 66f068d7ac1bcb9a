//! What happened, as people want to hear it: a build applied, failing, recovered, drift
//! found, deleted, a deletion refused, a file removed while `--prune` is off; the files
//! invalid or valid again; Zadig unreachable, refusing the token, or back. Each event is told
//! once per episode: derived from a build's state before and after a pass (a build failing
//! again, or drifted as before, is no news). Deriving is pure; [`Event::log`] writes the line.

use std::fmt::Write as _;

use tracing::{info, warn};

use crate::apply::outcome::{Failure, OutcomeStatus};
use crate::daemon::state::{BuildState, Tracked};
use crate::reconcile::BuildId;
use crate::reconcile::plan::{Action, Cause, Change, FieldChange, Hold, Planned, Step};

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Applied {
        build: BuildId,
        action: Action,
        cause: Option<Cause>,
        /// The changes written, as the plan shows them.
        changes: Vec<FieldChange>,
        updated_by: Option<String>,
    },
    Failed {
        build: BuildId,
        action: Action,
        error: Failure,
        attempts: u32,
        /// What the write would have changed, as the plan shows it.
        changes: Vec<FieldChange>,
    },
    Recovered {
        build: BuildId,
    },
    /// Drift left in place (`--drift report`).
    DriftFound {
        build: BuildId,
        missing: bool,
        changes: Vec<FieldChange>,
        updated_by: Option<String>,
    },
    Deleted {
        build: BuildId,
    },
    DeletionRefused {
        build: BuildId,
        reason: String,
    },
    Refused {
        build: BuildId,
        reason: String,
    },
    /// A build zadig-sync wrote whose file is gone, kept since `--prune` is off.
    KeptNotDeleted {
        build: BuildId,
    },
    FilesInvalid {
        errors: usize,
    },
    FilesValidAgain,
    ZadigUnreachable {
        reason: String,
    },
    TokenRefused {
        reason: String,
    },
    ZadigBack,
    /// With `--git`: a new commit of the watched ref was fetched (and verified).
    CommitFetched {
        commit: String,
        reference: String,
        signer: Option<String>,
    },
    /// With `--git-verify`: the watched ref's commit is not signed by a trusted key; the last
    /// verified commit stays in force.
    CommitRefused {
        commit: String,
        reference: String,
        reason: String,
    },
    /// With `--git`: fetching fails; the last commit fetched stays in force.
    GitUnreachable {
        reason: String,
    },
    GitBack,
}

impl Event {
    /// A stable word for the event (status API, notifications).
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Applied { .. } => "applied",
            Event::Failed { .. } => "failed",
            Event::Recovered { .. } => "recovered",
            Event::DriftFound { .. } => "drift_found",
            Event::Deleted { .. } => "deleted",
            Event::DeletionRefused { .. } => "deletion_refused",
            Event::Refused { .. } => "refused",
            Event::KeptNotDeleted { .. } => "kept_not_deleted",
            Event::FilesInvalid { .. } => "files_invalid",
            Event::FilesValidAgain => "files_valid_again",
            Event::ZadigUnreachable { .. } => "zadig_unreachable",
            Event::TokenRefused { .. } => "token_refused",
            Event::ZadigBack => "zadig_back",
            Event::CommitFetched { .. } => "commit_fetched",
            Event::CommitRefused { .. } => "commit_refused",
            Event::GitUnreachable { .. } => "git_unreachable",
            Event::GitBack => "git_back",
        }
    }
}

/// The events of one build's step in a pass: `previous` and `next` are its states before and
/// after, `outcome` what apply made of the step.
pub fn of_step(
    previous: Option<&Tracked>,
    step: &Step,
    outcome: Option<&OutcomeStatus>,
    next: Option<&Tracked>,
) -> Vec<Event> {
    let build = || step.build.clone();
    let mut events = Vec::new();
    let was = previous.map(|p| p.state.as_str());
    match (outcome, next.map(|n| &n.state)) {
        (Some(OutcomeStatus::Done), _) if step.action().is_destructive() => {
            events.push(Event::Deleted { build: build() })
        }
        (Some(OutcomeStatus::Done), _) => events.push(Event::Applied {
            build: build(),
            action: step.action(),
            cause: step.cause,
            changes: step.changes.clone(),
            updated_by: step.updated_by.clone(),
        }),
        (
            _,
            Some(BuildState::Failing {
                attempts,
                last_error,
                ..
            }),
        ) if !matches!(step.planned, Planned::Held { .. }) => events.push(Event::Failed {
            build: build(),
            action: step.action(),
            error: Failure::clone(last_error),
            attempts: *attempts,
            changes: step.changes.clone(),
        }),
        (_, Some(BuildState::Drifted)) => {
            let same_as_before =
                was == Some("drifted") && previous.is_some_and(|p| p.changes == step.changes);
            if !same_as_before {
                events.push(Event::DriftFound {
                    build: build(),
                    missing: step.cause == Some(Cause::MissingInZadig),
                    changes: step.changes.clone(),
                    updated_by: step.updated_by.clone(),
                });
            }
        }
        (_, Some(BuildState::Refused { reason })) => {
            let same_as_before = matches!(
                previous.map(|p| &p.state),
                Some(BuildState::Refused { reason: before }) if before == reason
            );
            if !same_as_before {
                events.push(refusal(step, reason));
            }
        }
        _ => {}
    }
    let recovered = was == Some("failing") && next.is_some_and(|n| n.state == BuildState::InSync)
        || was == Some("failing") && next.is_none();
    if recovered {
        events.push(Event::Recovered { build: build() });
    }
    events
}

fn refusal(step: &Step, reason: &str) -> Event {
    let (build, reason) = (step.build.clone(), reason.to_string());
    if matches!(step.planned, Planned::Refused { .. }) || step.action().is_destructive() {
        Event::DeletionRefused { build, reason }
    } else {
        Event::Refused { build, reason }
    }
}

/// `path: old → new, …`, as a log line shows changes (secrets are redacted by the plan).
pub fn describe_changes(changes: &[FieldChange]) -> String {
    let mut text = String::new();
    for (index, change) in changes.iter().enumerate() {
        if index > 0 {
            text.push_str(", ");
        }
        let _ = match &change.change {
            Change::Sensitive => write!(text, "{}: (sensitive value changed)", change.path),
            Change::Text { .. } => write!(text, "{}: (text changed)", change.path),
            Change::Set { old, new } => write!(
                text,
                "{}: {} → {}",
                change.path,
                old.as_deref().unwrap_or("(none)"),
                new.as_deref().unwrap_or("(none)")
            ),
        };
    }
    text
}

impl Event {
    /// One log line, at info for what went as wanted and warn for what needs a look.
    pub fn log(&self) {
        match self {
            Event::Applied {
                build,
                action,
                cause,
                changes,
                updated_by,
            } => {
                let fields: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
                let fields = fields.join(", ");
                if cause.is_some_and(Cause::is_drift) {
                    // Drift corrected: what Zadig had, and who made it so.
                    info!(project = %build.project, build = %build.name,
                        action = %action.as_str(), cause = %Cause::Drift.as_str(),
                        changes = %describe_changes(changes),
                        update_by = %updated_by.as_deref().unwrap_or(""),
                        "applied: drift corrected (changed in Zadig, not in the files)");
                } else {
                    let cause = cause.map_or("", Cause::as_str);
                    info!(project = %build.project, build = %build.name,
                        action = %action.as_str(), %cause, %fields, "applied");
                }
            }
            Event::Failed {
                build,
                action,
                error,
                attempts,
                ..
            } => warn!(project = %build.project, build = %build.name,
                action = %action.as_str(), kind = %error.kind, attempts, reason = %error.reason,
                "failed; retried with backoff"),
            Event::Recovered { build } => {
                info!(project = %build.project, build = %build.name, "recovered")
            }
            Event::DriftFound {
                build,
                missing,
                changes,
                updated_by,
            } => {
                let what = if *missing {
                    "deleted in Zadig"
                } else {
                    "changed in Zadig"
                };
                warn!(project = %build.project, build = %build.name,
                    changes = %describe_changes(changes),
                    update_by = %updated_by.as_deref().unwrap_or(""),
                    "drift: {what}, not in the files; reported only (--drift report)")
            }
            Event::Deleted { build } => {
                info!(project = %build.project, build = %build.name, "deleted")
            }
            Event::DeletionRefused { build, reason } => warn!(project = %build.project,
                build = %build.name, %reason, "deletion refused"),
            Event::Refused { build, reason } => {
                warn!(project = %build.project, build = %build.name, %reason, "refused")
            }
            Event::KeptNotDeleted { build } => info!(project = %build.project,
                build = %build.name, "kept, not deleted: --prune is off (no file describes it)"),
            Event::FilesInvalid { errors } => warn!(
                errors,
                "the files have errors: nothing is written or deleted until they are fixed"
            ),
            Event::FilesValidAgain => info!("files valid again"),
            Event::ZadigUnreachable { reason } => warn!(%reason, "cannot read Zadig"),
            Event::TokenRefused { reason } => warn!(%reason,
                "Zadig refuses the API token; fix or rotate it (the token file is read again when it changes)"),
            Event::ZadigBack => info!("Zadig can be read again"),
            Event::CommitFetched {
                commit,
                reference,
                signer,
            } => info!(%commit, reference = %reference, signer = %signer.as_deref().unwrap_or(""),
                "fetched a new commit"),
            Event::CommitRefused {
                commit,
                reference,
                reason,
            } => warn!(%commit, reference = %reference, %reason,
                "commit refused by --git-verify; the last verified commit stays in force"),
            Event::GitUnreachable { reason } => warn!(%reason,
                "cannot fetch from git; the last commit fetched stays in force, retrying with backoff"),
            Event::GitBack => info!("git can be fetched from again"),
        }
    }
}

/// Whether `step` is drift that is being corrected (written back), for the metric counting
/// drift found.
pub fn is_drift(step: &Step) -> bool {
    step.cause.is_some_and(Cause::is_drift)
        && (step.action().is_write()
            || matches!(
                step.planned,
                Planned::Held {
                    hold: Hold::DriftReported,
                    ..
                }
            ))
}
