//! Ownership is tied to the build the marker names: a script copied from a managed build into a
//! hand-made one does not make the hand-made build ours.

use crate::plan::fixtures::make_plan;
use zadig_sync::reconcile::live::LiveBuild;
use zadig_sync::reconcile::plan::Action;
use zadig_sync::reconcile::plan::make::{DriftPolicy, PlanOptions};
use zadig_sync::reconcile::spec::BuildSpec;

use crate::plan::fixtures::{desired, live_written, minimal_named, project};

const PRUNE: PlanOptions = PlanOptions {
    prune: true,
    max_deletes: 5,
    drift: DriftPolicy::Correct,
};

/// A build `project/name` made by hand whose script (marker included) was copied from the
/// build zadig-sync wrote for `original`.
fn copied_from(original: &BuildSpec, project: &str, name: &str) -> LiveBuild {
    let mut live = live_written(original, 1_700_000_000);
    live.name = name.to_string();
    if let Ok(detail) = live.detail.as_mut() {
        detail.base_mut().name = name.to_string();
        detail.base_mut().project_key = project.to_string();
    }
    live
}

#[test]
fn a_build_carrying_another_builds_marker_is_kept_not_pruned() {
    let original = minimal_named("p", "original");
    let live = [project(
        "p",
        vec![
            live_written(&original, 1),
            copied_from(&original, "p", "copy"),
        ],
    )];
    let plan = make_plan(&desired(vec![original]), &live, &PRUNE);
    let copy = plan
        .steps
        .iter()
        .find(|s| s.build.name == "copy")
        .expect("a step for the copy");
    assert_eq!(copy.action(), Action::Kept, "{copy:?}");
    assert!(
        copy.notes.iter().any(|n| n.contains("build p/original")),
        "{:?}",
        copy.notes
    );
}

#[test]
fn a_marker_naming_the_same_build_in_another_project_is_foreign() {
    let other_project = minimal_named("q", "same-name");
    let live = [project(
        "p",
        vec![copied_from(&other_project, "p", "same-name")],
    )];
    let plan = make_plan(&desired(vec![]), &live, &PRUNE);
    assert_eq!(plan.steps[0].action(), Action::Kept, "{:?}", plan.steps[0]);
    // Kept because the marker belongs to q/same-name, not merely because it is unmarked.
    assert!(
        plan.steps[0]
            .notes
            .iter()
            .any(|n| n.contains("build q/same-name")),
        "{:?}",
        plan.steps[0].notes
    );
}

#[test]
fn a_file_naming_a_build_with_a_foreign_marker_adopts_it_and_rewrites_the_marker() {
    let original = minimal_named("p", "original");
    let live = [project("p", vec![copied_from(&original, "p", "copy")])];
    let plan = make_plan(&desired(vec![minimal_named("p", "copy")]), &live, &PRUNE);
    let step = &plan.steps[0];
    assert_eq!(step.action(), Action::Update, "{step:?}");
    assert_eq!(step.changes.len(), 1, "{:?}", step.changes);
    assert!(step.notes.iter().any(|n| n.starts_with("adopted")));
    assert!(
        step.notes
            .iter()
            .any(|n| n.contains("marker belongs to build p/original")),
        "{:?}",
        step.notes
    );
}

#[test]
fn a_build_carrying_its_own_marker_is_still_pruned() {
    let gone = minimal_named("p", "gone");
    let live = [project("p", vec![live_written(&gone, 1)])];
    let plan = make_plan(&desired(vec![]), &live, &PRUNE);
    assert_eq!(plan.steps[0].action(), Action::Delete);
}
