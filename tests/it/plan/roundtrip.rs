//! A build created from a file and read back compares equal to that file; an edit made in
//! Zadig's UI shows as a change back to the file's value.

use crate::plan::fixtures::diff;
use zadig_sync::reconcile::diff::{UNOBSERVABLE_PATH, compare};
use zadig_sync::reconcile::marker::fingerprint;
use zadig_sync::reconcile::normalize::{from_live, from_spec};

use crate::plan::fixtures::{
    create_body, custom_detail, spec, spec_from, template_detail, written_detail,
};

const CUSTOM_FIXTURES: [&str; 3] = ["full", "minimal", "advanced-without-spec"];

#[test]
fn fixture_detail_without_marker_differs_only_by_the_fingerprint() {
    for name in CUSTOM_FIXTURES {
        let spec = spec(name);
        let changes = diff(&from_spec(&spec), &from_live(&custom_detail(name)));
        assert_eq!(changes.len(), 1, "{name}: {changes:#?}");
        assert_eq!(changes[0].path, UNOBSERVABLE_PATH, "{name}");
        assert_eq!(changes[0].old_value(), Some("unmarked"), "{name}");
        assert_eq!(
            changes[0].new_value(),
            Some(fingerprint(&spec).as_str()),
            "{name}"
        );
    }
}

#[test]
fn fixture_detail_with_marker_compares_equal() {
    for name in CUSTOM_FIXTURES {
        let spec = spec(name);
        let comparison = compare(&from_live(&written_detail(name, &spec)), &from_spec(&spec));
        assert_eq!(comparison.differences, vec![], "{name}");
        let expected_notes = usize::from(name == "advanced-without-spec");
        assert_eq!(
            comparison.notes.len(),
            expected_notes,
            "{name}: {comparison:?}"
        );
    }
}

#[test]
fn unknown_strategy_is_a_note_not_a_change() {
    let spec = spec("advanced-without-spec");
    let live = written_detail("advanced-without-spec", &spec);
    let comparison = compare(&from_live(&live), &from_spec(&spec));
    assert!(comparison.differences.is_empty());
    assert!(
        comparison.notes[0].contains("no-such-strategy"),
        "{comparison:?}"
    );
}

#[test]
fn default_strategy_and_cluster_of_a_file_without_advanced_settings_are_not_compared() {
    let spec = spec("minimal");
    let mut live = written_detail("minimal", &spec);
    live.base_mut().advanced_settings.strategy_name = "优先调度".into();
    live.base_mut().advanced_settings.cluster_name = "another-cluster".into();
    assert_eq!(diff(&from_spec(&spec), &from_live(&live)), vec![]);
}

#[test]
fn template_round_trip_compares_equal_and_notes_the_dropped_input() {
    let spec = spec("template");
    let comparison = compare(&from_live(&template_detail()), &from_spec(&spec));
    assert_eq!(comparison.differences, vec![]);
    assert_eq!(
        comparison.notes,
        vec![
            "target_services[billing/billing].inputs[NOT_IN_TEMPLATE]: the template does not \
             define input NOT_IN_TEMPLATE; Zadig drops it"
                .to_string()
        ]
    );
}

/// The changes from the template fixture's detail to the file made of `body`.
fn changes_from_template_fixture(
    body: serde_json::Value,
) -> Vec<zadig_sync::reconcile::plan::FieldChange> {
    diff(&from_spec(&spec_from(body)), &from_live(&template_detail()))
}

#[test]
fn template_input_value_change_is_reported_on_its_path() {
    let mut body = create_body("template");
    body["target_services"][0]["inputs"][0]["value"] = "17".into();
    let changes = changes_from_template_fixture(body);
    let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        paths,
        ["target_services[billing/billing].inputs[JAVA_VERSION].value"]
    );
    assert_eq!(changes[0].old_value(), Some("\"21\""));
    assert_eq!(changes[0].new_value(), Some("\"17\""));
}

#[test]
fn template_changes_on_name_service_and_repo() {
    let mut body = create_body("template");
    body["template_name"] = "go-template".into();
    body["target_services"][0]["repo_info"][0]["branch"] = "main".into();
    body["target_services"]
        .as_array_mut()
        .expect("list")
        .push(serde_json::json!({"service_name": "orders", "service_module": "orders"}));
    let changes = changes_from_template_fixture(body);
    let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "template_name",
            "target_services[billing/billing].repo_info[shop/billing].branch",
            "target_services[orders/orders]",
        ]
    );
}

#[test]
fn ui_edit_of_an_observable_field_shows_as_a_change_back_to_the_file() {
    let spec = spec("full");
    let mut live = written_detail("full", &spec);
    live.base_mut().advanced_settings.timeout = 99;
    live.base_mut().build_env.installs[0].version = "1.22.0".into();
    let changes = diff(&from_spec(&spec), &from_live(&live));
    let summary: Vec<(&str, Option<&str>, Option<&str>)> = changes
        .iter()
        .map(|c| (c.path.as_str(), c.old_value(), c.new_value()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                "installs[go].version",
                Some("\"1.22.0\""),
                Some("\"1.20.7\"")
            ),
            ("advanced_settings.timeout", Some("99"), Some("30")),
        ]
    );
}

#[test]
fn ui_edit_of_the_script_above_the_marker_is_a_script_diff() {
    let spec = spec("minimal");
    let mut live = written_detail("minimal", &spec);
    live.base_mut().build_script = format!("make clean\n{}", live.base_mut().build_script);
    let changes = diff(&from_spec(&spec), &from_live(&live));
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0].path, "build_script");
    let unified = changes[0].diff().expect("a script change carries a diff");
    assert!(unified.contains("-make clean\n"), "{unified}");
}

#[test]
fn ui_edit_of_a_credential_is_sensitive_and_withheld() {
    let spec = spec("full");
    let mut live = written_detail("full", &spec);
    live.base_mut().parameters[1].value = "changed-in-ui".into();
    let changes = diff(&from_spec(&spec), &from_live(&live));
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].path, "parameters[bb].default_value");
    assert!(changes[0].is_sensitive());
    assert_eq!(
        (changes[0].old_value(), changes[0].new_value()),
        (None, None)
    );
}

#[test]
fn reordered_lists_are_not_a_change() {
    let mut body = create_body("full");
    body["parameters"].as_array_mut().expect("list").reverse();
    body["services"].as_array_mut().expect("list").reverse();
    let original = spec("full");
    let reordered = spec_from(body);
    assert_eq!(fingerprint(&original), fingerprint(&reordered));
    let live = written_detail("full", &original);
    assert_eq!(diff(&from_spec(&reordered), &from_live(&live)), vec![]);
}

#[test]
fn kind_change_is_one_change_on_kind() {
    let changes = diff(
        &from_spec(&spec("template")),
        &from_live(&custom_detail("minimal")),
    );
    let summary: Vec<_> = changes
        .iter()
        .map(|c| (c.path.as_str(), c.new_value()))
        .collect();
    assert_eq!(summary, [("kind", Some("\"template\""))]);
}
