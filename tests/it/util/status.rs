//! A daemon holding one build in each state people look for — in sync, drifted, failing,
//! refused — plus one whose name is hostile HTML, for the status API, `zadig-sync status` and
//! the page's tests; and the status API read as JSON.

use serde_json::Value;
use tempfile::TempDir;

use super::cli::{Emulator, apply, succeeded, workspace};
use super::daemon::Daemon;

/// A build name that is HTML with a script in it; Zadig takes any name without `/`.
pub const HOSTILE: &str = "<img src=x onerror=document.title='pwned'>";

/// A custom build `name` of `project` on a VM running `script`.
pub fn vm_build(project: &str, name: &str, script: &str) -> String {
    format!(
        "name: \"{name}\"\nproject_key: {project}\ninfrastructure: vm\nbuild_os: ubuntu 22.04\n\
         script_type: shell\nbuild_script: {script}\n"
    )
}

/// Plays a person changing `shop/name`'s OS in Zadig's UI (its marker stays).
pub fn edit_os_in_zadig(emulator: &Emulator, name: &str, os: &str) {
    let detail = emulator.detail("shop", name);
    let body = serde_json::json!({
        "name": name, "project_key": "shop", "infrastructure": "vm", "build_os": os,
        "script_type": "shell", "build_script": detail["build_script"],
    });
    let (status, text) = emulator.request("PUT", "/openapi/build?projectKey=shop", Some(&body));
    assert_eq!(status, 200, "{text}");
}

/// The running pieces; dropped together.
pub struct FourStates {
    pub daemon: Daemon,
    pub emulator: Emulator,
    pub dir: TempDir,
}

/// `shop/shop-api` drifted (changed in Zadig, `--drift report`), `shop/shop-worker` failing
/// (Zadig refuses its writes), `shop/shop-old` refused (its file is gone, `--prune
/// --max-deletes 0`), `web/<HOSTILE>` in sync; and `shop/shop-hand`, made by hand in Zadig,
/// kept. Returns once the daemon shows all four.
pub fn four_states() -> FourStates {
    let emulator = Emulator::start(&[]);
    let hostile = vm_build("web", HOSTILE, "make web");
    let dir = workspace(&[
        ("shop/api.yaml", &vm_build("shop", "shop-api", "make api")),
        ("shop/old.yaml", &vm_build("shop", "shop-old", "make old")),
        ("web/page.yaml", &hostile),
    ]);
    succeeded(&apply(dir.path(), &emulator, &[]));
    edit_os_in_zadig(&emulator, "shop-api", "ubuntu 20.04");
    let builds = dir.path().join("builds.d");
    std::fs::remove_file(builds.join("shop/old.yaml")).expect("rm");
    let worker = vm_build("shop", "shop-worker", "make worker");
    std::fs::write(builds.join("shop/worker.yaml"), worker).expect("write");
    emulator.set_faults(serde_json::json!({"fail_writes_to": ["shop-worker"]}));
    emulator.create_by_hand("shop", "shop-hand");
    let args = [
        "--interval",
        "1h",
        "--drift",
        "report",
        "--prune",
        "--max-deletes",
        "0",
    ];
    let daemon = Daemon::start(dir.path(), &emulator, &args, &[]);
    daemon.wait("the four states are shown", || {
        let states = build_states(&status_json(&daemon, ""));
        states
            == [
                ("shop/shop-api".to_string(), "drifted".to_string()),
                ("shop/shop-old".into(), "refused".into()),
                ("shop/shop-worker".into(), "failing".into()),
                (format!("web/{HOSTILE}"), "in_sync".into()),
            ]
    });
    FourStates {
        daemon,
        emulator,
        dir,
    }
}

/// `GET /api/v1/status?<query>` as JSON (200 expected).
pub fn status_json(daemon: &Daemon, query: &str) -> Value {
    let (status, body) = daemon.get(&format!("/api/v1/status?{query}"));
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).expect("a JSON status document")
}

/// `project/name` and state of each build of a status document, in its order.
pub fn build_states(doc: &Value) -> Vec<(String, String)> {
    let builds = doc["builds"].as_array().cloned().unwrap_or_default();
    builds
        .iter()
        .map(|b| {
            let id = format!("{}/{}", str_of(&b["project"]), str_of(&b["name"]));
            (id, str_of(&b["state"]))
        })
        .collect()
}

fn str_of(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}
