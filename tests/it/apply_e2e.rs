//! End to end: the real `zadig-sync` binary applying build files to the real emulator, and
//! the safety rules of docs/architecture.md §5, each proven against what the emulator then holds.

use crate::util::cli::{Emulator, apply, describe, failed, succeeded, workspace, zadig_sync};
use crate::util::files::{TEMPLATED_API, WORKER};

const API: &str = "\
name: shop-api
project_key: shop
infrastructure: kubernetes
build_os: ubuntu 20.04
script_type: shell
build_script: |
  make build
installs:
  - name: go
    version: 1.22.1
parameters:
  - key: LEVEL
    type: string
    default_value: info
";

fn plan_exit(dir: &std::path::Path, emulator: &Emulator, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["plan", "--detailed-exitcode"];
    args.extend_from_slice(extra);
    let output = zadig_sync(dir, emulator, &args);
    (output.status.code().unwrap_or(-1), describe(&output))
}

#[test]
fn apply_from_empty_then_plan_shows_no_changes_and_second_apply_only_reads() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", API), ("worker.yaml", WORKER)]);

    let first = apply(dir.path(), &emulator, &[]);
    let text = succeeded(&first);
    assert!(text.contains("2 created"), "{text}");
    assert_eq!(emulator.build_names("shop"), ["shop-api", "shop-worker"]);

    let (code, output) = plan_exit(dir.path(), &emulator, &[]);
    assert_eq!(code, 0, "plan after apply must show no changes:\n{output}");

    let writes_before = emulator.write_count();
    let second = apply(dir.path(), &emulator, &[]);
    succeeded(&second);
    assert_eq!(
        emulator.write_count(),
        writes_before,
        "a second apply must not write: {}",
        describe(&second)
    );
}

#[test]
fn a_changed_field_is_updated_and_an_edit_in_zadig_is_reverted() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", API)]);
    succeeded(&apply(dir.path(), &emulator, &[]));

    // The file changes: apply updates that build in place, to the new value.
    std::fs::write(
        dir.path().join("builds.d/api.yaml"),
        API.replace("version: 1.22.1", "version: 1.23.0"),
    )
    .expect("rewrite");
    let text = succeeded(&apply(dir.path(), &emulator, &[]));
    assert!(text.contains("1 updated"), "{text}");
    let detail = emulator.detail("shop", "shop-api");
    assert_eq!(detail["build_env"]["installs"][0]["version"], "1.23.0");
    std::fs::write(dir.path().join("builds.d/api.yaml"), API).expect("rewrite back");
    succeeded(&apply(dir.path(), &emulator, &[]));

    // Someone edits the build in Zadig's UI: the plan shows the way back to the file.
    let mut detail = emulator.detail("shop", "shop-api");
    let script = detail["build_script"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let body = serde_json::json!({
        "name": "shop-api", "project_key": "shop", "infrastructure": "kubernetes",
        "build_os": "ubuntu 20.04", "script_type": "shell", "build_script": script,
        "installs": [{"name": "go", "version": "1.21.0"}],
        "parameters": [{"key": "LEVEL", "type": "string", "default_value": "info"}],
    });
    let (status, text) = emulator.request("PUT", "/openapi/build?projectKey=shop", Some(&body));
    assert_eq!(status, 200, "{text}");
    let (code, output) = plan_exit(dir.path(), &emulator, &[]);
    assert_eq!(code, 2, "{output}");
    assert!(output.contains("installs[go].version"), "{output}");
    assert!(
        output.contains("1.21.0") && output.contains("1.22.1"),
        "{output}"
    );

    succeeded(&apply(dir.path(), &emulator, &[]));
    detail = emulator.detail("shop", "shop-api");
    assert_eq!(detail["build_env"]["installs"][0]["version"], "1.22.1");
}

#[test]
fn a_renamed_build_is_deleted_and_created_with_prune() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", API)]);
    succeeded(&apply(dir.path(), &emulator, &[]));

    let renamed = API.replace("name: shop-api", "name: shop-api-v2");
    std::fs::write(dir.path().join("builds.d/api.yaml"), renamed).expect("rewrite");

    // Without --prune the old build is kept and said to be kept: listed even without
    // --show-kept, since --prune would delete it.
    let output = apply(dir.path(), &emulator, &[]);
    let text = succeeded(&output);
    assert_eq!(emulator.build_names("shop"), ["shop-api", "shop-api-v2"]);
    assert!(text.contains("shop/shop-api (custom): kept"), "{text}");
    assert!(
        text.contains("not in the files; would be deleted with --prune"),
        "{text}"
    );
    assert!(text.contains("0 deleted"), "{text}");

    let output = apply(dir.path(), &emulator, &["--prune"]);
    let text = succeeded(&output);
    assert!(text.contains("1 deleted"), "{text}");
    assert_eq!(emulator.build_names("shop"), ["shop-api-v2"]);
}

#[test]
fn a_build_moved_from_custom_to_template_is_replaced() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", API)]);
    succeeded(&apply(dir.path(), &emulator, &[]));

    std::fs::write(dir.path().join("builds.d/api.yaml"), TEMPLATED_API).expect("rewrite");
    let output = apply(dir.path(), &emulator, &[]);
    let text = succeeded(&output);
    assert!(text.contains("1 replaced"), "{text}");
    assert_eq!(
        emulator.detail("shop", "shop-api")["template_name"],
        "java-template"
    );

    let (code, output) = plan_exit(dir.path(), &emulator, &[]);
    assert_eq!(code, 0, "{output}");
}

#[test]
fn an_invalid_file_anywhere_means_nothing_is_written_or_deleted() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", API), ("worker.yaml", WORKER)]);
    succeeded(&apply(dir.path(), &emulator, &[]));
    let writes = emulator.write_count();

    // One build removed (would be pruned), one new, and one broken file.
    std::fs::remove_file(dir.path().join("builds.d/worker.yaml")).expect("rm");
    std::fs::write(
        dir.path().join("builds.d/new.yaml"),
        WORKER.replace("shop-worker", "shop-new"),
    )
    .expect("write");
    std::fs::write(dir.path().join("builds.d/broken.yaml"), "name: [unclosed\n").expect("write");

    let output = apply(dir.path(), &emulator, &["--prune"]);
    let text = failed(&output);
    assert!(text.contains("broken.yaml"), "{text}");
    assert_eq!(emulator.write_count(), writes, "nothing may be written");
    assert_eq!(emulator.build_names("shop"), ["shop-api", "shop-worker"]);
}

#[test]
fn builds_made_by_hand_in_zadig_are_never_deleted() {
    let emulator = Emulator::start(&[]);
    emulator.create_by_hand("shop", "by-hand");
    let dir = workspace(&[("api.yaml", API)]);

    let output = apply(dir.path(), &emulator, &["--prune"]);
    let text = succeeded(&output);
    assert!(
        text.contains("1 build in Zadig is not managed by these files (--show-kept lists them)."),
        "the kept build is counted: {text}"
    );
    assert!(!text.contains("by-hand"), "and not listed: {text}");
    let output = apply(dir.path(), &emulator, &["--prune", "--show-kept"]);
    let text = succeeded(&output);
    assert!(
        text.contains("= shop/by-hand (custom): kept"),
        "--show-kept lists it: {text}"
    );
    assert_eq!(emulator.build_names("shop"), ["by-hand", "shop-api"]);
}

#[test]
fn more_deletions_than_max_deletes_refuses_them_all() {
    let emulator = Emulator::start(&[]);
    let files: Vec<(String, String)> = (0..3)
        .map(|i| {
            (
                format!("b{i}.yaml"),
                WORKER.replace("shop-worker", &format!("shop-w{i}")),
            )
        })
        .collect();
    let dir = crate::util::cli::workspace_of(&files);
    succeeded(&apply(dir.path(), &emulator, &[]));
    for (path, _) in &files[1..] {
        std::fs::remove_file(dir.path().join("builds.d").join(path)).expect("rm");
    }

    let output = apply(dir.path(), &emulator, &["--prune", "--max-deletes", "1"]);
    failed(&output);
    assert!(
        describe(&output).contains("--max-deletes"),
        "says how to allow them: {}",
        describe(&output)
    );
    assert_eq!(
        emulator.build_names("shop"),
        ["shop-w0", "shop-w1", "shop-w2"]
    );

    let output = apply(dir.path(), &emulator, &["--prune", "--max-deletes", "2"]);
    succeeded(&output);
    assert_eq!(emulator.build_names("shop"), ["shop-w0"]);
}

#[test]
fn a_saved_plan_is_refused_when_zadig_changed_since() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", API)]);
    succeeded(&apply(dir.path(), &emulator, &[]));
    std::fs::write(
        dir.path().join("builds.d/api.yaml"),
        API.replace("make build", "make all"),
    )
    .expect("rewrite");
    let output = zadig_sync(dir.path(), &emulator, &["plan", "--out", "plan.json"]);
    succeeded(&output);

    // A person edits the build in Zadig after the plan was made (a second later, so that
    // the second-resolution update_time moves).
    emulator.advance_clock(1);
    let body = serde_json::json!({
        "name": "shop-api", "project_key": "shop", "infrastructure": "kubernetes",
        "build_os": "ubuntu 20.04", "script_type": "shell", "build_script": "edited by hand",
    });
    let (status, text) = emulator.request("PUT", "/openapi/build?projectKey=shop", Some(&body));
    assert_eq!(status, 200, "{text}");

    let output = zadig_sync(
        dir.path(),
        &emulator,
        &["apply", "--yes", "--plan", "plan.json"],
    );
    let text = failed(&output);
    assert!(text.contains("changed in Zadig since the plan"), "{text}");
    assert_eq!(
        emulator.detail("shop", "shop-api")["build_script"],
        "edited by hand"
    );
}

#[test]
fn a_saved_plan_is_refused_whole_when_the_files_changed_since() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", API)]);
    let output = zadig_sync(dir.path(), &emulator, &["plan", "--out", "plan.json"]);
    succeeded(&output);
    std::fs::write(
        dir.path().join("builds.d/api.yaml"),
        API.replace("make build", "make all"),
    )
    .expect("rewrite");

    let output = zadig_sync(
        dir.path(),
        &emulator,
        &["apply", "--yes", "--plan", "plan.json"],
    );
    failed(&output);
    assert!(
        describe(&output).contains("no longer produce the plan"),
        "{}",
        describe(&output)
    );
    assert!(emulator.build_names("shop").is_empty());
}

#[test]
fn failed_writes_are_reported_and_a_second_apply_finishes_the_job() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", API), ("worker.yaml", WORKER)]);
    emulator.set_faults(serde_json::json!({"fail_writes_to": ["shop-worker"]}));

    let output = apply(dir.path(), &emulator, &[]);
    let text = failed(&output);
    assert!(text.contains("failed  shop/shop-worker"), "{text}");
    assert!(
        text.contains("503"),
        "the failure says what Zadig answered: {}",
        describe(&output)
    );
    assert!(
        text.contains("1 created") && text.contains("1 failed"),
        "{}",
        describe(&output)
    );
    assert_eq!(
        emulator.build_names("shop"),
        ["shop-api"],
        "the other build went through"
    );

    emulator.set_faults(serde_json::json!({}));
    let output = apply(dir.path(), &emulator, &[]);
    let text = succeeded(&output);
    assert!(text.contains("1 created"), "{text}");
    assert_eq!(emulator.build_names("shop"), ["shop-api", "shop-worker"]);
}

#[test]
fn a_list_that_disagrees_with_its_total_means_nothing_is_deleted() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", API), ("worker.yaml", WORKER)]);
    succeeded(&apply(dir.path(), &emulator, &[]));
    std::fs::remove_file(dir.path().join("builds.d/worker.yaml")).expect("rm");
    emulator.set_faults(serde_json::json!({"inflate_total": {"shop": 1}}));

    let output = apply(dir.path(), &emulator, &["--prune"]);
    failed(&output);
    assert!(
        describe(&output).contains("nothing is deleted"),
        "{}",
        describe(&output)
    );
    assert_eq!(emulator.build_names("shop"), ["shop-api", "shop-worker"]);

    emulator.set_faults(serde_json::json!({}));
    let output = apply(dir.path(), &emulator, &["--prune"]);
    succeeded(&output);
    assert_eq!(emulator.build_names("shop"), ["shop-api"]);
}

#[test]
fn a_project_that_cannot_be_read_is_never_reported_as_no_changes() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", API)]);
    emulator.set_faults(serde_json::json!({"inflate_total": {"elsewhere": 1}}));

    let output = zadig_sync(
        dir.path(),
        &emulator,
        &[
            "plan",
            "--detailed-exitcode",
            "--project",
            "elsewhere",
            "--project",
            "shop",
        ],
    );
    let text = failed(&output);
    assert!(!text.contains("No changes"), "{text}");
    assert!(text.contains("Error: project elsewhere"), "{text}");

    let text = failed(&apply(
        dir.path(),
        &emulator,
        &["--project", "elsewhere", "--project", "shop"],
    ));
    assert!(
        text.contains("1 created"),
        "the readable project is still applied: {text}"
    );
}

#[test]
fn a_write_that_cannot_be_read_back_counts_as_made_but_unverified() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("worker.yaml", WORKER)]);
    emulator.set_faults(serde_json::json!({"fail_reads_of": ["shop-worker"]}));

    let text = failed(&apply(dir.path(), &emulator, &[]));
    assert!(text.contains("reading it back to check failed"), "{text}");
    assert!(
        text.contains("1 created") && text.contains("1 unverified"),
        "{text}"
    );
    assert_eq!(emulator.build_names("shop"), ["shop-worker"]);

    emulator.set_faults(serde_json::json!({}));
    let (code, output) = plan_exit(dir.path(), &emulator, &[]);
    assert_eq!(code, 0, "the unverified write did converge: {output}");
}
