//! The files users copy first: every example applies to the emulator and then plans as
//! "no changes", and the README's quick start works with nothing but the bundled emulator.

use std::path::Path;

use crate::util::cli::{Emulator, TOKEN, command, describe, stdout, succeeded};

fn examples() -> String {
    format!("{}/examples", env!("CARGO_MANIFEST_DIR"))
}

fn with_example_secrets(dir: &Path, emulator: &Emulator, args: &[&str]) -> std::process::Output {
    command(dir)
        .args(args)
        .env("ZADIG_URL", emulator.url())
        .env("ZADIG_TOKEN", TOKEN)
        .env("API_TEST_BB", "abc123")
        .env("BILLING_DEPLOY_TOKEN", "s3cr3t-deploy-token")
        .output()
        .expect("run zadig-sync")
}

#[test]
fn every_example_applies_and_then_plans_as_no_changes() {
    let emulator = Emulator::start(&[]);
    let work = tempfile::tempdir().expect("tempdir");
    let dir = examples();

    let apply = with_example_secrets(work.path(), &emulator, &["apply", "--yes", "--dir", &dir]);
    let text = succeeded(&apply);
    assert!(text.contains("7 created"), "{text}");

    let plan = with_example_secrets(
        work.path(),
        &emulator,
        &["plan", "--detailed-exitcode", "--dir", &dir],
    );
    assert_eq!(plan.status.code(), Some(0), "{}", describe(&plan));
    assert!(stdout(&plan).contains("No changes"), "{}", describe(&plan));
    for output in [&apply, &plan] {
        assert!(
            !describe(output).contains("s3cr3t-deploy-token"),
            "a secret was printed"
        );
    }
}

#[test]
fn the_quick_start_needs_only_the_bundled_emulator() {
    let work = tempfile::tempdir().expect("tempdir");
    let quick_start = Path::new(env!("CARGO_MANIFEST_DIR")).join("builds.d");
    copy_tree(&quick_start, &work.path().join("builds.d"));

    // Without a terminal here, so `--yes` stands in for the answer a person types.
    // Behind a proxy too: loopback traffic must not go to it (nothing listens on port 9).
    let behind_a_proxy = |args: &[&str]| {
        let mut command = command(work.path());
        command
            .args(args)
            .env("http_proxy", "http://127.0.0.1:9")
            .env("HTTP_PROXY", "http://127.0.0.1:9")
            .env("ALL_PROXY", "http://127.0.0.1:9");
        command
    };
    let first = behind_a_proxy(&["apply", "--emulator", "--yes"])
        .output()
        .expect("run");
    let text = succeeded(&first);
    assert!(text.contains("1 created"), "{text}");
    assert!(
        work.path()
            .join(".zadig-sync/emulator-state.json")
            .is_file()
    );

    let second = behind_a_proxy(&["apply", "--emulator", "--yes"])
        .output()
        .expect("run");
    let text = succeeded(&second);
    assert!(text.contains("No changes"), "{text}");

    let plan = behind_a_proxy(&["plan", "--emulator", "--detailed-exitcode"])
        .output()
        .expect("run");
    assert_eq!(plan.status.code(), Some(0), "{}", describe(&plan));
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}
