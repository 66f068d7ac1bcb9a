//! `zadig-sync validate` and `zadig-sync schema` through the real binary: exit codes, the
//! summary line, text and JSON diagnostics, and the schema.

use assert_cmd::Command;
use predicates::prelude::*;

/// The binary, run from the crate root with no environment that could change the outcome.
fn zadig_sync() -> Command {
    let mut command = Command::cargo_bin("zadig-sync").expect("binary builds");
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("ZADIG_SYNC_DIR")
        .env_remove("API_TEST_BB")
        .env_remove("BILLING_DEPLOY_TOKEN")
        .env_remove("ZS_TEST_TOKEN");
    command
}

#[test]
fn the_examples_are_valid() {
    zadig_sync()
        .args(["validate", "--dir", "examples"])
        .assert()
        .success()
        .stdout(predicate::str::ends_with(
            "7 builds in 2 projects, 7 files, 2 warnings\n",
        ));
}

#[test]
fn with_their_secrets_set_the_examples_have_no_warnings() {
    zadig_sync()
        .args(["validate", "--dir", "examples"])
        .env("API_TEST_BB", "x")
        .env("BILLING_DEPLOY_TOKEN", "y")
        .assert()
        .success()
        .stdout("7 builds in 2 projects, 7 files\n");
}

#[test]
fn the_quick_start_directory_is_the_default_and_valid() {
    zadig_sync()
        .arg("validate")
        .assert()
        .success()
        .stdout("1 build in 1 project, 1 file\n");
}

#[test]
fn the_directory_can_come_from_the_environment() {
    zadig_sync()
        .arg("validate")
        .env("ZADIG_SYNC_DIR", "tests/data/invalid")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("tests/data/invalid/"));
}

#[test]
fn invalid_files_exit_1_with_every_diagnostic_and_a_count() {
    let output = zadig_sync()
        .args(["validate", "--dir", "tests/data/invalid"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout));
}

#[test]
fn json_output_has_the_documented_shape() {
    let output = zadig_sync()
        .args([
            "validate",
            "--dir",
            "tests/data/invalid",
            "--output",
            "json",
        ])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    insta::assert_json_snapshot!(json);
}

#[test]
fn a_missing_directory_is_named_and_exits_1() {
    zadig_sync()
        .args(["validate", "--dir", "no/such/dir"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("`no/such/dir` does not exist"));
}

#[test]
fn schema_prints_a_draft_07_schema_of_the_file() {
    let output = zadig_sync()
        .arg("schema")
        .assert()
        .success()
        .get_output()
        .clone();
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    let custom = &schema["definitions"]["CustomBuild"];
    assert_eq!(
        custom["properties"]["build_script_file"]["type"],
        serde_json::json!(["string", "number", "boolean"]),
        "text fields take any scalar, as the loader does"
    );
    let version = &schema["definitions"]["Install"]["properties"]["version"];
    assert_eq!(
        version["type"],
        serde_json::json!(["string", "number", "boolean"])
    );
    assert_eq!(
        custom["required"],
        serde_json::json!([
            "name",
            "project_key",
            "infrastructure",
            "build_os",
            "script_type"
        ])
    );
}
