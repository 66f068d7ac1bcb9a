//! `plan --out` then `apply --plan`: a saved plan is executed only against the server it was
//! made for, and it is the same document `plan --output json` prints, plus that server.

use crate::util::cli::{
    Emulator, binary, command, describe, failed, succeeded, workspace, zadig_sync,
};

const BUILD: &str = "\
name: saved
project_key: shop
infrastructure: vm
build_os: ubuntu 22.04
script_type: shell
build_script: make
";

#[test]
fn a_saved_plan_is_refused_against_another_server() {
    let made_against = Emulator::start(&[]);
    let other = Emulator::start(&[]);
    let dir = workspace(&[("saved.yaml", BUILD)]);
    let output = zadig_sync(dir.path(), &made_against, &["plan", "--out", "plan.json"]);
    succeeded(&output);

    let output = zadig_sync(
        dir.path(),
        &other,
        &["apply", "--yes", "--plan", "plan.json"],
    );
    failed(&output);
    assert!(
        describe(&output).contains(&format!("was made against {}", made_against.url())),
        "{}",
        describe(&output)
    );
    assert!(other.build_names("shop").is_empty());

    let output = zadig_sync(
        dir.path(),
        &made_against,
        &["apply", "--yes", "--plan", "plan.json"],
    );
    succeeded(&output);
    assert_eq!(made_against.build_names("shop"), ["saved"]);
}

#[test]
fn the_saved_plan_holds_the_json_plan_and_its_server() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("saved.yaml", BUILD)]);
    let output = zadig_sync(
        dir.path(),
        &emulator,
        &["plan", "--out", "plan.json", "--output", "json"],
    );
    succeeded(&output);
    let mut printed: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    // The printed document also carries the files' diagnostics; the saved plan is the rest.
    assert_eq!(printed["diagnostics"], serde_json::json!([]));
    printed
        .as_object_mut()
        .expect("object")
        .remove("diagnostics");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("plan.json")).expect("read"))
            .expect("JSON file");
    assert_eq!(saved["plan"], printed);
    assert_eq!(saved["server"], emulator.url());
    assert_eq!(printed["steps"][0]["action"], "create");
}

#[test]
fn a_hand_edited_plan_cannot_delete_a_build_zadig_sync_did_not_write() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("saved.yaml", BUILD)]);
    emulator.create_by_hand("shop", "by-hand");
    // With --prune, so that only the marker can stop the deletion.
    let args = ["plan", "--prune", "--out", "plan.json"];
    succeeded(&zadig_sync(dir.path(), &emulator, &args));

    // Turn the plan's "kept" step for the hand-made build into a deletion.
    let path = dir.path().join("plan.json");
    let mut saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
    let steps = saved["plan"]["steps"].as_array_mut().expect("steps");
    let kept = steps
        .iter_mut()
        .find(|s| s["name"] == "by-hand")
        .expect("a step for by-hand");
    assert_eq!(kept["action"], "kept");
    kept["action"] = "delete".into();
    std::fs::write(&path, saved.to_string()).expect("write");

    let output = zadig_sync(
        dir.path(),
        &emulator,
        &["apply", "--yes", "--plan", "plan.json"],
    );
    let text = failed(&output);
    assert!(
        text.contains("delete shop/by-hand: a plan made now has `kept` instead"),
        "{text}"
    );
    // Refused before the first write: not even the plan's create ran.
    assert_eq!(emulator.build_names("shop"), ["by-hand"]);
}

#[test]
fn a_plan_with_errors_is_not_saved() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("saved.yaml", BUILD)]);
    // A list whose total disagrees with its pages: the plan has an error for `shop`.
    emulator.set_faults(serde_json::json!({"inflate_total": {"shop": 1}}));
    let output = zadig_sync(dir.path(), &emulator, &["plan", "--out", "plan.json"]);
    let text = failed(&output);
    assert!(text.contains("not saved to plan.json"), "{text}");
    assert!(!dir.path().join("plan.json").exists(), "{text}");
}

#[test]
fn the_printed_apply_command_works_as_printed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = dir.path().join("my builds");
    std::fs::create_dir_all(&files).expect("mkdir");
    std::fs::write(files.join("saved.yaml"), BUILD).expect("write");
    let output = command(dir.path())
        .args([
            "plan",
            "--emulator",
            "--dir",
            "my builds",
            "--out",
            "plan.json",
        ])
        .output()
        .expect("run plan");
    succeeded(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let printed = stderr
        .split('`')
        .find(|part| part.starts_with("zadig-sync apply"))
        .unwrap_or_else(|| panic!("no apply command in {stderr}"));

    // Run exactly what was printed, from the same folder, with the binary on PATH.
    let bin_dir = binary().parent().expect("bin dir").to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = std::process::Command::new("sh")
        .current_dir(dir.path())
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("ZADIG_SYNC_DIR")
        .args(["-c", printed])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run the printed command");
    let text = succeeded(&output);
    assert!(
        text.contains("1 created"),
        "{printed}: {}",
        describe(&output)
    );

    // The build is in the emulator's state: the next plan sees no changes.
    let output = command(dir.path())
        .args([
            "plan",
            "--emulator",
            "--dir",
            "my builds",
            "--detailed-exitcode",
        ])
        .output()
        .expect("run plan");
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
}

/// Regression (a new user's report): applying a saved plan twice re-sent its creates, and each
/// failed with "the name is already taken by a build in project shop" — its own project.
#[test]
fn a_saved_plan_applied_twice_refuses_its_creates_without_sending_them() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("saved.yaml", BUILD)]);
    succeeded(&zadig_sync(
        dir.path(),
        &emulator,
        &["plan", "--out", "plan.json"],
    ));
    let apply = ["apply", "--yes", "--plan", "plan.json"];
    succeeded(&zadig_sync(dir.path(), &emulator, &apply));
    let writes = emulator.write_count();

    let text = failed(&zadig_sync(dir.path(), &emulator, &apply));
    assert!(
        text.contains("create shop/saved: Zadig already holds what it would write (was the plan applied already?)"),
        "{text}"
    );
    assert!(!text.contains("already taken"), "{text}");
    assert_eq!(emulator.write_count(), writes, "no create was sent again");
    assert_eq!(emulator.build_names("shop"), ["saved"]);
}

/// A hand-edited saved plan must fail closed: an update without the `update_time` the plan
/// read cannot be checked for edits made in Zadig since, so the plan is refused whole when
/// it is read, before anything is sent.
#[test]
fn a_saved_update_without_its_live_update_time_is_refused() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("saved.yaml", BUILD)]);
    succeeded(&zadig_sync(dir.path(), &emulator, &["apply", "--yes"]));
    std::fs::write(
        dir.path().join("builds.d/saved.yaml"),
        BUILD.replace("build_script: make", "build_script: make all"),
    )
    .expect("edit the file");
    succeeded(&zadig_sync(
        dir.path(),
        &emulator,
        &["plan", "--out", "plan.json"],
    ));
    let path = dir.path().join("plan.json");
    let mut saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
    saved["plan"]["steps"][0]["live_update_time"] = serde_json::Value::Null;
    std::fs::write(&path, saved.to_string()).expect("write the edited plan");
    let writes = emulator.write_count();

    let text = failed(&zadig_sync(
        dir.path(),
        &emulator,
        &["apply", "--yes", "--plan", "plan.json"],
    ));
    assert!(
        text.contains("step shop/saved (update) lacks `live_update_time`"),
        "{text}"
    );
    assert_eq!(emulator.write_count(), writes, "nothing was written");
}
