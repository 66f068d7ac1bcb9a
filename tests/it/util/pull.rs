//! For the `pull` tests: a person's edit in Zadig's UI (the build as detail shows it, turned
//! back into the body the UI sends, changed, and saved), the lines a pull changed, and the
//! proof that the files then say what Zadig has (`plan` shows only the marker's update, and
//! after `apply`, nothing).

use std::path::Path;

use serde_json::{Value, json};

use super::cli::{Emulator, apply, succeeded, zadig_sync};

/// The body Zadig's UI sends to save a custom build as detail shows it (`infrastructure`
/// and `script_type`, which detail leaves out, as given).
pub fn ui_body(detail: &Value, infrastructure: &str) -> Value {
    let list = |value: &Value| value.as_array().cloned().unwrap_or_default();
    let repos: Vec<Value> = list(&detail["repos"])
        .iter()
        .map(|r| {
            json!({
                "codehost_name": r["source"], "repo_namespace": r["repo_owner"],
                "repo_name": r["repo_name"], "branch": r["branch"],
                "remote_name": r["remote_name"], "checkout_path": r["checkout_path"],
                "submodules": r["submodules"],
            })
        })
        .collect();
    let parameters: Vec<Value> = list(&detail["parameters"])
        .iter()
        .map(|p| {
            let mut parameter = json!({
                "key": p["key"], "default_value": p["value"], "is_credential": p["is_credential"],
            });
            if let Some(kind) = p.get("type") {
                parameter["type"] = kind.clone();
            }
            parameter
        })
        .collect();
    let outputs: Vec<Value> = list(&detail["outputs"])
        .iter()
        .skip(2)
        .map(|o| o["name"].clone())
        .collect();
    let advanced = &detail["advanced_settings"];
    let mut body = json!({
        "name": detail["name"], "project_key": detail["project_key"],
        "infrastructure": infrastructure, "script_type": "shell",
        "build_os": detail["build_env"]["basic_image_label"],
        "installs": detail["build_env"]["installs"],
        "build_script": detail["build_script"],
        "repo_info": repos, "parameters": parameters, "services": detail["target_services"],
        "advanced_settings": {
            "cluster_name": advanced["cluster_name"], "strategy_name": advanced["strategy_name"],
            "timeout": advanced["timeout"], "resource_spec": advanced["resource_spec"],
            "cache_setting": advanced["cache_setting"],
            "use_host_docker_daemon": advanced["use_host_docker_daemon"], "outputs": outputs,
        },
    });
    let docker = &detail["post_build"]["docker_build"];
    if docker.is_object() {
        body["docker_build_step"] = json!({
            "dockerfile_source": docker["source"], "build_context_dir": docker["work_dir"],
            "dockerfile_directory": docker["docker_file"], "template_name": docker["template_name"],
            "build_args": docker["build_args"], "enable_buildkit": docker["enable_buildkit"],
            "platforms": docker["platform"],
        });
    }
    body
}

/// Plays a person changing `project/name` (a custom build on `infrastructure`) in Zadig's UI:
/// `edit` changes the body the UI saves.
pub fn edit_custom(
    emulator: &Emulator,
    (project, name): (&str, &str),
    edit: impl FnOnce(&mut Value),
) {
    let mut body = ui_body(&emulator.detail(project, name), "vm");
    edit(&mut body);
    let path = format!("/openapi/build?projectKey={project}");
    let (status, text) = emulator.request("PUT", &path, Some(&body));
    assert_eq!(status, 200, "saving {project}/{name} in the UI: {text}");
    emulator.advance_clock(2);
}

/// Plays a person saving a template build in Zadig's UI with `body`.
pub fn edit_template(emulator: &Emulator, body: &Value) {
    let name = body["name"].as_str().expect("a name");
    let path = format!("/openapi/build/{name}/template");
    let (status, text) = emulator.request("PUT", &path, Some(body));
    assert_eq!(status, 200, "saving {name} in the UI: {text}");
    emulator.advance_clock(2);
}

/// A build's script in Zadig with `from` replaced by `to` (the marker line stays).
pub fn script_with(body: &mut Value, from: &str, to: &str) {
    let script = body["build_script"].as_str().expect("a script");
    assert!(script.contains(from), "{script}");
    body["build_script"] = script.replacen(from, to, 1).into();
}

/// The lines that differ between `old` and `new`: those removed, then those added, each in
/// file order. Everything else is byte for byte the same.
pub fn changed_lines(old: &str, new: &str) -> (Vec<String>, Vec<String>) {
    let diff = similar::TextDiff::from_lines(old, new);
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    for change in diff.iter_all_changes() {
        let line = change.value().to_string();
        match change.tag() {
            similar::ChangeTag::Delete => removed.push(line),
            similar::ChangeTag::Insert => added.push(line),
            similar::ChangeTag::Equal => {}
        }
    }
    (removed, added)
}

/// `lines`, each ending in a line break, as [`changed_lines`] gives them.
pub fn lines(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|line| format!("{line}\n")).collect()
}

/// `plan` shows each build of `pulled` with only the marker's update (a custom build) or as
/// unchanged (a template build), and every other build unchanged; `apply` writes the
/// markers, and the next plan has no change.
pub fn only_markers_then_nothing(dir: &Path, emulator: &Emulator, pulled: &[&str]) {
    let plan = succeeded(&zadig_sync(dir, emulator, &["plan", "--output", "json"]));
    let plan: Value = serde_json::from_str(&plan).expect("plan JSON");
    for step in plan["steps"].as_array().expect("steps") {
        let name = step["name"].as_str().unwrap_or_default();
        let changes: Vec<&str> = (step["changes"].as_array().expect("changes").iter())
            .filter_map(|c| c["path"].as_str())
            .collect();
        match step["action"].as_str() {
            Some("unchanged") => {}
            Some("update") if pulled.contains(&name) => {
                assert_eq!(changes, ["(fields Zadig does not return)"], "{step:#}")
            }
            _ => panic!("after pull, {name} should need no change but its marker:\n{step:#}"),
        }
    }
    succeeded(&apply(dir, emulator, &[]));
    let again = zadig_sync(dir, emulator, &["plan", "--detailed-exitcode"]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        super::cli::describe(&again)
    );
}

/// Asserts pull left something (exit 2) and said `said` about it.
pub fn left_saying(output: &std::process::Output, said: &str) {
    let text = super::cli::describe(output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(super::cli::stdout(output).contains(said), "{said}\n{text}");
}

/// Reads a file of the workspace's `builds.d`.
pub fn read(dir: &Path, path: &str) -> String {
    std::fs::read_to_string(dir.join("builds.d").join(path)).expect("read a build file")
}
