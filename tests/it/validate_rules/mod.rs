//! Every validation rule of the build-file format, each with a bad file whose rendered
//! diagnostics (file, line, column, message) are pinned by a snapshot. The files live in
//! memory and go through `load_sources`, the pure half of the loader. More
//! cases live in the submodules beside this file.

mod empties;
mod positions;
mod repeats;
mod secrets;
mod text;

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use zadig_sync::load::files::FileError;
use zadig_sync::load::{LoadOutcome, ReferenceMode, Source, load_sources};
use zadig_sync::reconcile::spec::BuildSpec;
use zadig_sync::report::diagnostic::render_text;

/// Loads `files` (path, text): the `*.yaml` and `*.yml` as build files (and defaults files);
/// every file also serves `${file:…}` and `build_script_file`.
pub(crate) fn load_with(
    files: &[(&str, &str)],
    mode: ReferenceMode,
    env: &[(&str, &str)],
) -> LoadOutcome {
    let sources: Vec<Source> = files
        .iter()
        .filter(|(path, _)| path.ends_with(".yaml") || path.ends_with(".yml"))
        .map(|(path, text)| Source {
            path: PathBuf::from(path),
            text: text.to_string(),
        })
        .collect();
    let disk: HashMap<PathBuf, String> = files
        .iter()
        .map(|(p, t)| (PathBuf::from(p), t.to_string()))
        .collect();
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let read = |path: &Path| {
        disk.get(path).cloned().ok_or_else(|| FileError::Inspect {
            path: path.to_path_buf(),
            source: io::Error::from(io::ErrorKind::NotFound),
        })
    };
    load_sources(&sources, mode, &|name| env.get(name).cloned(), &read)
}

/// The rendered diagnostics of one file `b/a.yaml`, loaded offline with an empty environment.
fn diagnose(yaml: &str) -> String {
    render_text(&load_with(&[("b/a.yaml", yaml)], ReferenceMode::Offline, &[]).diagnostics)
}

const VALID: &str = "\
name: api
project_key: shop
infrastructure: kubernetes
build_os: ubuntu 20.04
script_type: shell
";

/// The top of a template build; its `target_services` entries follow.
const TEMPLATE_TOP: &str = "\
name: t
project_key: p
template_name: tpl
target_services:
";

#[test]
fn a_valid_custom_build_loads_without_diagnostics() {
    let outcome = load_with(&[("b/a.yaml", VALID)], ReferenceMode::Online, &[]);
    assert_eq!(outcome.diagnostics, vec![]);
    assert_eq!(outcome.desired.builds.len(), 1);
    let build = &outcome.desired.builds[0];
    assert_eq!(build.spec.name(), "api");
    assert_eq!((build.origin.line, build.origin.column), (1, 1));
    assert_eq!(outcome.desired.file_count, 1);
}

#[test]
fn unknown_fields_suggest_near_misses() {
    let yaml = format!(
        "{VALID}buildscript: make\nadvanced_settings:\n  cluster_name: c\n  timout: 30\ncolour: red\n"
    );
    insta::assert_snapshot!(diagnose(&yaml));
}

#[test]
fn missing_required_fields_of_a_custom_build() {
    insta::assert_snapshot!(diagnose("# a comment\nname: api\n"));
}

#[test]
fn required_text_must_not_be_empty_or_null() {
    let yaml = "name: ''\nproject_key:\ninfrastructure: vm\nbuild_os: ' '\nscript_type: shell\n";
    insta::assert_snapshot!(diagnose(yaml));
}

#[test]
fn missing_required_fields_of_a_template_build() {
    insta::assert_snapshot!(diagnose("name: t\nproject_key: p\ntarget_services: []\n"));
}

#[test]
fn enums_of_the_design() {
    let yaml = "\
name: api
project_key: shop
infrastructure: k8s
build_os: ubuntu 20.04
script_type: Shell
parameters:
  - key: A
    type: text
docker_build_step:
  dockerfile_source: remote
";
    insta::assert_snapshot!(diagnose(yaml));
}

#[test]
fn dockerfile_source_is_required_with_docker_build_step() {
    let yaml = format!("{VALID}docker_build_step:\n  build_context_dir: .\n");
    insta::assert_snapshot!(diagnose(&yaml));
}

#[test]
fn cluster_name_is_required_with_advanced_settings() {
    let yaml = format!("{VALID}advanced_settings:\n  timeout: 30\n");
    insta::assert_snapshot!(diagnose(&yaml));
}

#[test]
fn gpu_limit_must_be_resource_colon_quantity() {
    let yaml = format!(
        "{VALID}advanced_settings:\n  cluster_name: c\n  resource_spec:\n    gpu_limit: \"2 gpus\"\n"
    );
    insta::assert_snapshot!(diagnose(&yaml));
}

#[test]
fn names_without_slash_or_surrounding_spaces() {
    let yaml = VALID.replace("name: api", "name: 'shop/api '");
    insta::assert_snapshot!(diagnose(&yaml));
}

#[test]
fn build_names_are_unique_across_files_and_projects() {
    let other = VALID.replace("project_key: shop", "project_key: other");
    let outcome = load_with(
        &[("b/a.yaml", VALID), ("b/z/c.yaml", &other)],
        ReferenceMode::Offline,
        &[],
    );
    insta::assert_snapshot!(render_text(&outcome.diagnostics));
    assert_eq!(
        outcome.desired.builds.len(),
        1,
        "the second use is left out"
    );
}

#[test]
fn duplicate_parameter_keys() {
    let yaml =
        format!("{VALID}parameters:\n  - key: A\n    default_value: x\n  - key: B\n  - key: A\n");
    insta::assert_snapshot!(diagnose(&yaml));
}

#[test]
fn duplicate_services_in_custom_and_template_builds() {
    let custom = format!(
        "{VALID}services:\n  - {{service_name: s, service_module: m}}\n  - {{service_name: s, service_module: m}}\n"
    );
    let template = "\
name: t
project_key: p
template_name: tpl
target_services:
  - {service_name: s, service_module: m}
  - {service_name: s, service_module: other}
  - {service_name: s, service_module: m}
";
    insta::assert_snapshot!(format!("{}---\n{}", diagnose(&custom), diagnose(template)));
}

#[test]
fn duplicate_yaml_keys() {
    insta::assert_snapshot!(diagnose(&format!("{VALID}build_os: ubuntu 18.04\n")));
}

#[test]
fn a_literal_credential_is_refused_and_its_value_never_shown() {
    let yaml = format!(
        "{VALID}parameters:\n  - key: db-pass\n    is_credential: true\n    default_value: hunter2\n"
    );
    let text = diagnose(&yaml);
    assert!(!text.contains("hunter2"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn a_literal_credential_in_template_inputs_is_refused() {
    let yaml = "\
name: t
project_key: p
template_name: tpl
target_services:
  - service_name: s
    service_module: m
    inputs:
      - {key: password, value: zadigx, is_credential: true}
";
    insta::assert_snapshot!(diagnose(yaml));
}

#[test]
fn wrong_shapes_name_the_docs_trap() {
    let yaml = format!(
        "{VALID}installs: go 1.20\ndocker_build_step:\n  - dockerfile_source: local\nparameters:\n  - key: A\n    is_credential: yes\n"
    );
    insta::assert_snapshot!(diagnose(&yaml));
}

#[test]
fn build_script_and_build_script_file_are_exclusive() {
    let yaml = format!("{VALID}build_script: make\nbuild_script_file: build.sh\n");
    let files = [("b/a.yaml", yaml.as_str()), ("b/build.sh", "make\n")];
    let outcome = load_with(&files, ReferenceMode::Offline, &[]);
    insta::assert_snapshot!(render_text(&outcome.diagnostics));
}

#[test]
fn build_script_file_is_read_relative_to_the_yaml_file() {
    let yaml = format!("{VALID}build_script_file: scripts/build.sh\n");
    let files = [
        ("b/a.yaml", yaml.as_str()),
        ("b/scripts/build.sh", "make all\n"),
    ];
    let outcome = load_with(&files, ReferenceMode::Online, &[]);
    assert_eq!(outcome.diagnostics, vec![]);
    let BuildSpec::Custom(build) = &outcome.desired.builds[0].spec else {
        panic!("a custom build");
    };
    assert_eq!(build.build_script, "make all\n");
}

#[test]
fn a_missing_build_script_file_is_an_error_even_offline() {
    let outcome = load_with(
        &[("b/a.yaml", &format!("{VALID}build_script_file: gone.sh\n"))],
        ReferenceMode::Offline,
        &[],
    );
    assert!(outcome.has_errors());
    insta::assert_snapshot!(render_text(&outcome.diagnostics));
}

const WITH_REFERENCES: &str = "\
name: api
project_key: shop
infrastructure: kubernetes
build_os: ubuntu 20.04
script_type: shell
build_script: echo ${SERVICE} $${env:LITERAL}
parameters:
  - key: TOKEN
    is_credential: true
    default_value: ${env:API_TOKEN}
  - key: CERT
    default_value: ${file:secrets/cert.pem}
";

#[test]
fn references_are_substituted_from_env_and_files() {
    let files = [
        ("b/a.yaml", WITH_REFERENCES),
        ("b/secrets/cert.pem", "PEM\n"),
    ];
    let outcome = load_with(&files, ReferenceMode::Online, &[("API_TOKEN", "s3cret")]);
    assert_eq!(outcome.diagnostics, vec![]);
    let BuildSpec::Custom(build) = &outcome.desired.builds[0].spec else {
        panic!("a custom build");
    };
    assert_eq!(build.parameters[0].default_value, "s3cret");
    assert_eq!(
        build.parameters[1].default_value, "PEM",
        "one final newline dropped"
    );
    assert_eq!(build.build_script, "echo ${SERVICE} ${env:LITERAL}");
}

#[test]
fn unresolved_references_warn_offline_and_keep_the_build() {
    let outcome = load_with(
        &[("b/a.yaml", WITH_REFERENCES)],
        ReferenceMode::Offline,
        &[],
    );
    assert!(!outcome.has_errors());
    let BuildSpec::Custom(build) = &outcome.desired.builds[0].spec else {
        panic!("a custom build");
    };
    assert_eq!(build.parameters[0].default_value, "${env:API_TOKEN}");
    insta::assert_snapshot!(render_text(&outcome.diagnostics));
}

#[test]
fn unresolved_references_are_errors_online_and_drop_the_build() {
    let outcome = load_with(&[("b/a.yaml", WITH_REFERENCES)], ReferenceMode::Online, &[]);
    assert!(outcome.has_errors());
    assert!(outcome.desired.builds.is_empty());
    insta::assert_snapshot!(render_text(&outcome.diagnostics));
}

#[test]
fn malformed_references() {
    let yaml = format!("{VALID}build_script: \"a ${{env:NOT-A-NAME}} b ${{file:x\"\n");
    insta::assert_snapshot!(diagnose(&yaml));
}

#[test]
fn every_problem_of_a_file_is_reported_at_once() {
    let yaml = "\
name: a/b
project_key: p
infrastructure: cloud
build_os: ubuntu 20.04
script_type: shell
installs:
  - {name: go, versoin: '1.22'}
---
name: second
project_key: p
";
    let outcome = load_with(&[("b/a.yaml", yaml)], ReferenceMode::Offline, &[]);
    let codes: Vec<&str> = outcome.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        [
            "invalid-name",
            "invalid-value",
            "missing-field",
            "unknown-field",
            "missing-field",
            "missing-field",
            "missing-field"
        ]
    );
}

#[test]
fn documents_that_are_not_mappings_and_empty_files() {
    let outcome = load_with(
        &[
            ("b/a.yaml", "- just\n- a list\n"),
            ("b/e.yaml", "# nothing yet\n"),
        ],
        ReferenceMode::Offline,
        &[],
    );
    insta::assert_snapshot!(render_text(&outcome.diagnostics));
}

#[test]
fn template_builds_load_as_templates() {
    let yaml = "\
name: t
project_key: p
template_name: tpl
target_services:
  - service_name: s
    service_module: m
    inputs:
      - {key: version, value: 1.20}
";
    let outcome = load_with(&[("b/a.yaml", yaml)], ReferenceMode::Online, &[]);
    assert_eq!(outcome.diagnostics, vec![]);
    let BuildSpec::Template(build) = &outcome.desired.builds[0].spec else {
        panic!("a template build");
    };
    assert_eq!(
        build.target_services[0].inputs[0].value, "1.20",
        "spelling kept"
    );
}
