//! Helpers for the end-to-end tests: start the real `zadig-sync emulator` binary on an
//! ephemeral port, run the real CLI against it, and talk to the emulator's API directly
//! (to play a person editing builds in Zadig's UI, or to read its request counters).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

pub const TOKEN: &str = "e2e-token";

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_zadig-sync"))
}

/// A `zadig-sync emulator` process, killed when dropped.
pub struct Emulator {
    child: Child,
    pub addr: String,
}

impl Emulator {
    pub fn start(extra: &[&str]) -> Emulator {
        Emulator::start_at("127.0.0.1:0", extra)
    }

    /// An emulator listening on `listen` (e.g. the address of one that was stopped).
    pub fn start_at(listen: &str, extra: &[&str]) -> Emulator {
        let mut child = Command::new(binary())
            .args(["emulator", "--listen", listen, "--token", TOKEN])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn emulator");
        let stdout = child.stdout.take().expect("emulator stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read address line");
        let addr = line
            .trim()
            .rsplit("http://")
            .next()
            .expect("address in the first line")
            .to_string();
        assert!(
            addr.contains(':'),
            "unexpected first line from emulator: {line:?}"
        );
        Emulator { child, addr }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Sends one request with the admin token; returns status and body.
    pub fn request(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> (u16, String) {
        http(&self.addr, method, path_and_query, Some(TOKEN), body)
    }

    pub fn detail(&self, project: &str, name: &str) -> Value {
        let (status, body) = self.request(
            "GET",
            &format!("/openapi/build/{name}/detail?projectKey={project}"),
            None,
        );
        assert_eq!(status, 200, "detail of {project}/{name}: {body}");
        serde_json::from_str(&body).expect("detail JSON")
    }

    pub fn build_names(&self, project: &str) -> Vec<String> {
        let (status, body) = self.request(
            "GET",
            &format!("/openapi/build?projectKey={project}&pageSize=0"),
            None,
        );
        assert_eq!(status, 200, "list of {project}: {body}");
        let list: Value = serde_json::from_str(&body).expect("list JSON");
        let mut names: Vec<String> = list["builds"]
            .as_array()
            .expect("builds array")
            .iter()
            .map(|b| b["name"].as_str().unwrap_or_default().to_string())
            .collect();
        names.sort();
        names
    }

    /// The emulator's request counters.
    pub fn stats(&self) -> Value {
        let (status, body) = http(&self.addr, "GET", "/_emulator/stats", None, None);
        assert_eq!(status, 200, "stats: {body}");
        serde_json::from_str(&body).expect("stats JSON")
    }

    /// Replaces the emulator's targeted faults (`{}` clears them).
    pub fn set_faults(&self, faults: Value) {
        let (status, body) = http(&self.addr, "POST", "/_emulator/faults", None, Some(&faults));
        assert_eq!(status, 200, "setting faults: {body}");
    }

    /// Moves the emulator's clock `seconds` forward, so that the next write's `update_time`
    /// (whole seconds) differs from the last one without waiting.
    pub fn advance_clock(&self, seconds: u32) {
        let body = serde_json::json!({ "advance_seconds": seconds });
        let (status, body) = http(&self.addr, "POST", "/_emulator/clock", None, Some(&body));
        assert_eq!(status, 200, "moving the clock: {body}");
    }

    /// How many requests with a method other than GET the emulator has answered.
    /// Requests answered so far, by `METHOD route`.
    pub fn request_counts(&self) -> std::collections::BTreeMap<String, u64> {
        let mut counts = std::collections::BTreeMap::new();
        for row in self.stats()["requests"].as_array().expect("requests array") {
            let method = row["method"].as_str().unwrap_or("");
            let key = format!("{method} {}", row["route"].as_str().unwrap_or(""));
            *counts.entry(key).or_default() += row["count"].as_u64().unwrap_or(0);
        }
        counts
    }

    /// The body of a custom build as a person would make it in Zadig's UI (no marker).
    pub fn hand_made(project: &str, name: &str) -> Value {
        serde_json::json!({
            "name": name, "project_key": project, "infrastructure": "vm",
            "build_os": "ubuntu 22.04", "script_type": "shell", "build_script": "make",
        })
    }

    /// Makes [`Emulator::hand_made`] through the API.
    pub fn create_by_hand(&self, project: &str, name: &str) {
        let body = Emulator::hand_made(project, name);
        let (status, text) = self.request("POST", "/openapi/build", Some(&body));
        assert_eq!(status, 200, "creating {project}/{name} by hand: {text}");
    }

    pub fn write_count(&self) -> u64 {
        self.stats()["requests"]
            .as_array()
            .expect("requests array")
            .iter()
            .filter(|r| r["method"] != "GET")
            .map(|r| r["count"].as_u64().unwrap_or(0))
            .sum()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 client: enough for tests, with no async runtime involved.
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("receive");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// The real CLI, to run in `dir` with nothing from the caller's environment that could
/// change the outcome.
pub fn command(dir: &Path) -> Command {
    let mut command = Command::new(binary());
    command
        .current_dir(dir)
        .env_remove("ZADIG_URL")
        .env_remove("ZADIG_TOKEN")
        .env_remove("ZADIG_TOKEN_FILE")
        .env_remove("ZADIG_SYNC_DIR")
        .env_remove("ZADIG_SYNC_CACHE")
        // The detail cache is on by default, in the user's cache folder: each test its own.
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    command
}

/// Runs the real CLI in `dir` against `emulator`, with the token in the environment.
pub fn zadig_sync(dir: &Path, emulator: &Emulator, args: &[&str]) -> Output {
    command(dir)
        .args(args)
        .env("ZADIG_URL", emulator.url())
        .env("ZADIG_TOKEN", TOKEN)
        .output()
        .expect("run zadig-sync")
}

/// Runs `apply --yes` with `extra` flags.
pub fn apply(dir: &Path, emulator: &Emulator, extra: &[&str]) -> Output {
    let mut args = vec!["apply", "--yes"];
    args.extend_from_slice(extra);
    zadig_sync(dir, emulator, &args)
}

/// Asserts the command exited 0; returns its stdout.
pub fn succeeded(output: &Output) -> String {
    assert!(output.status.success(), "{}", describe(output));
    stdout(output)
}

/// Asserts the command exited 1; returns its stdout and stderr together.
pub fn failed(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(1), "{}", describe(output));
    describe(output)
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Exit code, stdout and stderr, for a snapshot: the emulator's address (which changes every
/// run) becomes `<url>`, and a test's temporary folder `<tmp>`.
pub fn transcript(output: &Output, emulator: Option<&Emulator>) -> String {
    let text = without_temporary_folders(&describe(output));
    match emulator {
        Some(emulator) => text.replace(&emulator.url(), "<url>"),
        None => text,
    }
}

/// `text` with each temporary folder (`/tmp/.tmpAbC123`) written `<tmp>`.
fn without_temporary_folders(text: &str) -> String {
    let prefix = format!(
        "{}/.tmp",
        std::env::temp_dir()
            .display()
            .to_string()
            .trim_end_matches('/')
    );
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(&prefix) {
        out.push_str(&rest[..at]);
        out.push_str("<tmp>");
        let after = &rest[at + prefix.len()..];
        let end = after.find(['/', ' ', '\n', ')']).unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

pub fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// [`workspace`] of files made at run time.
pub fn workspace_of(files: &[(String, String)]) -> tempfile::TempDir {
    let borrowed: Vec<(&str, &str)> = (files.iter())
        .map(|(path, content)| (path.as_str(), content.as_str()))
        .collect();
    workspace(&borrowed)
}

/// Writes `files` (relative path → content) under a fresh `builds.d` in a temporary folder.
pub fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, content) in files {
        let full = dir.path().join("builds.d").join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, content).expect("write file");
    }
    dir
}
