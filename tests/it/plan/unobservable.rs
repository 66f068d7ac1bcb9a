//! The fields Zadig never returns, shown from the files: each one a create writes, and the new
//! values behind an update whose only change is the fingerprint. Secrets stay hidden in both.

use crate::plan::fixtures::make_plan;
use serde_json::{Value, json};
use zadig_sync::reconcile::desired::DesiredSet;
use zadig_sync::reconcile::diff::UNOBSERVABLE_PATH;
use zadig_sync::reconcile::live::LiveBuild;
use zadig_sync::reconcile::plan::make::PlanOptions;
use zadig_sync::reconcile::plan::{Action, DriftPolicy, Plan, Step};
use zadig_sync::report::plan_text;

use crate::plan::fixtures::{
    create_body, desired, live_unmarked, minimal_named, project, spec, spec_from, written_detail,
};
use crate::plan::secrets::assert_nowhere;

const NO_PRUNE: PlanOptions = PlanOptions {
    prune: false,
    max_deletes: 5,
    drift: DriftPolicy::Correct,
};

/// full.json's credential parameter `bb` holds this value.
const CREDENTIAL: &str = "abc123";

/// full.json with every field Zadig does not return set to a value that is not the default.
fn full_with_every_unobservable_field() -> Value {
    let mut body = create_body("full");
    body["infrastructure"] = "vm".into();
    body["script_type"] = "batch_file".into();
    body["repo_info"][0]["enable_commit"] = true.into();
    body["repo_info"][0]["commit_id"] = "c0ffee".into();
    body["repo_info"][0]["pr"] = 7.into();
    body["repo_info"][0]["prs"] = json!([7, 8]);
    body["advanced_settings"]["privileged_mode"] = true.into();
    body
}

/// The plan with nothing in Zadig's project: one create.
fn create_plan(body: Value, secrets: &[&str]) -> Plan {
    let set = with_secrets(desired(vec![spec_from(body)]), secrets);
    make_plan(&set, &[project("yaml", vec![])], &NO_PRUNE)
}

/// The plan from Zadig holding full.json as zadig-sync wrote it to the files holding `body`.
fn update_plan(body: Value, secrets: &[&str]) -> Plan {
    let written = spec("full");
    let live = LiveBuild {
        name: written.name().to_string(),
        update_time: 1,
        detail: Ok(written_detail("full", &written)),
    };
    let set = with_secrets(desired(vec![spec_from(body)]), secrets);
    make_plan(&set, &[project("yaml", vec![live])], &NO_PRUNE)
}

fn with_secrets(set: DesiredSet, secrets: &[&str]) -> DesiredSet {
    DesiredSet {
        secrets: secrets.iter().map(|s| s.to_string()).collect(),
        ..set
    }
}

fn only_step(plan: &Plan) -> &Step {
    assert_eq!(plan.steps.len(), 1, "{plan:?}");
    &plan.steps[0]
}

fn added_value<'s>(step: &'s Step, path: &str) -> Option<&'s str> {
    let change = step.changes.iter().find(|c| c.path == path)?;
    assert_eq!(change.old_value(), None, "{change:?}");
    change.new_value()
}

#[test]
fn a_create_shows_every_field_zadig_does_not_return() {
    let plan = create_plan(full_with_every_unobservable_field(), &[]);
    let step = only_step(&plan);
    assert_eq!(step.action(), Action::Create);
    let repo = "repo_info[kr-test-org1/multi-service-demo]";
    let expected = [
        ("infrastructure", "\"vm\"".to_string()),
        ("script_type", "\"batch_file\"".to_string()),
        (&format!("{repo}.codehost_name"), "\"gitlab\"".to_string()),
        (&format!("{repo}.enable_commit"), "true".to_string()),
        (&format!("{repo}.commit_id"), "\"c0ffee\"".to_string()),
        (&format!("{repo}.pr"), "7".to_string()),
        (&format!("{repo}.prs"), "[7,8]".to_string()),
        (
            "parameters[aa].description",
            "\"a multi-select var\"".to_string(),
        ),
        (
            "parameters[aa].choice_option",
            "[\"a\",\"b\",\"c\"]".to_string(),
        ),
        ("parameters[aa].choice_value", "[\"a\",\"b\"]".to_string()),
        (
            "parameters[bb].description",
            "\"a string values\"".to_string(),
        ),
        (
            "advanced_settings.strategy_name",
            "\"优先调度\"".to_string(),
        ),
        ("advanced_settings.privileged_mode", "true".to_string()),
        (
            "advanced_settings.custom_annotations",
            "[{\"key\":\"test-a\",\"value\":\"abc\"}]".to_string(),
        ),
        (
            "advanced_settings.custom_labels",
            "[{\"key\":\"test-a\",\"value\":\"abc\"}]".to_string(),
        ),
    ];
    for (path, value) in expected {
        assert_eq!(added_value(step, path), Some(value.as_str()), "{path}");
    }
    let storages = added_value(step, "advanced_settings.storages").expect("storages shown");
    assert!(
        storages.contains("\"pvc\":\"share-storage-cfs-10\""),
        "{storages}"
    );
    let text = plan_text(&plan, false);
    assert!(
        text.contains("+ advanced_settings.privileged_mode: true"),
        "{text}"
    );
    assert_nowhere(&plan, &[CREDENTIAL]);
}

#[test]
fn a_create_of_a_minimal_build_shows_its_infrastructure_and_script_type_once() {
    let plan = create_plan(create_body("minimal"), &[]);
    let paths: Vec<&str> = only_step(&plan)
        .changes
        .iter()
        .map(|c| c.path.as_str())
        .filter(|p| !p.contains('.') && !p.contains('['))
        .collect();
    assert_eq!(
        paths,
        ["build_os", "build_script", "infrastructure", "script_type"]
    );
}

#[test]
fn a_fingerprint_only_update_names_the_new_values_in_a_note() {
    let mut body = create_body("full");
    body["advanced_settings"]["privileged_mode"] = true.into();
    let plan = update_plan(body, &[]);
    let step = only_step(&plan);
    assert_eq!(step.action(), Action::Update);
    let paths: Vec<&str> = step.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, [UNOBSERVABLE_PATH]);
    assert_eq!(step.notes.len(), 1, "{:?}", step.notes);
    let note = &step.notes[0];
    assert!(
        note.starts_with("Zadig does not return these fields, so their old values are unknown"),
        "{note}"
    );
    assert!(
        note.contains("advanced_settings.privileged_mode: true"),
        "{note}"
    );
    assert!(note.contains("script_type: \"shell\""), "{note}");
    insta::assert_snapshot!("fingerprint_only_update", plan_text(&plan, false));
}

#[test]
fn adopting_an_unmarked_build_with_nothing_else_to_change_lists_them_too() {
    let wanted = minimal_named("p", "hand-made");
    let live = [project("p", vec![live_unmarked("p", "hand-made")])];
    let plan = make_plan(&desired(vec![wanted]), &live, &NO_PRUNE);
    let notes = &only_step(&plan).notes;
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes[0].starts_with("adopted"), "{notes:?}");
    assert!(notes[1].ends_with("the files set: infrastructure: \"vm\", script_type: \"shell\""));
}

#[test]
fn an_update_with_observable_changes_has_no_such_note() {
    let mut body = create_body("full");
    body["advanced_settings"]["privileged_mode"] = true.into();
    body["advanced_settings"]["timeout"] = 45.into();
    let plan = update_plan(body, &[]);
    let step = only_step(&plan);
    let paths: Vec<&str> = step.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, ["advanced_settings.timeout"]);
    assert_eq!(step.notes, Vec::<String>::new());
}

/// full.json with `${env:…}` values in a parameter description, a storage and a label.
fn full_with_env_secrets(label: &str) -> Value {
    let mut body = create_body("full");
    body["parameters"][0]["description"] = "uses desc-tok-555".into();
    let storage = &mut body["advanced_settings"]["storages"]["storages_properties"][0];
    storage["pvc"] = "pvc-tok-987".into();
    body["advanced_settings"]["custom_labels"][0]["value"] = label.into();
    body
}

#[test]
fn secrets_and_credentials_never_appear_in_a_create() {
    let secrets = ["desc-tok-555", "pvc-tok-987", "label-tok-1"];
    let plan = create_plan(full_with_env_secrets("label-tok-1"), &secrets);
    let step = only_step(&plan);
    let labels = added_value(step, "advanced_settings.custom_labels");
    assert_eq!(
        labels,
        Some("[{\"key\":\"test-a\",\"value\":\"(sensitive)\"}]")
    );
    let mut hidden = secrets.to_vec();
    hidden.push(CREDENTIAL);
    assert_nowhere(&plan, &hidden);
}

#[test]
fn secrets_and_credentials_never_appear_in_the_note() {
    // The label changes from full.json's `abc`: a fingerprint-only update.
    let secrets = ["desc-tok-555", "pvc-tok-987", "label-tok-2"];
    let plan = update_plan(full_with_env_secrets("label-tok-2"), &secrets);
    let step = only_step(&plan);
    assert_eq!(step.changes.len(), 1, "{:?}", step.changes);
    let note = step.notes.first().expect("the note");
    assert!(note.contains("\"value\":\"(sensitive)\""), "{note}");
    assert!(note.contains("\"uses (sensitive)\""), "{note}");
    let mut hidden = secrets.to_vec();
    hidden.push(CREDENTIAL);
    assert_nowhere(&plan, &hidden);
}
