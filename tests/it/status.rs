//! End to end: the status API, the events API and `zadig-sync status` against a running
//! daemon holding a build in each state (the real binary against the emulator).

use serde_json::Value;

use crate::util::cli::{command, describe, http, stdout, zadig_sync};
use crate::util::daemon::Daemon;
use crate::util::status::{HOSTILE, build_states, four_states, status_json};

fn events(daemon: &Daemon, query: &str) -> Value {
    let (status, body) = daemon.get(&format!("/api/v1/events?{query}"));
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).expect("a JSON events document")
}

fn kinds(doc: &Value) -> Vec<(String, String)> {
    let events = doc["events"].as_array().cloned().unwrap_or_default();
    events
        .iter()
        .map(|e| {
            let build = format!(
                "{}/{}",
                e["project"].as_str().unwrap_or(""),
                e["build"].as_str().unwrap_or("")
            );
            (e["kind"].as_str().unwrap_or_default().to_string(), build)
        })
        .collect()
}

/// `zadig-sync status --daemon http://ADDR <args>`.
fn status_command(daemon: &Daemon, args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("http://{}", daemon.addr);
    command(dir.path())
        .args(["status", "--daemon", &url])
        .args(args)
        .output()
        .expect("run zadig-sync status")
}

#[test]
fn the_status_api_shows_every_build_its_state_changes_and_last_error() {
    let setup = four_states();
    let daemon = &setup.daemon;
    let doc = status_json(daemon, "");
    assert_eq!(doc["format"], 1);
    assert_eq!(doc["counts"]["in_sync"], 1);
    assert_eq!(doc["counts"]["drifted"], 1);
    assert_eq!(doc["counts"]["failing"], 1);
    assert_eq!(doc["counts"]["refused"], 1);
    assert_eq!(
        doc["counts"]["kept"], 1,
        "shop-hand is in Zadig, in no file"
    );
    assert!(
        doc["revision"]["tree"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    let last = &doc["last_pass"];
    assert_eq!(last["result"], "partial", "{doc}");
    assert!(last["requests"].as_u64().unwrap() >= 3, "{doc}");
    assert!(doc["next_pass_due"].is_string(), "{doc}");
    assert!(doc.get("kept").is_none(), "listed only on request");

    let builds = doc["builds"].as_array().unwrap();
    let drifted = &builds[0];
    assert_eq!(drifted["cause"], "drift");
    assert_eq!(drifted["changes"][0]["path"], "build_os", "{drifted}");
    assert_eq!(drifted["changes"][0]["old"], "\"ubuntu 20.04\"");
    assert_eq!(drifted["changes"][0]["new"], "\"ubuntu 22.04\"");
    // How to keep Zadig's version instead: the very patch `zadig-sync pull --patch` prints.
    assert_eq!(
        drifted["pull"]["command"],
        "zadig-sync pull --build shop-api"
    );
    let pull = zadig_sync(setup.dir.path(), &setup.emulator, &["pull", "--patch"]);
    assert_eq!(
        drifted["pull"]["patch"],
        stdout(&pull),
        "{}",
        describe(&pull)
    );
    assert!(stdout(&pull).contains("+build_os: ubuntu 20.04\n"));
    let refused = &builds[1];
    assert!(
        refused["message"].as_str().unwrap().contains("max-deletes"),
        "{refused}"
    );
    let failing = &builds[2];
    assert_eq!(failing["last_error"]["kind"], "status", "{failing}");
    assert!(
        failing["last_error"]["message"]
            .as_str()
            .unwrap()
            .contains("503"),
        "{failing}"
    );
    assert!(failing["attempts"].as_u64().unwrap() >= 1);
    assert!(failing["next_retry"].is_string(), "{failing}");
    let in_sync = &builds[3];
    assert_eq!(in_sync["name"], HOSTILE);
    assert!(
        in_sync["last_write"].is_null(),
        "written by `apply`, not the daemon: {in_sync}"
    );
    assert!(in_sync["update_by"].is_string(), "{in_sync}");
    assert!(in_sync["message"].is_null() && in_sync["changes"] == serde_json::json!([]));
    assert!(in_sync.get("pull").is_none() && failing.get("pull").is_none());

    let kept = status_json(daemon, "kept=true");
    assert_eq!(kept["kept"][0]["name"], "shop-hand");
    assert_eq!(
        kept["kept"][0]["prunable"], false,
        "made by hand: never deleted"
    );

    let web = status_json(daemon, "project=web");
    assert_eq!(
        build_states(&web),
        [(format!("web/{HOSTILE}"), "in_sync".to_string())]
    );
    assert_eq!(
        (
            web["counts"]["in_sync"].as_u64(),
            web["counts"]["kept"].as_u64()
        ),
        (Some(1), Some(0))
    );
    let troubled = status_json(daemon, "state=failing&state=refused");
    assert_eq!(
        build_states(&troubled),
        [
            ("shop/shop-old".to_string(), "refused".to_string()),
            ("shop/shop-worker".into(), "failing".into())
        ]
    );
    let (code, body) = daemon.get("/api/v1/status?state=broken");
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("expected one of: in_sync"), "{body}");
}

#[test]
fn the_events_api_tells_each_episode_once_and_reads_after_a_cursor() {
    let setup = four_states();
    let daemon = &setup.daemon;
    // Several passes: the failing build is retried after its backoff.
    daemon.wait("the failing build was tried again", || {
        status_json(daemon, "state=failing")["builds"][0]["attempts"].as_u64() >= Some(2)
    });
    let all = events(daemon, "");
    assert_eq!(all["format"], 1);
    assert!(!all["missed"].as_bool().unwrap());
    let told = kinds(&all);
    let count = |kind: &str| told.iter().filter(|(k, _)| k == kind).count();
    assert_eq!(count("drift_found"), 1, "{told:?}");
    assert_eq!(count("deletion_refused"), 1, "{told:?}");
    assert!(
        told.contains(&("drift_found".into(), "shop/shop-api".into())),
        "{told:?}"
    );
    assert!(
        told.contains(&("failed".into(), "shop/shop-worker".into())),
        "{told:?}"
    );
    let first = &all["events"][0];
    assert!(
        first["id"].as_u64().unwrap() >= 1 && first["at"].is_string(),
        "{first}"
    );

    let last_id = all["last_id"].as_u64().unwrap();
    let newer = events(daemon, &format!("since={last_id}"));
    assert!(newer["events"].as_array().unwrap().is_empty(), "{newer}");
    assert_eq!(newer["last_id"].as_u64(), Some(last_id));
    let (code, body) = daemon.get("/api/v1/events?since=soon");
    assert_eq!(code, 400, "{body}");
}

#[test]
fn every_route_is_read_only() {
    let setup = four_states();
    let daemon = &setup.daemon;
    let routes = [
        "/",
        "/status.js",
        "/status.css",
        "/api/v1/status",
        "/api/v1/events",
        "/metrics",
        "/healthz",
        "/readyz",
    ];
    for route in routes {
        assert_eq!(daemon.get(route).0, 200, "GET {route}");
        for method in ["POST", "PUT", "PATCH", "DELETE"] {
            let body = serde_json::json!({"state": "in_sync"});
            let (code, _) = http(&daemon.addr, method, route, None, Some(&body));
            assert_eq!(code, 405, "{method} {route}");
        }
    }
    assert_eq!(
        status_json(daemon, "")["counts"]["failing"],
        1,
        "nothing changed"
    );
}

#[test]
fn zadig_sync_status_prints_a_table_and_exits_by_the_worst_state_shown() {
    let setup = four_states();
    let daemon = &setup.daemon;
    let all = status_command(daemon, &[]);
    assert_eq!(
        all.status.code(),
        Some(1),
        "failing and refused: {}",
        describe(&all)
    );
    let text = stdout(&all);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("PROJECT")
            && lines[0].contains("STATE")
            && lines[0].ends_with("MESSAGE"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("shop")
            && lines[1].contains("shop-api")
            && lines[1].contains("drifted"),
        "{text}"
    );
    assert!(lines[1].contains("build_os"), "the drifted field: {text}");
    assert!(
        lines[3].contains("shop-worker")
            && lines[3].contains("failing")
            && lines[3].contains("503"),
        "{text}"
    );
    assert!(
        lines[4].contains(HOSTILE) && lines[4].contains("in_sync"),
        "{text}"
    );
    let summary = lines.last().unwrap();
    assert!(
        summary.starts_with(
            "4 builds: 1 in_sync, 1 drifted, 1 failing, 1 refused; 1 in Zadig in no file; last pass"
        ),
        "{summary}"
    );

    let in_sync = status_command(daemon, &["--state", "in_sync"]);
    assert_eq!(in_sync.status.code(), Some(0), "{}", describe(&in_sync));
    assert!(
        stdout(&in_sync)
            .lines()
            .last()
            .unwrap()
            .starts_with("1 build: 1 in_sync")
    );
    let drifted = status_command(daemon, &["--project", "shop", "--state", "drifted"]);
    assert_eq!(drifted.status.code(), Some(2), "{}", describe(&drifted));
    let web = status_command(daemon, &["--project", "web", "--output", "json"]);
    assert_eq!(web.status.code(), Some(0), "{}", describe(&web));
    let doc: Value = serde_json::from_slice(&web.stdout).expect("the status document");
    assert_eq!(
        build_states(&doc),
        [(format!("web/{HOSTILE}"), "in_sync".to_string())]
    );
}

#[test]
fn zadig_sync_status_says_clearly_when_no_daemon_answers() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let dir = tempfile::tempdir().expect("tempdir");
    let output = command(dir.path())
        .args(["status", "--daemon", &format!("http://{addr}")])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "cannot reach the daemon at http://{addr}/api/v1/status"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("is `zadig-sync daemon` running"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}
