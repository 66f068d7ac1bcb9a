//! `zadig-sync emulator` through the real binary: it prints its address, serves, and exits
//! 0 on SIGTERM; a bad seed file is an error naming the file.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use assert_cmd::cargo::cargo_bin;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

/// Kills the child if a test fails before it is reaped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_emulator(extra: &[&str]) -> (Running, String) {
    let mut child = Command::new(cargo_bin("zadig-sync"))
        .args(["emulator", "--listen", "127.0.0.1:0", "--token", "t"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("got {line:?}"))
        .to_owned();
    (Running(child), url)
}

#[tokio::test]
async fn the_binary_prints_its_address_and_serves_the_build_api() {
    let (_emulator, url) = spawn_emulator(&[]);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let response = reqwest::Client::new()
        .get(format!("{url}/openapi/build?projectKey=yaml"))
        .header("Authorization", "Bearer t")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), r#"{"total":0,"builds":[]}"#);
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_stops_it_with_exit_0_and_the_state_kept() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let (mut emulator, url) = spawn_emulator(&["--state", state.to_str().unwrap()]);
    let body = serde_json::json!({"name": "b", "project_key": "yaml", "infrastructure": "vm",
        "build_os": "ubuntu 22.04", "script_type": "shell"});
    let created = reqwest::Client::new()
        .post(format!("{url}/openapi/build"))
        .header("Authorization", "Bearer t")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let pid = emulator.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = emulator.0.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(
        std::fs::read_to_string(&state)
            .unwrap()
            .contains("\"yaml\"")
    );
}

/// Starts the emulator with a seed file named `file_name` holding `content`; it must refuse.
fn refused_seed(file_name: &str, content: &str) -> assert_cmd::assert::Assert {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join(file_name);
    std::fs::write(&seed, content).unwrap();
    assert_cmd::Command::new(cargo_bin("zadig-sync"))
        .args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--token",
            "t",
            "--seed",
        ])
        .arg(&seed)
        .assert()
        .failure()
}

#[test]
fn a_seed_file_without_a_local_cluster_is_refused_at_start() {
    let content = r#"{"clusters": [{"id": "c1", "name": "remote", "local": false}]}"#;
    refused_seed("no-local.json", content)
        .stderr(contains("no-local.json").and(contains("\"local\": true")));
}

#[test]
fn a_bad_seed_file_is_an_error_naming_the_file() {
    refused_seed("my-seeds.json", r#"{"images": [{"label": "no id"}]}"#)
        .stderr(contains("my-seeds.json"));
}

#[test]
fn listen_refuses_addresses_that_are_not_loopback() {
    for listen in ["0.0.0.0:0", "[::]:0", "192.0.2.1:0"] {
        let mut child = Command::new(cargo_bin("zadig-sync"))
            .args(["emulator", "--listen", listen, "--token", "t"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        // Killed on drop: an emulator that wrongly started must not outlive the test.
        let mut running = Running(child);
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        assert_eq!(line, "", "{listen}: it must not listen");
        let status = running.0.wait().unwrap();
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut running.0.stderr.take().unwrap(), &mut stderr).unwrap();
        assert_eq!(status.code(), Some(1), "{listen}: {stderr}");
        assert!(
            stderr.contains("is not a loopback address"),
            "{listen}: {stderr}"
        );
    }
}

#[test]
fn listen_accepts_localhost_with_a_port() {
    let mut child = Command::new(cargo_bin("zadig-sync"))
        .args(["emulator", "--listen", "localhost:0", "--token", "t"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    assert!(
        line.starts_with("listening on http://127.0.0.1:")
            || line.starts_with("listening on http://[::1]:"),
        "{line:?}"
    );
    drop(running);
}
