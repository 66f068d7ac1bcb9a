//! `zadig-sync pull` end to end, against the emulator: a build edited in Zadig's UI, pulled
//! into its file, for each kind of field. Each test checks that only the lines saying the
//! edit changed (the rest of the file is byte for byte the same), and that `plan` then shows
//! only the marker's update and `apply` after it nothing.

use serde_json::{Value, json};

use crate::util::cli::{Emulator, apply, stdout, succeeded, workspace, zadig_sync};
use crate::util::files::{SCRIPTED_WORKER, TEMPLATED_API};
use crate::util::pull::{
    changed_lines, edit_custom, edit_template, left_saying, lines, only_markers_then_nothing, read,
    script_with,
};

/// A custom build with a field of every kind, written with comments, blank lines, quoting
/// and a flow item as people write them.
const API: &str = "\
# The shop API, built on a VM.
name: shop-api
project_key: shop
infrastructure: vm
build_os: ubuntu 22.04   # the base image
installs:
  - name: go
    version: \"1.22\"
script_type: shell
build_script: |
  make
  make test
repo_info:
  - codehost_name: github
    repo_namespace: shop
    repo_name: api
    branch: main
parameters:
  # Shown in the build's log.
  - key: GREETING
    default_value: 'hello'
    description: shown in the log
  - {key: LEVEL, type: string, default_value: info}
docker_build_step:
  dockerfile_source: local
  build_context_dir: .
  dockerfile_directory: Dockerfile
advanced_settings:
  cluster_name: local-20250523164625
  timeout: 30

  resource_spec:
    cpu_limit: 1000
    memory_limit: 512
  outputs: [VERSION]
";

/// Applies `files`, so that Zadig holds what they say, with the marker.
fn applied(files: &[(&str, &str)]) -> (Emulator, tempfile::TempDir) {
    let emulator = Emulator::start(&[]);
    let dir = workspace(files);
    succeeded(&apply(dir.path(), &emulator, &[]));
    (emulator, dir)
}

/// Edits `shop-api` in the UI, pulls, and checks the lines of `api.yaml` pull changed; the
/// summary pull printed.
fn pull_api_edit(edit: impl FnOnce(&mut Value), removed: &[&str], added: &[&str]) -> String {
    let (emulator, dir) = applied(&[("shop/api.yaml", API)]);
    edit_custom(&emulator, ("shop", "shop-api"), edit);
    let output = zadig_sync(dir.path(), &emulator, &["pull"]);
    let summary = succeeded(&output);
    assert!(summary.contains("Pulled 1 build into 1 file"), "{summary}");
    let pulled = read(dir.path(), "shop/api.yaml");
    assert_eq!(
        changed_lines(API, &pulled),
        (lines(removed), lines(added)),
        "{pulled}"
    );
    only_markers_then_nothing(dir.path(), &emulator, &["shop-api"]);
    summary
}

#[test]
fn a_scalar_is_replaced_where_it_is_written() {
    let _ = pull_api_edit(
        |body| {
            body["build_os"] = "ubuntu 20.04".into();
            body["advanced_settings"]["timeout"] = 90.into();
        },
        &["build_os: ubuntu 22.04   # the base image", "  timeout: 30"],
        &["build_os: ubuntu 20.04   # the base image", "  timeout: 90"],
    );
}

/// `plan` says which side changed, and both ways out, before any pull.
#[test]
fn plan_names_a_change_made_in_zadig_and_the_pull_that_keeps_it() {
    let (emulator, dir) = applied(&[("shop/api.yaml", API)]);
    edit_custom(&emulator, ("shop", "shop-api"), |body| {
        body["build_os"] = "ubuntu 20.04".into()
    });
    let plan = stdout(&zadig_sync(dir.path(), &emulator, &["plan"]));
    let said = [
        "      changed in Zadig by admin, not in its file: apply writes the file's version back;",
        "      to keep Zadig's version instead: zadig-sync pull --build shop-api",
    ];
    for line in said {
        assert!(plan.lines().any(|l| l == line), "{line}\n{plan}");
    }
    // An edit of the file is not drift: nothing is said of Zadig.
    let edited = API.replace("timeout: 30", "timeout: 45");
    std::fs::write(dir.path().join("builds.d/shop/api.yaml"), edited).unwrap();
    let plan = stdout(&zadig_sync(dir.path(), &emulator, &["plan"]));
    assert!(!plan.contains("changed in Zadig"), "{plan}");
}

#[test]
fn a_nested_mapping_gets_its_value_and_a_new_key_in_its_style() {
    let _ = pull_api_edit(
        |body| {
            let advanced = &mut body["advanced_settings"];
            advanced["resource_spec"]["cpu_limit"] = 2000.into();
            advanced["cache_setting"] = json!({"enabled": true, "cache_dir": "/cache"});
        },
        &["    cpu_limit: 1000"],
        &[
            "    cpu_limit: 2000",
            "  cache_setting:",
            "    enabled: true",
            "    cache_dir: /cache",
        ],
    );
}

#[test]
fn lists_of_repos_parameters_and_tools_are_matched_item_by_item() {
    // The parameter's description, which Zadig does not return, stays; the new repository's
    // code host alias, which it does not return either, is listed to be checked.
    let summary = pull_api_edit(
        |body| {
            body["installs"][0]["version"] = "1.23".into();
            body["repo_info"][0]["branch"] = "release".into();
            let repo = json!({"codehost_name": "github", "repo_namespace": "shop",
                "repo_name": "web", "branch": "main"});
            body["repo_info"].as_array_mut().expect("repos").push(repo);
            let parameters = body["parameters"].as_array_mut().expect("parameters");
            parameters[0]["default_value"] = "hi there".into();
            parameters.remove(1);
            parameters
                .push(json!({"key": "REGION", "default_value": "eu-1", "is_credential": false}));
        },
        // A line diff pairs the old repository's `branch: main` with the new one's.
        &[
            "    version: \"1.22\"",
            "    default_value: 'hello'",
            "  - {key: LEVEL, type: string, default_value: info}",
        ],
        &[
            "    version: \"1.23\"",
            "    branch: release",
            "  - codehost_name: github",
            "    repo_namespace: shop",
            "    repo_name: web",
            "    default_value: 'hi there'",
            "  - key: REGION",
            "    default_value: eu-1",
        ],
    );
    assert!(
        summary.contains(
            "Written with a value Zadig does not return (check each one):\n  shop/shop-api \
             repo_info[shop/web].codehost_name = github: Zadig returns only the code host's type"
        ),
        "{summary}"
    );
}

#[test]
fn an_inline_script_keeps_its_block_and_a_script_file_is_written() {
    let worker = SCRIPTED_WORKER;
    let script = "#!/bin/sh\nset -e\nmake worker\n";
    let files = [
        ("shop/api.yaml", API),
        ("shop/worker.yaml", worker),
        ("shop/scripts/worker.sh", script),
    ];
    let (emulator, dir) = applied(&files);
    edit_custom(&emulator, ("shop", "shop-api"), |body| {
        script_with(body, "make test\n", "make test\nmake lint\n")
    });
    edit_custom(&emulator, ("shop", "shop-worker"), |body| {
        script_with(body, "make worker\n", "make worker\nmake check\n")
    });
    succeeded(&zadig_sync(dir.path(), &emulator, &["pull"]));
    let api = read(dir.path(), "shop/api.yaml");
    assert_eq!(
        changed_lines(API, &api),
        (lines(&[]), lines(&["  make lint"])),
        "{api}"
    );
    assert_eq!(read(dir.path(), "shop/worker.yaml"), worker);
    assert_eq!(
        read(dir.path(), "shop/scripts/worker.sh"),
        "#!/bin/sh\nset -e\nmake worker\nmake check\n"
    );
    only_markers_then_nothing(dir.path(), &emulator, &["shop-api", "shop-worker"]);
}

#[test]
fn a_template_input_changed_in_zadig_after_an_apply_is_pulled() {
    let (emulator, dir) = applied(&[("shop/api.yaml", TEMPLATED_API)]);
    let mut body: Value = json!({
        "name": "shop-api", "project_key": "shop", "template_name": "java-template",
        "target_services": [{
            "service_name": "api", "service_module": "api",
            "repo_info": [{"codehost_name": "github", "repo_namespace": "shop",
                "repo_name": "api", "branch": "main"}],
            "inputs": [{"key": "JAVA_VERSION", "value": "22"}],
        }],
    });
    edit_template(&emulator, &body);
    // A template build carries no marker: what this machine saw in sync after the apply (the
    // cache folder's records) is what tells a change in Zadig from an unapplied edit. Without
    // it, the build is pulled only when named.
    let blind = zadig_sync(dir.path(), &emulator, &["pull", "--no-cache"]);
    left_saying(&blind, "name it with --build");
    assert_eq!(read(dir.path(), "shop/api.yaml"), TEMPLATED_API);
    let plan = stdout(&zadig_sync(
        dir.path(),
        &emulator,
        &["plan", "--output", "json"],
    ));
    let plan: Value = serde_json::from_str(&plan).expect("plan --output json");
    assert_eq!(plan["steps"][0]["cause"], "drift", "{plan}");
    succeeded(&zadig_sync(dir.path(), &emulator, &["pull"]));
    let pulled = read(dir.path(), "shop/api.yaml");
    assert_eq!(
        changed_lines(TEMPLATED_API, &pulled),
        (
            lines(&["        value: \"21\""]),
            lines(&["        value: \"22\""])
        ),
        "{pulled}"
    );
    only_markers_then_nothing(dir.path(), &emulator, &[]);
    body["target_services"][0]["repo_info"][0]["branch"] = "dev".into();
    edit_template(&emulator, &body);
    let named = ["pull", "--no-cache", "--build", "shop-api"];
    succeeded(&zadig_sync(dir.path(), &emulator, &named));
    assert!(read(dir.path(), "shop/api.yaml").contains("        branch: dev\n"));
}

#[test]
fn an_unapplied_edit_of_a_template_file_is_not_undone() {
    let (emulator, dir) = applied(&[("shop/api.yaml", TEMPLATED_API)]);
    let edited = TEMPLATED_API.replace("value: \"21\"", "value: \"25\"");
    assert_ne!(edited, TEMPLATED_API);
    std::fs::write(dir.path().join("builds.d/shop/api.yaml"), &edited).unwrap();
    let left = zadig_sync(dir.path(), &emulator, &["pull"]);
    left_saying(&left, "the file changed since it was applied");
    assert_eq!(read(dir.path(), "shop/api.yaml"), edited);
}

#[test]
fn an_exported_build_edited_before_its_first_apply_is_pulled_when_named() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[]);
    emulator.create_by_hand("shop", "shop-hand");
    succeeded(&zadig_sync(
        dir.path(),
        &emulator,
        &["export", "--project", "shop"],
    ));
    let exported = read(dir.path(), "shop/shop-hand.yaml");
    edit_custom(&emulator, ("shop", "shop-hand"), |body| {
        body["build_os"] = "ubuntu 20.04".into()
    });
    // Not written by zadig-sync yet: either side may be the newer one.
    let unnamed = zadig_sync(dir.path(), &emulator, &["pull"]);
    left_saying(&unnamed, "not written by zadig-sync yet");
    succeeded(&zadig_sync(
        dir.path(),
        &emulator,
        &["pull", "--build", "shop-hand"],
    ));
    let pulled = read(dir.path(), "shop/shop-hand.yaml");
    assert_eq!(
        changed_lines(&exported, &pulled),
        (
            lines(&["build_os: ubuntu 22.04"]),
            lines(&["build_os: ubuntu 20.04"])
        ),
        "{pulled}"
    );
    let plan = stdout(&zadig_sync(dir.path(), &emulator, &["plan"]));
    assert!(
        plan.contains("adopted: this build was not written by zadig-sync"),
        "{plan}"
    );
    only_markers_then_nothing(dir.path(), &emulator, &["shop-hand"]);
}
