//! Generated custom build bodies that Zadig (the emulator) accepts: every section of the create
//! body, each in the shapes that Zadig renames, defaults, trims or drops on the way back.

use proptest::collection::{btree_map, btree_set, vec};
use proptest::option;
use proptest::prelude::*;
use serde_json::{Value, json};

/// The seeded local cluster of the emulator (`default_seeds.json`).
const CLUSTER: &str = "local-20250523164625";

fn one_of(items: &'static [&'static str]) -> impl Strategy<Value = &'static str> + Clone {
    proptest::sample::select(items)
}

fn word() -> impl Strategy<Value = String> + Clone {
    "[a-z][a-z0-9-]{0,5}"
}

fn installs() -> impl Strategy<Value = Value> {
    btree_map("[a-d]{1,3}", "[0-9][0-9.]{0,4}", 0..3).prop_map(|installs| {
        let list: Vec<Value> = installs
            .into_iter()
            .map(|(name, version)| json!({"name": name, "version": version}))
            .collect();
        json!(list)
    })
}

/// Repos keyed by namespace/name, with the fields Zadig keeps but does not return.
fn repos() -> impl Strategy<Value = Value> {
    let repo = (
        one_of(&["github", "gitlab"]),
        word(),
        one_of(&["", "origin", "upstream"]),
        one_of(&["", "src", "deep/path"]),
        any::<bool>(),
        (any::<bool>(), "[0-9a-f]{0,7}", 0i64..50),
    );
    btree_map((word(), word()), repo, 0..3).prop_map(|repos| {
        let list: Vec<Value> = repos
            .into_iter()
            .map(
                |((namespace, name), (host, branch, remote, path, submodules, unseen))| {
                    let (enable_commit, commit_id, pr) = unseen;
                    json!({
                        "codehost_name": host, "repo_namespace": namespace, "repo_name": name,
                        "branch": branch, "remote_name": remote, "checkout_path": path,
                        "submodules": submodules, "enable_commit": enable_commit,
                        "commit_id": commit_id, "pr": pr,
                    })
                },
            )
            .collect();
        json!(list)
    })
}

/// Parameters of every type, some credentials, some with choices and descriptions (which
/// Zadig stores and never returns for custom builds).
fn parameters() -> impl Strategy<Value = Value> {
    let kinds = &[
        "",
        "string",
        "choice",
        "multi-select",
        "image",
        "script",
        "file",
        "external",
    ];
    let parameter = (
        one_of(kinds),
        "[a-z0-9 ]{0,6}",
        any::<bool>(),
        "[a-z ]{0,8}",
        vec("[a-c]", 0..3),
        vec("[a-c]", 0..2),
    );
    btree_map("[A-Z]{1,3}", parameter, 0..4).prop_map(|parameters| {
        let list: Vec<Value> = parameters
            .into_iter()
            .map(|(key, (kind, value, secret, description, options, chosen))| {
                let mut parameter = json!({
                    "key": key, "default_value": value, "is_credential": secret,
                    "description": description, "choice_option": options, "choice_value": chosen,
                });
                if !kind.is_empty() {
                    parameter["type"] = kind.into();
                }
                parameter
            })
            .collect();
        json!(list)
    })
}

fn services() -> impl Strategy<Value = Value> {
    btree_set(("[a-d]{1,3}", "[a-d]{1,3}"), 0..3).prop_map(|services| {
        let list: Vec<Value> = services
            .into_iter()
            .map(|(name, module)| json!({"service_name": name, "service_module": module}))
            .collect();
        json!(list)
    })
}

/// A local Dockerfile (paths with spaces Zadig trims) or the seeded `go-dockerfile` template
/// (with a stray `dockerfile_directory` Zadig ignores).
fn docker_build_step() -> impl Strategy<Value = Option<Value>> {
    let step = (
        any::<bool>(),
        one_of(&["", ".", " ./app ", "$REPONAME_0"]),
        one_of(&["Dockerfile", " docker/Dockerfile ", ""]),
        one_of(&["", "--build-arg A=1"]),
        any::<bool>(),
        one_of(&["", "linux/amd64", "linux/amd64,linux/arm64"]),
    );
    option::of(
        step.prop_map(|(local, context, dockerfile, args, buildkit, platforms)| {
            let (source, template) = if local {
                ("local", "")
            } else {
                ("template", "go-dockerfile")
            };
            json!({
                "dockerfile_source": source, "build_context_dir": context,
                "dockerfile_directory": dockerfile, "template_name": template,
                "build_args": args, "enable_buildkit": buildkit, "platforms": platforms,
            })
        }),
    )
}

fn resource_spec() -> impl Strategy<Value = Option<Value>> {
    let spec = (
        0i64..4000,
        0i64..4000,
        0i64..500,
        0i64..500,
        one_of(&["", "nvidia.com/gpu: 1"]),
    );
    option::of(spec.prop_map(|(cpu, memory, cpu_req, memory_req, gpu)| {
        json!({
            "cpu_limit": cpu, "memory_limit": memory, "cpu_req": cpu_req,
            "memory_req": memory_req, "gpu_limit": gpu,
        })
    }))
}

/// Advanced settings, absent (Zadig's defaults) or present with any strategy, including one the
/// cluster does not have, with and without a resource spec and a cache.
fn advanced_settings() -> impl Strategy<Value = Option<Value>> {
    let settings = (
        one_of(&["", "随机调度", "优先调度", "default", "no-such-strategy"]),
        0i64..200,
        resource_spec(),
        option::of((any::<bool>(), one_of(&["", "$WORKSPACE", "/cache"]))),
        (any::<bool>(), any::<bool>()),
        // The names Zadig puts in front of the file's own outputs are valid own outputs too.
        vec(one_of(&["IMAGE", "PKG_FILE", "VERSION", "TAG"]), 0..3),
    );
    option::of(settings.prop_map(
        |(strategy, timeout, spec, cache, (host_docker, privileged), outputs)| {
            let mut settings = json!({
                "cluster_name": CLUSTER, "strategy_name": strategy, "timeout": timeout,
                "use_host_docker_daemon": host_docker, "privileged_mode": privileged,
                "outputs": outputs,
                "custom_labels": [{"key": "team", "value": "a"}],
            });
            if let Some(spec) = spec {
                settings["resource_spec"] = spec;
            }
            if let Some((enabled, dir)) = cache {
                settings["cache_setting"] = json!({"enabled": enabled, "cache_dir": dir});
            }
            settings
        },
    ))
}

/// A custom build's create body, named `generated` in project `generated`: callers rename it.
pub fn custom_body() -> impl Strategy<Value = Value> {
    let head = (
        one_of(&["ubuntu 18.04", "ubuntu 20.04", "ubuntu 22.04"]),
        one_of(&["kubernetes", "vm"]),
        one_of(&["shell", "batch_file", "powershell"]),
        "[a-z #$\\r\\n]{0,30}",
    );
    let sections = (
        installs(),
        repos(),
        parameters(),
        services(),
        docker_build_step(),
        advanced_settings(),
    );
    (head, sections).prop_map(|((os, infrastructure, script_type, script), sections)| {
        let (installs, repos, parameters, services, docker, advanced) = sections;
        let mut body = json!({
            "name": "generated", "project_key": "generated", "build_os": os,
            "infrastructure": infrastructure, "script_type": script_type,
            "build_script": script, "installs": installs, "repo_info": repos,
            "parameters": parameters, "services": services,
        });
        if let Some(docker) = docker {
            body["docker_build_step"] = docker;
        }
        if let Some(advanced) = advanced {
            body["advanced_settings"] = advanced;
        }
        body
    })
}
