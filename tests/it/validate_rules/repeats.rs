//! Lists whose entries Zadig would keep twice, while the comparison keys them by name:
//! installs by `name`, repositories by `repo_namespace` + `repo_name`.

use super::{TEMPLATE_TOP, VALID, diagnose, load_with};
use zadig_sync::load::ReferenceMode;

#[test]
fn an_install_named_twice_is_an_error_at_the_second() {
    let yaml = format!(
        "{VALID}installs:\n  - name: go\n    version: '1.22'\n  - name: node\n    version: '20'\n  - name: go\n    version: '1.21'\n"
    );
    insta::assert_snapshot!(diagnose(&yaml), @"b/a.yaml:11:11: error[duplicate]: duplicate install (name `go`); the first is at line 7: keep one");
    let outcome = load_with(&[("b/a.yaml", &yaml)], ReferenceMode::Offline, &[]);
    assert!(outcome.desired.builds.is_empty(), "the build is left out");
}

#[test]
fn a_repository_listed_twice_in_a_custom_build_is_an_error() {
    let repo = |name: &str, branch: &str| {
        format!(
            "  - codehost_name: gh\n    repo_namespace: shop\n    repo_name: {name}\n    branch: {branch}\n"
        )
    };
    let yaml = format!(
        "{VALID}repo_info:\n{}{}{}",
        repo("api", "main"),
        repo("web", "main"),
        repo("api", "dev")
    );
    insta::assert_snapshot!(diagnose(&yaml), @"b/a.yaml:16:21: error[duplicate]: duplicate repository (repo_namespace `shop`, repo_name `api`); the first is at line 7: keep one");
}

#[test]
fn a_repository_twice_in_one_target_is_an_error_but_once_per_target_is_fine() {
    let targets = "  - service_name: a
    service_module: a
    repo_info:
      - {codehost_name: gh, repo_namespace: shop, repo_name: api, branch: main}
  - service_name: b
    service_module: b
    repo_info:
      - {codehost_name: gh, repo_namespace: shop, repo_name: api, branch: main}
      - {codehost_name: gl, repo_namespace: shop, repo_name: api, branch: dev}
";
    insta::assert_snapshot!(diagnose(&format!("{TEMPLATE_TOP}{targets}")), @"b/a.yaml:13:45: error[duplicate]: duplicate repository (repo_namespace `shop`, repo_name `api`); the first is at line 12: keep one");
}

#[test]
fn same_name_in_another_namespace_is_another_repository() {
    let yaml = format!(
        "{VALID}repo_info:\n  - {{codehost_name: gh, repo_namespace: shop, repo_name: api, branch: main}}\n  - {{codehost_name: gh, repo_namespace: lab, repo_name: api, branch: main}}\n"
    );
    let outcome = load_with(&[("b/a.yaml", &yaml)], ReferenceMode::Online, &[]);
    assert_eq!(outcome.diagnostics, vec![]);
    assert_eq!(outcome.desired.builds.len(), 1);
}
