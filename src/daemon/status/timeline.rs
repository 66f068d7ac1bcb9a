//! The events timeline: each [`Event`] told, as an [`EventView`] with its id, time and revision
//! and a sentence saying what happened, kept in a bounded ring that `GET /api/v1/events` reads
//! with a cursor (`?since=ID`). The same view goes to the notification sinks. Every free text
//! (a reason, an error from Zadig) passes the log's redaction first. No I/O, no clock: the time
//! is passed in.

use std::collections::VecDeque;
use std::time::SystemTime;

use crate::daemon::events::{Event, describe_changes};
use crate::daemon::status::doc::{ErrorView, EventView, EventsDoc, STATUS_FORMAT, Time};
use crate::logs;
use crate::reconcile::BuildId;
use crate::reconcile::plan::{Action, Cause, FieldChange};

/// How many events the ring keeps.
pub const RING_SIZE: usize = 500;

/// The most events one answer carries.
pub const PAGE_SIZE: usize = 200;

/// The last [`RING_SIZE`] events, oldest first.
#[derive(Debug, Default)]
pub struct Timeline {
    events: VecDeque<EventView>,
    last_id: u64,
}

impl Timeline {
    /// Records `event` as told at `at` with the files at `revision`; returns its view.
    pub fn record(&mut self, event: &Event, at: SystemTime, revision: Option<&str>) -> EventView {
        self.last_id += 1;
        let view = view_of(event, self.last_id, at, revision);
        if self.events.len() == RING_SIZE {
            self.events.pop_front();
        }
        self.events.push_back(view.clone());
        view
    }

    /// The events after `since` (all kept ones without it), at most [`PAGE_SIZE`], oldest
    /// first; `missed` when some after `since` were already dropped, or when `since` is from
    /// before a restart (it is past the last id: everything kept is sent again).
    pub fn after(&self, since: Option<u64>) -> EventsDoc {
        let restarted = since.is_some_and(|since| since > self.last_id);
        let since = since.filter(|_| !restarted).unwrap_or(0);
        let oldest = self.events.front().map_or(self.last_id + 1, |e| e.id);
        let events: Vec<EventView> = (self.events.iter())
            .filter(|event| event.id > since)
            .take(PAGE_SIZE)
            .cloned()
            .collect();
        EventsDoc {
            format: STATUS_FORMAT,
            last_id: events.last().map_or(self.last_id, |e| e.id),
            missed: restarted || (since + 1 < oldest && since < self.last_id),
            events,
        }
    }
}

/// The view of one event.
pub fn view_of(event: &Event, id: u64, at: SystemTime, revision: Option<&str>) -> EventView {
    let mut view = EventView {
        id,
        at: Time(at),
        kind: event.kind().to_string(),
        project: None,
        build: None,
        message: logs::redact(&sentence(event)),
        action: None,
        cause: None,
        changes: Vec::new(),
        error: None,
        attempts: None,
        update_by: None,
        revision: revision.map(str::to_string),
    };
    details(event, &mut view);
    view
}

/// The build, action, changes and error an event carries.
fn details(event: &Event, view: &mut EventView) {
    if let Some(build) = build_of(event) {
        view.project = Some(build.project.clone());
        view.build = Some(build.name.clone());
    }
    match event {
        Event::Applied {
            action,
            cause,
            changes,
            updated_by,
            ..
        } => {
            view.action = Some(action.as_str().to_string());
            view.cause = cause.map(|c| c.as_str().to_string());
            view.changes = changes.clone();
            view.update_by = updated_by.clone();
        }
        Event::Failed {
            action,
            error,
            attempts,
            changes,
            ..
        } => {
            view.action = Some(action.as_str().to_string());
            view.attempts = Some(*attempts);
            view.changes = changes.clone();
            view.error = Some(ErrorView {
                kind: error.kind.clone(),
                message: logs::redact(&error.reason),
            });
        }
        Event::DriftFound {
            changes,
            updated_by,
            missing,
            ..
        } => {
            let cause = if *missing {
                Cause::MissingInZadig
            } else {
                Cause::Drift
            };
            view.cause = Some(cause.as_str().to_string());
            view.changes = changes.clone();
            view.update_by = updated_by.clone();
        }
        _ => {}
    }
}

fn build_of(event: &Event) -> Option<&BuildId> {
    match event {
        Event::Applied { build, .. }
        | Event::Failed { build, .. }
        | Event::Recovered { build }
        | Event::DriftFound { build, .. }
        | Event::Deleted { build }
        | Event::DeletionRefused { build, .. }
        | Event::Refused { build, .. }
        | Event::KeptNotDeleted { build } => Some(build),
        Event::FilesInvalid { .. }
        | Event::FilesValidAgain
        | Event::ZadigUnreachable { .. }
        | Event::TokenRefused { .. }
        | Event::ZadigBack
        | Event::CommitFetched { .. }
        | Event::CommitRefused { .. }
        | Event::GitUnreachable { .. }
        | Event::GitBack => None,
    }
}

/// What happened, in one sentence (before redaction).
fn sentence(event: &Event) -> String {
    match event {
        Event::Applied {
            action,
            cause,
            changes,
            ..
        } => applied_sentence(*action, *cause, changes),
        Event::Failed {
            action,
            error,
            attempts,
            ..
        } => format!(
            "{} failed (attempt {attempts}, {}): {}; retried with backoff",
            action.as_str(),
            error.kind,
            error.reason
        ),
        Event::Recovered { .. } => "recovered: in sync again".into(),
        Event::DriftFound {
            missing, changes, ..
        } => drift_sentence(*missing, changes),
        Event::Deleted { .. } => "deleted (no file describes it; --prune)".into(),
        Event::DeletionRefused { reason, .. } => format!("deletion refused: {reason}"),
        Event::Refused { reason, .. } => format!("refused: {reason}"),
        Event::KeptNotDeleted { .. } => {
            "kept, not deleted: no file describes it and --prune is off".into()
        }
        other => condition_sentence(other),
    }
}

/// A create says only that; an update names its fields (paths only, as the log does); drift
/// corrected says what Zadig had.
fn applied_sentence(action: Action, cause: Option<Cause>, changes: &[FieldChange]) -> String {
    if cause.is_some_and(Cause::is_drift) {
        let what = describe_changes(changes);
        return format!("{} applied (drift corrected): {what}", action.as_str());
    }
    if action == Action::Create || changes.is_empty() {
        return format!("{} applied", action.as_str());
    }
    let fields: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
    format!("{} applied: {}", action.as_str(), fields.join(", "))
}

fn drift_sentence(missing: bool, changes: &[FieldChange]) -> String {
    if missing {
        return "drift: deleted in Zadig, not in the files; reported only (--drift report)".into();
    }
    format!(
        "drift: changed in Zadig, not in the files ({}); reported only (--drift report)",
        describe_changes(changes)
    )
}

/// The sentences of events about the daemon as a whole.
fn condition_sentence(event: &Event) -> String {
    match event {
        Event::FilesInvalid { errors } => format!(
            "the files have {errors} error(s): nothing is written or deleted until they are fixed"
        ),
        Event::FilesValidAgain => "the files are valid again".into(),
        Event::ZadigUnreachable { reason } => format!("cannot read Zadig: {reason}"),
        Event::TokenRefused { reason } => format!("Zadig refuses the API token: {reason}"),
        Event::ZadigBack => "Zadig can be read again".into(),
        Event::CommitFetched {
            commit, reference, ..
        } => format!(
            "fetched commit {} of {reference}",
            crate::git::short(commit)
        ),
        Event::CommitRefused {
            commit,
            reference,
            reason,
        } => format!(
            "commit {} of {reference} refused by --git-verify: {reason}; the last verified \
             commit stays in force",
            crate::git::short(commit)
        ),
        Event::GitUnreachable { reason } => {
            format!("cannot fetch from git: {reason}; the last commit fetched stays in force")
        }
        Event::GitBack => "git can be fetched from again".into(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::outcome::Failure;

    fn failed(attempts: u32) -> Event {
        Event::Failed {
            build: BuildId::new("shop", "api"),
            action: Action::Update,
            error: Failure::new("rejected", "Zadig answered 400"),
            attempts,
            changes: Vec::new(),
        }
    }

    #[test]
    fn a_view_names_the_build_what_happened_and_the_revision() {
        let view = view_of(&failed(2), 7, SystemTime::UNIX_EPOCH, Some("abc1234"));
        assert_eq!(view.id, 7);
        assert_eq!(view.kind, "failed");
        assert_eq!(
            (view.project.as_deref(), view.build.as_deref()),
            (Some("shop"), Some("api"))
        );
        assert_eq!(
            view.message,
            "update failed (attempt 2, rejected): Zadig answered 400; retried with backoff"
        );
        assert_eq!(
            view.error.as_ref().map(|e| e.kind.as_str()),
            Some("rejected")
        );
        assert_eq!(view.revision.as_deref(), Some("abc1234"));
        let back = view_of(&Event::ZadigBack, 8, SystemTime::UNIX_EPOCH, None);
        assert_eq!((back.project, back.build), (None, None));
    }

    #[test]
    fn the_ring_is_bounded_and_read_after_a_cursor() {
        let mut timeline = Timeline::default();
        assert_eq!(timeline.after(None).last_id, 0);
        for attempt in 1..=(RING_SIZE as u32 + 10) {
            timeline.record(&failed(attempt), SystemTime::UNIX_EPOCH, None);
        }
        let all = timeline.after(None);
        assert_eq!(all.events.len(), PAGE_SIZE);
        assert_eq!(all.events[0].id, 11, "the 10 oldest were dropped");
        assert!(all.missed, "events 1 to 10 were never read");
        let recent = timeline.after(Some(505));
        assert_eq!(
            recent.events.iter().map(|e| e.id).collect::<Vec<_>>(),
            [506, 507, 508, 509, 510]
        );
        assert!(!recent.missed);
        assert_eq!(recent.last_id, 510);
        let nothing_new = timeline.after(Some(510));
        assert!(nothing_new.events.is_empty() && !nothing_new.missed);
        assert_eq!(nothing_new.last_id, 510);
        let from_before_a_restart = timeline.after(Some(9_999));
        assert!(from_before_a_restart.missed);
        assert_eq!(from_before_a_restart.events[0].id, 11);
    }
}
