//! One state per build, in one map, moved only by one pure transition:
//! `(state, step, outcome, now) → state`, in the manner of kube-runtime's reconcile → Action.
//! The planner reads the map (what each build was last in sync with, which builds are backing
//! off: [`History`]); metrics, logs, readiness and the next wake-up read it too, and nothing
//! else keeps per-build state. No I/O and no clock: `now` is passed in.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use crate::apply::outcome::{Failure, OutcomeStatus};
use crate::backoff::Backoff;
use crate::daemon::drift_pull::DriftPull;
use crate::reconcile::BuildId;
use crate::reconcile::plan::{Action, Cause, FieldChange, History, Hold, Planned, Step};
use crate::reconcile::spec::BuildKind;

/// Where a managed build stands after the last pass that planned it.
#[derive(Debug, Clone, PartialEq)]
pub enum BuildState {
    /// Zadig holds what the files say.
    InSync,
    /// A write the files want was not made in the last pass: it was not started (the daemon
    /// was stopping), or it was made but could not be read back to check.
    Pending { reason: String },
    /// Changed (or deleted) in Zadig while its file did not change; with `--drift report` it
    /// stays so, reported and never written.
    Drifted,
    /// Its last write (or the read of its detail) failed; its writes are held back until
    /// `not_before`, then tried again.
    Failing {
        attempts: u32,
        not_before: Instant,
        /// Boxed: most builds are not failing, and every tracked build pays for the largest
        /// state's size.
        last_error: Box<Failure>,
    },
    /// A safety rule refused its step (changed in Zadig since the plan, over
    /// `--max-deletes`, a name another project holds, …); planned again at the next pass.
    Refused { reason: String },
    /// Nothing is applied while the files have errors: every write is held until they are
    /// fixed.
    Held { reason: String },
}

impl BuildState {
    /// The state as the status API, logs and metrics name it.
    pub fn as_str(&self) -> &'static str {
        match self {
            BuildState::InSync => "in_sync",
            BuildState::Pending { .. } => "pending",
            BuildState::Drifted => "drifted",
            BuildState::Failing { .. } => "failing",
            BuildState::Refused { .. } => "refused",
            BuildState::Held { .. } => "held",
        }
    }

    /// Every state, in the order counts are shown.
    pub const NAMES: [&'static str; 6] = [
        "in_sync", "pending", "drifted", "failing", "refused", "held",
    ];
}

/// The last write made to a build.
#[derive(Debug, Clone, PartialEq)]
pub struct LastWrite {
    pub at: SystemTime,
    pub action: Action,
    /// The revision of the files it was made from (a git commit), when known.
    pub revision: Option<String>,
}

/// What the daemon knows of one managed build.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracked {
    pub state: BuildState,
    /// When it entered this state.
    pub since: SystemTime,
    pub kind: BuildKind,
    /// The fingerprint of the files' spec it was last seen in sync with: tells drift from a
    /// change of the files where no marker can (template builds, a build deleted in Zadig,
    /// a marker removed in Zadig).
    pub synced_with: Option<String>,
    /// Boxed, like `pull`: a tracked build costs its size in every pass's map.
    pub last_write: Option<Box<LastWrite>>,
    /// What differs, for a pending, drifted or refused build (as the plan shows it: secrets
    /// already redacted).
    pub changes: Vec<FieldChange>,
    /// Zadig's `update_by`, when the build exists.
    pub updated_by: Option<String>,
    /// Why its last step was planned (a change of the files, drift, an adoption).
    pub cause: Option<Cause>,
    /// For a drifted build (`--drift report`): the patch that would pull it into its file.
    pub pull: Option<Box<DriftPull>>,
}

/// A build in Zadig that no file describes, kept (the status API lists them on request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub kind: BuildKind,
    /// zadig-sync wrote it, so `--prune` would delete it.
    pub prunable: bool,
    pub updated_by: Option<String>,
}

/// The moment a transition happens, on both clocks: the monotonic one schedules, the wall
/// clock is shown.
#[derive(Debug, Clone, Copy)]
pub struct Now {
    pub at: Instant,
    pub wall: SystemTime,
}

/// The smallest wait before a pass that a failing build asks for: no state can make the
/// daemon spin.
pub const WAKE_FLOOR: Duration = Duration::from_secs(1);

/// Every managed build's state.
#[derive(Debug, Default)]
pub struct States {
    builds: BTreeMap<BuildId, Tracked>,
    /// Kept builds zadig-sync wrote whose file is gone, already reported (`--prune` is off).
    prunable: BTreeSet<BuildId>,
    /// Every kept build of the last pass that read Zadig.
    kept: BTreeMap<BuildId, Kept>,
}

/// The state a step and its outcome lead to, from `previous` (none for a build not tracked
/// yet). `None`: the build is no longer tracked (deleted, or in no file).
pub fn transition(
    previous: Option<&Tracked>,
    step: &Step,
    outcome: Option<&OutcomeStatus>,
    now: Now,
    revision: Option<&str>,
) -> Option<Tracked> {
    let base = Tracked {
        state: BuildState::InSync,
        since: now.wall,
        kind: step.kind,
        synced_with: previous.and_then(|p| p.synced_with.clone()),
        last_write: previous.and_then(|p| p.last_write.clone()),
        changes: step.changes.clone(),
        updated_by: step.updated_by.clone(),
        cause: step.cause,
        pull: None,
    };
    let next = match (&step.planned, outcome) {
        (Planned::Kept { .. } | Planned::Delete { .. }, None) => return None,
        (Planned::Unchanged { fingerprint, .. }, _) => Tracked {
            synced_with: Some(fingerprint.clone()),
            changes: Vec::new(),
            ..base
        },
        (
            Planned::Held {
                hold: Hold::BackingOff,
                ..
            },
            _,
        ) => return previous.cloned(),
        (Planned::Held { .. }, _) => Tracked {
            state: BuildState::Drifted,
            ..base
        },
        (Planned::Refused { .. }, _) => Tracked {
            state: BuildState::Refused {
                reason: step.notes.join("; "),
            },
            ..base
        },
        (Planned::Error { problem, .. }, _) => {
            let failure = Failure::new(problem.kind(), step.notes.join("; "));
            failing(previous, failure, now, base)
        }
        (_, Some(status)) => return after_write(previous, step, status, now, revision, base),
        (_, None) => Tracked {
            state: BuildState::Pending {
                reason: "not executed in the last pass".into(),
            },
            ..base
        },
    };
    Some(keep_since(previous, next))
}

/// The state after a write was tried.
fn after_write(
    previous: Option<&Tracked>,
    step: &Step,
    status: &OutcomeStatus,
    now: Now,
    revision: Option<&str>,
    base: Tracked,
) -> Option<Tracked> {
    let written = LastWrite {
        at: now.wall,
        action: step.action(),
        revision: revision.map(str::to_string),
    };
    let deleting = step.action().is_destructive();
    let next = match status {
        OutcomeStatus::Done | OutcomeStatus::AlreadyDone(_) if deleting => return None,
        OutcomeStatus::Done => Tracked {
            synced_with: step.planned.fingerprint().map(str::to_string),
            last_write: Some(Box::new(written)),
            changes: Vec::new(),
            ..base
        },
        OutcomeStatus::AlreadyDone(_) => Tracked {
            changes: Vec::new(),
            ..base
        },
        OutcomeStatus::Unverified(reason) => Tracked {
            state: BuildState::Pending {
                reason: reason.clone(),
            },
            last_write: Some(Box::new(written)),
            ..base
        },
        OutcomeStatus::NotStarted(reason) => Tracked {
            state: BuildState::Pending {
                reason: reason.clone(),
            },
            ..base
        },
        OutcomeStatus::Refused(reason) => Tracked {
            state: BuildState::Refused {
                reason: reason.clone(),
            },
            ..base
        },
        OutcomeStatus::Failed(failure) => failing(previous, failure.clone(), now, base),
    };
    Some(keep_since(previous, next))
}

/// One more failure in a row: held back for the build backoff's wait.
fn failing(previous: Option<&Tracked>, failure: Failure, now: Now, base: Tracked) -> Tracked {
    let attempts = match previous.map(|p| &p.state) {
        Some(BuildState::Failing { attempts, .. }) => attempts.saturating_add(1),
        _ => 1,
    };
    Tracked {
        state: BuildState::Failing {
            attempts,
            not_before: now.at + Backoff::BUILD.wait(attempts),
            last_error: Box::new(failure),
        },
        ..base
    }
}

/// A build that stays in the same kind of state keeps the time it entered it.
fn keep_since(previous: Option<&Tracked>, mut next: Tracked) -> Tracked {
    if let Some(previous) = previous
        && previous.state.as_str() == next.state.as_str()
    {
        next.since = previous.since;
    }
    next
}

impl States {
    pub fn get(&self, build: &BuildId) -> Option<&Tracked> {
        self.builds.get(build)
    }

    /// Sets a build's state in place (its name is copied only when it is new); `None`: the
    /// build is no longer tracked.
    pub fn set(&mut self, build: &BuildId, tracked: Option<Tracked>) {
        match (tracked, self.builds.get_mut(build)) {
            (Some(tracked), Some(slot)) => *slot = tracked,
            (Some(tracked), None) => {
                self.builds.insert(build.clone(), tracked);
            }
            (None, _) => {
                self.builds.remove(build);
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&BuildId, &Tracked)> {
        self.builds.iter()
    }

    /// Keeps the builds the last pass planned: one in no step (gone from the files and from
    /// Zadig) is no longer tracked.
    pub fn keep_only(&mut self, planned: impl Fn(&BuildId) -> bool) {
        self.builds.retain(|build, _| planned(build));
    }

    /// Records a kept build `--prune` would delete; whether it is newly so (to be reported
    /// once, not at every pass). `present` is every such build of this pass.
    pub fn note_prunable(&mut self, present: BTreeSet<BuildId>) -> Vec<BuildId> {
        let new: Vec<BuildId> = present.difference(&self.prunable).cloned().collect();
        self.prunable = present;
        new
    }

    /// Remembers the kept builds among `steps` (the last pass's plan), in place of earlier ones.
    pub fn note_kept(&mut self, steps: &[Step]) {
        self.kept = (steps.iter())
            .filter_map(|step| match step.planned {
                Planned::Kept { prunable, .. } => Some((
                    step.build.clone(),
                    Kept {
                        kind: step.kind,
                        prunable,
                        updated_by: step.updated_by.clone(),
                    },
                )),
                _ => None,
            })
            .collect();
    }

    /// The builds in Zadig that no file describes, as of the last pass that read Zadig.
    pub fn kept(&self) -> &BTreeMap<BuildId, Kept> {
        &self.kept
    }

    /// The files have errors: every write is held until they are fixed.
    pub fn hold_all(&mut self, reason: &str, now: SystemTime) {
        for tracked in self.builds.values_mut() {
            if !matches!(tracked.state, BuildState::Held { .. }) {
                tracked.state = BuildState::Held {
                    reason: reason.to_string(),
                };
                tracked.since = now;
            }
        }
    }

    /// When the daemon must wake for a build whose backoff ends, never sooner than
    /// [`WAKE_FLOOR`] from `now`: no state can make it spin.
    pub fn next_retry(&self, now: Instant) -> Option<Instant> {
        let earliest = self
            .builds
            .values()
            .filter_map(|tracked| match tracked.state {
                BuildState::Failing { not_before, .. } => Some(not_before),
                _ => None,
            })
            .min()?;
        Some(earliest.max(now + WAKE_FLOOR))
    }

    /// How many builds are in each state, in [`BuildState::NAMES`] order.
    pub fn counts(&self) -> [(&'static str, i64); 6] {
        let mut counts = BuildState::NAMES.map(|name| (name, 0));
        for tracked in self.builds.values() {
            if let Some(slot) = counts
                .iter_mut()
                .find(|(n, _)| *n == tracked.state.as_str())
            {
                slot.1 += 1;
            }
        }
        counts
    }

    /// The map as the planner reads it at `now`.
    pub fn history(&self, now: Instant) -> StatesAt<'_> {
        StatesAt { states: self, now }
    }
}

/// The states at one moment: what the planner asks of earlier passes.
pub struct StatesAt<'a> {
    states: &'a States,
    now: Instant,
}

impl History for StatesAt<'_> {
    fn synced_with(&self, build: &BuildId) -> Option<&str> {
        self.states.get(build)?.synced_with.as_deref()
    }

    fn backing_off(&self, build: &BuildId) -> bool {
        matches!(
            self.states.get(build).map(|t| &t.state),
            Some(BuildState::Failing { not_before, .. }) if *not_before > self.now
        )
    }
}

#[cfg(test)]
mod tests;
