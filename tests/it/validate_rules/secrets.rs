//! Zadig's `********` mask as a value, and the values of `${env:…}` references handed to the
//! planner as secrets.

use std::fs;

use super::{TEMPLATE_TOP, VALID, diagnose, load_with};
use zadig_sync::load::diagnostic::Severity;
use zadig_sync::load::{ReferenceMode, load_dir};
use zadig_sync::report::diagnostic::render_text;

#[test]
fn a_masked_default_value_is_an_error_that_explains_zadigs_rule() {
    let yaml = format!(
        "{VALID}parameters:\n  - key: db-pass\n    is_credential: true\n    default_value: '********'\n  - key: LEVEL\n    default_value: '********'\n"
    );
    insta::assert_snapshot!(diagnose(&yaml), @r#"
    b/a.yaml:9:20: error[masked-value]: `db-pass` has `default_value: ********`: on update Zadig reads it as "keep the stored value" (for every parameter, not only credentials), so the build would never match this file and every apply would write it again; give the real value, e.g. `${env:DB_PASS}`
    b/a.yaml:11:20: error[masked-value]: `LEVEL` has `default_value: ********`: on update Zadig reads it as "keep the stored value" (for every parameter, not only credentials), so the build would never match this file and every apply would write it again; give the real value, e.g. `${env:LEVEL}`
    "#);
}

#[test]
fn a_masked_template_input_is_an_error() {
    let yaml = format!(
        "{TEMPLATE_TOP}  - {{service_name: s, service_module: m, inputs: [{{key: password, value: '********'}}]}}\n"
    );
    insta::assert_snapshot!(diagnose(&yaml), @"b/a.yaml:5:74: error[masked-value]: `password` has `value: ********`: it is the mask Zadig shows for hidden values, and Zadig would store it as the value itself; give the real value, e.g. `${env:PASSWORD}`");
}

#[test]
fn values_that_only_contain_asterisks_are_fine() {
    let yaml = format!(
        "{VALID}parameters:\n  - key: A\n    default_value: '*********'\n  - key: B\n    default_value: 'x********'\n  - key: C\n    default_value: ' ******** '\n"
    );
    assert_eq!(diagnose(&yaml), "");
}

#[test]
fn a_mask_that_arrives_through_a_variable_is_caught_too() {
    let yaml = format!("{VALID}parameters:\n  - key: TOKEN\n    default_value: ${{env:TOKEN}}\n");
    let outcome = load_with(
        &[("b/a.yaml", &yaml)],
        ReferenceMode::Online,
        &[("TOKEN", "********")],
    );
    let found: Vec<_> = outcome
        .diagnostics
        .iter()
        .map(|d| (d.code, d.origin.as_ref().map(|o| (o.line, o.column))))
        .collect();
    assert_eq!(found, [("masked-value", Some((8, 20)))]);
    assert!(outcome.desired.builds.is_empty());
}

const TWO_FILES_OF_REFERENCES: [(&str, &str); 4] = [
    (
        "b/api.yaml",
        "\
name: api
project_key: shop
infrastructure: kubernetes
build_os: ubuntu 20.04
script_type: shell
build_script: curl https://${env:HOST}/x ${file:token.txt} ${env:EMPTY}
parameters:
  - {key: TOKEN, is_credential: true, default_value: '${env:TOKEN}'}
  - {key: SCRIPT, default_value: '${file:deploy.sh}'}
",
    ),
    (
        "b/web.yaml",
        "\
name: web
project_key: shop
template_name: tpl
target_services:
  - service_name: s
    service_module: m
    inputs:
      - {key: password, value: '${env:TOKEN}', is_credential: true}
      - {key: region, value: '${env:REGION}'}
",
    ),
    ("b/token.txt", "from-a-file\n"),
    ("b/deploy.sh", "make deploy\n"),
];

const ENVIRONMENT: [(&str, &str); 5] = [
    ("HOST", "example.com"),
    ("TOKEN", "s3cret"),
    ("REGION", "eu-1"),
    ("EMPTY", ""),
    ("UNUSED", "never-referenced"),
];

#[test]
fn every_resolved_env_value_is_a_secret_sorted_once_and_file_contents_are_not() {
    let outcome = load_with(
        &TWO_FILES_OF_REFERENCES,
        ReferenceMode::Online,
        &ENVIRONMENT,
    );
    assert_eq!(outcome.diagnostics, vec![]);
    assert_eq!(outcome.desired.builds.len(), 2);
    assert_eq!(
        outcome.desired.secrets,
        ["eu-1", "example.com", "s3cret"],
        "no empty value, no file content, no unreferenced variable, TOKEN once"
    );
}

#[test]
fn load_dir_collects_the_secrets_of_the_files_it_reads() -> std::io::Result<()> {
    let dir = tempfile::tempdir()?;
    for (path, text) in TWO_FILES_OF_REFERENCES {
        let path = dir.path().join(path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(path, text)?;
    }
    let env = |name: &str| {
        ENVIRONMENT
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.to_string())
    };
    let outcome = load_dir(dir.path(), ReferenceMode::Online, &env);
    assert_eq!(outcome.diagnostics, vec![]);
    assert_eq!(outcome.desired.secrets, ["eu-1", "example.com", "s3cret"]);
    Ok(())
}

#[test]
fn unresolved_references_add_no_secret_and_a_broken_build_keeps_its_secrets() {
    let yaml = format!(
        "{VALID}build_script: ${{env:SET}} ${{env:UNSET}}\ncolour: red\n---\n{}",
        VALID.replace("name: api", "name: other")
    ) + "build_script: ${env:ALONE}\n";
    let outcome = load_with(
        &[("b/a.yaml", &yaml)],
        ReferenceMode::Offline,
        &[("SET", "kept"), ("ALONE", "also-kept")],
    );
    assert!(outcome.has_errors(), "the unknown field `colour`");
    assert_eq!(outcome.desired.builds.len(), 1);
    assert_eq!(outcome.desired.secrets, ["also-kept", "kept"]);
}

/// A custom build whose credential `db-pass` (line 9, column 20) and plain `LEVEL` take
/// `${env:…}`, then a template build whose credential input `password` does.
fn empty_secret_builds() -> String {
    format!(
        "{VALID}parameters:\n  - key: db-pass\n    is_credential: true\n    default_value: ${{env:DB_PASS}}\n  - key: LEVEL\n    default_value: ${{env:EMPTY_TOO}}\n---\n{TEMPLATE_TOP}  - {{service_name: s, service_module: m, inputs: [{{key: password, is_credential: true, value: 'x${{env:DB_PASS}}'}}]}}\n"
    )
}

const EMPTY_SECRETS: [(&str, &str); 2] = [("DB_PASS", ""), ("EMPTY_TOO", "")];

#[test]
fn an_empty_env_value_for_a_credential_is_an_error_online() {
    let outcome = load_with(
        &[("b/a.yaml", &empty_secret_builds())],
        ReferenceMode::Online,
        &EMPTY_SECRETS,
    );
    assert!(
        outcome.desired.builds.is_empty(),
        "neither build is written"
    );
    insta::assert_snapshot!(render_text(&outcome.diagnostics), @r"
    b/a.yaml:9:20: error[empty-credential]: environment variable `DB_PASS` is set but empty, and `${env:DB_PASS}` is the `default_value` of credential `db-pass`: writing it would wipe the secret stored in Zadig (CI systems pass empty strings for secrets a pull request from a fork may not read); give it a value, or run plan only where the secrets are
    b/a.yaml:17:97: error[empty-credential]: environment variable `DB_PASS` is set but empty, and `${env:DB_PASS}` is the `value` of credential `password`: writing it would wipe the secret stored in Zadig (CI systems pass empty strings for secrets a pull request from a fork may not read); give it a value, or run plan only where the secrets are
    ");
}

#[test]
fn an_empty_env_value_for_a_credential_is_a_warning_offline() {
    let outcome = load_with(
        &[("b/a.yaml", &empty_secret_builds())],
        ReferenceMode::Offline,
        &EMPTY_SECRETS,
    );
    assert!(!outcome.has_errors());
    assert_eq!(outcome.desired.builds.len(), 2);
    let found: Vec<_> = outcome
        .diagnostics
        .iter()
        .map(|d| {
            let origin = d.origin.as_ref().map(|o| (o.line, o.column));
            (
                d.severity,
                d.code,
                origin,
                d.message.ends_with("plan and apply will refuse it"),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (Severity::Warning, "empty-credential", Some((9, 20)), true),
            (Severity::Warning, "empty-credential", Some((17, 97)), true),
        ]
    );
}

#[test]
fn an_empty_env_value_elsewhere_is_fine() {
    let yaml = format!(
        "{VALID}build_script: make ${{env:EMPTY}}\nparameters:\n  - {{key: LEVEL, default_value: '${{env:EMPTY}}'}}\n  - {{key: TOKEN, is_credential: true, default_value: '${{env:TOKEN}}'}}\n"
    );
    let outcome = load_with(
        &[("b/a.yaml", &yaml)],
        ReferenceMode::Online,
        &[("EMPTY", ""), ("TOKEN", "set")],
    );
    assert_eq!(outcome.diagnostics, vec![]);
    assert_eq!(outcome.desired.builds.len(), 1);
}

#[test]
fn a_referenced_value_in_a_wrong_place_is_not_quoted_back() {
    let yaml = VALID
        .replace(
            "infrastructure: kubernetes",
            "infrastructure: ${env:ZADIG_TOKEN}",
        )
        .replace("script_type: shell", "script_type: ${file:token}");
    let outcome = load_with(
        &[("b/a.yaml", &yaml), ("b/token", "tok-from-file\n")],
        ReferenceMode::Online,
        &[("ZADIG_TOKEN", "tok-from-env")],
    );
    insta::assert_snapshot!(render_text(&outcome.diagnostics), @r"
    b/a.yaml:3:17: error[invalid-value]: `infrastructure` must be one of kubernetes, vm; found the value of a reference (not shown: it may be a secret)
    b/a.yaml:5:14: error[invalid-value]: `script_type` must be one of shell, batch_file, powershell; found the value of a reference (not shown: it may be a secret)
    ");
}

#[test]
fn name_and_project_key_cannot_come_from_references() {
    // Rules on names (no `/`, unique across files) read the file as written: a name from a
    // variable would slip past them, so it is refused where it is written.
    let yaml = VALID
        .replace("name: api", "name: ${env:BUILD}")
        .replace("project_key: shop", "project_key: ${file:project.txt}");
    insta::assert_snapshot!(diagnose(&yaml), @r"
    b/a.yaml:1:7: error[reference-in-identity]: `name` cannot use `${env:…}` or `${file:…}`: it identifies the build (what is created and deleted), so write it in the file
    b/a.yaml:1:7: warning[unresolved-reference]: environment variable `BUILD` is not set (`${env:BUILD}`); `validate` goes on, but plan and apply will need it
    b/a.yaml:2:14: error[reference-in-identity]: `project_key` cannot use `${env:…}` or `${file:…}`: it identifies the build (what is created and deleted), so write it in the file
    b/a.yaml:2:14: warning[unresolved-reference]: `${file:project.txt}`: cannot read `b/project.txt`: entity not found; `validate` goes on, but plan and apply will need it
    ");
}
