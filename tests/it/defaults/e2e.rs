//! Defaults files end to end: the real binary against the emulator. Moving values into a
//! defaults file writes nothing; changing one default updates every build below it, each
//! change saying which file it came from; `validate` and `schema --defaults`.

use serde_json::Value;

use crate::util::cli::{
    Emulator, apply, command, describe, stdout, succeeded, workspace, zadig_sync,
};

/// A build with every shared setting spelled out, as teams write them without defaults.
fn whole(name: &str) -> String {
    format!(
        "name: {name}\nproject_key: shop\ninfrastructure: kubernetes\nbuild_os: ubuntu 20.04\n\
         script_type: shell\nbuild_script: make {name}\n\
         installs: [{{name: go, version: 1.22.1}}]\n\
         advanced_settings:\n  cluster_name: local-20250523164625\n  timeout: 45\n"
    )
}

/// What [`whole`] builds share, as the shop's defaults file.
pub(super) const SHARED: &str = "\
project_key: shop
infrastructure: kubernetes
build_os: ubuntu 20.04
script_type: shell
installs: [{name: go, version: 1.22.1}]
advanced_settings:
  cluster_name: local-20250523164625
";

fn own(name: &str) -> String {
    format!("name: {name}\nbuild_script: make {name}\nadvanced_settings: {{timeout: 45}}\n")
}

fn plan_json(dir: &std::path::Path, emulator: &Emulator) -> Value {
    let plan = zadig_sync(dir, emulator, &["plan", "--output", "json"]);
    serde_json::from_str(&stdout(&plan)).unwrap_or_else(|_| panic!("{}", describe(&plan)))
}

#[test]
fn moving_values_into_a_defaults_file_plans_no_change_and_writes_nothing() {
    let emulator = Emulator::start(&[]);
    let (api, worker) = (whole("api"), whole("worker"));
    let dir = workspace(&[("shop/api.yaml", &api), ("shop/worker.yaml", &worker)]);
    succeeded(&apply(dir.path(), &emulator, &[]));
    let writes = emulator.write_count();

    let shop = dir.path().join("builds.d/shop");
    std::fs::write(shop.join("_defaults.yaml"), SHARED).expect("write");
    std::fs::write(shop.join("api.yaml"), own("api")).expect("write");
    std::fs::write(shop.join("worker.yaml"), own("worker")).expect("write");
    let plan = zadig_sync(dir.path(), &emulator, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(0), "{}", describe(&plan));
    assert!(stdout(&plan).contains("No changes"), "{}", describe(&plan));
    let again = succeeded(&apply(dir.path(), &emulator, &[]));
    assert!(again.contains("No changes"), "{again}");
    assert_eq!(emulator.write_count(), writes, "nothing was written");
}

#[test]
fn changing_one_default_updates_every_build_below_it_via_that_file() {
    let emulator = Emulator::start(&[]);
    let (api, worker, deep) = (own("api"), own("worker"), own("deep"));
    let dir = workspace(&[
        ("shop/_defaults.yaml", SHARED),
        ("shop/api.yaml", &api),
        ("shop/worker.yaml", &worker),
        ("shop/team/deep.yaml", &deep),
    ]);
    succeeded(&apply(dir.path(), &emulator, &[]));

    let defaults = dir.path().join("builds.d/shop/_defaults.yaml");
    std::fs::write(&defaults, SHARED.replace("1.22.1", "1.23.0")).expect("write");
    let plan = zadig_sync(dir.path(), &emulator, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(2), "{}", describe(&plan));
    let text = stdout(&plan);
    let change = "~ installs[go].version: \"1.22.1\" → \"1.23.0\" \
                  (via builds.d/shop/_defaults.yaml)";
    assert_eq!(text.matches(change).count(), 3, "{text}");
    assert!(text.contains("Plan: 0 to create, 3 to update"), "{text}");
    let json = plan_json(dir.path(), &emulator);
    for step in json["steps"].as_array().expect("steps") {
        assert_eq!(
            step["changes"][0]["via"], "builds.d/shop/_defaults.yaml",
            "{step:#}"
        );
    }

    succeeded(&apply(dir.path(), &emulator, &[]));
    for name in ["api", "worker", "deep"] {
        let installs = &emulator.detail("shop", name)["build_env"]["installs"];
        assert_eq!(installs[0]["version"], "1.23.0", "{name}: {installs}");
    }
    let again = zadig_sync(dir.path(), &emulator, &["plan", "--detailed-exitcode"]);
    assert_eq!(again.status.code(), Some(0), "{}", describe(&again));
}

#[test]
fn validate_places_a_problem_at_an_inherited_value_in_the_defaults_file() {
    let broken = SHARED.replace("infrastructure: kubernetes", "infrastructure: k8s");
    let (api, worker) = (own("api"), own("worker"));
    let dir = workspace(&[
        ("shop/_defaults.yaml", &broken),
        ("shop/api.yaml", &api),
        ("shop/worker.yaml", &worker),
    ]);
    let output = command(dir.path())
        .args(["validate", "--output", "json"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    let diagnostics = report["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(
        diagnostics.len(),
        1,
        "reported once, not once per build: {report:#}"
    );
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic["file"], "builds.d/shop/_defaults.yaml");
    assert_eq!(
        (&diagnostic["line"], &diagnostic["code"]),
        (&Value::from(2), &Value::from("invalid-value"))
    );
}

#[test]
fn schema_defaults_prints_a_defaults_file_schema_with_nothing_required() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = command(dir.path())
        .args(["schema", "--defaults"])
        .output()
        .expect("run");
    let schema: Value = serde_json::from_str(&succeeded(&output)).expect("JSON");
    assert_eq!(schema["title"], "zadig-sync defaults file");
    let custom = &schema["definitions"]["CustomDefaults"];
    assert!(custom.get("required").is_none(), "{custom:#}");
    assert!(custom["properties"].get("build_os").is_some());
    let both = command(dir.path())
        .args(["schema", "--defaults", "--scope"])
        .output()
        .expect("run");
    assert!(
        describe(&both).contains("'--defaults' cannot be used with '--scope'"),
        "{}",
        describe(&both)
    );
}
