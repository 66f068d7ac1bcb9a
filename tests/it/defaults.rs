//! Defaults files (`_defaults.yaml`, issue 22): what a build inherits, through the pure half
//! of the loader with the files in memory. The end-to-end tests (plan, apply, the daemon,
//! export) are in the submodules.

mod daemon;
mod e2e;
mod export;

use std::collections::HashMap;

use crate::validate_rules::load_with;
use zadig_sync::load::{LoadOutcome, ReferenceMode};
use zadig_sync::reconcile::marker::fingerprint;
use zadig_sync::reconcile::spec::{BuildSpec, CustomBuild, TemplateBuild};
use zadig_sync::report::diagnostic::render_text;

/// Loads `files` (path, text) for plan (every reference must resolve), with `env` as the
/// whole environment.
fn load(files: &[(&str, &str)], env: &[(&str, &str)]) -> LoadOutcome {
    load_with(files, ReferenceMode::Online, env)
}

/// The builds of `files`, which must load without a diagnostic.
fn builds(files: &[(&str, &str)]) -> HashMap<String, BuildSpec> {
    let outcome = load(files, &[]);
    assert!(
        outcome.diagnostics.is_empty(),
        "{}",
        render_text(&outcome.diagnostics)
    );
    (outcome.desired.builds.into_iter())
        .map(|build| (build.spec.name().to_string(), build.spec))
        .collect()
}

fn custom<'a>(builds: &'a HashMap<String, BuildSpec>, name: &str) -> &'a CustomBuild {
    match builds.get(name) {
        Some(BuildSpec::Custom(build)) => build,
        other => panic!("{name} is not a custom build: {other:?}"),
    }
}

fn template<'a>(builds: &'a HashMap<String, BuildSpec>, name: &str) -> &'a TemplateBuild {
    match builds.get(name) {
        Some(BuildSpec::Template(build)) => build,
        other => panic!("{name} is not a template build: {other:?}"),
    }
}

/// What every custom build needs, as a root defaults file.
const ROOT: &str = "\
infrastructure: kubernetes
build_os: ubuntu 20.04
script_type: shell
advanced_settings:
  cluster_name: local
  timeout: 10
";

#[test]
fn the_nearest_value_wins_over_three_levels() {
    let builds = builds(&[
        ("b/_defaults.yaml", ROOT),
        (
            "b/shop/_defaults.yaml",
            "project_key: shop\nbuild_os: ubuntu 22.04\n",
        ),
        (
            "b/shop/team/_defaults.yaml",
            "build_os: ubuntu 24.04\nadvanced_settings: {timeout: 30}\n",
        ),
        ("b/top.yaml", "name: top\nproject_key: web\n"),
        ("b/shop/mid.yaml", "name: mid\n"),
        ("b/shop/team/deep.yaml", "name: deep\n"),
        ("b/shop/team/own.yaml", "name: own\nbuild_os: centos 7\n"),
    ]);
    let os = |name| custom(&builds, name).build_os.as_str();
    assert_eq!(os("top"), "ubuntu 20.04");
    assert_eq!(os("mid"), "ubuntu 22.04");
    assert_eq!(os("deep"), "ubuntu 24.04");
    assert_eq!(os("own"), "centos 7");
    let advanced = |name| {
        custom(&builds, name)
            .advanced_settings
            .clone()
            .expect("inherited")
    };
    assert_eq!(
        (advanced("mid").cluster_name, advanced("mid").timeout),
        ("local".into(), 10)
    );
    assert_eq!(
        (advanced("deep").cluster_name, advanced("deep").timeout),
        ("local".into(), 30)
    );
    assert_eq!(custom(&builds, "deep").project_key, "shop");
    assert_eq!(custom(&builds, "top").project_key, "web");
}

#[test]
fn mappings_merge_key_by_key_and_lists_replace_whole() {
    let defaults = format!(
        "{ROOT}  resource_spec: {{cpu_limit: 1000, memory_limit: 512}}\n\
         parameters: [{{key: A, default_value: a}}, {{key: B, default_value: b}}]\n\
         installs: [{{name: go, version: 1.22.1}}]\n"
    );
    let builds = builds(&[
        ("b/_defaults.yaml", &defaults),
        (
            "b/api.yaml",
            "name: api\nproject_key: p\nparameters: [{key: C, default_value: c}]\n\
             advanced_settings: {timeout: 45, resource_spec: {memory_limit: 1024}}\n",
        ),
        ("b/worker.yaml", "name: worker\nproject_key: p\n"),
    ]);
    let api = custom(&builds, "api");
    let keys: Vec<&str> = api.parameters.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["C"], "a build's list is its whole list");
    assert_eq!(
        api.installs.len(),
        1,
        "a list the build leaves out is inherited"
    );
    let advanced = api.advanced_settings.as_ref().expect("merged");
    assert_eq!(
        (advanced.cluster_name.as_str(), advanced.timeout),
        ("local", 45)
    );
    let resources = advanced.resource_spec.as_ref().expect("merged");
    assert_eq!((resources.cpu_limit, resources.memory_limit), (1000, 1024));
    assert_eq!(custom(&builds, "worker").parameters.len(), 2);
}

#[test]
fn null_removes_an_inherited_value_at_any_level() {
    let defaults = format!(
        "{ROOT}  resource_spec: {{cpu_limit: 1000}}\n\
         docker_build_step: {{dockerfile_source: local, build_context_dir: .}}\n"
    );
    let builds = builds(&[
        ("b/_defaults.yaml", &defaults),
        ("b/nodocker/_defaults.yaml", "docker_build_step: null\n"),
        ("b/nodocker/a.yaml", "name: a\nproject_key: p\n"),
        (
            "b/b.yaml",
            "name: b\nproject_key: p\nadvanced_settings: {resource_spec: ~}\n",
        ),
        (
            "b/c.yaml",
            "name: c\nproject_key: p\nadvanced_settings: null\n",
        ),
    ]);
    assert!(custom(&builds, "a").docker_build_step.is_none());
    let b = custom(&builds, "b");
    assert!(b.docker_build_step.is_some());
    let advanced = b.advanced_settings.as_ref().expect("the rest is inherited");
    assert_eq!(advanced.cluster_name, "local");
    assert!(advanced.resource_spec.is_none());
    assert!(custom(&builds, "c").advanced_settings.is_none());
}

#[test]
fn references_in_a_defaults_file_start_from_its_folder() {
    let defaults = format!(
        "{ROOT}build_script_file: scripts/build.sh\n\
         parameters:\n  - {{key: NOTES, default_value: \"${{file:notes.txt}}\"}}\n  \
         - {{key: TOKEN, is_credential: true, default_value: \"${{env:TOKEN}}\"}}\n"
    );
    let files = [
        ("b/_defaults.yaml", defaults.as_str()),
        ("b/scripts/build.sh", "make\n"),
        ("b/notes.txt", "shared notes\n"),
        ("b/shop/notes.txt", "the shop's own notes\n"),
        (
            "b/shop/api.yaml",
            "name: api\nproject_key: shop\n\
             docker_build_step: {dockerfile_source: local, build_args: \"${file:notes.txt}\"}\n",
        ),
    ];
    let outcome = load(&files, &[("TOKEN", "t0k3n")]);
    assert!(outcome.diagnostics.is_empty(), "{:#?}", outcome.diagnostics);
    let BuildSpec::Custom(api) = &outcome.desired.builds[0].spec else {
        panic!("custom");
    };
    assert_eq!(api.build_script, "make\n");
    assert_eq!(api.parameters[0].default_value, "shared notes");
    assert_eq!(api.parameters[1].default_value, "t0k3n");
    let docker = api.docker_build_step.as_ref().expect("own");
    assert_eq!(docker.build_args, "the shop's own notes");
    assert!(outcome.desired.secrets.contains(&"t0k3n".to_string()));
}

#[test]
fn moving_values_into_defaults_keeps_every_fingerprint_and_a_new_default_moves_them() {
    let whole = "name: api\nproject_key: shop\ninfrastructure: kubernetes\n\
        build_os: ubuntu 20.04\nscript_type: shell\nbuild_script: make\n";
    let before = builds(&[("b/shop/api.yaml", whole)]);
    let shared = "infrastructure: kubernetes\nbuild_os: ubuntu 20.04\nscript_type: shell\n";
    let moved = builds(&[
        ("b/_defaults.yaml", shared),
        (
            "b/shop/api.yaml",
            "name: api\nproject_key: shop\nbuild_script: make\n",
        ),
    ]);
    assert_eq!(moved["api"], before["api"]);
    assert_eq!(fingerprint(&moved["api"]), fingerprint(&before["api"]));

    let changed = builds(&[
        ("b/_defaults.yaml", &shared.replace("20.04", "22.04")),
        (
            "b/shop/api.yaml",
            "name: api\nproject_key: shop\nbuild_script: make\n",
        ),
    ]);
    assert_ne!(fingerprint(&changed["api"]), fingerprint(&before["api"]));
}

#[test]
fn template_documents_reach_template_builds_and_custom_ones_custom_builds() {
    let defaults = format!(
        "{ROOT}project_key: shop\n---\nkind: template\nproject_key: shop\n\
         template_name: java-template\n"
    );
    let builds = builds(&[
        ("b/shop/_defaults.yaml", &defaults),
        ("b/shop/api.yaml", "name: api\n"),
        (
            "b/shop/svc.yaml",
            "name: svc\ntarget_services: [{service_name: s, service_module: s}]\n",
        ),
        (
            "b/shop/other.yaml",
            "name: other\ntemplate_name: go-template\n\
             target_services: [{service_name: o, service_module: o}]\n",
        ),
    ]);
    assert_eq!(custom(&builds, "api").build_os, "ubuntu 20.04");
    let svc = template(&builds, "svc");
    assert_eq!(
        (svc.project_key.as_str(), svc.template_name.as_str()),
        ("shop", "java-template")
    );
    assert_eq!(template(&builds, "other").template_name, "go-template");
}

/// A defaults file with one problem of each kind it can have on its own, and builds that
/// inherit a problem only the merged build shows.
#[test]
fn problems_are_reported_where_the_value_was_written() {
    let defaults = "\
name: shared
infrastructure: k8s
build_os: ubuntu 20.04
script_type: shell
advanced_settings:
  timeout: 30
---
kind: templat
";
    let outcome = load(
        &[
            ("b/shop/_defaults.yaml", defaults),
            ("b/shop/_defaults.yml", "build_os: x\n"),
            (
                "b/other/_defaults.yaml",
                "script_type: shell\nadvanced_settings: {timeout: 5}\n",
            ),
            (
                "b/other/a.yaml",
                "name: a\nproject_key: p\ninfrastructure: vm\nbuild_os: x\n",
            ),
            (
                "b/other/b.yaml",
                "name: b\nproject_key: p\ninfrastructure: vm\nbuild_os: y\n",
            ),
            (
                "b/other/c.yaml",
                "name: c\nproject_key: p\ninfrastructure: vms\nbuild_os: z\n",
            ),
        ],
        &[],
    );
    let mut diagnostics = outcome.diagnostics.clone();
    diagnostics.sort_by_key(|d| d.origin.clone());
    assert_eq!(
        render_text(&diagnostics),
        "\
b/other/_defaults.yaml:2:20: error[missing-field]: missing required field `cluster_name` in `advanced_settings` (inherited from here by the build at b/other/a.yaml:1:1 and 2 other builds)
b/other/c.yaml:3:17: error[invalid-value]: `infrastructure` must be one of kubernetes, vm; found `vms`; did you mean `vm`?
b/shop/_defaults.yaml:1:7: error[defaults-file]: `name` cannot be a default: each build names itself in its own file
b/shop/_defaults.yaml:2:17: error[invalid-value]: `infrastructure` must be one of kubernetes, vm; found `k8s`
b/shop/_defaults.yaml:8:7: error[defaults-file]: `kind` must be `custom` (the default) or `template`, the builds this document gives values to; did you mean `template`?
b/shop/_defaults.yml:1:1: error[defaults-file]: this folder already has the defaults file `b/shop/_defaults.yaml`; keep one of them (this one is ignored)
"
    );
}

#[test]
fn builds_below_a_defaults_file_that_is_not_yaml_are_not_checked_against_a_guess() {
    let outcome = load(
        &[
            ("b/shop/_defaults.yaml", "build_os: [unclosed\n"),
            ("b/shop/api.yaml", "name: api\n"),
            ("b/web/_defaults.yaml", ROOT),
            ("b/web/site.yaml", "name: site\nproject_key: web\n"),
        ],
        &[],
    );
    let codes: Vec<(String, &str)> = (outcome.diagnostics.iter())
        .map(|d| {
            (
                d.origin
                    .as_ref()
                    .expect("placed")
                    .path
                    .display()
                    .to_string(),
                d.code,
            )
        })
        .collect();
    assert_eq!(codes, [("b/shop/_defaults.yaml".to_string(), "yaml")]);
    let [site] = outcome.desired.builds.as_slice() else {
        panic!(
            "only the build with readable defaults: {:?}",
            outcome.desired
        );
    };
    assert_eq!(site.spec.name(), "site");
}
