//! Two processes on one emulator state file: the second waits, saying which process holds
//! the state, and goes on once it is released; its builds are kept, not written over.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::json;

use crate::util::cli::{binary, command, describe, http, workspace};

const BUILD: &str = "\
name: locked
project_key: shop
infrastructure: vm
build_os: ubuntu 22.04
script_type: shell
build_script: make
";

/// Kills the process if the test fails before it does.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_second_emulator_run_waits_for_the_first_and_names_it() {
    let dir = workspace(&[("locked.yaml", BUILD)]);
    std::fs::create_dir_all(dir.path().join(".zadig-sync")).expect("mkdir");
    // The first process: a standalone emulator serving the same state file.
    let holder = Command::new(binary())
        .current_dir(dir.path())
        .args(["emulator", "--listen", "127.0.0.1:0", "--token", "t"])
        .args(["--state", ".zadig-sync/emulator-state.json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn emulator");
    let mut holder = KillOnDrop(holder);
    let mut line = String::new();
    BufReader::new(holder.0.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read");
    assert!(line.starts_with("listening on"), "{line:?}");
    // A build made through the holder: the waiting run must read it, not write over it.
    let addr = line.trim().rsplit("http://").next().expect("an address");
    let held = json!({"name": "held", "project_key": "shop", "infrastructure": "vm",
        "build_os": "ubuntu 22.04", "script_type": "shell", "build_script": "make"});
    let (status, answer) = http(addr, "POST", "/openapi/build", Some("t"), Some(&held));
    assert_eq!(status, 200, "{answer}");

    let mut second = command(dir.path())
        .args(["apply", "--emulator", "--yes"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn apply");
    let mut stderr = BufReader::new(second.stderr.take().expect("stderr"));
    let mut waiting = String::new();
    while !waiting.contains("Waiting for the emulator state") {
        waiting.clear();
        let read = stderr.read_line(&mut waiting).expect("read stderr");
        assert!(read > 0, "the second run never said it was waiting");
    }
    assert!(
        waiting.contains(&format!("process {} (", holder.0.id())) && waiting.contains("emulator"),
        "the message names the holder: {waiting}"
    );
    assert!(second.try_wait().expect("try_wait").is_none(), "it waits");

    holder.0.kill().expect("kill the holder");
    holder.0.wait().expect("reap the holder");
    let output = second.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let state = std::fs::read_to_string(dir.path().join(".zadig-sync/emulator-state.json"))
        .expect("state written");
    assert!(state.contains("\"locked\""), "{state}");
    assert!(
        state.contains("\"held\""),
        "the holder's build is kept: {state}"
    );
}
