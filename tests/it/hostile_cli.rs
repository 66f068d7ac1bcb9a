//! Issue 19's command-line items, end to end: a URL carrying a token, an empty `ZADIG_TOKEN=`,
//! daemon durations out of bounds, a saved plan applied twice after a deletion, and `plan
//! --out` with a refused step.

use crate::util::cli::{Emulator, TOKEN, apply, command, failed, succeeded, workspace, zadig_sync};

const BUILD: &str = "\
name: kept
project_key: shop
infrastructure: vm
build_os: ubuntu 22.04
script_type: shell
build_script: make
";

fn other(name: &str) -> String {
    BUILD.replace("name: kept", &format!("name: {name}"))
}

#[test]
fn a_url_with_a_query_is_refused_and_its_token_never_printed() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("kept.yaml", BUILD)]);
    let url = format!("{}/?token={TOKEN}", emulator.url());
    let output = command(dir.path())
        .args(["plan", "--out", "plan.json", "--url", &url])
        .env("ZADIG_TOKEN", TOKEN)
        .output()
        .expect("run plan");
    let text = failed(&output);
    assert!(text.contains("has a query or a fragment"), "{text}");
    assert!(!text.contains(TOKEN), "{text}");
    assert!(!dir.path().join("plan.json").exists());
}

#[test]
fn an_empty_zadig_token_counts_as_unset() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("kept.yaml", BUILD)]);
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, TOKEN).expect("token file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600))
            .expect("chmod");
    }
    let output = command(dir.path())
        .args(["plan"])
        .env("ZADIG_URL", emulator.url())
        .env("ZADIG_TOKEN", "")
        .env("ZADIG_TOKEN_FILE", &token_file)
        .output()
        .expect("run plan");
    succeeded(&output);
}

#[test]
fn daemon_durations_out_of_bounds_are_refused_with_their_range() {
    let dir = workspace(&[("kept.yaml", BUILD)]);
    for (flag, value, range) in [
        ("--interval", "1ns", "from 1s to 7days"),
        ("--debounce", "3h", "from 10ms to 1m"),
        ("--full-resync", "1s", "from 1m to 30days"),
    ] {
        let output = command(dir.path())
            .args(["daemon", "--emulator", flag, value])
            .output()
            .expect("run daemon");
        let text = failed(&output);
        assert!(
            text.contains(flag) && text.contains(range),
            "{flag}: {text}"
        );
    }
}

// A saved plan applied twice used to report "1 deleted" for a build already gone.
#[test]
fn a_deletion_that_finds_its_build_gone_says_already_done_and_counts_no_deletion() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("kept.yaml", BUILD), ("gone.yaml", &other("gone"))]);
    succeeded(&apply(dir.path(), &emulator, &[]));
    std::fs::remove_file(dir.path().join("builds.d/gone.yaml")).expect("rm");
    succeeded(&zadig_sync(
        dir.path(),
        &emulator,
        &["plan", "--prune", "--out", "plan.json"],
    ));
    // Somebody deletes it in Zadig before the plan is applied.
    let (status, text) =
        emulator.request("DELETE", "/openapi/build?name=gone&projectKey=shop", None);
    assert_eq!(status, 200, "{text}");
    let output = zadig_sync(dir.path(), &emulator, &["apply", "--plan", "plan.json"]);
    let text = succeeded(&output);
    assert!(text.contains("already deleted"), "{text}");
    assert!(
        text.contains("0 deleted") && text.contains("1 already done"),
        "{text}"
    );
}

#[test]
fn a_plan_with_a_refused_step_is_not_saved() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[
        ("kept.yaml", BUILD),
        ("a.yaml", &other("a")),
        ("b.yaml", &other("b")),
    ]);
    succeeded(&apply(dir.path(), &emulator, &[]));
    for gone in ["a.yaml", "b.yaml"] {
        std::fs::remove_file(dir.path().join("builds.d").join(gone)).expect("rm");
    }
    let args = [
        "plan",
        "--prune",
        "--max-deletes",
        "1",
        "--out",
        "plan.json",
    ];
    let text = failed(&zadig_sync(dir.path(), &emulator, &args));
    assert!(
        text.contains("refused steps, so it was not saved"),
        "{text}"
    );
    assert!(!dir.path().join("plan.json").exists());
}
