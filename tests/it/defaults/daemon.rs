//! A running daemon and a defaults file: an edit of the defaults file is an edit of every
//! build below it, applied like any other, and it moves the desired state's identity.

use super::e2e::SHARED as DEFAULTS;
use crate::util::cli::{Emulator, workspace};
use crate::util::daemon::Daemon;

fn go_version(emulator: &Emulator, name: &str) -> String {
    let detail = emulator.detail("shop", name);
    detail["build_env"]["installs"][0]["version"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The `tree` label of `zadig_sync_desired_state`: the hash of every build's fingerprint.
fn identity(daemon: &Daemon) -> String {
    let metrics = daemon.metrics();
    let line = metrics
        .lines()
        .find(|line| line.starts_with("zadig_sync_desired_state{"))
        .unwrap_or_else(|| panic!("no identity in:\n{metrics}"));
    let tree = line.split("tree=\"").nth(1).expect("a tree label");
    tree[..tree.find('"').expect("closed")].to_string()
}

#[test]
fn a_running_daemon_applies_an_edit_of_a_defaults_file_to_every_build_below_it() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[
        ("shop/_defaults.yaml", DEFAULTS),
        ("shop/api.yaml", "name: api\nbuild_script: make api\n"),
        (
            "shop/jobs/worker.yaml",
            "name: worker\nbuild_script: make worker\n",
        ),
    ]);
    let args = ["--debounce", "100ms", "--interval", "1h"];
    let daemon = Daemon::start(dir.path(), &emulator, &args, &[]);
    daemon.wait("both builds are created", || {
        emulator.build_names("shop").len() == 2
    });
    daemon.wait_ready();
    let before = identity(&daemon);

    let defaults = dir.path().join("builds.d/shop/_defaults.yaml");
    std::fs::write(&defaults, DEFAULTS.replace("1.22.1", "1.23.0")).expect("edit");
    daemon.wait("the edit reaches both builds", || {
        go_version(&emulator, "api") == "1.23.0" && go_version(&emulator, "worker") == "1.23.0"
    });
    daemon.wait("the identity follows the defaults file", || {
        identity(&daemon) != before
    });

    let logs = daemon.logs();
    assert_eq!(daemon.terminate().code(), Some(0), "{logs}");
}
