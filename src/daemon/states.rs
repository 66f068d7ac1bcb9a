//! What a pass did, build by build: each build's state after the pass (in sync, drifted,
//! failed, refused) for `zadig_sync_builds` and the in-sync memory, and the log line and the
//! counter of each change applied. Reads the plan and the apply report; writes only logs and
//! metrics.

use std::collections::{HashMap, HashSet};

use tracing::{info, warn};

use crate::apply::outcome::{ApplyReport, OutcomeStatus};
use crate::daemon::http::Status;
use crate::daemon::memory::BuildKey;
use crate::reconcile::plan::{Action, Plan, Step};
use crate::reconcile::spec::BuildKind;

/// A build's key borrowed from a step, for the maps a pass builds and drops (5,000 builds
/// would otherwise mean 10,000 short-lived strings per map).
pub type KeyRef<'a> = (&'a str, &'a str);

pub fn key_of(step: &Step) -> KeyRef<'_> {
    (step.project.as_str(), step.name.as_str())
}

/// Builds by state after a pass.
#[derive(Debug, Default, PartialEq)]
pub struct StateCounts {
    pub in_sync: i64,
    pub drifted: i64,
    pub failed: i64,
    pub refused: i64,
}

impl StateCounts {
    fn add(&mut self, state: &str) {
        match state {
            "in_sync" => self.in_sync += 1,
            "drifted" => self.drifted += 1,
            "refused" => self.refused += 1,
            _ => self.failed += 1,
        }
    }

    /// Sets `zadig_sync_builds`.
    pub fn publish(&self, status: &Status) {
        use crate::daemon::metrics::StateLabel;
        let builds = &status.metrics.builds;
        for (state, value) in [
            ("in_sync", self.in_sync),
            ("drifted", self.drifted),
            ("failed", self.failed),
            ("refused", self.refused),
        ] {
            builds.get_or_create(&StateLabel { state }).set(value);
        }
    }
}

/// The states of a pass, and the fingerprint each template build is in sync with (or, when
/// drifted, was last in sync with and the files still want).
#[derive(Debug, Default)]
pub struct PassStates {
    pub counts: StateCounts,
    /// Template builds only: a custom build's marker says the same.
    pub in_sync: HashMap<BuildKey, String>,
}

/// Each planned build's state once `report` (the execution of `runnable`, the part of `plan`
/// that was run) is known. Kept builds are not counted.
pub fn classify(
    plan: &Plan,
    report: &ApplyReport,
    drifted: &HashSet<BuildKey>,
    runnable: &Plan,
) -> PassStates {
    let outcomes: HashMap<KeyRef, &OutcomeStatus> = report
        .outcomes
        .iter()
        .map(|o| ((o.project.as_str(), o.name.as_str()), &o.status))
        .collect();
    let attempted: HashSet<KeyRef> = runnable.steps.iter().map(key_of).collect();
    let mut states = PassStates::default();
    for step in &plan.steps {
        let key = key_of(step);
        let owned = || (key.0.to_string(), key.1.to_string());
        let state = match (step.action, outcomes.get(&key).copied()) {
            (Action::Unchanged, _) => "in_sync",
            (_, Some(OutcomeStatus::Done)) => "in_sync",
            (_, Some(OutcomeStatus::Refused(_))) | (Action::Refused, _) => "refused",
            (_, Some(_)) | (Action::Error, _) => "failed",
            (Action::Kept, None) => continue,
            _ if drifted.contains(&owned()) => "drifted",
            _ if !attempted.contains(&key) => "failed",
            _ => continue,
        };
        // A drifted build (reported, not written) was last in sync with what the files still
        // want: remembering it keeps it drift at the next pass, not an ordinary update that
        // `--drift report` would then write.
        let remembered = matches!(state, "in_sync" | "drifted");
        if let (Some(fingerprint), true) = (&step.desired_fingerprint, remembered)
            && step.kind == BuildKind::Template
        {
            states.in_sync.insert(owned(), fingerprint.clone());
        }
        states.counts.add(state);
    }
    states
}

/// One line per change applied and per failure, naming the build and the fields.
pub fn log_outcomes(plan: &Plan, report: &ApplyReport) {
    let steps: HashMap<KeyRef, &Step> = plan.steps.iter().map(|s| (key_of(s), s)).collect();
    for outcome in &report.outcomes {
        let step = steps.get(&(outcome.project.as_str(), outcome.name.as_str()));
        let fields = step.map(|step| fields(step)).unwrap_or_default();
        let (project, build, action) = (&outcome.project, &outcome.name, outcome.action.as_str());
        match &outcome.status {
            OutcomeStatus::Done => info!(%project, %build, action, %fields, "applied"),
            OutcomeStatus::Unverified(reason) => {
                warn!(%project, %build, action, %fields, %reason, "written but not verified")
            }
            OutcomeStatus::Refused(reason) => warn!(%project, %build, action, %reason, "refused"),
            OutcomeStatus::Failed(reason) => warn!(%project, %build, action, %reason, "failed"),
        }
    }
}

/// `zadig_sync_changes_applied_total`: the writes that succeeded, by action.
pub fn count_changes(status: &Status, report: &ApplyReport) {
    use crate::daemon::metrics::ActionLabel;
    for outcome in &report.outcomes {
        let action = match outcome.action {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            _ => continue,
        };
        if outcome.status == OutcomeStatus::Done {
            status
                .metrics
                .changes
                .get_or_create(&ActionLabel { action })
                .inc();
        }
    }
}

/// The changed fields' paths (never their values).
pub fn fields(step: &Step) -> String {
    let paths: Vec<&str> = step.changes.iter().map(|c| c.path.as_str()).collect();
    paths.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::outcome::StepOutcome;
    use crate::reconcile::plan::{PLAN_FORMAT_VERSION, Phase};

    fn step(name: &str, action: Action, kind: BuildKind) -> Step {
        Step {
            project: "p".into(),
            name: name.into(),
            action,
            kind,
            changes: Vec::new(),
            phase: Phase::Writes,
            live_update_time: Some(1),
            desired_fingerprint: (action != Action::Kept).then(|| format!("fp-{name}")),
            origin: None,
            notes: Vec::new(),
        }
    }

    fn plan(steps: Vec<Step>) -> Plan {
        Plan {
            format_version: PLAN_FORMAT_VERSION,
            projects: vec!["p".into()],
            steps,
            errors: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn outcome(name: &str, action: Action, status: OutcomeStatus) -> StepOutcome {
        StepOutcome {
            project: "p".into(),
            name: name.into(),
            action,
            status,
        }
    }

    #[test]
    fn every_planned_build_gets_one_state_and_kept_ones_none() {
        use Action::*;
        let custom = BuildKind::Custom;
        let whole = plan(vec![
            step("same", Unchanged, custom),
            step("fixed", Update, custom),
            step("broken", Update, custom),
            step("refused", Delete, custom),
            step("drifted", Update, custom),
            step("backing-off", Update, custom),
            step("other", Kept, custom),
        ]);
        let runnable = plan(vec![
            step("fixed", Update, custom),
            step("broken", Update, custom),
            step("refused", Delete, custom),
        ]);
        let report = ApplyReport {
            outcomes: vec![
                outcome("fixed", Update, OutcomeStatus::Done),
                outcome("broken", Update, OutcomeStatus::Failed("500".into())),
                outcome("refused", Delete, OutcomeStatus::Refused("list".into())),
            ],
        };
        let drifted = HashSet::from([("p".to_string(), "drifted".to_string())]);
        let states = classify(&whole, &report, &drifted, &runnable);
        let expected = StateCounts {
            in_sync: 2,
            drifted: 1,
            failed: 2,
            refused: 1,
        };
        assert_eq!(states.counts, expected);
        assert!(states.in_sync.is_empty(), "custom builds carry a marker");
    }

    #[test]
    fn template_builds_in_sync_are_remembered_with_their_fingerprint() {
        let whole = plan(vec![
            step("t", Action::Unchanged, BuildKind::Template),
            step("c", Action::Unchanged, BuildKind::Custom),
        ]);
        let states = classify(
            &whole,
            &ApplyReport::default(),
            &HashSet::new(),
            &plan(vec![]),
        );
        let key = ("p".to_string(), "t".to_string());
        assert_eq!(states.in_sync, HashMap::from([(key, "fp-t".to_string())]));
    }

    // With `--drift report`, a drifted template build is not written; forgetting what it was in
    // sync with would make it an ordinary update at the next pass, and written.
    #[test]
    fn a_reported_template_drift_stays_drift_at_the_next_pass() {
        let whole = plan(vec![
            step("t", Action::Update, BuildKind::Template),
            step("failed", Action::Update, BuildKind::Template),
        ]);
        let runnable = plan(vec![step("failed", Action::Update, BuildKind::Template)]);
        let report = ApplyReport {
            outcomes: vec![outcome(
                "failed",
                Action::Update,
                OutcomeStatus::Failed("500".into()),
            )],
        };
        let drifted = HashSet::from([("p".to_string(), "t".to_string())]);
        let states = classify(&whole, &report, &drifted, &runnable);
        assert_eq!(states.counts.drifted, 1);
        let key = ("p".to_string(), "t".to_string());
        assert_eq!(states.in_sync, HashMap::from([(key, "fp-t".to_string())]));
    }
}
