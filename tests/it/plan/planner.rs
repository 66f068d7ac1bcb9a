//! `make_plan`: the actions, and the safety rules of docs/architecture.md §5.

use crate::plan::fixtures::make_plan;
use zadig_sync::reconcile::live::{LiveBuild, LiveProject, ReadFailure};
use zadig_sync::reconcile::marker::fingerprint;
use zadig_sync::reconcile::plan::make::{DriftPolicy, PlanOptions};
use zadig_sync::reconcile::plan::{Action, Plan};
use zadig_sync::reconcile::spec::BuildKind;

use crate::plan::fixtures::{
    desired, live_unmarked, live_written, minimal_named, project, spec, template_detail,
};

const NO_PRUNE: PlanOptions = PlanOptions {
    prune: false,
    max_deletes: 5,
    drift: DriftPolicy::Correct,
};
const PRUNE: PlanOptions = PlanOptions {
    prune: true,
    max_deletes: 5,
    drift: DriftPolicy::Correct,
};

fn actions(plan: &Plan) -> Vec<(String, Action)> {
    plan.steps
        .iter()
        .map(|s| (format!("{}/{}", s.build.project, s.build.name), s.action()))
        .collect()
}

fn pairs(items: &[(&str, Action)]) -> Vec<(String, Action)> {
    items.iter().map(|(n, a)| (n.to_string(), *a)).collect()
}

#[test]
fn create_update_unchanged() {
    let new = minimal_named("p", "new");
    let same = minimal_named("p", "same");
    let edited = minimal_named("p", "edited");
    let mut live_edited = live_written(&edited, 10);
    if let Ok(detail) = live_edited.detail.as_mut() {
        detail.base_mut().advanced_settings.timeout = 5;
    }
    let live = [project("p", vec![live_written(&same, 11), live_edited])];
    let plan = make_plan(&desired(vec![new.clone(), same, edited]), &live, &NO_PRUNE);
    assert_eq!(
        actions(&plan),
        pairs(&[
            ("p/edited", Action::Update),
            ("p/new", Action::Create),
            ("p/same", Action::Unchanged),
        ])
    );
    let update = &plan.steps[0];
    assert_eq!(update.changes[0].path, "advanced_settings.timeout");
    assert_eq!(update.planned.read_at(), Some(10));
    assert_eq!(
        plan.steps[1].planned.fingerprint(),
        Some(fingerprint(&new).as_str())
    );
    assert_eq!(
        plan.steps[1].origin.as_deref(),
        Some("builds.d/new.yaml:1:1")
    );
    assert!(plan.has_changes());
}

#[test]
fn an_unmarked_build_named_by_a_file_is_adopted_by_an_update() {
    let wanted = minimal_named("p", "hand-made");
    let live = [project("p", vec![live_unmarked("p", "hand-made")])];
    let plan = make_plan(&desired(vec![wanted]), &live, &NO_PRUNE);
    let step = &plan.steps[0];
    assert_eq!(step.action(), Action::Update);
    assert_eq!(step.changes.len(), 1);
    assert_eq!(step.changes[0].old_value(), Some("unmarked"));
    assert!(step.notes[0].starts_with("adopted"), "{:?}", step.notes);
}

#[test]
fn custom_to_template_is_a_replace_converted_in_place() {
    let template = spec("template");
    let mut live_build = live_written(&minimal_named("yaml", "java-svc"), 3);
    live_build.name = "java-svc".into();
    let plan = make_plan(
        &desired(vec![template]),
        &[project("yaml", vec![live_build])],
        &NO_PRUNE,
    );
    let step = &plan.steps[0];
    assert_eq!(step.action(), Action::Replace);
    assert_eq!(step.kind, BuildKind::Template);
    assert!(!step.action().is_destructive(), "nothing is deleted");
    assert!(
        step.notes
            .iter()
            .any(|n| n.contains("converted into a template build in place"))
    );
}

#[test]
fn marked_build_absent_from_files_is_kept_without_prune_and_deleted_with_it() {
    let gone = minimal_named("p", "gone");
    let live = [project("p", vec![live_written(&gone, 1)])];
    let kept = make_plan(&desired(vec![]), &live, &NO_PRUNE);
    assert_eq!(actions(&kept), pairs(&[("p/gone", Action::Kept)]));
    assert!(kept.steps[0].notes[0].contains("--prune"));
    let pruned = make_plan(&desired(vec![]), &live, &PRUNE);
    assert_eq!(actions(&pruned), pairs(&[("p/gone", Action::Delete)]));
    assert_eq!(pruned.steps[0].planned.fingerprint(), None);
}

#[test]
fn unmarked_and_template_builds_are_never_deleted() {
    let template = LiveBuild {
        name: "java-svc".into(),
        update_time: 1,
        detail: Ok(template_detail()),
    };
    let live = [project("p", vec![live_unmarked("p", "manual"), template])];
    let plan = make_plan(&desired(vec![]), &live, &PRUNE);
    assert_eq!(
        actions(&plan),
        pairs(&[("p/java-svc", Action::Kept), ("p/manual", Action::Kept)])
    );
    assert_eq!(plan.steps[0].kind, BuildKind::Template);
    assert!(plan.steps[1].notes[0].contains("no marker"));
}

#[test]
fn a_failed_list_refuses_every_delete_and_errors_its_builds() {
    let gone = minimal_named("p", "gone");
    let live = [
        project("p", vec![live_written(&gone, 1)]),
        LiveProject {
            project: "q".into(),
            listing: Err(ReadFailure::new("status", "page 2 failed: 503")),
        },
    ];
    let plan = make_plan(&desired(vec![minimal_named("q", "wanted")]), &live, &PRUNE);
    assert_eq!(
        actions(&plan),
        pairs(&[("p/gone", Action::Refused), ("q/wanted", Action::Error)])
    );
    assert!(plan.steps[1].notes[0].contains("list of its project failed"));
    assert!(plan.errors[0].contains("project q") && plan.errors[0].contains("page 2 failed"));
    assert!(plan.has_errors());
    assert!(plan.steps[0].notes.iter().any(|n| n.starts_with("refused")));
}

#[test]
fn a_failed_detail_is_an_error_on_that_build_and_refuses_every_delete() {
    let gone = minimal_named("p", "gone");
    let broken = LiveBuild {
        name: "broken".into(),
        update_time: 2,
        detail: Err(ReadFailure::new("status", "500 Internal Error")),
    };
    let ok = minimal_named("p", "ok");
    let live = [project(
        "p",
        vec![live_written(&gone, 1), broken, live_written(&ok, 3)],
    )];
    let plan = make_plan(
        &desired(vec![minimal_named("p", "broken"), ok]),
        &live,
        &PRUNE,
    );
    assert_eq!(
        actions(&plan),
        pairs(&[
            ("p/broken", Action::Error),
            ("p/gone", Action::Refused),
            ("p/ok", Action::Unchanged),
        ])
    );
    assert!(plan.has_errors());
}

#[test]
fn more_deletes_than_allowed_refuses_them_all() {
    let builds: Vec<LiveBuild> = (0..3)
        .map(|i| live_written(&minimal_named("p", &format!("old-{i}")), i))
        .collect();
    let options = PlanOptions {
        prune: true,
        max_deletes: 2,
        drift: DriftPolicy::Correct,
    };
    let plan = make_plan(&desired(vec![]), &[project("p", builds)], &options);
    assert!(plan.steps.iter().all(|s| s.action() == Action::Refused));
    assert!(
        plan.steps[0].notes[1].contains("--max-deletes 3"),
        "{:?}",
        plan.steps[0].notes
    );
}

#[test]
fn a_desired_build_in_a_project_that_was_not_read_is_an_error() {
    let plan = make_plan(&desired(vec![minimal_named("p", "x")]), &[], &NO_PRUNE);
    assert_eq!(actions(&plan), pairs(&[("p/x", Action::Error)]));
}

#[test]
fn steps_are_sorted_destructive_first_then_project_then_name() {
    let live = [
        project("a", vec![live_written(&minimal_named("a", "z-old"), 1)]),
        project("b", vec![live_written(&minimal_named("b", "a-old"), 1)]),
    ];
    let wanted = vec![minimal_named("b", "b-new"), minimal_named("a", "a-new")];
    let plan = make_plan(&desired(wanted), &live, &PRUNE);
    assert_eq!(
        actions(&plan),
        pairs(&[
            ("a/z-old", Action::Delete),
            ("b/a-old", Action::Delete),
            ("a/a-new", Action::Create),
            ("b/b-new", Action::Create),
        ])
    );
    assert_eq!(plan.projects, ["a", "b"]);
}

#[test]
fn a_create_whose_name_another_project_keeps_is_an_error_saying_how_to_move_it() {
    let moved = minimal_named("b", "shared");
    let live = [
        project("a", vec![live_written(&minimal_named("a", "shared"), 1)]),
        project("b", vec![]),
    ];
    let plan = make_plan(&desired(vec![moved]), &live, &NO_PRUNE);
    let create = plan
        .steps
        .iter()
        .find(|s| s.build.project == "b")
        .expect("a step for b/shared");
    assert_eq!(create.action(), Action::Error);
    assert!(create.notes[0].contains("project a already has a build named shared"));
    assert!(create.notes[0].contains("--prune"));
}

#[test]
fn a_build_moved_between_projects_with_prune_is_a_create_after_a_delete() {
    let moved = minimal_named("b", "shared");
    let live = [
        project("a", vec![live_written(&minimal_named("a", "shared"), 1)]),
        project("b", vec![]),
    ];
    let plan = make_plan(&desired(vec![moved]), &live, &PRUNE);
    assert_eq!(
        actions(&plan),
        pairs(&[("a/shared", Action::Delete), ("b/shared", Action::Create)])
    );
    assert!(plan.steps[1].notes[0].contains("moved from project a"));
}

#[test]
fn a_failed_list_of_a_project_with_no_files_is_still_an_error() {
    let live = [LiveProject {
        project: "only-by-flag".into(),
        listing: Err(ReadFailure::new("status", "401 Unauthorized")),
    }];
    let plan = make_plan(&desired(vec![]), &live, &PRUNE);
    assert!(plan.steps.is_empty());
    assert!(
        plan.has_errors(),
        "a plan that could not read a project is not 'no changes'"
    );
    assert!(!zadig_sync::report::plan_text(&plan, false).contains("No changes"));
}

#[test]
fn a_create_lists_its_scheduling_strategy_as_a_field_not_as_a_missing_strategy() {
    // full.json asks for the strategy `优先调度`; nothing exists yet, so nothing is "missing".
    let plan = make_plan(
        &desired(vec![spec("full")]),
        &[project("yaml", vec![])],
        &NO_PRUNE,
    );
    let create = &plan.steps[0];
    assert_eq!(create.action(), Action::Create);
    let strategy = create
        .changes
        .iter()
        .find(|c| c.path == "advanced_settings.strategy_name")
        .expect("the strategy is listed");
    assert_eq!(strategy.new_value(), Some("\"优先调度\""));
    assert!(
        create.notes.iter().all(|n| !n.contains("has no strategy")),
        "{:?}",
        create.notes
    );
}
