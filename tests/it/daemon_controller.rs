//! End to end: the daemon as a controller. Every wake-up has a cause (a content change, a
//! due resync, a due retry), its own reads are not causes, a failure that needs no write any
//! more is forgotten, a rotated token converges, shutdown starts no write, and `--drift report`
//! reports a build deleted in Zadig instead of recreating it.

use std::time::Duration;

use crate::daemon::{API, FAST, has_build, passes, with, write};
use crate::util::cli::{Emulator, TOKEN, workspace};
use crate::util::daemon::Daemon;
use crate::util::files::WORKER;

fn tree_reads(daemon: &Daemon) -> f64 {
    daemon.metric("zadig_sync_tree_reads_total")
}

fn all_passes(daemon: &Daemon) -> f64 {
    ["success", "partial", "failed", "invalid"]
        .iter()
        .map(|result| passes(daemon, result))
        .sum()
}

/// Lets the watcher's debouncing (50 ms) and the daemon's (100 ms here) run many times over:
/// to prove that something does *not* happen, time must pass.
fn quiet_for_a_while() {
    std::thread::sleep(Duration::from_millis(1500));
}

// Reading the files made inotify open/access events that the watcher took for changes: the
// tree was read again every ~0.55 s for ever.
#[test]
fn an_idle_daemon_reads_no_file_and_sends_no_request_between_resyncs() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", API)]);
    let daemon = Daemon::start(dir.path(), &emulator, &with(&["--interval", "1h"]), &[]);
    daemon.wait_ready();
    let (reads, requests) = (tree_reads(&daemon), emulator.request_counts());

    // Somebody (or a backup, or an editor) reads every file, several times.
    for _ in 0..5 {
        for entry in std::fs::read_dir(dir.path().join("builds.d")).expect("read dir") {
            let _ = std::fs::read(entry.expect("entry").path());
        }
    }
    quiet_for_a_while();
    assert_eq!(tree_reads(&daemon), reads, "{}", daemon.logs());
    assert_eq!(emulator.request_counts(), requests, "{}", daemon.logs());

    // A real change is still seen (so the counters above could have moved).
    write(&dir.path().join("builds.d/worker.yaml"), WORKER);
    daemon.wait("the new file is applied", || {
        has_build(&emulator, "shop-worker")
    });
    assert!(tree_reads(&daemon) > reads);
}

// A build whose write failed, whose file was then reverted, needs no write: the daemon used to
// keep its failure and find a retry due at every pass, running ~45 passes a second.
#[test]
fn a_failed_build_that_needs_no_write_any_more_causes_no_pass_storm() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", API), ("worker.yaml", WORKER)]);
    let daemon = Daemon::start(dir.path(), &emulator, &with(&["--interval", "1h"]), &[]);
    daemon.wait("both builds exist", || has_build(&emulator, "shop-worker"));
    daemon.wait_ready();

    emulator.set_faults(serde_json::json!({"fail_writes_to": ["shop-worker"]}));
    let worker = dir.path().join("builds.d/worker.yaml");
    write(&worker, &WORKER.replace("make worker", "make worker-v2"));
    daemon.wait("the write fails", || {
        daemon.metric(r#"zadig_sync_builds{state="failed"}"#) == 1.0
    });
    write(&worker, WORKER);
    daemon.wait("reverted: in sync without a write", || {
        daemon.metric(r#"zadig_sync_builds{state="in_sync"}"#) == 2.0
    });
    emulator.set_faults(serde_json::json!({}));
    let settled = all_passes(&daemon);
    quiet_for_a_while();
    assert_eq!(all_passes(&daemon), settled, "{}", daemon.logs());
    assert!(daemon.logs().contains("recovered"), "{}", daemon.logs());
}

// After the token file changed, every pass failed with 401 for ever while both probes said 200.
#[test]
fn a_rotated_token_file_converges_without_a_restart_and_readiness_says_why_meanwhile() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", API)]);
    let secrets = tempfile::tempdir().expect("tempdir");
    let token_file = secrets.path().join("token");
    write(&token_file, "an-old-token\n");
    let path = token_file.to_str().expect("a UTF-8 path");
    let url = emulator.url();
    let env = [("ZADIG_URL", url.as_str())];
    let mut args: Vec<&str> = FAST.to_vec();
    args.extend(["--interval", "1h", "--token-file", path]);
    let daemon = Daemon::spawn(dir.path(), &args, &env);

    daemon.wait("Zadig refuses the token", || {
        daemon.metric(r#"zadig_sync_zadig{status="unauthorized"}"#) == 1.0
    });
    let (status, why) = daemon.get("/readyz");
    assert_eq!(status, 503, "{why}");
    assert!(
        why.contains("could not read Zadig") && why.contains("401"),
        "{why}"
    );
    assert!(
        daemon.logs().contains("Zadig refuses the API token"),
        "{}",
        daemon.logs()
    );

    write(&token_file, &format!("{TOKEN}\n"));
    daemon.wait("the build is applied with the new token", || {
        has_build(&emulator, "shop-api")
    });
    daemon.wait_ready();
    assert_eq!(daemon.metric(r#"zadig_sync_zadig{status="ok"}"#), 1.0);
    for line in daemon.logs().lines() {
        assert!(!line.contains(TOKEN), "the token in a log line: {line}");
    }
}

/// Starts a daemon whose passes are slow (every answer 1.5 s late), with `--prune`, and
/// removes a file once it is ready; returns when the pass deleting it has started.
fn a_pass_that_would_delete(dir: &tempfile::TempDir, emulator: &Emulator) -> Daemon {
    let args = with(&["--interval", "1h", "--prune", "--log", "zadig_sync=debug"]);
    let daemon = Daemon::start(dir.path(), emulator, &args, &[]);
    daemon.wait("both builds exist", || has_build(emulator, "shop-worker"));
    daemon.wait_ready();
    std::fs::remove_file(dir.path().join("builds.d/worker.yaml")).expect("rm");
    daemon.wait("the pass after the removal started", || {
        (daemon.logs().lines())
            .any(|line| line.contains("trigger=changed") && line.contains("pass started"))
    });
    daemon
}

#[test]
fn after_sigterm_no_delete_starts_and_the_stop_is_not_a_failed_pass() {
    let emulator = Emulator::start(&["--latency", "1500"]);
    let dir = workspace(&[("api.yaml", API), ("worker.yaml", WORKER)]);
    let daemon = a_pass_that_would_delete(&dir, &emulator);
    let failed = passes(&daemon, "failed");

    let logs = daemon.logs();
    assert_eq!(daemon.terminate().code(), Some(0), "{logs}");
    let deletes = emulator
        .request_counts()
        .get("DELETE /openapi/build")
        .copied();
    assert_eq!(deletes, None, "no DELETE was sent");
    assert!(has_build(&emulator, "shop-worker"));
    assert_eq!(failed, 0.0);
}

#[test]
fn a_second_signal_exits_at_once_with_143() {
    let emulator = Emulator::start(&["--latency", "1500"]);
    let dir = workspace(&[("api.yaml", API), ("worker.yaml", WORKER)]);
    let daemon = a_pass_that_would_delete(&dir, &emulator);
    let status = daemon.terminate_twice();
    assert_eq!(status.code(), Some(143), "{status:?}");
}

// `--drift report` used to recreate a build deleted in Zadig without a word.
#[test]
fn drift_report_reports_a_build_deleted_in_zadig_and_writes_nothing() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", API)]);
    let args = with(&["--interval", "1s", "--drift", "report"]);
    let daemon = Daemon::start(dir.path(), &emulator, &args, &[]);
    daemon.wait("shop-api is created", || has_build(&emulator, "shop-api"));
    daemon.wait("in sync", || {
        daemon.metric(r#"zadig_sync_builds{state="in_sync"}"#) == 1.0
    });

    let route = "/openapi/build?name=shop-api&projectKey=shop";
    let (status, text) = emulator.request("DELETE", route, None);
    assert_eq!(status, 200, "{text}");
    let writes = emulator.write_count();
    daemon.wait("the deletion is reported as drift", || {
        daemon.metric(r#"zadig_sync_builds{state="drifted"}"#) == 1.0
    });
    daemon.wait("the drift is logged", || {
        daemon.logs().contains("drift: deleted in Zadig")
    });
    let seen = passes(&daemon, "success");
    daemon.wait("two more passes", || {
        passes(&daemon, "success") >= seen + 2.0
    });
    assert_eq!(
        emulator.write_count(),
        writes,
        "nothing recreated: {}",
        daemon.logs()
    );
    assert!(!has_build(&emulator, "shop-api"));
}

// A marker line removed in Zadig's UI used to make the build look like one to adopt, and
// `--drift report` wrote over the edit.
#[test]
fn a_build_whose_marker_was_removed_in_zadig_is_drift_not_an_adoption() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", API)]);
    let args = with(&["--interval", "1s", "--drift", "report"]);
    let daemon = Daemon::start(dir.path(), &emulator, &args, &[]);
    daemon.wait("in sync", || {
        daemon.metric(r#"zadig_sync_builds{state="in_sync"}"#) == 1.0
    });

    let body = serde_json::json!({
        "name": "shop-api", "project_key": "shop", "infrastructure": "kubernetes",
        "build_os": "ubuntu 20.04", "script_type": "shell", "build_script": "make build",
        "installs": [{"name": "go", "version": "1.22.1"}],
    });
    let (status, text) = emulator.request("PUT", "/openapi/build?projectKey=shop", Some(&body));
    assert_eq!(status, 200, "{text}");
    let writes = emulator.write_count();
    daemon.wait("reported as drift", || {
        daemon.metric(r#"zadig_sync_builds{state="drifted"}"#) == 1.0
    });
    let seen = passes(&daemon, "success");
    daemon.wait("two more passes", || {
        passes(&daemon, "success") >= seen + 2.0
    });
    assert_eq!(emulator.write_count(), writes, "{}", daemon.logs());
}

// What users look for in the log: the version at start, the first pass's result (also when
// nothing changed), a file removed while --prune is off, a broken tree fixed; one line per
// change applied.
#[test]
fn the_daemon_says_what_users_look_for() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", API), ("worker.yaml", WORKER)]);
    crate::util::cli::succeeded(&crate::util::cli::apply(dir.path(), &emulator, &[]));
    let daemon = Daemon::start(dir.path(), &emulator, &with(&["--interval", "1h"]), &[]);
    daemon.wait_ready();
    let logs = daemon.logs();
    assert!(
        logs.contains("zadig-sync daemon starting version="),
        "{logs}"
    );
    assert!(
        logs.contains("first pass done result=\"success\" builds=2 in_sync"),
        "{logs}"
    );

    let builds = dir.path().join("builds.d");
    std::fs::remove_file(builds.join("worker.yaml")).expect("rm");
    daemon.wait("the kept build is reported", || {
        daemon.logs().contains("kept, not deleted: --prune is off")
    });
    write(&builds.join("broken.yaml"), "name: [\n");
    daemon.wait("the broken tree is reported", || {
        daemon.logs().contains("the files have errors")
    });
    std::fs::remove_file(builds.join("broken.yaml")).expect("rm");
    daemon.wait("the fix is reported", || {
        daemon.logs().contains("files valid again")
    });

    write(
        &builds.join("api.yaml"),
        &API.replace("make build", "make all"),
    );
    daemon.wait("the change is applied", || {
        daemon
            .logs()
            .contains("applied project=shop build=shop-api action=update")
    });
    let applied = (daemon.logs().lines())
        .filter(|line| line.contains("build=shop-api") && line.contains("applied"))
        .count();
    assert_eq!(applied, 1, "one line per change: {}", daemon.logs());
    assert!(has_build(&emulator, "shop-worker"), "kept");
}

// Credentials are left out of fingerprints: a rotated `${file:}` credential looked like no
// change, and was written only at the next resync.
#[test]
fn a_rotated_file_credential_is_written_without_waiting_for_a_resync() {
    let emulator = Emulator::start(&[]);
    let build = format!(
        "{API}parameters:\n  - key: DB_PASSWORD\n    type: string\n    default_value: ${{file:db-password}}\n    is_credential: true\n"
    );
    let dir = workspace(&[("api.yaml", &build), ("db-password", "first-Secret-1")]);
    let daemon = Daemon::start(dir.path(), &emulator, &with(&["--interval", "1h"]), &[]);
    daemon.wait_ready();
    let password = || {
        let detail = emulator.detail("shop", "shop-api");
        detail["parameters"][0]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(password(), "first-Secret-1");
    write(&dir.path().join("builds.d/db-password"), "second-Secret-2");
    daemon.wait("the rotated credential is written", || {
        password() == "second-Secret-2"
    });
    assert!(
        !daemon.logs().contains("second-Secret-2"),
        "{}",
        daemon.logs()
    );
}
