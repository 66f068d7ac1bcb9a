//! A saved plan is input from outside: before `apply --plan` writes anything, every guard a
//! fresh plan would apply is derived again from the files, the scope and the flags as they
//! are now, and any step a fresh plan with the same flags could not contain refuses the whole
//! run. Two checks: [`refusals`] from the files alone, before Zadig is read (clear reasons, no
//! request), then [`unplanned`] against a plan made now with the flags the saved plan records
//! (apply also reads each deletion's target again before the first write). From the files:
//! - a write only to a build of a project managed now;
//! - a create, update or replace only of a build a file describes now (its fingerprint is
//!   checked apart, against the files);
//! - a delete only of a build no file describes, only when the plan was made with `--prune`,
//!   and never more than `max_deletes` (`apply --plan`'s flag, else the scope file's).
//!
//! Pure.

use std::collections::BTreeSet;

use crate::reconcile::BuildId;
use crate::reconcile::desired::DesiredSet;
use crate::reconcile::plan::{Action, Plan, Step};

/// What the guards allow now.
#[derive(Debug, Clone)]
pub struct Guards<'a> {
    /// The builds the files describe now.
    pub desired: &'a DesiredSet,
    /// The projects managed now (the scope file's, else the files').
    pub managed: &'a BTreeSet<String>,
    pub max_deletes: usize,
}

/// Why each step of `plan` could not be part of a fresh plan now (none: the plan may run).
pub fn refusals(plan: &Plan, guards: &Guards<'_>) -> Vec<String> {
    let described: BTreeSet<BuildId> = (guards.desired.builds.iter())
        .map(|b| BuildId::new(b.spec.project_key(), b.spec.name()))
        .collect();
    let mut refusals: Vec<String> = (plan.steps.iter())
        .filter(|step| step.action().is_write())
        .filter_map(|step| refusal(step, plan.prune, &described, guards.managed))
        .collect();
    let deletes = plan.count(Action::Delete);
    if deletes > guards.max_deletes {
        refusals.push(format!(
            "it deletes {deletes} builds, more than --max-deletes {} allows",
            guards.max_deletes
        ));
    }
    refusals
}

/// The write steps of `saved` that `fresh` (made now, from the same files, projects and
/// `--prune`) does not hold with the same action and fingerprint, each with why. A deletion
/// of a build Zadig no longer has is not one: it is already done (apply says so).
pub fn unplanned(saved: &Plan, fresh: &Plan) -> Vec<String> {
    let now: std::collections::HashMap<&BuildId, &Step> =
        fresh.steps.iter().map(|s| (&s.build, s)).collect();
    (saved.steps.iter())
        .filter(|step| step.action().is_write())
        .filter_map(|step| {
            let action = step.action();
            let found = now.get(&step.build);
            if action == Action::Delete && found.is_none() {
                return None;
            }
            let same = found.is_some_and(|f| {
                f.action() == action && f.planned.fingerprint() == step.planned.fingerprint()
            });
            (!same).then(|| {
                let now = match found {
                    Some(f) if f.action() == Action::Unchanged => {
                        "Zadig already holds what it would write (was the plan applied already?)"
                            .to_string()
                    }
                    Some(f) if f.action() == action => {
                        "a plan made now has it with other contents".to_string()
                    }
                    Some(f) => format!("a plan made now has `{}` instead", f.action().as_str()),
                    None => "a plan made now has no step for it".to_string(),
                };
                format!("{} {}: {now}", action.as_str(), step.build)
            })
        })
        .collect()
}

/// Why one write step could not be planned now, if it could not.
fn refusal(
    step: &Step,
    prune: bool,
    described: &BTreeSet<BuildId>,
    managed: &BTreeSet<String>,
) -> Option<String> {
    let build = &step.build;
    let action = step.action().as_str();
    if !managed.contains(&build.project) {
        return Some(format!(
            "{action} {build}: project {} is not managed by these files",
            build.project
        ));
    }
    let is_described = described.contains(build);
    if step.action() != Action::Delete {
        return (!is_described).then(|| format!("{action} {build}: no build file describes it"));
    }
    let reasons: Vec<&str> = [
        (!prune, "the plan was made without --prune"),
        (is_described, "a build file describes it"),
    ]
    .into_iter()
    .filter_map(|(applies, reason)| applies.then_some(reason))
    .collect();
    (!reasons.is_empty()).then(|| format!("delete {build}: {}", reasons.join(", and ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::desired::{DesiredBuild, Origin};
    use crate::reconcile::plan::{PLAN_FORMAT_VERSION, Phase, Planned};
    use crate::reconcile::spec::{BuildKind, BuildSpec};

    fn step(name: &str, planned: Planned) -> Step {
        Step {
            build: BuildId::new("shop", name),
            kind: BuildKind::Custom,
            planned,
            cause: None,
            changes: Vec::new(),
            origin: None,
            notes: Vec::new(),
            updated_by: None,
        }
    }

    fn delete(name: &str) -> Step {
        step(name, Planned::Delete { read_at: 1 })
    }

    fn plan(steps: Vec<Step>, prune: bool) -> Plan {
        Plan {
            format_version: PLAN_FORMAT_VERSION,
            projects: vec!["shop".into()],
            steps,
            errors: Vec::new(),
            notes: Vec::new(),
            prune,
        }
    }

    fn described(name: &str) -> DesiredSet {
        let spec: BuildSpec = serde_json::from_value(serde_json::json!({
            "name": name, "project_key": "shop", "infrastructure": "vm",
            "build_os": "ubuntu 20.04", "script_type": "shell", "build_script": "make",
        }))
        .unwrap();
        DesiredSet {
            builds: vec![DesiredBuild {
                spec,
                origin: Origin {
                    path: "a.yaml".into(),
                    line: 1,
                    column: 1,
                },
                inherited: Default::default(),
            }],
            ..DesiredSet::default()
        }
    }

    fn check(plan: &Plan, desired: &DesiredSet, max_deletes: usize) -> Vec<String> {
        let managed = BTreeSet::from(["shop".to_string()]);
        let guards = Guards {
            desired,
            managed: &managed,
            max_deletes,
        };
        refusals(plan, &guards)
    }

    #[test]
    fn a_plan_a_fresh_plan_could_make_passes() {
        let files = described("api");
        let update = step(
            "api",
            Planned::Update {
                fingerprint: "f".into(),
                read_at: 1,
            },
        );
        assert!(check(&plan(vec![update, delete("gone")], true), &files, 5).is_empty());
    }

    #[test]
    fn deletes_of_described_builds_without_prune_or_over_the_limit_are_refused() {
        let files = described("api");
        let refused = check(&plan(vec![delete("api")], true), &files, 5);
        assert_eq!(refused, ["delete shop/api: a build file describes it"]);
        let refused = check(&plan(vec![delete("gone")], false), &files, 5);
        assert_eq!(
            refused,
            ["delete shop/gone: the plan was made without --prune"]
        );
        let many = plan(vec![delete("a"), delete("b"), delete("c")], true);
        let refused = check(&many, &files, 2);
        assert_eq!(
            refused,
            ["it deletes 3 builds, more than --max-deletes 2 allows"]
        );
    }

    #[test]
    fn a_write_a_plan_made_now_would_not_make_is_unplanned() {
        let update = |fingerprint: &str| {
            step(
                "api",
                Planned::Update {
                    fingerprint: fingerprint.into(),
                    read_at: 1,
                },
            )
        };
        let unchanged = step(
            "api",
            Planned::Unchanged {
                fingerprint: "f".into(),
                read_at: 1,
            },
        );
        let saved = plan(vec![update("f"), delete("gone")], true);
        let fresh = plan(vec![unchanged, delete("gone")], true);
        assert_eq!(
            unplanned(&saved, &fresh),
            [
                "update shop/api: Zadig already holds what it would write (was the plan applied already?)"
            ]
        );
        let fresh = plan(vec![update("other")], true);
        assert_eq!(
            unplanned(&saved, &fresh),
            ["update shop/api: a plan made now has it with other contents"],
            "gone is gone already: not a refusal"
        );
        assert!(unplanned(&saved, &saved).is_empty());
    }

    #[test]
    fn writes_outside_the_managed_projects_or_the_files_are_refused() {
        let files = described("api");
        let mut elsewhere = delete("gone");
        elsewhere.build.project = "other".into();
        let create = step(
            "ghost",
            Planned::Create {
                fingerprint: "f".into(),
                phase: Phase::Writes,
            },
        );
        let refused = check(&plan(vec![elsewhere, create], true), &files, 5);
        assert_eq!(
            refused,
            [
                "delete other/gone: project other is not managed by these files",
                "create shop/ghost: no build file describes it"
            ]
        );
    }
}
