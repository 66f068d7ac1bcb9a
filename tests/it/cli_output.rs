//! What the real binary prints (exit code, stdout, stderr as snapshots): creates that show
//! what the file sets, kept builds counted, invalid files in every `--output`, colour, an
//! empty build directory, failed steps naming their file.

use std::process::Output;

use crate::util::cli::{
    Emulator, TOKEN, apply, command, failed, succeeded, transcript, workspace, zadig_sync,
};

const CUSTOM: &str = "\
name: shop-api
project_key: shop
infrastructure: kubernetes
build_os: ubuntu 20.04
script_type: shell
build_script: make build
services:
  - service_name: api
    service_module: api-server
";

/// A create with objects whose unset fields stay out of the plan text.
const CUSTOM_WITH_OBJECTS: &str = "\
name: shop-web
project_key: shop
infrastructure: kubernetes
build_os: ubuntu 20.04
script_type: shell
build_script: make web
repo_info:
  - codehost_name: github
    repo_namespace: shop
    repo_name: web
    branch: main
parameters:
  - key: LEVEL
    type: string
    default_value: info
";

const TEMPLATE: &str = "\
name: billing-build
project_key: shop
template_name: java-template
target_services:
  - service_name: billing
    service_module: billing
    repo_info:
      - codehost_name: github
        repo_namespace: shop
        repo_name: billing
        branch: main
    inputs:
      - key: JAVA_VERSION
        value: \"21\"
      - key: MAVEN_MIRROR
        value: ${env:MIRROR_URL}
      - key: DEPLOY_TOKEN
        value: ${env:DEPLOY_TOKEN}
        is_credential: true
";

const SECRET: &str = "tok-0f9e8d7c";
/// Not a credential, but from `${env:…}`: hidden all the same.
const MIRROR: &str = "https://mirror.internal.example";

/// The CLI against `emulator` with the template's credential in the environment.
fn run(dir: &std::path::Path, emulator: &Emulator, args: &[&str]) -> Output {
    command(dir)
        .args(args)
        .env("ZADIG_URL", emulator.url())
        .env("ZADIG_TOKEN", TOKEN)
        .env("DEPLOY_TOKEN", SECRET)
        .env("MIRROR_URL", MIRROR)
        .output()
        .expect("run zadig-sync")
}

#[test]
fn a_create_shows_what_the_file_sets_with_defaults_marked_and_inputs_masked() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[
        ("api.yaml", CUSTOM),
        ("billing.yaml", TEMPLATE),
        ("web.yaml", CUSTOM_WITH_OBJECTS),
    ]);
    let output = run(dir.path(), &emulator, &["plan"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        transcript(&output, None)
    );
    let text = transcript(&output, None);
    assert!(!text.contains(SECRET) && !text.contains(MIRROR), "{text}");
    insta::assert_snapshot!(transcript(&output, Some(&emulator)));
}

#[test]
fn kept_builds_are_a_count_and_show_kept_lists_them() {
    let emulator = Emulator::start(&[]);
    emulator.create_by_hand("shop", "by-hand");
    let dir = workspace(&[("api.yaml", CUSTOM)]);
    succeeded(&apply(dir.path(), &emulator, &[]));

    let counted = zadig_sync(dir.path(), &emulator, &["plan"]);
    insta::assert_snapshot!("kept_counted", transcript(&counted, Some(&emulator)));
    let listed = zadig_sync(dir.path(), &emulator, &["plan", "--show-kept"]);
    insta::assert_snapshot!("kept_listed", transcript(&listed, Some(&emulator)));
}

#[test]
fn no_changes_is_said_only_when_zadig_matches_the_files() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", CUSTOM)]);
    succeeded(&apply(dir.path(), &emulator, &[]));
    let output = zadig_sync(dir.path(), &emulator, &["plan"]);
    let text = succeeded(&output);
    assert!(
        text.starts_with("No changes. Zadig matches the files.\n"),
        "{text}"
    );
    assert!(!text.contains("not managed"), "{text}");
}

const INVALID: &str = "\
name: shop-api
project_key: shop
infrastructure: kubernetes
build_os: ubuntu 20.04
script_type: shell
advanced_settings:
  timeout: 1.5
";

#[test]
fn invalid_files_give_each_command_its_own_json_document() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", INVALID)]);
    for args in [
        &["plan", "--output", "json"][..],
        &["apply", "--yes", "--output", "json"],
    ] {
        let command = args[0];
        let output = zadig_sync(dir.path(), &emulator, args);
        let text = failed(&output);
        let json: serde_json::Value =
            serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {text}"));
        let version = if command == "plan" {
            zadig_sync::reconcile::plan::PLAN_FORMAT_VERSION
        } else {
            zadig_sync::apply::outcome::APPLY_FORMAT_VERSION
        };
        assert_eq!(json["format_version"], version, "{text}");
        insta::assert_snapshot!(format!("invalid_{command}_json"), transcript(&output, None));
    }
    assert_eq!(emulator.write_count(), 0);
}

#[test]
fn invalid_files_with_markdown_output_print_markdown() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", INVALID)]);
    let output = zadig_sync(dir.path(), &emulator, &["plan", "--output", "markdown"]);
    insta::assert_snapshot!(transcript(&output, Some(&emulator)));
}

#[test]
fn an_empty_build_directory_is_a_warning_that_names_it() {
    let emulator = Emulator::start(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("builds.d")).expect("mkdir");
    let validate = command(dir.path())
        .arg("validate")
        .output()
        .expect("validate");
    insta::assert_snapshot!("empty_dir_validate", transcript(&validate, None));
    let plan = zadig_sync(dir.path(), &emulator, &["plan"]);
    insta::assert_snapshot!("empty_dir_plan", transcript(&plan, Some(&emulator)));
}

#[test]
fn a_failed_step_names_its_file() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", CUSTOM)]);
    emulator.set_faults(serde_json::json!({"fail_writes_to": ["shop-api"]}));
    let output = apply(dir.path(), &emulator, &[]);
    let text = failed(&output);
    assert!(
        text.contains("failed  shop/shop-api (builds.d/api.yaml:1:1): "),
        "{text}"
    );
}

#[test]
fn color_follows_the_flag_no_color_and_clicolor_force() {
    let dir = workspace(&[("api.yaml", INVALID)]);
    let validate = |args: &[&str], env: &[(&str, &str)]| {
        let mut command = command(dir.path());
        command.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
        for (name, value) in env {
            command.env(name, value);
        }
        let output = command
            .arg("validate")
            .args(args)
            .output()
            .expect("validate");
        String::from_utf8_lossy(&output.stdout).contains('\u{1b}')
    };
    assert!(!validate(&[], &[]), "not a terminal: no colour");
    assert!(validate(&["--color", "always"], &[]));
    assert!(
        validate(&["--color=always"], &[("NO_COLOR", "1")]),
        "the flag wins"
    );
    assert!(!validate(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]));
    assert!(validate(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!validate(
        &[],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]
    ));
    assert!(
        !validate(&["--color", "always", "--output", "json"], &[]),
        "JSON is never coloured"
    );
}

#[test]
fn warnings_ride_in_the_json_document_not_on_stderr() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", CUSTOM), ("empty.yaml", "# nothing yet\n")]);
    let output = zadig_sync(dir.path(), &emulator, &["plan", "--output", "json"]);
    let text = succeeded(&output);
    let json: serde_json::Value = serde_json::from_str(&text).expect("one JSON document");
    assert_eq!(json["diagnostics"][0]["code"], "empty-file", "{text}");
    assert_eq!(json["diagnostics"][0]["severity"], "warning", "{text}");
    assert!(output.stderr.is_empty(), "{}", transcript(&output, None));
    let as_text = zadig_sync(dir.path(), &emulator, &["plan"]);
    let stderr = String::from_utf8_lossy(&as_text.stderr);
    assert!(stderr.contains("warning[empty-file]"), "{stderr}");
}

/// A build zadig-sync wrote whose file is gone is listed even without --show-kept: --prune
/// would delete it. Hand-made builds beside it are only counted.
#[test]
fn a_build_prune_would_delete_is_listed_and_the_others_counted() {
    let emulator = Emulator::start(&[]);
    emulator.create_by_hand("shop", "by-hand");
    let web = CUSTOM_WITH_OBJECTS;
    let dir = workspace(&[("api.yaml", CUSTOM), ("web.yaml", web)]);
    succeeded(&apply(dir.path(), &emulator, &[]));
    std::fs::remove_file(dir.path().join("builds.d/web.yaml")).expect("rm");
    let text = succeeded(&zadig_sync(dir.path(), &emulator, &["plan"]));
    assert!(text.contains("= shop/shop-web (custom): kept"), "{text}");
    assert!(text.contains("would be deleted with --prune"), "{text}");
    assert!(!text.contains("by-hand"), "{text}");
    assert!(
        text.contains("1 build in Zadig is not managed by these files (--show-kept lists them)."),
        "{text}"
    );
}
