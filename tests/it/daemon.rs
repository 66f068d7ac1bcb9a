//! End to end: the real `zadig-sync daemon` against the emulator binary. Each test polls with
//! a bounded wait (never a fixed sleep) and uses short intervals so that it stays fast.

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::Path;

use serde_json::Value;

use crate::util::cli::{Emulator, TOKEN, workspace};
use crate::util::daemon::Daemon;
use crate::util::files::{TEMPLATED_API, WORKER};

pub(crate) const API: &str = "\
name: shop-api
project_key: shop
infrastructure: kubernetes
build_os: ubuntu 20.04
script_type: shell
build_script: make build
installs:
  - name: go
    version: 1.22.1
";

/// Fast timers: a change is acted on after 100 ms of quiet.
pub(crate) const FAST: &[&str] = &["--debounce", "100ms"];

pub(crate) fn with(extra: &[&'static str]) -> Vec<&'static str> {
    [FAST, extra].concat()
}

pub(crate) fn has_build(emulator: &Emulator, name: &str) -> bool {
    emulator.build_names("shop").iter().any(|n| n == name)
}

pub(crate) fn script(emulator: &Emulator, name: &str) -> String {
    emulator.detail("shop", name)["build_script"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

pub(crate) fn go_version(emulator: &Emulator) -> Value {
    emulator.detail("shop", "shop-api")["build_env"]["installs"][0]["version"].clone()
}

/// Plays a person editing shop-api's Go version in Zadig's UI (the marker stays).
pub(crate) fn edit_in_zadig(emulator: &Emulator, version: &str) {
    let detail = emulator.detail("shop", "shop-api");
    let body = serde_json::json!({
        "name": "shop-api", "project_key": "shop", "infrastructure": "kubernetes",
        "build_os": "ubuntu 20.04", "script_type": "shell",
        "build_script": detail["build_script"],
        "installs": [{"name": "go", "version": version}],
    });
    let (status, text) = emulator.request("PUT", "/openapi/build?projectKey=shop", Some(&body));
    assert_eq!(status, 200, "{text}");
}

pub(crate) fn write(path: &Path, content: &str) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(path, content).expect("write");
}

/// Replaces the symlink `link` atomically with one to `target` (what git-sync and
/// Kubernetes do: a new link, renamed over the old one).
fn swap_symlink(link: &Path, target: &str) {
    let name = link.file_name().expect("a link name").to_string_lossy();
    let temporary = link.with_file_name(format!("{name}_tmp"));
    symlink(target, &temporary).expect("symlink");
    std::fs::rename(&temporary, link).expect("rename over the link");
}

pub(crate) fn passes(daemon: &Daemon, result: &str) -> f64 {
    daemon.metric(&format!("zadig_sync_passes_total{{result=\"{result}\"}}"))
}

// `--interval 1h`: the new file is applied by the watch, not by a resync.
#[test]
fn applies_at_start_then_a_new_file_before_any_resync_and_exits_0_on_sigterm() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", API)]);
    let daemon = Daemon::start(dir.path(), &emulator, &with(&["--interval", "1h"]), &[]);
    daemon.wait("shop-api is created", || has_build(&emulator, "shop-api"));
    daemon.wait_ready();
    assert_eq!(daemon.get("/healthz").0, 200);

    write(&dir.path().join("builds.d/worker.yaml"), WORKER);
    daemon.wait("the new file is applied", || {
        has_build(&emulator, "shop-worker")
    });
    daemon.wait("the change is logged", || {
        daemon
            .logs()
            .lines()
            .any(|l| l.contains("applied") && l.contains("build=shop-worker"))
    });
    // The metrics are updated when the pass ends, just after its log lines.
    daemon.wait("the metrics count both builds", || {
        daemon.metric(r#"zadig_sync_builds{state="in_sync"}"#) == 2.0
            && daemon.metric(r#"zadig_sync_changes_applied_total{action="create"}"#) == 2.0
    });
    assert!(daemon.metrics().contains("zadig_sync_desired_state{"));

    let logs = daemon.logs();
    let status = daemon.terminate();
    assert_eq!(status.code(), Some(0), "{logs}");
}

#[test]
fn daemon_emulator_works_like_every_other_command() {
    let dir = workspace(&[("api.yaml", API)]);
    let daemon = Daemon::spawn(dir.path(), &with(&["--emulator", "--interval", "1h"]), &[]);
    daemon.wait_ready();
    assert!(daemon.metric(r#"zadig_sync_changes_applied_total{action="create"}"#) == 1.0);
    let logs = daemon.logs();
    assert_eq!(daemon.terminate().code(), Some(0), "{logs}");
    let state = std::fs::read_to_string(dir.path().join(".zadig-sync/emulator-state.json"))
        .expect("the emulator's state was saved");
    assert!(state.contains("shop-api"), "{state}");
}

// The failing build is held while it backs off (5 s, 10 s, … between attempts) while
// resyncs come every second: far fewer attempts than passes, and the other build written.
#[test]
fn a_build_whose_writes_fail_backs_off_alone() {
    let emulator = Emulator::start(&[]);
    emulator.set_faults(serde_json::json!({"fail_writes_to": ["shop-worker"]}));
    let dir = workspace(&[("api.yaml", API), ("worker.yaml", WORKER)]);
    let daemon = Daemon::start(dir.path(), &emulator, &with(&["--interval", "1s"]), &[]);
    daemon.wait("the other build is written", || {
        has_build(&emulator, "shop-api")
    });
    daemon.wait("the failure is counted", || {
        daemon.metric(r#"zadig_sync_builds{state="failed"}"#) == 1.0
            && daemon.metric(r#"zadig_sync_builds{state="in_sync"}"#) == 1.0
    });
    daemon.wait("eight passes", || {
        passes(&daemon, "partial") + passes(&daemon, "success") >= 8.0
    });
    let attempts = daemon.metric(r#"zadig_sync_step_failures_total{kind="status"}"#);
    // Without backoff every pass would try it (8 or more); with it, at most one attempt
    // after 2.5–5 s, 7.5–15 s, 17.5–35 s and 37.5–75 s, whatever the machine's speed.
    assert!(
        (1.0..=5.0).contains(&attempts),
        "{attempts}: {}",
        daemon.logs()
    );
    assert!(
        daemon.logs().contains("failed; retried with backoff"),
        "{}",
        daemon.logs()
    );
    assert_eq!(
        daemon.get("/readyz").0,
        200,
        "a failing build does not make the daemon unready"
    );

    emulator.set_faults(serde_json::json!({}));
    daemon.wait("the failing build is written once Zadig accepts it", || {
        has_build(&emulator, "shop-worker")
    });
}

#[test]
fn an_edit_made_in_zadig_is_corrected_at_the_next_resync() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", API)]);
    let daemon = Daemon::start(dir.path(), &emulator, &with(&["--interval", "1s"]), &[]);
    daemon.wait_ready();

    edit_in_zadig(&emulator, "1.21.0");
    daemon.wait("the drift is corrected", || {
        go_version(&emulator) == "1.22.1"
    });
    daemon.wait("the drift is logged with its field", || {
        daemon
            .logs()
            .lines()
            .any(|l| l.contains("drift") && l.contains("installs[go].version"))
    });
    assert!(daemon.metric("zadig_sync_drift_detected_total") >= 1.0);
}

#[test]
fn drift_report_logs_and_counts_but_writes_nothing() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", API)]);
    let args = with(&["--interval", "1s", "--drift", "report"]);
    let daemon = Daemon::start(dir.path(), &emulator, &args, &[]);
    daemon.wait_ready();

    edit_in_zadig(&emulator, "1.21.0");
    let writes = emulator.write_count();
    let seen = daemon.metric(r#"zadig_sync_passes_total{result="success"}"#);
    daemon.wait("the drift is reported", || {
        daemon.metric(r#"zadig_sync_builds{state="drifted"}"#) == 1.0
    });
    // Named with its field, old → new, and who made it.
    let line = r#"changes=installs[go].version: "1.21.0" → "1.22.1" update_by=admin"#;
    daemon.wait("the drift is logged", || daemon.logs().contains(line));
    // Two more resyncs: still nothing written.
    daemon.wait("two more passes", || {
        passes(&daemon, "success") >= seen + 3.0
    });
    assert_eq!(emulator.write_count(), writes, "{}", daemon.logs());
    assert_eq!(go_version(&emulator), "1.21.0");
    assert!(daemon.metric("zadig_sync_drift_detected_total") >= 1.0);
}

fn java_version(emulator: &Emulator) -> Value {
    let path = "/openapi/build/shop-api/detail?projectKey=shop&serviceName=api&serviceModule=api";
    let (status, text) = emulator.request("GET", path, None);
    assert_eq!(status, 200, "{text}");
    let detail: Value = serde_json::from_str(&text).expect("a detail");
    let inputs = detail["parameters"].as_array().cloned().unwrap_or_default();
    (inputs.iter().find(|p| p["key"] == "JAVA_VERSION")).map_or(Value::Null, |p| p["value"].clone())
}

// Template builds carry no marker: the daemon remembers what each was last in sync with. A
// reported drift must stay drift at every later pass, not turn into an update that is written.
#[test]
fn a_reported_template_drift_is_never_written() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", TEMPLATED_API)]);
    let args = with(&["--interval", "1s", "--drift", "report"]);
    let daemon = Daemon::start(dir.path(), &emulator, &args, &[]);
    daemon.wait_ready();
    daemon.wait("one pass after the create, in sync", || {
        daemon.metric(r#"zadig_sync_builds{state="in_sync"}"#) == 1.0
    });

    let edited: Value = serde_json::json!({
        "name": "shop-api", "project_key": "shop", "template_name": "java-template",
        "target_services": [{
            "service_name": "api", "service_module": "api",
            "repo_info": [{"codehost_name": "github", "repo_namespace": "shop",
                "repo_name": "api", "branch": "main"}],
            "inputs": [{"key": "JAVA_VERSION", "value": "17"}],
        }],
    });
    let route = "/openapi/build/shop-api/template?projectKey=shop";
    let (status, text) = emulator.request("PUT", route, Some(&edited));
    assert_eq!(status, 200, "{text}");
    let writes = emulator.write_count();
    daemon.wait("the drift is reported", || {
        daemon.metric(r#"zadig_sync_builds{state="drifted"}"#) == 1.0
    });
    let seen = passes(&daemon, "success");
    daemon.wait("three more passes", || {
        passes(&daemon, "success") >= seen + 3.0
    });
    assert_eq!(emulator.write_count(), writes, "{}", daemon.logs());
    assert_eq!(java_version(&emulator), "17");
    assert_eq!(daemon.metric(r#"zadig_sync_builds{state="drifted"}"#), 1.0);
}

#[test]
fn a_swapped_dir_symlink_is_seen_without_a_resync() {
    let emulator = Emulator::start(&[]);
    let root = tempfile::tempdir().expect("tempdir");
    write(&root.path().join("rev1/api.yaml"), API);
    write(&root.path().join("rev2/api.yaml"), API);
    write(&root.path().join("rev2/worker.yaml"), WORKER);
    symlink("rev1", root.path().join("current")).expect("symlink");
    let args = with(&["--interval", "1h", "--dir", "current"]);
    let daemon = Daemon::start(root.path(), &emulator, &args, &[]);
    daemon.wait_ready();
    assert!(!has_build(&emulator, "shop-worker"));

    swap_symlink(&root.path().join("current"), "rev2");
    daemon.wait("the new revision is applied", || {
        has_build(&emulator, "shop-worker")
    });

    // And the watch moved with the link: an edit inside the new target is seen too.
    write(
        &root.path().join("rev2/worker.yaml"),
        &WORKER.replace("make worker", "make worker2"),
    );
    daemon.wait("an edit in the new target is applied", || {
        script(&emulator, "shop-worker").contains("make worker2")
    });
}

#[test]
fn a_configmap_data_swap_is_seen_without_a_resync() {
    let emulator = Emulator::start(&[]);
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("builds.d");
    write(&dir.join("..2026_01/api.yaml"), API);
    symlink("..2026_01", dir.join("..data")).expect("symlink");
    symlink("..data/api.yaml", dir.join("api.yaml")).expect("symlink");
    let daemon = Daemon::start(root.path(), &emulator, &with(&["--interval", "1h"]), &[]);
    daemon.wait("shop-api is created", || has_build(&emulator, "shop-api"));

    // Kubernetes writes the new version beside the old one and swaps only `..data`.
    write(
        &dir.join("..2026_02/api.yaml"),
        &API.replace("make build", "make release"),
    );
    swap_symlink(&dir.join("..data"), "..2026_02");
    daemon.wait("the new version is applied", || {
        script(&emulator, "shop-api").contains("make release")
    });
}

#[test]
fn an_invalid_file_stops_all_writes_until_it_is_fixed() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", API), ("worker.yaml", WORKER)]);
    let args = with(&["--interval", "1s", "--prune"]);
    let daemon = Daemon::start(dir.path(), &emulator, &args, &[]);
    daemon.wait("both builds exist", || {
        has_build(&emulator, "shop-api") && has_build(&emulator, "shop-worker")
    });
    daemon.wait_ready();
    let writes = emulator.write_count();

    // A change, a deletion (with --prune) and a broken file, together.
    let builds = dir.path().join("builds.d");
    write(&builds.join("api.yaml"), &API.replace("1.22.1", "1.23.0"));
    std::fs::remove_file(builds.join("worker.yaml")).expect("rm");
    write(
        &builds.join("broken.yaml"),
        "name: broken\nproject_key: shop\nno_such_field: 1\n",
    );
    daemon.wait("several invalid passes", || {
        passes(&daemon, "invalid") >= 3.0
    });
    assert_eq!(emulator.write_count(), writes, "{}", daemon.logs());
    assert!(has_build(&emulator, "shop-worker"), "nothing deleted");
    assert!(
        daemon.logs().contains("broken.yaml:"),
        "the diagnostic names the file"
    );
    assert_eq!(daemon.get("/healthz").0, 200, "still healthy");

    std::fs::remove_file(builds.join("broken.yaml")).expect("rm");
    daemon.wait("the fixed tree is applied", || {
        go_version(&emulator) == "1.23.0" && !has_build(&emulator, "shop-worker")
    });
}

#[test]
fn recovers_by_itself_when_zadig_comes_back_empty() {
    let emulator = Emulator::start(&[]);
    let addr = emulator.addr.clone();
    let dir = workspace(&[("api.yaml", API)]);
    let daemon = Daemon::start(dir.path(), &emulator, &with(&["--interval", "1s"]), &[]);
    daemon.wait_ready();

    drop(emulator);
    daemon.wait("a pass fails", || passes(&daemon, "failed") >= 1.0);
    assert_eq!(daemon.get("/healthz").0, 200, "still alive");

    let emulator = Emulator::start_at(&addr, &[]);
    assert!(
        !has_build(&emulator, "shop-api"),
        "the new emulator starts empty"
    );
    daemon.wait("the build is recreated", || {
        has_build(&emulator, "shop-api")
    });
    let status = daemon.terminate();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_resync_with_nothing_changed_makes_list_calls_only() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", API), ("worker.yaml", WORKER)]);
    let daemon = Daemon::start(dir.path(), &emulator, &with(&["--interval", "1s"]), &[]);
    // Once the details are settled (update_time 2 s behind Zadig's clock), passes reuse them.
    daemon.wait("details are taken from memory", || {
        daemon.metric("zadig_sync_detail_reads_saved_total") >= 2.0
    });
    let before = emulator.request_counts();
    let passes_before = passes(&daemon, "success");
    daemon.wait("three more resyncs", || {
        passes(&daemon, "success") >= passes_before + 3.0
    });
    let after = emulator.request_counts();

    let mut grown: BTreeMap<&str, u64> = BTreeMap::new();
    for (key, count) in &after {
        let delta = count - before.get(key).copied().unwrap_or(0);
        if delta > 0 {
            grown.insert(key, delta);
        }
    }
    assert_eq!(
        grown.keys().collect::<Vec<_>>(),
        [&"GET /openapi/build"],
        "{grown:?}"
    );
    assert!(
        grown["GET /openapi/build"] >= 2,
        "one list per pass: {grown:?}"
    );
}

#[test]
fn the_token_and_a_credential_appear_in_no_log_line_at_trace_and_no_metric() {
    const SECRET: &str = "s3cr3t-Credential-Value-81f2";
    let build = format!(
        "{API}parameters:\n  - key: DB_PASSWORD\n    type: string\n    default_value: ${{env:DB_PASSWORD}}\n    is_credential: true\n"
    );
    for format in ["text", "json"] {
        let emulator = Emulator::start(&[]);
        let dir = workspace(&[("api.yaml", &build)]);
        let args = with(&["--interval", "1s", "--log", "trace", "--log-format", format]);
        let daemon = Daemon::start(dir.path(), &emulator, &args, &[("DB_PASSWORD", SECRET)]);
        daemon.wait_ready();
        // A drift correction and a change of the file: every kind of write is logged.
        edit_in_zadig(&emulator, "1.21.0");
        daemon.wait("the drift is corrected", || {
            go_version(&emulator) == "1.22.1"
        });
        write(
            &dir.path().join("builds.d/api.yaml"),
            &build.replace("make build", "make all"),
        );
        daemon.wait("the change is applied", || {
            script(&emulator, "shop-api").contains("make all")
        });
        let metrics = daemon.metrics();
        let logs = daemon.logs();
        assert!(logs.lines().count() > 50, "trace logging is on: {logs}");
        for secret in [TOKEN, SECRET] {
            assert!(
                !metrics.contains(secret),
                "{format}: {secret} in the metrics"
            );
            for line in logs.lines() {
                assert!(
                    !line.contains(secret),
                    "{format}: {secret} in the log line: {line}"
                );
            }
        }
        assert_eq!(daemon.terminate().code(), Some(0));
    }
}

// The daemon reads only the scope file at start (for the server it may name). One with errors
// is named in the log, nothing is written, and the daemon stays up to see it fixed.
#[test]
fn an_invalid_scope_file_at_start_is_logged_and_nothing_is_written() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", API)]);
    write(
        &dir.path().join("builds.d/zadig-sync.yaml"),
        "projects: 5\n",
    );
    let daemon = Daemon::start(dir.path(), &emulator, &with(&["--interval", "1h"]), &[]);
    daemon.wait("the scope file's error is logged", || {
        daemon.logs().contains("invalid scope file")
    });
    daemon.wait("a pass refused the invalid tree", || {
        passes(&daemon, "invalid") >= 1.0
    });
    assert_eq!(daemon.get("/healthz").0, 200);
    assert_eq!(emulator.write_count(), 0, "{}", daemon.logs());

    write(
        &dir.path().join("builds.d/zadig-sync.yaml"),
        "projects: [shop]\n",
    );
    daemon.wait("the fixed tree is applied", || {
        has_build(&emulator, "shop-api")
    });
}
