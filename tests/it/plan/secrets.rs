//! Values that `${env:…}` references resolved to may be secrets wherever they sit: the plan
//! shows them as `(sensitive)`, and a change hidden by that still shows as a change.

use crate::plan::fixtures::make_plan;
use zadig_sync::reconcile::desired::DesiredSet;
use zadig_sync::reconcile::live::LiveBuild;
use zadig_sync::reconcile::plan::make::{DriftPolicy, PlanOptions};
use zadig_sync::reconcile::plan::{Action, Plan, Step};
use zadig_sync::reconcile::spec::BuildSpec;
use zadig_sync::report::{plan_json, plan_markdown, plan_text};

use crate::plan::fixtures::{create_body, desired, project, spec_from, written_detail};

const NO_PRUNE: PlanOptions = PlanOptions {
    prune: false,
    max_deletes: 5,
    drift: DriftPolicy::Correct,
};

/// full.json with `build_args` and `build_script` as the file sets them.
fn full_with(build_args: &str, script: &str) -> BuildSpec {
    let mut body = create_body("full");
    body["docker_build_step"]["build_args"] = build_args.into();
    body["build_script"] = script.into();
    spec_from(body)
}

/// The plan from Zadig holding `live` (as zadig-sync wrote it) to the files holding `wanted`,
/// with `secrets` resolved.
fn plan(wanted: BuildSpec, live: &BuildSpec, secrets: &[&str]) -> Plan {
    let set = DesiredSet {
        secrets: secrets.iter().map(|s| s.to_string()).collect(),
        ..desired(vec![wanted])
    };
    make_plan(&set, &[project("yaml", vec![full_live(live)])], &NO_PRUNE)
}

/// full.json's detail after zadig-sync wrote `spec`: its script and its `build_args`.
fn full_live(spec: &BuildSpec) -> LiveBuild {
    let mut detail = written_detail("full", spec);
    if let (BuildSpec::Custom(custom), Some(docker)) =
        (spec, detail.base_mut().post_build.docker_build.as_mut())
    {
        let step = custom
            .docker_build_step
            .as_ref()
            .expect("full.json has one");
        docker.build_args = step.build_args.clone();
    }
    LiveBuild {
        name: spec.name().to_string(),
        update_time: 1,
        detail: Ok(detail),
    }
}

fn only_step(plan: &Plan) -> &Step {
    assert_eq!(plan.steps.len(), 1, "{plan:?}");
    &plan.steps[0]
}

/// The plan updates its one build for one change at `path`, with every value withheld.
fn assert_only_a_sensitive_change(plan: &Plan, path: &str) {
    let step = only_step(plan);
    assert_eq!(step.action(), Action::Update);
    assert_eq!(step.changes.len(), 1, "{:?}", step.changes);
    let change = &step.changes[0];
    assert_eq!(change.path, path);
    assert!(change.is_sensitive(), "{change:?}");
    let withheld = (change.old_value(), change.new_value(), change.diff());
    assert_eq!(withheld, (None, None, None));
}

pub fn assert_nowhere(plan: &Plan, secrets: &[&str]) {
    let outputs = [
        plan_json(plan),
        plan_text(plan, false),
        plan_text(plan, true),
        plan_markdown(plan),
    ];
    for output in outputs {
        for secret in secrets {
            assert!(!output.contains(secret), "{secret} in:\n{output}");
        }
    }
}

#[test]
fn a_secret_in_build_args_is_redacted_from_old_and_new() {
    let wanted = full_with("--build-arg TOKEN=npm-tok-123 --build-arg A=2", "make");
    let live = full_with("--build-arg TOKEN=npm-tok-123 --build-arg A=1", "make");
    let plan = plan(wanted, &live, &["npm-tok-123"]);
    let change = &only_step(&plan).changes[0];
    assert_eq!(change.path, "docker_build_step.build_args");
    assert_eq!(
        change.new_value(),
        Some("\"--build-arg TOKEN=(sensitive) --build-arg A=2\"")
    );
    assert!(!change.is_sensitive());
    assert_nowhere(&plan, &["npm-tok-123"]);
}

#[test]
fn a_change_only_inside_a_secret_is_still_a_change_marked_sensitive() {
    let wanted = full_with("--build-arg TOKEN=tok-new", "make");
    let live = full_with("--build-arg TOKEN=tok-old", "make");
    let plan = plan(wanted, &live, &["tok-new", "tok-old"]);
    assert_only_a_sensitive_change(&plan, "docker_build_step.build_args");
    assert!(plan_text(&plan, false).contains("(sensitive value changed)"));
    assert_nowhere(&plan, &["tok-new", "tok-old"]);
}

#[test]
fn a_secret_in_the_script_is_redacted_from_the_diff_even_across_lines() {
    let key = "-----BEGIN KEY-----\nMIIEpAIBAAKCAQEA\n-----END KEY-----";
    let wanted = full_with("", &format!("echo '{key}' > k\nmake all"));
    let live = full_with("", &format!("echo '{key}' > k\nmake"));
    let plan = plan(wanted, &live, &[key]);
    let change = &only_step(&plan).changes[0];
    let diff = change.diff().expect("a script diff");
    assert!(diff.contains("+make all"), "{diff}");
    assert_nowhere(&plan, &["MIIEpAIBAAKCAQEA"]);
}

#[test]
fn a_script_that_differs_only_inside_a_secret_is_a_sensitive_change() {
    let wanted = full_with("", "login --token tok-new\nmake");
    let live = full_with("", "login --token tok-old\nmake");
    let plan = plan(wanted, &live, &["tok-new", "tok-old"]);
    assert_only_a_sensitive_change(&plan, "build_script");
    assert_nowhere(&plan, &["tok-new", "tok-old"]);
}

#[test]
fn a_secret_with_characters_json_escapes_is_redacted_from_rendered_values() {
    let secret = "a\"b\\c";
    let wanted = full_with(&format!("--build-arg T={secret} x"), "make");
    let live = full_with("--build-arg T=plain", "make");
    let plan = plan(wanted, &live, &[secret]);
    assert_nowhere(&plan, &[secret, "a\\\"b\\\\c"]);
}

#[test]
fn a_create_lists_its_fields_without_credentials_or_secrets() {
    // full.json's `bb` is a credential parameter (`abc123`); the script carries an env secret.
    let wanted = full_with("--build-arg TOKEN=npm-tok-123", "echo npm-tok-123\nmake");
    let set = DesiredSet {
        secrets: vec!["npm-tok-123".to_string()],
        ..desired(vec![wanted])
    };
    let plan = make_plan(&set, &[project("yaml", vec![])], &NO_PRUNE);
    let step = only_step(&plan);
    assert_eq!(step.action(), Action::Create);
    let paths: Vec<&str> = step.changes.iter().map(|c| c.path.as_str()).collect();
    for expected in [
        "build_os",
        "build_script",
        "parameters[bb]",
        "docker_build_step",
    ] {
        assert!(
            paths.contains(&expected),
            "{expected} missing from {paths:?}"
        );
    }
    assert!(
        step.changes.iter().all(|c| c.old_value().is_none()),
        "{:?}",
        step.changes
    );
    assert!(plan_text(&plan, false).contains("+ build_script:\n          +echo (sensitive)"));
    assert_nowhere(&plan, &["npm-tok-123", "abc123"]);
}

/// Regression (a new user's report): the API token was blanked from the spec before hashing,
/// by text search, so with a short token every matching letter of the spec was blanked and
/// the same files planned an update whenever the token changed. The token (here `T`, among the
/// values to redact) is no input to the fingerprint: the build written with another token is
/// unchanged.
#[test]
fn a_short_api_token_changes_no_fingerprint() {
    let spec = full_with("--build-arg A=1", "TEST T");
    let live = project("yaml", vec![full_live(&spec)]);
    for token in ["T", "ops-token", "TEST"] {
        let secrets = zadig_sync::reconcile::redact::Secrets::new(&[token.to_string()]);
        let plan = zadig_sync::reconcile::plan::make_plan(
            &desired(vec![spec.clone()]),
            std::slice::from_ref(&live),
            &NO_PRUNE,
            &zadig_sync::reconcile::plan::NoHistory,
            &secrets,
        );
        assert_eq!(
            only_step(&plan).action(),
            Action::Unchanged,
            "token {token}: {plan:?}"
        );
    }
}
