//! Snapshots of the three outputs for plans holding every action, and the promise that a
//! credential's value never appears in any of them.

use crate::plan::fixtures::make_plan;
use zadig_sync::reconcile::live::{LiveBuild, LiveProject, ReadFailure};
use zadig_sync::reconcile::marker::request_body;
use zadig_sync::reconcile::plan::make::PlanOptions;
use zadig_sync::reconcile::plan::{Action, DriftPolicy, Plan};
use zadig_sync::reconcile::spec::BuildSpec;
use zadig_sync::report::plan::plan_text_styled;
use zadig_sync::report::{Style, plan_json, plan_markdown, plan_text};

use crate::plan::fixtures::{
    create_body, desired, live_unmarked, live_written, minimal_named, project, spec, spec_from,
    written_detail,
};

const SECRET: &str = "s3cr3t-value";

/// full.json with a credential that differs from Zadig's and a new credential parameter.
fn full_with_secrets() -> BuildSpec {
    let mut body = create_body("full");
    body["parameters"][1]["default_value"] = SECRET.into();
    body["parameters"]
        .as_array_mut()
        .expect("list")
        .push(serde_json::json!({"key": "TOKEN", "default_value": SECRET, "is_credential": true}));
    body["advanced_settings"]["timeout"] = 45.into();
    body["build_script"] =
        "#!/bin/bash\nset -e\necho 'hello from files'\ncd $REPONAME_0\nmake build-$SERVICE".into();
    spec_from(body)
}

/// Zadig's side of full.json: written by zadig-sync, then its credential edited in the UI.
fn full_live() -> LiveBuild {
    let mut detail = written_detail("full", &spec("full"));
    detail.base_mut().parameters[1].value = format!("old-{SECRET}");
    LiveBuild {
        name: "api-test".into(),
        update_time: 1_764_115_200,
        detail: Ok(detail),
    }
}

/// create, update (with a script diff and credentials), replace, delete, unchanged, kept.
fn every_action_plan() -> Plan {
    let same = minimal_named("yaml", "same");
    let gone = minimal_named("yaml", "gone");
    let mut custom_java = live_written(&minimal_named("yaml", "java-svc"), 5);
    custom_java.name = "java-svc".into();
    let live = [project(
        "yaml",
        vec![
            full_live(),
            live_written(&same, 7),
            live_written(&gone, 8),
            live_unmarked("yaml", "hand-made"),
            custom_java,
        ],
    )];
    let files = vec![
        full_with_secrets(),
        minimal_named("yaml", "new"),
        same,
        spec("template"),
    ];
    let options = PlanOptions {
        prune: true,
        max_deletes: 5,
        drift: DriftPolicy::Correct,
    };
    make_plan(&desired(files), &live, &options)
}

/// error, refused, and a project-level warning.
fn failing_plan() -> Plan {
    let gone = minimal_named("yaml", "gone");
    let broken = LiveBuild {
        name: "broken".into(),
        update_time: 9,
        detail: Err(ReadFailure::new(
            "status",
            "GET /openapi/build/broken/detail: 500",
        )),
    };
    let live = [
        project("yaml", vec![live_written(&gone, 8), broken]),
        LiveProject {
            project: "web".into(),
            listing: Err(ReadFailure::new("status", "total 12, read 10")),
        },
    ];
    let options = PlanOptions {
        prune: true,
        max_deletes: 5,
        drift: DriftPolicy::Correct,
    };
    make_plan(
        &desired(vec![minimal_named("yaml", "broken")]),
        &live,
        &options,
    )
}

#[test]
fn every_action_is_present() {
    let plan = every_action_plan();
    let mut seen: Vec<Action> = plan.steps.iter().map(|s| s.action()).collect();
    seen.sort();
    seen.dedup();
    use Action::*;
    assert_eq!(seen, [Create, Update, Replace, Delete, Unchanged, Kept]);
    let failing: Vec<Action> = failing_plan().steps.iter().map(|s| s.action()).collect();
    assert_eq!(failing, [Error, Refused]);
}

#[test]
fn text_snapshot() {
    insta::assert_snapshot!("text", plan_text(&every_action_plan(), false));
    insta::assert_snapshot!("text_failing", plan_text(&failing_plan(), false));
}

#[test]
fn text_colour_snapshot() {
    let text = plan_text(&every_action_plan(), true);
    assert!(text.contains("\u{1b}[35m  ~ yaml/java-svc"));
    insta::assert_snapshot!("text_colour", text);
}

#[test]
fn text_without_colour_has_no_escape_codes() {
    assert!(!plan_text(&every_action_plan(), false).contains('\u{1b}'));
}

#[test]
fn no_changes_says_so() {
    let same = minimal_named("yaml", "same");
    let plan = make_plan(
        &desired(vec![same.clone()]),
        &[project("yaml", vec![live_written(&same, 1)])],
        &PlanOptions {
            prune: false,
            max_deletes: 5,
            drift: DriftPolicy::Correct,
        },
    );
    assert_eq!(
        plan_text(&plan, false),
        "No changes. Zadig matches the files.\n"
    );
}

/// Builds in Zadig that no file describes are counted in one sentence, not one block each,
/// and then Zadig does not "match the files"; `--show-kept` lists them.
#[test]
fn kept_builds_are_counted_and_listed_on_request() {
    let same = minimal_named("yaml", "same");
    let live = [project(
        "yaml",
        vec![
            live_written(&same, 1),
            live_unmarked("yaml", "hand-made"),
            live_unmarked("yaml", "other"),
        ],
    )];
    let options = PlanOptions {
        prune: false,
        max_deletes: 5,
        drift: DriftPolicy::Correct,
    };
    let plan = make_plan(&desired(vec![same]), &live, &options);
    insta::assert_snapshot!(plan_text(&plan, false), @r"
    No changes to the builds these files describe.
    2 builds in Zadig are not managed by these files (--show-kept lists them).
    ");
    let shown = Style {
        show_kept: true,
        ..Style::default()
    };
    let listed = plan_text_styled(&plan, &shown);
    assert!(
        listed.contains("= yaml/hand-made (custom): kept"),
        "{listed}"
    );
    assert!(listed.contains("= yaml/other (custom): kept"), "{listed}");
    assert!(
        listed.ends_with("2 builds in Zadig are not managed by these files.\n"),
        "{listed}"
    );
    let markdown = plan_markdown(&plan);
    assert!(!markdown.contains("hand-made"), "{markdown}");
    assert!(
        markdown.contains("2 builds in Zadig are not managed"),
        "{markdown}"
    );

    let one = make_plan(
        &desired(vec![]),
        &[project("yaml", vec![live_unmarked("yaml", "hand-made")])],
        &options,
    );
    assert!(
        plan_text(&one, false).contains("1 build in Zadig is not managed by these files"),
        "{}",
        plan_text(&one, false)
    );
}

#[test]
fn a_build_name_from_zadig_cannot_drive_the_terminal() {
    // A build made in Zadig's UI, not in the files: its name is printed in a "kept" step.
    let hostile = minimal_named("yaml", "evil\u{1b}[2Jname");
    let plan = make_plan(
        &desired(vec![]),
        &[project("yaml", vec![live_written(&hostile, 1)])],
        &PlanOptions {
            prune: false,
            max_deletes: 5,
            drift: DriftPolicy::Correct,
        },
    );
    let shown = Style {
        show_kept: true,
        ..Style::default()
    };
    let text = plan_text_styled(&plan, &shown);
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert!(text.contains("yaml/evil\\u{1b}[2Jname"), "{text}");
}

#[test]
fn json_snapshot() {
    let json = plan_json(&every_action_plan());
    assert!(json.starts_with("{\n  \"format_version\": 2,"), "{json}");
    let parsed: Plan = serde_json::from_str(&json).expect("the JSON plan reads back");
    assert_eq!(parsed, every_action_plan());
    insta::assert_snapshot!("json", json);
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!("markdown", plan_markdown(&every_action_plan()));
    insta::assert_snapshot!("markdown_failing", plan_markdown(&failing_plan()));
}

#[test]
fn a_credential_value_never_appears_in_any_output() {
    for plan in [every_action_plan(), failing_plan()] {
        for output in [
            plan_text(&plan, false),
            plan_text(&plan, true),
            plan_json(&plan),
            plan_markdown(&plan),
        ] {
            assert!(!output.contains("s3cr3t"), "{output}");
        }
    }
    let BuildSpec::Custom(sent) = request_body(&full_with_secrets()) else {
        panic!("full.json is a custom build");
    };
    let marker = sent.build_script.lines().last().expect("a marker line");
    assert!(
        marker.contains("spec=sha256:") && !marker.contains("s3cr3t"),
        "{marker}"
    );
}

#[test]
fn an_unchanged_build_with_a_note_is_shown() {
    let template = spec("template");
    let live = LiveBuild {
        name: "java-svc".into(),
        update_time: 1,
        detail: Ok(crate::plan::fixtures::template_detail()),
    };
    let options = PlanOptions {
        prune: false,
        max_deletes: 5,
        drift: DriftPolicy::Correct,
    };
    let plan = make_plan(
        &desired(vec![template]),
        &[project("yaml", vec![live])],
        &options,
    );
    assert_eq!(plan.steps[0].action(), Action::Unchanged);
    let text = plan_text(&plan, false);
    assert!(
        text.contains("yaml/java-svc (template): unchanged"),
        "{text}"
    );
    assert!(text.contains("NOT_IN_TEMPLATE"), "{text}");
    assert!(
        text.ends_with("No changes. Zadig matches the files.\n"),
        "{text}"
    );
}

#[test]
fn debug_of_a_canonical_build_redacts_credentials() {
    let canonical = zadig_sync::reconcile::normalize::from_spec(&full_with_secrets());
    let debug = format!("{canonical:?}");
    assert!(!debug.contains("s3cr3t"), "{debug}");
    assert!(debug.contains("(sensitive)"));
}

/// A build whose name and script came from Zadig with ESC sequences, CR, newlines and pipes.
fn hostile_plan() -> Plan {
    let same = minimal_named("yaml", "same");
    let mut edited = live_written(&same, 7);
    if let Ok(detail) = &mut edited.detail {
        let base = detail.base_mut();
        base.build_script = format!("echo \u{1b}]0;owned\u{7}\u{1b}[2J\r\n{}", base.build_script);
    }
    let evil = "evil\u{1b}[2J|\n| injected | row |\rx";
    let marked_evil = live_written(&minimal_named("yaml", evil), 8);
    let live = [project("yaml", vec![edited, marked_evil])];
    let options = PlanOptions {
        prune: true,
        max_deletes: 5,
        drift: DriftPolicy::Correct,
    };
    make_plan(&desired(vec![same]), &live, &options)
}

#[test]
fn strings_from_zadig_are_escaped_for_each_output() {
    let plan = hostile_plan();
    assert!(plan.steps.iter().any(|s| s.action() == Action::Delete));
    let text = plan_text(&plan, false);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\r') && !text.contains('\u{7}'),
        "{text}"
    );
    assert!(
        text.contains("\\u{1b}]0;owned"),
        "the sequence is shown, inert: {text}"
    );
    let markdown = plan_markdown(&plan);
    assert!(
        !markdown.contains('\u{1b}') && !markdown.contains('\r'),
        "{markdown}"
    );
    let rows = markdown.lines().filter(|l| l.starts_with('|')).count();
    let shown = plan.steps.iter().filter(|s| s.action().is_write()).count();
    assert_eq!(rows, 2 + shown, "one table row per step:\n{markdown}");
    let json: serde_json::Value = serde_json::from_str(&plan_json(&plan)).expect("valid JSON");
    assert!(json.to_string().contains("evil"));
}
