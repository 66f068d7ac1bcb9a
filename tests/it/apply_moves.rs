//! Builds that change kind or project. Zadig converts custom ⇄ template in place, and its
//! build names are global, so a move between projects must delete before it creates; either
//! way a failure must never leave the user with no build at all.

use crate::util::cli::{Emulator, apply, describe, failed, succeeded, workspace, zadig_sync};

const CUSTOM: &str = "\
name: mover
project_key: alpha
infrastructure: vm
build_os: ubuntu 22.04
script_type: shell
build_script: make
";

const TEMPLATE: &str = "\
name: mover
project_key: alpha
template_name: java-template
target_services:
  - service_name: api
    service_module: api
    inputs:
      - key: JAVA_VERSION
        value: \"21\"
";

/// Applies `before`, then rewrites the file to `after`: the change under test.
fn applied_then_changed(emulator: &Emulator, before: &str, after: &str) -> tempfile::TempDir {
    let dir = workspace(&[("mover.yaml", before)]);
    succeeded(&apply(dir.path(), emulator, &[]));
    rewrite(dir.path(), after);
    dir
}

fn moved_to_beta() -> String {
    CUSTOM.replace("project_key: alpha", "project_key: beta")
}

fn rewrite(dir: &std::path::Path, content: &str) {
    std::fs::write(dir.join("builds.d/mover.yaml"), content).expect("rewrite");
}

#[test]
fn a_template_build_turned_back_into_a_custom_build_converges() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("mover.yaml", TEMPLATE)]);
    succeeded(&apply(dir.path(), &emulator, &[]));
    assert_eq!(
        emulator.detail("alpha", "mover")["template_name"],
        "java-template"
    );

    rewrite(dir.path(), CUSTOM);
    let output = apply(dir.path(), &emulator, &[]);
    let text = succeeded(&output);
    assert!(text.contains("1 replaced"), "{text}");
    assert_eq!(emulator.detail("alpha", "mover")["template_name"], "");

    let output = zadig_sync(dir.path(), &emulator, &["plan", "--detailed-exitcode"]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
}

#[test]
fn a_conversion_zadig_refuses_leaves_the_old_build_in_place() {
    // Open-source Zadig has no licence for template builds: the conversion fails.
    let emulator = Emulator::start(&["--edition", "oss"]);
    let dir = applied_then_changed(&emulator, CUSTOM, TEMPLATE);
    let output = apply(dir.path(), &emulator, &[]);
    let text = failed(&output);
    assert!(text.contains("licence"), "{text}");
    let detail = emulator.detail("alpha", "mover");
    assert_eq!(detail["template_name"], "", "still the custom build");
    assert!(
        detail["build_script"]
            .as_str()
            .unwrap_or_default()
            .starts_with("make")
    );
}

#[test]
fn a_build_moved_to_another_project_is_deleted_before_it_is_created() {
    let emulator = Emulator::start(&[]);
    let dir = applied_then_changed(&emulator, CUSTOM, &moved_to_beta());
    let output = apply(
        dir.path(),
        &emulator,
        &["--prune", "--project", "alpha", "--project", "beta"],
    );
    succeeded(&output);
    assert!(
        emulator.build_names("alpha").is_empty(),
        "{}",
        describe(&output)
    );
    assert_eq!(
        emulator.build_names("beta"),
        ["mover"],
        "{}",
        describe(&output)
    );
}

#[test]
fn a_move_whose_deletion_fails_creates_nothing_and_keeps_the_old_build() {
    let emulator = Emulator::start(&[]);
    let dir = applied_then_changed(&emulator, CUSTOM, &moved_to_beta());
    emulator.set_faults(serde_json::json!({"fail_writes_to": ["mover"]}));
    let output = apply(
        dir.path(),
        &emulator,
        &["--prune", "--project", "alpha", "--project", "beta"],
    );
    let text = failed(&output);
    assert!(text.contains("still held"), "{text}");
    assert_eq!(emulator.build_names("alpha"), ["mover"]);
    assert!(emulator.build_names("beta").is_empty());
}

#[test]
fn a_move_from_a_project_this_run_does_not_manage_says_how_to_finish_it() {
    let emulator = Emulator::start(&[]);
    let dir = applied_then_changed(&emulator, CUSTOM, &moved_to_beta());
    let text = failed(&apply(dir.path(), &emulator, &[]));
    assert!(
        text.contains("--project alpha --project beta --prune"),
        "{text}"
    );
    assert_eq!(emulator.build_names("alpha"), ["mover"]);
}
