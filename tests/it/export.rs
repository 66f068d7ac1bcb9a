//! `zadig-sync export` end to end: builds made in the emulator by direct API calls (as a
//! person in Zadig's UI would), exported by the real binary, then validated, planned and
//! applied with the real binary (issue 13).

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};

use crate::util::cli::{Emulator, TOKEN, command, describe, failed, succeeded};

const SECRET: &str = "s3cr3t-db-pass-7f21";
const TEMPLATE_SECRET: &str = "deploy-token-9c44";

/// Creates `body` through Zadig's API (a template build with `template`).
pub(crate) fn create(emulator: &Emulator, body: &Value, template: bool) {
    let path = if template {
        "/openapi/build?source=template"
    } else {
        "/openapi/build"
    };
    let (status, answer) = emulator.request("POST", path, Some(body));
    assert_eq!(status, 200, "creating {body}: {answer}");
}

/// Two custom builds (one with every observable field and a credential, one with Zadig's
/// defaults) and a template build with a credential input, in project `shop`.
fn seed(emulator: &Emulator) {
    let api = json!({
        "name": "api", "project_key": "shop", "infrastructure": "kubernetes",
        "build_os": "ubuntu 22.04", "script_type": "shell",
        "installs": [{"name": "go", "version": "1.22"}],
        "build_script": "#!/bin/bash\nset -e\nmake build-${SERVICE}\n",
        "repo_info": [{"codehost_name": "github", "repo_namespace": "shop", "repo_name": "api",
                       "branch": "main", "checkout_path": "src/api", "submodules": true}],
        "parameters": [
            {"key": "DB_PASSWORD", "type": "string", "default_value": SECRET, "is_credential": true},
            {"key": "MODE", "type": "choice", "default_value": "fast",
             "choice_option": ["fast", "slow"], "is_credential": false}
        ],
        "services": [{"service_name": "api", "service_module": "api"}],
        "docker_build_step": {"dockerfile_source": "local", "build_context_dir": ".",
                              "dockerfile_directory": "Dockerfile", "enable_buildkit": true},
        "advanced_settings": {"cluster_name": "local-20250523164625", "strategy_name": "优先调度",
                              "timeout": 45, "resource_spec": {"cpu_limit": 2000, "memory_limit": 1024},
                              "cache_setting": {"enabled": true, "cache_dir": "/cache"},
                              "outputs": ["VERSION"]}
    });
    create(emulator, &api, false);
    let plain = json!({
        "name": "worker", "project_key": "shop", "infrastructure": "kubernetes",
        "build_os": "ubuntu 20.04", "script_type": "shell", "build_script": "echo work"
    });
    create(emulator, &plain, false);
    let template = json!({
        "name": "java-svc", "project_key": "shop", "template_name": "java-template",
        "target_services": [{"service_name": "billing", "service_module": "billing",
            "repo_info": [{"codehost_name": "gitlab", "repo_namespace": "shop",
                           "repo_name": "billing", "branch": "release"}],
            "inputs": [{"key": "JAVA_VERSION", "value": "21"},
                       {"key": "DEPLOY_TOKEN", "value": TEMPLATE_SECRET, "type": "string",
                        "is_credential": true}]}]
    });
    create(emulator, &template, true);
}

/// Runs the CLI in `dir` against `emulator`, the exported credential variables set.
fn run(dir: &Path, emulator: &Emulator, args: &[&str]) -> Output {
    command(dir)
        .args(args)
        .env("ZADIG_URL", emulator.url())
        .env("ZADIG_TOKEN", TOKEN)
        .env("SHOP_API_DB_PASSWORD", SECRET)
        .env("SHOP_JAVA_SVC_DEPLOY_TOKEN", TEMPLATE_SECRET)
        .output()
        .expect("run zadig-sync")
}

/// Every file under `dir`, with its text.
fn files_under(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let text = std::fs::read_to_string(&path).expect("read file");
                found.push((path.display().to_string(), text));
            }
        }
    }
    found.sort();
    found
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in [SECRET, TEMPLATE_SECRET] {
        assert!(
            !text.contains(secret),
            "{what} holds a credential value:\n{text}"
        );
    }
}

#[test]
fn exported_builds_validate_plan_only_their_adoption_and_apply_to_no_changes() {
    let emulator = Emulator::start(&[]);
    seed(&emulator);
    let dir = tempfile::tempdir().expect("tempdir");
    let export = run(
        dir.path(),
        &emulator,
        &[
            "export",
            "--project",
            "shop",
            "--codehost",
            "github=github",
            "--log",
            "zadig_sync=trace",
        ],
    );
    let summary = succeeded(&export);
    assert_no_secret("export's output", &describe(&export));
    for expected in [
        "Exported 3 of 3 builds",
        "builds.d/shop/api.yaml",
        "builds.d/shop/java-svc.yaml",
        "shop/api: infrastructure = kubernetes, script_type = shell",
        "parameters[MODE].choice_option",
        "SHOP_API_DB_PASSWORD",
        "SHOP_JAVA_SVC_DEPLOY_TOKEN",
        "Created the scope file builds.d/zadig-sync.yaml with projects shop.",
    ] {
        assert!(
            summary.contains(expected),
            "{expected:?} missing:\n{summary}"
        );
    }
    let files = files_under(&dir.path().join("builds.d"));
    assert_eq!(files.len(), 4, "{files:#?}");
    for (path, text) in &files {
        assert_no_secret(path, text);
    }
    let api = std::fs::read_to_string(dir.path().join("builds.d/shop/api.yaml")).expect("api");
    assert!(
        api.contains("default_value: ${env:SHOP_API_DB_PASSWORD}"),
        "{api}"
    );
    assert!(api.contains("  # inferred:"), "{api}");

    let validate = run(dir.path(), &emulator, &["validate"]);
    assert_no_secret("validate", &describe(&validate));
    succeeded(&validate);

    let plan = run(dir.path(), &emulator, &["plan", "--output", "json"]);
    assert_no_secret("plan", &describe(&plan));
    let plan: Value = serde_json::from_str(&succeeded(&plan)).expect("plan JSON");
    let steps = plan["steps"].as_array().expect("steps");
    let summary: Vec<(String, String, Vec<String>)> = steps
        .iter()
        .map(|step| {
            let paths = step["changes"]
                .as_array()
                .expect("changes")
                .iter()
                .map(|c| c["path"].as_str().unwrap_or_default().to_string())
                .collect();
            let name = step["name"].as_str().unwrap_or_default().to_string();
            (
                name,
                step["action"].as_str().unwrap_or_default().to_string(),
                paths,
            )
        })
        .collect();
    let adoption = vec!["(fields Zadig does not return)".to_string()];
    assert_eq!(
        summary,
        [
            ("api".to_string(), "update".to_string(), adoption.clone()),
            ("java-svc".to_string(), "unchanged".to_string(), vec![]),
            ("worker".to_string(), "update".to_string(), adoption),
        ],
        "only the marker adoption: {plan:#}"
    );

    let apply = run(dir.path(), &emulator, &["apply", "--yes"]);
    assert_no_secret("apply", &describe(&apply));
    succeeded(&apply);
    let again = run(dir.path(), &emulator, &["plan", "--detailed-exitcode"]);
    assert_eq!(again.status.code(), Some(0), "{}", describe(&again));
    let detail = emulator.detail("shop", "api");
    assert_eq!(
        detail["parameters"][0]["value"], SECRET,
        "the credential survived"
    );
}

#[test]
fn existing_files_are_kept_unless_overwrite_is_given() {
    let emulator = Emulator::start(&[]);
    seed(&emulator);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = ["export", "--project", "shop", "--out", "adopted"];
    succeeded(&run(dir.path(), &emulator, &out));
    let worker = dir.path().join("adopted/shop/worker.yaml");
    std::fs::write(&worker, "# edited by hand\n").expect("edit");

    let refused = failed(&run(dir.path(), &emulator, &out));
    assert!(refused.contains("Not overwritten"), "{refused}");
    assert!(refused.contains("adopted/shop/worker.yaml"), "{refused}");
    assert_eq!(
        std::fs::read_to_string(&worker).expect("read"),
        "# edited by hand\n"
    );

    let mut overwrite = out.to_vec();
    overwrite.push("--overwrite");
    let summary = succeeded(&run(dir.path(), &emulator, &overwrite));
    assert!(summary.contains("Exported 3 of 3 builds"), "{summary}");
    let text = std::fs::read_to_string(&worker).expect("read");
    assert!(text.contains("name: worker"), "{text}");
    assert!(
        !summary.contains("scope file"),
        "the scope file already lists shop: {summary}"
    );
}

#[test]
fn script_files_hold_the_scripts_without_the_marker() {
    let emulator = Emulator::start(&[]);
    seed(&emulator);
    let dir = tempfile::tempdir().expect("tempdir");
    // Adopt first, so that Zadig's scripts carry zadig-sync's marker line.
    succeeded(&run(
        dir.path(),
        &emulator,
        &["export", "--project", "shop"],
    ));
    succeeded(&run(dir.path(), &emulator, &["apply", "--yes"]));
    assert!(
        emulator.detail("shop", "api")["build_script"]
            .as_str()
            .unwrap_or_default()
            .contains("managed by zadig-sync")
    );
    let args = [
        "export",
        "--project",
        "shop",
        "--script-files",
        "--out",
        "again",
    ];
    succeeded(&run(dir.path(), &emulator, &args));
    let script =
        std::fs::read_to_string(dir.path().join("again/shop/scripts/api.sh")).expect("script file");
    assert_eq!(script, "#!/bin/bash\nset -e\nmake build-${SERVICE}\n");
    let yaml = std::fs::read_to_string(dir.path().join("again/shop/api.yaml")).expect("yaml");
    assert!(yaml.contains("build_script_file: scripts/api.sh"), "{yaml}");
    assert!(!yaml.contains("build_script:"), "{yaml}");
    let plan = run(
        dir.path(),
        &emulator,
        &["plan", "--dir", "again", "--detailed-exitcode"],
    );
    assert_eq!(plan.status.code(), Some(0), "{}", describe(&plan));
}

#[test]
fn a_build_whose_detail_fails_is_reported_and_the_others_are_exported() {
    let emulator = Emulator::start(&[]);
    seed(&emulator);
    emulator.set_faults(json!({"fail_reads_of": ["worker"]}));
    let dir = tempfile::tempdir().expect("tempdir");
    let output = run(dir.path(), &emulator, &["export", "--project", "shop"]);
    let text = failed(&output);
    assert!(text.contains("Exported 2 of 3 builds"), "{text}");
    assert!(
        text.contains("Skipped (not exported):\n  shop/worker: "),
        "{text}"
    );
    assert!(dir.path().join("builds.d/shop/api.yaml").is_file());
    assert!(!dir.path().join("builds.d/shop/worker.yaml").exists());
    let scope =
        std::fs::read_to_string(dir.path().join("builds.d/zadig-sync.yaml")).expect("scope file");
    assert!(scope.contains("  - shop\n"), "{scope}");
}

#[test]
fn the_scope_file_keeps_its_comments_and_gains_the_new_project() {
    let emulator = Emulator::start(&[]);
    seed(&emulator);
    let dir = tempfile::tempdir().expect("tempdir");
    let scope = dir.path().join("builds.d/zadig-sync.yaml");
    std::fs::create_dir_all(scope.parent().expect("parent")).expect("mkdir");
    let before = "# our Zadig\nprojects:\n  - web   # the website\nmax_deletes: 2\n";
    std::fs::write(&scope, before).expect("write scope");
    succeeded(&run(
        dir.path(),
        &emulator,
        &["export", "--project", "shop"],
    ));
    let after = std::fs::read_to_string(&scope).expect("scope");
    assert_eq!(
        after,
        "# our Zadig\nprojects:\n  - web   # the website\n  - shop\nmax_deletes: 2\n"
    );
}

// Exporting into a directory that already manages other projects, without a scope file yet:
// a new scope file listing only the exported project would put those files out of scope.
#[test]
fn a_new_scope_file_also_lists_the_projects_already_described() {
    let emulator = Emulator::start(&[]);
    seed(&emulator);
    let dir = tempfile::tempdir().expect("tempdir");
    let existing = dir.path().join("builds.d/web/site.yaml");
    std::fs::create_dir_all(existing.parent().expect("parent")).expect("mkdir");
    let site = "name: web-site\nproject_key: web\ninfrastructure: vm\nbuild_os: ubuntu 22.04\n\
                script_type: shell\nbuild_script: make site\n";
    std::fs::write(&existing, site).expect("write");
    succeeded(&run(
        dir.path(),
        &emulator,
        &["export", "--project", "shop"],
    ));
    let scope =
        std::fs::read_to_string(dir.path().join("builds.d/zadig-sync.yaml")).expect("scope file");
    assert!(
        scope.contains("  - shop\n") && scope.contains("  - web\n"),
        "{scope}"
    );
    succeeded(&run(dir.path(), &emulator, &["validate"]));
}

#[test]
fn export_needs_a_project_and_codehost_mappings_of_the_form_type_equals_alias() {
    let dir = tempfile::tempdir().expect("tempdir");
    for args in [
        &["export"][..],
        &["export", "--project", "shop", "--codehost", "gitlab"],
        &["export", "--project", "shop", "--codehost", "=alias"],
    ] {
        let output = command(dir.path()).args(args).output().expect("run");
        assert_eq!(
            output.status.code(),
            Some(1),
            "{args:?}: {}",
            describe(&output)
        );
    }
}

#[test]
fn a_project_without_builds_is_named_in_the_summary() {
    let emulator = Emulator::start(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let output = run(dir.path(), &emulator, &["export", "--project", "typo"]);
    let summary = succeeded(&output);
    assert!(summary.contains("Exported 0 of 0 builds"), "{summary}");
    assert!(
        summary.contains("Projects with no builds in Zadig (check the project keys):\n  typo\n"),
        "{summary}"
    );
}

#[test]
fn a_build_a_file_already_describes_is_not_exported_again() {
    let emulator = Emulator::start(&[]);
    seed(&emulator);
    let dir = tempfile::tempdir().expect("tempdir");
    let hand_written = dir.path().join("builds.d/by-hand.yaml");
    std::fs::create_dir_all(hand_written.parent().expect("parent")).expect("mkdir");
    let worker = "name: worker\nproject_key: shop\ninfrastructure: vm\nbuild_os: ubuntu 20.04\n\
                  script_type: shell\nbuild_script: echo work\n";
    std::fs::write(&hand_written, worker).expect("write");
    let output = run(dir.path(), &emulator, &["export", "--project", "shop"]);
    let summary = succeeded(&output);
    assert!(summary.contains("Exported 2 of 3 builds"), "{summary}");
    assert!(
        summary.contains(
            "Already described by a file (not exported):\n  shop/worker: builds.d/by-hand.yaml"
        ),
        "{summary}"
    );
    assert!(!dir.path().join("builds.d/shop/worker.yaml").exists());
    succeeded(&run(dir.path(), &emulator, &["validate"]));
}

#[test]
fn export_takes_the_bundled_emulator_like_the_other_server_commands() {
    let build = "name: hello\nproject_key: demo\ninfrastructure: kubernetes\n\
                 build_os: ubuntu 20.04\nscript_type: shell\nbuild_script: echo hi\n";
    let dir = crate::util::cli::workspace(&[("hello.yaml", build)]);
    let apply = command(dir.path())
        .args(["apply", "--emulator", "--yes"])
        .output()
        .expect("run");
    succeeded(&apply);
    let export = command(dir.path())
        .args([
            "export",
            "--emulator",
            "--project",
            "demo",
            "--out",
            "exported",
        ])
        .output()
        .expect("run");
    let summary = succeeded(&export);
    assert!(summary.contains("exported/demo/hello.yaml"), "{summary}");
    let text = std::fs::read_to_string(dir.path().join("exported/demo/hello.yaml")).expect("file");
    assert!(
        text.contains("build_script: echo hi\n"),
        "the marker is not exported: {text}"
    );
}
