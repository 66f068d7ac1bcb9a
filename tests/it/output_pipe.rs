//! A closed stdout (`zadig-sync apply | head -n1`) must not panic (exit 101) nor lose the
//! run: the writes happen and the exit code is the one the run earned. The pipe's reading end
//! is closed before the process starts, so every write it makes fails with EPIPE.

use std::process::{Output, Stdio};

use crate::util::cli::{Emulator, TOKEN, command, describe, workspace};

const BUILD: &str = "\
name: piped
project_key: shop
infrastructure: vm
build_os: ubuntu 22.04
script_type: shell
build_script: make
";

/// Runs the CLI with stdout (and, with `close_stderr`, stderr) writing into a closed pipe.
fn run_into_closed_pipe(
    dir: &std::path::Path,
    emulator: &Emulator,
    args: &[&str],
    close_stderr: bool,
) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let mut command = command(dir);
    command
        .args(args)
        .env("ZADIG_URL", emulator.url())
        .env("ZADIG_TOKEN", TOKEN)
        .stdout(Stdio::from(writer.try_clone().expect("clone pipe")));
    if close_stderr {
        command.stderr(Stdio::from(writer));
    }
    command.output().expect("run zadig-sync")
}

#[test]
fn apply_into_a_closed_pipe_writes_and_exits_with_its_own_code() {
    let dir = workspace(&[("piped.yaml", BUILD)]);
    // A fresh Zadig each time, so that both runs have a write to make. A panic would exit
    // 101; with stderr closed too, its message could not be read anyway.
    for close_stderr in [false, true] {
        let emulator = Emulator::start(&[]);
        let output = run_into_closed_pipe(dir.path(), &emulator, &["apply", "--yes"], close_stderr);
        assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
        assert_eq!(
            emulator.build_names("shop"),
            ["piped"],
            "stderr closed: {close_stderr}"
        );
    }
}

#[test]
fn every_printing_command_survives_a_closed_pipe() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("piped.yaml", BUILD)]);
    for (args, code) in [
        (&["validate"][..], 0),
        (&["schema"], 0),
        (&["plan", "--detailed-exitcode"], 2),
        (&["plan", "--output", "json"], 0),
        (&["--help"], 0),
    ] {
        let output = run_into_closed_pipe(dir.path(), &emulator, args, true);
        assert_eq!(
            output.status.code(),
            Some(code),
            "{args:?}: {}",
            describe(&output)
        );
    }
}
