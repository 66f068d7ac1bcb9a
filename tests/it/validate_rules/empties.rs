//! Text Zadig looks something up by, so that an empty value passes Zadig's binding and then
//! fails with a 400: the cluster, and the Dockerfile template.

use super::{VALID, diagnose};

#[test]
fn an_empty_or_blank_cluster_name_is_an_error() {
    let empty = format!("{VALID}advanced_settings:\n  cluster_name: ''\n  timeout: 30\n");
    insta::assert_snapshot!(diagnose(&empty), @r#"b/a.yaml:7:17: error[empty-value]: `advanced_settings.cluster_name` must not be empty (Zadig looks the cluster up by name and answers 400 "failed to find the cluster")"#);
    let blank = format!("{VALID}advanced_settings: {{timeout: 30, cluster_name: '  '}}\n");
    insta::assert_snapshot!(diagnose(&blank), @r#"b/a.yaml:6:48: error[empty-value]: `advanced_settings.cluster_name` must not be empty (Zadig looks the cluster up by name and answers 400 "failed to find the cluster")"#);
}

#[test]
fn an_empty_dockerfile_source_is_already_refused_by_its_enum() {
    let yaml = format!("{VALID}docker_build_step:\n  dockerfile_source: ' '\n");
    insta::assert_snapshot!(diagnose(&yaml), @"b/a.yaml:7:22: error[invalid-value]: `docker_build_step.dockerfile_source` must be one of local, template; found ` `");
}

#[test]
fn a_dockerfile_template_needs_a_template_name() {
    let step = |rest: &str| {
        diagnose(&format!(
            "{VALID}docker_build_step:\n  dockerfile_source: template\n{rest}"
        ))
    };
    insta::assert_snapshot!(step("  build_context_dir: .\n"), @"b/a.yaml:7:3: error[missing-field]: missing required field `template_name` in `docker_build_step` with `dockerfile_source: template` (Zadig looks the Dockerfile template up by name and answers 400 when it finds none)");
    insta::assert_snapshot!(step("  template_name: ' '\n"), @"b/a.yaml:8:18: error[empty-value]: `docker_build_step.template_name` must not be empty with `dockerfile_source: template` (Zadig looks the Dockerfile template up by name and answers 400 when it finds none)");
    insta::assert_snapshot!(step("  template_name:\n"), @"b/a.yaml:8:16: error[empty-value]: `docker_build_step.template_name` must not be empty with `dockerfile_source: template` (Zadig looks the Dockerfile template up by name and answers 400 when it finds none)");
    assert_eq!(step("  template_name: go-app\n"), "");
}

#[test]
fn a_local_dockerfile_needs_no_template_name() {
    let yaml =
        format!("{VALID}docker_build_step:\n  dockerfile_source: local\n  template_name: ''\n");
    assert_eq!(diagnose(&yaml), "");
}
