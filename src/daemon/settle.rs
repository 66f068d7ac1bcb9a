//! What follows a pass: each planned build's state moved by `state::transition` (a drifted
//! build carrying the patch that would pull it), what happened told once (`events`: counted,
//! logged, shown on the status board and sent to the sinks), and `zadig_sync_builds` set from
//! the states. No I/O but logs and metrics.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::SystemTime;

use tokio::time::Instant;

use crate::apply::outcome::{ApplyReport, OutcomeStatus};
use crate::daemon::drift_pull::DriftPull;
use crate::daemon::events::{self, Event};
use crate::daemon::metrics::{ActionLabel, KindLabel};
use crate::daemon::shared::Status;
use crate::daemon::state::{BuildState, Now, States, transition};
use crate::reconcile::BuildId;
use crate::reconcile::plan::{Cause, Plan, Planned};

/// Moves each planned build's state by its step and outcome, tells what happened, and
/// returns the builds a write was sent to (their remembered detail is stale).
pub(super) fn move_states(
    states: &mut States,
    plan: &Plan,
    report: &ApplyReport,
    revision: Option<&str>,
    mut pulls: BTreeMap<BuildId, DriftPull>,
    status: &Status,
) -> HashSet<BuildId> {
    let outcomes: HashMap<&BuildId, &OutcomeStatus> = (report.outcomes.iter())
        .map(|o| (&o.build, &o.status))
        .collect();
    let now = Now {
        at: Instant::now(),
        wall: SystemTime::now(),
    };
    // Each state is moved in place: no second map of 5,000 states is ever built beside the
    // first (docs/daemon.md, Memory).
    let (mut planned, mut prunable, mut written) =
        (HashSet::new(), BTreeSet::new(), HashSet::new());
    let mut told = Vec::new();
    for step in &plan.steps {
        let outcome = outcomes.get(&step.build).copied();
        let sent = outcome.is_some_and(|o| {
            !matches!(o, OutcomeStatus::Refused(_) | OutcomeStatus::NotStarted(_))
        });
        if sent {
            written.insert(step.build.clone());
        }
        if matches!(step.planned, Planned::Kept { prunable: true, .. }) {
            prunable.insert(step.build.clone());
        }
        if let Some(OutcomeStatus::Failed(failure)) = outcome {
            let kind = KindLabel {
                kind: failure.kind.clone(),
            };
            status.metrics.step_failures.get_or_create(&kind).inc();
        }
        planned.insert(&step.build);
        let previous = states.get(&step.build);
        let mut tracked = transition(previous, step, outcome, now, revision);
        if let Some(drifted) = (tracked.as_mut()).filter(|t| t.state == BuildState::Drifted) {
            drifted.pull = pulls.remove(&step.build).map(Box::new);
        }
        told.extend(events::of_step(previous, step, outcome, tracked.as_ref()));
        states.set(&step.build, tracked);
    }
    for build in states.note_prunable(prunable) {
        told.push(Event::KeptNotDeleted { build });
    }
    states.keep_only(|build| planned.contains(build));
    states.note_kept(&plan.steps);
    for event in told {
        tell(status, event);
    }
    publish_states(states, status);
    written
}

/// Counts what the event counts, then logs it and tells the status board (and through it
/// the notifications): whoever reads the log line finds the metric already moved.
pub(super) fn tell(status: &Status, event: Event) {
    let metrics = &status.metrics;
    match &event {
        Event::Applied { action, cause, .. } => {
            let action = action.as_str();
            metrics.changes.get_or_create(&ActionLabel { action }).inc();
            if cause.is_some_and(Cause::is_drift) {
                metrics.drift.inc();
            }
        }
        Event::Deleted { .. } => {
            let action = "delete";
            metrics.changes.get_or_create(&ActionLabel { action }).inc();
        }
        Event::DriftFound { .. } => {
            metrics.drift.inc();
        }
        _ => {}
    }
    event.log();
    status.board.told(&event);
}

/// `zadig_sync_builds`, from the states (a failing build is counted as `failed`).
pub(super) fn publish_states(states: &States, status: &Status) {
    let counts = states.counts().map(|(state, count)| match state {
        "failing" => ("failed", count),
        _ => (state, count),
    });
    status.metrics.set_build_states(&counts);
}
