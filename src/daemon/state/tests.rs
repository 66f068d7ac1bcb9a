//! The transition table: each step and outcome from each interesting state, on values only.

use super::*;
use crate::reconcile::plan::{Cause, Phase, Problem};

fn now() -> Now {
    Now {
        at: Instant::now(),
        wall: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
    }
}

fn step(planned: Planned) -> Step {
    Step {
        build: BuildId::new("p", "b"),
        kind: BuildKind::Custom,
        planned,
        cause: Some(Cause::FileChanged),
        changes: Vec::new(),
        origin: None,
        notes: vec!["why".into()],
        updated_by: Some("alice".into()),
    }
}

fn update() -> Step {
    step(Planned::Update {
        fingerprint: "fp".into(),
        read_at: 1,
    })
}

fn unchanged() -> Step {
    step(Planned::Unchanged {
        fingerprint: "fp".into(),
        read_at: 1,
    })
}

fn failed() -> OutcomeStatus {
    OutcomeStatus::Failed(Failure::new("transport", "connection refused"))
}

fn tracked(state: BuildState) -> Tracked {
    Tracked {
        state,
        since: SystemTime::UNIX_EPOCH,
        kind: BuildKind::Custom,
        synced_with: Some("fp".into()),
        last_write: None,
        changes: Vec::new(),
        updated_by: None,
        cause: None,
        pull: None,
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_write_backs_off_and_counts_its_attempts() {
    let at = now();
    let first = transition(None, &update(), Some(&failed()), at, None).unwrap();
    let BuildState::Failing {
        attempts,
        not_before,
        last_error,
    } = &first.state
    else {
        panic!("{first:?}")
    };
    assert_eq!((*attempts, last_error.kind.as_str()), (1, "transport"));
    assert!(
        *not_before >= at.at + Duration::from_millis(2500),
        "half of 5 s at least"
    );
    assert!(*not_before <= at.at + Duration::from_secs(5));
    let second = transition(Some(&first), &update(), Some(&failed()), at, None).unwrap();
    assert!(matches!(
        second.state,
        BuildState::Failing { attempts: 2, .. }
    ));
    assert_eq!(
        second.since, first.since,
        "still failing since the first failure"
    );
}

// The daemon used to keep a failure for ever once the build needed no write: every pass
// then found a retry due at once and ran again, ~45 times a second.
#[tokio::test(start_paused = true)]
async fn a_failing_build_that_needs_no_write_is_in_sync_and_asks_for_no_wake_up() {
    let at = now();
    let failing = transition(None, &update(), Some(&failed()), at, None).unwrap();
    let mut states = States::default();
    replace(
        &mut states,
        BTreeMap::from([(BuildId::new("p", "b"), failing.clone())]),
    );
    assert!(states.next_retry(at.at).is_some());
    let in_sync = transition(Some(&failing), &unchanged(), None, at, None).unwrap();
    assert_eq!(in_sync.state, BuildState::InSync);
    replace(
        &mut states,
        BTreeMap::from([(BuildId::new("p", "b"), in_sync)]),
    );
    assert_eq!(states.next_retry(at.at), None);
}

#[tokio::test(start_paused = true)]
async fn backing_off_holds_writes_until_not_before_and_wakes_no_sooner_than_the_floor() {
    let at = now();
    let mut states = States::default();
    let soon = Failing {
        attempts: 1,
        not_before: at.at + Duration::from_millis(10),
        last_error: Box::new(Failure::new("transport", "x")),
    };
    replace(
        &mut states,
        BTreeMap::from([(BuildId::new("p", "b"), tracked(soon))]),
    );
    let id = BuildId::new("p", "b");
    assert!(states.history(at.at).backing_off(&id));
    assert!(
        !states
            .history(at.at + Duration::from_secs(1))
            .backing_off(&id)
    );
    assert_eq!(states.next_retry(at.at), Some(at.at + WAKE_FLOOR));
}

use BuildState::Failing;

#[tokio::test(start_paused = true)]
async fn a_held_step_keeps_a_failing_build_as_it_was() {
    let at = now();
    let failing = transition(None, &update(), Some(&failed()), at, None).unwrap();
    let held = step(Planned::Held {
        wanted: Action::Update,
        hold: Hold::BackingOff,
        fingerprint: Some("fp".into()),
        read_at: Some(1),
    });
    assert_eq!(
        transition(Some(&failing), &held, None, at, None),
        Some(failing)
    );
}

#[tokio::test(start_paused = true)]
async fn reported_drift_is_drifted_and_remembers_what_it_was_in_sync_with() {
    let at = now();
    let previous = tracked(BuildState::InSync);
    let reported = step(Planned::Held {
        wanted: Action::Create,
        hold: Hold::DriftReported,
        fingerprint: Some("fp".into()),
        read_at: None,
    });
    let next = transition(Some(&previous), &reported, None, at, None).unwrap();
    assert_eq!(next.state, BuildState::Drifted);
    assert_eq!(next.synced_with.as_deref(), Some("fp"));
}

#[tokio::test(start_paused = true)]
async fn writes_done_record_the_write_and_deletions_end_tracking() {
    let at = now();
    let next = transition(None, &update(), Some(&OutcomeStatus::Done), at, Some("abc")).unwrap();
    assert_eq!(next.state, BuildState::InSync);
    let write = next.last_write.as_ref().unwrap();
    assert_eq!(
        (write.action, write.revision.as_deref()),
        (Action::Update, Some("abc"))
    );
    let delete = step(Planned::Delete { read_at: 1 });
    assert_eq!(
        transition(Some(&next), &delete, Some(&OutcomeStatus::Done), at, None),
        None
    );
    let kept = step(Planned::Kept {
        read_at: 1,
        prunable: true,
    });
    assert_eq!(transition(Some(&next), &kept, None, at, None), None);
}

#[tokio::test(start_paused = true)]
async fn refusals_errors_and_steps_not_started_have_their_state() {
    let at = now();
    let refused = step(Planned::Refused {
        read_at: 1,
        refusal: crate::reconcile::plan::Refusal::OverMaxDeletes,
    });
    let state =
        |s: &Step, o: Option<&OutcomeStatus>| transition(None, s, o, at, None).unwrap().state;
    assert_eq!(state(&refused, None).as_str(), "refused");
    let error = step(Planned::Error {
        fingerprint: None,
        read_at: None,
        problem: Problem::ReadFailed {
            kind: "decode".into(),
        },
    });
    assert!(matches!(
        state(&error, None),
        Failing { ref last_error, .. } if last_error.kind == "decode"
    ));
    let stopped = OutcomeStatus::NotStarted("stopping".into());
    assert_eq!(state(&update(), Some(&stopped)).as_str(), "pending");
    let create = step(Planned::Create {
        fingerprint: "fp".into(),
        phase: Phase::Writes,
    });
    let unverified = OutcomeStatus::Unverified("read back failed".into());
    assert_eq!(state(&create, Some(&unverified)).as_str(), "pending");
}

#[test]
fn invalid_files_hold_every_build_and_counts_follow() {
    let mut states = States::default();
    replace(
        &mut states,
        BTreeMap::from([
            (BuildId::new("p", "a"), tracked(BuildState::InSync)),
            (BuildId::new("p", "b"), tracked(BuildState::Drifted)),
        ]),
    );
    states.hold_all("the files have errors", SystemTime::UNIX_EPOCH);
    let counts = states.counts();
    assert_eq!(counts[5], ("held", 2));
    assert_eq!(counts[0], ("in_sync", 0));
}

#[test]
fn a_prunable_build_is_reported_once() {
    let mut states = States::default();
    let kept = BTreeSet::from([BuildId::new("p", "gone")]);
    assert_eq!(states.note_prunable(kept.clone()).len(), 1);
    assert!(states.note_prunable(kept).is_empty());
}

/// Every tracked build costs this size in each pass's map (5,000 builds: docs/daemon.md,
/// Memory): what only some builds carry is boxed.
#[test]
fn a_tracked_build_stays_small() {
    let size = std::mem::size_of::<Tracked>();
    assert!(size <= 200, "Tracked is {size} bytes");
}

/// Puts exactly `builds` in `states`, as a pass that planned them would.
fn replace(states: &mut States, builds: BTreeMap<BuildId, Tracked>) {
    states.keep_only(|build| builds.contains_key(build));
    for (build, tracked) in builds {
        states.set(&build, Some(tracked));
    }
}
