//! One case per field of the mapping table (`docs/zadig-api.md` §3): change only that field of
//! full.json's create body, compare with what Zadig holds after the original was written, and
//! expect exactly the change on that field's path. Fields Zadig does not return must show as
//! exactly the fingerprint change.

use crate::plan::fixtures::diff;
use serde_json::{Value, json};
use zadig_sync::reconcile::diff::UNOBSERVABLE_PATH;
use zadig_sync::reconcile::marker::fingerprint;
use zadig_sync::reconcile::normalize::{from_live, from_spec};

use crate::plan::fixtures::{create_body, spec, spec_from, written_detail};

/// A JSON pointer into the create body, the new value, and the expected change paths.
type Case = (&'static str, Value, &'static [&'static str]);

fn observable_cases() -> Vec<Case> {
    vec![
        ("/build_os", json!("ubuntu 22.04"), &["build_os"]),
        (
            "/installs/0/version",
            json!("1.22.0"),
            &["installs[go].version"],
        ),
        (
            "/installs/0/name",
            json!("node"),
            &["installs[go]", "installs[node]"],
        ),
        ("/build_script", json!("make all"), &["build_script"]),
        (
            "/repo_info/0/branch",
            json!("dev"),
            &["repo_info[kr-test-org1/multi-service-demo].branch"],
        ),
        (
            "/repo_info/0/remote_name",
            json!("upstream"),
            &["repo_info[kr-test-org1/multi-service-demo].remote_name"],
        ),
        (
            "/repo_info/0/checkout_path",
            json!("src"),
            &["repo_info[kr-test-org1/multi-service-demo].checkout_path"],
        ),
        (
            "/repo_info/0/submodules",
            json!(true),
            &["repo_info[kr-test-org1/multi-service-demo].submodules"],
        ),
        (
            "/repo_info/0/repo_namespace",
            json!("other-org"),
            &[
                "repo_info[kr-test-org1/multi-service-demo]",
                "repo_info[other-org/multi-service-demo]",
            ],
        ),
        (
            "/repo_info/0/repo_name",
            json!("other"),
            &[
                "repo_info[kr-test-org1/multi-service-demo]",
                "repo_info[kr-test-org1/other]",
            ],
        ),
        (
            "/parameters/0/default_value",
            json!("b"),
            &["parameters[aa].default_value"],
        ),
        (
            "/parameters/0/type",
            json!("choice"),
            &["parameters[aa].type"],
        ),
        (
            "/parameters/0/is_credential",
            json!(true),
            &["parameters[aa].is_credential"],
        ),
        (
            "/parameters/1/default_value",
            json!("other"),
            &["parameters[bb].default_value"],
        ),
        (
            "/parameters/0/key",
            json!("cc"),
            &["parameters[aa]", "parameters[cc]"],
        ),
        (
            "/services/1/service_module",
            json!("worker"),
            &["services[service2/service2]", "services[service2/worker]"],
        ),
        (
            "/docker_build_step/build_context_dir",
            json!("src"),
            &["docker_build_step.build_context_dir"],
        ),
        (
            "/docker_build_step/dockerfile_directory",
            json!("src/Dockerfile"),
            &["docker_build_step.dockerfile_directory"],
        ),
        (
            "/docker_build_step/build_args",
            json!(""),
            &["docker_build_step.build_args"],
        ),
        (
            "/docker_build_step/enable_buildkit",
            json!(false),
            &["docker_build_step.enable_buildkit"],
        ),
        (
            "/docker_build_step/platforms",
            json!("linux/arm64"),
            &["docker_build_step.platforms"],
        ),
        (
            "/docker_build_step/dockerfile_source",
            json!("template"),
            &[
                "docker_build_step.dockerfile_directory",
                "docker_build_step.dockerfile_source",
            ],
        ),
        (
            "/advanced_settings/timeout",
            json!(45),
            &["advanced_settings.timeout"],
        ),
        (
            "/advanced_settings/cluster_name",
            json!("gpu-cluster"),
            &["advanced_settings.cluster_name"],
        ),
        (
            "/advanced_settings/strategy_name",
            json!("default"),
            &["advanced_settings.strategy_name"],
        ),
        (
            "/advanced_settings/resource_spec/cpu_limit",
            json!(2000),
            &["advanced_settings.resource_spec.cpu_limit"],
        ),
        (
            "/advanced_settings/resource_spec/memory_limit",
            json!(4000),
            &["advanced_settings.resource_spec.memory_limit"],
        ),
        (
            "/advanced_settings/resource_spec/cpu_req",
            json!(200),
            &["advanced_settings.resource_spec.cpu_req"],
        ),
        (
            "/advanced_settings/resource_spec/memory_req",
            json!(400),
            &["advanced_settings.resource_spec.memory_req"],
        ),
        (
            "/advanced_settings/resource_spec/gpu_limit",
            json!("nvidia.com/gpu: 1"),
            &["advanced_settings.resource_spec.gpu_limit"],
        ),
        (
            "/advanced_settings/cache_setting/enabled",
            json!(false),
            &["advanced_settings.cache_setting.enabled"],
        ),
        (
            "/advanced_settings/cache_setting/cache_dir",
            json!("/cache"),
            &["advanced_settings.cache_setting.cache_dir"],
        ),
        (
            "/advanced_settings/use_host_docker_daemon",
            json!(true),
            &["advanced_settings.use_host_docker_daemon"],
        ),
        (
            "/advanced_settings/outputs",
            json!(["bb", "cc"]),
            &["advanced_settings.outputs"],
        ),
    ]
}

fn unobservable_cases() -> Vec<(&'static str, Value)> {
    vec![
        ("/infrastructure", json!("vm")),
        ("/script_type", json!("powershell")),
        ("/script_type", json!("batch_file")),
        ("/repo_info/0/codehost_name", json!("github")),
        ("/repo_info/0/commit_id", json!("abc123")),
        ("/repo_info/0/enable_commit", json!(true)),
        ("/repo_info/0/pr", json!(7)),
        ("/parameters/0/description", json!("changed")),
        ("/parameters/0/choice_option", json!(["a", "b"])),
        ("/parameters/0/choice_value", json!(["a"])),
        (
            "/advanced_settings/storages/storages_properties/0/storage_size_in_gib",
            json!(5),
        ),
        ("/advanced_settings/storages/enabled", json!(false)),
        ("/advanced_settings/privileged_mode", json!(true)),
        (
            "/advanced_settings/custom_annotations/0/value",
            json!("xyz"),
        ),
        ("/advanced_settings/custom_labels/0/key", json!("team")),
    ]
}

/// full.json's body with one field set (added when the fixture leaves it out).
fn mutated(pointer: &str, value: &Value) -> Value {
    let mut body = create_body("full");
    let (parent, field) = pointer.rsplit_once('/').expect("a JSON pointer");
    let parent = body
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("{pointer}'s parent"));
    match parent {
        Value::Object(map) => {
            map.insert(field.to_string(), value.clone());
        }
        Value::Array(items) => items[field.parse::<usize>().expect("an index")] = value.clone(),
        other => panic!("{pointer}: cannot set a field of {other}"),
    }
    body
}

fn changed_paths(pointer: &str, value: &Value) -> Vec<String> {
    let original = spec("full");
    let live = from_live(&written_detail("full", &original));
    let edited = spec_from(mutated(pointer, value));
    diff(&from_spec(&edited), &live)
        .into_iter()
        .map(|c| c.path)
        .collect()
}

#[test]
fn each_observable_field_change_is_exactly_its_own_change() {
    for (pointer, value, expected) in observable_cases() {
        assert_eq!(
            changed_paths(pointer, &value),
            *expected,
            "{pointer} = {value}"
        );
    }
}

#[test]
fn each_unobservable_field_change_is_exactly_the_fingerprint() {
    for (pointer, value) in unobservable_cases() {
        assert_eq!(
            changed_paths(pointer, &value),
            [UNOBSERVABLE_PATH],
            "{pointer} = {value}"
        );
    }
}

#[test]
fn a_credential_value_is_not_part_of_the_fingerprint() {
    let edited = spec_from(mutated(
        "/parameters/1/default_value",
        &json!("s3cr3t-value"),
    ));
    assert_eq!(fingerprint(&edited), fingerprint(&spec("full")));
}

#[test]
fn a_non_credential_value_is_part_of_the_fingerprint() {
    let edited = spec_from(mutated("/parameters/0/default_value", &json!("b")));
    assert_ne!(fingerprint(&edited), fingerprint(&spec("full")));
}

#[test]
fn build_context_dir_is_compared_space_trimmed() {
    let paths = changed_paths(
        "/docker_build_step/build_context_dir",
        &json!("  $REPONAME_0 "),
    );
    assert_eq!(paths, [UNOBSERVABLE_PATH]);
}

#[test]
fn advanced_settings_absent_expects_zadig_defaults() {
    let mut body = create_body("full");
    body.as_object_mut()
        .expect("object")
        .remove("advanced_settings");
    let live = from_live(&written_detail("full", &spec("full")));
    let paths: Vec<String> = diff(&from_spec(&spec_from(body)), &live)
        .into_iter()
        .map(|c| c.path)
        .collect();
    assert_eq!(
        paths,
        [
            "advanced_settings.timeout",
            "advanced_settings.resource_spec.cpu_req",
            "advanced_settings.resource_spec.memory_limit",
            "advanced_settings.resource_spec.memory_req",
            "advanced_settings.cache_setting.enabled",
            "advanced_settings.outputs",
        ]
    );
}
