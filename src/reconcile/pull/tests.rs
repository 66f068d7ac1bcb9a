//! Pulling one build, against the documented full custom build (`full.json`) written by hand
//! with comments, odd quoting and flow collections: each edit made in Zadig becomes a change
//! of only the lines that say it, and the file then loads to what Zadig has.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::*;
use crate::load::files::FileError;
use crate::load::{LoadOutcome, ReferenceMode, Source, load_sources};
use crate::reconcile::diff::UNOBSERVABLE_PATH;
use crate::reconcile::pull::edit::apply;
use crate::reconcile::redact::Secrets;
use crate::reconcile::wire::DetailResponse;

/// The create body of `full.json`, as a person would write it.
const FILE: &str = "\
# The API build of the yaml project.
name: api-test
project_key: 'yaml'   # quoted on purpose
infrastructure: kubernetes
build_os: \"ubuntu 20.04\"
installs:
  - name: go
    version: \"1.20.7\"
script_type: shell
build_script: |-
  #!/bin/bash
  set -e
  echo 'hello from api'
  cd $REPONAME_0
  make build-$SERVICE

repo_info:
- codehost_name: gitlab
  repo_namespace: kr-test-org1
  repo_name: multi-service-demo
  branch: main # the default branch
parameters:
  # a choice
  - key: aa
    type: multi-select
    default_value: a
    description: a multi-select var
    choice_option: [a, b, c]
    choice_value: [a, b]
  - {key: bb, type: string, default_value: \"${env:BB}\", description: a string values, is_credential: true}
services:
  - service_name: service1
    service_module: service1
  # the second service
  - service_name: service2
    service_module: service2
docker_build_step:
    dockerfile_source: local
    build_context_dir: $REPONAME_0
    dockerfile_directory: $REPONAME_0/Dockerfile
    build_args: \"--build-arg service=$SERVICE\"
    enable_buildkit: true
    platforms: linux/amd64
advanced_settings:
  cluster_name: local-20250523164625
  strategy_name: 优先调度
  timeout: 30

  resource_spec: {cpu_req: 100, cpu_limit: 1000, memory_req: 200, memory_limit: 2000}
  cache_setting:
    enabled: true
    cache_dir: $WORKSPACE
  outputs:
    - bb
";

pub(super) const SECRET: &str = "abc123";

pub(super) fn fixture() -> serde_json::Value {
    let text = include_str!("../../../tests/fixtures/zadig/full.json");
    let fixture: serde_json::Value = serde_json::from_str(text).expect("fixture JSON");
    fixture["detail_response"]["body"].clone()
}

/// What Zadig holds once `edit` is made to the fixture's detail (JSON) in its UI.
pub(super) fn live(edit: impl FnOnce(&mut serde_json::Value)) -> LiveDetail {
    live_of(fixture(), edit)
}

/// `body` (a detail's JSON) once `edit` is made to it.
pub(super) fn live_of(
    mut body: serde_json::Value,
    edit: impl FnOnce(&mut serde_json::Value),
) -> LiveDetail {
    edit(&mut body);
    let response: DetailResponse = serde_json::from_value(body).expect("detail");
    LiveDetail::custom(response)
}

pub(super) fn load(files: &[(&str, &str)]) -> LoadOutcome {
    let sources: Vec<Source> = (files.iter())
        .filter(|(path, _)| path.ends_with(".yaml"))
        .map(|(path, text)| Source {
            path: PathBuf::from(path),
            text: text.to_string(),
        })
        .collect();
    let others: BTreeMap<PathBuf, String> = (files.iter())
        .map(|(path, text)| (PathBuf::from(path), text.to_string()))
        .collect();
    let env = |name: &str| match name {
        "BB" => Some(SECRET.to_string()),
        "BRANCH" => Some("main".to_string()),
        _ => None,
    };
    let read = |path: &Path| {
        others
            .get(path)
            .cloned()
            .ok_or_else(|| FileError::BrokenSymlink {
                path: path.to_path_buf(),
            })
    };
    load_sources(&sources, ReferenceMode::Online, &env, &read)
}

/// The one build of `b/x.yaml` (besides `others`, defaults files and scripts).
pub(super) fn build_of(text: &str, others: &[(&str, &str)]) -> DesiredBuild {
    let mut files = vec![("b/x.yaml", text)];
    files.extend_from_slice(others);
    let outcome = load(&files);
    assert!(!outcome.has_errors(), "{text}\n{:#?}", outcome.diagnostics);
    let build = outcome
        .desired
        .builds
        .into_iter()
        .find(|b| b.origin.path == Path::new("b/x.yaml"));
    build.expect("the build")
}

fn pull(text: &str, detail: &LiveDetail, others: &[(&str, &str)]) -> (BuildPull, String) {
    pull_with(text, detail, others, false)
}

/// [`pull`], with `--override-defaults` or not.
pub(super) fn pull_with(
    text: &str,
    detail: &LiveDetail,
    others: &[(&str, &str)],
    override_defaults: bool,
) -> (BuildPull, String) {
    let desired = build_of(text, others);
    let input = PullInput {
        text,
        desired: &desired,
        detail,
        override_defaults,
        secrets: &Secrets::new(&[SECRET]),
    };
    let pulled = pull_build(&input);
    let new = apply(text, pulled.edits.clone()).expect("edits apply");
    (pulled, new)
}

/// The lines of `new` that differ from `old`: (removed, added).
pub(super) fn changed_lines(old: &str, new: &str) -> (Vec<String>, Vec<String>) {
    let diff = similar::TextDiff::from_lines(old, new);
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    for change in diff.iter_all_changes() {
        let line = change.value().trim_end_matches('\n').to_string();
        match change.tag() {
            similar::ChangeTag::Delete => removed.push(line),
            similar::ChangeTag::Insert => added.push(line),
            similar::ChangeTag::Equal => {}
        }
    }
    (removed, added)
}

/// The differences left between the pulled file and Zadig (the marker's aside).
pub(super) fn left(new: &str, detail: &LiveDetail, others: &[(&str, &str)]) -> Vec<String> {
    differences(&build_of(new, others), detail)
        .iter()
        .map(|d| d.path().to_string())
        .filter(|path| path != UNOBSERVABLE_PATH)
        .collect()
}

/// Pulls an edit made in Zadig: only `removed` lines go and `added` lines come, and the file
/// then says what Zadig has.
fn check(edit: impl FnOnce(&mut serde_json::Value), removed: &[&str], added: &[&str]) {
    let detail = live(edit);
    let (pulled, new) = pull(FILE, &detail, &[]);
    assert!(pulled.skipped.is_empty(), "{:?}\n{new}", pulled.skipped);
    assert_eq!(
        changed_lines(FILE, &new),
        (lines(removed), lines(added)),
        "{new}"
    );
    assert_eq!(left(&new, &detail, &[]), Vec::<String>::new(), "{new}");
}

pub(super) fn lines(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|l| l.to_string()).collect()
}

#[test]
fn nothing_to_pull_when_zadig_has_what_the_file_says() {
    let detail = live(|_| {});
    let (pulled, new) = pull(FILE, &detail, &[]);
    assert_eq!(new, FILE);
    assert!(
        pulled.pulled.is_empty() && pulled.skipped.is_empty(),
        "{pulled:?}"
    );
}

#[test]
fn scalars_are_replaced_where_they_are_written_in_their_spelling() {
    check(
        |d| d["advanced_settings"]["timeout"] = 90.into(),
        &["  timeout: 30"],
        &["  timeout: 90"],
    );
    check(
        |d| d["repos"][0]["branch"] = "release 1.2".into(),
        &["  branch: main # the default branch"],
        &["  branch: release 1.2 # the default branch"],
    );
    check(
        |d| d["build_env"]["installs"][0]["version"] = "1.21".into(),
        &["    version: \"1.20.7\""],
        &["    version: \"1.21\""],
    );
    check(
        |d| d["advanced_settings"]["resource_spec"]["cpu_limit"] = 2000.into(),
        &["  resource_spec: {cpu_req: 100, cpu_limit: 1000, memory_req: 200, memory_limit: 2000}"],
        &["  resource_spec: {cpu_req: 100, cpu_limit: 2000, memory_req: 200, memory_limit: 2000}"],
    );
}

#[test]
fn list_items_are_added_after_the_last_and_removed_with_their_comments() {
    check(
        |d| {
            d["target_services"]
                .as_array_mut()
                .expect("services")
                .truncate(1)
        },
        &[
            "  # the second service",
            "  - service_name: service2",
            "    service_module: service2",
        ],
        &[],
    );
    check(
        |d| {
            let parameters = d["parameters"].as_array_mut().expect("parameters");
            parameters.push(serde_json::json!({"key": "cc", "value": "1.0", "type": "string", "is_credential": false}));
        },
        &[],
        &[
            "  - key: cc",
            "    type: string",
            "    default_value: \"1.0\"",
        ],
    );
    check(
        |d| {
            let repo = serde_json::json!({"source": "gitlab", "repo_owner": "kr", "repo_name": "web", "branch": "dev"});
            d["repos"].as_array_mut().expect("repos").push(repo);
        },
        &[],
        &[
            "- codehost_name: gitlab",
            "  repo_namespace: kr",
            "  repo_name: web",
            "  branch: dev",
        ],
    );
}

#[test]
fn a_removed_mapping_goes_whole_and_a_new_key_joins_its_mapping() {
    check(
        |d| d["post_build"]["docker_build"] = serde_json::Value::Null,
        &[
            "docker_build_step:",
            "    dockerfile_source: local",
            "    build_context_dir: $REPONAME_0",
            "    dockerfile_directory: $REPONAME_0/Dockerfile",
            "    build_args: \"--build-arg service=$SERVICE\"",
            "    enable_buildkit: true",
            "    platforms: linux/amd64",
        ],
        &[],
    );
    check(
        |d| d["advanced_settings"]["use_host_docker_daemon"] = true.into(),
        &[],
        &["  use_host_docker_daemon: true"],
    );
    check(
        |d| d["repos"][0]["checkout_path"] = "src/app".into(),
        &[],
        &["  checkout_path: src/app"],
    );
}

#[test]
fn a_script_keeps_its_block_and_indentation() {
    check(
        |d| {
            let script = d["build_script"]
                .as_str()
                .expect("script")
                .replace("set -e", "set -eu");
            d["build_script"] = script.into();
        },
        &["  set -e"],
        &["  set -eu"],
    );
}

#[test]
fn a_credential_a_reference_and_an_inherited_value_are_said_and_left_alone() {
    let file = FILE.replace("branch: main #", "branch: ${env:BRANCH} #");
    let detail = live(|d| {
        d["parameters"][1]["value"] = "rotated".into();
        d["repos"][0]["branch"] = "dev".into();
        d["advanced_settings"]["timeout"] = 45.into();
    });
    let (pulled, new) = pull(&file, &detail, &[]);
    let reasons: Vec<(&str, &str)> = (pulled.skipped.iter())
        .map(|s| (s.path.as_str(), s.why.word()))
        .collect();
    assert_eq!(
        reasons,
        [
            (
                "repo_info[kr-test-org1/multi-service-demo].branch",
                "reference"
            ),
            ("parameters[bb].default_value", "credential"),
        ]
    );
    assert_eq!(
        pulled.skipped[0].why.to_string(),
        "set by ${env:BRANCH}: change it where it is set"
    );
    assert_eq!(
        changed_lines(&file, &new),
        (lines(&["  timeout: 30"]), lines(&["  timeout: 45"]))
    );
    assert!(!new.contains("rotated"));

    let defaults = "advanced_settings:\n  cluster_name: local-20250523164625\n  timeout: 30\n";
    let own = FILE
        .replace("  timeout: 30\n", "")
        .replace("  cluster_name: local-20250523164625\n", "");
    let others = [("b/_defaults.yaml", defaults)];
    let (pulled, new) = pull(
        &own,
        &live(|d| d["advanced_settings"]["timeout"] = 45.into()),
        &others,
    );
    assert_eq!(new, own);
    assert_eq!(pulled.skipped.len(), 1, "{:?}", pulled.skipped);
    assert_eq!(
        pulled.skipped[0].why.to_string(),
        "inherited from b/_defaults.yaml: edit it there, or override it in the build file with --override-defaults"
    );
}
