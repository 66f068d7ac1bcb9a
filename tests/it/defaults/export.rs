//! `export --defaults` end to end: the values every custom build of a project shares go to
//! its defaults file, and the round trip (export, validate, plan) still plans only the
//! adoption; a folder holding a file the export does not write gets no defaults file.

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};

use crate::export::create;
use crate::util::cli::{Emulator, describe, succeeded, zadig_sync};

/// Three custom builds sharing their image, tools and cluster settings (each with its own
/// script, repository and timeout), and a template build, in project `shop`.
fn seed(emulator: &Emulator) {
    for (name, timeout) in [("api", 30), ("worker", 30), ("cron", 90)] {
        let body = json!({
            "name": name, "project_key": "shop", "infrastructure": "kubernetes",
            "build_os": "ubuntu 22.04", "script_type": "shell",
            "installs": [{"name": "go", "version": "1.22"}],
            "build_script": format!("make {name}\n"),
            "repo_info": [{"codehost_name": "github", "repo_namespace": "shop",
                           "repo_name": name, "branch": "main"}],
            "advanced_settings": {"cluster_name": "local-20250523164625", "timeout": timeout,
                                  "resource_spec": {"cpu_limit": 2000, "memory_limit": 1024}}
        });
        create(emulator, &body, false);
    }
    let template = json!({
        "name": "java-svc", "project_key": "shop", "template_name": "java-template",
        "target_services": [{"service_name": "billing", "service_module": "billing",
                             "inputs": [{"key": "JAVA_VERSION", "value": "21"}]}]
    });
    create(emulator, &template, true);
}

fn run(dir: &Path, emulator: &Emulator, args: &[&str]) -> Output {
    zadig_sync(dir, emulator, args)
}

fn export_with_defaults(dir: &Path, emulator: &Emulator) -> String {
    let args = [
        "export",
        "--project",
        "shop",
        "--defaults",
        "--codehost",
        "github=github",
    ];
    succeeded(&run(dir, emulator, &args))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Each step of a JSON plan: its build, action and the paths of its changes.
fn steps(plan: &Value) -> Vec<(String, String, Vec<String>)> {
    let text = |value: &Value| value.as_str().unwrap_or_default().to_string();
    (plan["steps"].as_array().expect("steps").iter())
        .map(|step| {
            let changes = step["changes"].as_array().expect("changes");
            let paths = changes.iter().map(|c| text(&c["path"])).collect();
            (text(&step["name"]), text(&step["action"]), paths)
        })
        .collect()
}

#[test]
fn export_defaults_factors_shared_values_and_plans_only_the_adoption() {
    let emulator = Emulator::start(&[]);
    seed(&emulator);
    let dir = tempfile::tempdir().expect("tempdir");
    let summary = export_with_defaults(dir.path(), &emulator);
    assert!(
        summary.contains("Defaults files written (the values every custom build of the project shares):\n  builds.d/shop/_defaults.yaml"),
        "{summary}"
    );
    let shop = dir.path().join("builds.d/shop");
    let defaults = read(&shop.join("_defaults.yaml"));
    for shared in [
        "build_os: ubuntu 22.04",
        "  - name: go",
        "  cluster_name: local-",
        "    cpu_limit: 2000",
    ] {
        assert!(defaults.contains(shared), "{shared:?} in\n{defaults}");
    }
    assert!(
        !defaults.contains("timeout"),
        "not shared by cron:\n{defaults}"
    );
    let cron = read(&shop.join("cron.yaml"));
    assert!(
        cron.contains("advanced_settings:\n  timeout: 90\n"),
        "{cron}"
    );
    assert!(!cron.contains("build_os"), "{cron}");
    let template = read(&shop.join("java-svc.yaml"));
    assert!(
        template.contains("template_name: java-template"),
        "{template}"
    );

    succeeded(&run(dir.path(), &emulator, &["validate"]));
    let plan = run(dir.path(), &emulator, &["plan", "--output", "json"]);
    let plan: Value = serde_json::from_str(&succeeded(&plan)).expect("plan JSON");
    let adoption = || vec!["(fields Zadig does not return)".to_string()];
    let update = |name: &str| (name.to_string(), "update".to_string(), adoption());
    let unchanged = ("java-svc".to_string(), "unchanged".to_string(), Vec::new());
    assert_eq!(
        steps(&plan),
        [update("api"), update("cron"), unchanged, update("worker")],
        "{plan:#}"
    );
    succeeded(&run(dir.path(), &emulator, &["apply", "--yes"]));
    let again = run(dir.path(), &emulator, &["plan", "--detailed-exitcode"]);
    assert_eq!(again.status.code(), Some(0), "{}", describe(&again));
}

#[test]
fn a_folder_with_a_file_the_export_does_not_write_gets_no_defaults_file() {
    let emulator = Emulator::start(&[]);
    seed(&emulator);
    let dir = tempfile::tempdir().expect("tempdir");
    let shop = dir.path().join("builds.d/shop");
    std::fs::create_dir_all(&shop).expect("mkdir");
    let other =
        "name: other\nproject_key: shop\ninfrastructure: vm\nbuild_os: x\nscript_type: shell\n";
    std::fs::write(shop.join("other.yaml"), other).expect("write");

    let summary = export_with_defaults(dir.path(), &emulator);
    assert!(
        summary.contains("No defaults file written (the build files hold every value):\n  shop: builds.d/shop/other.yaml is not written by this export and would inherit the shared values"),
        "{summary}"
    );
    assert!(!shop.join("_defaults.yaml").exists());
    assert!(read(&shop.join("api.yaml")).contains("build_os: ubuntu 22.04"));
    assert_eq!(read(&shop.join("other.yaml")), other, "left alone");
}
