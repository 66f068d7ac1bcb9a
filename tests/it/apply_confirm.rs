//! `apply` asks before writing when a person is at the terminal, and only "yes" goes ahead.
//! The terminal comes from util-linux's `script`, which runs the CLI on a pseudo-terminal.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::util::cli::{Emulator, TOKEN, binary, failed, succeeded, workspace, zadig_sync};

const BUILD: &str = "\
name: asked
project_key: shop
infrastructure: vm
build_os: ubuntu 22.04
script_type: shell
build_script: make
";

/// Runs `apply` on a pseudo-terminal, typing `answer` at the prompt; returns exit code and output.
fn apply_on_a_terminal(
    emulator: &Emulator,
    dir: &std::path::Path,
    answer: &str,
) -> (Option<i32>, String) {
    let command_line = format!("{} apply", binary().display());
    let mut child = Command::new("script")
        .args([
            "--quiet",
            "--return",
            "--command",
            &command_line,
            "/dev/null",
        ])
        .current_dir(dir)
        .env("ZADIG_URL", emulator.url())
        .env("ZADIG_TOKEN", TOKEN)
        .env("NO_COLOR", "1")
        .env_remove("ZADIG_SYNC_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run script(1)");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(answer.as_bytes()).expect("type the answer");
    drop(stdin);
    let output = child.wait_with_output().expect("wait");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.code(), text)
}

fn script_available() -> bool {
    Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn at_a_terminal_anything_but_yes_cancels_and_writes_nothing() {
    if !script_available() {
        // util-linux is on every Linux CI machine: there, a missing `script` is a failure.
        assert!(
            std::env::var_os("CI").is_none(),
            "util-linux `script` is needed to give the CLI a terminal"
        );
        eprintln!("skipped outside CI: util-linux `script` is not installed");
        return;
    }
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("asked.yaml", BUILD)]);

    let (code, text) = apply_on_a_terminal(&emulator, dir.path(), "no\n");
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("Only 'yes' will be accepted"),
        "the prompt is shown: {text}"
    );
    assert_eq!(emulator.write_count(), 0, "nothing may be written: {text}");

    let (code, text) = apply_on_a_terminal(&emulator, dir.path(), "yes\n");
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(emulator.build_names("shop"), ["asked"]);
}

#[test]
fn without_a_terminal_apply_needs_yes_and_writes_nothing_otherwise() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("asked.yaml", BUILD)]);

    // stdin is /dev/null: nobody can answer.
    let output = zadig_sync(dir.path(), &emulator, &["apply"]);
    let text = failed(&output);
    assert!(
        text.contains("add --yes to apply without a terminal"),
        "{text}"
    );
    assert_eq!(emulator.write_count(), 0, "nothing may be written: {text}");

    succeeded(&zadig_sync(dir.path(), &emulator, &["apply", "--yes"]));
    assert_eq!(emulator.build_names("shop"), ["asked"]);
}
