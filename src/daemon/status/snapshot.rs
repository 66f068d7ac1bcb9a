//! Each build's state, as the status API shows it: the daemon's [`States`] turned into
//! [`BuildView`]s and [`KeptView`]s after every pass, with the monotonic times of backoffs
//! shown on the wall clock. Free texts (reasons, errors from Zadig) pass the log's redaction;
//! field changes are already redacted by the plan. No I/O, no clock: `now` is passed in.

use crate::daemon::events::describe_changes;
use crate::daemon::state::{BuildState, Kept, Now, States, Tracked};
use crate::daemon::status::doc::{BuildView, ErrorView, KeptView, LastWriteView, Time};
use crate::logs;
use crate::reconcile::BuildId;
use crate::reconcile::plan::Cause;

/// Every managed build, by project and name.
pub fn builds(states: &States, now: Now) -> Vec<BuildView> {
    states
        .iter()
        .map(|(build, tracked)| build_view(build, tracked, now))
        .collect()
}

/// Every build in Zadig that no file describes, by project and name.
pub fn kept(states: &States) -> Vec<KeptView> {
    states.kept().iter().map(kept_view).collect()
}

fn kept_view((build, kept): (&BuildId, &Kept)) -> KeptView {
    KeptView {
        project: build.project.clone(),
        name: build.name.clone(),
        kind: kept.kind.as_str().to_string(),
        prunable: kept.prunable,
        update_by: kept.updated_by.clone(),
    }
}

fn build_view(build: &BuildId, tracked: &Tracked, now: Now) -> BuildView {
    let mut view = BuildView {
        project: build.project.clone(),
        name: build.name.clone(),
        kind: tracked.kind.as_str().to_string(),
        state: tracked.state.as_str().to_string(),
        since: Time(tracked.since),
        cause: tracked.cause.map(|c| c.as_str().to_string()),
        message: message(tracked).map(|m| logs::redact(&m)),
        last_write: tracked.last_write.as_ref().map(|write| LastWriteView {
            at: Time(write.at),
            action: write.action.as_str().to_string(),
            revision: write.revision.clone(),
        }),
        last_error: None,
        attempts: None,
        next_retry: None,
        changes: tracked.changes.clone(),
        update_by: tracked.updated_by.clone(),
        pull: tracked.pull.as_deref().cloned(),
    };
    if let BuildState::Failing {
        attempts,
        not_before,
        last_error,
    } = &tracked.state
    {
        view.last_error = Some(ErrorView {
            kind: last_error.kind.clone(),
            message: logs::redact(&last_error.reason),
        });
        view.attempts = Some(*attempts);
        view.next_retry = Some(Time(on_the_wall(*not_before, now)));
    }
    view
}

/// Why a build is in its state, in a sentence; none when it is in sync.
fn message(tracked: &Tracked) -> Option<String> {
    match &tracked.state {
        BuildState::InSync => None,
        BuildState::Pending { reason }
        | BuildState::Refused { reason }
        | BuildState::Held { reason } => Some(reason.clone()),
        BuildState::Drifted if tracked.cause == Some(Cause::MissingInZadig) => {
            Some("deleted in Zadig, not in the files; reported only (--drift report)".into())
        }
        BuildState::Drifted => Some(format!(
            "changed in Zadig, not in the files ({}); reported only (--drift report)",
            describe_changes(&tracked.changes)
        )),
        BuildState::Failing {
            attempts,
            last_error,
            ..
        } => Some(format!(
            "{} ({attempts} attempt(s) in a row); retried with backoff",
            last_error.reason
        )),
    }
}

/// A moment of the monotonic clock, on the wall clock of `now`.
fn on_the_wall(at: tokio::time::Instant, now: Now) -> std::time::SystemTime {
    if at >= now.at {
        now.wall + (at - now.at)
    } else {
        now.wall - (now.at - at)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::apply::outcome::Failure;
    use crate::reconcile::plan::{Change, FieldChange};
    use crate::reconcile::spec::BuildKind;

    fn tracked(state: BuildState) -> Tracked {
        Tracked {
            state,
            since: SystemTime::UNIX_EPOCH,
            kind: BuildKind::Custom,
            synced_with: None,
            last_write: None,
            changes: vec![FieldChange {
                path: "build_os".into(),
                change: Change::Set {
                    old: Some("\"a\"".into()),
                    new: Some("\"b\"".into()),
                },
                via: None,
            }],
            updated_by: Some("alice".into()),
            cause: Some(Cause::Drift),
            pull: None,
        }
    }

    #[test]
    fn a_failing_build_shows_its_error_attempts_and_next_retry_on_the_wall_clock() {
        let now = Now {
            at: tokio::time::Instant::now(),
            wall: SystemTime::UNIX_EPOCH + Duration::from_secs(1000),
        };
        let failing = BuildState::Failing {
            attempts: 3,
            not_before: now.at + Duration::from_secs(40),
            last_error: Box::new(Failure::new("transport", "connection refused")),
        };
        let view = build_view(&BuildId::new("p", "b"), &tracked(failing), now);
        assert_eq!(view.state, "failing");
        assert_eq!(view.attempts, Some(3));
        assert_eq!(
            view.next_retry,
            Some(Time(SystemTime::UNIX_EPOCH + Duration::from_secs(1040)))
        );
        assert_eq!(
            view.last_error,
            Some(ErrorView {
                kind: "transport".into(),
                message: "connection refused".into()
            })
        );
        assert_eq!(
            view.message.as_deref(),
            Some("connection refused (3 attempt(s) in a row); retried with backoff")
        );
    }

    #[test]
    fn a_drifted_build_names_its_fields_and_an_in_sync_one_says_nothing() {
        let now = Now {
            at: tokio::time::Instant::now(),
            wall: SystemTime::UNIX_EPOCH,
        };
        let id = BuildId::new("p", "b");
        let drifted = build_view(&id, &tracked(BuildState::Drifted), now);
        assert_eq!(
            drifted.message.as_deref(),
            Some(
                "changed in Zadig, not in the files (build_os: \"a\" → \"b\"); \
                 reported only (--drift report)"
            )
        );
        assert_eq!(drifted.cause.as_deref(), Some("drift"));
        assert_eq!(drifted.update_by.as_deref(), Some("alice"));
        let in_sync = build_view(&id, &tracked(BuildState::InSync), now);
        assert_eq!((in_sync.message, in_sync.last_error), (None, None));
    }
}
